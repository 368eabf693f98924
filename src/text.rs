//! Output hygiene: text from input (names, image references, env and ConfigMap values, policy names, ARNs, file
//! paths) made safe to print in every text output — the terminal, CI logs, Markdown, graph sources, JUnit XML and
//! error messages. It owns the one rule of what is escaped and how; the formats' own escaping (Markdown, DOT,
//! Mermaid, XML) is applied by each renderer on top. JSON and SARIF need none of it: serde_json escapes control
//! characters itself, and those formats keep the value exactly.
//!
//! What is escaped, as visible text:
//! - every control character (C0, DEL, C1): `\n`, `\r` and `\t` as `\n`, `\r`, `\t`, the others as `\u{1b}`, so
//!   no terminal escape sequence (colours, clearing the screen, OSC 8 hyperlinks, 8-bit CSI) reaches a terminal,
//!   and no text from input can start a line of output (a forged `::error file=…` GitHub Actions annotation);
//! - the bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which reorder
//!   what a reader sees ("Trojan Source"), and the line and paragraph separators U+2028/U+2029, which some viewers
//!   break lines at.
//!
//! A backslash is left as it is: ordinary values (Windows paths, regular expressions in conditions) print
//! unchanged, at the price that a value spelling `\u{1b}` itself looks like an escaped one.

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character [`escape`] replaces.
pub fn is_escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// Appends the visible form of one escaped character.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// A value from input as one line of visible text: control, bidi and line-separator characters escaped (see the
/// module's doc). Borrowed when there is nothing to escape, which is almost always.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_but(s, |_| false)
}

/// [`escape`], leaving the characters `keep` accepts as they are.
fn escape_but(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_escaped(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_escaped(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// True when a line would be read as a CI command: a GitHub Actions workflow command (`::error …`, which the
/// runner recognises after leading white space) or an Azure Pipelines logging command (`##vso[`, `##[`).
fn starts_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[") || t.starts_with("##vso[")
}

/// Escapes the first non-blank character of a line that [`starts_command`].
fn guard_line(line: &str, out: &mut String) {
    let t = line.trim_start();
    out.push_str(&line[..line.len() - t.len()]);
    let mut chars = t.chars();
    if let Some(c) = chars.next() {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
    out.push_str(chars.as_str());
}

/// A value from input that begins a line of output (a file name heading a group of findings): [`escape`], and a
/// leading `::` / `##[` is escaped too, so the line cannot be read as a CI command.
pub fn escape_line_start(s: &str) -> Cow<'_, str> {
    let e = escape(s);
    if !starts_command(&e) {
        return e;
    }
    let mut out = String::with_capacity(e.len() + 8);
    guard_line(&e, &mut out);
    Cow::Owned(out)
}

/// Text of several lines made by the tool with values from input in it (an error with a list of problems, a
/// diff): its line breaks are kept, every other character is escaped as by [`escape`] (a `\r` too), and a line
/// that would be read as a CI command has its first character escaped.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    let e = escape_but(s, |c| c == '\n');
    if !e.split('\n').any(starts_command) {
        return e;
    }
    let mut out = String::with_capacity(e.len() + 8);
    for (i, line) in e.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if starts_command(line) {
            guard_line(line, &mut out);
        } else {
            out.push_str(line);
        }
    }
    Cow::Owned(out)
}

/// An error message the tool laid out itself, over several lines, with every value from input in it escaped
/// already (a list of mapping problems). The binary prints it as it is, where it escapes every other error's text
/// onto one line.
#[derive(Debug)]
pub struct Preformatted(pub String);

impl std::fmt::Display for Preformatted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Preformatted {}

/// An error chain as one message (`outer: cause: cause`, anyhow's `{:#}`), each part escaped onto one line by
/// [`escape`] except [`Preformatted`] ones, whose lines pass through [`escape_lines`].
pub fn error_chain<'a>(chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>) -> String {
    let mut out = String::new();
    for (i, e) in chain.enumerate() {
        if i > 0 {
            out.push_str(": ");
        }
        match e.downcast_ref::<Preformatted>() {
            Some(p) => out.push_str(&escape_lines(&p.0)),
            None => out.push_str(&escape(&e.to_string())),
        }
    }
    out
}

/// A quoted source line for a caret diagnostic, with the byte range it underlines: escaped as by [`escape`] except
/// for tabs (the diagnostic renderer expands them), and the range moved to the same text in the escaped line.
pub fn escape_source_line(line: &str, span: std::ops::Range<usize>) -> (Cow<'_, str>, std::ops::Range<usize>) {
    let keep = |c: char| c == '\t';
    if !line.chars().any(|c| is_escaped(c) && !keep(c)) {
        return (Cow::Borrowed(line), span);
    }
    let (a, b) = (escape_but(&line[..span.start], keep), escape_but(&line[span.start..span.end], keep));
    let c = escape_but(&line[span.end..], keep);
    let range = a.len()..a.len() + b.len();
    (Cow::Owned(format!("{a}{b}{c}")), range)
}

/// The 1-based line of `text` whose content (indentation and a list dash aside) starts with `needle`: where a
/// message about a YAML key points.
pub fn line_starting_with(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_start().trim_start_matches("- ").starts_with(needle)).map(|i| i + 1)
}

/// Input text quoted in a message: at most 80 characters.
pub fn truncate(s: &str) -> String {
    if s.chars().count() <= 80 { s.to_string() } else { s.chars().take(79).collect::<String>() + "…" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_become_visible_text() {
        assert_eq!(escape("red\x1b[31m"), "red\\u{1b}[31m");
        assert_eq!(escape("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(escape("\x1b]8;;https://evil/\x1b\\x"), "\\u{1b}]8;;https://evil/\\u{1b}\\x");
        assert_eq!(escape("csi\u{9b}31m del\x7f nul\0"), "csi\\u{9b}31m del\\u{7f} nul\\u{0}");
        assert_eq!(escape("x\n::error file=x::forged"), "x\\n::error file=x::forged");
    }

    #[test]
    fn bidi_controls_and_line_separators_become_visible() {
        assert_eq!(escape("dlq\u{202E}gnp.exe\u{2066}"), "dlq\\u{202e}gnp.exe\\u{2066}");
        assert_eq!(escape("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        // Arabic and Hebrew text, and the weak marks (LRM, RLM) that such text uses, stay.
        assert_eq!(escape("שלום مرحبا \u{200E}\u{200F}"), "שלום مرحبا \u{200E}\u{200F}");
    }

    #[test]
    fn ordinary_values_are_borrowed_unchanged() {
        for s in ["arn:aws:sqs:us-east-1:111122223333:orders", "C:\\data\\x", "s3:Get*", "école", "", "::1"] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn lines_cannot_start_a_ci_command() {
        assert_eq!(escape_line_start("::error file=x::y.yaml"), "\\u{3a}:error file=x::y.yaml");
        assert_eq!(escape_line_start("  ##[error]x"), "  \\u{23}#[error]x");
        assert_eq!(escape_line_start("dir/::error.yaml"), "dir/::error.yaml");
        assert_eq!(
            escape_lines("invalid:\n  a\x1b[2J\n ::error file=x::forged\r\n-x"),
            "invalid:\n  a\\u{1b}[2J\n \\u{3a}:error file=x::forged\\r\n-x"
        );
        assert_eq!(escape_lines("a\nb"), "a\nb");
    }

    #[test]
    fn source_lines_keep_tabs_and_move_the_span() {
        let (l, r) = escape_source_line("\tname: \"a\x1b[31m\" # x", 7..15);
        assert_eq!(l, "\tname: \"a\\u{1b}[31m\" # x");
        assert_eq!(&l[r], "\"a\\u{1b}[31m\"");
        let (l, r) = escape_source_line("\tplain", 1..6);
        assert_eq!((&*l, r), ("\tplain", 1..6));
    }

    #[test]
    fn error_chains_are_one_line_unless_preformatted() {
        let io = std::io::Error::other("reading x\n::error file=y::z\x1b[2J");
        let pre = Preformatted("invalid:\n  a\n  b".into());
        let chain: [&(dyn std::error::Error + 'static); 2] = [&pre, &io];
        assert_eq!(error_chain(chain.into_iter()), "invalid:\n  a\n  b: reading x\\n::error file=y::z\\u{1b}[2J");
    }

    proptest! {
        /// Whatever the input, the escaped text holds no character that is escaped, and no line break.
        #[test]
        fn escaped_text_is_one_clean_line(s in "\\PC{0,20}|[\\x00-\\x1f\\x7f-\\u{9f}\\u{202a}-\\u{202e}a:]{0,20}") {
            let e = escape(&s);
            prop_assert!(!e.chars().any(is_escaped), "{e:?}");
            let l = escape_lines(&s);
            prop_assert!(l.split('\n').all(|line| !starts_command(line) && !line.chars().any(is_escaped)), "{l:?}");
        }
    }
}
