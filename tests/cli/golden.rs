//! Golden tests: `plan --format json` of every fixture and example, `plan --format markdown` and `graph` of the
//! examples. A changed output fails until its snapshot is reviewed (`INSTA_UPDATE=always cargo test`, then
//! `git diff tests/snapshots`).

use super::run;
use std::path::Path;

fn fixture_dirs() -> Vec<String> {
    let mut dirs = Vec::new();
    for root in [
        "testdata/examples",
        "testdata/fixtures/k8s",
        "testdata/fixtures/iam",
        "testdata/fixtures/graph",
        "testdata/fixtures/mapping",
    ] {
        let mut entries: Vec<_> =
            std::fs::read_dir(root).unwrap().filter_map(Result::ok).filter(|e| e.path().is_dir()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            dirs.push(e.path().to_string_lossy().replace('\\', "/"));
        }
    }
    dirs
}

fn snapshot_name(dir: &str, what: &str) -> String {
    let rel = dir.trim_start_matches("testdata/").replace('/', "__");
    format!("{what}__{rel}")
}

#[test]
fn plan_json_of_every_fixture() {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 20, "fixtures went missing: {dirs:?}");
    for dir in dirs {
        let cfg = format!("{dir}/eks2aks.yaml");
        let mut args = vec!["plan", "--format", "json", dir.as_str()];
        if Path::new(&cfg).is_file() {
            args.extend(["--config", cfg.as_str()]);
        }
        let (code, out, err) = run(&args);
        assert!(code == 0, "{dir}: exit {code}: {err}");
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, description => dir.clone() }, {
            insta::assert_snapshot!(snapshot_name(&dir, "plan_json"), out);
        });
    }
}

#[test]
fn markdown_and_graphs_of_the_examples() {
    for dir in fixture_dirs().into_iter().filter(|d| d.starts_with("testdata/examples/")) {
        for (what, args) in [
            ("plan_md", vec!["plan", "--format", "markdown"]),
            ("plan_table", vec!["plan", "--format", "table"]),
            ("graph_mermaid", vec!["graph", "--format", "mermaid"]),
            ("graph_dot", vec!["graph", "--format", "dot"]),
        ] {
            let mut a = args.clone();
            a.push(&dir);
            let (code, out, err) = run(&a);
            assert_eq!(code, 0, "{dir} {what}: {err}");
            insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false, description => dir.clone() }, {
                insta::assert_snapshot!(snapshot_name(&dir, what), out);
            });
        }
    }
}

#[test]
fn output_does_not_depend_on_argument_order() {
    let dir = "testdata/fixtures/graph/multi-cluster";
    let (_, forward, _) = run(&["plan", "--format", "json", &format!("{dir}/cluster-a"), &format!("{dir}/cluster-b")]);
    let (_, backward, _) = run(&["plan", "--format", "json", &format!("{dir}/cluster-b"), &format!("{dir}/cluster-a")]);
    assert_eq!(forward, backward);
    assert!(Path::new(dir).is_dir());
}

#[test]
fn output_is_identical_across_runs() {
    let a = run(&["graph", "--format", "dot", "testdata"]);
    let b = run(&["graph", "--format", "dot", "testdata"]);
    assert_eq!(a.1, b.1);
}
