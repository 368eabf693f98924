//! Stage 1: read every input file into the [`Model`]. Malformed input becomes `E2A001` findings (with file,
//! line and column), never an `Err` and never a panic; every file is read even after one fails.

pub mod cfn;
pub mod cloud;
mod dns_secrets;
pub mod iam;
pub mod intern;
pub mod k8s;
pub mod policy;
pub mod scan;
pub mod terraform;
pub mod tokens;
pub mod values;
pub mod walk;
pub mod workloads;

use crate::diag::Digest;
use crate::diag::{FileId, Files, Loc, Pos, Sink};
use crate::model::Model;
use crate::rules;
use crate::yaml::{self, Document};
use std::path::{Path, PathBuf};

/// Options of the ingest stage.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Namespace assumed for objects that have none (Helm output usually has none).
    pub default_namespace: String,
    /// Directory to skip while walking (the `--out` directory).
    pub skip_dir: Option<PathBuf>,
    /// The kinds that make pods (`mappings/workloads.yaml`, with the user's entries).
    pub pod_kinds: std::sync::Arc<crate::model::PodKinds>,
    /// `aws:` of the config: what infrastructure code's deploy-time values stand for.
    pub aws: crate::config::AwsConfig,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            default_namespace: "default".into(),
            skip_dir: None,
            pod_kinds: crate::model::PodKinds::bundled(),
            aws: Default::default(),
        }
    }
}

/// One input: a file on disk, stdin (`path: None`), or text handed in by the caller.
struct Source {
    display: String,
    path: Option<PathBuf>,
    relative: String,
    text: Option<String>,
    /// Bytes on disk (0 when unknown): the largest files are read first so that one big export does not finish
    /// last on a single core.
    size: u64,
    /// A file that can be read again later, so its text need not be kept (see [`Files::add_on_disk`]): a regular
    /// file, not a pipe (`<(helm template …)`), stdin or in-memory text.
    rereadable: bool,
    /// Named on the command line: may be a FIFO (see [`crate::diag::files::read_capped`]).
    named: bool,
    /// The size of a file the walk found in a directory and saw as a regular file: it is read with
    /// [`crate::diag::files::read_walked`], without a second look by path before the open.
    walked: Option<u64>,
}

/// What one file turned into, on a worker thread: its text, its share of the model (indices local to it), the
/// pieces waiting for sibling files, and its findings.
struct Fragment {
    /// The text, for input that is not a file on disk (stdin, in-memory); otherwise only its digest is kept.
    text: Result<String, Digest>,
    model: Model,
    pending: iam::Pending,
    sink: Sink,
}

/// Reads INPUTs into the model. Returns the model; problems are in `sink`.
pub fn read(inputs: &[PathBuf], opts: &IngestOptions, files: &mut Files, sink: &mut Sink) -> Model {
    let (found, outputs) = walk::walk_reporting(inputs, opts.skip_dir.as_deref(), sink);
    let source = |f: walk::InputFile| {
        // What the walk saw, or (for a file it did not look at) a look now.
        let stat =
            f.stat.or_else(|| f.path.as_deref().and_then(|p| std::fs::metadata(p).ok()).map(|m| walk::Stat::from(&m)));
        Source {
            size: stat.map_or(0, |m| m.len),
            rereadable: rereadable(stat, f.path.as_deref(), f.named),
            display: f.display,
            path: f.path,
            relative: f.relative,
            text: None,
            named: f.named,
            walked: f.stat.filter(|m| m.is_file && !f.named).map(|m| m.len),
        }
    };
    let model = read_sources(found.into_iter().map(source).collect(), opts, files, sink);
    if !outputs.is_empty() {
        // eks2aks's own output, left out of the model (its objects are copies): only static credentials in it
        // are reported, because a planted marker must not hide a key.
        let copies = read_sources(outputs.into_iter().map(source).collect(), opts, files, &mut Sink::default());
        let keys: std::collections::BTreeSet<Loc> = copies
            .config_data
            .iter()
            .flat_map(|c| c.aws_refs.iter())
            .chain(copies.workloads.iter().flat_map(|w| w.aws_refs.iter()))
            .filter(|r| r.kind == crate::model::AwsRefKind::StaticKey)
            .map(|r| r.loc)
            .collect();
        for loc in keys {
            sink.push(
                rules::STATIC_AWS_CREDENTIALS,
                "static AWS credential in a manifest (value not shown), in a file an eks2aks output marker records: the marker does not hide credentials",
                Some(loc),
            );
        }
    }
    model
}

/// Whether a file's text can be read again when it is needed (then only its digest is kept, see
/// [`Files::add_on_disk`]): a regular file. `/dev/stdin` or `/dev/fd/N` named on the command line and redirected
/// from a file looks regular, but reading it again may go on where the first read stopped (macOS duplicates the
/// descriptor): named device paths keep their text. A file found in a directory is a regular file of that
/// directory wherever it is: one under `/dev/shm` (a tmpfs) is read again like any other (keeping every text of
/// a corpus there was 52 MB, the largest item of the peak, at 10,000 apps).
fn rereadable(stat: Option<walk::Stat>, path: Option<&Path>, named: bool) -> bool {
    stat.is_some_and(|m| m.is_file)
        && path.is_some_and(|p| !named || !(p.starts_with("/dev") || p.starts_with("/proc")))
}

/// Reads in-memory text as one input file (`display` is its name in findings). For fuzzing and embedding.
pub fn read_str(display: &str, text: &str, opts: &IngestOptions, files: &mut Files, sink: &mut Sink) -> Model {
    read_strs(&[(display, text)], opts, files, sink)
}

/// [`read_str`] for several texts at once, read as one input (the fuzz targets give a manifest the IAM export it
/// names roles from).
pub fn read_strs(texts: &[(&str, &str)], opts: &IngestOptions, files: &mut Files, sink: &mut Sink) -> Model {
    let sources = texts
        .iter()
        .map(|(display, text)| Source {
            display: display.to_string(),
            path: Some(PathBuf::from(display)),
            relative: display.to_string(),
            text: Some(text.to_string()),
            size: text.len() as u64,
            rereadable: false,
            named: true,
            walked: None,
        })
        .collect();
    read_sources(sources, opts, files, sink)
}

/// The reading pipeline: worker threads (one per core) each take the next file — files of a megabyte or more first,
/// then in input order — and load, decode, parse and classify it into a [`Fragment`] ([`read_fragment`]); this thread
/// merges the fragments in input order ([`merge_fragment`]), then finishes the model (implied ServiceAccounts, pairing
/// of sibling exports, the ServiceAccounts eksctl creates). The span-keeping trees live only inside a worker, for one
/// file at a time; what crosses threads is what the model keeps anyway. Merging in input order makes the model
/// independent of scheduling.
fn read_sources(sources: Vec<Source>, opts: &IngestOptions, files: &mut Files, sink: &mut Sink) -> Model {
    let base = files.len();
    files.reserve(sources.len());
    let process = |i: usize| -> Fragment {
        let id = FileId(u32::try_from(base + i).expect("fewer than 4 billion files"));
        read_fragment(&sources[i], id, opts)
    };
    let mut model = Model::default();
    let mut pending = iam::Pending::default();
    let mut merge = |i: usize, frag: Fragment| {
        let id = merge_fragment(&sources[i], frag, files, &mut model, &mut pending, sink);
        debug_assert_eq!(id.0 as usize, base + i);
    };
    // Threads of its own rather than rayon's pool: the merge consumes fragments as they arrive (in input order,
    // while reading goes on), and each reader's string table (`intern`) must end with its thread.
    let threads = crate::par::threads().min(sources.len());
    if threads <= 1 {
        for i in 0..sources.len() {
            merge(i, process(i));
        }
    } else {
        read_on_threads(&sources, threads, &process, &mut merge);
    }
    // The worker threads' tables went with them; this thread's (one thread, or one file) goes now.
    intern::forget();
    k8s::finish(&mut model, opts, sink);
    iam::read_infrastructure_code(&mut model, &mut pending, &opts.aws, sink);
    iam::finish(&mut model, pending, files, sink);
    iam::add_eksctl_service_accounts(&mut model);
    model.shrink_to_fit();
    model
}

/// Loads, decodes, parses and classifies one file (the file `id`) into its own fragment of the model. The text is
/// kept only for input that cannot be read again; of a file on disk, only its digest.
fn read_fragment(src: &Source, id: FileId, opts: &IngestOptions) -> Fragment {
    let (text, err) = load(src);
    let mut frag = Fragment {
        text: Ok(String::new()),
        model: Model::default(),
        pending: Default::default(),
        sink: Sink::default(),
    };
    read_file(&mut frag, id, src, &text, err, opts);
    frag.model.shrink_nested();
    frag.text = if src.rereadable { Err(Digest::of(&text)) } else { Ok(text) };
    frag
}

/// Merges the next file's fragment: the file is registered (its text, or its digest), and its model, pending
/// exports (indices shifted past the model so far) and findings are appended. Returns the file's id.
fn merge_fragment(
    src: &Source,
    frag: Fragment,
    files: &mut Files,
    model: &mut Model,
    pending: &mut iam::Pending,
    sink: &mut Sink,
) -> FileId {
    let path = src.path.clone().unwrap_or_else(|| PathBuf::from("-"));
    let id = match frag.text {
        Ok(text) => files.add(src.display.clone(), path, src.relative.clone(), text),
        Err(digest) => files.add_on_disk(src.display.clone(), path, src.relative.clone(), digest),
    };
    pending.append(frag.pending, model.roles.len(), model.managed_policies.len());
    model.append(frag.model);
    sink.append(frag.sink);
    id
}

/// Reads the sources on `threads` worker threads, in [`read_order`], and hands each fragment to `merge` in input
/// order on this thread as soon as all before it have been. Fragments travel in batches (about a megabyte of
/// input, or 64 files): one message per file woke the merging thread 43,000 times on a large monorepo, and those
/// wake-ups were most of the system calls.
fn read_on_threads(
    sources: &[Source],
    threads: usize,
    process: &(impl Fn(usize) -> Fragment + Sync),
    merge: &mut impl FnMut(usize, Fragment),
) {
    const BATCH_BYTES: u64 = 1 << 20;
    const BATCH_FILES: usize = 64;
    let order = read_order(sources);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<(usize, Fragment)>>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (order, next) = (&order, &next);
            s.spawn(move || {
                let (mut batch, mut bytes) = (Vec::new(), 0);
                while let Some(&i) = order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                    batch.push((i, process(i)));
                    bytes += sources[i].size;
                    if (bytes >= BATCH_BYTES || batch.len() >= BATCH_FILES)
                        && tx.send(std::mem::take(&mut batch)).is_err()
                    {
                        return;
                    }
                    if batch.is_empty() {
                        bytes = 0;
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
            });
        }
        drop(tx);
        let mut waiting: std::collections::BTreeMap<usize, Fragment> = Default::default();
        let mut expected = 0;
        for (i, frag) in rx.into_iter().flatten() {
            waiting.insert(i, frag);
            while let Some(frag) = waiting.remove(&expected) {
                merge(expected, frag);
                expected += 1;
            }
        }
    });
}

/// The order files are read in: files of a megabyte or more first, largest first, so that an IAM export does not
/// finish last on one core; then the rest in input order, the order they are merged in. (All files largest-first
/// made the merge wait for the first input file while every other fragment queued up: the whole model, held in
/// 43,000 small fragments, was 60 MB more at 10,000 apps.)
fn read_order(sources: &[Source]) -> Vec<usize> {
    const LARGE: u64 = 1 << 20;
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| match sources[i].size {
        size if size >= LARGE => (false, std::cmp::Reverse(size), i),
        _ => (true, std::cmp::Reverse(0), i),
    });
    order
}

/// A source's text, or the reason it has none.
fn load(src: &Source) -> (String, Option<(Pos, String)>) {
    if let Some(t) = &src.text {
        return (t.clone(), None);
    }
    // Under the filesystem policy: regular files (or a named FIFO), never more than the size limit.
    let limit = crate::diag::files::max_file_size();
    let bytes = match &src.path {
        Some(p) => match src.walked {
            Some(len) => crate::diag::files::read_walked(p, len, limit),
            None => crate::diag::files::read_capped(p, src.named, limit),
        },
        None => crate::diag::files::read_limited(std::io::stdin().lock(), 0, limit),
    };
    match bytes {
        Err(e) => (String::new(), Some((Pos::default(), format!("cannot read `{}`: {e}", src.display)))),
        Ok(b) => decode(b),
    }
}

/// Parses one file and reads its documents into the fragment.
fn read_file(
    frag: &mut Fragment,
    id: FileId,
    src: &Source,
    text: &str,
    err: Option<(Pos, String)>,
    opts: &IngestOptions,
) {
    let is_json = src.display.to_ascii_lowercase().ends_with(".json");
    let mut strict_json = false;
    if is_json && err.is_none() {
        match iam::read_export(id, text) {
            Ok((model, sink)) => {
                frag.model.append(model);
                frag.sink.append(sink);
                return;
            }
            Err(not_read) => strict_json = not_read.strict_json,
        }
    }
    let (docs, problems) = match err {
        Some(e) => (Vec::new(), vec![e]),
        None => parse(text, is_json, strict_json),
    };
    if let Some((pos, msg)) = problems.first()
        && looks_like_unrendered_template(text)
    {
        let loc = (pos.line > 0).then_some(Loc { file: id, pos: *pos });
        frag.sink
            .push(
                rules::SKIPPED_TEMPLATE,
                format!("`{}` is not YAML ({msg}); it looks like an unrendered template and was skipped", src.display),
                loc,
            )
            .with_help("render it first, e.g. `helm template RELEASE CHART | eks2aks plan -`");
        return;
    }
    for (pos, msg) in problems {
        frag.sink.push(rules::MALFORMED_INPUT, msg, (pos.line > 0).then_some(Loc { file: id, pos }));
    }
    let helm_sources = helm_sources(text);
    let dir = src.path.as_deref().unwrap_or(Path::new("-")).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut prev_line = 0;
    for doc in docs {
        let line = doc.root.pos.line;
        // A `# Source:` comment sits between the previous document and this one.
        let helm_source = helm_sources.iter().rev().find(|(l, _)| *l > prev_line && *l <= line).map(|(_, s)| s.clone());
        classify(frag, id, doc, helm_source, dir.clone(), opts);
        prev_line = line;
    }
}

/// A file's documents and its problems: every problem, each at its place, and the documents that have none (read
/// as usual, so that their own problems are reported in the same run; nothing is written while any input is
/// malformed). A JSON file (`strict_json`: serde_json has read it already) has one syntax error at most, and
/// every duplicate key.
fn parse(text: &str, is_json: bool, strict_json: bool) -> (Vec<Document>, Vec<(Pos, String)>) {
    let at = |e: yaml::SyntaxError| (e.pos, e.message);
    if !is_json {
        let (docs, errors) = yaml::parse_stream_all(text);
        return (docs, errors.into_iter().map(at).collect());
    }
    match (if strict_json { Ok(()) } else { check_json(text) }).map(|()| yaml::parse_json_all(text)) {
        Err(e) => (Vec::new(), vec![e]),
        Ok(Ok(docs)) => (docs, Vec::new()),
        Ok(Err(errors)) => (Vec::new(), errors.into_iter().map(at).collect()),
    }
}

pub(crate) use crate::diag::files::decode;

/// JSON files must be strict JSON (no trailing commas, no comments): checked with serde_json. Deep nesting is
/// stopped by jsonc-parser's depth limit afterwards (serde_json skips values without one). The spans then come
/// from the positioned reader.
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

fn classify(
    frag: &mut Fragment,
    file: FileId,
    doc: Document,
    helm_source: Option<String>,
    dir: PathBuf,
    opts: &IngestOptions,
) {
    let (model, sink) = (&mut frag.model, &mut frag.sink);
    let root = &doc.root;
    let api_version = root.get("apiVersion").and_then(|n| n.as_str());
    let kind = root.get("kind").and_then(|n| n.as_str());
    match (api_version, kind) {
        (Some(av), Some("ClusterConfig")) if av.starts_with("eksctl.io/") => {
            iam::read_eksctl(model, &mut frag.pending, file, root, sink)
        }
        (Some(_), Some(_)) => k8s::read_object(model, file, doc.root, helm_source, opts, sink),
        _ => {
            // Not Kubernetes, not IAM (a values file, a CI workflow…): skipped quietly by design.
            if !iam::defer_infrastructure_code(&mut frag.pending, file, root) {
                iam::read_document(model, &mut frag.pending, file, root, dir, sink);
            }
        }
    }
}

/// Infrastructure code (CloudFormation, Terraform) whose policy, attachment or boundary of a role cannot be read:
/// what it left out may hold a Deny or a limit, so leaving out only that part would widen access. None of each
/// such role's permissions are kept, with one finding (`code`) per role, at the first place that caused it.
fn leave_out_roles(model: &mut Model, mut roles: Vec<(usize, Loc, String)>, code: &'static str, sink: &mut Sink) {
    roles.sort_by_key(|(i, l, _)| (*i, *l));
    roles.dedup_by_key(|(i, _, _)| *i);
    for (i, l, why) in roles {
        let role = &mut model.roles[i];
        role.inline.clear();
        role.attached.clear();
        sink.push(
            code,
            format!(
                "none of role `{}`'s permissions are translated: {why}; leaving out only that part would widen access",
                role.name
            ),
            Some(l),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Only what cannot be read again keeps its text: stdin and device paths named on the command line, and what
    /// is not a regular file; a file found in a directory under `/dev/shm` is read again like any other.
    #[test]
    fn texts_are_kept_only_for_what_cannot_be_read_again() {
        let file = Some(walk::Stat { len: 10, is_file: true });
        let fifo = Some(walk::Stat { len: 0, is_file: false });
        let p = |s: &'static str| Some(Path::new(s));
        assert!(rereadable(file, p("/dev/shm/corpus/apps/a/sa.yaml"), false));
        assert!(rereadable(file, p("repo/apps/a/sa.yaml"), false));
        assert!(rereadable(file, p("/tmp/sa.yaml"), true));
        assert!(!rereadable(file, p("/dev/stdin"), true));
        assert!(!rereadable(file, p("/dev/fd/3"), true));
        assert!(!rereadable(file, p("/proc/self/fd/3"), true));
        assert!(!rereadable(fifo, p("/tmp/p.yaml"), true));
        assert!(!rereadable(None, p("/tmp/gone.yaml"), false));
        assert!(!rereadable(file, None, true));
    }

    /// Keys the readers look for (Kubernetes, IAM exports, eksctl, KEDA), for [`tree`]'s mappings.
    const TREE_KEYS: &[&str] = &[
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
    ];

    /// Strings the readers react to (kinds, effects, ARNs, a static key, an encoded policy…), for [`tree`]'s leaves.
    const TREE_STRINGS: &[&str] = &[
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
    ];

    /// Random JSON-ish trees with the keys the readers look for, so the property tests reach deep code paths.
    fn tree() -> impl Strategy<Value = serde_json::Value> {
        let keys = prop::sample::select(TREE_KEYS);
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i32>().prop_map(serde_json::Value::from),
            prop::sample::select(TREE_STRINGS).prop_map(|s| serde_json::Value::String(s.into())),
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

    /// Exports that wait for a sibling (`list-attached-role-policies` for its `get-role`, `get-policy-version` for
    /// its `get-policy`) are read on worker threads, each file into its own fragment: their indices must be shifted
    /// when fragments are merged. Two of each, so the second pair only pairs right when the shift is right.
    #[test]
    fn sibling_exports_pair_across_fragments() {
        let dir = tempfile::tempdir().unwrap();
        let role = |name: &str| {
            format!(
                r#"{{"Role": {{"RoleName": "{name}", "Arn": "arn:aws:iam::111122223333:role/{name}", "Path": "/",
                "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": []}}}}}}"#
            )
        };
        let attached = |p: &str| {
            format!(
                r#"{{"AttachedPolicies": [{{"PolicyName": "{p}", "PolicyArn": "arn:aws:iam::111122223333:policy/{p}"}}]}}"#
            )
        };
        let policy = |p: &str| {
            format!(
                r#"{{"Policy": {{"PolicyName": "{p}", "Arn": "arn:aws:iam::111122223333:policy/{p}", "DefaultVersionId": "v1"}}}}"#
            )
        };
        let version = |action: &str| {
            format!(
                r#"{{"PolicyVersion": {{"VersionId": "v1", "IsDefaultVersion": true, "Document": {{"Version": "2012-10-17",
                "Statement": [{{"Effect": "Allow", "Action": "{action}", "Resource": "*"}}]}}}}}}"#
            )
        };
        let files = [
            ("a/get-role.json", role("role-a")),
            ("a/attached.json", attached("pa")),
            ("b/get-role.json", role("role-b")),
            ("b/attached.json", attached("pb")),
            ("c/get-policy.json", policy("pa")),
            ("c/get-policy-version.json", version("s3:GetObject")),
            ("d/get-policy.json", policy("pb")),
            ("d/get-policy-version.json", version("sqs:SendMessage")),
        ];
        for (rel, text) in &files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut files = Files::default();
        let mut sink = Sink::default();
        let model = read(&[dir.path().to_path_buf()], &IngestOptions::default(), &mut files, &mut sink);
        assert!(!sink.has_input_errors(), "{:?}", sink.findings());
        let attached_of = |name: &str| -> Vec<String> {
            model.roles.iter().find(|r| r.name == name).unwrap().attached.iter().map(|a| a.name.clone()).collect()
        };
        assert_eq!(attached_of("role-a"), ["pa"]);
        assert_eq!(attached_of("role-b"), ["pb"]);
        let action_of = |name: &str| -> String {
            let p = model.managed_policies.iter().find(|p| p.name == name).unwrap();
            p.document.as_ref().expect("paired with its version").statements[0].action.items[0].0.to_string()
        };
        assert_eq!(action_of("pa"), "s3:GetObject");
        assert_eq!(action_of("pb"), "sqs:SendMessage");
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
        }
        out.sort();
        out
    }

    /// An export read as one positioned tree, as every other JSON file is: what [`iam::read_export`] must equal.
    fn export_as_whole_tree(text: &str) -> Result<String, (Pos, String)> {
        let docs = check_json(text).and_then(|()| yaml::parse_json(text).map_err(|e| (e.pos, e.message)))?;
        let (mut model, mut pending, mut sink) = (Model::default(), iam::Pending::default(), Sink::default());
        for d in docs {
            iam::read_document(&mut model, &mut pending, FileId(0), &d.root, PathBuf::new(), &mut sink);
        }
        Ok(format!("{model:#?}\n{:#?}", sink.findings()))
    }

    fn export_item_by_item(text: &str) -> Result<String, iam::NotRead> {
        iam::read_export(FileId(0), text).map(|(model, sink)| format!("{model:#?}\n{:#?}", sink.findings()))
    }

    /// Every export among the fixtures, pretty-printed as given and minified to one line (where columns must still
    /// count from the line start, item after item), plus variants: the lists in the other order after non-ASCII
    /// text, keys the reader does not know, a role without `Arn`, a policy whose default version is not first.
    #[test]
    fn an_export_read_item_by_item_is_the_export_read_as_one_tree() {
        let mut texts: Vec<String> = Vec::new();
        for dir in ["testdata/fixtures", "testdata/examples"] {
            for e in files_under(Path::new(dir)) {
                let text = std::fs::read_to_string(&e).unwrap();
                if e.extension().is_some_and(|x| x == "json") && text.contains("RoleDetailList") {
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    texts.push(serde_json::to_string(&v).unwrap());
                    texts.push(text);
                }
            }
        }
        assert!(texts.len() >= 20, "fixtures with exports: {}", texts.len());
        let role = |n: usize| {
            format!(
                r#"{{"RoleName": "r{n}", "Arn": "arn:aws:iam::111122223333:role/r{n}", "RolePolicyList": [{{"PolicyName": "p", "PolicyDocument": {{"Statement": [{{"Effect": "Allow", "Action": ["s3:GetObject", "sqs:*"], "Resource": "arn:aws:s3:::b{n}/*"}}]}}}}], "AttachedManagedPolicies": [{{"PolicyName": "m", "PolicyArn": "arn:aws:iam::111122223333:policy/m"}}]}}"#
            )
        };
        let policy = r#"{"PolicyName": "m", "Arn": "arn:aws:iam::111122223333:policy/m", "DefaultVersionId": "v2", "PolicyVersionList": [{"VersionId": "v1", "Document": {"Statement": []}}, {"VersionId": "v2", "IsDefaultVersion": true, "Document": {"Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}}}]}"#;
        texts.push(format!(
            r#"{{"Note": "données — 日本語", "Policies": [{policy}, {{"PolicyName": "no-arn"}}], "GroupDetailList": [{{"x": [1, 2]}}], "RoleDetailList": [{}, {{"RoleName": "no-arn"}}, "text", {}]}}"#,
            role(1),
            role(2)
        ));
        texts.push(format!(
            "{{\n  \"UserDetailList\": [],\n  \"RoleDetailList\": [\n    {},\n\n    {}\n  ],\n  \"Policies\": []\n}}\n",
            role(3),
            role(4)
        ));
        texts.push(r#"{"UserDetailList": []}"#.into());
        for text in &texts {
            let streamed = export_item_by_item(text).unwrap_or_else(|e| panic!("{e:?} for {text}"));
            assert_eq!(Ok(streamed), export_as_whole_tree(text), "{text}");
        }
    }

    /// What the item reader leaves to the whole-tree reader, so that its error (and position) is the one users
    /// always got: syntax errors, duplicate keys anywhere, deep nesting, Kubernetes keys, lists that are not lists.
    #[test]
    fn the_item_reader_leaves_what_it_cannot_judge_alike_to_the_whole_tree_reader() {
        let role = r#"{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r"}"#;
        let deep = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        let cases = [
            (format!(r#"{{"RoleDetailList": [{role}, {{"Arn": "a", "Arn": "b"}}]}}"#), true),
            (format!(r#"{{"RoleDetailList": [{role}], "UserDetailList": [{{"a": 1, "a": 2}}]}}"#), true),
            (format!(r#"{{"RoleDetailList": [{role}], "RoleDetailList": []}}"#), true),
            (format!(r#"{{"RoleDetailList": [{role}], "Other": 1, "Other": 2}}"#), true),
            (format!(r#"{{"apiVersion": "v1", "kind": "List", "RoleDetailList": [{role}]}}"#), true),
            (format!(r#"{{"RoleDetailList": [{{"RoleName": {deep}}}]}}"#), true),
            (r#"{"RoleDetailList": null}"#.into(), false),
            (r#"{"RoleDetailList": {"RoleName": "r"}}"#.into(), false),
            (format!(r#"{{"RoleDetailList": [{role},]}}"#), false),
            (r#"{"Statement": []}"#.into(), true),
            (r#"[{"RoleDetailList": []}]"#.into(), false),
            ("".into(), false),
        ];
        for (text, strict_json) in &cases {
            assert_eq!(export_item_by_item(text), Err(iam::NotRead { strict_json: *strict_json }), "{text}");
        }
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
        fn random_exports_read_item_by_item_are_read_as_one_tree(
            roles in prop::collection::vec(tree(), 0..4),
            policies in prop::collection::vec(tree(), 0..3),
            policies_first: bool,
            pretty: bool,
        ) {
            let mut root = serde_json::Map::new();
            let lists = [("RoleDetailList", roles), ("Policies", policies)];
            for (key, items) in if policies_first { [1, 0] } else { [0, 1] }.map(|i| &lists[i]) {
                root.insert(key.to_string(), serde_json::Value::Array(items.clone()));
            }
            let v = serde_json::Value::Object(root);
            let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
            prop_assert_eq!(Ok(export_item_by_item(&text).unwrap()), export_as_whole_tree(&text));
        }

        #[test]
        fn mangled_fixtures_never_panic_and_errors_have_positions(cut in 0usize..4000, junk in "[\\[\\]{}:,'\"\\- \n&*!|>]{1,4}") {
            for f in ["testdata/examples/edw-keda/k8s/deployment.yaml", "testdata/examples/edw-keda/iam/account-authorization-details.json"] {
                let text = std::fs::read_to_string(f).unwrap();
                let at = text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count()).unwrap_or(0);
                let mangled = format!("{}{}{}", &text[..at], junk, &text[at..]);
                let name = if f.ends_with(".json") { "x.json" } else { "x.yaml" };
                if let Ok(streamed) = export_item_by_item(&mangled) {
                    // Read item by item only when the whole-tree reader reads it too, to the same result.
                    prop_assert_eq!(Ok(streamed), export_as_whole_tree(&mangled));
                }
                let (_, sink) = read_text(&mangled, name);
                for finding in sink.findings().iter().filter(|f| f.code == crate::rules::MALFORMED_INPUT) {
                    prop_assert!(finding.loc.is_some_and(|l| l.pos.line >= 1), "{finding:?}");
                }
            }
        }
    }
}
