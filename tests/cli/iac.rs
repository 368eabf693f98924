//! IAM from infrastructure code (issue 22): CloudFormation templates and `terraform show -json` give the same plan as
//! the deployed account's export.

use crate::{codes, plan_json, run};

const CFN: &str = "testdata/examples/cfn-iam";
const TF: &str = "testdata/examples/terraform-iam";
const EXPORT: &str = "testdata/fixtures/iam/iac-equivalence/authz.json";

/// What must not depend on where the IAM came from: each identity's role, ServiceAccounts, federated credentials
/// and role assignments (without the AWS permission sources, which name the files).
fn identities(plan: &serde_json::Value) -> serde_json::Value {
    let mut ids: Vec<serde_json::Value> = plan["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            serde_json::json!({
                "name": i["name"],
                "aws_role_arn": i["aws_role_arn"],
                "service_accounts": i["service_accounts"],
                "federated_credentials": i["federated_credentials"],
                "role_assignments": i["role_assignments"],
            })
        })
        .collect();
    ids.sort_by_key(|i| i["name"].as_str().unwrap().to_string());
    serde_json::Value::Array(ids)
}

/// Done-when test of issue 22: the same repository with its IAM as an account export, as a CloudFormation
/// template and as a Terraform plan gives the same identities, credentials and role assignments.
#[test]
fn cloudformation_and_terraform_plan_like_the_export() {
    let export = identities(&plan_json(&[&format!("{CFN}/k8s"), EXPORT]));
    assert_eq!(export.as_array().unwrap().len(), 2, "{export:#}");
    assert!(
        export.as_array().unwrap().iter().all(|i| !i["role_assignments"].as_array().unwrap().is_empty()),
        "every identity has role assignments: {export:#}"
    );
    let cfn = identities(&plan_json(&[CFN]));
    assert_eq!(cfn, export, "CloudFormation differs from the export");
    let tf = identities(&plan_json(&[TF]));
    assert_eq!(tf, export, "Terraform differs from the export");
}

/// The examples plan and check with no AWS export and no warning: the AWS-managed policies attached to
/// Karpenter's node role in the CloudFormation one resolve from the bundle (E2A130 notes).
#[test]
fn examples_run_without_an_export() {
    let cfn = plan_json(&[CFN]);
    assert_eq!(codes(&cfn), Vec::<String>::new());
    let bundled = cfn["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A130").count();
    assert_eq!(bundled, 4, "{:#?}", cfn["findings"]);
    assert_eq!(codes(&plan_json(&[TF])), Vec::<String>::new());
    assert_eq!(run(&["check", TF]).0, 0);
}

/// Deliver 4 of issue 22: a role in the export and in infrastructure code is one role, the export's; what the
/// code says differently is an E2A051 warning that shows it. The CloudFormation template agrees with the export
/// (an inline policy named after the stack counts as the same document); the Terraform plan attaches the queue
/// policy as a managed policy where the account has it inline.
#[test]
fn export_wins_over_infrastructure_code_and_drift_is_shown() {
    let export = identities(&plan_json(&[&format!("{CFN}/k8s"), EXPORT]));
    let with_cfn = plan_json(&[CFN, EXPORT]);
    assert_eq!(identities(&with_cfn), export);
    let drift = |p: &serde_json::Value| -> Vec<String> {
        p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "E2A051")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(drift(&with_cfn), Vec::<String>::new());
    let with_tf = plan_json(&[TF, EXPORT]);
    assert_eq!(identities(&with_tf), export);
    let d = drift(&with_tf);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].contains("role `orders-api`: the Terraform plan at"), "{}", d[0]);
    assert!(
        d[0].contains("attached policy `arn:aws:iam::111122223333:policy/orders-api-queue` is not in the export"),
        "{}",
        d[0]
    );
    assert!(d[0].contains("the export wins"), "{}", d[0]);
}
