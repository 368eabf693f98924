//! The manifest rewrite on the YAML shapes a hostile-input review of 4ba9fce found it failing on (internal errors):
//! an `env:` that is the last key of a container, the explicit-key form (`? key` / `: value`) of an annotation,
//! and merge keys (`<<: *anchor`) in annotations. Each must translate, or be a finding at the line with the object
//! kept — never an internal error.

use super::run;
use std::collections::BTreeMap;
use std::path::Path;

fn tree(out: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, tree: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, tree);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                tree.insert(p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"), text);
            }
        }
    }
    let mut t = BTreeMap::new();
    walk(out, out, &mut t);
    t
}

/// `translate` of a fixture under `testdata/fixtures/rewrite/` (with its `eks2aks.yaml` when it has one).
fn translate(fixture: &str) -> (i32, String, BTreeMap<String, String>, tempfile::TempDir) {
    let dir = format!("testdata/fixtures/rewrite/{fixture}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let config = format!("{dir}/eks2aks.yaml");
    let mut args = vec!["translate", "-q"];
    if Path::new(&config).exists() {
        args.extend(["--config", &config]);
    }
    args.extend(["--out", out.to_str().unwrap(), &dir]);
    let (code, _, err) = run(&args);
    let t = if out.exists() { tree(&out) } else { BTreeMap::new() };
    (code, err, t, tmp)
}

fn env_names(container: &serde_json::Value) -> Vec<String> {
    container["env"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn docs(text: &str) -> Vec<serde_json::Value> {
    eks2aks::yaml::parse_stream(text).expect("the output is valid YAML").iter().map(|d| d.root.to_json()).collect()
}

/// The bundled phased example with the container's `env:` moved after `readinessProbe` (its last key): the
/// AKS-issuer bridge adds its env items to that list and the token mount as a new key, and both land where YAML
/// reads them.
#[test]
fn bridge_env_items_land_in_an_env_list_that_is_the_containers_last_key() {
    let (code, err, t, _tmp) = translate("env-last-phased");
    assert_eq!(code, 0, "{err}");
    let out = t.get("k8s/k8s/deployment.yaml").expect("the deployment is rewritten");
    let d = &docs(out)[0];
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let names = env_names(c);
    assert!(names.contains(&"AWS_ROLE_ARN".to_string()), "{names:?}\n{out}");
    assert!(names.contains(&"AWS_WEB_IDENTITY_TOKEN_FILE".to_string()), "{names:?}\n{out}");
    assert!(names.contains(&"SQS_QUEUE_URL".to_string()), "{names:?}");
    assert!(c["volumeMounts"].as_array().is_some_and(|m| !m.is_empty()), "{out}");
    assert_eq!(c["readinessProbe"]["periodSeconds"], 10);
}

/// `stay_on_aws` with the AWS bridge on a plain Deployment whose container ends with `env:`.
#[test]
fn bridge_env_items_land_in_a_last_env_list_of_a_plain_deployment() {
    let (code, err, t, _tmp) = translate("env-last-bridge");
    assert_eq!(code, 0, "{err}");
    let out = t.get("k8s/k8s/all.yaml").expect("rewritten");
    let d = docs(out).into_iter().find(|d| d["kind"] == "Deployment").unwrap();
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let names = env_names(c);
    assert_eq!(names.first().map(String::as_str), Some("Q"), "{out}");
    assert!(names.len() > 1, "the bridge adds its variables: {names:?}\n{out}");
}

/// `? eks.amazonaws.com/role-arn` / `: arn:…` is the same annotation as the one-line form: it is rewritten.
#[test]
fn an_explicit_key_annotation_is_rewritten() {
    let (code, err, t, _tmp) = translate("explicit-key");
    assert_eq!(code, 0, "{err}");
    let out = t.get("k8s/k8s/sa.yaml").expect("rewritten");
    let d = docs(out);
    for sa in &d {
        let ann = sa["metadata"]["annotations"].as_object().expect("annotations");
        assert!(!ann.keys().any(|k| k.starts_with("eks.amazonaws.com/")), "{out}");
        assert_eq!(ann["azure.workload.identity/client-id"], "REPLACE-WITH-CLIENT-ID-OF-multi", "{out}");
    }
    assert_eq!(d[1]["metadata"]["annotations"]["example.com/owner"], "team-a", "{out}");
    assert!(
        out.contains("    ? example.com/owner\n    : team-a\n"),
        "the other explicit key is kept as written\n{out}"
    );
    assert!(!out.contains("? eks.amazonaws.com"), "{out}");
}

/// ServiceAccount `ns/b` merges the role annotation of `ns/a` (`<<: *irsa`): Kubernetes reads it, so it gets the
/// identity of `shared`. The anchor is shared by three objects, so none of them is rewritten: E2A107 at the anchor
/// names them, the file is written unchanged, and the gate fails — never an internal error.
#[test]
fn a_merged_role_annotation_is_read_and_its_shared_anchor_is_a_finding() {
    let dir = "testdata/fixtures/rewrite/merge-annotations";
    let plan = super::plan_json(&[dir]);
    let ids = plan["identities"].as_array().unwrap();
    let sas_of = |name: &str| -> Vec<String> {
        let id = ids.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("{name}: {ids:?}"));
        id["service_accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{}/{}", s["namespace"].as_str().unwrap(), s["name"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(sas_of("shared"), ["ns/a", "ns/b"]);
    assert_eq!(sas_of("other"), ["ns/c"]);
    let findings = plan["findings"].as_array().unwrap();
    let f: Vec<&serde_json::Value> = findings.iter().filter(|f| f["code"] == "E2A107").collect();
    assert_eq!(f.len(), 1, "{findings:?}");
    assert_eq!(f[0]["line"], 10, "{:?}", f[0]);
    let msg = f[0]["message"].as_str().unwrap();
    for sa in ["ServiceAccount ns/a", "ServiceAccount ns/b", "ServiceAccount ns/c"] {
        assert!(msg.contains(sa), "{msg}");
    }
    assert!(plan["manifest_edits"].as_array().unwrap().is_empty(), "{}", plan["manifest_edits"]);

    let (code, err, t, _tmp) = translate("merge-annotations");
    assert_eq!(code, 0, "{err}");
    let input = std::fs::read_to_string(format!("{dir}/k8s/list.yaml")).unwrap();
    assert_eq!(t.get("k8s/k8s/list.yaml"), Some(&input), "kept as it is");
    let (code, out, _) = run(&["check", dir]);
    assert_eq!(code, 1, "{out}");
}
