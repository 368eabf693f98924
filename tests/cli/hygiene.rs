//! Output hygiene: values from input holding terminal escapes, other control characters, bidi overrides, forged
//! CI annotations (`\n::error file=…`) or Markdown/HTML syntax are printed as visible, inert text in every text
//! output; JSON and SARIF keep them exactly (escaped by serde_json). Inputs: `testdata/hostile/`.

use super::{eks2aks, run};
use std::path::Path;

const HOSTILE: &str = "testdata/hostile/output-injection";

/// Fails when `out` holds a character that could drive a terminal or reorder text, or a line a CI runner would
/// read as a command.
#[track_caller]
fn assert_inert(what: &str, out: &str) {
    for (i, c) in out.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}');
        let from = (0..=i.saturating_sub(60)).rev().find(|&k| out.is_char_boundary(k)).unwrap_or(0);
        assert!(!bad, "{what}: raw {c:?} at byte {i}: …{}…", &out[from..i]);
    }
    for line in out.lines() {
        let t = line.trim_start();
        assert!(!t.starts_with("::") && !t.starts_with("##["), "{what}: a line reads as a CI command: {line}");
    }
}

/// A line without its code spans (where `<img>` and `[x](y)` are literal text). A backslash-escaped backtick opens
/// none.
fn outside_code_spans(line: &str) -> String {
    let b = line.as_bytes();
    let (mut out, mut i) = (String::new(), 0);
    while i < b.len() {
        match b[i] {
            b'\\' => {
                out.push_str(&line[i..(i + 2).min(b.len())]);
                i += 2;
            }
            b'`' => {
                let run = b[i..].iter().take_while(|&&c| c == b'`').count();
                // The span closes at the next run of exactly as many backticks.
                let mut k = i + run;
                let close = loop {
                    if k >= b.len() {
                        break None;
                    }
                    let r = b[k..].iter().take_while(|&&c| c == b'`').count();
                    if r == run {
                        break Some(k + r);
                    }
                    k += r.max(1);
                };
                match close {
                    Some(end) => i = end,
                    None => {
                        out.push_str(&line[i..i + run]);
                        i += run;
                    }
                }
            }
            _ => {
                let c = line[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Fails when a Markdown table row has more or fewer cells than its header, or raw HTML or a link from input
/// stands outside a code span.
#[track_caller]
fn assert_markdown_inert(what: &str, md: &str) {
    assert_inert(what, md);
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        // Cells are split at pipes that are not backslash-escaped (GFM reads `\` + any character as a pair).
        let (mut pipes, mut chars) = (0, line.chars());
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '|' => pipes += 1,
                _ => {}
            }
        }
        match columns {
            None => columns = Some(pipes),
            Some(n) => assert_eq!(pipes, n, "{what}: a row breaks its table: {line}"),
        }
        let text = outside_code_spans(line);
        for raw in ["<img", "<script", "[x](", "*a*", "_b_"] {
            assert!(!text.contains(raw), "{what}: raw {raw:?} from input outside code: {line}");
        }
    }
}

#[test]
fn check_text_prints_control_characters_as_visible_escapes() {
    let (code, out, err) = run(&["check", "--color", "never", HOSTILE]);
    assert_eq!(code, 1, "{err}");
    assert_inert("check text", &out);
    assert_inert("check text stderr", &err);
    // The values are still there, escaped.
    assert!(
        out.contains("app\\u{1b}[31m\\u{1b}]8;;https://evil.example/\\u{1b}\\:1\\n::error file=image::forged"),
        "{out}"
    );
    assert!(out.contains("team-a:*\\n::error file=trust::forged"), "{out}");
}

#[test]
fn check_markdown_escapes_controls_html_and_table_syntax() {
    let (code, md, err) = run(&["check", "--format", "markdown", HOSTILE]);
    assert_eq!(code, 1, "{err}");
    assert_markdown_inert("check markdown", &md);
    assert!(md.contains("dlq\\u{202e}gnp.exe\\u{2066}"), "{md}");
}

#[test]
fn check_junit_escapes_control_characters() {
    let (_, xml, _) = run(&["check", "--format", "junit", "--fail-on", "warning", HOSTILE]);
    assert_inert("check junit", &xml);
    assert!(!xml.contains("<img") && xml.contains("app\\u{1b}[31m"), "{xml}");
    assert!(xml.contains("team-a:*\\n::error file=trust::forged"), "{xml}");
}

#[test]
fn plan_table_escapes_control_characters_in_cells() {
    let (code, out, err) = run(&["plan", "--format", "table", HOSTILE]);
    assert_eq!(code, 0, "{err}");
    assert_inert("plan table", &out);
    assert!(out.contains("orders\\u{1b}[2J\\r\\n::warning"), "{out}");
}

#[test]
fn plan_markdown_escapes_controls_html_links_and_pipes() {
    let (code, md, err) = run(&["plan", "--format", "markdown", HOSTILE]);
    assert_eq!(code, 0, "{err}");
    assert_markdown_inert("plan markdown", &md);
    // A pipe inside a name stays in its cell.
    assert!(md.contains(r"x\|&lt;img src=x onerror=alert(1)&gt;") || md.contains(r"x\|<img"), "{md}");
}

#[test]
fn translate_plan_md_is_escaped_like_plan_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("azure");
    let (code, _, err) = run(&["translate", "--out", out.to_str().unwrap(), HOSTILE]);
    assert_eq!(code, 0, "{err}");
    assert_inert("translate stderr", &err);
    assert_markdown_inert("plan.md", &std::fs::read_to_string(out.join("plan.md")).unwrap());
}

#[test]
fn graph_sources_escape_control_characters() {
    for format in ["dot", "mermaid"] {
        let (code, out, err) = run(&["graph", "--format", format, HOSTILE]);
        assert_eq!(code, 0, "{err}");
        assert_inert(format, &out);
    }
}

#[test]
fn json_and_sarif_keep_values_exactly_and_escape_controls() {
    let (_, json, _) = run(&["check", "--format", "json", HOSTILE]);
    let (_, sarif, _) = run(&["check", "--format", "sarif", HOSTILE]);
    for (what, text) in [("json", &json), ("sarif", &sarif)] {
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{what}: a raw control character");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert!(v.to_string().contains("app\\u001b[31m"), "{what}: the value is kept (serde_json escapes it)");
    }
    // plan.json too, the C1 controls (`\u{9b}` is CSI to a terminal) that serde_json leaves raw included.
    let (_, plan_text, _) = run(&["plan", "--format", "json", HOSTILE]);
    assert!(!plan_text.chars().any(|c| c.is_control() && c != '\n'), "plan.json: a raw control character");
    assert!(plan_text.contains("forged\\u009b"), "plan.json: the C1 control is kept, escaped");
    let plan = super::plan_json(&[HOSTILE]);
    let s = plan.to_string();
    assert!(s.contains("orders\\u001b[2J\\r\\n::warning file=env::forged"), "{s}");
}

#[test]
fn input_errors_quote_raw_control_bytes_as_visible_text() {
    let (code, out, err) = run(&["check", "testdata/hostile/raw-control-bytes.yaml"]);
    assert_eq!(code, 2);
    assert_inert("stdout", &out);
    assert_inert("stderr", &err);
    assert!(err.contains(r"api\u{1b}[2J\u{9b}31m\u{202e}gnp"), "{err}");
}

/// File names come from the repository a pull request changes: one may spell a CI command, or hold a newline.
#[test]
fn file_names_cannot_start_a_ci_command() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["::error file=x::forged.yaml", "x\n::error file=y::forged\x1b[2J.yaml"] {
        std::fs::copy(Path::new(HOSTILE).join("workload.yaml"), tmp.path().join(name)).unwrap();
    }
    std::fs::copy(Path::new(HOSTILE).join("role.json"), tmp.path().join("role.json")).unwrap();
    for args in [
        &["check", "--color", "never", "."][..],
        &["check", "--format", "markdown", "."],
        &["plan", "--format", "table", "."],
    ] {
        let o = eks2aks().current_dir(tmp.path()).args(args).output().unwrap();
        assert_inert(&format!("{args:?}"), &String::from_utf8(o.stdout).unwrap());
        assert_inert(&format!("{args:?} stderr"), &String::from_utf8(o.stderr).unwrap());
    }
    // A tool error naming such a path (exit 2, printed by `main`).
    let bad = tmp.path().join("::error file=c::forged\n\x1b[2J.yaml");
    let (code, _, err) = run(&["plan", "--config", bad.to_str().unwrap(), HOSTILE]);
    assert_eq!(code, 2, "{err}");
    assert_inert("config error", &err);
    assert_eq!(err.lines().count(), 1, "the path's newline is escaped: {err}");
    assert!(err.contains(r"::error file=c::forged\n\u{1b}[2J.yaml"), "{err}");
}
