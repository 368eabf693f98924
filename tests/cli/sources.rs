//! Where an identity's permissions and ServiceAccount links come from, and what happens when two sources disagree
//! (review 2): CloudFormation `AWS::IAM::RolePolicy`, the IAM resource types a template holds that eks2aks does not
//! read, Pod Identity associations across clusters and next to IRSA, and the guards `rules:` may not switch off.
//! Inputs are under `testdata/fixtures/sources/` (each with a README).

use super::{plan_json, run};
use serde_json::Value;

const DIR: &str = "testdata/fixtures/sources";

fn findings<'a>(p: &'a Value, code: &str) -> Vec<&'a Value> {
    p["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).collect()
}

/// Every AWS action some role assignment of the plan replaces.
fn granted_actions(p: &Value) -> Vec<String> {
    let mut out: Vec<String> = super::role_assignments(p)
        .flat_map(|a| a["aws_actions"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Review 2, c01: an `AWS::IAM::RolePolicy` is the role's inline policy; its Deny is subtracted like an
/// `AWS::IAM::Policy`'s (CloudFormation User Guide, "AWS::IAM::RolePolicy": `PolicyDocument`, `PolicyName`,
/// `RoleName`, all required).
#[test]
fn cfn_role_policy_deny_applies_to_its_role() {
    let p = plan_json(&[&format!("{DIR}/cfn-role-policy")]);
    let actions = granted_actions(&p);
    assert!(actions.contains(&"s3:GetObject".to_string()), "{actions:?}");
    assert!(!actions.contains(&"s3:DeleteObject".to_string()), "the Deny was dropped: {actions:?}");
    assert!(findings(&p, "E2A045").is_empty(), "{:#?}", p["findings"]);
    assert_eq!(run(&["check", &format!("{DIR}/cfn-role-policy")]).0, 0);
}

/// An `AWS::IAM::RolePolicy` whose `RoleName` cannot be resolved may deny any role of the template: it is left
/// out with E2A120 and no role of the template keeps permissions.
#[test]
fn cfn_role_policy_with_unresolved_role_clears_the_templates_roles() {
    let p = plan_json(&[&format!("{DIR}/cfn-role-policy-unresolved")]);
    assert_eq!(granted_actions(&p), Vec::<String>::new(), "{:#?}", p["identities"]);
    let messages: Vec<&str> = findings(&p, "E2A120").iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("none of role `worker`'s permissions")), "{messages:#?}");
}

/// An `AWS::IAM::` resource the reader does not read is named in an E2A123 note, at its line.
#[test]
fn cfn_iam_resources_not_read_are_noted() {
    let p = plan_json(&["testdata/rules/E2A123/fires"]);
    let notes: Vec<String> = findings(&p, "E2A123")
        .iter()
        .map(|f| format!("{}:{} {}", f["file"].as_str().unwrap(), f["line"], f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert!(notes[0].contains("stack.yaml:") && notes[0].contains("`CiUser` (AWS::IAM::User)"), "{notes:#?}");
    assert!(notes[1].contains("`CiUserPolicy` (AWS::IAM::UserPolicy)"), "{notes:#?}");
}
