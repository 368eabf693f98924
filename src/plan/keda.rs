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
use crate::mapping::naming::Names;
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
    /// The Azure resource type the ARN must map to for the trigger to carry over (a `keda-triggers.yaml` entry's
    /// `azure.azure_type`); `None` for an `aws-sqs-queue` trigger (an Azure queue or Service Bus queue).
    pub azure_type: Option<String>,
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
pub fn analyse(
    model: &Model,
    joined: &Joined,
    tables: &crate::mapping::Tables,
    targets: &crate::mapping::need::TargetChoice,
    role_identity: &BTreeMap<usize, String>,
    keda_operator: &str,
    sink: &mut Sink,
) -> KedaNeeds {
    let operator = operator_role(model, joined, role_identity, keda_operator);
    let mut an =
        Analyser { model, joined, tables, targets, role_identity, operator, needs: KedaNeeds::default(), sink };
    let index = workload_index(model);
    for (si, s) in model.scalers.iter().enumerate() {
        let workload = target_workload(&index, s);
        let role = workload.and_then(|wi| {
            let si = joined.workload_sa[wi];
            joined.sa_role[si].filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
        });
        let sc = ScalerView { si, s, workload, role, what: format!("{} {}/{}", s.kind, s.namespace, s.name) };
        for (ti, t) in s.triggers.iter().enumerate() {
            match t.trigger_type.as_str() {
                "aws-sqs-queue" => an.sqs_trigger(&sc, ti, t),
                other if tables.keda_triggers.get(other).is_some() => {
                    an.table_trigger(&sc, ti, t, tables.keda_triggers.get(other).expect("checked"));
                }
                other if other.starts_with("aws-") => {
                    an.sink.push(
                        rules::KEDA_TRIGGER,
                        format!("{}: `{other}` has no Azure scaler counterpart; choose one by hand", sc.what),
                        Some(t.loc),
                    );
                }
                _ => {}
            }
        }
    }
    an.needs
}

/// The state of [`analyse`]: what it reads, and the needs it gathers.
struct Analyser<'m, 'k> {
    model: &'m Model,
    joined: &'m Joined,
    tables: &'m crate::mapping::Tables,
    /// The config's target choice: which Azure type a resource maps to.
    targets: &'m crate::mapping::need::TargetChoice,
    role_identity: &'m BTreeMap<usize, String>,
    /// The IAM role of KEDA's own ServiceAccount on EKS, when it gets an identity ([`operator_role`]).
    operator: Option<usize>,
    needs: KedaNeeds,
    sink: &'k mut Sink,
}

/// A scaler as its triggers see it.
struct ScalerView<'m> {
    /// Its index in `model.scalers`.
    si: usize,
    s: &'m Scaler,
    /// The workload it scales.
    workload: Option<usize>,
    /// The IAM role of that workload's ServiceAccount, when its trust admits it.
    role: Option<usize>,
    /// `Kind namespace/name`, for messages.
    what: String,
}

impl Analyser<'_, '_> {
    /// An `aws-sqs-queue` trigger: its queue (left with its env value when unknown), then who it authenticates as
    /// decides which identity reads the queue. Triggers that carry over are recorded with their queue and role.
    fn sqs_trigger(&mut self, sc: &ScalerView, ti: usize, t: &Trigger) {
        let arn = match queue_of(self.model, sc.workload, t) {
            Ok(arn) => arn,
            Err((why, env)) => {
                let left =
                    if env.is_empty() { "" } else { "; the trigger and the env value are both left as they are" };
                self.sink.push(rules::KEDA_TRIGGER, format!("{}: {why}{left}", sc.what), Some(t.loc));
                self.needs.held.extend(env);
                return;
            }
        };
        let what = &sc.what;
        let resolved = |role, role_in_metadata| Resolved { arn: arn.clone(), role, role_in_metadata, azure_type: None };
        match auth_owner(self.model, sc.s, t) {
            AuthOwner::Workload => {
                if let Some(ri) = sc.role {
                    self.needs.queues.entry(ri).or_default().insert(arn.clone());
                } else {
                    self.sink.push(
                        rules::KEDA_TRIGGER,
                        format!("{what}: the trigger authenticates as the workload, whose ServiceAccount maps to no identity"),
                        Some(t.loc),
                    );
                }
                self.needs.triggers.insert((sc.si, ti), resolved(sc.role, false));
            }
            AuthOwner::Role(role_arn, in_metadata) => self.as_role(sc, ti, t, &arn, &role_arn, in_metadata),
            AuthOwner::Operator => self.as_operator(sc, ti, t, &arn),
            AuthOwner::StaticKeys => {
                self.sink.push(
                    rules::KEDA_TRIGGER,
                    format!("{what}: the trigger authenticated with static AWS keys from a Secret; they are removed from its authentication, and on AKS the KEDA operator's identity needs Storage Queue Data Reader on the queue (not generated)"),
                    Some(t.loc),
                );
                self.needs.triggers.insert((sc.si, ti), resolved(None, false));
            }
        }
    }

    /// A trigger that authenticated with KEDA's own AWS role. When the KEDA operator's ServiceAccount is in the
    /// input with an IAM role, that role's identity reads the queue: its authentication carries that identity's
    /// `identityId` (a fresh one when the trigger has none), the identity gets read access to the queue (as for
    /// a workload's trigger) and a federated credential for the AKS KEDA operator (E2A101 says so). Else nothing is generated for
    /// KEDA, and E2A029 says what to do by hand.
    fn as_operator(&mut self, sc: &ScalerView, ti: usize, t: &Trigger, arn: &str) {
        let resolved =
            |role| Resolved { arn: arn.to_string(), role, role_in_metadata: t.auth_ref.is_none(), azure_type: None };
        let Some(ri) = self.operator else {
            self.sink.push(
                rules::KEDA_TRIGGER,
                format!("{}: the trigger used KEDA's own AWS role, and no ServiceAccount of the KEDA operator with an IAM role is in the input, so no Azure identity, role or federated credential is generated for KEDA; give the KEDA operator an identity with Storage Queue Data Reader on the queue and annotate its ServiceAccount with that identity's client id (the identity KEDA uses for an `azure-workload` authentication without `identityId`)", sc.what),
                Some(t.loc),
            );
            self.needs.triggers.insert((sc.si, ti), resolved(None));
            return;
        };
        let identity = self.role_identity.get(&ri).map_or("", String::as_str);
        self.needs.queues.entry(ri).or_default().insert(arn.to_string());
        self.needs.triggers.insert((sc.si, ti), resolved(Some(ri)));
        self.sink.push(
            rules::KEDA_OPERATOR_IDENTITY,
            format!("{}: the trigger used KEDA's own AWS role `{}`; on AKS it authenticates as identity `{identity}` (`azure-workload` with its `identityId`), which is granted read access to the queue (`keda:aws-sqs-queue` in its role assignments) and a federated credential for the AKS KEDA operator", sc.what, crate::text::truncate(&self.model.roles[ri].arn)),
            Some(t.loc),
        );
    }

    /// A trigger that authenticates as a named role: it reads the queue as that role's identity; when no identity
    /// is planned for the role it is left on AWS, and so is the env value it reads (never one without the other).
    fn as_role(&mut self, sc: &ScalerView, ti: usize, t: &Trigger, arn: &str, role_arn: &str, in_metadata: bool) {
        let ri =
            self.model.roles.iter().position(|r| r.arn == role_arn).filter(|ri| self.role_identity.contains_key(ri));
        if let Some(ri) = ri {
            self.needs.queues.entry(ri).or_default().insert(arn.to_string());
            self.needs.triggers.insert(
                (sc.si, ti),
                Resolved { arn: arn.to_string(), role: Some(ri), role_in_metadata: in_metadata, azure_type: None },
            );
            return;
        }
        // Left on AWS, and so is the env value it reads (never one without the other).
        let from_env = !t.metadata.contains_key("queueURL");
        let left = if from_env {
            "; the trigger and the env value it reads are left as they are"
        } else {
            "; the trigger is left as it is"
        };
        self.sink.push(
            rules::KEDA_TRIGGER,
            format!("{}: the trigger authenticates as IAM role `{}`, which no ServiceAccount of the input uses, so no identity is planned for it{left}", sc.what, crate::text::truncate(role_arn)),
            Some(t.loc),
        );
        if from_env {
            self.needs.held.extend(env_locs(self.model, sc.workload, t));
        }
    }
}

/// A trigger of `mappings/keda-triggers.yaml`, as [`Analyser::table_trigger`] and [`Analyser::table_identity`]
/// see it.
struct TableTrigger<'e> {
    /// The table's entry.
    entry: &'e crate::mapping::keda_triggers::Entry,
    /// `` `type` (described metadata) ``, for messages.
    shown: String,
}

impl Analyser<'_, '_> {
    /// A trigger of `mappings/keda-triggers.yaml`. Without an Azure scaler it is left on AWS (E2A104 for a metric,
    /// E2A105 for none). Else the resource it names must be exactly one ARN the input has, and its identity known
    /// (as for an SQS trigger): then it is recorded with the Azure type it needs, and whether that type is what the
    /// plan maps the resource to is decided once the resources are planned ([`super::keda_triggers::report`]);
    /// otherwise it is left on AWS (E2A103).
    fn table_trigger(&mut self, sc: &ScalerView, ti: usize, t: &Trigger, entry: &crate::mapping::keda_triggers::Entry) {
        use crate::mapping::keda_triggers::Outcome;
        let tt = TableTrigger { entry, shown: format!("`{}` ({})", t.trigger_type, entry.described(&t.metadata)) };
        let left = |sink: &mut Sink, code, why: &str| {
            let msg = format!("{}: {} {why}; the trigger is left pointing at AWS: {}", sc.what, tt.shown, entry.manual);
            sink.push(code, msg, Some(t.loc));
        };
        let Some(azure) = entry.azure.as_ref().filter(|_| entry.outcome == Outcome::Rewrite) else {
            let (code, why) = match entry.outcome {
                Outcome::ChooseMetric => (
                    rules::KEDA_TRIGGER_METRIC_UNMAPPED,
                    "scales on a CloudWatch metric whose Azure Monitor counterpart eks2aks does not know",
                ),
                _ => (rules::KEDA_TRIGGER_NO_AZURE_SCALER, "has no Azure scaler counterpart in KEDA"),
            };
            left(self.sink, code, why);
            return;
        };
        let pattern = entry.source_pattern(&t.metadata);
        let arns: Vec<&str> = match &pattern {
            Some(p) => {
                self.joined.resources.keys().filter(|a| crate::glob::glob_match(p, a, false)).map(|a| &**a).collect()
            }
            None => Vec::new(),
        };
        let arn = match (arns.as_slice(), &pattern) {
            ([one], _) => one.to_string(),
            (_, None) => {
                return left(
                    self.sink,
                    rules::KEDA_TRIGGER_SOURCE_UNMAPPED,
                    "names no resource (a metadata field is missing or holds a wildcard)",
                );
            }
            ([], Some(p)) => {
                return left(
                    self.sink,
                    rules::KEDA_TRIGGER_SOURCE_UNMAPPED,
                    &format!("reads `{p}`, which no policy, env value or ConfigMap of the input names"),
                );
            }
            (many, Some(_)) => {
                return left(
                    self.sink,
                    rules::KEDA_TRIGGER_SOURCE_UNMAPPED,
                    &format!("matches {} resources of the input ({}), not one", many.len(), many.join(", ")),
                );
            }
        };
        if let Some(why) = self.maps_elsewhere(&arn, entry) {
            return left(
                self.sink,
                rules::KEDA_TRIGGER_SOURCE_UNMAPPED,
                &format!("reads `{}`, {why}", crate::text::truncate(&arn)),
            );
        }
        let Some((role, role_in_metadata)) = self.table_identity(sc, t, &tt) else { return };
        if let Some(ri) = role {
            // The KEDA operator gets a federated credential on the identity (no queue to read: an empty set).
            self.needs.queues.entry(ri).or_default();
        }
        let azure_type = Some(azure.azure_type.clone());
        self.needs.triggers.insert((sc.si, ti), Resolved { arn, role, role_in_metadata, azure_type });
    }

    /// Why the resource at `arn` will not map to the Azure type the entry's scaler reads (the config's target
    /// choice over `services.yaml`), or `None` when it will: decided before planning, so that the KEDA operator's
    /// credential is planned only for triggers that carry over.
    fn maps_elsewhere(&self, arn: &str, entry: &crate::mapping::keda_triggers::Entry) -> Option<String> {
        let (source, azure) = (entry.source.as_ref()?, entry.azure.as_ref()?);
        if self.targets.stays(arn) {
            return Some("which the config keeps on AWS".into());
        }
        let service = self.tables.services.get(&source.service)?;
        let key = self.targets.target(service, &source.service, arn);
        let target = service.targets.get(key)?;
        (*target.azure_type != *azure.azure_type).then(|| {
            format!(
                "which maps to {} (target `{key}` of {}), not to {}",
                target.azure_service, source.service, azure.azure_type
            )
        })
    }

    /// Who a table trigger authenticates as on Azure: (the role whose identity, from the metadata). `None` when
    /// it has no identity there (reported: E2A103).
    fn table_identity(&mut self, sc: &ScalerView, t: &Trigger, tt: &TableTrigger) -> Option<(Option<usize>, bool)> {
        let why = match auth_owner(self.model, sc.s, t) {
            AuthOwner::Workload if sc.role.is_some() => return Some((sc.role, false)),
            AuthOwner::Workload => {
                "authenticates as the workload, whose ServiceAccount maps to no identity".to_string()
            }
            AuthOwner::Operator if self.operator.is_some() => return Some((self.operator, t.auth_ref.is_none())),
            AuthOwner::Operator => {
                "used KEDA's own AWS role, and no ServiceAccount of the KEDA operator with an IAM role is in the input"
                    .into()
            }
            AuthOwner::Role(arn, in_metadata) => {
                let ri =
                    self.model.roles.iter().position(|r| r.arn == arn).filter(|ri| self.role_identity.contains_key(ri));
                if ri.is_some() {
                    return Some((ri, in_metadata));
                }
                format!("authenticates as IAM role `{}`, for which no identity is planned", crate::text::truncate(&arn))
            }
            AuthOwner::StaticKeys => "authenticated with static AWS keys, which have no Azure identity".into(),
        };
        let msg = format!("{}: {} {why}; the trigger is left pointing at AWS: {}", sc.what, tt.shown, tt.entry.manual);
        self.sink.push(rules::KEDA_TRIGGER_SOURCE_UNMAPPED, msg, Some(t.loc));
        None
    }
}

/// The IAM role KEDA's own identity had on EKS: the role of the KEDA operator's ServiceAccount — the configured
/// `keda_operator` (`namespace/name`), or `keda-operator` in any namespace (the name the KEDA Helm chart gives it)
/// — when its trust admits it and an identity is planned for it; `None` when there is none, or several.
fn operator_role(
    model: &Model,
    joined: &Joined,
    role_identity: &BTreeMap<usize, String>,
    configured: &str,
) -> Option<usize> {
    let (ns, name) = configured.split_once('/').unwrap_or(("kube-system", "keda-operator"));
    let roles: BTreeSet<usize> = model
        .service_accounts
        .iter()
        .enumerate()
        .filter(|(_, s)| (s.namespace == ns && s.name == name) || s.name == "keda-operator")
        .filter_map(|(si, _)| joined.sa_role[si].filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted())))
        .filter(|ri| role_identity.contains_key(ri))
        .collect();
    (roles.len() == 1).then(|| roles.first().copied()).flatten()
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
///
/// The steps: group the triggers by the authentication they reference ([`group_triggers`]); per shared
/// authentication, plan a derived one for each identity but the first ([`plan_splits`]); per role named in a
/// trigger's metadata without an authentication, plan a fresh one ([`plan_fresh`]); name them all at once,
/// unique against the input's; then add them ([`add_split`], [`add_fresh`]).
pub fn bind(
    model: &Model,
    files: &Files,
    needs: KedaNeeds,
    role_identity: &BTreeMap<usize, String>,
    mapped: impl Fn(&Resolved) -> bool,
    sink: &mut Sink,
) -> Bindings {
    let mut out = Bindings { held: needs.held, ..Bindings::default() };
    let (groups, fresh) = group_triggers(model, &needs.triggers, role_identity, mapped, &mut out.triggers);
    // Names: derived ones checked against every authentication of the input, per kind and namespace.
    let mut requests: Vec<NameReq> = Vec::new();
    for a in &model.trigger_auths {
        requests.push((format!("{}/{}", a.kind, a.namespace), a.name.clone(), format!("input:{}", a.name)));
    }
    let splits = plan_splits(model, files, &groups, &mut out.auths, &mut requests, sink);
    let fresh_ok = plan_fresh(model, files, fresh, &mut out.triggers, &mut requests, sink);
    let (names, _) =
        crate::mapping::naming::unique_names(requests.iter().map(|(d, n, src)| crate::mapping::naming::NameRequest {
            domain: d,
            rule: "queue",
            aws_name: n,
            source: src,
        }));
    for split in splits {
        add_split(model, files, &names, split, &mut out);
    }
    for fresh in fresh_ok {
        add_fresh(model, files, &names, fresh, &mut out);
    }
    out.added.sort_by(|a, b| (&a.file, &a.namespace, &a.name).cmp(&(&b.file, &b.namespace, &b.name)));
    out
}

/// Per input authentication: the identities its triggers authenticate as, in input order, with their triggers.
type Group = Vec<(Option<String>, Vec<TriggerId>)>;
/// A name to give: (uniqueness domain, AWS-side name, source), as [`crate::mapping::naming::NameRequest`] reads it.
type NameReq = (String, String, String);
/// An authentication split for one identity: the input authentication, the identity, its triggers.
type Split = (AuthKey, Option<String>, Vec<TriggerId>);
/// Triggers with a role in their metadata and no authentication: (namespace, identity) and the triggers.
type Fresh = ((String, String), Vec<TriggerId>);
/// [`Fresh`] triggers by (namespace, identity).
type FreshGroups = BTreeMap<(String, String), Vec<TriggerId>>;

/// Records each trigger on a mapped queue in `triggers` (its queue and the authentication it references), and
/// groups them: by the authentication they reference (in order of first use), and — a role in the metadata, no
/// authentication — by (namespace, identity).
fn group_triggers(
    model: &Model,
    resolved: &BTreeMap<TriggerId, Resolved>,
    role_identity: &BTreeMap<usize, String>,
    mapped: impl Fn(&Resolved) -> bool,
    triggers: &mut BTreeMap<TriggerId, (String, AuthRef)>,
) -> (Vec<(AuthKey, Group)>, FreshGroups) {
    let mut groups: BTreeMap<AuthKey, Group> = BTreeMap::new();
    let mut group_order: Vec<AuthKey> = Vec::new();
    let mut fresh = FreshGroups::new();
    for (&(si, ti), r) in resolved {
        if !mapped(r) {
            continue;
        }
        let (s, t) = (&model.scalers[si], &model.scalers[si].triggers[ti]);
        let identity = r.role.and_then(|ri| role_identity.get(&ri).cloned());
        triggers.insert((si, ti), (r.arn.clone(), t.auth_ref.clone()));
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
    let groups = group_order
        .into_iter()
        .map(|key| {
            let g = groups.remove(&key).expect("ordered");
            (key, g)
        })
        .collect();
    (groups, fresh)
}

/// Each authentication keeps the first identity of its triggers (`auths`). One shared by triggers of several
/// identities is split: a derived authentication per other identity (its name requested), when one can be added
/// beside it; else E2A054 and the others scale as the first.
fn plan_splits(
    model: &Model,
    files: &Files,
    groups: &[(AuthKey, Group)],
    auths: &mut BTreeMap<AuthKey, Option<String>>,
    requests: &mut Vec<NameReq>,
    sink: &mut Sink,
) -> Vec<Split> {
    let mut splits: Vec<Split> = Vec::new();
    for (key, g) in groups {
        auths.insert(key.clone(), g[0].0.clone());
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
    splits
}

/// A role named in a trigger's metadata, with no authentication: a fresh TriggerAuthentication per (namespace,
/// identity) (its name requested), when one can be added beside the scaler; else its triggers are left as they
/// are (removed from `triggers`, reported).
fn plan_fresh(
    model: &Model,
    files: &Files,
    fresh: FreshGroups,
    triggers: &mut BTreeMap<TriggerId, (String, AuthRef)>,
    requests: &mut Vec<NameReq>,
    sink: &mut Sink,
) -> Vec<Fresh> {
    let mut fresh_ok: Vec<Fresh> = Vec::new();
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
                triggers.remove(&(si, ti));
                let s = &model.scalers[si];
                sink.push(
                    rules::KEDA_TRIGGER,
                    format!("{} {}/{}: the trigger names `awsRoleArn` and no authentication, and none can be added beside it (not a top-level document of a YAML file); the trigger is left as it is", s.kind, s.namespace, s.name),
                    Some(s.triggers[ti].loc),
                );
            }
        }
    }
    fresh_ok
}

/// A trigger as [`AddedAuth::triggers`] lists it: `Kind namespace/name#index`.
fn trigger_label(model: &Model, (si, ti): TriggerId) -> String {
    let s = &model.scalers[si];
    format!("{} {}/{}#{ti}", s.kind, s.namespace, s.name)
}

/// Adds the authentication derived from a shared one for one identity (beside it, in its file and apiVersion),
/// and points that identity's triggers at it.
fn add_split(model: &Model, files: &Files, names: &Names, split: Split, out: &mut Bindings) {
    let ((kind, ns, name), identity, ts) = split;
    let auth =
        model.trigger_auths.iter().find(|a| (&a.kind, &a.namespace, &a.name) == (&kind, &ns, &name)).expect("checked");
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
        triggers: ts.iter().map(|&t| trigger_label(model, t)).collect(),
        file: files.display_shared(auth.loc.file),
        file_id: auth.loc.file,
    });
}

/// Adds the fresh TriggerAuthentication of one (namespace, identity) (in the file of its first trigger's scaler),
/// and points its triggers at it.
fn add_fresh(model: &Model, files: &Files, names: &Names, fresh: Fresh, out: &mut Bindings) {
    let ((ns, identity), ts) = fresh;
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
        triggers: ts.iter().map(|&t| trigger_label(model, t)).collect(),
        file: files.display_shared(file),
        file_id: file,
    });
}
