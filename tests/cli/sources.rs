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

/// (identity, namespace/name of each ServiceAccount, file of each federated credential's ServiceAccount) of a plan.
fn identities(p: &Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = p["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let sas = i["service_accounts"].as_array().unwrap();
            let sas =
                sas.iter().map(|s| format!("{}/{}", s["namespace"].as_str().unwrap(), s["name"].as_str().unwrap()));
            (i["name"].as_str().unwrap().to_string(), sas.collect())
        })
        .collect();
    out.sort();
    out
}

/// Review 2, p10 and p11: an association of cluster-a (describe output, or an eksctl ClusterConfig) binds
/// cluster-a's ServiceAccount only; cluster-b's ServiceAccount of the same name gets no identity and its manifest
/// no client id (never cross).
#[test]
fn a_pod_identity_association_binds_only_its_clusters_service_account() {
    for case in ["pod-identity-two-clusters", "pod-identity-two-clusters-eksctl"] {
        let input = format!("{DIR}/{case}");
        let p = plan_json(&[&input]);
        assert_eq!(identities(&p), vec![("pi-a".to_string(), vec!["app/worker".to_string()])], "{case}");
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join("out");
        let (code, _, err) = run(&["translate", &input, "--out", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{case}: {err}");
        let k8s = |c: &str| std::fs::read_to_string(dir.join(format!("k8s/{c}/k8s/app.yaml"))).unwrap();
        assert!(k8s("cluster-a").contains("azure.workload.identity/client-id"), "{case}");
        assert!(!k8s("cluster-b").contains("azure.workload.identity"), "{case}: {}", k8s("cluster-b"));
    }
}

/// When the association's file is no nearer one cluster's ServiceAccount than the other's, the cluster cannot be
/// known: E2A124 at the association, and neither ServiceAccount is bound.
#[test]
fn a_pod_identity_association_whose_cluster_cannot_be_known_binds_none() {
    let p = plan_json(&[&format!("{DIR}/pod-identity-cluster-unknown")]);
    assert_eq!(identities(&p), vec![]);
    let f = findings(&p, "E2A124");
    assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
    assert_eq!(f[0]["file"], "testdata/fixtures/sources/pod-identity-cluster-unknown/eks/describe.json");
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.contains("cluster-a/k8s/app.yaml:1") && m.contains("cluster-b/k8s/app.yaml:1"), "{m}");
}

/// Review 2, p01 and p12: IRSA (an annotation, or eksctl `attachRoleARN`) and a Pod Identity association for one
/// ServiceAccount: the SDKs' default chain uses web identity before the container credentials, so the IRSA role is
/// in force and E2A126 names the association's role as ignored.
#[test]
fn irsa_wins_over_pod_identity_and_the_ignored_role_is_named() {
    let cases = [
        ("irsa-and-pod-identity", "irsa-role", "pi-role", "app/worker"),
        ("eksctl-irsa-and-pod-identity", "pi-b", "pi-a", ""),
    ];
    for (case, used, ignored, sa) in cases {
        let p = plan_json(&[&format!("{DIR}/{case}")]);
        let ids = identities(&p);
        assert_eq!(ids.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec![used], "{case}: {ids:?}");
        if !sa.is_empty() {
            assert_eq!(ids[0].1, vec![sa.to_string()], "{case}");
        }
        let f = findings(&p, "E2A126");
        assert_eq!(f.len(), 1, "{case}: {:#?}", p["findings"]);
        let m = f[0]["message"].as_str().unwrap();
        assert!(m.contains(&format!("run as `arn:aws:iam::111122223333:role/{used}`")), "{m}");
        assert!(m.contains(&format!("role `arn:aws:iam::111122223333:role/{ignored}` is ignored")), "{m}");
    }
}

/// Review 2, p02 and p05: two Pod Identity associations with different roles for one ServiceAccount contradict
/// each other: E2A125 names both files and lines, neither role is translated, and the result does not depend on
/// the files' names (order).
#[test]
fn two_disagreeing_pod_identity_associations_are_an_error_whatever_the_file_order() {
    let src = format!("{DIR}/two-pod-identity-associations");
    let tmp = tempfile::tempdir().unwrap();
    let renamed = tmp.path().join("renamed");
    super::copy_dir(&src, &renamed);
    std::fs::rename(renamed.join("eks/cluster.yaml"), renamed.join("eks/z-cluster.yaml")).unwrap();
    std::fs::rename(renamed.join("eks/describe.json"), renamed.join("eks/a-describe.json")).unwrap();
    let mut seen = Vec::new();
    for input in [src.as_str(), renamed.to_str().unwrap()] {
        let p = plan_json(&[input]);
        assert_eq!(identities(&p), vec![], "{input}");
        let f = findings(&p, "E2A125");
        assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
        let m = f[0]["message"].as_str().unwrap().replace(input, "IN");
        assert!(m.contains("role/pi-a` at IN/eks/") && m.contains("role/pi-b` at IN/eks/"), "{m}");
        assert_eq!(run(&["check", input]).0, 1);
        seen.push(m.replace("z-cluster", "cluster").replace("a-describe", "describe"));
    }
    assert_eq!(seen[0], seen[1]);
}

/// An eksctl `iam.serviceAccounts` entry that attaches another role than the ServiceAccount's own annotation: the
/// annotation's role is translated (it is in force whenever the manifest is applied after eksctl, and eksctl does
/// not override an existing ServiceAccount without `--override-existing-serviceaccounts`), and E2A127 names the
/// eksctl role as not translated — it used to be dropped with no finding.
#[test]
fn an_eksctl_irsa_role_other_than_the_annotation_is_named() {
    let p = plan_json(&[&format!("{DIR}/eksctl-irsa-vs-annotation")]);
    let ids = identities(&p);
    assert_eq!(ids, vec![("role-a".to_string(), vec!["app/worker".to_string()])], "{ids:?}");
    let f = findings(&p, "E2A127");
    assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
    assert_eq!(f[0]["severity"], "warning");
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.contains("role `arn:aws:iam::111122223333:role/role-a`"), "{m}");
    assert!(m.contains("role `arn:aws:iam::111122223333:role/role-b` is not translated"), "{m}");
    assert!(f[0]["file"].as_str().unwrap().ends_with("eks/cluster.yaml"), "{:#?}", f[0]);
}

/// Two eksctl configs of one cluster attach two roles to one ServiceAccount (no annotation): the role eksctl
/// writes is the last config applied, so the input contradicts itself — E2A128 names both, neither is translated,
/// and the result does not depend on the files' names (it used to take the first file by name, silently).
#[test]
fn two_disagreeing_eksctl_irsa_entries_are_an_error_whatever_the_file_order() {
    let src = format!("{DIR}/two-eksctl-irsa-entries");
    let tmp = tempfile::tempdir().unwrap();
    let renamed = tmp.path().join("renamed");
    super::copy_dir(&src, &renamed);
    std::fs::rename(renamed.join("eks/cluster.yaml"), renamed.join("eks/0-cluster.yaml")).unwrap();
    let mut seen = Vec::new();
    for input in [src.as_str(), renamed.to_str().unwrap()] {
        let p = plan_json(&[input]);
        assert_eq!(identities(&p), vec![], "{input}");
        let f = findings(&p, "E2A128");
        assert_eq!(f.len(), 1, "{:#?}", p["findings"]);
        assert_eq!(f[0]["severity"], "error");
        let m = f[0]["message"].as_str().unwrap().replace(input, "IN");
        assert!(m.contains("role/role-a` at IN/eks/") && m.contains("role/role-b` at IN/eks/"), "{m}");
        assert_eq!(run(&["check", input]).0, 1);
        seen.push(m.replace("0-cluster", "cluster"));
    }
    let mut sorted: Vec<Vec<&str>> = seen.iter().map(|m| m.split("; ").collect()).collect();
    sorted.iter_mut().for_each(|v| v.sort());
    assert_eq!(sorted[0], sorted[1]);
}

const GUARDS: &str = "testdata/fixtures/sources/guards";

/// Review 2, w01: the guard that makes `translate` refuse a grant wider than the IAM role (E2A045) cannot be
/// switched off or downgraded through `rules:` (by code or by name): a config error at the line, exit 2, nothing
/// written. `E2A045: error` (no change) stays accepted.
#[test]
fn the_wider_grant_guard_cannot_be_downgraded_through_rules() {
    let maps = format!("{GUARDS}/maps");
    for (cfg, line) in [
        ("cfg-off.yaml", "E2A045: off"),
        ("cfg-note.yaml", "E2A045: note"),
        ("cfg-name.yaml", "grant-wider-than-aws: warning"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let c = format!("{GUARDS}/{cfg}");
        let (code, _, err) = run(&[
            "--config",
            &c,
            "--mappings",
            &maps,
            "translate",
            &format!("{GUARDS}/in"),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{cfg}: {err}");
        assert!(err.contains(&format!("{cfg}:2")) && err.contains(line), "{cfg}: {err}");
        assert!(err.contains("cannot be downgraded"), "{cfg}: {err}");
        assert!(!out.exists(), "{cfg}: nothing written");
    }
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c.yaml");
    std::fs::write(&c, "rules:\n  E2A045: error\n").unwrap();
    let (code, out, err) =
        run(&["--config", c.to_str().unwrap(), "--mappings", &maps, "check", &format!("{GUARDS}/in")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("E2A045"), "{out}");
}

/// Review 2, w01/in2 (7 in the report): a waiver is accepted only from a ServiceAccount that gets the identity.
/// other-team/helper names the role, but the trust admits only demo/app, so helper's `E2A045` waiver does not
/// cover the role's finding: `translate` still refuses.
#[test]
fn only_a_service_account_the_trust_admits_waives_for_its_role() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let maps = format!("{GUARDS}/maps");
    let (code, _, err) =
        run(&["--mappings", &maps, "translate", &format!("{GUARDS}/in2"), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[E2A045]") && err.contains("translate refused"), "{err}");
    assert!(!out.exists());
}
