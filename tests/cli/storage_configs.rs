//! Storage configurations of common stacks (issue 21, Deliver 2 and 4): the S3 settings of Loki, Thanos, Argo's
//! artifact repository, Velero and Spark are rewritten for Azure Blob Storage by plan edits (listed in
//! `manifest_edits`), or fail the gate (E2A140) with the manual step.

use crate::{codes, plan_json, run};
use serde_json::Value;

const EXAMPLE: &str = "testdata/examples/observability-and-data";
const CONFIG: &str = "testdata/examples/observability-and-data/eks2aks.yaml";

/// The value at a path of the documents of a YAML file, by kind and name.
fn object(path: &std::path::Path, kind: &str, name: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .find(|v: &Value| v["kind"] == kind && v["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} not in {}", path.display()))
}

#[test]
fn check_fails_on_an_s3_config_it_cannot_rewrite_and_passes_when_it_is_rewritten() {
    let fires = "testdata/rules/E2A140/fires";
    let (code, out, _) = run(&["check", fires, "--config", &format!("{fires}/eks2aks.yaml")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[E2A140]") && out.contains("thanos-metrics-archive"), "{out}");
    assert!(out.contains("Change it by hand: replace `config` with"), "{out}");
    // The placeholders the step still holds are explained, not left bare.
    assert!(out.contains("where {account} is `azure.storage_account` in eks2aks.yaml, {container} is the Azure container of the entry's bucket"), "{out}");
    let near = "testdata/rules/E2A140/near-miss";
    let (code, out, _) = run(&["check", near, "--config", &format!("{near}/eks2aks.yaml")]);
    assert_eq!(code, 0, "{out}");
    // The endpoint inside the rewritten config is not reported as left on AWS: the rewrite removes it.
    assert!(!out.contains("E2A027"), "{out}");
}

#[test]
fn a_config_whose_storage_account_is_unknown_is_rewritten_with_a_placeholder_and_fails_the_gate() {
    let near = "testdata/rules/E2A140/near-miss";
    let (code, out, _) = run(&["check", near]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("REPLACE-ME placeholders: set `azure.storage_account` in eks2aks.yaml"), "{out}");
}

#[test]
fn the_example_lists_one_storage_edit_per_config_and_passes_the_gate() {
    let plan = plan_json(&[EXAMPLE, "--config", CONFIG]);
    let mut shapes: Vec<String> = plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap().iter())
        .flat_map(|o| o["edits"].as_array().unwrap().iter())
        .filter(|e| e["op"] == "storage-config")
        .map(|e| e["shape"].as_str().unwrap().to_string())
        .collect();
    shapes.sort();
    assert_eq!(
        shapes,
        [
            "argo-artifact-repository",
            "loki",
            "spark",
            "thanos-objstore",
            "velero-backup-location",
            "velero-snapshot-location"
        ]
    );
    // Warnings and errors: only Velero's snapshot rights, assigned on the node resource group with what they allow
    // beyond the EC2 actions (E2A143, in place of "no ec2 mapping").
    assert_eq!(codes(&plan), ["E2A143"]);
    let notes = plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A141").count();
    assert_eq!(notes, 7, "one per config and one for Velero's plugin image");
    let (code, out, _) = run(&["check", EXAMPLE, "--config", CONFIG]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn translate_writes_azure_storage_settings_and_keeps_the_rest_of_each_config() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let (code, _, err) = run(&["translate", EXAMPLE, "--config", CONFIG, "--out", o.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let k8s = o.join("k8s/k8s");
    let loki = object(&k8s.join("loki.yaml"), "ConfigMap", "loki");
    let config = loki["data"]["config.yaml"].as_str().unwrap();
    let input = std::fs::read_to_string(format!("{EXAMPLE}/k8s/loki.yaml")).unwrap();
    // Untouched lines of the embedded config, its comment included, are there as they were.
    assert!(config.contains("  retention_period: 744h   # 31 days\n"), "{config}");
    assert!(input.contains("retention_period: 744h   # 31 days"));
    let parsed: Value = serde_norway::from_str(config).unwrap();
    assert_eq!(parsed["common"]["storage"]["azure"]["account_name"], "stobsprod");
    assert_eq!(parsed["common"]["storage"]["azure"]["use_federated_token"], true);
    assert_eq!(parsed["ruler"]["storage"]["azure"]["container_name"], "loki-ruler-prod");
    assert_eq!(parsed["schema_config"]["configs"][0]["object_store"], "azure");
    assert!(parsed["storage_config"].get("aws").is_none());
    let bsl = object(&k8s.join("velero.yaml"), "BackupStorageLocation", "default");
    assert_eq!(bsl["spec"]["provider"], "azure");
    assert_eq!(bsl["spec"]["config"]["useAAD"], "true");
    assert_eq!(bsl["spec"]["config"]["resourceGroup"], "rg-observability");
    assert_eq!(bsl["spec"]["objectStorage"]["prefix"], "cluster-a");
    let velero = object(&k8s.join("velero.yaml"), "Deployment", "velero");
    assert_eq!(
        velero["spec"]["template"]["spec"]["initContainers"][0]["image"],
        "velero/velero-plugin-for-microsoft-azure:v1.10.0"
    );
    let repo = object(&k8s.join("argo.yaml"), "ConfigMap", "artifact-repositories");
    let repo: Value =
        serde_norway::from_str(repo["data"]["default-v1-s3-artifact-repository"].as_str().unwrap()).unwrap();
    assert_eq!(repo["azure"]["endpoint"], "https://stobsprod.blob.core.windows.net");
    assert_eq!(repo["azure"]["useSDKCreds"], true);
    assert_eq!(repo["azure"]["blobNameFormat"], "{{workflow.name}}/{{pod.name}}");
    assert_eq!(repo["archiveLogs"], true);
    let spark = object(&k8s.join("spark.yaml"), "SparkApplication", "nightly-compaction");
    assert_eq!(
        spark["spec"]["mainApplicationFile"],
        "abfss://spark-lake-prod@stobsprod.dfs.core.windows.net/jobs/compaction.py"
    );
    let conf = &spark["spec"]["sparkConf"];
    assert_eq!(
        conf["spark.hadoop.fs.azure.account.oauth.provider.type"],
        "org.apache.hadoop.fs.azurebfs.oauth2.WorkloadIdentityTokenProvider"
    );
    assert_eq!(conf["spark.hadoop.fs.azure.account.oauth2.client.id"], "REPLACE-WITH-CLIENT-ID-OF-spark-lake");
    assert!(conf.get("spark.hadoop.fs.s3a.aws.credentials.provider").is_none());
    assert_eq!(spark["spec"]["driver"]["labels"]["azure.workload.identity/use"], "true");
}

#[test]
fn a_client_id_given_to_translate_goes_into_the_spark_settings() {
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.json");
    std::fs::write(&ids, r#"{"spark-lake": "11111111-2222-3333-4444-555555555555"}"#).unwrap();
    let o = dir.path().join("out");
    let args =
        ["translate", EXAMPLE, "--config", CONFIG, "--client-ids", ids.to_str().unwrap(), "--out", o.to_str().unwrap()];
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let spark = object(&o.join("k8s/k8s/spark.yaml"), "SparkApplication", "nightly-compaction");
    assert_eq!(
        spark["spec"]["sparkConf"]["spark.hadoop.fs.azure.account.oauth2.client.id"],
        "11111111-2222-3333-4444-555555555555"
    );
}

/// Issue 21: "Velero keeps snapshot rights on Azure" — in the outputs, not only in a finding: Disk Snapshot
/// Contributor and Disk Restore Operator on the node resource group, in plan.json, in a Bicep module deployed at
/// that resource group, in role-assignments.json and in the az script.
#[test]
fn velero_snapshot_rights_are_assigned_on_the_node_resource_group_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tmp.path().join("out");
    let (code, _, err) = run(&["translate", EXAMPLE, "--config", CONFIG, "--out", o.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(o.join("plan.json")).unwrap()).unwrap();
    let velero = plan["identities"].as_array().unwrap().iter().find(|i| i["name"] == "velero-backup").unwrap();
    let on_node_group: Vec<(&str, &str)> = velero["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["scope"]["kind"] == "node_resource_group")
        .map(|a| (a["role_name"].as_str().unwrap(), a["role_definition_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        on_node_group,
        [
            ("Disk Snapshot Contributor", "7efff54f-a5b4-42b5-a1c5-5411624893ce"),
            ("Disk Restore Operator", "b50d9833-a0cb-478e-945f-707fcc997c13")
        ]
    );
    let findings = plan["findings"].as_array().unwrap();
    let f = findings.iter().find(|f| f["code"] == "E2A143").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(m.starts_with("identity `velero-backup`"), "{m}");
    assert!(
        m.contains("`MC_rg-observability_aks-prod_westeurope`") && m.contains("listing the keys of storage accounts"),
        "{m}"
    );
    assert!(!findings.iter().any(|f| f["code"] == "E2A014" || f["code"] == "E2A142"), "{findings:#?}");
    // Bicep: a module deployed at the node resource group, passed the identity's principal id.
    let main = std::fs::read_to_string(o.join("bicep/main.bicep")).unwrap();
    assert!(main.contains("module nodeResourceGroupRoles 'nodeResourceGroupRoles.bicep' = {\n  name: 'eks2aks-nodeResourceGroupRoles'\n  scope: resourceGroup(nodeResourceGroup)\n"), "{main}");
    assert!(main.contains("      'velero-backup': id_velero_backup.properties.principalId\n"), "{main}");
    let module = std::fs::read_to_string(o.join("bicep/nodeResourceGroupRoles.bicep")).unwrap();
    assert_eq!(module.matches("resource ra").count(), 2, "{module}");
    for role in ["7efff54f-a5b4-42b5-a1c5-5411624893ce", "b50d9833-a0cb-478e-945f-707fcc997c13"] {
        assert!(
            module.contains(&format!(
                "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{role}')"
            )),
            "{module}"
        );
    }
    let params: Value =
        serde_json::from_str(&std::fs::read_to_string(o.join("bicep/main.parameters.json")).unwrap()).unwrap();
    assert_eq!(params["parameters"]["nodeResourceGroup"]["value"], "MC_rg-observability_aks-prod_westeurope");
    // role-assignments.json and the script: the node resource group's id, not the deployment's.
    let listed: Value =
        serde_json::from_str(&std::fs::read_to_string(o.join("role-assignments.json")).unwrap()).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["scope"]["kind"] == "node_resource_group")
        .map(|e| e["scope"]["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["/subscriptions/{subscriptionId}/resourceGroups/{nodeResourceGroup}"; 2]);
    let script = std::fs::read_to_string(o.join("role-assignments.sh")).unwrap();
    assert!(script.contains("if [ -z \"${NODE_RESOURCE_GROUP:-}\" ]; then NODE_RESOURCE_GROUP='MC_rg-observability_aks-prod_westeurope'; fi"), "{script}");
    assert_eq!(
        script.matches("--scope \"/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${NODE_RESOURCE_GROUP}\"").count(),
        2,
        "{script}"
    );
}

/// A snapshot action allowed with limits — a condition, named resources, or a Deny that may apply — is not
/// assigned as a whole resource group's role: the role that stands for it is E2A142 (by hand, with its command),
/// the roles whose actions are all plain are still assigned (E2A143).
#[test]
fn a_limited_snapshot_grant_is_left_to_a_person() {
    let fires = "testdata/rules/E2A142/fires";
    let plan = plan_json(&[fires, "--config", &format!("{fires}/eks2aks.yaml")]);
    let roles = |plan: &Value| -> Vec<String> {
        plan["identities"][0]["role_assignments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["scope"]["kind"] == "node_resource_group")
            .map(|a| a["role_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(roles(&plan), ["Disk Restore Operator"]);
    let f = plan["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A142").unwrap();
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains("allow ec2:CreateTags carry conditions") && m.contains("Disk Snapshot Contributor not assigned"),
        "{m}"
    );
    assert!(m.contains("--role 7efff54f-a5b4-42b5-a1c5-5411624893ce --scope /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/MC_rg_aks_westeurope"), "{m}");
    assert_eq!(f["line"], 47, "at the statement that limits it");
    // A Deny on one of Disk Restore Operator's actions: neither role is assigned by the outputs.
    let dir = tempfile::tempdir().unwrap();
    for f in ["velero.yaml", "eks2aks.yaml"] {
        std::fs::copy(format!("{fires}/{f}"), dir.path().join(f)).unwrap();
    }
    let iam = std::fs::read_to_string(format!("{fires}/iam.json")).unwrap().replacen(
        "\"Statement\": [\n                            {",
        "\"Statement\": [\n                            {\"Effect\": \"Deny\", \"Action\": \"ec2:CreateVolume\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:ViaAWSService\": \"false\"}}},\n                            {",
        1,
    );
    std::fs::write(dir.path().join("iam.json"), iam).unwrap();
    let d = dir.path().to_str().unwrap();
    let plan = plan_json(&[d, "--config", &format!("{d}/eks2aks.yaml")]);
    assert!(roles(&plan).is_empty(), "{:#?}", plan["identities"]);
    let m: Vec<&str> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A142")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        m.len() == 1
            && m[0].contains("ec2:CreateTags, ec2:CreateVolume")
            && m[0].contains("Disk Snapshot Contributor and Disk Restore Operator not assigned"),
        "{m:#?}"
    );
}

/// Mimir (and Cortex, the same blocks) and Tempo, in the charts' shapes: both rewritten to Azure Blob Storage with
/// workload identity; without the storage account, the placeholders fail the gate.
#[test]
fn mimir_and_tempo_configs_are_rewritten_for_azure() {
    let dir = "testdata/fixtures/k8s/storage-mimir-tempo";
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) =
        run(&["translate", dir, "--config", &format!("{dir}/eks2aks.yaml"), "--out", out.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mimir = object(&out.path().join("k8s/k8s/mimir.yaml"), "ConfigMap", "mimir-config");
    let mimir: Value = serde_norway::from_str(mimir["data"]["mimir.yaml"].as_str().unwrap()).unwrap();
    assert_eq!(mimir["blocks_storage"]["backend"], "azure");
    assert_eq!(
        mimir["blocks_storage"]["azure"],
        serde_json::json!({"account_name": "stobsprod", "container_name": "mimir-blocks-prod"})
    );
    assert!(mimir["blocks_storage"]["s3"].is_null() && mimir["blocks_storage"]["tsdb"]["dir"] == "/data/tsdb");
    let tempo = object(&out.path().join("k8s/k8s/tempo.yaml"), "ConfigMap", "tempo");
    let tempo: Value = serde_norway::from_str(tempo["data"]["tempo.yaml"].as_str().unwrap()).unwrap();
    assert_eq!(tempo["storage"]["trace"]["backend"], "azure");
    assert_eq!(tempo["storage"]["trace"]["azure"]["use_federated_token"], true);
    assert_eq!(tempo["storage"]["trace"]["azure"]["container_name"], "tempo-traces-prod");
    let (code, out, _) = run(&["check", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[E2A140]") && out.contains("Grafana Mimir / Cortex"), "{out}");
}

/// Two snapshotter shapes (a user's beside the bundled Velero one) that name the same roles for one identity give
/// one assignment per role, not two: the plan's own check would otherwise stop translate.
#[test]
fn two_snapshotter_shapes_give_one_assignment_per_role() {
    let fires = "testdata/rules/E2A143/fires";
    let maps = tempfile::tempdir().unwrap();
    std::fs::write(
        maps.path().join("storage-configs.yaml"),
        "shapes:\n  - id: other-snapshotter\n    name: Another snapshotter\n    source: test\n    in:\n      kinds: [Deployment]\n    images:\n      from: example/snapshotter-aws\n      to: example/snapshotter-azure\n    snapshots:\n      scope_kind: node_resource_group\n      actions: [ec2:CreateSnapshot, ec2:DescribeSnapshots]\n      roles:\n        - name: Disk Snapshot Contributor\n          id: 7efff54f-a5b4-42b5-a1c5-5411624893ce\n          actions: [ec2:CreateSnapshot, ec2:DescribeSnapshots]\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let (code, _, err) = run(&[
        "translate",
        fires,
        "--config",
        &format!("{fires}/eks2aks.yaml"),
        "--mappings",
        maps.path().to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(o.join("plan.json")).unwrap()).unwrap();
    let roles: Vec<&str> = plan["identities"][0]["role_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["scope"]["kind"] == "node_resource_group")
        .map(|a| a["role_name"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["Disk Snapshot Contributor", "Disk Restore Operator"]);
    let e2a143 = plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A143").count();
    assert_eq!(e2a143, 2, "one per snapshotter shape");
}

/// The mimir-distributed chart's layout — `common.storage.s3` with only the endpoint and region, one bucket per
/// component — is rewritten (the shared block keeps the account alone), not refused with "names no bucket".
#[test]
fn mimir_with_shared_common_storage_and_a_bucket_per_component_is_rewritten() {
    let dir = "testdata/fixtures/k8s/storage-mimir-common";
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) =
        run(&["translate", dir, "--config", &format!("{dir}/eks2aks.yaml"), "--out", out.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mimir = object(&out.path().join("k8s/k8s/mimir.yaml"), "ConfigMap", "mimir-config");
    let mimir: Value = serde_norway::from_str(mimir["data"]["mimir.yaml"].as_str().unwrap()).unwrap();
    assert_eq!(
        mimir["common"]["storage"],
        serde_json::json!({"backend": "azure", "azure": {"account_name": "stmetricsprod"}})
    );
    for (block, container) in [
        ("blocks_storage", "acme-mimir-blocks"),
        ("ruler_storage", "acme-mimir-ruler"),
        ("alertmanager_storage", "acme-mimir-alertmanager"),
    ] {
        assert_eq!(mimir[block]["azure"]["container_name"], container, "{block}");
        assert!(mimir[block]["s3"].is_null(), "{block}");
    }
    let (code, out, _) = run(&["check", dir, "--config", &format!("{dir}/eks2aks.yaml")]);
    assert_eq!(code, 0, "{out}");
}

/// The test that spares a ConfigMap or Secret a second parse (`plan::storage_configs`) never skips a config whose
/// key is written in another form than its text: a double-quoted key with an escape (`"objstore\x2eyml"`, YAML
/// 1.2 §5.7) is read and rewritten like the plain one.
#[test]
fn a_config_under_an_escaped_key_is_still_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let near = "testdata/rules/E2A140/near-miss";
    crate::copy_dir(near, dir.path());
    let file = dir.path().join("thanos.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("  objstore.yml: |\n"));
    std::fs::write(&file, text.replace("  objstore.yml: |\n", "  \"objstore\\x2eyml\": |\n")).unwrap();
    let config = dir.path().join("eks2aks.yaml");
    let plan = plan_json(&[dir.path().to_str().unwrap(), "--config", config.to_str().unwrap()]);
    let storage: Vec<&Value> = plan["manifest_edits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap().iter())
        .flat_map(|o| o["edits"].as_array().unwrap().iter())
        .filter(|e| e["op"] == "storage-config")
        .collect();
    assert_eq!(storage.len(), 1, "{plan:#}");
    assert_eq!(storage[0]["shape"], "thanos-objstore");
    let notes: Vec<&Value> = plan["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "E2A141").collect();
    assert!(notes.iter().any(|f| f["message"].as_str().unwrap().contains("key `objstore.yml`")), "{notes:?}");
}
