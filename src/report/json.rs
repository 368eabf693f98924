//! `plan --format json`: `plan.json`.

use crate::plan::Plan;

/// Pretty JSON with a final newline.
pub fn render(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("the plan serialises");
    s.push('\n');
    s
}
