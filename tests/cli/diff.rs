//! Issue 23: `eks2aks diff BASE HEAD`, the Azure side of a pull request, on pairs of input trees
//! (`testdata/diff/<pair>/{base,head}`, each pair's README says what it shows).

use crate::run;
use serde_json::Value;

fn pair(name: &str) -> (String, String) {
    (format!("testdata/diff/{name}/base"), format!("testdata/diff/{name}/head"))
}

fn diff_json(base: &str, head: &str) -> Value {
    let (code, out, err) = run(&["diff", base, head, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("diff JSON parses")
}

/// (category, change, escalation, subject) of every change.
fn changes(d: &Value) -> Vec<(String, String, bool, String)> {
    d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
                c["escalation"].as_bool().unwrap(),
                c["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const BLOB_WRITE: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write";

#[test]
fn a_write_action_added_to_a_policy_is_an_escalation_in_the_markdown_and_fails_the_gate() {
    let (b, h) = pair("write-action");
    let (code, md, err) = run(&["diff", &b, &h, "--format", "markdown", "--fail-on", "escalation"]);
    assert_eq!(code, 1, "access widens: {err}");
    assert!(err.contains("1 privilege increase"), "{err}");
    let section = md.split("### Privilege increases").nth(1).expect("a privilege-increase section");
    let first = section.lines().find(|l| l.starts_with("- ")).unwrap();
    assert!(first.contains("**added role assignment** `media-uploader`"), "{first}");
    assert!(first.contains("on `container` `uploads`"), "the scope is named: {first}");
    assert!(first.contains(&format!("new data actions on this scope: `{}", "Microsoft.Storage")), "{first}");
    assert!(first.contains(BLOB_WRITE), "the new Azure data action: {first}");
    assert!(md.contains("| Role assignments | 1 | 1 | 0 | 1 |"), "summary table: {md}");
    assert!(md.contains("<details><summary>Role assignments (2)</summary>"), "{md}");
    // Without the flag the diff only reports.
    let (code, _, _) = run(&["diff", &b, &h, "--format", "markdown"]);
    assert_eq!(code, 0);
}

#[test]
fn escalations_come_first_and_the_json_names_them() {
    let (b, h) = pair("write-action");
    let d = diff_json(&b, &h);
    assert_eq!(d["schema"], "eks2aks/diff/v1");
    assert_eq!(d["escalations"], 1);
    let c = changes(&d);
    assert!(c[0].2 && c[0].0 == "role_assignment" && c[0].1 == "added", "{c:?}");
    assert!(c[1..].iter().all(|x| !x.2), "{c:?}");
    let details = d["changes"][0]["details"][0]["values"].as_array().unwrap();
    assert!(details.iter().any(|v| v == BLOB_WRITE), "{details:?}");
    assert!(
        !details.iter().any(|v| v.as_str().unwrap().ends_with("blobs/read")),
        "read was granted before: {details:?}"
    );
}

#[test]
fn removing_the_write_action_again_adds_no_data_action_but_the_built_in_roles_control_plane_actions() {
    // HEAD → BASE: the custom role (data actions only) gives way to Storage Blob Data Reader, whose data action
    // (read) was granted before, but whose control-plane actions (`containers/read`, user delegation keys) were
    // not: still an increase, and the details say which.
    let (b, h) = pair("write-action");
    let (code, out, err) = run(&["diff", &h, &b, "--fail-on", "escalation"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("new data actions"), "{out}");
    assert!(
        out.contains("new actions on this scope: Microsoft.Storage/storageAccounts/blobServices/containers/read"),
        "{out}"
    );
}

#[test]
fn an_identity_removed_is_listed_everywhere_and_is_no_escalation() {
    let (b, h) = pair("identity-removed");
    let d = diff_json(&b, &h);
    assert_eq!(d["escalations"], 0);
    let c = changes(&d);
    assert!(c.iter().all(|x| x.1 == "removed"), "{c:?}");
    for cat in ["role_assignment", "federated_credential", "identity", "workload", "resource", "manifest_edit"] {
        assert!(c.iter().any(|x| x.0 == cat), "{cat} missing: {c:?}");
    }
    assert!(c.iter().any(|x| x.0 == "identity" && x.3 == "media-reporter"), "{c:?}");
    // The manifest files are named relative to each tree, so unchanged objects are not listed.
    assert!(!c.iter().any(|x| x.3.contains("uploader") && x.0 == "manifest_edit"), "{c:?}");
    let (code, _, _) = run(&["diff", &b, &h, "--fail-on", "escalation"]);
    assert_eq!(code, 0);
}

#[test]
fn a_narrowed_scope_is_no_escalation_and_a_widened_one_is() {
    let (b, h) = pair("scope-narrowed");
    let d = diff_json(&b, &h);
    assert_eq!(d["escalations"], 0, "{d:#}");
    let c = changes(&d);
    assert!(c.iter().any(|x| x.1 == "added" && x.3.ends_with("on container uploads")), "{c:?}");
    assert!(
        c.iter().any(|x| x.1 == "removed" && x.3.ends_with("on storage_account param:storageAccountName")),
        "{c:?}"
    );
    // The other way round, the scope widens from one container to the storage account.
    let (code, out, _) = run(&["diff", &h, &b, "--fail-on", "escalation"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("! + added role assignment"), "{out}");
    assert!(out.contains("storage_account param:storageAccountName"), "{out}");
}

#[test]
fn a_new_subject_on_a_credential_is_an_escalation() {
    let (b, h) = pair("new-subject");
    let (code, out, _) = run(&["diff", &b, &h, "--fail-on", "escalation"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .contains("federated credential: system:serviceaccount:media:thumbnailer signs in as media-uploader"),
        "{out}"
    );
    let d = diff_json(&b, &h);
    assert_eq!(d["escalations"], 1);
}

#[test]
fn plan_json_files_diff_like_their_trees() {
    let (b, h) = pair("write-action");
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (side, dir) in [("base", &b), ("head", &h)] {
        let (code, plan, err) = run(&["plan", dir, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let p = tmp.path().join(format!("{side}.json"));
        std::fs::write(&p, plan).unwrap();
        paths.push(p.to_string_lossy().into_owned());
    }
    let from_files = diff_json(&paths[0], &paths[1]);
    let from_trees = diff_json(&b, &h);
    // Each plan names its files under its own tree; the diff names them relative to it either way.
    assert_eq!(from_files, from_trees);
    let (code, _, _) = run(&["diff", &paths[0], &paths[1], "--fail-on", "escalation"]);
    assert_eq!(code, 1);
}

#[test]
fn the_same_trees_give_no_change_and_output_is_deterministic() {
    let (b, _) = pair("identity-removed");
    let (code, out, _) = run(&["diff", &b, &b, "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(out.contains("No change on the Azure side."), "{out}");
    let (b, h) = pair("identity-removed");
    let one = run(&["diff", &b, &h, "--format", "markdown"]);
    let two = run(&["diff", &b, &h, "--format", "markdown"]);
    assert_eq!(one, two);
}

#[test]
fn a_missing_side_is_a_usage_error() {
    let (code, _, err) = run(&["diff", "testdata/diff/nope", "testdata/diff/write-action/head"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("testdata/diff/nope"), "{err}");
}

/// plan.md gathers the picture's edges from the plan's types, the diff from plan.json values (a side may be a
/// file): the two must draw the same graph of one plan.
#[test]
fn the_plan_markdown_and_the_diff_draw_the_same_graph_of_one_plan() {
    let block = |md: &str| md.split("```mermaid").nth(1).and_then(|r| r.split("```").next()).map(str::to_string);
    for example in ["edw-keda", "pod-identity", "dns-and-secrets", "custom-resources"] {
        let dir = format!("testdata/examples/{example}");
        let (code, md, err) = run(&["plan", "--format", "markdown", &dir]);
        assert_eq!(code, 0, "{err}");
        let (_, json, _) = run(&["plan", "--format", "json", &dir]);
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("plan.json");
        std::fs::write(&p, json).unwrap();
        let p = p.to_str().unwrap();
        let (_, diff_md, err) = run(&["diff", "--format", "markdown", p, p]);
        let (a, b) = (block(&md), block(&diff_md));
        assert!(a.is_some(), "{example}: plan.md has a graph");
        assert_eq!(a, b, "{example}: {err}");
    }
}

#[test]
fn a_deny_added_narrows_the_condition_and_is_no_escalation() {
    // Review 2, defect 11: HEAD adds `Deny s3:GetObject` on `secret/*`, so the Reader's condition gains a conjunct
    // (BASE's listing limit stays one of its terms). A conjunction with more terms allows less: no escalation, and
    // no action granted before is called new.
    let (b, h) = pair("deny-added");
    let (code, out, err) = run(&["diff", &b, &h, "--fail-on", "escalation"]);
    assert_eq!(code, 0, "a narrowing is no escalation: {out}{err}");
    assert!(out.contains("condition changed"), "the change is still listed: {out}");
    assert!(!out.contains("new data actions") && !out.contains("new actions"), "{out}");
}

#[test]
fn a_deny_removed_loosens_the_condition_and_lists_no_control_plane_action_as_new() {
    // The other way round the condition loses a term: blob reads reach more of the container (an escalation), but
    // the role's control-plane actions were granted before — an ABAC condition only restricts the actions its
    // `ActionMatches` name — so they are not new.
    let (b, h) = pair("deny-added");
    let (code, out, err) = run(&["diff", &h, &b, "--fail-on", "escalation"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "data actions on more of this scope (its condition allows more): Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
        ),
        "{out}"
    );
    assert!(!out.contains("new actions on this scope"), "{out}");
    assert!(!out.contains("new data actions"), "read was granted before, under a narrower condition: {out}");
}

// Review 4, r19: a plan.json of a schema this eks2aks does not read (`eks2aks/plan/v2`, or any other `schema`) was
// read as an input tree holding nothing, so every grant looked removed and `--fail-on escalation` passed. It is
// malformed input for `diff`: exit 2, nothing compared.
#[test]
fn a_plan_json_of_another_schema_is_an_error_not_an_empty_side() {
    let (base, head) = pair("write-action");
    let tmp = tempfile::tempdir().unwrap();
    let (code, plan, err) = run(&["plan", "--format", "json", &head]);
    assert_eq!(code, 0, "{err}");
    let base_plan = tmp.path().join("base.plan.json");
    let (code, base_json, err) = run(&["plan", "--format", "json", &base]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&base_plan, base_json).unwrap();
    for schema in ["eks2aks/plan/v2", "something/else"] {
        let other = tmp.path().join("head.plan.json");
        std::fs::write(&other, plan.replacen("\"eks2aks/plan/v1\"", &format!("{schema:?}"), 1)).unwrap();
        let (code, out, err) =
            run(&["diff", base_plan.to_str().unwrap(), other.to_str().unwrap(), "--fail-on", "escalation"]);
        assert_eq!(code, 2, "{schema}: {out}{err}");
        assert!(err.contains(&format!("schema `{schema}`")) && err.contains("eks2aks/plan/v1"), "{err}");
        assert!(out.is_empty(), "nothing compared: {out}");
    }
}
