//! Which association (EKS Pod Identity, or an eksctl `iam.serviceAccounts` entry) links each ServiceAccount to its
//! role. It owns three decisions the join then reads ([`bind`]); it decides nothing about trusts or permissions.
//!
//! - **The cluster.** An association belongs to one EKS cluster, and so must its ServiceAccount: among the
//!   ServiceAccounts of its namespace and name (one per cluster directory), it binds the one whose file shares the
//!   longest directory prefix with the association's file — the rule that joins a workload to its ServiceAccount.
//!   When several share it (the cluster of the ServiceAccount cannot be known), it binds none (E2A124).
//! - **Two Pod Identity associations for one ServiceAccount** (EKS allows one per ServiceAccount and cluster): when
//!   they agree (role, chain, session tags) they are one; when they do not, the input contradicts itself and none is
//!   granted (E2A125, naming each file and line). Never decided by file order.
//! - **IRSA and Pod Identity for one ServiceAccount.** The pod then has both the web identity token
//!   (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`) and the container credentials (`AWS_CONTAINER_CREDENTIALS_FULL_URI`).
//!   The SDKs' default credential provider chain reaches "Federate with web identity or OpenID Connect" before the
//!   "Container credential provider" (AWS SDKs and Tools Reference Guide, "AWS SDKs and Tools standardized credential
//!   providers"), and the EKS User Guide ("Understand how EKS Pod Identity works") says credentials found earlier in
//!   the chain continue to be used when an association is added. So IRSA's role is the one in force; the
//!   association's role (when it is another) is named in an E2A126 warning and not translated.

use crate::diag::files::common_prefix_len;
use crate::diag::{Files, Sink};
use crate::model::{Association, AssociationKind, Model};
use crate::rules;
use std::collections::BTreeMap;

fn at(files: &Files, a: &Association) -> String {
    format!("{}:{}", files.display(a.loc.file), a.loc.pos.line)
}

/// For each ServiceAccount of the model, the index (in `model.associations`) of the association that links it to
/// its role, if any (see the module documentation). A ServiceAccount with an `eks.amazonaws.com/role-arn`
/// annotation gets `None`: the annotation is its link.
pub(super) fn bind(
    model: &Model,
    files: &Files,
    sa_index: &BTreeMap<(&str, &str), Vec<usize>>,
    sink: &mut Sink,
) -> Vec<Option<usize>> {
    let mut bound: Vec<Vec<usize>> = vec![Vec::new(); model.service_accounts.len()];
    for (ai, a) in model.associations.iter().enumerate() {
        let Some(cands) = sa_index.get(&(a.namespace.as_str(), a.service_account.as_str())) else { continue };
        let afile = files.display(a.loc.file);
        let len = |&si: &usize| common_prefix_len(files.display(model.service_accounts[si].loc.file), afile);
        let best = cands.iter().map(len).max().unwrap_or_default();
        let nearest: Vec<usize> = cands.iter().copied().filter(|si| len(si) == best).collect();
        match nearest[..] {
            [si] => bound[si].push(ai),
            _ => {
                let copies: Vec<String> = nearest
                    .iter()
                    .map(|&si| {
                        let l = model.service_accounts[si].loc;
                        format!("{}:{}", files.display(l.file), l.pos.line)
                    })
                    .collect();
                sink.push(
                    rules::POD_IDENTITY_CLUSTER_UNKNOWN,
                    format!(
                        "the association of ServiceAccount {}/{} with role `{}`{} applies to one cluster, but the input declares this ServiceAccount in several ({}) and none of them is nearer the association's file: it is bound to none",
                        a.namespace,
                        a.service_account,
                        a.role_arn,
                        a.cluster.as_deref().map(|c| format!(" (cluster `{c}`)")).unwrap_or_default(),
                        copies.join(", ")
                    ),
                    Some(a.loc),
                )
                .with_help("put each cluster's associations in that cluster's directory, next to its manifests, or translate each cluster in a run of its own");
            }
        }
    }
    let mut out = Vec::with_capacity(bound.len());
    for (si, links) in bound.iter().enumerate() {
        out.push(in_force(model, files, si, links, sink));
    }
    out
}

/// The association in force for ServiceAccount `si` among those bound to it (in model order).
fn in_force(model: &Model, files: &Files, si: usize, links: &[usize], sink: &mut Sink) -> Option<usize> {
    let sa = &model.service_accounts[si];
    let assoc = |&i: &usize| &model.associations[i];
    let (pod, irsa): (Vec<usize>, Vec<usize>) =
        links.iter().copied().partition(|&i| model.associations[i].kind == AssociationKind::PodIdentity);
    // The same association read twice (an eksctl config and the describe output) agrees on what the pods get.
    let same = |a: &Association| (a.role_arn.clone(), a.session_tags, a.chained_from.as_ref().map(|c| c.0.clone()));
    let mut pods: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for &i in &pod {
        pods.entry(same(assoc(&i))).or_default().push(i);
    }
    let pod_identity = match pods.len() {
        0 => None,
        1 => pods.values().next().and_then(|v| {
            // The most complete copy (cluster and cluster ARN known, for the session tags), then the first.
            v.iter().copied().max_by_key(|&i| {
                let a = assoc(&i);
                (a.cluster.is_some(), a.cluster_arn.is_some(), std::cmp::Reverse(at(files, a)))
            })
        }),
        _ => {
            let mut each: Vec<String> =
                pod.iter().map(|i| format!("role `{}` at {}", assoc(i).role_arn, at(files, assoc(i)))).collect();
            each.sort();
            each.dedup();
            let first = pod.iter().map(assoc).min_by_key(|a| at(files, a)).expect("two or more");
            sink.push(
                rules::POD_IDENTITY_ASSOCIATIONS_CONFLICT,
                format!(
                    "ServiceAccount {}/{} has EKS Pod Identity associations that disagree ({}); EKS keeps one association per ServiceAccount and cluster, so the input contradicts itself: neither role is translated",
                    sa.namespace,
                    sa.name,
                    each.join("; ")
                ),
                Some(first.loc),
            )
            .with_help("keep only the association the cluster has (aws eks describe-pod-identity-association is what is deployed) and translate again");
            None
        }
    };
    // IRSA: the annotation, else an eksctl `iam.serviceAccounts` entry (eksctl writes that annotation).
    let irsa_link = match irsa_in_force(model, files, si, &irsa, sink) {
        Irsa::Conflict => return None,
        Irsa::None => None,
        Irsa::Link(arn, l, which) => Some((arn, l, which)),
    };
    match (irsa_link, pod_identity) {
        // Both name one role: the pods run as it either way.
        (Some((arn, _, which)), Some(p)) if assoc(&p).role_arn == arn => which,
        (Some((arn, l, which)), Some(p)) => {
            let p = assoc(&p);
            sink.push(
                rules::POD_IDENTITY_SHADOWED_BY_IRSA,
                format!(
                    "ServiceAccount {}/{} has both IRSA (role `{arn}`, {}:{}) and an EKS Pod Identity association (role `{}`, {}): the AWS SDKs' default credential chain uses the web identity token before the container credentials, so its pods run as `{arn}`; role `{}` is ignored on AWS and not translated",
                    sa.namespace,
                    sa.name,
                    files.display(l.file),
                    l.pos.line,
                    p.role_arn,
                    at(files, p),
                    p.role_arn
                ),
                Some(p.loc),
            )
            .with_help("delete the association (or the IRSA annotation) that the workload should not have, and translate again");
            which
        }
        (Some((_, _, which)), None) => which,
        (None, p) => p,
    }
}

/// The IRSA link of a ServiceAccount: its annotation, or the eksctl `iam.serviceAccounts` entries bound to it.
enum Irsa {
    /// No IRSA.
    None,
    /// The role, where it is named, and the association when the link is an eksctl entry.
    Link(String, crate::diag::Loc, Option<usize>),
    /// eksctl entries that disagree and no annotation: the role in force cannot be known (E2A128).
    Conflict,
}

/// Which IRSA role is in force for ServiceAccount `si`, given the eksctl entries `irsa` bound to it.
/// - The annotation, when there is one: eksctl does not override an existing ServiceAccount's annotation without
///   `--override-existing-serviceaccounts` (eksctl docs, "IAM Roles for Service Accounts"), and applying the
///   manifest after eksctl writes the manifest's. An eksctl entry naming another role is named (E2A127, warning)
///   and not translated.
/// - Else the eksctl entries: one role, or, when they name different roles, none (E2A128, error) — eksctl writes
///   the annotation of whichever config ran last, so file order must not decide.
fn irsa_in_force(model: &Model, files: &Files, si: usize, irsa: &[usize], sink: &mut Sink) -> Irsa {
    let sa = &model.service_accounts[si];
    let assoc = |i: usize| &model.associations[i];
    if let Some((arn, l)) = &sa.role_arn {
        let mut other: BTreeMap<&str, &Association> = BTreeMap::new();
        for &i in irsa.iter().filter(|&&i| assoc(i).role_arn != *arn) {
            let a = assoc(i);
            other
                .entry(a.role_arn.as_str())
                .and_modify(|b| *b = std::cmp::min_by_key(*b, a, |x| at(files, x)))
                .or_insert(a);
        }
        for (role, a) in other {
            sink.push(
                rules::EKSCTL_IRSA_ROLE_NOT_IN_FORCE,
                format!(
                    "ServiceAccount {}/{} is annotated with role `{arn}` ({}:{}) while eksctl `iam.serviceAccounts` attaches role `{role}` to it ({}): the manifest's annotation is in force once the manifest is applied (eksctl does not override an existing ServiceAccount without `--override-existing-serviceaccounts`), so role `{arn}` is translated and role `{role}` is not translated",
                    sa.namespace,
                    sa.name,
                    files.display(l.file),
                    l.pos.line,
                    at(files, a)
                ),
                Some(a.loc),
            )
            .with_help("make the eksctl entry and the manifest name the same role (or drop the one the workload should not have), and translate again");
        }
        return Irsa::Link(arn.clone(), *l, None);
    }
    let mut roles: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in irsa {
        roles.entry(assoc(i).role_arn.as_str()).or_default().push(i);
    }
    let first = |v: &[usize]| v.iter().copied().min_by_key(|&i| at(files, assoc(i)));
    match roles.len() {
        0 => Irsa::None,
        1 => match roles.values().next().and_then(|v| first(v)) {
            Some(i) => Irsa::Link(assoc(i).role_arn.clone(), assoc(i).loc, Some(i)),
            None => Irsa::None,
        },
        _ => {
            let mut each: Vec<String> =
                irsa.iter().map(|&i| format!("role `{}` at {}", assoc(i).role_arn, at(files, assoc(i)))).collect();
            each.sort();
            each.dedup();
            let Some(head) = first(irsa) else { return Irsa::None };
            sink.push(
                rules::EKSCTL_IRSA_ENTRIES_CONFLICT,
                format!(
                    "ServiceAccount {}/{} has eksctl `iam.serviceAccounts` entries that attach different roles ({}) and no role annotation of its own: eksctl writes the annotation of whichever config ran last, so the input contradicts itself and neither role is translated",
                    sa.namespace,
                    sa.name,
                    each.join("; ")
                ),
                Some(assoc(head).loc),
            )
            .with_help("keep one `iam.serviceAccounts` entry for the ServiceAccount (or annotate its manifest with the role in force), and translate again");
            Irsa::Conflict
        }
    }
}
