//! Any bytes as a YAML manifest stream: read, join, plan. Must never panic.
#![no_main]
use eks2aks::diag::{Files, Sink};
use eks2aks::ingest::{IngestOptions, read_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut files = Files::default();
    let mut sink = Sink::default();
    let mut model = read_str("fuzz.yaml", text, &IngestOptions::default(), &mut files, &mut sink);
    if !sink.has_input_errors() {
        let mut joined = eks2aks::graph::build(&mut model, &files, &mut sink);
        static TABLES: std::sync::OnceLock<eks2aks::mapping::Tables> = std::sync::OnceLock::new();
        let tables = TABLES.get_or_init(|| eks2aks::mapping::load(None).expect("bundled tables are valid"));
        let plan = eks2aks::plan::build(&model, &mut joined, &files, tables, &Default::default(), sink);
        let _ = eks2aks::report::json::render(&plan);
    }
});
