//! `--format gitlab`: GitLab's Code Quality report, the JSON array a merge request's Code Quality widget reads
//! (`artifacts: reports: codequality:`). Fields as GitLab documents them
//! (<https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>): `description`, `check_name`,
//! `fingerprint`, `severity` (`info`, `minor`, `major`, `critical` or `blocker`), `location.path` and
//! `location.lines.begin`. GitLab shows only the first issue of a fingerprint, so each issue's is unique: derived
//! from the rule, file and message (not the line, so an issue keeps it when code moves) and, for identical
//! findings, their order. Waived findings are left out (GitLab has no suppression).

use super::Report;
use crate::diag::Severity;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// error fails the gate by default: `critical`; warning: `minor`; note: `info`.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

fn fingerprint(code: &str, file: &str, message: &str, n: usize) -> String {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6e6b_7332_616b_7300_8000_0000_0000_0003);
    uuid::Uuid::new_v5(&NS, format!("{code}\u{0}{file}\u{0}{message}\u{0}{n}").as_bytes()).simple().to_string()
}

/// The Code Quality report of `r`.
pub fn render(r: &Report) -> String {
    let mut seen: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let issues: Vec<Value> = r
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| {
            // A finding about the run as a whole (no file) is put on the config file's place, the repository root.
            let path = f.file.as_deref().unwrap_or(".");
            let n = seen.entry((f.code, path, &f.message)).or_insert(0);
            *n += 1;
            json!({
                "description": format!("{} {}: {}", f.code, f.rule(), crate::text::escape(&f.message)),
                "check_name": f.code,
                "fingerprint": fingerprint(f.code, path, &f.message, *n),
                "severity": severity(f.severity),
                "location": { "path": path, "lines": { "begin": f.line().unwrap_or(1) } },
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Value::Array(issues)).expect("a JSON value serialises");
    s.push('\n');
    s
}
