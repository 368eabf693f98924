//! Workload-identity manifests: every input manifest rewritten for AKS by splicing the original text, so a PR diff
//! shows only the migration (comments, key order and layout elsewhere are kept). ServiceAccounts trade
//! `eks.amazonaws.com/*` for `azure.workload.identity/client-id`; pod templates that run as a mapped
//! ServiceAccount get the `azure.workload.identity/use: "true"` label; AWS endpoints in env and ConfigMaps become
//! their Azure counterparts; AWS SDK variables are dropped; KEDA `aws-sqs-queue` triggers become `azure-queue`
//! (or `azure-servicebus`) with `azure-workload` pod identity; ECR images move to the configured ACR.
//! A node that cannot be edited in place is re-emitted as a whole (only that node loses its comments).

use super::verify::{self, Op};
use super::yaml_out;
use crate::config::Config;
use crate::diag::{FileId, Pos};
use crate::ingest::scan;
use crate::mapping::{Tables, need};
use crate::model::AwsRefKind;
use crate::plan::Analysis;
use crate::plan::azure_url_kind;
use crate::yaml::{Node, Value as Y};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Text edits on one file: (byte start, byte end, replacement), and what each means for the node it changes
/// (checked against the re-read output by [`verify`] before anything is written).
#[derive(Default)]
struct Edits {
    list: Vec<(usize, usize, String)>,
    intent: Vec<(verify::NodeKey, Op)>,
}

impl Edits {
    fn mean(&mut self, n: &Node, op: Op) {
        self.intent.push((verify::key(n), op));
    }

    /// A point to go back to when an in-place edit turns out impossible.
    fn mark(&self) -> (usize, usize) {
        (self.list.len(), self.intent.len())
    }

    fn reset(&mut self, (list, intent): (usize, usize)) {
        self.list.truncate(list);
        self.intent.truncate(intent);
    }
}

struct Src<'a> {
    text: &'a str,
    /// The text's line index.
    line_starts: Vec<usize>,
    /// Per line: only ASCII, so a column is a byte offset (a minified JSON manifest is one long line; walking
    /// its characters for every edit would be quadratic).
    ascii: Vec<bool>,
    /// A `.json` file: every scalar written into it is a JSON string.
    json: bool,
    /// The value rewrites of this file by the scalar's position: (token, replacement) — what a node re-emitted
    /// whole must carry, or an endpoint inside it would be lost (issue 17: a flow-style env list re-emitted to
    /// drop `AWS_ROLE_ARN` kept the old SQS URL).
    rewrites: BTreeMap<Pos, (&'a str, &'a str)>,
}

impl<'a> Src<'a> {
    fn new(file: &crate::diag::SourceFile, text: &'a str) -> Self {
        let line_starts = crate::diag::files::yaml_line_starts(text);
        let ascii = (0..line_starts.len())
            .map(|i| text[line_starts[i]..line_starts.get(i + 1).copied().unwrap_or(text.len())].is_ascii())
            .collect();
        Src {
            text,
            line_starts,
            ascii,
            json: file.display.to_ascii_lowercase().ends_with(".json"),
            rewrites: BTreeMap::new(),
        }
    }

    /// A node's value as the output must have it: the input's, with the file's value rewrites applied.
    fn json(&self, n: &Node) -> Value {
        match &n.value {
            Y::Scalar { .. } => match (self.rewrites.get(&n.pos), n.as_str()) {
                (Some((token, new)), Some(old)) => json!(old.replacen(token, new, 1)),
                _ => n.to_json(),
            },
            Y::Seq(items) => Value::Array(items.iter().map(|i| self.json(i)).collect()),
            Y::Map(entries) => Value::Object(entries.iter().map(|e| (e.key.clone(), self.json(&e.value))).collect()),
        }
    }

    fn line_start(&self, line: u32) -> usize {
        self.line_starts.get(line.saturating_sub(1) as usize).copied().unwrap_or(self.text.len())
    }

    /// Byte offset of the start of the line after `line` (or the end of the text).
    fn next_line(&self, line: u32) -> usize {
        self.line_starts.get(line as usize).copied().unwrap_or(self.text.len())
    }

    fn byte(&self, p: Pos) -> usize {
        let start = self.line_start(p.line);
        let line = &self.text[start..self.next_line(p.line)];
        let col = p.col.saturating_sub(1) as usize;
        if self.ascii.get(p.line.saturating_sub(1) as usize).copied().unwrap_or(false) {
            return start + col.min(line.len());
        }
        start + line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
    }

    /// The text of a line before a position.
    fn before(&self, p: Pos) -> &str {
        &self.text[self.line_start(p.line)..self.byte(p)]
    }

    fn first_char(&self, p: Pos) -> Option<char> {
        self.text[self.byte(p)..].chars().next()
    }
}

/// True when a collection is written in block style (not `{…}`/`[…]`, not an alias `*name`).
fn is_block(src: &Src, n: &Node) -> bool {
    !matches!(src.first_char(n.pos), Some('{' | '[' | '*'))
}

/// Where a block collection's own text starts: its first key, or its first item's dash. A collection with an
/// anchor (`labels: &l`) starts at the anchor, which must stay where it is.
fn block_start(src: &Src, n: &Node) -> Pos {
    match &n.value {
        Y::Map(e) if !e.is_empty() => e[0].key_pos,
        Y::Seq(items) if !items.is_empty() => {
            let first = items[0].pos;
            let line = src.before(first);
            match line.rfind('-') {
                Some(i) => Pos { line: first.line, col: line[..i].chars().count() as u32 + 1 },
                None => n.pos,
            }
        }
        _ => n.pos,
    }
}

/// The last line that holds a node's text. A block scalar (`|`, `>`) ends at the start of the line after its
/// content: edits placed "after its line" would land past that line — in the next document when a `---`
/// follows (issue 17, found by review).
fn last_line(src: &Src, n: &Node) -> u32 {
    let b = src.byte(n.end);
    if n.end.line > n.pos.line && b > 0 && src.text.as_bytes().get(b - 1) == Some(&b'\n') {
        n.end.line - 1
    } else {
        n.end.line
    }
}

/// True when the node is an alias (`*name`): its text is the alias alone, and editing the anchored text would
/// change every other use of the anchor too, so an edit replaces the alias by the value it stands for.
fn is_alias(src: &Src, n: &Node) -> bool {
    src.first_char(n.pos) == Some('*')
}

/// Replaces a node with a new value: block collections keep their column; flow and scalars become one-line JSON
/// (valid YAML).
fn replace_node(src: &Src, edits: &mut Edits, n: &Node, v: &Value) {
    edits.mean(n, Op::Replace(v.clone()));
    replace_text(src, edits, n, v);
}

/// The text edit of [`replace_node`], without its meaning (for callers that record a finer one).
fn replace_text(src: &Src, edits: &mut Edits, n: &Node, v: &Value) {
    let block = matches!(n.value, Y::Map(_) | Y::Seq(_)) && is_block(src, n);
    let first = if block { block_start(src, n) } else { n.pos };
    let start = src.byte(first);
    if block {
        // A block collection runs to the end of the line its last value ends on. (Issue 17: an empty
        // replacement once took the flow branch below and overwrote the text up to the next `{…}` — the
        // following objects.)
        let end = src.next_line(last_line(src, n)).saturating_sub(1).max(start);
        let end = if src.text[..end].ends_with('\r') { end - 1 } else { end };
        let text = match v {
            Value::Object(m) if m.is_empty() => "{}".to_string(),
            Value::Array(a) if a.is_empty() => "[]".to_string(),
            _ => yaml_out::emit(v, (first.col - 1) as usize),
        };
        edits.list.push((start, end, text));
    } else if is_alias(src, n) {
        edits.list.push((start, src.byte(n.end), serde_json::to_string(v).expect("serialises")));
    } else if matches!(n.value, Y::Map(_) | Y::Seq(_)) {
        // Flow collection: up to its matching bracket (its last scalar ends before the brackets close).
        let end = flow_end(src.text, start).unwrap_or_else(|| src.byte(n.end));
        edits.list.push((start, end, serde_json::to_string(v).expect("serialises")));
    } else if src.json || matches!(v, Value::Object(_) | Value::Array(_)) {
        edits.list.push((start, src.byte(n.end), serde_json::to_string(v).expect("serialises")));
    } else {
        edits.list.push((start, src.byte(n.end), yaml_out::scalar(v)));
    }
}

/// The byte after the bracket that closes the flow collection opening at `start` (quote-aware).
fn flow_end(text: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[start..].char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(start + i + c.len_utf8());
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Adds `key: value` to a mapping (at its end, with its indentation), or re-emits it when it is flow style.
fn insert_entry(src: &Src, edits: &mut Edits, map: &Node, key: &str, v: &Value) {
    edits.mean(map, Op::Insert(key.to_string(), v.clone()));
    let entries = map.as_map().unwrap_or_default();
    if matches!(map.value, Y::Map(_)) && src.first_char(map.pos) == Some('{') {
        // A flow mapping gains the entry right after its `{`: an insertion, so edits inside it stay.
        let at = src.byte(map.pos) + 1;
        let sep = if entries.is_empty() { "" } else { ", " };
        let text = format!(
            "{}: {}{sep}",
            serde_json::to_string(key).expect("serialises"),
            serde_json::to_string(v).expect("serialises")
        );
        edits.list.push((at, at, text));
        return;
    }
    if entries.is_empty() || !is_block(src, map) {
        let mut j = src.json(map);
        if let Value::Object(m) = &mut j {
            m.insert(key.to_string(), v.clone());
        } else {
            j = json!({ key: v });
        }
        replace_text(src, edits, map, &j);
        return;
    }
    let indent = (block_start(src, map).col - 1) as usize;
    let at = src.next_line(last_line(src, map));
    let mut line = " ".repeat(indent);
    line.push_str(&yaml_out::emit(&json!({ key: v }), indent));
    if at == src.text.len() && !src.text.ends_with('\n') {
        edits.list.push((at, at, format!("\n{line}")));
    } else {
        edits.list.push((at, at, format!("{line}\n")));
    }
}

/// The objects of a file's documents by the position where each starts; `List` items are objects of their own,
/// as ingest reads them. The documents are parsed again (the model keeps no trees) and kept: the rewrite's self-check
/// compares the output with them.
fn objects_by_pos(docs: &[crate::yaml::Document]) -> BTreeMap<Pos, &Node> {
    fn add<'n>(n: &'n Node, out: &mut BTreeMap<Pos, &'n Node>) {
        let is_list = n.get("kind").and_then(Node::as_str).is_some_and(|k| k == "List" || k.ends_with("List"))
            && n.get("items").is_some();
        match n.get("items").and_then(Node::as_seq) {
            Some(items) if is_list => {
                for i in items {
                    add(i, out);
                }
            }
            _ if is_list => {}
            _ => {
                out.insert(n.pos, n);
            }
        }
    }
    let mut out = BTreeMap::new();
    for d in docs {
        add(&d.root, &mut out);
    }
    out
}

/// Appends items to a sequence (block: after its last item, at its dash column; otherwise re-emitted).
fn append_items(src: &Src, edits: &mut Edits, seq: &Node, new: &[Value]) {
    edits.mean(seq, Op::Append(new.to_vec()));
    let Y::Seq(items) = &seq.value else { return };
    let dash = items.first().and_then(|i| src.before(i.pos).rfind('-'));
    match dash {
        Some(col) if is_block(src, seq) => {
            let at = src.next_line(last_line(src, seq));
            let mut text = String::new();
            for v in new {
                text.push_str(&" ".repeat(col));
                text.push_str("- ");
                text.push_str(&yaml_out::emit(v, col + 2));
                text.push('\n');
            }
            if at == src.text.len() && !src.text.ends_with('\n') {
                text.insert(0, '\n');
                text.pop();
            }
            edits.list.push((at, at, text));
        }
        _ if src.first_char(seq.pos) == Some('[') && flow_end(src.text, src.byte(seq.pos)).is_some() => {
            // A flow sequence gains the items before its `]`: an insertion, so edits inside it stay.
            let close = flow_end(src.text, src.byte(seq.pos)).expect("checked") - 1;
            let mut text = String::new();
            for (i, v) in new.iter().enumerate() {
                if !items.is_empty() || i > 0 {
                    text.push_str(", ");
                }
                text.push_str(&serde_json::to_string(v).expect("serialises"));
            }
            edits.list.push((close, close, text));
        }
        _ => {
            let mut all: Vec<Value> = items.iter().map(|i| src.json(i)).collect();
            all.extend(new.iter().cloned());
            replace_text(src, edits, seq, &Value::Array(all));
        }
    }
}

/// Adds volumes, mounts and env to a pod spec and each of its containers.
fn add_to_pod(src: &Src, edits: &mut Edits, spec: &Node, volumes: &[Value], mounts: &[Value], env: &[Value]) {
    // Containers first: when a container ends where the pod spec ends, its insertions land at the same offset as
    // the spec's, and edits at one offset keep the order they were made in.
    for c in spec.get("containers").and_then(Node::as_seq).unwrap_or_default() {
        for (key, new) in [("volumeMounts", mounts), ("env", env)] {
            if new.is_empty() {
                continue;
            }
            match c.get(key) {
                Some(v) if v.as_seq().is_some() => append_items(src, edits, v, new),
                _ => insert_entry(src, edits, c, key, &Value::Array(new.to_vec())),
            }
        }
    }
    match spec.get("volumes") {
        Some(v) if v.as_seq().is_some() => append_items(src, edits, v, volumes),
        _ => insert_entry(src, edits, spec, "volumes", &Value::Array(volumes.to_vec())),
    }
}

/// The pod spec of a workload object.
fn pod_spec<'n>(node: &'n Node, kind: &str) -> Option<&'n Node> {
    if kind == "Pod" {
        return node.get("spec");
    }
    node.path(&["spec", "jobTemplate", "spec", "template", "spec"])
        .or_else(|| node.path(&["spec", "jobTargetRef", "template", "spec"]))
        .or_else(|| node.path(&["spec", "template", "spec"]))
}

/// Deletes a block mapping entry or sequence item (its whole lines); `None` when it is not alone on its lines.
fn delete_lines(src: &Src, edits: &mut Edits, first: Pos, last_line: u32) -> Option<()> {
    let prefix = src.before(first);
    if !prefix.chars().all(|c| c == ' ' || c == '-') {
        return None;
    }
    edits.list.push((src.line_start(first.line), src.next_line(last_line), String::new()));
    Some(())
}

/// Deletes entry `k` of a block mapping (its whole lines); `None` (and nothing recorded) when it cannot.
fn remove_entry(src: &Src, edits: &mut Edits, map: &Node, k: usize) -> Option<()> {
    let entries = map.as_map()?;
    let e = entries.get(k)?;
    let last = entries.get(k + 1).map_or_else(|| last_line(src, &e.value), |n| n.key_pos.line - 1);
    delete_lines(src, edits, e.key_pos, last)?;
    edits.mean(map, Op::Remove(e.key.clone()));
    Some(())
}

/// Deletes item `i` of a block sequence (its whole lines); `None` (and nothing recorded) when it cannot.
fn remove_item(src: &Src, edits: &mut Edits, seq: &Node, i: usize) -> Option<()> {
    let item = seq.as_seq()?.get(i)?;
    delete_lines(src, edits, item.pos, last_line(src, item))?;
    edits.mean(seq, Op::RemoveItem(i));
    Some(())
}

fn find_by_pos(n: &Node, p: Pos) -> Option<&Node> {
    if n.pos == p && matches!(n.value, Y::Scalar { .. }) {
        return Some(n);
    }
    if p < n.pos || p > n.end {
        return None;
    }
    match &n.value {
        Y::Map(entries) => entries.iter().find_map(|e| find_by_pos(&e.value, p)),
        Y::Seq(items) => items.iter().find_map(|i| find_by_pos(i, p)),
        Y::Scalar { .. } => None,
    }
}

/// Names of the Azure parents, from the config (or marked placeholders).
struct Names {
    storage: String,
    service_bus: String,
    key_vault: String,
    acr: Option<String>,
}

impl Names {
    fn new(cfg: &Config) -> Self {
        let a = &cfg.azure;
        Names {
            storage: a.storage_account.clone().unwrap_or_else(|| "REPLACE-ME-storage-account".into()),
            service_bus: a.service_bus_namespace.clone().unwrap_or_else(|| "REPLACE-ME-service-bus-namespace".into()),
            key_vault: a.key_vault.clone().unwrap_or_else(|| "REPLACE-ME-key-vault".into()),
            acr: a.container_registry.clone(),
        }
    }
}

/// Client ids by identity name (from `--client-ids`), or marked placeholders.
pub fn client_id(ids: &BTreeMap<String, String>, identity: &str) -> String {
    ids.get(identity).cloned().unwrap_or_else(|| format!("REPLACE-WITH-CLIENT-ID-OF-{identity}"))
}

/// The Azure URL that replaces an AWS value, when the plan maps its resource.
fn azure_value(
    resources: &BTreeMap<&str, &crate::plan::Resource>,
    tables: &Tables,
    names: &Names,
    arn: &str,
    text: &str,
) -> Option<String> {
    let base = crate::plan::rewritable(tables, arn)?;
    let r = resources.get(base.as_str())?;
    let name = r.azure_name.as_deref()?;
    let url = match azure_url_kind(r.azure_type.as_deref()?)? {
        "queue" => format!("https://{}.queue.core.windows.net/{name}", names.storage),
        "table" => format!("https://{}.table.core.windows.net/{name}", names.storage),
        "blob" => {
            // Keep the S3 key (prefix) as the blob path: `s3://bucket/key`, `https://bucket.s3…/key` (virtual
            // hosted) or `https://s3…/bucket/key` (path style).
            let path = match text.strip_prefix("s3://") {
                Some(rest) => rest.split_once('/').map_or("", |(_, p)| p),
                None => {
                    let rest = text.split_once("://").map_or(text, |(_, r)| r);
                    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
                    if host.starts_with("s3.") || host.starts_with("s3-") {
                        path.split_once('/').map_or("", |(_, p)| p)
                    } else {
                        path
                    }
                }
            };
            let base = format!("https://{}.blob.core.windows.net/{name}", names.storage);
            if path.is_empty() { base } else { format!("{base}/{path}") }
        }
        "servicebus" => format!("https://{}.servicebus.windows.net/{name}", names.service_bus),
        "secret" => format!("https://{}.vault.azure.net/secrets/{name}", names.key_vault),
        _ => return None,
    };
    Some(url)
}

const SDK_VARS: &[&str] = &[
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Rewrites every input file that holds Kubernetes objects. Returns (output relative path, text).
pub fn rewrite(
    a: &Analysis,
    cfg: &Config,
    tables: &Tables,
    client_ids: &BTreeMap<String, String>,
    emit: &(dyn Fn(FileId, String) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<()> {
    let names = Names::new(cfg);
    // ServiceAccount → identity by the object's place (two clusters may each have `app/worker`, bound to
    // different roles: issue 17), workload → identity, from the plan.
    let mut sa_identity: BTreeMap<(FileId, Pos), &str> = BTreeMap::new();
    for id in &a.plan.identities {
        for l in &id.service_account_locs {
            sa_identity.insert((l.file, l.pos), &id.name);
        }
    }
    let workload_identity: BTreeSet<(String, String, String)> = a
        .plan
        .workloads
        .iter()
        .filter(|w| w.identity.is_some())
        .map(|w| (w.kind.to_string(), w.namespace.to_string(), w.name.clone()))
        .collect();
    // Indexes (everything below is looked up per object or per value: no scans of the whole plan).
    let resource_by_arn: BTreeMap<&str, &crate::plan::Resource> =
        a.plan.resources.iter().map(|r| (&*r.aws_arn, r)).collect();
    let mut by_aws_name: BTreeMap<(&str, String), Vec<&str>> = BTreeMap::new();
    for res in &a.plan.resources {
        if let (Some((_, n)), Some(azure)) = (need::base_resource(tables, &res.aws_arn), res.azure_name.as_deref()) {
            by_aws_name.entry((&*res.aws_service, n)).or_default().push(azure);
        }
    }
    let workload_entry: BTreeMap<(&str, &str, &str), &crate::plan::WorkloadEntry> =
        a.plan.workloads.iter().map(|w| ((&*w.kind, &*w.namespace, w.name.as_str()), w)).collect();
    let identity_by_name: BTreeMap<&str, &crate::plan::Identity> =
        a.plan.identities.iter().map(|i| (i.name.as_str(), i)).collect();
    let scaler_of_object: BTreeMap<usize, usize> =
        a.model.scalers.iter().enumerate().map(|(i, s)| (s.object, i)).collect();
    // Value rewrites and env removals, by location.
    // (token, replacement) by location; the token borrows the model's text.
    let mut value_rewrites: BTreeMap<(FileId, Pos), (&str, String)> = BTreeMap::new();
    let refs = a.model.aws_refs();
    for r in refs {
        if r.kind == AwsRefKind::Name
            && let Some(prefix) = r.arn.as_deref().and_then(|a| a.strip_prefix("name:"))
        {
            // A bare name: the Azure name of the one mapped resource of that service with that AWS name.
            let matches: &[&str] = by_aws_name.get(&(prefix, r.text.to_string())).map_or(&[], Vec::as_slice);
            if let [azure] = matches
                && **azure != *r.text
            {
                value_rewrites.insert((r.loc.file, r.loc.pos), (&*r.text, azure.to_string()));
            }
            continue;
        }
        if matches!(r.kind, AwsRefKind::Endpoint | AwsRefKind::Arn)
            && let Some(arn) = &r.arn
            && let Some(url) = azure_value(&resource_by_arn, tables, &names, arn, &r.text)
        {
            // Replace the token inside the value, keeping text around it.
            value_rewrites.insert((r.loc.file, r.loc.pos), (&*r.text, url));
        }
    }
    // ECR images move to the configured ACR: a value rewrite like the endpoints, so a container re-emitted whole
    // carries it too.
    if let Some(acr) = &names.acr {
        for c in a.model.workloads.iter().flat_map(|w| w.containers.iter()) {
            if let Some((image, loc)) = &c.image
                && let Some((_, repo)) = scan::ecr_image(image)
            {
                value_rewrites.insert((loc.file, loc.pos), (image.as_str(), format!("{acr}.azurecr.io/{repo}")));
            }
        }
    }
    // KEDA: the plan says which triggers carry over, which authentication each references and which identity each
    // authentication carries (a shared one split per identity).
    let keda = &*a.plan.keda;
    let auth_identity = &keda.auths;
    let mut trigger_rewrites: BTreeMap<(usize, usize), Value> = BTreeMap::new();
    for (&(si, ti), (arn, auth_ref)) in &keda.triggers {
        let t = &a.model.scalers[si].triggers[ti];
        let Some(r) = resource_by_arn.get(arn.as_str()) else { continue };
        let (Some(name), Some(ty)) = (&r.azure_name, &r.azure_type) else { continue };
        let length = t.metadata.get("queueLength").cloned().unwrap_or_else(|| "5".into());
        let mut metadata = serde_json::Map::new();
        let trigger_type = match azure_url_kind(ty) {
            Some("queue") => {
                metadata.insert("queueName".into(), json!(name));
                metadata.insert("accountName".into(), json!(names.storage));
                metadata.insert("queueLength".into(), json!(length));
                "azure-queue"
            }
            Some("servicebus") => {
                metadata.insert("queueName".into(), json!(name));
                metadata.insert("namespace".into(), json!(names.service_bus));
                metadata.insert("messageCount".into(), json!(length));
                "azure-servicebus"
            }
            _ => continue,
        };
        if let Some(v) = t.metadata.get("activationQueueLength") {
            let k = if trigger_type == "azure-queue" { "activationQueueLength" } else { "activationMessageCount" };
            metadata.insert(k.into(), json!(v));
        }
        let mut new = serde_json::Map::new();
        new.insert("type".into(), json!(trigger_type));
        new.insert("metadata".into(), Value::Object(metadata));
        if let Some((kind, an)) = auth_ref {
            let mut auth = serde_json::Map::new();
            auth.insert("name".into(), json!(an));
            if kind != "TriggerAuthentication" {
                auth.insert("kind".into(), json!(kind));
            }
            new.insert("authenticationRef".into(), Value::Object(auth));
        }
        trigger_rewrites.insert((si, ti), Value::Object(new));
    }
    // The authentications the rewrite adds, by the file they are appended to.
    let mut added_by_file: BTreeMap<FileId, Vec<Value>> = BTreeMap::new();
    for x in &a.plan.keda_authentications {
        let mut meta = serde_json::Map::new();
        meta.insert("name".into(), json!(x.name));
        if let Some(ns) = &x.namespace {
            meta.insert("namespace".into(), json!(ns));
        }
        if let Some(from) = &x.derived_from {
            meta.insert("annotations".into(), json!({ "eks2aks.dev/derived-from": from }));
        }
        let mut pi = serde_json::Map::new();
        pi.insert("provider".into(), json!("azure-workload"));
        if let Some(id) = &x.identity {
            pi.insert("identityId".into(), json!(client_id(client_ids, id)));
        }
        added_by_file.entry(x.file_id).or_default().push(json!({
            "apiVersion": x.api_version,
            "kind": x.kind,
            "metadata": meta,
            "spec": { "podIdentity": pi },
        }));
    }
    // Env values the plan holds back: the KEDA trigger that reads them stays on AWS (never one without the other).
    value_rewrites.retain(|(f, p), _| !keda.held.contains(&crate::diag::Loc { file: *f, pos: *p }));

    // Files are rewritten independently, in parallel chunks; each is handed to `emit` when done.
    let by_file: Vec<(FileId, Vec<usize>)> = a.model.objects_by_file().into_iter().collect();
    let rewritten = by_file.par_chunks(32).map(
        |chunk| -> anyhow::Result<()> {
            for (file, objects) in chunk {
                let (file, objects) = (*file, objects);
                let text = a.files.get(file).read_text()?;
                let text = text.as_ref();
                let mut src = Src::new(a.files.get(file), text);
                let lo = (file, Pos { line: 0, col: 0 });
                let hi = (file, Pos { line: u32::MAX, col: u32::MAX });
                src.rewrites = value_rewrites.range(lo..=hi).map(|((_, p), (t, r))| (*p, (*t, r.as_str()))).collect();
                let mut edits = Edits::default();
                let docs = crate::yaml::parse_stream(text).unwrap_or_default();
                let nodes = objects_by_pos(&docs);
                for &oi in objects {
                    let o = &a.model.objects[oi];
                    let ns = o
                        .namespace
                        .as_deref()
                        .map(str::to_string)
                        .unwrap_or_else(|| cfg.default_namespace.clone().unwrap_or_else(|| "default".into()));
                    let Some(&node) = nodes.get(&o.loc.pos) else { continue };
                    // ServiceAccounts.
                    if &*o.kind == "ServiceAccount" && &*o.api_version == "v1" {
                        let identity = sa_identity.get(&(o.loc.file, o.loc.pos)).copied();
                        if let Some(ann) = node.path(&["metadata", "annotations"]) {
                            let eks: Vec<&crate::yaml::Entry> = ann
                                .as_map()
                                .unwrap_or_default()
                                .iter()
                                .filter(|e| e.key.starts_with("eks.amazonaws.com/"))
                                .collect();
                            if !eks.is_empty() || identity.is_some() {
                                let mut j = src.json(ann);
                                // IRSA's token lifetime carries over to workload identity's (seconds; Azure takes 3600–86400).
                                let expiration = ann
                                    .get("eks.amazonaws.com/token-expiration")
                                    .and_then(Node::as_str)
                                    .and_then(|v| v.parse::<u64>().ok())
                                    .filter(|_| identity.is_some())
                                    .map(|v| v.clamp(3600, 86400).to_string());
                                if let Value::Object(m) = &mut j {
                                    m.retain(|k, _| !k.starts_with("eks.amazonaws.com/"));
                                    if let Some(id) = identity {
                                        m.insert(
                                            "azure.workload.identity/client-id".into(),
                                            json!(client_id(client_ids, id)),
                                        );
                                    }
                                    if let Some(e) = &expiration {
                                        m.insert(
                                            "azure.workload.identity/service-account-token-expiration".into(),
                                            json!(e),
                                        );
                                    }
                                }
                                let all_eks = ann.as_map().is_some_and(|e| e.len() == eks.len());
                                let in_place = is_block(&src, ann) && !all_eks;
                                let mut ok = in_place;
                                let mark = edits.mark();
                                if in_place {
                                    let entries = ann.as_map().unwrap_or_default();
                                    for (k, e) in entries.iter().enumerate() {
                                        if e.key.starts_with("eks.amazonaws.com/") {
                                            ok &= remove_entry(&src, &mut edits, ann, k).is_some();
                                        }
                                    }
                                    if let Some(id) = identity {
                                        insert_entry(
                                            &src,
                                            &mut edits,
                                            ann,
                                            "azure.workload.identity/client-id",
                                            &json!(client_id(client_ids, id)),
                                        );
                                    }
                                    if let Some(e) = &expiration {
                                        insert_entry(
                                            &src,
                                            &mut edits,
                                            ann,
                                            "azure.workload.identity/service-account-token-expiration",
                                            &json!(e),
                                        );
                                    }
                                }
                                if !ok {
                                    edits.reset(mark);
                                    // Nothing left: the `annotations` key goes (when it is alone on its lines).
                                    let emptied = j.as_object().is_some_and(serde_json::Map::is_empty);
                                    let meta = node.get("metadata");
                                    let at = meta
                                        .and_then(Node::as_map)
                                        .and_then(|m| m.iter().position(|e| e.key == "annotations"));
                                    let removed = match (emptied, meta, at) {
                                        (true, Some(meta), Some(k)) if is_block(&src, meta) && is_block(&src, ann) => {
                                            remove_entry(&src, &mut edits, meta, k).is_some()
                                        }
                                        _ => false,
                                    };
                                    if !removed {
                                        replace_node(&src, &mut edits, ann, &j);
                                    }
                                }
                            }
                        } else if let (Some(id), Some(meta)) = (identity, node.get("metadata")) {
                            insert_entry(
                                &src,
                                &mut edits,
                                meta,
                                "annotations",
                                &json!({ "azure.workload.identity/client-id": client_id(client_ids, id) }),
                            );
                        }
                    }
                    // Pod templates of mapped workloads.
                    if workload_identity.contains(&(o.kind.to_string(), ns.clone(), o.name.clone())) {
                        let template = if &*o.kind == "Pod" {
                            Some(node)
                        } else {
                            node.path(&["spec", "jobTemplate", "spec", "template"])
                                .or_else(|| node.path(&["spec", "jobTargetRef", "template"]))
                                .or_else(|| node.path(&["spec", "template"]))
                        };
                        if let Some(t) = template {
                            let label = json!("true");
                            match (t.get("metadata"), t.path(&["metadata", "labels"])) {
                                (_, Some(labels)) if labels.as_map().is_some() => {
                                    insert_entry(&src, &mut edits, labels, "azure.workload.identity/use", &label)
                                }
                                (Some(meta), _) if meta.as_map().is_some_and(|m| !m.is_empty()) => insert_entry(
                                    &src,
                                    &mut edits,
                                    meta,
                                    "labels",
                                    &json!({ "azure.workload.identity/use": "true" }),
                                ),
                                _ => insert_entry(
                                    &src,
                                    &mut edits,
                                    t,
                                    "metadata",
                                    &json!({ "labels": { "azure.workload.identity/use": "true" } }),
                                ),
                            }
                        }
                    }
                    // Env: AWS SDK variables dropped, AWS values rewritten; images moved to ACR.
                    // Phased migration: workloads whose identity has an AWS bridge keep their region and get a projected
                    // token for AWS (aks-issuer) or the role to assume (entra).
                    let bridge = workload_entry
                        .get(&(&*o.kind, ns.as_str(), o.name.as_str()))
                        .and_then(|w| w.identity.as_deref())
                        .and_then(|id| identity_by_name.get(id))
                        .and_then(|i| i.aws_bridge.as_ref());
                    let chosen: BTreeMap<&str, String> = workload_entry
                        .get(&(&*o.kind, ns.as_str(), o.name.as_str()))
                        .into_iter()
                        .flat_map(|w| w.env_roles.iter())
                        .map(|r| (r.aws_role_arn.as_str(), client_id(client_ids, &r.identity)))
                        .collect();
                    rewrite_containers(&src, &mut edits, node, bridge.is_some(), &chosen);
                    if let (Some(b), Some(spec)) = (bridge, pod_spec(node, &o.kind)) {
                        let mut env = vec![json!({"name": "AWS_ROLE_ARN", "value": b.role_arn})];
                        let (volumes, mounts) = if b.kind == "entra" {
                            env.push(json!({"name": "EKS2AKS_AWS_TOKEN_AUDIENCE", "value": b.audience}));
                            (Vec::new(), Vec::new())
                        } else {
                            env.push(
                        json!({"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks2aks/aws/token"}),
                    );
                            env.push(json!({"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}));
                            (
                                vec![
                                    json!({"name": "eks2aks-aws-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}}),
                                ],
                                vec![
                                    json!({"name": "eks2aks-aws-token", "mountPath": "/var/run/secrets/eks2aks/aws", "readOnly": true}),
                                ],
                            )
                        };
                        if volumes.is_empty() {
                            for c in spec.get("containers").and_then(Node::as_seq).unwrap_or_default() {
                                match c.get("env") {
                                    Some(v) if v.as_seq().is_some() => append_items(&src, &mut edits, v, &env),
                                    _ => insert_entry(&src, &mut edits, c, "env", &Value::Array(env.clone())),
                                }
                            }
                        } else {
                            add_to_pod(&src, &mut edits, spec, &volumes, &mounts, &env);
                        }
                    }
                    for ((_, p), (token, url)) in value_rewrites.range((file, node.pos)..=(file, node.end)) {
                        if let Some(n) = find_by_pos(node, *p)
                            && let Some(old) = n.as_str()
                        {
                            replace_node(&src, &mut edits, n, &json!(old.replacen(token, url, 1)));
                        }
                    }
                    if &*o.kind == "ConfigMap"
                        && let Some(data) = node.get("data").and_then(Node::as_map)
                    {
                        {
                            let map = node.get("data").expect("checked above");
                            let sdk = |e: &crate::yaml::Entry| SDK_VARS.iter().any(|v| v.eq_ignore_ascii_case(&e.key));
                            if data.iter().all(sdk) {
                                // Every key goes: `data: {}`, not a `data:` left holding null.
                                for e in data {
                                    edits.mean(map, Op::Remove(e.key.clone()));
                                }
                                replace_text(&src, &mut edits, map, &json!({}));
                            } else {
                                for (k, e) in data.iter().enumerate() {
                                    if sdk(e) {
                                        // A key that is not alone on its lines stays (its finding says so).
                                        let _ = remove_entry(&src, &mut edits, map, k);
                                    }
                                }
                            }
                        }
                    }
                    // KEDA.
                    if o.api_version.starts_with("keda.sh/") {
                        if let Some(&si) = scaler_of_object.get(&oi)
                            && let Some(triggers) = node.path(&["spec", "triggers"]).and_then(Node::as_seq)
                        {
                            for (ti, t) in triggers.iter().enumerate() {
                                if let Some(v) = trigger_rewrites.get(&(si, ti)) {
                                    replace_node(&src, &mut edits, t, v);
                                }
                            }
                        }
                        if matches!(&*o.kind, "TriggerAuthentication" | "ClusterTriggerAuthentication") {
                            let tns =
                                if &*o.kind == "ClusterTriggerAuthentication" { String::new() } else { ns.clone() };
                            if let Some(identity) = auth_identity.get(&(o.kind.to_string(), tns, o.name.clone())) {
                                rewrite_auth(
                                    &src,
                                    &mut edits,
                                    node,
                                    identity.as_deref().map(|id| client_id(client_ids, id)),
                                );
                            }
                        }
                    }
                }
                let mut out = apply(text, edits.list);
                drop(nodes);
                let added = added_by_file.get(&file).map_or(&[][..], Vec::as_slice);
                append_documents(&mut out, added);
                verified(&a.files.get(file).display, text, &docs, &out, &edits.intent, added)?;
                emit(file, out)?;
            }
            Ok(())
        },
    );
    let done: Vec<anyhow::Result<()>> = crate::par::install(|| rewritten.collect());
    done.into_iter().collect()
}

/// Rewrites a KEDA authentication for Azure: an AWS `podIdentity` becomes `azure-workload` (with `identityId` when
/// it carries a workload's identity), one is added when a trigger named its role but its authentication had no
/// pod identity, and the AWS parameters (`awsAccessKeyID`, …) go from `secretTargetRef` and `env`: an Azure scaler
/// must not carry AWS keys (issue 18).
fn rewrite_auth(src: &Src, edits: &mut Edits, node: &Node, identity_id: Option<String>) {
    let mut v = serde_json::Map::new();
    v.insert("provider".into(), json!("azure-workload"));
    if let Some(id) = identity_id {
        v.insert("identityId".into(), json!(id));
    }
    let spec = node.get("spec");
    match spec.and_then(|s| s.get("podIdentity")) {
        Some(pi) if matches!(pi.get("provider").and_then(Node::as_str), Some("aws" | "aws-eks")) => {
            replace_node(src, edits, pi, &Value::Object(v));
        }
        None if v.contains_key("identityId") => {
            if let Some(spec) = spec.filter(|s| s.as_map().is_some()) {
                insert_entry(src, edits, spec, "podIdentity", &Value::Object(v));
            }
        }
        _ => {}
    }
    for list in ["secretTargetRef", "env"] {
        let Some(seq) = spec.and_then(|s| s.get(list)) else { continue };
        let Some(items) = seq.as_seq() else { continue };
        let drop: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                i.get("parameter").and_then(Node::as_str).is_some_and(|p| crate::model::KEDA_AWS_PARAMS.contains(&p))
            })
            .map(|(i, _)| i)
            .collect();
        if drop.is_empty() {
            continue;
        }
        let mark = edits.mark();
        let mut ok = is_block(src, seq) && drop.len() < items.len();
        if ok {
            for &i in &drop {
                ok &= remove_item(src, edits, seq, i).is_some();
            }
        }
        if !ok {
            edits.reset(mark);
            for &i in &drop {
                edits.mean(seq, Op::RemoveItem(i));
            }
            let kept: Vec<Value> =
                items.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, e)| src.json(e)).collect();
            replace_text(src, edits, seq, &Value::Array(kept));
        }
    }
}

/// Appends documents (the KEDA authentications the plan adds) at the end of a rewritten file.
fn append_documents(out: &mut String, docs: &[Value]) {
    if docs.is_empty() {
        return;
    }
    let nl = if out.contains("\r\n") { "\r\n" } else { "\n" };
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(nl);
    }
    for d in docs {
        out.push_str("---");
        out.push_str(nl);
        out.push_str(&yaml_out::emit(d, 0).replace('\n', nl));
        if !out.ends_with('\n') {
            out.push_str(nl);
        }
    }
}

/// Drops the AWS SDK variables from every container's env. A container whose `AWS_ROLE_ARN` names another role
/// than its ServiceAccount's (E2A052: the SDK assumed that role) gets, in the variable's place, `AZURE_CLIENT_ID`
/// of the identity planned for that role (`chosen` maps role ARN to client id): the workload identity webhook
/// injects the ServiceAccount's client id only into containers that do not set one.
fn rewrite_containers(src: &Src, edits: &mut Edits, node: &Node, keep_region: bool, chosen: &BTreeMap<&str, String>) {
    let specs = [
        node.path(&["spec"]),
        node.path(&["spec", "template", "spec"]),
        node.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        node.path(&["spec", "jobTargetRef", "template", "spec"]),
    ];
    for spec in specs.into_iter().flatten() {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec.get(list).and_then(Node::as_seq).unwrap_or_default() {
                let Some(env) = c.get("env") else { continue };
                let Some(items) = env.as_seq() else { continue };
                // The item that selects a role, replaced by the client id of that role's identity.
                let replaced: Option<(usize, Value)> = items.iter().enumerate().find_map(|(i, e)| {
                    (e.get("name").and_then(Node::as_str)? == "AWS_ROLE_ARN").then_some(())?;
                    let id = chosen.get(e.get("value").and_then(Node::as_str)?.trim())?;
                    Some((i, json!({"name": "AZURE_CLIENT_ID", "value": id})))
                });
                let drop: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| {
                        e.get("name").and_then(Node::as_str).is_some_and(|n| {
                            SDK_VARS.contains(&n) && !(keep_region && (n == "AWS_REGION" || n == "AWS_DEFAULT_REGION"))
                        })
                    })
                    .map(|(i, _)| i)
                    .filter(|i| replaced.as_ref().is_none_or(|(r, _)| r != i))
                    .collect();
                if drop.is_empty() && replaced.is_none() {
                    continue;
                }
                // Every item goes: `env: []` (deleting their lines would leave `env:` holding null).
                let mut ok = is_block(src, env) && drop.len() < items.len();
                let mark = edits.mark();
                if ok {
                    for &i in &drop {
                        ok &= remove_item(src, edits, env, i).is_some();
                    }
                    if let Some((i, v)) = &replaced {
                        replace_node(src, edits, &items[*i], v);
                    }
                }
                if !ok {
                    // Re-emitted whole; what it means is still "these items go" (so the check sees every other
                    // edit inside the list too).
                    edits.reset(mark);
                    for &i in &drop {
                        edits.mean(env, Op::RemoveItem(i));
                    }
                    if let Some((i, v)) = &replaced {
                        edits.mean(&items[*i], Op::Replace(v.clone()));
                    }
                    let kept: Vec<Value> = items
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !drop.contains(i))
                        .map(|(i, e)| match &replaced {
                            Some((r, v)) if *r == i => v.clone(),
                            _ => src.json(e),
                        })
                        .collect();
                    replace_text(src, edits, env, &Value::Array(kept));
                }
            }
        }
    }
}

/// The self-check of every rewritten file (see [`verify`]): an output that differs from its input by more than
/// the planned edits is an internal error, and the run writes nothing.
fn verified(
    display: &str,
    input: &str,
    docs: &[crate::yaml::Document],
    output: &str,
    intent: &[(verify::NodeKey, Op)],
    added: &[Value],
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    let checked = verify::check_parsed(display, input, docs, output, intent, added);
    crate::diag::timings::add_cpu("verify manifests", t);
    checked.map_err(|m| {
        anyhow::anyhow!(
            "internal error: the manifest rewrite failed its own check, so nothing was written: {m}. This is a bug in eks2aks; please report it with the input object"
        )
    })
}

/// Applies non-overlapping edits (later ones first, so offsets stay valid). Overlapping edits keep the first (the
/// verifier then reports the one that was dropped).
fn apply(text: &str, mut list: Vec<(usize, usize, String)>) -> String {
    // Stable: edits at one offset keep the order they were made in.
    list.sort_by_key(|e| (e.0, e.1));
    let mut kept: Vec<(usize, usize, String)> = Vec::new();
    for e in list {
        if kept.last().is_some_and(|l| e.0 < l.1 || (e.0 == l.0 && e.1 == l.1 && e.0 != e.1)) {
            continue;
        }
        kept.push(e);
    }
    // A file with CRLF line ends gets CRLF in the lines the rewrite adds (no line is left with a lone LF).
    let crlf = text.contains("\r\n");
    // Built front to back in one pass: replacing ranges from the back moved the tail once per edit (quadratic on a
    // large `List` with many edits).
    let mut out = String::with_capacity(text.len() + kept.iter().map(|e| e.2.len()).sum::<usize>());
    let mut at = 0;
    for (s, e, r) in kept {
        out.push_str(&text[at..s]);
        if crlf && r.contains('\n') {
            out.push_str(&r.replace("\r\n", "\n").replace('\n', "\r\n"));
        } else {
            out.push_str(&r);
        }
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// The reverse bridge (`bridge_from_eks`): the manifests of workloads that stay on EKS for now, with a projected
/// token for Azure (audience `api://AzureADTokenExchange`) and the `AZURE_*` variables the Azure SDKs read, so
/// they reach resources already moved to Azure with no secret. Only files with such workloads are returned.
pub fn eks_side(
    a: &Analysis,
    cfg: &Config,
    client_ids: &BTreeMap<String, String>,
) -> anyhow::Result<BTreeMap<FileId, String>> {
    let mut out = BTreeMap::new();
    if !cfg.bridge_from_eks {
        return Ok(out);
    }
    let tenant = cfg.azure.tenant_id.clone().unwrap_or_else(|| "REPLACE-ME-tenant-id".into());
    let workload_entry: BTreeMap<(&str, &str, &str), &crate::plan::WorkloadEntry> =
        a.plan.workloads.iter().map(|w| ((&*w.kind, &*w.namespace, w.name.as_str()), w)).collect();
    for (file, objects) in a.model.objects_by_file() {
        let text = a.files.get(file).read_text()?;
        let text = text.as_ref();
        let src = Src::new(a.files.get(file), text);
        let mut edits = Edits::default();
        let docs = crate::yaml::parse_stream(text).unwrap_or_default();
        let nodes = objects_by_pos(&docs);
        for oi in objects {
            let o = &a.model.objects[oi];
            let ns = o
                .namespace
                .as_deref()
                .map(str::to_string)
                .unwrap_or_else(|| cfg.default_namespace.clone().unwrap_or_else(|| "default".into()));
            let Some(identity) =
                workload_entry.get(&(&*o.kind, ns.as_str(), o.name.as_str())).and_then(|w| w.identity.clone())
            else {
                continue;
            };
            let Some(spec) = nodes.get(&o.loc.pos).and_then(|n| pod_spec(n, &o.kind)) else { continue };
            let volumes = vec![
                json!({"name": "azure-identity-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "api://AzureADTokenExchange", "expirationSeconds": 3600, "path": "azure-identity-token"}}]}}),
            ];
            let mounts = vec![
                json!({"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": true}),
            ];
            let env = vec![
                json!({"name": "AZURE_CLIENT_ID", "value": client_id(client_ids, &identity)}),
                json!({"name": "AZURE_TENANT_ID", "value": tenant}),
                json!({"name": "AZURE_FEDERATED_TOKEN_FILE", "value": "/var/run/secrets/azure/tokens/azure-identity-token"}),
                json!({"name": "AZURE_AUTHORITY_HOST", "value": "https://login.microsoftonline.com/"}),
            ];
            add_to_pod(&src, &mut edits, spec, &volumes, &mounts, &env);
        }
        if !edits.list.is_empty() {
            let new = apply(text, edits.list);
            verified(&a.files.get(file).display, text, &docs, &new, &edits.intent, &[])?;
            out.insert(file, new);
        }
    }
    Ok(out)
}
