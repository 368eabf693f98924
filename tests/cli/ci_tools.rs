//! Issue 23: the GitHub Action (`action.yml`) and the pre-commit hook (`.pre-commit-hooks.yaml`) checked by their
//! own tools when they are installed (actionlint; `pre-commit validate-manifest`), skipped with a visible message
//! otherwise; and the Action's structure checked always.

use std::process::Command;

/// Runs a tool; `None` (with a message on stderr) when it is not installed.
fn tool(program: &str, args: &[&str], dir: &std::path::Path) -> Option<std::process::Output> {
    match Command::new(program).args(args).current_dir(dir).output() {
        Ok(o) => Some(o),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: `{program}` is not installed; {program} {} was not run", args.join(" "));
            None
        }
        Err(e) => panic!("{program}: {e}"),
    }
}

#[test]
fn the_pre_commit_manifest_validates() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = tool("pre-commit", &["validate-manifest", ".pre-commit-hooks.yaml"], root).or_else(|| {
        // `pip install pre-commit` without its script directory on PATH.
        let o = tool("python3", &["-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"], root)?;
        if String::from_utf8_lossy(&o.stderr).contains("No module named pre_commit") {
            eprintln!(
                "SKIPPED: pre-commit is not installed (pip install pre-commit); the hook manifest was not validated"
            );
            return None;
        }
        Some(o)
    });
    if let Some(o) = o {
        assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn a_workflow_using_the_action_passes_actionlint() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    // actionlint checks a local action's inputs where a workflow uses it.
    std::fs::copy(root.join("action.yml"), tmp.path().join("action.yml")).unwrap();
    let wf = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("eks2aks.yml"),
        "name: eks2aks\non: [pull_request]\npermissions:\n  contents: read\n  security-events: write\n  pull-requests: write\njobs:\n  eks2aks:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n          paths: k8s iam\n          against: azure\n          fail-on: warning\n          fail-on-escalation: \"true\"\n",
    )
    .unwrap();
    std::process::Command::new("git").args(["init", "-q"]).current_dir(tmp.path()).status().unwrap();
    if let Some(o) = tool("actionlint", &["-color=never"], tmp.path()) {
        assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    }
}

/// The scripts of `action.yml`'s `run:` steps, each with its step's `env:` names.
fn run_steps() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    let v: serde_json::Value = serde_norway::from_str(&text).expect("action.yml is YAML");
    assert_eq!(v["runs"]["using"], "composite");
    v["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let run = s["run"].as_str()?;
            assert_eq!(s["shell"], "bash", "a composite run step needs a shell: {s}");
            let env = s["env"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            Some((run.to_string(), env))
        })
        .collect()
}

#[test]
fn the_action_splices_no_expression_into_a_script_and_its_scripts_parse() {
    let steps = run_steps();
    assert!(steps.len() >= 4, "install, check, diff, comment, gate");
    for (run, _) in &steps {
        // `${{ … }}` inside `run:` is pasted into the script before bash sees it: a branch name could inject
        // commands. Inputs go through `env:`.
        assert!(!run.contains("${{"), "expression spliced into a script:\n{run}");
        let o = Command::new("bash").args(["-n", "-c", run]).output().unwrap();
        assert!(o.status.success(), "bash -n: {}\n{run}", String::from_utf8_lossy(&o.stderr));
    }
    let all: String = steps.iter().map(|(r, _)| r.as_str()).collect();
    assert!(all.contains("--format sarif") && all.contains("eks2aks diff") && all.contains("--format markdown"));
    assert!(all.contains(eks2aks::report::diff::COMMENT_MARKER), "the comment is found by the diff's first line");
}
