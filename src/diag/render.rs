//! Text rendering of findings with source snippets (annotate-snippets, the renderer rustc and cargo use). The
//! message, help, path and quoted line come from input: each is escaped ([`crate::text`]) before it is laid out,
//! so the terminal sees no control character from input and no input text begins a line.

use super::{Files, Finding, Severity};
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

/// Source lines longer than this (bytes) are not quoted under a finding.
const LONG_LINE: usize = 1000;

/// Renders one finding as rustc-style text: `error[E2A001]: message`, `--> path:line:col` and the source line.
pub fn render_text(files: &Files, f: &Finding, color: bool) -> String {
    let line = f.loc.map_or("", |l| files.get(l.file).line(l.pos.line.max(1) as usize));
    render_text_with(files, f, color, line)
}

/// [`render_text`] with the finding's source line given: a report of many findings reads each file once for all of
/// its findings, and does not keep every file's text for the rest of the run (40 MB at 10,000 apps).
pub fn render_text_with(files: &Files, f: &Finding, color: bool, line: &str) -> String {
    let level = match f.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let message = crate::text::escape(&f.message);
    let help = f.help.as_deref().map(crate::text::escape);
    let title = level.primary_title(&*message);
    // A problem of the config or a mapping table has no rule code.
    let title = if f.code.is_empty() { title } else { title.id(f.code) };
    let mut out = match f.loc {
        Some(loc) => {
            let file = files.get(loc.file);
            let path = crate::text::escape(&file.display);
            let line_no = loc.pos.line.max(1) as usize;
            // A static credential's line holds the secret (and often its pair): point at it, never print it — a
            // CI log is no place for a key (issue 17, "never leak").
            if line.len() > LONG_LINE || f.code == crate::rules::STATIC_AWS_CREDENTIALS {
                // A minified export is one line of megabytes: point at it without printing it (and without
                // walking it once per finding).
                let origin = Origin::path(&*path).line(line_no).char_column(loc.pos.col.max(1) as usize);
                let mut groups = vec![title.element(origin)];
                if let Some(help) = &help {
                    groups.push(Group::with_title(Level::HELP.secondary_title(&**help)));
                }
                let mut out = renderer.render(&groups);
                out.push('\n');
                return out;
            }
            // Show only the offending line; the column becomes a byte offset within it.
            let start = line.char_indices().nth((loc.pos.col.max(1) - 1) as usize).map_or(line.len(), |(i, _)| i);
            let end = line[start..]
                .find([' ', ',', '}', ']'])
                .map_or(line.len(), |n| start + n.max(1))
                .max((start + 1).min(line.len()));
            // A long unbroken token (`[[[[…`) is marked by its first character only.
            let end = if end - start > 60 {
                line[start..].chars().next().map_or(start, |c| start + c.len_utf8())
            } else {
                end
            };
            let (line, span) = crate::text::escape_source_line(line, start..end);
            let snippet =
                Snippet::source(&*line).path(&*path).line_start(line_no).annotation(AnnotationKind::Primary.span(span));
            let mut groups = vec![title.element(snippet)];
            if let Some(help) = &help {
                groups.push(Group::with_title(Level::HELP.secondary_title(&**help)));
            }
            renderer.render(&groups)
        }
        None => {
            let mut groups = vec![Group::with_title(title)];
            if let Some(help) = &help {
                groups.push(Group::with_title(Level::HELP.secondary_title(&**help)));
            }
            renderer.render(&groups)
        }
    };
    out.push('\n');
    out
}

/// A problem in a file that is not an input (the config, a mapping table): where it is and what is wrong.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    /// The file as shown to the user.
    pub path: &'a str,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column (characters), when known; else the caret goes to the line's first word.
    pub column: Option<usize>,
    /// The text of that line, when known.
    pub source: Option<&'a str>,
    /// What is wrong.
    pub message: &'a str,
}

/// Renders problems the way input findings are rendered ([`render_text`]): `error: message`, `--> path:line:col`,
/// the quoted line and a caret under the column. A problem without a line names its file in the message.
pub fn render_problems(problems: &[Problem], color: bool) -> String {
    let mut files = Files::default();
    let mut out = String::new();
    for p in problems {
        let file = files.add(p.path.into(), p.path.into(), p.path.into(), String::new());
        let (loc, line, message) = match (p.line, p.source) {
            (Some(n), Some(line)) => {
                let first_word = line.len() - line.trim_start().trim_start_matches("- ").len();
                let col = p.column.unwrap_or_else(|| line[..first_word].chars().count() + 1);
                let pos =
                    super::Pos { line: n.try_into().unwrap_or(u32::MAX), col: col.try_into().unwrap_or(u32::MAX) };
                (Some(super::Loc { file, pos }), line, p.message.to_string())
            }
            (Some(n), None) => (None, "", format!("{}:{n}: {}", p.path, p.message)),
            (None, _) => (None, "", format!("{}: {}", p.path, p.message)),
        };
        let f = Finding {
            code: "",
            severity: Severity::Error,
            message: message.into(),
            loc,
            help: None,
            file: None,
            suppressed: None,
        };
        out.push_str(&render_text_with(&files, &f, color, line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Loc, Pos, Sink};

    /// Message, help, path and quoted line all come from input; none reaches the terminal raw.
    #[test]
    fn findings_print_control_characters_from_input_as_visible_escapes() {
        let mut files = Files::default();
        let text = "kind: x\nimage: \"a\x1b[2J\u{9b}31m\u{202e}b\"\n".to_string();
        let file = files.add("dir/::x\x1b[31m.yaml".into(), "x.yaml".into(), "x.yaml".into(), text);
        let mut sink = Sink::default();
        sink.push("E2A026", "image `a\x1b[2J\n::error file=x::y`", Some(Loc { file, pos: Pos { line: 2, col: 8 } }))
            .with_help("az acr import --source a\x1b[2J\n::error file=x::y");
        let out = render_text(&files, &sink.findings()[0], false);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out}");
        assert!(!out.contains('\u{202e}') && !out.lines().any(|l| l.trim_start().starts_with("::")), "{out}");
        assert!(out.contains(r"image `a\u{1b}[2J\n::error file=x::y`"), "{out}");
        assert!(out.contains(r"dir/::x\u{1b}[31m.yaml:2:8"), "{out}");
        assert!(out.contains(r#"image: "a\u{1b}[2J\u{9b}31m\u{202e}b""#), "{out}");
    }

    /// A config or mapping-table problem looks like an input error: no rule code, the path, line and column, the
    /// quoted line and the caret; without a line, the file is named in the message.
    #[test]
    fn problems_of_other_files_render_like_input_errors() {
        let out = render_problems(
            &[
                Problem {
                    path: "cfg.yaml",
                    line: Some(2),
                    column: None,
                    source: Some("  E2A999: off"),
                    message: "`rules.E2A999`: no such rule",
                },
                Problem { path: "m/x.yaml", line: None, column: None, source: None, message: "not a table" },
            ],
            false,
        );
        assert!(out.starts_with("error: `rules.E2A999`: no such rule\n --> cfg.yaml:2:3\n"), "{out}");
        assert!(out.contains("2 |   E2A999: off\n  |   ^^^^^^^"), "{out}");
        assert!(out.contains("error: m/x.yaml: not a table\n"), "{out}");
        assert!(!out.contains("error["), "{out}");
    }
}
