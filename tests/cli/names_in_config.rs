//! AWS names and references in configuration values (issue 21 Deliver 3, issue 20 Deliver 6): names found in
//! values narrow `Resource: "*"` grants and are reported when nothing rewrites them (E2A111); AWS references in
//! custom resources and container args are flagged once (E2A112), never where an edit rewrites them.

use crate::plan_json;
use serde_json::Value;

fn lines_of(plan: &Value, code: &str) -> Vec<(String, u64)> {
    plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| (f["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect()
}

/// The Azure names of the first identity's role assignment scopes, in order.
fn first_identity_scopes(plan: &Value) -> Vec<&str> {
    plan["identities"][0]["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scope"]["azure_name"].as_str().unwrap())
        .collect()
}

#[test]
fn a_bucket_named_only_in_s3a_paths_narrows_the_star_grant_and_is_reported() {
    let plan = plan_json(&["testdata/fixtures/k8s/names-in-config"]);
    assert!(lines_of(&plan, "E2A017").is_empty(), "no grant is widened to the storage account");
    let scopes = first_identity_scopes(&plan);
    assert_eq!(scopes, ["spark-data", "eventscheckpoints"]);
    // The ConfigMap key, then the embedded application.yaml's `output` and `table` lines (not the `notes` line's
    // `events_checkpoints_old`).
    let want: Vec<(String, u64)> = [18, 25, 27].iter().map(|l| ("events-etl.yaml".to_string(), *l)).collect();
    assert_eq!(lines_of(&plan, "E2A111"), want);
}

#[test]
fn aws_references_in_crs_and_args_are_flagged_once_and_rewritten_sections_are_not() {
    let plan = plan_json(&["testdata/fixtures/k8s/aws-refs-in-crs"]);
    let want: Vec<(String, u64)> = [("order-sync.yaml", 23), ("order-sync.yaml", 25), ("order-sync.yaml", 26)]
        .into_iter()
        .chain([("prometheus.yaml", 12), ("prometheus.yaml", 15)])
        .map(|(f, l)| (f.to_string(), l))
        .collect();
    assert_eq!(lines_of(&plan, "E2A112"), want);
}

#[test]
fn values_edits_rewrite_and_add_on_settings_are_not_reported() {
    // edw-keda: its queue URL is rewritten by a value edit. dns-and-secrets: external-dns args, the Route 53
    // solver and the External Secrets store are rewritten sections. addons-cluster: the add-ons' own flags.
    for dir in ["testdata/examples/edw-keda", "testdata/examples/dns-and-secrets", "testdata/examples/addons-cluster"] {
        let plan = plan_json(&[dir]);
        assert!(lines_of(&plan, "E2A111").is_empty(), "{dir}");
        assert!(lines_of(&plan, "E2A112").is_empty(), "{dir}");
    }
}

#[test]
fn a_pod_making_crs_own_s3a_paths_narrow_its_grant_and_are_rewritten_not_reported() {
    let plan = plan_json(&["testdata/fixtures/k8s/names-in-spark-spec"]);
    assert!(lines_of(&plan, "E2A017").is_empty(), "no grant is widened to the storage account");
    let scopes = first_identity_scopes(&plan);
    assert_eq!(scopes, ["spark-jobs", "spark-logs"]);
    // The storage-config rewrite (mappings/storage-configs.yaml, shape `spark`) rewrites both paths: no E2A111,
    // whose "nothing rewrites this value" would contradict the output; the rewrite's placeholders are one E2A140.
    assert!(lines_of(&plan, "E2A111").is_empty(), "the paths are rewritten");
    assert_eq!(lines_of(&plan, "E2A140"), [("spark.yaml".to_string(), 18)]);
    assert!(lines_of(&plan, "E2A112").is_empty(), "the same values are not reported twice");
}
