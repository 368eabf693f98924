//! Workload-identity manifests: every input manifest rewritten for AKS by splicing the original text, so a PR diff
//! shows only the migration (comments, key order and layout elsewhere are kept). ServiceAccounts trade
//! `eks.amazonaws.com/*` for `azure.workload.identity/client-id`; pod templates that run as a mapped
//! ServiceAccount get the `azure.workload.identity/use: "true"` label; AWS endpoints in env and ConfigMaps become
//! their Azure counterparts; AWS SDK variables are dropped; KEDA `aws-sqs-queue` triggers become `azure-queue`
//! (or `azure-servicebus`) with `azure-workload` pod identity; ECR images move to the configured ACR.
//! A node that cannot be edited in place is re-emitted as a whole (only that node loses its comments).

use super::verify::{self, Op};
use super::yaml_out;
use crate::diag::{FileId, Pos};
use crate::plan::Analysis;
use crate::plan::edits::{
    CLIENT_ID_ANNOTATION, Edit, FileEdits, ItemEdits, NodeChange, NodeShape, ObjectEdits, PodIdentityEdit, SetField,
    TOKEN_EXPIRATION_ANNOTATION, USE_LABEL, rewrite_value,
};
use crate::yaml::{Node, Value as Y};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Text edits on one file: (byte start, byte end, replacement), and what each means for the node it changes
/// (checked against the re-read output by [`verify`] before anything is written).
#[derive(Default)]
struct Edits {
    list: Vec<(usize, usize, String)>,
    intent: Vec<(verify::NodeKey, Op)>,
    /// The insertions made at the end of a block node (by [`insert_entry`], [`append_items`]): their index in
    /// `list` and where that node starts. Several can fall at one offset (a container whose last key is `env:`
    /// ends where its env list does); the one into the node that starts later — the nested one — must come first,
    /// or the env items would land under a key added to the container (found by review of 4ba9fce).
    into: Vec<(usize, Pos)>,
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
        self.into.retain(|(i, _)| *i < list);
    }

    /// Inserts `text` at byte `at`, at the end of the node that starts at `node` (see [`Edits::into`]).
    fn insert_into(&mut self, at: usize, text: String, node: Pos) {
        self.into.push((self.list.len(), node));
        self.list.push((at, at, text));
    }
}

struct Src<'a> {
    text: &'a str,
    /// The text's line index.
    line_starts: Vec<usize>,
    /// Per line: only ASCII, so a column is a byte offset (a minified JSON manifest is one long line; walking
    /// its characters for every edit would be quadratic). Empty when the whole text is ASCII (nearly every
    /// manifest: one vectorised check instead of a loop over the lines).
    ascii: Vec<bool>,
    /// A `.json` file: every scalar written into it is a JSON string.
    json: bool,
    /// The value rewrites of this file by the scalar's position: every (token, replacement) of the value — what a
    /// node re-emitted whole must carry, or an endpoint inside it would be lost (issue 17: a flow-style env list
    /// re-emitted to drop `AWS_ROLE_ARN` kept the old SQS URL).
    rewrites: BTreeMap<Pos, Vec<(&'a str, &'a str)>>,
}

impl<'a> Src<'a> {
    fn new(file: &crate::diag::SourceFile, text: &'a str) -> Self {
        let line_starts = crate::diag::files::yaml_line_starts(text);
        let ascii = if text.is_ascii() {
            Vec::new()
        } else {
            (0..line_starts.len())
                .map(|i| text[line_starts[i]..line_starts.get(i + 1).copied().unwrap_or(text.len())].is_ascii())
                .collect()
        };
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
                (Some(tokens), Some(old)) => json!(rewrite_value(old, tokens.iter().copied())),
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

    /// Byte offset of the end of `line`'s text: before its line break (`\n`, `\r\n` or a lone `\r`), or the end
    /// of the text when it is the last line and has none.
    fn line_end(&self, line: u32) -> usize {
        let next = self.next_line(line);
        let text = &self.text[..next];
        if let Some(t) = text.strip_suffix("\r\n") {
            t.len()
        } else if let Some(t) = text.strip_suffix(['\n', '\r']) {
            t.len()
        } else {
            next
        }
    }

    fn byte(&self, p: Pos) -> usize {
        let start = self.line_start(p.line);
        let line = &self.text[start..self.next_line(p.line)];
        let col = p.col.saturating_sub(1) as usize;
        if self.ascii.is_empty() || self.ascii.get(p.line.saturating_sub(1) as usize).copied().unwrap_or(false) {
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
        Y::Map(e) if !e.is_empty() => entry_start(src, &e[0]),
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

/// Where a block mapping entry starts: its key, or the `?` of an explicit key (`? key` then `: value` on the next
/// line), which goes and comes with it (found by review of 4ba9fce: re-emitting from the key left the `?` in front
/// of a whole `key: value`). An entry a merge key brought in starts at its `<<` (its key is in the anchored text).
fn entry_start(src: &Src, e: &crate::yaml::Entry) -> Pos {
    let key_pos = e.merged.unwrap_or(e.key_pos);
    let before = src.before(key_pos);
    match before.trim_end().strip_suffix('?') {
        Some(lead) if lead.chars().all(|c| c == ' ' || c == '-') => {
            Pos { line: key_pos.line, col: lead.chars().count() as u32 + 1 }
        }
        _ => key_pos,
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
        let end = src.line_end(last_line(src, n)).max(start);
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
        edits.insert_into(at, format!("\n{line}"), map.pos);
    } else {
        edits.insert_into(at, format!("{line}\n"), map.pos);
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
            edits.insert_into(at, text, seq.pos);
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
            add_items(src, edits, c, key, new);
        }
    }
    add_items(src, edits, spec, "volumes", volumes);
}

/// Adds items to the list at `key` of a mapping: after its items, in place of a null (`env:` holding nothing,
/// `env: ~`: adding the key again would make a duplicate, found by review of 4ba9fce), or as a new key.
fn add_items(src: &Src, edits: &mut Edits, map: &Node, key: &str, new: &[Value]) {
    match map.get(key) {
        Some(v) if v.as_seq().is_some() => append_items(src, edits, v, new),
        Some(v) if v.is_null() => fill_null(src, edits, v, &Value::Array(new.to_vec())),
        _ => insert_entry(src, edits, map, key, &Value::Array(new.to_vec())),
    }
}

/// A null value becomes `v` (one-line JSON). An empty one (`key:` and nothing) has no text: the value goes after
/// the `:`.
fn fill_null(src: &Src, edits: &mut Edits, n: &Node, v: &Value) {
    edits.mean(n, Op::Replace(v.clone()));
    let text = serde_json::to_string(v).expect("serialises");
    let (start, end) = (src.byte(n.pos), src.byte(n.end));
    if start == end {
        // Empty: placed at its `:`, or after it at the end of a file without a final newline.
        // At the end of a file with no final newline, that is where a key added to the enclosing mapping goes too:
        // ranked as an insertion into this node, it comes first.
        let at = if src.text[start..].starts_with(':') { start + 1 } else { start };
        edits.insert_into(at, format!(" {text}"), n.pos);
    } else {
        edits.list.push((start, end, text));
    }
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
    // An entry a merge key brought in is not in this mapping's text.
    let e = entries.get(k).filter(|e| e.merged.is_none())?;
    let last = entries.get(k + 1).map_or_else(|| last_line(src, &e.value), |n| entry_start(src, n).line - 1);
    delete_lines(src, edits, entry_start(src, e), last)?;
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

/// The outermost node (of any kind) that starts at `p`.
fn find_node_at(n: &Node, p: Pos) -> Option<&Node> {
    if n.pos == p {
        return Some(n);
    }
    if p < n.pos || p > n.end {
        return None;
    }
    match &n.value {
        Y::Map(entries) => entries.iter().find_map(|e| find_node_at(&e.value, p)),
        Y::Seq(items) => items.iter().find_map(|i| find_node_at(i, p)),
        Y::Scalar { .. } => None,
    }
}

/// Client ids by identity name (from `--client-ids`), or marked placeholders.
pub fn client_id(ids: &BTreeMap<String, String>, identity: &str) -> String {
    ids.get(identity).cloned().unwrap_or_else(|| format!("REPLACE-WITH-CLIENT-ID-OF-{identity}"))
}

/// Rewrites every input file that holds Kubernetes objects with the plan's edits (`plan.manifest_edits`) and hands
/// each to `emit`. A file the plan does not edit is handed over as it is.
pub fn rewrite(
    a: &Analysis,
    client_ids: &BTreeMap<String, String>,
    emit: &(dyn Fn(FileId, String) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<()> {
    let edits: BTreeMap<FileId, &FileEdits> = a.plan.manifest_edits.iter().map(|f| (f.file_id, f)).collect();
    let added = added_documents(a, client_ids);
    let files: Vec<FileId> = a.model.objects_by_file().into_keys().collect();
    // Files are rewritten independently, in parallel chunks; each is handed to `emit` when done.
    let rewritten = files.par_chunks(32).map(|chunk| -> anyhow::Result<()> {
        for &file in chunk {
            let text = a.files.get(file).read_text()?;
            let added = added.get(&file).map_or(&[][..], Vec::as_slice);
            let out = match edits.get(&file) {
                None if added.is_empty() => text.into_owned(),
                fe => edit_file(a, file, &text, fe.map_or(&[][..], |f| &f.objects), added, client_ids)?,
            };
            emit(file, out)?;
        }
        Ok(())
    });
    let done: Vec<anyhow::Result<()>> = crate::par::install(|| rewritten.collect());
    done.into_iter().collect()
}

/// Applies the edits of one file, appends its added documents, and checks the result against the input
/// ([`verified`]).
fn edit_file(
    a: &Analysis,
    file: FileId,
    text: &str,
    objects: &[ObjectEdits],
    added: &[Value],
    client_ids: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let mut src = Src::new(a.files.get(file), text);
    for e in objects.iter().flat_map(|o| o.edits.iter()) {
        if let Edit::Value { at, token, with } = e {
            src.rewrites.entry(at.pos()).or_default().push((&**token, with.as_str()));
        }
    }
    let mut edits = Edits::default();
    let docs = crate::yaml::parse_stream(text).unwrap_or_default();
    let nodes = objects_by_pos(&docs);
    // The value edits of one place apply together, with the first of them.
    let mut values_done: BTreeSet<Pos> = BTreeSet::new();
    for o in objects {
        let Some(&node) = nodes.get(&o.pos) else { continue };
        for e in &o.edits {
            if let Edit::Value { at, .. } = e
                && !values_done.insert(at.pos())
            {
                continue;
            }
            apply_edit(&src, &mut edits, node, e, client_ids);
        }
    }
    let mut out = apply(text, edits.list, &edits.into);
    drop(nodes);
    append_documents(&mut out, added);
    verified(&a.files.get(file).display, text, &docs, &out, &edits.intent, added)?;
    Ok(out)
}

/// Applies one edit of the plan to its object.
fn apply_edit(src: &Src, edits: &mut Edits, node: &Node, e: &Edit, client_ids: &BTreeMap<String, String>) {
    let cid = |id: &str| client_id(client_ids, id);
    match e {
        Edit::WorkloadIdentity { remove, client_id_of, token_expiration } => {
            let mut set: Vec<(&str, Value)> = Vec::new();
            if let Some(id) = client_id_of {
                set.push((CLIENT_ID_ANNOTATION, json!(cid(id))));
            }
            if let Some(t) = token_expiration {
                set.push((TOKEN_EXPIRATION_ANNOTATION, json!(t)));
            }
            annotations(src, edits, node, remove, &set);
        }
        Edit::PodLabel { template, labels } => label_at(src, edits, node, template, labels),
        Edit::Env { pod_spec: _, remove, client_ids: ids } => {
            let remove: BTreeSet<Pos> = remove.iter().map(|i| i.at.pos()).collect();
            let replace: BTreeMap<Pos, Value> = ids
                .iter()
                .map(|i| (i.at.pos(), json!({"name": "AZURE_CLIENT_ID", "value": cid(&i.client_id_of)})))
                .collect();
            // By position, in every `env` list of the object: the pod spec's containers and the container-like
            // nodes of the kinds in `mappings/workloads.yaml` (an Argo template's `container`, a Spark driver).
            env_lists(src, edits, node, &remove, &replace);
        }
        Edit::AwsBridge { pod_spec, env, volumes, mounts } => {
            let Some(spec) = node.path(pod_spec) else { return };
            if volumes.is_empty() {
                for c in spec.get("containers").and_then(Node::as_seq).unwrap_or_default() {
                    add_items(src, edits, c, "env", env);
                }
            } else {
                add_to_pod(src, edits, spec, volumes, mounts, env);
            }
        }
        Edit::AzureBridge { pod_spec, client_id_of, tenant } => {
            if let Some(spec) = node.path(pod_spec) {
                azure_bridge(src, edits, spec, &cid(client_id_of), tenant);
            }
        }
        Edit::Value { at, .. } => {
            // Every token of the value ([`Src::rewrites`]), each wherever it stands whole.
            if let Some(n) = find_by_pos(node, at.pos())
                && let Some(old) = n.as_str()
            {
                let tokens = src.rewrites.get(&at.pos()).into_iter().flatten().copied();
                replace_node(src, edits, n, &json!(rewrite_value(old, tokens)));
            }
        }
        Edit::Token { .. } => token_edit(src, edits, node, e),
        Edit::RemoveData { keys } => {
            if let Some(data) = node.get("data") {
                remove_data(src, edits, data, keys);
            }
        }
        Edit::Trigger { index, with } => {
            if let Some(t) = node.path(&["spec", "triggers"]).and_then(Node::as_seq).and_then(|t| t.get(*index)) {
                replace_node(src, edits, t, with);
            }
        }
        Edit::KedaAuthentication { pod_identity, client_id_of, remove_parameters } => {
            rewrite_auth(src, edits, node, *pod_identity, client_id_of.as_deref().map(cid), remove_parameters);
        }
        Edit::Section { at, with, client_id_of, client_id_path, items, .. } => {
            if let Some(n) = find_node_at(node, at.pos()) {
                let mut v = with.clone();
                if let Some(id) = client_id_of {
                    set_at(&mut v, client_id_path, json!(cid(id)));
                }
                match items {
                    Some(items) => edit_items(src, edits, n, items, &v),
                    None => replace_node(src, edits, n, &v),
                }
            }
        }
        Edit::Fields { map, remove, set } => set_fields(src, edits, node, map, remove, set),
        Edit::StorageConfig { client_id_of, .. } => {
            storage_edit(src, edits, node, e, client_id_of.as_deref().map(|id| (id, cid(id))));
        }
    }
}

/// A token the plan placed exactly inside a block value (`plan::embedded_values`): spliced; the value must then
/// read as `reads` (the same for every token of the value).
fn token_edit(src: &Src, edits: &mut Edits, node: &Node, e: &Edit) {
    let Edit::Token { at, token, with, value_at, reads } = e else { return };
    if let Some(n) = find_by_pos(node, value_at.pos()) {
        let s = src.byte(at.pos());
        edits.mean(n, Op::Replace(json!(&**reads)));
        edits.list.push((s, s + token.len(), with.clone()));
    }
}

/// A storage-config edit: a ConfigMap value replaced through its spans, or a custom resource's nodes.
fn storage_edit(src: &Src, edits: &mut Edits, node: &Node, e: &Edit, client_id: Option<(&str, String)>) {
    let Edit::StorageConfig { at, spans, with, nodes, .. } = e else { return };
    if nodes.is_empty() {
        if let Some(n) = find_node_at(node, at.pos()) {
            storage_config(src, edits, n, spans, with, client_id);
        }
        return;
    }
    storage_nodes(edits, node, nodes, client_id.as_ref());
    for s in spans {
        edits.list.push((src.byte(s.from.pos()), src.byte(s.to.pos()), substitute(&s.text, client_id.as_ref())));
    }
}

/// The identity's client id in place of its placeholder.
fn substitute(s: &str, client_id: Option<&(&str, String)>) -> String {
    match client_id {
        Some((id, cid)) => s.replace(&format!("REPLACE-WITH-CLIENT-ID-OF-{id}"), cid),
        None => s.to_string(),
    }
}

/// What a custom resource's storage-config edit means, node by node.
fn storage_nodes(
    edits: &mut Edits,
    node: &Node,
    nodes: &[(crate::plan::edits::At, NodeShape, NodeChange)],
    client_id: Option<&(&str, String)>,
) {
    let value = |v: &Value| -> Value {
        serde_json::from_str(&substitute(&v.to_string(), client_id)).unwrap_or_else(|_| v.clone())
    };
    for (at, shape, change) in nodes {
        let Some(n) = find_shaped(node, at.pos(), *shape) else { continue };
        let op = match change {
            NodeChange::Replace(v) => Op::Replace(value(v)),
            NodeChange::Insert(k, v) => Op::Insert(k.clone(), value(v)),
            NodeChange::Remove(k) => Op::Remove(k.clone()),
        };
        edits.mean(n, op);
    }
}

/// The node of this shape that starts at `p`.
fn find_shaped(n: &Node, p: Pos, shape: NodeShape) -> Option<&Node> {
    let same = match n.value {
        Y::Scalar { .. } => shape == NodeShape::Scalar,
        Y::Seq(_) => shape == NodeShape::Seq,
        Y::Map(_) => shape == NodeShape::Map,
    };
    if n.pos == p && same {
        return Some(n);
    }
    if p < n.pos || p > n.end {
        return None;
    }
    match &n.value {
        Y::Map(entries) => entries.iter().find_map(|e| find_shaped(&e.value, p, shape)),
        Y::Seq(items) => items.iter().find_map(|i| find_shaped(i, p, shape)),
        Y::Scalar { .. } => None,
    }
}

/// A storage-config edit (`plan::storage_configs`): the plan's text spans, with the identity's client id in place
/// of its placeholder; the node must then read as `with`.
fn storage_config(
    src: &Src,
    edits: &mut Edits,
    n: &Node,
    spans: &[crate::plan::edits::TextSpan],
    with: &Value,
    client_id: Option<(&str, String)>,
) {
    let sub = |s: &str| match &client_id {
        Some((id, cid)) => s.replace(&format!("REPLACE-WITH-CLIENT-ID-OF-{id}"), cid),
        None => s.to_string(),
    };
    let with = match client_id {
        Some(_) => serde_json::from_str(&sub(&with.to_string())).unwrap_or_else(|_| with.clone()),
        None => with.clone(),
    };
    edits.mean(n, Op::Replace(with));
    for s in spans {
        edits.list.push((src.byte(s.from.pos()), src.byte(s.to.pos()), sub(&s.text)));
    }
}

/// Sets the value at `path` inside `v` (a path of mapping keys), making the mappings on the way.
fn set_at(v: &mut Value, path: &[&str], new: Value) {
    let Some((last, head)) = path.split_last().filter(|_| v.is_object()) else { return };
    let mut cur = v;
    for k in head {
        if !cur.get(*k).is_some_and(Value::is_object) {
            cur[*k] = json!({});
        }
        cur = &mut cur[*k];
    }
    cur[*last] = new;
}

/// The mapping at `map` (a path from `node`) without the keys `remove` and with the keys `set`: in place when it
/// is a block mapping that keeps an entry (a key set that is there has its value replaced, a new one is added at
/// the end); otherwise re-emitted whole. An absent mapping is added to its parent; a block mapping left empty goes
/// with its key.
fn set_fields(src: &Src, edits: &mut Edits, node: &Node, map: &[&str], remove: &[String], set: &[SetField]) {
    let Some(m) = node.path(map) else {
        let (Some((last, parent)), false) = (map.split_last(), set.is_empty()) else { return };
        let new: serde_json::Map<String, Value> = set.iter().map(|s| (s.key.clone(), json!(s.value))).collect();
        if let Some(p) = node.path(parent).filter(|p| p.as_map().is_some()) {
            insert_entry(src, edits, p, last, &Value::Object(new));
        }
        return;
    };
    let Some(entries) = m.as_map() else { return };
    let is_set = |k: &str| set.iter().any(|s| s.key == k);
    let gone = |k: &str| remove.iter().any(|r| r == k) && !is_set(k);
    let kept = entries.iter().filter(|e| !gone(&e.key)).count();
    let mark = edits.mark();
    let mut ok = is_block(src, m) && (kept > 0 || !set.is_empty()) && !entries.is_empty();
    if ok {
        for (k, e) in entries.iter().enumerate() {
            if gone(&e.key) {
                ok &= remove_entry(src, edits, m, k).is_some();
            }
        }
        for s in set {
            match entries.iter().find(|e| e.key == s.key) {
                Some(e) if matches!(e.value.value, Y::Scalar { .. }) => {
                    replace_node(src, edits, &e.value, &json!(s.value))
                }
                Some(_) => ok = false,
                None => insert_entry(src, edits, m, &s.key, &json!(s.value)),
            }
        }
    }
    if ok {
        return;
    }
    edits.reset(mark);
    // Nothing left: the key of the mapping goes (when it is alone on its lines), as a ServiceAccount's emptied
    // annotations do.
    if kept == 0 && set.is_empty() && is_block(src, m) {
        let parent = map.split_last().and_then(|(last, p)| Some((last, node.path(p)?)));
        let at = parent.and_then(|(last, p)| Some((p, p.as_map()?.iter().position(|e| e.key == *last)?)));
        if let Some((p, k)) = at.filter(|(p, _)| is_block(src, p))
            && remove_entry(src, edits, p, k).is_some()
        {
            return;
        }
    }
    let mut j = src.json(m);
    if let Value::Object(o) = &mut j {
        o.retain(|k, _| !gone(k));
        for s in set {
            o.insert(s.key.clone(), json!(s.value));
        }
    }
    replace_node(src, edits, m, &j);
}

/// A ServiceAccount's annotations: `remove` go, `set` are set. In place when the annotations are a block map that
/// keeps an entry; otherwise re-emitted whole, or removed with their key when nothing is left.
fn annotations(src: &Src, edits: &mut Edits, node: &Node, remove: &[Arc<str>], set: &[(&str, Value)]) {
    let Some(ann) = node.path(&["metadata", "annotations"]) else {
        if let (Some((k, v)), Some(meta)) = (set.first(), node.get("metadata")) {
            insert_entry(src, edits, meta, "annotations", &json!({ *k: v }));
        }
        return;
    };
    let removed = |k: &str| remove.iter().any(|r| &**r == k);
    let mut j = src.json(ann);
    if let Value::Object(m) = &mut j {
        m.retain(|k, _| !removed(k));
        for (k, v) in set {
            m.insert(k.to_string(), v.clone());
        }
    }
    let all_removed = ann.as_map().is_some_and(|e| e.len() == remove.len());
    let mut ok = is_block(src, ann) && !all_removed;
    let mark = edits.mark();
    if ok {
        for (k, e) in ann.as_map().unwrap_or_default().iter().enumerate() {
            if removed(&e.key) {
                ok &= remove_entry(src, edits, ann, k).is_some();
            }
        }
        for (k, v) in set {
            insert_entry(src, edits, ann, k, v);
        }
    }
    if ok {
        return;
    }
    edits.reset(mark);
    // Nothing left: the `annotations` key goes (when it is alone on its lines).
    let emptied = j.as_object().is_some_and(serde_json::Map::is_empty);
    let meta = node.get("metadata");
    let at = meta.and_then(Node::as_map).and_then(|m| m.iter().position(|e| e.key == "annotations"));
    let gone = match (emptied, meta, at) {
        (true, Some(meta), Some(k)) if is_block(src, meta) && is_block(src, ann) => {
            remove_entry(src, edits, meta, k).is_some()
        }
        _ => false,
    };
    if !gone {
        replace_node(src, edits, ann, &j);
    }
}

/// The workload-identity label at `labels` from the node at `template` (created when the object does not write it
/// yet, like a FlinkDeployment's `spec.podTemplate`): the label goes into the deepest map of that path that
/// exists (and is not empty where the path goes on), with the rest of the path around it.
fn label_at(src: &Src, edits: &mut Edits, node: &Node, template: &[&str], labels: &[&str]) {
    let path: Vec<&str> = template.iter().chain(labels).copied().collect();
    let mut at = node;
    for (i, key) in path.iter().enumerate() {
        match at.path(&[key]) {
            Some(n) if n.as_map().is_some_and(|m| !m.is_empty() || i + 1 == path.len()) => at = n,
            Some(n) if matches!(n.value, Y::Seq(_)) => at = n,
            _ => {
                let value = path[i + 1..].iter().rev().fold(json!({ USE_LABEL: "true" }), |v, k| json!({ *k: v }));
                return insert_entry(src, edits, at, key, &value);
            }
        }
    }
    insert_entry(src, edits, at, USE_LABEL, &json!("true"));
}

/// A ConfigMap's `data` without `keys`: every key gone is `data: {}` (not a `data:` left holding null); a key that
/// is not alone on its lines stays (its finding says so).
fn remove_data(src: &Src, edits: &mut Edits, map: &Node, keys: &[Arc<str>]) {
    let Some(data) = map.as_map() else { return };
    let gone = |e: &crate::yaml::Entry| keys.iter().any(|k| **k == *e.key);
    if data.iter().all(gone) {
        for e in data {
            edits.mean(map, Op::Remove(e.key.clone()));
        }
        replace_text(src, edits, map, &json!({}));
        return;
    }
    for (k, e) in data.iter().enumerate() {
        if gone(e) {
            let _ = remove_entry(src, edits, map, k);
        }
    }
}

/// The reverse bridge in a pod spec: a projected token for Azure and the `AZURE_*` variables.
fn azure_bridge(src: &Src, edits: &mut Edits, spec: &Node, client_id: &str, tenant: &str) {
    let volumes = vec![
        json!({"name": "azure-identity-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "api://AzureADTokenExchange", "expirationSeconds": 3600, "path": "azure-identity-token"}}]}}),
    ];
    let mounts =
        vec![json!({"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens", "readOnly": true})];
    let env = vec![
        json!({"name": "AZURE_CLIENT_ID", "value": client_id}),
        json!({"name": "AZURE_TENANT_ID", "value": tenant}),
        json!({"name": "AZURE_FEDERATED_TOKEN_FILE", "value": "/var/run/secrets/azure/tokens/azure-identity-token"}),
        json!({"name": "AZURE_AUTHORITY_HOST", "value": "https://login.microsoftonline.com/"}),
    ];
    add_to_pod(src, edits, spec, &volumes, &mounts, &env);
}

/// The KEDA authentications the plan adds (`plan.keda_authentications`), as documents by the file they are
/// appended to.
fn added_documents(a: &Analysis, client_ids: &BTreeMap<String, String>) -> BTreeMap<FileId, Vec<Value>> {
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
    added_by_file
}

/// Rewrites a KEDA authentication for Azure as the plan says: its `podIdentity` becomes (or gets) `azure-workload`
/// (with `identityId` when it carries a workload's identity), and the AWS parameters (`awsAccessKeyID`, …) go from
/// `secretTargetRef` and `env`: an Azure scaler must not carry AWS keys.
fn rewrite_auth(
    src: &Src,
    edits: &mut Edits,
    node: &Node,
    pod_identity: PodIdentityEdit,
    identity_id: Option<String>,
    remove_parameters: &[String],
) {
    let mut v = serde_json::Map::new();
    v.insert("provider".into(), json!("azure-workload"));
    if let Some(id) = identity_id {
        v.insert("identityId".into(), json!(id));
    }
    let spec = node.get("spec");
    match (pod_identity, spec.and_then(|s| s.get("podIdentity"))) {
        (PodIdentityEdit::Replace, Some(pi)) => replace_node(src, edits, pi, &Value::Object(v)),
        (PodIdentityEdit::Add, None) => {
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
                i.get("parameter").and_then(Node::as_str).is_some_and(|p| remove_parameters.iter().any(|r| r == p))
            })
            .map(|(i, _)| i)
            .collect();
        if !drop.is_empty() {
            remove_items(src, edits, seq, &drop, &BTreeMap::new());
        }
    }
}

/// Removes items `drop` of a sequence and replaces items `replace` (by index): in place when the sequence is a
/// block one and keeps an item; otherwise re-emitted whole (an `env: []` rather than an `env:` left holding null).
fn remove_items(src: &Src, edits: &mut Edits, seq: &Node, drop: &[usize], replace: &BTreeMap<usize, Value>) {
    let Some(items) = seq.as_seq() else { return };
    let mark = edits.mark();
    let mut ok = is_block(src, seq) && drop.len() < items.len();
    if ok {
        for &i in drop {
            ok &= remove_item(src, edits, seq, i).is_some();
        }
        for (i, v) in replace {
            replace_node(src, edits, &items[*i], v);
        }
    }
    if ok {
        return;
    }
    // Re-emitted whole; what it means is still "these items go" (so the check sees every other edit inside the
    // list too).
    edits.reset(mark);
    for &i in drop {
        edits.mean(seq, Op::RemoveItem(i));
    }
    for (i, v) in replace {
        edits.mean(&items[*i], Op::Replace(v.clone()));
    }
    let kept: Vec<Value> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(i, e)| replace.get(&i).cloned().unwrap_or_else(|| src.json(e)))
        .collect();
    replace_text(src, edits, seq, &Value::Array(kept));
}

/// A list edited item by item (external-dns's `args`, [`ItemEdits`]): the items removed go with their lines (block)
/// or with their comma (flow), the items replaced keep their place and quoting, the items added come after the last
/// item. Every other item, comment and quote stays byte for byte. A list that cannot be edited so (an item not alone
/// on its lines, every item removed) is re-emitted whole as `whole`.
fn edit_items(src: &Src, edits: &mut Edits, seq: &Node, it: &ItemEdits, whole: &Value) {
    let Some(items) = seq.as_seq() else { return replace_node(src, edits, seq, whole) };
    let mark = edits.mark();
    let kept: Vec<usize> = (0..items.len()).filter(|i| !it.remove.contains(i)).collect();
    let ok = !kept.is_empty()
        && it.remove.iter().chain(it.replace.iter().map(|(i, _)| i)).all(|&i| i < items.len())
        && if is_block(src, seq) {
            it.remove.iter().all(|&i| remove_item(src, edits, seq, i).is_some())
        } else {
            src.first_char(seq.pos) == Some('[') && remove_flow_items(src, edits, seq, &kept)
        };
    if !ok {
        edits.reset(mark);
        return replace_node(src, edits, seq, whole);
    }
    for (i, v) in &it.replace {
        let n = &items[*i];
        edits.mean(n, Op::Replace(v.clone()));
        let text = v.as_str().map_or_else(|| v.to_string(), |s| styled_scalar(src, n, s));
        edits.list.push((src.byte(n.pos), src.byte(n.end), text));
    }
    if it.append.is_empty() {
        return;
    }
    edits.mean(seq, Op::Append(it.append.clone()));
    let texts = it.append.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), |s| new_scalar(src, s, false)));
    if is_block(src, seq) {
        let col = src.before(items[0].pos).rfind('-').unwrap_or(0);
        let mut text: String = texts.map(|t| format!("{}- {t}\n", " ".repeat(col))).collect();
        let at = src.next_line(last_line(src, seq));
        if at == src.text.len() && !src.text.ends_with('\n') {
            text.insert(0, '\n');
            text.pop();
        }
        edits.insert_into(at, text, seq.pos);
    } else {
        // After the last item kept, before whatever follows it (a comment, the line break, the `]`).
        let last = &items[*kept.last().expect("checked")];
        let text: String = texts.map(|t| format!(", {t}")).collect();
        edits.list.push((src.byte(last.end), src.byte(last.end), text));
    }
}

/// Removes the items of a flow sequence that are not `kept` (at least one is), each with its comma: a run of items
/// followed by a kept one goes up to that item; a run at the end goes from the end of the kept item before it.
/// Records what it means; false when an item is an alias or the list's text is not where its nodes say.
fn remove_flow_items(src: &Src, edits: &mut Edits, seq: &Node, kept: &[usize]) -> bool {
    let Some(items) = seq.as_seq() else { return false };
    let mut i = 0;
    while i < items.len() {
        if kept.contains(&i) {
            i += 1;
            continue;
        }
        let first = i;
        while i < items.len() && !kept.contains(&i) {
            edits.mean(seq, Op::RemoveItem(i));
            i += 1;
        }
        let (start, end) = match (items.get(i), first.checked_sub(1)) {
            (Some(next), _) => (src.byte(items[first].pos), src.byte(next.pos)),
            (None, Some(prev)) => (src.byte(items[prev].end), src.byte(items[i - 1].end)),
            (None, None) => return false,
        };
        if start > end || src.text[start..end].contains(['[', ']', '{', '}', '*', '&']) {
            return false;
        }
        edits.list.push((start, end, String::new()));
    }
    true
}

/// A scalar that replaces `n`, written as `n` is: double-quoted, single-quoted, or plain when plain reads back the
/// same (else double-quoted).
fn styled_scalar(src: &Src, n: &Node, s: &str) -> String {
    match src.first_char(n.pos) {
        Some('\'') if !src.json => format!("'{}'", s.replace('\'', "''")),
        Some('"' | '\'' | '*') => serde_json::to_string(s).expect("serialises"),
        _ => new_scalar(src, s, true),
    }
}

/// A new string scalar: plain when it reads back as the same string in YAML 1.1 and 1.2, in block and flow context
/// (a command-line flag `--name=value` of letters, digits and `-_./=@+`, or [`yaml_out::plain_ok`]); else JSON
/// (a JSON file's are always JSON). `plain`: the scalar it stands for was plain.
fn new_scalar(src: &Src, s: &str, plain: bool) -> String {
    let flag = s.strip_prefix("--").is_some_and(|r| {
        r.starts_with(|c: char| c.is_ascii_alphanumeric())
            && r.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=@+".contains(c))
    });
    if !src.json && (flag || (plain && yaml_out::plain_ok(s))) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("serialises")
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

/// The env items at `remove`/`replace` (by position) in every `env` list under `node`.
fn env_lists(src: &Src, edits: &mut Edits, node: &Node, remove: &BTreeSet<Pos>, replace: &BTreeMap<Pos, Value>) {
    match &node.value {
        Y::Map(entries) => {
            for e in entries {
                if e.key == "env"
                    && let Some(items) = e.value.as_seq()
                {
                    let drop: Vec<usize> =
                        items.iter().enumerate().filter(|(_, i)| remove.contains(&i.pos)).map(|(i, _)| i).collect();
                    let replaced: BTreeMap<usize, Value> =
                        items.iter().enumerate().filter_map(|(i, e)| Some((i, replace.get(&e.pos)?.clone()))).collect();
                    if !drop.is_empty() || !replaced.is_empty() {
                        remove_items(src, edits, &e.value, &drop, &replaced);
                    }
                } else {
                    env_lists(src, edits, &e.value, remove, replace);
                }
            }
        }
        Y::Seq(items) => items.iter().for_each(|i| env_lists(src, edits, i, remove, replace)),
        _ => {}
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
/// verifier then reports the one that was dropped). Insertions at one offset into nested nodes come innermost first
/// (`into`, see [`Edits::into`]); other edits at one offset keep the order they were made in.
fn apply(text: &str, list: Vec<(usize, usize, String)>, into: &[(usize, Pos)]) -> String {
    let node: BTreeMap<usize, Pos> = into.iter().copied().collect();
    let mut list: Vec<(usize, (usize, usize, String))> = list.into_iter().enumerate().collect();
    // Stable: unranked edits at one offset keep the order they were made in, after the ranked ones.
    list.sort_by_key(|(i, e)| (e.0, e.1, std::cmp::Reverse(node.get(i).copied().unwrap_or_default())));
    let list = list.into_iter().map(|(_, e)| e);
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

/// The reverse bridge (`bridge_from_eks`): the manifests of workloads that stay on EKS for now, with the plan's
/// edits (`plan.eks_side_edits`: a projected token for Azure and the `AZURE_*` variables the Azure SDKs read, so
/// they reach resources already moved to Azure with no secret). Only files with such workloads are returned.
pub fn eks_side(a: &Analysis, client_ids: &BTreeMap<String, String>) -> anyhow::Result<BTreeMap<FileId, String>> {
    let mut out = BTreeMap::new();
    for fe in &a.plan.eks_side_edits {
        let text = a.files.get(fe.file_id).read_text()?;
        out.insert(fe.file_id, edit_file(a, fe.file_id, &text, &fe.objects, &[], client_ids)?);
    }
    Ok(out)
}
