//! Stage 4: the plan — every decision and every gap (finding), fully resolved and sorted. Serialises as
//! `plan.json` (schema `eks2aks/plan/v1`, see the CLI contract). Every manifest edit is decided here
//! ([`edits`]); `render/k8s.rs` reads the input text only to find each edit's place and to quote what it keeps.

use crate::diag::{Files, Finding, Loc, Severity, Sink};
use crate::graph::Joined;
use crate::mapping::Tables;
use crate::mapping::choose::{Choice, ChooseOptions, Chooser, Perm};
use crate::mapping::naming;
use crate::mapping::need::{self, ScopeKey, TargetChoice};
use crate::model::{Arn, AwsRefKind, Model};
use crate::rules;
use serde::Serialize;

pub mod addons;
pub mod bridge;
mod build;
pub mod cloud;
pub mod dns_secrets;
pub mod edits;
mod eksctl_sas;
mod embedded_values;
pub mod keda;
pub mod keda_triggers;
pub mod ledger;
pub mod names_in_config;
mod shared_anchors;
pub mod soundness;
pub mod storage_configs;
pub mod storage_text;
mod unused_sas;
pub mod verify;
pub mod waivers;
pub mod zone_conflicts;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The schema id written into `plan.json`.
pub const SCHEMA: &str = "eks2aks/plan/v1";

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// One Azure managed identity per IAM role used by a ServiceAccount.
    pub identities: Vec<Identity>,
    /// Every AWS resource the input names.
    pub resources: Vec<Resource>,
    /// Everything that runs pods.
    pub workloads: Vec<WorkloadEntry>,
    /// Custom role definitions proposed where no built-in role is tight enough.
    pub custom_roles: Vec<CustomRole>,
    /// Findings, sorted by file, line, code.
    pub findings: Vec<FindingEntry>,
    /// Counts for the summary line.
    pub summary: Summary,
    /// KEDA authentications the manifest rewrite adds (a shared one split per identity, one for a trigger that
    /// named its role): every object of the output is in the plan. Left out of `plan.json` when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keda_authentications: Vec<keda::AddedAuth>,
    /// How the rewrite carries each KEDA trigger and authentication over (not serialised).
    #[serde(skip)]
    pub keda: Box<keda::Bindings>,
    /// Every edit `translate` makes to the input manifests, by file ([`edits`]).
    pub manifest_edits: Vec<edits::FileEdits>,
    /// The edits of the manifests of workloads that stay on EKS (`bridge_from_eks`). Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eks_side_edits: Vec<edits::FileEdits>,
    /// The ECR images the workloads run, imported by `acr-import.sh`. Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ecr_images: Vec<edits::EcrImage>,
    /// The scope kinds the plan was made with (`mappings/scopes.yaml`, with `--mappings` overrides): how the
    /// outputs write each scope's resource id, parameters and parents (not serialised).
    #[serde(skip)]
    pub scopes: Arc<crate::mapping::load::Scopes>,
    /// The AWS add-ons AKS replaces (`mappings/addons.yaml`): no identity is made for them. Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<addons::AddonEntry>,
    /// The add-ons' objects (indexes into `model.objects`): kept unchanged, no edit (not serialised).
    #[serde(skip)]
    pub addon_objects: BTreeSet<usize>,
}

/// An Azure user-assigned managed identity, from one IAM role.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// Azure managed identity name.
    pub name: String,
    /// The IAM role it replaces.
    pub aws_role_arn: String,
    /// ServiceAccounts that assume the role and that its trust admits.
    pub service_accounts: Vec<SaRef>,
    /// One federated credential per admitted ServiceAccount.
    pub federated_credentials: Vec<FederatedCredential>,
    /// Role assignments (filled by the mapping stage).
    pub role_assignments: Vec<RoleAssignment>,
    /// The AWS permission statements in force for the role.
    pub aws_permissions: Vec<AwsPermission>,
    /// EKS OIDC providers (clusters) the role trusts.
    pub aws_oidc_providers: Vec<String>,
    /// The AWS role that lets this identity reach what stays on AWS (phased migration), if any. Boxed: most
    /// identities have none, and inline it tripled the size of every identity.
    pub aws_bridge: Option<Box<bridge::Bridge>>,
    /// Where each of those ServiceAccounts is declared: the manifest rewrite gives the client id to these
    /// objects, not to every ServiceAccount of that namespace and name (two clusters may each have one).
    #[serde(skip)]
    pub service_account_locs: Vec<Loc>,
    /// The statements whose KMS actions serve only a service's server-side encryption (E2A106): no role is
    /// needed for them, and the coverage ledger counts them as translated.
    #[serde(skip)]
    pub kms_server_side: Vec<Loc>,
}

/// A ServiceAccount reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SaRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// A federated identity credential.
#[derive(Debug, Clone, Serialize)]
pub struct FederatedCredential {
    /// Credential name.
    pub name: String,
    /// Issuer: the AKS OIDC issuer URL, or `param:aksOidcIssuerUrl` when it is a deployment parameter (shared by
    /// the credentials that use it).
    pub issuer: Arc<str>,
    /// `system:serviceaccount:<ns>:<sa>`.
    pub subject: String,
    /// Always `api://AzureADTokenExchange` (shared).
    pub audience: Arc<str>,
}

/// A role assignment (see the mapping stage).
#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    /// Role name (a built-in role's is shared with the mapping tables).
    pub role_name: Arc<str>,
    /// Role definition GUID (shared, like the name).
    pub role_definition_id: Arc<str>,
    /// True for a custom role.
    pub custom: bool,
    /// Where it is assigned.
    pub scope: Scope,
    /// AWS actions it replaces (shared by every assignment a thread plans: 150,000 of them name a few hundred
    /// actions on a 10,000-role run).
    pub aws_actions: Vec<Arc<str>>,
    /// Data actions the role grants beyond the need.
    pub excess_data_actions: Vec<String>,
    /// `arm`, or `cosmos-sql` for Cosmos DB data-plane roles (sqlRoleAssignments).
    pub kind: Arc<str>,
    /// ABAC condition (blob path), with `condition_version` 2.0; null when none.
    pub condition: Option<need::BlobPathCondition>,
}

/// The scope of an assignment.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// queue, table, container, storage_account, key_vault, … (shared with the mapping tables)
    pub kind: Arc<str>,
    /// Azure name (shared by the assignments on one scope).
    pub azure_name: Arc<str>,
    /// The AWS resource it corresponds to (`*` when widened; shared like the name).
    pub aws_arn: Arc<str>,
    /// The Azure resource type of the scope's target service (shared with the mapping tables).
    pub azure_type: Arc<str>,
    /// The mapping target (`storage-queue`, `service-bus`, …; shared by every assignment to it).
    pub target: Arc<str>,
    /// Wider than the AWS resources the role named, and reported (E2A017): `Resource: "*"`, or a resource Azure
    /// cannot assign a role to (see `need::has_own_scope`). Read by the soundness check; not in plan.json (the kind,
    /// name and `aws_arn` say it).
    #[serde(skip)]
    pub widened: bool,
}

/// A custom role definition.
#[derive(Debug, Clone, Serialize)]
pub struct CustomRole {
    /// Role name.
    pub name: String,
    /// Deterministic GUID (name-based), the same in plan.json and Bicep.
    pub role_definition_id: String,
    /// Data actions, exactly the need.
    pub data_actions: Vec<String>,
    /// Control-plane actions, exactly the need.
    pub actions: Vec<String>,
    /// What the best built-in role set would have granted beyond the need.
    pub avoided_excess_data_actions: Vec<String>,
}

/// One AWS permission statement. It shares the statement with the model and the file name with the file list;
/// its fields (actions, resources, conditions as text) are produced when it is serialised.
#[derive(Debug, Clone)]
pub struct AwsPermission {
    /// Policy it comes from.
    pub policy: Arc<str>,
    /// The statement.
    pub statement: std::sync::Arc<crate::model::Statement>,
    /// Input file.
    pub file: std::sync::Arc<str>,
}

impl AwsPermission {
    /// `Allow` or `Deny`.
    pub fn effect(&self) -> &'static str {
        match self.statement.effect {
            crate::model::Effect::Allow => "Allow",
            crate::model::Effect::Deny => "Deny",
        }
    }

    /// Actions (or, with [`Self::not_action`], the actions excluded).
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.statement.action.items.iter().map(|(a, _)| &**a)
    }

    /// True for `NotAction`.
    pub fn not_action(&self) -> bool {
        self.statement.action.not
    }

    /// Resources (or, with [`Self::not_resource`], the resources excluded).
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.statement.resource.iter().flat_map(|r| r.items.iter().map(|(a, _)| &**a))
    }

    /// True for `NotResource`.
    pub fn not_resource(&self) -> bool {
        self.statement.resource.as_ref().is_some_and(|r| r.not)
    }

    /// Conditions as `Operator key values`.
    pub fn conditions(&self) -> impl Iterator<Item = String> {
        self.statement.conditions.iter().map(|c| format!("{} {} {}", c.op.raw, c.key, c.values.join("|")))
    }

    /// Line of the statement.
    pub fn line(&self) -> u32 {
        self.statement.loc.pos.line
    }
}

impl Serialize for AwsPermission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("AwsPermission", 9)?;
        st.serialize_field("policy", &self.policy)?;
        st.serialize_field("effect", self.effect())?;
        st.serialize_field("actions", &crate::json::SeqOf(|| self.actions()))?;
        st.serialize_field("not_action", &self.not_action())?;
        st.serialize_field("resources", &crate::json::SeqOf(|| self.resources()))?;
        st.serialize_field("not_resource", &self.not_resource())?;
        st.serialize_field("conditions", &crate::json::SeqOf(|| self.conditions()))?;
        st.serialize_field("file", &*self.file)?;
        st.serialize_field("line", &self.line())?;
        st.end()
    }
}

/// An AWS resource.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// ARN (the same allocation as the planner's index key).
    pub aws_arn: Arc<str>,
    /// IAM service prefix (shared by the resources of a service).
    pub aws_service: Arc<str>,
    /// Azure service that receives it (mapping stage; shared with the mapping tables).
    pub azure_service: Option<Arc<str>>,
    /// Azure resource type (mapping stage; shared with the mapping tables).
    pub azure_type: Option<Arc<str>>,
    /// Azure resource name (mapping stage).
    pub azure_name: Option<String>,
}

/// A workload.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadEntry {
    /// Kind.
    pub kind: Arc<str>,
    /// Namespace.
    pub namespace: Arc<str>,
    /// Name.
    pub name: String,
    /// ServiceAccount.
    pub service_account: Arc<str>,
    /// Managed identity name: the one its containers select with `AWS_ROLE_ARN` (see `env_roles`), else its
    /// ServiceAccount's, when it maps to one.
    pub identity: Option<String>,
    /// Roles its containers name in `AWS_ROLE_ARN` other than the ServiceAccount's (E2A052), with their
    /// identities; a container that sets one gets that identity's `AZURE_CLIENT_ID`. Left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_roles: Vec<EnvRoleRef>,
    /// Input file.
    pub file: Arc<str>,
    /// Line.
    pub line: u32,
}

/// A role a workload's containers name in `AWS_ROLE_ARN`, and the identity planned for it.
#[derive(Debug, Clone, Serialize)]
pub struct EnvRoleRef {
    /// The role ARN, as in the identity's `aws_role_arn`.
    pub aws_role_arn: String,
    /// The managed identity.
    pub identity: String,
}

/// A finding as written in `plan.json` (the plan keeps the findings themselves, see [`Finding`]).
pub type FindingEntry = Finding;

/// Counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Identities.
    pub identities: usize,
    /// ServiceAccounts.
    pub service_accounts: usize,
    /// Workloads.
    pub workloads: usize,
    /// Resources.
    pub resources: usize,
    /// Findings by severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Notes.
    pub notes: usize,
    /// Findings waived by an annotation (not counted above).
    pub waived: usize,
}

/// Plan options.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// AKS OIDC issuer URL, when known.
    pub aks_oidc_issuer: Option<String>,
    /// Target choice (config `targets`, `resource_targets`, `stay_on_aws`).
    pub targets: TargetChoice,
    /// Role choice options (config `custom_roles`).
    pub choose: ChooseOptions,
    /// The KEDA operator's ServiceAccount, `namespace/name`.
    pub keda_operator: String,
    /// The ACR that receives ECR images, when known.
    pub container_registry: Option<String>,
    /// Severity overrides from the config (`None`: off).
    pub rule_overrides: BTreeMap<&'static str, Option<Severity>>,
    /// The whole config (bridges read `stay_on_aws`, `bridge`, `entra`, `bridge_from_eks`).
    pub config: crate::config::Config,
}

impl PlanOptions {
    /// The plan options a config gives.
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        PlanOptions {
            aks_oidc_issuer: cfg.azure.aks_oidc_issuer.clone(),
            targets: crate::mapping::need::TargetChoice {
                by_service: cfg.targets.clone(),
                by_resource: cfg.resource_targets.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                stay_on_aws: cfg.stay_on_aws.clone(),
                zones: cfg
                    .route53
                    .zones
                    .iter()
                    .map(|(k, v)| (k.trim_start_matches('/').trim_start_matches("hostedzone/").to_string(), v.clone()))
                    .collect(),
                ambiguous_zones: Default::default(),
            },
            choose: crate::mapping::choose::ChooseOptions {
                custom_roles: cfg.custom_roles.enabled,
                max_excess: cfg.custom_roles.max_excess,
            },
            keda_operator: cfg.azure.keda_operator.clone().unwrap_or_else(|| "kube-system/keda-operator".into()),
            container_registry: cfg.azure.container_registry.clone(),
            rule_overrides: crate::config::rule_overrides(cfg).unwrap_or_default(),
            config: cfg.clone(),
        }
    }
}

/// Azure's limit of federated credentials on one user-assigned managed identity.
pub const MAX_FEDERATED_CREDENTIALS: usize = 20;

use crate::mapping::naming::resource_name as azure_name;

/// The ARNs each workload names: its env, the ConfigMaps/Secrets it reads, and the KEDA triggers that scale it.
fn named_by_workload(model: &Model) -> Vec<BTreeSet<String>> {
    let mut config: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    for c in &model.config_data {
        config
            .entry((&c.kind, &c.namespace, &c.name))
            .or_default()
            .extend(c.aws_refs.iter().filter(|r| r.kind != AwsRefKind::Name).filter_map(|r| r.arn.as_deref()));
    }
    let mut keda: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for s in &model.scalers {
        let target = match (&s.kind[..], &s.target) {
            ("ScaledObject", Some((_, n))) => n.as_str(),
            _ => s.name.as_str(),
        };
        for t in &s.triggers {
            if let Some(arn) = t.metadata.get("queueURL").and_then(|u| crate::ingest::scan::endpoint_arn(u)) {
                keda.entry((&s.namespace, target)).or_default().push(arn);
            }
        }
    }
    model
        .workloads
        .iter()
        .map(|w| {
            let mut set: BTreeSet<String> = w
                .aws_refs
                .iter()
                .filter(|r| !matches!(r.kind, AwsRefKind::StaticKey | AwsRefKind::Name))
                .filter_map(|r| r.arn.clone())
                .collect();
            for (k, n) in &w.config_refs {
                set.extend(
                    config.get(&(k.as_str(), &*w.namespace, n.as_str())).into_iter().flatten().map(|s| s.to_string()),
                );
            }
            set.extend(keda.get(&(&*w.namespace, w.name.as_str())).into_iter().flatten().cloned());
            set
        })
        .collect()
}

/// Deterministic GUID of a custom role: a name-based (v5) UUID of its permissions, so plan.json, Bicep and every
/// re-run agree.
fn custom_role_id(target: &str, perms: &BTreeSet<Perm>) -> String {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6e6b_7332_616b_7300_8000_0000_0000_0001);
    let key: Vec<String> = perms.iter().map(|p| format!("{}:{}", if p.data { "d" } else { "c" }, p.name)).collect();
    uuid::Uuid::new_v5(&NS, format!("{target}|{}", key.join("|")).as_bytes()).to_string()
}

pub use build::build;

/// The resource of this ARN in the plan's list (sorted by ARN).
fn resource<'a>(resources: &'a [Resource], arn: &str) -> Option<&'a Resource> {
    resources.binary_search_by(|r| (*r.aws_arn).cmp(arn)).ok().map(|i| &resources[i])
}

/// Whether a statement in force of `effect` (a Deny: an unconditional one) names resource `base` (its base ARN, or something under it such as
/// `bucket/*`) with an action of its service: a `NotResource` one when it does not exclude it, a `NotAction` one
/// always.
fn allows_on<'s>(
    tables: &Tables,
    mut statements: impl Iterator<Item = &'s crate::model::Statement>,
    base: &str,
    effect: crate::model::Effect,
) -> bool {
    let service = base.split(':').nth(2).unwrap_or_default();
    statements.any(|s| {
        // A Deny under a condition may not apply: only an unconditional one is said to take it away.
        if s.effect != effect || (effect == crate::model::Effect::Deny && !s.conditions.is_empty()) {
            return false;
        }
        let acts = s.action.not
            || s.action
                .items
                .iter()
                .any(|(a, _)| crate::glob::glob_match(a.split_once(':').map_or(&**a, |(svc, _)| svc), service, true));
        // A Deny names the resource when its pattern can match it or something under it (`arn:aws:s3:::app-*/*`
        // names bucket `app-data`: every object of it), as the subtraction matches it (`need::overlaps`).
        let names = |x: &str| {
            crate::glob::glob_match(x, base, false)
                || need::base_resource(tables, x).is_some_and(|(b, _)| b == base)
                || (effect == crate::model::Effect::Deny && need::overlaps(x, base, service))
        };
        let on = s.resource.as_ref().is_some_and(|r| {
            if r.not {
                !r.items.iter().any(|(x, _)| crate::glob::glob_match(x, base, false))
            } else {
                r.items.iter().any(|(x, _)| names(x))
            }
        });
        acts && on
    })
}

/// What the outputs do with a resource a workload names but its identity is not granted (review 3, d9): a value
/// `translate` rewrites points at the Azure resource, which the outputs declare only where an identity is granted.
fn not_created(identities: &[Identity], res: &Resource, base: &str) -> String {
    let name = res.azure_name.as_deref().unwrap_or_default();
    let kind = res.azure_type.as_deref().unwrap_or("resource");
    if identities.iter().flat_map(|i| &i.role_assignments).any(|a| &*a.scope.aws_arn == base) {
        return format!(
            "; where `translate` rewrites the value, it points at {kind} `{name}`, which the outputs declare for another identity"
        );
    }
    format!(
        "; where `translate` rewrites the value, it points at {kind} `{name}`, which the outputs do not create (`bicep/main.bicep` and `role-assignments.sh` declare only what an identity is granted): it must exist before the workload uses it"
    )
}

/// Resources a workload names, that map to Azure, but that its identity gets no assignment on.
fn not_granted(
    model: &Model,
    joined: &Joined,
    tables: &Tables,
    resources: &[Resource],
    identities: &[Identity],
    role_identity: &BTreeMap<usize, String>,
    sink: &mut Sink,
) {
    let by_name: BTreeMap<&str, &Identity> = identities.iter().map(|i| (i.name.as_str(), i)).collect();
    let config: BTreeMap<(&str, &str, &str), &crate::model::ConfigData> =
        model.config_data.iter().map(|c| ((c.kind.as_str(), c.namespace.as_str(), c.name.as_str()), c)).collect();
    let mut reported: BTreeSet<(Loc, String)> = BTreeSet::new();
    for (wi, w) in model.workloads.iter().enumerate() {
        let Some(identity) = joined
            .workload_role(wi)
            .filter(|(_, v)| v.is_none_or(|v| v.admitted()))
            .and_then(|(ri, _)| role_identity.get(&ri))
            .and_then(|n| by_name.get(n.as_str()))
        else {
            continue;
        };
        let scopes: BTreeSet<&str> = identity.role_assignments.iter().map(|a| &*a.scope.aws_arn).collect();
        let widened: BTreeSet<&str> =
            identity.role_assignments.iter().filter(|a| &*a.scope.aws_arn == "*").map(|a| &*a.scope.target).collect();
        let mut refs: Vec<&crate::model::AwsRef> = w.aws_refs.iter().collect();
        for (k, n) in &w.config_refs {
            if let Some(c) = config.get(&(k.as_str(), &*w.namespace, n.as_str())) {
                refs.extend(c.aws_refs.iter());
            }
        }
        for r in refs.into_iter().filter(|r| matches!(r.kind, AwsRefKind::Endpoint | AwsRefKind::Arn)) {
            let Some((base, _)) = r.arn.as_deref().and_then(|a| need::base_resource(tables, a)) else { continue };
            let Some(res) = resource(resources, &base).filter(|res| res.azure_name.is_some()) else { continue };
            let target_widened = tables.services.get(&*res.aws_service).is_some_and(|svc| {
                svc.targets
                    .iter()
                    .any(|(k, t)| widened.contains(k.as_str()) && Some(&t.azure_type) == res.azure_type.as_ref())
            });
            if scopes.contains(base.as_str()) || target_widened || !reported.insert((r.loc, base.clone())) {
                continue;
            }
            // Why: the role grants nothing there, or it does and eks2aks declined the statement (its finding at
            // the statement says why); "do not grant it" was said of both (review of 4ba9fce).
            let statements = || identity.aws_permissions.iter().map(|p| &*p.statement);
            let (allow, deny) = (crate::model::Effect::Allow, crate::model::Effect::Deny);
            // An explicit Deny that names it is why, not a translation left out (review of 7f7888f).
            let why = if allows_on(tables, statements(), &base, allow) && allows_on(tables, statements(), &base, deny) {
                "its IAM policies grant it, but a Deny names it: what the Deny touches is not granted (see the Deny at the role's statements)"
            } else if allows_on(tables, statements(), &base, allow) {
                "its IAM policies grant it, but what they grant there is not translated (see the findings at the role's statements)"
            } else {
                "its IAM policies do not grant it"
            };
            sink.push(
                rules::RESOURCE_NOT_GRANTED,
                format!(
                    "{} {}/{} names `{base}` (`{}`), but identity `{}` gets no role assignment on it: {why}{}",
                    w.kind,
                    w.namespace,
                    w.name,
                    r.key,
                    identity.name,
                    not_created(identities, res, &base)
                ),
                Some(r.loc),
            );
        }
    }
}

/// ECR images, AWS endpoints that stay in env/ConfigMaps, and AWS SDK variables that `translate` removes.
fn input_findings(model: &Model, tables: &Tables, resources: &[Resource], opts: &PlanOptions, sink: &mut Sink) {
    let mut images: BTreeMap<&str, Loc> = BTreeMap::new();
    for w in &model.workloads {
        for c in &w.containers {
            if let Some((image, loc)) = &c.image
                && crate::ingest::scan::ecr_image(image).is_some()
            {
                images.entry(image).or_insert(*loc);
            }
        }
    }
    for (image, loc) in images {
        let (_, repo) = crate::ingest::scan::ecr_image(image).expect("checked");
        let acr = opts.container_registry.as_deref().unwrap_or("<acr-name>");
        sink.push(rules::ECR_IMAGE, format!("image `{image}` is pulled from Amazon ECR"), Some(loc))
            .with_help(format!("az acr import --name {acr} --source {image} --image {repo}"));
    }
    let mut seen: BTreeSet<Loc> = BTreeSet::new();
    // A Secret's base64 `data` value is pointed at, never shown decoded (README "Output hygiene").
    let encoded: BTreeSet<Loc> = model
        .config_data
        .iter()
        .flat_map(|c| c.aws_refs.iter().filter(|r| c.is_encoded(r.loc.pos)).map(|r| r.loc))
        .collect();
    let refs = model.aws_refs();
    for r in refs {
        if !seen.insert(r.loc) {
            continue;
        }
        match r.kind {
            AwsRefKind::SdkVariable | AwsRefKind::Region => {
                sink.push(
                    rules::AWS_SDK_VARIABLE,
                    format!("`{}` is an AWS SDK variable; the AKS manifest drops it", r.key),
                    Some(r.loc),
                );
            }
            AwsRefKind::Endpoint | AwsRefKind::Arn if r.arn.as_deref().is_some_and(|a| opts.targets.stays(a)) => {}
            AwsRefKind::Endpoint | AwsRefKind::Arn => {
                let mapped = r
                    .arn
                    .as_deref()
                    .and_then(|a| rewritable(tables, a))
                    .and_then(|base| resource(resources, &base))
                    .is_some_and(|res| {
                        res.azure_name.is_some() && url_kind(tables, res.azure_type.as_deref().unwrap_or("")).is_some()
                    });
                if !mapped {
                    let value = if encoded.contains(&r.loc) {
                        "(a Secret's base64 `data` value, not shown)".to_string()
                    } else {
                        format!("`{}`", crate::text::truncate(&r.text))
                    };
                    sink.push(
                        rules::AWS_ENDPOINT_LEFT,
                        format!(
                            "`{}` = {value} points at AWS and has no Azure counterpart in the plan; it is left as it is",
                            r.key
                        ),
                        Some(r.loc),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The base resource an env/ConfigMap ARN or URL can be rewritten to: the ARN must name the resource itself (an S3
/// object key is fine, it becomes the blob path; a DynamoDB stream or index is not the table).
pub fn rewritable(tables: &Tables, arn: &str) -> Option<String> {
    let (base, _) = need::base_resource(tables, arn)?;
    (base == arn || arn.starts_with("arn:aws:s3:::") || arn.starts_with("arn:aws-cn:s3:::")).then_some(base)
}

/// The Azure endpoint family of a resource type that `translate` can write into env values, if any: the
/// `endpoint` of its scope kind in `mappings/scopes.yaml`.
pub fn url_kind<'t>(tables: &'t Tables, azure_type: &str) -> Option<&'t str> {
    tables.scopes.url_kind(azure_type)
}

/// Two ServiceAccounts of one namespace and name bound to different identities (two clusters in one run): each
/// rewritten ServiceAccount gets its own client id, but on the one AKS issuer of a run both identities would
/// federate the same subject, so either pod could sign in as either — never allowed to pass silently.
fn ambiguous_service_accounts(model: &Model, identities: &[Identity], files: &Files, sink: &mut Sink) {
    let by_loc: BTreeMap<Loc, usize> = model.service_accounts.iter().enumerate().map(|(i, s)| (s.loc, i)).collect();
    let mut by_sa: BTreeMap<(&str, &str), BTreeMap<&str, Vec<Loc>>> = BTreeMap::new();
    for id in identities {
        for loc in &id.service_account_locs {
            let Some(&si) = by_loc.get(loc) else { continue };
            let s = &model.service_accounts[si];
            by_sa.entry((&s.namespace, &s.name)).or_default().entry(&id.name).or_default().push(*loc);
        }
    }
    for ((ns, name), ids) in by_sa.into_iter().filter(|(_, ids)| ids.len() > 1) {
        // The INPUT each came from: its shown path without the part relative to the INPUT.
        let roots: BTreeSet<&str> = ids
            .values()
            .flatten()
            .map(|l| {
                let f = files.get(l.file);
                f.display.strip_suffix(f.relative()).unwrap_or(&f.display)
            })
            .collect();
        let list: Vec<String> = ids.keys().map(|i| format!("`{i}`")).collect();
        let how = if roots.len() > 1 {
            "they come from different INPUTs (clusters), but one run targets one AKS cluster (one OIDC issuer), where both identities would federate the same subject and either pod could sign in as either; translate each cluster on its own"
        } else {
            "eks2aks cannot tell the clusters apart (they are under one INPUT); translate each cluster's directory in a run of its own (one AKS cluster, one OIDC issuer per run)"
        };
        // One finding per ServiceAccount name (not one per copy), at its first copy in path order; the message
        // names where every copy is.
        let mut at: Vec<(&str, Loc)> = ids.values().flatten().map(|l| (files.display(l.file), *l)).collect();
        at.sort_by_key(|(d, l)| (*d, l.pos));
        let places: Vec<String> = at.iter().map(|(d, l)| format!("{d}:{}", l.pos.line)).collect();
        sink.push(
            rules::AMBIGUOUS_SERVICE_ACCOUNT,
            format!(
                "ServiceAccount {ns}/{name} is bound to {} identities ({}; defined at {}): {how}; `translate` writes nothing while this stands, e.g. `eks2aks translate <cluster-dir> --out <dir>` once per cluster, each with that AKS cluster's `azure.aks_oidc_issuer` (or `azure.aks_cluster`) in its config",
                ids.len(),
                list.join(", "),
                places.join(", ")
            ),
            at.first().map(|(_, l)| *l),
        );
    }
}

/// One assignment per (role, scope): Azure refuses a second assignment of a role to one principal on one scope,
/// and Bicep names each `guid(scope, identity, role)`, so two of them (two statements' paths on one container)
/// were two resources with one name (issue 18). Their AWS actions are joined; an assignment without a condition
/// takes the place of conditioned ones (it allows all they allow), and conditions are joined path by path.
/// The blob condition of an assignment of a role: its listing part dropped when the role cannot list (a listing
/// limit on a write-only role is noise in the output).
fn condition_for_role(
    c: &Option<need::BlobPathCondition>,
    grants: impl Fn(&Perm) -> bool,
) -> Option<need::BlobPathCondition> {
    let read = Perm { data: true, name: crate::mapping::azure::blob_action("read") };
    match c {
        Some(c) if !grants(&read) => c.for_role_without_listing(),
        other => other.clone(),
    }
}

/// A listing-only assignment (its blob condition allows no object) folded into another assignment on the same scope
/// whose role grants every data action of its role: the other's condition gains the listing (issue 18: `ListBucket`
/// on a bucket and object actions on `bucket/*`, the usual pair, give one assignment, not a Contributor without
/// listing beside a Reader without objects). Exact: the listing-only role allowed nothing else, and the objects the
/// other allows are unchanged.
fn absorb_listings(list: &mut Vec<RoleAssignment>, grants: impl Fn(&RoleAssignment, &str) -> bool) {
    let listing_only = |a: &RoleAssignment| a.condition.as_ref().is_some_and(|c| !c.allows_objects());
    let mut i = 0;
    while i < list.len() {
        if !listing_only(&list[i]) {
            i += 1;
            continue;
        }
        let b = &list[i];
        let same_scope = |a: &RoleAssignment| {
            a.scope.kind == b.scope.kind
                && a.scope.azure_name == b.scope.azure_name
                && a.scope.aws_arn == b.scope.aws_arn
        };
        let read = crate::mapping::azure::blob_action("read");
        let b_actions: Vec<String> = std::iter::once("read")
            .chain(crate::mapping::azure::OBJECT_ACTIONS.iter().copied())
            .map(crate::mapping::azure::blob_action)
            .filter(|d| grants(b, d))
            .collect();
        let into = (0..list.len()).find(|&j| {
            j != i
                && same_scope(&list[j])
                && !listing_only(&list[j])
                && grants(&list[j], &read)
                && b_actions.iter().all(|d| grants(&list[j], d))
        });
        let Some(j) = into else {
            i += 1;
            continue;
        };
        let b = list.remove(i);
        let j = if j > i { j - 1 } else { j };
        fold_into(&mut list[j], b);
    }
}

/// Folds assignment `b` into `a` (same scope; `a`'s role grants what `b`'s does): the union of their conditions
/// (none when either has none), AWS actions and documented excess.
fn fold_into(a: &mut RoleAssignment, b: RoleAssignment) {
    a.condition = match (a.condition.take(), &b.condition) {
        (Some(x), Some(y)) => x.union(y),
        _ => None,
    };
    a.aws_actions.extend(b.aws_actions);
    a.aws_actions.sort_unstable();
    a.aws_actions.dedup();
    a.excess_data_actions.extend(b.excess_data_actions);
    a.excess_data_actions.sort_unstable();
    a.excess_data_actions.dedup();
}

/// `list` is sorted by scope and role, so equal ones are neighbours.
fn merge_assignments(list: Vec<RoleAssignment>) -> Vec<RoleAssignment> {
    let mut out: Vec<RoleAssignment> = Vec::with_capacity(list.len());
    for a in list {
        if let Some(last) = out.last_mut()
            && last.role_definition_id == a.role_definition_id
            && last.scope.kind == a.scope.kind
            && last.scope.azure_name == a.scope.azure_name
            && last.scope.aws_arn == a.scope.aws_arn
        {
            fold_into(last, a);
            continue;
        }
        out.push(a);
    }
    out
}

/// A name collision resolved by [`naming::unique_names`], as one warning naming every AWS source.
fn report_collision(sink: &mut Sink, what: &str, c: &naming::Collision, loc: Option<Loc>) {
    let list: Vec<String> = c.renamed.iter().map(|(src, n)| format!("`{src}` → `{n}`")).collect();
    sink.push(
        rules::NAME_COLLISION,
        format!(
            "{} AWS sources map to one Azure {what} name `{}`; each keeps its own: {}",
            c.renamed.len(),
            c.name,
            list.join(", ")
        ),
        loc,
    );
}

/// Federated-credential names are unique per identity: `a-b/c` and `a/b-c` both read `a-b-c`.
fn unique_credential_names(identity: &str, fics: &mut [FederatedCredential], sink: &mut Sink, loc: Loc) {
    let sources: Vec<String> = fics.iter().map(|f| format!("{} {}", f.issuer, f.subject)).collect();
    let raw: Vec<String> = fics.iter().map(|f| f.name.clone()).collect();
    let (names, collisions) = naming::unique_names(sources.iter().zip(&raw).map(|(s, n)| naming::NameRequest {
        domain: identity,
        rule: naming::CREDENTIAL,
        aws_name: n,
        source: s,
    }));
    if collisions.is_empty() {
        return;
    }
    for (f, s) in fics.iter_mut().zip(&sources) {
        f.name = names.get(identity, s).expect("named").to_string();
    }
    for c in collisions {
        report_collision(sink, &format!("federated credential (identity `{identity}`)"), &c, Some(loc));
    }
}

/// A mapped resource, for [`unique_resource_names`]: location, base ARN (shared with the resource), AWS name, target
/// and naming rule (borrowed from the tables).
type Mapped<'t> = (Loc, Arc<str>, String, &'t str, &'t str);

/// Resource names are unique per Azure resource type (each type lives under one storage account, vault or
/// namespace): the plan's resources and every role assignment's scope get the name [`naming::unique_names`]
/// gives their ARN, across accounts and regions.
fn unique_resource_names(resources: &mut [Resource], identities: &mut [Identity], mapped: &[Mapped], sink: &mut Sink) {
    // Resources are sorted by ARN: the type of a mapped resource by binary search.
    let types: Vec<Option<Arc<str>>> = mapped
        .iter()
        .map(|m| {
            let i = resources.binary_search_by(|r| (*r.aws_arn).cmp(&*m.1)).ok()?;
            resources[i].azure_type.clone()
        })
        .collect();
    let (names, collisions) = naming::unique_names(mapped.iter().zip(&types).filter_map(|(m, ty)| {
        Some(naming::NameRequest { domain: ty.as_deref()?, rule: m.4, aws_name: &m.2, source: &m.1 })
    }));
    if !collisions.is_empty() {
        for r in resources.iter_mut() {
            if let (Some(ty), Some(n)) = (r.azure_type.as_deref(), r.azure_name.as_mut())
                && let Some(new) = names.get(ty, &r.aws_arn)
            {
                *n = new.to_string();
            }
        }
        for a in identities.iter_mut().flat_map(|i| i.role_assignments.iter_mut()) {
            // A widened scope is named at deployment (the store, the resource group), not after its resource.
            if let Some(new) = names.get(&a.scope.azure_type, &a.scope.aws_arn)
                && !a.scope.widened
                && *new != *a.scope.azure_name
            {
                a.scope.azure_name = new.into();
            }
        }
        for c in &collisions {
            let loc = mapped.iter().find(|m| *m.1 == *c.renamed[0].0).map(|m| m.0);
            report_collision(sink, "resource", c, loc);
        }
    }
    for (m, ty) in mapped.iter().zip(&types) {
        let service = m.1.split(':').nth(2).unwrap_or_default();
        if let Some(n) = ty.as_deref().and_then(|ty| names.get(ty, &m.1)) {
            report_resource(sink, m.0, service, m.3, &m.2, n);
        }
    }
}

fn report_resource(sink: &mut Sink, loc: Loc, service: &str, target: &str, aws: &str, azure: &str) {
    if service == "sqs" && aws.ends_with(".fifo") && target == "storage-queue" {
        sink.push(
            rules::FIFO_QUEUE,
            format!("SQS FIFO queue `{aws}` maps to Azure Queue Storage, which keeps no order and has no exactly-once delivery"),
            Some(loc),
        );
    }
    if aws != azure {
        sink.push(
            rules::RESOURCE_RENAMED,
            format!("{service} resource `{aws}` is named `{azure}` on Azure (Azure naming rules)"),
            Some(loc),
        );
    }
}

/// The copy of `s` in `strings`, added if missing: a planning thread keeps one copy of each action name, scope name,
/// ARN and target it writes into the plan (30,000 role assignments repeat a few dozen actions and targets), and the
/// resources one copy of each service prefix.
fn shared(strings: &mut BTreeSet<Arc<str>>, s: &str) -> Arc<str> {
    if let Some(found) = strings.get(s) {
        return found.clone();
    }
    let new: Arc<str> = s.into();
    strings.insert(new.clone());
    new
}

/// Everything one run learns from its inputs.
pub struct Analysis {
    /// Input files.
    pub files: crate::diag::Files,
    /// The model.
    pub model: crate::model::Model,
    /// The join.
    pub joined: crate::graph::Joined,
    /// The plan (shared, so templates can read it lazily: `report::lazy`), with every finding.
    pub plan: std::sync::Arc<Plan>,
}

impl Analysis {
    /// Frees what only `plan.json` and `plan.md` read, once they are written: the plan's findings, each identity's
    /// AWS permission statements and the model's IAM side (roles, managed policies, loose documents). The plan's
    /// summary keeps the counts. `translate` calls it between its rounds (`render::translate_to`).
    pub fn release_reports(&mut self) {
        if let Some(plan) = std::sync::Arc::get_mut(&mut self.plan) {
            plan.findings = Vec::new();
            for id in &mut plan.identities {
                id.aws_permissions = Vec::new();
            }
        }
        self.model.roles = Vec::new();
        self.model.managed_policies = Vec::new();
        self.model.loose_documents = Vec::new();
    }

    /// Frees the model and the plan's lists, keeping the files (and the plan's summary): for a report that needs
    /// only the files once its findings are taken (`check --format text`).
    pub fn release_all_but_files(&mut self) {
        self.model = Model::default();
        if let Some(plan) = std::sync::Arc::get_mut(&mut self.plan) {
            plan.identities = Vec::new();
            plan.resources = Vec::new();
            plan.workloads = Vec::new();
            plan.custom_roles = Vec::new();
            plan.findings = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::azure_name;

    #[test]
    fn azure_names_are_safe() {
        assert_eq!(azure_name("edw-processor", 128), "edw-processor");
        assert_eq!(azure_name("a/b'c}\n", 128), "a-b-c");
        assert_eq!(azure_name("../../etc/passwd", 128), "etc-passwd");
        assert_eq!(azure_name("x", 128), "id-xx");
        assert!(azure_name(&"a".repeat(300), 128).len() == 128);
    }
}
