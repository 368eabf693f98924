//! Issue 23: `eks2aks init` writes a commented eks2aks.yaml from what the input shows; a tree with nothing to
//! read says so (`init`, and `plan` instead of an empty summary).

use crate::run;

const EXAMPLES: &[&str] = &["addons-cluster", "dns-and-secrets", "edw-keda", "phased", "pod-identity"];

#[test]
fn init_on_each_example_writes_a_config_that_check_accepts_and_that_changes_no_decision() {
    let tmp = tempfile::tempdir().unwrap();
    for e in EXAMPLES {
        let dir = format!("testdata/examples/{e}");
        let cfg = tmp.path().join(format!("{e}.yaml"));
        let cfg_s = cfg.to_str().unwrap();
        let (code, _, err) = run(&["init", &dir, "--out", cfg_s]);
        assert_eq!(code, 0, "{e}: {err}");
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert!(
            text.contains("# Detected in the input:") && text.contains("AWS accounts: 111122223333"),
            "{e}: {text}"
        );
        assert!(text.contains("# Still to choose"), "{e}: {text}");
        let (code, out, err) = run(&["check", "--config", cfg_s, &dir]);
        assert_eq!(code, 0, "{e}: check with the init config: {out}{err}");
        // The active keys are the defaults: the plan is the same with and without the file.
        let with = run(&["plan", "--config", cfg_s, "--format", "json", &dir]).1;
        let without = run(&["plan", "--format", "json", &dir]).1;
        assert_eq!(with, without, "{e}");
    }
}

#[test]
fn init_lists_what_it_detected() {
    let (code, out, _) = run(&["init", "testdata/examples/edw-keda", "--out", "-"]);
    assert_eq!(code, 0);
    assert!(out.contains("#   AWS regions: us-east-1\n"), "{out}");
    assert!(out.contains("oidc.eks.us-east-1.amazonaws.com/id/"), "{out}");
    assert!(
        out.contains("arn:aws:dynamodb:us-east-1:111122223333:table/edw-results → Azure Table Storage edwresults"),
        "{out}"
    );
    assert!(out.contains("targets:\n  dynamodb: storage-table   # or: cosmos-nosql\n"), "{out}");
    let (_, out, _) = run(&["init", "testdata/examples/addons-cluster", "--out", "-"]);
    assert!(out.contains("AWS add-ons replaced by AKS features: AWS Load Balancer Controller"), "{out}");
}

#[test]
fn init_never_overwrites_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("eks2aks.yaml");
    std::fs::write(&f, "azure: {location: westeurope}\n").unwrap();
    let (code, _, err) = run(&["init", "testdata/examples/edw-keda", "--out", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("without --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "azure: {location: westeurope}\n");
    let (code, _, _) = run(&["init", "testdata/examples/edw-keda", "--out", f.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&f).unwrap().starts_with("# eks2aks.yaml, written by `eks2aks init"));
}

#[test]
fn a_tree_with_nothing_to_read_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Chart.yaml"), "apiVersion: v2\nname: app\nversion: 0.1.0\n").unwrap();
    let dir = tmp.path().to_str().unwrap();
    let (code, out, err) = run(&["init", dir]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains(&format!("no manifests or IAM documents found under {dir}; looked for *.yaml")), "{err}");
    let (code, out, err) = run(&["plan", dir]);
    assert_eq!(code, 0);
    assert!(out.is_empty(), "no empty summary: {out}");
    assert!(err.contains("no manifests or IAM documents found under"), "{err}");
}

/// The CLI contract: `init` writes `eks2aks.yaml` in the current directory and refuses to overwrite it without
/// `--force`; `--out -` prints it instead.
#[test]
fn init_writes_eks2aks_yaml_in_the_current_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/examples/edw-keda");
    let init = |extra: &[&str]| {
        let o = crate::eks2aks().arg("init").arg(&example).args(extra).current_dir(tmp.path()).output().unwrap();
        (o.status.code().unwrap(), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
    };
    let (code, out, err) = init(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    let written = std::fs::read_to_string(tmp.path().join("eks2aks.yaml")).unwrap();
    assert!(written.starts_with("# eks2aks.yaml, written by `eks2aks init"), "{written}");
    std::fs::write(tmp.path().join("eks2aks.yaml"), "azure: {location: westeurope}\n").unwrap();
    let (code, _, err) = init(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("eks2aks.yaml exists; init does not overwrite it without --force"), "{err}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("eks2aks.yaml")).unwrap(), "azure: {location: westeurope}\n");
    let (code, out, _) = init(&["--out", "-"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# eks2aks.yaml, written by `eks2aks init"), "{out}");
    let (code, _, _) = init(&["--force"]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(tmp.path().join("eks2aks.yaml")).unwrap().starts_with("# eks2aks.yaml"));
    // A link in its place is never written through, even with --force.
    #[cfg(unix)]
    {
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::fs::write(&victim, "keep\n").unwrap();
        std::fs::remove_file(tmp.path().join("eks2aks.yaml")).unwrap();
        std::os::unix::fs::symlink(&victim, tmp.path().join("eks2aks.yaml")).unwrap();
        let (code, _, err) = init(&["--force"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
    }
}
