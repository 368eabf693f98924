//! AWS URLs inside YAML/JSON documents held in ConfigMap and Secret values (review 3, d5/d5j/d5s): each value edit
//! lands exactly on its token inside the block scalar, every other byte of the file stays, and a value whose
//! positions cannot be mapped exactly (a folded block) gets no edit and a finding (E2A136) instead of a wrong one.

use super::{messages, plan_json, run};
use proptest::prelude::*;

const FIXTURE: &str = "testdata/fixtures/rewrite/embedded-documents";
const JOBS: &str = "https://sqs.us-east-1.amazonaws.com/111122223333/jobs";
const DLQ: &str = "https://sqs.us-east-1.amazonaws.com/111122223333/jobs-dlq";
const AZ_JOBS: &str = "https://REPLACE-ME-storage-account.queue.core.windows.net/jobs";
const AZ_DLQ: &str = "https://REPLACE-ME-storage-account.queue.core.windows.net/jobs-dlq";

/// The input with every URL rewritten except the folded block's (`Jobs go to …`).
fn expected(input: &str) -> String {
    input
        .split_inclusive('\n')
        .map(|l| {
            if l.contains("Jobs go to") {
                l.to_string()
            } else {
                l.replace(DLQ, "\u{0}").replace(JOBS, AZ_JOBS).replace('\u{0}', AZ_DLQ)
            }
        })
        .collect()
}

#[test]
fn urls_inside_embedded_documents_are_rewritten_in_place_and_nothing_else_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", "-q", "--out", out.to_str().unwrap(), FIXTURE]);
    assert_eq!(code, 0, "translate failed: {err}");
    let input = std::fs::read_to_string(format!("{FIXTURE}/k8s/app.yaml")).unwrap();
    let got = std::fs::read_to_string(out.join("k8s/k8s/app.yaml")).unwrap();
    // The ServiceAccount's and the pod template's edits aside, the file is the input with the tokens replaced.
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| {
                !["eks.amazonaws.com/role-arn", "azure.workload.identity", "labels: {"].iter().any(|x| l.contains(x))
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    assert_eq!(strip(&got), strip(&expected(&input)), "--- output ---\n{got}");
}

#[test]
fn each_value_edit_names_its_tokens_own_line_and_column() {
    let plan = plan_json(&[FIXTURE]);
    let input = std::fs::read_to_string(format!("{FIXTURE}/k8s/app.yaml")).unwrap();
    let mut at = Vec::new();
    for f in plan["manifest_edits"].as_array().unwrap() {
        for o in f["objects"].as_array().unwrap() {
            for e in o["edits"].as_array().unwrap().iter().filter(|e| e["op"] == "value") {
                let (line, col) =
                    (e["at"]["line"].as_u64().unwrap() as usize, e["at"]["col"].as_u64().unwrap() as usize);
                let text: String = input.lines().nth(line - 1).unwrap().chars().skip(col - 1).collect();
                assert!(text.starts_with(e["token"].as_str().unwrap()), "{e} does not point at its token: {text}");
                at.push((line, e["with"].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(
        at,
        [(15, AZ_JOBS.to_string()), (16, AZ_DLQ.to_string()), (22, AZ_JOBS.to_string()), (37, AZ_JOBS.to_string())]
    );
}

#[test]
fn a_url_in_a_folded_block_is_left_with_a_finding_that_says_so() {
    let plan = plan_json(&[FIXTURE]);
    let m = messages(&plan, "E2A136");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("notes.txt") && m[0].contains(JOBS) && m[0].contains("stays as it is"), "{}", m[0]);
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A136").unwrap();
    assert_eq!(f["line"], 25, "{f}");
}

/// The review's repros, each a block scalar holding a document: `translate` must succeed (it failed its own
/// check), and `check` must agree with it.
#[test]
fn the_reviews_shapes_translate() {
    for (key, doc) in [
        ("application.yaml", format!("    worker:\n      queue: {JOBS}\n")),
        ("config.json", format!("    {{\"worker\": {{\"queue\": \"{JOBS}\"}}}}\n")),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        super::copy_dir(FIXTURE, &dir);
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: app\ndata:\n  {key}: |\n{doc}"
        );
        std::fs::write(dir.join("k8s/app.yaml"), text.clone()).unwrap();
        let out = tmp.path().join("out");
        let (code, _, err) = run(&["translate", "-q", "--out", out.to_str().unwrap(), dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{key}: {err}");
        let got = std::fs::read_to_string(out.join("k8s/k8s/app.yaml")).unwrap();
        assert_eq!(got, text.replace(JOBS, AZ_JOBS));
    }
}

/// A generated document: nested mappings and lists, block or flow, with the queue URL at some of its scalars.
fn document() -> impl Strategy<Value = (bool, Vec<(u8, u8, bool)>, u8)> {
    // (JSON or YAML, entries (depth 0–2, what the value is, quoted), the block indicator's chomping)
    (any::<bool>(), prop::collection::vec((0u8..3, 0u8..5, any::<bool>()), 1..8), 0u8..3)
}

fn scalar(kind: u8, quoted: bool, i: usize) -> String {
    let v = match kind {
        0 => JOBS.to_string(),
        1 => format!("{JOBS},{DLQ}"),
        2 => format!("queue {JOBS} then"),
        3 => format!("value-{i}"),
        _ => DLQ.to_string(),
    };
    if quoted { format!("\"{v}\"") } else { v }
}

fn render_doc(json: bool, entries: &[(u8, u8, bool)]) -> String {
    if json {
        let items: Vec<String> =
            entries.iter().enumerate().map(|(i, (_, k, _))| format!("\"k{i}\": {}", scalar(*k, true, i))).collect();
        return format!("{{\n  \"items\": {{\n    {}\n  }}\n}}\n", items.join(",\n    "));
    }
    let mut out = String::new();
    for (i, (depth, kind, quoted)) in entries.iter().enumerate() {
        let pad = "  ".repeat(*depth as usize);
        match depth {
            0 => out.push_str(&format!("k{i}: {}  # note {i}\n", scalar(*kind, *quoted, i))),
            1 => out.push_str(&format!("m{i}:\n{pad}k: {}\n\n", scalar(*kind, *quoted, i))),
            _ => out.push_str(&format!("l{i}:\n  - x: 1\n    y: {}\n", scalar(*kind, *quoted, i))),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// Random embedded YAML/JSON documents in ConfigMap block scalars, the queue URLs at random places: `translate`
    /// succeeds and the output is the input with only the tokens replaced.
    #[test]
    fn only_the_tokens_change_in_embedded_documents((json, entries, chomp) in document(), indent in 3usize..7) {
        let doc = render_doc(json, &entries);
        let pad = " ".repeat(indent);
        let body: String = doc.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("{pad}{l}\n") }).collect();
        let indicator = ["|", "|-", "|+"][chomp as usize];
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: app\ndata:\n  doc: {indicator}\n{body}  other: \"{JOBS}\"\n"
        );
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        super::copy_dir(FIXTURE, &dir);
        std::fs::write(dir.join("k8s/app.yaml"), &text).unwrap();
        let out = tmp.path().join("out");
        let (code, _, err) = run(&["translate", "-q", "--out", out.to_str().unwrap(), dir.to_str().unwrap()]);
        prop_assert_eq!(code, 0, "translate failed: {}\n--- input ---\n{}", err, text);
        let got = std::fs::read_to_string(out.join("k8s/k8s/app.yaml")).unwrap();
        let want = text.replace(DLQ, "\u{0}").replace(JOBS, AZ_JOBS).replace('\u{0}', AZ_DLQ);
        prop_assert_eq!(got, want, "--- input ---\n{}", text);
    }
}

/// Review 3, d4: Loki's `s3://<region>/<bucket>` names the bucket by its path; the region is never the container,
/// and no finding says the config stays while an edit changes it.
#[test]
fn lokis_s3_url_names_its_bucket_by_its_path() {
    let dir = "testdata/fixtures/rewrite/loki-s3-url";
    let plan = plan_json(&["--config", &format!("{dir}/eks2aks.yaml"), dir]);
    let edits: Vec<&serde_json::Value> = plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap())
        .filter(|o| o["kind"] == "ConfigMap")
        .flat_map(|o| o["edits"].as_array().unwrap())
        .collect();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["op"], "storage-config");
    let text = edits[0]["spans"][0]["text"].as_str().unwrap();
    assert!(text.contains("container_name: acme-loki2") && !text.contains("us-east-1"), "{text}");
    assert!(messages(&plan, "E2A140").is_empty(), "{:?}", messages(&plan, "E2A140"));
    assert_eq!(messages(&plan, "E2A141").len(), 1);
}

/// Review 3, d9: a value naming a bucket the role is not granted is rewritten, and E2A036 says that the container
/// it now points at is not created by the outputs (the finding describes what the output does).
#[test]
fn a_rewritten_value_naming_a_container_the_outputs_do_not_create_says_so() {
    let dir = "testdata/fixtures/rewrite/not-granted-bucket";
    let plan = plan_json(&[dir]);
    let m: Vec<String> =
        messages(&plan, "E2A036").into_iter().filter(|m| m.contains("arn:aws:s3:::other-team-bucket")).collect();
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("`other-team-bucket`, which the outputs do not create") && m[0].contains("must exist"),
        "{}",
        m[0]
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", "-q", "--out", out.to_str().unwrap(), dir]);
    assert_eq!(code, 0, "{err}");
    let app = std::fs::read_to_string(out.join("k8s/k8s/app.yaml")).unwrap();
    assert!(app.contains("blob.core.windows.net/other-team-bucket/x"), "the rewrite stays:\n{app}");
    let bicep = std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap();
    assert!(!bicep.contains("other-team-bucket"), "the container is not declared, as the finding says");
}

/// Review 3, d4: a Loki config E2A140 says stays as it is gets no edit inside it (a finding never contradicts an
/// edit).
#[test]
fn a_storage_config_left_as_it_is_gets_no_value_edit_inside_it() {
    let dir = "testdata/fixtures/rewrite/loki-left";
    let plan = plan_json(&["--config", &format!("{dir}/eks2aks.yaml"), dir]);
    let m = messages(&plan, "E2A140");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("stays"), "{}", m[0]);
    let config_map_edits = plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap())
        .filter(|o| o["kind"] == "ConfigMap")
        .count();
    assert_eq!(config_map_edits, 0, "{}", plan["manifest_edits"]);
}

/// Loki's `s3://<region>/<bucket>` names no bucket by its host: the region is never a plan resource (nothing is
/// created or granted for it), whether the config is rewritten or left (E2A140), and a `Resource: "*"` grant of the
/// pods that mount the config is narrowed to the bucket of the URL's path, never to a container named after the
/// region.
#[test]
fn lokis_region_is_never_a_plan_resource() {
    for dir in ["testdata/fixtures/rewrite/loki-s3-url", "testdata/fixtures/rewrite/loki-left"] {
        let plan = plan_json(&["--config", &format!("{dir}/eks2aks.yaml"), dir]);
        let arns: Vec<&str> =
            plan["resources"].as_array().unwrap().iter().map(|r| r["aws_arn"].as_str().unwrap()).collect();
        assert_eq!(arns, ["arn:aws:s3:::acme-loki2"], "{dir}");
    }
    // The pods mount the config, and the role grants S3 on `*`.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    super::copy_dir("testdata/fixtures/rewrite/loki-s3-url", &dir);
    let k8s = std::fs::read_to_string(dir.join("k8s/loki.yaml")).unwrap().replace(
        "        image: grafana/loki:2.8.4\n",
        "        image: grafana/loki:2.8.4\n        volumeMounts: [{name: config, mountPath: /etc/loki}]\n      volumes: [{name: config, configMap: {name: loki}}]\n",
    );
    std::fs::write(dir.join("k8s/loki.yaml"), k8s).unwrap();
    let iam = std::fs::read_to_string(dir.join("iam/auth.json")).unwrap();
    let iam = iam.replace("\"arn:aws:s3:::acme-loki2\",\n                  \"arn:aws:s3:::acme-loki2/*\"", "\"*\"");
    assert!(iam.contains("\"Resource\": [\n                  \"*\"\n"), "{iam}");
    std::fs::write(dir.join("iam/auth.json"), iam).unwrap();
    let d = dir.to_str().unwrap();
    let plan = plan_json(&["--config", &format!("{d}/eks2aks.yaml"), d]);
    let arns: Vec<&str> =
        plan["resources"].as_array().unwrap().iter().map(|r| r["aws_arn"].as_str().unwrap()).collect();
    assert_eq!(arns, ["arn:aws:s3:::acme-loki2"]);
    let scopes: Vec<&str> =
        super::role_assignments(&plan).map(|a| a["scope"]["azure_name"].as_str().unwrap()).collect();
    assert_eq!(scopes, ["acme-loki2"], "{:#}", plan["identities"]);
}
