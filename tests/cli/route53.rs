//! Route 53 → Azure DNS role assignments (issue 20, Deliver 4): a hosted zone's grants land on its Azure DNS zone
//! (named by its domain, from `route53.zones` or a cert-manager solver), as DNS Zone Contributor (Private DNS Zone
//! Contributor for a private zone), never on the resource group or the subscription.

use crate::{plan_json, run};

/// An IRSA role `external-dns` with `statements` (JSON), trusted by ServiceAccount external-dns/external-dns, and a
/// Deployment of external-dns with `args`, written into a temporary directory; with `config` as eks2aks.yaml.
fn cluster(statements: &str, args: &[&str], config: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let oidc = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let iam = format!(
        r#"{{"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [{{"Path": "/", "RoleName": "external-dns", "RoleId": "AROAEXTERNALDNS0001", "Arn": "arn:aws:iam::111122223333:role/external-dns", "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Federated": "arn:aws:iam::111122223333:oidc-provider/{oidc}"}}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {{"StringEquals": {{"{oidc}:sub": "system:serviceaccount:external-dns:external-dns", "{oidc}:aud": "sts.amazonaws.com"}}}}}}]}}, "InstanceProfileList": [], "RolePolicyList": [{{"PolicyName": "dns", "PolicyDocument": {{"Version": "2012-10-17", "Statement": {statements}}}}}], "AttachedManagedPolicies": [], "Tags": []}}]}}"#
    );
    std::fs::write(tmp.path().join("iam.json"), iam).unwrap();
    let args: String = args.iter().map(|a| format!("            - {a}\n")).collect();
    let k8s = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: external-dns\n  namespace: external-dns\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/external-dns\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: external-dns\n  namespace: external-dns\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: external-dns\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: external-dns\n    spec:\n      serviceAccountName: external-dns\n      containers:\n        - name: external-dns\n          image: registry.k8s.io/external-dns/external-dns:v0.14.2\n          args:\n{args}"
    );
    std::fs::write(tmp.path().join("k8s.yaml"), k8s).unwrap();
    std::fs::write(tmp.path().join("eks2aks.yaml"), config).unwrap();
    tmp
}

/// `plan --format json` of the cluster with its config.
fn plan_of(tmp: &tempfile::TempDir) -> serde_json::Value {
    let dir = tmp.path().to_str().unwrap().to_string();
    let cfg = tmp.path().join("eks2aks.yaml");
    plan_json(&[&dir, "--config", cfg.to_str().unwrap()])
}

/// (role, scope kind, Azure name) of every assignment.
fn assignments(plan: &serde_json::Value) -> Vec<(String, String, String)> {
    let s = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    plan["identities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["role_assignments"].as_array().unwrap().iter())
        .map(|a| (s(&a["role_name"]), s(&a["scope"]["kind"]), s(&a["scope"]["azure_name"])))
        .collect()
}

fn codes(plan: &serde_json::Value) -> Vec<String> {
    plan["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

const ZONES: &str = "route53:\n  zones:\n    Z123: example.com\n";
const CHANGE_ON_Z123: &str = r#"[{"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": "arn:aws:route53:::hostedzone/Z123"}]"#;

#[test]
fn change_resource_record_sets_on_a_named_zone_is_dns_zone_contributor_on_that_zone_only() {
    let tmp = cluster(CHANGE_ON_Z123, &["--provider=aws", "--domain-filter=example.com"], ZONES);
    let plan = plan_of(&tmp);
    assert_eq!(
        assignments(&plan),
        [("DNS Zone Contributor".to_string(), "dns_zone".to_string(), "example.com".to_string())]
    );
    let a = &plan["identities"][0]["role_assignments"][0];
    assert_eq!(a["role_definition_id"], "befefa01-2a29-4197-83a8-272ff33ce314");
    assert_eq!(a["scope"]["aws_arn"], "arn:aws:route53:::hostedzone/Z123");
    assert!(!codes(&plan).iter().any(|c| c == "E2A071" || c == "E2A014"), "{:#}", plan["findings"]);
    // The grant is made by the plan: the E2A081 step no longer asks for it.
    let manual: Vec<&str> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A081")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(manual.len(), 1, "{manual:?}");
    assert!(!manual[0].contains("az role assignment create"), "{}", manual[0]);
}

#[test]
fn the_az_script_and_the_bicep_scope_the_grant_to_the_zone() {
    let tmp = cluster(CHANGE_ON_Z123, &["--provider=aws", "--domain-filter=example.com"], ZONES);
    let out = tmp.path().join("out");
    let cfg = tmp.path().join("eks2aks.yaml");
    let (code, _, err) = run(&[
        "translate",
        "--out",
        out.to_str().unwrap(),
        tmp.path().to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let sh = std::fs::read_to_string(out.join("role-assignments.sh")).unwrap();
    assert!(sh.contains(r#"--scope "$RG_ID"'/providers/Microsoft.Network/dnsZones/''example.com'"#), "{sh}");
    let bicep = std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap();
    assert!(bicep.contains("resource dns_zone_example_com 'Microsoft.Network/dnsZones@2018-05-01' existing = {\n  name: 'example.com'\n}"), "{bicep}");
    assert!(bicep.contains("  scope: dns_zone_example_com\n"), "{bicep}");
    assert!(!bicep.contains("scope: resourceGroup()") && !bicep.contains("subscription()."), "{bicep}");
}

#[test]
fn a_zone_with_no_name_gets_nothing_and_e2a080() {
    let tmp = cluster(CHANGE_ON_Z123, &["--provider=aws"], "{}\n");
    let plan = plan_of(&tmp);
    assert!(assignments(&plan).is_empty(), "{:?}", assignments(&plan));
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A080").expect("E2A080");
    assert!(f["message"].as_str().unwrap().contains("`Z123`"), "{f}");
}

#[test]
fn route53_star_on_star_is_not_widened_beyond_the_zones_the_workloads_name() {
    let all = r#"[{"Effect": "Allow", "Action": "route53:*", "Resource": "*"}]"#;
    let zones = "route53:\n  zones:\n    Z123: example.com\n    Z456: other.example.org\n";
    // external-dns names one of the two configured zones: only that zone is granted.
    let tmp = cluster(all, &["--provider=aws", "--zone-id-filter=Z123"], zones);
    let plan = plan_of(&tmp);
    let got = assignments(&plan);
    assert!(!got.is_empty(), "{:#}", plan["findings"]);
    assert!(
        got.iter().all(|(r, k, n)| r == "DNS Zone Contributor" && k == "dns_zone" && n == "example.com"),
        "{got:?}"
    );
    // It names none: nothing at all, and E2A150 — never the resource group.
    let tmp = cluster(all, &["--provider=aws"], zones);
    let plan = plan_of(&tmp);
    assert!(assignments(&plan).is_empty(), "{:?}", assignments(&plan));
    assert!(codes(&plan).iter().any(|c| c == "E2A150"), "{:#}", plan["findings"]);
}

#[test]
fn a_private_zone_gets_private_dns_zone_contributor_on_the_private_zone() {
    let tmp = cluster(CHANGE_ON_Z123, &["--provider=aws", "--aws-zone-type=private", "--zone-id-filter=Z123"], ZONES);
    let plan = plan_of(&tmp);
    assert_eq!(
        assignments(&plan),
        [("Private DNS Zone Contributor".to_string(), "private_dns_zone".to_string(), "example.com".to_string())]
    );
    // The config's choice wins over the zone type.
    let cfg = format!("{ZONES}resource_targets:\n  \"arn:aws:route53:::hostedzone/Z123\": azure-dns\n");
    let tmp = cluster(CHANGE_ON_Z123, &["--provider=aws", "--aws-zone-type=private", "--zone-id-filter=Z123"], &cfg);
    assert_eq!(assignments(&plan_of(&tmp))[0].0, "DNS Zone Contributor");
}

#[test]
fn the_dns_and_secrets_example_grants_external_dns_and_cert_manager_their_zone() {
    let plan = plan_json(&["testdata/examples/dns-and-secrets"]);
    for who in ["cert-manager", "external-dns"] {
        let id = plan["identities"].as_array().unwrap().iter().find(|i| i["name"] == who).unwrap();
        let roles: Vec<(&str, &str)> = id["role_assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["role_name"].as_str().unwrap(), a["scope"]["azure_name"].as_str().unwrap()))
            .collect();
        assert_eq!(roles, [("DNS Zone Contributor", "example.com")], "{who}");
    }
    assert!(!codes(&plan).iter().any(|c| c == "E2A071" || c == "E2A014"), "{:#}", plan["findings"]);
}

#[test]
fn the_dns_example_passes_the_third_party_validators() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", "--out", out.to_str().unwrap(), "testdata/examples/dns-and-secrets"]);
    assert_eq!(code, 0, "{err}");
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let o = std::process::Command::new("python3")
        .args(["tests/validate/outputs.py", out.to_str().unwrap(), shared.to_str().unwrap()])
        .output()
        .unwrap();
    if o.status.code() == Some(3) {
        assert!(std::env::var_os("CI").is_none(), "validators missing in CI");
        return;
    }
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// The review of 4ba9fce: hosted zones Z111PUBLIC and Z222STAGING both `example.com` in `route53.zones`. A DNS
/// zone's name is its domain, so no tag can tell them apart (`example.com-11063b97` cannot exist): E2A113 names
/// both ids, neither zone is planned or granted, and the rewrites fail closed with a placeholder, never a domain
/// filter for a zone the plan does not grant.
#[test]
fn two_hosted_zones_of_one_domain_are_an_error_and_neither_is_granted() {
    let dir = "testdata/rules/E2A113/fires";
    let cfg = format!("{dir}/eks2aks.yaml");
    let p = plan_json(&[dir, "--config", &cfg]);
    let findings = p["findings"].as_array().unwrap();
    let errors: Vec<&str> =
        findings.iter().filter(|f| f["code"] == "E2A113").map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("Z111PUBLIC") && errors[0].contains("Z222STAGING") && errors[0].contains("example.com"));
    assert!(findings.iter().filter(|f| f["code"] == "E2A113").all(|f| f["severity"] == "error"));
    // Never a tagged zone name, never an assignment on a zone of that domain.
    let names: Vec<&str> = p["resources"].as_array().unwrap().iter().filter_map(|r| r["azure_name"].as_str()).collect();
    assert!(names.iter().all(|n| !n.contains("example.com")), "{names:?}");
    assert!(assignments(&p).iter().all(|(_, kind, _)| kind != "dns_zone"), "{:?}", assignments(&p));
    // No finding contradicts the error: no E2A080 "no route53.zones entry", no E2A038 collision.
    assert!(findings.iter().all(|f| f["code"] != "E2A080" && f["code"] != "E2A038"), "{findings:?}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&["translate", dir, "--config", &cfg, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let k8s = std::fs::read_to_string(out.join("k8s/dns.yaml")).unwrap();
    assert!(k8s.contains("--domain-filter=REPLACE-ME-zone-of-Z111PUBLIC"), "{k8s}");
    assert!(k8s.contains("hostedZoneName: REPLACE-ME-zone-of-Z222STAGING"), "{k8s}");
    assert!(!k8s.contains("example.com-"), "{k8s}");
}

/// A private and a public hosted zone of one domain (split horizon) are two Azure types that may share the name:
/// each keeps its domain and its grant.
#[test]
fn a_private_and_a_public_zone_may_share_a_domain() {
    let dir = "testdata/rules/E2A113/near-miss";
    let cfg = format!("{dir}/eks2aks.yaml");
    let p = plan_json(&[dir, "--config", &cfg]);
    let mut got = assignments(&p);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("DNS Zone Contributor".into(), "dns_zone".into(), "example.com".into()),
            ("Private DNS Zone Contributor".into(), "private_dns_zone".into(), "example.com".into()),
        ]
    );
    assert!(p["findings"].as_array().unwrap().iter().all(|f| f["code"] != "E2A113" && f["code"] != "E2A038"));
}
