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
    // Gathered from the plan's types, as the diff gathers them from plan.json (not through the whole plan as JSON: at
    // 10,000 apps that doubled translate's peak memory).
    let mut edges = std::collections::BTreeSet::new();
    for i in &plan.identities {
        let id = format!("identity {}", i.name);
        for sa in &i.service_accounts {
            edges.insert((format!("ServiceAccount {}/{}", sa.namespace, sa.name), id.clone(), String::new()));
        }
        for a in &i.role_assignments {
            edges.insert((id.clone(), format!("{} {}", a.scope.kind, a.scope.azure_name), a.role_name.to_string()));
        }
    }
    super::diff::mermaid_of_edges(&edges, &edges, super::diff::MERMAID_EDGES)
}
