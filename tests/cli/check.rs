//! `check`: exit codes, formats (SARIF against the official schema), waivers, severity overrides, drift, the
//! coverage ledger, rule documentation, the CI recipes of the README, and one fixture per rule.

use super::{copy_dir, eks2aks, run};
use std::path::Path;

fn python_validates_sarif(sarif: &str) -> Option<bool> {
    python_validates(sarif, "testdata/schemas/sarif-2.1.0.json")
}

fn python_validates(sarif: &str, schema: &str) -> Option<bool> {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("x.sarif");
    std::fs::write(&f, sarif).unwrap();
    let script = "import json,sys,jsonschema\ns=json.load(open(sys.argv[1]));d=json.load(open(sys.argv[2]))\nerrs=list(jsonschema.Draft7Validator(s).iter_errors(d))\n[print(e.message) for e in errs]\nsys.exit(1 if errs else 0)";
    let o = std::process::Command::new("python3").args(["-c", script, schema, f.to_str().unwrap()]).output().ok()?;
    let stderr = String::from_utf8_lossy(&o.stderr);
    if stderr.contains("No module named 'jsonschema'") {
        assert!(std::env::var_os("CI").is_none(), "jsonschema missing in CI");
        return None;
    }
    if !o.status.success() {
        eprintln!("{}{stderr}", String::from_utf8_lossy(&o.stdout));
    }
    Some(o.status.success())
}

#[test]
fn exit_codes_follow_fail_on() {
    assert_eq!(run(&["check", "testdata/examples/edw-keda"]).0, 0);
    // An ECR image is a warning: it fails only at --fail-on warning.
    assert_eq!(run(&["check", "--fail-on", "warning", "testdata/examples/edw-keda"]).0, 1);
    let (code, out, _) = run(&["check", "--color", "never", "testdata/fixtures/graph/trust-stringlike"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[E2A002]") && out.contains("team-b.yaml:8:33"), "{out}");
    assert!(out.ends_with("check failed: 1 errors, 4 warnings, 3 notes, 0 waived; coverage: 14 items, 13 translated, 1 not translated, 0 waived, 0 staying on AWS\n"), "{out}");
    assert_eq!(run(&["check", "--fail-on", "never", "testdata/fixtures/graph/trust-stringlike"]).0, 0);
    assert_eq!(run(&["check", "testdata/bad/effect-maybe.json"]).0, 2);
}

#[test]
fn sarif_validates_against_the_official_schema_and_keeps_fingerprints_across_line_moves() {
    let (code, sarif, _) = run(&["check", "--format", "sarif", "testdata/fixtures/graph/trust-stringlike"]);
    assert_eq!(code, 1);
    if let Some(ok) = python_validates_sarif(&sarif) {
        assert!(ok, "SARIF does not validate");
    }
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &v["runs"][0];
    assert_eq!(v["version"], "2.1.0");
    assert!(run0["tool"]["driver"]["rules"].as_array().unwrap().iter().all(|r| r["help"]["text"].is_string()));
    let result = run0["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "E2A002").unwrap();
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 8);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "testdata/fixtures/graph/trust-stringlike/k8s/team-b.yaml"
    );
    // Insert lines at the top of a copy: the fingerprint of the same finding does not change.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("trust-stringlike");
    copy_dir("testdata/fixtures/graph/trust-stringlike", &copy);
    let f = copy.join("k8s/team-b.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, format!("# moved\n# down\n{text}")).unwrap();
    let fp = |sarif: &str, code: &str| -> (serde_json::Value, serde_json::Value) {
        let v: serde_json::Value = serde_json::from_str(sarif).unwrap();
        let r = v["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == code).unwrap().clone();
        (r["partialFingerprints"].clone(), r["locations"][0]["physicalLocation"]["region"]["startLine"].clone())
    };
    let o =
        eks2aks().current_dir(tmp.path()).args(["check", "--format", "sarif", "trust-stringlike"]).output().unwrap();
    let moved = String::from_utf8(o.stdout).unwrap();
    let (fp_moved, line_moved) = fp(&moved, "E2A002");
    let o = eks2aks()
        .current_dir("testdata/fixtures/graph")
        .args(["check", "--format", "sarif", "trust-stringlike"])
        .output()
        .unwrap();
    let (fp_orig, line_orig) = fp(&String::from_utf8(o.stdout).unwrap(), "E2A002");
    assert_eq!(fp_moved, fp_orig);
    assert_eq!((line_orig, line_moved), (serde_json::json!(8), serde_json::json!(10)));
}

#[test]
fn waivers_suppress_with_a_reason_and_stay_visible() {
    let (code, out, _) = run(&["check", "--format", "json", "testdata/fixtures/check/waived"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap();
    let waived = f.iter().find(|f| f["code"] == "E2A005").unwrap();
    assert_eq!(waived["suppressed"], "reads a public dataset anonymously; no credentials needed");
    let invalid = f.iter().find(|f| f["code"] == "E2A032").unwrap();
    assert!(invalid["message"].as_str().unwrap().contains("has no reason"));
    assert_eq!(v["summary"]["waived"], 1);
    assert_eq!(code, 1, "the invalid waiver is an error");
    let (_, sarif, _) = run(&["check", "--format", "sarif", "testdata/fixtures/check/waived"]);
    let s: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let r = s["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "E2A005").unwrap();
    assert_eq!(r["suppressions"][0]["kind"], "inSource");
    if let Some(ok) = python_validates_sarif(&sarif) {
        assert!(ok);
    }
}

#[test]
fn config_raises_lowers_or_disables_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "rules:\n  trust-does-not-admit-sa: warning\n  E2A026: off\n").unwrap();
    let (code, out, _) = run(&[
        "check",
        "--format",
        "json",
        "--config",
        cfg.to_str().unwrap(),
        "testdata/fixtures/graph/trust-stringlike",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.iter().find(|f| f["code"] == "E2A002").unwrap()["severity"], "warning");
    assert!(!f.iter().any(|f| f["code"] == "E2A026"));
    std::fs::write(&cfg, "rules:\n  E2A999: off\n").unwrap();
    let (code, _, err) = run(&["check", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2);
    assert!(err.contains("`rules.E2A999`: no such rule"), "{err}");
}

#[test]
fn drift_against_a_committed_output_is_caught_with_a_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_dir("testdata/examples/edw-keda", &repo);
    let o = eks2aks().current_dir(&repo).args(["translate", "--out", "azure", "."]).output().unwrap();
    assert!(o.status.success());
    let o = eks2aks().current_dir(&repo).args(["check", "--against", "azure", "."]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    // Change an EKS manifest without regenerating the Azure side.
    let dep = repo.join("k8s/deployment.yaml");
    let text = std::fs::read_to_string(&dep).unwrap().replace("replicas: 1", "replicas: 3");
    assert!(text.contains("replicas: 3"), "fixture changed shape");
    std::fs::write(&dep, text).unwrap();
    let o =
        eks2aks().current_dir(&repo).args(["check", "--color", "never", "--against", "azure", "."]).output().unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("azure/k8s/k8s/deployment.yaml: drift:"), "{out}");
    assert!(out.contains("-  replicas: 1") && out.contains("+  replicas: 3"), "{out}");
    assert!(out.contains("1 files drifted"), "{out}");
}

#[test]
fn coverage_ledger_accounts_for_every_item() {
    let (_, out, _) = run(&["check", "--format", "json", "testdata/fixtures/graph/trust-stringlike"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let t = &v["coverage"]["totals"];
    let items = v["coverage"]["items"].as_array().unwrap();
    assert_eq!(t["items"].as_u64().unwrap() as usize, items.len());
    let sum: u64 = ["translated", "not_translated", "waived", "stays_on_aws", "replaced"]
        .iter()
        .map(|k| t[k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, t["items"].as_u64().unwrap());
    let sa = items.iter().find(|i| i["kind"] == "service_account" && i["id"] == "team-b/ingest").unwrap();
    assert_eq!(sa["state"], "not_translated");
    assert_eq!(sa["reason"], "its role's trust does not admit it");
    for kind in ["service_account", "role", "statement", "action", "aws_value"] {
        assert!(items.iter().any(|i| i["kind"] == kind), "{kind} missing from the ledger");
    }
    // --strict fails on the untranslated items; the bundled example has none.
    assert_eq!(run(&["check", "--strict", "--fail-on", "never", "testdata/fixtures/graph/trust-stringlike"]).0, 1);
    assert_eq!(run(&["check", "--strict", "testdata/examples/edw-keda"]).0, 0);
}

#[test]
fn junit_has_a_case_per_object_failed_by_its_findings() {
    let (_, xml, _) = run(&["check", "--format", "junit", "testdata/fixtures/graph/trust-stringlike"]);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    let case = "<testcase name=\"ServiceAccount team-b/ingest\" classname=\"testdata/fixtures/graph/trust-stringlike/k8s/team-b.yaml\">\n            <failure message=\"ServiceAccount team-b/ingest names role `team-a-shared`, but";
    assert!(xml.contains(case) && xml.contains("type=\"E2A002\">testdata/fixtures/graph/trust-stringlike/k8s/team-b.yaml:8: error trust-does-not-admit-sa "), "{xml}");
    assert!(
        xml.contains("<testsuites name=\"eks2aks check\" tests=\"7\" skipped=\"0\" failures=\"1\" errors=\"0\">"),
        "{xml}"
    );
    let o = std::process::Command::new("python3")
        .args(["-c", "import sys,xml.etree.ElementTree as E; E.fromstring(sys.stdin.read())"])
        .stdin(std::process::Stdio::piped())
        .spawn();
    if let Ok(mut child) = o {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "JUnit XML is not well-formed");
    }
}

/// JUnit holds one `<failure>` per test case: a case failed by several findings carries the first one's type and
/// message with a count of the others, and a line per finding in its text.
#[test]
fn junit_case_failed_by_several_findings_lists_them_all() {
    let (_, xml, _) = run(&["check", "--format", "junit", "--fail-on", "warning", "testdata/rules/E2A025"]);
    let case = xml.split("<testcase name=\"IAM role app\" classname=\"testdata/rules/E2A025/fires/iam.json\">").nth(1);
    let case = case.and_then(|c| c.split("</testcase>").next()).unwrap_or_else(|| panic!("{xml}"));
    assert_eq!(case.matches("<failure ").count(), 1, "{case}");
    assert!(case.contains("so only the first 20 are generated (and 1 more finding)\" type=\"E2A025\">"), "{case}");
    assert!(
        case.contains("\ntestdata/rules/E2A025/fires/iam.json:5: warning role-sources-conflict role `app`"),
        "{case}"
    );
}

#[test]
fn markdown_report_for_a_pr_comment() {
    let (_, md, _) = run(&["check", "--format", "markdown", "testdata/fixtures/graph/trust-stringlike"]);
    assert!(md.starts_with("## eks2aks check: ❌ failed\n"), "{md}");
    assert!(md.contains("| error | E2A002 trust-does-not-admit-sa |"), "{md}");
    assert!(md.contains("<details><summary>Coverage: 14 items"), "{md}");
}

#[test]
fn rules_are_listed_and_explained() {
    let (code, out, _) = run(&["check", "--list-rules"]);
    assert_eq!(code, 0);
    for n in 1..=37 {
        assert!(out.contains(&format!("E2A{n:03}")), "E2A{n:03} not listed");
    }
    let (code, out, _) = run(&["check", "--explain", "trust-without-sub"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("E2A008 trust-without-sub (default: error)") && out.contains("Fix\n"), "{out}");
    assert_eq!(run(&["check", "--explain", "E2A999"]).0, 2);
}

/// The GitHub Actions job and the pre-commit hook of the README, run on a copy of the bundled example.
#[test]
fn readme_ci_recipes_run() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_dir("testdata/examples/edw-keda", &repo);
    assert!(eks2aks().current_dir(&repo).args(["translate", "--out", "azure", "."]).output().unwrap().status.success());
    let mut ran = 0;
    for line in readme.lines().map(str::trim) {
        let Some(cmd) = line.strip_prefix("run: eks2aks ") else { continue };
        let (args, redirect) = cmd.split_once(" > ").map_or((cmd, None), |(a, r)| (a, Some(r)));
        let args: Vec<&str> = args.split_whitespace().collect();
        let o = eks2aks().current_dir(&repo).args(&args).output().unwrap();
        assert!(o.status.code().is_some_and(|c| c <= 1), "`{cmd}`: {}", String::from_utf8_lossy(&o.stderr));
        if let Some(file) = redirect {
            std::fs::write(repo.join(file), &o.stdout).unwrap();
        }
        ran += 1;
    }
    assert!(ran >= 2, "the README's workflow lost its eks2aks steps");
    let sarif = std::fs::read_to_string(repo.join("eks2aks.sarif")).unwrap();
    if let Some(ok) = python_validates_sarif(&sarif) {
        assert!(ok);
    }
    // The pre-commit hook's entry, as pre-commit would run it (no file names passed).
    let hooks = std::fs::read_to_string(".pre-commit-hooks.yaml").unwrap();
    let entry = hooks.lines().find_map(|l| l.trim().strip_prefix("entry: ")).unwrap();
    let args: Vec<&str> = entry.split_whitespace().skip(1).collect();
    let o = eks2aks().current_dir(&repo).args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
}

/// One fixture per rule that fires it, and a near-miss that does not (testdata/rules/<CODE>/{fires,near-miss}).
#[test]
fn every_rule_fires_on_its_fixture_and_not_on_its_near_miss() {
    let root = Path::new("testdata/rules");
    let mut codes: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    codes.sort();
    // Every rule has its pair, except E2A024 (a guard valid tables never reach; unit-tested in mapping::choose),
    // E2A045 and E2A046 (the soundness check's guards, which the translation no longer reaches; unit-tested on
    // plans made wider by hand in plan::soundness),
    // E2A031 (drift needs --against; see drift_against_a_committed_output_is_caught_with_a_diff) and E2A041 (a FIFO
    // cannot be committed; see safety::kernel_files_devices_and_fifos_in_a_directory_are_not_read) and E2A011 (every
    // eksctl well-known key is bundled or an add-on's with the bundled tables; it needs a `--mappings` add-on table
    // that says the role is not the add-on: see managed_policies::a_well_known_key_the_bundle_does_not_expand_grants_nothing).
    let expected: Vec<String> = eks2aks::rules::ALL
        .iter()
        .map(|r| r.code.to_string())
        .filter(|c| !["E2A011", "E2A024", "E2A031", "E2A041", "E2A045", "E2A046"].contains(&c.as_str()))
        .collect();
    assert_eq!(codes, expected, "testdata/rules must hold a fires/near-miss pair per rule");
    for code in codes {
        for (case, want) in [("fires", true), ("near-miss", false)] {
            let dir = root.join(&code).join(case);
            if !dir.is_dir() {
                panic!("{} missing", dir.display());
            }
            let cfg = dir.join("eks2aks.yaml");
            let d = dir.to_string_lossy().into_owned();
            let c = cfg.to_string_lossy().into_owned();
            let mut args = vec!["check", "--format", "json", "--fail-on", "never", d.as_str()];
            if cfg.is_file() {
                args.extend(["--config", c.as_str()]);
            }
            let (exit, out, err) = run(&args);
            let fired = if code == "E2A001" {
                exit == 2 && err.contains("error[E2A001]")
            } else {
                assert_eq!(exit, 0, "{}: {err}", dir.display());
                let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                v["findings"].as_array().unwrap().iter().any(|f| f["code"] == code.as_str())
            };
            assert_eq!(fired, want, "{} ({case})", dir.display());
        }
    }
}

#[test]
fn malformed_input_still_yields_a_sarif_report_and_exit_2() {
    let (code, sarif, err) = run(&["check", "--format", "sarif", "testdata/bad/effect-maybe.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("error[E2A001]"));
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "E2A001");
    assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startLine"], 6);
    if let Some(ok) = python_validates_sarif(&sarif) {
        assert!(ok);
    }
}

/// `json.dump` and `jq -c` write an IAM export as one line of megabytes. Findings in it point at line 1 and the
/// right column, and the text report does not quote the line under each finding.
#[test]
fn findings_in_a_minified_export_point_at_their_column_without_quoting_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir("testdata/fixtures/iam/authz-details-full", tmp.path());
    let export = tmp.path().join("iam/account-authorization-details.json");
    let pretty: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    // Padding makes the one line long enough to be left unquoted.
    let mut minified = serde_json::to_string(&pretty).unwrap();
    minified.insert_str(1, &format!("\"Padding\":\"{}\",", "x".repeat(2000)));
    std::fs::write(&export, &minified).unwrap();
    let dir = tmp.path().to_str().unwrap();
    let (_, pretty_json, _) =
        run(&["check", "--format", "json", "--fail-on", "never", "testdata/fixtures/iam/authz-details-full"]);
    let (_, min_json, _) = run(&["check", "--format", "json", "--fail-on", "never", dir]);
    let codes = |s: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        let mut c: Vec<String> =
            v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect();
        // Sorted: findings in a bundled policy (mappings/…) sort before or after the input by its path.
        c.sort();
        c
    };
    assert_eq!(codes(&pretty_json), codes(&min_json), "same findings, whatever the layout");
    let v: serde_json::Value = serde_json::from_str(&min_json).unwrap();
    let in_export: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().is_some_and(|p| p.ends_with("account-authorization-details.json")))
        .collect();
    assert!(!in_export.is_empty(), "{min_json}");
    for f in &in_export {
        assert_eq!(f["line"], 1, "{f}");
        // The column points at the JSON value the finding is about: an object or a string.
        let col = f["column"].as_u64().unwrap() as usize;
        assert!(matches!(minified.as_bytes()[col - 1], b'{' | b'"' | b'['), "{f}");
    }
    let (_, text, _) = run(&["check", "--fail-on", "never", dir]);
    assert!(text.contains("account-authorization-details.json:1:"), "{text}");
    assert!(text.lines().all(|l| l.len() < 1000), "a long line was quoted");
}

/// SARIF locations are valid URIs whatever the path: relative ones against `%SRCROOT%`, absolute inputs as
/// `file://` URIs without a base, and spaces percent-encoded.
#[test]
fn sarif_uris_are_valid_for_absolute_paths_and_odd_names() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("my repo");
    copy_dir("testdata/examples/edw-keda", &repo);
    let (_, sarif, err) = run(&["check", "--format", "sarif", "--fail-on", "never", repo.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap_or_else(|e| panic!("{e}: {err}"));
    let locations: Vec<&serde_json::Value> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.get("locations"))
        .map(|l| &l[0]["physicalLocation"]["artifactLocation"])
        .collect();
    assert!(!locations.is_empty());
    for l in &locations {
        let uri = l["uri"].as_str().unwrap();
        assert!(uri.starts_with("file:///") && uri.contains("/my%20repo/") && !uri.contains(' '), "{l}");
        assert!(l.get("uriBaseId").is_none(), "{l}");
    }
    if let Some(valid) = python_validates_sarif(&sarif) {
        assert!(valid, "SARIF with file:// URIs does not validate");
    }
    let (_, relative, _) = run(&["check", "--format", "sarif", "--fail-on", "never", "testdata/examples/edw-keda"]);
    let v: serde_json::Value = serde_json::from_str(&relative).unwrap();
    let first = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(first["uriBaseId"], "%SRCROOT%", "{first}");
    assert!(first["uri"].as_str().unwrap().starts_with("testdata/"), "{first}");
}

#[test]
fn gitlab_code_quality_validates_with_unique_fingerprints_that_survive_line_moves() {
    let (code, report, _) = run(&["check", "--format", "gitlab", "testdata/fixtures/graph/trust-stringlike"]);
    assert_eq!(code, 1, "the gate still fails on errors");
    if let Some(ok) = python_validates(&report, "testdata/schemas/gitlab-codequality.json") {
        assert!(ok, "Code Quality report does not validate: {report}");
    }
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    let issues = v.as_array().unwrap();
    let e = issues.iter().find(|i| i["check_name"] == "E2A002").expect("the trust error");
    assert_eq!(e["severity"], "critical");
    assert_eq!(e["location"]["path"], "testdata/fixtures/graph/trust-stringlike/k8s/team-b.yaml");
    assert_eq!(e["location"]["lines"]["begin"], 8);
    assert!(issues.iter().any(|i| i["severity"] == "minor") && issues.iter().any(|i| i["severity"] == "info"));
    let mut fps: Vec<&str> = issues.iter().map(|i| i["fingerprint"].as_str().unwrap()).collect();
    let n = fps.len();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), n, "GitLab shows one issue per fingerprint");
    // Lines inserted at the top: the same finding keeps its fingerprint, at its new line.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("trust-stringlike");
    copy_dir("testdata/fixtures/graph/trust-stringlike", &copy);
    let f = copy.join("k8s/team-b.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, format!("# moved\n# down\n{text}")).unwrap();
    let fp = |dir: &Path| {
        let o = eks2aks().current_dir(dir).args(["check", "--format", "gitlab", "trust-stringlike"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let e = v.as_array().unwrap().iter().find(|i| i["check_name"] == "E2A002").unwrap().clone();
        (e["fingerprint"].clone(), e["location"]["lines"]["begin"].clone())
    };
    let (moved, line_moved) = fp(tmp.path());
    let (orig, line_orig) = fp(Path::new("testdata/fixtures/graph"));
    assert_eq!(moved, orig);
    assert_eq!((line_orig, line_moved), (serde_json::json!(8), serde_json::json!(10)));
}

#[test]
fn malformed_input_still_yields_a_gitlab_report_and_exit_2() {
    let (code, report, _) = run(&["check", "--format", "gitlab", "testdata/bad/effect-maybe.json"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(v.as_array().unwrap().iter().any(|i| i["check_name"] == "E2A001" && i["severity"] == "critical"), "{v:#}");
}

/// Review 3, d13: `--format junit` wrote nothing for malformed input (the other formats report E2A001): a CI job
/// reading JUnit saw no test at all. Each file with a problem is a suite whose `(file)` case fails with it.
#[test]
fn malformed_input_still_yields_a_junit_report_and_exit_2() {
    for fail_on in ["error", "never"] {
        let (code, xml, _) =
            run(&["check", "--format", "junit", "--fail-on", fail_on, "testdata/bad/effect-maybe.json"]);
        assert_eq!(code, 2);
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(xml.contains("testdata/bad/effect-maybe.json"), "{xml}");
        assert!(xml.contains("<failure") && xml.contains("type=\"E2A001\""), "{xml}");
        assert!(xml.contains("effect-maybe.json:6: error malformed-input"), "{xml}");
    }
}

/// Review of 4ba9fce: findings contradicted each other. A value naming a resource that becomes an Azure resource
/// no rewrite reaches had E2A027 "no Azure counterpart in the plan" beside E2A111 "which becomes … on Azure"; a
/// resource the IAM policies grant, in a statement eks2aks declined (E2A020), had E2A036 "its IAM policies do not
/// grant it". One true finding per value.
#[test]
fn findings_about_one_value_agree() {
    let dir = "testdata/fixtures/check/findings-agree";
    let cfg = format!("{dir}/cosmos/eks2aks.yaml");
    let (_, out, err) = run(&["check", "--format", "json", "--config", &cfg, &format!("{dir}/cosmos")]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let findings = v["findings"].as_array().unwrap();
    let at = |code: &str| -> Vec<u64> {
        findings.iter().filter(|f| f["code"] == code).filter_map(|f| f["line"].as_u64()).collect()
    };
    let named = at("E2A111");
    assert!(!named.is_empty(), "{findings:#?}");
    assert!(at("E2A027").iter().all(|l| !named.contains(l)), "E2A027 beside E2A111: {findings:#?}");
    // Still not translated in the coverage ledger: nothing rewrites the value.
    let items = v["coverage"]["items"].as_array().unwrap();
    for line in &named {
        let item = items.iter().find(|i| i["kind"] == "aws_value" && i["line"].as_u64() == Some(*line));
        assert_eq!(item.map(|i| &i["state"]), Some(&serde_json::json!("not_translated")), "{items:#?}");
    }
    let (_, out, _) = run(&["check", "--format", "json", &format!("{dir}/securetx")]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["code"] == "E2A036").expect("E2A036");
    let m = f["message"].as_str().unwrap();
    assert!(!m.contains("do not grant it") && m.contains("not translated"), "{m}");
}
