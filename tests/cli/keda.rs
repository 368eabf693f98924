//! KEDA bindings (issue 18, class 9): every translated trigger authenticates as the identity of the role it used
//! on AWS — a shared authentication is split per identity, AWS keys leave the authentication, a role named in the
//! trigger's metadata binds that role's identity, and a queue read from the scale target's env is translated with
//! the env value or not at all.

use super::eks2aks;
use serde_json::{Value, json};

const OIDC: &str = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

/// An IAM export: per (role, namespace, ServiceAccount, queue), a role trusted by that ServiceAccount that may
/// consume that queue.
pub fn iam(roles: &[(&str, &str, &str, &str)]) -> String {
    let list: Vec<Value> = roles
        .iter()
        .map(|(role, ns, sa, queue)| {
            json!({
                "RoleName": role, "Path": "/", "RoleId": format!("AROA{}", role.to_uppercase()),
                "Arn": format!("arn:aws:iam::111122223333:role/{role}"),
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": format!("arn:aws:iam::111122223333:oidc-provider/{OIDC}")},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        format!("{OIDC}:sub"): format!("system:serviceaccount:{ns}:{sa}"),
                        format!("{OIDC}:aud"): "sts.amazonaws.com"}}}]},
                "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    "Resource": format!("arn:aws:sqs:us-east-1:111122223333:{queue}")}]}}],
                "AttachedManagedPolicies": []
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": list, "Policies": []}),
    )
    .unwrap()
}

/// A ServiceAccount with its role, and a Deployment running as it (with optional extra env lines).
pub fn workload(ns: &str, name: &str, role: Option<&str>, env: &str) -> String {
    let ann = role.map_or(String::new(), |r| {
        format!("  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/{r}\n")
    });
    format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n{ann}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      serviceAccountName: {name}\n      containers:\n        - name: app\n          image: example.com/app:1\n          env:\n            - name: MODE\n              value: fast\n{env}---\n"
    )
}

/// A ScaledObject on `target` with one trigger (`trigger` holds the lines under `- `, indented 6).
pub fn scaled_object(ns: &str, name: &str, target: &str, trigger: &str) -> String {
    format!(
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  scaleTargetRef:\n    name: {target}\n  triggers:\n    - type: aws-sqs-queue\n{trigger}---\n"
    )
}

pub fn sqs_trigger(queue: &str, auth: Option<&str>) -> String {
    let auth = auth.map_or(String::new(), |a| format!("      authenticationRef:\n        name: {a}\n"));
    format!(
        "{auth}      metadata:\n        queueURL: https://sqs.us-east-1.amazonaws.com/111122223333/{queue}\n        queueLength: \"5\"\n        awsRegion: us-east-1\n"
    )
}

pub const SHARED_AUTH: &str = "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata:\n  name: aws-auth\n  namespace: app\nspec:\n  podIdentity:\n    provider: aws\n    identityOwner: workload\n";

/// Translates `files` (name, text); returns plan.json and the rewritten text of each input manifest by name.
pub fn translate(files: &[(&str, &str)]) -> (tempfile::TempDir, Value, std::collections::BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for (name, text) in files {
        std::fs::write(input.join(name), text).unwrap();
    }
    let out = tmp.path().join("out");
    let o = eks2aks().arg("translate").arg(&input).arg("--out").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    let mut texts = std::collections::BTreeMap::new();
    for (name, _) in files {
        if let Ok(t) = std::fs::read_to_string(out.join("k8s").join(name)) {
            texts.insert(name.to_string(), t);
        }
    }
    (tmp, plan, texts)
}

fn docs(text: &str) -> Vec<Value> {
    eks2aks::yaml::parse_stream(text).unwrap().iter().map(|d| d.root.to_json()).collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter().find(|d| d["kind"] == kind && d["metadata"]["name"] == name).unwrap_or_else(|| panic!("{kind} {name}"))
}

fn count(plan: &Value, code: &str) -> usize {
    plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).count()
}

/// Issue 18: one TriggerAuthentication with `identityOwner: workload` used by two workloads with different roles
/// got the first one's `identityId`, so the second scaler ran as the wrong identity.
#[test]
fn a_shared_authentication_is_split_per_identity() {
    let k8s = [
        SHARED_AUTH.to_string() + "---\n",
        workload("app", "a", Some("role-a"), ""),
        workload("app", "b", Some("role-b"), ""),
        scaled_object("app", "a", "a", &sqs_trigger("qa", Some("aws-auth"))),
        scaled_object("app", "b", "b", &sqs_trigger("qb", Some("aws-auth"))),
    ]
    .concat();
    let iam = iam(&[("role-a", "app", "a", "qa"), ("role-b", "app", "b", "qb")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    assert_eq!(d.len(), docs(&k8s).len() + 1, "one authentication added");
    let original = find(&d, "TriggerAuthentication", "aws-auth");
    assert_eq!(original["spec"]["podIdentity"]["identityId"], "REPLACE-WITH-CLIENT-ID-OF-role-a");
    let ref_b = find(&d, "ScaledObject", "b")["spec"]["triggers"][0]["authenticationRef"]["name"].clone();
    assert_ne!(ref_b, "aws-auth");
    let derived = find(&d, "TriggerAuthentication", ref_b.as_str().unwrap());
    assert_eq!(
        derived["spec"]["podIdentity"],
        json!({"provider": "azure-workload", "identityId": "REPLACE-WITH-CLIENT-ID-OF-role-b"})
    );
    assert_eq!(derived["metadata"]["namespace"], "app");
    assert_eq!(find(&d, "ScaledObject", "a")["spec"]["triggers"][0]["authenticationRef"]["name"], "aws-auth");
    // The plan lists the added object; no error, since it was split.
    let added = plan["keda_authentications"].as_array().unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["name"], ref_b);
    assert_eq!(added[0]["identity"], "role-b");
    assert_eq!(added[0]["derived_from"], "aws-auth");
    assert_eq!(count(&plan, "E2A054"), 0);
}

/// The same with the older `aws-eks` provider on a ClusterTriggerAuthentication, and a derived name that is taken.
#[test]
fn a_shared_cluster_authentication_is_split_with_a_free_name() {
    let cluster = "apiVersion: keda.sh/v1alpha1\nkind: ClusterTriggerAuthentication\nmetadata:\n  name: eks\nspec:\n  podIdentity:\n    provider: aws-eks\n---\napiVersion: keda.sh/v1alpha1\nkind: ClusterTriggerAuthentication\nmetadata:\n  name: eks-role-b\nspec:\n  podIdentity:\n    provider: azure-workload\n---\n";
    let trig = |q: &str| {
        sqs_trigger(q, Some("eks"))
            .replace("        name: eks\n", "        name: eks\n        kind: ClusterTriggerAuthentication\n")
    };
    let k8s = [
        cluster.to_string(),
        workload("app", "a", Some("role-a"), ""),
        workload("other", "b", Some("role-b"), ""),
        scaled_object("app", "a", "a", &trig("qa")),
        scaled_object("other", "b", "b", &trig("qb")),
    ]
    .concat();
    let iam = iam(&[("role-a", "app", "a", "qa"), ("role-b", "other", "b", "qb")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    let r = &find(&d, "ScaledObject", "b")["spec"]["triggers"][0]["authenticationRef"];
    assert_eq!(r["kind"], "ClusterTriggerAuthentication");
    let name = r["name"].as_str().unwrap();
    assert!(name != "eks" && name != "eks-role-b", "{name}");
    let derived = find(&d, "ClusterTriggerAuthentication", name);
    assert_eq!(derived["spec"]["podIdentity"]["identityId"], "REPLACE-WITH-CLIENT-ID-OF-role-b");
    assert!(derived["metadata"].get("namespace").is_none());
    assert_eq!(plan["keda_authentications"][0]["name"], name);
}

/// Where no authentication can be added (the shared one is in a JSON file), the sharing is an E2A054 error.
#[test]
fn a_shared_authentication_that_cannot_be_split_is_an_error() {
    let auth = r#"{"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication", "metadata": {"name": "aws-auth", "namespace": "app"}, "spec": {"podIdentity": {"provider": "aws", "identityOwner": "workload"}}}"#;
    let k8s = [
        workload("app", "a", Some("role-a"), ""),
        workload("app", "b", Some("role-b"), ""),
        scaled_object("app", "a", "a", &sqs_trigger("qa", Some("aws-auth"))),
        scaled_object("app", "b", "b", &sqs_trigger("qb", Some("aws-auth"))),
    ]
    .concat();
    let iam = iam(&[("role-a", "app", "a", "qa"), ("role-b", "app", "b", "qb")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("auth.json", auth), ("iam.json", &iam)]);
    assert_eq!(count(&plan, "E2A054"), 1, "{}", plan["findings"]);
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A054").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(m.contains("app/aws-auth") && m.contains("`role-a`") && m.contains("`role-b`"), "{m}");
    assert!(plan.get("keda_authentications").is_none());
    assert_eq!(docs(&out["auth.json"]).len(), 1);
}

/// Issue 18: a `secretTargetRef` to AWS keys stayed on the authentication of a rewritten `azure-queue` trigger.
#[test]
fn aws_keys_leave_the_authentication_of_a_rewritten_trigger() {
    let auth = "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata:\n  name: keys\n  namespace: app\nspec:\n  secretTargetRef:\n    - parameter: awsAccessKeyID\n      name: aws-keys\n      key: AWS_ACCESS_KEY_ID\n    - parameter: awsSecretAccessKey\n      name: aws-keys\n      key: AWS_SECRET_ACCESS_KEY\n    - parameter: other\n      name: misc\n      key: OTHER\n  podIdentity:\n    provider: aws\n    identityOwner: workload\n---\n";
    let k8s = [
        auth.to_string(),
        workload("app", "a", Some("role-a"), ""),
        scaled_object("app", "a", "a", &sqs_trigger("qa", Some("keys"))),
    ]
    .concat();
    let iam = iam(&[("role-a", "app", "a", "qa")]);
    let (_t, _plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    assert_eq!(find(&d, "ScaledObject", "a")["spec"]["triggers"][0]["type"], "azure-queue");
    let a = find(&d, "TriggerAuthentication", "keys");
    assert_eq!(a["spec"]["secretTargetRef"], json!([{"parameter": "other", "name": "misc", "key": "OTHER"}]));
    assert_eq!(a["spec"]["podIdentity"]["provider"], "azure-workload");
    assert!(!out["k8s.yaml"].contains("awsAccessKeyID"));
}

/// Issue 18: `awsRoleArn` in the trigger's metadata became an `azure-queue` with no authentication.
#[test]
fn a_role_named_in_the_trigger_binds_that_roles_identity() {
    let trig = sqs_trigger("qa", None) + "        awsRoleArn: arn:aws:iam::111122223333:role/role-a\n";
    let k8s = [workload("app", "a", Some("role-a"), ""), scaled_object("app", "s", "a", &trig)].concat();
    let iam = iam(&[("role-a", "app", "a", "qa")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    let t = &find(&d, "ScaledObject", "s")["spec"]["triggers"][0];
    assert_eq!(t["type"], "azure-queue");
    let name = t["authenticationRef"]["name"].as_str().expect("an authentication");
    let auth = find(&d, "TriggerAuthentication", name);
    assert_eq!(auth["spec"]["podIdentity"]["identityId"], "REPLACE-WITH-CLIENT-ID-OF-role-a");
    assert_eq!(plan["keda_authentications"][0]["identity"], "role-a");
    // The identity reads the queue for KEDA and trusts the KEDA operator.
    let id = &plan["identities"][0];
    assert!(
        id["federated_credentials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == "system:serviceaccount:kube-system:keda-operator")
    );
}

/// ... and a role no ServiceAccount uses leaves the trigger on AWS, with a finding.
#[test]
fn a_role_named_in_the_trigger_with_no_identity_leaves_the_trigger() {
    let trig = sqs_trigger("qa", None) + "        awsRoleArn: arn:aws:iam::111122223333:role/scaler\n";
    let k8s = [workload("app", "a", Some("role-a"), ""), scaled_object("app", "s", "a", &trig)].concat();
    let iam = iam(&[("role-a", "app", "a", "qa")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    assert_eq!(find(&d, "ScaledObject", "s")["spec"]["triggers"][0]["type"], "aws-sqs-queue");
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A029").expect("E2A029");
    assert!(f["message"].as_str().unwrap().contains("role/scaler"), "{f}");
}

/// Issue 18: with `queueURLFromEnv` the trigger stayed `aws-sqs-queue` while the env value was rewritten.
#[test]
fn a_queue_read_from_env_is_translated_with_the_env() {
    let env =
        "            - name: QUEUE_URL\n              value: https://sqs.us-east-1.amazonaws.com/111122223333/qa\n";
    let trig = "      authenticationRef:\n        name: aws-auth\n      metadata:\n        queueURLFromEnv: QUEUE_URL\n        awsRegion: us-east-1\n";
    let k8s = [
        SHARED_AUTH.to_string() + "---\n",
        workload("app", "a", Some("role-a"), env),
        scaled_object("app", "a", "a", trig),
    ]
    .concat();
    let iam = iam(&[("role-a", "app", "a", "qa")]);
    let (_t, _plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    let t = &find(&d, "ScaledObject", "a")["spec"]["triggers"][0];
    assert_eq!(t["type"], "azure-queue", "{t}");
    assert_eq!(t["metadata"]["queueName"], "qa0", "the Azure name, as the env value has it");
    let env = &find(&d, "Deployment", "a")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(env.to_string().contains("queue.core.windows.net/qa0"), "{env}");
}

/// ... and when the trigger stays (its role has no identity), so does the env value.
#[test]
fn a_queue_read_from_env_stays_with_its_trigger() {
    let env =
        "            - name: QUEUE_URL\n              value: https://sqs.us-east-1.amazonaws.com/111122223333/qa\n";
    let trig = "      metadata:\n        queueURLFromEnv: QUEUE_URL\n        awsRoleArn: arn:aws:iam::111122223333:role/scaler\n";
    let k8s = [workload("app", "a", Some("role-a"), env), scaled_object("app", "a", "a", trig)].concat();
    let iam = iam(&[("role-a", "app", "a", "qa")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    assert_eq!(find(&d, "ScaledObject", "a")["spec"]["triggers"][0]["type"], "aws-sqs-queue");
    let env = &find(&d, "Deployment", "a")["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(env.to_string().contains("sqs.us-east-1.amazonaws.com/111122223333/qa"), "{env}");
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A029").expect("E2A029");
    assert!(f["message"].as_str().unwrap().contains("env value"), "{f}");
}

/// Issue 20 finding 6: KEDA authenticating with its own IRSA role (`provider: aws`, `identityOwner: keda`; the
/// KEDA Helm chart's `podIdentity.aws.irsa.roleArn` annotates `keda/keda-operator`). The operator's role got an
/// identity and a credential, but the rewritten authentication had no `identityId` and the finding said the role
/// was "not generated".
#[test]
fn keda_own_identity_is_consistent_with_its_credential_and_role() {
    let own = "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata:\n  name: keda-own\n  namespace: app\nspec:\n  podIdentity:\n    provider: aws\n    identityOwner: keda\n---\n";
    let operator_sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: keda-operator\n  namespace: keda\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/keda-operator\n---\n";
    let k8s = [
        own.to_string(),
        operator_sa.to_string(),
        workload("app", "a", Some("role-a"), ""),
        scaled_object("app", "a", "a", &sqs_trigger("qa", Some("keda-own"))),
    ]
    .concat();
    let iam = iam(&[("role-a", "app", "a", "qa"), ("keda-operator", "keda", "keda-operator", "qa")]);
    let (_t, plan, out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam)]);
    let d = docs(&out["k8s.yaml"]);
    assert_eq!(
        find(&d, "TriggerAuthentication", "keda-own")["spec"]["podIdentity"],
        json!({"provider": "azure-workload", "identityId": "REPLACE-WITH-CLIENT-ID-OF-keda-operator"})
    );
    let ids = plan["identities"].as_array().unwrap();
    let keda = ids.iter().find(|i| i["name"] == "keda-operator").expect("the operator's identity");
    assert!(
        keda["federated_credentials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == "system:serviceaccount:kube-system:keda-operator"),
        "a credential for the AKS KEDA operator"
    );
    assert!(
        keda["role_assignments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["scope"]["aws_arn"] == "arn:aws:sqs:us-east-1:111122223333:qa"
                && r["aws_actions"].as_array().unwrap().iter().any(|a| a == "keda:aws-sqs-queue")),
        "KEDA's read of the queue is granted to that identity: {}",
        keda["role_assignments"]
    );
    assert_eq!(count(&plan, "E2A101"), 1);
    let text = serde_json::to_string(&plan["findings"]).unwrap();
    assert!(!text.contains("not generated"), "{text}");
}

/// ... and without the operator's ServiceAccount nothing is generated for KEDA, and the finding says what to do.
#[test]
fn keda_own_identity_without_its_service_account_is_a_manual_step() {
    let own = "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata:\n  name: keda-own\n  namespace: app\nspec:\n  podIdentity:\n    provider: aws\n    identityOwner: keda\n---\n";
    let k8s = [
        own.to_string(),
        workload("app", "a", Some("role-a"), ""),
        scaled_object("app", "a", "a", &sqs_trigger("qa", Some("keda-own"))),
    ]
    .concat();
    let (_t, plan, _out) = translate(&[("k8s.yaml", &k8s), ("iam.json", &iam(&[("role-a", "app", "a", "qa")]))]);
    assert_eq!(count(&plan, "E2A101"), 0);
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A029").expect("E2A029");
    assert!(f["message"].as_str().unwrap().contains("no ServiceAccount of the KEDA operator"), "{f}");
    let id = &plan["identities"][0];
    assert!(
        !id["federated_credentials"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == "system:serviceaccount:kube-system:keda-operator"),
        "no credential for KEDA on the workload's identity"
    );
}
