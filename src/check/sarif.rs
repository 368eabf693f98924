//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF readers. Every rule is described (with
//! help text), results carry regions, waived results carry an in-source suppression, and partial fingerprints are
//! derived from the rule, file and message (not the line), so alerts stay the same across commits that move code.

use super::Report;
use crate::diag::Severity;
use crate::rules;
use serde_json::{Value, json};

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
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let index = rules::ALL.iter().position(|x| x.code == f.code).unwrap_or(0);
            let mut res = json!({
                "ruleId": f.code,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": match &f.help { Some(h) => format!("{}\n{h}", f.message), None => f.message.clone() } },
            });
            if let Some(file) = &f.file {
                let mut region = serde_json::Map::new();
                if let Some(l) = f.line {
                    region.insert("startLine".into(), json!(l));
                }
                if let Some(c) = f.column {
                    region.insert("startColumn".into(), json!(c));
                }
                let mut physical = json!({ "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" } });
                if !region.is_empty() {
                    physical["region"] = Value::Object(region);
                }
                res["locations"] = json!([{ "physicalLocation": physical }]);
                res["partialFingerprints"] = json!({ "eks2aks/v1": fingerprint(&f.code, file, &f.message) });
            } else {
                res["partialFingerprints"] = json!({ "eks2aks/v1": fingerprint(&f.code, "", &f.message) });
            }
            if let Some(reason) = &f.suppressed {
                res["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
            }
            res
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "eks2aks",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/eks2aks/eks2aks",
                "rules": rule_list,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The directory eks2aks check ran in." } } },
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("serialises");
    s.push('\n');
    s
}
