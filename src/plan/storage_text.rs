//! The text side of the storage-config rewrite (`plan::storage_configs`): a shape's operations turned into byte
//! spans of the config's own text, so that everything else — comments, key order, quoting, the rest of an
//! embedded YAML string — stays byte for byte. An embedded config (a ConfigMap value written as a `|` literal
//! block) is edited inside the value: its spans are mapped to the file's text line by line ([`embed_spans`]); any
//! other way of writing it is refused, never re-serialised.

use super::edits::{NodeChange, NodeShape};
use crate::diag::Pos;
use crate::glob::glob_match;
use crate::mapping::storage_configs::{Block, Conf, ValueRule};
use crate::yaml::{Entry, Node, Value as Y};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A text with its line index; positions are 1-based lines and character columns, as the YAML reader gives them.
pub struct Text<'a> {
    /// The text.
    pub text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Text<'a> {
    /// Indexes a text.
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Text { text, starts }
    }

    /// Byte offset where `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: u32) -> usize {
        self.starts.get(line.saturating_sub(1) as usize).copied().unwrap_or(self.text.len())
    }

    /// The text of `line`, without its line break.
    pub fn line(&self, line: u32) -> &'a str {
        let s = self.line_start(line);
        let e = self.starts.get(line as usize).copied().unwrap_or(self.text.len());
        self.text[s..e].trim_end_matches('\n').trim_end_matches('\r')
    }

    /// Byte offset of a position.
    pub fn byte(&self, p: Pos) -> usize {
        let s = self.line_start(p.line);
        let line = self.line(p.line);
        s + line.char_indices().nth(p.col.saturating_sub(1) as usize).map_or(line.len(), |(i, _)| i)
    }

    /// The position of a byte offset.
    pub fn pos(&self, byte: usize) -> Pos {
        let i = self.starts.partition_point(|&s| s <= byte).saturating_sub(1);
        let col = self.text[self.starts[i]..byte].chars().count() as u32 + 1;
        Pos { line: i as u32 + 1, col }
    }

    fn first_char(&self, p: Pos) -> Option<char> {
        self.text[self.byte(p)..].chars().next()
    }
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Idx(usize),
}

/// What a shape's operations do to one config.
#[derive(Debug, Default)]
pub struct Rewrite {
    /// Byte spans of the config's text and their replacements.
    pub spans: Vec<(usize, usize, String)>,
    /// What the config must read as afterwards.
    pub expected: Value,
    /// What changed, for people (`common.storage.s3 → azure`).
    pub changes: Vec<String>,
    /// Why (part of) the config cannot be rewritten.
    pub blocked: Vec<String>,
    /// The values the rewrite needs that nothing gives (`azure.resource_group`, …): written as `REPLACE-ME-…`.
    pub missing: BTreeSet<String>,
    /// The buckets the config names.
    pub buckets: BTreeSet<String>,
    /// The same changes node by node (for the rewrite's self-check).
    pub nodes: Vec<(Pos, NodeShape, NodeChange)>,
}

/// A node's shape.
pub fn shape_of(n: &Node) -> NodeShape {
    match n.value {
        Y::Scalar { .. } => NodeShape::Scalar,
        Y::Seq(_) => NodeShape::Seq,
        Y::Map(_) => NodeShape::Map,
    }
}

/// Where the rewrite's values come from: a placeholder's value (`None`: unknown), and the container a bucket
/// maps to.
pub trait Values {
    /// The value of `{name}` (not `container` nor `path`).
    fn get(&self, name: &str) -> Option<String>;
    /// The container a bucket maps to, when the plan has it.
    fn container(&self, bucket: &str) -> Option<String>;
}

impl Rewrite {
    /// Fills a template's placeholders; an unknown value becomes `REPLACE-ME-<name>` and is recorded.
    pub fn fill(&mut self, vals: &dyn Values, t: &str, bucket: Option<&str>, path: Option<&str>) -> String {
        let mut out = t.to_string();
        for p in crate::mapping::storage_configs::placeholders(t) {
            let v = match p {
                "container" => match bucket {
                    Some(b) => {
                        self.buckets.insert(b.to_string());
                        vals.container(b).unwrap_or_else(|| {
                            self.blocked
                                .push(format!("bucket `{b}` is not in the plan (no role of the input grants it)"));
                            format!("REPLACE-ME-container-of-{b}")
                        })
                    }
                    None => "REPLACE-ME-container".into(),
                },
                "path" => path.unwrap_or_default().to_string(),
                name => vals.get(name).unwrap_or_else(|| {
                    self.missing.insert(name.to_string());
                    format!("REPLACE-ME-{}", name.replace('_', "-"))
                }),
            };
            out = out.replacen(&format!("{{{p}}}"), &v, 1);
        }
        out
    }

    fn fill_value(&mut self, vals: &dyn Values, v: &Value, bucket: Option<&str>) -> Value {
        match v {
            Value::String(s) => Value::String(self.fill(vals, s, bucket, None)),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), self.fill_value(vals, x, bucket))).collect())
            }
            other => other.clone(),
        }
    }
}

/// A scalar as YAML text: plain when that reads back as the same string, else a JSON (double-quoted) string.
pub fn scalar(v: &Value) -> String {
    let Value::String(s) = v else { return v.to_string() };
    let special = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"];
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._/:@-".contains(c))
        && !special.iter().any(|x| x.eq_ignore_ascii_case(s))
        && !s.ends_with(':');
    if plain { s.clone() } else { serde_json::to_string(s).expect("serialises") }
}

/// `key:` and the entries of `with`, one a line at `indent` spaces.
fn emit_block(key: &str, with: &Map<String, Value>, indent: usize) -> String {
    let mut out = format!("{key}:");
    if with.is_empty() {
        out.push_str(" {}");
    }
    for (k, v) in with {
        out.push_str(&format!("\n{}{k}: {}", " ".repeat(indent), scalar(v)));
    }
    out
}

/// The nodes at a dotted path (`*`: every item of a list or value of a map), with their JSON paths.
pub fn find<'n>(n: &'n Node, path: &[&str], at: Vec<Seg>, out: &mut Vec<(Vec<Seg>, &'n Node)>) {
    let Some((first, rest)) = path.split_first() else {
        out.push((at, n));
        return;
    };
    match &n.value {
        Y::Map(entries) => {
            for e in entries.iter().filter(|e| *first == "*" || e.key == *first) {
                let mut p = at.clone();
                p.push(Seg::Key(e.key.clone()));
                find(&e.value, rest, p, out);
            }
        }
        Y::Seq(items) if *first == "*" => {
            for (i, item) in items.iter().enumerate() {
                let mut p = at.clone();
                p.push(Seg::Idx(i));
                find(item, rest, p, out);
            }
        }
        _ => {}
    }
}

fn split(path: &str) -> Vec<&str> {
    if path.is_empty() { Vec::new() } else { path.split('.').collect() }
}

/// The JSON value at a path.
pub fn json_at<'v>(v: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |cur, s| match s {
        Seg::Key(k) => cur.get_mut(k.as_str()),
        Seg::Idx(i) => cur.get_mut(*i),
    })
}

/// Where a node's text ends: its last scalar's end, or past the bracket that closes a flow collection.
fn node_end(t: &Text, n: &Node) -> usize {
    let start = t.byte(n.pos);
    if matches!(n.value, Y::Map(_) | Y::Seq(_)) && matches!(t.first_char(n.pos), Some('{' | '[')) {
        let mut depth = 0i32;
        for (i, c) in t.text[start..].char_indices() {
            match c {
                '{' | '[' => depth += 1,
                '}' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return start + i + 1;
                    }
                }
                _ => {}
            }
        }
    }
    t.byte(n.end).max(start)
}

/// The entries at a dotted path (the last segment is the key), with the JSON path of their mapping.
pub fn entries<'n>(root: &'n Node, path: &str) -> Vec<(Vec<Seg>, &'n Node, &'n Entry)> {
    let parts = split(path);
    let Some((key, parent)) = parts.split_last() else { return Vec::new() };
    let mut maps = Vec::new();
    find(root, parent, Vec::new(), &mut maps);
    let mut out = Vec::new();
    for (jp, m) in maps {
        for e in m.as_map().unwrap_or_default().iter().filter(|e| e.key == *key) {
            out.push((jp.clone(), m, e));
        }
    }
    out
}

/// The bucket names a scalar gives (Loki's `bucketnames` may list several, comma-separated; an `s3://` URL names
/// its bucket first).
fn bucket_names(s: &str) -> Vec<String> {
    let s = s.strip_prefix("s3://").map_or(s, |r| r.split('/').next_back().unwrap_or(r));
    s.split(',').map(str::trim).filter(|b| !b.is_empty()).map(str::to_string).collect()
}

/// The bucket of a URL that names it as its one path segment, its host being a region or an endpoint (Loki's
/// `s3://us-east-1/bucket`, `s3://key:secret@endpoint/bucket`; grafana/loki docs/sources/configure/examples
/// "S3-Without-Credentials-Snippet"): `None` for anything else (no path, several segments, a query).
pub fn url_path_bucket(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let (authority, path) = rest.split_once('/')?;
    let bucket = path.strip_suffix('/').unwrap_or(path);
    let ok = !authority.rsplit('@').next().unwrap_or_default().is_empty()
        && !bucket.is_empty()
        && !bucket.contains(['/', '?', '#']);
    ok.then_some(bucket)
}

/// A block rule: each entry at `b.at` becomes `b.becomes: b.with`.
pub fn block(rw: &mut Rewrite, t: &Text, root: &Node, b: &Block, vals: &dyn Values) {
    for (jp, map, e) in entries(root, &b.at) {
        if t.first_char(map.pos) == Some('{') {
            rw.blocked.push(format!("`{}` is inside a flow mapping", b.at));
            continue;
        }
        let mut template = &b.with;
        let bucket = match &b.bucket {
            None => None,
            Some(bp) => {
                let mut names = e.value.path(&split(bp)).and_then(Node::as_str).map(bucket_names).unwrap_or_default();
                if let (true, Some(key)) = (names.is_empty(), &b.bucket_url)
                    && let Some(url) = e.value.path(&split(key)).and_then(Node::as_str)
                {
                    match url_path_bucket(url) {
                        Some(bucket) => names.push(bucket.to_string()),
                        None => {
                            rw.blocked.push(format!("`{}.{key}` (`{url}`) names no bucket as its path", b.at));
                            continue;
                        }
                    }
                }
                match (names.as_slice(), &b.without_bucket) {
                    ([one], _) => Some(one.clone()),
                    ([], Some(shared)) => {
                        template = shared;
                        None
                    }
                    ([], None) => {
                        rw.blocked.push(format!("`{}` names no bucket at `{bp}`", b.at));
                        continue;
                    }
                    (_, _) => {
                        rw.blocked.push(format!(
                            "`{}` names several buckets ({}); one container each is a manual split",
                            b.at,
                            names.join(", ")
                        ));
                        continue;
                    }
                }
            }
        };
        let mut with = match rw.fill_value(vals, &Value::Object(template.clone()), bucket.as_deref()) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        for (old, new) in &b.carry {
            let (Some(v), Some(new)) = (e.value.get(old), new.as_str()) else { continue };
            with.insert(new.to_string(), v.to_json());
        }
        let indent = e.key_pos.col.saturating_sub(1) as usize + 2;
        let (start, end) = (t.byte(e.key_pos), node_end(t, &e.value));
        rw.spans.push((start, end, emit_block(&b.becomes, &with, indent)));
        if let Some(Value::Object(m)) = json_at(&mut rw.expected, &jp) {
            m.remove(&e.key);
            m.insert(b.becomes.clone(), Value::Object(with.clone()));
        }
        if e.key != b.becomes {
            rw.nodes.push((map.pos, NodeShape::Map, NodeChange::Remove(e.key.clone())));
        }
        rw.nodes.push((map.pos, NodeShape::Map, NodeChange::Insert(b.becomes.clone(), Value::Object(with))));
        let old: Vec<&str> = e.value.as_map().unwrap_or_default().iter().map(|x| x.key.as_str()).collect();
        rw.changes.push(format!("`{}` ({}) → `{}`", b.at, old.join(", "), b.becomes));
    }
}

/// A value rule: each scalar at `v.at` (among `v.from`, when given) becomes `v.to`.
pub fn value(rw: &mut Rewrite, t: &Text, root: &Node, v: &ValueRule, vals: &dyn Values) {
    let mut found = Vec::new();
    find(root, &split(&v.at), Vec::new(), &mut found);
    for (jp, n) in found {
        let Some(s) = n.as_str() else { continue };
        if !v.from.is_empty() && !v.from.iter().any(|f| f == s) {
            continue;
        }
        let bucket = v.bucket.as_deref().and_then(|b| root.path(&split(b))).and_then(Node::as_str);
        let to = rw.fill(vals, &v.to, bucket, None);
        if to == s {
            continue;
        }
        rw.spans.push((t.byte(n.pos), t.byte(n.end), scalar(&Value::String(to.clone()))));
        if let Some(x) = json_at(&mut rw.expected, &jp) {
            *x = Value::String(to.clone());
        }
        rw.nodes.push((n.pos, NodeShape::Scalar, NodeChange::Replace(Value::String(to.clone()))));
        rw.changes.push(format!("`{}`: `{s}` → `{to}`", v.at));
    }
}

/// The bucket and path of an `s3://`, `s3a://` or `s3n://` URI.
pub fn s3_uri(s: &str) -> Option<(&str, &str)> {
    let rest = ["s3://", "s3a://", "s3n://"].iter().find_map(|p| s.strip_prefix(p))?;
    let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, path))
}

/// URI rules: each scalar at `paths` that is an S3 URI becomes `to`; a URI inside other text is reported.
pub fn uris(rw: &mut Rewrite, t: &Text, root: &Node, paths: &[String], to: &str, vals: &dyn Values) {
    for p in paths {
        let mut found = Vec::new();
        find(root, &split(p), Vec::new(), &mut found);
        for (jp, n) in found {
            let Some(s) = n.as_str() else { continue };
            let Some((bucket, path)) = s3_uri(s) else {
                if ["s3://", "s3a://", "s3n://"].iter().any(|u| s.contains(u)) {
                    rw.blocked.push(format!("`{p}` holds an S3 URI inside other text ({s:?})"));
                }
                continue;
            };
            let new = rw.fill(vals, to, Some(bucket), Some(path));
            rw.spans.push((t.byte(n.pos), t.byte(n.end), scalar(&Value::String(new.clone()))));
            if let Some(x) = json_at(&mut rw.expected, &jp) {
                *x = Value::String(new.clone());
            }
            rw.nodes.push((n.pos, NodeShape::Scalar, NodeChange::Replace(Value::String(new.clone()))));
            rw.changes.push(format!("`{s}` → `{new}`"));
        }
    }
}

/// The settings map rule: keys matching `c.remove` go (whole lines), `c.set` keys are set (in place, or added
/// after the last entry). Only applied when something else of the shape fired or a removed key is present.
pub fn conf(rw: &mut Rewrite, t: &Text, root: &Node, c: &Conf, vals: &dyn Values, fired: bool) {
    let Some(map) = root.path(&split(&c.at)) else {
        if fired {
            rw.blocked.push(format!("there is no `{}` to set the Azure settings in", c.at));
        }
        return;
    };
    let list = map.as_map().unwrap_or_default();
    let gone: Vec<&Entry> = list.iter().filter(|e| c.remove.iter().any(|r| glob_match(r, &e.key, false))).collect();
    if !fired && gone.is_empty() {
        return;
    }
    let Some(last) = list.last().filter(|_| t.first_char(map.pos) != Some('{')) else {
        rw.blocked.push(format!("`{}` is empty or a flow mapping", c.at));
        return;
    };
    let own_line = |e: &Entry| t.line(e.key_pos.line)[..].chars().take(e.key_pos.col as usize - 1).all(|c| c == ' ');
    if !list.iter().all(own_line) {
        rw.blocked.push(format!("`{}` has entries that do not start their line", c.at));
        return;
    }
    let jp: Vec<Seg> = split(&c.at).into_iter().map(|k| Seg::Key(k.to_string())).collect();
    for e in &gone {
        let (s, end) = (t.line_start(e.key_pos.line), t.line_start(e.value.end.line + 1));
        rw.spans.push((s, end, String::new()));
        if let Some(Value::Object(m)) = json_at(&mut rw.expected, &jp) {
            m.remove(&e.key);
        }
        rw.nodes.push((map.pos, NodeShape::Map, NodeChange::Remove(e.key.clone())));
        rw.changes.push(format!("`{}.{}` removed", c.at, e.key));
    }
    let pad = " ".repeat(list[0].key_pos.col as usize - 1);
    let at = t.line_start(last.value.end.line + 1);
    let mut added = String::new();
    for (k, v) in &c.set {
        let v = rw.fill_value(vals, v, None);
        match list.iter().find(|e| e.key == *k) {
            Some(e) if !gone.iter().any(|g| g.key == *k) => {
                rw.spans.push((t.byte(e.value.pos), t.byte(e.value.end), scalar(&v)));
            }
            _ => added.push_str(&format!("{pad}{k}: {}\n", scalar(&v))),
        }
        if let Some(Value::Object(m)) = json_at(&mut rw.expected, &jp) {
            m.insert(k.clone(), v.clone());
        }
        rw.nodes.push((map.pos, NodeShape::Map, NodeChange::Insert(k.clone(), v)));
        rw.changes.push(format!("`{}.{k}` set", c.at));
    }
    if !added.is_empty() {
        if at == t.text.len() && !t.text.ends_with('\n') {
            added = format!("\n{}", added.trim_end_matches('\n'));
        }
        rw.spans.push((at, at, added));
    }
}

/// Applies non-overlapping spans (sorted here) to a text; `None` when two overlap.
pub fn splice(text: &str, spans: &[(usize, usize, String)]) -> Option<String> {
    let mut list: Vec<&(usize, usize, String)> = spans.iter().collect();
    list.sort_by_key(|s| (s.0, s.1));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e, r) in list {
        if *s < at || e < s || *e > text.len() || !text.is_char_boundary(*s) || !text.is_char_boundary(*e) {
            return None;
        }
        out.push_str(&text[at..*s]);
        out.push_str(r);
        at = *e;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// Maps spans of a value written as a literal block scalar (`|`, `|-`, `|+`; `pos` is where the YAML reader puts
/// it, its first character of content) to spans of `outer`: each line of the value is its outer line after the
/// block's indentation, and every line break a replacement brings gets that indentation. `None` when the value is
/// written any other way (quoted, plain, folded, with an indentation indicator, tabs), or a span starts or ends
/// past the value's last line.
pub fn embed_spans(
    outer: &Text,
    pos: Pos,
    value: &str,
    spans: &[(usize, usize, String)],
) -> Option<Vec<(usize, usize, String)>> {
    let lines: Vec<&str> = value.strip_suffix('\n').unwrap_or(value).split('\n').collect();
    let leading = lines.iter().take_while(|l| l.is_empty()).count() as u32;
    let first = pos.line.checked_sub(leading)?;
    let header = outer.line(first.checked_sub(1)?);
    let header = header.split(" #").next().unwrap_or(header).trim_end();
    if !(header.ends_with(": |") || header.ends_with(": |-") || header.ends_with(": |+") || header == "|") {
        return None;
    }
    let indent = pos.col.checked_sub(1)? as usize;
    let mut starts = Vec::with_capacity(lines.len());
    let mut inner_starts = Vec::with_capacity(lines.len());
    let mut off = 0;
    for (i, l) in lines.iter().enumerate() {
        let o = outer.line(first + i as u32);
        let ok = if l.is_empty() {
            o.trim_start_matches(' ').is_empty()
        } else {
            o.len() == indent + l.len()
                && o.is_char_boundary(indent)
                && o[..indent].bytes().all(|b| b == b' ')
                && &o[indent..] == *l
        };
        if !ok {
            return None;
        }
        starts.push(outer.line_start(first + i as u32) + indent.min(o.len()));
        inner_starts.push(off);
        off += l.len() + 1;
    }
    // The outer offset of an inner one, and the indentation text put at it would lack (an empty line's outer
    // line may be shorter than the block's indentation).
    let map = |b: usize| -> Option<(usize, usize)> {
        let i = inner_starts.partition_point(|&s| s <= b).checked_sub(1)?;
        let col = b - inner_starts[i];
        let short = if lines[i].is_empty() { indent.saturating_sub(outer.line(first + i as u32).len()) } else { 0 };
        (col <= lines[i].len()).then_some((starts[i] + col, short))
    };
    let pad = format!("\n{}", " ".repeat(indent));
    spans
        .iter()
        .map(|(s, e, r)| {
            let ((s, short), (e, _)) = (map(*s)?, map(*e)?);
            // What follows the span continues the start's line: on an empty line that lacks the indentation, it
            // needs it (unless the replacement starts a new line first).
            let lead = if r.starts_with('\n') { String::new() } else { " ".repeat(short) };
            Some((s, e, format!("{lead}{}", r.replace('\n', &pad))))
        })
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lokis_s3_url_names_its_bucket_by_its_path() {
        assert_eq!(url_path_bucket("s3://us-east-1/acme-loki2"), Some("acme-loki2"));
        assert_eq!(url_path_bucket("s3://AKIA:secret@s3.eu-west-1.amazonaws.com/logs/"), Some("logs"));
        assert_eq!(url_path_bucket("s3://acme-loki2"), None);
        assert_eq!(url_path_bucket("s3://us-east-1/a/b"), None);
        assert_eq!(url_path_bucket("s3:///bucket"), None);
    }
    use crate::mapping::storage_configs::StorageConfigsFile;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    struct Vals(BTreeMap<&'static str, &'static str>);

    impl Values for Vals {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
        fn container(&self, bucket: &str) -> Option<String> {
            (bucket != "unknown-bucket").then(|| format!("c-{bucket}"))
        }
    }

    fn vals() -> Vals {
        Vals(BTreeMap::from([("account", "stacct"), ("resource_group", "rg")]))
    }

    fn shape(id: &str) -> crate::mapping::storage_configs::Shape {
        let f: StorageConfigsFile =
            serde_norway::from_str(include_str!("../../mappings/storage-configs.yaml")).unwrap();
        f.shapes.into_iter().find(|s| s.id == id).unwrap()
    }

    fn rewrite(id: &str, text: &str) -> (Rewrite, String) {
        let s = shape(id);
        let root = crate::yaml::parse_stream(text).unwrap().remove(0).root;
        let t = Text::new(text);
        let mut rw = Rewrite { expected: root.to_json(), ..Rewrite::default() };
        for b in &s.blocks {
            block(&mut rw, &t, &root, b, &vals());
        }
        for v in &s.values {
            value(&mut rw, &t, &root, v, &vals());
        }
        let out = splice(text, &rw.spans).unwrap();
        (rw, out)
    }

    const LOKI: &str = "auth_enabled: true   # tenants\ncommon:\n  path_prefix: /var/loki\n  storage:\n    s3:\n      bucketnames: chunks\n      region: us-east-1\nschema_config:\n  configs:\n  - from: \"2024-04-01\"\n    object_store: s3\n    store: tsdb\n";

    #[test]
    fn a_loki_config_on_s3_becomes_azure_and_keeps_every_other_byte() {
        let (rw, out) = rewrite("loki", LOKI);
        assert!(rw.blocked.is_empty(), "{:?}", rw.blocked);
        assert_eq!(
            out,
            "auth_enabled: true   # tenants\ncommon:\n  path_prefix: /var/loki\n  storage:\n    azure:\n      account_name: stacct\n      container_name: c-chunks\n      use_federated_token: true\nschema_config:\n  configs:\n  - from: \"2024-04-01\"\n    object_store: azure\n    store: tsdb\n"
        );
        let back = crate::yaml::parse_stream(&out).unwrap().remove(0).root.to_json();
        assert_eq!(back, rw.expected);
        assert_eq!(rw.buckets.iter().collect::<Vec<_>>(), ["chunks"]);
    }

    #[test]
    fn a_bucket_the_plan_does_not_map_or_several_buckets_block_the_rewrite() {
        let (rw, _) = rewrite("loki", &LOKI.replace("bucketnames: chunks", "bucketnames: unknown-bucket"));
        assert!(rw.blocked.iter().any(|b| b.contains("`unknown-bucket` is not in the plan")), "{:?}", rw.blocked);
        let (rw, _) = rewrite("loki", &LOKI.replace("bucketnames: chunks", "bucketnames: a,b"));
        assert!(rw.blocked.iter().any(|b| b.contains("several buckets")), "{:?}", rw.blocked);
    }

    #[test]
    fn a_value_no_input_gives_is_a_marked_placeholder_and_recorded() {
        let text = "provider: aws\nobjectStorage:\n  bucket: backups\nconfig:\n  region: us-east-1\n";
        let (rw, out) = rewrite("velero-backup-location", text);
        assert!(out.contains("subscriptionId: REPLACE-ME-subscription"), "{out}");
        assert!(out.contains("useAAD: \"true\"") && out.contains("bucket: c-backups"), "{out}");
        assert_eq!(rw.missing.iter().collect::<Vec<_>>(), ["subscription"]);
    }

    #[test]
    fn scalars_are_quoted_only_when_plain_text_would_read_differently() {
        assert_eq!(scalar(&Value::String("azure".into())), "azure");
        assert_eq!(scalar(&Value::String("https://a.blob.core.windows.net".into())), "https://a.blob.core.windows.net");
        assert_eq!(scalar(&Value::String("true".into())), "\"true\"");
        assert_eq!(scalar(&Value::String("0000-11".into())), "\"0000-11\"");
        assert_eq!(scalar(&Value::String("{{workflow.name}}".into())), "\"{{workflow.name}}\"");
        assert_eq!(scalar(&Value::Bool(true)), "true");
    }

    fn outer_of(inner: &str, header: &str) -> String {
        let body: String =
            inner.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") }).collect();
        format!("apiVersion: v1\nkind: ConfigMap\ndata:\n  config.yaml: {header}\n{body}  other: kept # comment\n")
    }

    #[test]
    fn embedded_spans_land_inside_a_literal_block_and_nowhere_else() {
        let outer = outer_of(LOKI, "|");
        let docs = crate::yaml::parse_stream(&outer).unwrap();
        let v = docs[0].root.path(&["data", "config.yaml"]).unwrap();
        let (rw, new_inner) = rewrite("loki", v.as_str().unwrap());
        let spans = embed_spans(&Text::new(&outer), v.pos, v.as_str().unwrap(), &rw.spans).unwrap();
        let out = splice(&outer, &spans).unwrap();
        let back = crate::yaml::parse_stream(&out).unwrap();
        assert_eq!(back[0].root.path(&["data", "config.yaml"]).unwrap().as_str(), Some(new_inner.as_str()));
        assert!(out.ends_with("  other: kept # comment\n"));
    }

    #[test]
    fn a_value_written_quoted_or_folded_is_not_reachable() {
        let plain = LOKI.replace("   # tenants", "");
        for header in [">", ">-", "|2"] {
            let outer = outer_of(&plain, header);
            let docs = crate::yaml::parse_stream(&outer).unwrap();
            let v = docs[0].root.path(&["data", "config.yaml"]).unwrap();
            assert!(
                embed_spans(&Text::new(&outer), v.pos, v.as_str().unwrap(), &[(0, 1, "x".into())]).is_none(),
                "{header}"
            );
        }
        let outer = outer_of(&plain, "|");
        let docs = crate::yaml::parse_stream(&outer).unwrap();
        let v = docs[0].root.path(&["data", "config.yaml"]).unwrap();
        assert!(embed_spans(&Text::new(&outer), v.pos, v.as_str().unwrap(), &[(0, 1, "x".into())]).is_some());
        let outer = "data:\n  config.yaml: \"common:\\n  storage:\\n    s3: {}\\n\"\n";
        let docs = crate::yaml::parse_stream(outer).unwrap();
        let v = docs[0].root.path(&["data", "config.yaml"]).unwrap();
        assert!(embed_spans(&Text::new(outer), v.pos, v.as_str().unwrap(), &[(0, 1, "x".into())]).is_none());
    }

    proptest! {
        /// The embedded-YAML rewriter never changes a byte outside its edits: every byte of the file before,
        /// between and after the mapped spans is the input's, and the value reads back as the inner text with
        /// the spans applied.
        #[test]
        fn embedded_rewrites_change_no_byte_outside_their_spans(
            lines in proptest::collection::vec("[a-z]{1,6}: [a-z0-9 #]{0,8}|", 1..8),
            cuts in proptest::collection::vec((0usize..64, 0usize..8, "([a-z:]{1,4}\n)?[a-z:]{0,6}"), 0..4),
            header in prop_oneof![Just("|"), Just("|-"), Just("|+")],
        ) {
            let inner: String = lines.iter().map(|l| format!("{}\n", l.trim_end())).collect();
            prop_assume!(inner.lines().any(|l| !l.is_empty()));
            let outer = outer_of(&inner, header);
            let docs = crate::yaml::parse_stream(&outer).unwrap();
            let v = docs[0].root.path(&["data", "config.yaml"]).unwrap();
            let value = v.as_str().unwrap().to_string();
            // Spans at character boundaries of the value, inside its lines, not overlapping.
            let mut spans: Vec<(usize, usize, String)> = Vec::new();
            let mut at = 0;
            for (start, len, text) in cuts {
                let s = at + start % (value.len().saturating_sub(at).max(1));
                let e = (s + len).min(value.trim_end_matches('\n').len());
                if s >= e.max(s + 1) && s > value.trim_end_matches('\n').len() { break; }
                if s > e { break; }
                spans.push((s, e, text));
                at = e + 1;
                if at >= value.len() { break; }
            }
            let Some(mapped) = embed_spans(&Text::new(&outer), v.pos, &value, &spans) else { return Ok(()) };
            let out = splice(&outer, &mapped).unwrap();
            let mut sorted = mapped.clone();
            sorted.sort_by_key(|s| s.0);
            let (mut i, mut o) = (0usize, 0usize);
            for (s, e, r) in &sorted {
                prop_assert_eq!(&outer[i..*s], &out[o..o + (s - i)]);
                o += (s - i) + r.len();
                i = *e;
            }
            prop_assert_eq!(&outer[i..], &out[o..]);
            let expected = splice(&value, &spans).unwrap();
            // A literal block takes its indentation from its first non-empty line: a value whose first line
            // starts with a space cannot be written as one (the plan's read-back check refuses such an edit).
            let first_spaced = expected.lines().find(|l| !l.is_empty()).is_some_and(|l| l.starts_with(' '));
            if let (Ok(back), false) = (crate::yaml::parse_stream(&out), first_spaced) {
                let got = back[0].root.path(&["data", "config.yaml"]).and_then(Node::as_str).map(str::to_string);
                // A replacement may end the block early (a line with less indentation is not possible: every
                // line break it brings is indented), so the value reads back as the spliced text.
                prop_assert_eq!(got.map(|g| g.trim_end_matches('\n').to_string()), Some(expected.trim_end_matches('\n').to_string()));
            }
        }
    }
}
