//! The one finding type. A problem in the user's input is a value, never an `Err`: stages push findings into a
//! [`Sink`] and carry on, so one run reports every problem.

use super::FileId;
use serde::Serialize;

/// Severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a gate by default.
    Note,
    /// Needs a decision from a person.
    Warning,
    /// Wrong or unsafe; the migration would not work as the input says.
    Error,
}

impl Severity {
    /// Lower-case name as used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

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

/// One finding: a rule code, its severity, a message, and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
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
        self.findings.push(Finding { code, severity, message: message.into().into(), loc, help: None });
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
