//! The filesystem policy (README "Safety" → "Filesystem"; issue "Never lose, never leak"): what eks2aks reads,
//! what it never reads or shows, and what it never deletes or leaves half-written. Hostile trees (symlinks out of
//! the input, FIFOs, `/proc` and `/dev` behind names, planted markers) are built at run time in temporary
//! directories; `testdata/hostile/README.md` lists each case.

#![cfg(unix)]

use super::eks2aks;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Runs in `dir` with a time limit (a FIFO read by mistake would hang): (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = eks2aks().current_dir(dir).args(args).timeout(Duration::from_secs(60)).output().expect("runs");
    (
        o.status.code().expect("exited, not killed by the time limit"),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn mkfifo(path: &Path) {
    assert!(std::process::Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// A Secret with static AWS keys (E2A006 fires on it).
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: app\nstringData:\n  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n  AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: app\ndata:\n  k: v\n";

/// A project with one manifest (`proj/k8s/cm.yaml`) in a temporary directory.
fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(proj.join("k8s")).unwrap();
    std::fs::write(proj.join("k8s/cm.yaml"), CONFIGMAP).unwrap();
    (tmp, proj)
}

fn findings(json: &str) -> Vec<(String, String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every file below `dir`, relative, sorted (symlinks not followed).
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.extend(listing(&e.path()).into_iter().map(|r| format!("{name}/{r}")));
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

/// Issue "Never lose, never leak" 1: a symlink to a file outside the input was read, its text quoted in errors and
/// a Secret behind it copied to `--out/k8s`. Now it is a warning naming the link, and nothing of the target shows.
#[test]
fn a_symlink_out_of_the_input_is_not_read_quoted_or_copied() {
    let (tmp, proj) = project();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.yaml"), SECRET).unwrap();
    std::fs::write(outside.join("broken.yaml"), "TOP-SECRET-TEXT: [unclosed\n").unwrap();
    symlink(outside.join("secret.yaml"), proj.join("k8s/secret.yaml"));
    symlink(outside.join("broken.yaml"), proj.join("k8s/broken.yaml"));
    // A symlink that stays inside the input is read as before.
    symlink("cm.yaml", proj.join("k8s/alias.yaml"));

    let (code, out, err) = run_in(tmp.path(), &["plan", "--format", "json", "proj"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("TOP-SECRET") && !err.contains("TOP-SECRET"), "{out}{err}");
    let f = findings(&out);
    let escapes: Vec<&(String, String, String)> = f.iter().filter(|f| f.0 == "E2A040").collect();
    assert_eq!(escapes.len(), 2, "{f:?}");
    assert_eq!(escapes[0].1, "proj/k8s/broken.yaml");
    assert_eq!(escapes[0].2, "`proj/k8s/broken.yaml` is a symlink to a file outside the input `proj`; not read");
    assert!(!f.iter().any(|f| f.0 == "E2A006"), "the Secret behind the link was read: {f:?}");

    let (code, _, err) = run_in(tmp.path(), &["translate", "--out", "out", "proj"]);
    assert_eq!(code, 0, "{err}");
    let written = listing(&tmp.path().join("out"));
    assert!(written.contains(&"k8s/k8s/alias.yaml".to_string()), "{written:?}");
    assert!(!written.iter().any(|w| w.contains("secret") || w.contains("broken")), "{written:?}");
}

/// Issue 1: `/proc/self/environ` or `/dev/zero` behind a name, and a FIFO, in an input directory: never opened
/// (the run ends at once), each reported as a warning.
#[test]
fn kernel_files_devices_and_fifos_in_a_directory_are_not_read() {
    let (_tmp, proj) = project();
    symlink("/proc/self/environ", proj.join("k8s/env.yaml"));
    symlink("/dev/zero", proj.join("k8s/zero.yaml"));
    mkfifo(&proj.join("k8s/pipe.yaml"));
    let (code, out, err) = eks2aks_env(&proj, &["plan", "--format", "json", "."]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("CANARY-7f3a"), "the environment leaked: {out}");
    let f = findings(&out);
    let got: Vec<(&str, &str)> =
        f.iter().filter(|f| f.0 == "E2A040" || f.0 == "E2A041").map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(got, [("E2A040", "k8s/env.yaml"), ("E2A041", "k8s/pipe.yaml"), ("E2A040", "k8s/zero.yaml")]);
    assert!(f.iter().any(|f| f.2 == "`k8s/pipe.yaml` is a FIFO; it is never read"), "{f:?}");
}

/// Runs in `dir` with a canary in the environment.
fn eks2aks_env(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = eks2aks()
        .current_dir(dir)
        .env("EKS2AKS_CANARY", "CANARY-7f3a")
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        o.status.code().expect("exited, not killed by the time limit"),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Issue 1: `check --against DIR` followed symlinks: to `/proc/self/environ` its diff printed the environment, to
/// `/dev/zero` it read until memory ran out, and a FIFO hung it. Now each is a warning naming the file only.
#[test]
fn check_against_reads_no_symlink_out_of_it_and_no_special_file() {
    let (tmp, _proj) = project();
    let (code, _, err) = run_in(tmp.path(), &["translate", "--out", "azure", "proj"]);
    assert_eq!(code, 0, "{err}");
    let azure = tmp.path().join("azure");
    symlink("/proc/self/environ", azure.join("k8s/env.yaml"));
    symlink("/dev/zero", azure.join("zero.json"));
    mkfifo(&azure.join("pipe.yaml"));
    for format in ["text", "json"] {
        let (code, out, err) = eks2aks_env(tmp.path(), &["check", "--format", format, "--against", "azure", "proj"]);
        assert_eq!(code, 0, "{format}: {out}{err}");
        assert!(!out.contains("CANARY-7f3a") && !err.contains("CANARY-7f3a"), "{out}{err}");
        assert!(
            out.contains("`azure/k8s/env.yaml` is a symlink to a file outside the --against directory; not read"),
            "{out}"
        );
        assert!(out.contains("`azure/pipe.yaml` is a FIFO; it is never read"), "{out}");
        assert!(out.contains("`azure/zero.json` is a symlink to a file outside the --against directory"), "{out}");
    }
    // A regular committed file over the size limit is an error naming it, not a silent skip.
    let (code, _, err) = run_in(tmp.path(), &["--max-file-size", "100", "check", "--against", "azure", "proj"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("azure/") && err.contains("larger than the 100 bytes limit per file"), "{err}");
}

/// A file named on the command line is read wherever it is (the user named it), but only if it is a regular file
/// (or a FIFO: `<(helm template …)`, see translate::a_pipe_input_is_rewritten_like_a_file).
#[test]
fn named_devices_and_kernel_files_are_refused_but_a_named_symlink_is_read() {
    let (tmp, proj) = project();
    let (code, _, err) = run_in(tmp.path(), &["plan", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read `/dev/zero`: not a regular file (a character device); not read"), "{err}");
    let (code, out, err) = eks2aks_env(tmp.path(), &["plan", "--format", "json", "/proc/self/environ"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a file of the kernel (/proc or /sys)"), "{err}");
    assert!(!out.contains("CANARY-7f3a") && !err.contains("CANARY-7f3a"), "{out}{err}");
    symlink(proj.join("k8s/cm.yaml"), tmp.path().join("named.yaml"));
    let (code, out, err) = run_in(tmp.path(), &["plan", "--format", "json", "named.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(!findings(&out).iter().any(|f| f.0 == "E2A040"), "{out}");
}

/// Every read is capped: `--max-file-size` (or `max_file_size` in eks2aks.yaml) names the file that is larger.
#[test]
fn a_file_over_the_size_limit_is_an_error_naming_it() {
    let (tmp, proj) = project();
    std::fs::write(proj.join("k8s/big.yaml"), format!("{CONFIGMAP}# {}\n", "x".repeat(2048))).unwrap();
    let (code, _, err) = run_in(tmp.path(), &["--max-file-size", "1KiB", "plan", "proj"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "cannot read `proj/k8s/big.yaml`: larger than the 1 KiB limit per file (raise it with --max-file-size"
        ),
        "{err}"
    );
    std::fs::write(tmp.path().join("eks2aks.yaml"), "max_file_size: 1KiB\n").unwrap();
    assert_eq!(run_in(tmp.path(), &["plan", "proj"]).0, 2);
    // The flag wins over the config.
    assert_eq!(run_in(tmp.path(), &["--max-file-size", "1MiB", "plan", "proj"]).0, 0);
    let (code, _, err) = run_in(tmp.path(), &["--max-file-size", "12parsecs", "plan", "proj"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown unit"), "{err}");
}

/// Issue 1: an `--out` that is a symlink was written through without `--force`.
#[test]
fn an_output_symlink_is_refused_without_force() {
    let (tmp, proj) = project();
    let real = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&real).unwrap();
    symlink(&real, tmp.path().join("out"));
    let p = proj.to_str().unwrap();
    let (code, _, err) = run_in(tmp.path(), &["translate", "--out", "out", p]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out out is a symlink; eks2aks does not write through it unless --force"), "{err}");
    assert!(listing(&real).is_empty(), "written through the symlink");
    let (code, _, err) = run_in(tmp.path(), &["translate", "--force", "--out", "out", p]);
    assert_eq!(code, 0, "{err}");
    assert!(real.join("plan.json").is_file());
}

/// Issue 2: a directory holding a marker was skipped whole, so a planted empty marker hid a Secret with static
/// keys from `check` (exit 0). A marker now hides only the files it records with their hash.
#[test]
fn a_planted_marker_hides_nothing_from_check() {
    let (tmp, proj) = project();
    std::fs::create_dir_all(proj.join("deploy")).unwrap();
    std::fs::write(proj.join("deploy/.eks2aks-output"), "").unwrap();
    std::fs::write(proj.join("deploy/secret.yaml"), SECRET).unwrap();
    let (code, out, err) = run_in(tmp.path(), &["check", "--format", "json", "proj"]);
    assert_eq!(code, 1, "{err}");
    let f = findings(&out);
    assert!(f.iter().any(|f| f.0 == "E2A006" && f.1 == "proj/deploy/secret.yaml"), "{f:?}");
    // A marker that names the file but with another hash (or none) hides nothing either, and says so.
    std::fs::write(proj.join("deploy/.eks2aks-output"), format!("{}  secret.yaml\n", "0".repeat(64))).unwrap();
    let (code, out, _) = run_in(tmp.path(), &["check", "--format", "json", "proj"]);
    assert_eq!(code, 1);
    let f = findings(&out);
    assert!(f.iter().any(|f| f.0 == "E2A006"), "{f:?}");
    let changed = f.iter().find(|f| f.0 == "E2A043").expect("E2A043");
    assert_eq!(
        changed.2,
        "`proj/deploy/.eks2aks-output` records 1 file that changed since eks2aks wrote it (or records no hash): `secret.yaml`; it is read as input"
    );
}

/// Issue 2: an output directory under the input is left out file by file: what eks2aks wrote is not read again;
/// a file edited since is read as input (E2A043), and translate will not overwrite it without --force.
#[test]
fn an_output_inside_the_input_is_left_out_only_while_unchanged() {
    let (tmp, proj) = project();
    let (code, _, err) = run_in(&proj, &["translate", "--out", "azure", "k8s"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_in(&proj, &["plan", "--format", "json", "."]);
    assert_eq!(code, 0, "{err}");
    let f = findings(&out);
    // Not read: the ConfigMap is planned once (from k8s/, not again from azure/k8s/).
    assert!(!f.iter().any(|f| f.1.starts_with("azure/")), "{f:?}");
    let note = f.iter().find(|f| f.0 == "E2A042").expect("E2A042");
    assert!(note.2.contains("`azure/` (eks2aks output: 7 files it wrote, unchanged)"), "{note:?}");
    std::fs::write(proj.join("azure/k8s/cm.yaml"), SECRET).unwrap();
    let (code, out, _) = run_in(&proj, &["check", "--format", "json", "."]);
    assert_eq!(code, 1);
    let f = findings(&out);
    assert!(f.iter().any(|f| f.0 == "E2A006" && f.1 == "azure/k8s/cm.yaml"), "{f:?}");
    assert!(f.iter().any(|f| f.0 == "E2A043" && f.1 == "azure/.eks2aks-output"), "{f:?}");
    let (code, _, err) = run_in(&proj, &["translate", "--out", "azure", "k8s"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("1 file it did not write or that changed since (k8s/cm.yaml)"), "{err}");
    assert_eq!(std::fs::read_to_string(proj.join("azure/k8s/cm.yaml")).unwrap(), SECRET);
    drop(tmp);
}

/// Issue 2: hidden directories, `target/` and `node_modules/` were skipped silently; now one note lists them.
#[test]
fn skipped_directories_are_listed_in_a_note() {
    let (tmp, proj) = project();
    for d in [".github", "target", "web/node_modules"] {
        std::fs::create_dir_all(proj.join(d)).unwrap();
        std::fs::write(proj.join(d).join("secret.yaml"), SECRET).unwrap();
    }
    let (code, out, err) = run_in(tmp.path(), &["plan", "--format", "json", "proj"]);
    assert_eq!(code, 0, "{err}");
    let f = findings(&out);
    let notes: Vec<&str> = f.iter().filter(|f| f.0 == "E2A042").map(|f| f.2.as_str()).collect();
    assert_eq!(
        notes,
        [
            "3 directories were not read: `proj/.github/` (hidden), `proj/target/` (build output), `proj/web/node_modules/` (dependencies)"
        ]
    );
    let (code, out, _) = run_in(tmp.path(), &["check", "proj"]);
    assert_eq!(code, 0);
    assert!(out.contains("note[E2A042]") && out.contains("3 directories were not read"), "{out}");
}

/// Issue 2: `translate --out` onto a directory with a planted marker deleted the unrelated files in it.
#[test]
fn translate_onto_a_planted_marker_keeps_unrelated_files() {
    let (tmp, proj) = project();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("policies")).unwrap();
    std::fs::write(out.join(".eks2aks-output"), "# planted\n").unwrap();
    std::fs::write(out.join("README.md"), "notes").unwrap();
    std::fs::write(out.join("policies/p.json"), "{}").unwrap();
    let p = proj.to_str().unwrap();
    let (code, _, err) = run_in(tmp.path(), &["translate", "--out", "out", p]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "not written by eks2aks: 2 files it did not write or that changed since (README.md, policies/p.json)"
        ),
        "{err}"
    );
    assert_eq!(listing(&out), [".eks2aks-output", "README.md", "policies/p.json"]);
    // --force keeps them, and records only its own files.
    let (code, _, err) = run_in(tmp.path(), &["translate", "--force", "--out", "out", p]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(out.join("README.md")).unwrap(), "notes");
    assert_eq!(std::fs::read_to_string(out.join("policies/p.json")).unwrap(), "{}");
    let marker = std::fs::read_to_string(out.join(".eks2aks-output")).unwrap();
    assert!(marker.contains("  plan.json\n") && !marker.contains("README") && !marker.contains("policies"), "{marker}");
}

/// Many small manifests, so that translate spends a while writing.
fn large_project(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("cm-{i:05}.yaml")), CONFIGMAP.replace("settings", &format!("s{i}"))).unwrap();
    }
}

/// Starts translate and sends `signal` once its temporary directory exists; `None` when it finished first.
fn interrupt_translate(cwd: &Path, args: &[&str], signal: i32) -> Option<(std::process::ExitStatus, PathBuf)> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("eks2aks"))
        .current_dir(cwd)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let tmp = cwd.join(format!(".out.eks2aks-tmp-{}", child.id()));
    let started = std::time::Instant::now();
    loop {
        if tmp.join("plan.json").exists() {
            // SAFETY: sends a signal to our own child.
            unsafe { libc::kill(child.id() as libc::pid_t, signal) };
            let status = child.wait().unwrap();
            // Finished before the signal landed: try again with more to write.
            return (!status.success()).then_some((status, tmp));
        }
        if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Checks that `out` is one whole output: exactly the files its marker records (besides `keep`, files `--force`
/// kept), each with the recorded hash. A signal that lands during the swap (which it waits for) leaves the new
/// output; at any other moment, the old one.
fn assert_whole(out: &Path, keep: &[&str]) -> Vec<String> {
    let marker = std::fs::read_to_string(out.join(".eks2aks-output")).unwrap();
    let mut recorded = Vec::new();
    for line in marker.lines().filter(|l| !l.starts_with('#')) {
        let (hash, rel) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(eks2aks::ingest::walk::sha256_hex(&bytes), hash, "{rel} is not what was written");
        recorded.push(rel.to_string());
    }
    let mut present: Vec<String> = listing(out).into_iter().filter(|f| f != ".eks2aks-output").collect();
    present.retain(|f| !keep.contains(&f.as_str()));
    recorded.sort();
    assert_eq!(present, recorded, "a mix of files");
    recorded
}

/// Issue 3: after SIGINT a `.<out>.eks2aks-tmp-<pid>` directory stayed. Now the handler removes it (exit 130) and
/// `--out` is one whole output, the previous one unless the signal came during the swap.
#[test]
fn sigint_removes_the_temporary_directory_and_leaves_one_whole_output() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = run_in(tmp.path(), &["translate", "--out", "out", &cwd_path("testdata/examples/edw-keda")]);
    assert_eq!(code, 0, "{err}");
    let before = listing(&tmp.path().join("out"));
    let mut n = 3000;
    for attempt in 0..3 {
        large_project(&tmp.path().join(format!("big{attempt}")), n);
        let big = format!("big{attempt}");
        if let Some((status, dir)) = interrupt_translate(tmp.path(), &["translate", "--out", "out", &big], libc::SIGINT)
        {
            assert_eq!(status.code(), Some(130), "{status:?}");
            assert!(!dir.exists(), "temporary directory left behind");
            let now = assert_whole(&tmp.path().join("out"), &[]);
            assert!(listing(&tmp.path().join("out")) == before || now.len() > n, "{now:?}");
            let left: Vec<String> = listing(tmp.path())
                .into_iter()
                .filter(|f| f.contains("eks2aks-tmp") || f.contains("eks2aks-old"))
                .collect();
            assert!(left.is_empty(), "{left:?}");
            return;
        }
        n *= 2;
    }
    panic!("translate always finished before it could be interrupted");
}

/// Issue 3: with `--force`, a killed run could leave a truncated `main.bicep` among the old files. Now the new
/// files are built beside and swapped in: after SIGKILL the old files are whole, and the next run removes the
/// dead run's temporary directory.
#[test]
fn a_killed_forced_run_leaves_the_old_files_whole_and_the_next_run_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("bicep")).unwrap();
    std::fs::write(out.join("bicep/main.bicep"), "// OLD, hand-written\n").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let mut n = 3000;
    for attempt in 0..3 {
        large_project(&tmp.path().join(format!("big{attempt}")), n);
        let big = format!("big{attempt}");
        let args = ["translate", "--force", "--out", "out", &big];
        if let Some((status, dir)) = interrupt_translate(tmp.path(), &args, libc::SIGKILL) {
            assert_eq!(status.code(), None, "killed");
            assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
            if out.join(".eks2aks-output").exists() {
                // Killed after the swap: the new output, whole.
                assert_whole(&out, &["notes.txt"]);
            } else {
                assert_eq!(listing(&out), ["bicep/main.bicep", "notes.txt"]);
                assert_eq!(std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap(), "// OLD, hand-written\n");
            }
            assert!(dir.exists(), "SIGKILL cannot be handled: the directory stays until the next run");
            let (code, _, err) = run_in(tmp.path(), &["translate", "--force", "--out", "out", &big]);
            assert_eq!(code, 0, "{err}");
            assert!(!dir.exists(), "the dead run's temporary directory was not removed");
            assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
            assert!(std::fs::read_to_string(out.join("bicep/main.bicep")).unwrap().contains("param"));
            assert_whole(&out, &["notes.txt"]);
            return;
        }
        n *= 2;
    }
    panic!("translate always finished before it could be killed");
}

fn cwd_path(rel: &str) -> String {
    std::fs::canonicalize(rel).unwrap().to_string_lossy().into_owned()
}
