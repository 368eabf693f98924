//! KEDA: which triggers carry over to Azure scalers, and what they need. A trigger that authenticated with the
//! workload's own role (`podIdentity.provider: aws` with `identityOwner: workload`, or the older `aws-eks`) becomes
//! an Azure scaler authenticating as the workload's identity (`azure-workload` + `identityId`): that identity needs
//! read access to the queue and a federated credential for the KEDA operator's ServiceAccount. A trigger that named
//! a role (`awsRoleArn` in its metadata, or `podIdentity.roleArn`) authenticates as the identity planned for that
//! role. One authentication shared by triggers that authenticate as different identities is split: the first
//! identity keeps it, each other gets a derived authentication the rewrite adds to the output ([`Bindings`],
//! [`AddedAuth`]), or, when it cannot be added safely, E2A054.

use crate::diag::{FileId, Files, Loc, Sink};
use crate::graph::Joined;
use crate::model::{AwsRefKind, Model, Scaler, Trigger};
use crate::rules;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// KEDA's AWS authentication parameters ([`crate::model::KEDA_AWS_PARAMS`]).
pub const AWS_PARAMS: &[&str] = crate::model::KEDA_AWS_PARAMS;

/// What KEDA needs, per IAM role (index).
#[derive(Debug, Default)]
pub struct KedaNeeds {
    /// Queues (ARNs) the role's identity must be able to read for KEDA.
    pub queues: BTreeMap<usize, BTreeSet<String>>,
    /// The `aws-sqs-queue` triggers that can carry over, by (scaler, trigger) index.
    pub triggers: BTreeMap<(usize, usize), Resolved>,
    /// Env values that must stay as they are: the trigger that reads them (`queueURLFromEnv`) stays on AWS.
    pub held: BTreeSet<Loc>,
}

/// A trigger whose queue and identity are known.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The queue's ARN (from `queueURL`, or the scale target's env for `queueURLFromEnv`).
    pub arn: String,
    /// The IAM role whose identity the scaler authenticates as (`None`: KEDA's own).
    pub role: Option<usize>,
    /// The role came from the trigger's metadata (`awsRoleArn`), not from its authentication.
    pub role_in_metadata: bool,
}

/// How one trigger authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOwner {
    /// The workload's identity.
    Workload,
    /// KEDA's own identity.
    Operator,
    /// A named role (`awsRoleArn` in the metadata, or `podIdentity.roleArn`); true when from the metadata.
    Role(String, bool),
    /// Static AWS keys from a Secret (`secretTargetRef`/`env` of the authentication).
    StaticKeys,
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

/// The authentication a trigger references, when it is in the input.
pub fn trigger_auth<'m>(model: &'m Model, s: &Scaler, t: &Trigger) -> Option<&'m crate::model::TriggerAuth> {
    t.auth_ref.as_ref().and_then(|(kind, name)| {
        model.trigger_auths.iter().find(|a| {
            &a.name == name
                && &a.kind == kind
                && (a.kind == "ClusterTriggerAuthentication" || a.namespace == s.namespace)
        })
    })
}

/// Who a trigger authenticates as, from its TriggerAuthentication and its own metadata.
pub fn auth_owner(model: &Model, s: &Scaler, t: &Trigger) -> AuthOwner {
    if t.metadata.get("identityOwner").is_some_and(|o| o == "operator") {
        return AuthOwner::Operator;
    }
    if let Some(arn) = t.metadata.get("awsRoleArn") {
        return AuthOwner::Role(arn.clone(), true);
    }
    match trigger_auth(model, s, t) {
        Some(a) if a.provider.as_deref() == Some("aws-eks") => AuthOwner::Workload,
        Some(a) if a.provider.as_deref() == Some("aws") => match &a.role_arn {
            Some(arn) => AuthOwner::Role(arn.clone(), false),
            None if a.identity_owner.as_deref() == Some("workload") => AuthOwner::Workload,
            None => AuthOwner::Operator,
        },
        Some(a) if a.aws_params.iter().any(|p| p == "awsAccessKeyID") => AuthOwner::StaticKeys,
        _ => AuthOwner::Operator,
    }
}

/// The queue a trigger reads: `queueURL`, or the value `queueURLFromEnv` names in the scale target's env (its own
/// env, or the ConfigMaps and Secrets it reads). `Err` says why not, with the env values it looked at.
fn queue_of(model: &Model, workload: Option<usize>, t: &Trigger) -> Result<String, (String, Vec<Loc>)> {
    if let Some(u) = t.metadata.get("queueURL") {
        return crate::ingest::scan::endpoint_arn(u)
            .ok_or_else(|| ("aws-sqs-queue trigger has no usable queueURL".into(), Vec::new()));
    }
    let Some(var) = t.metadata.get("queueURLFromEnv") else {
        return Err(("aws-sqs-queue trigger has no usable queueURL".into(), Vec::new()));
    };
    let Some(w) = workload.map(|wi| &model.workloads[wi]) else {
        return Err((
            format!("`queueURLFromEnv: {var}` names an env variable of a scale target that is not in the input"),
            Vec::new(),
        ));
    };
    let config: Vec<&crate::model::AwsRef> = model
        .config_data
        .iter()
        .filter(|c| c.namespace == *w.namespace && w.config_refs.iter().any(|(k, n)| *k == c.kind && *n == c.name))
        .flat_map(|c| c.aws_refs.iter())
        .collect();
    let refs: Vec<&crate::model::AwsRef> =
        w.aws_refs.iter().chain(config).filter(|r| &*r.key == var.as_str()).collect();
    let locs: Vec<Loc> = refs.iter().map(|r| r.loc).collect();
    let arns: BTreeSet<&str> = refs
        .iter()
        .filter(|r| matches!(r.kind, AwsRefKind::Endpoint | AwsRefKind::Arn))
        .filter_map(|r| r.arn.as_deref())
        .filter(|a| a.starts_with("arn:aws:sqs:"))
        .collect();
    match (arns.len(), arns.first()) {
        (1, Some(a)) => Ok(a.to_string()),
        (0, _) => Err((
            format!("`queueURLFromEnv: {var}`: the scale target's env holds no SQS queue URL under that name"),
            locs,
        )),
        _ => Err((
            format!("`queueURLFromEnv: {var}`: the scale target's env holds different queue URLs under that name"),
            locs,
        )),
    }
}

/// Works out KEDA's needs and reports the triggers that do not carry over. `role_identity`: the roles that get an
/// identity.
pub fn analyse(model: &Model, joined: &Joined, role_identity: &BTreeMap<usize, String>, sink: &mut Sink) -> KedaNeeds {
    let mut needs = KedaNeeds::default();
    let index = workload_index(model);
    for (si, s) in model.scalers.iter().enumerate() {
        let workload = target_workload(&index, s);
        let role = workload.and_then(|wi| {
            let si = joined.workload_sa[wi];
            joined.sa_role[si].filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
        });
        let what = format!("{} {}/{}", s.kind, s.namespace, s.name);
        for (ti, t) in s.triggers.iter().enumerate() {
            match t.trigger_type.as_str() {
                "aws-sqs-queue" => {
                    let arn = match queue_of(model, workload, t) {
                        Ok(arn) => arn,
                        Err((why, env)) => {
                            let left = if env.is_empty() {
                                ""
                            } else {
                                "; the trigger and the env value are both left as they are"
                            };
                            sink.push(rules::KEDA_TRIGGER, format!("{what}: {why}{left}"), Some(t.loc));
                            needs.held.extend(env);
                            continue;
                        }
                    };
                    let from_env = !t.metadata.contains_key("queueURL");
                    let resolved = |role, role_in_metadata| Resolved { arn: arn.clone(), role, role_in_metadata };
                    match auth_owner(model, s, t) {
                        AuthOwner::Workload => {
                            if let Some(ri) = role {
                                needs.queues.entry(ri).or_default().insert(arn.clone());
                            } else {
                                sink.push(
                                    rules::KEDA_TRIGGER,
                                    format!("{what}: the trigger authenticates as the workload, whose ServiceAccount maps to no identity"),
                                    Some(t.loc),
                                );
                            }
                            needs.triggers.insert((si, ti), resolved(role, false));
                        }
                        AuthOwner::Role(role_arn, in_metadata) => {
                            let ri = model
                                .roles
                                .iter()
                                .position(|r| r.arn == role_arn)
                                .filter(|ri| role_identity.contains_key(ri));
                            if let Some(ri) = ri {
                                needs.queues.entry(ri).or_default().insert(arn.clone());
                                needs.triggers.insert((si, ti), resolved(Some(ri), in_metadata));
                            } else {
                                // Left on AWS, and so is the env value it reads (never one without the other).
                                let left = if from_env {
                                    "; the trigger and the env value it reads are left as they are"
                                } else {
                                    "; the trigger is left as it is"
                                };
                                sink.push(
                                    rules::KEDA_TRIGGER,
                                    format!("{what}: the trigger authenticates as IAM role `{}`, which no ServiceAccount of the input uses, so no identity is planned for it{left}", crate::text::truncate(&role_arn)),
                                    Some(t.loc),
                                );
                                if from_env {
                                    needs.held.extend(env_locs(model, workload, t));
                                }
                            }
                        }
                        AuthOwner::Operator => {
                            sink.push(
                                rules::KEDA_TRIGGER,
                                format!("{what}: the trigger used KEDA's own AWS role; on AKS the KEDA operator's identity needs Storage Queue Data Reader on the queue (not generated)"),
                                Some(t.loc),
                            );
                            needs.triggers.insert((si, ti), resolved(None, false));
                        }
                        AuthOwner::StaticKeys => {
                            sink.push(
                                rules::KEDA_TRIGGER,
                                format!("{what}: the trigger authenticated with static AWS keys from a Secret; they are removed from its authentication, and on AKS the KEDA operator's identity needs Storage Queue Data Reader on the queue (not generated)"),
                                Some(t.loc),
                            );
                            needs.triggers.insert((si, ti), resolved(None, false));
                        }
                    }
                }
                other if other.starts_with("aws-") => {
                    sink.push(
                        rules::KEDA_TRIGGER,
                        format!("{what}: `{other}` has no Azure scaler counterpart; choose one by hand"),
                        Some(t.loc),
                    );
                }
                _ => {}
            }
        }
    }
    needs
}

/// Every env value (own env, ConfigMaps, Secrets) of the scale target under the trigger's `queueURLFromEnv` name.
fn env_locs(model: &Model, workload: Option<usize>, t: &Trigger) -> Vec<Loc> {
    let (Some(var), Some(w)) = (t.metadata.get("queueURLFromEnv"), workload.map(|wi| &model.workloads[wi])) else {
        return Vec::new();
    };
    let config = model
        .config_data
        .iter()
        .filter(|c| c.namespace == *w.namespace && w.config_refs.iter().any(|(k, n)| *k == c.kind && *n == c.name))
        .flat_map(|c| c.aws_refs.iter());
    w.aws_refs.iter().chain(config).filter(|r| &*r.key == var.as_str()).map(|r| r.loc).collect()
}

/// A TriggerAuthentication the manifest rewrite adds (written in `plan.json` as `keda_authentications`, so every
/// object of the output is in the plan).
#[derive(Debug, Clone, Serialize)]
pub struct AddedAuth {
    /// `TriggerAuthentication` or `ClusterTriggerAuthentication`.
    pub kind: String,
    /// The apiVersion (the one of the authentication it derives from).
    pub api_version: String,
    /// Namespace (`None` for the cluster-scoped kind).
    pub namespace: Option<String>,
    /// Name (collision-checked against the input's authentications).
    pub name: String,
    /// The identity it authenticates as (`azure-workload` + `identityId`; `None`: KEDA's own identity).
    pub identity: Option<String>,
    /// The input authentication it was split from, if any.
    pub derived_from: Option<String>,
    /// The triggers that reference it, as `Kind namespace/name#index`.
    pub triggers: Vec<String>,
    /// The output file it is added to (the input path of the authentication it derives from, or of the scaler).
    pub file: Arc<str>,
    /// That file.
    #[serde(skip)]
    pub file_id: FileId,
}

/// A trigger by (scaler, trigger) index.
pub type TriggerId = (usize, usize);
/// An authentication by (kind, namespace or "" for the cluster-scoped kind, name).
pub type AuthKey = (String, String, String);
/// The authentication a trigger references: (kind, name).
pub type AuthRef = Option<(String, String)>;

/// How the rewrite carries KEDA over: decided once the plan's resources are named.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// Per rewritten trigger (scaler, trigger index): its queue and the authentication (kind, name) it references.
    pub triggers: BTreeMap<TriggerId, (String, AuthRef)>,
    /// Input authentications that are rewritten, by (kind, namespace or "", name), with the identity they carry.
    pub auths: BTreeMap<(String, String, String), Option<String>>,
    /// Env values left as they are.
    pub held: BTreeSet<Loc>,
    /// Authentications added to the output.
    pub added: Vec<AddedAuth>,
}

/// True when a new document can be appended after the object at `loc` (a top-level document of a YAML file: not a
/// JSON file, which holds one document, nor an item of a `List`).
fn can_append(files: &Files, loc: Loc) -> bool {
    loc.pos.col == 1 && !files.get(loc.file).display.to_ascii_lowercase().ends_with(".json")
}

/// Decides, for every trigger that carries over to a mapped queue, which authentication it references and which
/// identity each authentication carries; splits shared authentications per identity (E2A054 when it cannot).
pub fn bind(
    model: &Model,
    files: &Files,
    needs: KedaNeeds,
    role_identity: &BTreeMap<usize, String>,
    mapped: impl Fn(&str) -> bool,
    sink: &mut Sink,
) -> Bindings {
    let mut out = Bindings { held: needs.held, ..Bindings::default() };
    // Per input authentication: the identities its triggers authenticate as, in input order, with their triggers.
    type Group = Vec<(Option<String>, Vec<(usize, usize)>)>;
    let mut groups: BTreeMap<(String, String, String), Group> = BTreeMap::new();
    let mut group_order: Vec<(String, String, String)> = Vec::new();
    // Triggers with a role in their metadata and no authentication: (namespace, identity) → triggers.
    let mut fresh: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (&(si, ti), r) in &needs.triggers {
        if !mapped(&r.arn) {
            continue;
        }
        let (s, t) = (&model.scalers[si], &model.scalers[si].triggers[ti]);
        let identity = r.role.and_then(|ri| role_identity.get(&ri).cloned());
        out.triggers.insert((si, ti), (r.arn.clone(), t.auth_ref.clone()));
        match (&t.auth_ref, &identity) {
            (Some((kind, name)), _) => {
                let ns = if kind == "ClusterTriggerAuthentication" { String::new() } else { s.namespace.clone() };
                let key = (kind.clone(), ns, name.clone());
                let g = groups.entry(key.clone()).or_insert_with(|| {
                    group_order.push(key.clone());
                    Vec::new()
                });
                match g.iter_mut().find(|(i, _)| *i == identity) {
                    Some((_, ts)) => ts.push((si, ti)),
                    None => g.push((identity, vec![(si, ti)])),
                }
            }
            (None, Some(id)) if r.role_in_metadata => {
                fresh.entry((s.namespace.clone(), id.clone())).or_default().push((si, ti));
            }
            _ => {}
        }
    }
    // Names: derived ones checked against every authentication of the input, per kind and namespace.
    // (domain, name, source)
    let mut requests: Vec<(String, String, String)> = Vec::new();
    for a in &model.trigger_auths {
        requests.push((format!("{}/{}", a.kind, a.namespace), a.name.clone(), format!("input:{}", a.name)));
    }
    let mut splits: Vec<(AuthKey, Option<String>, Vec<TriggerId>)> = Vec::new();
    for key in &group_order {
        let g = &groups[key];
        out.auths.insert(key.clone(), g[0].0.clone());
        if g.len() < 2 {
            continue;
        }
        let auth = model.trigger_auths.iter().find(|a| (&a.kind, &a.namespace, &a.name) == (&key.0, &key.1, &key.2));
        let (kind, ns, name) = key;
        let shown: Vec<String> = g
            .iter()
            .map(|(i, _)| i.as_deref().map_or("KEDA's own identity".to_string(), |i| format!("`{i}`")))
            .collect();
        match auth.filter(|a| can_append(files, a.loc)) {
            Some(_) => {
                for (identity, ts) in &g[1..] {
                    requests.push((
                        format!("{kind}/{ns}"),
                        format!("{name}-{}", identity.as_deref().unwrap_or("keda")),
                        format!("split:{name}/{}", identity.as_deref().unwrap_or("")),
                    ));
                    splits.push((key.clone(), identity.clone(), ts.clone()));
                }
            }
            None => {
                let loc = auth.map(|a| a.loc).unwrap_or(model.scalers[g[1].1[0].0].triggers[g[1].1[0].1].loc);
                let why = if auth.is_some() {
                    "it is not a top-level document of a YAML file, so no authentication can be added beside it"
                } else {
                    "it is not in the input"
                };
                sink.push(
                    rules::KEDA_AUTH_SHARED,
                    format!("{kind} `{}{name}` is used by triggers that authenticate as different identities ({}); {why}: it is rewritten for {} only, and the other triggers would scale as that identity", if ns.is_empty() { String::new() } else { format!("{ns}/") }, shown.join(", "), shown[0]),
                    Some(loc),
                );
            }
        }
    }
    let mut fresh_ok: Vec<((String, String), Vec<TriggerId>)> = Vec::new();
    for ((ns, identity), ts) in fresh {
        if can_append(files, model.objects[model.scalers[ts[0].0].object].loc) {
            requests.push((
                format!("TriggerAuthentication/{ns}"),
                format!("keda-{identity}"),
                format!("role:{identity}"),
            ));
            fresh_ok.push(((ns, identity), ts));
        } else {
            for (si, ti) in ts {
                out.triggers.remove(&(si, ti));
                let s = &model.scalers[si];
                sink.push(
                    rules::KEDA_TRIGGER,
                    format!("{} {}/{}: the trigger names `awsRoleArn` and no authentication, and none can be added beside it (not a top-level document of a YAML file); the trigger is left as it is", s.kind, s.namespace, s.name),
                    Some(s.triggers[ti].loc),
                );
            }
        }
    }
    let (names, _) =
        crate::mapping::naming::unique_names(requests.iter().map(|(d, n, src)| crate::mapping::naming::NameRequest {
            domain: d,
            rule: "queue",
            aws_name: n,
            source: src,
        }));
    let label = |si: usize, ti: usize| {
        let s = &model.scalers[si];
        format!("{} {}/{}#{ti}", s.kind, s.namespace, s.name)
    };
    for ((kind, ns, name), identity, ts) in splits {
        let auth = model
            .trigger_auths
            .iter()
            .find(|a| (&a.kind, &a.namespace, &a.name) == (&kind, &ns, &name))
            .expect("checked");
        let new = names
            .get(&format!("{kind}/{ns}"), &format!("split:{name}/{}", identity.as_deref().unwrap_or("")))
            .expect("named")
            .to_string();
        for &(si, ti) in &ts {
            if let Some(b) = out.triggers.get_mut(&(si, ti)) {
                b.1 = Some((kind.clone(), new.clone()));
            }
        }
        out.added.push(AddedAuth {
            kind: kind.clone(),
            api_version: model.objects[auth.object].api_version.to_string(),
            namespace: (!ns.is_empty()).then(|| ns.clone()),
            name: new,
            identity,
            derived_from: Some(name.clone()),
            triggers: ts.iter().map(|&(si, ti)| label(si, ti)).collect(),
            file: files.display_shared(auth.loc.file),
            file_id: auth.loc.file,
        });
    }
    for ((ns, identity), ts) in fresh_ok {
        let new =
            names.get(&format!("TriggerAuthentication/{ns}"), &format!("role:{identity}")).expect("named").to_string();
        for &(si, ti) in &ts {
            if let Some(b) = out.triggers.get_mut(&(si, ti)) {
                b.1 = Some(("TriggerAuthentication".into(), new.clone()));
            }
        }
        let file = model.objects[model.scalers[ts[0].0].object].loc.file;
        out.added.push(AddedAuth {
            kind: "TriggerAuthentication".into(),
            api_version: "keda.sh/v1alpha1".into(),
            namespace: Some(ns),
            name: new,
            identity: Some(identity),
            derived_from: None,
            triggers: ts.iter().map(|&(si, ti)| label(si, ti)).collect(),
            file: files.display_shared(file),
            file_id: file,
        });
    }
    out.added.sort_by(|a, b| (&a.file, &a.namespace, &a.name).cmp(&(&b.file, &b.namespace, &b.name)));
    out
}
