//! Privileges translated exactly or reported (never widen silently; a finding never contradicts an output): a
//! Route 53 role that may change record sets but not read them, Denies with wildcards that withdraw or narrow an
//! Allow's grant, and resources of another AWS partition than the role's. Fixtures under
//! `testdata/fixtures/grants/` and `testdata/fixtures/route53/`, planned as they are and with one statement varied.

use crate::{copy_dir, messages, plan_json, run};
use serde_json::Value;
use std::path::Path;

/// A copy of fixture `testdata/fixtures/<name>` in a temporary directory, with `from` replaced by `to` in the
/// file `file` (when `from` is not empty).
fn varied(name: &str, file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new("testdata/fixtures").join(name), tmp.path());
    if !from.is_empty() {
        let path = tmp.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} not in {name}/{file}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
    tmp
}

/// (role, Azure name) of every assignment.
fn assignments(p: &Value) -> Vec<(String, String)> {
    crate::role_assignments(p)
        .map(|a| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (s(&a["role_name"]), s(&a["scope"]["azure_name"]))
        })
        .collect()
}

/// The findings with one code, as (line, message).
fn at(p: &Value, code: &str) -> Vec<(u64, String)> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| (f["line"].as_u64().unwrap_or_default(), f["message"].as_str().unwrap().to_string()))
        .collect()
}

// Defect: an `arn:aws-cn:` resource in a policy of an `arn:aws` role was granted, then refused by the soundness
// check (E2A045 naming `arn:aws:s3:::app-data-cn`, which says nothing about partitions), so `translate` wrote
// nothing.
#[test]
fn a_resource_of_another_partition_is_reported_and_granted_nothing() {
    let dir = "testdata/fixtures/grants/s3-other-partition";
    let plan = plan_json(&[dir]);
    assert_eq!(assignments(&plan), [("Storage Blob Data Reader".to_string(), "app-data".to_string())]);
    assert!(messages(&plan, "E2A045").is_empty(), "{:#}", plan["findings"]);
    let found = at(&plan, "E2A135");
    assert_eq!(found.len(), 1, "{found:?}");
    let (line, msg) = &found[0];
    assert_eq!(*line, 42, "{msg}");
    assert!(msg.contains("`arn:aws-cn:s3:::app-data-cn/*`") && msg.contains("partition `aws-cn`"), "{msg}");
    assert!(msg.contains("role is in partition `aws`") && msg.contains("nothing is granted"), "{msg}");
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let (code, stdout, err) = run(&["translate", dir, "--out", o.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(o.join("plan.json").is_file());
}

// A role of `aws-cn` (or `aws-us-gov`) is granted its own partition's resources, and the soundness check tries them
// in that partition (it tried `arn:aws:s3:::…` samples, so every aws-cn grant was E2A045).
#[test]
fn a_role_of_another_partition_keeps_its_own_resources() {
    for partition in ["aws-cn", "aws-us-gov"] {
        let tmp = varied("grants/s3-other-partition", "", "", "");
        let iam = tmp.path().join("iam/auth.json");
        let text = std::fs::read_to_string(&iam).unwrap();
        // The role, its provider and its own bucket move to `partition`; the second bucket moves to `aws`.
        let text = text
            .replace("arn:aws:", &format!("arn:{partition}:"))
            .replace("arn:aws-cn:s3:::app-data-cn/*", "arn:aws:s3:::app-data-cn/*");
        std::fs::write(&iam, text).unwrap();
        let k8s = tmp.path().join("k8s/app.yaml");
        let text = std::fs::read_to_string(&k8s).unwrap().replace("arn:aws:", &format!("arn:{partition}:"));
        std::fs::write(&k8s, text).unwrap();
        let plan = plan_json(&[tmp.path().to_str().unwrap()]);
        let granted: Vec<String> = assignments(&plan).into_iter().map(|a| a.1).collect();
        assert!(granted.iter().any(|n| n.starts_with("app-data")), "{partition}: {granted:?}");
        assert!(!granted.iter().any(|n| n.starts_with("app-data-cn")), "{partition}: {granted:?}");
        assert!(messages(&plan, "E2A045").is_empty(), "{partition}: {:#}", plan["findings"]);
        let other = messages(&plan, "E2A135");
        assert_eq!(other.len(), 1, "{partition}: {other:?}");
        assert!(other[0].contains(&format!("role is in partition `{partition}`")), "{}", other[0]);
    }
}

// Defect: a Route 53 role that may change record sets but not read them (cert-manager's `ChangeResourceRecordSets`
// on its zone, `GetChange`) got DNS Zone Contributor, which also reads the zone and every record set, with no
// finding. Decision: the role is kept (cert-manager's azureDNS solver reads the TXT record set before it writes it,
// external-dns lists record sets; an exact write-only custom role would break both), and E2A133 names the reads.
#[test]
fn a_write_only_route53_role_keeps_the_dns_write_role_and_its_reads_are_reported() {
    let dir = "testdata/fixtures/route53/write-only-role";
    let plan = plan_json(&[dir, "--config", &format!("{dir}/eks2aks.yaml")]);
    assert_eq!(assignments(&plan), [("DNS Zone Contributor".to_string(), "example.com".to_string())]);
    let found = at(&plan, "E2A133");
    assert_eq!(found.len(), 1, "{:#}", plan["findings"]);
    let msg = &found[0].1;
    for read in [
        "Microsoft.Network/dnszones/read",
        "Microsoft.Network/dnszones/all/read",
        "Microsoft.Network/dnszones/recordsets/read",
        "route53:ListResourceRecordSets",
        "route53:GetHostedZone",
    ] {
        assert!(msg.contains(read), "{read}: {msg}");
    }
    assert!(msg.contains("`DNS Zone Contributor` on dns_zone `example.com`"), "{msg}");
    assert!(!msg.contains("/TXT/write"), "the writes are the need, not the excess: {msg}");
    // The finding and the output agree: the reads it names are what the assigned role grants beyond the writes.
    let a = crate::role_assignments(&plan).next().unwrap();
    assert_eq!(a["aws_actions"], serde_json::json!(["route53:ChangeResourceRecordSets"]));
}

// Near misses: a role that reads and writes Route 53 (nothing beyond its reads and writes is read), and a read-only
// role (Reader), get no E2A133.
#[test]
fn a_route53_role_that_reads_what_it_writes_gets_no_read_finding() {
    let tmp = varied(
        "route53/write-only-role",
        "iam.json",
        "\"Action\": \"route53:ChangeResourceRecordSets\"",
        "\"Action\": [\"route53:ChangeResourceRecordSets\", \"route53:ListResourceRecordSets\", \"route53:GetHostedZone\"]",
    );
    let cfg = tmp.path().join("eks2aks.yaml");
    let plan = plan_json(&[tmp.path().to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    assert_eq!(assignments(&plan), [("DNS Zone Contributor".to_string(), "example.com".to_string())]);
    assert!(at(&plan, "E2A133").is_empty(), "{:#}", plan["findings"]);
    let dir = "testdata/fixtures/route53/read-only-role";
    let plan = plan_json(&[dir, "--config", &format!("{dir}/eks2aks.yaml")]);
    assert!(at(&plan, "E2A133").is_empty(), "{:#}", plan["findings"]);
}

const DENY_WILDCARD: &str = "grants/s3-deny-wildcard";
const THE_DENY: &str = "\"Action\": \"s3:Get*\",\n                \"Resource\": \"arn:aws:s3:::app-*/*\"";

/// Plans the wildcard-Deny fixture with its Deny's Action and Resource replaced by `deny` (as JSON members).
fn plan_with_deny(deny: &str) -> Value {
    let tmp = varied(DENY_WILDCARD, "iam/auth.json", THE_DENY, deny);
    plan_json(&[tmp.path().to_str().unwrap()])
}

/// The one E2A134 of a plan: its line and message, which names the Allow (line 34) it withdraws from.
fn withdrawn(plan: &Value) -> (u64, String) {
    let found = at(plan, "E2A134");
    assert_eq!(found.len(), 1, "{:#}", plan["findings"]);
    let (line, msg) = found[0].clone();
    assert_eq!(line, 39, "at the Deny: {msg}");
    assert!(msg.contains("the Allow at line 34 (policy `inline`)"), "{msg}");
    assert!(msg.contains("`s3:GetObject`") && msg.contains("container `app-data`"), "{msg}");
    (line, msg)
}

// Defect (an earlier review): Allow `s3:GetObject` on `app-data/*`, Deny `s3:Get*` on `app-*/*`: GetObject
// disappeared from the output and nothing said why.
#[test]
fn a_wildcard_deny_that_covers_a_grant_withdraws_it_and_says_which_allow_and_deny() {
    let plan = plan_json(&[&format!("testdata/fixtures/{DENY_WILDCARD}")]);
    assert!(assignments(&plan).is_empty(), "{:#}", plan["identities"]);
    let (_, msg) = withdrawn(&plan);
    assert!(msg.contains("withdraws"), "{msg}");
    assert!(at(&plan, "E2A019").is_empty(), "the subtraction is exact: {:#}", plan["findings"]);
    // E2A036 says a Deny names the bucket, not that the grant was not translated.
    let e2a036 = messages(&plan, "E2A036");
    assert!(e2a036.iter().all(|m| m.contains("a Deny names it")), "{e2a036:?}");
}

// A wildcard Deny on part of the bucket (`app-*/secret/*`) withdrew the whole grant, with no finding; the exact
// exclusion is every key `app-data/<key>` the pattern matches: `secret/*` and `*/secret/*` (its `*` spans `/`).
#[test]
fn a_wildcard_deny_on_part_of_a_bucket_narrows_the_grant_exactly() {
    let plan =
        plan_with_deny("\"Action\": \"s3:Get*\",\n                \"Resource\": \"arn:aws:s3:::app-*/secret/*\"");
    assert_eq!(assignments(&plan), [("Storage Blob Data Reader".to_string(), "app-data".to_string())]);
    let a = crate::role_assignments(&plan).next().unwrap();
    let cond = a["condition"].as_str().unwrap();
    assert!(cond.contains("StringNotLike 'secret/*'") && cond.contains("StringNotLike '*/secret/*'"), "{cond}");
    let (_, msg) = withdrawn(&plan);
    assert!(msg.contains("narrows") && msg.contains("`secret/*`") && msg.contains("`*/secret/*`"), "{msg}");
    assert!(at(&plan, "E2A019").is_empty(), "exact: {:#}", plan["findings"]);
}

// A Deny under a condition Azure cannot evaluate is taken as always true: the grant is withdrawn (narrower than
// AWS), E2A019 says why and E2A134 which Allow lost what.
#[test]
fn a_conditioned_wildcard_deny_withdraws_the_grant_and_says_it_is_narrower() {
    let plan = plan_with_deny(
        "\"Action\": \"s3:Get*\",\n                \"Resource\": \"arn:aws:s3:::app-*/*\",\n                \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}",
    );
    assert!(assignments(&plan).is_empty(), "{:#}", plan["identities"]);
    withdrawn(&plan);
    let e2a019 = at(&plan, "E2A019");
    assert_eq!(e2a019.len(), 1, "{e2a019:?}");
    assert!(e2a019[0].1.contains("aws:SecureTransport"), "{}", e2a019[0].1);
}

// `NotAction` and `NotResource` Denies, and an action wildcard on the exact resource, withdraw the grant the same
// way, exactly and reported.
#[test]
fn not_action_not_resource_and_action_wildcard_denies_withdraw_the_grant_and_say_so() {
    for deny in [
        "\"NotAction\": \"s3:PutObject\",\n                \"Resource\": \"arn:aws:s3:::app-*/*\"",
        "\"Action\": \"s3:Get*\",\n                \"NotResource\": \"arn:aws:s3:::other/*\"",
        "\"Action\": \"s3:*\",\n                \"Resource\": \"arn:aws:s3:::app-data/*\"",
    ] {
        let plan = plan_with_deny(deny);
        assert!(assignments(&plan).is_empty(), "{deny}: {:#}", plan["identities"]);
        withdrawn(&plan);
        assert!(at(&plan, "E2A019").is_empty(), "{deny}: exact: {:#}", plan["findings"]);
    }
}

// A Deny that touches nothing the Allow grants (another bucket's keys) is not reported.
#[test]
fn a_deny_that_misses_the_grant_is_not_reported() {
    let plan = plan_with_deny("\"Action\": \"s3:Get*\",\n                \"Resource\": \"arn:aws:s3:::app-other/*\"");
    assert_eq!(assignments(&plan), [("Storage Blob Data Reader".to_string(), "app-data".to_string())]);
    assert!(at(&plan, "E2A134").is_empty(), "{:#}", plan["findings"]);
}

// A Deny of `s3:ListBucket` against an object grant and a listing grant of one container: the listing is
// withdrawn, the object reads stay. E2A134 says the permission is narrowed (listing removed), and no E2A019
// claims the object reads lost it (they are assigned).
#[test]
fn a_deny_of_listing_narrows_a_container_and_keeps_its_object_reads() {
    let tmp = varied(
        DENY_WILDCARD,
        "iam/auth.json",
        THE_DENY,
        "\"Action\": \"s3:ListBucket\",\n                \"Resource\": \"arn:aws:s3:::app-data\"\n            },\n            {\n                \"Effect\": \"Allow\",\n                \"Action\": \"s3:ListBucket\",\n                \"Resource\": \"arn:aws:s3:::app-data\",\n                \"Condition\": {\"StringLike\": {\"s3:prefix\": \"logs/*\"}}",
    );
    let plan = plan_json(&[tmp.path().to_str().unwrap()]);
    assert_eq!(assignments(&plan), [("Storage Blob Data Reader".to_string(), "app-data".to_string())]);
    let found = at(&plan, "E2A134");
    assert_eq!(found.len(), 1, "{:#}", plan["findings"]);
    let msg = &found[0].1;
    assert!(msg.contains("narrows `containers/blobs/read`") && msg.contains("(listing removed)"), "{msg}");
    assert!(!msg.contains("withdraws"), "{msg}");
    assert!(at(&plan, "E2A019").is_empty(), "GetObject keeps its reads: {:#}", plan["findings"]);
}
