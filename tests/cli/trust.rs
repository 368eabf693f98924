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

/// Issue 18: a container's `AWS_ROLE_ARN` naming another role was dropped with only a note; that role's
/// permissions were never translated, and the env values were rewritten to resources the identity could not
/// reach. The role is planned, the workload runs as its identity, and the container selects it.
#[test]
fn an_explicit_role_env_is_planned_and_selected_by_the_container() {
    let dir = "testdata/rules/E2A052/fires";
    let p = plan_json(&[dir]);
    let f = findings(&p, "E2A052");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "warning");
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.contains("Deployment demo/app") && m.contains("role/reports") && m.contains("role/app"), "{m}");
    assert_eq!(
        assignments(&p),
        [
            ("app".into(), "Storage Queue Data Message Processor".into(), "orders".into()),
            ("reports".into(), "Storage Queue Data Message Processor".into(), "reports".into())
        ]
    );
    let reports = p["identities"].as_array().unwrap().iter().find(|i| i["name"] == "reports").unwrap();
    assert_eq!(reports["federated_credentials"][0]["subject"], "system:serviceaccount:demo:app");
    assert_eq!(p["workloads"][0]["identity"], "reports");
    assert!(findings(&p, "E2A036").is_empty(), "the workload's identity reaches what it names");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = eks2aks().args(["translate", dir, "--out"]).arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let k8s = std::fs::read_to_string(out.join("k8s/k8s.yaml")).unwrap();
    assert!(k8s.contains("- name: AZURE_CLIENT_ID\n              value: REPLACE-WITH-CLIENT-ID-OF-reports"), "{k8s}");
    assert!(k8s.contains("azure.workload.identity/client-id: REPLACE-WITH-CLIENT-ID-OF-app"), "{k8s}");
    assert!(!k8s.contains("AWS_ROLE_ARN"), "{k8s}");
}

/// An env role whose trust does not admit the ServiceAccount: reported as such, and no credential is planned.
#[test]
fn an_explicit_role_env_whose_trust_refuses_the_service_account_gets_no_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let iam = export(vec![
        role("app", trust("demo:app"), json!([queue_policy("q", "sqs:ReceiveMessage", "orders")])),
        role("reports", trust("demo:someone-else"), json!([queue_policy("r", "sqs:ReceiveMessage", "reports")])),
    ]);
    let k8s = std::fs::read_to_string("testdata/rules/E2A052/fires/k8s.yaml").unwrap();
    write(tmp.path(), &[("iam.json", iam), ("k8s.yaml", k8s)]);
    let p = plan_json(&[tmp.path().to_str().unwrap()]);
    assert_eq!(findings(&p, "E2A052").len(), 1);
    let refused = findings(&p, "E2A002");
    assert_eq!(refused.len(), 1, "{:#?}", p["findings"]);
    assert!(refused[0]["message"].as_str().unwrap().contains("AWS_ROLE_ARN"));
    let reports = p["identities"].as_array().unwrap().iter().find(|i| i["name"] == "reports").unwrap();
    assert_eq!(reports["federated_credentials"].as_array().unwrap().len(), 0);
    assert_eq!(p["workloads"][0]["identity"], "app", "the refused role is not the workload's");
}

/// Issue 18: unjudged trust conditions and negated subjects, from their rule fixtures: the credential is planned
/// for the ServiceAccount that names the role (and only it), and the finding names the condition.
#[test]
fn trust_conditions_eks2aks_cannot_judge_are_reported_not_assumed() {
    let p = plan_json(&["testdata/rules/E2A048/fires"]);
    let f = findings(&p, "E2A048");
    let named: Vec<&str> = f.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(f.len(), 2, "{named:#?}");
    assert!(named.iter().any(|m| m.contains("`IpAddress aws:SourceIp`") && m.contains("iam.json:")));
    assert!(
        named
            .iter()
            .any(|m| m.contains("`DateLessThan aws:CurrentTime`") && m.contains("never compared with the clock"))
    );
    assert_eq!(p["identities"][0]["federated_credentials"].as_array().unwrap().len(), 1);

    let p = plan_json(&["testdata/rules/E2A049/fires"]);
    let f = findings(&p, "E2A049");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "error");
    assert!(findings(&p, "E2A008").is_empty(), "one finding for one problem");
    let subjects: Vec<&str> = p["identities"][0]["federated_credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["system:serviceaccount:demo:app"]);

    let p = plan_json(&["testdata/rules/E2A050/fires"]);
    let f: Vec<&str> = findings(&p, "E2A050").iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(f.len(), 2);
    assert!(f[0].contains("role/ci-deployer") && f[1].contains("ec2.amazonaws.com"), "{f:#?}");
}
