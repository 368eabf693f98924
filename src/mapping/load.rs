//! Loads `mappings/` (bundled, then a user's `--mappings DIR` entry by entry) and validates it. Problems are
//! reported with file, line and column, all of them, before anything runs.

use crate::glob::glob_match;
use std::sync::Arc;

fn glob_ci(pattern: &str, text: &str) -> bool {
    glob_match(pattern, text, true)
}
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

macro_rules! bundled {
    ($($name:literal),* $(,)?) => { &[ $( ($name, include_str!(concat!("../../mappings/", $name))) ),* ] };
}

/// The bundled tables, by relative path.
pub const BUNDLED: &[(&str, &str)] = bundled!(
    "services.yaml",
    "aws-managed-policies.yaml",
    "azure-roles.yaml",
    "azure-operations.yaml",
    "scopes.yaml",
    "addons.yaml",
    "k8s-resources.yaml",
    "workloads.yaml",
    "keda-triggers.yaml",
    "storage-configs.yaml",
    "actions/cloudwatch.yaml",
    "actions/dynamodb.yaml",
    "actions/ecr.yaml",
    "actions/elasticache.yaml",
    "actions/events.yaml",
    "actions/firehose.yaml",
    "actions/kinesis.yaml",
    "actions/kms.yaml",
    "actions/logs.yaml",
    "actions/rds-db.yaml",
    "actions/route53.yaml",
    "actions/s3.yaml",
    "actions/secretsmanager.yaml",
    "actions/sns.yaml",
    "actions/sqs.yaml",
    "actions/ssm.yaml",
);

/// `services.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesFile {
    /// AWS → Azure service pairs.
    #[serde(default)]
    pub pairs: Vec<Pair>,
    /// Identity-bound services by IAM prefix.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
}

/// One AWS → Azure service pair.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// AWS service.
    pub aws: String,
    /// Azure service.
    pub azure: String,
    /// Category.
    pub category: String,
}

/// An identity-bound AWS service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Display name.
    pub name: String,
    /// ARN resource grammars, tried in order.
    pub arn_resources: Vec<ArnResource>,
    /// Default target key.
    pub default_target: String,
    /// Targets by key.
    pub targets: BTreeMap<String, Target>,
    /// The service calls KMS on the caller's behalf to encrypt at rest (SSE-KMS): a KMS statement usable only
    /// through it (`kms:ViaService`) needs no Azure role ([`crate::mapping::kms`]). Absent: it does not.
    #[serde(default)]
    pub server_side_encryption: Option<ServerSideEncryption>,
}

/// How a service encrypts at rest with KMS ([`Service::server_side_encryption`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSideEncryption {
    /// The first label of the service's endpoint as `kms:ViaService` names it (`s3` in `s3.<region>.amazonaws.com`).
    pub via_service: String,
    /// What its Azure target does instead, for the finding (E2A106).
    pub azure: String,
}

/// One ARN resource grammar.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArnResource {
    /// Pattern with `{name}` / `{path}` placeholders.
    pub pattern: String,
    /// AWS resource kind.
    pub kind: String,
    /// The ARNs of this kind have an empty region and account (S3 buckets and objects: `arn:aws:s3:::bucket/key`):
    /// one with either matches no resource.
    #[serde(default)]
    pub global: bool,
}

/// An Azure target of a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Azure service name (shared by every resource of the plan that maps here).
    pub azure_service: Arc<str>,
    /// Azure resource type (shared, like the name).
    pub azure_type: Arc<str>,
    /// Scope kind of role assignments (shared, like the name).
    pub scope_kind: Arc<str>,
    /// Naming rule.
    pub naming: String,
    /// Notes for the report.
    #[serde(default)]
    pub notes: Option<String>,
    /// The built-in roles a workload on this target may be given (empty: custom roles only).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The condition key AWS sends with a listing, carried as the listing's prefix test of the blob condition
    /// (issue 18). Absent: no condition key is carried to this target.
    #[serde(default)]
    pub list_prefix: Option<ListPrefix>,
    /// Roles of `roles` kept whatever they grant beyond the need (listed, E2A021) when the least-privileged
    /// built-in set is made of them, rather than a custom role above `custom_roles.max_excess` (Key Vault Crypto
    /// User on a key). Empty: the usual threshold.
    #[serde(default)]
    pub preferred_roles: Vec<String>,
}

/// A listing-prefix condition key of a target ([`Target::list_prefix`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPrefix {
    /// The condition key (`s3:prefix`).
    pub key: String,
    /// The actions whose requests carry it (AWS spelling, without the prefix). For any other action the key is
    /// absent, so a positive operator on it fails and the statement allows that action nothing.
    pub actions: Vec<String>,
}

/// `actions/<prefix>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionsFile {
    /// IAM prefix.
    pub service: String,
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Actions by AWS name.
    #[serde(default)]
    pub actions: BTreeMap<String, Action>,
}

/// One AWS action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Access level.
    pub access: String,
    /// AWS resource kinds.
    #[serde(default)]
    pub resource_kinds: Vec<String>,
    /// Per-target mapping.
    #[serde(default)]
    pub targets: Option<BTreeMap<String, TargetMapping>>,
    /// No mapping, with the reason.
    #[serde(default)]
    pub none: Option<String>,
}

/// What an action needs on one target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetMapping {
    /// Azure data actions (all needed).
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Azure control-plane actions (all needed).
    #[serde(default)]
    pub actions: Vec<String>,
    /// No mapping on this target, with the reason.
    #[serde(default)]
    pub none: Option<String>,
}

/// `azure-roles.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesFile {
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Roles never chosen.
    #[serde(default)]
    pub never_choose: Vec<RoleRef>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// A role by name and GUID.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRef {
    /// Name.
    pub name: String,
    /// GUID.
    pub id: String,
}

/// An Azure role definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Name (shared by every assignment of the role in a plan).
    pub name: Arc<str>,
    /// Role definition GUID (shared, like the name).
    pub id: Arc<str>,
    /// `arm` or `cosmos-sql` (shared, like the name).
    pub kind: Arc<str>,
    /// Control-plane actions.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Excluded control-plane actions.
    #[serde(default)]
    pub not_actions: Vec<String>,
    /// Data actions.
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Excluded data actions.
    #[serde(default)]
    pub not_data_actions: Vec<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Built-in ABAC conditions.
    #[serde(default)]
    pub conditions: Option<Vec<String>>,
}

/// `azure-operations.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsFile {
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Providers covered.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Providers whose operations are unknown.
    #[serde(default)]
    pub providers_missing: Vec<String>,
    /// Every ARM data action.
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Cosmos DB SQL data-plane actions.
    #[serde(default)]
    pub cosmos_sql_data_actions: Vec<String>,
}

/// `scopes.yaml`: the kinds of Azure scope a role assignment is made at.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopesFile {
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// The kinds, in the order the outputs list them (a storage account's sub-services follow it).
    #[serde(default)]
    pub kinds: Vec<ScopeKind>,
}

/// One kind of Azure scope (`queue`, `storage_account`, …): what it is in Azure, where it sits, how the outputs name
/// it, and which roles may be assigned at it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeKind {
    /// The name services.yaml's `scope_kind` uses.
    pub kind: String,
    /// Azure resource type (`Microsoft.Storage/storageAccounts/queueServices/queues`).
    pub azure_type: String,
    /// The kind this one sits in (absent: the root, the deployment's resource group).
    #[serde(default)]
    pub parent: Option<String>,
    /// The deployment parameters that name this resource (the first) or that its declaration also needs. A kind
    /// with parameters is a parent resource of the Bicep template and the scope a `Resource: "*"` widens to.
    #[serde(default)]
    pub params: Vec<ScopeParam>,
    /// The name of a scope of this kind when it is neither named by a policy nor by a parameter (the root).
    #[serde(default)]
    pub fixed_name: Option<String>,
    /// The resource id below the parent's: literal text, `{name}` (the scope's Azure name) and `{param}` (the
    /// first parameter). Empty: the parent's id.
    #[serde(default)]
    pub az_path: String,
    /// How `bicep/main.bicep.j2` declares it.
    #[serde(default)]
    pub bicep: BicepScope,
    /// The endpoint family `translate` writes into env values for a resource of this type (`queue`, `blob`, …).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// A blob-path ABAC condition applies to assignments at this scope (S3 object keys and listing prefixes).
    #[serde(default)]
    pub blob_condition: bool,
    /// The naming rule (`naming::RULES`) of a resource of this kind.
    pub naming: String,
    /// A `Resource: "*"` is never widened to a parent of this kind (DNS zones: a grant on the resource group
    /// would reach every zone in it); only the resources the workloads name are granted.
    #[serde(default)]
    pub never_widen: bool,
    /// The roles of azure-roles.yaml that may be assigned at this scope: every candidate role of a target must be
    /// one of them, at the target's scope kind and at the kind a `Resource: "*"` widens it to.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A deployment parameter naming a resource ([`ScopeKind::params`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeParam {
    /// Bicep parameter name (`storageAccountName`).
    pub name: String,
    /// The variable `role-assignments.sh` reads it from (`STORAGE_ACCOUNT`).
    pub shell_var: String,
    /// The `azure:` key of eks2aks.yaml that gives its value (`storage_account`).
    pub config_key: String,
    /// The parameter's description.
    pub description: String,
}

/// How the Bicep template declares a scope kind ([`ScopeKind::bicep`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BicepScope {
    /// The symbol of a parent resource (a kind with parameters).
    #[serde(default)]
    pub symbol: Option<String>,
    /// The template's switch for a leaf resource of this kind.
    #[serde(default)]
    pub leaf: Option<String>,
    /// The storage sub-service symbol (`queueServices`) a leaf's declaration needs.
    #[serde(default)]
    pub service: Option<String>,
    /// The ARM API version the template declares the resource with (`2023-05-01`): a kind the template declares
    /// (with `symbol` or `leaf`) needs one.
    #[serde(default)]
    pub api_version: Option<String>,
    /// A resource group other than the deployment's, named by the kind's first parameter (the AKS node resource
    /// group): the assignments at it are made by a Bicep module of this name (`bicep/<module>.bicep`, from
    /// `bicep/module.bicep.j2`) that `main.bicep` deploys at `resourceGroup(<parameter>)`, and its resource id is
    /// `/subscriptions/…/resourceGroups/<parameter>` (not below the deployment's resource group).
    #[serde(default)]
    pub module: Option<String>,
}

/// The merged scope kinds ([`Tables::scopes`]), in file order.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    /// The kinds.
    pub kinds: Vec<ScopeKind>,
}

/// A piece of a scope's resource id ([`Scopes::az_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSeg<'a> {
    /// Literal text.
    Lit(&'a str),
    /// The scope's Azure name.
    Name,
    /// A deployment parameter, by name.
    Param(&'a str),
}

impl Scopes {
    /// A kind by name.
    pub fn get(&self, kind: &str) -> Option<&ScopeKind> {
        self.kinds.iter().find(|k| k.kind == kind)
    }

    /// The kind and its parents, nearest first (unknown kinds end it; a cycle, refused by the loader, cannot loop).
    pub fn chain<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a ScopeKind> + 'a {
        let first = self.get(kind);
        std::iter::successors(first, move |k| k.parent.as_deref().and_then(|p| self.get(p))).take(self.kinds.len())
    }

    /// The nearest kind of the chain a deployment parameter names (the Bicep parent resource; itself for a storage
    /// account or a registry): `None` below the resource group alone.
    pub fn named_parent(&self, kind: &str) -> Option<&ScopeKind> {
        self.chain(kind).find(|k| !k.params.is_empty())
    }

    /// The scope a `Resource: "*"` widens a kind to, as (kind, Azure name): the named parent (`param:NAME`), else the
    /// root (its fixed name).
    pub fn broad(&self, kind: &str) -> Option<(&str, String)> {
        if let Some(p) = self.named_parent(kind) {
            return Some((&p.kind, format!("param:{}", p.params[0].name)));
        }
        let root = self.chain(kind).last()?;
        Some((&root.kind, root.fixed_name.clone()?))
    }

    /// A deployment parameter of any kind, by name.
    pub fn param(&self, name: &str) -> Option<&ScopeParam> {
        self.kinds.iter().flat_map(|k| &k.params).find(|p| p.name == name)
    }

    /// The endpoint family of an Azure resource type, if `translate` writes its URLs.
    pub fn url_kind(&self, azure_type: &str) -> Option<&str> {
        self.kinds.iter().filter(|k| k.azure_type == azure_type).find_map(|k| k.endpoint.as_deref())
    }

    /// The parameter naming the resource group of a kind that is a resource group of its own
    /// ([`BicepScope::module`]), with the module's name; `None` for a kind in the deployment's resource group.
    pub fn own_group(&self, kind: &str) -> Option<(&ScopeParam, &str)> {
        let k = self.get(kind)?;
        Some((k.params.first()?, k.bicep.module.as_deref()?))
    }

    /// A scope's resource id below the resource group, root first: every `az_path` of its chain.
    pub fn az_path(&self, kind: &str) -> Vec<PathSeg<'_>> {
        let chain: Vec<&ScopeKind> = self.chain(kind).collect();
        let mut out = Vec::new();
        for k in chain.into_iter().rev() {
            split_path(&k.az_path, |seg| {
                out.push(match seg {
                    "{name}" => PathSeg::Name,
                    "{param}" => k.params.first().map_or(PathSeg::Lit(""), |p| PathSeg::Param(&p.name)),
                    lit => PathSeg::Lit(lit),
                })
            });
        }
        out
    }
}

/// Splits an `az_path` into literal text and `{…}` placeholders.
fn split_path<'a>(path: &'a str, mut seg: impl FnMut(&'a str)) {
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        if open > 0 {
            seg(&rest[..open]);
        }
        seg(&rest[open..close]);
        rest = &rest[close..];
    }
    if !rest.is_empty() {
        seg(rest);
    }
}

/// The bundled scope kinds alone (tests compare overrides with them; the plan carries the loaded ones).
/// The bundled table is checked by the tests; were it unreadable, no kind would be known.
pub fn bundled_scopes() -> &'static Scopes {
    static SCOPES: std::sync::OnceLock<Scopes> = std::sync::OnceLock::new();
    SCOPES.get_or_init(|| {
        let text = BUNDLED.iter().find(|(n, _)| *n == "scopes.yaml").map_or("", |(_, s)| *s);
        Scopes { kinds: serde_norway::from_str::<ScopesFile>(text).map(|f| f.kinds).unwrap_or_default() }
    })
}

/// A problem in a mapping table: file, line, column, message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MappingError {
    /// File (bundled path, or the user's path).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (characters), when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// The text of the line, for the caret diagnostic (filled in by [`load`]).
    pub source_line: Option<String>,
}

impl MappingError {
    /// A problem of a whole file.
    fn file(file: &str, message: impl Into<String>) -> Self {
        MappingError { file: file.into(), line: None, column: None, message: message.into(), source_line: None }
    }

    /// A problem at the first line of `src` that starts with `needle` (a key, or `key: value`: the caret goes to
    /// the value).
    fn at(src: &Source, needle: &str, message: impl Into<String>) -> Self {
        let (line, column) = find(&src.text, needle).map_or((None, None), |(l, c)| (Some(l), Some(c)));
        MappingError { file: src.file.clone(), line, column, message: message.into(), source_line: None }
    }
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Where each table came from (for `mappings list`).
#[derive(Debug, Clone)]
pub struct Origin {
    /// Relative table path.
    pub table: String,
    /// `bundled` or the user's file.
    pub from: String,
}

/// The validated, merged tables.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Service pairs, sorted.
    pub pairs: Vec<Pair>,
    /// Services by IAM prefix.
    pub services: BTreeMap<String, Service>,
    /// Actions per prefix, keyed by lower-case action name → (AWS spelling, action).
    pub actions: BTreeMap<String, BTreeMap<String, (String, Action)>>,
    /// Roles (sorted by name).
    pub roles: Vec<Role>,
    /// GUIDs never chosen.
    pub never_choose: BTreeSet<String>,
    /// Every known data action (ARM and Cosmos SQL), as Azure spells them.
    pub data_actions: Vec<String>,
    /// The scope kinds (`scopes.yaml`).
    pub scopes: Scopes,
    /// The AWS add-ons AKS replaces (`addons.yaml`), in the order they are tried.
    pub addons: Vec<super::addons::Addon>,
    /// StorageClasses, volumes, Ingresses and Services (`k8s-resources.yaml`).
    pub k8s_resources: super::k8s_resources::K8sResources,
    /// The bundled AWS-managed policies and eksctl well-known expansions (`aws-managed-policies.yaml`).
    pub managed: super::managed::Bundle,
    /// The kinds that make pods (`workloads.yaml`), which ingest reads objects with.
    pub pod_kinds: Arc<crate::model::PodKinds>,
    /// KEDA's AWS scalers other than `aws-sqs-queue` (`keda-triggers.yaml`).
    pub keda_triggers: super::keda_triggers::Table,
    /// The storage configurations of common stacks (`storage-configs.yaml`), in order.
    pub storage_configs: Vec<super::storage_configs::Shape>,
    /// Table origins.
    pub origins: Vec<Origin>,
    /// The reverse of the action tables, made on first use ([`Tables::reverse`]).
    pub reverse: std::sync::OnceLock<Reverse>,
    /// What is computed from these tables alone, once per run ([`super::memo`]).
    pub memo: super::memo::Memo,
}

/// Per (service prefix, target key): Azure permission → the AWS actions mapped to it, each with the kinds of
/// resource it applies to (empty: any).
pub type Reverse = BTreeMap<(String, String), BTreeMap<super::choose::Perm, Vec<(String, Vec<String>)>>>;

use crate::text::line_starting_with as line_of;

/// The (line, column) of the first line of `text` that starts with `needle` (indentation and a list dash aside);
/// for a `key: value` needle the column is the value's.
fn find(text: &str, needle: &str) -> Option<(usize, usize)> {
    let line = line_of(text, needle)?;
    let l = text.lines().nth(line - 1)?;
    let start = l.len() - l.trim_start().trim_start_matches("- ").len();
    let at = start + needle.find(": ").map_or(0, |i| i + 2);
    Some((line, l[..at].chars().count() + 1))
}

/// One table's text.
struct Source {
    /// Relative table path (`actions/sqs.yaml`).
    rel: String,
    /// The path shown in messages (`mappings/…` when bundled).
    file: String,
    /// The text.
    text: String,
}

fn parse<T: serde::de::DeserializeOwned>(src: &Source, errors: &mut Vec<MappingError>) -> Option<T> {
    match serde_norway::from_str(&src.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let at = e.location().map(|l| (l.line(), l.column()));
            // The position is shown with the line; the message need not repeat it.
            let message = e.to_string();
            let message = at
                .and_then(|(l, c)| message.strip_suffix(&format!(" at line {l} column {c}")))
                .map_or_else(|| message.clone(), str::to_string);
            errors.push(MappingError {
                file: src.file.clone(),
                line: at.map(|a| a.0),
                column: at.map(|a| a.1),
                message,
                source_line: None,
            });
            None
        }
    }
}

/// A GUID as Azure writes role definition ids.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Loads the bundled tables and, when given, a user's directory over them.
pub fn load(user: Option<&Path>) -> Result<Tables, Vec<MappingError>> {
    let mut errors = Vec::new();
    let sources = sources(user, &mut errors)?;
    let mut t = Tables::default();
    let mut known_roles: BTreeMap<String, String> = BTreeMap::new();
    for src in &sources {
        let bundled = src.file.starts_with("mappings/")
            && user.is_none_or(|_| BUNDLED.iter().any(|(n, s)| *n == src.rel && *s == src.text));
        t.origins
            .push(Origin { table: src.rel.clone(), from: if bundled { "bundled".into() } else { src.file.clone() } });
        match src.rel.as_str() {
            "services.yaml" => merge_services(&mut t, src, &mut errors),
            "azure-roles.yaml" => merge_roles(&mut t, src, &mut known_roles, &mut errors),
            "azure-operations.yaml" => {
                if let Some(f) = parse::<OperationsFile>(src, &mut errors) {
                    t.data_actions.extend(f.data_actions.iter().chain(&f.cosmos_sql_data_actions).cloned());
                }
            }
            "scopes.yaml" => merge_scopes(&mut t, src, &mut errors),
            "addons.yaml" => merge_addons(&mut t, src, &mut errors),
            "k8s-resources.yaml" => merge_k8s_resources(&mut t, src, &mut errors),
            "aws-managed-policies.yaml" => merge_managed(&mut t, src, &mut errors),
            "workloads.yaml" => merge_workloads(&mut t, src, &mut errors),
            "keda-triggers.yaml" => merge_keda_triggers(&mut t, src, &mut errors),
            "storage-configs.yaml" => merge_storage_configs(&mut t, src, &mut errors),
            rel => match rel.strip_prefix("actions/").and_then(|r| r.strip_suffix(".yaml")) {
                Some(prefix) => merge_actions(&mut t, prefix, src, &mut errors),
                None => errors.push(MappingError::file(&src.file, "not a mapping table (expected services.yaml, azure-roles.yaml, azure-operations.yaml, scopes.yaml, addons.yaml, k8s-resources.yaml, workloads.yaml, keda-triggers.yaml, storage-configs.yaml, aws-managed-policies.yaml or actions/<prefix>.yaml)")),
            },
        }
    }
    check_well_known(&t, &sources, &mut errors);
    t.pairs.sort();
    t.roles.sort_by(|a, b| a.name.cmp(&b.name));
    t.data_actions.sort();
    t.data_actions.dedup();
    validate(&t, &sources, &mut errors);
    if errors.is_empty() {
        return Ok(t);
    }
    for e in &mut errors {
        let text = sources.iter().find(|s| s.file == e.file).map(|s| s.text.as_str());
        e.source_line = e.line.zip(text).and_then(|(l, text)| text.lines().nth(l.checked_sub(1)?)).map(str::to_string);
    }
    errors.sort();
    errors.dedup();
    Err(errors)
}

/// The bundled tables, then the user's (read errors are collected; a `--mappings` that is no directory stops).
fn sources(user: Option<&Path>, errors: &mut Vec<MappingError>) -> Result<Vec<Source>, Vec<MappingError>> {
    let mut sources: Vec<Source> = BUNDLED
        .iter()
        .map(|(n, s)| Source { rel: n.to_string(), file: format!("mappings/{n}"), text: s.to_string() })
        .collect();
    let Some(dir) = user else { return Ok(sources) };
    if !dir.is_dir() {
        return Err(vec![MappingError::file(&dir.display().to_string(), "--mappings is not a directory")]);
    }
    for rel in user_files(dir) {
        let path = dir.join(&rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push(Source { rel, file: path.display().to_string(), text }),
            Err(e) => errors.push(MappingError::file(&path.display().to_string(), e.to_string())),
        }
    }
    Ok(sources)
}

/// `services.yaml`: pairs and services replace the ones they name; each target's naming rule is checked (its scope
/// kind is checked once every table is read, [`validate_target_scopes`]).
fn merge_services(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<ServicesFile>(src, errors) else { return };
    for p in f.pairs {
        t.pairs.retain(|q| !(q.aws == p.aws && q.azure == p.azure));
        t.pairs.push(p);
    }
    for (k, s) in f.services {
        if !s.targets.contains_key(&s.default_target) {
            errors.push(MappingError::at(
                src,
                "default_target:",
                format!("service `{k}`: default_target `{}` is not one of its targets", s.default_target),
            ));
        }
        for (tk, tg) in &s.targets {
            if !super::naming::RULES.contains(&tg.naming.as_str()) {
                errors.push(MappingError::at(
                    src,
                    &format!("naming: {}", tg.naming),
                    format!("service `{k}` target `{tk}`: unknown naming rule `{}`", tg.naming),
                ));
            }
        }
        t.services.insert(k, s);
    }
}

/// `azure-roles.yaml`: each role replaces the one of its name; GUIDs and kinds are checked.
fn merge_roles(t: &mut Tables, src: &Source, known: &mut BTreeMap<String, String>, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<RolesFile>(src, errors) else { return };
    for n in f.never_choose {
        t.never_choose.insert(n.id.to_ascii_lowercase());
    }
    for r in f.roles {
        let needle = format!("name: {}", r.name);
        let mut problem = |message: String| errors.push(MappingError::at(src, &needle, message));
        if !is_guid(&r.id) {
            problem(format!("role `{}`: id `{}` is not a GUID", r.name, r.id));
        }
        if !matches!(&*r.kind, "arm" | "cosmos-sql") {
            problem(format!("role `{}`: kind must be arm or cosmos-sql", r.name));
        }
        if let Some(bundled_id) = known.get(&*r.name)
            && !bundled_id.eq_ignore_ascii_case(&r.id)
        {
            problem(format!("role `{}`: GUID {} differs from the built-in role's {bundled_id}", r.name, r.id));
        }
        known.insert(r.name.to_string(), r.id.to_string());
        t.roles.retain(|q| q.name != r.name);
        if let Some(other) = t.roles.iter().find(|q| q.id.eq_ignore_ascii_case(&r.id)) {
            problem(format!("role `{}`: GUID {} is already used by `{}`", r.name, r.id, other.name));
        }
        t.roles.push(r);
    }
}

/// `actions/<prefix>.yaml`: each action replaces the one of its name (case-insensitive).
fn merge_actions(t: &mut Tables, prefix: &str, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<ActionsFile>(src, errors) else { return };
    if f.service != prefix {
        errors.push(MappingError::at(
            src,
            "service:",
            format!("`service: {}` does not match the file name `{prefix}`", f.service),
        ));
    }
    let entry = t.actions.entry(prefix.to_string()).or_default();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (name, a) in f.actions {
        let key = name.to_ascii_lowercase();
        if let Some(other) = seen.insert(key.clone(), name.clone()) {
            errors.push(MappingError::at(
                src,
                &format!("{name}:"),
                format!("action `{name}` is claimed twice (also as `{other}`; action names are case-insensitive)"),
            ));
        }
        entry.insert(key, (name, a));
    }
}

/// `scopes.yaml`: each kind replaces the one of its name (keeping its place) or is added at the end; what a kind
/// says of itself is checked here, what it says of other kinds and tables in [`validate_scopes`].
fn merge_scopes(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<ScopesFile>(src, errors) else { return };
    let mut seen = BTreeSet::new();
    for k in f.kinds {
        let at = |message: String| MappingError::at(src, &format!("kind: {}", k.kind), message);
        if !seen.insert(k.kind.clone()) {
            errors.push(at(format!("scope kind `{}` is listed twice", k.kind)));
        }
        for message in scope_kind_problems(&k) {
            errors.push(at(message));
        }
        match t.scopes.kinds.iter_mut().find(|q| q.kind == k.kind) {
            Some(q) => *q = k,
            None => t.scopes.kinds.push(k),
        }
    }
}

/// What is wrong with one scope kind on its own: placeholders, parameters, the Bicep declaration, the naming rule.
fn scope_kind_problems(k: &ScopeKind) -> Vec<String> {
    let mut out = Vec::new();
    let name = &k.kind;
    split_path(&k.az_path, |seg| match seg {
        "{name}" => {}
        "{param}" if !k.params.is_empty() => {}
        "{param}" => out.push(format!("scope kind `{name}`: `az_path` uses {{param}} but the kind has no params")),
        s if s.contains(['{', '}']) => {
            out.push(format!("scope kind `{name}`: `az_path` placeholder `{s}` is not {{name}} or {{param}}"))
        }
        _ => {}
    });
    for p in &k.params {
        if !crate::config::AzureConfig::RESOURCE_KEYS.contains(&p.config_key.as_str()) {
            out.push(format!(
                "scope kind `{name}`: parameter `{}`: `config_key: {}` is not a resource key of eks2aks.yaml's `azure:` ({})",
                p.name,
                p.config_key,
                crate::config::AzureConfig::RESOURCE_KEYS.join(", ")
            ));
        }
        let var = !p.shell_var.is_empty()
            && p.shell_var.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !p.shell_var.as_bytes()[0].is_ascii_digit();
        let ident = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !var {
            out.push(format!("scope kind `{name}`: `shell_var: {}` is not an upper-case shell variable", p.shell_var));
        }
        if !ident(&p.name) || p.name.as_bytes()[0].is_ascii_digit() {
            out.push(format!("scope kind `{name}`: parameter `{}` is not a Bicep identifier", p.name));
        }
    }
    if !k.params.is_empty() && k.bicep.symbol.is_none() && k.bicep.module.is_none() {
        out.push(format!(
            "scope kind `{name}`: a kind with params is a parent resource and needs `bicep.symbol` (or `bicep.module` for a resource group of its own)"
        ));
    }
    if let Some(m) = &k.bicep.module {
        let ident = !m.is_empty()
            && m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !m.as_bytes()[0].is_ascii_digit();
        if !ident {
            out.push(format!("scope kind `{name}`: `bicep.module: {m}` is not a Bicep identifier"));
        }
        if k.params.is_empty() || k.parent.is_some() || !k.az_path.is_empty() || k.bicep.symbol.is_some() {
            out.push(format!(
                "scope kind `{name}`: a `bicep.module` kind is a resource group of its own: it needs `params` (the first names the group) and has no `parent`, `az_path` or `bicep.symbol`"
            ));
        }
    }
    if k.bicep.service.is_some() && k.bicep.leaf.is_none() {
        out.push(format!("scope kind `{name}`: `bicep.service` needs `bicep.leaf`"));
    }
    let declared = k.bicep.symbol.is_some() || k.bicep.leaf.is_some();
    match k.bicep.api_version.as_deref() {
        None if declared => {
            out.push(format!("scope kind `{name}`: a kind the template declares needs `bicep.api_version`"))
        }
        Some(v) if !is_api_version(v) => out.push(format!(
            "scope kind `{name}`: `api_version: {v}` is not an ARM API version (YYYY-MM-DD or YYYY-MM-DD-preview)"
        )),
        _ => {}
    }
    if !super::naming::RULES.contains(&k.naming.as_str()) {
        out.push(format!("scope kind `{name}`: unknown naming rule `{}`", k.naming));
    }
    out
}

/// `addons.yaml`: each add-on replaces the one of its id whole (keeping its place) or is added at the end; each is
/// checked on its own ([`super::addons::problems`]).
fn merge_addons(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<super::addons::AddonsFile>(src, errors) else { return };
    let mut seen = BTreeSet::new();
    for a in f.addons {
        let at = |message: String| MappingError::at(src, &format!("id: {}", a.id), message);
        if !seen.insert(a.id.clone()) {
            errors.push(at(format!("add-on `{}` is listed twice", a.id)));
        }
        for message in super::addons::problems(&a) {
            errors.push(at(message));
        }
        match t.addons.iter_mut().find(|q| q.id == a.id) {
            Some(q) => *q = a,
            None => t.addons.push(a),
        }
    }
}

/// `aws-managed-policies.yaml`: a policy replaces the bundled one with its ARN, a well-known key the bundled key.
fn merge_managed(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<super::managed::ManagedFile>(src, errors) else { return };
    let mut seen = BTreeSet::new();
    for mut p in f.policies {
        let at = |message: String| MappingError::at(src, &format!("name: {}", p.name), message);
        if !seen.insert(p.arn.clone()) {
            errors.push(at(format!("policy `{}` is listed twice", p.arn)));
        }
        for message in super::managed::policy_problems(&p) {
            errors.push(at(message));
        }
        p.table.clone_from(&src.file);
        t.managed.policies.insert(p.arn.clone(), p);
    }
    for mut w in f.well_known {
        w.table.clone_from(&src.file);
        t.managed.well_known.insert(w.key.clone(), w);
    }
}

/// Every well-known key of the merged table names bundled policies (checked once all tables are read).
fn check_well_known(t: &Tables, sources: &[Source], errors: &mut Vec<MappingError>) {
    for w in t.managed.well_known.values() {
        for message in super::managed::well_known_problems(w, &t.managed.policies) {
            let src = sources
                .iter()
                .rev()
                .find(|s| s.rel == "aws-managed-policies.yaml" && s.text.contains(&format!("key: {}", w.key)));
            errors.push(match src {
                Some(src) => MappingError::at(src, &format!("key: {}", w.key), message),
                None => MappingError::file("aws-managed-policies.yaml", message),
            });
        }
    }
}

/// An ARM API version: `YYYY-MM-DD`, optionally `-preview`.
fn is_api_version(v: &str) -> bool {
    let date = v.strip_suffix("-preview").unwrap_or(v).as_bytes();
    date.len() == 10
        && date.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() })
}

/// `k8s-resources.yaml`: merged over the table entry by entry, then checked whole.
fn merge_k8s_resources(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<super::k8s_resources::File>(src, errors) else { return };
    for (needle, message) in t.k8s_resources.merge(f) {
        errors.push(MappingError::at(src, &needle, message));
    }
}

/// `workloads.yaml`: each entry replaces the kinds it names (of its group) or is added; each is checked on its
/// own ([`crate::model::pod_kinds_problems`]).
fn merge_workloads(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<crate::model::PodKindsFile>(src, errors) else { return };
    for k in &f.kinds {
        for message in crate::model::pod_kinds_problems(k) {
            errors.push(MappingError::at(src, &format!("group: {}", k.group), message));
        }
    }
    Arc::make_mut(&mut t.pod_kinds).merge(f);
}

/// `keda-triggers.yaml`: each entry replaces the bundled entry of its `type` or is added; each is checked on its
/// own (the services and Azure types it names are checked in [`validate`]).
fn merge_keda_triggers(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<super::keda_triggers::File>(src, errors) else { return };
    for (needle, message) in t.keda_triggers.merge(f) {
        errors.push(MappingError::at(src, &needle, message));
    }
}

/// `storage-configs.yaml`: each shape replaces the bundled shape of its id or is added; each is checked on its own
/// ([`super::storage_configs::problems`]) and ids are unique in a file.
fn merge_storage_configs(t: &mut Tables, src: &Source, errors: &mut Vec<MappingError>) {
    let Some(f) = parse::<super::storage_configs::StorageConfigsFile>(src, errors) else { return };
    let mut seen = BTreeSet::new();
    for s in &f.shapes {
        if !seen.insert(s.id.as_str()) {
            errors.push(MappingError::at(src, &format!("id: {}", s.id), format!("shape `{}` is listed twice", s.id)));
        }
        for message in super::storage_configs::problems(s) {
            errors.push(MappingError::at(src, &format!("id: {}", s.id), message));
        }
    }
    super::storage_configs::merge(&mut t.storage_configs, f);
}

fn user_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for name in [
        "services.yaml",
        "azure-roles.yaml",
        "azure-operations.yaml",
        "scopes.yaml",
        "addons.yaml",
        "k8s-resources.yaml",
        "aws-managed-policies.yaml",
        "workloads.yaml",
        "keda-triggers.yaml",
        "storage-configs.yaml",
    ] {
        if dir.join(name).is_file() {
            out.push(name.to_string());
        }
    }
    if let Ok(rd) = std::fs::read_dir(dir.join("actions")) {
        let mut names: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        names.sort();
        for p in names {
            out.push(format!("actions/{}", p.file_name().unwrap_or_default().to_string_lossy()));
        }
    }
    out
}

/// The sources of a table, the user's first.
struct Locate<'s>(&'s [Source]);

impl<'s> Locate<'s> {
    /// The last source of `rel` (the user's, when given), or a placeholder naming `rel`.
    fn last(&self, rel: &str) -> Option<&'s Source> {
        self.0.iter().rev().find(|s| s.rel == rel)
    }

    /// A problem at the line of `rel` that starts with `needle`: in the user's file when it has one, else the
    /// bundled one (the entry comes from there); the user's file without a line when neither has it.
    fn at(&self, rel: &str, needle: &str, message: impl Into<String>) -> MappingError {
        let message = message.into();
        let mut cands = self.0.iter().rev().filter(|s| s.rel == rel);
        match cands.clone().find(|s| line_of(&s.text, needle).is_some()).or_else(|| cands.next()) {
            Some(src) => MappingError::at(src, needle, message),
            None => MappingError::file(rel, message),
        }
    }
}

/// Cross-table checks: every action file has a service, every target key exists, every Azure action exists and
/// is granted by some role (one of the target's), no `never_choose` role is in the role table, and the scope kinds
/// hang together and agree with the targets and the roles.
fn validate(t: &Tables, sources: &[Source], errors: &mut Vec<MappingError>) {
    let at = Locate(sources);
    validate_actions(t, &at, errors);
    validate_target_roles(t, &at, errors);
    for r in t.roles.iter().filter(|r| t.never_choose.contains(&r.id.to_ascii_lowercase())) {
        errors.push(at.at(
            "azure-roles.yaml",
            &format!("name: {}", r.name),
            format!("role `{}` is in never_choose and must not be in the role table", r.name),
        ));
    }
    validate_scopes(t, &at, errors);
    validate_target_scopes(t, &at, errors);
    for (needle, message) in super::keda_triggers::cross_problems(&t.keda_triggers, &t.services, &t.scopes) {
        errors.push(at.at("keda-triggers.yaml", &needle, message));
    }
    for (needle, message) in super::storage_configs::cross_problems(&t.storage_configs, &t.scopes, &t.roles) {
        errors.push(at.at("storage-configs.yaml", &needle, message));
    }
}

/// True when some role of `roles` grants the permission (`data`: a data action).
fn granted_by<'r>(mut roles: impl Iterator<Item = &'r Role>, perm: &str, data: bool) -> bool {
    roles.any(|r| {
        let (allow, deny) = if data { (&r.data_actions, &r.not_data_actions) } else { (&r.actions, &r.not_actions) };
        allow.iter().any(|p| glob_ci(p, perm)) && !deny.iter().any(|p| glob_ci(p, perm))
    })
}

/// The permissions of a target mapping: (name, is a data action).
fn perms(m: &TargetMapping) -> impl Iterator<Item = (&String, bool)> {
    m.data_actions.iter().map(|d| (d, true)).chain(m.actions.iter().map(|d| (d, false)))
}

/// An Azure operation that changes or removes data: `…/write`, `…/delete`, or an `…/action` whose verb deletes
/// (`permanentDelete/action`, `deleteBlobVersion/action`, `purge/action`).
fn writes_or_deletes(op: &str) -> bool {
    let mut seg = op.rsplit('/');
    let last = seg.next().unwrap_or_default().to_ascii_lowercase();
    let verb = seg.next().unwrap_or_default().to_ascii_lowercase();
    matches!(last.as_str(), "write" | "delete") || (last == "action" && (verb.contains("delete") || verb == "purge"))
}

/// Every action file: its service exists, each action has `targets` or `none`, each target exists and its
/// permissions are known Azure data actions granted by some role.
fn validate_actions(t: &Tables, at: &Locate, errors: &mut Vec<MappingError>) {
    let known: BTreeSet<String> = t.data_actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    for (prefix, actions) in &t.actions {
        let rel = format!("actions/{prefix}.yaml");
        let Some(service) = t.services.get(prefix) else {
            let file = at.last(&rel).map_or(rel.clone(), |s| s.file.clone());
            errors.push(MappingError::file(
                &file,
                format!("no `services.{prefix}` entry in services.yaml for this actions file"),
            ));
            continue;
        };
        for (name, a) in actions.values() {
            let mut problem = |message: String| errors.push(at.at(&rel, &format!("{name}:"), message));
            if a.targets.is_some() == a.none.is_some() {
                problem(format!("action `{name}` needs exactly one of `targets` and `none`"));
            }
            for (tk, m) in a.targets.iter().flatten() {
                if !service.targets.contains_key(tk) {
                    let keys: Vec<&str> = service.targets.keys().map(String::as_str).collect();
                    problem(format!(
                        "action `{name}`: unknown target `{tk}` (service `{prefix}` has {})",
                        keys.join(", ")
                    ));
                }
                if m.none.is_some() == (!m.data_actions.is_empty() || !m.actions.is_empty()) {
                    problem(format!(
                        "action `{name}` target `{tk}` needs `none` or data_actions/actions, not both or neither"
                    ));
                }
                for d in m.data_actions.iter().filter(|d| !known.contains(&d.to_ascii_lowercase())) {
                    problem(format!("action `{name}`: `{d}` is not a known Azure data action (azure-operations.yaml)"));
                }
                for (d, _) in perms(m).filter(|(d, data)| !granted_by(t.roles.iter(), d, *data)) {
                    problem(format!("action `{name}`: no role in azure-roles.yaml grants `{d}`"));
                }
                if matches!(a.access.as_str(), "Read" | "List") {
                    for (d, _) in perms(m).filter(|(d, _)| writes_or_deletes(d)) {
                        problem(format!(
                            "action `{name}` has access {} but `{d}` writes or deletes: a read would be granted as a change (the soundness check trusts this table)",
                            a.access
                        ));
                    }
                }
            }
        }
    }
}

/// Every target's candidate roles exist, and every permission an action needs on the target is granted by one.
fn validate_target_roles(t: &Tables, at: &Locate, errors: &mut Vec<MappingError>) {
    let role_names: BTreeSet<&str> = t.roles.iter().map(|r| &*r.name).collect();
    for (prefix, service) in &t.services {
        for (tk, target) in &service.targets {
            for r in target.roles.iter().filter(|r| !role_names.contains(r.as_str())) {
                let message = format!("service `{prefix}` target `{tk}`: unknown role `{r}` (not in azure-roles.yaml)");
                let mut e = at.at("services.yaml", &format!("- {r}"), message);
                // A flow list (`roles: [A, B]`): the first line that names the role.
                if e.line.is_none()
                    && let Some(src) = at.last("services.yaml")
                    && let Some((i, l)) = src.text.lines().enumerate().find(|(_, l)| l.contains(r.as_str()))
                {
                    e.line = Some(i + 1);
                    e.column = l.find(r.as_str()).map(|b| l[..b].chars().count() + 1);
                }
                errors.push(e);
            }
            for r in target.preferred_roles.iter().filter(|r| !target.roles.contains(r)) {
                let message =
                    format!("service `{prefix}` target `{tk}`: preferred role `{r}` is not one of the target's roles");
                errors.push(at.at("services.yaml", "preferred_roles:", message));
            }
            if target.roles.is_empty() {
                continue;
            }
            let cands = || t.roles.iter().filter(|r| target.roles.iter().any(|n| **n == *r.name));
            for (name, a) in t.actions.get(prefix).into_iter().flat_map(|m| m.values()) {
                let Some(m) = a.targets.as_ref().and_then(|x| x.get(tk)) else { continue };
                for (d, _) in perms(m).filter(|(d, data)| !granted_by(cands(), d, *data)) {
                    errors.push(at.at(
                        &format!("actions/{prefix}.yaml"),
                        &format!("{name}:"),
                        format!("action `{name}` needs `{d}` on `{tk}`, which none of the target's roles grants"),
                    ));
                }
            }
        }
    }
}

/// The scope kinds together: parents exist and end at the root without a cycle, only the root has no parent, a
/// parent's path names no scope, parameters are declared once, kinds of one Azure type agree on the endpoint, and
/// their roles exist.
fn validate_scopes(t: &Tables, at: &Locate, errors: &mut Vec<MappingError>) {
    let s = &t.scopes;
    let role_names: BTreeSet<&str> = t.roles.iter().map(|r| &*r.name).collect();
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    let mut endpoints: BTreeMap<&str, (&str, Option<&str>)> = BTreeMap::new();
    for k in &s.kinds {
        let mut problem = |message: String| errors.push(at.at("scopes.yaml", &format!("kind: {}", k.kind), message));
        match k.parent.as_deref() {
            Some(p) if s.get(p).is_none() => problem(format!("scope kind `{}`: unknown parent `{p}`", k.kind)),
            Some(_)
                if s.chain(&k.kind)
                    .last()
                    .is_some_and(|end| end.parent.as_deref().is_some_and(|p| s.get(p).is_some())) =>
            {
                problem(format!("scope kind `{}`: its parents form a cycle", k.kind))
            }
            Some(_) => {}
            None if k.fixed_name.is_none() && k.bicep.module.is_none() => problem(format!(
                "scope kind `{}` has no parent: only the root kind (the resource group, with a `fixed_name`) may have none",
                k.kind
            )),
            None => {}
        }
        if k.az_path.contains("{name}") && s.kinds.iter().any(|c| c.parent.as_deref() == Some(&k.kind)) {
            problem(format!("scope kind `{}` is a parent: its `az_path` cannot use {{name}}", k.kind));
        }
        for p in &k.params {
            if let Some(other) = params.insert(&p.name, &k.kind) {
                problem(format!("scope kind `{}`: parameter `{}` is also declared by `{other}`", k.kind, p.name));
            }
        }
        let endpoint = k.endpoint.as_deref();
        if let Some((other, e)) = endpoints.insert(&k.azure_type, (&k.kind, endpoint))
            && endpoint.is_some()
            && e.is_some()
            && e != endpoint
        {
            problem(format!("scope kind `{}`: endpoint differs from `{other}`'s for {}", k.kind, k.azure_type));
        }
        for r in k.roles.iter().filter(|r| !role_names.contains(r.as_str())) {
            problem(format!("scope kind `{}`: unknown role `{r}` (not in azure-roles.yaml)", k.kind));
        }
    }
}

/// Every target's scope kind exists; a kind named by the policies names its resources by the target's rule; and the
/// target's candidate roles may be assigned at its kind and at the kind a `Resource: "*"` widens it to.
fn validate_target_scopes(t: &Tables, at: &Locate, errors: &mut Vec<MappingError>) {
    for (prefix, service) in &t.services {
        for (tk, tg) in &service.targets {
            let needle = format!("scope_kind: {}", tg.scope_kind);
            let what = format!("service `{prefix}` target `{tk}`");
            let Some(kind) = t.scopes.get(&tg.scope_kind) else {
                errors.push(at.at("services.yaml", &needle, format!("{what}: unknown scope_kind `{}`", tg.scope_kind)));
                continue;
            };
            if kind.params.is_empty() && kind.naming != tg.naming {
                errors.push(at.at(
                    "services.yaml",
                    &needle,
                    format!(
                        "{what}: naming `{}` differs from scope kind `{}`'s `{}` (scopes.yaml)",
                        tg.naming, kind.kind, kind.naming
                    ),
                ));
            }
            // A kind that is never widened has no broad scope to take the roles.
            let broad = t.scopes.broad(&kind.kind).and_then(|(b, _)| t.scopes.get(b)).filter(|_| !kind.never_widen);
            for k in std::iter::once(kind).chain(broad.filter(|b| b.kind != kind.kind)) {
                for r in tg.roles.iter().filter(|r| !k.roles.contains(r)) {
                    errors.push(at.at(
                        "services.yaml",
                        &needle,
                        format!("{what}: role `{r}` is not one of scope kind `{}`'s roles (scopes.yaml)", k.kind),
                    ));
                }
            }
        }
    }
}

impl Tables {
    /// Which AWS actions each Azure permission stands for, per service and target: what a grant of the permission
    /// lets an identity do in AWS terms (used to subtract Denies and by the soundness check).
    pub fn reverse(&self) -> &Reverse {
        self.reverse.get_or_init(|| {
            let mut out: Reverse = BTreeMap::new();
            for (prefix, actions) in &self.actions {
                for (spelling, action) in actions.values() {
                    for (tkey, m) in action.targets.iter().flatten() {
                        if m.none.is_some() {
                            continue;
                        }
                        let perms =
                            m.data_actions.iter().map(|d| (true, d)).chain(m.actions.iter().map(|d| (false, d)));
                        for (data, d) in perms {
                            out.entry((prefix.clone(), tkey.clone()))
                                .or_default()
                                .entry(super::choose::Perm { data, name: d.clone() })
                                .or_default()
                                .push((format!("{prefix}:{spelling}"), action.resource_kinds.clone()));
                        }
                    }
                }
            }
            out
        })
    }

    /// A scope kind of `scopes.yaml` by name (`queue`, `container`, …): its Azure type, parents, parameters, whether
    /// a blob-path condition applies ([`ScopeKind::blob_condition`]).
    pub fn scope(&self, kind: &str) -> Option<&ScopeKind> {
        self.scopes.get(kind)
    }

    /// The action of a service, by name (case-insensitive).
    pub fn action(&self, prefix: &str, name: &str) -> Option<&(String, Action)> {
        self.actions.get(prefix)?.get(&name.to_ascii_lowercase())
    }

    /// The Azure counterparts of an AWS service name, from the seed's pairs (case-insensitive substring match on
    /// the AWS name, for messages).
    pub fn counterparts(&self, aws_name: &str) -> Vec<&Pair> {
        let n = aws_name.to_ascii_lowercase();
        self.pairs.iter().filter(|p| p.aws.to_ascii_lowercase().contains(&n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_load_and_validate() {
        let t =
            load(None).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
        assert!(t.services.contains_key("sqs") && t.services.contains_key("dynamodb"));
        assert!(t.pairs.len() > 50);
        assert!(t.action("sqs", "receivemessage").is_some());
    }

    #[test]
    fn a_read_action_mapped_to_a_write_or_delete_is_refused() {
        // Review 2: a user table mapping `s3:GetObject` (access Read) to blob delete passed `mappings check`, and
        // `plan` granted deletes for a read with no finding (the soundness check trusts the tables).
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("actions")).unwrap();
        let b = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
        std::fs::write(
            dir.path().join("actions/s3.yaml"),
            format!("service: s3\nactions:\n  GetObject:\n    access: Read\n    resource_kinds: [object]\n    targets:\n      storage-blob:\n        data_actions:\n          - {b}/read\n          - {b}/delete\n          - {b}/permanentDelete/action\n"),
        )
        .unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        let all: Vec<String> = errs.iter().map(ToString::to_string).collect();
        let all = all.join("\n");
        assert!(
            all.contains(&format!("action `GetObject` has access Read but `{b}/delete` writes or deletes")),
            "{all}"
        );
        assert!(all.contains("permanentDelete/action` writes or deletes"), "{all}");
        assert!(!all.contains("/read` writes"), "{all}");
        assert!(errs.iter().all(|e| e.line.is_some()), "{all}");
    }

    #[test]
    fn user_override_replaces_entries_and_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("actions")).unwrap();
        std::fs::write(
            dir.path().join("actions/sqs.yaml"),
            "service: sqs\nactions:\n  SendMessage:\n    access: Write\n    targets:\n      storage-queue:\n        data_actions: [Microsoft.Storage/storageAccounts/queueServices/queues/messages/read]\n      service-bus:\n        none: no\n  sendmessage:\n    access: Write\n    none: twice\n  Bogus:\n    access: Read\n    targets:\n      nowhere:\n        data_actions: [Microsoft.Nope/x/action]\n",
        )
        .unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("claimed twice"), "{all}");
        assert!(all.contains("unknown target `nowhere`"), "{all}");
        assert!(all.contains("not a known Azure data action"), "{all}");
        assert!(errs.iter().all(|e| e.line.is_some()), "{all}");
    }

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("azure-roles.yaml"),
            "roles:\n  - name: X\n    id: not-a-guid\n    kind: arm\n    colour: red\n",
        )
        .unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("colour") && e.line == Some(5)), "{errs:?}");
    }

    /// Every `scope_kind` of services.yaml is a kind of scopes.yaml, and each widens to a known scope.
    #[test]
    fn every_scope_kind_of_the_services_is_in_scopes_yaml() {
        let t = load(None).unwrap();
        for (prefix, s) in &t.services {
            for (tk, tg) in &s.targets {
                assert!(t.scope(&tg.scope_kind).is_some(), "{prefix} {tk}: `{}` not in scopes.yaml", tg.scope_kind);
                assert!(t.scopes.broad(&tg.scope_kind).is_some(), "{prefix} {tk}: `{}` widens nowhere", tg.scope_kind);
            }
        }
    }

    /// What the renderers and the planner read from the table.
    #[test]
    fn scope_kinds_answer_paths_parents_endpoints_and_conditions() {
        let t = load(None).unwrap();
        let s = &t.scopes;
        assert_eq!(
            s.az_path("queue"),
            [
                PathSeg::Lit("/providers/Microsoft.Storage/storageAccounts/"),
                PathSeg::Param("storageAccountName"),
                PathSeg::Lit("/queueServices/default/queues/"),
                PathSeg::Name,
            ]
        );
        assert!(s.az_path("monitor_workspace").is_empty() && s.az_path("no-such-kind").is_empty());
        assert_eq!(s.broad("container"), Some(("storage_account", "param:storageAccountName".into())));
        assert_eq!(s.broad("container_registry"), Some(("container_registry", "param:containerRegistryName".into())));
        assert_eq!(s.broad("log_analytics_workspace"), Some(("resource_group", "resourceGroup".into())));
        assert_eq!(s.named_parent("cosmos_container").map(|k| k.params.len()), Some(2));
        assert_eq!(s.url_kind("Microsoft.Storage/storageAccounts/blobServices/containers"), Some("blob"));
        assert_eq!(s.url_kind("Microsoft.KeyVault/vaults/keys"), None);
        let blob: Vec<&str> = s.kinds.iter().filter(|k| k.blob_condition).map(|k| k.kind.as_str()).collect();
        assert_eq!(blob, ["container"]);
        assert_eq!(s.param("cosmosDatabaseName").map(|p| p.shell_var.as_str()), Some("COSMOS_DATABASE"));
        assert_eq!(bundled_scopes().kinds.len(), s.kinds.len());
    }

    fn scope_errors(scopes: &str, services: Option<&str>) -> Vec<MappingError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scopes.yaml"), scopes).unwrap();
        if let Some(s) = services {
            std::fs::write(dir.path().join("services.yaml"), s).unwrap();
        }
        load(Some(dir.path())).unwrap_err()
    }

    #[test]
    fn a_parent_that_is_no_scope_kind_is_an_error_with_its_line() {
        let errs = scope_errors(
            "kinds:\n  - kind: queue\n    azure_type: Microsoft.Storage/storageAccounts/queueServices/queues\n    parent: storage_acount\n    naming: queue\n",
            None,
        );
        let e = errs.iter().find(|e| e.message.contains("unknown parent `storage_acount`")).expect("reported");
        assert_eq!((e.line, e.column), (Some(2), Some(11)), "{errs:?}");
        assert!(e.file.ends_with("scopes.yaml") && e.source_line.as_deref() == Some("  - kind: queue"), "{e:?}");
    }

    /// A user's kind replaces the bundled one of its name in place; the merged table is valid.
    #[test]
    fn a_user_scope_kind_replaces_the_bundled_one_in_place() {
        let bundled = load(None).unwrap();
        let at = bundled.scopes.kinds.iter().position(|k| k.kind == "key_vault").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("scopes.yaml"),
            "kinds:\n  - kind: key_vault\n    azure_type: Microsoft.KeyVault/vaults\n    parent: resource_group\n    params:\n      - name: keyVaultName\n        shell_var: KV\n        config_key: key_vault\n        description: Ours.\n    az_path: /providers/Microsoft.KeyVault/vaults/{param}\n    bicep:\n      symbol: keyVault\n      api_version: \"2024-11-01\"\n    naming: key_vault\n    roles: [Key Vault Crypto Officer, Key Vault Crypto Service Encryption User, Key Vault Crypto Service Release User, Key Vault Crypto User, Key Vault Reader, Key Vault Secrets Officer, Key Vault Secrets User]\n",
        )
        .unwrap();
        let t = load(Some(dir.path())).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(t.scopes.kinds.len(), bundled.scopes.kinds.len());
        assert_eq!(t.scopes.kinds[at].params[0].shell_var, "KV");
        assert_eq!(t.scopes.kinds[at].bicep.api_version.as_deref(), Some("2024-11-01"));
        assert!(t.origins.iter().any(|o| o.table == "scopes.yaml" && o.from.ends_with("scopes.yaml")));
    }

    /// A kind the Bicep template declares carries the API version it is declared with; a missing or malformed one
    /// is an error at the kind's line.
    #[test]
    fn a_declared_kind_needs_a_well_formed_api_version() {
        let kind = |bicep: &str| {
            format!(
                "kinds:\n  - kind: app_configuration\n    azure_type: Microsoft.AppConfiguration/configurationStores\n    parent: resource_group\n    params:\n      - name: appConfigurationName\n        shell_var: APP_CONFIGURATION\n        config_key: app_configuration\n        description: Ours.\n    az_path: /providers/Microsoft.AppConfiguration/configurationStores/{{param}}\n    bicep:\n      symbol: appConfiguration\n{bicep}    naming: generic\n"
            )
        };
        for (bicep, wanted) in
            [("", "needs `bicep.api_version`"), ("      api_version: \"2023-3-1\"\n", "is not an ARM API version")]
        {
            let errs = scope_errors(&kind(bicep), None);
            assert!(errs.iter().any(|e| e.message.contains(wanted) && e.line == Some(2)), "{bicep}: {errs:?}");
        }
        for good in ["2023-03-01", "2024-02-15-preview"] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("scopes.yaml"), kind(&format!("      api_version: \"{good}\"\n"))).unwrap();
            let errs = load(Some(dir.path())).err().unwrap_or_default();
            assert!(!errs.iter().any(|e| e.message.contains("api_version")), "{good}: {errs:?}");
        }
    }

    /// A resource group of its own (`bicep.module`, the AKS node resource group) is named by a parameter, has no
    /// parent or path below another kind, and its module name is a Bicep identifier; the bundled one is valid.
    #[test]
    fn a_module_kind_is_a_resource_group_of_its_own() {
        let bundled = load(None).unwrap();
        let (p, m) = bundled.scopes.own_group("node_resource_group").unwrap();
        assert_eq!((p.name.as_str(), m), ("nodeResourceGroup", "nodeResourceGroupRoles"));
        assert!(bundled.scopes.own_group("storage_account").is_none());
        let errs = scope_errors(
            "kinds:\n  - kind: node_resource_group\n    azure_type: Microsoft.Resources/resourceGroups\n    parent: resource_group\n    az_path: /x\n    bicep:\n      module: 2bad-name\n    naming: generic\n",
            None,
        );
        let all: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
        assert!(all.iter().any(|m| m.contains("`bicep.module: 2bad-name` is not a Bicep identifier")), "{all:?}");
        assert!(
            all.iter().any(|m| m.contains("it needs `params` (the first names the group) and has no `parent`")),
            "{all:?}"
        );
    }

    /// The snapshot roles of storage-configs.yaml are azure-roles.yaml's, with the same id, at a kind that allows
    /// them.
    #[test]
    fn snapshot_roles_agree_with_the_role_table_and_their_scope_kind() {
        let t = load(None).unwrap();
        assert!(super::super::storage_configs::cross_problems(&t.storage_configs, &t.scopes, &t.roles).is_empty());
        let mut shapes = t.storage_configs.clone();
        let sn = shapes.iter_mut().find_map(|s| s.snapshots.as_mut()).unwrap();
        sn.roles[0].id = "00000000-0000-0000-0000-000000000000".into();
        sn.roles[1].name = "Disk Pool Operator".into();
        sn.scope_kind = "storage_account".into();
        let mut unknown_kind = shapes.clone();
        let problems: Vec<String> = super::super::storage_configs::cross_problems(&shapes, &t.scopes, &t.roles)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        assert!(
            problems.iter().any(|m| m.contains("has id 7efff54f-a5b4-42b5-a1c5-5411624893ce in azure-roles.yaml")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|m| m.contains("role `Disk Pool Operator` is not in azure-roles.yaml")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|m| m.contains("may not be assigned at scope kind `storage_account`")),
            "{problems:?}"
        );
        // An unknown scope kind does not hide the role problems (every problem in one run).
        unknown_kind.iter_mut().find_map(|s| s.snapshots.as_mut()).unwrap().scope_kind = "node_resourcegroup".into();
        let problems: Vec<String> = super::super::storage_configs::cross_problems(&unknown_kind, &t.scopes, &t.roles)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("`snapshots.scope_kind: node_resourcegroup` is not a scope kind"), "{problems:?}");
    }

    #[test]
    fn a_kind_without_parent_other_than_the_root_is_an_error() {
        let errs = scope_errors("kinds:\n  - kind: orphan\n    azure_type: Microsoft.X/y\n    naming: generic\n", None);
        assert!(errs.iter().any(|e| e.message.contains("`orphan` has no parent") && e.line == Some(2)), "{errs:?}");
    }

    #[test]
    fn unknown_keys_and_bad_placeholders_in_scopes_are_errors() {
        let errs =
            scope_errors("kinds:\n  - kind: queue\n    azure_type: T\n    naming: queue\n    colour: red\n", None);
        assert!(errs.iter().any(|e| e.message.contains("colour") && e.line == Some(5)), "{errs:?}");
        let errs = scope_errors(
            "kinds:\n  - kind: queue\n    azure_type: T\n    parent: storage_account\n    az_path: /q/{nme}/{param}\n    naming: queue\n",
            None,
        );
        let all: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
        assert!(all.iter().any(|m| m.contains("`{nme}` is not {name} or {param}")), "{all:?}");
        assert!(all.iter().any(|m| m.contains("uses {param} but the kind has no params")), "{all:?}");
    }

    #[test]
    fn a_target_on_an_unknown_scope_kind_or_outside_its_roles_is_an_error() {
        let services = "services:\n  sqs:\n    name: SQS\n    arn_resources: []\n    default_target: storage-queue\n    targets:\n      storage-queue:\n        azure_service: Q\n        azure_type: T\n        scope_kind: quene\n        naming: queue\n        roles: []\n      service-bus:\n        azure_service: Q\n        azure_type: T\n        scope_kind: queue\n        naming: queue\n        roles: [Storage Blob Data Reader]\n";
        let errs = scope_errors("kinds: []\n", Some(services));
        let all: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(
            all.iter().any(|m| m.contains(":10: service `sqs` target `storage-queue`: unknown scope_kind `quene`")),
            "{all:?}"
        );
        assert!(
            all.iter().any(|m| m.contains("role `Storage Blob Data Reader` is not one of scope kind `queue`'s roles")),
            "{all:?}"
        );
    }

    #[test]
    fn wrong_guid_for_a_builtin_role_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("azure-roles.yaml"), "roles:\n  - name: Storage Queue Data Reader\n    id: 00000000-1111-2222-3333-444444444444\n    kind: arm\n    actions: []\n    data_actions: [Microsoft.Storage/storageAccounts/queueServices/queues/messages/read]\n").unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("differs from the built-in")), "{errs:?}");
    }
}

#[cfg(test)]
mod consistency {
    use super::*;

    /// Every ARM role of the bundled table matches `shared/data/azure-builtin-roles.json` (the `az role definition
    /// list` export) by name, GUID and permissions. The shared data sits beside the repository in CI; a developer
    /// without it gets a skipped test, CI gets a failure.
    #[test]
    fn role_table_matches_the_builtin_roles_export() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/azure-builtin-roles.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(std::env::var_os("CI").is_none(), "{} is missing in CI", path.display());
            return;
        };
        let export: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let by_name: BTreeMap<&str, &serde_json::Value> =
            export.iter().map(|r| (r["roleName"].as_str().unwrap(), r)).collect();
        let t = load(None).unwrap();
        let mut checked = 0;
        for r in t.roles.iter().filter(|r| &*r.kind == "arm") {
            let e = by_name.get(&*r.name).unwrap_or_else(|| panic!("`{}` is not a built-in role", r.name));
            assert_eq!(e["name"].as_str().unwrap(), &*r.id, "GUID of {}", r.name);
            let list = |k: &str| -> BTreeSet<String> {
                e["permissions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|p| p[k].as_array().cloned().unwrap_or_default())
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            assert_eq!(list("dataActions"), r.data_actions.iter().cloned().collect(), "dataActions of {}", r.name);
            assert_eq!(list("actions"), r.actions.iter().cloned().collect(), "actions of {}", r.name);
            checked += 1;
        }
        for (name, id) in [
            ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
            ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
            ("User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"),
        ] {
            assert_eq!(by_name[name]["name"], id);
            assert!(t.never_choose.contains(id), "{name} must be in never_choose");
        }
        assert!(checked > 50, "only {checked} roles checked");
    }
}
