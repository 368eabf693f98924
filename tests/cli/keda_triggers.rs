//! KEDA's Kinesis, DynamoDB, DynamoDB Streams and CloudWatch triggers (issue 20, finding 6): rewritten to
//! `azure-eventhub` when the stream maps to an Event Hub, never left on AWS silently (E2A103–E2A105 are errors, so
//! `check` fails), and driven by `mappings/keda-triggers.yaml`, which `--mappings` overrides.

use super::{messages, plan_json, run};
use serde_json::{Value, json};

const KINESIS: &str = "testdata/fixtures/k8s/keda-kinesis";

/// The edits of the plan on objects of `kind`.
fn edits_of(plan: &Value, kind: &str) -> Vec<Value> {
    plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap().iter())
        .filter(|o| o["kind"] == kind)
        .flat_map(|o| o["edits"].as_array().unwrap().iter().cloned())
        .collect()
}

#[test]
fn a_kinesis_trigger_on_a_mapped_stream_becomes_an_event_hub_trigger_authenticating_as_the_workload() {
    let plan = plan_json(&[KINESIS]);
    let triggers = edits_of(&plan, "ScaledObject");
    assert_eq!(triggers.len(), 1, "only the mapped stream's trigger is rewritten: {triggers:?}");
    let t = &triggers[0];
    assert_eq!((t["op"].as_str(), t["index"].as_u64()), (Some("trigger"), Some(0)));
    assert_eq!(t["with"]["type"], "azure-eventhub");
    assert_eq!(t["with"]["metadata"]["eventHubName"], "orders");
    assert_eq!(t["with"]["metadata"]["consumerGroup"], "$Default");
    assert!(t["with"]["metadata"].get("unprocessedEventThreshold").is_none(), "shards are not events");
    // `keda-aws` also serves the `clickstream` trigger, left on AWS: it stays as it is (review 3, d2), and the
    // rewritten trigger gets an authentication derived from it.
    assert_eq!(t["with"]["authenticationRef"]["name"], "keda-aws-orders-consumer");
    assert!(edits_of(&plan, "TriggerAuthentication").is_empty(), "keda-aws is not rewritten");
    let added = plan["keda_authentications"].as_array().unwrap();
    assert_eq!(
        (&added[0]["name"], &added[0]["identity"]),
        (&json!("keda-aws-orders-consumer"), &json!("orders-consumer"))
    );
    assert_eq!(added[0]["derived_from"], "keda-aws");
    let id = &plan["identities"][0];
    let creds: Vec<&str> =
        id["federated_credentials"].as_array().unwrap().iter().map(|c| c["subject"].as_str().unwrap()).collect();
    assert!(creds.contains(&"system:serviceaccount:kube-system:keda-operator"), "{creds:?}");
    let rewritten = messages(&plan, "E2A102");
    assert_eq!(rewritten.len(), 1, "{rewritten:?}");
    assert!(rewritten[0].contains("`shardCount: 2`") && rewritten[0].contains("blobContainer"), "{}", rewritten[0]);
    let left = messages(&plan, "E2A103");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains("streamName: clickstream") && left[0].contains("left pointing at AWS"), "{}", left[0]);
}

#[test]
fn check_fails_on_every_trigger_left_pointing_at_aws() {
    for (dir, code) in [
        (KINESIS, "E2A103"),
        ("testdata/fixtures/k8s/keda-cloudwatch", "E2A104"),
        ("testdata/fixtures/k8s/keda-dynamodb", "E2A105"),
        ("testdata/fixtures/k8s/keda-dynamodb", "E2A103"),
    ] {
        let (exit, out, err) = run(&["check", dir]);
        assert_eq!(exit, 1, "{dir}: {err}");
        assert!(out.contains(&format!("error[{code}]")), "{dir}: {out}");
    }
}

#[test]
fn the_cloudwatch_finding_names_the_metric_and_the_azure_monitor_fields() {
    let plan = plan_json(&["testdata/fixtures/k8s/keda-cloudwatch"]);
    let m = messages(&plan, "E2A104");
    assert_eq!(m.len(), 1);
    for part in ["namespace: AWS/SQS", "metricName: ApproximateNumberOfMessagesVisible", "dimensionValue: report-jobs"]
    {
        assert!(m[0].contains(part), "{part}: {}", m[0]);
    }
    for field in ["resourceURI", "tenantId", "subscriptionId", "resourceGroupName", "metricAggregationType"] {
        assert!(m[0].contains(field), "{field}: {}", m[0]);
    }
    assert!(edits_of(&plan, "ScaledObject").is_empty());
    assert!(edits_of(&plan, "TriggerAuthentication").is_empty(), "no trigger of it carries over");
}

#[test]
fn a_dynamodb_stream_the_plan_maps_to_table_storage_stays_with_what_it_maps_to() {
    let plan = plan_json(&["testdata/fixtures/k8s/keda-dynamodb"]);
    let m = messages(&plan, "E2A103");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("ScaledJob ledger/ledger-projector") && m[0].contains("table/ledger-events/stream/*"),
        "{}",
        m[0]
    );
    assert!(m[0].contains("maps to Azure Table Storage (target `storage-table` of dynamodb)"), "{}", m[0]);
    assert!(edits_of(&plan, "ScaledJob").iter().all(|e| e["op"] != "trigger"));
    // A trigger that stays on AWS gives the KEDA operator no way to sign in as the identity.
    let creds = plan["identities"][0]["federated_credentials"].to_string();
    assert!(!creds.contains("keda-operator"), "{creds}");
}

#[test]
fn a_users_trigger_table_overrides_the_bundled_entry() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = std::fs::read_to_string("mappings/keda-triggers.yaml").unwrap();
    std::fs::write(
        dir.path().join("keda-triggers.yaml"),
        bundled.replacen("consumerGroup: $Default", "consumerGroup: keda", 1),
    )
    .unwrap();
    let plan = plan_json(&["--mappings", dir.path().to_str().unwrap(), KINESIS]);
    assert_eq!(edits_of(&plan, "ScaledObject")[0]["with"]["metadata"]["consumerGroup"], "keda");
}

#[test]
fn a_broken_trigger_table_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keda-triggers.yaml"),
        "triggers:\n  - type: aws-kinesis-stream\n    docs: aws-kinesis.md\n    outcome: rewrite\n    manual: by hand\n    source:\n      service: kinesys\n      resource: stream/{streamName}\n    azure:\n      scaler: azure-eventhub\n      docs: azure-event-hub.md\n      azure_type: Microsoft.EventHub/namespaces/eventhubs\n      set:\n        eventHubName: \"{nmae}\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&["mappings", "check", "--mappings", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("keda-triggers.yaml:2:"), "{err}");
    assert!(err.contains("source.service `kinesys` is not in services.yaml"), "{err}");
    assert!(err.contains("unknown placeholder `{nmae}`"), "{err}");
}

#[test]
fn a_kinesis_trigger_naming_its_role_without_an_authentication_gets_one_added() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["iam/account-authorization-details.json", "k8s/app.yaml"] {
        std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
        std::fs::copy(format!("{KINESIS}/{f}"), dir.path().join(f)).unwrap();
    }
    // KEDA's deprecated `awsRoleArn` in the trigger's metadata, no authenticationRef (aws-kinesis.md).
    std::fs::write(
        dir.path().join("k8s/keda.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: orders-consumer\n  namespace: orders\nspec:\n  scaleTargetRef:\n    name: orders-consumer\n  triggers:\n    - type: aws-kinesis-stream\n      metadata:\n        streamName: orders\n        awsRegion: eu-west-1\n        awsRoleArn: arn:aws:iam::111122223333:role/orders-consumer\n",
    )
    .unwrap();
    let plan = plan_json(&[dir.path().to_str().unwrap()]);
    let added = plan["keda_authentications"].as_array().unwrap();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["identity"], "orders-consumer");
    let t = &edits_of(&plan, "ScaledObject")[0];
    assert_eq!(t["with"]["type"], "azure-eventhub");
    assert_eq!(t["with"]["authenticationRef"]["name"], added[0]["name"]);
    assert!(t["with"]["metadata"].get("awsRoleArn").is_none());
}

#[test]
fn translate_writes_the_event_hub_trigger_and_keeps_the_one_left_on_aws() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let (code, _, err) = run(&["translate", KINESIS, "--out", o.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let keda = std::fs::read_to_string(o.join("k8s/k8s/keda.yaml")).unwrap();
    assert!(keda.contains("    - type: azure-eventhub\n      metadata:\n"), "{keda}");
    assert!(keda.contains("        eventHubName: orders\n"), "{keda}");
    assert!(keda.contains("    - type: aws-kinesis-stream\n") && keda.contains("streamName: clickstream"), "{keda}");
    assert!(!keda.contains("streamName: orders"), "{keda}");
    assert!(keda.contains("provider: azure-workload"), "{keda}");
}
