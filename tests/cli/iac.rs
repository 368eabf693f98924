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

/// Issue 22, Deliver 1: the pseudo-parameters come from the config's `aws:` when the other inputs do not settle
/// them. A template alone (no ServiceAccount names its role, no export) cannot resolve `AWS::AccountId` (E2A120,
/// its policy left out); with `aws.account_id` and `aws.region` in `eks2aks.yaml` it resolves with no note, and a
/// bad value is a config error at its line.
#[test]
fn pseudo_parameters_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let template = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: worker
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: queue
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: sqs:ReceiveMessage
                Resource: !Sub "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs"
"#;
    std::fs::write(dir.path().join("iam.yaml"), template).unwrap();
    let input = dir.path().to_str().unwrap();
    let without = plan_json(&[input]);
    assert!(codes(&without).contains(&"E2A120".to_string()), "{:#?}", without["findings"]);
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "aws:\n  account_id: \"444455556666\"\n  region: eu-central-1\n").unwrap();
    let with = plan_json(&["--config", cfg.to_str().unwrap(), input]);
    let all = crate::all_codes(&with);
    assert!(!all.contains(&"E2A120".to_string()) && !all.contains(&"E2A121".to_string()), "{all:?}");
    let text = with.to_string();
    assert!(text.contains("arn:aws:sqs:eu-central-1:444455556666:jobs"), "{text}");
    std::fs::write(&cfg, "aws:\n  account_id: \"4444\"\n  partition: aws-mars\n").unwrap();
    let (code, _, err) = run(&["plan", "--config", cfg.to_str().unwrap(), input]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`aws.account_id` must be 12 digits") && err.contains("`aws.partition` must be"), "{err}");
}
