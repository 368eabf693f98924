//! Phased migration: the AKS-issuer and Entra bridges to what stays on AWS, and the reverse bridge from EKS.

use super::run;
use eks2aks::diag::{FileId, Sink};
use std::collections::BTreeMap;
use std::path::Path;

fn translate(config: &str) -> (tempfile::TempDir, BTreeMap<String, String>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) =
        run(&["translate", "-q", "--config", config, "--out", out.to_str().unwrap(), "testdata/examples/phased"]);
    assert_eq!(code, 0, "{err}");
    let mut tree = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, tree: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, tree);
            } else {
                tree.insert(
                    p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"),
                    std::fs::read_to_string(&p).unwrap(),
                );
            }
        }
    }
    walk(&out, &out, &mut tree);
    (tmp, tree)
}

fn read_policy(text: &str) -> eks2aks::model::PolicyDocument {
    let root = eks2aks::yaml::parse_stream(text).unwrap().remove(0).root;
    let mut sink = Sink::default();
    let doc = eks2aks::ingest::policy::read_document(FileId(0), &root, &mut sink).expect("our own IAM reader reads it");
    assert!(sink.findings().is_empty(), "{:?}", sink.findings());
    doc
}

fn cfn_lint(path: &Path) {
    match std::process::Command::new("cfn-lint").arg(path).output() {
        Ok(o) => assert!(
            o.status.success(),
            "cfn-lint:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => assert!(std::env::var_os("CI").is_none(), "cfn-lint missing in CI"),
    }
}

#[test]
fn aks_issuer_bridge_admits_exactly_the_workload() {
    let (tmp, tree) = translate("testdata/examples/phased/eks2aks.yaml");
    let files: Vec<&str> = tree.keys().map(String::as_str).filter(|k| k.starts_with("aws/")).collect();
    assert_eq!(
        files,
        [
            "aws/bridge.cfn.yaml",
            "aws/eks2aks-bridge-edw-processor.policy.json",
            "aws/eks2aks-bridge-edw-processor.trust.json",
            "aws/iam-commands.sh"
        ]
    );
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        for f in &files {
            insta::assert_snapshot!(format!("phased__aks-issuer__{}", f.replace('/', "__")), tree[*f]);
        }
        insta::assert_snapshot!("phased__aks-issuer__k8s__deployment.yaml", tree["k8s/k8s/deployment.yaml"]);
    });
    // The trust, read back by eks2aks's own IAM reader, admits the workload's ServiceAccount through the AKS
    // issuer with audience sts.amazonaws.com, and nothing else.
    let trust = read_policy(&tree["aws/eks2aks-bridge-edw-processor.trust.json"]);
    let aks =
        "westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111";
    let v = eks2aks::graph::trust::admits(&trust, "edw", "edw-processor", "sts.amazonaws.com");
    assert_eq!(v.providers.into_iter().collect::<Vec<_>>(), [aks]);
    assert!(!eks2aks::graph::trust::admits(&trust, "edw", "other", "sts.amazonaws.com").admitted());
    assert!(!eks2aks::graph::trust::admits(&trust, "kube-system", "edw-processor", "sts.amazonaws.com").admitted());
    assert!(!eks2aks::graph::trust::admits(&trust, "edw", "edw-processor", "api://AzureADTokenExchange").admitted());
    // The permission policy is the original statements narrowed to the staying bucket.
    let policy = &tree["aws/eks2aks-bridge-edw-processor.policy.json"];
    assert!(policy.contains("edw-legacy-archive") && !policy.contains("sqs:") && !policy.contains("dynamodb:"));
    // The workload gets the projected token and the role; the queue moved to Azure.
    let dep = &tree["k8s/k8s/deployment.yaml"];
    assert!(
        dep.contains("audience: sts.amazonaws.com")
            && dep.contains("arn:aws:iam::111122223333:role/eks2aks-bridge-edw-processor")
    );
    cfn_lint(&tmp.path().join("out/aws/bridge.cfn.yaml"));
}

#[test]
fn entra_bridge_trusts_one_principal_with_a_pinned_audience() {
    let (tmp, tree) = translate("testdata/examples/phased/eks2aks.entra.yaml");
    assert!(tree.contains_key("aws/entra-app.sh"));
    let trust = read_policy(&tree["aws/eks2aks-bridge-edw-processor.trust.json"]);
    let st = &trust.statements[0];
    assert_eq!(
        &*st.principal.as_ref().unwrap().entries[0].1,
        "arn:aws:iam::111122223333:oidc-provider/sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"
    );
    let conds: BTreeMap<String, Vec<String>> =
        st.conditions.iter().map(|c| (c.key.to_string(), c.values.iter().map(|v| v.to_string()).collect())).collect();
    assert_eq!(
        conds["sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/:sub"],
        ["3f2a9c1e-0d4b-4e6f-9a7c-1b2d3e4f5a6b"]
    );
    assert_eq!(conds["sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/:aud"], ["api://eks2aks-aws-bridge"]);
    assert!(st.conditions.iter().all(|c| &*c.op.base == "StringEquals"));
    // No ServiceAccount is admitted: this trust is for the managed identity's principal only.
    assert!(!eks2aks::graph::trust::admits(&trust, "edw", "edw-processor", "api://eks2aks-aws-bridge").admitted());
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("phased__entra__aws__entra-app.sh", tree["aws/entra-app.sh"]);
    });
    cfn_lint(&tmp.path().join("out/aws/bridge.cfn.yaml"));
}

#[test]
fn reverse_bridge_lets_eks_workloads_reach_azure_with_their_own_token() {
    let (_tmp, tree) = translate("testdata/examples/phased/eks2aks.reverse.yaml");
    let bicep = &tree["bicep/main.bicep"];
    assert!(
        bicep.contains("issuer: 'https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'"),
        "{bicep}"
    );
    let eks = &tree["eks/k8s/deployment.yaml"];
    for needle in [
        "audience: \"api://AzureADTokenExchange\"",
        "AZURE_CLIENT_ID",
        "value: \"72f988bf-86f1-41af-91ab-2d7cd011db47\"",
        "AZURE_FEDERATED_TOKEN_FILE",
    ] {
        assert!(eks.contains(needle), "{needle} missing:\n{eks}");
    }
    // On EKS the workload keeps its AWS identity: the manifest is the original plus the Azure additions.
    let original = std::fs::read_to_string("testdata/examples/phased/k8s/deployment.yaml").unwrap();
    assert!(original.lines().all(|l| eks.contains(l)), "lines of the original manifest were lost");
    let (_, out, _) = run(&[
        "plan",
        "--format",
        "json",
        "--config",
        "testdata/examples/phased/eks2aks.reverse.yaml",
        "testdata/examples/phased",
    ]);
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let issuers: Vec<&str> = p["identities"][0]["federated_credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["issuer"].as_str().unwrap())
        .collect();
    assert!(
        issuers.contains(&"https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"),
        "{issuers:?}"
    );
}

#[test]
fn phased_outputs_pass_the_validators() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    for cfg in ["eks2aks.yaml", "eks2aks.entra.yaml", "eks2aks.reverse.yaml"] {
        let (tmp, _) = translate(&format!("testdata/examples/phased/{cfg}"));
        let out = tmp.path().join("out");
        // The validator reads k8s/; the EKS-side manifests get the same checks.
        if out.join("eks").is_dir() {
            std::fs::rename(out.join("eks"), out.join("k8s/eks-side")).unwrap();
        }
        let o = std::process::Command::new("python3")
            .args(["tests/validate/outputs.py", out.to_str().unwrap(), shared.to_str().unwrap()])
            .output()
            .unwrap();
        if o.status.code() == Some(3) {
            assert!(std::env::var_os("CI").is_none(), "validators missing in CI");
            return;
        }
        assert!(o.status.success(), "{cfg}: {}", String::from_utf8_lossy(&o.stdout));
    }
}

/// Issue 20 finding 8: the bridge's env had no region, and the AWS SDKs need one for STS. It comes from the EKS
/// OIDC provider of the role's trust here (S3 ARNs carry none), is said in plan.json, and the workload's own
/// `AWS_REGION` is kept, not doubled.
#[test]
fn aks_issuer_bridge_sets_the_region_and_says_where_it_came_from() {
    let (_tmp, tree) = translate("testdata/examples/phased/eks2aks.yaml");
    let dep = &tree["k8s/k8s/deployment.yaml"];
    assert_eq!(dep.matches("name: AWS_REGION").count(), 1, "{dep}");
    assert!(dep.contains("- name: AWS_DEFAULT_REGION\n"), "{dep}");
    let plan: serde_json::Value = serde_json::from_str(&tree["plan.json"]).unwrap();
    let bridge = &plan["identities"][0]["aws_bridge"];
    assert_eq!(bridge["region"], "us-east-1");
    assert_eq!(bridge["region_from"], "the region of the EKS OIDC provider in the role's trust");
    // The config wins, and says so.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    let text =
        std::fs::read_to_string("testdata/examples/phased/eks2aks.yaml").unwrap() + "bridge_region: eu-central-1\n";
    std::fs::write(&cfg, text).unwrap();
    let (_tmp2, tree) = translate(cfg.to_str().unwrap());
    let plan: serde_json::Value = serde_json::from_str(&tree["plan.json"]).unwrap();
    assert_eq!(plan["identities"][0]["aws_bridge"]["region"], "eu-central-1");
    assert_eq!(plan["identities"][0]["aws_bridge"]["region_from"], "config `bridge_region`");
    assert!(tree["k8s/k8s/deployment.yaml"].contains("value: eu-central-1"));
}
