//! `plan --format markdown`: a PR comment, rendered from `templates/report/plan.md.j2`.

use crate::plan::Plan;
use crate::templates::Templates;
use anyhow::Result;
use minijinja::context;
use minijinja::value::Serde;

/// Renders the plan as Markdown.
pub fn render(plan: &Plan, templates: &Templates) -> Result<String> {
    let env = templates.env()?;
    let t = env.get_template("report/plan.md.j2")?;
    Ok(t.render(context! { plan => Serde(plan) })?)
}
