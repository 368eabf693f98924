//! Waivers: a Kubernetes object may waive a rule for itself with the annotation
//! `eks2aks.dev/ignore: "E2A005: reason"` (several separated by `;`). The reason is required. A waived finding
//! is kept, marked suppressed, so JSON and SARIF still show it.

use crate::diag::{FileId, Finding, Loc, Pos, Sink};
use crate::model::Model;
use crate::rules;

/// The annotation key.
pub const ANNOTATION: &str = crate::model::WAIVER_ANNOTATION;

/// One waiver: the object's extent, the rule and the reason.
#[derive(Debug, Clone)]
pub struct Waiver {
    file: FileId,
    start: Pos,
    end: Pos,
    code: &'static str,
    reason: String,
}

/// Reads every waiver; malformed ones are reported (E2A032) and not applied.
pub fn collect(model: &Model, sink: &mut Sink) -> Vec<Waiver> {
    let mut out = Vec::new();
    for o in &model.objects {
        let Some((text, pos)) = o.waiver.as_deref() else { continue };
        let loc = Loc { file: o.loc.file, pos: *pos };
        let Some(text) = text else {
            sink.push(rules::INVALID_WAIVER, format!("`{ANNOTATION}` must be a string"), Some(loc));
            continue;
        };
        for part in split(text).iter().map(String::as_str) {
            let (code, reason) = part.split_once(':').map_or((part, ""), |(c, r)| (c.trim(), r.trim()));
            match rules::by_code(code) {
                Some(rule) if !reason.is_empty() && rule.code != rules::MALFORMED_INPUT => out.push(Waiver {
                    file: o.loc.file,
                    start: o.loc.pos,
                    end: o.end,
                    code: rule.code,
                    reason: reason.to_string(),
                }),
                Some(_) if reason.is_empty() => {
                    sink.push(
                        rules::INVALID_WAIVER,
                        format!("waiver `{part}` on {} {} has no reason; it is not applied", o.kind, o.name),
                        Some(loc),
                    );
                }
                _ => {
                    sink.push(
                        rules::INVALID_WAIVER,
                        format!("waiver `{part}` on {} {} names no rule that can be waived", o.kind, o.name),
                        Some(loc),
                    );
                }
            }
        }
    }
    out
}

/// The waivers of one annotation: separated by `;` or new lines. A `;` inside a reason stays in it unless what
/// follows starts with something shaped like a rule code (`E2A` and digits, then `:`), known or not — an unknown
/// code is then its own waiver and reported (E2A032), never absorbed into the previous reason (review 3, d15).
fn split(text: &str) -> Vec<String> {
    let code_shaped = |c: &str| {
        let c = c.trim();
        c.len() > 3 && c[..3].eq_ignore_ascii_case("E2A") && c[3..].bytes().all(|b| b.is_ascii_digit())
    };
    let mut parts: Vec<String> = Vec::new();
    for piece in text.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let starts_rule = piece.split_once(':').is_some_and(|(c, _)| code_shaped(c));
        match parts.last_mut() {
            Some(last) if !starts_rule => {
                last.push_str("; ");
                last.push_str(piece);
            }
            _ => parts.push(piece.to_string()),
        }
    }
    parts
}

/// Extends the waivers of ServiceAccounts to the IAM roles they name: a finding about a role (located at the role
/// in its IAM file, such as E2A045 or E2A053) can only be waived from Kubernetes, so a ServiceAccount's waiver
/// covers the findings located at its role too (`pairs`: ServiceAccount location, role location).
pub fn extend_to_roles(waivers: &mut Vec<Waiver>, pairs: impl Iterator<Item = (Loc, Loc)>) {
    let mut more = Vec::new();
    for (sa, role) in pairs {
        for w in waivers.iter().filter(|w| w.file == sa.file && w.start <= sa.pos && sa.pos <= w.end) {
            more.push(Waiver {
                file: role.file,
                start: role.pos,
                end: role.pos,
                code: w.code,
                reason: w.reason.clone(),
            });
        }
    }
    waivers.extend(more);
}

/// The reason of the waiver that covers a finding, if any.
pub fn waiver_for<'a>(waivers: &'a [Waiver], f: &Finding) -> Option<&'a str> {
    let loc = f.loc?;
    waivers
        .iter()
        .find(|w| w.code == f.code && w.file == loc.file && w.start <= loc.pos && loc.pos <= w.end)
        .map(|w| w.reason.as_str())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_semicolon_splits_only_before_a_code_shaped_rule() {
        assert_eq!(
            split("E2A104: metric moved by hand in PR 42; E2A410: typo of a code"),
            vec!["E2A104: metric moved by hand in PR 42", "E2A410: typo of a code"]
        );
        assert_eq!(split("E2A005: public data; no credentials"), vec!["E2A005: public data; no credentials"]);
        assert_eq!(split("E2A005: a\ne2a036: b; see: the runbook"), vec!["E2A005: a", "e2a036: b; see: the runbook"]);
        assert_eq!(split(" ; E2A: x"), vec!["E2A: x"]);
    }
}
