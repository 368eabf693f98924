//! The template environment: bundled templates compiled into the binary, replaced file by file by a user's
//! `--templates DIR`. Undefined values are errors (a typo in a template fails loudly). Filters escape values for
//! the format they land in, and in Bicep and Markdown templates every interpolated value is escaped unless it is
//! marked safe.

use anyhow::{Context, Result};
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};
use std::borrow::Cow;
use std::path::PathBuf;

/// Bundled templates, by name.
pub const BUNDLED: &[(&str, &str)] = &[
    ("report/plan.md.j2", include_str!("../templates/report/plan.md.j2")),
    ("report/check.md.j2", include_str!("../templates/report/check.md.j2")),
    ("bicep/main.bicep.j2", include_str!("../templates/bicep/main.bicep.j2")),
    ("bicep/module.bicep.j2", include_str!("../templates/bicep/module.bicep.j2")),
    ("az/role-assignments.sh.j2", include_str!("../templates/az/role-assignments.sh.j2")),
    ("az/acr-import.sh.j2", include_str!("../templates/az/acr-import.sh.j2")),
    ("aws/bridge.cfn.yaml.j2", include_str!("../templates/aws/bridge.cfn.yaml.j2")),
    ("aws/iam-commands.sh.j2", include_str!("../templates/aws/iam-commands.sh.j2")),
    ("aws/entra-app.sh.j2", include_str!("../templates/aws/entra-app.sh.j2")),
];

/// A Bicep string literal: single-quoted, with `\`, `'`, `${`, and control characters escaped, so input text can
/// never end the string or start an interpolation.
pub fn bicep_string(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    // Runs of characters that need no escape are copied whole (most values have none to escape); a character is
    // decoded only where a byte is not ASCII.
    let (mut run, mut i) = (0, 0);
    while i < b.len() {
        let c = match b[i] {
            b'\\' | b'\'' | b'$' => b[i] as char,
            0x20..=0x7e => {
                i += 1;
                continue;
            }
            0..=0x7f => b[i] as char,
            _ => {
                let c = s[i..].chars().next().unwrap_or_default();
                if !c.is_control() {
                    i += c.len_utf8();
                    continue;
                }
                c
            }
        };
        out.push_str(&s[run..i]);
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' => out.push_str("\\$"),
            c => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{{{:X}}}", c as u32));
            }
        }
        i += c.len_utf8();
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('\'');
    out
}

/// A POSIX shell word: single-quoted, with embedded single quotes closed, escaped and reopened.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A Bicep identifier made from anything: letters, digits and `_`, starting with a letter.
pub fn bicep_ident(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !out.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        out.insert(0, 'r');
    }
    out
}

/// Where templates come from.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// A user's directory whose files replace bundled ones of the same relative name.
    pub dir: Option<PathBuf>,
}

/// Escapes text for Markdown (a GFM table cell or inline text), so that it renders as the literal text: `|` cannot
/// end a cell, `<`/`>` cannot open HTML, and `*`, `_`, `~`, `` ` ``, `[`, `]`, `&` and `\` cannot start emphasis,
/// strikethrough, code, a link or an entity (backslash escapes, and entities for `<`/`>`). Control, bidi and
/// line-separator characters become visible escapes ([`crate::text::escape`]), so a value stays on its row and
/// cannot begin a line. Other characters (`-`, `.`, `/`, `:`) are left alone: they change nothing inside a line.
pub fn md_escape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    // Runs of characters that need no escape are copied whole (most values have none to escape); a character is
    // decoded only where a byte is not ASCII.
    let (mut run, mut i) = (0, 0);
    while i < b.len() {
        let (c, width) = match b[i] {
            b'|' | b'<' | b'>' | b'*' | b'_' | b'`' | b'[' | b']' | b'\\' | b'~' | b'&' => (b[i] as char, 1),
            0x20..=0x7e => {
                i += 1;
                continue;
            }
            0..=0x7f => (b[i] as char, 1),
            _ => {
                let c = s[i..].chars().next().unwrap_or_default();
                if !crate::text::is_escaped(c) {
                    i += c.len_utf8();
                    continue;
                }
                (c, c.len_utf8())
            }
        };
        out.push_str(&s[run..i]);
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '_' | '`' | '[' | ']' | '\\' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            // A control character (`\n`, `\u{1b}`): a backslash before a letter is a literal backslash in Markdown.
            c => out.push_str(&crate::text::escape(c.encode_utf8(&mut [0; 4]))),
        }
        i += width;
        run = i;
    }
    out.push_str(&s[run..]);
    out
}

/// Wraps text in a Markdown code span that its own backticks cannot close. Inside a code span backslash escapes do
/// not apply, except that a GFM table reads `\|` as a pipe in the cell; control characters become visible
/// escapes ([`crate::text::escape`]).
pub fn md_code(s: &str) -> String {
    // Almost every value (names, ARNs, actions, paths) is printable ASCII with no backtick, pipe or backslash: it
    // needs no escape and one backtick a side ([`md_code_general`] gives the same for it).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'`' | b'|' | b'\\')) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('`');
        out.push_str(s);
        out.push('`');
        return out;
    }
    md_code_general(s)
}

/// [`md_code`] for any text.
fn md_code_general(s: &str) -> String {
    let escaped = crate::text::escape(s);
    // A GFM table reads `\\` followed by any character as a pair: a backslash before a pipe is doubled so that the
    // pipe's own backslash still escapes it.
    let mut clean = String::with_capacity(escaped.len());
    let mut chars = escaped.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => clean.push_str("\\|"),
            '\\' if chars.peek() == Some(&'|') => clean.push_str("\\\\"),
            c => clean.push(c),
        }
    }
    let mut ticks = 1;
    while clean.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    let fence = "`".repeat(ticks);
    let pad = if clean.starts_with('`') || clean.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

// The filters (`Templates::env`) take `Cow<str>`: a string value is borrowed, not copied (any other value becomes
// its text, as with `String`).
fn md(s: Cow<'_, str>) -> Value {
    Value::from_safe_string(md_escape(&s))
}

fn code(s: Cow<'_, str>) -> Value {
    Value::from_safe_string(md_code(&s))
}

fn sh(s: Cow<'_, str>) -> Value {
    Value::from_safe_string(sh_quote(&s))
}

fn ident(s: Cow<'_, str>) -> Value {
    Value::from_safe_string(bicep_ident(&s))
}

fn comment(s: Cow<'_, str>) -> Value {
    // Most comments have no control character: kept as they are, not rebuilt character by character.
    if !s.chars().any(char::is_control) {
        return Value::from_safe_string(s.into_owned());
    }
    Value::from_safe_string(s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect())
}

impl Templates {
    /// Whether `name` is the user's copy rather than the bundled template.
    pub fn is_user(&self, name: &str) -> bool {
        self.dir.as_ref().is_some_and(|d| d.join(name).is_file())
    }

    /// The source of one template: the user's copy when present, else the bundled one.
    pub fn source(&self, name: &str) -> Result<Option<String>> {
        if let Some(dir) = self.dir.as_ref().filter(|_| self.is_user(name)) {
            let p = dir.join(name);
            return std::fs::read_to_string(&p).map(Some).with_context(|| format!("reading template {}", p.display()));
        }
        Ok(BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, s)| s.to_string()))
    }

    /// A fresh environment with every template loaded.
    pub fn env(&self) -> Result<Environment<'static>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("default delimiters are valid"),
        );
        // `{{ x|md }}`: Markdown text; `{{ x|code }}`: a code span. Both are safe to print as they are.
        env.add_filter("md", md);
        env.add_filter("code", code);
        // `{{ x|sh }}`: a shell word; `{{ x|ident }}`: a Bicep identifier (both safe to print as they are).
        env.add_filter("sh", sh);
        env.add_filter("ident", ident);
        // `{{ x|comment }}`: text for a one-line comment (no line breaks or control characters can end it).
        env.add_filter("comment", comment);
        env.add_filter("bicep", |v: Value| -> Result<Value, Error> { Ok(Value::from_safe_string(bicep_literal(&v)?)) });
        // Bicep templates escape every interpolated value as a Bicep literal, and Markdown templates escape every
        // value as Markdown text (`md`); only values marked safe (identifiers, expressions built by eks2aks, the
        // output of the `md`, `code` and `sh` filters, or `|safe` where a template opts out) pass through as they
        // are.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".bicep.j2") || name.ends_with(".bicepparam.j2") {
                AutoEscape::Custom("bicep".into())
            } else if name.ends_with(".md.j2") {
                AutoEscape::Custom("md".into())
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            let write = |out: &mut minijinja::Output, s: &str| {
                out.write_str(s).map_err(|_| Error::new(ErrorKind::WriteFailure, "write failed"))
            };
            match state.auto_escape() {
                AutoEscape::Custom(n) if n == "bicep" && !value.is_safe() => write(out, &bicep_literal(value)?),
                AutoEscape::Custom(n) if n == "md" && !value.is_safe() => match value.as_str() {
                    Some(s) => write(out, &md_escape(s)),
                    None => write(out, &md_escape(&value.to_string())),
                },
                _ => minijinja::escape_formatter(out, state, value),
            }
        });
        for (name, _) in BUNDLED {
            let src = self.source(name)?.expect("bundled");
            env.add_template_owned(name.to_string(), src).with_context(|| format!("template {name}"))?;
        }
        Ok(env)
    }
}

/// Any template value as a Bicep literal: strings quoted and escaped, numbers and booleans as they are, lists as
/// arrays.
fn bicep_literal(v: &Value) -> Result<String, Error> {
    use minijinja::value::ValueKind;
    Ok(match v.kind() {
        ValueKind::String => bicep_string(v.as_str().unwrap_or_default()),
        ValueKind::Bool | ValueKind::Number => v.to_string(),
        ValueKind::None => "null".into(),
        ValueKind::Seq => {
            let items: Result<Vec<String>, Error> = v.try_iter()?.map(|i| bicep_literal(&i)).collect();
            format!("[{}]", items?.join(", "))
        }
        other => return Err(Error::new(ErrorKind::InvalidOperation, format!("cannot write a {other} into Bicep"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bicep_strings_cannot_break_out() {
        assert_eq!(bicep_string("a'b"), "'a\\'b'");
        assert_eq!(bicep_string("x${y}"), "'x\\${y}'");
        assert_eq!(bicep_string("l1\nl2\\"), "'l1\\nl2\\\\'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(bicep_ident("9-queue.x"), "r9_queue_x");
    }

    #[test]
    fn bicep_templates_escape_every_value() {
        let mut env = Templates::default().env().unwrap();
        env.add_template("t.bicep.j2", "name: {{ v }}\nsym: {{ v|ident }}").unwrap();
        let out = env
            .get_template("t.bicep.j2")
            .unwrap()
            .render(minijinja::context! { v => "x'\n}\nresource evil" })
            .unwrap();
        assert_eq!(out, "name: 'x\\'\\n}\\nresource evil'\nsym: x____resource_evil");
    }

    #[test]
    fn markdown_escaping_cannot_break_a_table() {
        assert_eq!(md_escape("a|b\nc"), "a\\|b\\nc");
        assert_eq!(md_escape("<script>"), "&lt;script&gt;");
        assert_eq!(
            md_escape("[x](https://evil) *a* _b_ ~~c~~ &lt;"),
            "\\[x\\](https://evil) \\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\&lt;"
        );
        assert_eq!(md_escape("red\x1b[31m\u{202e}"), "red\\u{1b}\\[31m\\u{202e}");
        assert_eq!(md_escape("queue-1.fifo/x:y"), "queue-1.fifo/x:y");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("x|y"), "`x\\|y`");
        assert_eq!(md_code("x\\|y"), "`x\\\\\\|y`");
        assert_eq!(md_code("a\n::error\x1b[2J"), "`a\\n::error\\u{1b}[2J`");
    }

    /// The escapers as they were before they copied runs whole (and before `md_code`'s ASCII fast path): the
    /// reference the faster ones must match character for character.
    mod reference {
        pub fn bicep_string(s: &str) -> String {
            let mut out = String::from("'");
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '$' => out.push_str("\\$"),
                    c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }

        pub fn md_escape(s: &str) -> String {
            let mut out = String::new();
            for c in s.chars() {
                match c {
                    '|' => out.push_str("\\|"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '*' | '_' | '`' | '[' | ']' | '\\' | '~' | '&' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if crate::text::is_escaped(c) => out.push_str(&crate::text::escape(c.encode_utf8(&mut [0; 4]))),
                    _ => out.push(c),
                }
            }
            out
        }
    }

    proptest::proptest! {
        /// The escapers give exactly what they gave before, on any text: printable ASCII with and without the
        /// characters each escapes, controls, bidi controls, other non-ASCII.
        #[test]
        fn escapers_match_their_reference(s in "([ -~]|[\\x00-\\x1f\\x7f-\\u{9f}]|[é…\\u{202e}\\u{2028}`|\\\\$'])*") {
            proptest::prop_assert_eq!(bicep_string(&s), reference::bicep_string(&s));
            proptest::prop_assert_eq!(md_escape(&s), reference::md_escape(&s));
            proptest::prop_assert_eq!(md_code(&s), md_code_general(&s));
        }
    }

    /// The filters take any value as its text, as before (numbers, booleans), and an undefined value is still an
    /// error in strict mode.
    #[test]
    fn filters_take_any_value_as_text_and_refuse_undefined() {
        let mut env = Templates::default().env().unwrap();
        env.add_template("t.md.j2", "{{ n|code }} {{ b|md }} {{ v|sh }} {{ v|ident }} {{ n|comment }}").unwrap();
        let out =
            env.get_template("t.md.j2").unwrap().render(minijinja::context! { n => 3, b => true, v => "a'b" }).unwrap();
        assert_eq!(out, "`3` True 'a'\\''b' a_b 3");
        env.add_template("c.sh.j2", "# {{ v|comment }}").unwrap();
        let out = env.get_template("c.sh.j2").unwrap().render(minijinja::context! { v => "a\nb\u{85}c\td" }).unwrap();
        assert_eq!(out, "# a b c d");
        env.add_template("u.md.j2", "{{ missing|code }}").unwrap();
        assert!(env.get_template("u.md.j2").unwrap().render(minijinja::context! {}).is_err());
    }

    #[test]
    fn markdown_templates_escape_every_value_unless_marked_safe() {
        let mut env = Templates::default().env().unwrap();
        env.add_template("t.md.j2", "| {{ v }} | {{ v|md }} | {{ v|code }} | {{ n }} | {{ v|safe }} |").unwrap();
        let out =
            env.get_template("t.md.j2").unwrap().render(minijinja::context! { v => "a|<b>\n::x", n => 3 }).unwrap();
        assert_eq!(out, "| a\\|&lt;b&gt;\\n::x | a\\|&lt;b&gt;\\n::x | `a\\|<b>\\n::x` | 3 | a|<b>\n::x |");
    }
}
