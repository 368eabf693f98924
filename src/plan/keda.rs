//! KEDA: which triggers carry over to Azure scalers, and what they need. A trigger that authenticated with the
//! workload's own role (`podIdentity.provider: aws` with `identityOwner: workload`, or the older `aws-eks`) becomes
//! an Azure scaler authenticating as the workload's identity (`azure-workload` + `identityId`): that identity needs
//! read access to the queue and a federated credential for the KEDA operator's ServiceAccount. A trigger that named
//! a role (`awsRoleArn` in its metadata, or `podIdentity.roleArn`) authenticates as the identity planned for that
//! role. One authentication shared by triggers that authenticate as different identities is split: the first
//! identity (its triggers sorted by namespace, name, kind, index) keeps it, each other gets a derived authentication
//! the rewrite adds to the output ([`Bindings`], [`AddedAuth`]), or, when it cannot be added safely, E2A054. One also
//! used by triggers that stay on AWS stays as it is for them, and every translated identity gets a derived one.
//!
//! A scaler's scale target and its authentication are the ones nearest its file ([`target_workload`],
//! [`trigger_auth`]: the longest common directory prefix, as a workload is joined to its ServiceAccount). When the
//! cluster cannot be known (E2A129), or the authentication is not in the input (E2A029), the trigger is left as it is.

use crate::diag::files::common_prefix_len;
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
#[derive(Debug, Clone, Default)]
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
    /// The authentication it references (index into `model.trigger_auths`, the nearest one: [`trigger_auth`]).
    pub auth: Option<usize>,
    /// The env values its queue is read from (`queueURLFromEnv`): held when the trigger is left as it is.
    pub env: Vec<Loc>,
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

/// Workloads by (kind, namespace, name) — one per cluster directory that declares it —, built once so resolving
/// every scaler stays linear.
pub type WorkloadIndex = BTreeMap<(String, String, String), Vec<usize>>;

/// Builds the [`WorkloadIndex`].
pub fn workload_index(model: &Model) -> WorkloadIndex {
    let mut index = WorkloadIndex::new();
    for (i, w) in model.workloads.iter().enumerate() {
        index.entry((w.kind.to_string(), w.namespace.to_string(), w.name.clone())).or_default().push(i);
    }
    index
}

/// Which of the objects a scaler names by (kind, namespace, name) it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Near {
    /// None is in the input.
    Absent,
    /// This one (an index): the only one, or the one whose file is nearest the scaler's.
    One(usize),
    /// Several are equally near (one per cluster directory, none of them the scaler's): the cluster is unknown.
    Several(Vec<usize>),
}

impl Near {
    /// The one object, when it is known.
    pub fn one(&self) -> Option<usize> {
        if let Near::One(i) = self { Some(*i) } else { None }
    }
}

/// Among `cands` (an index and its file), the one whose file shares the longest directory prefix with `from` —
/// the rule that joins a workload to its ServiceAccount (`graph::build`) and an association to its cluster
/// (`graph::associations`). Never decided by file or document order.
fn nearest(files: &Files, from: FileId, cands: impl IntoIterator<Item = (usize, FileId)>) -> Near {
    let at = files.display(from);
    let scored: Vec<(usize, usize)> =
        cands.into_iter().map(|(i, f)| (i, common_prefix_len(files.display(f), at))).collect();
    let best = scored.iter().map(|&(_, l)| l).max();
    let mut near: Vec<usize> = scored.iter().filter(|&&(_, l)| Some(l) == best).map(|&(i, _)| i).collect();
    near.sort_unstable();
    match near[..] {
        [] => Near::Absent,
        [one] => Near::One(one),
        _ => Near::Several(near),
    }
}

/// The workload a scaler scales (index into `model.workloads`): of its scale target's (kind, namespace, name), the
/// one nearest the scaler's file ([`nearest`]).
pub fn target_workload(model: &Model, files: &Files, index: &WorkloadIndex, s: &Scaler) -> Near {
    let key = if s.kind == "ScaledJob" {
        ("ScaledJob".to_string(), s.namespace.clone(), s.name.clone())
    } else {
        let Some((kind, name)) = s.target.as_ref() else { return Near::Absent };
        (kind.clone(), s.namespace.clone(), name.clone())
    };
    let cands = index.get(&key).into_iter().flatten().map(|&wi| (wi, model.workloads[wi].template_loc.file));
    nearest(files, model.objects[s.object].loc.file, cands)
}

/// The authentication a trigger references (index into `model.trigger_auths`): of the ones of its kind, name (and
/// namespace, for a TriggerAuthentication), the one nearest the scaler's file ([`nearest`]). `Absent` when the
/// trigger references none, or one the input does not have.
pub fn trigger_auth(model: &Model, files: &Files, s: &Scaler, t: &Trigger) -> Near {
    let Some((kind, name)) = t.auth_ref.as_ref() else { return Near::Absent };
    let cands = model.trigger_auths.iter().enumerate().filter(|(_, a)| {
        &a.name == name && &a.kind == kind && (a.kind == "ClusterTriggerAuthentication" || a.namespace == s.namespace)
    });
    nearest(files, model.objects[s.object].loc.file, cands.map(|(ai, a)| (ai, a.loc.file)))
}

/// Who a trigger authenticates as, from its TriggerAuthentication and its own metadata. A referenced
/// authentication that is not known ([`Analyser::unknown_cluster_or_auth`]) has been reported before.
pub fn auth_owner(model: &Model, files: &Files, s: &Scaler, t: &Trigger) -> AuthOwner {
    if t.metadata.get("identityOwner").is_some_and(|o| o == "operator") {
        return AuthOwner::Operator;
    }
    if let Some(arn) = t.metadata.get("awsRoleArn") {
        return AuthOwner::Role(arn.clone(), true);
    }
    match trigger_auth(model, files, s, t).one().map(|ai| &model.trigger_auths[ai]) {
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
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    model: &Model,
    files: &Files,
    joined: &Joined,
    tables: &crate::mapping::Tables,
    targets: &crate::mapping::need::TargetChoice,
    role_identity: &BTreeMap<usize, String>,
    keda_operator: &str,
    sink: &mut Sink,
) -> KedaNeeds {
    let operator = operator_role(model, joined, role_identity, keda_operator);
    let mut an =
        Analyser { model, files, joined, tables, targets, role_identity, operator, needs: KedaNeeds::default(), sink };
    let index = workload_index(model);
    for (si, s) in model.scalers.iter().enumerate() {
        let near = target_workload(model, files, &index, s);
        let workload = near.one();
        let role = workload.and_then(|wi| {
            let si = joined.workload_sa[wi];
            joined.sa_role[si].filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
        });
        let what = format!("{} {}/{}", s.kind, s.namespace, s.name);
        let sc = ScalerView { si, s, workload, near, role, what };
        for (ti, t) in s.triggers.iter().enumerate() {
            let carried = t.trigger_type == "aws-sqs-queue" || tables.keda_triggers.get(&t.trigger_type).is_some();
            if carried && an.unknown_cluster_or_auth(&sc, t) {
                continue;
            }
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
            if let Some(r) = an.needs.triggers.get_mut(&(si, ti)) {
                r.auth = trigger_auth(model, files, s, t).one();
                r.env = env_locs(model, workload, t);
            }
        }
    }
    an.needs
}

/// The state of [`analyse`]: what it reads, and the needs it gathers.
struct Analyser<'m, 'k> {
    model: &'m Model,
    files: &'m Files,
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
    /// The workloads it may scale: [`Near::Several`] when its cluster is unknown.
    near: Near,
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
        let resolved = |role, role_in_metadata| Resolved {
            arn: arn.clone(),
            role,
            role_in_metadata,
            azure_type: None,
            ..Resolved::default()
        };
        match auth_owner(self.model, self.files, sc.s, t) {
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
        let resolved = |role| Resolved {
            arn: arn.to_string(),
            role,
            role_in_metadata: t.auth_ref.is_none(),
            azure_type: None,
            ..Resolved::default()
        };
        let Some(ri) = self.operator else {
            self.sink.push(
                rules::KEDA_TRIGGER,
                format!("{}: the trigger used KEDA's own AWS role, and no ServiceAccount of the KEDA operator with an IAM role is in the input: when its queue is mapped, the trigger is rewritten to authenticate as KEDA's own identity (`azure-workload` without `identityId`), for which no Azure identity, role or federated credential is generated; give the KEDA operator an identity with Storage Queue Data Reader on the queue and annotate its ServiceAccount with that identity's client id (the identity KEDA uses for an `azure-workload` authentication without `identityId`)", sc.what),
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
                Resolved {
                    arn: arn.to_string(),
                    role: Some(ri),
                    role_in_metadata: in_metadata,
                    azure_type: None,
                    ..Resolved::default()
                },
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

impl Analyser<'_, '_> {
    /// True (reported, and the env values it may read held) when a trigger that could carry over cannot be joined:
    /// its scale target or its authentication is declared in several clusters and none is nearer the scaler's file
    /// (E2A129), or its authentication is not in the input (E2A029, E2A103 for a trigger of the table): then who it
    /// authenticates as, and on which queue, is unknown, and it is left as it is.
    fn unknown_cluster_or_auth(&mut self, sc: &ScalerView, t: &Trigger) -> bool {
        let (model, files) = (self.model, self.files);
        let at = |l: Loc| format!("{}:{}", files.display(l.file), l.pos.line);
        let file = files.display(model.objects[sc.s.object].loc.file);
        let auth_shown = t.auth_ref.as_ref().map(|(kind, name)| {
            let ns =
                if kind == "ClusterTriggerAuthentication" { String::new() } else { format!("{}/", sc.s.namespace) };
            format!("{kind} `{ns}{name}`")
        });
        let (code, why, held) = if let Near::Several(ws) = &sc.near {
            let (kind, name) = sc.s.target.clone().unwrap_or_else(|| (sc.s.kind.clone(), sc.s.name.clone()));
            let copies: Vec<String> = ws.iter().map(|&wi| at(model.workloads[wi].template_loc)).collect();
            let why = format!(
                "its scale target {kind} {}/{name} is declared in several clusters ({}) and none is nearer the {}'s file ({file}), so which cluster's workload it scales cannot be known",
                sc.s.namespace,
                copies.join(", "),
                sc.s.kind
            );
            let held = ws.iter().flat_map(|&wi| env_locs(model, Some(wi), t)).collect();
            (rules::KEDA_CLUSTER_UNKNOWN, why, held)
        } else {
            let shown = auth_shown.clone().unwrap_or_default();
            let why = match trigger_auth(model, files, sc.s, t) {
                Near::One(_) => return false,
                Near::Absent if t.auth_ref.is_none() => return false,
                Near::Absent => format!(
                    "its authentication {shown} is not in the input, so who it authenticates as cannot be known"
                ),
                Near::Several(auths) => {
                    let copies: Vec<String> = auths.iter().map(|&ai| at(model.trigger_auths[ai].loc)).collect();
                    format!(
                        "its authentication {shown} is declared in several clusters ({}) and none is nearer the {}'s file ({file}), so which one it uses cannot be known",
                        copies.join(", "),
                        sc.s.kind
                    )
                }
            };
            let code = match (trigger_auth(model, files, sc.s, t), t.trigger_type.as_str()) {
                (Near::Several(_), _) => rules::KEDA_CLUSTER_UNKNOWN,
                (_, "aws-sqs-queue") => rules::KEDA_TRIGGER,
                _ => rules::KEDA_TRIGGER_SOURCE_UNMAPPED,
            };
            (code, why, env_locs(model, sc.workload, t))
        };
        let left = if held.is_empty() {
            "the trigger is left as it is"
        } else {
            "the trigger and the env values it reads are left as they are"
        };
        let msg = format!("{}: `{}` trigger: {why}; {left}", sc.what, t.trigger_type);
        self.sink.push(code, msg, Some(t.loc));
        self.needs.held.extend(held);
        true
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
        self.needs
            .triggers
            .insert((sc.si, ti), Resolved { arn, role, role_in_metadata, azure_type, ..Resolved::default() });
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
        let why = match auth_owner(self.model, self.files, sc.s, t) {
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
/// An authentication of the input: its index in `model.trigger_auths`.
pub type AuthKey = usize;
/// The authentication a trigger references: (kind, name).
pub type AuthRef = Option<(String, String)>;

/// How the rewrite carries KEDA over: decided once the plan's resources are named.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// Per rewritten trigger (scaler, trigger index): its queue and the authentication (kind, name) it references.
    pub triggers: BTreeMap<TriggerId, (String, AuthRef)>,
    /// Input authentications that are rewritten (by index in `model.trigger_auths`), with the identity they carry.
    pub auths: BTreeMap<AuthKey, Option<String>>,
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
    let splits = plan_splits(model, files, &groups, &mut out, &needs.triggers, &mut requests, sink);
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
/// groups them: by the authentication they reference, and — a role in the metadata, no authentication — by
/// (namespace, identity). A group's identities come in the order of their triggers sorted by (namespace, name,
/// kind, trigger index, identity): never by file or document order, so which identity keeps a shared
/// authentication does not depend on file names.
fn group_triggers(
    model: &Model,
    resolved: &BTreeMap<TriggerId, Resolved>,
    role_identity: &BTreeMap<usize, String>,
    mapped: impl Fn(&Resolved) -> bool,
    triggers: &mut BTreeMap<TriggerId, (String, AuthRef)>,
) -> (Vec<(AuthKey, Group)>, FreshGroups) {
    let mut groups: BTreeMap<AuthKey, Group> = BTreeMap::new();
    let mut fresh = FreshGroups::new();
    let mut sorted: Vec<(TriggerId, &Resolved, Option<String>)> = resolved
        .iter()
        .filter(|(_, r)| mapped(r))
        .map(|(&id, r)| (id, r, r.role.and_then(|ri| role_identity.get(&ri).cloned())))
        .collect();
    sorted.sort_by(|((a, ta), _, ia), ((b, tb), _, ib)| {
        let (x, y) = (&model.scalers[*a], &model.scalers[*b]);
        (&x.namespace, &x.name, &x.kind, ta, ia).cmp(&(&y.namespace, &y.name, &y.kind, tb, ib))
    });
    for ((si, ti), r, identity) in sorted {
        let (s, t) = (&model.scalers[si], &model.scalers[si].triggers[ti]);
        triggers.insert((si, ti), (r.arn.clone(), t.auth_ref.clone()));
        match (r.auth, &identity) {
            (Some(ai), _) => {
                let g = groups.entry(ai).or_default();
                match g.iter_mut().find(|(i, _)| *i == identity) {
                    Some((_, ts)) => ts.push((si, ti)),
                    None => g.push((identity, vec![(si, ti)])),
                }
            }
            (None, Some(id)) if r.role_in_metadata && t.auth_ref.is_none() => {
                fresh.entry((s.namespace.clone(), id.clone())).or_default().push((si, ti));
            }
            _ => {}
        }
    }
    (groups.into_iter().collect(), fresh)
}

/// Per input authentication, the triggers that reference it and are not rewritten (they stay on AWS, so it must
/// stay as it is for them). A trigger whose authentication is one of several equally near (E2A129) counts for
/// each of them.
fn staying_users(
    model: &Model,
    files: &Files,
    rewritten: &BTreeMap<TriggerId, (String, AuthRef)>,
) -> BTreeMap<AuthKey, Vec<TriggerId>> {
    let mut users: BTreeMap<AuthKey, Vec<TriggerId>> = BTreeMap::new();
    for (si, s) in model.scalers.iter().enumerate() {
        for (ti, t) in s.triggers.iter().enumerate() {
            if rewritten.contains_key(&(si, ti)) {
                continue;
            }
            let auths = match trigger_auth(model, files, s, t) {
                Near::Absent => Vec::new(),
                Near::One(ai) => vec![ai],
                Near::Several(v) => v,
            };
            for ai in auths {
                users.entry(ai).or_default().push((si, ti));
            }
        }
    }
    users
}

/// Each authentication keeps the first identity of its triggers (`auths`). One shared by triggers of several
/// identities is split: a derived authentication per other identity (its name requested), when one can be added
/// beside it; else E2A054 and the others scale as the first. One also used by triggers that are not rewritten
/// ([`staying_users`]) stays as it is for them: every identity gets a derived authentication, or, when none can be
/// added, its rewritten triggers are left as they are too ([`leave_group`]).
fn plan_splits(
    model: &Model,
    files: &Files,
    groups: &[(AuthKey, Group)],
    out: &mut Bindings,
    resolved: &BTreeMap<TriggerId, Resolved>,
    requests: &mut Vec<NameReq>,
    sink: &mut Sink,
) -> Vec<Split> {
    let staying = staying_users(model, files, &out.triggers);
    let mut splits: Vec<Split> = Vec::new();
    for (ai, g) in groups {
        let auth = &model.trigger_auths[*ai];
        let stays = staying.get(ai).filter(|v| !v.is_empty());
        let appendable = can_append(files, auth.loc);
        if let (Some(users), false) = (stays, appendable) {
            leave_group(model, files, *ai, g, users, out, resolved, sink);
            continue;
        }
        let split_from = if stays.is_some() { 0 } else { 1 };
        if stays.is_none() {
            out.auths.insert(*ai, g[0].0.clone());
        }
        if g.len() <= split_from {
            continue;
        }
        let (kind, name) = (&auth.kind, &auth.name);
        let ns = &auth.namespace;
        if appendable {
            for (identity, ts) in &g[split_from..] {
                requests.push((
                    format!("{kind}/{ns}"),
                    format!("{name}-{}", identity.as_deref().unwrap_or("keda")),
                    format!("split:{name}/{}", identity.as_deref().unwrap_or("")),
                ));
                splits.push((*ai, identity.clone(), ts.clone()));
            }
            continue;
        }
        let shown: Vec<String> = g
            .iter()
            .map(|(i, _)| i.as_deref().map_or("KEDA's own identity".to_string(), |i| format!("`{i}`")))
            .collect();
        let why = "it is not a top-level document of a YAML file, so no authentication can be added beside it";
        sink.push(
            rules::KEDA_AUTH_SHARED,
            format!("{kind} `{}{name}` is used by triggers that authenticate as different identities ({}); {why}: it is rewritten for {} only, and the other triggers would scale as that identity", if ns.is_empty() { String::new() } else { format!("{ns}/") }, shown.join(", "), shown[0]),
            Some(auth.loc),
        );
    }
    splits
}

/// An authentication used by triggers that stay on AWS (`users`) and by rewritten ones (`g`), beside which no
/// authentication can be added: it stays as it is, and so do the rewritten triggers and the env values they read
/// (E2A029 at each).
#[allow(clippy::too_many_arguments)]
fn leave_group(
    model: &Model,
    files: &Files,
    ai: AuthKey,
    g: &Group,
    users: &[TriggerId],
    out: &mut Bindings,
    resolved: &BTreeMap<TriggerId, Resolved>,
    sink: &mut Sink,
) {
    let auth = &model.trigger_auths[ai];
    let ns = if auth.namespace.is_empty() { String::new() } else { format!("{}/", auth.namespace) };
    let stay: Vec<String> = users.iter().map(|&t| trigger_label(model, t)).collect();
    for &(si, ti) in g.iter().flat_map(|(_, ts)| ts) {
        out.triggers.remove(&(si, ti));
        let env = resolved.get(&(si, ti)).map(|r| r.env.clone()).unwrap_or_default();
        let left = if env.is_empty() {
            "the trigger is left as it is"
        } else {
            "the trigger and the env values it reads are left as they are"
        };
        let s = &model.scalers[si];
        sink.push(
            rules::KEDA_TRIGGER,
            format!("{} {}/{}: the trigger's authentication {} `{ns}{}` is also used by triggers that stay on AWS ({}), so it stays as it is, and no authentication can be added beside it ({}: not a top-level document of a YAML file); {left}", s.kind, s.namespace, s.name, auth.kind, auth.name, stay.join(", "), files.display(auth.loc.file)),
            Some(s.triggers[ti].loc),
        );
        out.held.extend(env);
    }
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

/// The triggers an added authentication lists, sorted (never in file order).
fn labels(model: &Model, ts: &[TriggerId]) -> Vec<String> {
    let mut v: Vec<String> = ts.iter().map(|&t| trigger_label(model, t)).collect();
    v.sort();
    v
}

/// A trigger as [`AddedAuth::triggers`] lists it: `Kind namespace/name#index`.
fn trigger_label(model: &Model, (si, ti): TriggerId) -> String {
    let s = &model.scalers[si];
    format!("{} {}/{}#{ti}", s.kind, s.namespace, s.name)
}

/// Adds the authentication derived from a shared one for one identity (beside it, in its file and apiVersion),
/// and points that identity's triggers at it.
fn add_split(model: &Model, files: &Files, names: &Names, split: Split, out: &mut Bindings) {
    let (ai, identity, ts) = split;
    let auth = &model.trigger_auths[ai];
    let (kind, ns, name) = (&auth.kind, &auth.namespace, &auth.name);
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
        triggers: labels(model, &ts),
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
        triggers: labels(model, &ts),
        file: files.display_shared(file),
        file_id: file,
    });
}
