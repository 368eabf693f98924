//! Any bytes as a YAML manifest stream, translated: the manifest rewrite checks every file it rewrites against the
//! input and the edits it planned (render::verify). The round-trip property is that this check never fails — a
//! failure is a rewrite that lost or changed something it should not have — and that nothing panics. The manifest
//! is read with the edw-keda example's IAM export, so ServiceAccounts that name its role get an identity and their
//! workloads the pod label, the env and the KEDA edits (seed the corpus with `testdata/examples/edw-keda/k8s`).
#![no_main]
use eks2aks::diag::{Files, Sink};
use eks2aks::ingest::{IngestOptions, read_strs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut files = Files::default();
    let mut sink = Sink::default();
    const IAM: &str = include_str!("../../testdata/examples/edw-keda/iam/account-authorization-details.json");
    let inputs = [("iam.json", IAM), ("fuzz.yaml", text)];
    let mut model = read_strs(&inputs, &IngestOptions::default(), &mut files, &mut sink);
    if sink.has_input_errors() {
        return;
    }
    static TABLES: std::sync::OnceLock<eks2aks::mapping::Tables> = std::sync::OnceLock::new();
    let tables = TABLES.get_or_init(|| eks2aks::mapping::load(None).expect("bundled tables are valid"));
    let mut joined = eks2aks::graph::build(&mut model, &files, &mut sink);
    let plan = eks2aks::plan::build(&model, &mut joined, &files, tables, &Default::default(), sink);
    let mut a = eks2aks::Analysis { files, model, joined, plan: std::sync::Arc::new(plan) };
    let cfg = eks2aks::config::Config::default();
    let tpl = eks2aks::templates::Templates::default();
    if let Err(e) = eks2aks::render::translate(&mut a, &cfg, &tpl, &Default::default()) {
        let e = format!("{e:#}");
        assert!(!e.contains("failed its own check"), "{e}");
    }
});
