//! ServiceAccounts that eksctl creates (`iam.serviceAccounts`, Pod Identity `createServiceAccount`) and no manifest
//! declares: the plan federates them, but `translate` has no object to rewrite, so each is reported with the
//! identity whose client id it needs on AKS (E2A064). Reads the model and the planned identities; changes nothing.

use super::Identity;
use crate::diag::Sink;
use crate::model::{Model, SaOrigin};
use crate::rules;
use std::collections::BTreeMap;

/// One E2A064 per ServiceAccount eksctl creates that an identity federates, at the eksctl entry.
pub(super) fn report(model: &Model, identities: &[Identity], sink: &mut Sink) {
    let mut identity_of: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for id in identities {
        for s in &id.service_accounts {
            identity_of.entry((s.namespace.as_str(), s.name.as_str())).or_default().push(id.name.as_str());
        }
    }
    for sa in model.service_accounts.iter().filter(|s| s.origin == SaOrigin::Eksctl) {
        let Some(ids) = identity_of.get(&(sa.namespace.as_str(), sa.name.as_str())) else { continue };
        sink.push(
            rules::SERVICE_ACCOUNT_CREATED_BY_EKSCTL,
            format!(
                "ServiceAccount {}/{} is created by eksctl and declared in no manifest, so the translated manifests do not contain it: on AKS, create it with the annotation `azure.workload.identity/client-id` of identity `{}`",
                sa.namespace,
                sa.name,
                ids.join("`, `")
            ),
            Some(sa.loc),
        );
    }
}
