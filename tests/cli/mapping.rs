//! The mapping stage end to end: least-privilege roles, scopes, config targets, and what does not map.

use super::{codes, plan_json, run};

fn plan_with_config(dir: &str) -> serde_json::Value {
    let cfg = format!("{dir}/eks2aks.yaml");
    let mut args = vec!["plan", "--format", "json", dir];
    if std::path::Path::new(&cfg).is_file() {
        args.extend(["--config", cfg.as_str()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// (role name, role GUID, scope kind, scope name) of every assignment, sorted.
fn assignments(p: &serde_json::Value) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = crate::role_assignments(p)
        .map(|a| {
            (
                a["role_name"].as_str().unwrap().to_string(),
                a["role_definition_id"].as_str().unwrap().to_string(),
                a["scope"]["kind"].as_str().unwrap().to_string(),
                a["scope"]["azure_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn s(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
    (a.into(), b.into(), c.into(), d.into())
}

#[test]
fn example_gets_least_privilege_roles_with_correct_guids_at_resource_scope() {
    let p = plan_with_config("testdata/examples/edw-keda");
    assert_eq!(
        assignments(&p),
        [
            s("Storage Queue Data Message Processor", "8a0f0c08-91a1-4084-bc3d-661d67233fed", "queue", "edw-orders"),
            s("Storage Queue Data Reader", "19e7f393-937e-4f77-808e-94535e297925", "queue", "edw-orders"),
            s("Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "table", "edwresults"),
        ]
    );
    // The human port of the seed grants Queue Data Contributor; eks2aks is tighter and says what the table role
    // grants beyond the need.
    let table = &p["identities"][0]["role_assignments"][2];
    assert_eq!(
        table["excess_data_actions"],
        serde_json::json!(["Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete"])
    );
    assert_eq!(table["scope"]["aws_arn"], "arn:aws:dynamodb:us-east-1:111122223333:table/edw-results");
}

#[test]
fn deny_subtracts_writes_so_a_reader_role_is_chosen() {
    let p = plan_with_config("testdata/fixtures/mapping/deny-subtracts");
    assert_eq!(
        assignments(&p),
        [s("Storage Table Data Reader", "76199698-9eea-4c19-bc75-cec21354c6b6", "table", "ledger")]
    );
}

#[test]
fn resource_star_is_narrowed_to_what_the_workload_names() {
    let p = plan_with_config("testdata/fixtures/mapping/star-narrowed");
    assert_eq!(
        assignments(&p),
        [s("Storage Queue Data Message Sender", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", "queue", "outbox")]
    );
    assert!(codes(&p).is_empty(), "{:#}", p["findings"]);
}

#[test]
fn resource_star_with_nothing_named_is_widened_with_a_warning() {
    let p = plan_with_config("testdata/fixtures/mapping/star-widened");
    assert_eq!(
        assignments(&p),
        [s(
            "Storage Blob Data Reader",
            "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
            "storage_account",
            "param:storageAccountName"
        )]
    );
    // Issue 18: the condition allows no listing (`s3:GetObject` on `*` does not list): no E2A045.
    assert_eq!(codes(&p), ["E2A017"]);
}

#[test]
fn unknown_service_and_action_are_named_never_silent() {
    let p = plan_with_config("testdata/fixtures/mapping/unknown-service-and-action");
    assert_eq!(codes(&p), ["E2A014", "E2A015"]);
    let text = p["findings"].to_string();
    assert!(text.contains("`ec2`") && text.contains("sqs:Frobnicate"), "{text}");
    assert_eq!(assignments(&p).len(), 1);
}

#[test]
fn config_moves_sqs_to_service_bus() {
    let p = plan_with_config("testdata/fixtures/mapping/service-bus-target");
    assert_eq!(
        assignments(&p),
        [s("Azure Service Bus Data Receiver", "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", "service_bus_queue", "jobs")]
    );
}

#[test]
fn resource_targets_choose_per_resource() {
    let p = plan_with_config("testdata/fixtures/mapping/fifo-to-service-bus");
    assert_eq!(
        assignments(&p),
        [
            s(
                "Azure Service Bus Data Sender",
                "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
                "service_bus_queue",
                "orders.fifo"
            ),
            s("Storage Queue Data Message Sender", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", "queue", "audit"),
        ]
    );
    assert!(!codes(&p).contains(&"E2A023".to_string()), "the FIFO queue went to Service Bus");
}

#[test]
fn fifo_queue_on_storage_queue_warns() {
    let p = plan_with_config("testdata/fixtures/iam/authz-details-full");
    assert!(codes(&p).contains(&"E2A023".to_string()));
}

#[test]
fn custom_role_has_exactly_the_needed_actions_and_can_be_switched_off() {
    let (code, out, _) = run(&["plan", "--format", "json", "testdata/fixtures/mapping/custom-roles-off"]);
    assert_eq!(code, 0);
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let custom = &p["custom_roles"][0];
    assert_eq!(
        custom["data_actions"],
        serde_json::json!([
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
        ])
    );
    let a = &p["identities"][0]["role_assignments"][0];
    assert_eq!((a["custom"].as_bool(), &a["role_definition_id"]), (Some(true), &custom["role_definition_id"]));
    let p = plan_with_config("testdata/fixtures/mapping/custom-roles-off");
    assert_eq!(
        assignments(&p),
        [s("Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "container", "uploads")]
    );
    assert!(p["findings"].to_string().contains("E2A021"));
}

#[test]
fn s3_prefix_becomes_a_blob_path_condition_and_other_conditions_warn() {
    let p = plan_with_config("testdata/fixtures/mapping/s3-prefix-condition");
    let all: Vec<&serde_json::Value> = p["identities"][0]["role_assignments"].as_array().unwrap().iter().collect();
    let analytics = all.iter().find(|a| a["scope"]["azure_name"] == "analytics").unwrap();
    // Issue 18: `s3:prefix` is sent with listings only, so it limits the listing (`reports/*` → prefixes
    // starting `reports/`) and the statement's GetObject grants nothing (AWS never sends the key with it); the
    // `aws:SourceIp` statement is not translated at all rather than granted without its condition.
    let cond = analytics["condition"].as_str().unwrap();
    assert!(cond.contains("StringStartsWith 'reports/'") && cond.contains("StringEquals 'eks2aks:none'"), "{cond}");
    assert_eq!(analytics["aws_actions"], serde_json::json!(["s3:ListBucket"]));
    assert!(all.iter().all(|a| a["scope"]["azure_name"] != "public-assets"), "{all:#?}");
    assert_eq!(codes(&p), ["E2A020", "E2A020"]);
    let text = p["findings"].to_string();
    assert!(text.contains("sent with listings only") && text.contains("IpAddress aws:SourceIp"), "{text}");
}

#[test]
fn not_action_is_over_approximated_and_reported() {
    let p = plan_with_config("testdata/fixtures/mapping/not-action");
    assert_eq!(codes(&p), ["E2A018"]);
}

#[test]
fn broad_roles_are_never_chosen_anywhere() {
    let (_, out, _) = run(&["plan", "--format", "json", "testdata"]);
    for broad in [
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ] {
        assert!(!out.contains(broad), "{broad} chosen");
    }
}

#[test]
fn mappings_check_accepts_the_bundled_tables() {
    let (code, out, _) = run(&["mappings", "check"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("mapping tables are valid: 16 services"), "{out}");
    assert!(out.trim_end().ends_with("25 scope kinds"), "{out}");
}

#[test]
fn mappings_check_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("actions")).unwrap();
    std::fs::write(dir.path().join("services.yaml"), "services:\n  sqs:\n    name: SQS\n    arn_resources: []\n    default_target: nowhere\n    targets:\n      storage-queue:\n        azure_service: Q\n        azure_type: T\n        scope_kind: queue\n        naming: queue\n        roles: [Storage Queue Data Nobody]\n").unwrap();
    std::fs::write(
        dir.path().join("actions/sqs.yaml"),
        "service: sqs\nactions:\n  SendMessage:\n    access: Write\n    colour: red\n",
    )
    .unwrap();
    let (code, _, err) = run(&["mappings", "check", "--mappings", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("error: service `sqs`: default_target `nowhere`"), "{err}");
    assert!(err.contains("services.yaml:5:5\n  |\n5 |     default_target: nowhere\n  |     ^^^"), "{err}");
    assert!(err.contains("unknown role `Storage Queue Data Nobody`"), "{err}");
    assert!(err.contains("actions/sqs.yaml:5:") && err.contains("colour"), "{err}");
}

#[test]
fn mappings_list_names_tables_and_origins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("services.yaml"),
        "pairs:\n  - aws: Amazon Foo\n    azure: Azure Bar\n    category: Test\n",
    )
    .unwrap();
    let (code, out, _) = run(&["mappings", "list", "--mappings", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("actions/sqs.yaml") && out.contains("bundled"));
    assert!(out.contains(&format!("{}", dir.path().join("services.yaml").display())));
    assert!(out.contains("89 service pairs"), "{out}");
}

#[test]
fn unknown_target_in_config_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "targets:\n  sqs: kafka\n").unwrap();
    let (code, _, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2);
    assert!(err.contains("`targets.sqs: kafka`: not a target of sqs"), "{err}");
}

#[test]
fn a_deny_that_the_chosen_role_regrants_is_reported() {
    // Issue 18: Message Processor's process/action would delete the messages the policy denies deleting, so it
    // is not chosen; the warning says what receiving loses with it.
    let p = plan_with_config("testdata/fixtures/mapping/deny-regranted");
    assert_eq!(codes(&p), ["E2A019"]);
    let roles: Vec<&str> = p["identities"][0]["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role_name"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["Storage Queue Data Reader"]);
    let f = p["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A019").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(m.contains("process/action") && m.contains("sqs:ReceiveMessage"), "{f}");
}

/// Issue 18: base resources are cut by the grammar (a table `east` in us-east-1 kept whole; before, the ARN was
/// cut at the `east` of `us-east-1`), and an S3 access point becomes no container called `accesspoint`.
#[test]
fn base_resources_follow_the_grammar_and_access_points_are_not_containers() {
    let p = plan_json(&["testdata/fixtures/mapping/base-resource-by-grammar"]);
    let arns: Vec<&str> = p["resources"].as_array().unwrap().iter().map(|r| r["aws_arn"].as_str().unwrap()).collect();
    assert_eq!(arns, ["arn:aws:dynamodb:us-east-1:111122223333:table/east"]);
    let scopes: Vec<&str> = p["identities"][0]["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["scope"]["azure_name"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["east"]);
    assert!(
        p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "E2A015" && f["message"].as_str().unwrap().contains("S3 access point"))
    );
}

/// Issue 18 (found by review): two statements on one container gave two assignments of one role to one identity
/// on one scope — one `guid()` name twice in main.bicep, which ARM rejects. Now one each, conditions joined.
#[test]
fn one_assignment_per_role_and_scope() {
    let p = plan_json(&["testdata/fixtures/mapping/one-assignment-per-role-and-scope"]);
    let all = p["identities"][0]["role_assignments"].as_array().unwrap();
    let on = |c: &str| all.iter().filter(|a| a["scope"]["azure_name"] == c).collect::<Vec<_>>();
    let (data, logs) = (on("data"), on("logs"));
    assert_eq!((data.len(), logs.len()), (1, 1), "{all:#?}");
    let cond = data[0]["condition"].as_str().unwrap();
    assert!(cond.contains("StringLike 'a/*'") && cond.contains("StringLike 'b/*'"), "{cond}");
    // Issue 18: listing and reading are separate limits: reads stay under `public/*`, listing is not limited.
    let logs_cond = logs[0]["condition"].as_str().unwrap();
    assert!(
        logs_cond.contains("StringLike 'public/*'") && !logs_cond.contains("SubOperationMatches{'Blob.List'}))"),
        "{logs_cond}"
    );
}

/// A user's scope kind reaches the Bicep: the queue declared with the API version of `--mappings`' `scopes.yaml`,
/// the bundled one everywhere else (issue 19: scope kinds are data the outputs read).
#[test]
fn a_user_scope_kind_sets_the_api_version_bicep_declares() {
    let bundled = std::fs::read_to_string("mappings/scopes.yaml").unwrap();
    let start = bundled.find("  - kind: queue\n").unwrap();
    let end = start + bundled[start..].find("  - kind: table\n").unwrap();
    let queue = bundled[start..end].replace("\"2023-05-01\"", "\"2099-01-01\"");
    assert_ne!(queue, bundled[start..end], "the bundled queue kind names its API version");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scopes.yaml"), format!("kinds:\n{queue}")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let (code, _, err) = crate::run(&[
        "translate",
        "testdata/examples/edw-keda",
        "--mappings",
        dir.path().to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let bicep = std::fs::read_to_string(out_dir.join("bicep/main.bicep")).unwrap();
    assert!(bicep.contains("'Microsoft.Storage/storageAccounts/queueServices/queues@2099-01-01'"), "{bicep}");
    assert!(bicep.contains("'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01'"), "{bicep}");
}
