//! A YAML/JSON reader that keeps the line and column of every node.
//!
//! Built on saphyr-parser's event stream rather than a serde deserializer, so that (a) every value carries its
//! position and findings can point at the offending value, (b) unknown kinds and CRDs are kept whole, and (c) the
//! limits that make hostile input harmless are ours: nesting depth ([`MAX_DEPTH`]) and the number of nodes an
//! alias may expand to ([`MAX_NODES`], the "billion laughs" defence). Merge keys (`<<`) are applied as Kubernetes
//! applies them ([`merge`]); tags are kept as written (CloudFormation's short forms become their long form).

use crate::diag::Pos;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::{BTreeMap, HashSet};

/// Deepest nesting accepted. Kubernetes objects nest about 15 levels; 256 is generous and keeps recursion over
/// the tree (clone, drop, walk) far from the stack limit.
pub const MAX_DEPTH: usize = 256;
/// Most nodes one file may produce, counting alias expansion.
pub const MAX_NODES: usize = 2_000_000;
/// Most problems [`parse_stream_all`] reports of one file: a file of a million broken documents must not become a
/// million findings (a gigabyte of them at the size limit). Reading stops there, with a last problem saying so.
pub const MAX_PROBLEMS: usize = 1000;

/// A value with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value starts.
    pub pos: Pos,
    /// Where the value ends: just after a scalar's last character (closing quote included); for a collection,
    /// the end of its last scalar (or its start when empty). Used to splice the original text.
    pub end: Pos,
    /// The value.
    pub value: Value,
}

/// A YAML value. Scalars stay text: the consumer decides what a scalar means.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar. `plain` is false for quoted and block scalars (which are always strings).
    Scalar { text: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<Entry>),
}

/// One key/value pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key's text.
    pub key: String,
    /// Where the key is.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
    /// For an entry a merge key brought in (`<<: *anchor`), where that `<<` is; its key and value keep the
    /// positions of the anchored text they come from.
    pub merged: Option<Pos>,
}

/// One document of a stream.
#[derive(Clone, Debug)]
pub struct Document {
    /// The root value.
    pub root: Node,
    /// Line of the document's first token (or of its `---`).
    pub start_line: u32,
}

/// A syntax error, with the position the parser reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

impl Node {
    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// The value under `key`, comparing keys case-insensitively (IAM policy keys).
    pub fn get_ci(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key.eq_ignore_ascii_case(key)).map(|e| &e.value),
            _ => None,
        }
    }

    /// The value at a path of keys; a key that is a number names an item of a list (the concrete paths of
    /// `mappings/workloads.yaml`, `spec.workerGroupSpecs.0.template`).
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| match &n.value {
            Value::Seq(items) => k.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => n.get(k),
        })
    }

    /// The text of a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, plain } if !(*plain && is_null(text)) => Some(text),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// True for a null scalar (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if is_null(text))
    }

    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// A string, or each string of a list of strings (the IAM "string or array" shape). Non-strings are skipped
    /// and reported through `bad`.
    pub fn str_or_list(&self, bad: &mut dyn FnMut(&Node)) -> Vec<(String, Pos)> {
        self.strs(bad).into_iter().map(|(s, p)| (s.to_string(), p)).collect()
    }

    /// [`Node::str_or_list`], borrowing the strings.
    pub fn strs(&self, bad: &mut dyn FnMut(&Node)) -> Vec<(&str, Pos)> {
        match &self.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|n| match n.as_str() {
                    Some(s) => Some((s, n.pos)),
                    None => {
                        bad(n);
                        None
                    }
                })
                .collect(),
            _ => match self.as_str() {
                Some(s) => vec![(s, self.pos)],
                None => {
                    bad(self);
                    Vec::new()
                }
            },
        }
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Scalar { .. } => 0,
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
        }
    }

    /// Converts to JSON (scalars resolved with the YAML core schema), for reports and tests.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar { text, plain } => {
                if !*plain {
                    return serde_json::Value::String(text.clone());
                }
                if is_null(text) {
                    serde_json::Value::Null
                } else if let Some(b) = core_bool(text) {
                    serde_json::Value::Bool(b)
                } else if let Ok(i) = text.parse::<i64>() {
                    serde_json::Value::from(i)
                } else {
                    serde_json::Value::String(text.clone())
                }
            }
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                serde_json::Value::Object(entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect())
            }
        }
    }
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn core_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// The CloudFormation short-form functions (`!Sub`, `!Ref`, `!GetAtt`…) and the key of their long form: a node
/// tagged with one is kept as the one-key mapping CloudFormation defines it to mean (`!Sub x` is `{Fn::Sub: x}`),
/// so the template reader sees one shape. Other tags are kept as written (ignored).
/// Source: AWS CloudFormation User Guide, "Intrinsic function reference" (each function's "Short form" syntax).
const CFN_SHORT_FORMS: [(&str, &str); 18] = [
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("Join", "Fn::Join"),
    ("If", "Fn::If"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("ImportValue", "Fn::ImportValue"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Transform", "Fn::Transform"),
];

/// The long-form key of a CloudFormation short-form tag (handle `!`), if the tag is one.
fn intrinsic(tag: Option<&saphyr_parser::Tag>) -> Option<&'static str> {
    let tag = tag.filter(|t| t.handle == "!")?;
    CFN_SHORT_FORMS.iter().find(|(short, _)| *short == tag.suffix).map(|(_, long)| *long)
}

/// A node tagged with a CloudFormation short form, as its long form (see [`CFN_SHORT_FORMS`]).
fn long_form(node: Node, fun: Option<&'static str>) -> Node {
    match fun {
        None => node,
        Some(key) => Node {
            pos: node.pos,
            end: node.end,
            value: Value::Map(vec![Entry { key: key.to_string(), key_pos: node.pos, value: node, merged: None }]),
        },
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
        fun: Option<&'static str>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Pos)>,
        seen: Option<HashSet<String>>,
        fun: Option<&'static str>,
        /// Where its merge keys are (a plain `<<`).
        merges: Vec<Pos>,
    },
}

impl Frame {
    /// The node a closed collection becomes, with its anchor (0 for none). It ends where its last value ends.
    /// A mapping's merge keys are applied ([`merge`]).
    fn close(self) -> Result<(Node, usize), SyntaxError> {
        Ok(match self {
            Frame::Seq { pos, anchor, items, fun } => {
                let end = items.iter().map(|n| n.end).max().unwrap_or(pos);
                (long_form(Node { pos, end, value: Value::Seq(items) }, fun), anchor)
            }
            Frame::Map { pos, anchor, entries, fun, merges, .. } => {
                let end = entries.iter().map(|e| e.value.end).max().unwrap_or(pos);
                let entries = if merges.is_empty() { entries } else { merge(entries, &merges)? };
                (long_form(Node { pos, end, value: Value::Map(entries) }, fun), anchor)
            }
        })
    }
}

/// A mapping with its merge keys (`<<: *anchor`, `<<: [*a, *b]`) applied the way Kubernetes reads them:
/// sigs.k8s.io/yaml converts YAML with its fork of go-yaml v2 (kubernetes/kubernetes
/// `vendor/sigs.k8s.io/yaml/goyaml.v2`, "map merging"), whose decoder (`decode.go`: `isMerge` — a plain `<<` —
/// then `merge`) sets the merged mapping's keys in entry order, so a key written after the `<<` wins over it and
/// one written before it is overwritten; in a list of mappings the earlier ones take precedence. The value of a
/// merge key must be a mapping or a list of mappings. Merged entries carry [`Entry::merged`].
fn merge(entries: Vec<Entry>, merges: &[Pos]) -> Result<Vec<Entry>, SyntaxError> {
    fn set(out: &mut Vec<Entry>, e: Entry) {
        match out.iter_mut().find(|x| x.key == e.key) {
            Some(x) => *x = e,
            None => out.push(e),
        }
    }
    let want_map = |n: &Node| SyntaxError {
        pos: n.pos,
        message: "the value of a merge key `<<` must be a mapping or a list of mappings".into(),
    };
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        if e.key != "<<" || !merges.contains(&e.key_pos) {
            set(&mut out, e);
            continue;
        }
        let maps: Vec<&Node> = match &e.value.value {
            Value::Map(_) => vec![&e.value],
            Value::Seq(items) => items.iter().rev().collect(),
            _ => return Err(want_map(&e.value)),
        };
        for m in maps {
            let Value::Map(from) = &m.value else { return Err(want_map(m)) };
            for x in from {
                set(&mut out, Entry { merged: Some(e.key_pos), ..x.clone() });
            }
        }
    }
    Ok(out)
}

/// Parses a stream of YAML documents (JSON is accepted as YAML). Empty documents are dropped. Stops at the first
/// error; [`parse_stream_all`] reports every problem of a text.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, SyntaxError> {
    let mut tree = TreeBuilder::new(false);
    read_stream(&mut tree, text);
    match tree.errors.first() {
        Some(e) => Err(e.clone()),
        None => Ok(tree.finish()),
    }
}

/// Parses a stream of YAML documents like [`parse_stream`], going on after a problem: the documents without one,
/// and every problem, in text order. A problem of a document (a duplicate key — each one is reported —, an
/// unknown alias, a non-scalar key, a bad merge key, nesting deeper than [`MAX_DEPTH`], an alias bomb) leaves out
/// that document and reading goes on at the next one. A syntax error saphyr cannot go on from ends the reading
/// of its document: reading starts again at the next line that begins with a document marker (`---` or `...`),
/// which YAML does not allow inside a value (YAML 1.2.2, 9.1.4 "c-forbidden"), so it starts a document whatever
/// came before; without such a line, the error ends the file. More than [`MAX_NODES`] values end the file.
pub fn parse_stream_all(text: &str) -> (Vec<Document>, Vec<SyntaxError>) {
    let mut tree = TreeBuilder::new(true);
    read_stream(&mut tree, text);
    let mut errors = std::mem::take(&mut tree.errors);
    // In text order (a merge key's error is found when its mapping closes, after the problems inside it).
    errors.sort_by_key(|e| e.pos);
    if errors.len() >= MAX_PROBLEMS {
        errors.truncate(MAX_PROBLEMS);
        let pos = errors[MAX_PROBLEMS - 1].pos;
        errors.push(SyntaxError {
            pos,
            message: format!("{MAX_PROBLEMS} problems in this file: the rest of it is not read"),
        });
    }
    (tree.finish(), errors)
}

/// How reading a part of the text ended.
enum PartEnd {
    /// At the end of the text, or at a problem that ends the file.
    Done,
    /// At a syntax error saphyr cannot go on from: its (1-based line, 0-based column) in the part.
    Stuck(usize, usize),
}

/// Reads `text` into `tree`, part by part: after a syntax error saphyr cannot go on from, from the next document
/// marker line on (see [`parse_stream_all`]); when not `tree.all`, up to the first problem.
fn read_stream(tree: &mut TreeBuilder, text: &str) {
    let mut start = 0;
    while let PartEnd::Stuck(line, col) = read_part(tree, &text[start..]) {
        let Some((byte, lines)) = next_document_marker(&text[start..], line, col) else { return };
        start += byte;
        tree.restart(lines);
    }
}

/// Reads one part of the text (from its start, or from a document marker line) into `tree`.
///
/// Each parser event goes to the [`TreeBuilder`]: [`TreeBuilder::event`] decides what the event completes (a
/// scalar, an alias's copy, a closed collection), the node count is checked against [`MAX_NODES`], and
/// [`TreeBuilder::attach`] puts a completed node where it belongs (document root, list item, mapping key or value).
/// A problem of a document is recorded and the rest of the document skipped ([`TreeBuilder::fail`]). A parser
/// error after which saphyr gives events again (an unknown anchor) is one of these; one after which it gives the
/// error again (a scanner error, a state it cannot leave) is a syntax error it cannot go on from.
fn read_part(tree: &mut TreeBuilder, text: &str) -> PartEnd {
    let mut parser = Parser::new_from_str(text);
    let mut after_error = None;
    while let Some(ev) = parser.next_event() {
        let (event, span) = match ev {
            Ok(ev) => ev,
            Err(_) if after_error.is_some() => {
                let (line, col) = after_error.expect("checked");
                return PartEnd::Stuck(line, col);
            }
            Err(e) => {
                let (line, col) = (e.marker().line(), e.marker().col());
                tree.fail(SyntaxError { pos: tree.at(line, col), message: e.info().to_string() });
                if !tree.all || tree.errors.len() >= MAX_PROBLEMS {
                    return PartEnd::Done;
                }
                after_error = Some((line, col));
                continue;
            }
        };
        after_error = None;
        if matches!(event, Event::StreamEnd) {
            break;
        }
        if tree.skipping && !matches!(event, Event::DocumentStart(_) | Event::DocumentEnd) {
            continue;
        }
        let pos = tree.at(span.start.line(), span.start.col());
        let done = match tree.event(event, &span, pos) {
            Ok(done) => done,
            Err(e) => {
                tree.fail(e);
                None
            }
        };
        if tree.nodes > MAX_NODES {
            tree.fail(SyntaxError { pos, message: format!("more than {MAX_NODES} values in one file") });
            return PartEnd::Done;
        }
        if let Some((node, anchor)) = done
            && let Err(e) = tree.attach(node, anchor)
        {
            tree.fail(e);
        }
        if tree.failed && (!tree.all || tree.errors.len() >= MAX_PROBLEMS) {
            return PartEnd::Done;
        }
    }
    PartEnd::Done
}

/// Where reading starts again after a syntax error at (`line`, 1-based; `col`, 0-based) of `text`: the first line
/// after it that begins with a document marker (`---` or `...` followed by a blank or the line's end), or the
/// error's own line when the error is at such a marker (saphyr reports an unclosed flow collection there). Never
/// the first line, where this part started: reading always moves on. Lines end as saphyr ends them (`\n`, `\r\n`
/// or `\r`). Returns the line's byte offset in `text` and the lines before it.
fn next_document_marker(text: &str, line: usize, col: usize) -> Option<(usize, u32)> {
    let bytes = text.as_bytes();
    let (mut at, mut n) = (0, 1);
    while at < bytes.len() {
        let rest = &bytes[at..];
        let is_marker = (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && rest.get(3).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if is_marker && n > 1 && (n > line || (n == line && col == 0)) {
            return Some((at, u32::try_from(n - 1).ok()?));
        }
        let end = memchr::memchr2(b'\n', b'\r', rest)?;
        at += end + if rest[end..].starts_with(b"\r\n") { 2 } else { 1 };
        n += 1;
    }
    None
}

/// The state of [`parse_stream`] between events: the open collections, the anchors of the current document, the
/// number of nodes so far (aliases counted expanded), the documents read, and the problems found.
struct TreeBuilder {
    /// Go on after a problem ([`parse_stream_all`]), rather than stop at the first.
    all: bool,
    /// Problems found, in the order found.
    errors: Vec<SyntaxError>,
    /// The current document has a problem: it is left out.
    failed: bool,
    /// The current document cannot be read further (every problem but a duplicate key): its events are skipped
    /// up to its end.
    skipping: bool,
    /// Lines of the text before the part being read (see [`read_stream`]).
    line_offset: u32,
    /// Collections opened and not yet closed, innermost last.
    stack: Vec<Frame>,
    /// Anchored nodes of the current document, by the parser's anchor id.
    anchors: BTreeMap<usize, Node>,
    /// Nodes produced in the whole file, counting each alias as the nodes it expands to.
    nodes: usize,
    /// Line of the current document's start.
    doc_line: u32,
    /// The current document's root, once complete.
    root: Option<Node>,
    /// Documents read so far.
    docs: Vec<Document>,
}

impl TreeBuilder {
    fn new(all: bool) -> Self {
        TreeBuilder {
            all,
            errors: Vec::new(),
            failed: false,
            skipping: false,
            line_offset: 0,
            stack: Vec::new(),
            anchors: BTreeMap::new(),
            nodes: 0,
            doc_line: 1,
            root: None,
            docs: Vec::new(),
        }
    }

    /// The position in the whole text of saphyr's (1-based line, 0-based column) in the part being read.
    fn at(&self, line: usize, col: usize) -> Pos {
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX).saturating_add(self.line_offset),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
        }
    }

    /// Where a span ends, in the whole text.
    fn end(&self, span: &Span) -> Pos {
        self.at(span.end.line(), span.end.col())
    }

    /// Records a problem that leaves out the current document, whose events are skipped up to its end.
    fn fail(&mut self, e: SyntaxError) {
        self.errors.push(e);
        self.failed = true;
        self.skipping = true;
        self.stack.clear();
        self.root = None;
    }

    /// Starts reading again at a document marker line, after `lines` more lines of the text: the document the
    /// syntax error was in is left out (its problem is recorded).
    fn restart(&mut self, lines: u32) {
        self.line_offset = self.line_offset.saturating_add(lines);
        self.stack.clear();
        self.root = None;
        self.anchors.clear();
        self.failed = false;
        self.skipping = false;
    }

    /// What one event completes, with its anchor (0 for none): a scalar, a copy of an alias's target, or a
    /// collection that closes. `None` for events that open a collection or delimit a document. Errors: an alias
    /// to an unknown anchor, an alias bomb, nesting deeper than [`MAX_DEPTH`].
    fn event(&mut self, event: Event, span: &Span, pos: Pos) -> Result<Option<(Node, usize)>, SyntaxError> {
        Ok(match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                self.doc_line = pos.line;
                self.anchors.clear();
                (self.failed, self.skipping) = (false, false);
                None
            }
            Event::DocumentEnd => {
                self.end_document();
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.nodes += 1;
                let value = Value::Scalar { text: value.into_owned(), plain: style == ScalarStyle::Plain };
                Some((long_form(Node { pos, end: self.end(span), value }, intrinsic(tag.as_deref())), anchor))
            }
            Event::Alias(id) => Some((self.alias(id, span, pos)?, 0)),
            Event::SequenceStart(anchor, tag) => {
                let fun = intrinsic(tag.as_deref());
                self.open(Frame::Seq { pos, anchor, items: Vec::new(), fun }, pos)?;
                None
            }
            Event::MappingStart(anchor, tag) => {
                let fun = intrinsic(tag.as_deref());
                let frame =
                    Frame::Map { pos, anchor, entries: Vec::new(), key: None, seen: None, fun, merges: Vec::new() };
                self.open(frame, pos)?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => self.stack.pop().map(Frame::close).transpose()?,
        })
    }

    /// A copy of the alias's target, placed where the alias is. The copy counts as all the nodes it holds: past
    /// [`MAX_NODES`] it is refused before it is made.
    fn alias(&mut self, id: usize, span: &Span, pos: Pos) -> Result<Node, SyntaxError> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(SyntaxError { pos, message: "alias refers to an unknown anchor".into() });
        };
        // Counted only when made: a refused copy leaves the count to the documents after it.
        let count = target.count();
        if self.nodes + count > MAX_NODES {
            return Err(SyntaxError {
                pos,
                message: format!("aliases expand to more than {MAX_NODES} values (an alias bomb?); refusing to expand"),
            });
        }
        self.nodes += count;
        let mut n = target.clone();
        n.pos = pos;
        n.end = self.end(span);
        Ok(n)
    }

    /// Opens a collection, unless that would nest deeper than [`MAX_DEPTH`].
    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), SyntaxError> {
        self.nodes += 1;
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError { pos, message: format!("nesting deeper than {MAX_DEPTH} levels") });
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Puts a completed node in place: remembered under its anchor, then the document's root, the next item of
    /// the open list, or — in the open mapping — its next key (a scalar not seen before in it) or that key's value.
    fn attach(&mut self, node: Node, anchor: usize) -> Result<(), SyntaxError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, seen, merges, .. }) => match key.take() {
                None => {
                    if matches!(&node.value, Value::Scalar { text, plain: true } if text == "<<") {
                        merges.push(node.pos);
                    }
                    let (k, dup) = mapping_key(node, entries, seen)?;
                    *key = Some(k);
                    // A duplicate key leaves the document out, but the rest of it is read: every duplicate is
                    // reported, and nothing else can come of one (the value is read under the repeated key).
                    if let Some(e) = dup {
                        if !self.all {
                            return Err(e);
                        }
                        self.errors.push(e);
                        self.failed = true;
                    }
                }
                Some((k, key_pos)) => {
                    if let Some(set) = seen.as_mut() {
                        set.insert(k.clone());
                    }
                    entries.push(Entry { key: k, key_pos, value: node, merged: None });
                }
            },
        }
        Ok(())
    }

    /// Ends the current document: its root, if any, is a document of the stream, unless it had a problem.
    fn end_document(&mut self) {
        if let Some(r) = self.root.take()
            && !self.failed
        {
            self.docs.push(Document { root: r, start_line: self.doc_line });
        }
        (self.failed, self.skipping) = (false, false);
    }

    /// The documents, the last one ended; a document that is only `~` or empty carries nothing and is dropped.
    fn finish(mut self) -> Vec<Document> {
        self.end_document();
        self.docs.retain(|d| !d.root.is_null());
        self.docs
    }
}

/// A node that is to be a key of a mapping: it must be a scalar (else an error), and not one of the mapping's keys
/// already (else the key, with its error). Small mappings are searched; from 16 entries on, the keys are kept in a
/// set (`seen`, made on first need).
type Key = ((String, Pos), Option<SyntaxError>);
fn mapping_key(node: Node, entries: &[Entry], seen: &mut Option<HashSet<String>>) -> Result<Key, SyntaxError> {
    let Value::Scalar { text, .. } = node.value else {
        return Err(SyntaxError { pos: node.pos, message: "a mapping key must be a scalar".into() });
    };
    let dup = if entries.len() < 16 {
        entries.iter().any(|e| e.key == text)
    } else {
        let set = seen.get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
        !set.insert(text.clone())
    };
    let dup = dup.then(|| SyntaxError { pos: node.pos, message: format!("duplicate key `{text}` in a mapping") });
    Ok(((text, node.pos), dup))
}

/// Line and column of byte offsets in a JSON text, for [`parse_json_value`].
///
/// Columns count characters from the line start. Offsets are asked for in text order, so the count continues from
/// the previous position on the same line instead of starting over: a minified export is one line of many
/// megabytes (what `json.dump` writes), and counting from its start for every value would be quadratic. A reader
/// that parses parts of a text out of order saves the count with [`JsonPositions::mark`] and goes back to it with
/// [`JsonPositions::restore`].
pub struct JsonPositions<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    cursor: std::cell::Cell<JsonMark>,
}

/// Where [`JsonPositions`] counted to last: see [`JsonPositions::mark`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonMark {
    /// Index of the line (0-based) in `line_starts`.
    line: usize,
    /// The byte counted to.
    byte: usize,
    /// Characters from the line's start to `byte`.
    chars: usize,
}

impl<'a> JsonPositions<'a> {
    /// Positions in `text`.
    pub fn new(text: &'a str) -> Self {
        let line_starts =
            std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1)).collect();
        Self { text, line_starts, cursor: std::cell::Cell::new(JsonMark::default()) }
    }

    /// The position of `byte`.
    pub fn pos(&self, byte: usize) -> Pos {
        let c = self.cursor.get();
        // Offsets come in text order, mostly on the line of the previous one: no search for that line.
        let on_cursor_line = self.line_starts.get(c.line).is_some_and(|&s| s <= byte)
            && self.line_starts.get(c.line + 1).is_none_or(|&next| byte < next);
        let line = if on_cursor_line { c.line } else { self.line_starts.partition_point(|&s| s <= byte).max(1) - 1 };
        let start = self.line_starts[line];
        let (from, chars) = if c.line == line && c.byte <= byte { (c.byte, c.chars) } else { (start, 0) };
        let col = chars + self.text.get(from..byte).map_or(0, |t| t.chars().count());
        self.cursor.set(JsonMark { line, byte, chars: col });
        Pos { line: u32::try_from(line + 1).unwrap_or(u32::MAX), col: u32::try_from(col + 1).unwrap_or(u32::MAX) }
    }

    /// The count as it stands (after [`Self::pos`] of some offset).
    pub fn mark(&self) -> JsonMark {
        self.cursor.get()
    }

    /// Goes back to a [`Self::mark`].
    pub fn restore(&self, mark: JsonMark) {
        self.cursor.set(mark);
    }
}

/// Reads a JSON document into the same positioned tree as [`parse_stream`] (one document; none for blank
/// text). Much faster than the YAML reader on large IAM exports. The caller validates the text as strict JSON
/// first (serde_json: trailing commas and comments are errors there; jsonc-parser limits the nesting depth);
/// duplicate keys are errors here, as in YAML.
pub fn parse_json(text: &str) -> Result<Vec<Document>, SyntaxError> {
    parse_json_all(text).map_err(|mut e| e.swap_remove(0))
}

/// [`parse_json`], with every duplicate key of the text (in text order) rather than the first. A syntax error is
/// the only one: a JSON text is one value, and jsonc-parser stops at its first syntax error.
pub fn parse_json_all(text: &str) -> Result<Vec<Document>, Vec<SyntaxError>> {
    let positions = JsonPositions::new(text);
    match json_value(text, 0, &positions)? {
        None => Ok(Vec::new()),
        Some(root) => Ok(if root.is_null() { Vec::new() } else { vec![Document { start_line: root.pos.line, root }] }),
    }
}

/// Reads `text`, which starts at byte `offset` of the text `positions` was made for (all of it, or one value of
/// it such as one role of a large export), with positions in that whole text. `None` for blank text.
pub fn parse_json_value(text: &str, offset: usize, positions: &JsonPositions) -> Result<Option<Node>, SyntaxError> {
    json_value(text, offset, positions).map_err(|mut e| e.swap_remove(0))
}

/// [`parse_json_value`], with every duplicate key (each reported, its value read and left out).
fn json_value(text: &str, offset: usize, positions: &JsonPositions) -> Result<Option<Node>, Vec<SyntaxError>> {
    use jsonc_parser::ast;
    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let pos = |byte: usize| positions.pos(offset + byte);
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &options)
        .map_err(|e| vec![SyntaxError { pos: pos(e.range().start), message: e.kind().to_string() }])?;
    fn scalar(text: String, plain: bool, start: Pos, end: Pos) -> Node {
        Node { pos: start, end, value: Value::Scalar { text, plain } }
    }
    fn convert(v: ast::Value, pos: &dyn Fn(usize) -> Pos, dups: &mut Vec<SyntaxError>) -> Node {
        match v {
            ast::Value::StringLit(s) => scalar(s.value.into_owned(), false, pos(s.range.start), pos(s.range.end)),
            ast::Value::NumberLit(n) => scalar(n.value.to_string(), true, pos(n.range.start), pos(n.range.end)),
            ast::Value::BooleanLit(b) => scalar(b.value.to_string(), true, pos(b.range.start), pos(b.range.end)),
            ast::Value::NullKeyword(n) => scalar("null".into(), true, pos(n.range.start), pos(n.range.end)),
            ast::Value::Array(a) => {
                // Positions are taken in text order (see `cursor`): the array's start before its items.
                let start = pos(a.range.start);
                let items: Vec<Node> = a.elements.into_iter().map(|e| convert(e, pos, dups)).collect();
                Node { pos: start, end: items.iter().map(|n| n.end).max().unwrap_or(start), value: Value::Seq(items) }
            }
            ast::Value::Object(o) => {
                let start = pos(o.range.start);
                let mut seen: HashSet<String> = HashSet::with_capacity(o.properties.len());
                let mut entries = Vec::with_capacity(o.properties.len());
                for p in o.properties {
                    let (key, key_range) = match p.name {
                        ast::ObjectPropName::String(s) => (s.value.into_owned(), s.range),
                        ast::ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                    };
                    let key_pos = pos(key_range.start);
                    let dup = !seen.insert(key.clone());
                    if dup {
                        dups.push(SyntaxError { pos: key_pos, message: format!("duplicate key `{key}` in a mapping") });
                    }
                    // A duplicate's value is read too (a duplicate in it is reported, after it: text order), then
                    // left out.
                    let value = convert(p.value, pos, dups);
                    if !dup {
                        entries.push(Entry { key, key_pos, value, merged: None });
                    }
                }
                Node {
                    pos: start,
                    end: entries.iter().map(|e| e.value.end).max().unwrap_or(start),
                    value: Value::Map(entries),
                }
            }
        }
    }
    let mut dups = Vec::new();
    let node = parsed.value.map(|v| convert(v, &pos, &mut dups));
    if dups.is_empty() { Ok(node) } else { Err(dups) }
}

/// [`parse_json_value`] for a value serde_json has already read as strict JSON (one role or policy of a large IAM
/// export): the same tree, built straight from jsonc-parser's tokens instead of through its AST (a third of the
/// export's reading). `None` for anything [`parse_json_value`] would not give a tree for here — a duplicate key,
/// a token strict JSON does not have — and for nesting deeper than `max_depth` collections: the caller then
/// leaves the text to the whole-file reader, which judges it.
pub fn parse_json_item(text: &str, offset: usize, positions: &JsonPositions, max_depth: usize) -> Option<Node> {
    let options = jsonc_parser::ScannerOptions {
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let mut items = JsonItems { scanner: jsonc_parser::Scanner::new(text, &options), offset, positions, max_depth };
    let first = items.next()?;
    let node = items.value(first, 0)?;
    matches!(items.scanner.scan(), Ok(None)).then_some(node)
}

/// The state of [`parse_json_item`]: the tokens, and where they are in the text of `positions`.
struct JsonItems<'t, 'p> {
    scanner: jsonc_parser::Scanner<'t>,
    offset: usize,
    positions: &'p JsonPositions<'p>,
    max_depth: usize,
}

impl<'t> JsonItems<'t, '_> {
    /// The next token; `None` at the end, on a scanner error or a comment.
    fn next(&mut self) -> Option<jsonc_parser::tokens::Token<'t>> {
        use jsonc_parser::tokens::Token;
        self.scanner.scan().ok()?.filter(|t| !matches!(t, Token::CommentLine(_) | Token::CommentBlock(_)))
    }

    fn pos(&self, byte: usize) -> Pos {
        self.positions.pos(self.offset + byte)
    }

    /// The value that starts with `token` (the scanner's current token), `depth` collections deep. Positions are
    /// asked for in text order, as [`JsonPositions`] needs.
    fn value(&mut self, token: jsonc_parser::tokens::Token<'t>, depth: usize) -> Option<Node> {
        use jsonc_parser::tokens::Token;
        let start = self.pos(self.scanner.token_start());
        let (text, plain) = match token {
            Token::String(s) => (s.into_owned(), false),
            Token::Number(n) => (n.to_string(), true),
            Token::Boolean(b) => (b.to_string(), true),
            Token::Null => ("null".to_string(), true),
            Token::OpenBracket if depth < self.max_depth => return self.array(start, depth + 1),
            Token::OpenBrace if depth < self.max_depth => return self.object(start, depth + 1),
            _ => return None,
        };
        let end = self.pos(self.scanner.token_end());
        Some(Node { pos: start, end, value: Value::Scalar { text, plain } })
    }

    fn array(&mut self, start: Pos, depth: usize) -> Option<Node> {
        use jsonc_parser::tokens::Token;
        let mut items = Vec::new();
        let mut token = self.next()?;
        if token != Token::CloseBracket {
            loop {
                items.push(self.value(token, depth)?);
                match self.next()? {
                    Token::Comma => token = self.next()?,
                    Token::CloseBracket => break,
                    _ => return None,
                }
            }
        }
        Some(Node { pos: start, end: items.iter().map(|n| n.end).max().unwrap_or(start), value: Value::Seq(items) })
    }

    fn object(&mut self, start: Pos, depth: usize) -> Option<Node> {
        use jsonc_parser::tokens::Token;
        let mut entries: Vec<Entry> = Vec::new();
        // The keys seen, once there are 16 (as in `mapping_key`): the objects of an export are small, and a scan
        // finds a duplicate among a few keys sooner than a set is built.
        let mut seen: Option<HashSet<String>> = None;
        let mut token = self.next()?;
        if token != Token::CloseBrace {
            loop {
                let Token::String(key) = token else { return None };
                let dup = if entries.len() < 16 {
                    entries.iter().any(|e| e.key == *key)
                } else {
                    let set = seen.get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
                    !set.insert(key.to_string())
                };
                if dup {
                    return None;
                }
                let key_pos = self.pos(self.scanner.token_start());
                if self.next()? != Token::Colon {
                    return None;
                }
                let first = self.next()?;
                let value = self.value(first, depth)?;
                entries.push(Entry { key: key.into_owned(), key_pos, value, merged: None });
                match self.next()? {
                    Token::Comma => token = self.next()?,
                    Token::CloseBrace => break,
                    _ => return None,
                }
            }
        }
        let end = entries.iter().map(|e| e.value.end).max().unwrap_or(start);
        Some(Node { pos: start, end, value: Value::Map(entries) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CloudFormation's short forms are kept as their long form (issue 22); other tags are ignored as before.
    #[test]
    fn cloudformation_short_form_tags_become_their_long_form() {
        let text = "a: !Sub \"arn:${AWS::Partition}:s3:::b\"\nb: !GetAtt Role.Arn\nc: !Join [\":\", [x, !Ref Y]]\nd: !Custom z\n";
        let root = &parse_stream(text).unwrap()[0].root;
        assert_eq!(root.path(&["a", "Fn::Sub"]).and_then(Node::as_str), Some("arn:${AWS::Partition}:s3:::b"));
        assert_eq!(root.path(&["b", "Fn::GetAtt"]).and_then(Node::as_str), Some("Role.Arn"));
        let join = root.path(&["c", "Fn::Join"]).and_then(Node::as_seq).unwrap();
        assert_eq!(join[1].as_seq().unwrap()[1].path(&["Ref"]).and_then(Node::as_str), Some("Y"));
        assert_eq!(root.get("d").and_then(Node::as_str), Some("z"));
        assert_eq!(root.get("b").unwrap().pos, Pos { line: 2, col: 4 });
    }

    /// A minified export is one long line: columns still count characters (not bytes) from the line start, for
    /// values met in any order of nesting.
    #[test]
    fn json_columns_on_one_long_line_count_characters() {
        let text = r#"{"a":"é","b":[1,{"c":"ü","e":[]}],"d":"x","f":{"g":"ß"}}"#;
        let docs = parse_json(text).unwrap();
        let root = &docs[0].root;
        let col = |needle: &str| text[..text.find(needle).unwrap()].chars().count() as u32 + 1;
        assert_eq!(root.get("d").unwrap().pos, Pos { line: 1, col: col(r#""x""#) });
        assert_eq!(root.get("b").unwrap().pos.col, col("[1"));
        assert_eq!(root.path(&["b"]).unwrap().as_seq().unwrap()[1].get("c").unwrap().pos.col, col(r#""ü""#));
        assert_eq!(root.path(&["b"]).unwrap().as_seq().unwrap()[1].get("e").unwrap().pos.col, col("[]"));
        assert_eq!(root.path(&["f", "g"]).unwrap().pos.col, col(r#""ß""#));
        assert_eq!(root.path(&["f", "g"]).unwrap().end.col, col(r#""ß""#) + 3);
    }

    #[test]
    fn keeps_line_and_column_of_nested_values() {
        let docs = parse_stream("---\na: 1\n---\nkind: X\nmetadata:\n  annotations:\n    k: \"v\"\n").unwrap();
        assert_eq!(docs.len(), 2);
        let v = docs[1].root.path(&["metadata", "annotations", "k"]).unwrap();
        assert_eq!(v.pos, Pos { line: 7, col: 8 });
        assert_eq!(v.end, Pos { line: 7, col: 11 }, "end is after the closing quote");
        let meta = docs[1].root.get("metadata").unwrap();
        assert_eq!(meta.end, v.end, "a collection ends where its last scalar ends");
        assert_eq!(v.as_str(), Some("v"));
        assert_eq!(docs[1].start_line, 3);
    }

    #[test]
    fn rejects_duplicate_keys_with_position() {
        let err = parse_stream("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 1 });
        assert!(err.message.contains("duplicate key `a`"));
    }

    #[test]
    fn reports_syntax_error_position() {
        let err = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
    }

    #[test]
    fn refuses_alias_bomb() {
        let mut s = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            s.push_str(&format!(
                "{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let err = parse_stream(&s).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }

    #[test]
    fn refuses_deep_nesting_without_overflow() {
        let s = "[".repeat(200_000) + &"]".repeat(200_000);
        let err = parse_stream(&s).unwrap_err();
        assert!(err.message.contains("nesting deeper") || err.message.contains("recursion limit"), "{err:?}");
        // Block-style nesting goes through our own limit.
        let block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let err = parse_stream(&block).unwrap_err();
        assert!(err.message.contains("nesting deeper"), "{err:?}");
    }

    /// Merge keys as sigs.k8s.io/yaml's go-yaml v2 applies them (review of 4ba9fce): the anchor's keys come in,
    /// a key written after the `<<` wins, one written before it is overwritten, earlier mappings of a list win,
    /// a quoted `"<<"` is an ordinary key, and a merge of a scalar is an error.
    #[test]
    fn merge_keys_are_applied_as_kubernetes_reads_them() {
        let text = "a: &a {x: 1, y: 2}
b: &b {y: 3, z: 4}
m:
  <<: *a
  y: own
n:
  x: before
  <<: *a
l:
  <<: [*a, *b]
q:
  \"<<\": *a
";
        let root = &parse_stream(text).unwrap()[0].root;
        let json = |k: &str| root.get(k).unwrap().to_json();
        assert_eq!(json("m"), serde_json::json!({"x": 1, "y": "own"}));
        assert_eq!(json("n"), serde_json::json!({"x": 1, "y": 2}));
        assert_eq!(json("l"), serde_json::json!({"x": 1, "y": 2, "z": 4}));
        assert_eq!(json("q"), serde_json::json!({"<<": {"x": 1, "y": 2}}));
        let m = root.get("m").and_then(Node::as_map).unwrap();
        assert_eq!(m[0].key, "x");
        assert_eq!(m[0].merged, Some(Pos { line: 4, col: 3 }), "merged through the `<<` at line 4");
        assert_eq!(m[0].key_pos, Pos { line: 1, col: 8 }, "the key keeps its place in the anchor");
        assert_eq!(m[1].merged, None);
        let err = parse_stream(
            "a: &a x
b:
  <<: *a
",
        )
        .unwrap_err();
        assert!(err.message.contains("merge key"), "{err:?}");
        assert_eq!(err.pos.line, 3);
    }

    #[test]
    fn aliases_expand_small_trees() {
        let docs = parse_stream("base: &b {x: 1}\nother: *b\n").unwrap();
        assert_eq!(docs[0].root.path(&["other", "x"]).unwrap().as_str(), Some("1"));
    }

    #[test]
    fn json_reader_agrees_with_the_yaml_reader() {
        let text = "{\n  \"a\": [1, \"two\", true, null],\n  \"b\": {\"c\": \"d\", \"é\": 2.5}\n}\n";
        let y = parse_stream(text).unwrap().remove(0).root;
        let j = parse_json(text).unwrap().remove(0).root;
        assert_eq!(y.to_json(), j.to_json());
        for path in [&["a"][..], &["b", "c"], &["b", "é"]] {
            assert_eq!(y.path(path).unwrap().pos, j.path(path).unwrap().pos, "{path:?}");
        }
        assert_eq!(y.path(&["b", "c"]).unwrap().end, j.path(&["b", "c"]).unwrap().end);
        assert!(parse_json("{\"a\": 1, \"a\": 2}").unwrap_err().message.contains("duplicate key"));
        assert!(parse_json("  \n").unwrap().is_empty());
    }

    /// The token-driven reader of export items gives exactly the tree of the AST-driven one (positions of keys,
    /// values and ends included, on a pretty and a one-line text, from an offset into a larger text), and `None`
    /// where that one errs or where the nesting passes the limit.
    #[test]
    fn json_items_are_read_as_the_json_reader_reads_them() {
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let values = [
            r#"{"a": [1, -2.5e3, "two", true, false, null, [], {}], "b": {"c": "d\"\u00e9\n", "é": "日本"}}"#
                .to_string(),
            "{\n  \"Arn\": \"arn:aws:iam::1:role/r\",\n  \"L\": [\n    {\"x\": 1},\n    {\"y\": [2, 3]}\n  ]\n}".into(),
            format!("{{{}}}", many.join(", ")),
            r#""just a string""#.into(),
            "[[[]], 0]".into(),
        ];
        for value in &values {
            let whole = format!("{{\"Pad\": \"ü\",\n \"X\": {value}}}");
            let offset = whole.find(value.as_str()).unwrap();
            let (p1, p2) = (JsonPositions::new(&whole), JsonPositions::new(&whole));
            let expected = parse_json_value(value, offset, &p1).unwrap().unwrap();
            assert_eq!(parse_json_item(value, offset, &p2, 64), Some(expected), "{value}");
        }
        let refused = [
            r#"{"a": 1, "a": 2}"#.to_string(),
            format!("{{{}, \"k39\": 0}}", many.join(", ")),
            "[1,]".into(),
            "{\"a\" 1}".into(),
            "[1] 2".into(),
            "".into(),
        ];
        for value in &refused {
            assert_eq!(parse_json_item(value, 0, &JsonPositions::new(value), 64), None, "{value}");
        }
        let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_json_item(&nested(64), 0, &JsonPositions::new(&nested(64)), 64).is_some());
        assert_eq!(parse_json_item(&nested(65), 0, &JsonPositions::new(&nested(65)), 64), None);
    }

    /// Every problem of a stream, each at its line and column, in text order; the documents without one are read
    /// (it stopped at the first problem). A duplicate key does not end its document's reading: each is reported.
    #[test]
    fn every_problem_of_a_stream_is_reported_and_the_other_documents_read() {
        let text = "a: 1\nb: 2\na: 3\nb: 4\n---\nkind: Good\n---\nx: *nope\ny: 1\n---\nm:\n  <<: 5\n  k: [1,\n---\nkind: AlsoGood\n";
        let (docs, errors) = parse_stream_all(text);
        let got: Vec<(u32, u32, &str)> =
            errors.iter().map(|e| (e.pos.line, e.pos.col, e.message.split(',').next().unwrap())).collect();
        assert_eq!(
            got[..3],
            [
                (3, 1, "duplicate key `a` in a mapping"),
                (4, 1, "duplicate key `b` in a mapping"),
                (8, 4, "while parsing node")
            ]
        );
        assert_eq!((got.len(), got[3].0), (4, 14), "the unclosed list, reported at the marker: {errors:?}");
        let kinds: Vec<String> = docs.iter().map(|d| d.root.get("kind").unwrap().as_str().unwrap().into()).collect();
        assert_eq!(kinds, ["Good", "AlsoGood"]);
        assert_eq!((docs[1].start_line, docs[1].root.pos), (14, Pos { line: 15, col: 1 }));
        assert_eq!(parse_stream(text).unwrap_err(), errors[0], "parse_stream stops at the first");
        let (docs, errors) = parse_stream_all("a: &x [1]\nb: *x\n---\nc: 1\n");
        assert!(errors.is_empty() && docs.len() == 2, "{errors:?}");
    }

    /// After a syntax error saphyr cannot go on from, reading starts again at the next document marker line, with
    /// lines counted as saphyr counts them (`\r\n` and a lone `\r` end a line); without one, the error ends the file.
    #[test]
    fn a_syntax_error_ends_its_document_and_reading_resumes_at_the_next_marker() {
        for eol in ["\n", "\r\n", "\r"] {
            let text =
                ["a: \"open", "b: 1", "---", "c: 2", "...", "d: [1,", "---", "--- [x]]", "f: 1", "---", "g: 4", ""]
                    .join(eol);
            let (docs, errors) = parse_stream_all(&text);
            let lines: Vec<u32> = errors.iter().map(|e| e.pos.line).collect();
            assert_eq!(lines, [1, 7, 8], "{eol:?}: {errors:?}");
            assert_eq!(errors[0].pos.col, 4, "{eol:?}: {errors:?}");
            let roots: Vec<serde_json::Value> = docs.iter().map(|d| d.root.to_json()).collect();
            assert_eq!(roots, [serde_json::json!({"c": 2}), serde_json::json!({"g": 4})], "{eol:?}");
            assert_eq!(docs[1].root.pos.line, 11, "{eol:?}");
        }
        let (docs, errors) = parse_stream_all("a: [1\nb: 2\n");
        assert_eq!((docs.len(), errors.len()), (0, 1), "{errors:?}");
    }

    /// The reader's own limits end a document, not the file: an alias bomb is refused without counting its copy,
    /// and the next document is read; too deep a nesting likewise.
    #[test]
    fn a_limit_ends_its_document_and_the_next_is_read() {
        let mut s = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10u8 {
            let (prev, cur) = ((b'a' + i - 1) as char, (b'a' + i) as char);
            s.push_str(&format!(
                "{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
        }
        let deep: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let text = format!("{s}---\nafter: bomb\n---\n{deep}---\nafter: deep\n");
        let (docs, errors) = parse_stream_all(&text);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("alias bomb") && errors[1].message.contains("nesting deeper"), "{errors:?}");
        let after: Vec<&str> = docs.iter().map(|d| d.root.get("after").unwrap().as_str().unwrap()).collect();
        assert_eq!(after, ["bomb", "deep"]);
    }

    /// A file of many broken documents gives at most [`MAX_PROBLEMS`] problems, and a last one that says reading
    /// stopped there.
    #[test]
    fn problems_of_one_file_are_capped() {
        let text = "a: 1\na: 2\n---\n".repeat(MAX_PROBLEMS + 500);
        let (docs, errors) = parse_stream_all(&text);
        assert!(docs.is_empty());
        assert_eq!(errors.len(), MAX_PROBLEMS + 1);
        assert_eq!(errors[MAX_PROBLEMS - 1].pos.line, 3 * MAX_PROBLEMS as u32 - 1);
        assert!(errors[MAX_PROBLEMS].message.contains("the rest of it is not read"), "{:?}", errors.last());
    }

    /// What [`random_problems`] injects into a document, at its last line.
    #[derive(Clone, Copy, Debug)]
    enum Injected {
        DuplicateKey,
        UnknownAlias,
        BadMerge,
        Unterminated,
    }

    /// Documents of `keys` keys, some with a problem: the text, the documents expected (by their `id`), and the
    /// (line, column) of each problem.
    fn random_problems(docs: &[(usize, Option<Injected>)]) -> (String, Vec<String>, Vec<(u32, u32)>) {
        let (mut text, mut good, mut at) = (String::new(), Vec::new(), Vec::new());
        let mut line = 1;
        for (d, (keys, problem)) in docs.iter().enumerate() {
            let mut lines = vec![format!("id: doc{d}")];
            lines.extend((0..*keys).map(|k| format!("k{k}: v{k}")));
            match problem {
                None => good.push(format!("doc{d}")),
                Some(Injected::DuplicateKey) => lines.push("id: again".into()),
                Some(Injected::UnknownAlias) => lines.push("x: *nope".into()),
                Some(Injected::BadMerge) => lines.push("m: {<<: 5}".into()),
                Some(Injected::Unterminated) => lines.push("q: \"open".into()),
            }
            let col = match problem {
                Some(Injected::DuplicateKey) => 1,
                Some(Injected::UnknownAlias | Injected::Unterminated) => 4,
                Some(Injected::BadMerge) => 9,
                None => 0,
            };
            if problem.is_some() {
                at.push((line + lines.len() as u32 - 1, col));
            }
            line += lines.len() as u32 + 1;
            text.push_str(&lines.join("\n"));
            text.push_str("\n---\n");
        }
        (text, good, at)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Random multi-document files with injected problems: exactly those problems are reported (count, line
        /// and column), in text order, and exactly the other documents are read.
        #[test]
        fn injected_problems_are_reported_exactly(
            docs in proptest::collection::vec(
                (0usize..4, proptest::option::of(proptest::sample::select(vec![
                    Injected::DuplicateKey, Injected::UnknownAlias, Injected::BadMerge, Injected::Unterminated,
                ]))),
                1..10,
            )
        ) {
            let (text, good, at) = random_problems(&docs);
            let (read, errors) = parse_stream_all(&text);
            let got: Vec<(u32, u32)> = errors.iter().map(|e| (e.pos.line, e.pos.col)).collect();
            proptest::prop_assert_eq!(got, at, "{}\n{:?}", text, errors);
            let ids: Vec<String> = read.iter().map(|d| d.root.get("id").unwrap().as_str().unwrap().to_string()).collect();
            proptest::prop_assert_eq!(ids, good);
            proptest::prop_assert_eq!(parse_stream_all(&text).1, errors, "stable");
        }
    }

    /// Every duplicate key of a JSON text is reported, each at its key (only the first was).
    #[test]
    fn every_duplicate_key_of_a_json_text_is_reported() {
        let text = "{\"a\": 1, \"b\": {\"c\": 1, \"c\": 2},\n \"a\": 3, \"a\": 4}";
        let errors = parse_json_all(text).unwrap_err();
        let at: Vec<(u32, u32)> = errors.iter().map(|e| (e.pos.line, e.pos.col)).collect();
        assert_eq!(at, [(1, 24), (2, 2), (2, 10)], "{errors:?}");
        assert_eq!(parse_json(text).unwrap_err(), errors[0], "parse_json stops at the first");
    }

    #[test]
    fn empty_and_null_documents_are_dropped() {
        assert!(parse_stream("").unwrap().is_empty());
        assert!(parse_stream("# only a comment\n").unwrap().is_empty());
        assert_eq!(parse_stream("---\n---\na: 1\n---\n~\n").unwrap().len(), 1);
    }
}
