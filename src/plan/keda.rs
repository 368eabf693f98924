//! KEDA: which triggers carry over to Azure scalers, and what they need. A trigger that authenticated with the
//! workload's own role (`podIdentity.provider: aws` with `identityOwner: workload`, or the older `aws-eks`) becomes
//! an Azure scaler authenticating as the workload's identity (`azure-workload` + `identityId`): that identity needs
//! read access to the queue and a federated credential for the KEDA operator's ServiceAccount.

use crate::diag::Sink;
use crate::graph::Joined;
use crate::model::{Model, Scaler, Trigger};
use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

/// What KEDA needs, per IAM role (index).
#[derive(Debug, Default)]
pub struct KedaNeeds {
    /// Queues (ARNs) the role's identity must be able to read for KEDA.
    pub queues: BTreeMap<usize, BTreeSet<String>>,
}

/// How one trigger authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOwner {
    /// The workload's identity.
    Workload,
    /// KEDA's own identity.
    Operator,
}

/// Workloads by (kind, namespace, name), built once so resolving every scaler stays linear.
pub type WorkloadIndex = BTreeMap<(String, String, String), usize>;

/// Builds the [`WorkloadIndex`].
pub fn workload_index(model: &Model) -> WorkloadIndex {
    model
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.kind.to_string(), w.namespace.to_string(), w.name.clone()), i))
        .collect()
}

/// The workload a scaler scales (index into `model.workloads`).
pub fn target_workload(index: &WorkloadIndex, s: &Scaler) -> Option<usize> {
    if s.kind == "ScaledJob" {
        return index.get(&("ScaledJob".into(), s.namespace.clone(), s.name.clone())).copied();
    }
    let (kind, name) = s.target.as_ref()?;
    index.get(&(kind.clone(), s.namespace.clone(), name.clone())).copied()
}

/// Who a trigger authenticates as, from its TriggerAuthentication and its own metadata.
pub fn auth_owner(model: &Model, s: &Scaler, t: &Trigger) -> AuthOwner {
    if t.metadata.get("identityOwner").is_some_and(|o| o == "operator") {
        return AuthOwner::Operator;
    }
    let auth = t.auth_ref.as_ref().and_then(|(kind, name)| {
        model.trigger_auths.iter().find(|a| {
            &a.name == name
                && &a.kind == kind
                && (a.kind == "ClusterTriggerAuthentication" || a.namespace == s.namespace)
        })
    });
    match auth {
        Some(a) if a.provider.as_deref() == Some("aws-eks") => AuthOwner::Workload,
        Some(a) if a.provider.as_deref() == Some("aws") && a.role_arn.is_none() => {
            if a.identity_owner.as_deref() == Some("workload") { AuthOwner::Workload } else { AuthOwner::Operator }
        }
        _ => AuthOwner::Operator,
    }
}

/// Works out KEDA's needs and reports the triggers that do not carry over.
pub fn analyse(model: &Model, joined: &Joined, sink: &mut Sink) -> KedaNeeds {
    let mut needs = KedaNeeds::default();
    let index = workload_index(model);
    for s in &model.scalers {
        let workload = target_workload(&index, s);
        let role = workload.and_then(|wi| {
            let si = joined.workload_sa[wi];
            joined.sa_role[si].filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
        });
        for t in &s.triggers {
            match t.trigger_type.as_str() {
                "aws-sqs-queue" => {
                    let Some(arn) = t.metadata.get("queueURL").and_then(|u| crate::ingest::scan::endpoint_arn(u))
                    else {
                        sink.push(
                            rules::KEDA_TRIGGER,
                            format!(
                                "{} {}/{}: aws-sqs-queue trigger has no usable queueURL",
                                s.kind, s.namespace, s.name
                            ),
                            Some(t.loc),
                        );
                        continue;
                    };
                    match (auth_owner(model, s, t), role) {
                        (AuthOwner::Workload, Some(ri)) => {
                            needs.queues.entry(ri).or_default().insert(arn);
                        }
                        (AuthOwner::Workload, None) => {
                            sink.push(
                                rules::KEDA_TRIGGER,
                                format!("{} {}/{}: the trigger authenticates as the workload, whose ServiceAccount maps to no identity", s.kind, s.namespace, s.name),
                                Some(t.loc),
                            );
                        }
                        (AuthOwner::Operator, _) => {
                            sink.push(
                                rules::KEDA_TRIGGER,
                                format!("{} {}/{}: the trigger used KEDA's own AWS role; on AKS the KEDA operator's identity needs Storage Queue Data Reader on the queue (not generated)", s.kind, s.namespace, s.name),
                                Some(t.loc),
                            );
                        }
                    }
                }
                other if other.starts_with("aws-") => {
                    sink.push(
                        rules::KEDA_TRIGGER,
                        format!(
                            "{} {}/{}: `{other}` has no Azure scaler counterpart; choose one by hand",
                            s.kind, s.namespace, s.name
                        ),
                        Some(t.loc),
                    );
                }
                _ => {}
            }
        }
    }
    needs
}
