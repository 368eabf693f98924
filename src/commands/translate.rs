//! `eks2aks translate`.

use super::*;

/// Runs `translate`.
pub fn run(
    args: cli::TranslateArgs,
    global: &cli::GlobalArgs,
    _out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    let tpl = templates::Templates { dir: global.templates.clone() };
    let (cfg, tables) = load_setup(global)?;
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
    if refused(&a.plan.findings, &args.out, err)? {
        return Ok(ExitStatus::Failure);
    }
    // Rendered and written together: each file goes to disk as soon as it is rendered (into a temporary
    // directory that replaces --out at the end), so the output is never held in memory whole.
    let mut files_written = 0;
    render::write::write_with(&args.out, args.force, |w| {
        files_written = render::translate_to(&mut a, true, &cfg, &tpl, &client_ids, w)?;
        Ok(())
    })?;
    diag::timings::mark("render+write");
    if !global.quiet {
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

/// What `translate` never writes unless waived, in the order it is checked: (rule, what the output would do, how to
/// get past it).
/// - A grant wider than the IAM role (the soundness check, E2A045, issue 18): platform teams apply this output to
///   production.
/// - Two identities federating one ServiceAccount subject on the run's one AKS issuer (E2A039, two clusters in one
///   run): either cluster's pods could sign in as the other's identity. There is no per-cluster issuer setting, so
///   the fix is one run per cluster.
const REFUSALS: &[(&str, &str, &str)] = &[
    (
        rules::GRANT_WIDER_THAN_AWS,
        "role assignment(s) would allow more than the IAM role did",
        "Waive one with the annotation `eks2aks.dev/ignore: \"E2A045: <reason>\"` on the ServiceAccount that names the role.",
    ),
    (
        rules::AMBIGUOUS_SERVICE_ACCOUNT,
        "ServiceAccount name(s) would be federated to more than one identity on one AKS issuer",
        "Translate each cluster's directory in its own run, with that cluster's `azure.aks_oidc_issuer`.",
    ),
];

/// Prints the first refusal whose rule has unwaived errors ([`REFUSALS`]), each error at its place; true when
/// `translate` must stop before writing anything.
fn refused(findings: &[diag::Finding], out: &std::path::Path, err: &mut dyn Write) -> Result<bool> {
    for (code, what, fix) in REFUSALS {
        let list: Vec<&diag::Finding> = findings
            .iter()
            .filter(|f| f.code == *code && f.severity == diag::Severity::Error && f.suppressed.is_none())
            .collect();
        if list.is_empty() {
            continue;
        }
        for f in &list {
            writeln!(
                err,
                "error[{code}]: {}:{}: {}",
                text::escape(f.file.as_deref().unwrap_or("-")),
                f.line().unwrap_or(0),
                text::escape(&f.message)
            )?;
        }
        writeln!(err, "translate refused: {} {what}; nothing was written to {}. {fix}", list.len(), out.display())?;
        return Ok(true);
    }
    Ok(false)
}
