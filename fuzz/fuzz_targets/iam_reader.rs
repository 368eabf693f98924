//! Any bytes as a JSON IAM export: read and join. Must never panic.
#![no_main]
use eks2aks::diag::{Files, Sink};
use eks2aks::ingest::{IngestOptions, read_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut files = Files::default();
    let mut sink = Sink::default();
    let mut model = read_str("fuzz.json", text, &IngestOptions::default(), &mut files, &mut sink);
    if !sink.has_input_errors() {
        let _ = eks2aks::graph::build(&mut model, &files, &mut sink);
    }
});
