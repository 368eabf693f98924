//! Issue 18, trusts and role sources: what a trust admits beyond what Azure can carry (unjudged conditions,
//! negated subjects, extra principals), one role found in several IAM files, and a container's explicit
//! `AWS_ROLE_ARN`. Each test builds its input from a few lines of IAM and YAML.

use super::{eks2aks, plan_json};
use serde_json::{Value, json};
use std::path::Path;

const P: &str = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn trust(sa: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::111122223333:oidc-provider/{P}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {format!("{P}:sub"): format!("system:serviceaccount:{sa}")}}
    }]})
}

fn role(name: &str, trust: Value, inline: Value) -> Value {
    json!({
        "Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLE", "Arn": format!("arn:aws:iam::111122223333:role/{name}"),
        "AssumeRolePolicyDocument": trust, "RolePolicyList": inline, "AttachedManagedPolicies": []
    })
}

fn export(roles: Vec<Value>) -> String {
    serde_json::to_string_pretty(
        &json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}),
    )
    .unwrap()
}

fn queue_policy(name: &str, action: &str, queue: &str) -> Value {
    json!({"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": format!("arn:aws:sqs:us-east-1:111122223333:{queue}")}]}})
}

const SA: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: demo
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app
";

fn write(dir: &Path, files: &[(&str, String)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn findings<'a>(p: &'a Value, code: &str) -> Vec<&'a Value> {
    p["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).collect()
}

/// (role, scope name) of every assignment of the plan's identities.
fn assignments(p: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for id in p["identities"].as_array().unwrap() {
        for a in id["role_assignments"].as_array().unwrap() {
            out.push((
                id["name"].as_str().unwrap().to_string(),
                a["role_name"].as_str().unwrap().to_string(),
                a["scope"]["azure_name"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// Issue 18: a `get-role` output (no inline policies) that sorts before the full export used to win the join by
/// ARN, and the export's inline policy was dropped. The two are merged, whichever file comes first.
#[test]
fn a_role_in_two_sources_is_merged_whatever_the_file_order() {
    let get_role = serde_json::to_string_pretty(&json!({"Role": role("app", trust("demo:app"), json!(null))})).unwrap();
    let full = export(vec![role("app", trust("demo:app"), json!([queue_policy("q", "sqs:ReceiveMessage", "orders")]))]);
    let mut outputs = Vec::new();
    for (first, second) in [("a-get-role.json", "b-export.json"), ("b-get-role.json", "a-export.json")] {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), &[(first, get_role.clone()), (second, full.clone()), ("sa.yaml", SA.to_string())]);
        let p = plan_json(&[tmp.path().to_str().unwrap()]);
        assert_eq!(assignments(&p).len(), 1, "{first}: {:#?}", p["identities"]);
        assert!(findings(&p, "E2A051").is_empty(), "agreeing sources are no conflict");
        let out = tmp.path().join("out");
        let o = eks2aks().arg("translate").arg(tmp.path()).arg("--out").arg(&out).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
        outputs.push([read("bicep/main.bicep"), read("k8s/sa.yaml"), read("role-assignments.json")]);
    }
    assert!(outputs[0][0].contains("Storage Queue Data Message Processor") || outputs[0][0].contains("roleDefinition"));
    assert_eq!(outputs[0], outputs[1], "the outputs do not depend on the order of the files");
}

/// Issue 18: sources that disagree are reported with both files, and the result does not depend on their order.
#[test]
fn role_sources_that_conflict_are_reported_and_merged_deterministically() {
    let a = export(vec![role("app", trust("demo:app"), json!([queue_policy("q", "sqs:ReceiveMessage", "orders")]))]);
    let b = export(vec![role("app", trust("demo:other"), json!([queue_policy("q", "sqs:SendMessage", "orders")]))]);
    let mut plans = Vec::new();
    for names in [["1.json", "2.json"], ["2.json", "1.json"]] {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), &[(names[0], a.clone()), (names[1], b.clone()), ("sa.yaml", SA.to_string())]);
        let p = plan_json(&[tmp.path().to_str().unwrap()]);
        let f = findings(&p, "E2A051");
        assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
        let m = f[0]["message"].as_str().unwrap();
        assert!(m.contains("1.json") && m.contains("2.json"), "{m}");
        assert!(m.contains("inline policy `q`") && m.contains("trust documents differ"), "{m}");
        assert_eq!(f[0]["severity"], "warning");
        // The union of the trusts still admits demo/app; one version of `q` is kept, the same in both orders.
        let perms: Vec<String> = p["identities"][0]["aws_permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["actions"].to_string())
            .collect();
        plans.push((assignments(&p), perms));
    }
    assert_eq!(plans[0], plans[1]);
    assert_eq!(plans[0].1.len(), 1, "one version of the inline policy, not both: {:?}", plans[0].1);
}
