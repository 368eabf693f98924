//! Storage and load balancers (issue 20, part 3): StorageClasses, ALB Ingresses and Services with AWS
//! load-balancer annotations are rewritten by the plan's `fields` edits; `translate` keeps every object and changes
//! exactly what those edits list.

use crate::{plan_json, run};
use serde_json::{Value, json};

const FIXTURES: &[&str] =
    &["testdata/fixtures/k8s/storageclasses", "testdata/fixtures/k8s/ingress-alb", "testdata/fixtures/k8s/service-nlb"];

/// Every document of a YAML file, as JSON.
fn docs(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

/// Applies one `fields` edit of `plan.json` to an object, as the plan describes it.
fn apply_fields(obj: &mut Value, edit: &Value) {
    let path: Vec<&str> = edit["map"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let mut at = &mut *obj;
    for p in &path {
        if at.get(*p).is_none() {
            at[*p] = json!({});
        }
        at = &mut at[*p];
    }
    let map = at.as_object_mut().unwrap();
    for k in edit["remove"].as_array().into_iter().flatten() {
        map.remove(k.as_str().unwrap());
    }
    for s in edit["set"].as_array().into_iter().flatten() {
        map.insert(s["key"].as_str().unwrap().to_string(), s["value"].clone());
    }
    // A mapping left empty goes with its key.
    if map.is_empty()
        && let Some((last, parent)) = path.split_last()
    {
        let mut p = &mut *obj;
        for k in parent {
            p = &mut p[*k];
        }
        p.as_object_mut().unwrap().remove(*last);
    }
}

/// The output of `translate` holds every input object, each equal to the input with the plan's edits applied,
/// and nothing else; and the plan lists `fields` edits for each fixture.
#[test]
fn translate_keeps_every_object_and_changes_exactly_the_listed_edits() {
    for dir in FIXTURES {
        let plan = plan_json(&[dir]);
        let out = tempfile::tempdir().unwrap();
        let o = out.path().join("out");
        let (code, _, err) = run(&["translate", dir, "--out", o.to_str().unwrap()]);
        assert_eq!(code, 0, "{dir}: {err}");
        let mut fields = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let input = entry.unwrap().path();
            if input.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let mut expected = docs(&input);
            let display = input.to_string_lossy().into_owned();
            let file_edits = plan["manifest_edits"].as_array().unwrap().iter().find(|f| f["file"] == display.as_str());
            let lines: Vec<u64> = {
                let text = std::fs::read_to_string(&input).unwrap();
                // The line where each document's object starts: its first key after a `---` (or the file start).
                let mut starts = Vec::new();
                let mut want = true;
                for (i, l) in text.lines().enumerate() {
                    if l.starts_with("---") {
                        want = true;
                    } else if want && !l.starts_with('#') && !l.trim().is_empty() {
                        starts.push(i as u64 + 1);
                        want = false;
                    }
                }
                starts
            };
            for o in file_edits.iter().flat_map(|f| f["objects"].as_array().unwrap()) {
                let idx = lines.iter().position(|l| *l == o["line"].as_u64().unwrap()).expect("object line");
                for e in o["edits"].as_array().unwrap() {
                    assert_eq!(e["op"], "fields", "{display}: only fields edits here");
                    apply_fields(&mut expected[idx], e);
                    fields += 1;
                }
            }
            let got = docs(&o.join("k8s").join(input.file_name().unwrap()));
            assert_eq!(got.len(), expected.len(), "{display}: every object is kept");
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g, e, "{display}: the output object is the input with exactly the planned edits");
            }
        }
        assert!(fields > 0, "{dir}: the plan lists fields edits");
    }
}

fn out_doc(dir: &str, file: &str, config: Option<&str>, name: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let mut args = vec!["translate", dir, "--out", o.to_str().unwrap()];
    if let Some(c) = config {
        args.extend(["--config", c]);
    }
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    docs(&o.join("k8s").join(file)).into_iter().find(|d| d["metadata"]["name"] == name).expect("object")
}

#[test]
fn ebs_gp3_class_moves_to_premium_v2_with_its_iops_and_a_disk_encryption_set_placeholder() {
    let sc = out_doc(FIXTURES[0], "storageclasses.yaml", None, "gp3-encrypted");
    assert_eq!(sc["provisioner"], "disk.csi.azure.com");
    assert_eq!(
        sc["parameters"],
        json!({"csi.storage.k8s.io/fstype": "xfs", "skuName": "PremiumV2_LRS", "DiskIOPSReadWrite": "4000",
               "DiskMBpsReadWrite": "250", "diskEncryptionSetID": "REPLACE-ME-disk-encryption-set-id",
               "cachingMode": "None"})
    );
    assert_eq!((&sc["volumeBindingMode"], &sc["allowVolumeExpansion"]), (&json!("WaitForFirstConsumer"), &json!(true)));
    let efs = out_doc(FIXTURES[0], "storageclasses.yaml", None, "efs-sc");
    assert_eq!(efs["provisioner"], "file.csi.azure.com");
    assert_eq!(efs["parameters"], json!({"skuName": "Premium_LRS", "protocol": "nfs"}));
    let bare = out_doc(FIXTURES[0], "storageclasses.yaml", None, "ebs-default");
    assert_eq!(
        bare["parameters"],
        json!({"skuName": "PremiumV2_LRS", "cachingMode": "None"}),
        "the driver's default type, made explicit"
    );
    let gp2 = out_doc(FIXTURES[0], "storageclasses.yaml", None, "gp2");
    assert_eq!(gp2["parameters"], json!({"fsType": "ext4", "skuName": "Premium_LRS"}), "Premium_LRS keeps its caching");
}

#[test]
fn storage_findings_name_each_parameter_not_carried_and_each_aws_volume() {
    let plan = plan_json(&[FIXTURES[0]]);
    let lines = |code: &str| -> Vec<String> {
        plan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .map(|f| format!("{}:{}", f["file"].as_str().unwrap().rsplit('/').next().unwrap(), f["line"]))
            .collect()
    };
    assert_eq!(
        lines("E2A090"),
        [
            "storageclasses.yaml:19",
            "storageclasses.yaml:20",
            "storageclasses.yaml:30",
            "storageclasses.yaml:51",
            "storageclasses.yaml:66",
            "storageclasses.yaml:67",
            "storageclasses.yaml:68",
            "storageclasses.yaml:69",
            "storageclasses.yaml:70",
            "storageclasses.yaml:71",
            "storageclasses.yaml:90"
        ]
    );
    assert_eq!(lines("E2A091"), ["storageclasses.yaml:31"]);
    assert_eq!(lines("E2A092"), ["volumes.yaml:13", "volumes.yaml:38", "volumes.yaml:50"]);
    let pv = out_doc(FIXTURES[0], "volumes.yaml", None, "test-pv");
    assert_eq!(pv["spec"]["csi"]["volumeHandle"], "vol-03c604538dd7d2f41", "an AWS volume is never rewritten");
}

#[test]
fn alb_ingress_moves_to_app_routing_or_the_configured_class() {
    let ing = out_doc(FIXTURES[1], "ingress.yaml", None, "admin");
    assert_eq!(ing["spec"]["ingressClassName"], "webapprouting.kubernetes.azure.com");
    let ann = ing["metadata"]["annotations"].as_object().unwrap();
    assert!(!ann.contains_key("kubernetes.io/ingress.class"));
    assert_eq!(ann["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS");
    assert_eq!(ann["alb.ingress.kubernetes.io/scheme"], "internal", "kept, flagged: no one-to-one equivalent");
    let docs_ing = out_doc(FIXTURES[1], "ingress.yaml", None, "docs");
    assert_eq!(docs_ing["spec"]["ingressClassName"], "nginx", "another class is left alone");

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "ingress_class: azure-alb-external\n").unwrap();
    let ing = out_doc(FIXTURES[1], "ingress.yaml", Some(cfg.to_str().unwrap()), "ingress-2048");
    assert_eq!(ing["spec"]["ingressClassName"], "azure-alb-external");
    std::fs::write(&cfg, "ingress_class: traefik\n").unwrap();
    let (code, _, err) = run(&["plan", FIXTURES[1], "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ingress_class: traefik") && err.contains("webapprouting.kubernetes.azure.com"), "{err}");
}

#[test]
fn nlb_service_gets_the_azure_annotations_and_loses_the_aws_class() {
    let svc = out_doc(FIXTURES[2], "services.yaml", None, "api-nlb");
    assert!(svc["spec"].get("loadBalancerClass").is_none());
    let ann = svc["metadata"]["annotations"].as_object().unwrap();
    let p = "service.beta.kubernetes.io/";
    assert_eq!(ann[&format!("{p}azure-load-balancer-internal")], "true");
    assert_eq!(ann[&format!("{p}azure-load-balancer-health-probe-protocol")], "http");
    assert_eq!(ann[&format!("{p}azure-load-balancer-health-probe-request-path")], "/ready");
    assert!(!ann.contains_key(&format!("{p}aws-load-balancer-type")));
    assert!(ann.contains_key(&format!("{p}aws-load-balancer-subnets")), "kept, flagged");
    let plan = plan_json(&[FIXTURES[2]]);
    let flagged: Vec<&str> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "E2A093")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(flagged.len(), 4, "{flagged:?}");
    assert!(flagged.iter().any(|m| m.contains("aws-load-balancer-eip-allocations") && m.contains("azure-pip-name")));
}

#[test]
fn a_users_k8s_resources_table_overrides_the_bundled_one_and_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("k8s-resources.yaml");
    std::fs::write(
        &table,
        "storage:\n  ebs.csi.aws.com:\n    azure: disk.csi.azure.com\n    sku_parameter: type\n    default_type: gp3\n    sku_to: skuName\n    skus: {gp3: Premium_LRS}\n    parameters:\n      iops: {action: rename, to: DiskIOPSReadWrite, skus: [PremiumV2_LRS], note: sized}\n",
    )
    .unwrap();
    let (code, out, err) = run(&["check", "--format", "json", "--fail-on", "never", "testdata/rules/E2A090/near-miss"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("E2A090"));
    let m = dir.path().to_str().unwrap();
    let plan = plan_json(&["testdata/rules/E2A090/near-miss", "--mappings", m]);
    let edits = plan["manifest_edits"][0]["objects"][0]["edits"].to_string();
    assert!(edits.contains("Premium_LRS") && !edits.contains("DiskIOPSReadWrite"), "{edits}");
    assert!(crate::codes(&plan).contains(&"E2A090".to_string()), "iops is no longer carried on Premium_LRS");

    std::fs::write(&table, "service:\n  annotations:\n    x:\n      action: rename\n").unwrap();
    let (code, _, err) = run(&["plan", "testdata/rules/E2A090/near-miss", "--mappings", m]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("k8s-resources.yaml:3") && err.contains("rename and placeholder need `to`"), "{err}");
}

#[test]
fn every_manifest_shape_is_rewritten_and_an_emptied_annotations_map_goes() {
    let dir = "testdata/fixtures/k8s/storage-lb-shapes";
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("out");
    let (code, _, err) = run(&["translate", dir, "--out", o.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let flow = docs(&o.join("k8s/flow.yaml"));
    let by_name = |n: &str| flow.iter().find(|d| d["metadata"]["name"] == n).unwrap().clone();
    let f = by_name("flow");
    assert_eq!(
        f["metadata"]["annotations"],
        json!({"other": "x", "service.beta.kubernetes.io/azure-load-balancer-internal": "true"})
    );
    assert!(f["spec"].get("loadBalancerClass").is_none());
    assert_eq!(by_name("empty-params")["parameters"], json!({"skuName": "PremiumV2_LRS", "cachingMode": "None"}));
    assert!(by_name("all-gone")["metadata"].get("annotations").is_none(), "no `annotations: {{}}` left behind");
    let ing = by_name("ann-only");
    assert!(ing["metadata"].get("annotations").is_none());
    assert_eq!(ing["spec"]["ingressClassName"], "webapprouting.kubernetes.azure.com");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(o.join("k8s/svc.json")).unwrap()).unwrap();
    assert_eq!(
        j["metadata"]["annotations"],
        json!({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"})
    );
    let list = docs(&o.join("k8s/list.yaml"));
    assert_eq!(list[0]["items"][0]["provisioner"], "file.csi.azure.com");
    let plan = plan_json(&[dir]);
    let found: Vec<(String, bool)> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), !f["suppressed"].is_null()))
        .collect();
    assert_eq!(found, [("E2A090".into(), true), ("E2A090".into(), false), ("E2A090".into(), false)]);
}
