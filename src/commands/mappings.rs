//! `eks2aks mappings check|list`.

use super::*;

/// Runs `mappings`.
pub fn run(
    action: MappingsAction,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let tables = match mapping::load(global.mappings.as_deref()) {
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
