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
        // Waivers are separated by `;` or new lines; a `;` inside a reason (not followed by a rule) stays in it.
        let mut parts: Vec<String> = Vec::new();
        for piece in text.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let starts_rule = piece.split(':').next().is_some_and(|c| rules::by_code(c.trim()).is_some());
            match parts.last_mut() {
                Some(last) if !starts_rule => {
                    last.push_str("; ");
                    last.push_str(piece);
                }
                _ => parts.push(piece.to_string()),
            }
        }
        for part in parts.iter().map(String::as_str) {
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
