//! Issue 19: no function over ~80 lines, except one whose reason is written beside it. A function may be longer
//! only with a comment `// long function: <reason>` on one of the lines just before its `fn` (with its doc and
//! attributes). Test code counts too.

use std::path::Path;

/// Lines from a function's `fn` line to its closing brace.
const LIMIT: usize = 80;
const MARK: &str = "// long function:";

/// Each function of a source text: (name, first line, number of lines). Strings, characters and comments are
/// skipped when braces are counted; a `fn` without a body (a trait method's declaration) counts nothing.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("pub(crate) ").or_else(|| t.strip_prefix("pub(super) ")).unwrap_or(t);
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let t = t.strip_prefix("const ").unwrap_or(t);
        let t = t.strip_prefix("async ").unwrap_or(t);
        let Some(rest) = t.strip_prefix("fn ") else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if let Some(n) = body_lines(&lines[i..]) {
            out.push((name, i + 1, n));
        }
    }
    out
}

/// The number of lines of the item that starts at `lines[0]`, up to the brace that closes its body.
fn body_lines(lines: &[&str]) -> Option<usize> {
    let mut depth = 0i64;
    let mut started = false;
    let mut in_block_comment = false;
    for (k, line) in lines.iter().enumerate() {
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            if in_block_comment {
                if b[j..].starts_with(b"*/") {
                    in_block_comment = false;
                    j += 1;
                }
            } else if b[j..].starts_with(b"//") {
                break;
            } else if b[j..].starts_with(b"/*") {
                in_block_comment = true;
                j += 1;
            } else if b[j] == b'"' {
                j += 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
            } else if b[j] == b'\'' && j + 2 < b.len() && (b[j + 2] == b'\'' || b[j + 1] == b'\\') {
                // A character literal ('{', '\n'); a lifetime ('a) is left alone.
                j += if b[j + 1] == b'\\' { 3 } else { 2 };
            } else if b[j] == b'{' {
                depth += 1;
                started = true;
            } else if b[j] == b'}' {
                depth -= 1;
                if started && depth == 0 {
                    return Some(k + 1);
                }
            } else if b[j] == b';' && !started && depth == 0 {
                return None;
            }
            j += 1;
        }
    }
    None
}

/// True when a `// long function: <reason>` comment stands among the doc, attribute and comment lines just
/// before line `at` (0-based).
fn explained(lines: &[&str], at: usize) -> bool {
    lines[..at]
        .iter()
        .rev()
        .take_while(|l| {
            let t = l.trim_start();
            t.starts_with("//") || t.starts_with("#[")
        })
        .any(|l| l.trim_start().starts_with(MARK) && l.trim_start().len() > MARK.len() + 3)
}

#[test]
fn no_function_is_longer_than_the_limit_without_its_reason() {
    let mut files = Vec::new();
    crate::rs_files(Path::new("src"), &mut files);
    files.sort();
    let mut long = Vec::new();
    let mut counted = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (name, line, n) in functions(&text) {
            counted += 1;
            if n > LIMIT && !explained(&lines, line - 1) {
                long.push(format!("{}:{line}: `{name}` is {n} lines", f.display()));
            }
        }
    }
    assert!(counted > 500, "the scan finds the functions ({counted})");
    assert!(long.is_empty(), "functions over {LIMIT} lines without a `{MARK} <reason>` comment:\n{}", long.join("\n"));
}

/// The scan counts what it should: braces in strings, characters and comments do not count, a declaration
/// without a body is not a function, and a reason beside a long function lets it pass.
#[test]
fn the_scan_counts_bodies_and_reads_reasons() {
    let body = "    let s = \"}\"; let c = '{'; // }\n".repeat(LIMIT);
    let text = format!("fn decl(x: u8);\n/// Doc.\nfn long<'a>(x: &'a str) {{\n{body}}}\nfn short() {{ /* {{ */ }}\n");
    let found = functions(&text);
    assert_eq!(found, vec![("long".to_string(), 3, LIMIT + 2), ("short".to_string(), LIMIT + 5, 1)]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(!explained(&lines, 2));
    let with_reason = text.replace("/// Doc.\n", &format!("/// Doc.\n{MARK} a data table\n"));
    let lines: Vec<&str> = with_reason.lines().collect();
    assert!(explained(&lines, 3));
}
