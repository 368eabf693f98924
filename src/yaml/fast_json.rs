//! Strict JSON straight into the positioned tree, for [`super::parse_json_value`].
//!
//! jsonc-parser builds its own syntax tree, which was then converted node by node into ours, each position
//! looked up afresh from the text's line table (about an eighth of `plan`'s instructions went to that on the
//! benchmark corpus). This reader makes the tree in one pass: positions are counted as it goes, strings that hold
//! no escape are copied once.
//!
//! It takes only what it is sure of: RFC 8259 JSON, nesting up to [`MAX_DEPTH`], keys unique in each object.
//! Anything else — a syntax error, a duplicate key, deeper nesting, blank text, whitespace JSON does not define —
//! gives `None`, and the caller reads the text with jsonc-parser as before, so that its errors (and their
//! messages and positions) are exactly what they were. When both read a text, they give the same tree (pinned by
//! `tests::the_fast_reader_gives_the_jsonc_tree`).

use super::{Entry, JsonPositions, Node, Value};
use crate::diag::Pos;

/// Deepest nesting read here; jsonc-parser's own limit is 512.
const MAX_DEPTH: usize = 128;

/// Objects with more keys than this find duplicates through a set rather than by comparing with each earlier key.
const LINEAR_KEYS: usize = 16;

struct Reader<'t> {
    text: &'t str,
    b: &'t [u8],
    /// The next byte to read.
    i: usize,
    /// Positions are counted up to byte `at`, which is at `line`, `col` (characters from the line start, which is
    /// byte `line_start`, plus one).
    at: usize,
    line: u32,
    col: u32,
    line_start: Option<usize>,
    depth: usize,
}

/// Reads `text`, which starts at byte `offset` of the text `positions` was made for. `None`: leave it to
/// jsonc-parser (see the module's comment). On success the positions' count is left after the value, as reading
/// it through jsonc-parser would.
pub(super) fn read(text: &str, offset: usize, positions: &JsonPositions) -> Option<Node> {
    let first = text.bytes().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))?;
    let start = positions.pos(offset + first);
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        i: first,
        at: first,
        line: start.line,
        col: start.col,
        line_start: None,
        depth: 0,
    };
    let node = r.value()?;
    r.ws();
    if r.i != r.b.len() {
        return None;
    }
    // Leave the count where the last position was taken, in the whole text's terms.
    let (c_start, _, _) = positions.mark();
    let line_start = r.line_start.map_or(c_start, |s| s + offset);
    positions.restore((line_start, offset + r.at, (r.col - 1) as usize));
    Some(node)
}

/// Characters in UTF-8 bytes: the bytes that are not continuation bytes.
fn chars(b: &[u8]) -> u32 {
    let n = b.iter().filter(|&&c| (c as i8) >= -0x40).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Reader<'_> {
    /// The position of byte `byte` (never before the last one asked for).
    fn pos(&mut self, byte: usize) -> Pos {
        let seg = &self.b[self.at..byte];
        match memchr::memrchr(b'\n', seg) {
            Some(k) => {
                let lines = u32::try_from(memchr::memchr_iter(b'\n', seg).count()).unwrap_or(u32::MAX);
                self.line = self.line.saturating_add(lines);
                self.col = chars(&seg[k + 1..]).saturating_add(1);
                self.line_start = Some(self.at + k + 1);
            }
            None => self.col = self.col.saturating_add(chars(seg)),
        }
        self.at = byte;
        Pos { line: self.line, col: self.col }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.ws();
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn value(&mut self) -> Option<Node> {
        self.ws();
        let start = self.i;
        match *self.b.get(start)? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => {
                let pos = self.pos(start);
                let text = self.string()?;
                Some(Node { pos, end: self.pos(self.i), value: Value::Scalar { text, plain: false } })
            }
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            b'-' | b'0'..=b'9' => {
                self.number()?;
                let pos = self.pos(start);
                let text = self.text[start..self.i].to_string();
                Some(Node { pos, end: self.pos(self.i), value: Value::Scalar { text, plain: true } })
            }
            _ => None,
        }
    }

    fn word(&mut self, w: &'static str) -> Option<Node> {
        let start = self.i;
        if !self.b[start..].starts_with(w.as_bytes()) {
            return None;
        }
        self.i += w.len();
        let pos = self.pos(start);
        Some(Node { pos, end: self.pos(self.i), value: Value::Scalar { text: w.to_string(), plain: true } })
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let digits = |r: &mut Self| {
            let s = r.i;
            while r.b.get(r.i).is_some_and(u8::is_ascii_digit) {
                r.i += 1;
            }
            (r.i > s).then_some(())
        };
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => digits(self)?,
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            digits(self)?;
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            digits(self)?;
        }
        Some(())
    }

    /// A string's value; `self.i` is at its opening quote, and is left after its closing one.
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let start = self.i;
        let run = |r: &mut Self| {
            while r.b.get(r.i).is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20) {
                r.i += 1;
            }
        };
        run(self);
        if self.b.get(self.i) == Some(&b'"') {
            self.i += 1;
            return Some(self.text[start..self.i - 1].to_string());
        }
        let mut out = String::from(&self.text[start..self.i]);
        loop {
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return None,
                    });
                }
                c if c < 0x20 => return None,
                _ => {
                    let s = self.i;
                    run(self);
                    out.push_str(&self.text[s..self.i]);
                }
            }
        }
    }

    /// The character of `\uXXXX` (after the `u`), or of a surrogate pair `\uD8xx\uDCxx`; `None` for a lone
    /// surrogate (jsonc-parser's error).
    fn escaped_char(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xDC00..=0xDFFF).contains(&hi) {
            return None;
        }
        if !(0xD800..=0xDBFF).contains(&hi) {
            return char::from_u32(hi);
        }
        if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
            return None;
        }
        self.i += 2;
        let lo = self.hex4()?;
        if !(0xDC00..=0xDFFF).contains(&lo) {
            return None;
        }
        char::from_u32((hi - 0xD800) * 0x400 + (lo - 0xDC00) + 0x10000)
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    fn enter(&mut self) -> Option<Pos> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let pos = self.pos(self.i);
        self.i += 1;
        Some(pos)
    }

    fn array(&mut self) -> Option<Node> {
        let pos = self.enter()?;
        let mut items = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                items.push(self.value()?);
                match self.next_token()? {
                    b',' => {}
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let end = items.iter().map(|n| n.end).max().unwrap_or(pos);
        Some(Node { pos, end, value: Value::Seq(items) })
    }

    fn object(&mut self) -> Option<Node> {
        let pos = self.enter()?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut many: Option<std::collections::HashSet<String>> = None;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.b.get(self.i) != Some(&b'"') {
                    return None;
                }
                let key_pos = self.pos(self.i);
                let key = self.string()?;
                if !self.new_key(&entries, &mut many, &key) {
                    return None;
                }
                if self.next_token()? != b':' {
                    return None;
                }
                let value = self.value()?;
                entries.push(Entry { key, key_pos, value });
                match self.next_token()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let end = entries.iter().map(|e| e.value.end).max().unwrap_or(pos);
        Some(Node { pos, end, value: Value::Map(entries) })
    }

    /// Whether `key` is not yet among the object's keys.
    fn new_key(&self, entries: &[Entry], many: &mut Option<std::collections::HashSet<String>>, key: &str) -> bool {
        if entries.len() < LINEAR_KEYS {
            return !entries.iter().any(|e| e.key == key);
        }
        let set = many.get_or_insert_with(|| entries.iter().map(|e| e.key.clone()).collect());
        set.insert(key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{JsonPositions, parse_json_value, parse_json_value_jsonc};
    use proptest::prelude::*;

    fn jsonc(text: &str) -> Option<super::Node> {
        parse_json_value_jsonc(text, 0, &JsonPositions::new(text)).ok().flatten()
    }

    fn fast(text: &str) -> Option<super::Node> {
        super::read(text, 0, &JsonPositions::new(text))
    }

    /// Texts both readers take give the same tree, positions (start, end, keys) included; the fast reader takes
    /// every one of them (else this test would compare nothing).
    #[test]
    fn the_fast_reader_gives_the_jsonc_tree() {
        let texts = [
            "{}",
            "[]",
            " \r\n\t{ \"a\" : [ ] , \"b\":{}}\r\n",
            r#"{"a":"é","b":[1,{"c":"ü","e":[]}],"d":"x","f":{"g":"ß"}}"#,
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:Put*\"],\n      \"Resource\": \"arn:aws:s3:::b/*\"\n    }\n  ]\n}\n",
            r#"["\"\\\/\b\f\n\r\t", "\u0041\u00e9\u4e2d\ud83d\ude00", "a\u0000b", "tab\tx", "日本語 \u65e5"]"#,
            r#"[0, -0, 1, -12, 3.25, -0.5e10, 1E+2, 2e-3, 10.0E5, true, false, null]"#,
            r#"{"k":{"k":{"k":[[["deep"]]]}}, "n": null, "é": "ü", "": ""}"#,
            "\"just a string\"",
            "42",
        ];
        for text in texts {
            let want = jsonc(text);
            assert!(want.is_some(), "jsonc reads {text:?}");
            assert_eq!(fast(text), want, "{text:?}");
        }
    }

    /// What the fast reader does not take goes to jsonc-parser, which judges it as before: errors keep their
    /// messages and positions, and what jsonc-parser accepts is still read.
    #[test]
    fn the_fast_reader_leaves_what_it_does_not_take_to_jsonc() {
        for text in [
            "",
            "  \n",
            "{\"a\":1,\"a\":2}",
            "{\"a\":1,}",
            "[1,]",
            "[01]",
            "[1.]",
            "[.5]",
            "[-]",
            "[tru]",
            "{\"a\" 1}",
            "[1 2]",
            "[\"\\ud800\"]",
            "[\"\\udc00\"]",
            "[\"\\ud800\\u0041\"]",
            "[\"\\x\"]",
            "[\"raw\u{1}control\"]",
            "{} {}",
            "// c\n{}",
            "\u{feff}{}",
            "\"unterminated",
            // jsonc-parser takes a raw line break in a string (serde_json, before it, does not).
            "{\"a\":1,\n\"b\":\"x\ny\"}",
        ] {
            assert_eq!(fast(text), None, "{text:?}");
            let positions = JsonPositions::new(text);
            assert_eq!(
                parse_json_value(text, 0, &positions),
                parse_json_value_jsonc(text, 0, &JsonPositions::new(text)),
                "{text:?}"
            );
        }
        let deep = "[".repeat(129) + &"]".repeat(129);
        assert_eq!(fast(&deep), None);
        assert!(jsonc(&deep).is_some());
        let many_keys: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 39)).collect();
        let dup = format!("{{{}}}", many_keys.join(","));
        assert_eq!(fast(&dup), None, "a duplicate among many keys");
        let unique = dup.replace("\"k0\":39", "\"k39\":39");
        assert_eq!(fast(&unique), jsonc(&unique));
        assert!(fast(&unique).is_some());
    }

    /// Items of one text read in turn (an export's roles), with one position count: the same positions as
    /// jsonc-parser's, on one long line and over many lines.
    #[test]
    fn items_read_in_turn_keep_whole_text_positions() {
        for text in [
            r#"{"L":[{"a":"é"},{"b":["ü",{"c":1}]},{"d":"ß"}]}"#,
            "{\n \"L\": [\n  {\"a\": \"é\"},\n  {\"b\": [\"ü\",\n {\"c\": 1}]}, {\"d\": \"ß\"}\n ]\n}",
        ] {
            let root = jsonc(text).unwrap();
            let items = root.get("L").unwrap().as_seq().unwrap().to_vec();
            let starts: Vec<usize> = ["{\"a\"", "{\"b\"", "{\"d\""].iter().map(|k| text.find(k).unwrap()).collect();
            let ends = [starts[1] - 1, starts[2] - 1, text.rfind('}').unwrap() - 1];
            let fast_pos = JsonPositions::new(text);
            let slow_pos = JsonPositions::new(text);
            for ((s, e), want) in starts.iter().zip(ends).zip(&items) {
                let item = text[*s..e].trim_end_matches([',', ' ', '\n', ']']);
                let got = super::read(item, *s, &fast_pos);
                assert_eq!(got.as_ref(), Some(want), "{item:?}");
                let slow = parse_json_value_jsonc(item, *s, &slow_pos).unwrap();
                assert_eq!(slow.as_ref(), Some(want));
            }
        }
    }

    /// Every JSON file under `testdata/` and `examples/` that jsonc-parser reads: the same tree, and most of them
    /// read by the fast reader.
    #[test]
    fn every_fixture_reads_as_jsonc_reads_it() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "json") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        walk(&root.join("testdata"), &mut files);
        walk(&root.join("examples"), &mut files);
        let (mut both, mut fast_read) = (0, 0);
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else { continue };
            let Some(want) = jsonc(&text) else { continue };
            both += 1;
            if let Some(got) = fast(&text) {
                fast_read += 1;
                assert_eq!(got, want, "{}", f.display());
            }
        }
        assert!(both > 20 && fast_read * 10 >= both * 9, "{fast_read} of {both}");
    }

    fn tree() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON, compact or pretty, with any characters in its strings and keys (escaped as serde_json
        /// escapes them, or as `\u` escapes): the same tree as jsonc-parser's.
        #[test]
        fn random_json_reads_as_jsonc_reads_it(v in tree(), pretty in any::<bool>(), ascii in any::<bool>()) {
            let mut text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
            if ascii {
                text = text.chars().map(|c| if c.is_ascii() { c.to_string() } else {
                    c.encode_utf16(&mut [0; 2]).iter().map(|u| format!("\\u{u:04x}")).collect()
                }).collect();
            }
            let want = jsonc(&text);
            prop_assert!(want.is_some());
            prop_assert_eq!(fast(&text), want);
        }
    }
}
