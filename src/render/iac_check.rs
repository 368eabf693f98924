//! A user's copy of an IaC template (`--templates DIR`) is checked against the plan before its output is written
//! (review 2, defect 5): every ABAC condition the plan puts on a role assignment must be in the rendered files,
//! quoted as the bundled template's filter quotes it. A template that leaves a condition out would grant the
//! role on the whole scope while `plan.json` says less: that widens, so it is refused and nothing is written.
//! A template that leaves a whole assignment out grants less than the plan, not more; it is not detected (see the
//! README, "Templates").

use crate::plan::Plan;
use anyhow::{Result, bail};

/// The templates whose output grants access.
pub const TEMPLATES: &[&str] = &["bicep/main.bicep.j2", "bicep/module.bicep.j2", "az/role-assignments.sh.j2"];

/// Fails unless every planned condition, quoted by `quote`, is in one of `texts` (the output of `template`).
pub fn conditions_carried(plan: &Plan, texts: &[&str], quote: fn(&str) -> String, template: &str) -> Result<()> {
    let mut missing = Vec::new();
    for id in &plan.identities {
        for a in &id.role_assignments {
            let Some(c) = &a.condition else { continue };
            let q = quote(&c.text());
            if !texts.iter().any(|t| t.contains(&q)) {
                missing.push(format!("{} for {} on {} {}", a.role_name, id.name, a.scope.kind, a.scope.azure_name));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let n = missing.len();
    missing.truncate(3);
    bail!(
        "the user template(s) {template} (from --templates) leave out the ABAC condition of {n} role assignment(s) of the plan, e.g. {}: its output would grant more than plan.json says, so nothing was written; render each assignment's condition as the bundled template does",
        crate::text::escape(&missing.join("; "))
    )
}
