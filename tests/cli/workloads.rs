//! Pods made by custom resources (issue 21, part 1): `mappings/workloads.yaml` says where each kind's pod labels,
//! ServiceAccount and containers are; `translate` labels every pod-making object in its own field and keeps every
//! object; a ServiceAccount no recognised workload uses is E2A110; a user's `--mappings` adds a kind.

use crate::{codes, plan_json, run};
use serde_json::Value;

const EXAMPLE: &str = "testdata/examples/custom-resources";
const USE: &str = "azure.workload.identity/use";

/// Every document of a YAML file, as JSON.
fn docs(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn at<'v>(v: &'v Value, path: &str) -> &'v Value {
    path.split('.').fold(v, |v, k| match k.parse::<usize>() {
        Ok(i) if v.is_array() => &v[i],
        _ => &v[k],
    })
}

fn translated(dir: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let mut args = vec!["translate", dir, "--out", o.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    (out, o.join("k8s"))
}

/// The object of `kind` in the output docs.
fn object<'v>(docs: &'v [Value], kind: &str) -> &'v Value {
    docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn translate_labels_every_pod_making_custom_resource_in_its_own_field_and_keeps_every_object() {
    let (_tmp, out) = translated(EXAMPLE, &[]);
    let mut all = Vec::new();
    for f in ["argo", "spark", "ray", "tekton"] {
        let input = docs(&std::path::Path::new(EXAMPLE).join(format!("k8s/{f}.yaml")));
        let output = docs(&out.join(format!("k8s/{f}.yaml")));
        assert_eq!(input.len(), output.len(), "{f}: every object is kept");
        for (i, o) in input.iter().zip(&output) {
            assert_eq!((&i["kind"], &i["metadata"]["name"]), (&o["kind"], &o["metadata"]["name"]), "{f}");
        }
        all.extend(output);
    }
    // Where each kind's pods take their labels (mappings/workloads.yaml).
    let labelled = [
        ("Workflow", "spec.podMetadata.labels"),
        ("WorkflowTemplate", "spec.podMetadata.labels"),
        ("CronWorkflow", "spec.workflowSpec.podMetadata.labels"),
        ("SparkApplication", "spec.driver.labels"),
        ("SparkApplication", "spec.executor.labels"),
        ("RayCluster", "spec.headGroupSpec.template.metadata.labels"),
        ("RayCluster", "spec.workerGroupSpecs.0.template.metadata.labels"),
        ("RayCluster", "spec.workerGroupSpecs.1.template.metadata.labels"),
        ("PipelineRun", "metadata.labels"),
    ];
    for (kind, path) in labelled {
        assert_eq!(at(object(&all, kind), path)[USE], "true", "{kind} {path}");
    }
    // Labels already there stay; nothing else is labelled.
    assert_eq!(at(object(&all, "Workflow"), "spec.podMetadata.labels")["team"], "data");
    assert_eq!(at(object(&all, "RayCluster"), "spec.workerGroupSpecs.1.template.metadata.annotations")["team"], "ml");
    assert!(at(object(&all, "SparkApplication"), "metadata.labels").is_null());
    // The SDK variables of container-like nodes go (E2A028 says so).
    assert!(
        at(object(&all, "SparkApplication"), "spec.driver.env")
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["name"] != "AWS_REGION")
    );
    assert_eq!(at(object(&all, "SparkApplication"), "spec.driver.env.0.name"), "LAKE_BUCKET");
    assert!(at(object(&all, "Workflow"), "spec.templates.0.container.env").as_array().unwrap().is_empty());
}

#[test]
fn plan_lists_a_pod_label_edit_per_pod_template_with_its_labels_path() {
    let plan = plan_json(&[EXAMPLE]);
    let mut labels: Vec<(String, Value, Value)> = Vec::new();
    for file in plan["manifest_edits"].as_array().unwrap() {
        for o in file["objects"].as_array().unwrap() {
            for e in o["edits"].as_array().unwrap().iter().filter(|e| e["op"] == "pod-label") {
                labels.push((o["kind"].as_str().unwrap().to_string(), e["template"].clone(), e["labels"].clone()));
            }
        }
    }
    let has = |kind: &str, template: Value, l: Value| labels.contains(&(kind.to_string(), template, l));
    assert!(
        has("SparkApplication", serde_json::json!(["spec", "driver"]), serde_json::json!(["labels"])),
        "{labels:?}"
    );
    assert!(has("SparkApplication", serde_json::json!(["spec", "executor"]), serde_json::json!(["labels"])));
    assert!(has("Workflow", serde_json::json!(["spec"]), serde_json::json!(["podMetadata", "labels"])));
    assert!(has("RayCluster", serde_json::json!(["spec", "workerGroupSpecs", "1", "template"]), Value::Null));
    assert!(has("PipelineRun", serde_json::json!([]), Value::Null));
    assert_eq!(labels.len(), 9, "{labels:?}");
    assert_eq!(plan["summary"]["workloads"], 6);
    assert!(!codes(&plan).contains(&"E2A110".to_string()));
}

const UNLISTED: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: batch-runner
  namespace: jobs
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/batch-runner
---
apiVersion: batch.example.com/v1
kind: BatchRun
metadata:
  name: nightly
  namespace: jobs
spec:
  runner:
    serviceAccount: batch-runner
    podTemplate:
      spec:
        containers:
          - name: run
            image: busybox:1.36
";

const IAM: &str = r#"{
    "Role": {
        "Path": "/",
        "RoleName": "batch-runner",
        "RoleId": "AROAFZTGWNR7B3WFJX009",
        "Arn": "arn:aws:iam::111122223333:role/batch-runner",
        "CreateDate": "2024-02-01T10:00:00Z",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:jobs:batch-runner"
                        }
                    }
                }
            ]
        },
        "MaxSessionDuration": 3600
    }
}
"#;

const OVERRIDE: &str = "kinds:
  - group: batch.example.com
    kinds: [BatchRun]
    service_account: [spec.runner.serviceAccount]
    pods:
      - role: runner
        template: spec.runner.podTemplate
        spec: spec
";

#[test]
fn an_unlisted_kind_is_e2a110_and_a_user_table_entry_makes_it_a_labelled_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("batch.yaml"), UNLISTED).unwrap();
    std::fs::write(input.join("role.json"), IAM).unwrap();
    let dir = input.to_str().unwrap();
    let plan = plan_json(&[dir]);
    assert!(codes(&plan).contains(&"E2A110".to_string()), "{:?}", codes(&plan));
    assert_eq!(plan["summary"]["workloads"], 0);

    let mappings = tmp.path().join("mappings");
    std::fs::create_dir_all(&mappings).unwrap();
    std::fs::write(mappings.join("workloads.yaml"), OVERRIDE).unwrap();
    let m = mappings.to_str().unwrap();
    let plan = plan_json(&["--mappings", m, dir]);
    assert!(!codes(&plan).contains(&"E2A110".to_string()), "{:?}", codes(&plan));
    assert_eq!(plan["summary"]["workloads"], 1);
    let (_t, out) = translated(dir, &["--mappings", m]);
    let out = docs(&out.join("batch.yaml"));
    assert_eq!(out.len(), 2);
    assert_eq!(at(object(&out, "BatchRun"), "spec.runner.podTemplate.metadata.labels")[USE], "true");
}

#[test]
fn a_malformed_user_workloads_table_is_reported_with_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("workloads.yaml"), "kinds:\n  - group: x.io\n    kinds: []\n    pods: []\n")
        .unwrap();
    let (code, _, err) = run(&["--mappings", tmp.path().to_str().unwrap(), "plan", EXAMPLE]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("workloads.yaml") && err.contains("`kinds` is empty"), "{err}");
}

#[test]
fn a_deployment_without_a_pod_template_makes_no_pods() {
    let tmp = tempfile::tempdir().unwrap();
    // A Kustomize patch: a Deployment that names no pod template.
    std::fs::write(
        tmp.path().join("patch.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  replicas: 3\n",
    )
    .unwrap();
    let plan = plan_json(&[tmp.path().to_str().unwrap()]);
    assert_eq!(plan["summary"]["workloads"], 0);
}
