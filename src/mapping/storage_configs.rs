//! The storage configurations of common stacks (`mappings/storage-configs.yaml`): where each stack keeps its S3
//! settings (a ConfigMap or Secret key holding YAML, a custom resource's spec, a container image) and what they
//! become on Azure Blob Storage with workload identity. Data, loaded and checked here (user-overridable by `id`);
//! `plan::storage_configs` applies it.

use serde::Deserialize;
use serde_json::{Map, Value};

/// `storage-configs.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfigsFile {
    /// The shapes, in order.
    #[serde(default)]
    pub shapes: Vec<Shape>,
}

/// One stack's configuration shape.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Kebab-case id, unique; a user's shape with the same id replaces the bundled one.
    pub id: String,
    /// What it is, for people.
    pub name: String,
    /// Where the keys come from.
    pub source: String,
    /// Where the configuration lives.
    #[serde(rename = "in")]
    pub place: Place,
    /// Paths any of which shows that a config is this stack's (for a config of unknown shape, E2A140).
    #[serde(default)]
    pub anchors: Vec<String>,
    /// Mapping entries replaced whole.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Scalars replaced.
    #[serde(default)]
    pub values: Vec<ValueRule>,
    /// Scalars that may hold `s3://` or `s3a://` URIs (paths, `*` over lists and maps).
    #[serde(default)]
    pub uris: Vec<String>,
    /// What such a URI becomes.
    #[serde(default)]
    pub uri_to: Option<String>,
    /// A string map of settings (Spark's `sparkConf`): keys removed and set.
    #[serde(default)]
    pub conf: Option<Conf>,
    /// A container image replaced (the tag keeps major.minor).
    #[serde(default)]
    pub images: Option<Images>,
    /// The rights the stack's own disk snapshotter needs on Azure, in place of its EC2 actions (E2A142).
    #[serde(default)]
    pub snapshots: Option<Snapshots>,
}

/// A snapshotter's EC2 actions and the Azure roles that replace them on the node resource group.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Snapshots {
    /// The EC2 actions (no wildcards).
    pub actions: Vec<String>,
    /// The scope kind (`scopes.yaml`) the roles are assigned at: the AKS node resource group.
    pub scope_kind: String,
    /// The built-in roles, each with the actions it stands for.
    pub roles: Vec<SnapshotRole>,
}

/// One built-in role of [`Snapshots`].
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRole {
    /// Role name.
    pub name: String,
    /// Role definition GUID.
    pub id: String,
    /// The EC2 actions it stands for.
    pub actions: Vec<String>,
    /// What it allows beyond them, said in the finding.
    #[serde(default)]
    pub excess: String,
}

/// Where a configuration lives.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// API group (`""`: the core group and the workload kinds).
    #[serde(default)]
    pub group: String,
    /// Kinds.
    pub kinds: Vec<String>,
    /// Object names (`*` wildcards); empty: any.
    #[serde(default)]
    pub names: Vec<String>,
    /// ConfigMap/Secret keys whose value is the YAML config (`*` wildcards).
    #[serde(default)]
    pub keys: Vec<String>,
    /// The node of a custom resource that holds the config (dotted path).
    #[serde(default)]
    pub path: Option<String>,
}

/// A mapping entry replaced whole: `<at>: …` becomes `<becomes>: <with>`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// Path of the entry.
    pub at: String,
    /// Its new key.
    pub becomes: String,
    /// Where the bucket name is, inside the old entry.
    #[serde(default)]
    pub bucket: Option<String>,
    /// The new value (placeholders in strings).
    pub with: Map<String, Value>,
    /// Where a URL names the bucket as its path when `bucket` names none, inside the old entry: Loki's
    /// `s3: s3://<region>/<bucket>` or `s3://<key>:<secret>@<endpoint>/<bucket>` (its host is a region or an
    /// endpoint, never the bucket).
    #[serde(default)]
    pub bucket_url: Option<String>,
    /// The new value when the old entry names no bucket at `bucket` (shared settings only, as Mimir's
    /// `common.storage.s3` with the endpoint and region while each component names its own bucket); absent: such an
    /// entry is not rewritten (E2A140). No `{container}` or `{path}` in it.
    #[serde(default)]
    pub without_bucket: Option<Map<String, Value>>,
    /// Keys of the old entry carried into the new one under another name (Argo's `keyFormat` →
    /// `blobNameFormat`).
    #[serde(default)]
    pub carry: Map<String, Value>,
}

/// A scalar replaced.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ValueRule {
    /// Path (`*` over lists and maps).
    pub at: String,
    /// The AWS values replaced (case-sensitive); empty: any value (then `bucket` names it).
    #[serde(default)]
    pub from: Vec<String>,
    /// Where the bucket name is (the path of a scalar), for `{container}`.
    #[serde(default)]
    pub bucket: Option<String>,
    /// The new value.
    pub to: String,
}

/// A string map of settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Conf {
    /// Path of the map.
    pub at: String,
    /// Keys removed (`*` wildcards).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Keys set (in order).
    #[serde(default)]
    pub set: Map<String, Value>,
}

/// An image replaced.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Images {
    /// The AWS image repository (with its registry when it has one, as written).
    pub from: String,
    /// The Azure one.
    pub to: String,
}

/// The placeholders a shape may use.
pub const PLACEHOLDERS: &[&str] =
    &["account", "container", "resource_group", "subscription", "node_resource_group", "tenant", "client_id", "path"];

/// The placeholders in a text (`{name}`).
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        out.push(&rest[i + 1..i + j]);
        rest = &rest[i + j + 1..];
    }
    out
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn bad_path(p: &str) -> bool {
    p.is_empty() || p.split('.').any(str::is_empty)
}

/// What is wrong with one shape (each message names the field).
pub fn problems(s: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    let kebab = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !kebab(&s.id) {
        out.push(format!("`id` must be kebab-case, found {:?}", s.id));
    }
    if s.place.kinds.is_empty() {
        out.push("`in.kinds` must name at least one kind".into());
    }
    let core_config = s.place.group.is_empty() && s.place.kinds.iter().all(|k| k == "ConfigMap" || k == "Secret");
    if core_config && s.place.keys.is_empty() {
        out.push("a ConfigMap or Secret shape needs `in.keys` (the keys that hold the YAML)".into());
    }
    if s.place.path.as_deref().is_some_and(bad_path) {
        out.push("`in.path` has an empty segment".into());
    }
    let ops = s.blocks.len() + s.values.len() + s.uris.len() + usize::from(s.conf.is_some() || s.images.is_some());
    if ops == 0 {
        out.push("a shape needs at least one of `blocks`, `values`, `uris`, `conf`, `images`".into());
    }
    if !s.uris.is_empty() && s.uri_to.is_none() {
        out.push("`uris` needs `uri_to`".into());
    }
    let mut texts: Vec<(String, bool)> = Vec::new();
    for b in &s.blocks {
        if b.carry.values().any(|v| !v.is_string()) {
            out.push(format!("block `{}`: `carry` maps old keys to new key names (strings)", b.at));
        }
        if bad_path(&b.at) || b.becomes.is_empty() || b.bucket.as_deref().is_some_and(bad_path) {
            out.push(format!("block `{}`: empty path, key or bucket path", b.at));
        }
        let mut v = Vec::new();
        strings(&Value::Object(b.with.clone()), &mut v);
        texts.extend(v.into_iter().map(|t| (t, b.bucket.is_some())));
        if let Some(w) = &b.without_bucket {
            let mut v = Vec::new();
            strings(&Value::Object(w.clone()), &mut v);
            texts.extend(v.into_iter().map(|t| (t, false)));
            if b.bucket.is_none() {
                out.push(format!("block `{}`: `without_bucket` needs `bucket`", b.at));
            }
        }
    }
    for v in &s.values {
        if bad_path(&v.at) || (v.from.is_empty() && v.bucket.is_none()) {
            out.push(format!("value `{}`: needs a path and `from` (or `bucket`)", v.at));
        }
        texts.push((v.to.clone(), v.bucket.is_some()));
    }
    if let Some(c) = &s.conf {
        let mut v = Vec::new();
        strings(&Value::Object(c.set.clone()), &mut v);
        texts.extend(v.into_iter().map(|t| (t, false)));
        if c.set.values().any(|v| !v.is_string()) {
            out.push("`conf.set` values must be strings".into());
        }
    }
    texts.extend(s.uri_to.iter().map(|t| (t.clone(), true)));
    for (t, has_bucket) in texts {
        for p in placeholders(&t) {
            if !PLACEHOLDERS.contains(&p) {
                out.push(format!("unknown placeholder {{{p}}} in {t:?} (known: {})", PLACEHOLDERS.join(", ")));
            } else if (p == "container" || p == "path") && !has_bucket {
                out.push(format!("{{{p}}} in {t:?} needs a bucket (a `bucket` path, or a URI)"));
            }
        }
    }
    if let Some(sn) = &s.snapshots {
        snapshot_problems(sn, &mut out);
    }
    out
}

/// What is wrong with a shape's `snapshots` on their own: actions without wildcards, role GUIDs, every action
/// covered by a role.
fn snapshot_problems(sn: &Snapshots, out: &mut Vec<String>) {
    let all = sn.actions.iter().chain(sn.roles.iter().flat_map(|r| r.actions.iter()));
    if all.clone().any(|a| !a.contains(':') || a.contains('*')) {
        out.push("`snapshots` actions must be IAM actions (prefix:Action) without wildcards".into());
    }
    if sn.roles.iter().any(|r| !super::load::is_guid(&r.id)) {
        out.push("`snapshots.roles` need a role definition GUID (`id`)".into());
    }
    if let Some(a) = sn.actions.iter().find(|a| !sn.roles.iter().any(|r| r.actions.contains(a))) {
        out.push(format!("`snapshots`: no role stands for {a}"));
    }
}

/// What is wrong between the shapes' snapshot rights and the other tables, as (needle, message): the scope kind
/// exists, and each role is in azure-roles.yaml with the same id and may be assigned at that kind.
pub fn cross_problems(
    shapes: &[Shape],
    scopes: &super::load::Scopes,
    roles: &[super::load::Role],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (s, sn) in shapes.iter().filter_map(|s| Some((s, s.snapshots.as_ref()?))) {
        let needle = format!("id: {}", s.id);
        let kind = scopes.get(&sn.scope_kind);
        if kind.is_none() {
            out.push((
                needle.clone(),
                format!("shape `{}`: `snapshots.scope_kind: {}` is not a scope kind", s.id, sn.scope_kind),
            ));
        }
        for r in &sn.roles {
            match roles.iter().find(|q| *q.name == *r.name) {
                None => out
                    .push((needle.clone(), format!("shape `{}`: role `{}` is not in azure-roles.yaml", s.id, r.name))),
                Some(q) if !q.id.eq_ignore_ascii_case(&r.id) => out.push((
                    needle.clone(),
                    format!("shape `{}`: role `{}` has id {} in azure-roles.yaml, not {}", s.id, r.name, q.id, r.id),
                )),
                Some(_) => {}
            }
            if let Some(kind) = kind.filter(|k| !k.roles.contains(&r.name)) {
                out.push((
                    needle.clone(),
                    format!(
                        "shape `{}`: role `{}` may not be assigned at scope kind `{}` (its `roles`)",
                        s.id, r.name, kind.kind
                    ),
                ));
            }
        }
    }
    out
}

/// Merges a file's shapes into the loaded ones: a shape with a known id replaces it in place, others are added.
pub fn merge(into: &mut Vec<Shape>, file: StorageConfigsFile) {
    for s in file.shapes {
        match into.iter_mut().find(|x| x.id == s.id) {
            Some(x) => *x = s,
            None => into.push(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> StorageConfigsFile {
        serde_norway::from_str(include_str!("../../mappings/storage-configs.yaml")).unwrap()
    }

    #[test]
    fn bundled_shapes_have_no_problems() {
        let f = bundled();
        assert!(f.shapes.len() >= 8);
        for s in &f.shapes {
            assert_eq!(problems(s), Vec::<String>::new(), "{}", s.id);
        }
    }

    #[test]
    fn a_container_placeholder_without_a_bucket_and_an_unknown_placeholder_are_problems() {
        let mut s = bundled().shapes.into_iter().find(|s| s.id == "velero-backup-location").unwrap();
        s.blocks[0].with.insert("x".into(), Value::String("{container}".into()));
        s.blocks[0].with.insert("y".into(), Value::String("{acount}".into()));
        let p = problems(&s);
        assert!(p.iter().any(|m| m.contains("{container}") && m.contains("needs a bucket")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("unknown placeholder {acount}")), "{p:?}");
    }

    #[test]
    fn a_user_shape_replaces_the_bundled_one_of_its_id() {
        let mut shapes = bundled().shapes;
        let n = shapes.len();
        let mut mine = shapes[0].clone();
        mine.name = "mine".into();
        merge(&mut shapes, StorageConfigsFile { shapes: vec![mine] });
        assert_eq!((shapes.len(), shapes[0].name.as_str()), (n, "mine"));
    }
}
