//! `plan --format markdown`: a PR comment, rendered from `templates/report/plan.md.j2`.

use crate::plan::Plan;
use crate::templates::Templates;
use anyhow::Result;
use minijinja::context;
use std::sync::Arc;

/// Renders the plan as Markdown. The template reads the plan lazily ([`super::lazy`]); the text is returned whole
/// so that a user's template failing half-way leaves nothing half-written on stdout.
pub fn render(plan: &Arc<Plan>, templates: &Templates) -> Result<String> {
    let env = templates.env()?;
    let t = env.get_template("report/plan.md.j2")?;
    Ok(t.render(context! { plan => super::lazy::plan(plan), graph => graph(plan) })?)
}

/// The plan's Mermaid graph of ServiceAccount → identity → role → scope (fenced, bounded to
/// [`super::diff::MERMAID_EDGES`] edges), as `plan.md.j2` shows it under `graph`.
pub fn graph(plan: &Plan) -> String {
    let v = serde_json::json!({ "identities": plan.identities });
    super::diff::mermaid(&v, &v, super::diff::MERMAID_EDGES)
}
