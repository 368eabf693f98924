//! Grants a hostile review found wider than AWS (review of 7f7888f): each case is a fixture under
//! `testdata/fixtures/grants/`, planned as it is and with one statement varied.

use crate::{copy_dir, plan_json};
use serde_json::Value;
use std::path::Path;

/// Plans a copy of fixture `name` with `from` replaced by `to` in its IAM export.
fn plan_varied(name: &str, from: &str, to: &str) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new("testdata/fixtures/grants").join(name), tmp.path());
    let iam = tmp.path().join("iam/auth.json");
    let text = std::fs::read_to_string(&iam).unwrap();
    assert!(text.contains(from), "{from} not in {name}");
    std::fs::write(&iam, text.replacen(from, to, 1)).unwrap();
    plan_json(&[tmp.path().to_str().unwrap()])
}

/// (role, kind, Azure name) of every assignment.
fn assignments(p: &Value) -> Vec<(String, String, String)> {
    crate::role_assignments(p)
        .map(|a| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&a["role_name"]), s(&a["scope"]["kind"]), s(&a["scope"]["azure_name"]))
        })
        .collect()
}

fn findings<'a>(p: &'a Value, code: &str) -> Vec<&'a str> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["message"].as_str().unwrap())
        .collect()
}

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db";

/// A Deny on the secret the workload reads — its exact ARN, `??????` for the suffix, or `-*` — leaves no grant
/// on it (the Deny was once compared with the ARN less its suffix, and ignored).
#[test]
fn a_deny_on_a_secrets_full_arn_is_honoured() {
    for deny in ["prod/db-AbCdEf", "prod/db-??????", "prod/db-*"] {
        let p = plan_varied(
            "secret-deny-exact",
            &format!("{SECRET}-AbCdEf\""),
            &format!("{}\"", SECRET.replace("prod/db", deny)),
        );
        let a = assignments(&p);
        assert!(a.iter().all(|(_, kind, _)| kind != "secret" && kind != "key_vault"), "{deny}: {a:?}");
        assert!(findings(&p, "E2A045").is_empty(), "{deny}: {:?}", findings(&p, "E2A045"));
        let e036 = findings(&p, "E2A036");
        assert!(e036.iter().any(|m| m.contains("prod/db")), "{deny}: the reference is reported: {e036:?}");
    }
}

/// An Allow on a secret ARN without its six-character suffix matches no secret on AWS (E2A047, nothing granted);
/// one with another suffix is another secret, not the one the workload reads.
#[test]
fn an_allow_on_another_secret_arn_grants_nothing_on_the_one_read() {
    let allow = "secret:prod/*\"";
    let p = plan_varied("secret-deny-exact", allow, "secret:prod/db\"");
    assert!(assignments(&p).is_empty(), "{:?}", assignments(&p));
    let e047 = findings(&p, "E2A047");
    assert!(e047.len() == 1 && e047[0].contains("secret:prod/db`"), "{e047:?}");

    let p = plan_varied("secret-deny-exact", allow, "secret:prod/db-ZZZZZZ\"");
    let a = assignments(&p);
    let read = read_secret_name(&p);
    assert!(a.iter().all(|(_, _, name)| *name != read), "the workload's secret `{read}` is not granted: {a:?}");
    assert!(findings(&p, "E2A045").is_empty(), "{:?}", findings(&p, "E2A045"));
}

/// The Key Vault secret name the plan gives the secret the Deployment reads (`prod/db-AbCdEf`).
fn read_secret_name(p: &Value) -> String {
    p["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["aws_arn"].as_str().is_some_and(|a| a.ends_with("-AbCdEf") || a == SECRET))
        .and_then(|r| r["azure_name"].as_str())
        .unwrap_or("prod-db")
        .to_string()
}

/// An S3 ARN with a region and an account matches nothing (S3 ARNs have neither): in a Deny it is reported
/// (E2A047) and takes nothing away; it is no resource, so the real bucket keeps its name (it was renamed, E2A038,
/// against a phantom container).
#[test]
fn a_deny_on_a_malformed_s3_arn_is_reported_and_makes_no_resource() {
    let p = plan_json(&["testdata/fixtures/grants/s3-deny-with-region"]);
    let e047 = findings(&p, "E2A047");
    assert!(
        e047.len() == 1 && e047[0].contains("Deny Resource `arn:aws:s3:us-east-1:111122223333:acme-data/secret/*`"),
        "{e047:?}"
    );
    assert!(findings(&p, "E2A038").is_empty(), "{:?}", findings(&p, "E2A038"));
    let names: Vec<&str> =
        p["resources"].as_array().unwrap().iter().map(|r| r["azure_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme-data"]);
    let a = assignments(&p);
    assert!(a.len() == 1 && a[0].2 == "acme-data", "{a:?}");
    assert!(findings(&p, "E2A045").is_empty());
}

/// An SQS consumer (Receive, Delete, ChangeMessageVisibility, GetQueueAttributes) never gets a data action that
/// sends: Azure's only permission for Update Message, `messages/write`, also authorizes Put Message (review r22b:
/// it got Storage Queue Data Contributor, with no finding). The queue gets the Message Processor role (peek, get,
/// delete) and the Reader role (GetQueueAttributes), built-in roles that hold neither `messages/write` nor
/// `messages/add/action`, and ChangeMessageVisibility is reported as not translated, with that reason.
#[test]
fn an_sqs_consumer_gets_no_permission_to_send() {
    let p = plan_json(&["testdata/fixtures/grants/sqs-consumer"]);
    let mut roles: Vec<(String, bool)> = crate::role_assignments(&p)
        .filter(|a| a["scope"]["kind"] == "queue" && a["scope"]["azure_name"] == "orders")
        .map(|a| (a["role_name"].as_str().unwrap().to_string(), a["custom"] == true))
        .collect();
    roles.sort();
    let expected = [("Storage Queue Data Message Processor", false), ("Storage Queue Data Reader", false)];
    assert_eq!(roles, expected.map(|(r, c)| (r.to_string(), c)), "{:?}", assignments(&p));
    let e016 = findings(&p, "E2A016");
    assert!(
        e016.iter().any(|m| m.contains("sqs:ChangeMessageVisibility") && m.contains("also authorizes Put Message")),
        "{e016:?}"
    );
    assert!(findings(&p, "E2A045").is_empty(), "{:?}", findings(&p, "E2A045"));
}
