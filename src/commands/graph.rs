//! `eks2aks graph`.

use super::*;

/// Runs `graph`.
pub fn run(
    args: cli::GraphArgs,
    global: &cli::GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let color = use_color(global.color);
    let (cfg, tables) = load_setup(global)?;
    let a = match analyse_with(&args.inputs, &cfg, &tables, None, true) {
        Ok(a) => a,
        Err((files, findings)) => {
            return report_input_errors(&files, &findings, color, err);
        }
    };
    let view = report::GraphView::new(&a.model, &a.joined, &a.plan);
    let text = match args.format {
        GraphFormat::Dot => view.dot(),
        GraphFormat::Mermaid => view.mermaid(),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}
