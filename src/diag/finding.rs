//! The one finding type. A problem in the user's input is a value, never an `Err`: stages push findings into a
//! [`Sink`] and carry on, so one run reports every problem.

use super::FileId;
use serde::Serialize;

pub use crate::rules::Severity;

/// A position in a file: 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// A position in a registered file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// Where in it.
    pub pos: Pos,
}

/// One finding: a rule code, its severity, a message, and where it comes from. It is also the entry of `plan.json`'s
/// and the check report's `findings` (see its `Serialize`): the plan keeps the very list the stages pushed, with
/// [`Finding::file`] and [`Finding::suppressed`] filled in, instead of a second list beside it (50,000 findings on
/// a large monorepo).
#[derive(Clone, Debug)]
pub struct Finding {
    /// Stable rule code (`E2A001`), see `rules.rs`.
    pub code: &'static str,
    /// Severity after configuration.
    pub severity: Severity,
    /// One sentence for people.
    pub message: std::sync::Arc<str>,
    /// Where the finding comes from, when it comes from one place.
    pub loc: Option<Loc>,
    /// Extra lines shown under the message (for example the export command to run).
    pub help: Option<std::sync::Arc<str>>,
    /// The path of the file it is about, as shown to the user: [`Finding::locate`] fills it in from `loc`; a
    /// finding about a file that is not an input (a drifted output file) names it here alone.
    pub file: Option<std::sync::Arc<str>>,
    /// The reason of the `eks2aks.dev/ignore` waiver that suppresses it, when waived.
    pub suppressed: Option<std::sync::Arc<str>>,
}

impl Finding {
    /// 1-based line, when known.
    pub fn line(&self) -> Option<u32> {
        self.loc.map(|l| l.pos.line).filter(|&l| l > 0)
    }

    /// 1-based column, when known.
    pub fn column(&self) -> Option<u32> {
        self.loc.map(|l| l.pos.col).filter(|&c| c > 0)
    }

    /// The rule's name.
    pub fn rule(&self) -> &'static str {
        crate::rules::by_code(self.code).map_or("", |r| r.name)
    }

    /// Fills in [`Finding::file`] from its location.
    pub fn locate(&mut self, files: &super::Files) {
        if let Some(l) = self.loc {
            self.file = Some(files.display_shared(l.file));
        }
    }

    /// What findings are compared and ordered by: what the reports write, in the order they write it. The rule's
    /// name is left out (the code decides it, and looking it up in every comparison made sorting 50,000 findings
    /// take a fifth of a second), and so is the file's id (the same path given twice is one file to the reader).
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (Option<&str>, Option<u32>, Option<u32>, &'static str, Severity, &str, Option<&str>, Option<&str>) {
        (
            self.file.as_deref(),
            self.line(),
            self.column(),
            self.code,
            self.severity,
            &self.message,
            self.help.as_deref(),
            self.suppressed.as_deref(),
        )
    }
}

impl PartialEq for Finding {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Finding {}

impl PartialOrd for Finding {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Finding {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// As written in `plan.json` and the check report: `file`, `line`, `column`, `code`, `rule`, `severity`,
/// `message`, `help` (only when there is one) and `suppressed` (null when not waived).
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Finding", 9)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("line", &self.line())?;
        st.serialize_field("column", &self.column())?;
        st.serialize_field("code", self.code)?;
        st.serialize_field("rule", self.rule())?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("message", &*self.message)?;
        if let Some(help) = &self.help {
            st.serialize_field("help", &**help)?;
        } else {
            st.skip_field("help")?;
        }
        st.serialize_field("suppressed", &self.suppressed)?;
        st.end()
    }
}

/// Collects findings from every stage.
#[derive(Debug, Default)]
pub struct Sink {
    findings: Vec<Finding>,
}

impl Sink {
    /// Adds a finding with the rule's default severity.
    pub fn push(&mut self, code: &'static str, message: impl Into<String>, loc: Option<Loc>) -> &mut Finding {
        let severity = crate::rules::default_severity(code);
        self.findings.push(Finding {
            code,
            severity,
            message: message.into().into(),
            loc,
            help: None,
            file: None,
            suppressed: None,
        });
        self.findings.last_mut().expect("just pushed")
    }

    /// True when any finding is a malformed-input error (the run must stop before writing anything).
    pub fn has_input_errors(&self) -> bool {
        self.findings.iter().any(|f| f.code == crate::rules::MALFORMED_INPUT)
    }

    /// All findings so far.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Appends another sink's findings (in their order) after these.
    pub fn append(&mut self, other: Sink) {
        self.findings.extend(other.findings);
    }

    /// Keeps only the findings `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Finding) -> bool) {
        self.findings.retain(keep);
    }

    /// Rewrites the message of each finding `f` gives a new one for.
    pub fn map_messages(&mut self, mut f: impl FnMut(&Finding) -> Option<String>) {
        for finding in &mut self.findings {
            if let Some(m) = f(finding) {
                finding.message = m.into();
            }
        }
    }

    /// Takes the findings out.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

impl Finding {
    /// Adds a help text.
    pub fn with_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into().into());
        self
    }
}
