//! `eks2aks check`.

use super::*;

/// Runs `check`.
pub fn run(
    args: cli::CheckArgs,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    let tpl = templates::Templates { dir: global.templates.clone() };
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
    let (cfg, tables) = load_setup(global)?;
    if let Some(dir) = &args.against {
        refuse_dir_over_inputs(dir, &args.inputs, "--against")?;
    }
    let mut a = match analyse_with(&args.inputs, &cfg, &tables, args.against.as_deref(), false) {
        Ok(a) => a,
        Err((files, findings)) => {
            // CI still gets its report (a SARIF upload of nothing would hide the problem); exit 2 all the same.
            if matches!(args.format, CheckFormat::Json | CheckFormat::Sarif | CheckFormat::Markdown) {
                let report = crate::check::malformed_report(&files, &findings);
                let text = match args.format {
                    CheckFormat::Sarif => crate::check::sarif::render(&report),
                    CheckFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
                    _ => {
                        let env = tpl.env()?;
                        let summary = crate::check::summary_line(&report);
                        env.get_template("report/check.md.j2")?
                            .render(minijinja::context! { report => minijinja::value::Serde(&report), summary })?
                    }
                };
                out.write_all(text.as_bytes())?;
            }
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
    // The coverage ledger is built on another thread meanwhile; SARIF needs only the findings and is
    // written in the meantime.
    // Taken, not split off: `split_off(0)` copies every entry and leaves the plan holding the old list's room.
    let findings = crate::check::findings(
        std::mem::take(&mut std::sync::Arc::make_mut(&mut a.plan).findings),
        &[&drift[..], &unread[..]].concat(),
    );
    // SARIF, text and JUnit print only the ledger's totals.
    let items = matches!(args.format, CheckFormat::Json | CheckFormat::Markdown);
    let (coverage, sarif_written) = std::thread::scope(|s| {
        let ledger = s.spawn(|| {
            if items {
                crate::check::ledger::build(&a, &findings, &cfg.stay_on_aws)
            } else {
                crate::check::ledger::totals(&a, &findings, &cfg.stay_on_aws)
            }
        });
        let written = match args.format {
            CheckFormat::Sarif => crate::check::sarif::write(&findings, out).map(|()| true),
            _ => Ok(false),
        };
        (ledger.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), written)
    });
    let sarif_written = sarif_written?;
    // Shared, so `check.md.j2` can read it lazily.
    let report = std::sync::Arc::new(crate::check::assemble(findings, coverage, drift.len(), fail_on, args.strict));
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
        CheckFormat::Sarif => {
            debug_assert!(sarif_written);
            String::new()
        }
        CheckFormat::Junit => crate::check::junit(&a, &report, fail_on),
        CheckFormat::Markdown => {
            let env = tpl.env()?;
            let summary = crate::check::summary_line(&report);
            env.get_template("report/check.md.j2")?
                .render(minijinja::context! { report => crate::check::lazy::report(&report), summary })?
        }
    };
    out.write_all(text.as_bytes())?;
    diag::timings::mark("report");
    let status = if report.summary.failed { ExitStatus::Failure } else { ExitStatus::Success };
    release((a, report, text, drift));
    Ok(status)
}
