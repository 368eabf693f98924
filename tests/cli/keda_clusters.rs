//! KEDA across clusters and shared authentications (review 3): a trigger is joined to its scale target and its
//! authentication by the nearest-directory rule, a shared authentication is split by sorted keys, an authentication
//! still used by a trigger that stays on AWS is kept for it, and a missing authentication leaves the trigger as it is.
//! Inputs: `testdata/fixtures/keda/` (README there).

use super::{copy_dir, eks2aks, messages};
use serde_json::Value;
use std::path::Path;

const FIXTURES: &str = "testdata/fixtures/keda";

/// Translates `dir` into `out`; returns plan.json.
fn translate(dir: &Path, out: &Path) -> Value {
    let o = eks2aks().arg("translate").arg(dir).arg("--out").arg(out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap()
}

/// Like [`translate`] when the run may exit 1 (errors found): plan.json of `plan --format json`.
fn plan(dir: &Path) -> Value {
    let o = eks2aks().arg("plan").arg(dir).arg("--format").arg("json").output().unwrap();
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)))
}

fn docs(text: &str) -> Vec<Value> {
    eks2aks::yaml::parse_stream(text).unwrap().iter().map(|d| d.root.to_json()).collect()
}

fn read_docs(path: &Path) -> Vec<Value> {
    docs(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter().find(|d| d["kind"] == kind && d["metadata"]["name"] == name).unwrap_or_else(|| panic!("{kind} {name}"))
}

fn trigger(docs: &[Value], name: &str, index: usize) -> Value {
    find(docs, "ScaledObject", name)["spec"]["triggers"][index].clone()
}

/// Review 3, d34: the same app in `clusters/staging/` and `clusters/prod/`; prod's trigger was rewritten to scale on
/// `orders-staging` (the first Deployment `orders/orders` found), with no finding.
#[test]
fn each_clusters_trigger_scales_on_its_own_clusters_queue() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = translate(Path::new(&format!("{FIXTURES}/two-clusters")), &tmp.path().join("out"));
    for env in ["staging", "prod"] {
        let d = read_docs(&tmp.path().join(format!("out/k8s/clusters/{env}/orders.yaml")));
        let t = trigger(&d, "orders", 0);
        assert_eq!(t["type"], "azure-queue", "{env}: {t}");
        assert_eq!(t["metadata"]["queueName"], format!("orders-{env}"), "{env}: {t}");
    }
    assert!(messages(&plan, "E2A129").is_empty());
}

/// Review 3, d34b: the same with the prod directory renamed so that it sorts first (`aprod`).
#[test]
fn each_clusters_trigger_keeps_its_queue_when_the_directories_are_renamed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(format!("{FIXTURES}/two-clusters"), &input);
    std::fs::rename(input.join("clusters/prod"), input.join("clusters/aprod")).unwrap();
    translate(&input, &tmp.path().join("out"));
    for (dir, queue) in [("aprod", "orders-prod"), ("staging", "orders-staging")] {
        let d = read_docs(&tmp.path().join(format!("out/k8s/clusters/{dir}/orders.yaml")));
        assert_eq!(trigger(&d, "orders", 0)["metadata"]["queueName"], queue, "{dir}");
    }
}

/// A ScaledObject equally near both clusters' Deployments (a file of its own above them): which cluster it scales
/// cannot be known, so it is reported (E2A129) and left as it is, and so are the env values it reads.
#[test]
fn a_scaled_object_equally_near_two_clusters_is_reported_and_left() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(format!("{FIXTURES}/two-clusters"), &input);
    let mut scaled = String::new();
    for env in ["staging", "prod"] {
        let path = input.join(format!("clusters/{env}/orders.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let (head, so) = text.split_once("---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n").unwrap();
        std::fs::write(&path, head).unwrap();
        scaled = format!("apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\n{so}");
    }
    std::fs::write(input.join("clusters/scaled-object.yaml"), &scaled).unwrap();
    let plan = plan(&input);
    let m = messages(&plan, "E2A129");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("clusters/prod/orders.yaml") && m[0].contains("clusters/staging/orders.yaml"), "{m:?}");
    let edits = plan["manifest_edits"].to_string();
    assert!(!edits.contains("azure-queue"), "no trigger is rewritten: {edits}");
}

/// The same for the authentication: each cluster's TriggerAuthentication `orders/aws` moved out of the cluster
/// directories (`auth/<env>/`), so neither is nearer a ScaledObject: E2A129 at each trigger, nothing rewritten.
#[test]
fn an_authentication_equally_near_from_two_clusters_is_reported_and_left() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_dir(format!("{FIXTURES}/two-clusters"), &input);
    let auth = "---\napiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\n";
    for env in ["staging", "prod"] {
        let path = input.join(format!("clusters/{env}/orders.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let (head, rest) = text.split_once(auth).unwrap();
        let (auth_body, so) = rest.split_once("---\n").unwrap();
        std::fs::write(&path, format!("{head}---\n{so}")).unwrap();
        std::fs::create_dir_all(input.join(format!("auth/{env}"))).unwrap();
        let doc = format!("apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\n{auth_body}");
        std::fs::write(input.join(format!("auth/{env}/auth.yaml")), doc).unwrap();
    }
    let plan = plan(&input);
    let m = messages(&plan, "E2A129");
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m.iter().all(|m| m.contains("its authentication TriggerAuthentication `orders/aws`")), "{m:?}");
    assert!(!plan["manifest_edits"].to_string().contains("azure-queue"));
}

/// The output of `translate`, file by file (the marker aside), with `rename` applied to the paths.
fn outputs(out: &Path, rename: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    let mut all = std::collections::BTreeMap::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with(".eks2aks-output") {
                let mut rel = p.strip_prefix(out).unwrap().to_string_lossy().to_string();
                for (from, to) in rename {
                    rel = rel.replace(from, to);
                }
                all.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    all
}

/// Review 3, d10/d22/d23: which namespace's identity a split ClusterTriggerAuthentication keeps followed the file
/// names and the document order. Now by (namespace, name): `alpha` keeps it whatever the files are called, and
/// every output is the same when the files are renamed; when the documents are reordered in one file, the
/// documents are the same.
#[test]
fn a_split_cluster_authentication_does_not_depend_on_file_names_or_document_order() {
    let tmp = tempfile::tempdir().unwrap();
    let base = format!("{FIXTURES}/split-order");
    translate(Path::new(&base), &tmp.path().join("out"));
    let d = read_docs(&tmp.path().join("out/k8s/k8s/keda-auth.yaml"));
    let kept = find(&d, "ClusterTriggerAuthentication", "aws-workload");
    assert_eq!(kept["spec"]["podIdentity"]["identityId"], "REPLACE-WITH-CLIENT-ID-OF-alpha", "{kept}");
    let derived = find(&d, "ClusterTriggerAuthentication", "aws-workload-beta");
    assert_eq!(derived["spec"]["podIdentity"]["identityId"], "REPLACE-WITH-CLIENT-ID-OF-beta", "{derived}");
    let reference = outputs(&tmp.path().join("out"), &[]);

    // Renamed: alpha.yaml sorts last (review 3, d22).
    let renamed = tmp.path().join("renamed");
    copy_dir(&base, &renamed);
    std::fs::rename(renamed.join("k8s/alpha.yaml"), renamed.join("k8s/zz-alpha.yaml")).unwrap();
    translate(&renamed, &tmp.path().join("out-renamed"));
    let mut got = outputs(&tmp.path().join("out-renamed"), &[("zz-alpha.yaml", "alpha.yaml")]);
    let mut want = reference.clone();
    // plan.json and plan.md name the files and sort by them: compared through the manifests and Azure outputs.
    for p in ["plan.json", "plan.md"] {
        got.remove(p);
        want.remove(p);
    }
    assert_eq!(got, want);

    // Reordered: every document in one file, beta's first (review 3, d23).
    let one = tmp.path().join("one");
    std::fs::create_dir_all(one.join("k8s")).unwrap();
    copy_dir(format!("{base}/iam"), &one.join("iam"));
    let read = |f: &str| std::fs::read_to_string(format!("{base}/k8s/{f}")).unwrap();
    for (name, order) in
        [("ab", ["keda-auth.yaml", "alpha.yaml", "beta.yaml"]), ("ba", ["beta.yaml", "alpha.yaml", "keda-auth.yaml"])]
    {
        let text: Vec<String> = order.iter().map(|f| read(f)).collect();
        std::fs::write(one.join("k8s/all.yaml"), text.join("---\n")).unwrap();
        translate(&one, &tmp.path().join(format!("out-{name}")));
    }
    let sorted = |name: &str| {
        let mut d: Vec<String> =
            read_docs(&tmp.path().join(format!("out-{name}/k8s/k8s/all.yaml"))).iter().map(Value::to_string).collect();
        d.sort();
        d
    };
    assert_eq!(sorted("ab"), sorted("ba"));
    let ab = outputs(&tmp.path().join("out-ab"), &[]);
    let ba = outputs(&tmp.path().join("out-ba"), &[]);
    for p in ["role-assignments.sh", "role-assignments.json", "bicep/main.bicep"] {
        assert_eq!(ab.get(p), ba.get(p), "{p}");
    }
    let d = read_docs(&tmp.path().join("out-ba/k8s/k8s/all.yaml"));
    let kept = find(&d, "ClusterTriggerAuthentication", "aws-workload");
    assert_eq!(kept["spec"]["podIdentity"]["identityId"], "REPLACE-WITH-CLIENT-ID-OF-alpha", "{kept}");
}

/// Review 3, d2: one TriggerAuthentication shared by an SQS trigger (translated) and an `aws-cloudwatch` trigger
/// (left on AWS, E2A104) was rewritten to `azure-workload`, so the CloudWatch trigger lost its AWS authentication
/// while its finding said it was left pointing at AWS. Now the authentication stays as it is for the CloudWatch
/// trigger, and the SQS trigger gets a derived one.
#[test]
fn an_authentication_shared_with_a_trigger_left_on_aws_stays_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = format!("{FIXTURES}/shared-with-cloudwatch");
    // E2A104 is an error: `plan` for the findings, and `translate` with the findings allowed.
    let plan = plan(Path::new(&dir));
    assert_eq!(messages(&plan, "E2A104").len(), 1);
    let out = tmp.path().join("out");
    let o = eks2aks().arg("translate").arg(&dir).arg("--out").arg(&out).output().unwrap();
    assert!(out.join("k8s/k8s/orders.yaml").exists(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = read_docs(&out.join("k8s/k8s/orders.yaml"));
    let original = find(&d, "TriggerAuthentication", "keda-aws");
    assert_eq!(original["spec"]["podIdentity"]["provider"], "aws", "kept for the CloudWatch trigger: {original}");
    let cw = trigger(&d, "orders-worker", 1);
    assert_eq!(cw["type"], "aws-cloudwatch");
    assert_eq!(cw["authenticationRef"]["name"], "keda-aws");
    let sqs = trigger(&d, "orders-worker", 0);
    assert_eq!(sqs["type"], "azure-queue", "{sqs}");
    let derived_name = sqs["authenticationRef"]["name"].as_str().unwrap().to_string();
    assert_ne!(derived_name, "keda-aws");
    let derived = find(&d, "TriggerAuthentication", &derived_name);
    assert_eq!(derived["spec"]["podIdentity"]["provider"], "azure-workload", "{derived}");
    assert_eq!(derived["metadata"]["namespace"], "orders");
    let added = plan["keda_authentications"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["derived_from"], "keda-aws");
}

/// Review 3, d11: the trigger's ClusterTriggerAuthentication is not in the input. It was rewritten to
/// `azure-queue` still pointing at that authentication, under an E2A029 guessing "KEDA's own AWS role". Now E2A029
/// says the authentication is not in the input, and the trigger and its env value are left as they are.
#[test]
fn a_trigger_whose_authentication_is_not_in_the_input_is_left_as_it_is() {
    let dir = Path::new(FIXTURES).join("auth-missing");
    let plan = plan(&dir);
    let m = messages(&plan, "E2A029");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("ClusterTriggerAuthentication `aws-workload`") && m[0].contains("not in the input"), "{m:?}");
    assert!(!m[0].contains("KEDA's own AWS role"), "{m:?}");
    let edits = plan["manifest_edits"].to_string();
    assert!(!edits.contains("azure-queue"), "the trigger is not rewritten: {edits}");
    assert!(!edits.contains("alpha-q"), "nor the env value it reads: {edits}");
    assert_eq!(plan["keda_authentications"].as_array().map_or(0, Vec::len), 0);
}
