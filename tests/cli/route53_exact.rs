//! Route 53 grants made exact (review 3 of 6e4be06): a role that only reads Route 53 gets a read role on the zone,
//! a write role only when AWS grants `ChangeResourceRecordSets`; every zone the Bicep grants on is a plan
//! resource; a cert-manager solver without `hostedZoneID` gets its zone's grant or a finding.

use crate::{codes, messages, plan_json, run};

/// `plan --format json` of a fixture under `testdata/fixtures/route53/`, with its own eks2aks.yaml.
fn plan_of(name: &str) -> serde_json::Value {
    let dir = format!("testdata/fixtures/route53/{name}");
    let cfg = format!("{dir}/eks2aks.yaml");
    plan_json(&[&dir, "--config", &cfg])
}

/// (identity, role, scope kind, Azure name) of every assignment.
fn assignments(plan: &serde_json::Value) -> Vec<(String, String, String, String)> {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    for i in plan["identities"].as_array().unwrap() {
        for a in i["role_assignments"].as_array().unwrap() {
            out.push((s(&i["name"]), s(&a["role_name"]), s(&a["scope"]["kind"]), s(&a["scope"]["azure_name"])));
        }
    }
    out
}

fn owned(v: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    v.iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string())).collect()
}

// Review 3, d1: ListHostedZones + ListResourceRecordSets on `*` was DNS Zone Contributor (write and delete on every
// record set, zone management) with no finding.
#[test]
fn a_read_only_route53_role_reads_the_zone_and_writes_nothing() {
    let plan = plan_of("read-only-role");
    assert_eq!(assignments(&plan), owned(&[("dns-reader", "Reader", "dns_zone", "example.com")]));
    let a = &plan["identities"][0]["role_assignments"][0];
    assert_eq!(a["role_definition_id"], "acdd72a7-3385-48ef-bd42-f606fba81ae7");
    let aws: Vec<&str> = a["aws_actions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(aws, ["route53:ListHostedZones", "route53:ListResourceRecordSets"]);
    assert!(!codes(&plan).iter().any(|c| c == "E2A045" || c == "E2A046"), "{:#}", plan["findings"]);
}

#[test]
fn check_passes_the_read_only_role_because_its_grant_is_exact() {
    let dir = "testdata/fixtures/route53/read-only-role";
    let (code, out, err) = run(&["check", dir, "--config", &format!("{dir}/eks2aks.yaml"), "--fail-on", "error"]);
    assert_eq!(code, 0, "{out}{err}");
    // The manual step says what the plan grants, and that the write role would go beyond the AWS role.
    assert!(!out.contains("the plan grants its identity `DNS Zone Contributor`"), "{out}");
    assert!(out.contains("gets only `Reader` on its zones"), "{out}");
}

// Review 3, t1: the conditioned ChangeResourceRecordSets statement was E2A020 ("nothing it allows is granted") while
// DNS Zone Contributor, which grants it, was assigned for ListHostedZonesByName.
#[test]
fn a_change_statement_that_is_not_translated_leaves_no_write_role() {
    let plan = plan_of("conditioned-change");
    assert_eq!(assignments(&plan), owned(&[("cert-manager", "Reader", "dns_zone", "example.com")]));
    let e2a020 = messages(&plan, "E2A020");
    assert_eq!(e2a020.len(), 1, "{e2a020:?}");
    assert!(e2a020[0].contains("nothing it allows is granted"), "{}", e2a020[0]);
}

// Review 3, d1: plan.md said `0 AWS resources` and plan.json `"resources": []` while main.bicep declared the zone
// `example.com` and granted on it.
#[test]
fn a_zone_the_plan_grants_on_is_a_plan_resource() {
    let plan = plan_of("read-only-role");
    let resources = plan["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{resources:#?}");
    assert_eq!(resources[0]["aws_arn"], "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ");
    assert_eq!(resources[0]["azure_type"], "Microsoft.Network/dnsZones");
    assert_eq!(resources[0]["azure_name"], "example.com");
    let dir = "testdata/fixtures/route53/read-only-role";
    let (code, md, err) = run(&["plan", dir, "--config", &format!("{dir}/eks2aks.yaml"), "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("1 AWS resource") && !md.contains("0 AWS resources"), "{md}");
}

// Review 3, d25: the third solver (no `hostedZoneID`, `dnsZones: ["other.example.net"]`) became `azureDNS` while its
// zone got no grant and no E2A081.
#[test]
fn a_solver_without_a_hosted_zone_id_gets_a_finding_when_its_zone_is_not_granted() {
    let plan = plan_of("solver-without-zone-id");
    let zones: Vec<String> = assignments(&plan).into_iter().map(|a| a.3).collect();
    assert_eq!(zones, ["example.com", "internal.example.org"]);
    let steps = messages(&plan, "E2A081");
    let about: Vec<&String> = steps.iter().filter(|m| m.contains("other.example.net")).collect();
    assert_eq!(about.len(), 1, "{steps:#?}");
    assert!(about[0].contains("no `hostedZoneID`") && about[0].contains("route53.zones"), "{}", about[0]);
    assert!(about[0].contains("-n 'other.example.net'"), "{}", about[0]);
}

#[test]
fn a_solver_without_a_hosted_zone_id_is_granted_its_zone_once_the_config_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    crate::copy_dir("testdata/fixtures/route53/solver-without-zone-id", tmp.path());
    let cfg = tmp.path().join("eks2aks.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap() + "    Z2222222222OOOOOOOOOO: other.example.net\n";
    std::fs::write(&cfg, text).unwrap();
    let plan = plan_json(&[tmp.path().to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    let got: Vec<(String, String)> = assignments(&plan).into_iter().map(|a| (a.1, a.3)).collect();
    let zc = "DNS Zone Contributor".to_string();
    assert_eq!(
        got,
        [
            (zc.clone(), "example.com".to_string()),
            (zc.clone(), "internal.example.org".to_string()),
            (zc, "other.example.net".to_string())
        ]
    );
    assert!(messages(&plan, "E2A081").iter().all(|m| !m.contains("other.example.net")), "{:#}", plan["findings"]);
}

// Review 3, d17: a zone name, resource groups and a tenant id with shell syntax reached main.bicep, the manifests and
// E2A081's suggested command. They are config errors at load, each at its line, all at once (exit 2).
#[test]
fn azure_names_in_the_config_are_checked_at_load() {
    let dir = "testdata/fixtures/route53/hostile-config";
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let (code, stdout, err) =
        run(&["translate", dir, "--config", &format!("{dir}/eks2aks.yaml"), "--out", o.to_str().unwrap()]);
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(!o.exists(), "nothing is written");
    // Each at its value (`route53.resource_group` was at the `route53:` line, 6).
    for (what, at) in [
        ("`azure.resource_group`", "3:19"),
        ("`azure.tenant_id`", "4:14"),
        ("`azure.subscription_id`", "5:20"),
        ("`route53.resource_group`", "7:19"),
        ("`route53.zones` maps `Z0123456789ABCDEFGHIJ`", "9:28"),
    ] {
        let i = err.lines().position(|l| l.contains(what)).unwrap_or_else(|| panic!("{what}: {err}"));
        let next = err.lines().nth(i + 1).unwrap_or_default();
        assert!(next.ends_with(&format!("eks2aks.yaml:{at}")), "{what} at {at}: {err}");
    }
}

#[test]
fn valid_azure_names_pass_and_the_suggested_command_quotes_them() {
    let dir = "testdata/fixtures/route53/read-only-role";
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("eks2aks.yaml");
    let text = "azure:\n  resource_group: rg-dns_(prod).1\n  tenant_id: 55555555-6666-7777-8888-999999999999\nroute53:\n  zones:\n    Z0123456789ABCDEFGHIJ: example.com.\n";
    std::fs::write(&cfg, text).unwrap();
    let plan = plan_json(&[dir, "--config", cfg.to_str().unwrap()]);
    let step = messages(&plan, "E2A081").join("\n");
    assert!(
        step.contains(r#"--from-literal='azure.json={"tenantId":"55555555-6666-7777-8888-999999999999","subscriptionId":"REPLACE-ME-subscription-id","resourceGroup":"REPLACE-ME-dns-resource-group","useWorkloadIdentityExtension":true}'"#),
        "{step}"
    );
    assert!(step.contains("zone show -g 'REPLACE-ME-dns-resource-group' -n <zone>"), "{step}");
}

// Review 3, d35: with two cluster directories, each with a ClusterSecretStore `aws-sm` (two regions), both
// ExternalSecrets kept `key: db` while the Key Vault secrets were tagged `db-<tag>`, with no finding.
#[test]
fn an_external_secret_reads_through_the_store_of_its_own_cluster() {
    let dir = "testdata/fixtures/secrets/store-per-cluster";
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, stdout, err) = run(&["translate", dir, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{err}");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    let name_of = |region: &str| {
        plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["aws_arn"].as_str().unwrap().contains(&format!(":{region}:")))
            .map(|r| r["azure_name"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{region}: {:#}", plan["resources"]))
    };
    let (staging, prod) = (name_of("us-east-1"), name_of("eu-west-1"));
    assert!(staging.starts_with("db-") && prod.starts_with("db-") && staging != prod, "{staging} {prod}");
    for (cluster, name) in [("staging", &staging), ("prod", &prod)] {
        let text = std::fs::read_to_string(out.join(format!("k8s/clusters/{cluster}/eso.yaml"))).unwrap();
        assert!(text.contains(&format!("key: {name}")), "{cluster}: {text}");
    }
}
