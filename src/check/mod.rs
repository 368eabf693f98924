//! `check`: the CI gate. Findings (with configured severities and waivers), drift against a committed translate
//! output, and the coverage ledger, in the formats CI systems read: text, JSON, SARIF 2.1.0, JUnit XML and
//! Markdown. Exit 1 when a finding at or above `--fail-on` remains (or drift, or `--strict` and an item is left
//! untranslated).

pub mod lazy;
pub use crate::plan::ledger;
pub mod gitlab;
pub mod sarif;

use crate::diag::{Files, Finding, Severity};
use crate::plan::Analysis;
use crate::plan::FindingEntry;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use std::io::Write;

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Errors fail.
    Error,
    /// Warnings and errors fail.
    Warning,
    /// Nothing fails (report only).
    Never,
}

impl FailOn {
    /// True when a finding of this severity fails the gate.
    pub fn fails(self, s: Severity) -> bool {
        match self {
            FailOn::Error => s == Severity::Error,
            FailOn::Warning => s >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// Everything `check` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema id.
    pub schema: &'static str,
    /// Findings (waived ones marked `suppressed`), drift included.
    pub findings: Vec<FindingEntry>,
    /// Counts.
    pub summary: Summary,
    /// The coverage ledger.
    pub coverage: ledger::Ledger,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Active errors.
    pub errors: usize,
    /// Active warnings.
    pub warnings: usize,
    /// Active notes.
    pub notes: usize,
    /// Waived findings.
    pub waived: usize,
    /// Files that drifted from `--against`.
    pub drifted_files: usize,
    /// True when the gate fails.
    pub failed: bool,
}

/// Builds the report, leaving the plan as it is; `drift` are the drift findings of `--against`. The CLI builds it
/// with [`build_report`].
pub fn report(a: &Analysis, drift: Vec<FindingEntry>, fail_on: FailOn, strict: bool, stay_on_aws: &[String]) -> Report {
    let findings = findings(a.plan.findings.clone(), &drift);
    let coverage = ledger::build(a, &findings, stay_on_aws);
    assemble(findings, coverage, drift.len(), fail_on, strict)
}

/// What `check` was asked for, as building its report needs it.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// `--fail-on`.
    pub fail_on: FailOn,
    /// `--strict`.
    pub strict: bool,
    /// The ledger's items are printed (JSON, Markdown), not only its totals (SARIF, text and JUnit).
    pub items: bool,
}

/// The report of a `check` run ([`report`], as the CLI builds it): the plan's findings taken, not copied (nor
/// split off: `split_off(0)` copies every entry and leaves the plan holding the old list's room), with the drift
/// findings and the files of `--against` that were not read (`unread`); the coverage ledger built on another
/// thread meanwhile, and `sarif`, when given, written in the meantime (SARIF needs only the findings).
pub fn build_report(
    a: &mut Analysis,
    drift: &[FindingEntry],
    unread: &[FindingEntry],
    opts: ReportOptions,
    stay_on_aws: &[String],
    sarif: Option<&mut (dyn Write + '_)>,
) -> std::io::Result<Report> {
    let findings =
        findings(std::mem::take(&mut std::sync::Arc::make_mut(&mut a.plan).findings), &[drift, unread].concat());
    let a = &*a;
    let (coverage, sarif_written) = std::thread::scope(|s| {
        let ledger = s.spawn(|| {
            if opts.items {
                ledger::build(a, &findings, stay_on_aws)
            } else {
                ledger::totals(a, &findings, stay_on_aws)
            }
        });
        let written = match sarif {
            Some(out) => sarif::write(&findings, out),
            None => Ok(()),
        };
        (ledger.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), written)
    });
    sarif_written?;
    Ok(assemble(findings, coverage, drift.len(), opts.fail_on, opts.strict))
}

/// The report's findings: the plan's (taken, not copied: on a large run they are tens of megabytes) and the drift
/// findings, sorted.
pub fn findings(mut findings: Vec<FindingEntry>, drift: &[FindingEntry]) -> Vec<FindingEntry> {
    findings.extend(drift.iter().cloned());
    // The plan's findings are sorted already; only drift can unsort them.
    if !findings.is_sorted() {
        findings.sort();
    }
    findings
}

/// The report from its findings ([`findings`]) and the coverage ledger, which [`build_report`] builds in parallel.
pub fn assemble(
    findings: Vec<FindingEntry>,
    coverage: ledger::Ledger,
    drifted_files: usize,
    fail_on: FailOn,
    strict: bool,
) -> Report {
    let active = |s: Severity| findings.iter().filter(|f| f.severity == s && f.suppressed.is_none()).count();
    let failed = findings.iter().any(|f| f.suppressed.is_none() && fail_on.fails(f.severity))
        || drifted_files > 0
        || (strict && coverage.totals.not_translated > 0);
    Report {
        schema: "eks2aks/check/v1",
        summary: Summary {
            errors: active(Severity::Error),
            warnings: active(Severity::Warning),
            notes: active(Severity::Note),
            waived: findings.iter().filter(|f| f.suppressed.is_some()).count(),
            drifted_files,
            failed,
        },
        findings,
        coverage,
    }
}

/// The report of a run that stopped at malformed input: only those findings, failed, no ledger.
pub fn malformed_report(files: &Files, findings: &[Finding]) -> Report {
    let mut entries: Vec<FindingEntry> = findings
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.locate(files);
            f
        })
        .collect();
    entries.sort();
    entries.dedup();
    let errors = entries.iter().filter(|f| f.severity == Severity::Error).count();
    Report {
        schema: "eks2aks/check/v1",
        summary: Summary { errors, failed: true, ..Summary::default() },
        findings: entries,
        coverage: ledger::Ledger::default(),
    }
}

/// `--format text`: findings grouped by file, each as `path:line:col` with its source line (rustc style), then
/// the totals.
/// Streamed to `out` (50,000 findings with their source lines are tens of megabytes of text).
pub fn text(
    a: &Analysis,
    r: &Report,
    drift: &[FindingEntry],
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut current: Option<&str> = None;
    // The source text of the findings' file, read once for all of them and dropped with the next file: texts read
    // through `SourceFile::line` are kept for the rest of the run.
    let mut source: Option<(crate::diag::FileId, std::borrow::Cow<str>, Vec<usize>)> = None;
    // The report's findings are sorted by file and position already; drift is listed after them, as found.
    for f in r.findings.iter().filter(|f| f.code != crate::rules::DRIFT && f.suppressed.is_none()) {
        let file = f.file.as_deref().unwrap_or("(no file)");
        if current != Some(file) {
            // The file's name begins the line: escaped so that it cannot be read as a CI command either.
            let shown = crate::text::escape_line_start(file);
            writeln!(out, "{}", if color { format!("\x1b[1m{shown}\x1b[0m") } else { shown.into_owned() })?;
            current = Some(file);
        }
        let line = match f.loc {
            Some(l) => {
                if source.as_ref().is_none_or(|(id, _, _)| *id != l.file) {
                    // A file that cannot be read again, or changed since, quotes nothing (as `SourceFile::line`).
                    let text = a.files.get(l.file).read_text().unwrap_or_default();
                    let starts = crate::diag::line_starts(&text);
                    source = Some((l.file, text, starts));
                }
                let (_, text, starts) = source.as_ref().expect("just set");
                crate::diag::line_of(text, starts, l.pos.line.max(1) as usize)
            }
            None => "",
        };
        out.write_all(crate::diag::render_text_with(&a.files, f, color, line).as_bytes())?;
    }
    for d in drift {
        let file = crate::text::escape_line_start(d.file.as_deref().unwrap_or("-"));
        writeln!(out, "{file}: drift: {}", crate::text::escape(&d.message))?;
        if let Some(h) = &d.help {
            // A unified diff: its lines stay lines; what they quote is escaped.
            let h = crate::text::escape_lines(h);
            out.write_all(h.as_bytes())?;
            if !h.ends_with('\n') {
                writeln!(out)?;
            }
        }
    }
    out.write_all(summary_line(r).as_bytes())?;
    out.flush()
}

/// The closing line of text and Markdown reports.
pub fn summary_line(r: &Report) -> String {
    let s = &r.summary;
    let t = &r.coverage.totals;
    format!(
        "{}: {} errors, {} warnings, {} notes, {} waived{}; coverage: {} items, {} translated, {} not translated, {} waived, {} staying on AWS{}\n",
        if s.failed { "check failed" } else { "check passed" },
        s.errors,
        s.warnings,
        s.notes,
        s.waived,
        if s.drifted_files > 0 { format!(", {} files drifted", s.drifted_files) } else { String::new() },
        t.items,
        t.translated,
        t.not_translated,
        t.waived,
        t.stays_on_aws,
        if t.replaced > 0 { format!(", {} replaced by AKS features", t.replaced) } else { String::new() }
    )
}

/// `--format junit`: a test suite per input file, a test case per input object (Kubernetes object or IAM role),
/// failed by its findings at or above `--fail-on`. Findings outside any object go to a `(file)` case.
pub fn junit(a: &Analysis, r: &Report, fail_on: FailOn) -> String {
    use std::collections::BTreeMap;
    // (file, case name) → (start line, end line).
    let mut cases: BTreeMap<String, Vec<(String, u32, u32)>> = BTreeMap::new();
    let files: &Files = &a.files;
    for o in &a.model.objects {
        let ns = o.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
        cases.entry(files.display(o.loc.file).to_string()).or_default().push((
            format!("{} {ns}{}", o.kind, o.name),
            o.loc.pos.line,
            o.end.line,
        ));
    }
    for role in &a.model.roles {
        cases.entry(files.display(role.loc.file).to_string()).or_default().push((
            format!("IAM role {}", role.name),
            role.loc.pos.line,
            role.loc.pos.line,
        ));
    }
    junit_of(cases, r, fail_on)
}

/// `--format junit` for a run stopped by malformed input (no model): a suite per file with a finding, whose
/// `(file)` case fails with them — every finding of such a run is an error that stopped it, whatever `--fail-on`.
pub fn junit_malformed(r: &Report) -> String {
    junit_of(Default::default(), r, FailOn::Error)
}

/// The JUnit XML of `cases` (file → its objects: name, first and last line) and the report's findings.
fn junit_of(
    mut cases: std::collections::BTreeMap<String, Vec<(String, u32, u32)>>,
    r: &Report,
    fail_on: FailOn,
) -> String {
    use std::collections::BTreeMap;
    for f in &r.findings {
        if let Some(file) = &f.file {
            cases.entry(file.to_string()).or_default();
        }
    }
    // Failing findings by file, each file's in line order (the report's order), so an object finds its own by
    // binary search: scanning every finding for every file and object took seconds on a large run.
    let mut failing_in: BTreeMap<&str, Vec<&FindingEntry>> = BTreeMap::new();
    for f in &r.findings {
        if let Some(file) = f.file.as_deref()
            && f.suppressed.is_none()
            && fail_on.fails(f.severity)
        {
            failing_in.entry(file).or_default().push(f);
        }
    }
    // Values from input are escaped as in every text output ([`crate::text::escape`]: control characters as visible
    // escapes, which XML 1.0 cannot hold and JUnit viewers would print); quick-junit escapes the markup.
    let e = |s: &str| crate::text::escape(s).into_owned();
    let mut report = quick_junit::Report::new("eks2aks check");
    for (file, objs) in &cases {
        let mut suite = TestSuite::new(e(file));
        let mut failing: Vec<&FindingEntry> = failing_in.remove(file.as_str()).unwrap_or_default();
        failing.sort_by_key(|f| f.line());
        let mut claimed = vec![false; failing.len()];
        let mut objs = objs.clone();
        objs.sort_by_key(|o| (o.1, o.0.clone()));
        for (name, start, end) in &objs {
            let from = failing.partition_point(|f| f.line().is_none_or(|l| l < *start));
            let to = failing.partition_point(|f| f.line().is_none_or(|l| l <= *end));
            let mine: Vec<&FindingEntry> = failing.get(from..to.max(from)).unwrap_or_default().to_vec();
            claimed[from..to.max(from)].fill(true);
            suite.add_test_case(junit_case(file, name, &mine));
        }
        let rest: Vec<&FindingEntry> = failing.iter().zip(&claimed).filter(|(_, c)| !**c).map(|(f, _)| *f).collect();
        if !rest.is_empty() || objs.is_empty() {
            suite.add_test_case(junit_case(file, "(file)", &rest));
        }
        report.add_test_suite(suite);
    }
    let mut xml = report.to_string().expect("JUnit XML of in-memory strings");
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    xml
}

/// A test case of `--format junit`: passed, or failed by `findings` (JUnit holds one `<failure>` per case: its
/// type and message are the first finding's, with a count of the others; its text has a line per finding).
fn junit_case(file: &str, name: &str, findings: &[&FindingEntry]) -> TestCase {
    let e = |s: &str| crate::text::escape(s).into_owned();
    let status = match findings {
        [] => TestCaseStatus::success(),
        [first, more @ ..] => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type(first.code);
            status.set_message(match more.len() {
                0 => e(&first.message),
                n => format!("{} (and {n} more finding{})", e(&first.message), if n == 1 { "" } else { "s" }),
            });
            let lines: Vec<String> = findings
                .iter()
                .map(|f| {
                    format!(
                        "{}:{}: {} {} {}",
                        crate::text::escape_line_start(file),
                        f.line().unwrap_or(0),
                        f.severity.as_str(),
                        e(f.rule()),
                        e(&f.message)
                    )
                })
                .collect();
            status.set_description(lines.join("\n"));
            status
        }
    };
    let mut case = TestCase::new(e(name), status);
    case.set_classname(e(file));
    case
}
