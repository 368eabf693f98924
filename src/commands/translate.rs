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
    if let Some(status) = refuse_shared_subjects(&a.plan.findings, &args.out, err)? {
        return Ok(status);
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

/// Two identities federating one ServiceAccount subject on the run's one AKS issuer (E2A039, two clusters in one
/// run) are never written unless waived: either cluster's pods could sign in as the other's identity. There is no
/// per-cluster issuer setting, so the fix is one run per cluster.
fn refuse_shared_subjects(
    findings: &[diag::Finding],
    out: &std::path::Path,
    err: &mut dyn Write,
) -> Result<Option<ExitStatus>> {
    let shared: Vec<&diag::Finding> = findings
        .iter()
        .filter(|f| {
            f.code == rules::AMBIGUOUS_SERVICE_ACCOUNT && f.severity == diag::Severity::Error && f.suppressed.is_none()
        })
        .collect();
    if shared.is_empty() {
        return Ok(None);
    }
    for f in &shared {
        writeln!(
            err,
            "error[E2A039]: {}:{}: {}",
            text::escape(f.file.as_deref().unwrap_or("-")),
            f.line().unwrap_or(0),
            text::escape(&f.message)
        )?;
    }
    writeln!(
        err,
        "translate refused: {} ServiceAccount name(s) would be federated to more than one identity on one AKS issuer; nothing was written to {}. Translate each cluster's directory in its own run, with that cluster's `azure.aks_oidc_issuer`.",
        shared.len(),
        out.display()
    )?;
    Ok(Some(ExitStatus::Failure))
}
