//! A small YAML emitter for the nodes eks2aks rewrites: block style, two-space indents, and every string that a
//! YAML 1.1 reader (Kubernetes' sigs.k8s.io/yaml) could take for something else is double-quoted (`"no"`,
//! `"on"`, `"true"`, `"1.0"`, `"2024-01-01"`, …), so a value that was a string stays a string.

use serde_json::Value;

/// True when a string can be written without quotes and still reads back as the same string in YAML 1.1 and 1.2.
pub fn plain_ok(s: &str) -> bool {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    first.is_ascii_alphabetic()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && !s.ends_with('.')
}

/// True when a string reads back the same from a literal block (`|`, clipped): several lines, one final newline,
/// a first line that does not start with a space (it sets the indentation), printable characters.
fn literal_ok(s: &str) -> bool {
    s.ends_with('\n')
        && !s.ends_with("\n\n")
        && s.trim_end_matches('\n').contains('\n')
        && !s.starts_with([' ', '\n'])
        && s.chars().all(|c| c == '\n' || !c.is_control())
}

/// A scalar as YAML text.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => serde_json::to_string(s).expect("strings serialise"),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn key(k: &str) -> String {
    if plain_ok(k) { k.to_string() } else { serde_json::to_string(k).expect("strings serialise") }
}

/// Emits a value in block style. The first line carries no indentation (the caller places it, e.g. after `- `
/// or at a node's column); every following line is indented by `indent` spaces. No trailing newline.
pub fn emit(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write(v, indent, &mut out);
    out
}

fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&pad);
                }
                out.push_str(&key(k));
                out.push(':');
                match val {
                    Value::Object(x) if !x.is_empty() => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent + 2));
                        write(val, indent + 2, out);
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push('\n');
                        out.push_str(&pad);
                        write(val, indent, out);
                    }
                    _ => {
                        out.push(' ');
                        write(val, indent + 2, out);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&pad);
                }
                out.push_str("- ");
                write(item, indent + 2, out);
            }
        }
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::String(s) if literal_ok(s) => {
            // A literal block (`|`): a multi-line string (a SecretProviderClass's `objects`) stays readable.
            out.push('|');
            for line in s.lines() {
                out.push('\n');
                if !line.is_empty() {
                    out.push_str(&pad);
                    out.push_str(line);
                }
            }
        }
        s => out.push_str(&scalar(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_11_words_and_numbers_stay_strings() {
        for s in ["no", "On", "y", "true", "1", "1.0", "2024-01-01", "", " x", "a: b", "-x"] {
            assert!(scalar(&json!(s)).starts_with('"'), "{s}");
        }
        assert_eq!(scalar(&json!("edw-orders")), "edw-orders");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_that_read_back() {
        let text = "array:\n  - |\n    objectName: a\n\n    objectType: secret\n";
        let v = json!({"parameters": {"objects": text, "one": "line\n", "lead": " x\ny\n"}});
        let out = emit(&v, 0);
        assert!(out.contains("objects: |\n    array:\n      - |\n"), "{out}");
        let back: Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn block_layout() {
        let v =
            json!({"type": "azure-queue", "metadata": {"queueName": "q", "queueLength": "5"}, "list": [{"a": 1}, "x"]});
        assert_eq!(
            emit(&v, 4),
            "type: azure-queue\n    metadata:\n      queueName: q\n      queueLength: \"5\"\n    list:\n    - a: 1\n    - x"
        );
    }
}
