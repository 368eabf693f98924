//! `eks2aks diff BASE HEAD`: each side is an input tree (planned with the same config and tables) or a
//! `plan.json` file; the two plans are compared by [`report::diff`].

use super::*;
use crate::cli::{DiffFailOn, DiffFormat};
use serde_json::Value;

/// Runs `diff`.
pub fn run(
    args: cli::DiffArgs,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    let (cfg, tables) = load_setup(global)?;
    let mut plans = Vec::with_capacity(2);
    for side in [&args.base, &args.head] {
        match side_plan(side, &cfg, &tables)? {
            Ok(p) => plans.push(p),
            Err((files, findings)) => return report_input_errors(&files, &findings, color, err),
        }
    }
    let d = report::diff::compute(&plans[0], &plans[1], &tables);
    let text = match args.format {
        DiffFormat::Text => report::diff::text(&d),
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report::diff::json(&d))?;
            s.push('\n');
            s
        }
        DiffFormat::Markdown => {
            let graph = report::diff::mermaid(&plans[0], &plans[1], report::diff::MERMAID_EDGES);
            report::diff::markdown(&d, &graph, report::diff::GITHUB_COMMENT_LIMIT)
        }
    };
    out.write_all(text.as_bytes())?;
    if args.fail_on == DiffFailOn::Escalation && d.escalations() > 0 {
        if !global.quiet {
            let n = d.escalations();
            writeln!(
                err,
                "eks2aks diff: {n} privilege increase{} (--fail-on escalation)",
                if n == 1 { "" } else { "s" }
            )?;
        }
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

type Side = std::result::Result<Value, (Files, Vec<diag::Finding>)>;

/// One side as a `plan.json` value: a file holding a plan is read as it is; anything else is planned.
fn side_plan(path: &std::path::Path, cfg: &crate::config::Config, tables: &mapping::Tables) -> Result<Side> {
    if path.is_file()
        && let Some(plan) = read_plan_json(path)?
    {
        let mut plan = plan;
        report::diff::relativize(&mut plan, None);
        return Ok(Ok(plan));
    }
    if !path.exists() {
        anyhow::bail!("{}: no such file or directory", path.display());
    }
    let a = match analyse(std::slice::from_ref(&path.to_path_buf()), cfg, tables) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let mut buf = Vec::new();
    report::json::write(&a.plan, &mut buf)?;
    release(a);
    let mut plan: Value = serde_json::from_slice(&buf)?;
    if path.is_dir() {
        report::diff::relativize(&mut plan, Some(&path.to_string_lossy()));
    }
    Ok(Ok(plan))
}

/// A JSON file whose `schema` is `eks2aks/plan/v1`; `None` for any other file (it is an input to plan). A JSON
/// object with another top-level `schema` string is an error (review 4, r19: a `plan/v2` was read as an input tree
/// holding nothing, so every grant looked removed and `--fail-on escalation` passed); no AWS or Kubernetes input
/// has a top-level `schema`.
fn read_plan_json(path: &std::path::Path) -> Result<Option<Value>> {
    if path.extension().is_none_or(|e| e != "json") {
        return Ok(None);
    }
    let bytes = diag::files::read_capped(path, true, diag::files::max_file_size())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else { return Ok(None) };
    match v.get("schema").and_then(Value::as_str) {
        None => Ok(None),
        Some("eks2aks/plan/v1") => Ok(Some(v)),
        Some(other) => anyhow::bail!(
            "{}: schema `{}` is not a plan this eks2aks reads (eks2aks/plan/v1); nothing was compared",
            path.display(),
            crate::text::truncate(other)
        ),
    }
}
