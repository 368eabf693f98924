//! The check report as a template value built as the template reads it (the machinery is `report::lazy`'s).

use crate::report::lazy::{record, seq};
use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value};
use std::sync::Arc;

/// The check report as the `report` value of `report/check.md.j2` (its findings and coverage items are read one at
/// a time: converted whole, a 10,000-app report was 200 MB of template values).
pub fn report(report: &Arc<super::Report>) -> Value {
    Value::from_object(ReportValue(report.clone()))
}

record!(ReportValue, super::Report, {
    schema: value,
    findings: seq,
    summary: value,
    coverage: coverage,
});

/// The report's coverage ledger (see [`report`]).
pub(crate) struct CoverageValue(Arc<super::Report>);

impl CoverageValue {
    pub(crate) const FIELDS: &'static [&'static str] = &["totals", "items"];
}

impl std::fmt::Debug for CoverageValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<Ledger>")
    }
}

impl Object for CoverageValue {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "totals" => Value::from(Serde(&self.0.coverage.totals)),
            "items" => seq(&self.0, |r| &r.coverage.items),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(Self::FIELDS)
    }
}
