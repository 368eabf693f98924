//! `plan`: what each fixture must join and report (the behaviour, independent of snapshots).

use super::{all_codes, codes, plan_json, run};

fn identity<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no identity {name} in {plan:#}"))
}

fn subjects(id: &serde_json::Value) -> Vec<String> {
    id["federated_credentials"].as_array().unwrap().iter().map(|f| f["subject"].as_str().unwrap().to_string()).collect()
}

#[test]
fn example_joins_workload_to_identity_with_one_credential() {
    let p = plan_json(&["testdata/examples/edw-keda"]);
    assert_eq!(p["schema"], "eks2aks/plan/v1");
    let id = identity(&p, "edw-processor");
    assert_eq!(id["aws_role_arn"], "arn:aws:iam::111122223333:role/edw-processor");
    // The workload's own credential, and KEDA's operator (its trigger authenticates as the workload).
    assert_eq!(
        subjects(id),
        ["system:serviceaccount:edw:edw-processor", "system:serviceaccount:kube-system:keda-operator"]
    );
    assert_eq!(id["federated_credentials"][0]["audience"], "api://AzureADTokenExchange");
    assert_eq!(id["federated_credentials"][0]["issuer"], "param:aksOidcIssuerUrl");
    assert_eq!(p["workloads"][0]["identity"], "edw-processor");
    // The DynamoDB table's name is not a valid Azure table name (note); the image comes from ECR (warning);
    // AWS_REGION / AWS_DEFAULT_REGION are dropped (notes); Storage Table Data Contributor, kept within
    // `custom_roles.max_excess`, also deletes entities (note).
    assert_eq!(all_codes(&p), ["E2A021", "E2A022", "E2A026", "E2A028", "E2A028"], "{:#}", p["findings"]);
}

#[test]
fn only_the_default_policy_version_is_in_force() {
    let p = plan_json(&["testdata/examples/edw-keda"]);
    let perms = identity(&p, "edw-processor")["aws_permissions"].to_string();
    assert!(perms.contains("dynamodb:PutItem"));
    assert!(!perms.contains("dynamodb:*"), "v1 (not default) leaked: {perms}");
}

#[test]
fn resources_come_from_policies_env_and_keda() {
    let p = plan_json(&["testdata/examples/edw-keda"]);
    let arns: Vec<&str> = p["resources"].as_array().unwrap().iter().map(|r| r["aws_arn"].as_str().unwrap()).collect();
    assert!(arns.contains(&"arn:aws:sqs:us-east-1:111122223333:edw-orders"));
    assert!(arns.contains(&"arn:aws:dynamodb:us-east-1:111122223333:table/edw-results"));
}

#[test]
fn stringlike_trust_gives_one_credential_per_matched_service_account() {
    let p = plan_json(&["testdata/fixtures/graph/trust-stringlike"]);
    let id = identity(&p, "team-a-shared");
    assert_eq!(subjects(id), ["system:serviceaccount:team-a:export", "system:serviceaccount:team-a:ingest"]);
    assert_eq!(codes(&p), ["E2A002", "E2A007"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A007").unwrap();
    assert!(
        f["message"].as_str().unwrap().contains("team-a/export")
            && f["message"].as_str().unwrap().contains("team-a/ingest")
    );
    let e = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A002").unwrap();
    assert_eq!(e["file"], "testdata/fixtures/graph/trust-stringlike/k8s/team-b.yaml");
    assert_eq!(e["line"], 8);
}

#[test]
fn trust_mismatch_is_an_error_and_gets_no_credential() {
    let p = plan_json(&["testdata/fixtures/graph/trust-mismatch"]);
    assert_eq!(codes(&p), ["E2A002", "E2A003"]);
    assert!(subjects(identity(&p, "invoice-worker")).is_empty());
    let e = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A002").unwrap();
    assert_eq!((e["severity"].as_str(), e["line"].as_u64()), (Some("error"), Some(7)));
}

#[test]
fn wrong_audience_does_not_admit() {
    let p = plan_json(&["testdata/fixtures/graph/multiple-conditions"]);
    assert_eq!(codes(&p), ["E2A002"]);
    assert_eq!(subjects(identity(&p, "audit-writer")), ["system:serviceaccount:audit:writer"]);
    assert!(subjects(identity(&p, "audit-reader")).is_empty());
}

#[test]
fn trust_naming_absent_service_account_warns() {
    let p = plan_json(&["testdata/fixtures/graph/trust-missing-sa"]);
    assert_eq!(codes(&p), ["E2A003"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A003").unwrap();
    assert!(f["message"].as_str().unwrap().contains("reports/exporter-canary"));
}

#[test]
fn missing_role_warns_with_export_command() {
    let p = plan_json(&["testdata/fixtures/graph/role-missing"]);
    assert_eq!(codes(&p), ["E2A004"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A004").unwrap();
    assert_eq!(f["line"], 40);
    assert!(f["help"].as_str().unwrap().contains("aws iam get-role --role-name notifications-digest"));
}

#[test]
fn trust_without_sub_is_an_error() {
    let p = plan_json(&["testdata/fixtures/graph/trust-no-sub"]);
    // Issue 18: GetObject on every object is a Reader whose condition allows no listing (no E2A045 any more).
    assert_eq!(codes(&p), ["E2A008"]);
}

#[test]
fn clusters_and_accounts_are_kept_apart() {
    let p = plan_json(&["testdata/fixtures/graph/multi-cluster"]);
    let ids = p["identities"].as_array().unwrap();
    assert_eq!(ids.len(), 2);
    let providers: Vec<String> = ids.iter().map(|i| i["aws_oidc_providers"].to_string()).collect();
    assert_ne!(providers[0], providers[1]);
    for i in ids {
        assert_eq!(subjects(i), ["system:serviceaccount:payments:ledger"]);
    }
    // Two roles named `ledger` (two accounts) keep two identities, with a warning naming both (issue 17); and the
    // one ServiceAccount name bound to both in one run is an error: on one AKS issuer either pod could sign in
    // as either identity.
    let names: Vec<&str> = ids.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_ne!(names[0], names[1]);
    assert!(names.iter().all(|n| n.starts_with("ledger-")), "{names:?}");
    assert_eq!(codes(&p), ["E2A038", "E2A039"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A039").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(m.contains("cluster-a/") && m.contains("cluster-b/"), "one finding names both copies: {m}");
}

/// Issue 17: same-named ServiceAccounts of two clusters in one run. `translate` refuses (the review of 4ba9fce:
/// both identities federated `system:serviceaccount:app:worker` on the one AKS issuer); `rules:` cannot downgrade
/// it (review 2: a config error); waived on purpose on the ServiceAccount, each cluster's ServiceAccount is
/// rewritten with its own identity's client id.
#[test]
fn each_clusters_service_account_gets_its_own_client_id() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("out");
    let (code, _, err) = run(&["translate", "testdata/rules/E2A039/fires", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.matches("error[E2A039]").count(), 1, "{err}");
    assert!(!dir.exists(), "nothing written");
    // `rules:` cannot downgrade the guard (a config error); a waiver with a reason on the ServiceAccount can.
    let cfg = out.path().join("c.yaml");
    std::fs::write(&cfg, "rules:\n  E2A039: warning\n").unwrap();
    let c = cfg.to_str().unwrap();
    let (code, _, err) =
        run(&["--config", c, "translate", "testdata/rules/E2A039/fires", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be downgraded"), "{err}");
    let waived = out.path().join("waived");
    crate::waive_two_clusters("testdata/rules/E2A039/fires", &waived);
    let (code, _, err) = run(&["translate", waived.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for (cluster, id) in [("cluster-a", "worker-a"), ("cluster-b", "worker-b")] {
        let text = std::fs::read_to_string(dir.join("k8s").join(cluster).join("k8s.yaml")).unwrap();
        assert!(text.contains(&format!("client-id: REPLACE-WITH-CLIENT-ID-OF-{id}\n")), "{cluster}: {text}");
    }
}

#[test]
fn pod_identity_association_joins_without_annotation() {
    let p = plan_json(&["testdata/fixtures/graph/pod-identity"]);
    assert_eq!(p["identities"].as_array().unwrap().len(), 1);
    assert_eq!(p["workloads"][0]["identity"], p["identities"][0]["name"]);
    // Issue 18: reads under a prefix are a Reader limited to the prefix, with no listing (no E2A045 any more).
    assert_eq!(codes(&p), [] as [&str; 0], "{:#}", p["findings"]);
}

#[test]
fn workload_on_default_service_account_talking_to_aws_warns() {
    let p = plan_json(&["testdata/fixtures/k8s/default-sa"]);
    // The queue, table and bucket it names get Azure names; the bare S3 endpoint has none and is left (said so).
    assert_eq!(codes(&p), ["E2A005", "E2A027"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A005").unwrap();
    assert!(f["message"].as_str().unwrap().contains("node's instance role"));
}

#[test]
fn static_keys_are_errors_and_never_printed() {
    let (code, out, _) = run(&["plan", "--format", "json", "testdata/fixtures/k8s/static-keys"]);
    assert_eq!(code, 0);
    assert!(!out.contains("wJalrXUtnFEMI") && !out.contains("AKIAIOSFODNN7EXAMPLE"), "secret leaked");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lines: Vec<(String, u64)> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A006")
        .map(|f| (f["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    for want in [("secret.yaml", 8), ("secret.yaml", 20), ("deployment.yaml", 23)] {
        assert!(lines.contains(&(want.0.to_string(), want.1)), "{want:?} not in {lines:?}");
    }
}

#[test]
fn non_kubernetes_yaml_is_skipped_quietly() {
    let p = plan_json(&["testdata/fixtures/k8s/non-k8s-yaml"]);
    assert!(p["workloads"].as_array().unwrap().is_empty());
    assert!(codes(&p).is_empty(), "{:#}", p["findings"]);
}

#[test]
fn every_pod_template_shape_is_a_workload() {
    let p = plan_json(&["testdata/fixtures/k8s/crds-and-unknown"]);
    let mut kinds: Vec<&str> = p["workloads"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["CronJob", "DaemonSet", "Job", "Pod", "ReplicaSet", "Rollout", "StatefulSet"]);
    assert!(codes(&p).is_empty());
}

#[test]
fn list_helm_json_and_multi_doc_inputs_join() {
    // Issue 18: the S3 readers' conditions allow no listing, so the soundness check finds nothing wider.
    for (dir, identity_name) in [
        ("testdata/fixtures/k8s/list-kind", "inventory-stock-sync"),
        ("testdata/fixtures/k8s/helm-rendered", "orders-orders"),
        ("testdata/fixtures/k8s/json-manifest", "media-thumbnail-worker"),
        ("testdata/fixtures/k8s/multi-doc", "shop-api"),
    ] {
        let expected: [&str; 0] = [];
        let p = plan_json(&[dir]);
        assert_eq!(identity(&p, identity_name)["federated_credentials"].as_array().unwrap().len(), 1, "{dir}");
        assert_eq!(codes(&p), expected, "{dir}: {:#}", p["findings"]);
    }
}

#[test]
fn keda_scaled_job_is_a_workload_and_missing_keda_role_is_reported() {
    let p = plan_json(&["testdata/fixtures/k8s/keda-all"]);
    let kinds: Vec<&str> = p["workloads"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"ScaledJob") && kinds.contains(&"Deployment"), "{kinds:?}");
    assert!(codes(&p).contains(&"E2A004".to_string()));
}

#[test]
fn iam_export_shapes_join() {
    // get-role + get-role-policy joined by RoleName.
    let p = plan_json(&["testdata/fixtures/iam/get-role-policy"]);
    assert!(identity(&p, "search-sync")["aws_permissions"].to_string().contains("sqs:ReceiveMessage"));
    // get-role + list-attached + get-policy + get-policy-version joined by directory.
    let p = plan_json(&["testdata/fixtures/iam/get-policy-version"]);
    assert!(identity(&p, "pricing-engine")["aws_permissions"].to_string().contains("dynamodb:GetItem"));
    assert!(codes(&p).is_empty(), "{:#}", p["findings"]);
    // URL-encoded documents give the same permissions as decoded ones.
    let p = plan_json(&["testdata/fixtures/iam/url-encoded"]);
    let perms = identity(&p, "reports-reader")["aws_permissions"].to_string();
    assert!(perms.contains("s3:GetObject") && !perms.contains("dynamodb:*"), "{perms}");
}

#[test]
fn authorization_details_resolves_an_unexported_aws_managed_policy_from_the_bundle() {
    let p = plan_json(&["testdata/fixtures/iam/authz-details-full"]);
    let of = |code: &str| -> Vec<String> {
        let all = p["findings"].as_array().unwrap().iter();
        all.filter(|f| f["code"] == code).map(|f| f["message"].as_str().unwrap().to_string()).collect()
    };
    assert!(of("E2A009").iter().all(|m| !m.contains("AmazonS3ReadOnlyAccess")), "{:?}", of("E2A009"));
    let bundled = of("E2A130");
    assert!(bundled.iter().any(|m| m.contains("AmazonS3ReadOnlyAccess") && m.contains("version v3")), "{bundled:?}");
    let path_role = identity(&p, "payments-worker");
    assert_eq!(path_role["aws_role_arn"], "arn:aws:iam::111122223333:role/service/payments-worker");
}

#[test]
fn eksctl_cluster_config_links_service_accounts_and_reports_what_it_cannot_see() {
    let p = plan_json(&["testdata/fixtures/iam/eksctl"]);
    let c = codes(&p);
    // Its wellKnownPolicies (awsLoadBalancerController, autoScaler) are add-ons AKS replaces: E2A070, not E2A011.
    assert!(c.contains(&"E2A009".to_string()) && c.contains(&"E2A070".to_string()), "{c:?}");
    assert!(!c.contains(&"E2A011".to_string()), "{c:?}");
    let wl: Vec<&serde_json::Value> = p["workloads"].as_array().unwrap().iter().collect();
    assert!(wl.iter().all(|w| !w["identity"].is_null()), "{wl:#?}");
}

#[test]
fn bare_documents_are_notes_not_errors() {
    let p = plan_json(&["testdata/fixtures/iam/bare-documents", "testdata/fixtures/iam/policy-grammar"]);
    assert!(p["identities"].as_array().unwrap().is_empty());
    let c = all_codes(&p);
    assert!(!c.is_empty() && c.iter().all(|c| c == "E2A010"), "{c:?}");
}

#[test]
fn markdown_escapes_input_text() {
    let (code, out, _) = run(&["plan", "--format", "markdown", "testdata/examples/edw-keda"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("## eks2aks plan\n"));
    assert!(out.contains("| `edw-processor` | `arn:aws:iam::111122223333:role/edw-processor` |"));
}

#[test]
fn reads_standard_input() {
    let sa = std::fs::read_to_string("testdata/examples/edw-keda/k8s/serviceaccount.yaml").unwrap();
    let out = super::eks2aks().args(["plan", "--format", "json", "-"]).write_stdin(sa).output().unwrap();
    assert!(out.status.success());
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["findings"][0]["code"], "E2A004");
    assert_eq!(p["findings"][0]["file"], "<stdin>");
}

#[test]
fn ecr_images_are_reported_with_the_import_command() {
    let p = plan_json(&["testdata/examples/edw-keda"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A026").unwrap();
    assert!(
        f["message"].as_str().unwrap().contains("111122223333.dkr.ecr.us-east-1.amazonaws.com/edw/processor:1.4.2")
    );
    assert!(f["help"].as_str().unwrap().starts_with("az acr import --name <acr-name> --source 111122223333.dkr.ecr"));
}

/// The configuration example of the README is a valid config (unknown keys would be an error).
#[test]
fn readme_config_example_is_valid() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme.split("## Configuration").nth(1).expect("a Configuration section");
    let block = section.split("```yaml\n").nth(1).and_then(|b| b.split("```").next()).expect("a yaml block");
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("eks2aks.yaml");
    std::fs::write(&cfg, block).unwrap();
    let (code, _, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 0, "{err}\n{block}");
}

/// `EKS2AKS_TIMINGS` adds one JSON line on stderr (stages with seconds and resident memory, and the peak) and
/// changes nothing else; `0` or empty leaves it off.
#[test]
fn timings_go_to_stderr_only_when_asked() {
    let args = ["plan", "--format", "json", "testdata/examples/edw-keda"];
    let plain = super::eks2aks().args(args).output().unwrap();
    let timed = super::eks2aks().env("EKS2AKS_TIMINGS", "1").args(args).output().unwrap();
    let off = super::eks2aks().env("EKS2AKS_TIMINGS", "0").args(args).output().unwrap();
    assert_eq!(plain.stdout, timed.stdout);
    assert!(plain.stderr.is_empty() && off.stderr.is_empty());
    let line = String::from_utf8(timed.stderr).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let stages: Vec<&str> = v["stages"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap()).collect();
    assert_eq!(stages, ["read+parse", "join", "map+plan", "render", "exit"]);
    assert!(v["peak_kb"].as_u64().unwrap() > 0);
}

/// With `EKS2AKS_TIMINGS`, `translate` also reports the CPU seconds of each render task (what the benchmark prints
/// to show where render+write goes); the files it writes are the same.
#[test]
fn translate_timings_name_each_render_task() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, timed) = (tmp.path().join("plain"), tmp.path().join("timed"));
    let run = |out: &std::path::Path, timings: &str| {
        super::eks2aks()
            .env("EKS2AKS_TIMINGS", timings)
            .args(["--quiet", "translate", "testdata/examples/edw-keda", "--out", out.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let (p, t) = (run(&plain, "0"), run(&timed, "1"));
    assert!(p.status.success() && t.status.success() && p.stderr.is_empty());
    let v: serde_json::Value = serde_json::from_str(String::from_utf8(t.stderr).unwrap().trim()).unwrap();
    let cpu: Vec<&str> = v["cpu"].as_array().unwrap().iter().map(|c| c[0].as_str().unwrap()).collect();
    for task in ["render plan.json", "render plan.md", "render bicep", "render role-assignments", "render manifests"] {
        assert!(cpu.contains(&task), "{task} in {cpu:?}");
    }
    for f in ["plan.json", "bicep/main.bicep", "k8s/k8s/serviceaccount.yaml"] {
        let read = |d: &std::path::Path| std::fs::read(d.join(f)).ok();
        assert!(read(&plain).is_some() && read(&plain) == read(&timed), "{f}");
    }
}

/// The Markdown plan reads the plan lazily but is written only when whole: a user's template that fails after
/// printing a lot must not leave half a plan on stdout (`> plan.md` in CI).
#[test]
fn a_markdown_template_failing_half_way_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    super::copy_dir("templates", &templates);
    std::fs::write(
        templates.join("report/plan.md.j2"),
        "{% for i in range(100000) %}{{ plan.identities[0].name }} line {{ i }}\n{% endfor %}{{ 1 // 0 }}",
    )
    .unwrap();
    let o = super::eks2aks()
        .args([
            "--templates",
            templates.to_str().unwrap(),
            "plan",
            "--format",
            "markdown",
            "testdata/examples/edw-keda",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("plan.md.j2"), "{err}");
    assert!(o.stdout.is_empty(), "{} bytes of partial output", o.stdout.len());
}

#[test]
fn a_stringlike_trust_with_two_patterns_names_both() {
    let p = plan_json(&["testdata/fixtures/graph/trust-stringlike-two"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A007").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains(
            "by patterns `system:serviceaccount:other:*`, `system:serviceaccount:app:work*`; matched: app/worker"
        ),
        "{m}"
    );
}
