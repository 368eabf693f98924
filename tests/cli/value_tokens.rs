//! Values that hold several AWS references on one line (a comma-separated queue list, two `s3://` URIs): every
//! reference the plan maps is rewritten, each by an edit the plan lists; a value that holds one the plan cannot
//! rewrite is left whole with a finding (E2A138), never half-translated. A Secret's base64 `data` value gets no
//! edit (an edit cannot change it in place) and a finding that never shows the value (E2A139).

use super::{messages, plan_json, run};
use proptest::prelude::*;
use serde_json::Value;

const FIXTURE: &str = "testdata/fixtures/rewrite/several-tokens";
const SQS: &str = "https://sqs.us-east-1.amazonaws.com/111122223333/";
const QUEUE: &str = "https://REPLACE-ME-storage-account.queue.core.windows.net/";
const BLOB: &str = "https://REPLACE-ME-storage-account.blob.core.windows.net/";

/// The value edits of the plan: (line, token, replacement), in the plan's order.
fn value_edits(plan: &Value) -> Vec<(u64, String, String)> {
    plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap())
        .flat_map(|o| o["edits"].as_array().unwrap())
        .filter(|e| e["op"] == "value")
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (e["at"]["line"].as_u64().unwrap(), s("token"), s("with"))
        })
        .collect()
}

/// `translate` of `dir`: the rewritten manifest at `rel` (a path under the input).
fn translated(dir: &str, rel: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", "-q", "--out", out.to_str().unwrap(), dir]);
    assert_eq!(code, 0, "translate failed: {err}");
    std::fs::read_to_string(out.join("k8s").join(rel)).unwrap()
}

#[test]
fn every_reference_of_a_one_line_value_is_an_edit_of_the_plan() {
    let plan = plan_json(&[FIXTURE]);
    let edits = value_edits(&plan);
    let at = |line: u64| -> Vec<(String, String)> {
        edits.iter().filter(|e| e.0 == line).map(|e| (e.1.clone(), e.2.clone())).collect()
    };
    let q = |n: &str| (format!("{SQS}{n}"), format!("{QUEUE}{n}"));
    assert_eq!(at(16), [q("orders"), q("orders-dlq")], "{edits:?}");
    assert_eq!(
        at(17),
        [
            ("s3://shop-invoices/2024/".to_string(), format!("{BLOB}shop-invoices/2024/")),
            ("s3://shop-exports/daily/".to_string(), format!("{BLOB}shop-exports/daily/")),
        ],
        "{edits:?}"
    );
    // The env value names `payments` twice: one edit, every occurrence.
    assert_eq!(at(44), [q("payments"), q("orders")], "{edits:?}");
}

#[test]
fn every_reference_of_a_one_line_value_is_rewritten() {
    let text = translated(FIXTURE, "k8s/orders.yaml");
    let want = [
        format!("  QUEUES: \"{QUEUE}orders,{QUEUE}orders-dlq\"\n"),
        format!("  BUCKETS: \"{BLOB}shop-invoices/2024/ {BLOB}shop-exports/daily/\"  # plain, two URIs\n"),
        format!("              value: \"{QUEUE}payments;{QUEUE}orders;{QUEUE}payments\"\n"),
    ];
    for w in want {
        assert!(text.contains(&w), "{w}\n--- output ---\n{text}");
    }
    assert!(!text.contains(&format!("{SQS}orders")), "{text}");
}

#[test]
fn a_value_with_a_reference_the_plan_cannot_rewrite_is_left_whole_and_reported() {
    let plan = plan_json(&[FIXTURE]);
    assert!(value_edits(&plan).iter().all(|e| e.0 != 19), "{:?}", value_edits(&plan));
    let m = messages(&plan, "E2A138");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("`FANOUT`") && m[0].contains("https://sns.us-east-1.amazonaws.com"), "{}", m[0]);
    assert!(m[0].contains(&format!("{SQS}payments")), "{}", m[0]);
    let text = translated(FIXTURE, "k8s/orders.yaml");
    assert!(text.contains(&format!("  FANOUT: \"{SQS}payments https://sns.us-east-1.amazonaws.com\"\n")), "{text}");
}

/// A one-line value: 1–4 references (queues whose names are prefixes of each other, `s3://` URIs) in random order,
/// repeated or not, between random separators.
fn value() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, bool)> {
    (prop::collection::vec(0usize..5, 1..5), prop::collection::vec(0usize..4, 4), any::<bool>())
}

const TOKENS: [(&str, &str); 5] = [
    ("https://sqs.us-east-1.amazonaws.com/111122223333/orders", "queue:orders"),
    ("https://sqs.us-east-1.amazonaws.com/111122223333/orders-dlq", "queue:orders-dlq"),
    ("https://sqs.us-east-1.amazonaws.com/111122223333/payments", "queue:payments"),
    ("s3://shop-invoices/2024/", "blob:shop-invoices/2024/"),
    ("s3://shop-exports", "blob:shop-exports"),
];
const SEPARATORS: [&str; 4] = [",", " ", ";", ", "];

fn azure(t: &str) -> String {
    let (kind, rest) = t.split_once(':').unwrap();
    format!("{}{rest}", if kind == "queue" { QUEUE } else { BLOB })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Whatever the references and separators, the value reads as the input with each reference replaced, in the
    /// ConfigMap and in the env, and every other line of the file stays byte for byte.
    #[test]
    fn every_reference_is_rewritten_whatever_the_order_and_separators((picks, seps, quoted) in value()) {
        let join = |f: &dyn Fn(usize) -> String| -> String {
            let mut s = String::new();
            for (i, &p) in picks.iter().enumerate() {
                if i > 0 {
                    s.push_str(SEPARATORS[seps[i - 1]]);
                }
                s.push_str(&f(p));
            }
            s
        };
        let input_value = join(&|p| TOKENS[p].0.to_string());
        let want = join(&|p| azure(TOKENS[p].1));
        let written = if quoted { format!("\"{input_value}\"") } else { format!("'{input_value}'") };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        super::copy_dir(FIXTURE, &dir);
        let base = std::fs::read_to_string(dir.join("k8s/orders.yaml")).unwrap();
        let text = base
            .lines()
            .map(|l| {
                if l.starts_with("  QUEUES: ") {
                    format!("  QUEUES: {written}\n")
                } else if l.starts_with("              value: ") {
                    format!("              value: {written}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>();
        std::fs::write(dir.join("k8s/orders.yaml"), &text).unwrap();
        let out = tmp.path().join("out");
        let (code, _, err) = run(&["translate", "-q", "--out", out.to_str().unwrap(), dir.to_str().unwrap()]);
        prop_assert_eq!(code, 0, "translate failed: {}\n--- input ---\n{}", err, text);
        let got = std::fs::read_to_string(out.join("k8s/k8s/orders.yaml")).unwrap();
        let docs: Vec<Value> = got.split("\n---\n").map(|d| serde_norway::from_str(d).unwrap()).collect();
        prop_assert_eq!(docs[1]["data"]["QUEUES"].as_str(), Some(want.as_str()), "{}", got);
        let env = &docs[2]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"];
        prop_assert_eq!(env.as_str(), Some(want.as_str()), "{}", got);
        // Every other line is the input's (the edits of the ServiceAccount, the pod label and the other values aside).
        let other = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| {
                    !["QUEUES:", "value:", "BUCKETS:", "eks.amazonaws.com", "azure.workload.identity", "labels:"]
                        .iter()
                        .any(|x| l.contains(x))
                })
                .map(str::to_string)
                .collect()
        };
        prop_assert_eq!(other(&got), other(&text));
    }
}

#[test]
fn a_secrets_base64_data_value_gets_no_edit_and_a_finding_that_never_shows_it() {
    let plan = plan_json(&[FIXTURE]);
    let secret_edits: Vec<&Value> = plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with("secret.yaml"))
        .flat_map(|f| f["objects"].as_array().unwrap())
        .flat_map(|o| o["edits"].as_array().unwrap())
        .collect();
    // The `stringData` value is rewritten; the base64 `data` value (line 8) has no edit that would change nothing.
    assert_eq!(secret_edits.len(), 1, "{secret_edits:?}");
    assert_eq!(secret_edits[0]["at"]["line"], 11, "{secret_edits:?}");
    let m = messages(&plan, "E2A139");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("orders-secret") && m[0].contains("`QUEUE_URL`"), "{}", m[0]);
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A139").unwrap();
    assert_eq!(f["line"], 8);
    // No finding shows a Secret's data value, decoded or not (README "Output hygiene").
    let findings = plan["findings"].to_string();
    for secret in ["s3cr3t", "aHR0cHM6Ly9", "111122223333/orders\"", "111122223333/orders`"] {
        assert!(!findings.contains(secret), "{secret} in {findings}");
    }
    // The output agrees with the plan: the data values stay byte for byte, the stringData value is rewritten.
    let input = std::fs::read_to_string(format!("{FIXTURE}/k8s/secret.yaml")).unwrap();
    let text = translated(FIXTURE, "k8s/secret.yaml");
    for l in input.lines().filter(|l| l.contains("_URL: aHR0")) {
        assert!(text.contains(l), "{l}\n{text}");
    }
    assert!(
        text.contains(&format!("  DLQ_URL: {QUEUE}orders-dlq\n"))
            || text.contains(&format!("  DLQ_URL: \"{QUEUE}orders-dlq\"\n")),
        "{text}"
    );
}
