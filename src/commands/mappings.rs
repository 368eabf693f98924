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
            err.write_all(render_mapping_errors(&errs, use_color(global.color)).as_bytes())?;
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
                "mapping tables are valid: {} services, {actions} actions, {} roles, {} service pairs, {} scope kinds",
                tables.services.len(),
                tables.roles.len(),
                tables.pairs.len(),
                tables.scopes.kinds.len()
            )?;
        }
        MappingsAction::List => out.write_all(report::mappings::render(&tables).as_bytes())?,
    }
    Ok(ExitStatus::Success)
}
