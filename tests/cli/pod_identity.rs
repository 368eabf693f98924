//! Issue 20, part 1: EKS Pod Identity as a first-class input — eksctl `podIdentityAssociations` (every field eksctl
//! documents), the `aws eks list-/describe-pod-identity-association` JSON, `pods.eks.amazonaws.com` trusts with
//! session-tag conditions, `attachRoleARN`, and the account of the roles eksctl creates. Each test builds its
//! input from a few lines in the shapes eksctl's `examples/39-pod-identity-association.yaml` and the AWS CLI print.

use super::plan_json;
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

/// (identity, role, scope) of every assignment.
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

/// (identity, subject) of every federated credential.
fn credentials(p: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in p["identities"].as_array().unwrap() {
        for c in id["federated_credentials"].as_array().unwrap() {
            out.push((id["name"].as_str().unwrap().to_string(), c["subject"].as_str().unwrap().to_string()));
        }
    }
    out.sort();
    out
}

const POD_TRUST_STATEMENT: &str = "AllowEksAuthToAssumeRoleForPodIdentity";

/// The trust AWS documents for Pod Identity roles, with optional conditions.
fn pod_trust(condition: Value) -> Value {
    let mut s = json!({"Sid": POD_TRUST_STATEMENT, "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]});
    if !condition.is_null() {
        s["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [s]})
}

fn role(account: &str, name: &str, trust: Value, statements: Value) -> Value {
    json!({
        "Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLE", "Arn": format!("arn:aws:iam::{account}:role/{name}"),
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [{"PolicyName": "app", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        "AttachedManagedPolicies": []
    })
}

fn export(roles: Vec<Value>) -> String {
    serde_json::to_string_pretty(
        &json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}),
    )
    .unwrap()
}

fn queue_read(queue: &str) -> Value {
    json!([{"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
        "Resource": format!("arn:aws:sqs:us-east-1:111122223333:{queue}")}])
}

/// A Deployment running as `ns/sa` that names the queue.
fn deployment(ns: &str, sa: &str, queue: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {sa}
  namespace: {ns}
spec:
  selector:
    matchLabels: {{app: {sa}}}
  template:
    metadata:
      labels: {{app: {sa}}}
    spec:
      serviceAccountName: {sa}
      containers:
        - name: app
          image: registry.example.com/{sa}:1.0
          env:
            - name: QUEUE_URL
              value: https://sqs.us-east-1.amazonaws.com/111122223333/{queue}
"
    )
}

fn cluster_config(iam: &str) -> String {
    format!(
        "apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: shop-prod
  region: us-east-1
addons:
  - name: eks-pod-identity-agent
iam:
{iam}"
    )
}

fn plan_of(files: &[(&str, String)]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), files);
    plan_json(&[tmp.path().to_str().unwrap()])
}

/// Roles eksctl creates had the ARN `arn:aws:iam:::role/NAME` (no account) in the plan: they carry the cluster's
/// account, read from the config's own ARNs.
#[test]
fn roles_eksctl_creates_carry_the_clusters_account() {
    let config = cluster_config(
        "  podIdentityAssociations:
    - namespace: shop
      serviceAccountName: orders
      roleName: shop-orders
      permissionPolicyARNs: [\"arn:aws:iam::111122223333:policy/orders-queue\"]
      permissionPolicy:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Action: [\"sqs:ReceiveMessage\", \"sqs:DeleteMessage\"]
            Resource: \"arn:aws:sqs:us-east-1:111122223333:orders\"
",
    );
    let p = plan_of(&[("cluster.yaml", config), ("app.yaml", deployment("shop", "orders", "orders"))]);
    assert_eq!(p["identities"][0]["aws_role_arn"], "arn:aws:iam::111122223333:role/shop-orders");
    assert_eq!(credentials(&p), [("shop-orders".into(), "system:serviceaccount:shop:orders".into())]);
}

/// `iam.serviceAccounts[].attachRoleARN` was ignored: the identity was named after a role eksctl would create,
/// with no policies. It links the ServiceAccount to that existing role, whose policies come from the export.
#[test]
fn attach_role_arn_links_the_service_account_to_the_exported_role() {
    let config = cluster_config(
        "  withOIDC: true
  serviceAccounts:
    - metadata:
        name: orders
        namespace: shop
      attachRoleARN: arn:aws:iam::111122223333:role/orders-worker
",
    );
    let provider = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::111122223333:oidc-provider/{provider}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {format!("{provider}:sub"): "system:serviceaccount:shop:orders"}}}]});
    let iam = export(vec![role("111122223333", "orders-worker", trust, queue_read("orders"))]);
    let p =
        plan_of(&[("cluster.yaml", config), ("iam.json", iam), ("app.yaml", deployment("shop", "orders", "orders"))]);
    assert_eq!(p["identities"].as_array().unwrap().len(), 1, "{:#?}", p["identities"]);
    assert_eq!(p["identities"][0]["aws_role_arn"], "arn:aws:iam::111122223333:role/orders-worker");
    assert_eq!(
        assignments(&p),
        [("orders-worker".into(), "Storage Queue Data Message Processor".into(), "orders".into())]
    );
}

/// A Pod Identity trust that restricts the session's request tags admits only the associations they match: the
/// tags are known for each association (namespace, ServiceAccount, cluster), so the condition is decided.
#[test]
fn pod_identity_trust_conditions_on_request_tags_are_decided_per_association() {
    let config = cluster_config(
        "  podIdentityAssociations:
    - namespace: shop
      serviceAccountName: orders
      roleARN: arn:aws:iam::111122223333:role/orders
    - namespace: shop
      serviceAccountName: intruder
      roleARN: arn:aws:iam::111122223333:role/orders
",
    );
    let trust = pod_trust(json!({"StringEquals": {
        "aws:RequestTag/kubernetes-namespace": ["shop"],
        "aws:RequestTag/kubernetes-service-account": ["orders"],
        "aws:RequestTag/eks-cluster-name": "shop-prod"}}));
    let iam = export(vec![role("111122223333", "orders", trust, queue_read("orders"))]);
    let p = plan_of(&[
        ("cluster.yaml", config),
        ("iam.json", iam),
        ("app.yaml", deployment("shop", "orders", "orders")),
        ("intruder.yaml", deployment("shop", "intruder", "orders")),
    ]);
    assert_eq!(credentials(&p), [("orders".into(), "system:serviceaccount:shop:orders".into())]);
    let denied = findings(&p, "E2A002");
    assert_eq!(denied.len(), 1, "{:#?}", p["findings"]);
    assert!(denied[0]["message"].as_str().unwrap().contains("shop/intruder"), "{}", denied[0]["message"]);
}

/// Permission statements conditioned on Pod Identity session tags (`aws:PrincipalTag/kubernetes-namespace`, …)
/// were never translated; they are when the tag's value is known for every association of the role: true → the
/// statement holds unconditionally, false → it is not in force for this identity. A tag that differs per pod
/// (`kubernetes-pod-name`) cannot be decided: reported, not translated.
#[test]
fn session_tag_conditions_in_permissions_are_decided_or_reported() {
    let config = cluster_config(
        "  podIdentityAssociations:
    - namespace: shop
      serviceAccountName: orders
      roleARN: arn:aws:iam::111122223333:role/orders
",
    );
    let statements = json!([
        {"Sid": "OwnNamespace", "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
         "Resource": "arn:aws:sqs:us-east-1:111122223333:orders",
         "Condition": {"StringEquals": {"aws:PrincipalTag/kubernetes-namespace": "shop",
                                         "aws:PrincipalTag/eks-cluster-arn": "arn:aws:eks:us-east-1:111122223333:cluster/shop-prod"}}},
        {"Sid": "OtherNamespace", "Effect": "Allow", "Action": "sqs:SendMessage",
         "Resource": "arn:aws:sqs:us-east-1:111122223333:orders",
         "Condition": {"StringEquals": {"aws:PrincipalTag/kubernetes-namespace": "billing"}}},
        {"Sid": "PerPod", "Effect": "Allow", "Action": "dynamodb:GetItem",
         "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/carts",
         "Condition": {"StringLike": {"aws:PrincipalTag/kubernetes-pod-name": "orders-*"}}},
        {"Sid": "PerNamespaceBucket", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::shop-data/${aws:PrincipalTag/kubernetes-namespace}/*"}
    ]);
    let iam = export(vec![role("111122223333", "orders", pod_trust(Value::Null), statements)]);
    let mut app = deployment("shop", "orders", "orders");
    app.push_str("            - name: CARTS_TABLE\n              value: carts\n            - name: DATA_BUCKET\n              value: shop-data\n");
    let p = plan_of(&[("cluster.yaml", config), ("iam.json", iam), ("app.yaml", app)]);
    let a = assignments(&p);
    assert!(a.contains(&("orders".into(), "Storage Queue Data Message Processor".into(), "orders".into())), "{a:?}");
    assert!(!a.iter().any(|x| x.1.contains("Sender")), "the billing-only statement is not in force: {a:?}");
    assert!(!a.iter().any(|x| x.2 == "carts"), "a per-pod condition is never assumed: {a:?}");
    assert!(a.iter().any(|x| x.1 == "Storage Blob Data Reader" && x.2 == "shop-data"), "{a:?}");
    let decided = findings(&p, "E2A061");
    assert_eq!(decided.len(), 3, "{:#?}", p["findings"]);
    let text: String = decided.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(text.contains("kubernetes-namespace") && text.contains("not in force"), "{text}");
    let per_pod = findings(&p, "E2A020").len();
    assert!(per_pod >= 1, "the per-pod condition is reported: {:#?}", p["findings"]);
}

/// `targetRoleARN`: EKS chains the association's role to the target role (cross-account), and the pods get the
/// target's credentials. The identity carries the target role's permissions, and the chain is reported.
#[test]
fn target_role_arn_chains_to_the_target_roles_permissions() {
    let config = cluster_config(
        "  podIdentityAssociations:
    - namespace: shop
      serviceAccountName: orders
      createServiceAccount: true
      roleARN: arn:aws:iam::111122223333:role/orders-hop
      targetRoleARN: arn:aws:iam::444455556666:role/orders-data
",
    );
    let target_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/orders-hop"},
        "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
    let statements = json!([{"Effect": "Allow", "Action": "dynamodb:GetItem",
        "Resource": "arn:aws:dynamodb:us-east-1:444455556666:table/carts"}]);
    let iam = export(vec![
        role(
            "111122223333",
            "orders-hop",
            pod_trust(Value::Null),
            json!([{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::444455556666:role/orders-data"}]),
        ),
        role("444455556666", "orders-data", target_trust, statements),
    ]);
    // No manifest: createServiceAccount makes eksctl create shop/orders.
    let p = plan_of(&[("cluster.yaml", config), ("iam.json", iam)]);
    assert_eq!(p["identities"].as_array().unwrap().len(), 1, "{:#?}", p["identities"]);
    assert_eq!(p["identities"][0]["aws_role_arn"], "arn:aws:iam::444455556666:role/orders-data");
    assert_eq!(credentials(&p), [("orders-data".into(), "system:serviceaccount:shop:orders".into())]);
    assert_eq!(assignments(&p), [("orders-data".into(), "Storage Table Data Reader".into(), "carts".into())]);
    let chain = findings(&p, "E2A062");
    assert_eq!(chain.len(), 1, "{:#?}", p["findings"]);
    assert!(chain[0]["message"].as_str().unwrap().contains("orders-hop"));
}

/// `aws eks describe-pod-identity-association` output links the ServiceAccount to its role, like eksctl's
/// association; a `list-pod-identity-associations` entry has no role, so it is reported (run describe), never
/// dropped silently.
#[test]
fn aws_eks_association_json_is_read_and_a_list_entry_without_role_is_reported() {
    let describe = serde_json::to_string_pretty(&json!({"association": {
        "clusterName": "shop-prod", "namespace": "shop", "serviceAccount": "orders",
        "roleArn": "arn:aws:iam::111122223333:role/orders",
        "associationArn": "arn:aws:eks:us-east-1:111122223333:podidentityassociation/shop-prod/a-abcdefghijklmnop1",
        "associationId": "a-abcdefghijklmnop1", "tags": {}, "createdAt": "2024-11-21T10:18:44.601000+00:00",
        "modifiedAt": "2024-11-21T10:18:44.601000+00:00", "disableSessionTags": false}}))
    .unwrap();
    let list = serde_json::to_string_pretty(&json!({"associations": [
        {"clusterName": "shop-prod", "namespace": "shop", "serviceAccount": "orders",
         "associationArn": "arn:aws:eks:us-east-1:111122223333:podidentityassociation/shop-prod/a-abcdefghijklmnop1",
         "associationId": "a-abcdefghijklmnop1"},
        {"clusterName": "shop-prod", "namespace": "billing", "serviceAccount": "invoices",
         "associationArn": "arn:aws:eks:us-east-1:111122223333:podidentityassociation/shop-prod/a-qrstuvwxyz0123456",
         "associationId": "a-qrstuvwxyz0123456"}]}))
    .unwrap();
    let trust = pod_trust(json!({"StringEquals": {"aws:RequestTag/eks-cluster-arn":
        "arn:aws:eks:us-east-1:111122223333:cluster/shop-prod"}}));
    let iam = export(vec![role("111122223333", "orders", trust, queue_read("orders"))]);
    let p = plan_of(&[
        ("describe-orders.json", describe),
        ("list.json", list),
        ("iam.json", iam),
        ("app.yaml", deployment("shop", "orders", "orders")),
    ]);
    assert_eq!(credentials(&p), [("orders".into(), "system:serviceaccount:shop:orders".into())]);
    assert_eq!(assignments(&p), [("orders".into(), "Storage Queue Data Message Processor".into(), "orders".into())]);
    let listed = findings(&p, "E2A060");
    assert_eq!(listed.len(), 1, "only the entry no describe output covers: {:#?}", p["findings"]);
    let m = listed[0]["message"].as_str().unwrap();
    assert!(m.contains("billing/invoices") && m.contains("describe-pod-identity-association"), "{m}");
    assert!(m.contains("a-qrstuvwxyz0123456"), "{m}");
    assert_eq!(listed[0]["line"], 10, "the entry's line: {:#?}", listed[0]);
}

/// `permissionPolicyARNs`/`attachPolicyARNs` naming AWS-managed policies that are not in the input granted nothing
/// and the ledger still counted everything translated. Now a policy the bundle holds resolves from it (E2A130,
/// translated), one it lacks is a finding at its line with the ARN and the export command and a not-translated
/// ledger item (E2A009), and a well-known key eksctl writes inline expands to eksctl's bundled documents. With the policy's `get-policy` +
/// `get-policy-version` export in the input, the export is used (E2A131: it differs from the bundled version).
#[test]
fn aws_managed_policies_not_in_the_input_resolve_from_the_bundle_or_are_reported() {
    let config = cluster_config(
        "  podIdentityAssociations:
    - namespace: shop
      serviceAccountName: orders
      roleName: shop-orders
      permissionPolicyARNs:
        - arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess
        - arn:aws:iam::aws:policy/AmazonTextractFullAccess
      wellKnownPolicies:
        certManager: true
",
    );
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &[("cluster.yaml", config), ("app.yaml", deployment("shop", "orders", "orders"))]);
    let dir = tmp.path().to_str().unwrap();
    let p = plan_json(&[dir]);
    let f = findings(&p, "E2A009");
    assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.contains("arn:aws:iam::aws:policy/AmazonTextractFullAccess"), "{m}");
    assert!(m.contains("aws iam get-policy-version") && m.contains("grants nothing"), "{m}");
    assert_eq!(f[0]["line"], 15, "the ARN's line");
    assert!(f[0]["file"].as_str().unwrap().ends_with("cluster.yaml"));
    let bundled = findings(&p, "E2A130");
    assert_eq!(bundled.len(), 1, "{:#?}", p["findings"]);
    assert!(bundled[0]["message"].as_str().unwrap().contains("AmazonSQSReadOnlyAccess"));
    assert_eq!(bundled[0]["line"], 14);
    // certManager expands to the documents eksctl writes (bundled): no E2A011.
    assert!(findings(&p, "E2A011").is_empty(), "{:#?}", p["findings"]);
    let (_, out, _) = super::run(&["check", "--format", "json", "--fail-on", "never", dir]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let items = v["coverage"]["items"].as_array().unwrap();
    let state = |kind: &str, id: &str| {
        let i = items.iter().find(|i| i["kind"] == kind && i["id"].as_str().unwrap().contains(id));
        i.unwrap_or_else(|| panic!("a ledger item for {id}"))["state"].clone()
    };
    assert_eq!(state("managed_policy", "AmazonTextractFullAccess"), "not_translated");
    assert_eq!(state("managed_policy", "AmazonSQSReadOnlyAccess"), "translated");
    assert_eq!(state("well_known_policy", "certManager"), "translated");

    // The policy exported (get-policy + get-policy-version, as the AWS CLI prints them): the export is used.
    let get_policy = json!({"Policy": {"PolicyName": "AmazonSQSReadOnlyAccess", "PolicyId": "ANPAEXAMPLE",
        "Arn": "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", "Path": "/", "DefaultVersionId": "v3",
        "AttachmentCount": 1, "IsAttachable": true}});
    let version = json!({"PolicyVersion": {"VersionId": "v3", "IsDefaultVersion": true,
        "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueues", "sqs:ListDeadLetterSourceQueues", "sqs:ListQueueTags", "sqs:ReceiveMessage", "sqs:ListMessageMoveTasks"],
            "Resource": "*"}]}}});
    let policies = tmp.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    write(
        &policies,
        &[
            ("AmazonSQSReadOnlyAccess.json", serde_json::to_string_pretty(&get_policy).unwrap()),
            ("AmazonSQSReadOnlyAccess.v3.json", serde_json::to_string_pretty(&version).unwrap()),
        ],
    );
    let p = plan_json(&[dir]);
    assert!(findings(&p, "E2A130").is_empty(), "{:#?}", p["findings"]);
    assert!(findings(&p, "E2A131")[0]["message"].as_str().unwrap().contains("version v3, a different document"));
    assert!(!assignments(&p).is_empty(), "the exported policy grants: {:#?}", p["identities"]);
}

/// The Pod Identity example plans the same whatever the order of its inputs (eksctl config, the two account
/// exports, the manifests): accounts, session tags and chains are decided from the contents only.
#[test]
fn the_pod_identity_example_does_not_depend_on_input_order() {
    let d = "testdata/examples/pod-identity";
    let parts = [
        format!("{d}/eksctl"),
        format!("{d}/iam/shop-account.json"),
        format!("{d}/iam/analytics-account.json"),
        format!("{d}/k8s"),
    ];
    let forward: Vec<&str> = parts.iter().map(String::as_str).collect();
    let backward: Vec<&str> = parts.iter().rev().map(String::as_str).collect();
    let a = plan_json(&forward);
    let b = plan_json(&backward);
    assert_eq!(a["identities"], b["identities"]);
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(a["identities"].as_array().unwrap().len(), 4);
}
