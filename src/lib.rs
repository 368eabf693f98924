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
        pod_kinds: tables.pod_kinds.clone(),
        aws: cfg.aws.clone(),
    };
    let mut model = ingest::read(&inputs, &opts, &mut files, &mut sink);
    diag::timings::mark("read+parse");
    if sink.has_input_errors() {
        return Err((files, sink.into_findings()));
    }
    mapping::managed::resolve(&mut model, &mut files, &tables.managed, &mut sink);
    // Loki's `s3://<region>/<bucket>`: read by its path before the join (the region is no bucket).
    plan::storage_configs::reread_bucket_urls(&mut model, &files, tables);
    let mut joined = graph::build_with(&mut model, &files, &mut sink, graph);
    diag::timings::mark("join");
    let plan = plan::build(&model, &mut joined, &files, tables, &plan::PlanOptions::from_config(cfg), sink);
    diag::timings::mark("map+plan");
    Ok(Analysis { files, model, joined, plan: std::sync::Arc::new(plan) })
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
        Command::Diff(args) => commands::diff::run(args, &cli.global, out, err),
        Command::Init(args) => commands::init::run(args, &cli.global, out, err),
    }
}
