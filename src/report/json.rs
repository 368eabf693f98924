//! `plan --format json`: `plan.json`.

use crate::plan::Plan;
use std::io::Write;

/// Pretty JSON with a final newline.
pub fn render(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("the plan serialises");
    s.push('\n');
    s
}

/// [`render`], streamed to `out` (a large plan is not held twice in memory).
pub fn write(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    write_pretty(plan, out)
}

/// Serialises what an iterator yields as a sequence, without collecting it first (for lists of tens of
/// megabytes, and for fields made on demand).
pub(crate) struct SeqOf<F>(pub F);

impl<F: Fn() -> I, I: Iterator<Item = T>, T: serde::Serialize> serde::Serialize for SeqOf<F> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// Pretty JSON with a final newline, streamed to `out`: the one way every JSON output is written.
pub fn write_pretty<T: serde::Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n")?;
    w.flush()
}

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
