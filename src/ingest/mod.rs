//! Stage 1: read every input file into the [`Model`]. Malformed input becomes `E2A001` findings (with file,
//! line and column), never an `Err` and never a panic; every file is read even after one fails.

pub mod iam;
pub mod k8s;
pub mod policy;
pub mod scan;
pub mod walk;

use crate::diag::{FileId, Files, Loc, Pos, Sink};
use crate::model::Model;
use crate::rules;
use crate::yaml::{self, Document};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Options of the ingest stage.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Namespace assumed for objects that have none (Helm output usually has none).
    pub default_namespace: String,
    /// Directory to skip while walking (the `--out` directory).
    pub skip_dir: Option<PathBuf>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { default_namespace: "default".into(), skip_dir: None }
    }
}

/// A registered file and the error met while loading it, if any.
type Loaded = (FileId, Option<(Pos, String)>);

/// What one file parsed into.
struct Parsed {
    file: FileId,
    docs: Vec<Document>,
    error: Option<(Pos, String)>,
}

/// Reads INPUTs into the model. Returns the model; problems are in `sink`.
pub fn read(inputs: &[PathBuf], opts: &IngestOptions, files: &mut Files, sink: &mut Sink) -> Model {
    let (found, walk_errors) = walk::walk(inputs, opts.skip_dir.as_deref());
    for e in walk_errors {
        sink.push(rules::MALFORMED_INPUT, format!("cannot read `{}`: {}", e.display, e.message), None);
    }
    let mut texts = Vec::with_capacity(found.len());
    for f in &found {
        let bytes = match &f.path {
            Some(p) => std::fs::read(p),
            None => {
                let mut buf = Vec::new();
                std::io::stdin().read_to_end(&mut buf).map(|_| buf)
            }
        };
        let (text, err) = match bytes {
            Err(e) => (String::new(), Some((Pos::default(), format!("cannot read file: {e}")))),
            Ok(b) => decode(b),
        };
        let id = files.add(
            f.display.clone(),
            f.path.clone().unwrap_or_else(|| PathBuf::from("-")),
            f.relative.clone(),
            text,
        );
        texts.push((id, err));
    }
    from_texts(texts, opts, files, sink)
}

/// Reads in-memory text as one input file (`display` is its name in findings). For fuzzing and embedding.
pub fn read_str(display: &str, text: &str, opts: &IngestOptions, files: &mut Files, sink: &mut Sink) -> Model {
    let id = files.add(display.to_string(), PathBuf::from(display), display.to_string(), text.to_string());
    from_texts(vec![(id, None)], opts, files, sink)
}

fn from_texts(
    texts: Vec<(FileId, Option<(Pos, String)>)>,
    opts: &IngestOptions,
    files: &Files,
    sink: &mut Sink,
) -> Model {
    // Parse in batches, in parallel within a batch, and turn each batch into the model before the next: the
    // trees of one batch are all that is ever held, whatever the size of the input.
    const BATCH: usize = 512;
    let mut model = Model::default();
    let mut texts = texts.into_iter().peekable();
    while texts.peek().is_some() {
        let batch: Vec<_> = texts.by_ref().take(BATCH).collect();
        classify_batch(&mut model, parse_all(files, batch), opts, files, sink);
    }
    k8s::finish(&mut model, opts, sink);
    iam::finish(&mut model, files, sink);
    model
}

fn classify_batch(model: &mut Model, parsed: Vec<Parsed>, opts: &IngestOptions, files: &Files, sink: &mut Sink) {
    for p in parsed {
        if let Some((pos, msg)) = p.error {
            let text = &files.get(p.file).text;
            let loc = (pos.line > 0).then_some(Loc { file: p.file, pos });
            if looks_like_unrendered_template(text) {
                sink.push(
                    rules::SKIPPED_TEMPLATE,
                    format!(
                        "`{}` is not YAML ({msg}); it looks like an unrendered template and was skipped",
                        files.display(p.file)
                    ),
                    loc,
                )
                .with_help("render it first, e.g. `helm template RELEASE CHART | eks2aks plan -`");
            } else {
                sink.push(rules::MALFORMED_INPUT, msg, loc);
            }
            continue;
        }
        let helm_sources = helm_sources(&files.get(p.file).text);
        let mut prev_line = 0;
        for doc in p.docs {
            let line = doc.root.pos.line;
            // A `# Source:` comment sits between the previous document and this one.
            let helm_source =
                helm_sources.iter().rev().find(|(l, _)| *l > prev_line && *l <= line).map(|(_, s)| s.clone());
            let dir = parent_dir(files, p.file);
            classify(model, p.file, doc, helm_source, dir, opts, sink);
            prev_line = line;
        }
    }
}

/// Bytes → text: strips a UTF-8 BOM; decodes UTF-16 with a BOM (what Windows PowerShell 5.1 redirects write);
/// invalid UTF-8 is an error at the first bad byte.
fn decode(mut bytes: Vec<u8>) -> (String, Option<(Pos, String)>) {
    let utf16 = |be: bool, b: &[u8]| -> Option<String> {
        let units: Vec<u16> = b
            .chunks(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])
                } else {
                    u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)])
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    for (bom, be) in [([0xFF, 0xFE], false), ([0xFE, 0xFF], true)] {
        if bytes.starts_with(&bom) {
            return match utf16(be, &bytes[2..]) {
                Some(s) => (s.replace("\r\n", "\n"), None),
                None => (String::new(), Some((Pos { line: 1, col: 1 }, "file starts with a UTF-16 byte-order mark but is not valid UTF-16; convert it to UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)".into()))),
            };
        }
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..good]);
            let line = prefix.matches('\n').count() as u32 + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            (
                prefix.into_owned(),
                Some((
                    Pos { line, col },
                    format!("file is not valid UTF-8 (byte 0x{:02x} at offset {good})", bytes[good]),
                )),
            )
        }
    }
}

/// Parses every file, spreading the work over the available cores.
fn parse_all(files: &Files, texts: Vec<(FileId, Option<(Pos, String)>)>) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let parse_one = |(id, err): (FileId, Option<(Pos, String)>)| -> Parsed {
        if let Some(e) = err {
            return Parsed { file: id, docs: Vec::new(), error: Some(e) };
        }
        let f = files.get(id);
        let is_json = f.display.to_ascii_lowercase().ends_with(".json");
        if is_json && let Err(e) = check_json(&f.text) {
            return Parsed { file: id, docs: Vec::new(), error: Some(e) };
        }
        let parsed = if is_json { yaml::parse_json(&f.text) } else { yaml::parse_stream(&f.text) };
        match parsed {
            Ok(docs) => Parsed { file: id, docs, error: None },
            Err(e) => Parsed { file: id, docs: Vec::new(), error: Some((e.pos, e.message)) },
        }
    };
    if threads <= 1 || texts.len() < 64 {
        return texts.into_iter().map(parse_one).collect();
    }
    // Work is handed out one file at a time (an IAM export can be as large as a thousand manifests together), and
    // the results are put back in input order, so the output does not depend on scheduling.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Loaded>>> =
        texts.into_iter().map(|t| std::sync::Mutex::new(Some(t))).collect();
    let mut results: Vec<(usize, Parsed)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(slot) = slots.get(i) else { break };
                        let item = slot.lock().expect("not poisoned").take().expect("each slot is taken once");
                        done.push((i, parse_one(item)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("parser threads do not panic")).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, p)| p).collect()
}

/// JSON files must be strict JSON (no trailing commas, no comments): checked with serde_json, whose recursion
/// limit also stops deep nesting early. The spans then come from the YAML reader.
fn check_json(text: &str) -> Result<(), (Pos, String)> {
    if text.trim().is_empty() {
        return Ok(());
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map(|_| ())
        .map_err(|e| (Pos { line: e.line() as u32, col: e.column().max(1) as u32 }, format!("invalid JSON: {e}")))
}

fn looks_like_unrendered_template(text: &str) -> bool {
    text.contains("{{") && text.contains("}}")
}

/// `# Source: chart/templates/x.yaml` lines written by `helm template`, by line number.
fn helm_sources(text: &str) -> Vec<(u32, String)> {
    if !text.contains("# Source: ") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| l.strip_prefix("# Source: ").map(|s| (i as u32 + 1, s.trim().to_string())))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn classify(
    model: &mut Model,
    file: FileId,
    doc: Document,
    helm_source: Option<String>,
    dir: PathBuf,
    opts: &IngestOptions,
    sink: &mut Sink,
) {
    let root = &doc.root;
    let api_version = root.get("apiVersion").and_then(|n| n.as_str());
    let kind = root.get("kind").and_then(|n| n.as_str());
    match (api_version, kind) {
        (Some(av), Some("ClusterConfig")) if av.starts_with("eksctl.io/") => iam::read_eksctl(model, file, root, sink),
        (Some(_), Some(_)) => k8s::read_object(model, file, doc.root, helm_source, opts, sink),
        _ => {
            // Not Kubernetes, not IAM (a values file, a CI workflow…): skipped quietly by design.
            iam::read_document(model, file, root, dir, sink);
        }
    }
}

/// The path of a file's directory, for pairing sibling exports (`get-policy` + `get-policy-version`).
pub fn parent_dir(files: &Files, id: FileId) -> PathBuf {
    files.get(id).path.parent().map(Path::to_path_buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Random JSON-ish trees with the keys the readers look for, so the property tests reach deep code paths.
    fn tree() -> impl Strategy<Value = serde_json::Value> {
        let keys = prop::sample::select(vec![
            "apiVersion",
            "kind",
            "metadata",
            "name",
            "namespace",
            "annotations",
            "spec",
            "template",
            "containers",
            "env",
            "value",
            "valueFrom",
            "envFrom",
            "items",
            "Statement",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "Principal",
            "Condition",
            "StringLike",
            "RoleDetailList",
            "Arn",
            "AssumeRolePolicyDocument",
            "Policies",
            "PolicyVersionList",
            "Document",
            "IsDefaultVersion",
            "Role",
            "RoleName",
            "iam",
            "serviceAccounts",
            "triggers",
            "metadata.name",
            "eks.amazonaws.com/role-arn",
            "serviceAccountName",
            "jobTemplate",
            "data",
            "stringData",
        ]);
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i32>().prop_map(serde_json::Value::from),
            prop::sample::select(vec![
                "v1",
                "apps/v1",
                "Deployment",
                "ServiceAccount",
                "List",
                "Allow",
                "Deny",
                "Maybe",
                "*",
                "s3:Get*",
                "arn:aws:iam::111122223333:role/x",
                "arn:aws:sqs:us-east-1:111122223333:q",
                "keda.sh/v1alpha1",
                "ClusterConfig",
                "eksctl.io/v1alpha5",
                "AKIAIOSFODNN7EXAMPLE",
                "https://sqs.us-east-1.amazonaws.com/1/q",
                "%7B%22Statement%22%3A5%7D",
                "",
                "edw",
                "system:serviceaccount:a:*",
            ])
            .prop_map(|s| serde_json::Value::String(s.into())),
            ".{0,12}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(keys.clone().prop_map(str::to_string), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn read_text(text: &str, name: &str) -> (Model, Sink) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
        let mut files = Files::default();
        let mut sink = Sink::default();
        let model = read(&[dir.path().to_path_buf()], &IngestOptions::default(), &mut files, &mut sink);
        if !sink.has_input_errors() {
            let mut m = model;
            let _ = crate::graph::build(&mut m, &files, &mut sink);
            return (m, sink);
        }
        (model, sink)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn yaml_reader_never_panics_on_arbitrary_text(s in "(?s).{0,200}") {
            let _ = yaml::parse_stream(&s);
        }

        #[test]
        fn readers_and_join_never_panic_on_random_trees(docs in prop::collection::vec(tree(), 1..4)) {
            let json = serde_json::to_string(&docs[0]).unwrap();
            let _ = read_text(&json, "doc.json");
            let yaml: String = docs.iter().map(|d| format!("---\n{}\n", serde_json::to_string(d).unwrap())).collect();
            let _ = read_text(&yaml, "docs.yaml");
        }

        #[test]
        fn mangled_fixtures_never_panic_and_errors_have_positions(cut in 0usize..4000, junk in "[\\[\\]{}:,'\"\\- \n&*!|>]{1,4}") {
            for f in ["testdata/examples/edw-keda/k8s/deployment.yaml", "testdata/examples/edw-keda/iam/account-authorization-details.json"] {
                let text = std::fs::read_to_string(f).unwrap();
                let at = text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count()).unwrap_or(0);
                let mangled = format!("{}{}{}", &text[..at], junk, &text[at..]);
                let name = if f.ends_with(".json") { "x.json" } else { "x.yaml" };
                let (_, sink) = read_text(&mangled, name);
                for finding in sink.findings().iter().filter(|f| f.code == crate::rules::MALFORMED_INPUT) {
                    prop_assert!(finding.loc.is_some_and(|l| l.pos.line >= 1), "{finding:?}");
                }
            }
        }
    }
}
