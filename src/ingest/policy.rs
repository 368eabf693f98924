//! The IAM policy grammar: Statement as object or array; Action/NotAction, Resource/NotResource,
//! Principal/NotPrincipal in all forms; Condition blocks with every operator family (`…IfExists`,
//! `ForAnyValue:`/`ForAllValues:`); string-or-array values. A document may also arrive as a JSON string, URL-encoded
//! as IAM's raw API returns it.

use super::intern::intern;
use crate::diag::{FileId, Loc, Sink};
use crate::model::*;
use crate::rules;
use crate::yaml::{self, Node, Value};

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

const STATEMENT_KEYS: &[&str] =
    &["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"];

/// Parses a condition operator into its parts; `None` for an unknown operator.
pub fn parse_operator(raw: &str) -> Option<ConditionOp> {
    let (set, rest) = if let Some(r) = raw.strip_prefix("ForAnyValue:") {
        (Some(SetOp::AnyValue), r)
    } else if let Some(r) = raw.strip_prefix("ForAllValues:") {
        (Some(SetOp::AllValues), r)
    } else {
        (None, raw)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) if b != "Null" => (b, true),
        _ => (rest, false),
    };
    OPERATORS.contains(&base).then(|| ConditionOp { raw: intern(raw), base: intern(base), if_exists, set })
}

fn loc(file: FileId, n: &Node) -> Loc {
    Loc { file, pos: n.pos }
}

/// A document given as a string (JSON, possibly URL-encoded): parsed with every position set to the string's.
fn embedded(file: FileId, node: &Node, sink: &mut Sink) -> Option<Node> {
    let raw = node.as_str()?;
    let text = if raw.trim_start().starts_with('%') || raw.contains("%22") || raw.contains("%7B") {
        percent_encoding::percent_decode_str(&raw.replace('+', " ")).decode_utf8_lossy().into_owned()
    } else {
        raw.to_string()
    };
    match yaml::parse_stream(&text) {
        Ok(mut docs) if docs.len() == 1 => {
            let mut n = docs.remove(0).root;
            reposition(&mut n, node.pos);
            Some(n)
        }
        Ok(_) => {
            sink.push(
                rules::MALFORMED_INPUT,
                "policy document string does not hold one JSON document",
                Some(loc(file, node)),
            );
            None
        }
        Err(e) => {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("policy document string is not valid JSON: {}", e.message),
                Some(loc(file, node)),
            );
            None
        }
    }
}

fn reposition(n: &mut Node, pos: crate::diag::Pos) {
    n.pos = pos;
    n.end = pos;
    match &mut n.value {
        Value::Scalar { .. } => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| reposition(i, pos)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            e.key_pos = pos;
            reposition(&mut e.value, pos)
        }),
    }
}

/// Reads a policy document (object, or JSON string). Problems are findings; `None` when it is unusable.
pub fn read_document(file: FileId, node: &Node, sink: &mut Sink) -> Option<PolicyDocument> {
    let owned;
    let node = if matches!(node.value, Value::Scalar { .. }) {
        owned = embedded(file, node, sink)?;
        &owned
    } else {
        node
    };
    if node.as_map().is_none() {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("policy document must be an object, found {}", node.type_name()),
            Some(loc(file, node)),
        );
        return None;
    }
    let Some(st) = node.get("Statement") else {
        sink.push(rules::MALFORMED_INPUT, "policy document has no `Statement`", Some(loc(file, node)));
        return None;
    };
    let items: Vec<&Node> = match &st.value {
        Value::Map(_) => vec![st],
        Value::Seq(items) => items.iter().collect(),
        _ => {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("`Statement` must be an object or a list of objects, found {}", st.type_name()),
                Some(loc(file, st)),
            );
            return None;
        }
    };
    // Exact capacities: a large export holds 100,000 statements, most documents one to three, and a pushed-to
    // `Vec` reserves four.
    let mut statements = Vec::with_capacity(items.len());
    let mut ok = true;
    for s in items {
        match read_statement(file, s, sink) {
            Some(st) => statements.push(std::sync::Arc::new(st)),
            None => ok = false,
        }
    }
    ok.then_some(PolicyDocument { statements, loc: loc(file, node) })
}

/// Reads one statement. Each part is read in turn — its keys, `Effect`, the action list, the resource list, the
/// principal, the conditions — and each problem reported where it is: every part is read even after one is wrong
/// (a bad `Effect` hid a bad action after it), so that one run reports them all. A statement with any problem is
/// dropped: `None`.
fn read_statement(file: FileId, s: &Node, sink: &mut Sink) -> Option<Statement> {
    let Some(entries) = s.as_map() else {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("a statement must be an object, found {}", s.type_name()),
            Some(loc(file, s)),
        );
        return None;
    };
    let mut ok = known_statement_keys(file, entries, sink);
    let effect = read_effect(file, s, sink);
    let action = match pattern_list(file, s, "Action", "NotAction", sink) {
        Some(Some(a)) => {
            ok &= well_formed_actions(file, &a, sink);
            Some(a)
        }
        Some(None) => {
            sink.push(rules::MALFORMED_INPUT, "statement has neither `Action` nor `NotAction`", Some(loc(file, s)));
            None
        }
        None => None,
    };
    let resource = pattern_list(file, s, "Resource", "NotResource", sink);
    let principal = read_principal(file, s, sink);
    let mut conditions = Vec::new();
    if let Some(c) = s.get("Condition") {
        ok &= read_conditions(file, c, &mut conditions, sink) == Some(true);
    }
    let (Some(effect), Some(action), Some(resource), Some(principal), true) = (effect, action, resource, principal, ok)
    else {
        return None;
    };
    conditions.shrink_to_fit();
    Some(Statement {
        sid: s.get("Sid").and_then(Node::as_str).map(str::to_string),
        effect,
        action,
        resource,
        principal: principal.map(Box::new),
        conditions,
        loc: loc(file, s),
    })
}

/// Whether every key of the statement is one IAM knows ([`STATEMENT_KEYS`]); each other key is reported.
fn known_statement_keys(file: FileId, entries: &[yaml::Entry], sink: &mut Sink) -> bool {
    let mut ok = true;
    for e in entries {
        if !STATEMENT_KEYS.contains(&e.key.as_str()) {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("unknown statement key `{}`", e.key),
                Some(Loc { file, pos: e.key_pos }),
            );
            ok = false;
        }
    }
    ok
}

/// `Effect`: `"Allow"` or `"Deny"`; anything else, or none, is reported and `None`.
fn read_effect(file: FileId, s: &Node, sink: &mut Sink) -> Option<Effect> {
    match s.get("Effect").map(|n| (n, n.as_str())) {
        Some((_, Some("Allow"))) => Some(Effect::Allow),
        Some((_, Some("Deny"))) => Some(Effect::Deny),
        Some((n, v)) => {
            sink.push(
                rules::MALFORMED_INPUT,
                format!(
                    "`Effect` must be \"Allow\" or \"Deny\", found {}",
                    v.map_or_else(|| n.type_name().to_string(), |v| format!("{v:?}"))
                ),
                Some(loc(file, n)),
            );
            None
        }
        None => {
            sink.push(rules::MALFORMED_INPUT, "statement has no `Effect`", Some(loc(file, s)));
            None
        }
    }
}

/// Whether every action is `*` or `service:action` (a service prefix without wildcards); each other is reported.
fn well_formed_actions(file: FileId, action: &PatternList, sink: &mut Sink) -> bool {
    let mut ok = true;
    for (a, l) in action.located(file) {
        if a != "*"
            && !a.split_once(':').is_some_and(|(p, n)| !p.is_empty() && !n.is_empty() && !p.contains(['*', '?']))
        {
            sink.push(rules::MALFORMED_INPUT, format!("action {a:?} is not `service:action` or `*`"), Some(l));
            ok = false;
        }
    }
    ok
}

/// Reads a `Condition` block into `conditions`, one per operator and key. `None` when the block is not a mapping
/// (reported); otherwise whether every operator is known and maps keys to values, and every key has a string or a
/// list of strings (each problem reported, the other conditions still read).
fn read_conditions(file: FileId, c: &Node, conditions: &mut Vec<Condition>, sink: &mut Sink) -> Option<bool> {
    let Some(ops) = c.as_map() else {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("`Condition` must be an object, found {}", c.type_name()),
            Some(loc(file, c)),
        );
        return None;
    };
    let mut ok = true;
    for op in ops {
        let Some(parsed) = parse_operator(&op.key) else {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("unknown condition operator `{}`", op.key),
                Some(Loc { file, pos: op.key_pos }),
            );
            ok = false;
            continue;
        };
        let Some(keys) = op.value.as_map() else {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("condition `{}` must map keys to values", op.key),
                Some(loc(file, &op.value)),
            );
            ok = false;
            continue;
        };
        for k in keys {
            let mut bad = false;
            let values = k.value.strs(&mut |_| bad = true);
            if bad {
                sink.push(
                    rules::MALFORMED_INPUT,
                    format!("condition key `{}` must have a string or a list of strings", k.key),
                    Some(loc(file, &k.value)),
                );
                ok = false;
            }
            conditions.push(Condition {
                op: parsed.clone(),
                key: intern(&k.key),
                values: values.into_iter().map(|(v, _)| intern(v)).collect(),
                loc: Loc { file, pos: k.key_pos },
            });
        }
    }
    Some(ok)
}

/// `Some(None)` when neither key is present; `None` when malformed (already reported).
fn pattern_list(file: FileId, s: &Node, key: &str, not_key: &str, sink: &mut Sink) -> Option<Option<PatternList>> {
    let (node, not) = match (s.get(key), s.get(not_key)) {
        (Some(_), Some(n)) => {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("statement has both `{key}` and `{not_key}`"),
                Some(loc(file, n)),
            );
            return None;
        }
        (Some(n), None) => (n, false),
        (None, Some(n)) => (n, true),
        (None, None) => return Some(None),
    };
    let mut bad = None;
    let items = node.strs(&mut |n| bad = Some(n.pos));
    if let Some(pos) = bad {
        let k = if not { not_key } else { key };
        sink.push(
            rules::MALFORMED_INPUT,
            format!("`{k}` must be a string or a list of strings"),
            Some(Loc { file, pos }),
        );
        return None;
    }
    Some(Some(PatternList { not, items: items.into_iter().map(|(v, pos)| (intern(v), pos)).collect() }))
}

fn read_principal(file: FileId, s: &Node, sink: &mut Sink) -> Option<Option<Principal>> {
    let (node, not) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(n), None) => (n, false),
        (None, Some(n)) => (n, true),
        (None, None) => return Some(None),
        (Some(_), Some(n)) => {
            sink.push(rules::MALFORMED_INPUT, "statement has both `Principal` and `NotPrincipal`", Some(loc(file, n)));
            return None;
        }
    };
    if node.as_str() == Some("*") {
        return Some(Some(Principal { not, any: true, entries: Vec::new() }));
    }
    let Some(map) = node.as_map() else {
        sink.push(rules::MALFORMED_INPUT, "`Principal` must be \"*\" or an object", Some(loc(file, node)));
        return None;
    };
    let mut entries = Vec::new();
    for e in map {
        if !matches!(e.key.as_str(), "AWS" | "Federated" | "Service" | "CanonicalUser") {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("unknown principal type `{}`", e.key),
                Some(Loc { file, pos: e.key_pos }),
            );
            return None;
        }
        let mut bad = false;
        for (v, _) in e.value.strs(&mut |_| bad = true) {
            entries.push((intern(&e.key), intern(v)));
        }
        if bad {
            sink.push(
                rules::MALFORMED_INPUT,
                format!("principal `{}` must be a string or a list of strings", e.key),
                Some(loc(file, &e.value)),
            );
            return None;
        }
    }
    Some(Some(Principal { not, any: false, entries }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Pos;

    fn doc(src: &str) -> (Option<PolicyDocument>, Sink) {
        let mut sink = Sink::default();
        let root = yaml::parse_stream(src).unwrap().remove(0).root;
        (read_document(FileId(0), &root, &mut sink), sink)
    }

    #[test]
    fn operators_split_into_parts() {
        let op = parse_operator("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(&*op.base, "StringLike");
        assert!(op.if_exists);
        assert_eq!(op.set, Some(SetOp::AnyValue));
        assert_eq!(&*parse_operator("Null").unwrap().base, "Null");
        assert!(parse_operator("StringEqualz").is_none());
        assert!(parse_operator("NullIfExists").is_none());
    }

    #[test]
    fn statement_object_or_array_and_string_or_list() {
        let (d, s) = doc(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["a","b"]}}"#,
        );
        let d = d.unwrap();
        assert!(s.findings().is_empty());
        assert_eq!(d.statements.len(), 1);
        assert_eq!(d.statements[0].resource.as_ref().unwrap().items.len(), 2);
    }

    #[test]
    fn bad_effect_is_reported_at_its_value() {
        let (d, s) = doc("Statement:\n  - Effect: Maybe\n    Action: '*'\n");
        assert!(d.is_none());
        let f = &s.findings()[0];
        assert_eq!(f.code, rules::MALFORMED_INPUT);
        assert_eq!(f.loc.unwrap().pos, Pos { line: 2, col: 13 });
    }

    #[test]
    fn url_encoded_documents_are_read() {
        let (d, s) = doc(
            r#""%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22x%22%7D%2C%22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%7D%5D%7D""#,
        );
        assert!(s.findings().is_empty(), "{:?}", s.findings());
        let d = d.unwrap();
        assert_eq!(d.statements[0].principal.as_ref().unwrap().entries[0], ("Federated".into(), "x".into()));
    }

    #[test]
    fn principal_forms() {
        let (d, _) = doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":["a","b"]},"NotAction":"s3:*","NotResource":"x"}]}"#,
        );
        let d = d.unwrap();
        assert!(d.statements[0].principal.as_ref().unwrap().any);
        let p = d.statements[1].principal.as_ref().unwrap();
        assert!(p.not);
        assert_eq!(p.entries.len(), 2);
        assert!(d.statements[1].action.not);
        assert!(d.statements[1].resource.as_ref().unwrap().not);
    }

    /// A statement's parts are all read and each problem reported, each at its place: a bad `Effect` stopped the
    /// statement there, hiding a bad action, resource list, principal and `Condition` after it.
    #[test]
    fn every_problem_of_a_statement_is_reported() {
        let (d, s) = doc(
            "Statement:\n  - Effect: Maybe\n    Action: [s3GetObject]\n    Resource: [[x]]\n    Principal: {Nobody: x}\n    Condition: 1\n",
        );
        assert!(d.is_none());
        let at: Vec<(u32, u32)> =
            s.findings().iter().map(|f| (f.loc.unwrap().pos.line, f.loc.unwrap().pos.col)).collect();
        assert_eq!(at, [(2, 13), (3, 14), (4, 16), (5, 17), (6, 16)], "{:?}", s.findings());
    }

    #[test]
    fn statement_as_number_is_malformed() {
        let (d, s) = doc(r#"{"Statement": 5}"#);
        assert!(d.is_none());
        assert!(s.findings()[0].message.contains("found a scalar"));
    }
}
