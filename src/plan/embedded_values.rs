//! Value edits inside values written over several lines (review 3, d5/d5j/d5s): an AWS URL or ARN in a YAML or
//! JSON document held in a ConfigMap `data` or Secret `stringData` value (Spring's `application.yaml`, a JSON
//! config), or in a multi-line env value. `edits::decide` gives every token of such a value by the value's position; the
//! renderer used to re-write the whole value after its block indicator, which broke the file. Here each token of a
//! literal block (`|`, `|-`, `|+`) becomes an [`Edit::Token`] at the token's own line and column: the value's lines
//! are mapped to the file's by `storage_text::embed_spans`, which checks every line against the file, so the
//! splice is exact by construction. A block whose positions cannot be mapped exactly (folded `>`, an indentation
//! indicator, tabs) gets no edit and E2A136, which says that the value stays as it is. Values on one line, and
//! quoted or plain values over several lines (re-written whole as one quoted string, the same text), keep every
//! [`Edit::Value`] of theirs (one per token, applied together) — unless the value also holds an AWS reference no
//! edit can rewrite: then it gets none and E2A138, never a value half on Azure and half on AWS.

use super::edits::{At, Decided, Edit, ObjectEdits, occurrences};
use super::storage_text::{Text, embed_spans, splice};
use crate::diag::{FileId, Files, Loc, Pos, Sink};
use crate::model::Model;
use crate::rules;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The configuration values by place (a block value may be on one line: `key: |-` then one line): key and text.
type Multi<'m> = BTreeMap<Loc, (&'m str, &'m str)>;

/// The references no edit rewrites, by the value that holds them beside rewritten ones (`Decided::unmapped`).
type Unmapped = BTreeMap<Loc, Vec<Arc<str>>>;

/// Places the value edits that fall in block values (see the module's doc); a file or object left with no edit
/// is not listed.
pub fn place(model: &Model, files: &Files, decided: &mut Decided, sink: &mut Sink) {
    let multi: Multi = model
        .config_data
        .iter()
        .flat_map(|c| &c.values)
        .chain(model.workloads.iter().flat_map(|w| &w.values))
        .map(|v| (v.loc, (&*v.key, &*v.text)))
        .collect();
    // A stack's storage config that E2A140 says stays as it is gets no edit inside it either (review 3, d4: a
    // value edit there read Loki's region as the container, and contradicted the finding).
    let left: BTreeSet<Loc> =
        sink.findings().iter().filter(|f| f.code == rules::STORAGE_CONFIG_LEFT_ON_S3).filter_map(|f| f.loc).collect();
    let unmapped = std::mem::take(&mut decided.unmapped);
    for f in decided.manifest.iter_mut().chain(decided.eks_side.iter_mut()) {
        let mut text: Option<Option<std::borrow::Cow<str>>> = None;
        for o in &mut f.objects {
            let inside = |e: &Edit| matches!(e, Edit::Value { at, .. } if multi.contains_key(&loc(f.file_id, *at)));
            if o.edits.iter().any(inside) {
                let t = text.get_or_insert_with(|| files.get(f.file_id).read_text().ok());
                let t = t.as_deref().map(Text::new);
                place_object(f.file_id, t.as_ref(), (&multi, &left, &unmapped), o, sink);
            } else if o.edits.iter().any(|e| matches!(e, Edit::Value { .. })) {
                place_object(f.file_id, None, (&multi, &left, &unmapped), o, sink);
            }
        }
        f.objects.retain(|o| !o.edits.is_empty());
    }
    decided.manifest.retain(|f| !f.objects.is_empty());
    decided.eks_side.retain(|f| !f.objects.is_empty());
}

fn loc(file: FileId, at: At) -> Loc {
    Loc { file, pos: at.pos() }
}

/// One object's edits, in their order (none in a storage config left as it is, `left`): the tokens of its block
/// values placed where the value's first edit was (or left, with E2A136); a value re-written whole (quoted or plain)
/// keeps every edit of its own (one per token), or none when it also holds a reference no edit rewrites
/// (`unmapped`, E2A138); every other edit as it is.
fn place_object(
    file: FileId,
    t: Option<&Text>,
    (multi, left, unmapped): (&Multi, &BTreeSet<Loc>, &Unmapped),
    o: &mut ObjectEdits,
    sink: &mut Sink,
) {
    let block = |at: &At| t.is_some_and(|t| multi.contains_key(&loc(file, *at)) && is_block(t, at.pos()));
    o.edits.retain(|e| !matches!(e, Edit::Value { at, .. } if left.contains(&loc(file, *at))));
    let mut groups: BTreeMap<At, Vec<(Arc<str>, String)>> = BTreeMap::new();
    let mut half: BTreeMap<At, Vec<(Arc<str>, String)>> = BTreeMap::new();
    for e in &o.edits {
        if let Edit::Value { at, token, with } = e {
            let pair = (token.clone(), with.clone());
            if block(at) {
                groups.entry(*at).or_default().push(pair);
            } else if unmapped.contains_key(&loc(file, *at)) {
                half.entry(*at).or_default().push(pair);
            }
        }
    }
    let what = format!("{} {}", o.kind, o.name);
    for (at, rewritten) in &half {
        let l = loc(file, *at);
        half_translated(&what, multi.get(&l).map(|(k, _)| *k), rewritten, &unmapped[&l], l, sink);
    }
    let mut out = Vec::with_capacity(o.edits.len());
    for e in std::mem::take(&mut o.edits) {
        match e {
            Edit::Value { at, .. } if groups.contains_key(&at) => {
                let tokens = groups.remove(&at).unwrap_or_default();
                let Some(t) = t else { continue };
                out.extend(placed(file, t, (at, multi[&loc(file, at)]), &tokens, &what, sink));
            }
            Edit::Value { at, .. } if block(&at) || half.contains_key(&at) => {}
            e => out.push(e),
        }
    }
    o.edits = out;
}

/// E2A138: a value re-written whole holds references the plan rewrites (`rewritten`) and ones no edit can
/// (`unmapped`); it is left whole.
fn half_translated(
    what: &str,
    key: Option<&str>,
    rewritten: &[(Arc<str>, String)],
    unmapped: &[Arc<str>],
    l: Loc,
    sink: &mut Sink,
) {
    let key = key.map_or_else(|| "a value".to_string(), |k| format!("`{}`", crate::text::truncate(k)));
    let mapped: Vec<String> = rewritten
        .iter()
        .map(|(t, w)| format!("`{}` → `{}`", crate::text::truncate(t), crate::text::truncate(w)))
        .collect();
    let other: Vec<String> = unmapped.iter().map(|t| format!("`{}`", crate::text::truncate(t))).collect();
    sink.push(
        rules::VALUE_LEFT_HALF_TRANSLATED,
        format!(
            "{what} {key}: the value holds AWS references the plan rewrites ({}) and ones it cannot ({}: no Azure counterpart in the plan); rewriting only some would leave it half on AWS, so it stays as it is: split it, or change it by hand",
            mapped.join(", "),
            other.join(", ")
        ),
        Some(l),
    );
}

/// The token edits of one block value, or none and E2A136 for each token.
fn placed(
    file: FileId,
    t: &Text,
    (at, (key, value)): (At, (&str, &str)),
    tokens: &[(Arc<str>, String)],
    what: &str,
    sink: &mut Sink,
) -> Vec<Edit> {
    match tokens_in_place(t, at, value, tokens) {
        Ok(edits) => edits,
        Err(how) => {
            for (token, with) in tokens {
                sink.push(
                    rules::VALUE_NOT_REWRITTEN_IN_PLACE,
                    format!(
                        "{what} `{key}`: the value is {how}, so the place of `{token}` in the file cannot be computed exactly; it stays as it is: replace it by hand with `{with}`"
                    ),
                    Some(loc(file, at)),
                );
            }
            Vec::new()
        }
    }
}

/// Whether the scalar at `pos` is a block scalar: its text starts a line (after spaces only), and the line before
/// its first line (blank lines aside) ends with a block indicator (`|`, `>`, with chomping or indentation).
fn is_block(t: &Text, pos: Pos) -> bool {
    let line = t.line(pos.line);
    if !line.chars().take(pos.col.saturating_sub(1) as usize).all(|c| c == ' ') {
        return false;
    }
    (1..pos.line).rev().map(|l| t.line(l)).find(|l| !l.trim().is_empty()).and_then(indicator).is_some()
}

/// The block indicator a line ends with (its comment aside): `|`, `>`, `|-`, `>+2`…
fn indicator(line: &str) -> Option<&str> {
    let line = line.split(" #").next().unwrap_or(line).trim_end();
    let last = line.rsplit([' ', '\t']).next()?;
    let ok = last.starts_with(['|', '>']) && last.len() <= 3 && last[1..].chars().all(|c| "+-123456789".contains(c));
    ok.then_some(last)
}

/// The edits that replace `tokens` wherever they stand whole in the block value at `at`, each at its own place in
/// the file; or why that cannot be done exactly.
fn tokens_in_place(t: &Text, at: At, value: &str, tokens: &[(Arc<str>, String)]) -> Result<Vec<Edit>, String> {
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    let mut which: Vec<Arc<str>> = Vec::new();
    for (token, with) in tokens {
        let found = occurrences(value, token);
        if found.is_empty() {
            return Err("not written as the text it reads as (an escape or a line break inside the reference)".into());
        }
        for i in found {
            spans.push((i, i + token.len(), with.clone()));
            which.push(token.clone());
        }
    }
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| spans[i].0);
    if order.windows(2).any(|w| spans[w[1]].0 < spans[w[0]].1) {
        return Err("holding references that overlap".into());
    }
    let reads: Arc<str> = splice(value, &spans).ok_or("holding references that overlap")?.into();
    let Some(outer) = embed_spans(t, at.pos(), value, &spans) else {
        return Err(how_written(t, at.pos()));
    };
    let edits = order.into_iter().map(|i| {
        let p = t.pos(outer[i].0);
        Edit::Token {
            at: At { line: p.line, col: p.col },
            token: which[i].clone(),
            with: outer[i].2.clone(),
            value_at: at,
            reads: reads.clone(),
        }
    });
    Ok(edits.collect())
}

/// How a block value that cannot be mapped line by line is written, for the finding.
fn how_written(t: &Text, pos: Pos) -> String {
    let header = (1..pos.line).rev().map(|l| t.line(l)).find(|l| !l.trim().is_empty()).and_then(indicator);
    match header {
        Some(h) if h.starts_with('>') => "a folded block scalar (`>`), whose line breaks are joined when read".into(),
        Some(h) if h.chars().any(|c| c.is_ascii_digit()) => "a block scalar with an indentation indicator".into(),
        _ => "a block scalar whose lines do not match its text (tabs, or an indentation the file does not show)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_indicators_are_told_from_other_line_ends() {
        for l in ["  app.yaml: |", "  a: |-", "  a: >+", "  a: |2 # c", "- |"] {
            assert!(indicator(l).is_some(), "{l}");
        }
        for l in ["  a: b", "  a: x|", "  a:", "  a: '|'"] {
            assert!(indicator(l).is_none(), "{l}");
        }
    }

    #[test]
    fn a_token_is_found_only_whole() {
        let url = "https://sqs.us-east-1.amazonaws.com/1/jobs";
        let text = format!("a: {url}-dlq\nb: \"{url}\"\nc: {url}\n");
        assert_eq!(occurrences(&text, url).len(), 2);
    }

    #[test]
    fn tokens_land_on_their_own_line_and_column() {
        let file = "data:\n  app.yaml: |\n    worker:\n      queue: https://q/jobs  # c\n";
        let t = Text::new(file);
        let at = At { line: 3, col: 5 };
        let value = "worker:\n  queue: https://q/jobs  # c\n";
        let e = tokens_in_place(&t, at, value, &[("https://q/jobs".into(), "https://az/jobs".into())]).unwrap();
        let Edit::Token { at, reads, .. } = &e[0] else { panic!("{e:?}") };
        assert_eq!((at.line, at.col), (4, 14));
        assert_eq!(&**reads, "worker:\n  queue: https://az/jobs  # c\n");
        let folded = Text::new("data:\n  a: >\n    x https://q/jobs\n");
        let err = tokens_in_place(
            &folded,
            At { line: 3, col: 5 },
            "x https://q/jobs\n",
            &[("https://q/jobs".into(), "y".into())],
        );
        assert!(err.unwrap_err().contains("folded"));
    }
}
