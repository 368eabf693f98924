//! `eks2aks plan`.

use super::*;

/// Runs `plan`.
pub fn run(
    args: cli::PlanArgs,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    let tpl = templates::Templates { dir: global.templates.clone() };
    let (cfg, tables) = load_setup(global)?;
    let a = match analyse(&args.inputs, &cfg, &tables) {
        Ok(a) => a,
        Err((files, findings)) => {
            return report_input_errors(&files, &findings, color, err);
        }
    };
    if args.format != PlanFormat::Json && super::init::is_empty(&a.model) {
        // An empty summary would read as "nothing to migrate"; the input was most likely not what was meant.
        writeln!(err, "note: {}", super::init::nothing_found(&args.inputs))?;
        release(a);
        return Ok(ExitStatus::Success);
    }
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
