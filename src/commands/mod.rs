//! One file per verb: each reads its arguments, runs the pipeline (`crate::analyse` and the stages) and writes its
//! output; `crate::run` dispatches. The helpers they share are here.

pub mod check;
pub mod diff;
pub mod graph;
pub mod init;
pub mod mappings;
pub mod plan;
mod setup;
pub mod translate;

pub(crate) use crate::cli::{self, CheckFormat, ColorChoice, FailOnArg, GraphFormat, MappingsAction, PlanFormat};
pub(crate) use crate::diag::{self, Files};
pub(crate) use crate::{
    EXIT_AFTER_RUN, ExitStatus, analyse, analyse_with, json, mapping, render, report, rules, templates, text,
};
pub(crate) use anyhow::Result;
pub use setup::load_setup;
pub(crate) use std::io::{IsTerminal, Write};
pub(crate) use std::path::PathBuf;

pub(crate) fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // no-color.org: NO_COLOR counts when it is set and not empty.
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Prints input errors (and the notes that came with them) and returns exit status 2.
pub(crate) fn report_input_errors(
    files: &Files,
    findings: &[diag::Finding],
    color: bool,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let mut sorted: Vec<&diag::Finding> = findings.iter().filter(|f| f.code == rules::MALFORMED_INPUT).collect();
    sorted.sort_by_key(|f| (f.loc.map(|l| (files.display(l.file).to_string(), l.pos)), f.message.clone()));
    for f in &sorted {
        err.write_all(diag::render_text(files, f, color).as_bytes())?;
    }
    let n = sorted.len();
    writeln!(err, "error: {n} input problem{} found; nothing was written", if n == 1 { "" } else { "s" })?;
    Ok(ExitStatus::Error)
}

/// Mapping-table problems rendered like input errors: file, line and column, the quoted line and a caret.
pub(crate) fn render_mapping_errors(errs: &[mapping::load::MappingError], color: bool) -> String {
    let problems: Vec<diag::Problem> = errs
        .iter()
        .map(|e| diag::Problem {
            path: &e.file,
            line: e.line,
            column: e.column,
            source: e.source_line.as_deref(),
            message: &e.message,
        })
        .collect();
    diag::render_problems(&problems, color)
}

/// The problems of a config rendered like input errors, each at its line of the file.
pub(crate) fn render_invalid_config(c: &crate::config::Invalid, color: bool) -> String {
    let problems: Vec<diag::Problem> = c
        .problems
        .iter()
        .map(|p| diag::Problem {
            path: &c.path,
            line: p.line,
            column: p.column,
            source: p.line.and_then(|l| c.text.lines().nth(l.checked_sub(1)?)),
            message: &p.message,
        })
        .collect();
    diag::render_problems(&problems, color)
}

/// Drops `v`, or leaves it to the OS when the process is about to exit (see [`process_exits_after_run`]).
pub(crate) fn release<T>(v: T) {
    if EXIT_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(v);
    } else {
        drop(v);
    }
}

/// The output directory is skipped when inputs are walked; when it is an input, or holds one, that input would be
/// skipped whole and the run would translate nothing without a word. Refused instead (exit 2).
pub(crate) fn refuse_dir_over_inputs(dir: &std::path::Path, inputs: &[PathBuf], flag: &str) -> Result<()> {
    let Ok(dir_abs) = dir.canonicalize() else { return Ok(()) };
    let default = [PathBuf::from(".")];
    let inputs = if inputs.is_empty() { &default[..] } else { inputs };
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        if input.canonicalize().is_ok_and(|i| i.starts_with(&dir_abs)) {
            anyhow::bail!(
                "{flag} {} is the input {} or holds it; the input would be skipped as output. Choose a {flag} directory outside the inputs",
                dir.display(),
                input.display()
            );
        }
    }
    refuse_dir_holding_inputs(dir, &dir_abs, inputs, flag)
}

/// `dir` inside an input, holding files the walk would read: the walk skips `dir` whole (it is the output), so
/// those files would be dropped without a word (review 3: `--out k8s --force` with the manifests in `k8s/`).
/// Refused, naming them, with or without `--force`. What eks2aks wrote there and nobody changed is not an input
/// (the marker records it), and a directory the walk skips anyway (hidden, `target`, `node_modules`) drops nothing.
fn refuse_dir_holding_inputs(
    dir: &std::path::Path,
    dir_abs: &std::path::Path,
    inputs: &[PathBuf],
    flag: &str,
) -> Result<()> {
    let skipped_anyway = |rel: &std::path::Path| {
        rel.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c.starts_with('.') || c == "target" || c == "node_modules"
        })
    };
    let inside = inputs
        .iter()
        .filter_map(|i| i.canonicalize().ok())
        .any(|i| i.is_dir() && dir_abs.strip_prefix(&i).is_ok_and(|rel| !skipped_anyway(rel)));
    if !inside {
        return Ok(());
    }
    let walked = crate::ingest::walk::walk(&[dir.to_path_buf()], None);
    let Some(first) = walked.files.first() else { return Ok(()) };
    let more = match walked.files.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    anyhow::bail!(
        "{flag} {} holds input files ({}{more}) that would be skipped as output and dropped from the translation; choose a {flag} directory that holds no inputs (a new one, or one only eks2aks wrote)",
        dir.display(),
        first.display
    )
}
