//! "Never widen silently" for scopes Azure cannot narrow below a parent (review of 4ba9fce): a grant on one SSM
//! parameter, ECR repository or EventBridge bus lands on the whole App Configuration store, registry or resource
//! group. The plan says what the scope really is and reports the widening (E2A017); the soundness check catches an
//! unreported one (`plan::soundness::tests`).

use crate::{plan_json, role_assignments, run};
use serde_json::Value;

const DIR: &str = "testdata/fixtures/scopes";

/// The E2A017 messages of a plan.
fn widened(p: &Value) -> Vec<String> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A017")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// The one assignment of identity `name`.
fn assignment_of<'p>(p: &'p Value, name: &str) -> &'p Value {
    let id = p["identities"].as_array().unwrap().iter().find(|i| i["name"] == name).expect("identity");
    let list = id["role_assignments"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{name}: {list:#?}");
    &list[0]
}

fn no_e2a045(p: &Value) {
    let bad: Vec<&Value> = p["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A045").collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn a_parameter_grant_is_on_the_store_and_reported_as_widened() {
    let p = plan_json(&[&format!("{DIR}/ssm-parameter-per-role")]);
    no_e2a045(&p);
    let w = widened(&p);
    for (name, param) in [("billing", "billing/db-url"), ("search", "search/api-key")] {
        let a = assignment_of(&p, name);
        assert_eq!(a["scope"]["kind"], "app_configuration", "{a:#?}");
        assert_eq!(a["scope"]["azure_name"], "param:appConfigurationName", "the store, not the parameter: {a:#?}");
        assert_eq!(a["scope"]["aws_arn"], format!("arn:aws:ssm:us-east-1:111122223333:parameter/{param}"));
        assert!(
            w.iter().any(|m| m.contains(&format!("identity `{name}`"))
                && m.contains(&format!("parameter/{param}"))
                && m.contains("widened")
                && m.contains("app_configuration")),
            "{name}: {w:#?}"
        );
    }
}

#[test]
fn a_repository_grant_is_on_the_registry_and_reported_as_widened() {
    let p = plan_json(&[&format!("{DIR}/ecr-repository")]);
    no_e2a045(&p);
    let a = assignment_of(&p, "puller");
    assert_eq!(a["role_name"], "AcrPull");
    assert_eq!(a["scope"]["kind"], "container_registry");
    assert_eq!(a["scope"]["azure_name"], "param:containerRegistryName", "{a:#?}");
    assert_eq!(a["scope"]["aws_arn"], "arn:aws:ecr:us-east-1:111122223333:repository/team-a/app");
    let w = widened(&p);
    assert!(
        w.iter()
            .any(|m| m.contains("identity `puller`") && m.contains("repository/team-a/app") && m.contains("widened")),
        "{w:#?}"
    );
}

#[test]
fn a_bus_grant_is_on_the_resource_group_and_reported_as_widened() {
    let p = plan_json(&[&format!("{DIR}/eventbridge-bus")]);
    no_e2a045(&p);
    let a = assignment_of(&p, "evb");
    assert_eq!(a["scope"]["kind"], "resource_group");
    assert_eq!(a["scope"]["azure_name"], "resourceGroup", "{a:#?}");
    assert_eq!(a["scope"]["aws_arn"], "arn:aws:events:us-east-1:111122223333:event-bus/orders");
    let w = widened(&p);
    assert!(w.iter().any(|m| m.contains("identity `evb`") && m.contains("event-bus/orders")), "{w:#?}");
    // A topic and a stream have scopes of their own: nothing to report.
    assert!(!w.iter().any(|m| m.contains("identity `sns`") || m.contains("identity `kin`")), "{w:#?}");
    assert_eq!(assignment_of(&p, "sns")["scope"]["azure_name"], "order-events");
}

#[test]
fn two_parameters_of_one_identity_give_one_assignment_on_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    crate::copy_dir(format!("{DIR}/ssm-parameter-per-role"), tmp.path());
    let iam = tmp.path().join("iam/details.json");
    let text = std::fs::read_to_string(&iam).unwrap();
    let two = text.replacen(
        "\"Resource\": \"arn:aws:ssm:us-east-1:111122223333:parameter/billing/db-url\"",
        "\"Resource\": [\"arn:aws:ssm:us-east-1:111122223333:parameter/billing/db-url\", \"arn:aws:ssm:us-east-1:111122223333:parameter/billing/db-user\"]",
        1,
    );
    assert_ne!(two, text);
    std::fs::write(&iam, two).unwrap();
    let p = plan_json(&[tmp.path().to_str().unwrap()]);
    no_e2a045(&p);
    let a = assignment_of(&p, "billing");
    assert_eq!(a["scope"]["azure_name"], "param:appConfigurationName");
    let w = widened(&p);
    assert!(w.iter().any(|m| m.contains("billing/db-user")), "{w:#?}");
}

/// Ordinary SSM and CloudWatch Logs patterns: widened (reported), never refused with E2A045.
#[test]
fn ordinary_ssm_and_logs_patterns_translate_with_their_widenings_reported() {
    let p = plan_json(&[&format!("{DIR}/ssm-and-logs-patterns")]);
    no_e2a045(&p);
    let w = widened(&p);
    for who in ["ssm", "logs", "evb", "ecr"] {
        assert!(w.iter().any(|m| m.contains(&format!("identity `{who}`"))), "{who}: {w:#?}");
    }
    for a in role_assignments(&p) {
        let kind = a["scope"]["kind"].as_str().unwrap();
        if ["app_configuration", "container_registry", "resource_group"].contains(&kind) {
            assert!(
                a["scope"]["azure_name"].as_str().unwrap().starts_with("param:")
                    || a["scope"]["azure_name"] == "resourceGroup",
                "{a:#?}"
            );
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", &format!("{DIR}/ssm-and-logs-patterns"), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("E2A045"), "{err}");
}

#[test]
fn cosmos_excess_gives_the_true_reason() {
    let d = format!("{DIR}/cosmos-writer-custom-roles-on");
    let p = plan_json(&["--config", &format!("{d}/eks2aks.yaml"), &d]);
    let f = super::messages(&p, "E2A021");
    let writer: Vec<&String> = f.iter().filter(|m| m.contains("identity `writer`")).collect();
    assert_eq!(writer.len(), 1, "{f:#?}");
    assert!(!writer[0].contains("switched off"), "custom roles are on: {}", writer[0]);
    assert!(writer[0].contains("Cosmos DB"), "{}", writer[0]);
}
