//! `eks2aks check`.

use super::*;

/// Runs `check`: `--list-rules` and `--explain` answer on their own; otherwise the analysis (a malformed input
/// still gets its report, [`write_malformed`]), the drift against `--against`, the report
/// ([`crate::check::build_report`], which writes SARIF while the ledger is built) and the other formats.
pub fn run(
    args: cli::CheckArgs,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    let tpl = templates::Templates { dir: global.templates.clone() };
    if args.list_rules {
        return list_rules(out);
    }
    if let Some(code) = &args.explain {
        return explain(code, out, err);
    }
    let (cfg, tables) = load_setup(global)?;
    if let Some(dir) = &args.against {
        refuse_dir_over_inputs(dir, &args.inputs, "--against")?;
    }
    let mut a = match analyse_with(&args.inputs, &cfg, &tables, args.against.as_deref(), false) {
        Ok(a) => a,
        Err((files, findings)) => {
            write_malformed(&args, &tpl, &files, &findings, out)?;
            return report_input_errors(&files, &findings, color, err);
        }
    };
    let drift = match &args.against {
        Some(dir) => {
            let tree = render::translate(&mut a, &cfg, &tpl, &Default::default())?;
            render::drift::compare(&tree, dir, &mut a.files)?
        }
        None => Vec::new(),
    };
    // Files of --against that the filesystem policy did not read are findings of their own, not drift.
    let (drift, unread): (Vec<_>, Vec<_>) = drift.into_iter().partition(|f| f.code == rules::DRIFT);
    let fail_on = match args.fail_on {
        FailOnArg::Error => crate::check::FailOn::Error,
        FailOnArg::Warning => crate::check::FailOn::Warning,
        FailOnArg::Never => crate::check::FailOn::Never,
    };
    let opts = crate::check::ReportOptions {
        fail_on,
        strict: args.strict,
        // SARIF, text and JUnit print only the ledger's totals.
        items: matches!(args.format, CheckFormat::Json | CheckFormat::Markdown),
    };
    let sarif = matches!(args.format, CheckFormat::Sarif).then_some(&mut *out);
    // Shared, so `check.md.j2` can read it lazily.
    let report =
        std::sync::Arc::new(crate::check::build_report(&mut a, &drift, &unread, opts, &cfg.stay_on_aws, sarif)?);
    let text = match args.format {
        CheckFormat::Text => {
            // It reads only the files and the report: the rest goes first, so that the file it is quoting
            // (the largest may be a 23 MB IAM export) does not come on top of it (170→148 MB at 10,000
            // apps, for a tenth of a second of freeing).
            a.release_all_but_files();
            crate::check::text(&a, &report, &drift, color, out)?;
            String::new()
        }
        CheckFormat::Json => {
            json::write_pretty(&report, out)?;
            String::new()
        }
        // Written with the report.
        CheckFormat::Sarif => String::new(),
        CheckFormat::Junit => crate::check::junit(&a, &report, fail_on),
        CheckFormat::Gitlab => crate::check::gitlab::render(&report),
        CheckFormat::Markdown => {
            let summary = crate::check::summary_line(&report);
            markdown(&tpl, minijinja::context! { report => crate::check::lazy::report(&report), summary })?
        }
    };
    out.write_all(text.as_bytes())?;
    diag::timings::mark("report");
    let status = if report.summary.failed { ExitStatus::Failure } else { ExitStatus::Success };
    release((a, report, text, drift));
    Ok(status)
}

/// `--list-rules`: the rule catalogue as a table.
fn list_rules(out: &mut dyn Write) -> Result<ExitStatus> {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["Code", "Name", "Default", "What it does"]);
    for r in rules::ALL {
        t.add_row(vec![r.code, r.name, r.severity.as_str(), r.what]);
    }
    writeln!(out, "{t}")?;
    Ok(ExitStatus::Success)
}

/// `--explain CODE`: one rule explained (a code or name it does not know is an error).
fn explain(code: &str, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitStatus> {
    let Some(rule) = rules::by_code(code) else {
        writeln!(err, "error: no rule `{}` (see `eks2aks check --list-rules`)", text::escape(code))?;
        return Ok(ExitStatus::Error);
    };
    out.write_all(rules::explain(rule).as_bytes())?;
    Ok(ExitStatus::Success)
}

/// A run that stopped at malformed input: CI still gets its report in JSON, SARIF, JUnit, GitLab or Markdown (a SARIF upload of
/// nothing would hide the problem); the exit status is 2 all the same.
fn write_malformed(
    args: &cli::CheckArgs,
    tpl: &templates::Templates,
    files: &Files,
    findings: &[diag::Finding],
    out: &mut dyn Write,
) -> Result<()> {
    if matches!(args.format, CheckFormat::Text) {
        return Ok(());
    }
    let report = crate::check::malformed_report(files, findings);
    let text = match args.format {
        CheckFormat::Junit => crate::check::junit_malformed(&report),
        CheckFormat::Sarif => crate::check::sarif::render(&report),
        CheckFormat::Gitlab => crate::check::gitlab::render(&report),
        CheckFormat::Json => json::to_pretty_string(&report),
        _ => {
            let summary = crate::check::summary_line(&report);
            markdown(tpl, minijinja::context! { report => minijinja::value::Serde(&report), summary })?
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// `--format markdown`: `report/check.md.j2` rendered with `ctx` (the report and its summary line).
fn markdown(tpl: &templates::Templates, ctx: minijinja::Value) -> Result<String> {
    let env = tpl.env()?;
    Ok(env.get_template("report/check.md.j2")?.render(ctx)?)
}
