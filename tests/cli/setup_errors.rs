//! Issue 19: config and mapping-table problems are reported all at once, each rendered like an input error (the
//! message, `--> file:line:col`, the quoted line and a caret), and the run exits 2.

use super::run;

/// Only the problem lines (`error: …`) of stderr.
fn errors(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("error: ")).collect()
}

/// A YAML error of the config (serde stops at it) points at its column.
#[test]
fn a_config_syntax_error_is_shown_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "azure:\n  location: westeurope\n  colour: blue\n").unwrap();
    let (code, out, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    let c = cfg.display();
    assert!(
        err.starts_with(&format!("error: invalid config {c} (1 problem):\nerror: azure: unknown field `colour`")),
        "{err}"
    );
    assert!(err.contains(&format!(" --> {c}:3:3\n  |\n3 |   colour: blue\n  |   ^^^^^^^")), "{err}");
    assert!(!err.contains("at line 3 column 3"), "the position is not repeated in the message: {err}");
}

/// Several mapping problems in several tables, one run: each with its file, line, quoted line and caret, and the
/// count at the end; `plan` with the same tables refuses with every one of them too.
#[test]
fn every_mapping_problem_is_rendered_with_a_caret_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("scopes.yaml"),
        "kinds:\n  - kind: queue\n    azure_type: T\n    parent: storage_acount\n    naming: queue\n    colour: red\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("azure-roles.yaml"),
        "roles:\n  - name: Storage Queue Data Reader\n    id: not-a-guid\n    kind: arm\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("services.yaml"),
        "services:\n  sqs:\n    name: SQS\n    arn_resources: []\n    default_target: storage-queue\n    targets:\n      storage-queue:\n        azure_service: Q\n        azure_type: T\n        scope_kind: quene\n        naming: queue\n        roles: []\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["mappings", "check", "--mappings", d]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    let all = errors(&err);
    assert!(all.len() >= 4, "{err}");
    assert_eq!(*all.last().unwrap(), format!("error: {} problems in the mapping tables", all.len() - 1), "{err}");
    let s = dir.path().join("scopes.yaml").display().to_string();
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(err.contains(&format!(" --> {s}:6:5\n  |\n6 |     colour: red\n  |     ^^^^^^^")), "{err}");
    let r = dir.path().join("azure-roles.yaml").display().to_string();
    assert!(err.contains("error: role `Storage Queue Data Reader`: id `not-a-guid` is not a GUID"), "{err}");
    assert!(
        err.contains(&format!(" --> {r}:2:11\n  |\n2 |   - name: Storage Queue Data Reader\n  |           ^^^^^^^")),
        "{err}"
    );
    let v = dir.path().join("services.yaml").display().to_string();
    assert!(err.contains("error: service `sqs` target `storage-queue`: unknown scope_kind `quene`"), "{err}");
    assert!(
        err.contains(&format!("  --> {v}:10:21\n   |\n10 |         scope_kind: quene\n   |                     ^^^^^")),
        "{err}"
    );

    let (code, out, perr) = run(&["plan", "--mappings", d, "testdata/examples/edw-keda"]);
    assert_eq!(code, 2, "{perr}");
    assert!(out.is_empty(), "{out}");
    assert!(perr.starts_with(&format!("error: invalid mapping tables ({} problems):\n", all.len() - 1)), "{perr}");
    assert_eq!(errors(&perr).len(), all.len(), "the same problems, under one heading: {perr}");
    assert!(perr.contains(&format!(" --> {s}:6:5\n")), "{perr}");
}

/// The heading and the problems of a config come out together, before anything is read or written; the config's
/// line and the caret are present for a problem found after parsing (a key of `rules:`).
#[test]
fn config_and_target_problems_come_out_together_with_carets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "targets:\n  sqs: kafka\n  nosuch: x\nrules:\n  E2A999: off\n").unwrap();
    let out_dir = dir.path().join("out");
    let (code, _, err) = run(&[
        "translate",
        "--config",
        cfg.to_str().unwrap(),
        "testdata/examples/edw-keda",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!out_dir.exists(), "nothing written");
    let c = cfg.display();
    assert!(err.starts_with(&format!("error: invalid config {c} (3 problems):\n")), "{err}");
    assert_eq!(errors(&err).len(), 4, "{err}");
    assert!(err.contains(&format!(" --> {c}:2:8\n  |\n2 |   sqs: kafka\n  |        ^^^^^")), "{err}");
    assert!(err.contains(&format!(" --> {c}:3:3\n")) && err.contains("`targets.nosuch`: no such service"), "{err}");
    assert!(err.contains(&format!(" --> {c}:5:3\n")), "{err}");
}

/// A config with two duplicate keys: serde stopped at the first and showed it at the key's first occurrence
/// (`azure: duplicate field `location`` at line 3); each is reported now, at the repeated key, in one run.
#[test]
fn every_duplicate_key_of_the_config_is_reported_at_the_repeated_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "bridge: entra\nazure:\n  location: x\n  location: y\nbridge: aks-issuer\n").unwrap();
    let (code, out, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    let c = cfg.display();
    assert!(err.starts_with(&format!("error: invalid config {c} (2 problems):\n")), "{err}");
    assert!(err.contains(&format!("duplicate key `location` in a mapping\n --> {c}:4:3\n")), "{err}");
    assert!(err.contains(&format!("duplicate key `bridge` in a mapping\n --> {c}:5:1\n")), "{err}");
}
