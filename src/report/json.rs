//! `plan --format json`: `plan.json`.

use crate::plan::Plan;
use std::io::Write;

/// Pretty JSON with a final newline.
pub fn render(plan: &Plan) -> String {
    crate::json::to_pretty_string(plan)
}

/// [`render`], streamed to `out` (a large plan is not held twice in memory).
pub fn write(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    write_pretty(plan, out)
}

use crate::json::write_pretty;

#[cfg(test)]
mod tests {
    #[test]
    fn streamed_and_rendered_plans_are_identical() {
        let tables = crate::mapping::load(None).unwrap();
        let a = crate::analyse(&["testdata/examples/edw-keda".into()], &crate::config::Config::default(), &tables)
            .unwrap_or_else(|_| panic!("example is valid"));
        let mut streamed = Vec::new();
        super::write(&a.plan, &mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), super::render(&a.plan));
    }
}
