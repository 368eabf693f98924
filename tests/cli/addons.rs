//! AWS add-ons (issue 20, part 2): recognised from `mappings/addons.yaml`, they get no Azure identity and their
//! manifests pass through unchanged; an identity that ends with no Azure role is a warning (E2A071).

use super::{plan_json, run};

const EXAMPLE: &str = "testdata/examples/addons-cluster";

fn ids(list: &serde_json::Value, key: &str) -> Vec<String> {
    list.as_array().unwrap().iter().map(|x| x[key].as_str().unwrap().to_string()).collect()
}

#[test]
fn addons_get_no_identity_credential_role_or_resource() {
    let plan = plan_json(&[EXAMPLE]);
    // Only the application on S3 gets an identity.
    assert_eq!(ids(&plan["identities"], "name"), ["shop-orders-api"]);
    assert_eq!(
        ids(&plan["addons"], "id"),
        ["aws-load-balancer-controller", "cluster-autoscaler", "aws-ebs-csi-driver", "karpenter"]
    );
    // Karpenter's interruption queue and SSM parameters, the EBS driver's KMS key: nothing on Azure.
    let resources = ids(&plan["resources"], "aws_arn");
    assert_eq!(resources, ["arn:aws:s3:::shop-invoices-prod"], "{resources:?}");
    let text = plan.to_string();
    for absent in ["Key Vault", "App Configuration", "Storage Queue", "Karpenter", "autoscaler", "EBS"] {
        assert!(!plan["identities"].to_string().contains(absent), "{absent}");
    }
    assert!(!text.contains("storage-queue") && !text.contains("key_vault"), "{text}");
    let karpenter = plan["addons"].as_array().unwrap().iter().find(|a| a["id"] == "karpenter").unwrap();
    assert_eq!(karpenter["aws_role_arns"][0], "arn:aws:iam::111122223333:role/KarpenterControllerRole-prod-eks");
    assert!(karpenter["az"].as_str().unwrap().contains("--node-provisioning-mode Auto"));
    assert_eq!(karpenter["workloads"][0], "Deployment kube-system/karpenter");
    // One E2A070 per add-on, two E2A072 (NodePool, EC2NodeClass); no ECR or SDK-variable finding about the
    // add-ons' kept manifests.
    let codes: Vec<&str> = plan["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes.iter().filter(|c| **c == "E2A070").count(), 4, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == "E2A072").count(), 2, "{codes:?}");
    assert!(!codes.contains(&"E2A028") && !codes.contains(&"E2A026"), "{codes:?}");
}

#[test]
fn addon_manifests_pass_through_translate_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", "--out", out.to_str().unwrap(), EXAMPLE]);
    assert_eq!(code, 0, "{err}");
    for f in
        ["aws-load-balancer-controller", "cluster-autoscaler", "aws-ebs-csi-driver", "karpenter", "karpenter-nodepool"]
    {
        let input = std::fs::read_to_string(format!("{EXAMPLE}/k8s/{f}.yaml")).unwrap();
        let output = std::fs::read_to_string(out.join(format!("k8s/k8s/{f}.yaml"))).unwrap();
        assert_eq!(input, output, "{f} changed");
    }
    // The application is rewritten as usual.
    let app = std::fs::read_to_string(out.join("k8s/k8s/orders-api.yaml")).unwrap();
    assert!(app.contains("azure.workload.identity/client-id") && !app.contains("eks.amazonaws.com/role-arn"));
    let bicep = std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap();
    assert!(!bicep.contains("arpenter") && !bicep.contains("autoscaler") && !bicep.contains("ebs"), "{bicep}");
}

#[test]
fn the_ledger_says_replaced_for_the_addons() {
    let (_, out, _) = run(&["check", "--format", "json", "--fail-on", "never", EXAMPLE]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = v["coverage"]["items"].as_array().unwrap();
    let state = |kind: &str, id: &str| {
        items.iter().find(|i| i["kind"] == kind && i["id"] == id).unwrap_or_else(|| panic!("{kind} {id}"))["state"]
            .clone()
    };
    assert_eq!(state("service_account", "kube-system/karpenter"), "replaced");
    assert_eq!(state("role", "arn:aws:iam::111122223333:role/KarpenterControllerRole-prod-eks"), "replaced");
    assert_eq!(state("service_account", "shop/orders-api"), "translated");
    // The cluster autoscaler's AWS_REGION is kept in its unchanged manifest: replaced, not "removed".
    let region = items.iter().find(|i| i["kind"] == "aws_value" && i["id"].as_str().unwrap().starts_with("AWS_REGION"));
    assert_eq!(region.unwrap()["state"], "replaced");
    let t = &v["coverage"]["totals"];
    // 4 ServiceAccounts, 4 roles, and the AWS values of the kept manifests.
    assert_eq!(t["replaced"], 10, "{t}");
    let (_, text, _) = run(&["check", "--fail-on", "never", EXAMPLE]);
    assert!(text.contains("10 replaced by AKS features"), "{text}");
}

#[test]
fn an_identity_with_no_azure_role_warns_and_is_not_counted_translated() {
    let dir = "testdata/rules/E2A071/fires";
    let plan = plan_json(&[dir]);
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A071").unwrap();
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("billing-mailer") && msg.contains("service `ses` has no identity mapping"), "{msg}");
    let (_, out, _) = run(&["check", "--format", "json", "--fail-on", "never", dir]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let role = v["coverage"]["items"].as_array().unwrap().iter().find(|i| i["kind"] == "role").unwrap().clone();
    assert_eq!(role["state"], "not_translated", "{role}");
    assert!(role["reason"].as_str().unwrap().contains("E2A071"));
}

#[test]
fn a_user_addons_table_overrides_by_id_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    // Karpenter no longer recognised: its entry replaced by one that matches nothing of the example.
    std::fs::write(
        dir.path().join("addons.yaml"),
        "addons:\n  - id: karpenter\n    name: Karpenter\n    match:\n      service_accounts: [elsewhere/karpenter]\n    replaced_by:\n      feature: NAP\n      az: az aks update --node-provisioning-mode Auto\n      doc: https://learn.microsoft.com/azure/aks/node-autoprovision\n",
    )
    .unwrap();
    let plan = plan_json(&["--mappings", dir.path().to_str().unwrap(), EXAMPLE]);
    assert!(!ids(&plan["addons"], "id").contains(&"karpenter".to_string()));
    assert!(ids(&plan["identities"], "name").contains(&"KarpenterControllerRole-prod-eks".to_string()));
    std::fs::write(
        dir.path().join("addons.yaml"),
        "addons:\n  - id: Bad_Id\n    name: X\n    match:\n      well_known_policies: [autoscaler]\n    replaced_by:\n      feature: F\n      az: kubectl\n      doc: http://x\n",
    )
    .unwrap();
    let (code, _, err) = run(&["mappings", "check", "--mappings", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("addons.yaml:2:") && err.contains("kebab-case"), "{err}");
    assert!(err.contains("`autoscaler` is not an eksctl wellKnownPolicies key"), "{err}");
}
