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

/// Pretty JSON with a final newline, streamed to `out`: the one way every JSON output is written. Every control
/// character is escaped: serde_json escapes U+0000–U+001F, and [`Controls`] the rest (DEL and the C1 controls,
/// U+007F–U+009F, of which U+009B is a terminal's CSI), so no output carries a raw control from the input.
pub fn write_pretty<T: serde::Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut ser = serde_json::Serializer::with_formatter(&mut w, Controls(serde_json::ser::PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// [`write_pretty`] into a string (final newline included), for outputs made whole.
pub fn to_pretty_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    write_pretty(value, &mut out).expect("serialises into memory");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// serde_json's pretty formatter, with DEL and the C1 controls in strings written as `\u00XX`.
struct Controls<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for Controls<'_> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        // In UTF-8, DEL is the byte 0x7F and a C1 control the bytes 0xC2 0x80–0x9F: a byte scan, no decoding.
        let b = fragment.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < b.len() {
            let width = match b[i] {
                0x7f => 1,
                0xc2 if b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)) => 2,
                _ => {
                    i += 1;
                    continue;
                }
            };
            let c = fragment[i..].chars().next().expect("a char starts here");
            w.write_all(&b[start..i])?;
            write!(w, "\\u{:04x}", c as u32)?;
            i += width;
            start = i;
        }
        w.write_all(&b[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod control_tests {
    /// No control character leaves raw (C0 by serde_json, DEL and C1 here); every value reads back exactly, and
    /// other non-ASCII text is written as it is.
    #[test]
    fn every_control_is_escaped_and_values_read_back_exactly() {
        let text = "a\u{1b}[2J\u{7f}\u{85}\u{9b}31m é\u{a0}\u{202e}z\n";
        let v = serde_json::json!({ "k\u{9b}": [text, 5] });
        let out = super::to_pretty_string(&v);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains(r"\u007f\u0085\u009b31m é") && out.contains(r#""k\u009b""#), "{out}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v);
    }
}
