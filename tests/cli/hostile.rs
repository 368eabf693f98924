//! The hostile-input suite (issue 17): one input tree per class of silent failure found on main, each with its
//! pinned outcome. testdata/hostile/README.md says what each case is; cases that need a symlink, a FIFO or a
//! planted marker are made at run time by tests/cli/safety.rs.

use super::{eks2aks, plan_json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn translate(case: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = eks2aks().args(["translate", case, "--out"]).arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{case}: {}", String::from_utf8_lossy(&o.stderr));
    (tmp, out)
}

/// Translates one manifest `text` (as `m.yaml`); returns the temporary directory and the rewritten text.
fn translate_text(text: &str) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("m.yaml"), text).unwrap();
    let out = tmp.path().join("out");
    let o = eks2aks().arg("translate").arg(tmp.path().join("m.yaml")).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let output = std::fs::read_to_string(out.join("k8s/m.yaml")).unwrap();
    (tmp, output)
}

fn codes(p: &Value, code: &str) -> usize {
    p["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).count()
}

fn objects(text: &str) -> Vec<(String, String)> {
    eks2aks::yaml::parse_stream(text)
        .unwrap()
        .iter()
        .map(|d| {
            let s = |p: &[&str]| d.root.path(p).and_then(|n| n.as_str()).unwrap_or("").to_string();
            (s(&["kind"]), s(&["metadata", "name"]))
        })
        .collect()
}

/// Class 1: the rewrite of a ServiceAccount that loses its only EKS annotation keeps every object after it.
#[test]
fn rewrite_keeps_objects() {
    let case = "testdata/hostile/rewrite-keeps-objects";
    let (_tmp, out) = translate(case);
    let input = std::fs::read_to_string(Path::new(case).join("k8s.yaml")).unwrap();
    let output = std::fs::read_to_string(out.join("k8s/k8s.yaml")).unwrap();
    assert_eq!(objects(&output), objects(&input));
    assert!(output.contains("data: {mode: fast}") && !output.contains("eks.amazonaws.com"), "{output}");
}

/// Class 3: IAM roles `svc.reader` and `svc-reader` stay two identities; queues `orders.fifo` and `orders` two
/// queues; each collision is a warning that names both sources.
#[test]
fn roles_that_merge() {
    let p = plan_json(&["testdata/hostile/roles-that-merge"]);
    let names: BTreeSet<&str> =
        p["identities"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let queues: BTreeSet<&str> =
        p["resources"].as_array().unwrap().iter().filter_map(|r| r["azure_name"].as_str()).collect();
    assert_eq!(queues.len(), 2, "{queues:?}");
    assert_eq!(codes(&p, "E2A038"), 2);
    let msg = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A038").unwrap()["message"].to_string();
    assert!(msg.contains("svc.reader") && msg.contains("svc-reader") || msg.contains("orders.fifo"), "{msg}");
}

/// Class 3: ServiceAccounts `a-b/c` and `a/b-c` of one role both read `a-b-c` as a credential name.
#[test]
fn credential_names_that_merge() {
    let p = plan_json(&["testdata/hostile/credential-names-that-merge"]);
    let fics = p["identities"][0]["federated_credentials"].as_array().unwrap();
    let names: BTreeSet<&str> = fics.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let subjects: BTreeSet<&str> = fics.iter().map(|f| f["subject"].as_str().unwrap()).collect();
    assert_eq!((names.len(), subjects.len()), (2, 2), "{fics:?}");
    assert_eq!(codes(&p, "E2A038"), 1);
}

/// Class 3: one queue name across characters Azure drops, two accounts and two regions: four Azure names.
#[test]
fn resources_that_merge() {
    let p = plan_json(&["testdata/hostile/resources-that-merge"]);
    let names: BTreeSet<&str> =
        p["resources"].as_array().unwrap().iter().filter_map(|r| r["azure_name"].as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    // Each identity's assignment is scoped to its own queue.
    let scopes: BTreeSet<&str> =
        crate::role_assignments(&p).map(|a| a["scope"]["azure_name"].as_str().unwrap()).collect();
    assert_eq!(scopes, names);
}

/// Class 4: `app/worker` in two clusters, bound to two roles: one error (not one per copy), `translate` writes
/// nothing (both identities would federate one subject on the run's one AKS issuer); with the finding waived on
/// purpose (on the ServiceAccount), each rewritten ServiceAccount gets its own identity's client id.
#[test]
fn one_service_account_two_clusters() {
    let case = "testdata/hostile/one-service-account-two-clusters";
    let p = plan_json(&[case]);
    assert_eq!(codes(&p, "E2A039"), 1);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = eks2aks().args(["translate", case, "--out"]).arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("translate refused") && err.contains("aks_oidc_issuer"), "{err}");
    assert!(!out.exists(), "nothing is written");
    let waived = tmp.path().join("waived");
    crate::waive_two_clusters(case, &waived);
    let o = eks2aks().arg("translate").arg(&waived).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    for (cluster, id) in [("cluster-a", "worker-a"), ("cluster-b", "worker-b")] {
        let text = std::fs::read_to_string(out.join("k8s").join(cluster).join("k8s.yaml")).unwrap();
        assert!(text.contains(&format!("REPLACE-WITH-CLIENT-ID-OF-{id}\n")), "{cluster}: {text}");
    }
    let o = eks2aks().args(["check", case]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "the gate fails");
}

/// Class 1 (found by review): a flow-style env list re-emitted to drop an AWS SDK variable, and a JSON manifest
/// whose pod template gains its label, keep the endpoint rewrites inside them (they were silently left on AWS).
#[test]
fn flow_env_rewrites() {
    let case = "testdata/hostile/flow-env-rewrites";
    let (_tmp, out) = translate(case);
    let yaml = std::fs::read_to_string(out.join("k8s/k8s.yaml")).unwrap();
    let json = std::fs::read_to_string(out.join("k8s/job.json")).unwrap();
    for text in [&yaml, &json] {
        assert!(!text.contains("amazonaws.com") && !text.contains("s3://") && !text.contains("AWS_ROLE_ARN"), "{text}");
        assert!(text.contains("blob.core.windows.net/mybucket/data"), "{text}");
    }
    assert!(yaml.contains("queue.core.windows.net/orders"), "{yaml}");
    let job: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(job["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"], "true");
}

/// Class 1 (found by review): an entry added after a block scalar lands in its mapping, not in the next
/// document; a CRLF file gets CRLF in the lines the rewrite adds.
#[test]
fn block_scalar_and_crlf() {
    let case = "testdata/hostile/block-scalar-and-crlf";
    let (_tmp, out) = translate(case);
    let input = std::fs::read_to_string(Path::new(case).join("helm.yaml")).unwrap();
    let output = std::fs::read_to_string(out.join("k8s/helm.yaml")).unwrap();
    assert_eq!(objects(&output), objects(&input));
    let docs = eks2aks::yaml::parse_stream(&output).unwrap();
    let ann = docs[0].root.path(&["metadata", "annotations"]).unwrap();
    assert_eq!(ann.get("note").and_then(|n| n.as_str()), Some("keep me\n"));
    assert!(ann.get("azure.workload.identity/client-id").is_some(), "{output}");
    let other = docs[2].root.path(&["metadata", "annotations"]).unwrap();
    assert_eq!(other.get("description").and_then(|n| n.as_str()), Some("folded text\n"));
    let crlf = std::fs::read_to_string(out.join("k8s/crlf.yaml")).unwrap();
    assert!(crlf.contains("client-id") && !crlf.replace("\r\n", "").contains('\n'), "{crlf:?}");
}

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn secret_manifest() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: leak, namespace: ns1}}\nstringData: {{AWS_ACCESS_KEY_ID: {KEY_ID}, AWS_SECRET_ACCESS_KEY: {SECRET}}}\n"
    )
}

/// Class 5 (found by review): a marker with the right hashes is as easy to plant as an empty one; the files it
/// records are left out of the model, but static credentials in them are still reported and fail the gate.
#[test]
fn a_marker_with_true_hashes_hides_no_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo/deploy");
    std::fs::create_dir_all(&dir).unwrap();
    let text = secret_manifest();
    std::fs::write(dir.join("creds.yaml"), &text).unwrap();
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(dir.join(".eks2aks-output"), format!("{hash}  creds.yaml\n")).unwrap();
    let o = eks2aks().arg("check").arg(tmp.path().join("repo")).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert_eq!(out.matches("error[E2A006]").count(), 2, "{out}");
}

/// Never leak: the line of a static credential is pointed at, never printed, in any format.
#[test]
fn static_credentials_are_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("secret.yaml");
    std::fs::write(&file, secret_manifest()).unwrap();
    for format in ["text", "json", "sarif", "junit", "markdown"] {
        let o = eks2aks().args(["check", "--format", format]).arg(&file).output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.status.code(), Some(1), "{format}: {all}");
        assert!(all.contains("E2A006") && !all.contains(KEY_ID) && !all.contains(SECRET), "{format}: {all}");
    }
    for format in ["table", "markdown", "json"] {
        let o = eks2aks().args(["plan", "--format", format]).arg(&file).output().unwrap();
        let all = String::from_utf8_lossy(&o.stdout);
        assert!(!all.contains(KEY_ID) && !all.contains(SECRET), "plan {format}: {all}");
    }
}

/// Class 1 (found by the `rewriter` fuzz target): a lone CR is a line break to YAML; the rewrite must count lines
/// the same way, or every edit after it lands a line off (the check refused the broken result).
#[test]
fn a_lone_carriage_return_does_not_shift_the_edits() {
    let text = "# first\r# second comment line\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: ns1\n  annotations:\n    eks.amazonaws.com/sts-regional-endpoints: \"true\"\n    keep: me\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns1}\ndata: {AWS_REGION: us-east-1, mode: fast}\n";
    let (_tmp, output) = translate_text(text);
    assert_eq!(objects(&output), objects(text));
    assert!(output.contains("keep: me") && !output.contains("eks.amazonaws.com"), "{output:?}");
}

/// Class 1 (found by the `rewriter` fuzz target): when every env item or ConfigMap key the rewrite drops is all
/// there is, the list or map stays a list or map (`[]`, `{}`), not a key holding null.
#[test]
fn dropping_every_item_leaves_an_empty_list_not_null() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  AWS_REGION: us-east-1\n  AWS_DEFAULT_REGION: x\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: x\n      env:\n        - name: AWS_REGION\n          value: y\n";
    let (_tmp, output) = translate_text(text);
    let docs = eks2aks::yaml::parse_stream(&output).unwrap();
    assert_eq!(docs[0].root.get("data").unwrap().to_json(), serde_json::json!({}));
    let env = docs[1].root.path(&["spec", "containers"]).unwrap().as_seq().unwrap()[0].get("env").unwrap();
    assert_eq!(env.to_json(), serde_json::json!([]));
}

/// Found by the `rewriter` fuzz target once it read an IAM export: a block map or list re-emitted whole at the very
/// end of a file with no final newline lost nothing but kept its last character (`…edw-processorr`), and the
/// rewrite's self-check refused the run. The node's text runs to the end of the file there, not to a newline.
#[test]
fn a_node_rewritten_at_the_end_of_a_file_without_a_final_newline_is_replaced_whole() {
    // The ServiceAccount's one annotation is IRSA's: the annotations are re-emitted with the client id alone.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy("testdata/examples/edw-keda/iam/account-authorization-details.json", tmp.path().join("iam.json"))
        .unwrap();
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: edw-processor\n  namespace: edw\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/edw-processor";
    std::fs::write(tmp.path().join("sa.yaml"), sa).unwrap();
    let out = tmp.path().join("out");
    let o = eks2aks().arg("translate").arg(tmp.path()).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let output = std::fs::read_to_string(out.join("k8s/sa.yaml")).unwrap();
    let docs = eks2aks::yaml::parse_stream(&output).unwrap();
    assert_eq!(
        docs[0].root.path(&["metadata", "annotations"]).unwrap().to_json(),
        serde_json::json!({"azure.workload.identity/client-id": "REPLACE-WITH-CLIENT-ID-OF-edw-processor"}),
        "{output:?}"
    );
    // Every env item goes: `env: []`, with nothing of the last item left behind.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: x\n      env:\n        - name: AWS_REGION\n          value: eu-west-1";
    let (_tmp, output) = translate_text(pod);
    let docs = eks2aks::yaml::parse_stream(&output).unwrap();
    let env = docs[0].root.path(&["spec", "containers"]).unwrap().as_seq().unwrap()[0].get("env").unwrap();
    assert_eq!(env.to_json(), serde_json::json!([]), "{output:?}");
}

/// A finding never contradicts an output: every variable E2A028 says "the AKS manifest drops" is gone from the
/// rewritten manifest, the profile and credential-file ones too (they were flagged and kept: two lists of the SDK
/// variables disagreed).
#[test]
fn every_sdk_variable_the_findings_say_are_dropped_is_dropped() {
    let vars = ["AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ROLE_SESSION_NAME", "AWS_REGION"];
    let env: String = vars.iter().map(|v| format!("        - name: {v}\n          value: x\n")).collect();
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: n\nspec:\n  containers:\n    - name: c\n      image: x\n      env:\n{env}        - name: KEEP\n          value: y\n"
    );
    let (tmp, output) = translate_text(&text);
    let p = crate::plan_json(&[tmp.path().join("m.yaml").to_str().unwrap()]);
    let dropped: Vec<&str> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A028")
        .filter_map(|f| f["message"].as_str()?.split('`').nth(1))
        .collect();
    assert!(dropped.len() >= vars.len() - 1, "{dropped:?}");
    for v in dropped {
        assert!(!output.contains(v), "{v} is said to be dropped but stays:\n{output}");
    }
    assert!(output.contains("KEEP"), "{output}");
}

/// Azure compares resource, identity, table and Key Vault object names without regard to case: `Reader` and
/// `reader`, `Orders` and `orders`, `Prod/DB` and `prod/db` (two accounts) stay two Azure things each, each
/// assignment on its own account's object, and each pair is an E2A038.
#[test]
fn names_that_differ_only_in_case_stay_apart() {
    let case = "testdata/hostile/names-that-differ-in-case";
    let p = plan_json(&[case]);
    let lower = |v: &Value| v.as_str().unwrap().to_ascii_lowercase();
    let ids: BTreeSet<String> = p["identities"].as_array().unwrap().iter().map(|i| lower(&i["name"])).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let mut by_kind: std::collections::BTreeMap<String, BTreeSet<(String, String)>> = Default::default();
    for a in crate::role_assignments(&p) {
        let arn = a["scope"]["aws_arn"].as_str().unwrap().to_string();
        by_kind
            .entry(a["scope"]["kind"].as_str().unwrap().to_string())
            .or_default()
            .insert((lower(&a["scope"]["azure_name"]), arn));
    }
    for kind in ["table", "secret"] {
        let scopes = &by_kind[kind];
        let names: BTreeSet<&String> = scopes.iter().map(|(n, _)| n).collect();
        let arns: BTreeSet<&String> = scopes.iter().map(|(_, a)| a).collect();
        assert_eq!((names.len(), arns.len()), (2, 2), "{kind}: {scopes:?}");
    }
    assert_eq!(codes(&p, "E2A038"), 3, "{}", p["findings"]);
    let (_tmp, out) = translate(case);
    let bicep = std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap();
    let declared: Vec<String> = bicep
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name: '"))
        .map(|n| n.trim_end_matches('\'').to_ascii_lowercase())
        .collect();
    let unique: BTreeSet<&String> = declared.iter().collect();
    assert_eq!(unique.len(), declared.len(), "a name declared twice, case aside: {declared:?}");
}
