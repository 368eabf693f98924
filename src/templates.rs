//! The template environment: bundled templates compiled into the binary, replaced file by file by a user's
//! `--templates DIR`. Undefined values are errors (a typo in a template fails loudly). Filters escape values for
//! the format they land in.

use anyhow::{Context, Result};
use minijinja::{Environment, UndefinedBehavior};
use std::path::PathBuf;

/// Bundled templates, by name.
pub const BUNDLED: &[(&str, &str)] = &[("report/plan.md.j2", include_str!("../templates/report/plan.md.j2"))];

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
        for (name, _) in BUNDLED {
            let src = self.source(name)?.expect("bundled");
            env.add_template_owned(name.to_string(), src).with_context(|| format!("template {name}"))?;
        }
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_cannot_break_a_table() {
        assert_eq!(md_escape("a|b\nc"), "a\\|b c");
        assert_eq!(md_escape("<script>"), "&lt;script&gt;");
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("x|y"), "`x y`");
    }
}
