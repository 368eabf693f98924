//! What every verb loads first: the mapping tables and the config, checked against each other; every problem of
//! either reported at once with file, line and caret.

use crate::{cli, commands, config, diag, mapping, text};
use anyhow::Result;

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
    let (cfg, path, typed) = config::load_all(global.config.as_deref()).map_err(invalid_config)?;
    // Every problem of the config at once, each with its line (issue 19), not the first alone: the keys serde
    // refuses and the checks of what it read (review of 4ba9fce).
    let mut problems = config::problems(&cfg);
    problems.extend(mapping::target_problems(&cfg, &tables));
    if !problems.is_empty() || !typed.is_empty() {
        let shown = path.as_ref().map_or_else(|| "eks2aks.yaml".to_string(), |p| p.display().to_string());
        let text = path
            .as_ref()
            .and_then(|p| diag::files::read_capped(p, true, diag::files::max_file_size()).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut invalid = config::Invalid::located(shown, text, &problems);
        invalid.problems.extend(typed);
        invalid.problems.sort();
        return Err(invalid_config(invalid.into()));
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
