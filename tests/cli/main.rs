//! The one integration test binary (one link on two cores): CLI behaviour, exit codes, messages and golden
//! outputs. Tests run from the crate root, so paths in outputs are relative (`testdata/...`).

mod addons;
mod check;
mod ci_tools;
mod diff;
mod dns_secrets;
mod edits;
mod embedded_values;
mod errors;
mod exact_grants;
mod function_length;
mod golden;
mod grants;
mod graph;
mod hostile;
mod hygiene;
mod iac;
mod init;
mod keda;
mod keda_clusters;
mod keda_triggers;
mod layering;
mod managed_policies;
mod mapping;
mod names_in_config;
mod outputs_once;
mod phased;
mod plan;
mod pod_identity;
mod privileges;
mod rewrite_props;
mod rewrite_shapes;
mod route53;
mod route53_exact;
mod safety;
mod scopes;
mod setup_errors;
mod sources;
mod storage_configs;
mod storage_lb;
mod translate;
mod trust;
mod value_tokens;
mod workloads;

use assert_cmd::Command;
use std::process::Output;

/// The binary under test, with colour off and no config from the environment.
pub fn eks2aks() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("eks2aks"));
    c.env("NO_COLOR", "1").env_remove("RUST_LOG");
    c
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } = eks2aks().args(args).output().expect("runs");
    (
        status.code().expect("exited"),
        String::from_utf8(stdout).expect("utf-8 stdout"),
        String::from_utf8(stderr).expect("utf-8 stderr"),
    )
}

/// `plan --format json` parsed.
pub fn plan_json(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["plan", "--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "plan failed: {err}");
    serde_json::from_str(&out).expect("plan.json parses")
}

/// Sorted codes of a plan's warnings and errors (notes, such as renamed resources, left out).
pub fn codes(plan: &serde_json::Value) -> Vec<String> {
    let mut c: Vec<String> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "note")
        // Most fixtures pull images from ECR; that finding has its own test (plan::ecr_images_are_reported).
        .filter(|f| f["code"] != "E2A026")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

/// The messages of a plan's findings with one code, in the plan's order.
pub fn messages(plan: &serde_json::Value, code: &str) -> Vec<String> {
    plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// Sorted codes of every finding of a plan, notes included.
pub fn all_codes(plan: &serde_json::Value) -> Vec<String> {
    let mut c: Vec<String> =
        plan["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect();
    c.sort();
    c
}

/// Copies a directory tree (fixtures into a temporary directory).
pub fn copy_dir(from: impl AsRef<std::path::Path>, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let t = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// A copy of a two-cluster tree (under `to`) whose first `cluster-a` ServiceAccount waives E2A039 (the guard
/// `rules:` cannot switch off): `translate` writes it, each ServiceAccount with its own identity.
pub fn waive_two_clusters(from: &str, to: &std::path::Path) {
    copy_dir(from, to);
    let mut files = Vec::new();
    yaml_files(&to.join("cluster-a"), &mut files);
    files.sort();
    let first = files.iter().find(|f| std::fs::read_to_string(f).unwrap().contains("kind: ServiceAccount")).unwrap();
    let text = std::fs::read_to_string(first).unwrap().replacen(
        "  annotations:\n",
        "  annotations:\n    eks2aks.dev/ignore: \"E2A039: one AKS cluster serves both on purpose\"\n",
        1,
    );
    std::fs::write(first, text).unwrap();
}

fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

/// Every role assignment of a `plan.json`, identity by identity.
pub fn role_assignments(plan: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    plan["identities"].as_array().unwrap().iter().flat_map(|i| i["role_assignments"].as_array().unwrap().iter())
}

/// Every `.rs` file under `dir`, recursively (the source scans of `layering.rs` and `function_length.rs`).
pub fn rs_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
