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
    let mut ser = serde_json::Serializer::with_formatter(&mut w, Controls { level: 0, has_value: false });
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

/// serde_json's pretty formatter (two spaces a level), with DEL and the C1 controls in strings written as
/// `\u00XX`. The layout is serde_json's `PrettyFormatter`'s, byte for byte; each line break and its indentation
/// is one write instead of one per level (a large plan.json has a million of them).
struct Controls {
    /// Nesting depth.
    level: usize,
    /// Whether the innermost open array or object has a value yet.
    has_value: bool,
}

/// `,` then a line break then indentation, sliced to what each place needs.
const BREAK: [u8; 2 + 2 * 64] = {
    let mut b = [b' '; 2 + 2 * 64];
    b[0] = b',';
    b[1] = b'\n';
    b
};

/// A line break (after a comma unless `first`), indented to `level`.
fn line_break<W: ?Sized + Write>(w: &mut W, first: bool, level: usize) -> std::io::Result<()> {
    let from = usize::from(first);
    match BREAK.get(from..2 + 2 * level) {
        Some(b) => w.write_all(b),
        None => {
            w.write_all(&BREAK[from..2])?;
            (0..level).try_for_each(|_| w.write_all(b"  "))
        }
    }
}

impl serde_json::ser::Formatter for Controls {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        // In UTF-8, DEL is the byte 0x7F and a C1 control the bytes 0xC2 0x80–0x9F (U+0080–U+009F: the code point
        // is the second byte): a byte search (memchr, many bytes a step), no decoding.
        let b = fragment.as_bytes();
        // Nearly every fragment is ASCII below DEL: its largest byte, in a pass the compiler vectorises (no early
        // exit), is cheaper than setting up the search below for the many short keys and names (measured with
        // callgrind: `all(|x| x < 0x7f)`, which stops early and so is not vectorised, cost more than the search).
        if b.iter().fold(0, |m, &x| m.max(x)) < 0x7f {
            return w.write_all(b);
        }
        let mut start = 0;
        for i in memchr::memchr2_iter(0x7f, 0xc2, b) {
            let (code, width) = match (b[i], b.get(i + 1)) {
                (0x7f, _) => (0x7f, 1),
                (_, Some(&n)) if (0x80..=0x9f).contains(&n) => (n, 2),
                _ => continue,
            };
            w.write_all(&b[start..i])?;
            write!(w, "\\u{code:04x}")?;
            start = i + width;
        }
        w.write_all(&b[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            line_break(w, true, self.level)?;
        }
        w.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        line_break(w, first, self.level)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            line_break(w, true, self.level)?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        line_break(w, first, self.level)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
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

    /// The layout is serde_json's pretty printer's, byte for byte: empty and nested arrays and objects, scalars
    /// of every kind, and nesting past the precomputed indentation (64 levels).
    #[test]
    fn layout_is_serde_jsons_pretty_layout() {
        let mut deep = serde_json::json!([1, {}]);
        for i in 0..70 {
            deep =
                if i % 2 == 0 { serde_json::json!({ "k": deep, "e": [] }) } else { serde_json::json!([deep, [], 2]) };
        }
        let values = [
            serde_json::json!({}),
            serde_json::json!([]),
            serde_json::json!("s"),
            serde_json::json!({"a": [1, 2.5, -3, null, true, "x", {}, [], {"b": {"c": [[]]}}], "d": {"e": "f"}}),
            serde_json::json!([[{"a": []}], {"b": [{}]}]),
            deep,
        ];
        for v in values {
            let want = serde_json::to_string_pretty(&v).unwrap() + "\n";
            assert_eq!(super::to_pretty_string(&v), want);
        }
    }

    /// Every character from U+0020 to U+02FF, alone and run together (`Â`, U+00C2, is itself the byte pair C3 82;
    /// U+00A0 is C2 A0): exactly U+007F–U+009F are escaped, each as its own `\u00XX`, the rest written as they are.
    #[test]
    fn exactly_del_and_the_c1_controls_are_escaped_wherever_they_fall() {
        let chars: Vec<char> =
            (0x20u32..0x300).filter_map(char::from_u32).filter(|c| !matches!(c, '"' | '\\')).collect();
        let want = |s: &str| -> String {
            let body: String = s
                .chars()
                .map(
                    |c| if ('\u{7f}'..='\u{9f}').contains(&c) { format!("\\u{:04x}", c as u32) } else { c.to_string() },
                )
                .collect();
            format!("\"{body}\"\n")
        };
        let all: String = chars.iter().collect();
        assert_eq!(super::to_pretty_string(&all), want(&all));
        for &c in &chars {
            for d in ['a', '\u{85}', '\u{c2}', '\u{a0}', '\u{7f}'] {
                let s: String = [c, d, c].iter().collect();
                assert_eq!(super::to_pretty_string(&s), want(&s), "{s:?}");
            }
        }
    }
}
