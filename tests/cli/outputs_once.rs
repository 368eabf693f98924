//! Never cross, in the files `translate` writes (issue 17): for every input tree under testdata/, each identity
//! the plan names is declared once in `main.bicep` and created once by `role-assignments.sh`; each federated
//! credential and role assignment appears as often in the Bicep, the JSON list and the script as in the plan; no
//! two Bicep resources of one type share a name, and no two role assignments share their `guid(…)` name (two
//! statements' paths on one container once gave two; issue 18).

use super::eks2aks;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn trees() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for pattern in ["testdata/examples", "testdata/fixtures", "testdata/rules"] {
        let mut stack = vec![PathBuf::from(pattern)];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else { continue };
            let mut subdirs: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
            subdirs.sort();
            // An input tree: a directory holding input files directly or a k8s/ or iam/ folder.
            let holds_input = std::fs::read_dir(&d).unwrap().any(|e| {
                let p = e.unwrap().path();
                p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "json") && !p.ends_with("eks2aks.yaml")
            });
            if d.components().count() >= 3
                && (holds_input || subdirs.iter().any(|s| s.ends_with("k8s") || s.ends_with("iam")))
            {
                out.push(d);
            } else {
                stack.extend(subdirs);
            }
        }
    }
    out.sort();
    out
}

/// `resource SYMBOL 'TYPE@VERSION' … = {` then `  name: VALUE`: (type, name value) of every declaration.
fn bicep_declarations(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("resource ") {
            current = rest.split('\'').nth(1).map(|t| t.split('@').next().unwrap().to_string());
        } else if let (Some(ty), Some(name)) = (&current, line.strip_prefix("  name: ")) {
            out.push((ty.clone(), name.to_string()));
            current = None;
        }
    }
    out
}

fn count<'a>(items: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_insert(0) += 1;
    }
    m
}

fn check(tree: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut cmd = eks2aks();
    if tree.join("eks2aks.yaml").is_file() {
        cmd.arg("--config").arg(tree.join("eks2aks.yaml"));
    }
    let o = cmd.arg("translate").arg(tree).arg("--out").arg(&out).output().unwrap();
    if o.status.code() == Some(2) {
        // Malformed input (the rule fixtures of E2A001): nothing written, nothing to check.
        assert!(!out.exists(), "{}: exit 2 but {} was written", tree.display(), out.display());
        return;
    }
    if o.status.code() == Some(1) && String::from_utf8_lossy(&o.stderr).contains("translate refused") {
        // Two clusters' ServiceAccounts on one issuer (E2A039): refused, nothing written, nothing to check.
        assert!(!out.exists(), "{}: refused but {} was written", tree.display(), out.display());
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{}: {}", tree.display(), String::from_utf8_lossy(&o.stderr));
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("plan.json")).unwrap()).unwrap();
    let bicep = std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap();
    let mut decls = bicep_declarations(&bicep);
    // The modules main.bicep deploys (role assignments on another resource group): their declarations count with
    // main.bicep's, and every Bicep file written is main.bicep or one of them.
    let mut files = vec!["main.bicep".to_string()];
    for line in bicep.lines().filter(|l| l.starts_with("module ")) {
        let file = line.split('\'').nth(1).unwrap().to_string();
        let text = std::fs::read_to_string(out.join("bicep").join(&file))
            .unwrap_or_else(|e| panic!("{}: module {file}: {e}", tree.display()));
        decls.extend(bicep_declarations(&text));
        files.push(file);
    }
    files.sort();
    let mut written: Vec<String> = std::fs::read_dir(out.join("bicep"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bicep"))
        .collect();
    written.sort();
    assert_eq!(written, files, "{}: Bicep files written vs main.bicep and its modules", tree.display());
    let ids: Vec<&serde_json::Value> = plan["identities"].as_array().unwrap().iter().collect();
    let t = tree.display();

    // Identities: once each, in Bicep and in the script.
    let declared = count(
        decls
            .iter()
            .filter(|(ty, _)| ty == "Microsoft.ManagedIdentity/userAssignedIdentities")
            .map(|(_, n)| n.as_str()),
    );
    let script = std::fs::read_to_string(out.join("role-assignments.sh")).unwrap();
    for id in &ids {
        let name = id["name"].as_str().unwrap();
        assert_eq!(declared.get(format!("'{name}'").as_str()), Some(&1), "{t}: identity {name} in main.bicep");
        let created = script
            .lines()
            .filter(|l| l.starts_with("az identity create ") && l.contains(&format!("--name '{name}' ")))
            .count();
        assert_eq!(created, 1, "{t}: identity {name} in role-assignments.sh");
    }
    assert_eq!(declared.len(), ids.len(), "{t}: identities declared that the plan does not name");

    // Credentials and assignments: as many as planned, everywhere.
    let fics: usize = ids.iter().map(|i| i["federated_credentials"].as_array().unwrap().len()).sum();
    let fic_decls = decls.iter().filter(|(ty, _)| ty.ends_with("/federatedIdentityCredentials")).count();
    assert_eq!(fic_decls, fics, "{t}: federated credentials in main.bicep");
    let fic_cmds = script.lines().filter(|l| l.starts_with("az identity federated-credential create ")).count();
    assert_eq!(fic_cmds, fics, "{t}: federated credentials in role-assignments.sh");
    let assignments: Vec<&serde_json::Value> =
        ids.iter().flat_map(|i| i["role_assignments"].as_array().unwrap().iter()).collect();
    let listed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("role-assignments.json")).unwrap()).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), assignments.len(), "{t}: role-assignments.json");
    let ra_decls: Vec<&str> = decls
        .iter()
        .filter(|(ty, _)| ty == "Microsoft.Authorization/roleAssignments" || ty.ends_with("/sqlRoleAssignments"))
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(ra_decls.len(), assignments.len(), "{t}: role assignments in main.bicep");
    let ra_cmds = script
        .lines()
        .filter(|l| {
            l.starts_with("az role assignment create ") || l.starts_with("az cosmosdb sql role assignment create ")
        })
        .count();
    assert_eq!(ra_cmds, assignments.len(), "{t}: role assignments in role-assignments.sh");

    // No two declarations of one type share a name (parents named by a parameter excepted: one each).
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (ty, name) in &decls {
        if ty.ends_with("/federatedIdentityCredentials") {
            continue; // unique per identity; their symbols and dependsOn chains keep them apart
        }
        *seen.entry((ty.as_str(), name.as_str())).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "{t}: declared twice: {twice:?}");
}

#[test]
fn every_planned_thing_is_declared_once_in_every_output() {
    let trees = trees();
    assert!(trees.len() >= 40, "found only {} input trees", trees.len());
    for t in &trees {
        check(t);
    }
}
