//! The manifest rewrite checks itself before anything is written ("never lose"). Every text edit the rewriter
//! splices into a file is recorded a second time as what it *means* — an [`Op`] on the node it changes. The
//! verifier re-reads the output, applies the ops to the input's tree, and requires the two to be equal document
//! by document: the same objects (apiVersion, kind, namespace, name) in the same order, every value equal except
//! where an op says otherwise. Any difference — an object lost, a neighbour overwritten, an edit dropped because
//! it overlapped another, a string that became a boolean — is an internal error naming the file, the object and
//! the path, and the run writes nothing.
//!
//! Untouched subtrees are compared node against node without building JSON (the check runs on every translate);
//! only a node that carries ops is materialised.

use crate::diag::Pos;
use crate::yaml::{Document, Node, Value as Y};
use serde_json::Value;
use std::collections::BTreeMap;

/// What one text edit means for the node it changes.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// The node becomes this value.
    Replace(Value),
    /// A mapping gains (or, for an existing key, changes) `key: value`. A null node becomes a mapping.
    Insert(String, Value),
    /// A sequence gains these items at its end. A null node becomes a sequence.
    Append(Vec<Value>),
    /// A mapping loses this key.
    Remove(String),
    /// A sequence loses the item at this index (of the input's sequence).
    RemoveItem(usize),
}

/// Identifies a node of the input: its position and its shape (a block mapping starts where its first key does,
/// so position alone is not enough).
pub type NodeKey = (Pos, u8);

/// The key of a node.
pub fn key(n: &Node) -> NodeKey {
    (
        n.pos,
        match n.value {
            Y::Scalar { .. } => 0,
            Y::Seq(_) => 1,
            Y::Map(_) => 2,
        },
    )
}

/// The ops of one file, by node (borrowed from the recorded list: a copy of every op's values was made for each
/// rewritten file).
#[derive(Default, Debug)]
pub struct Intent<'a> {
    ops: BTreeMap<NodeKey, Vec<&'a Op>>,
}

impl<'a> Intent<'a> {
    /// Builds the index from the recorded list (in recording order).
    pub fn new(list: &'a [(NodeKey, Op)]) -> Self {
        let mut ops: BTreeMap<NodeKey, Vec<&'a Op>> = BTreeMap::new();
        for (k, op) in list {
            ops.entry(*k).or_default().push(op);
        }
        Intent { ops }
    }

    /// True when no edit was planned.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// The value a node must have after the planned edits.
pub fn expected(n: &Node, intent: &Intent) -> Value {
    let mut v = match &n.value {
        Y::Scalar { .. } => n.to_json(),
        Y::Seq(items) => Value::Array(items.iter().map(|i| expected(i, intent)).collect()),
        Y::Map(entries) => Value::Object(entries.iter().map(|e| (e.key.clone(), expected(&e.value, intent))).collect()),
    };
    if let Some(ops) = intent.ops.get(&key(n)) {
        apply(&mut v, ops);
    }
    v
}

fn apply(v: &mut Value, ops: &[&Op]) {
    // Item removals name the input's indexes: take them first, from the back.
    let mut removals: Vec<usize> =
        ops.iter().filter_map(|o| if let Op::RemoveItem(i) = o { Some(*i) } else { None }).collect();
    removals.sort_unstable();
    removals.dedup();
    if let Value::Array(a) = v {
        for i in removals.into_iter().rev() {
            if i < a.len() {
                a.remove(i);
            }
        }
    }
    for op in ops {
        match op {
            Op::RemoveItem(_) => {}
            Op::Replace(x) => *v = x.clone(),
            Op::Insert(k, x) => {
                if v.is_null() {
                    *v = Value::Object(Default::default());
                }
                if let Value::Object(m) = v {
                    m.insert(k.clone(), x.clone());
                }
            }
            Op::Append(items) => {
                if v.is_null() {
                    *v = Value::Array(Vec::new());
                }
                if let Value::Array(a) = v {
                    a.extend(items.iter().cloned());
                }
            }
            Op::Remove(k) => {
                if let Value::Object(m) = v {
                    m.shift_remove(k);
                }
            }
        }
    }
}

/// Where the output first differs from the plan.
#[derive(Debug)]
struct Difference {
    /// Path from the object's root (`metadata.annotations`, `spec.template.spec.containers[0].env`).
    path: String,
    expected: String,
    found: String,
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

fn scalar_eq(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Y::Scalar { text: x, plain: p }, Y::Scalar { text: y, plain: q }) if p == q && x == y => true,
        _ => a.to_json() == b.to_json(),
    }
}

/// Compares an input node (with the planned ops) with the output's node.
fn compare(orig: &Node, intent: &Intent, out: &Node, path: &mut String) -> Result<(), Difference> {
    if intent.ops.contains_key(&key(orig)) {
        let want = expected(orig, intent);
        let got = out.to_json();
        return if want == got { Ok(()) } else { Err(first_difference(&want, &got, path)) };
    }
    match (&orig.value, &out.value) {
        (Y::Scalar { .. }, Y::Scalar { .. }) if scalar_eq(orig, out) => Ok(()),
        (Y::Seq(a), Y::Seq(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                let _ = std::fmt::Write::write_fmt(path, format_args!("[{i}]"));
                compare(x, intent, y, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (Y::Map(a), Y::Map(b)) if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.key == y.key) => {
            for (x, y) in a.iter().zip(b) {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&x.key);
                compare(&x.value, intent, &y.value, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => {
            // Different shapes, lengths or key order: the values decide (key order does not matter to Kubernetes).
            let (want, got) = (expected(orig, intent), out.to_json());
            if want == got { Ok(()) } else { Err(first_difference(&want, &got, path)) }
        }
    }
}

fn first_difference(want: &Value, got: &Value, path: &mut String) -> Difference {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in a {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                match b.get(k) {
                    Some(y) if x == y => {}
                    Some(y) => return first_difference(x, y, path),
                    None => return Difference { path: path.clone(), expected: short(x), found: "nothing".into() },
                }
                path.truncate(len);
            }
            if let Some((k, y)) = b.iter().find(|(k, _)| !a.contains_key(*k)) {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                return Difference { path: path.clone(), expected: "nothing".into(), found: short(y) };
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if x != y {
                    path.push_str(&format!("[{i}]"));
                    return first_difference(x, y, path);
                }
            }
        }
        _ => {}
    }
    Difference {
        path: if path.is_empty() { "(the whole object)".into() } else { path.clone() },
        expected: short(want),
        found: short(got),
    }
}

/// An object's identity, for messages.
fn identity(n: &Value) -> String {
    let s = |p: &[&str]| p.iter().try_fold(n, |v, k| v.get(k)).and_then(Value::as_str).unwrap_or("?").to_string();
    let ns = n.get("metadata").and_then(|m| m.get("namespace")).and_then(Value::as_str);
    format!(
        "{} {} `{}{}`",
        s(&["apiVersion"]),
        s(&["kind"]),
        ns.map(|n| format!("{n}/")).unwrap_or_default(),
        s(&["metadata", "name"])
    )
}

/// The documents' roots (a `List` is compared whole: a lost item shows as a difference under `items[i]`). An
/// alias in the input is expanded with the anchor's positions, so an op on the anchored text applies to both
/// copies — which is what YAML makes of the edited text.
fn objects(docs: &[Document]) -> Vec<&Node> {
    docs.iter().map(|d| &d.root).collect()
}

/// Checks a rewritten file against its input and the planned edits. `Err` carries the message of an internal
/// error: which object changed where, and how.
pub fn check(display: &str, input: &str, output: &str, list: &[(NodeKey, Op)]) -> Result<(), String> {
    if list.is_empty() && input == output {
        return Ok(());
    }
    let before = crate::yaml::parse_stream(input)
        .map_err(|e| format!("{display}: the input no longer parses ({} at line {})", e.message, e.pos.line))?;
    check_parsed(display, input, &before, output, list, &[])
}

/// [`check`] with the input's documents already parsed (the rewrite has them), and the documents the plan adds
/// at the end of the file (`added`: the output must end with exactly these, in this order).
pub fn check_parsed(
    display: &str,
    input: &str,
    before: &[Document],
    output: &str,
    list: &[(NodeKey, Op)],
    added: &[Value],
) -> Result<(), String> {
    if list.is_empty() && added.is_empty() && input == output {
        return Ok(());
    }
    let intent = Intent::new(list);
    let after = match crate::yaml::parse_stream(output) {
        Ok(d) => d,
        Err(e) => {
            return Err(format!(
                "{display}: the rewritten file is not valid YAML any more ({} at line {} of the output)",
                e.message, e.pos.line
            ));
        }
    };
    let (a, b) = (objects(before), objects(&after));
    for (i, x) in a.iter().enumerate() {
        // The object's name for the message, made only when there is one to write (it was a whole JSON copy of
        // every object, every run).
        let want_id = || identity(&x.to_json());
        let Some(y) = b.get(i) else {
            return Err(format!(
                "{display}: {} (document {} of {}) is missing from the rewritten file",
                want_id(),
                i + 1,
                a.len()
            ));
        };
        let mut path = String::new();
        if let Err(d) = compare(x, &intent, y, &mut path) {
            return Err(format!(
                "{display}: {} differs from the plan at `{}`: expected {}, found {}",
                want_id(),
                d.path,
                d.expected,
                d.found
            ));
        }
    }
    for (j, want) in added.iter().enumerate() {
        match b.get(a.len() + j) {
            Some(y) if y.to_json() == *want => {}
            Some(y) => {
                let mut path = String::new();
                let d = first_difference(want, &y.to_json(), &mut path);
                return Err(format!(
                    "{display}: the added {} differs from the plan at `{}`: expected {}, found {}",
                    identity(want),
                    d.path,
                    d.expected,
                    d.found
                ));
            }
            None => return Err(format!("{display}: the added {} is missing from the rewritten file", identity(want))),
        }
    }
    if b.len() > a.len() + added.len() {
        let extra = a.len() + added.len();
        return Err(format!(
            "{display}: the rewritten file has {} documents where the input has {} and the plan adds {} (the first extra is {})",
            b.len(),
            a.len(),
            added.len(),
            identity(&b[extra].to_json())
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: worker\n  namespace: app\n  annotations:\n    eks.amazonaws.com/sts-regional-endpoints: \"true\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: {mode: fast}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n";

    fn annotations_of(text: &str) -> Node {
        let docs = crate::yaml::parse_stream(text).unwrap();
        docs[0].root.path(&["metadata", "annotations"]).unwrap().clone()
    }

    /// Issue 17: the rewrite that replaced the annotations with `{}` and overwrote text up to the next flow
    /// mapping lost the ConfigMap; the verifier names it.
    #[test]
    fn a_lost_object_is_an_error_naming_it() {
        let ann = annotations_of(INPUT);
        let intent = vec![(key(&ann), Op::Replace(serde_json::json!({})))];
        let broken = INPUT.replace(
            "    eks.amazonaws.com/sts-regional-endpoints: \"true\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata: {mode: fast}",
            "    {}",
        );
        let e = check("in.yaml", INPUT, &broken, &intent).unwrap_err();
        assert!(e.contains("v1 ConfigMap `cfg`") || e.contains("documents"), "{e}");
        let fixed = INPUT.replace("    eks.amazonaws.com/sts-regional-endpoints: \"true\"", "    {}");
        check("in.yaml", INPUT, &fixed, &intent).unwrap();
    }

    #[test]
    fn an_unplanned_change_is_an_error_with_its_path() {
        let changed = INPUT.replace("mode: fast", "mode: slow");
        let e = check("in.yaml", INPUT, &changed, &[]).unwrap_err();
        assert!(e.contains("ConfigMap `cfg`") && e.contains("`data.mode`") && e.contains("\"slow\""), "{e}");
    }

    #[test]
    fn a_planned_edit_that_is_missing_is_an_error() {
        let ann = annotations_of(INPUT);
        let intent = vec![(key(&ann), Op::Insert("azure.workload.identity/client-id".into(), "x".into()))];
        let e = check("in.yaml", INPUT, INPUT, &intent).unwrap_err();
        assert!(e.contains("metadata.annotations") && e.contains("client-id"), "{e}");
    }

    #[test]
    fn a_string_that_becomes_a_boolean_is_an_error() {
        let changed = INPUT.replace("\"true\"", "true");
        let e = check("in.yaml", INPUT, &changed, &[]).unwrap_err();
        assert!(e.contains("sts-regional-endpoints"), "{e}");
    }

    /// Issue 18: the KEDA authentications the plan adds are the only extra documents allowed, at the end, as planned.
    #[test]
    fn added_documents_must_be_exactly_the_planned_ones() {
        let docs = crate::yaml::parse_stream(INPUT).unwrap();
        let auth = serde_json::json!({"kind": "TriggerAuthentication", "metadata": {"name": "a-b"}});
        let with = format!("{INPUT}---\nkind: TriggerAuthentication\nmetadata:\n  name: a-b\n");
        check_parsed("in.yaml", INPUT, &docs, &with, &[], std::slice::from_ref(&auth)).unwrap();
        let e = check_parsed("in.yaml", INPUT, &docs, &with, &[], &[]).unwrap_err();
        assert!(e.contains("first extra") && e.contains("a-b"), "{e}");
        let e = check_parsed("in.yaml", INPUT, &docs, INPUT, &[], std::slice::from_ref(&auth)).unwrap_err();
        assert!(e.contains("missing") && e.contains("a-b"), "{e}");
        let other = with.replace("name: a-b", "name: a-c");
        let e = check_parsed("in.yaml", INPUT, &docs, &other, &[], &[auth]).unwrap_err();
        assert!(e.contains("metadata.name"), "{e}");
    }

    #[test]
    fn removals_name_the_inputs_indexes_and_apply_before_appends() {
        let text = "env:\n  - a\n  - b\n  - c\n";
        let docs = crate::yaml::parse_stream(text).unwrap();
        let env = docs[0].root.get("env").unwrap();
        let list =
            [(key(env), Op::RemoveItem(2)), (key(env), Op::Append(vec!["d".into()])), (key(env), Op::RemoveItem(0))];
        let intent = Intent::new(&list);
        assert_eq!(expected(&docs[0].root, &intent), serde_json::json!({"env": ["b", "d"]}));
    }
}
