//! eks2aks: plans and performs the move of Kubernetes workloads and their cloud identity from AWS EKS (IRSA) to
//! Azure AKS (workload identity).
//!
//! The pipeline runs in stages, each returning a new type: [`ingest`] (files → [`model::Model`]), [`graph`]
//! (model → [`graph::Joined`]), [`plan`] (→ [`plan::Plan`]), and [`report`] (plan → text). Problems in the
//! user's input are [`diag::Finding`]s, never errors; `anyhow` is only for the tool's own failures.

pub mod check;
pub mod cli;
pub mod config;
pub mod diag;
pub mod glob;
pub mod graph;
pub mod ingest;
pub mod json;
pub mod mapping;
pub mod model;
pub mod par;
pub mod plan;
pub mod render;
pub mod report;
pub mod rules;
pub mod templates;
pub mod text;
pub mod yaml;

use anyhow::Result;
use clap::CommandFactory;
use cli::{CheckFormat, Cli, ColorChoice, Command, FailOnArg, GraphFormat, MappingsAction, PlanFormat};
use diag::{Files, Sink};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0.
    Success = 0,
    /// 1: `check` found findings at or above the threshold.
    Failure = 1,
    /// 2: usage error, malformed input, invalid config.
    Error = 2,
}

pub use plan::Analysis;

/// Reads, joins and plans. `Err(findings)` when any input is malformed: nothing may be written then.
pub fn analyse(
    inputs: &[PathBuf],
    cfg: &config::Config,
    tables: &mapping::Tables,
) -> std::result::Result<Analysis, (Files, Vec<diag::Finding>)> {
    analyse_with(inputs, cfg, tables, None, false)
}

/// [`analyse`], skipping a directory (the `--out` of `translate`) while walking; `graph`: build the join's graph
/// ([`graph::Joined::graph`]), which only `eks2aks graph` draws.
pub fn analyse_with(
    inputs: &[PathBuf],
    cfg: &config::Config,
    tables: &mapping::Tables,
    skip: Option<&std::path::Path>,
    graph: bool,
) -> std::result::Result<Analysis, (Files, Vec<diag::Finding>)> {
    let mut files = Files::default();
    let mut sink = Sink::default();
    let inputs: Vec<PathBuf> = if inputs.is_empty() { vec![PathBuf::from(".")] } else { inputs.to_vec() };
    let opts = ingest::IngestOptions {
        default_namespace: cfg.default_namespace.clone().unwrap_or_else(|| "default".into()),
        skip_dir: skip.map(std::path::Path::to_path_buf),
    };
    let mut model = ingest::read(&inputs, &opts, &mut files, &mut sink);
    diag::timings::mark("read+parse");
    if sink.has_input_errors() {
        return Err((files, sink.into_findings()));
    }
    let mut joined = graph::build_with(&mut model, &files, &mut sink, graph);
    diag::timings::mark("join");
    let plan = plan::build(&model, &mut joined, &files, tables, &plan_options(cfg), sink);
    diag::timings::mark("map+plan");
    Ok(Analysis { files, model, joined, plan: std::sync::Arc::new(plan) })
}

/// Plan options from the config.
pub fn plan_options(cfg: &config::Config) -> plan::PlanOptions {
    plan::PlanOptions {
        aks_oidc_issuer: cfg.azure.aks_oidc_issuer.clone(),
        targets: mapping::need::TargetChoice {
            by_service: cfg.targets.clone(),
            by_resource: cfg.resource_targets.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            stay_on_aws: cfg.stay_on_aws.clone(),
        },
        choose: mapping::choose::ChooseOptions {
            custom_roles: cfg.custom_roles.enabled,
            max_excess: cfg.custom_roles.max_excess,
        },
        keda_operator: cfg.azure.keda_operator.clone().unwrap_or_else(|| "kube-system/keda-operator".into()),
        container_registry: cfg.azure.container_registry.clone(),
        rule_overrides: config::rule_overrides(cfg).unwrap_or_default(),
        config: cfg.clone(),
    }
}

/// Loads the mapping tables and the config, and checks them against each other.
pub fn load_setup(global: &cli::GlobalArgs) -> Result<(config::Config, mapping::Tables)> {
    let tables = mapping::load(global.mappings.as_deref()).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("  {}", text::escape(&e.to_string()))).collect();
        // One problem per line, each escaped (`text::Preformatted`: the binary keeps these line breaks).
        anyhow::Error::new(text::Preformatted(format!(
            "invalid mapping tables ({} problem{}):\n{}",
            errs.len(),
            if errs.len() == 1 { "" } else { "s" },
            lines.join("\n")
        )))
    })?;
    // The size limit of every read (README "Safety"): the flag, else the config's key (the config itself is read
    // under the flag's limit or the default).
    if let Some(n) = global.max_file_size {
        diag::files::set_max_file_size(n);
    }
    let (cfg, _) = config::load(global.config.as_deref())?;
    if let (None, Some(size)) = (global.max_file_size, &cfg.max_file_size) {
        diag::files::set_max_file_size(size.bytes()?);
    }
    mapping::check_targets(&cfg, &tables)?;
    config::rule_overrides(&cfg)?;
    Ok((cfg, tables))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // no-color.org: NO_COLOR counts when it is set and not empty.
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The findings that make `translate` refuse: grants wider than the IAM role (E2A045) at error severity and not
/// waived.
fn refused_grants(findings: &[diag::Finding]) -> Vec<&diag::Finding> {
    findings
        .iter()
        .filter(|f| {
            f.code == rules::GRANT_WIDER_THAN_AWS && f.severity == diag::Severity::Error && f.suppressed.is_none()
        })
        .collect()
}

/// Prints input errors (and the notes that came with them) and returns exit status 2.
fn report_input_errors(
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

static EXIT_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called by the binary, whose process exits right after [`run`]: the analysis of a large input is then left for
/// the OS to take back at once instead of being freed one allocation at a time (a million small frees, ~8 % of a
/// 10,000-application `plan`). Library users who call [`run`] repeatedly do not call this.
pub fn process_exits_after_run() {
    EXIT_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Drops `v`, or leaves it to the OS when the process is about to exit (see [`process_exits_after_run`]).
fn release<T>(v: T) {
    if EXIT_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(v);
    } else {
        drop(v);
    }
}

/// The output directory is skipped when inputs are walked; when it is an input, or holds one, that input would be
/// skipped whole and the run would translate nothing without a word. Refused instead (exit 2).
fn refuse_dir_over_inputs(dir: &std::path::Path, inputs: &[PathBuf], flag: &str) -> Result<()> {
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
    Ok(())
}

/// Runs one command.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitStatus> {
    let color = use_color(cli.global.color);
    let tpl = templates::Templates { dir: cli.global.templates.clone() };
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "eks2aks", out);
            Ok(ExitStatus::Success)
        }
        Command::Mappings { action } => {
            let tables = match mapping::load(cli.global.mappings.as_deref()) {
                Ok(t) => t,
                Err(errs) => {
                    for e in &errs {
                        writeln!(err, "error: {}", text::escape(&e.to_string()))?;
                    }
                    writeln!(
                        err,
                        "error: {} problem{} in the mapping tables",
                        errs.len(),
                        if errs.len() == 1 { "" } else { "s" }
                    )?;
                    return Ok(ExitStatus::Error);
                }
            };
            match action {
                MappingsAction::Check => {
                    let actions: usize = tables.actions.values().map(|a| a.len()).sum();
                    writeln!(
                        out,
                        "mapping tables are valid: {} services, {actions} actions, {} roles, {} service pairs",
                        tables.services.len(),
                        tables.roles.len(),
                        tables.pairs.len()
                    )?;
                }
                MappingsAction::List => out.write_all(report::mappings::render(&tables).as_bytes())?,
            }
            Ok(ExitStatus::Success)
        }
        Command::Plan(args) => {
            let (cfg, tables) = load_setup(&cli.global)?;
            let a = match analyse(&args.inputs, &cfg, &tables) {
                Ok(a) => a,
                Err((files, findings)) => {
                    return report_input_errors(&files, &findings, color, err);
                }
            };
            let text = match args.format {
                PlanFormat::Json => {
                    report::json::write(&a.plan, out)?;
                    String::new()
                }
                PlanFormat::Table => report::table::render(&a.plan),
                // Rendered whole before any of it is written: a user's template that fails half-way must not leave
                // half a plan on stdout (`> plan.md`).
                PlanFormat::Markdown => report::markdown::render(&a.plan, &tpl)?,
            };
            out.write_all(text.as_bytes())?;
            diag::timings::mark("render");
            release((a, text));
            Ok(ExitStatus::Success)
        }
        Command::Translate(args) => {
            let (cfg, tables) = load_setup(&cli.global)?;
            let client_ids = match &args.client_ids {
                Some(p) => render::read_client_ids(p)?,
                None => Default::default(),
            };
            render::write::check_out(&args.out, args.force)?;
            refuse_dir_over_inputs(&args.out, &args.inputs, "--out")?;
            let mut a = match analyse_with(&args.inputs, &cfg, &tables, Some(&args.out), false) {
                Ok(a) => a,
                Err((files, findings)) => return report_input_errors(&files, &findings, color, err),
            };
            // A grant wider than the IAM role (the soundness check, E2A045) is never written unless waived with a
            // reason (issue 18): platform teams apply this output to production.
            let wider = refused_grants(&a.plan.findings);
            if !wider.is_empty() {
                for f in &wider {
                    writeln!(
                        err,
                        "error[E2A045]: {}:{}: {}",
                        text::escape(f.file.as_deref().unwrap_or("-")),
                        f.line().unwrap_or(0),
                        text::escape(&f.message)
                    )?;
                }
                writeln!(
                    err,
                    "translate refused: {} role assignment(s) would allow more than the IAM role did; nothing was written to {}. Waive one with the annotation `eks2aks.dev/ignore: \"E2A045: <reason>\"` on the ServiceAccount that names the role.",
                    wider.len(),
                    args.out.display()
                )?;
                return Ok(ExitStatus::Failure);
            }
            // Rendered and written together: each file goes to disk as soon as it is rendered (into a temporary
            // directory that replaces --out at the end), so the output is never held in memory whole.
            let mut files_written = 0;
            render::write::write_with(&args.out, args.force, |w| {
                files_written = render::translate_to(&mut a, true, &cfg, &tables, &tpl, &client_ids, w)?;
                Ok(())
            })?;
            diag::timings::mark("render+write");
            if !cli.global.quiet {
                let s = &a.plan.summary;
                writeln!(
                    err,
                    "wrote {} files to {}: {} identities, {} role assignments; {} errors, {} warnings, {} notes (see plan.md)",
                    files_written + 1,
                    args.out.display(),
                    s.identities,
                    a.plan.identities.iter().map(|i| i.role_assignments.len()).sum::<usize>(),
                    s.errors,
                    s.warnings,
                    s.notes
                )?;
            }
            release(a);
            Ok(ExitStatus::Success)
        }
        Command::Check(args) => {
            if args.list_rules {
                let mut t = comfy_table::Table::new();
                t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
                t.set_header(vec!["Code", "Name", "Default", "What it does"]);
                for r in rules::ALL {
                    t.add_row(vec![r.code, r.name, r.severity.as_str(), r.what]);
                }
                writeln!(out, "{t}")?;
                return Ok(ExitStatus::Success);
            }
            if let Some(code) = &args.explain {
                let Some(rule) = rules::by_code(code) else {
                    writeln!(err, "error: no rule `{}` (see `eks2aks check --list-rules`)", text::escape(code))?;
                    return Ok(ExitStatus::Error);
                };
                out.write_all(rules::explain(rule).as_bytes())?;
                return Ok(ExitStatus::Success);
            }
            let (cfg, tables) = load_setup(&cli.global)?;
            if let Some(dir) = &args.against {
                refuse_dir_over_inputs(dir, &args.inputs, "--against")?;
            }
            let mut a = match analyse_with(&args.inputs, &cfg, &tables, args.against.as_deref(), false) {
                Ok(a) => a,
                Err((files, findings)) => {
                    // CI still gets its report (a SARIF upload of nothing would hide the problem); exit 2 all the same.
                    if matches!(args.format, CheckFormat::Json | CheckFormat::Sarif | CheckFormat::Markdown) {
                        let report = check::malformed_report(&files, &findings);
                        let text = match args.format {
                            CheckFormat::Sarif => check::sarif::render(&report),
                            CheckFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
                            _ => {
                                let env = tpl.env()?;
                                let summary = check::summary_line(&report);
                                env.get_template("report/check.md.j2")?.render(
                                    minijinja::context! { report => minijinja::value::Serde(&report), summary },
                                )?
                            }
                        };
                        out.write_all(text.as_bytes())?;
                    }
                    return report_input_errors(&files, &findings, color, err);
                }
            };
            let drift = match &args.against {
                Some(dir) => {
                    let tree = render::translate(&mut a, &cfg, &tables, &tpl, &Default::default())?;
                    render::drift::compare(&tree, dir, &mut a.files)?
                }
                None => Vec::new(),
            };
            // Files of --against that the filesystem policy did not read are findings of their own, not drift.
            let (drift, unread): (Vec<_>, Vec<_>) = drift.into_iter().partition(|f| f.code == rules::DRIFT);
            let fail_on = match args.fail_on {
                FailOnArg::Error => check::FailOn::Error,
                FailOnArg::Warning => check::FailOn::Warning,
                FailOnArg::Never => check::FailOn::Never,
            };
            // The coverage ledger is built on another thread meanwhile; SARIF needs only the findings and is
            // written in the meantime.
            // Taken, not split off: `split_off(0)` copies every entry and leaves the plan holding the old list's room.
            let findings = check::findings(
                std::mem::take(&mut std::sync::Arc::make_mut(&mut a.plan).findings),
                &[&drift[..], &unread[..]].concat(),
            );
            // SARIF, text and JUnit print only the ledger's totals.
            let items = matches!(args.format, CheckFormat::Json | CheckFormat::Markdown);
            let (coverage, sarif_written) = std::thread::scope(|s| {
                let ledger = s.spawn(|| {
                    if items {
                        check::ledger::build(&a, &findings, &cfg.stay_on_aws)
                    } else {
                        check::ledger::totals(&a, &findings, &cfg.stay_on_aws)
                    }
                });
                let written = match args.format {
                    CheckFormat::Sarif => check::sarif::write(&findings, out).map(|()| true),
                    _ => Ok(false),
                };
                (ledger.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), written)
            });
            let sarif_written = sarif_written?;
            // Shared, so `check.md.j2` can read it lazily.
            let report = std::sync::Arc::new(check::assemble(findings, coverage, drift.len(), fail_on, args.strict));
            let text = match args.format {
                CheckFormat::Text => {
                    // It reads only the files and the report: the rest goes first, so that the file it is quoting
                    // (the largest may be a 23 MB IAM export) does not come on top of it (170→148 MB at 10,000
                    // apps, for a tenth of a second of freeing).
                    a.release_all_but_files();
                    check::text(&a, &report, &drift, color, out)?;
                    String::new()
                }
                CheckFormat::Json => {
                    json::write_pretty(&report, out)?;
                    String::new()
                }
                CheckFormat::Sarif => {
                    debug_assert!(sarif_written);
                    String::new()
                }
                CheckFormat::Junit => check::junit(&a, &report, fail_on),
                CheckFormat::Markdown => {
                    let env = tpl.env()?;
                    let summary = check::summary_line(&report);
                    env.get_template("report/check.md.j2")?
                        .render(minijinja::context! { report => check::lazy::report(&report), summary })?
                }
            };
            out.write_all(text.as_bytes())?;
            diag::timings::mark("report");
            let status = if report.summary.failed { ExitStatus::Failure } else { ExitStatus::Success };
            release((a, report, text, drift));
            Ok(status)
        }
        Command::Graph(args) => {
            let (cfg, tables) = load_setup(&cli.global)?;
            let a = match analyse_with(&args.inputs, &cfg, &tables, None, true) {
                Ok(a) => a,
                Err((files, findings)) => {
                    return report_input_errors(&files, &findings, color, err);
                }
            };
            let view = report::GraphView::new(&a.model, &a.joined, &a.plan);
            let text = match args.format {
                GraphFormat::Dot => view.dot(),
                GraphFormat::Mermaid => view.mermaid(),
            };
            out.write_all(text.as_bytes())?;
            Ok(ExitStatus::Success)
        }
    }
}
