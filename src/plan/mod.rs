//! Stage 4: the plan — every decision and every gap (finding), fully resolved and sorted. Serialises as
//! `plan.json` (schema `eks2aks/plan/v1`, see the CLI contract). Making it the only input of every output is issue
//! 19's aim, not yet the case: `report/graph.rs` reads the join and `render/k8s.rs` re-reads the raw input and
//! still decides some manifest edits (ARCHITECTURE.md, "Known debts").

use crate::diag::{Files, Finding, Loc, Severity, Sink};
use crate::graph::Joined;
use crate::mapping::Tables;
use crate::mapping::choose::{Choice, ChooseOptions, Chooser, Perm};
use crate::mapping::naming;
use crate::mapping::need::{self, ScopeKey, TargetChoice};
use crate::model::{Arn, AwsRefKind, Model};
use crate::rules;
use serde::Serialize;

pub mod bridge;
pub mod keda;
pub mod soundness;
pub mod verify;
pub mod waivers;
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

/// Builds the plan from the model and the join, mapping each identity's permissions through the tables. Findings
/// of the mapping go into `sink`; the plan's findings are everything in it.
pub fn build(
    model: &Model,
    joined: &mut Joined,
    files: &Files,
    tables: &Tables,
    opts: &PlanOptions,
    mut sink: Sink,
) -> Plan {
    let issuer: Arc<str> = opts.aks_oidc_issuer.as_deref().unwrap_or("param:aksOidcIssuerUrl").into();
    let audience: Arc<str> = "api://AzureADTokenExchange".into();
    // Identities: the role name, made Azure-safe, through the one naming function (two roles never share one).
    // A role a container names in `AWS_ROLE_ARN` (E2A052) is used too: the workload ran as it.
    let env_used: BTreeSet<usize> = joined.env_roles.iter().map(|e| e.role).collect();
    let used: Vec<usize> =
        (0..model.roles.len()).filter(|&ri| !joined.role_sas[ri].is_empty() || env_used.contains(&ri)).collect();
    let (names, collisions) = naming::unique_names(used.iter().map(|&ri| naming::NameRequest {
        domain: "identity",
        rule: naming::IDENTITY,
        aws_name: &model.roles[ri].name,
        source: &model.roles[ri].arn,
    }));
    let role_identity: BTreeMap<usize, String> =
        used.iter().map(|&ri| (ri, names.get("identity", &model.roles[ri].arn).expect("named").to_string())).collect();
    drop(names);
    for c in collisions {
        let loc = used.iter().find(|&&ri| *model.roles[ri].arn == *c.renamed[0].0).map(|&ri| model.roles[ri].loc);
        report_collision(&mut sink, "managed identity", &c, loc);
    }
    let named = named_by_workload(model);
    let mut named_by_sa: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (wi, set) in named.iter().enumerate() {
        named_by_sa.entry(joined.workload_sa[wi]).or_default().extend(set.iter().cloned());
    }
    // What the workloads that run as a role through `AWS_ROLE_ARN` name, by role.
    let mut named_by_env_role: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for e in &joined.env_roles {
        named_by_env_role.entry(e.role).or_default().extend(named[e.workload].iter().cloned());
    }
    // Dropped as soon as they are used up: the end of this function is the run's peak of memory.
    drop(named);
    let mut keda = keda::analyse(model, joined, &role_identity, &mut sink);
    let mut custom_roles: BTreeMap<String, CustomRole> = BTreeMap::new();
    // Identities are independent: planned in parallel chunks, each run of chunks on a thread with its own
    // role-choice cache (rayon's `map_init`) and each chunk with its own finding sink; chunks come back in order,
    // so findings and custom roles are as a sequential run makes them.
    let work: Vec<(usize, &String)> = role_identity.iter().map(|(&ri, n)| (ri, n)).collect();
    let planned = work.par_chunks(64).map_init(
        || (Chooser::new(tables, opts.choose), BTreeSet::<Arc<str>>::new()),
        |(chooser, strings), chunk| {
            let mut sink = Sink::default();
            let mut custom_roles: BTreeMap<String, CustomRole> = BTreeMap::new();
            let mut identities = Vec::with_capacity(chunk.len());
            for &(ri, name) in chunk {
                let role = &model.roles[ri];
                let mut sas: BTreeSet<SaRef> = BTreeSet::new();
                let mut service_account_locs = Vec::new();
                for &si in &joined.role_sas[ri] {
                    let admitted = joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted());
                    if admitted {
                        let s = &model.service_accounts[si];
                        sas.insert(SaRef { namespace: s.namespace.clone(), name: s.name.clone() });
                        service_account_locs.push(s.loc);
                    }
                }
                // ServiceAccounts whose workloads run as this role through `AWS_ROLE_ARN`: a federated credential
                // each (their pods present that ServiceAccount's token), but the ServiceAccount object keeps the
                // client id of its own role's identity (so no `service_account_locs`).
                for e in joined.env_roles.iter().filter(|e| e.role == ri) {
                    if e.verdict.as_ref().is_none_or(|v| v.admitted()) {
                        let s = &model.service_accounts[e.service_account];
                        sas.insert(SaRef { namespace: s.namespace.clone(), name: s.name.clone() });
                    }
                }
                let mut federated_credentials: Vec<FederatedCredential> = sas
                    .iter()
                    .map(|s| FederatedCredential {
                        name: azure_name(&format!("{}-{}", s.namespace, s.name), 120),
                        issuer: issuer.clone(),
                        subject: format!("system:serviceaccount:{}:{}", s.namespace, s.name),
                        audience: audience.clone(),
                    })
                    .collect();
                let aws_permissions = joined.permissions[ri]
                    .iter()
                    .map(|p| AwsPermission {
                        policy: p.policy.clone(),
                        statement: p.statement.clone(),
                        file: files.display_shared(p.statement.loc.file),
                    })
                    .collect();
                let providers: BTreeSet<String> = joined.role_sas[ri]
                    .iter()
                    .filter_map(|&si| joined.sa_trust[si].as_ref())
                    .chain(joined.env_roles.iter().filter(|e| e.role == ri).filter_map(|e| e.verdict.as_ref()))
                    .flat_map(|v| v.providers.iter().cloned())
                    .collect();
                let role_named: BTreeSet<String> = joined.role_sas[ri]
                    .iter()
                    .flat_map(|si| named_by_sa.get(si).into_iter().flatten().cloned())
                    .chain(named_by_env_role.get(&ri).into_iter().flatten().cloned())
                    .collect();
                let (mut needs, denied) = need::needs(
                    tables,
                    &opts.targets,
                    name,
                    &role.account,
                    &joined.permissions[ri],
                    &role_named,
                    &mut sink,
                );
                // KEDA reads the queue length as this identity.
                for arn in keda.queues.get(&ri).into_iter().flatten() {
                    if let Some((key, perms)) =
                        need::action_need(tables, &opts.targets, "sqs", "GetQueueAttributes", arn)
                    {
                        let n = needs.entry(key).or_default();
                        for p in perms {
                            n.perms.entry(p).or_default().insert("keda:aws-sqs-queue".into());
                        }
                    }
                }
                if keda.queues.contains_key(&ri) {
                    let (ns, sa) = opts.keda_operator.split_once('/').unwrap_or(("kube-system", "keda-operator"));
                    federated_credentials.push(FederatedCredential {
                        name: azure_name(&format!("keda-operator-{ns}-{sa}"), 120),
                        issuer: issuer.clone(),
                        subject: format!("system:serviceaccount:{ns}:{sa}"),
                        audience: audience.clone(),
                    });
                }
                // Reverse bridge: the same ServiceAccounts, still on EKS, sign in with the EKS cluster's tokens.
                if opts.config.bridge_from_eks {
                    for &si in &joined.role_sas[ri] {
                        let s = &model.service_accounts[si];
                        let Some(v) = joined.sa_trust[si].as_ref().filter(|v| v.admitted()) else { continue };
                        for p in &v.providers {
                            if p == "*" || p.starts_with("eksctl-cluster/") {
                                continue;
                            }
                            federated_credentials.push(FederatedCredential {
                                name: azure_name(&format!("eks-{}-{}", s.namespace, s.name), 120),
                                issuer: format!("https://{p}").into(),
                                subject: format!("system:serviceaccount:{}:{}", s.namespace, s.name),
                                audience: audience.clone(),
                            });
                        }
                    }
                    federated_credentials.sort_by(|a, b| (&a.issuer, &a.subject).cmp(&(&b.issuer, &b.subject)));
                    federated_credentials.dedup_by(|a, b| a.issuer == b.issuer && a.subject == b.subject);
                }
                let sa_list: Vec<(String, String)> =
                    sas.iter().map(|s| (s.namespace.clone(), s.name.clone())).collect();
                let without_sub =
                    joined.role_sas[ri].iter().any(|&si| joined.sa_trust[si].as_ref().is_some_and(|v| v.without_sub));
                let aws_bridge = bridge::plan(
                    &opts.config,
                    name,
                    &role.account,
                    &joined.permissions[ri],
                    &sa_list,
                    without_sub,
                    role.loc,
                    &mut sink,
                )
                .map(Box::new);
                unique_credential_names(name, &mut federated_credentials, &mut sink, role.loc);
                if federated_credentials.len() > MAX_FEDERATED_CREDENTIALS {
                    sink.push(
                    rules::FEDERATED_CREDENTIAL_LIMIT,
                    format!(
                        "identity `{name}` needs {} federated credentials; Azure allows {MAX_FEDERATED_CREDENTIALS} per identity, so only the first {MAX_FEDERATED_CREDENTIALS} are generated",
                        federated_credentials.len()
                    ),
                    Some(role.loc),
                );
                    federated_credentials.truncate(MAX_FEDERATED_CREDENTIALS);
                }
                let mut role_assignments = Vec::new();
                for (scope, need) in needs {
                    let target = &tables.services[&scope.service].targets[&scope.target];
                    let perms: BTreeSet<Perm> = need.perms.keys().cloned().collect();
                    let all_aws: BTreeSet<String> = need.perms.values().flatten().cloned().collect();
                    let scope_out = |s: &ScopeKey, strings: &mut BTreeSet<Arc<str>>| Scope {
                        kind: s.kind.clone(),
                        azure_name: shared(strings, &s.azure_name),
                        aws_arn: shared(strings, &s.aws_arn),
                        azure_type: target.azure_type.clone(),
                        target: shared(strings, &s.target),
                    };
                    // What a Deny took away on this scope and the need does not hold: no role may hand it back.
                    let forbidden: BTreeSet<Perm> = denied
                        .get(&(scope.kind.clone(), scope.azure_name.clone()))
                        .map(|d| d.keys().filter(|p| !perms.contains(*p)).cloned().collect())
                        .unwrap_or_default();
                    match chooser.choose_avoiding(&target.roles, &perms, &forbidden) {
                        Choice::BuiltIn(set) => {
                            for (idx, excess) in set {
                                let r = &tables.roles[idx];
                                let aws: BTreeSet<String> = need
                                    .perms
                                    .iter()
                                    .filter(|(p, _)| chooser.role_grants(idx, p))
                                    .flat_map(|(_, a)| a.iter().cloned())
                                    .collect();
                                if excess.len() > opts.choose.max_excess {
                                    sink.push(
                                    rules::EXCESS_PRIVILEGE,
                                    format!("identity `{name}`: `{}` on {} `{}` grants {} data actions beyond the need ({}); custom roles are switched off", r.name, scope.kind, scope.azure_name, excess.len(), excess.join(", ")),
                                    Some(role.loc),
                                );
                                }
                                role_assignments.push(RoleAssignment {
                                    role_name: r.name.clone(),
                                    role_definition_id: r.id.clone(),
                                    custom: false,
                                    scope: scope_out(&scope, strings),
                                    aws_actions: aws.iter().map(|a| shared(strings, a)).collect(),
                                    excess_data_actions: excess,
                                    kind: r.kind.clone(),
                                    condition: condition_for_role(&scope.condition, |p| chooser.role_grants(idx, p)),
                                });
                            }
                        }
                        Choice::Custom { best_excess } => {
                            let id = custom_role_id(&scope.target, &perms);
                            let role_name = format!("eks2aks {} {}", scope.target, &id[..8]);
                            custom_roles.entry(id.clone()).or_insert_with(|| CustomRole {
                                name: role_name.clone(),
                                role_definition_id: id.clone(),
                                data_actions: perms.iter().filter(|p| p.data).map(|p| p.name.clone()).collect(),
                                actions: perms.iter().filter(|p| !p.data).map(|p| p.name.clone()).collect(),
                                avoided_excess_data_actions: best_excess,
                            });
                            role_assignments.push(RoleAssignment {
                                role_name: role_name.into(),
                                role_definition_id: id.into(),
                                custom: true,
                                scope: scope_out(&scope, strings),
                                aws_actions: all_aws.iter().map(|a| shared(strings, a)).collect(),
                                excess_data_actions: Vec::new(),
                                kind: "arm".into(),
                                condition: condition_for_role(&scope.condition, |p| perms.contains(p)),
                            });
                        }
                        Choice::Uncovered(missing) => {
                            let list: Vec<String> = missing.iter().map(|p| p.name.clone()).collect();
                            sink.push(
                                rules::UNCOVERED_PERMISSION,
                                format!(
                                    "identity `{name}`: no role grants {} (needed for {} on {} `{}`)",
                                    list.join(", "),
                                    all_aws.iter().cloned().collect::<Vec<_>>().join(", "),
                                    scope.kind,
                                    scope.azure_name
                                ),
                                Some(role.loc),
                            );
                        }
                    }
                }
                role_assignments.sort_by(|a, b| {
                    (&a.scope.kind, &a.scope.azure_name, &a.scope.aws_arn, &a.role_name).cmp(&(
                        &b.scope.kind,
                        &b.scope.azure_name,
                        &b.scope.aws_arn,
                        &b.role_name,
                    ))
                });
                let mut role_assignments = merge_assignments(role_assignments);
                absorb_listings(&mut role_assignments, |a, d| {
                    let custom = a
                        .custom
                        .then(|| custom_roles.get(&*a.role_definition_id).map(|c| c.data_actions.as_slice()))
                        .flatten();
                    crate::mapping::azure::role_grants(tables, &a.role_definition_id, custom, d)
                });
                // Pushed one by one: give back the room the list grew into (a quarter of it on average).
                role_assignments.shrink_to_fit();
                identities.push(Identity {
                    name: name.clone(),
                    aws_role_arn: role.arn.clone(),
                    service_accounts: sas.into_iter().collect(),
                    federated_credentials,
                    role_assignments,
                    aws_permissions,
                    aws_oidc_providers: providers.into_iter().collect(),
                    aws_bridge,
                    service_account_locs,
                });
            }
            (identities, custom_roles, sink)
        },
    );
    let chunks: Vec<_> = crate::par::install(|| planned.collect());
    let mut identities = Vec::with_capacity(work.len());
    for (ids, custom, s) in chunks {
        identities.extend(ids);
        for (id, role) in custom {
            custom_roles.entry(id).or_insert(role);
        }
        sink.append(s);
    }
    drop((named_by_sa, named_by_env_role));
    keda.queues.clear();
    identities.sort_by(|a, b| a.name.cmp(&b.name).then(a.aws_role_arn.cmp(&b.aws_role_arn)));
    ambiguous_service_accounts(model, &identities, files, &mut sink);
    // A staying resource reached through many bridge roles: suggest one shared role.
    let mut reached: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in &identities {
        for r in id.aws_bridge.iter().flat_map(|b| b.resources.iter()) {
            reached.entry(r.as_str()).or_default().push(id.name.as_str());
        }
    }
    for (resource, ids) in reached.into_iter().filter(|(_, ids)| ids.len() >= 3) {
        let loc = model
            .roles
            .iter()
            .find(|r| identities.iter().any(|i| i.name == ids[0] && i.aws_role_arn == r.arn))
            .map(|r| r.loc);
        sink.push(
            rules::SHARED_STAYING_RESOURCE,
            format!("`{resource}` stays on AWS and is reached by {} identities through their own bridge roles ({}); consider one shared role", ids.len(), ids.join(", ")),
            loc,
        );
    }

    // Sorted by ARN once complete (a map of 30,000 resources was twice the memory, at the run's peak); `seen`
    // keeps the first mention of each.
    let mut resources: Vec<Resource> = Vec::new();
    let mut seen: BTreeSet<Arc<str>> = BTreeSet::new();
    // A resource shares its ARN with the role assignments scoped to it (30,000 ARNs at 10,000 apps).
    let scope_arns: BTreeSet<Arc<str>> =
        identities.iter().flat_map(|i| i.role_assignments.iter().map(|a| a.scope.aws_arn.clone())).collect();
    let arn_of = |base: String| -> Arc<str> { scope_arns.get(base.as_str()).cloned().unwrap_or_else(|| base.into()) };
    let stays: Arc<str> = "stays on AWS".into();
    // (location, base ARN, AWS name, target, naming rule) of each mapped resource: reported once its final
    // (collision-free) name is known.
    let mut renamed: Vec<Mapped> = Vec::new();
    let mut service_names: BTreeSet<Arc<str>> = BTreeSet::new();
    for (a, loc) in &joined.resources {
        let Some(arn) = Arn::parse(a) else { continue };
        if arn.resource.is_empty() || arn.resource == "*" {
            continue;
        }
        let Some(service) = tables.services.get(&arn.service) else {
            if !arn.has_wildcard() && seen.insert(a.clone()) {
                resources.push(Resource {
                    aws_arn: a.clone(),
                    aws_service: shared(&mut service_names, &arn.service),
                    azure_service: None,
                    azure_type: None,
                    azure_name: None,
                });
            }
            continue;
        };
        let Some((kind, rname, _)) = need::match_resource(service, &arn.resource) else { continue };
        // An S3 access point names no bucket: no Azure resource is derived from it (the policy's grants through
        // it are reported as not translated).
        if need::names_no_resource(&kind) {
            continue;
        }
        if rname.contains(['*', '?']) || arn.account.contains(['*', '?']) || arn.region.contains(['*', '?']) {
            continue;
        }
        let Some(base) = need::base_arn(service, &arn) else { continue };
        if seen.contains(base.as_str()) {
            continue;
        }
        if opts.targets.stays(&base) {
            let key = arn_of(base);
            seen.insert(key.clone());
            resources.push(Resource {
                aws_arn: key,
                aws_service: shared(&mut service_names, &arn.service),
                azure_service: Some(stays.clone()),
                azure_type: None,
                azure_name: None,
            });
            continue;
        }
        let tkey = opts.targets.target(service, &arn.service, &base).to_string();
        let target = &service.targets[&tkey];
        let azure = crate::mapping::naming::azure_name(&target.naming, &rname);
        let key = arn_of(base);
        let target_key = &**service.targets.get_key_value(&tkey).expect("chosen").0;
        renamed.push((*loc, key.clone(), rname.to_string(), target_key, &*target.naming));
        seen.insert(key.clone());
        resources.push(Resource {
            aws_arn: key,
            aws_service: shared(&mut service_names, &arn.service),
            azure_service: Some(target.azure_service.clone()),
            azure_type: Some(target.azure_type.clone()),
            azure_name: Some(azure),
        });
    }
    drop((scope_arns, seen));
    resources.sort_unstable_by(|a, b| a.aws_arn.cmp(&b.aws_arn));
    unique_resource_names(&mut resources, &mut identities, &renamed, &mut sink);
    drop(renamed);
    // Whatever Azure allows, AWS allowed (issue 18): checked on the final names and assignments.
    let role_locs: BTreeMap<&str, Loc> = model.roles.iter().map(|r| (r.arn.as_str(), r.loc)).collect();
    let t = std::time::Instant::now();
    soundness::check(&identities, &custom_roles, tables, &role_locs, &mut sink);
    crate::diag::timings::add_cpu("soundness check", t);
    drop(role_locs);
    joined.release_plan_inputs();
    let joined = &*joined;
    input_findings(model, tables, &resources, opts, &mut sink);
    not_granted(model, joined, tables, &resources, &identities, &role_identity, &mut sink);

    let mut workloads: Vec<WorkloadEntry> = model
        .workloads
        .iter()
        .enumerate()
        .map(|(wi, w)| {
            let si = joined.workload_sa[wi];
            let sa_identity = joined.sa_role[si]
                .filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
                .and_then(|ri| role_identity.get(&ri).cloned());
            // A container's `AWS_ROLE_ARN` naming another role (E2A052): the SDK assumed that role, so the workload
            // runs as its identity (the containers that set it get its `AZURE_CLIENT_ID`).
            let env_roles: Vec<EnvRoleRef> = joined
                .env_roles
                .iter()
                .filter(|e| e.workload == wi && e.verdict.as_ref().is_none_or(|v| v.admitted()))
                .filter_map(|e| {
                    Some(EnvRoleRef {
                        aws_role_arn: model.roles[e.role].arn.clone(),
                        identity: role_identity.get(&e.role)?.clone(),
                    })
                })
                .collect();
            let identity = env_roles.first().map(|e| e.identity.clone()).or(sa_identity);
            WorkloadEntry {
                kind: w.kind.clone(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                service_account: w.service_account.clone(),
                identity,
                env_roles,
                file: files.display_shared(w.template_loc.file),
                line: model.objects[w.object].loc.pos.line,
            }
        })
        .collect();
    workloads.sort_by(|a, b| (&a.name, &a.namespace, &a.kind, &a.file).cmp(&(&b.name, &b.namespace, &b.kind, &b.file)));
    // KEDA: which authentication each translated trigger references (split per identity), on the final names.
    let keda = keda::bind(
        model,
        files,
        keda,
        &role_identity,
        |arn| {
            resource(&resources, arn)
                .and_then(|r| r.azure_type.as_deref().zip(r.azure_name.as_ref()))
                .and_then(|(ty, _)| url_kind(tables, ty))
                .is_some_and(|k| k == "queue" || k == "servicebus")
        },
        &mut sink,
    );

    let mut waivers = waivers::collect(model, &mut sink);
    // A ServiceAccount's waiver also covers the findings at the role it names (issue 18: a wider grant, E2A045,
    // is waived with a reason on the ServiceAccount, not switched off for the whole run).
    let role_loc: BTreeMap<&str, Loc> = model.roles.iter().map(|r| (r.arn.as_str(), r.loc)).collect();
    waivers::extend_to_roles(
        &mut waivers,
        model.service_accounts.iter().filter_map(|sa| Some((sa.loc, *role_loc.get(sa.role_arn.as_ref()?.0.as_str())?))),
    );
    drop(role_loc);
    let mut findings = sink.into_findings();
    // Severity overrides from the config (`off` drops the finding); each kept finding gets its file's path and
    // its waiver, in place: the findings are the plan's.
    findings.retain_mut(|f| {
        match opts.rule_overrides.get(f.code) {
            Some(Some(sev)) => f.severity = *sev,
            Some(None) => return false,
            None => {}
        }
        f.locate(files);
        f.suppressed = waivers::waiver_for(&waivers, f).map(Into::into);
        true
    });
    // Unstable: the order is total (equal findings are written identically), and a stable sort's buffer of half
    // the findings was allocated just when memory use peaks.
    findings.sort_unstable();
    findings.dedup();
    let entries = findings;
    let active = |s: Severity| entries.iter().filter(|f| f.severity == s && f.suppressed.is_none()).count();
    let (errors, warnings, notes) = (active(Severity::Error), active(Severity::Warning), active(Severity::Note));
    let waived = entries.iter().filter(|f| f.suppressed.is_some()).count();
    let summary = Summary {
        identities: identities.len(),
        service_accounts: model.service_accounts.len(),
        workloads: workloads.len(),
        resources: resources.len(),
        errors,
        warnings,
        notes,
        waived,
    };
    Plan {
        schema: SCHEMA,
        identities,
        resources,
        workloads,
        custom_roles: custom_roles.into_values().collect(),
        findings: entries,
        summary,
        keda_authentications: keda.added.clone(),
        keda: Box::new(keda),
    }
}

/// The resource of this ARN in the plan's list (sorted by ARN).
fn resource<'a>(resources: &'a [Resource], arn: &str) -> Option<&'a Resource> {
    resources.binary_search_by(|r| (*r.aws_arn).cmp(arn)).ok().map(|i| &resources[i])
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
            sink.push(
                rules::RESOURCE_NOT_GRANTED,
                format!(
                    "{} {}/{} names `{base}` (`{}`), but identity `{}` gets no role assignment on it: its IAM policies do not grant it",
                    w.kind, w.namespace, w.name, r.key, identity.name
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
                    sink.push(
                        rules::AWS_ENDPOINT_LEFT,
                        format!(
                            "`{}` = `{}` points at AWS and has no Azure counterpart in the plan; it is left as it is",
                            r.key,
                            crate::text::truncate(&r.text)
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

/// [`url_kind`] in the bundled scope kinds, for callers not given the tables.
pub fn azure_url_kind(azure_type: &str) -> Option<&'static str> {
    crate::mapping::load::bundled_scopes().url_kind(azure_type)
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
        for loc in ids.values().flatten() {
            sink.push(
                rules::AMBIGUOUS_SERVICE_ACCOUNT,
                format!("ServiceAccount {ns}/{name} is bound to {} identities ({}): {how}", ids.len(), list.join(", ")),
                Some(*loc),
            );
        }
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
    let listing_only = |a: &RoleAssignment| a.condition.as_ref().is_some_and(|c| c.parts().0.is_empty());
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
            if let Some(new) = names.get(&a.scope.azure_type, &a.scope.aws_arn)
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
