//! ServiceAccounts an identity federates that no recognised workload runs as (E2A110): their pods, if any, are
//! made by a kind `mappings/workloads.yaml` does not list, so no pod label is added for them. Reads the model and
//! the planned identities; changes nothing.

use super::Identity;
use crate::diag::Sink;
use crate::model::{Model, SectionKind};
use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

/// One E2A110 per ServiceAccount (by its declaration) of an identity that no workload runs as.
pub(super) fn report(model: &Model, identities: &[Identity], sink: &mut Sink) {
    let mut used: BTreeSet<(&str, &str)> =
        model.workloads.iter().map(|w| (&*w.namespace, &*w.service_account)).collect();
    // An External Secrets store authenticates as a ServiceAccount it names (`auth.jwt.serviceAccountRef`): the
    // operator requests that account's token, no pod runs as it.
    for s in model.aws_sections.iter().filter(|s| s.kind == SectionKind::SecretStore) {
        let sa_ref = s.value.pointer("/aws/auth/jwt/serviceAccountRef");
        if let Some(name) = sa_ref.and_then(|r| r.get("name")).and_then(|n| n.as_str()) {
            let ns = sa_ref.and_then(|r| r.get("namespace")).and_then(|n| n.as_str()).unwrap_or(&s.namespace);
            used.insert((ns, name));
        }
    }
    // The ServiceAccounts by their declaration: each identity looks its own up (not a scan of all per identity).
    let mut by_loc: BTreeMap<crate::diag::Loc, Vec<usize>> = BTreeMap::new();
    for (i, sa) in model.service_accounts.iter().enumerate() {
        by_loc.entry(sa.loc).or_default().push(i);
    }
    let mut seen = BTreeSet::new();
    for id in identities {
        // In the model's order, each once (as a filter of the model's list would give them).
        let mut own: Vec<usize> =
            id.service_account_locs.iter().filter_map(|l| by_loc.get(l)).flatten().copied().collect();
        own.sort_unstable();
        own.dedup();
        for sa in own.into_iter().map(|i| &model.service_accounts[i]) {
            if used.contains(&(sa.namespace.as_str(), sa.name.as_str())) || !seen.insert(sa.loc) {
                continue;
            }
            sink.push(
                rules::SERVICE_ACCOUNT_USED_BY_NO_WORKLOAD,
                format!(
                    "ServiceAccount {}/{} (identity `{}`) is used by no workload eks2aks recognises, so no pod gets the label `azure.workload.identity/use: \"true\"` for it: a pod made by a kind that mappings/workloads.yaml does not list (an operator's custom resource) may run as it; add that kind to a `--mappings DIR/workloads.yaml` or label its pods by hand",
                    sa.namespace, sa.name, id.name
                ),
                Some(sa.loc),
            );
        }
    }
}
