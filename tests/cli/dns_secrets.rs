//! DNS and secrets (issue 20, parts 4 and 5): external-dns, cert-manager's Route 53 solvers, External Secrets and
//! the Secrets Store CSI driver are rewritten for Azure as plan edits, and what cannot be is a finding.

use crate::{plan_json, run};
use std::path::Path;

const EXAMPLE: &str = "testdata/examples/dns-and-secrets";

/// The `section` edit of the plan's first edited file's object `object`.
fn section_edit(plan: &serde_json::Value, object: usize) -> serde_json::Value {
    let edits = plan["manifest_edits"][0]["objects"][object]["edits"].as_array().unwrap();
    edits.iter().find(|e| e["op"] == "section").cloned().unwrap()
}

/// `translate` of `dir` (with extra args): the rewritten manifest at `rel` (a path under the input).
fn translated(dir: &str, extra: &[&str], rel: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut args = vec!["translate", "--out", out.to_str().unwrap(), dir];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    std::fs::read_to_string(out.join("k8s").join(rel)).unwrap()
}

#[test]
fn external_dns_runs_with_the_azure_provider_and_no_aws_args() {
    let text = translated(EXAMPLE, &[], "k8s/external-dns.yaml");
    assert!(text.contains("            - --provider=azure\n"), "{text}");
    assert!(!text.contains("--provider=aws") && !text.contains("--aws-zone-type"), "{text}");
    for kept in ["--domain-filter=example.com", "--txt-owner-id=external-dns", "--policy=upsert-only"] {
        assert!(text.contains(kept), "{kept} must stay: {text}");
    }
}

#[test]
fn the_route53_solver_becomes_azure_dns_with_the_identity_and_the_zone() {
    let text = translated(EXAMPLE, &[], "k8s/cert-manager.yaml");
    assert!(!text.contains("route53:") && !text.contains("hostedZoneID"), "{text}");
    for want in [
        "azureDNS:",
        "hostedZoneName: example.com",
        "environment: AzurePublicCloud",
        "clientID: REPLACE-WITH-CLIENT-ID-OF-cert-manager",
        "subscriptionID: REPLACE-ME-subscription-id",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    // The rest of the solver (its selector) is kept.
    assert!(text.contains("- \"example.com\""), "{text}");
}

#[test]
fn the_config_names_the_zones_subscription_and_resource_group() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("eks2aks.yaml");
    std::fs::write(
        &cfg,
        "azure:\n  key_vault: kv-payments\n  tenant_id: 11111111-1111-1111-1111-111111111111\nroute53:\n  subscription_id: 22222222-2222-2222-2222-222222222222\n  resource_group: dns-prod\n  zones:\n    /hostedzone/Z0123456789EXAMPLE: example.net\n",
    )
    .unwrap();
    let c = cfg.to_str().unwrap();
    let text = translated(EXAMPLE, &["--config", c], "k8s/cert-manager.yaml");
    // The config's zone wins over the selector's.
    assert!(text.contains("hostedZoneName: example.net"), "{text}");
    assert!(text.contains("resourceGroupName: dns-prod"), "{text}");
    assert!(text.contains("subscriptionID: \"22222222-2222-2222-2222-222222222222\""), "{text}");
    let spc = translated(EXAMPLE, &["--config", c], "k8s/payments-api.yaml");
    assert!(spc.contains("keyvaultName: kv-payments"), "{spc}");
    assert!(spc.contains("tenantId: \"11111111-1111-1111-1111-111111111111\""), "{spc}");
    let store = translated(EXAMPLE, &["--config", c], "k8s/external-secrets.yaml");
    assert!(store.contains("https://kv-payments.vault.azure.net"), "{store}");
}

#[test]
fn external_secrets_read_key_vault_with_workload_identity_and_mapped_names() {
    let text = translated(EXAMPLE, &[], "k8s/external-secrets.yaml");
    assert!(!text.contains("aws:") && !text.contains("SecretsManager"), "{text}");
    for want in [
        "azurekv:",
        "authType: WorkloadIdentity",
        "vaultUrl: \"https://REPLACE-ME-key-vault.vault.azure.net\"",
        "name: payments-secrets-reader",
        "key: payments-db-credentials",
        "key: payments-stripe-api-key",
        "property: password",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
}

#[test]
fn the_secret_provider_class_reads_key_vault_and_keeps_the_file_names() {
    let text = translated(EXAMPLE, &[], "k8s/payments-api.yaml");
    assert!(text.contains("provider: azure") && !text.contains("provider: aws"), "{text}");
    assert!(text.contains("clientID: REPLACE-WITH-CLIENT-ID-OF-payments-api"), "{text}");
    assert!(!text.contains("secretsmanager") && !text.contains("region:"), "{text}");
    // The objects are a YAML string the Azure provider parses: read it back.
    let doc: Vec<serde_json::Value> = text
        .split("\n---\n")
        .filter_map(|d| serde_norway::from_str::<serde_json::Value>(d).ok())
        .filter(|d| d["kind"] == "SecretProviderClass")
        .collect();
    let objects = doc[0]["spec"]["parameters"]["objects"].as_str().unwrap();
    let parsed: serde_json::Value = serde_norway::from_str(objects).unwrap();
    let items: Vec<serde_json::Value> = parsed["array"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_norway::from_str(s.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(items[0]["objectName"], "payments-db-credentials");
    assert_eq!(items[0]["objectType"], "secret");
    assert_eq!(items[0]["objectAlias"], "db-credentials");
    assert_eq!(items[1]["objectName"], "payments-tls-cert");
    assert_eq!(items[1]["objectAlias"], "tls-cert");
}

#[test]
fn every_rewrite_is_listed_in_the_plan() {
    let plan = plan_json(&[EXAMPLE]);
    let mut whats: Vec<String> = plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap().iter())
        .flat_map(|o| o["edits"].as_array().unwrap().iter())
        .filter(|e| e["op"] == "section")
        .map(|e| e["what"].as_str().unwrap().to_string())
        .collect();
    whats.sort();
    assert_eq!(whats, ["external-dns-args", "external-secrets-store", "route53-solver", "secret-provider-class"]);
}

#[test]
fn what_cannot_be_rewritten_is_left_as_it_is_with_a_finding() {
    let dir = "testdata/fixtures/k8s/dns-secrets-left-on-aws";
    let plan = plan_json(&[dir]);
    let count = |code: &str| plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).count();
    assert_eq!(count("E2A082"), 4, "{:#}", plan["findings"]);
    let text = translated(dir, &[], "secrets.yaml");
    let input = std::fs::read_to_string(Path::new(dir).join("secrets.yaml")).unwrap();
    // The Parameter Store store and the SecretProviderClass are kept byte for byte.
    for kept in
        ["      service: ParameterStore\n", "  provider: aws\n", "        jmesPath:\n", "key: /reports/endpoint\n"]
    {
        assert!(input.contains(kept) && text.contains(kept), "{kept}: {text}");
    }
    // The Secrets Manager store is rewritten, its access keys gone.
    assert!(text.contains("azurekv:") && !text.contains("accessKeyIDSecretRef"), "{text}");
}

#[test]
fn an_unmapped_hosted_zone_is_a_placeholder_never_a_wider_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let k8s = tmp.path().join("edns.yaml");
    std::fs::write(
        &k8s,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: external-dns\n  namespace: dns\nspec:\n  template:\n    spec:\n      containers:\n        - name: external-dns\n          image: registry.k8s.io/external-dns/external-dns:v0.14.2\n          args: [\"--provider=aws\", \"--aws-zone-type=private\", \"--zone-id-filter=Z111\", \"--zone-id-filter\", \"Z222\"]\n",
    )
    .unwrap();
    let cfg = tmp.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "route53:\n  zones:\n    Z111: internal.example.com\n").unwrap();
    let d = tmp.path().to_str().unwrap();
    let plan = plan_json(&[d, "--config", cfg.to_str().unwrap()]);
    let e2a080: Vec<&serde_json::Value> =
        plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A080").collect();
    assert_eq!(e2a080.len(), 1, "{:#}", plan["findings"]);
    assert!(e2a080[0]["message"].as_str().unwrap().contains("Z222"));
    let edit = section_edit(&plan, 0);
    assert_eq!(
        edit["with"],
        serde_json::json!([
            "--provider=azure-private-dns",
            "--domain-filter=internal.example.com",
            "--domain-filter=REPLACE-ME-zone-of-Z222"
        ])
    );
    assert_eq!(
        edit["removed"],
        serde_json::json!([
            "--provider=aws",
            "--aws-zone-type=private",
            "--zone-id-filter=Z111",
            "--zone-id-filter Z222"
        ])
    );
}

#[test]
fn a_secret_provider_object_without_a_name_is_never_dropped_silently() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("spc.yaml"),
        "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: app\n  namespace: app\nspec:\n  provider: aws\n  parameters:\n    objects: |\n      - objectName: \"app/token\"\n        objectType: \"secretsmanager\"\n      - objectType: \"secretsmanager\"\n        objectAlias: orphan\n",
    )
    .unwrap();
    let plan = plan_json(&[tmp.path().to_str().unwrap()]);
    let f: Vec<&serde_json::Value> =
        plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A082").collect();
    assert_eq!(f.len(), 1, "{:#}", plan["findings"]);
    assert!(f[0]["message"].as_str().unwrap().contains("objectName"), "{}", f[0]["message"]);
    assert!(plan["manifest_edits"].as_array().unwrap().is_empty(), "{:#}", plan["manifest_edits"]);
}

#[test]
fn a_done_manual_step_is_waived_on_the_object() {
    let tmp = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string("testdata/rules/E2A081/fires/external-dns.yaml").unwrap();
    let waived = src.replace(
        "  namespace: external-dns\n",
        "  namespace: external-dns\n  annotations:\n    eks2aks.dev/ignore: \"E2A081: azure.json is mounted by the Helm chart\"\n",
    );
    assert_ne!(src, waived);
    std::fs::write(tmp.path().join("external-dns.yaml"), waived).unwrap();
    let plan = plan_json(&[tmp.path().to_str().unwrap()]);
    let f: Vec<&serde_json::Value> =
        plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A081").collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["suppressed"], "azure.json is mounted by the Helm chart", "{:#}", f[0]);
}

#[test]
fn a_cluster_external_secret_reads_its_keys_from_key_vault_too() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("eso.yaml"),
        "apiVersion: external-secrets.io/v1beta1\nkind: ClusterSecretStore\nmetadata:\n  name: aws\nspec:\n  provider:\n    aws:\n      service: SecretsManager\n      region: us-east-1\n---\napiVersion: external-secrets.io/v1beta1\nkind: ClusterExternalSecret\nmetadata:\n  name: shared-tls\nspec:\n  namespaceSelectors:\n    - matchLabels:\n        tls: shared\n  externalSecretSpec:\n    secretStoreRef:\n      name: aws\n      kind: ClusterSecretStore\n    target:\n      name: shared-tls\n    data:\n      - secretKey: tls.key\n        remoteRef:\n          key: shared/tls_key\n",
    )
    .unwrap();
    let plan = plan_json(&[tmp.path().to_str().unwrap()]);
    let edits: Vec<serde_json::Value> = plan["manifest_edits"][0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "ClusterExternalSecret")
        .flat_map(|o| o["edits"].as_array().unwrap().clone())
        .collect();
    assert_eq!(
        edits,
        [
            serde_json::json!({"op": "value", "at": {"line": 28, "col": 16}, "token": "shared/tls_key", "with": "shared-tls-key"})
        ]
    );
    let note = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A083").unwrap();
    assert!(note["message"].as_str().unwrap().starts_with("ClusterExternalSecret shared-tls:"), "{note:#}");
}

/// External Secrets' docs grant the store's role `secret:<name>-*` (the random suffix): the keys its
/// ExternalSecrets read narrow that wildcard to those secrets, as a workload's env narrows its own.
#[test]
fn external_secret_keys_narrow_the_store_roles_wildcard_to_the_secrets_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let k8s = tmp.path().join("k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    std::fs::copy(format!("{EXAMPLE}/k8s/external-secrets.yaml"), k8s.join("external-secrets.yaml")).unwrap();
    let iam = std::fs::read_to_string(format!("{EXAMPLE}/iam/account-authorization-details.json")).unwrap();
    let iam = iam
        .replace("payments/db-credentials-AbCdEf", "payments/db-credentials-*")
        .replace("stripe_api_key-Q7rT2m", "stripe_api_key-*");
    std::fs::write(tmp.path().join("iam.json"), iam).unwrap();
    let plan = plan_json(&[tmp.path().to_str().unwrap()]);
    let codes: Vec<&str> = plan["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(!codes.contains(&"E2A045") && !codes.contains(&"E2A017"), "{codes:?}");
    let id = plan["identities"].as_array().unwrap().iter().find(|i| i["name"] == "payments-secrets-reader").unwrap();
    let mut scopes: Vec<(String, String)> = id["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["scope"]["kind"].as_str().unwrap().into(), a["scope"]["azure_name"].as_str().unwrap().into()))
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        [
            ("secret".to_string(), "payments-db-credentials".to_string()),
            ("secret".into(), "payments-stripe-api-key".into())
        ]
    );
}

/// The Key Vault name the plan gives the AWS secret `arn` (its resource).
fn planned_secret(p: &serde_json::Value, arn: &str) -> String {
    let r = p["resources"].as_array().unwrap().iter().find(|r| r["aws_arn"] == arn);
    r.and_then(|r| r["azure_name"].as_str()).unwrap_or_else(|| panic!("{arn} not planned: {}", p["resources"])).into()
}

/// The review of 4ba9fce: `prod/db/password` in accounts 111122223333 (team-a) and 444455556666 (team-b), read by
/// an ExternalSecret and a SecretProviderClass in each namespace. The plan tags the two Key Vault secrets apart;
/// each rewrite and each E2A083 names the tagged secret of its own account, never the untagged name.
#[test]
fn a_secret_name_in_two_accounts_is_rewritten_to_each_accounts_own_key_vault_secret() {
    let dir = "testdata/hostile/same-secret-two-accounts";
    let p = plan_json(&[dir]);
    let a = planned_secret(&p, "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db/password");
    let b = planned_secret(&p, "arn:aws:secretsmanager:us-east-1:444455556666:secret:prod/db/password");
    assert!(a != b && a.starts_with("prod-db-password-") && b.starts_with("prod-db-password-"), "{a} {b}");
    for (file, own, other) in [("k8s/team-a.yaml", &a, &b), ("k8s/team-b.yaml", &b, &a)] {
        let text = translated(dir, &[], file);
        assert!(text.contains(&format!("key: {own}\n")), "{file}: {text}");
        assert!(text.contains(&format!("objectName: {own}\n")), "{file}: {text}");
        assert!(!text.contains(other.as_str()) && !text.contains("prod-db-password\n"), "{file}: {text}");
    }
    let renamed = super::messages(&p, "E2A083");
    assert_eq!(renamed.len(), 4, "{renamed:?}");
    for m in &renamed {
        assert!(m.contains(&format!("`{a}`")) || m.contains(&format!("`{b}`")), "{m}");
        assert!(!m.contains("Key Vault secret `prod-db-password`"), "{m}");
    }
}

/// `prod/db` and `prod_db` of one role: the plan tags both; the E2A021 about each assignment names the scope by the
/// name the assignment has (never the untagged `prod-db`, which no assignment is on).
#[test]
fn findings_about_an_assignment_name_its_final_scope() {
    let p = plan_json(&["testdata/hostile/secrets-that-merge"]);
    let scopes: std::collections::BTreeSet<String> =
        crate::role_assignments(&p).map(|a| a["scope"]["azure_name"].as_str().unwrap().to_string()).collect();
    assert_eq!(scopes.len(), 2, "{scopes:?}");
    let excess: Vec<&str> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A021")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(excess.len(), 2, "one per assignment: {excess:?}");
    for s in &scopes {
        assert!(excess.iter().any(|m| m.contains(&format!("secret `{s}`"))), "{s}: {excess:?}");
    }
    assert!(excess.iter().all(|m| !m.contains("secret `prod-db`")), "{excess:?}");
}

// An ExternalSecret as near to one cluster's store as to another's (two `ClusterSecretStore aws-sm` in two regions):
// its key stayed `db` with no finding, while both regions' `db` became Key Vault secrets with tagged names. Which
// secret it reads cannot be told, so the key stays, and E2A082 says why at the key's line.
#[test]
fn an_external_secret_equally_near_two_stores_is_left_with_a_finding() {
    let dir = "testdata/fixtures/secrets/store-tie";
    let text = translated(dir, &[], "apps/db.yaml");
    assert!(text.contains("remoteRef: {key: db, property: password}"), "{text}");
    let plan = plan_json(&[dir]);
    let left: Vec<&serde_json::Value> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A082" && f["file"].as_str().unwrap().ends_with("apps/db.yaml"))
        .collect();
    assert_eq!(left.len(), 1, "{:#}", plan["findings"]);
    let msg = left[0]["message"].as_str().unwrap();
    assert_eq!(left[0]["line"], 11, "{msg}");
    for part in ["key `db`", "clusters/prod/eso.yaml", "clusters/staging/eso.yaml", "left as it is"] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
}

// Two clusters, one store name: prod's reads Secrets Manager (rewritten to `azurekv`), staging's Parameter Store
// (stays on AWS). Stores were told apart by name only (the last read, staging's, decided for both), so prod's store
// read Key Vault while its key stayed `prod/db`, a name Key Vault cannot hold. Each key follows its own store.
#[test]
fn each_cluster_s_external_secret_follows_its_own_store() {
    let dir = "testdata/fixtures/secrets/store-mixed";
    let prod = translated(dir, &[], "clusters/prod/eso.yaml");
    assert!(prod.contains("azurekv:") && prod.contains("remoteRef: {key: prod-db, property: password}"), "{prod}");
    let staging = translated(dir, &[], "clusters/staging/eso.yaml");
    assert!(staging.contains("service: ParameterStore"), "{staging}");
    assert!(staging.contains("remoteRef: {key: db, property: password}"), "{staging}");
    let plan = plan_json(&[dir]);
    let at = |cluster: &str, line: u64| -> Vec<String> {
        plan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["file"].as_str().unwrap().ends_with(&format!("clusters/{cluster}/eso.yaml")) && f["line"] == line
            })
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(at("prod", 51), ["E2A022", "E2A083"], "{:#}", plan["findings"]);
    assert!(at("staging", 51).is_empty(), "staging's key is a parameter: {:#}", plan["findings"]);
}

/// A ServiceAccount `external-dns` on an IRSA role and an external-dns Deployment whose container is written
/// `container` (its `args` and what follows), in a temporary directory with route53.zones Z0AAAA → internal.example.com.
fn external_dns_tree(container: &str) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let input = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: external-dns\n  namespace: dns\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/external-dns\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: external-dns\n  namespace: dns\nspec:\n  selector:\n    matchLabels: {{app: external-dns}}\n  template:\n    metadata:\n      labels: {{app: external-dns}}\n    spec:\n      serviceAccountName: external-dns\n      containers:\n        - name: external-dns\n          image: registry.k8s.io/external-dns/external-dns:v0.14.2\n{container}"
    );
    std::fs::write(tmp.path().join("external-dns.yaml"), &input).unwrap();
    std::fs::write(tmp.path().join("eks2aks.yaml"), "route53:\n  zones:\n    Z0AAAA: internal.example.com\n").unwrap();
    (tmp, input)
}

/// `translate` of an [`external_dns_tree`]: the rewritten Deployment's text from its `args:` on.
fn translated_args(tmp: &tempfile::TempDir) -> String {
    let d = tmp.path().to_str().unwrap();
    let cfg = tmp.path().join("eks2aks.yaml");
    let out = tmp.path().join("out");
    let (code, _, err) =
        run(&["translate", "-q", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), d]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(out.join("k8s/external-dns.yaml")).unwrap();
    text[text.find("          args:").unwrap()..].to_string()
}

#[test]
fn external_dns_args_change_item_by_item_and_keep_comments_and_quotes() {
    let (tmp, _) = external_dns_tree(
        "          args:\n            # Sources\n            - --source=service\n            - \"--source=ingress\"\n            - --domain-filter=example.com # only example.com\n            # The provider, then its AWS settings\n            - --provider=aws\n            - '--aws-zone-type=public' # public zones only\n            - --zone-id-filter=Z0AAAA\n            - --registry=txt\n            # The owner of the TXT records\n            - \"--txt-owner-id=my-cluster\"\n            - --aws-batch-change-size\n            - \"1000\"\n          resources: {}\n",
    );
    assert_eq!(
        translated_args(&tmp),
        "          args:\n            # Sources\n            - --source=service\n            - \"--source=ingress\"\n            - --domain-filter=example.com # only example.com\n            # The provider, then its AWS settings\n            - --provider=azure\n            - --registry=txt\n            # The owner of the TXT records\n            - \"--txt-owner-id=my-cluster\"\n            - --domain-filter=internal.example.com\n          resources: {}\n"
    );
    // The plan says what goes and what comes.
    let d = tmp.path().to_str().unwrap();
    let plan = plan_json(&["--config", tmp.path().join("eks2aks.yaml").to_str().unwrap(), d]);
    let edit = section_edit(&plan, 1);
    assert_eq!(
        edit["removed"],
        serde_json::json!([
            "--provider=aws",
            "--aws-zone-type=public",
            "--zone-id-filter=Z0AAAA",
            "--aws-batch-change-size 1000"
        ])
    );
    assert_eq!(edit["added"], serde_json::json!(["--provider=azure", "--domain-filter=internal.example.com"]));
}

#[test]
fn external_dns_provider_written_as_two_args_keeps_its_flag() {
    let (tmp, _) = external_dns_tree(
        "          args:\n            - --provider # the DNS provider\n            - aws\n            - --txt-owner-id=my-cluster\n",
    );
    assert_eq!(
        translated_args(&tmp),
        "          args:\n            - --provider # the DNS provider\n            - azure\n            - --txt-owner-id=my-cluster\n"
    );
}

#[test]
fn external_dns_flow_args_change_item_by_item_too() {
    let (tmp, _) = external_dns_tree(
        "          args: [\"--provider=aws\", --source=service, \"--aws-zone-type=private\", \"--zone-id-filter=Z0AAAA\", --txt-owner-id=c1]  # flow\n",
    );
    assert_eq!(
        translated_args(&tmp),
        "          args: [\"--provider=azure-private-dns\", --source=service, --txt-owner-id=c1, --domain-filter=internal.example.com]  # flow\n"
    );
    let (tmp, _) = external_dns_tree(
        "          args: [\n            --source=service,  # sources\n            --provider=aws,\n            --aws-zone-type=private,\n            --zone-id-filter=Z0AAAA\n          ]\n",
    );
    assert_eq!(
        translated_args(&tmp),
        "          args: [\n            --source=service,  # sources\n            --provider=azure-private-dns, --domain-filter=internal.example.com\n          ]\n"
    );
}
