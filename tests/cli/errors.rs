//! Bad input: clear errors with file:line:col, every bad file reported, exit 2, no panic.

use super::run;

/// (file, expected exit code, a fragment of stderr that must appear).
const BAD: &[(&str, i32, &str)] = &[
    ("bad-indentation.yaml", 2, "bad-indentation.yaml:5:13"),
    ("bicep-injection.yaml", 2, "bicep-injection.yaml:7:33"),
    ("billion-laughs.yaml", 2, "alias bomb"),
    ("broken-flow-sequence.yaml", 2, "broken-flow-sequence.yaml:17:11"),
    ("deep-nesting.json", 2, "deep-nesting.json:1:"),
    ("deep-nesting.yaml", 2, "deep-nesting.yaml:1:"),
    ("duplicate-key.yaml", 2, "duplicate key `eks.amazonaws.com/role-arn`"),
    ("effect-maybe.json", 2, "effect-maybe.json:6:23"),
    ("malformed-role-arn.yaml", 2, "malformed-role-arn.yaml:7:33"),
    ("managed-policy-two-defaults.json", 2, "managed-policy-two-defaults.json:46:5"),
    ("missing-metadata-name.yaml", 2, "has no metadata.name"),
    ("non-utf8.yaml", 2, "non-utf8.yaml:4:"),
    ("pod-identity-bad-role-arn.json", 2, "pod-identity-bad-role-arn.json:6:20"),
    ("sa-path-traversal.yaml", 2, "sa-path-traversal.yaml:4:9"),
    ("statement-number.json", 2, "statement-number.json:3:18"),
    ("tab-indentation.yaml", 2, "tab-indentation.yaml:4:"),
    ("trailing-comma.json", 2, "trailing-comma.json:9:13"),
    ("unterminated-quote.yaml", 2, "unterminated-quote.yaml:7:18"),
    ("unrendered-role-arn.yaml", 2, "looks like a template variable"),
    ("empty.yaml", 0, ""),
    ("only-comments.yaml", 0, ""),
    ("bom.yaml", 0, ""),
    ("bom.json", 0, ""),
    ("utf16le-bom.json", 0, ""),
];

#[test]
fn every_bad_input_has_its_pinned_outcome() {
    let mut listed: Vec<&str> = BAD.iter().map(|b| b.0).collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir("testdata/bad")
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk, "every file in testdata/bad needs a pinned outcome");
    for (file, want, fragment) in BAD {
        let path = format!("testdata/bad/{file}");
        let (code, out, err) = run(&["plan", "--format", "json", &path]);
        assert_eq!(code, *want, "{file}: {err}");
        assert!(err.contains(fragment), "{file}: {fragment:?} not in\n{err}");
        assert!(!err.contains("panicked"), "{file} panicked");
        if *want == 2 {
            assert!(out.is_empty(), "{file}: output written despite malformed input");
            assert!(err.contains("error[E2A001]"), "{file}");
            assert!(err.ends_with("nothing was written\n"), "{file}");
        }
    }
}

#[test]
fn all_bad_files_of_a_run_are_reported_not_only_the_first() {
    let (code, _, err) = run(&["plan", "testdata/bad", "testdata/examples/edw-keda"]);
    assert_eq!(code, 2);
    let n = err.matches("error[E2A001]").count();
    // README.md in testdata/bad is not walked (directories yield only *.yaml, *.yml, *.json).
    assert_eq!(n, 19, "{err}");
    assert!(err.contains("error: 19 input problems found; nothing was written"));
}

#[test]
fn missing_path_is_a_clear_error() {
    let (code, out, err) = run(&["plan", "does/not/exist.yaml"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("cannot read `does/not/exist.yaml`: no such file or directory"), "{err}");
}

#[test]
fn unknown_config_key_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, "azure:\n  location: westeurope\ntargetz:\n  sqs: service-bus\n").unwrap();
    let (code, _, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2);
    assert!(err.contains("targetz") && err.contains(":3:"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["plan", "--format", "yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'yaml'"), "{err}");
}

#[test]
fn unrendered_helm_template_is_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n",
    )
    .unwrap();
    let (code, out, err) = run(&["plan", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["findings"][0]["code"], "E2A013");
}

#[test]
fn a_name_of_the_wrong_type_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("cm.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x]\n").unwrap();
    let (code, _, err) = run(&["plan", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("metadata.name must be a string, found a list") && err.contains("cm.yaml:4:9"), "{err}");
}

#[test]
fn workload_fields_of_the_wrong_type_are_malformed_not_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("d.yaml");
    std::fs::write(
        &f,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      serviceAccountName: 5\n      containers: []\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: y\nspec:\n  template:\n    spec:\n      containers: notalist\n",
    )
    .unwrap();
    let (code, _, err) = run(&["plan", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("`serviceAccountName` must be a string") && err.contains("d.yaml:8:27"), "{err}");
    assert!(err.contains("`containers` must be a list") && err.contains("d.yaml:18:19"), "{err}");
}

/// Review of 4ba9fce: a key serde refuses (an unknown `azure:` field, a negative `max_excess`) hid every other
/// problem of the config; now all come in one run, each at its line, in line order.
#[test]
fn a_config_key_of_the_wrong_type_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(
        &cfg,
        "bridge: nope\ntargets:\n  sqs: storage-quene\ncustom_roles:\n  max_excess: -1\nazure:\n  locaton: westeurope\n  storage_account: \"Bad_Name!\"\n",
    )
    .unwrap();
    let (code, out, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "no partial output: {out}");
    let c = cfg.display().to_string();
    assert!(err.contains("(5 problems)"), "{err}");
    let want = [
        "error: `bridge` must be `aks-issuer` or `entra`".to_string(),
        format!(" --> {c}:1:9\n"),
        "error: `targets.sqs: storage-quene`: not a target of sqs".to_string(),
        format!(" --> {c}:3:8\n"),
        "error: custom_roles.max_excess: invalid type: integer `-1`".to_string(),
        format!(" --> {c}:5:15\n"),
        "error: azure: unknown field `locaton`".to_string(),
        format!(" --> {c}:7:3\n"),
        "error: `azure.storage_account: Bad_Name!` is not a valid storage_account name".to_string(),
        format!(" --> {c}:8:20\n"),
    ];
    let mut at = 0;
    for w in &want {
        let i = err[at..].find(w.as_str()).unwrap_or_else(|| panic!("{w} missing or out of order in:\n{err}"));
        at += i + w.len();
    }
}

/// Review of 4ba9fce: `azure.storage_account: "Bad_Name!"` was accepted and written into manifests as
/// `https://Bad_Name!.blob.core.windows.net/…`. A name given in `azure:` follows its scope kind's naming rule (the
/// plan's own): otherwise an error at its line, exit 2, nothing written; a valid one passes.
#[test]
fn azure_names_in_the_config_follow_the_naming_rules() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    let out = dir.path().join("out");
    std::fs::write(&cfg, "azure:\n  key_vault: kv-orders\n  storage_account: \"Bad_Name!\"\n").unwrap();
    let c = cfg.to_str().unwrap();
    let (code, _, err) =
        run(&["translate", "--config", c, "testdata/examples/edw-keda", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!(" --> {c}:3:20")) && err.contains("would make it `badname`"), "{err}");
    assert!(err.contains("(1 problem)"), "kv-orders is a valid Key Vault name: {err}");
    assert!(!out.exists(), "nothing written");
    std::fs::write(&cfg, "azure:\n  key_vault: kv-orders\n  storage_account: edwstore01\n").unwrap();
    let (code, _, err) = run(&["plan", "--config", c, "testdata/examples/edw-keda"]);
    assert_eq!(code, 0, "{err}");
}

/// The node resource group goes into the Bicep parameters, the az script and the E2A142 commands: a value Azure
/// would refuse (a quote and a shell command, a control character, a trailing dot, 91 characters) is a config
/// problem at its line, nothing written; an AKS default (`MC_<group>_<cluster>_<region>`) and parentheses pass.
#[test]
fn the_node_resource_group_follows_azures_resource_group_rules() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    let out = dir.path().join("out");
    let c = cfg.to_str().unwrap();
    let long = "g".repeat(91);
    for bad in ["\"MC_rg'; rm -rf ~\"", "\"MC_rg\\u001b[2J\"", "MC_rg.", long.as_str()] {
        std::fs::write(&cfg, format!("azure:\n  storage_account: stbackup\n  node_resource_group: {bad}\n")).unwrap();
        let (code, _, err) =
            run(&["translate", "--config", c, "testdata/rules/E2A143/fires", "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains(&format!(" --> {c}:3:24")) && err.contains("is not a valid node_resource_group name"),
            "{bad}: {err}"
        );
        assert!(!err.contains('\u{1b}'), "control characters escaped: {err}");
        assert!(!out.exists(), "nothing written");
    }
    for good in ["MC_rg-observability_aks-prod_westeurope", "rg.(nodes)"] {
        std::fs::write(&cfg, format!("azure:\n  storage_account: stbackup\n  node_resource_group: {good}\n")).unwrap();
        let (code, _, err) = run(&["plan", "--config", c, "testdata/rules/E2A143/fires"]);
        assert_eq!(code, 0, "{good}: {err}");
    }
}

/// Issue 19: every problem of a config is reported in one run, each with its file and line, in line order (it
/// stopped at the first).
#[test]
fn every_config_problem_is_reported_at_once_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(
        &cfg,
        "rules:\n  E2A999: off\n  E2A005: loud\ntargets:\n  sqs: kafka\nbridge: nope\nmax_file_size: 0\n",
    )
    .unwrap();
    let (code, out, err) = run(&["plan", "--config", cfg.to_str().unwrap(), "testdata/examples/edw-keda"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "no partial output: {out}");
    let c = cfg.display().to_string();
    assert!(err.contains("(5 problems)"), "{err}");
    // Each rendered like an input error (issue 19): message, `--> file:line:col`, the line and a caret.
    let want = [
        "error: `rules.E2A999`: no such rule".to_string(),
        format!(" --> {c}:2:3\n  |\n2 |   E2A999: off\n  |   ^^^"),
        "error: `rules.E2A005: loud`: use error, warning, note or off".to_string(),
        format!(" --> {c}:3:11\n"),
        "error: `targets.sqs: kafka`: not a target of sqs".to_string(),
        format!(" --> {c}:5:8\n"),
        "error: `bridge` must be `aks-issuer` or `entra`".to_string(),
        format!(" --> {c}:6:9\n"),
        "error: `max_file_size` must be more than 0".to_string(),
        format!(" --> {c}:7:16\n  |\n7 | max_file_size: 0\n  |                ^\n"),
    ];
    let mut at = 0;
    for w in &want {
        let i = err[at..].find(w.as_str()).unwrap_or_else(|| panic!("{w} missing or out of order in:\n{err}"));
        at += i + w.len();
    }
}

/// Review of 7f7888f: an export whose `DefaultVersionId` and `IsDefaultVersion` name different versions was read
/// with the first in list order (there the wider `s3:*`), silently. It is malformed input now, at the policy
/// (pinned in `BAD` with its line).
#[test]
fn a_managed_policy_with_two_default_versions_is_malformed_input() {
    let (code, out, err) = run(&["plan", "testdata/bad/managed-policy-two-defaults.json", "--format", "json"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("more than one default version (v1, v2: `DefaultVersionId` and `IsDefaultVersion` disagree)"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
}

/// A multi-document file with several problems: a duplicate key (document 1), an unknown alias (document 3), a
/// syntax error saphyr cannot go on from (document 4, reading resumes at the next `---`) and a duplicate key in a
/// flow mapping (document 5). Only the first was reported; each is reported now at its own line and column, with
/// every verb and format, exit 2, nothing written.
const SEVERAL_PROBLEMS: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n  name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: *nope\n---\nkey: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, name: d}\n";

/// (line, column) of each problem of [`SEVERAL_PROBLEMS`].
const SEVERAL_AT: [(u64, u64); 4] = [(5, 3), (15, 9), (18, 1), (21, 21)];

#[test]
fn every_problem_of_a_yaml_file_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("app.yaml");
    std::fs::write(&f, SEVERAL_PROBLEMS).unwrap();
    let p = f.to_str().unwrap();
    let at = |l: u64, c: u64| format!("{p}:{l}:{c}");
    for args in [vec!["plan", p], vec!["plan", "--format", "json", p], vec!["check", p]] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.matches("error[E2A001]").count(), 4, "{args:?}: {err}");
        for (l, c) in SEVERAL_AT {
            assert!(err.contains(&at(l, c)), "{args:?}: {} missing in\n{err}", at(l, c));
        }
        assert!(err.contains("duplicate key `name`") && err.contains("unknown anchor"), "{err}");
        assert!(err.ends_with("error: 4 input problems found; nothing was written\n"), "{err}");
    }
    let (code, out, _) = run(&["check", "--format", "json", p]);
    assert_eq!(code, 2);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut got: Vec<(u64, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    got.sort();
    assert_eq!(got, SEVERAL_AT, "{out}");
    let (code, out, _) = run(&["check", "--format", "sarif", p]);
    assert_eq!(code, 2);
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lines: Vec<u64> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, SEVERAL_AT.map(|a| a.0), "{out}");
    for format in ["junit", "markdown", "gitlab"] {
        let (code, out, err) = run(&["check", "--format", format, p]);
        assert_eq!(code, 2, "{format}: {err}");
        for (l, _) in SEVERAL_AT {
            assert!(out.contains(&format!("{l}")), "{format}: line {l} missing in\n{out}");
        }
        assert_eq!(err.matches("error[E2A001]").count(), 4, "{format}: {err}");
    }
    let o = dir.path().join("out");
    let (code, _, err) = run(&["translate", p, "--out", o.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.matches("error[E2A001]").count(), 4, "{err}");
    assert!(!o.exists(), "nothing written");
}

/// A config with a problem in every check made after parsing. `route53.resource_group` and
/// `route53.subscription_id` were reported at the `route53:` line, `aws.*` at `aws:`, `resource_targets` at its
/// key, and the rest at their key (a `resource_group:` at the first line that starts with it, whichever section it
/// is in): each is at its offending value now — or at its key when the key is what is wrong (an unknown rule,
/// service or ARN pattern) — all in one run, exit 2.
const CONFIG_PROBLEMS: &str = "route53:\n  resource_group: \"dns$(id)\"\n  subscription_id: also-not\n  zones:\n    Z0123: \"bad zone!\"\nazure:\n  subscription_id: nope-sub\n  tenant_id: tenant-x\n  resource_group: \"bad rg\"\n  storage_account: \"Bad_Name!\"\naws:\n  account_id: \"12\"\n  region: Mars\n  partition: aws-moon\nbridge: nope\nmax_file_size: 0\ningress_class: nginx-ish\ntargets:\n  sqs: kafka\n  nosuch: x\nresource_targets:\n  \"arn:aws:sqs:*:*:q\": bogus\n  \"arn:aws:nosvc:*:*:q\": storage-queue\nrules:\n  E2A999: off\n  E2A005: loud\n  E2A001: off\n";

/// (line, text at the place) of each problem of [`CONFIG_PROBLEMS`].
const CONFIG_AT: &[(usize, &str)] = &[
    (2, "\"dns$(id)\""),
    (3, "also-not"),
    (5, "\"bad zone!\""),
    (7, "nope-sub"),
    (8, "tenant-x"),
    (9, "\"bad rg\""),
    (10, "\"Bad_Name!\""),
    (12, "\"12\""),
    (13, "Mars"),
    (14, "aws-moon"),
    (15, "nope"),
    (16, "0"),
    (17, "nginx-ish"),
    (19, "kafka"),
    (20, "nosuch"),
    (22, "bogus"),
    (23, "\"arn:aws:nosvc"),
    (25, "E2A999"),
    (26, "loud"),
    (27, "E2A001"),
];

#[test]
fn every_config_problem_points_at_its_offending_value() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("eks2aks.yaml");
    std::fs::write(&cfg, CONFIG_PROBLEMS).unwrap();
    let c = cfg.display().to_string();
    let lines: Vec<&str> = CONFIG_PROBLEMS.lines().collect();
    let (code, out, err) = run(&["plan", "--config", &c, "testdata/examples/edw-keda"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with(&format!("error: invalid config {c} ({} problems):\n", CONFIG_AT.len())), "{err}");
    let mut places: Vec<String> =
        err.lines().filter_map(|l| l.trim_start().strip_prefix("--> ")).map(str::to_string).collect();
    let mut want: Vec<String> = CONFIG_AT
        .iter()
        .map(|(l, text)| {
            let at = lines[l - 1].find(text).unwrap() + 1;
            format!("{c}:{l}:{at}")
        })
        .collect();
    places.sort();
    want.sort();
    assert_eq!(places, want, "{err}");
}

/// One Kubernetes object with several problems: a bad name and a bad namespace, and two pod fields of the wrong
/// type. Only the first of each pair was reported (the name hid the namespace, `serviceAccountName` hid
/// `containers`); each is reported now, at its value.
#[test]
fn every_problem_of_a_kubernetes_object_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("d.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: Bad_NS\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      serviceAccountName: 5\n      containers: notalist\n      initContainers: {}\n",
    )
    .unwrap();
    let p = f.to_str().unwrap();
    let (code, _, err) = run(&["plan", p]);
    assert_eq!(code, 2, "{err}");
    for at in ["d.yaml:4:9", "d.yaml:5:14", "d.yaml:14:27", "d.yaml:15:19", "d.yaml:16:23"] {
        assert!(err.contains(at), "{at} missing in\n{err}");
    }
    assert!(err.ends_with("error: 5 input problems found; nothing was written\n"), "{err}");
}

/// A JSON file with two duplicate keys: both are reported, each at its key (only the first was).
#[test]
fn every_duplicate_key_of_a_json_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("policy.json");
    std::fs::write(
        &f,
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [],\n  \"Version\": \"x\",\n  \"Statement\": []\n}\n",
    )
    .unwrap();
    let (code, _, err) = run(&["plan", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("policy.json:4:3") && err.contains("policy.json:5:3"), "{err}");
    assert!(err.ends_with("error: 2 input problems found; nothing was written\n"), "{err}");
}
