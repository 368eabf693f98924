//! `plan --format markdown`: a PR comment, rendered from `templates/report/plan.md.j2`.

use crate::plan::Plan;
use crate::templates::Templates;
use anyhow::Result;
use minijinja::context;
use std::sync::Arc;

/// Renders the plan as Markdown.
pub fn render(plan: &Arc<Plan>, templates: &Templates) -> Result<String> {
    let mut out = Vec::new();
    write(plan, templates, &mut out)?;
    Ok(String::from_utf8(out)?)
}

/// [`render`], streamed to `out` (the Markdown of a large plan runs to tens of megabytes).
pub fn write(plan: &Arc<Plan>, templates: &Templates, out: &mut dyn std::io::Write) -> Result<()> {
    let env = templates.env()?;
    let t = env.get_template("report/plan.md.j2")?;
    t.render_captured_to(context! { plan => super::lazy::plan(plan) }, out)?;
    Ok(())
}
