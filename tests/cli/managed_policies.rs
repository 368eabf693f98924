//! AWS-managed policies bundled as data (`mappings/aws-managed-policies.yaml`): an attachment the input does not
//! export resolves from the bundle (E2A130), an export overrides it (E2A131 when they differ), an ARN the bundle
//! lacks is still E2A009, and eksctl's `imageBuilder` expands to the bundled policy.

use super::{plan_json, run};
use serde_json::{Value, json};
use std::path::Path;

fn write(dir: &Path, files: &[(&str, String)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn findings<'a>(p: &'a Value, code: &str) -> Vec<&'a Value> {
    p["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).collect()
}

/// An eksctl ClusterConfig (the `iam.serviceAccounts` shape of eksctl's schema) with one ServiceAccount.
fn cluster(policy: &str) -> String {
    format!(
        "apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: shop-prod
  region: us-east-1
iam:
  withOIDC: true
  serviceAccounts:
    - metadata:
        name: reports
        namespace: shop
{policy}"
    )
}

const APP: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: reports
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reports
  namespace: shop
spec:
  selector:
    matchLabels: {app: reports}
  template:
    metadata:
      labels: {app: reports}
    spec:
      serviceAccountName: reports
      containers:
        - name: app
          image: registry.example.com/reports:1.0
          env:
            - name: REPORTS_BUCKET
              value: arn:aws:s3:::shop-reports
";

const S3_READ: &str = "      attachPolicyARNs:\n        - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n";

/// (role, scope, actions) of every assignment.
fn assignments(p: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for id in p["identities"].as_array().unwrap() {
        for a in id["role_assignments"].as_array().unwrap() {
            let actions = a["aws_actions"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string());
            out.push((
                a["role_name"].as_str().unwrap().to_string(),
                a["scope"]["azure_name"].as_str().unwrap().to_string(),
                actions.collect(),
            ));
        }
    }
    out
}

fn ledger(dir: &str) -> Vec<Value> {
    let (_, out, _) = run(&["check", "--format", "json", "--fail-on", "never", dir]);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["coverage"]["items"].as_array().unwrap().clone()
}

#[test]
fn an_attached_aws_managed_policy_the_input_does_not_export_grants_from_the_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &[("cluster.yaml", cluster(S3_READ)), ("app.yaml", APP.into())]);
    let dir = tmp.path().to_str().unwrap();
    let p = plan_json(&[dir]);
    assert!(findings(&p, "E2A009").is_empty(), "{:#?}", p["findings"]);
    let note = findings(&p, "E2A130");
    assert_eq!(note.len(), 1, "{:#?}", p["findings"]);
    let m = note[0]["message"].as_str().unwrap();
    assert!(m.contains("AmazonS3ReadOnlyAccess") && m.contains("version v3") && m.contains("taken 2025-02-22"), "{m}");
    assert_eq!(note[0]["line"], 13, "the ARN's line");
    // `Resource: *` is narrowed to the bucket the workload names: one assignment on its container, reads only.
    let a = assignments(&p);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].1, "shop-reports");
    assert!(
        a[0].2.contains(&"s3:GetObject".to_string())
            && a[0].2.iter().all(|x| x.starts_with("s3:Get") || x.starts_with("s3:List")),
        "{a:#?}"
    );
    // The statements in force come from the bundled document.
    let perms = p["identities"][0]["aws_permissions"].to_string();
    assert!(perms.contains("aws-managed-policies.yaml#AmazonS3ReadOnlyAccess"), "{perms}");
    let items = ledger(dir);
    let policy = items.iter().find(|i| i["kind"] == "managed_policy").expect("a ledger item for the policy");
    assert_eq!(policy["state"], "translated", "{policy}");
    assert!(policy["reason"].as_str().unwrap().contains("v3"), "{policy}");
}

#[test]
fn an_export_of_the_policy_overrides_the_bundle_and_says_how_it_differs() {
    let tmp = tempfile::tempdir().unwrap();
    // aws iam get-policy / get-policy-version output: the account's default is an older, narrower version.
    let get_policy = json!({"Policy": {"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyId": "ANPAIZTJ4DXE7G6AGAE6M",
        "Arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "Path": "/", "DefaultVersionId": "v2",
        "AttachmentCount": 1, "IsAttachable": true}});
    let version = json!({"PolicyVersion": {"VersionId": "v2", "IsDefaultVersion": true,
        "CreateDate": "2021-09-27T20:16:37+00:00",
        "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}}});
    write(
        tmp.path(),
        &[
            ("cluster.yaml", cluster(S3_READ)),
            ("app.yaml", APP.into()),
            ("policy.json", serde_json::to_string_pretty(&get_policy).unwrap()),
            ("policy-version.json", serde_json::to_string_pretty(&version).unwrap()),
        ],
    );
    let p = plan_json(&[tmp.path().to_str().unwrap()]);
    assert!(findings(&p, "E2A130").is_empty(), "{:#?}", p["findings"]);
    let differs = findings(&p, "E2A131");
    assert_eq!(differs.len(), 1, "{:#?}", p["findings"]);
    let m = differs[0]["message"].as_str().unwrap();
    assert!(m.contains("version v2") && m.contains("bundled version v3") && m.contains("export is used"), "{m}");
    let perms = p["identities"][0]["aws_permissions"].to_string();
    assert!(perms.contains("policy-version.json") && !perms.contains("s3:Describe*"), "{perms}");
    let a = assignments(&p);
    assert!(a.iter().all(|x| x.2.iter().all(|y| y == "s3:GetObject" || y == "s3:ListBucket")), "{a:#?}");
}

#[test]
fn an_aws_managed_policy_the_bundle_lacks_is_still_not_exported() {
    let tmp = tempfile::tempdir().unwrap();
    let attach = "      attachPolicyARNs:\n        - arn:aws:iam::aws:policy/AmazonTextractFullAccess\n";
    write(tmp.path(), &[("cluster.yaml", cluster(attach)), ("app.yaml", APP.into())]);
    let dir = tmp.path().to_str().unwrap();
    let p = plan_json(&[dir]);
    assert!(findings(&p, "E2A130").is_empty());
    let f = findings(&p, "E2A009");
    assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("AmazonTextractFullAccess"));
    let items = ledger(dir);
    let policy = items.iter().find(|i| i["kind"] == "managed_policy").unwrap();
    assert_eq!(policy["state"], "not_translated");
}

#[test]
fn eksctl_image_builder_expands_to_the_bundled_ecr_power_user_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let wk = "      wellKnownPolicies:\n        imageBuilder: true\n";
    write(tmp.path(), &[("cluster.yaml", cluster(wk)), ("app.yaml", APP.into())]);
    let dir = tmp.path().to_str().unwrap();
    let p = plan_json(&[dir]);
    assert!(findings(&p, "E2A011").is_empty(), "{:#?}", p["findings"]);
    let note = findings(&p, "E2A130");
    assert_eq!(note.len(), 1, "{:#?}", p["findings"]);
    assert!(note[0]["message"].as_str().unwrap().contains("AmazonEC2ContainerRegistryPowerUser"));
    assert_eq!(note[0]["line"], 13, "the line of `imageBuilder: true`");
    let items = ledger(dir);
    let wk = items.iter().find(|i| i["kind"] == "well_known_policy").expect("a ledger item");
    assert_eq!(wk["state"], "translated", "{wk}");
    assert!(!items.iter().any(|i| i["kind"] == "managed_policy"), "counted once, as the well-known key");
}

/// eksctl writes inline documents for `externalDNS` and `certManager` (statement.go): the bundle carries them, so
/// the key grants what eksctl grants (Route 53 record changes) instead of nothing (E2A011).
#[test]
fn eksctl_external_dns_and_cert_manager_expand_to_the_documents_eksctl_writes() {
    for (key, action) in [("externalDNS", "route53:ListHostedZones"), ("certManager", "route53:GetChange")] {
        let tmp = tempfile::tempdir().unwrap();
        let wk = format!("      wellKnownPolicies:\n        {key}: true\n");
        write(tmp.path(), &[("cluster.yaml", cluster(&wk)), ("app.yaml", APP.into())]);
        let dir = tmp.path().to_str().unwrap();
        let p = plan_json(&[dir]);
        assert!(findings(&p, "E2A011").is_empty(), "{key}: {:#?}", p["findings"]);
        let perms = p["identities"][0]["aws_permissions"].to_string();
        assert!(perms.contains("route53:ChangeResourceRecordSets") && perms.contains(action), "{key}: {perms}");
        let items = ledger(dir);
        let item = items.iter().find(|i| i["kind"] == "well_known_policy").expect("a ledger item");
        assert_eq!(item["state"], "translated", "{item}");
        assert!(item["reason"].as_str().unwrap().contains(&format!("eksctl:{key}/")), "{item}");
    }
}

/// `autoScaler` makes its role the Cluster Autoscaler add-on (no identity). A user's add-on table that says the
/// role is not the add-on leaves the key to the bundle, which does not carry eksctl's autoScaler document: the key
/// grants nothing, and says so (E2A011), and the ledger counts it not translated.
#[test]
fn a_well_known_key_the_bundle_does_not_expand_grants_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let wk = "      wellKnownPolicies:\n        autoScaler: true\n";
    write(tmp.path(), &[("cluster.yaml", cluster(wk)), ("app.yaml", APP.into())]);
    let maps = tempfile::tempdir().unwrap();
    let addons = "addons:
  - id: cluster-autoscaler
    name: Cluster Autoscaler (AWS)
    match:
      service_accounts: [nowhere/nothing]
    replaced_by:
      feature: AKS cluster autoscaler
      az: az aks update --enable-cluster-autoscaler
      doc: https://learn.microsoft.com/azure/aks/cluster-autoscaler
";
    write(maps.path(), &[("addons.yaml", addons.into())]);
    let (dir, m) = (tmp.path().to_str().unwrap(), maps.path().to_str().unwrap());
    let (code, out, err) = run(&["plan", "--format", "json", "--mappings", m, dir]);
    assert_eq!(code, 0, "{err}");
    let p: Value = serde_json::from_str(&out).unwrap();
    let f = findings(&p, "E2A011");
    assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("autoScaler") && f[0]["line"] == 13, "{:#?}", f[0]);
    assert!(findings(&p, "E2A070").is_empty());
}

#[test]
fn a_mappings_directory_replaces_a_bundled_policy() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &[("cluster.yaml", cluster(S3_READ)), ("app.yaml", APP.into())]);
    let maps = tempfile::tempdir().unwrap();
    let table = r#"policies:
  - name: AmazonS3ReadOnlyAccess
    arn: arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
    version: v9
    created: "2026-01-01T00:00:00Z"
    taken: "2026-11-30"
    source: aws iam get-policy-version (our account)
    document: "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"
"#;
    write(maps.path(), &[("aws-managed-policies.yaml", table.into())]);
    let m = maps.path().to_str().unwrap();
    let p = plan_json(&["--mappings", m, tmp.path().to_str().unwrap()]);
    let note = findings(&p, "E2A130");
    let msg = note[0]["message"].as_str().unwrap();
    assert!(msg.contains("version v9") && msg.contains("taken 2026-11-30") && msg.contains(m), "{msg}");
    assert!(assignments(&p).iter().all(|a| a.2 == ["s3:GetObject"]), "{:#?}", assignments(&p));
    // A broken entry is a mapping error with file and line.
    write(maps.path(), &[("aws-managed-policies.yaml", table.replace("version: v9", "version: nine"))]);
    let (code, _, err) = run(&["mappings", "check", "--mappings", m]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("aws-managed-policies.yaml:2:") && err.contains("version `nine` is not a policy version id"),
        "{err}"
    );
}
