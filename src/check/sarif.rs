//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF readers. Every rule is described (with
//! help text), results carry regions, waived results carry an in-source suppression, and partial fingerprints are
//! derived from the rule, file and message (not the line), so alerts stay the same across commits that move code.

use super::Report;
use crate::diag::Severity;
use crate::plan::FindingEntry;
use crate::rules;
use serde::Serialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::io::Write;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn fingerprint(code: &str, file: &str, message: &str) -> String {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6e6b_7332_616b_7300_8000_0000_0000_0002);
    uuid::Uuid::new_v5(&NS, format!("{code}\u{0}{file}\u{0}{message}").as_bytes()).simple().to_string()
}

/// The SARIF log.
pub fn render(r: &Report) -> String {
    let mut out = Vec::new();
    write(&r.findings, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`render`], streamed to `out`. SARIF carries only the findings (not the ledger), so it can be written before
/// the rest of the report is done.
pub fn write(findings: &[FindingEntry], out: &mut dyn Write) -> std::io::Result<()> {
    let rule_list: Vec<Value> = rules::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.what },
                "fullDescription": { "text": format!("{} {}", rule.what, rule.why) },
                "help": {
                    "text": format!("{}\n\nWhy it matters: {}\n\nFix: {}", rule.what, rule.why, rule.fix),
                    "markdown": format!("**What it does**: {}\n\n**Why it matters**: {}\n\n**Fix**: {}\n\nWaive for one object: `eks2aks.dev/ignore: \"{}: <reason>\"`", rule.what, rule.why, rule.fix, rule.code),
                },
                "defaultConfiguration": { "level": level(rule.severity) },
            })
        })
        .collect();
    // The skeleton is typed, not `json!`: `json!` would turn the results into a `Value` tree first (that tree was
    // most of `check`'s memory on 50,000 findings); this way each result is serialised as it is written.
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({ "driver": {
                "name": "eks2aks",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/eks2aks/eks2aks",
                "rules": rule_list,
            }}),
            original_uri_base_ids: json!({
                "%SRCROOT%": { "description": { "text": "The directory eks2aks check ran in." } }
            }),
            results: Results(findings),
        }],
    };
    crate::json::write_pretty(&log, out)
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    original_uri_base_ids: Value,
    results: Results<'a>,
}

/// The results, serialised one by one as they are written (50,000 findings are not first built as a tree).
struct Results<'a>(&'a [FindingEntry]);

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(result))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<[Location; 1]>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Physical,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    start_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "eks2aks/v1")]
    v1: String,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    justification: &'a str,
}

/// Characters kept as they are in a SARIF URI path: RFC 3986 unreserved ones and `/`.
const URI_PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A file's SARIF location: relative paths (the usual case) against `%SRCROOT%`, absolute ones as `file://` URIs;
/// both percent-encoded, so a space or `#` in a path still makes a valid URI.
fn artifact(file: &str) -> Artifact {
    let encoded = percent_encoding::utf8_percent_encode(file, URI_PATH).to_string();
    if file.starts_with('/') {
        Artifact { uri: format!("file://{encoded}"), uri_base_id: None }
    } else {
        Artifact { uri: encoded, uri_base_id: Some("%SRCROOT%") }
    }
}

fn result(f: &FindingEntry) -> SarifResult<'_> {
    let message = match &f.help {
        Some(h) => Cow::Owned(format!("{}\n{h}", f.message)),
        None => Cow::Borrowed(&*f.message),
    };
    let locations = f.file.as_deref().map(|file| {
        let region = (f.line().is_some() || f.column().is_some())
            .then_some(Region { start_line: f.line(), start_column: f.column() });
        [Location { physical_location: Physical { artifact_location: artifact(file), region } }]
    });
    SarifResult {
        rule_id: f.code,
        rule_index: rules::ALL.iter().position(|x| x.code == f.code).unwrap_or(0),
        level: level(f.severity),
        message: Text { text: message },
        locations,
        partial_fingerprints: Fingerprints { v1: fingerprint(f.code, f.file.as_deref().unwrap_or(""), &f.message) },
        suppressions: f.suppressed.as_deref().map(|r| [Suppression { kind: "inSource", justification: r }]),
    }
}
