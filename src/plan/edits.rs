//! Every edit `translate` makes to the input manifests, decided here from the plan, the model and the config.
//! The manifest rewriter (`render/k8s.rs`) finds each edit's place in the text and applies it; it decides nothing.
//! `plan --format json` lists them (`manifest_edits`, `eks_side_edits`), so a reviewer sees every edit before
//! `translate` makes it.
//!
//! An edit names its object (file and line) and, where it changes one value or one list item, that value's or
//! item's position. Client ids are named by identity (`client_id_of`): they come from `--client-ids` when
//! `translate` runs, or are marked placeholders.

use super::{Identity, Plan, Resource, WorkloadEntry};
use crate::config::Config;
use crate::diag::{FileId, Files, Loc, Pos};
use crate::ingest::scan;
use crate::mapping::{Tables, need};
use crate::model::{AwsRef, AwsRefKind, Model, SdkEnv, Workload};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The label that opts a pod into workload identity.
pub const USE_LABEL: &str = "azure.workload.identity/use";
/// The ServiceAccount annotation that carries the identity's client id.
pub const CLIENT_ID_ANNOTATION: &str = "azure.workload.identity/client-id";
/// The ServiceAccount annotation that carries the token lifetime.
pub const TOKEN_EXPIRATION_ANNOTATION: &str = "azure.workload.identity/service-account-token-expiration";

/// The edits of one input file, its objects in input order.
#[derive(Debug, Clone, Serialize)]
pub struct FileEdits {
    /// The input file.
    pub file: Arc<str>,
    /// That file.
    #[serde(skip)]
    pub file_id: FileId,
    /// Its edited objects.
    pub objects: Vec<ObjectEdits>,
}

/// The edits of one object, in the order they are applied.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectEdits {
    /// Kind.
    pub kind: Arc<str>,
    /// Name.
    pub name: String,
    /// Line where the object starts.
    pub line: u32,
    /// Where the object starts.
    #[serde(skip)]
    pub pos: Pos,
    /// The edits.
    pub edits: Vec<Edit>,
}

/// A value's or an item's place: line and column (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct At {
    /// Line.
    pub line: u32,
    /// Column.
    pub col: u32,
}

impl At {
    fn of(p: Pos) -> Self {
        At { line: p.line, col: p.col }
    }

    /// The position in the input.
    pub fn pos(self) -> Pos {
        Pos { line: self.line, col: self.col }
    }
}

/// An env item by place and name.
#[derive(Debug, Clone, Serialize)]
pub struct EnvItem {
    /// The variable.
    pub name: Arc<str>,
    /// Where the item starts.
    pub at: At,
}

/// An `AWS_ROLE_ARN` env item that becomes `AZURE_CLIENT_ID` of an identity.
#[derive(Debug, Clone, Serialize)]
pub struct ClientIdItem {
    /// Where the item starts.
    pub at: At,
    /// The identity.
    pub client_id_of: String,
}

/// What happens to a KEDA authentication's `podIdentity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PodIdentityEdit {
    /// An AWS provider becomes `azure-workload`.
    Replace,
    /// None was set: an `azure-workload` one is added.
    Add,
    /// Left as it is.
    Keep,
}

/// One edit of an object.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Edit {
    /// ServiceAccount: the `eks.amazonaws.com/*` annotations (`remove`) go; the identity's client id and the token
    /// lifetime (IRSA's, clamped to Azure's 3600–86400 seconds) are set.
    WorkloadIdentity {
        /// Annotation keys removed.
        remove: Vec<Arc<str>>,
        /// The identity whose client id is set, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id_of: Option<String>,
        /// The token lifetime set, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        token_expiration: Option<String>,
    },
    /// The pod template at `template` (a path from the object; empty: the object itself) gets
    /// `azure.workload.identity/use: "true"`.
    PodLabel {
        /// Path of the pod template.
        template: &'static [&'static str],
        /// Path of the labels map from the template, when not `metadata.labels` (`mappings/workloads.yaml`: a
        /// Spark driver's `labels`, an Argo Workflow's `podMetadata.labels`).
        #[serde(skip_serializing_if = "is_metadata_labels")]
        labels: &'static [&'static str],
    },
    /// Containers' env: the AWS SDK variables in `remove` go; each `AWS_ROLE_ARN` in `client_ids` becomes
    /// `AZURE_CLIENT_ID` of the identity planned for that role.
    Env {
        /// Path of the pod spec.
        #[serde(skip)]
        pod_spec: &'static [&'static str],
        /// Items removed.
        remove: Vec<EnvItem>,
        /// Items replaced by `AZURE_CLIENT_ID` of an identity.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        client_ids: Vec<ClientIdItem>,
    },
    /// Phased migration: the AWS bridge's env (and projected token) added to the pod and each container.
    AwsBridge {
        /// Path of the pod spec.
        #[serde(skip)]
        pod_spec: &'static [&'static str],
        /// Env items added to each container.
        env: Vec<Value>,
        /// Volumes added to the pod.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        volumes: Vec<Value>,
        /// Mounts added to each container.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        mounts: Vec<Value>,
    },
    /// The reverse bridge (`bridge_from_eks`): a projected Azure token and the `AZURE_*` variables for a workload
    /// that stays on EKS.
    AzureBridge {
        /// Path of the pod spec.
        #[serde(skip)]
        pod_spec: &'static [&'static str],
        /// The identity whose client id is set.
        client_id_of: String,
        /// The tenant.
        tenant: String,
    },
    /// A scalar: every whole occurrence of `token` in its text becomes `with` (an AWS endpoint, ARN or name; an ECR
    /// image). A value may hold several tokens, each an edit of its own at the same place; they apply together
    /// ([`rewrite_value`]).
    Value {
        /// Where the scalar is.
        at: At,
        /// The text replaced.
        token: Arc<str>,
        /// Its replacement.
        with: String,
    },
    /// ConfigMap: the `data` keys named like AWS SDK variables go.
    RemoveData {
        /// Keys removed.
        keys: Vec<Arc<str>>,
    },
    /// KEDA: trigger `index` becomes `with`.
    Trigger {
        /// Index in `spec.triggers`.
        index: usize,
        /// The new trigger.
        with: Value,
    },
    /// KEDA authentication: its pod identity for Azure, its AWS parameters removed.
    KedaAuthentication {
        /// What happens to `podIdentity`.
        pod_identity: PodIdentityEdit,
        /// The identity whose client id is its `identityId` (`None`: KEDA's own identity).
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id_of: Option<String>,
        /// The `secretTargetRef`/`env` parameters removed.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        remove_parameters: Vec<String>,
    },
    /// DNS and secrets (issue 20, `plan::dns_secrets`): the node at `at` — external-dns's `args`, a Route 53
    /// solver's `dns01`, an External Secrets store's `provider`, a `SecretProviderClass`'s `spec` — becomes `with`;
    /// when `client_id_of` is set, that identity's client id goes at `client_id_path` inside it. A list edited item
    /// by item (external-dns's `args`: `items`) keeps every other item, comment and quote as it is.
    Section {
        /// Where the node is.
        at: At,
        /// What it is (`external-dns-args`, `route53-solver`, `external-secrets-store`, `secret-provider-class`).
        what: &'static str,
        /// The AWS settings that go (args, fields).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        removed: Vec<String>,
        /// The settings that come in their place or are added (args).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        added: Vec<String>,
        /// The new node.
        with: Value,
        /// The list's changes item by item, when it is edited so (`with` is then what the list reads as after).
        #[serde(skip)]
        items: Option<ItemEdits>,
        /// The identity whose client id is set in it.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id_of: Option<String>,
        /// Where in `with` the client id goes.
        #[serde(skip)]
        client_id_path: &'static [&'static str],
    },
    /// StorageClass, Ingress, Service (decided by `plan::cloud` from `mappings/k8s-resources.yaml`): in the mapping
    /// at `map` (a path from the object; empty: the object itself) the keys in `remove` go and the keys in `set`
    /// are set (in place when present, added otherwise; the mapping itself is added when absent, and goes with its
    /// key when nothing is left in it).
    Fields {
        /// Path of the mapping.
        map: &'static [&'static str],
        /// Keys removed.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
        /// Keys set, in order.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        set: Vec<SetField>,
    },
    /// The storage configuration of a common stack (`plan::storage_configs`, `mappings/storage-configs.yaml`):
    /// the node at `at` — a ConfigMap/Secret value holding YAML, or a custom resource's node — becomes `with`, by
    /// replacing the text `spans` only (everything else, inside the value too, stays byte for byte). When
    /// `client_id_of` is set, that identity's client id replaces its placeholder in the spans.
    StorageConfig {
        /// The shape (`id` in `mappings/storage-configs.yaml`).
        shape: String,
        /// Where the node is.
        at: At,
        /// Where it ends.
        #[serde(skip)]
        end: At,
        /// What changes, for people.
        changes: Vec<String>,
        /// The text replaced: from, to (positions in the file), and the new text.
        spans: Vec<TextSpan>,
        /// What the node becomes (a ConfigMap value), or, with `nodes`, what changes in it node by node.
        #[serde(skip)]
        with: Value,
        /// A custom resource's changes node by node: (the node's place, its shape, the change).
        #[serde(skip)]
        nodes: Vec<(At, NodeShape, NodeChange)>,
        /// The identity whose client id the spans carry.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id_of: Option<String>,
    },
    /// A token inside a value written as a literal block (`|`: an embedded YAML/JSON document, a script;
    /// `plan::embedded_values`): the text `token` at `at` (its own line and column in the file) becomes `with`, and
    /// the value at `value_at` then reads as `reads`. Listed as a `value` edit.
    #[serde(rename = "value")]
    Token {
        /// Where the token is.
        at: At,
        /// The text replaced.
        token: Arc<str>,
        /// Its replacement.
        with: String,
        /// Where the value that holds it is.
        value_at: At,
        /// What the whole value reads as once all its tokens are replaced.
        #[serde(skip)]
        reads: Arc<str>,
    },
}

/// A list's changes item by item ([`Edit::Section`] of external-dns's `args`), by the input list's indexes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ItemEdits {
    /// Items removed.
    pub remove: Vec<usize>,
    /// Items replaced: index, new value.
    pub replace: Vec<(usize, Value)>,
    /// Items added at the end.
    pub append: Vec<Value>,
}

/// The shape of a node (the verifier tells a block mapping from its first scalar by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeShape {
    /// A scalar.
    Scalar,
    /// A sequence.
    Seq,
    /// A mapping.
    Map,
}

/// One node's change in an [`Edit::StorageConfig`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum NodeChange {
    /// The node becomes this value.
    Replace(Value),
    /// A mapping gains (or changes) this key.
    Insert(String, Value),
    /// A mapping loses this key.
    Remove(String),
}

/// A span of text replaced by [`Edit::StorageConfig`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextSpan {
    /// Where it starts.
    pub from: At,
    /// Where it ends (exclusive).
    pub to: At,
    /// The new text.
    pub text: String,
}

/// One key set by [`Edit::Fields`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetField {
    /// The key.
    pub key: String,
    /// Its value (a string: StorageClass parameters and annotations are strings).
    pub value: String,
}

/// An ECR image and the ACR repository it is imported to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EcrImage {
    /// The image as the input names it.
    pub source: String,
    /// The repository and tag in the ACR.
    pub target: String,
}

/// Names of the Azure parents, from the config (or marked placeholders).
struct Names {
    storage: String,
    service_bus: String,
    key_vault: String,
}

impl Names {
    fn new(cfg: &Config) -> Self {
        let a = &cfg.azure;
        Names {
            storage: a.storage_account.clone().unwrap_or_else(|| "REPLACE-ME-storage-account".into()),
            service_bus: a.service_bus_namespace.clone().unwrap_or_else(|| "REPLACE-ME-service-bus-namespace".into()),
            key_vault: a.key_vault.clone().unwrap_or_else(|| "REPLACE-ME-key-vault".into()),
        }
    }
}

/// What the edits of one run read.
struct Ctx<'a> {
    model: &'a Model,
    tables: &'a Tables,
    cfg: &'a Config,
    names: Names,
    resource_by_arn: BTreeMap<&'a str, &'a Resource>,
    workload_entry: BTreeMap<(&'a str, &'a str, &'a str), &'a WorkloadEntry>,
    identity_by_name: BTreeMap<&'a str, &'a Identity>,
    sa_identity: BTreeMap<Loc, &'a str>,
}

/// Every manifest edit of the run: (the AKS manifests' edits, the reverse bridge's edits, the ECR images).
/// `storage`: the storage-config edits by object index, as `storage_configs::report` decided them.
pub fn decide(
    model: &Model,
    files: &Files,
    tables: &Tables,
    cfg: &Config,
    plan: &Plan,
    storage: BTreeMap<usize, Vec<Edit>>,
) -> Decided {
    let ctx = Ctx {
        model,
        tables,
        cfg,
        names: Names::new(cfg),
        resource_by_arn: plan.resources.iter().map(|r| (&*r.aws_arn, r)).collect(),
        workload_entry: plan.workloads.iter().map(|w| ((&*w.kind, &*w.namespace, w.name.as_str()), w)).collect(),
        identity_by_name: plan.identities.iter().map(|i| (i.name.as_str(), i)).collect(),
        sa_identity: plan
            .identities
            .iter()
            .flat_map(|id| id.service_account_locs.iter().map(move |l| (*l, id.name.as_str())))
            .collect(),
    };
    let mut by_object: BTreeMap<usize, Vec<Edit>> = BTreeMap::new();
    let mut push = |object: usize, e: Edit| by_object.entry(object).or_default().push(e);
    service_accounts(&ctx, &mut push);
    // Each workload's edits on the pool, pushed in input order.
    let per_workload: Vec<Vec<Edit>> = crate::par::install(|| {
        let workloads = model.workloads.par_iter().with_min_len(64);
        workloads
            .map(|w| {
                let mut list = Vec::new();
                workload(&ctx, w, &mut |e| list.push(e));
                list
            })
            .collect()
    });
    for (w, list) in model.workloads.iter().zip(per_workload) {
        list.into_iter().for_each(|e| push(w.object, e));
    }
    let mut left = LeftValues::default();
    values(&ctx, plan, &mut push, &mut left);
    config_maps(model, &mut push);
    keda(&ctx, plan, &mut push);
    for (object, list) in super::dns_secrets::decide(model, files, tables, cfg, &plan.identities, &plan.resources).edits
    {
        list.into_iter().for_each(|e| push(object, e));
    }
    for (object, edits) in super::cloud::decide(model, tables, cfg, &mut crate::diag::Sink::default()) {
        edits.into_iter().for_each(|e| push(object, e));
    }
    for (object, edits) in storage {
        let list = by_object.entry(object).or_default();
        super::storage_configs::drop_covered_values(list, &edits);
        list.extend(edits);
    }
    // An AWS add-on's objects pass through unchanged (AKS replaces the add-on, E2A070).
    by_object.retain(|oi, _| !plan.addon_objects.contains(oi));
    let ecr_images = ecr_images(model, &plan.addon_objects);
    Decided {
        manifest: by_file(model, files, by_object),
        eks_side: by_file(model, files, eks_side(&ctx)),
        ecr_images,
        unmapped: left.unmapped,
        findings: secret_data_findings(model, &left.secret_data),
    }
}

/// What [`decide`] returns.
pub struct Decided {
    /// The edits of the AKS manifests.
    pub manifest: Vec<FileEdits>,
    /// The edits of the manifests of workloads that stay on EKS (`bridge_from_eks`).
    pub eks_side: Vec<FileEdits>,
    /// The ECR images the workloads run, sorted and unique.
    pub ecr_images: Vec<EcrImage>,
    /// The values that hold, beside a reference a value edit rewrites, AWS references (ARNs, endpoints) no edit can
    /// rewrite: those references by the value's place (`embedded_values::place` leaves such a value whole, E2A138).
    pub unmapped: BTreeMap<Loc, Vec<Arc<str>>>,
    /// Findings of the edits: code, message, place.
    pub findings: Vec<(&'static str, String, Loc)>,
}

/// Groups edits by file, in object order.
fn by_file(model: &Model, files: &Files, by_object: BTreeMap<usize, Vec<Edit>>) -> Vec<FileEdits> {
    let mut out: Vec<FileEdits> = Vec::new();
    for (oi, mut edits) in by_object {
        // Pushed one by one: give back the room the list grew into (66,000 edits at 10,000 apps).
        edits.shrink_to_fit();
        let o = &model.objects[oi];
        let entry =
            ObjectEdits { kind: o.kind.clone(), name: o.name.clone(), line: o.loc.pos.line, pos: o.loc.pos, edits };
        match out.last_mut() {
            Some(f) if f.file_id == o.loc.file => f.objects.push(entry),
            _ => out.push(FileEdits {
                file: files.display_shared(o.loc.file),
                file_id: o.loc.file,
                objects: vec![entry],
            }),
        }
    }
    out
}

/// Declared ServiceAccounts: the IRSA annotations go, the client id of their identity comes.
fn service_accounts(ctx: &Ctx, push: &mut impl FnMut(usize, Edit)) {
    let by_loc: BTreeMap<Loc, usize> = ctx
        .model
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| &*o.kind == "ServiceAccount" && &*o.api_version == "v1")
        .map(|(i, o)| (o.loc, i))
        .collect();
    for sa in &ctx.model.service_accounts {
        let Some(&oi) = by_loc.get(&sa.loc) else { continue };
        let identity = ctx.sa_identity.get(&sa.loc).copied();
        if sa.irsa.keys.is_empty() && identity.is_none() {
            continue;
        }
        let token_expiration = sa
            .irsa
            .token_expiration
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|_| identity.is_some())
            .map(|v| v.clamp(3600, 86400).to_string());
        push(
            oi,
            Edit::WorkloadIdentity {
                remove: sa.irsa.keys.clone(),
                client_id_of: identity.map(str::to_string),
                token_expiration,
            },
        );
    }
}

/// A workload: the pod label when it has an identity, the SDK variables out of its env, the AWS bridge.
fn workload(ctx: &Ctx, w: &Workload, push: &mut impl FnMut(Edit)) {
    let entry = ctx.workload_entry.get(&(&*w.kind, &*w.namespace, w.name.as_str())).copied();
    let identity = entry.and_then(|e| e.identity.as_deref());
    if identity.is_some() {
        // One label per pod template the kind has (`mappings/workloads.yaml`), in the table's order.
        for l in &w.labels {
            push(Edit::PodLabel { template: l.template, labels: l.labels });
        }
    }
    let bridge = identity.and_then(|id| ctx.identity_by_name.get(id)).and_then(|i| i.aws_bridge.as_deref());
    let chosen: BTreeMap<&str, &str> = entry
        .into_iter()
        .flat_map(|e| e.env_roles.iter())
        .map(|r| (r.aws_role_arn.as_str(), r.identity.as_str()))
        .collect();
    if let Some(e) = env_edit(w, bridge.is_some(), &chosen) {
        push(e);
    }
    if let Some(b) = bridge.filter(|_| w.has_pod_spec) {
        let mut edit = aws_bridge(w.pod_spec_path, b);
        add_bridge_region(&mut edit, w, b);
        push(edit);
    }
}

/// Whether a pod label edit's labels path is the pod template's own (`metadata.labels`), left out of plan.json.
fn is_metadata_labels(labels: &&'static [&'static str]) -> bool {
    *labels == ["metadata", "labels"]
}

/// The env edit of a workload: every SDK variable goes (the region stays with an AWS bridge); an `AWS_ROLE_ARN`
/// naming a role with its own identity (E2A052) becomes that identity's `AZURE_CLIENT_ID` instead (the workload
/// identity webhook injects the ServiceAccount's client id only into containers that do not set one).
fn env_edit(w: &Workload, keep_region: bool, chosen: &BTreeMap<&str, &str>) -> Option<Edit> {
    let mut remove = Vec::new();
    let mut client_ids = Vec::new();
    for SdkEnv { name, value, loc } in &w.sdk_env {
        let item = EnvItem { name: name.clone(), at: At::of(loc.pos) };
        let role = value.as_deref().map(str::trim).filter(|_| &**name == "AWS_ROLE_ARN");
        if let Some(id) = role.and_then(|r| chosen.get(r)) {
            client_ids.push(ClientIdItem { at: item.at, client_id_of: id.to_string() });
        } else if !(keep_region && crate::model::REGION_VARIABLES.contains(&&**name)) {
            remove.push(item);
        }
    }
    (!remove.is_empty() || !client_ids.is_empty()).then_some(Edit::Env {
        pod_spec: w.pod_spec_path,
        remove,
        client_ids,
    })
}

/// The AWS side of a phased migration in the pod: the role to assume, and either a projected token for AWS
/// (`aks-issuer`) or the audience of the Entra token (`entra`).
fn aws_bridge(pod_spec: &'static [&'static str], b: &super::bridge::Bridge) -> Edit {
    let mut env = vec![json!({"name": "AWS_ROLE_ARN", "value": b.role_arn})];
    if b.kind == "entra" {
        env.push(json!({"name": "EKS2AKS_AWS_TOKEN_AUDIENCE", "value": b.audience}));
        return Edit::AwsBridge { pod_spec, env, volumes: Vec::new(), mounts: Vec::new() };
    }
    env.push(json!({"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks2aks/aws/token"}));
    env.push(json!({"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}));
    let volumes = vec![
        json!({"name": "eks2aks-aws-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}),
    ];
    let mounts =
        vec![json!({"name": "eks2aks-aws-token", "mountPath": "/var/run/secrets/eks2aks/aws", "readOnly": true})];
    Edit::AwsBridge { pod_spec, env, volumes, mounts }
}

/// The bridge's region as `AWS_REGION` and `AWS_DEFAULT_REGION` (an SDK needs one for STS), each unless the
/// workload's env already sets it (kept with a bridge, [`env_edit`]).
fn add_bridge_region(edit: &mut Edit, w: &Workload, b: &super::bridge::Bridge) {
    let (Edit::AwsBridge { env, .. }, Some(region)) = (edit, &b.region) else { return };
    for name in crate::model::REGION_VARIABLES {
        if !w.sdk_env.iter().any(|e| &*e.name == *name) {
            env.push(json!({"name": name, "value": region}));
        }
    }
}

/// The value rewrites of one object by position: (token, replacement), every token of the value (a value written
/// over several lines may hold several; `embedded_values::place` decides how they land).
type ValueRewrites = BTreeMap<Pos, Vec<(Arc<str>, String)>>;

/// One object's value edits: (object index, its edits, the references no edit rewrites in the values it edits,
/// the places of its Secret `data` values a rewrite would change (their keys)).
type ObjectValueEdits = (usize, Vec<Edit>, Vec<(Pos, Vec<Arc<str>>)>, Vec<(Pos, Arc<str>)>);

/// What [`values`] leaves as it is: the references beside rewritten ones, by value; the Secret `data` values (base64)
/// that hold a reference the plan maps: (object, place, key).
#[derive(Default)]
struct LeftValues {
    unmapped: BTreeMap<Loc, Vec<Arc<str>>>,
    secret_data: Vec<(usize, Loc, Arc<str>)>,
}

/// Value rewrites: AWS endpoints, ARNs and names in env and ConfigMaps that the plan maps, and ECR images when an
/// ACR is configured — except the env values a KEDA trigger that stays on AWS reads (never one without the other).
/// A Secret's `data` value is base64: no edit could change the reference inside it in place, so it gets none and
/// is left to E2A139 ([`secret_data_findings`]).
fn values(ctx: &Ctx, plan: &Plan, push: &mut impl FnMut(usize, Edit), left: &mut LeftValues) {
    let mut by_aws_name: BTreeMap<(&str, String), Vec<&str>> = BTreeMap::new();
    for res in &plan.resources {
        if let (Some((_, n)), Some(azure)) = (need::base_resource(ctx.tables, &res.aws_arn), res.azure_name.as_deref())
        {
            by_aws_name.entry((&*res.aws_service, n)).or_default().push(azure);
        }
    }
    let by_aws_name = &by_aws_name;
    // Each object's rewrites become its edits as they are found (no map of them is held), on the pool; they are
    // pushed in input order, workloads before config maps. Every token of a value is an edit:
    // `embedded_values::place` puts those of a block value in place, and leaves whole a value re-written whole that
    // also holds a reference no edit rewrites (E2A138).
    let (workloads, configs): (Vec<ObjectValueEdits>, Vec<ObjectValueEdits>) = crate::par::install(|| {
        rayon::join(
            || {
                let workloads = ctx.model.workloads.par_iter().with_min_len(64);
                workloads
                    .map(|w| {
                        let mut images =
                            w.containers.iter().filter_map(|c| c.image.as_ref().map(|(i, l)| (i.as_str(), *l)));
                        object_values(ctx, plan, by_aws_name, (w.object, &w.aws_refs, &mut images), &|_| false)
                    })
                    .collect()
            },
            || {
                let configs = ctx.model.config_data.par_iter().with_min_len(64);
                configs
                    .map(|c| {
                        let encoded = |p: Pos| c.is_encoded(p);
                        object_values(
                            ctx,
                            plan,
                            by_aws_name,
                            (c.object, &c.aws_refs, &mut std::iter::empty()),
                            &encoded,
                        )
                    })
                    .collect()
            },
        )
    });
    for (object, list, unmapped, secret) in workloads.into_iter().chain(configs) {
        let file = ctx.model.objects[object].loc.file;
        list.into_iter().for_each(|e| push(object, e));
        left.unmapped.extend(unmapped.into_iter().map(|(pos, t)| (Loc { file, pos }, t)));
        left.secret_data.extend(secret.into_iter().map(|(pos, key)| (object, Loc { file, pos }, key)));
    }
}

/// The value edits of one object (its references, its images); `encoded`: the places of base64 Secret `data`
/// values, which get no edit.
fn object_values(
    ctx: &Ctx,
    plan: &Plan,
    by_aws_name: &BTreeMap<(&str, String), Vec<&str>>,
    (object, refs, images): (usize, &[AwsRef], &mut dyn Iterator<Item = (&str, Loc)>),
    encoded: &dyn Fn(Pos) -> bool,
) -> ObjectValueEdits {
    let acr = ctx.cfg.azure.container_registry.as_deref();
    let mut list = ValueRewrites::new();
    let mut unmapped: BTreeMap<Pos, Vec<Arc<str>>> = BTreeMap::new();
    let mut secret: BTreeMap<Pos, Arc<str>> = BTreeMap::new();
    for r in refs {
        match value_rewrite(ctx, by_aws_name, r) {
            Some(_) if encoded(r.loc.pos) => {
                secret.entry(r.loc.pos).or_insert_with(|| r.key.clone());
            }
            Some(with) => {
                let tokens = list.entry(r.loc.pos).or_default();
                if !tokens.iter().any(|(t, _)| *t == r.text) {
                    tokens.push((r.text.clone(), with));
                }
            }
            None if matches!(r.kind, AwsRefKind::Endpoint | AwsRefKind::Arn) => {
                let tokens = unmapped.entry(r.loc.pos).or_default();
                if !tokens.contains(&r.text) {
                    tokens.push(r.text.clone());
                }
            }
            None => {}
        }
    }
    for (image, loc) in images {
        if let (Some(acr), Some((_, repo))) = (acr, scan::ecr_image(image)) {
            list.insert(loc.pos, vec![(image.into(), format!("{acr}.azurecr.io/{repo}"))]);
        }
    }
    let file = ctx.model.objects[object].loc.file;
    list.retain(|p, _| !plan.keda.held.contains(&Loc { file, pos: *p }));
    unmapped.retain(|p, _| list.contains_key(p));
    let edits = list.into_iter().flat_map(|(p, tokens)| {
        tokens.into_iter().map(move |(token, with)| Edit::Value { at: At::of(p), token, with })
    });
    (object, edits.collect(), unmapped.into_iter().collect(), secret.into_iter().collect())
}

/// E2A139: a Secret's base64 `data` value names an AWS resource the plan maps; an edit cannot rewrite it in place.
/// The message points at the value (file, line, key) and never shows it, decoded or not (README "Output hygiene":
/// secrets are pointed at, never printed).
fn secret_data_findings(model: &Model, list: &[(usize, Loc, Arc<str>)]) -> Vec<(&'static str, String, Loc)> {
    list.iter()
        .map(|(object, loc, key)| {
            let o = &model.objects[*object];
            let msg = format!(
                "{} {}, key `{}`: its base64-encoded `data` value names an AWS resource that moves to Azure, and an edit cannot change a base64 value in place, so it stays as it is (its value is not shown): decode it, point it at the Azure resource (plan.json `resources`) and encode it again, or move the key to `stringData`, which `translate` rewrites",
                o.kind,
                o.name,
                crate::text::truncate(key)
            );
            (crate::rules::SECRET_DATA_NOT_REWRITTEN, msg, *loc)
        })
        .collect()
}

/// The replacement of one AWS reference, when the plan maps what it names.
fn value_rewrite(ctx: &Ctx, by_aws_name: &BTreeMap<(&str, String), Vec<&str>>, r: &AwsRef) -> Option<String> {
    if r.kind == AwsRefKind::Name {
        // A bare name: the Azure name of the one mapped resource of that service with that AWS name.
        let prefix = r.arn.as_deref()?.strip_prefix("name:")?;
        let matches: &[&str] = by_aws_name.get(&(prefix, r.text.to_string())).map_or(&[], Vec::as_slice);
        return match matches {
            [azure] if **azure != *r.text => Some(azure.to_string()),
            _ => None,
        };
    }
    if !matches!(r.kind, AwsRefKind::Endpoint | AwsRefKind::Arn) {
        return None;
    }
    azure_value(ctx, r.arn.as_deref()?, &r.text)
}

/// The Azure URL that replaces an AWS value, when the plan maps its resource.
fn azure_value(ctx: &Ctx, arn: &str, text: &str) -> Option<String> {
    let base = super::rewritable(ctx.tables, arn)?;
    let r = ctx.resource_by_arn.get(base.as_str())?;
    let name = r.azure_name.as_deref()?;
    let names = &ctx.names;
    let url = match super::url_kind(ctx.tables, r.azure_type.as_deref()?)? {
        "queue" => format!("https://{}.queue.core.windows.net/{name}", names.storage),
        "table" => format!("https://{}.table.core.windows.net/{name}", names.storage),
        "blob" => {
            let base = format!("https://{}.blob.core.windows.net/{name}", names.storage);
            match s3_key(text) {
                "" => base,
                path => format!("{base}/{path}"),
            }
        }
        "servicebus" => format!("https://{}.servicebus.windows.net/{name}", names.service_bus),
        "secret" => format!("https://{}.vault.azure.net/secrets/{name}", names.key_vault),
        _ => return None,
    };
    Some(url)
}

/// The S3 key (prefix) of an S3 URL, kept as the blob path: `s3://bucket/key`, `https://bucket.s3…/key` (virtual
/// hosted) or `https://s3…/bucket/key` (path style).
fn s3_key(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix("s3://") {
        return rest.split_once('/').map_or("", |(_, p)| p);
    }
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.starts_with("s3.") || host.starts_with("s3-") { path.split_once('/').map_or("", |(_, p)| p) } else { path }
}

/// Where `token` stands whole in `text`: between the characters that end a reference in `ingest::scan` (space,
/// quotes, `,;()<>`) or the text's ends. `…/orders` is not found inside `…/orders-dlq`.
pub fn occurrences(text: &str, token: &str) -> Vec<usize> {
    let sep = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '(' | ')' | '<' | '>');
    if token.is_empty() {
        return Vec::new();
    }
    text.match_indices(token)
        .filter(|(i, _)| {
            text[..*i].chars().next_back().is_none_or(sep) && text[i + token.len()..].chars().next().is_none_or(sep)
        })
        .map(|(i, _)| i)
        .collect()
}

/// A value's text once the [`Edit::Value`] edits at its place apply: every whole occurrence ([`occurrences`]) of
/// each token replaced by its replacement, the rest of the text as it is.
pub fn rewrite_value<'t>(text: &str, tokens: impl IntoIterator<Item = (&'t str, &'t str)>) -> String {
    let mut spans: Vec<(usize, usize, &str)> = Vec::new();
    for (token, with) in tokens {
        spans.extend(occurrences(text, token).into_iter().map(|i| (i, i + token.len(), with)));
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e, with) in spans {
        // Whole tokens hold no separator, so two never overlap; were one to, the first stays.
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(with);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// ConfigMaps: the `data` keys that are AWS SDK variables go.
fn config_maps(model: &Model, push: &mut impl FnMut(usize, Edit)) {
    for c in model.config_data.iter().filter(|c| c.kind == "ConfigMap" && !c.sdk_keys.is_empty()) {
        push(c.object, Edit::RemoveData { keys: c.sdk_keys.clone() });
    }
}

/// KEDA: the triggers that carry over to a mapped queue, and the authentications they reference.
fn keda(ctx: &Ctx, plan: &Plan, push: &mut impl FnMut(usize, Edit)) {
    let model = ctx.model;
    for (&(si, ti), (arn, auth_ref)) in &plan.keda.triggers {
        let t = &model.scalers[si].triggers[ti];
        let with = match ctx.tables.keda_triggers.get(&t.trigger_type) {
            Some(entry) => {
                ctx.resource_by_arn.get(arn.as_str()).and_then(|r| r.azure_name.as_deref()).and_then(|name| {
                    super::keda_triggers::azure_trigger(entry, t, name, &ctx.cfg.azure, auth_ref.as_ref())
                })
            }
            None => trigger(ctx, t, arn, auth_ref.as_ref()),
        };
        if let Some(with) = with {
            push(model.scalers[si].object, Edit::Trigger { index: ti, with });
        }
    }
    for (ai, a) in model.trigger_auths.iter().enumerate() {
        let Some(identity) = plan.keda.auths.get(&ai) else { continue };
        let pod_identity = match a.provider.as_deref() {
            Some("aws" | "aws-eks") => PodIdentityEdit::Replace,
            None if identity.is_some() => PodIdentityEdit::Add,
            _ => PodIdentityEdit::Keep,
        };
        push(
            a.object,
            Edit::KedaAuthentication {
                pod_identity,
                client_id_of: identity.clone(),
                remove_parameters: a.aws_params.clone(),
            },
        );
    }
}

/// The Azure trigger that replaces an AWS queue trigger (`azure-queue` or `azure-servicebus`), keeping its queue
/// length and activation threshold.
fn trigger(ctx: &Ctx, t: &crate::model::Trigger, arn: &str, auth_ref: Option<&(String, String)>) -> Option<Value> {
    let r = ctx.resource_by_arn.get(arn)?;
    let (name, ty) = (r.azure_name.as_ref()?, r.azure_type.as_ref()?);
    let length = t.metadata.get("queueLength").cloned().unwrap_or_else(|| "5".into());
    let mut metadata = serde_json::Map::new();
    let trigger_type = match super::url_kind(ctx.tables, ty) {
        Some("queue") => {
            metadata.insert("queueName".into(), json!(name));
            metadata.insert("accountName".into(), json!(ctx.names.storage));
            metadata.insert("queueLength".into(), json!(length));
            "azure-queue"
        }
        Some("servicebus") => {
            metadata.insert("queueName".into(), json!(name));
            metadata.insert("namespace".into(), json!(ctx.names.service_bus));
            metadata.insert("messageCount".into(), json!(length));
            "azure-servicebus"
        }
        _ => return None,
    };
    if let Some(v) = t.metadata.get("activationQueueLength") {
        let k = if trigger_type == "azure-queue" { "activationQueueLength" } else { "activationMessageCount" };
        metadata.insert(k.into(), json!(v));
    }
    Some(trigger_value(trigger_type, Value::Object(metadata), auth_ref))
}

/// A KEDA trigger: its `type`, `metadata` and, when given, the `authenticationRef` (`kind` only when it is not a
/// namespaced `TriggerAuthentication`, KEDA's default).
pub(super) fn trigger_value(trigger_type: &str, metadata: Value, auth_ref: Option<&(String, String)>) -> Value {
    let mut new = serde_json::Map::new();
    new.insert("type".into(), json!(trigger_type));
    new.insert("metadata".into(), metadata);
    if let Some((kind, an)) = auth_ref {
        let mut auth = serde_json::Map::new();
        auth.insert("name".into(), json!(an));
        if kind != "TriggerAuthentication" {
            auth.insert("kind".into(), json!(kind));
        }
        new.insert("authenticationRef".into(), Value::Object(auth));
    }
    Value::Object(new)
}

/// The reverse bridge (`bridge_from_eks`): every workload with an identity, in the manifests that stay on EKS.
fn eks_side(ctx: &Ctx) -> BTreeMap<usize, Vec<Edit>> {
    let mut out = BTreeMap::new();
    if !ctx.cfg.bridge_from_eks {
        return out;
    }
    let tenant = ctx.cfg.azure.tenant_id.clone().unwrap_or_else(|| "REPLACE-ME-tenant-id".into());
    for w in ctx.model.workloads.iter().filter(|w| w.has_pod_spec) {
        let entry = ctx.workload_entry.get(&(&*w.kind, &*w.namespace, w.name.as_str()));
        if let Some(identity) = entry.and_then(|e| e.identity.clone()) {
            out.entry(w.object).or_insert_with(Vec::new).push(Edit::AzureBridge {
                pod_spec: w.pod_spec_path,
                client_id_of: identity,
                tenant: tenant.clone(),
            });
        }
    }
    out
}

/// The ECR images the workloads run (what `acr-import.sh` imports), sorted and unique.
fn ecr_images(model: &Model, addon_objects: &std::collections::BTreeSet<usize>) -> Vec<EcrImage> {
    let set: std::collections::BTreeSet<(&str, &str)> = model
        .workloads
        .iter()
        .filter(|w| !addon_objects.contains(&w.object))
        .flat_map(|w| w.containers.iter())
        .filter_map(|c| c.image.as_ref())
        .filter_map(|(i, _)| scan::ecr_image(i).map(|(_, repo)| (i.as_str(), repo)))
        .collect();
    set.into_iter().map(|(s, t)| EcrImage { source: s.to_string(), target: t.to_string() }).collect()
}
