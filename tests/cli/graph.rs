//! `graph`, `completions`, `--help`.

use super::run;

#[test]
fn mermaid_graph_links_workload_to_azure_identity() {
    let (code, out, _) = run(&["graph", "testdata/examples/edw-keda"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("flowchart LR\n"));
    for needle in [
        "Deployment edw/edw-processor",
        "ServiceAccount edw/edw-processor",
        "IAM role edw-processor",
        "Azure identity edw-processor",
        "-->|runs as|",
        "-->|assumes|",
        "-->|becomes|",
    ] {
        assert!(out.contains(needle), "missing {needle} in\n{out}");
    }
}

#[test]
fn dot_graph_is_well_formed() {
    let (code, out, _) = run(&["graph", "--format", "dot", "testdata/examples/edw-keda"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph eks2aks {") && out.ends_with("}\n"));
    assert_eq!(out.matches('{').count(), out.matches('}').count());
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, _) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(out.contains("eks2aks") && out.contains("plan"), "{shell}");
    }
}

#[test]
fn help_reads_like_a_manual() {
    for verb in [
        vec!["--help"],
        vec!["plan", "--help"],
        vec!["graph", "--help"],
        vec!["mappings", "--help"],
        vec!["completions", "--help"],
    ] {
        let (code, out, _) = run(&verb);
        assert_eq!(code, 0);
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("help__{}", verb.join("_").trim_start_matches('-').replace("--", "")), out);
        });
    }
}
