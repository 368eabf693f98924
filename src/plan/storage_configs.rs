//! The storage configurations of common stacks (issue 21, Deliver 2): Loki, Thanos, Tempo, Argo Workflows'
//! artifact repository, Velero's locations and AWS plugin, Spark's `s3a://` paths — recognised by the shapes of
//! `mappings/storage-configs.yaml` and rewritten for Azure Blob Storage with workload identity as plan edits
//! ([`Edit::StorageConfig`], [`Edit::Value`] for an image). The text changes are spans of the config's own text
//! (`plan::storage_text`); a config that cannot be rewritten — a bucket the plan does not map, a config written
//! where spans cannot reach, a config of the stack in no known shape — is an error (E2A140) with the manual step,
//! so the gate fails while it still points at S3. A rewrite is a note (E2A141); one that needs a value no input
//! gives is written with `REPLACE-ME-…` and is an error until the value is set.

use super::edits::{At, Edit, TextSpan};
use super::storage_text::{self as st, Rewrite, Text, Values};
use super::{Resource, WorkloadEntry};
use crate::config::Config;
use crate::diag::{FileId, Files, Loc, Pos};
use crate::glob::glob_match;
use crate::mapping::Tables;
use crate::mapping::storage_configs::Shape;
use crate::model::{K8sObject, Model};
use crate::rules;
use crate::yaml::{Document, Node};
use base64::Engine;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What the plan gives the rewrite.
pub struct Inputs<'a> {
    /// The plan's resources (a bucket's container).
    pub resources: &'a [Resource],
    /// The plan's workloads (a Spark application's identity).
    pub workloads: &'a [WorkloadEntry],
}

/// The edits (by object index) and the findings.
#[derive(Default)]
pub struct Decided {
    /// Edits by object index.
    pub edits: BTreeMap<usize, Vec<Edit>>,
    /// Findings: code, message, place.
    pub findings: Vec<(&'static str, String, Loc)>,
    /// The nodes rewritten (start, end): an AWS endpoint inside one is not "left as it is" (E2A027).
    pub covered: Vec<(Loc, Pos)>,
}

impl Decided {
    /// Whether a place is inside a rewritten node.
    pub fn covers(&self, l: Loc) -> bool {
        self.covered.iter().any(|(s, e)| s.file == l.file && s.pos <= l.pos && l.pos <= *e)
    }
}

/// The values of the placeholders for one object.
struct PlanValues<'a> {
    cfg: &'a Config,
    client_id: Option<String>,
    containers: &'a BTreeMap<String, String>,
}

impl Values for PlanValues<'_> {
    fn get(&self, name: &str) -> Option<String> {
        let a = &self.cfg.azure;
        match name {
            "account" => a.storage_account.clone(),
            "resource_group" => a.resource_group.clone(),
            "subscription" => a.subscription_id.clone(),
            "node_resource_group" => a.node_resource_group.clone(),
            "tenant" => a.tenant_id.clone(),
            "client_id" => self.client_id.clone(),
            _ => None,
        }
    }

    fn container(&self, bucket: &str) -> Option<String> {
        self.containers.get(bucket).cloned()
    }
}

/// Where a missing placeholder's value is set.
fn where_set(name: &str) -> String {
    match name {
        "account" => "`azure.storage_account` in eks2aks.yaml".into(),
        "resource_group" => "`azure.resource_group` in eks2aks.yaml".into(),
        "subscription" => "`azure.subscription_id` in eks2aks.yaml".into(),
        "node_resource_group" => "`azure.node_resource_group` in eks2aks.yaml (the AKS node resource group)".into(),
        "tenant" => "`azure.tenant_id` in eks2aks.yaml".into(),
        "client_id" => "an identity: the ServiceAccount its pods run as maps to no IAM role".into(),
        other => format!("`{other}`"),
    }
}

/// The API group of an apiVersion (`""` for `v1`).
fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

fn place_matches(s: &Shape, o: &K8sObject) -> bool {
    // The kind first: most objects are of no shape's kind.
    if !s.place.kinds.iter().any(|k| **k == *o.kind) {
        return false;
    }
    let group = group_of(&o.api_version);
    let group_ok =
        if s.place.group.is_empty() { matches!(group, "" | "apps" | "batch") } else { s.place.group == group };
    group_ok && (s.place.names.is_empty() || s.place.names.iter().any(|n| glob_match(n, &o.name, false)))
}

/// The object that starts at `p`: a document's root, or an item of a `List` (then no document index).
fn find_object(docs: &[Document], p: Pos) -> Option<(Option<usize>, &Node)> {
    for (i, d) in docs.iter().enumerate() {
        if d.root.pos == p {
            return Some((Some(i), &d.root));
        }
        let items = d.root.get("items").and_then(Node::as_seq).unwrap_or_default();
        if let Some(n) = items.iter().find(|n| n.pos == p) {
            return Some((None, n));
        }
    }
    None
}

/// The buckets the plan maps, by name, with their containers.
fn containers(resources: &[Resource]) -> BTreeMap<String, String> {
    resources
        .iter()
        .filter(|r| &*r.aws_service == "s3")
        .filter_map(|r| {
            let (_, bucket) = r.aws_arn.split_once(":::")?;
            (!bucket.contains('/')).then(|| Some((bucket.to_string(), r.azure_name.clone()?)))?
        })
        .collect()
}

/// True when any of the shape's anchors is in the config (or it has none).
fn anchored(s: &Shape, root: &Node) -> bool {
    s.anchors.is_empty()
        || s.anchors.iter().any(|a| {
            let mut found = Vec::new();
            st::find(root, &a.split('.').collect::<Vec<_>>(), Vec::new(), &mut found);
            !found.is_empty()
        })
}

/// Runs a shape's operations on a config.
fn run(s: &Shape, t: &Text, root: &Node, vals: &dyn Values) -> Rewrite {
    let mut rw = Rewrite { expected: root.to_json(), ..Rewrite::default() };
    for b in &s.blocks {
        st::block(&mut rw, t, root, b, vals);
    }
    for v in &s.values {
        st::value(&mut rw, t, root, v, vals);
    }
    if let Some(to) = &s.uri_to {
        st::uris(&mut rw, t, root, &s.uris, to, vals);
    }
    if let Some(c) = &s.conf {
        let fired = !rw.spans.is_empty();
        st::conf(&mut rw, t, root, c, vals, fired);
    }
    rw
}

/// The manual step: what the shape would write, with its placeholders.
fn manual_step(s: &Shape) -> String {
    manual_step_in(s, None)
}

/// Whether a dotted path (`*` for any key or item) names a node under `n`.
fn has_path(n: &Node, path: &str) -> bool {
    fn walk(n: &Node, keys: &[&str]) -> bool {
        let Some((k, rest)) = keys.split_first() else { return true };
        match (*k, &n.value) {
            ("*", crate::yaml::Value::Seq(items)) => items.iter().any(|i| walk(i, rest)),
            ("*", crate::yaml::Value::Map(entries)) => entries.iter().any(|e| walk(&e.value, rest)),
            _ => n.get(k).is_some_and(|c| walk(c, rest)),
        }
    }
    walk(n, &path.split('.').collect::<Vec<_>>())
}

/// [`manual_step`] for one config: only the blocks and values it has (all of them when none matches, or when the
/// config is not known).
fn manual_step_in(s: &Shape, config: Option<&Node>) -> String {
    let here = |at: &str| config.is_none_or(|c| has_path(c, at));
    let any = s.blocks.iter().map(|b| b.at.as_str()).chain(s.values.iter().map(|v| v.at.as_str())).any(here);
    let keep = |at: &str| !any || here(at);
    let mut steps: Vec<String> = Vec::new();
    for b in s.blocks.iter().filter(|b| keep(&b.at)) {
        steps.push(format!("replace `{}` with `{}: {}`", b.at, b.becomes, Value::Object(b.with.clone())));
    }
    for v in s.values.iter().filter(|v| keep(&v.at)) {
        steps.push(format!("set `{}` to `{}`", v.at, v.to));
    }
    if let Some(to) = &s.uri_to {
        steps.push(format!("write each s3:// or s3a:// URI as `{to}`"));
    }
    if let Some(c) = &s.conf {
        steps.push(format!("in `{}` remove {} and set {}", c.at, c.remove.join(", "), Value::Object(c.set.clone())));
    }
    if let Some(i) = &s.images {
        steps.push(format!("run `{}` instead of `{}`, at the tag made for your Velero version", i.to, i.from));
    }
    // What the placeholders left in the steps stand for.
    let text = steps.join("; ");
    let names = crate::mapping::storage_configs::PLACEHOLDERS.iter().filter(|n| text.contains(&format!("{{{n}}}")));
    let legend: Vec<String> = names
        .map(|n| match *n {
            "container" => "{container} is the Azure container of the entry's bucket (plan.json `resources`)".into(),
            "path" => "{path} is the URI's path".into(),
            other => format!("{{{other}}} is {}", where_set(other)),
        })
        .collect();
    if legend.is_empty() {
        format!("{text} ({})", s.source)
    } else {
        format!("{text}, where {} ({})", legend.join(", "), s.source)
    }
}

/// A file's text and documents, read again for its storage configs.
type Parsed<'f> = (Cow<'f, str>, Vec<Document>);

/// One object's context.
struct Obj<'a> {
    index: usize,
    /// The index of the document the object is the root of (`None`: an item of a `List`).
    doc: Option<usize>,
    o: &'a K8sObject,
    what: String,
    client_id_of: Option<String>,
}

/// Every storage-config rewrite and finding of the run. Pure: [`report`] calls it once, for the findings and the
/// edits `edits::decide` adds to the others.
pub fn decide(model: &Model, files: &Files, tables: &Tables, cfg: &Config, inputs: &Inputs) -> Decided {
    let mut out = Decided::default();
    let shapes = &tables.storage_configs;
    if shapes.is_empty() {
        return out;
    }
    let containers = containers(inputs.resources);
    let identity_of: BTreeMap<(&str, &str, &str), &str> = inputs
        .workloads
        .iter()
        .filter_map(|w| Some(((&*w.kind, &*w.namespace, w.name.as_str()), w.identity.as_deref()?)))
        .collect();
    let mut cache: BTreeMap<FileId, Option<Parsed>> = BTreeMap::new();
    let mut cr = BTreeMap::new();
    for (index, o) in model.objects.iter().enumerate() {
        let matching: Vec<&Shape> = shapes.iter().filter(|s| s.images.is_none() && place_matches(s, o)).collect();
        // A ConfigMap or Secret is parsed again only when its text mentions S3 and may hold one of the shapes'
        // keys (a custom resource of a listed kind always is: Velero's snapshot location names no S3).
        let configs_only = matching.iter().all(|s| s.place.path.is_none());
        if matching.is_empty() || (configs_only && !worth_parsing(files, o, &matching, &mut cr)) {
            continue;
        }
        let entry = cache.entry(o.loc.file).or_insert_with(|| {
            let text = files.get(o.loc.file).read_text().ok()?;
            let docs = crate::yaml::parse_stream(&text).ok()?;
            Some((text, docs))
        });
        let Some((text, docs)) = entry.as_ref() else { continue };
        let Some((doc, node)) = find_object(docs, o.loc.pos) else { continue };
        let ns = o.namespace.as_deref().unwrap_or("default");
        let id = identity_of.get(&(&*o.kind, ns, o.name.as_str())).map(|s| s.to_string());
        let obj = Obj { index, doc, o, what: format!("{} {}", o.kind, o.name), client_id_of: id };
        let vals = PlanValues {
            cfg,
            client_id: obj.client_id_of.as_ref().map(|i| format!("REPLACE-WITH-CLIENT-ID-OF-{i}")),
            containers: &containers,
        };
        let t = Text::new(text);
        for s in matching {
            match &s.place.path {
                Some(path) => custom_resource(&mut out, &obj, s, (&t, doc, node), path, &vals),
                None => config_keys(&mut out, &obj, s, (&t, node), &vals),
            }
        }
    }
    images(&mut out, model, shapes);
    out
}

/// Loki's `s3:` URL (`bucket_url` in `mappings/storage-configs.yaml`) names its bucket by its path, its host being a
/// region or an endpoint (`s3://<region>/<bucket>`; grafana/loki docs/sources/configure/examples,
/// "S3-Without-Credentials-Snippet"). The generic reading of a value (`ingest::scan`, the tokens of
/// `names_in_config`) takes an `s3://` URI's host as its bucket: at each such URL of a config a shape reads, the
/// value's reference is read again as the shape reads it — the bucket of its path, or none — before the join, so
/// the region is never a resource (nothing is created or granted for it) and a `*` grant is narrowed to the
/// path's bucket. The URLs are kept in `model.bucket_urls` for `names_in_config`.
pub fn reread_bucket_urls(model: &mut Model, files: &Files, tables: &Tables) {
    let shapes: Vec<&Shape> = tables
        .storage_configs
        .iter()
        .filter(|s| s.images.is_none() && s.place.path.is_none() && s.blocks.iter().any(|b| b.bucket_url.is_some()))
        .collect();
    if shapes.is_empty() {
        return;
    }
    let mut found: Vec<crate::model::BucketUrl> = Vec::new();
    let mut cache: BTreeMap<FileId, Option<Parsed>> = BTreeMap::new();
    let mut cr = BTreeMap::new();
    for o in &model.objects {
        let matching: Vec<&Shape> = shapes.iter().copied().filter(|s| place_matches(s, o)).collect();
        if matching.is_empty() || !worth_parsing(files, o, &matching, &mut cr) {
            continue;
        }
        let entry = cache.entry(o.loc.file).or_insert_with(|| {
            let text = files.get(o.loc.file).read_text().ok()?;
            let docs = crate::yaml::parse_stream(&text).ok()?;
            Some((text, docs))
        });
        let Some((_, node)) = entry.as_ref().and_then(|(_, docs)| find_object(docs, o.loc.pos)) else { continue };
        for s in matching {
            bucket_urls_of(o, node, s, &mut found);
        }
    }
    let urls: BTreeMap<(Loc, &str), Option<&str>> =
        found.iter().map(|u| ((u.loc, u.url.as_str()), u.bucket.as_deref())).collect();
    for r in model.config_data.iter_mut().flat_map(|c| c.aws_refs.iter_mut()) {
        if let Some(bucket) = urls.get(&(r.loc, &*r.text)) {
            r.arn = bucket.map(|b| format!("arn:aws:s3:::{b}"));
        }
    }
    model.bucket_urls = found;
}

/// The `bucket_url` URLs of one ConfigMap or Secret a shape reads ([`reread_bucket_urls`]).
fn bucket_urls_of(o: &K8sObject, node: &Node, s: &Shape, out: &mut Vec<crate::model::BucketUrl>) {
    for section in ["data", "stringData"] {
        let entries = node.get(section).and_then(Node::as_map).unwrap_or_default();
        for e in entries.iter().filter(|e| s.place.keys.iter().any(|k| glob_match(k, &e.key, false))) {
            let Some(inner) = e.value.as_str() else { continue };
            let decoded = (&*o.kind == "Secret" && section == "data")
                .then(|| base64::engine::general_purpose::STANDARD.decode(inner.split_whitespace().collect::<String>()))
                .map(|b| b.ok().and_then(|b| String::from_utf8(b).ok()));
            let inner = match &decoded {
                Some(Some(d)) => d.as_str(),
                Some(None) => continue,
                None => inner,
            };
            if !inner.contains("s3://") {
                continue;
            }
            let Some(root) = crate::yaml::parse_stream(inner).ok().and_then(|d| d.into_iter().next()).map(|d| d.root)
            else {
                continue;
            };
            for b in &s.blocks {
                let Some(key) = &b.bucket_url else { continue };
                for (_, _, entry) in st::entries(&root, &b.at) {
                    let Some(url) = entry.value.path(&key.split('.').collect::<Vec<_>>()).and_then(Node::as_str) else {
                        continue;
                    };
                    out.push(crate::model::BucketUrl {
                        loc: Loc { file: o.loc.file, pos: e.value.pos },
                        url: url.trim().to_string(),
                        bucket: st::url_path_bucket(url.trim()).map(str::to_string),
                    });
                }
            }
        }
    }
}

/// The cheap test before a ConfigMap or Secret is parsed again: the text of its lines mentions S3 or AWS, and
/// may hold a key one of the shapes reads ([`may_name_key`]). Lines are counted at `\n`; YAML also breaks lines at
/// a lone `\r`, so in a file with a `\r` the keys are looked for in the whole file (`cr`: per file, whether it has one).
fn worth_parsing(files: &Files, o: &K8sObject, shapes: &[&Shape], cr: &mut BTreeMap<FileId, bool>) -> bool {
    let f = files.get(o.loc.file);
    let Ok(text) = f.read_text() else { return false };
    // The line index of this read (`SourceFile::line_starts` would read the file once more and keep its text to
    // the end of the run: every ConfigMap's and Secret's file, 12 MB at 10,000 apps).
    let starts = crate::diag::files::line_starts(&text);
    let s = starts.get(o.loc.pos.line.saturating_sub(1) as usize).copied().unwrap_or(0);
    let e = starts.get(o.end.line as usize).copied().unwrap_or(text.len()).max(s);
    let lines = &text.as_bytes()[s..e];
    if !mentions_aws_storage(lines) {
        return false;
    }
    let has_cr = *cr.entry(o.loc.file).or_insert_with(|| memchr::memchr(b'\r', text.as_bytes()).is_some());
    may_name_key(if has_cr { text.as_bytes() } else { lines }, shapes)
}

/// Whether a text may hold a ConfigMap/Secret key one of the shapes reads: exact, never false for a key the
/// parser would read. A key pattern is ruled out only when it is a plain literal (no `*`/`?`, quote, backslash or
/// whitespace) that the text does not contain, and the text has no backslash (an escape in a quoted key) and no
/// `*` (an alias or a merge key, which brings a key written elsewhere): a key equal to such a literal is written as
/// that very text, plain, quoted, flow or block. When in doubt, true (the object is parsed).
fn may_name_key(text: &[u8], shapes: &[&Shape]) -> bool {
    if memchr::memchr2(b'\\', b'*', text).is_some() {
        return true;
    }
    let literal = |k: &str| !k.is_empty() && !k.bytes().any(|b| b"*?'\"\\".contains(&b) || b.is_ascii_whitespace());
    shapes.iter().flat_map(|s| s.place.keys.iter()).any(|k| !literal(k) || contains(text, k.as_bytes()))
}

/// Whether `text` contains `word` (a short key: each place of its first byte is tried, no searcher is built).
fn contains(text: &[u8], word: &[u8]) -> bool {
    let Some(&first) = word.first() else { return true };
    memchr::memchr_iter(first, text).any(|i| text[i..].starts_with(word))
}

/// Whether a text mentions S3 or AWS (Loki's `storage_config.aws` with `object_store: aws` names no `s3`).
fn mentions_aws_storage(text: &[u8]) -> bool {
    text.windows(2).any(|w| w.eq_ignore_ascii_case(b"s3")) || text.windows(3).any(|w| w.eq_ignore_ascii_case(b"aws"))
}

/// A custom resource's node at `path`.
fn custom_resource(
    out: &mut Decided,
    obj: &Obj,
    s: &Shape,
    (t, doc, node): (&Text, Option<usize>, &Node),
    path: &str,
    vals: &dyn Values,
) {
    let Some(root) = node.path(&path.split('.').collect::<Vec<_>>()).filter(|r| anchored(s, r)) else { return };
    let mut rw = run(s, t, root, vals);
    if rw.spans.is_empty() {
        return;
    }
    let at = |p: Pos| At { line: p.line, col: p.col };
    let node_changes = rw.nodes.iter().map(|(p, k, c)| (at(*p), *k, c.clone())).collect();
    // The rewrite must read back as planned: the file with the spans applied, parsed again.
    let back = doc.and_then(|d| {
        let new = st::splice(t.text, &rw.spans)?;
        let docs = crate::yaml::parse_stream(&new).ok()?;
        Some(docs.get(d)?.root.path(&path.split('.').collect::<Vec<_>>())?.to_json())
    });
    if back.as_ref() != Some(&rw.expected) {
        rw.blocked.push(
            "the edit would not read back as planned (a `List` item, or a layout the rewrite does not handle)".into(),
        );
    }
    let spans = rw.spans.clone();
    finish(out, obj, s, (None, None), (root, t, spans), rw);
    // A custom resource is checked node by node (its pod labels are edited beside these changes).
    if let Some(Edit::StorageConfig { nodes, .. }) = out.edits.get_mut(&obj.index).and_then(|l| l.last_mut()) {
        *nodes = node_changes;
    }
}

/// The ConfigMap or Secret keys of a shape that hold its YAML.
fn config_keys(out: &mut Decided, obj: &Obj, s: &Shape, (t, node): (&Text, &Node), vals: &dyn Values) {
    for section in ["data", "stringData"] {
        let entries = node.get(section).and_then(Node::as_map).unwrap_or_default();
        for e in entries.iter().filter(|e| s.place.keys.iter().any(|k| glob_match(k, &e.key, false))) {
            let Some(inner) = e.value.as_str() else { continue };
            let encoded = &*obj.o.kind == "Secret" && section == "data";
            let decoded;
            let inner = if encoded {
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(inner.split_whitespace().collect::<String>());
                let Some(d) = bytes.ok().and_then(|b| String::from_utf8(b).ok()) else { continue };
                decoded = d;
                decoded.as_str()
            } else {
                inner
            };
            if !mentions_aws_storage(inner.as_bytes()) {
                continue;
            }
            let Some(root) = crate::yaml::parse_stream(inner).ok().and_then(|d| d.into_iter().next()).map(|d| d.root)
            else {
                continue;
            };
            if !anchored(s, &root) {
                continue;
            }
            embedded(out, obj, s, (t, &e.key, &e.value, inner, &root, encoded), vals);
        }
    }
}

/// One embedded config: rewritten inside the value, or reported.
fn embedded(
    out: &mut Decided,
    obj: &Obj,
    s: &Shape,
    (t, key, value, inner, root, encoded): (&Text, &str, &Node, &str, &Node, bool),
    vals: &dyn Values,
) {
    let it = Text::new(inner);
    let mut rw = run(s, &it, root, vals);
    let loc = Loc { file: obj.o.loc.file, pos: value.pos };
    if rw.spans.is_empty() {
        let msg = format!(
            "{} ({}, key `{key}`): the config mentions S3 but matches none of the known {} settings, so it stays as it is. Change it by hand: {}",
            s.name,
            obj.what,
            s.name,
            manual_step_in(s, Some(root))
        );
        out.findings.push((rules::STORAGE_CONFIG_LEFT_ON_S3, msg, loc));
        return;
    }
    let back = st::splice(inner, &rw.spans)
        .and_then(|n| crate::yaml::parse_stream(&n).ok())
        .and_then(|d| d.into_iter().next())
        .map(|d| d.root.to_json());
    if back.as_ref() != Some(&rw.expected) {
        rw.blocked.push("the edit would not read back as planned".into());
    }
    let spans = if encoded {
        rw.blocked.push(
            "it is base64-encoded Secret `data`, which an edit cannot change in place (move it to `stringData`)".into(),
        );
        Vec::new()
    } else {
        st::embed_spans(t, value.pos, inner, &rw.spans).unwrap_or_else(|| {
            rw.blocked.push("the value is not written as a `|` literal block, so it cannot be edited in place without rewriting the rest of its text".into());
            Vec::new()
        })
    };
    let new_inner = st::splice(inner, &rw.spans).unwrap_or_default();
    // The file with the mapped spans must read back with the new value at the same place.
    if !spans.is_empty() && read_back(t.text, &spans, obj.doc, key).as_deref() != Some(new_inner.as_str()) {
        rw.blocked.push("the edit inside the value would not read back as planned".into());
    }
    rw.expected = Value::String(new_inner);
    finish(out, obj, s, (Some(key), Some(root)), (value, t, spans), rw);
}

/// The value of a ConfigMap/Secret key of the object that is document `doc` of the text, in the text with spans
/// applied (objects are found by their document's order, which spans inside a value do not change; an item of a
/// `List` is not found).
fn read_back(text: &str, spans: &[(usize, usize, String)], doc: Option<usize>, key: &str) -> Option<String> {
    let index = doc?;
    let new = crate::yaml::parse_stream(&st::splice(text, spans)?).ok()?;
    let root = &new.get(index)?.root;
    ["data", "stringData"].iter().find_map(|s| root.path(&[s, key])).and_then(Node::as_str).map(str::to_string)
}

/// The edit and the findings of one rewrite.
fn finish(
    out: &mut Decided,
    obj: &Obj,
    s: &Shape,
    (key, config): (Option<&str>, Option<&Node>),
    (node, t, spans): (&Node, &Text, Vec<(usize, usize, String)>),
    rw: Rewrite,
) {
    let loc = Loc { file: obj.o.loc.file, pos: node.pos };
    let key = key.map(|k| format!(", key `{k}`")).unwrap_or_default();
    if !rw.blocked.is_empty() {
        let msg = format!(
            "{} ({}{key}) stays on S3: {}. Change it by hand: {}",
            s.name,
            obj.what,
            rw.blocked.join("; "),
            manual_step_in(s, config)
        );
        out.findings.push((rules::STORAGE_CONFIG_LEFT_ON_S3, msg, loc));
        return;
    }
    let at = |p: Pos| At { line: p.line, col: p.col };
    let spans = spans.into_iter().map(|(a, b, text)| TextSpan { from: at(t.pos(a)), to: at(t.pos(b)), text }).collect();
    let edit = Edit::StorageConfig {
        shape: s.id.clone(),
        at: at(node.pos),
        end: at(node.end),
        changes: rw.changes.clone(),
        spans,
        with: rw.expected.clone(),
        nodes: Vec::new(),
        client_id_of: obj.client_id_of.clone().filter(|_| !rw.missing.contains("client_id")),
    };
    out.edits.entry(obj.index).or_default().push(edit);
    out.covered.push((loc, node.end));
    let buckets: Vec<&str> = rw.buckets.iter().map(String::as_str).collect();
    let what = if buckets.is_empty() { String::new() } else { format!(" (bucket {})", buckets.join(", ")) };
    if rw.missing.is_empty() {
        let msg = format!(
            "{} ({}{key}){what}: rewritten for Azure with workload identity: {}",
            s.name,
            obj.what,
            rw.changes.join(", ")
        );
        out.findings.push((rules::STORAGE_CONFIG_REWRITTEN, msg, loc));
    } else {
        let need: Vec<String> = rw.missing.iter().map(|m| where_set(m)).collect();
        let msg = format!(
            "{} ({}{key}){what} is rewritten for Azure, but with REPLACE-ME placeholders: set {}, then translate again",
            s.name,
            obj.what,
            need.join(", ")
        );
        out.findings.push((rules::STORAGE_CONFIG_LEFT_ON_S3, msg, loc));
    }
}

/// The image rules: a container image of the AWS repository becomes the Azure one, the tag keeping major.minor.
fn images(out: &mut Decided, model: &Model, shapes: &[Shape]) {
    for s in shapes {
        let Some(rule) = &s.images else { continue };
        for w in &model.workloads {
            for (image, loc) in w.containers.iter().filter_map(|c| c.image.as_ref()) {
                let (repo, tag) = match image.rsplit_once(':') {
                    Some((r, t)) if !t.contains('/') => (r, Some(t)),
                    _ => (image.as_str(), None),
                };
                if repo != rule.from && !repo.ends_with(&format!("/{}", rule.from)) {
                    continue;
                }
                let what = format!("{} {}", w.kind, w.name);
                let Some(tag) = tag.and_then(minor_tag) else {
                    let msg = format!(
                        "{} ({what}): image `{image}` has no vMAJOR.MINOR.PATCH tag to match; {}",
                        s.name,
                        manual_step(s)
                    );
                    out.findings.push((rules::STORAGE_CONFIG_LEFT_ON_S3, msg, *loc));
                    continue;
                };
                let with = format!("{}{}:{tag}", &repo[..repo.len() - rule.from.len()], rule.to);
                let msg =
                    format!("{} ({what}): `{image}` → `{with}` (the Azure plugin of the same minor version)", s.name);
                out.findings.push((rules::STORAGE_CONFIG_REWRITTEN, msg, *loc));
                let at = At { line: loc.pos.line, col: loc.pos.col };
                out.edits.entry(w.object).or_default().push(Edit::Value { at, token: image.as_str().into(), with });
            }
        }
    }
}

/// `v1.10.2` → `v1.10.0`: the first release of the same minor line.
fn minor_tag(tag: &str) -> Option<String> {
    let v = tag.strip_prefix('v')?;
    let mut parts = v.split('.');
    let (major, minor, patch) = (parts.next()?, parts.next()?, parts.next()?);
    let num = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    (num(major) && num(minor) && num(patch) && parts.next().is_none()).then(|| format!("v{major}.{minor}.0"))
}

/// Drops the value rewrites (endpoints, ARNs) that fall inside a node a storage-config edit replaces: the
/// storage edit carries the node's new content.
pub fn drop_covered_values(list: &mut Vec<Edit>, storage: &[Edit]) {
    let ranges: Vec<(At, At)> = storage
        .iter()
        .filter_map(|e| match e {
            Edit::StorageConfig { at, end, .. } => Some((*at, *end)),
            _ => None,
        })
        .collect();
    list.retain(|e| match e {
        Edit::Value { at, .. } => !ranges.iter().any(|(s, e)| s <= at && at <= e),
        _ => true,
    });
}

/// The findings of the run's storage configs ([`decide`]) and snapshot rights ([`snapshot_rights`], decided
/// earlier) into the sink: an AWS endpoint inside a rewritten config is not "left" (E2A027 goes), and an identity
/// whose EC2 actions are all a snapshotter's gets E2A143/E2A142 instead of "no ec2 mapping" (E2A014). Returns the
/// storage-config edits by object index, for `edits::decide` (decided once: each config is parsed once).
pub fn report(
    model: &Model,
    files: &Files,
    tables: &Tables,
    cfg: &Config,
    (inputs, snapshots): (&Inputs, SnapshotRights),
    sink: &mut crate::diag::Sink,
) -> BTreeMap<usize, Vec<Edit>> {
    report_decided(decide(model, files, tables, cfg, inputs), snapshots, sink)
}

/// [`report`] once the storage configs are decided ([`decide`], which reads only the plan's inputs, so `plan::build`
/// can run it beside other steps).
pub fn report_decided(
    storage: Decided,
    snapshots: SnapshotRights,
    sink: &mut crate::diag::Sink,
) -> BTreeMap<usize, Vec<Edit>> {
    sink.retain(|f| f.code != rules::AWS_ENDPOINT_LEFT || f.loc.is_none_or(|l| !storage.covers(l)));
    for (code, msg, loc) in storage.findings {
        sink.push(code, msg, Some(loc));
    }
    sink.retain(|f| {
        f.code != rules::UNMAPPED_SERVICE
            || !snapshots.covered.iter().any(|i| f.message.starts_with(&format!("identity `{i}`: service `ec2`")))
    });
    for (code, msg, loc) in snapshots.findings {
        sink.push(code, msg, Some(loc));
    }
    storage.edits
}

/// What [`snapshot_rights`] finds.
#[derive(Default)]
pub struct SnapshotRights {
    /// E2A143 and E2A142 findings.
    pub findings: Vec<(&'static str, String, Loc)>,
    /// Identities whose EC2 actions are all a snapshotter's: their "no ec2 mapping" warning (E2A014) is replaced.
    pub covered: Vec<String>,
}

/// How an identity's statements allow one EC2 action of a snapshotter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// Not at all.
    No,
    /// By an Allow on `Resource: "*"` without conditions, and no Deny may apply: a role assignment on the node
    /// resource group says the same.
    Plainly,
    /// Otherwise (conditions, named resources, `NotAction`/`NotResource`, a Deny that may apply): by hand.
    WithLimits,
}

/// How `id`'s statements allow `action` ([`Allowed`]).
fn allowed(id: &super::Identity, action: &str) -> Allowed {
    let applies = |p: &super::AwsPermission| applies_to(p, action);
    let allows: Vec<&super::AwsPermission> =
        id.aws_permissions.iter().filter(|p| p.effect() == "Allow" && applies(p)).collect();
    if allows.is_empty() {
        return Allowed::No;
    }
    let denied = id.aws_permissions.iter().any(|p| p.effect() == "Deny" && applies(p));
    if !denied && allows.iter().any(|p| plain(p)) { Allowed::Plainly } else { Allowed::WithLimits }
}

/// Whether a statement's `Action` (or `NotAction`) covers `action`.
fn applies_to(p: &super::AwsPermission, action: &str) -> bool {
    p.actions().any(|x| crate::glob::action_matches(x, action)) != p.not_action()
}

/// An Allow's statement says "every resource, always": `Action` (not `NotAction`), `Resource: "*"`, no condition.
fn plain(p: &super::AwsPermission) -> bool {
    !p.not_action() && !p.not_resource() && p.statement.conditions.is_empty() && p.resources().any(|r| r == "*")
}

/// Disk snapshotters (a shape with `snapshots` — Velero's snapshot location — whose objects are in the input):
/// each identity whose role allows some of their EC2 actions gets the shape's roles on the node resource group
/// (scope kind `snapshots.scope_kind`) as role assignments, E2A143, for the roles whose actions it allows plainly;
/// the others are E2A142 with the commands to run by hand.
pub fn snapshot_rights(
    model: &Model,
    tables: &Tables,
    cfg: &Config,
    identities: &mut [super::Identity],
) -> SnapshotRights {
    let mut out = SnapshotRights::default();
    for s in &tables.storage_configs {
        let Some(sn) = &s.snapshots else { continue };
        if !model.objects.iter().any(|o| place_matches(s, o)) {
            continue;
        }
        for id in identities.iter_mut() {
            let how: Vec<(&str, Allowed)> =
                sn.actions.iter().map(|a| (a.as_str(), allowed(id, a))).filter(|(_, h)| *h != Allowed::No).collect();
            let Some(loc) = first_ec2_allow(id) else { continue };
            if how.is_empty() {
                continue;
            }
            let ec2_allowed: Vec<&str> = id
                .aws_permissions
                .iter()
                .filter(|p| p.effect() == "Allow" && !p.not_action())
                .flat_map(|p| p.actions())
                .filter(|a| a.to_ascii_lowercase().starts_with("ec2:"))
                .collect();
            if !id.aws_permissions.iter().any(|p| p.effect() == "Allow" && p.not_action())
                && ec2_allowed.iter().all(|p| sn.actions.iter().any(|a| a.eq_ignore_ascii_case(p)))
            {
                out.covered.push(id.name.clone());
            }
            let (assigned, by_hand) = split_roles(sn, &how);
            if !assigned.is_empty() {
                let msg = assigned_message(s, sn, &id.name, &assigned, cfg, tables);
                for r in &assigned {
                    let a = snapshot_assignment(tables, sn, r, &how);
                    // Two snapshotter shapes (a user's and the bundled one) name one role once per identity.
                    let same = |x: &&mut super::RoleAssignment| {
                        x.role_definition_id == a.role_definition_id && x.scope.kind == a.scope.kind
                    };
                    match id.role_assignments.iter_mut().find(same) {
                        Some(x) => {
                            x.aws_actions.extend(a.aws_actions);
                            x.aws_actions.sort();
                            x.aws_actions.dedup();
                        }
                        None => id.role_assignments.push(a),
                    }
                }
                out.findings.push((rules::SNAPSHOT_RIGHTS_ON_NODE_GROUP, msg, loc));
            }
            if !by_hand.is_empty() {
                let limited: Vec<&str> =
                    how.iter().filter(|(_, h)| *h == Allowed::WithLimits).map(|(a, _)| *a).collect();
                let msg = by_hand_message(s, &id.name, (&by_hand, &limited), cfg);
                out.findings.push((rules::SNAPSHOT_RIGHTS_BY_HAND, msg, limiting(id, &limited).unwrap_or(loc)));
            }
        }
    }
    out
}

/// The place of the first statement that limits one of `actions`: a Deny that may apply, or an Allow that is not
/// plain ([`allowed`]).
fn limiting(id: &super::Identity, actions: &[&str]) -> Option<Loc> {
    let applies = |p: &super::AwsPermission| actions.iter().any(|a| applies_to(p, a));
    id.aws_permissions.iter().find(|p| applies(p) && (p.effect() == "Deny" || !plain(p))).map(|p| p.statement.loc)
}

/// The place of an identity's first statement that allows an EC2 action.
fn first_ec2_allow(id: &super::Identity) -> Option<Loc> {
    id.aws_permissions
        .iter()
        .filter(|p| p.effect() == "Allow")
        .find(|p| p.not_action() || p.actions().any(|a| a.to_ascii_lowercase().starts_with("ec2:")))
        .map(|p| p.statement.loc)
}

type SnapshotRole = crate::mapping::storage_configs::SnapshotRole;

/// The shape's roles the identity needs (some of whose actions it is allowed), split into those every such action
/// of which is allowed plainly (assigned) and the others (by hand).
fn split_roles<'s>(
    sn: &'s crate::mapping::storage_configs::Snapshots,
    how: &[(&str, Allowed)],
) -> (Vec<&'s SnapshotRole>, Vec<&'s SnapshotRole>) {
    let of = |r: &SnapshotRole| -> Vec<Allowed> {
        r.actions.iter().filter_map(|a| how.iter().find(|(x, _)| x == a).map(|(_, h)| *h)).collect()
    };
    sn.roles.iter().filter(|r| !of(r).is_empty()).partition(|r| of(r).iter().all(|h| *h == Allowed::Plainly))
}

/// One role assignment on the node resource group: the scope is the kind's parameter (`param:nodeResourceGroup`),
/// its AWS side every EC2 resource (`*`, what the plain statements allowed).
fn snapshot_assignment(
    tables: &Tables,
    sn: &crate::mapping::storage_configs::Snapshots,
    r: &SnapshotRole,
    how: &[(&str, Allowed)],
) -> super::RoleAssignment {
    let kind = tables.scopes.get(&sn.scope_kind);
    let param = kind.and_then(|k| k.params.first()).map_or("nodeResourceGroup", |p| p.name.as_str());
    super::RoleAssignment {
        role_name: r.name.as_str().into(),
        role_definition_id: r.id.to_ascii_lowercase().into(),
        custom: false,
        scope: super::Scope {
            kind: sn.scope_kind.as_str().into(),
            azure_name: format!("param:{param}").into(),
            aws_arn: "*".into(),
            azure_type: kind.map_or("Microsoft.Resources/resourceGroups", |k| k.azure_type.as_str()).into(),
            target: "disk-snapshots".into(),
            // Reported with what it allows beyond EC2 (E2A143).
            widened: true,
        },
        aws_actions: r
            .actions
            .iter()
            .filter(|a| how.iter().any(|(x, _)| x == a))
            .map(|a| std::sync::Arc::from(a.as_str()))
            .collect(),
        excess_data_actions: Vec::new(),
        kind: "arm".into(),
        condition: None,
    }
}

/// The node resource group as the findings name it: the config's, else the deployment parameter.
fn node_group(cfg: &Config) -> String {
    match &cfg.azure.node_resource_group {
        Some(rg) => format!("`{rg}`"),
        None => "(the `nodeResourceGroup` parameter; set `azure.node_resource_group` in eks2aks.yaml)".into(),
    }
}

/// E2A143: the roles assigned, what each stands for and allows beyond it, and where the outputs assign them.
fn assigned_message(
    s: &Shape,
    sn: &crate::mapping::storage_configs::Snapshots,
    identity: &str,
    roles: &[&SnapshotRole],
    cfg: &Config,
    tables: &Tables,
) -> String {
    let module = tables.scopes.own_group(&sn.scope_kind).map_or("the module", |(_, m)| m);
    let each: Vec<String> = roles.iter().map(|r| role_text(r)).collect();
    format!(
        "identity `{identity}`: {} snapshots disks; on AKS its Azure plugin snapshots the disks of the node resource group {}, so the outputs assign {} there (bicep/{module}.bicep, role-assignments.sh)",
        s.name,
        node_group(cfg),
        each.join(" and ")
    )
}

/// A snapshot role as the findings name it: its name, the EC2 actions it stands for and what it allows beyond them.
fn role_text(r: &SnapshotRole) -> String {
    let excess = if r.excess.is_empty() { String::new() } else { format!(" — {}", r.excess) };
    format!("{} ({}{excess})", r.name, r.actions.join(", "))
}

/// E2A142: the roles not assigned because a statement limits the actions, with the commands to run once reviewed.
fn by_hand_message(s: &Shape, identity: &str, (roles, limited): (&[&SnapshotRole], &[&str]), cfg: &Config) -> String {
    let a = &cfg.azure;
    let sub = a.subscription_id.as_deref().unwrap_or("<subscription-id>");
    let rg = a.node_resource_group.as_deref().unwrap_or("<node-resource-group>");
    let deploy_rg = a.resource_group.as_deref().unwrap_or("<resource-group>");
    let steps: Vec<String> = roles
        .iter()
        .map(|r| {
            format!(
                "{}: az role assignment create --assignee-object-id \"$(az identity show -g {deploy_rg} -n {identity} --query principalId -o tsv)\" --assignee-principal-type ServicePrincipal --role {} --scope /subscriptions/{sub}/resourceGroups/{rg}",
                role_text(r),
                r.id
            )
        })
        .collect();
    format!(
        "identity `{identity}`: {} snapshots disks, but the statements that allow {} carry conditions, name specific resources, use NotAction or may be denied, which a role assignment on the node resource group {} cannot say; {} not assigned. Once reviewed, assign by hand: {}",
        s.name,
        limited.join(", "),
        node_group(cfg),
        roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(" and "),
        steps.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loki_config_on_aws_without_the_word_s3_is_still_looked_at() {
        assert!(mentions_aws_storage(b"storage_config:\n  aws:\n    bucketnames: chunks\n"));
        assert!(mentions_aws_storage(b"mainApplicationFile: S3A://b/x.py"));
        assert!(!mentions_aws_storage(b"storage_config:\n  filesystem:\n    directory: /data\n"));
    }

    /// The manual step of a config names only the settings it has (a Mimir config with `blocks_storage` alone is
    /// not told to replace `ruler_storage.s3`), and every setting when it has none of them.
    #[test]
    fn the_manual_step_names_the_settings_the_config_has() {
        let shapes = crate::mapping::load::load(None).unwrap().storage_configs;
        let mimir = shapes.iter().find(|s| s.id == "mimir-cortex").unwrap();
        let root = |t: &str| crate::yaml::parse_stream(t).unwrap().remove(0).root;
        let only_blocks =
            manual_step_in(mimir, Some(&root("blocks_storage:\n  backend: s3\n  s3: {bucket_name: b}\n")));
        assert!(
            only_blocks.contains("replace `blocks_storage.s3`") && only_blocks.contains("set `blocks_storage.backend`")
        );
        assert!(!only_blocks.contains("ruler_storage") && !only_blocks.contains("common.storage"), "{only_blocks}");
        let none = manual_step_in(mimir, Some(&root("other: 1\n")));
        assert!(none.contains("ruler_storage.s3") && none.contains("common.storage.s3"), "{none}");
        let loki = shapes.iter().find(|s| s.id == "loki").unwrap();
        let wildcard = manual_step_in(loki, Some(&root("schema_config:\n  configs:\n    - object_store: s3\n")));
        assert!(
            wildcard.contains("schema_config.configs.*.object_store") && !wildcard.contains("ruler.storage"),
            "{wildcard}"
        );
    }

    /// The test before a ConfigMap or Secret is parsed again never rules out a key the parser reads — plain,
    /// quoted, flow, block, escaped or brought by an alias — and rules out a config map of other keys (the
    /// benchmark's: an ARN and an S3 URI under `TABLE_ARN` and `ARTIFACT_BUCKET`).
    #[test]
    fn the_key_test_before_a_parse_never_rules_out_a_key_the_parser_reads() {
        let shapes = crate::mapping::load::load(None).unwrap().storage_configs;
        let loki: Vec<&Shape> = shapes.iter().filter(|s| s.id == "loki").collect();
        let reads_a_key = |text: &str| {
            let root = crate::yaml::parse_stream(text).unwrap().remove(0).root;
            let data = root.get("data").and_then(Node::as_map).unwrap_or_default();
            data.iter().any(|e| loki[0].place.keys.iter().any(|k| glob_match(k, &e.key, false)))
        };
        let read = [
            "data:\n  config.yaml: |\n    storage_config: {aws: {}}\n",
            "data:\n  'config.yaml': s3\n",
            "data: {\"config.yaml\": s3}\n",
            "data:\n  \"config\\x2eyaml\": s3\n",
            "data:\n  \"loki\\u002Eyaml\": s3\n",
            "data:\n  ? >-\n    local-config.yaml\n  : s3\n",
            "metadata: {annotations: {k: &k loki.yaml}}\ndata:\n  *k : s3\n",
            "base: &b {config.yaml: s3}\ndata:\n  <<: *b\n",
        ];
        for text in read {
            assert!(reads_a_key(text), "the case must hold a key the parser reads: {text}");
            assert!(may_name_key(text.as_bytes(), &loki), "ruled out a key the parser reads: {text}");
        }
        let other =
            "data:\n  TABLE_ARN: arn:aws:dynamodb:us-east-1:111122223333:table/t\n  ARTIFACT_BUCKET: s3://b/r/\n";
        assert!(!reads_a_key(other));
        assert!(!may_name_key(other.as_bytes(), &loki));
        // A key pattern with a wildcard cannot be ruled out by its text.
        let argo: Vec<&Shape> = shapes.iter().filter(|s| s.id == "argo-artifact-repository").collect();
        assert!(may_name_key(other.as_bytes(), &argo));
        assert!(contains(b"a config.yaml", b"config.yaml") && contains(b"config.yaml", b"config.yaml"));
        assert!(!contains(b"config.yam", b"config.yaml") && !contains(b"", b"c") && contains(b"x", b""));
    }

    #[test]
    fn the_plugin_tag_keeps_major_and_minor() {
        assert_eq!(minor_tag("v1.10.1").as_deref(), Some("v1.10.0"));
        assert_eq!(minor_tag("v1.12.0").as_deref(), Some("v1.12.0"));
        assert_eq!(minor_tag("latest"), None);
        assert_eq!(minor_tag("v1.10"), None);
    }
}
