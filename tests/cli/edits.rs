//! The plan is the only input of the manifest rewrite (issue 19): `plan.manifest_edits` lists every edit, so a
//! manifest `translate` changes is exactly a manifest with planned edits (or with documents the plan adds), and the
//! reverse bridge's manifests are exactly the files of `plan.eks_side_edits`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every tree under `testdata/examples` and `testdata/fixtures/*` with the configs that go with it.
fn trees() -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut out = Vec::new();
    let dirs = |p: &str| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> =
            std::fs::read_dir(p).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
        v.sort();
        v
    };
    for group in dirs("testdata/fixtures").into_iter().chain([PathBuf::from("testdata/examples")]) {
        for tree in dirs(group.to_str().unwrap()) {
            let mut configs: Vec<PathBuf> = std::fs::read_dir(&tree)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name().is_some_and(|n| {
                        n.to_string_lossy().starts_with("eks2aks") && n.to_string_lossy().ends_with(".yaml")
                    })
                })
                .collect();
            configs.sort();
            if configs.is_empty() {
                out.push((tree, None));
            } else {
                out.extend(configs.into_iter().map(|c| (tree.clone(), Some(c))));
            }
        }
    }
    out
}

fn file_set(edits: &[eks2aks::plan::edits::FileEdits]) -> BTreeSet<String> {
    edits.iter().map(|f| f.file.to_string()).collect()
}

#[test]
fn translate_changes_exactly_the_manifests_the_plan_edits() {
    let tables = eks2aks::mapping::load(None).unwrap();
    let tpl = eks2aks::templates::Templates::default();
    let mut checked = 0;
    let mut edited = 0;
    for (tree, config) in trees() {
        let cfg = eks2aks::config::load(config.as_deref()).unwrap().0;
        let Ok(mut a) = eks2aks::analyse(std::slice::from_ref(&tree), &cfg, &tables) else { continue };
        let planned = file_set(&a.plan.manifest_edits);
        let appended: BTreeSet<String> = a.plan.keda_authentications.iter().map(|k| k.file.to_string()).collect();
        let eks_side = file_set(&a.plan.eks_side_edits);
        // Each input file of the tree, with its usual output path.
        let inputs: Vec<(String, String)> = a
            .model
            .objects_by_file()
            .into_keys()
            .map(|id| {
                let f = a.files.get(id);
                (f.display.to_string(), eks2aks::render::safe_relative(f.relative()))
            })
            .collect();
        let out = eks2aks::render::translate(&mut a, &cfg, &tpl, &Default::default()).unwrap();
        for (display, rel) in &inputs {
            let input = std::fs::read_to_string(Path::new(display)).unwrap();
            let output = out.get(&format!("k8s/{rel}")).unwrap_or_else(|| panic!("{display}: no k8s/{rel}"));
            let changed = output.trim_end() != input.trim_end();
            let in_plan = planned.contains(display) || appended.contains(display);
            assert_eq!(
                changed,
                in_plan,
                "{}{}: {display} changed={changed}, planned={in_plan}",
                tree.display(),
                config.as_ref().map(|c| format!(" ({})", c.display())).unwrap_or_default()
            );
            assert_eq!(out.contains_key(&format!("eks/{rel}")), eks_side.contains(display), "{display}: eks side");
            checked += 1;
            edited += usize::from(changed);
        }
    }
    assert!(checked > 40 && edited > 15, "the trees hold manifests, many of them edited ({checked}, {edited})");
}

/// `plan --format json` shows the edits: a ServiceAccount's IRSA annotation goes and its identity's client id
/// comes, the pod template gets the label, the SDK variables leave the env (with their lines).
#[test]
fn plan_json_lists_the_edits_with_their_places() {
    let (code, out, err) = crate::run(&["plan", "testdata/examples/edw-keda", "--format", "json"]);
    assert!(code <= 1, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let edits = plan["manifest_edits"].as_array().unwrap();
    let ops: BTreeSet<&str> = edits
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap())
        .flat_map(|o| o["edits"].as_array().unwrap())
        .map(|e| e["op"].as_str().unwrap())
        .collect();
    for op in ["workload-identity", "pod-label", "value", "trigger", "keda-authentication"] {
        assert!(ops.contains(op), "{op} missing from {ops:?}");
    }
    let sa = edits
        .iter()
        .flat_map(|f| f["objects"].as_array().unwrap())
        .find(|o| o["kind"] == "ServiceAccount")
        .expect("a ServiceAccount is edited");
    let e = &sa["edits"][0];
    assert_eq!(e["op"], "workload-identity");
    assert_eq!(e["remove"][0], "eks.amazonaws.com/role-arn");
    assert!(e["client_id_of"].is_string(), "{e}");
}

/// The coverage ledger agrees with the edits: an AWS KEDA trigger is "translated" exactly when the plan rewrites
/// it (a `trigger` edit), whether its queue came from `queueURL` or from the scale target's env
/// (`queueURLFromEnv`).
#[test]
fn the_ledger_counts_a_trigger_translated_exactly_when_the_plan_rewrites_it() {
    let tables = eks2aks::mapping::load(None).unwrap();
    let mut rewritten_total = 0;
    for (tree, config) in trees() {
        let cfg = eks2aks::config::load(config.as_deref()).unwrap().0;
        let Ok(a) = eks2aks::analyse(std::slice::from_ref(&tree), &cfg, &tables) else { continue };
        let rewritten = a
            .plan
            .manifest_edits
            .iter()
            .flat_map(|f| f.objects.iter().flat_map(|o| o.edits.iter()))
            .filter(|e| matches!(e, eks2aks::plan::edits::Edit::Trigger { .. }))
            .count();
        let aws_triggers: usize = a
            .model
            .scalers
            .iter()
            .flat_map(|s| s.triggers.iter())
            .filter(|t| t.trigger_type.starts_with("aws-"))
            .count();
        let ledger = eks2aks::check::ledger::build(&a, &a.plan.findings, &cfg.stay_on_aws);
        let translated = ledger.items.iter().filter(|i| i.kind == "keda_trigger" && i.reason.is_none()).count();
        assert_eq!(translated, rewritten, "{}", tree.display());
        assert!(rewritten <= aws_triggers, "{}", tree.display());
        rewritten_total += rewritten;
    }
    assert!(rewritten_total >= 3, "the trees rewrite KEDA triggers ({rewritten_total})");
}
