//! The template environment: bundled templates compiled into the binary, replaced file by file by a user's
//! `--templates DIR`. Undefined values are errors (a typo in a template fails loudly). Filters escape values for
//! the format they land in.

use anyhow::{Context, Result};
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior};
use std::path::PathBuf;

/// Bundled templates, by name.
pub const BUNDLED: &[(&str, &str)] = &[
    ("report/plan.md.j2", include_str!("../templates/report/plan.md.j2")),
    ("report/check.md.j2", include_str!("../templates/report/check.md.j2")),
    ("bicep/main.bicep.j2", include_str!("../templates/bicep/main.bicep.j2")),
    ("az/role-assignments.sh.j2", include_str!("../templates/az/role-assignments.sh.j2")),
    ("az/acr-import.sh.j2", include_str!("../templates/az/acr-import.sh.j2")),
    ("aws/bridge.cfn.yaml.j2", include_str!("../templates/aws/bridge.cfn.yaml.j2")),
    ("aws/iam-commands.sh.j2", include_str!("../templates/aws/iam-commands.sh.j2")),
    ("aws/entra-app.sh.j2", include_str!("../templates/aws/entra-app.sh.j2")),
];

/// A Bicep string literal: single-quoted, with `\`, `'`, `${`, and control characters escaped, so input text can
/// never end the string or start an interpolation.
pub fn bicep_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
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

/// Escapes text for a Markdown table cell: pipes, newlines, HTML and emphasis characters.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Wraps text in a Markdown code span that its own backticks cannot close.
pub fn md_code(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c == '\n' || c == '\r' || c == '|' { ' ' } else { c }).collect();
    let mut ticks = 1;
    while clean.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    let fence = "`".repeat(ticks);
    let pad = if clean.starts_with('`') || clean.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

impl Templates {
    /// The source of one template: the user's copy when present, else the bundled one.
    pub fn source(&self, name: &str) -> Result<Option<String>> {
        if let Some(dir) = &self.dir {
            let p = dir.join(name);
            if p.is_file() {
                return std::fs::read_to_string(&p)
                    .map(Some)
                    .with_context(|| format!("reading template {}", p.display()));
            }
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
        env.add_filter("md", |s: String| md_escape(&s));
        env.add_filter("code", |s: String| md_code(&s));
        // `{{ x|sh }}`: a shell word; `{{ x|ident }}`: a Bicep identifier (both safe to print as they are).
        env.add_filter("sh", |s: String| Value::from_safe_string(sh_quote(&s)));
        env.add_filter("ident", |s: String| Value::from_safe_string(bicep_ident(&s)));
        // `{{ x|comment }}`: text for a one-line comment (no line breaks or control characters can end it).
        env.add_filter("comment", |s: String| {
            Value::from_safe_string(s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect())
        });
        env.add_filter("bicep", |v: Value| -> Result<Value, Error> { Ok(Value::from_safe_string(bicep_literal(&v)?)) });
        // Bicep templates escape every interpolated value as a Bicep literal; only values marked safe (identifiers,
        // expressions built by eks2aks) pass through as they are.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".bicep.j2") || name.ends_with(".bicepparam.j2") {
                AutoEscape::Custom("bicep".into())
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), AutoEscape::Custom(n) if n == "bicep") && !value.is_safe() {
                return out
                    .write_str(&bicep_literal(value)?)
                    .map_err(|_| Error::new(ErrorKind::WriteFailure, "write failed"));
            }
            minijinja::escape_formatter(out, state, value)
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
        assert_eq!(md_escape("a|b\nc"), "a\\|b c");
        assert_eq!(md_escape("<script>"), "&lt;script&gt;");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("x|y"), "`x y`");
    }
}
