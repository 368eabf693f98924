//! eks2aks: plans and performs the move of Kubernetes workloads and their cloud identity from AWS EKS (IRSA) to
//! Azure AKS (workload identity).
//!
//! The pipeline runs in stages, each returning a new type: [`ingest`] (files → [`model::Model`]), [`graph`]
//! (model → [`graph::Joined`]), [`mapping`] (the tables → needs and role choices per identity), [`plan`]
//! (→ [`plan::Plan`], gathered with the files, model and join in [`plan::Analysis`]), then the outputs: [`report`]
//! (plan.json, plan.md, the table), [`render`] (Bicep, scripts, manifests; `--against`) and [`check`] (the gate).
//! [`analyse_with`] is the whole pipeline; [`commands`] holds one file per verb, and [`run`] dispatches to them. The
//! stages are layered (ARCHITECTURE.md, enforced by `tests/cli/layering.rs`). Problems in the user's input are
//! [`diag::Finding`]s, never errors; `anyhow` is only for the tool's own failures.

pub mod check;
pub mod cli;
pub mod commands;
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
use cli::{Cli, Command};
use diag::{Files, Sink};
use std::io::Write;
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

/// Loads the mapping tables and the config, and checks them against each other. Every problem of either is
/// reported at once, each rendered like an input error (file, line, caret) under one line that counts them.
pub fn load_setup(global: &cli::GlobalArgs) -> Result<(config::Config, mapping::Tables)> {
    let tables = mapping::load(global.mappings.as_deref()).map_err(|errs| {
        let n = errs.len();
        rendered(
            format!("invalid mapping tables ({n} problem{})", if n == 1 { "" } else { "s" }),
            commands::render_mapping_errors(&errs, false),
        )
    })?;
    // The size limit of every read (README "Safety"): the flag, else the config's key (the config itself is read
    // under the flag's limit or the default).
    if let Some(n) = global.max_file_size {
        diag::files::set_max_file_size(n);
    }
    let (cfg, path) = config::load(global.config.as_deref()).map_err(invalid_config)?;
    // Every problem of the config at once, each with its line (issue 19), not the first alone.
    let mut problems = config::problems(&cfg);
    problems.extend(mapping::target_problems(&cfg, &tables));
    if !problems.is_empty() {
        let shown = path.as_ref().map_or_else(|| "eks2aks.yaml".to_string(), |p| p.display().to_string());
        let text = path
            .as_ref()
            .and_then(|p| diag::files::read_capped(p, true, diag::files::max_file_size()).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        return Err(invalid_config(config::Invalid::located(shown, text, &problems).into()));
    }
    if let (None, Some(size)) = (global.max_file_size, &cfg.max_file_size) {
        diag::files::set_max_file_size(size.bytes()?);
    }
    Ok((cfg, tables))
}

/// A config error with its problems rendered at their lines; any other error as it is.
fn invalid_config(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<config::Invalid>() {
        Some(c) => {
            let n = c.problems.len();
            let head =
                format!("invalid config {} ({n} problem{})", text::escape(&c.path), if n == 1 { "" } else { "s" });
            rendered(head, commands::render_invalid_config(c, false))
        }
        None => e,
    }
}

/// A heading and rendered diagnostics as one error the binary prints as it is (`text::Preformatted`; the
/// diagnostics escaped every input text already). Plain: the binary escapes what it prints, colours included.
fn rendered(head: String, body: String) -> anyhow::Error {
    anyhow::Error::new(text::Preformatted(format!("{head}:\n{}", body.trim_end())))
}

static EXIT_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called by the binary, whose process exits right after [`run`]: the analysis of a large input is then left for
/// the OS to take back at once instead of being freed one allocation at a time (a million small frees, ~8 % of a
/// 10,000-application `plan`). Library users who call [`run`] repeatedly do not call this.
pub fn process_exits_after_run() {
    EXIT_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Runs one command.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitStatus> {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "eks2aks", out);
            Ok(ExitStatus::Success)
        }
        Command::Mappings { action } => commands::mappings::run(action, &cli.global, out, err),
        Command::Plan(args) => commands::plan::run(args, &cli.global, out, err),
        Command::Translate(args) => commands::translate::run(args, &cli.global, out, err),
        Command::Check(args) => commands::check::run(args, &cli.global, out, err),
        Command::Graph(args) => commands::graph::run(args, &cli.global, out, err),
    }
}
