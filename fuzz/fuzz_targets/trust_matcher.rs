//! A trust policy document plus a ServiceAccount (namespace, name, audience) from the fuzzer: the matcher must
//! never panic, and a StringEquals-only trust must never admit a subject it does not name verbatim.
#![no_main]
use eks2aks::diag::{FileId, Sink};
use eks2aks::graph::trust::admits;
use eks2aks::ingest::policy;
use eks2aks::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, &str, &str)| {
    let (doc, ns, name, aud) = input;
    let Ok(mut docs) = yaml::parse_stream(doc) else { return };
    if docs.is_empty() {
        return;
    }
    let root = docs.remove(0).root;
    let mut sink = Sink::default();
    let Some(trust) = policy::read_document(FileId(0), &root, &mut sink) else { return };
    let v = admits(&trust, ns, name, aud);
    let only_equals = trust.statements.iter().all(|s| s.conditions.iter().all(|c| &*c.op.base == "StringEquals" && c.op.set.is_none() && !c.op.if_exists));
    let has_sub = trust.statements.iter().all(|s| s.conditions.iter().any(|c| c.key.ends_with(":sub")));
    if v.admitted() && only_equals && has_sub && trust.statements.iter().all(|s| s.principal.as_ref().is_some_and(|p| !p.any && !p.not)) {
        let subject = format!("system:serviceaccount:{ns}:{name}");
        let named = trust
            .statements
            .iter()
            .flat_map(|s| s.conditions.iter())
            .filter(|c| c.key.to_ascii_lowercase().ends_with(":sub"))
            .any(|c| c.values.iter().any(|v| **v == *subject));
        assert!(named, "admitted a subject the trust does not name: {subject}");
    }
});
