//! JSON writing shared by every output (plan.json, SARIF, the check report, role-assignments.json): streamed,
//! pretty, with a final newline. A bottom-layer helper: it knows no stage's types.

use std::io::Write;

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
