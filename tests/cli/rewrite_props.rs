//! The manifest rewrite's round-trip property (issue 17, "never lose"): for generated manifests — block and flow
//! style, comments, anchors and aliases, `List`s, several documents, every shape of the `eks.amazonaws.com/*`
//! annotations — `translate` either succeeds with every input object in the output (same apiVersion, kind,
//! namespace and name, in the same order, each still valid YAML) and every other field unchanged except the edits
//! a workload-identity migration makes, or it fails with the rewrite's internal error and writes nothing. It
//! never drops an object silently. This test checks the outputs itself (with PyYAML-independent parsing through
//! the library's reader), so it does not depend on the verifier it also exercises.

use eks2aks::yaml::{Node, parse_stream};
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

const ROLES: [&str; 2] = ["r0", "r1"];

fn iam_export() -> String {
    let role = |name: &str| {
        serde_json::json!({
            "Path": "/", "RoleName": name, "RoleId": format!("AROA{name}"), "Arn": format!("arn:aws:iam::111122223333:role/{name}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EX"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {"oidc.eks.us-east-1.amazonaws.com/id/EX:sub": "system:serviceaccount:app:*"}}
            }]},
            "RolePolicyList": [{"PolicyName": "q", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                "Resource": format!("arn:aws:sqs:us-east-1:111122223333:{name}-queue")
            }]}}],
            "AttachedManagedPolicies": []
        })
    };
    serde_json::to_string_pretty(&serde_json::json!({
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": ROLES.iter().map(|r| role(r)).collect::<Vec<_>>()
    }))
    .unwrap()
}

/// One generated object: its kind and how it is written.
#[derive(Debug, Clone)]
struct Obj {
    kind: u8,
    flow: bool,
    /// Which annotations a ServiceAccount carries (bits: role-arn, sts-regional-endpoints, token-expiration,
    /// audience, an unrelated one); 32 = `annotations:` with nothing, 33 = `annotations: {}`.
    annotations: u8,
    role: usize,
    comment: bool,
    /// 0: labels written out; 1: the pod template's labels are an alias of the object's; 2: the pod template's
    /// labels are an anchor that the selector (written after the template) aliases.
    alias_labels: u8,
    env_flow: bool,
    /// Block annotations written with explicit keys (`? key` then `: value`).
    explicit: bool,
}

fn obj() -> impl Strategy<Value = Obj> {
    (0u8..5, any::<bool>(), 0u8..34, 0usize..2, any::<bool>(), 0u8..3, any::<bool>(), any::<bool>()).prop_map(
        |(kind, flow, annotations, role, comment, alias_labels, env_flow, explicit)| Obj {
            kind,
            flow,
            annotations,
            role,
            comment,
            alias_labels,
            env_flow,
            explicit,
        },
    )
}

fn annotations(o: &Obj) -> Option<String> {
    let role = ROLES[o.role];
    let all = [
        ("eks.amazonaws.com/role-arn", format!("arn:aws:iam::111122223333:role/{role}")),
        ("eks.amazonaws.com/sts-regional-endpoints", "\"true\"".to_string()),
        ("eks.amazonaws.com/token-expiration", "\"86400\"".to_string()),
        ("eks.amazonaws.com/audience", "sts.amazonaws.com".to_string()),
        ("example.com/owner", "team-a".to_string()),
    ];
    match o.annotations {
        32 => return Some("  annotations:\n".into()),
        33 => return Some("  annotations: {}\n".into()),
        _ => {}
    }
    let chosen: Vec<&(&str, String)> =
        all.iter().enumerate().filter(|(i, _)| o.annotations & (1 << i) != 0).map(|(_, a)| a).collect();
    if chosen.is_empty() {
        return None;
    }
    Some(if o.flow {
        let inner: Vec<String> = chosen.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("  annotations: {{{}}}\n", inner.join(", "))
    } else {
        let mut s = String::from("  annotations:\n");
        for (k, v) in chosen {
            if o.explicit {
                s.push_str(&format!("    ? {k}\n    : {v}\n"));
            } else {
                s.push_str(&format!("    {k}: {v}\n"));
            }
            if o.comment {
                s.push_str("    # a comment between annotations\n");
            }
        }
        s
    })
}

fn render(i: usize, o: &Obj) -> String {
    let name = format!("o{i}");
    let c = if o.comment { "  # trailing comment\n" } else { "" };
    match o.kind {
        0 => format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa{i}\n  namespace: app\n{}{c}",
            annotations(o).unwrap_or_default()
        ),
        1 => {
            let env = if o.env_flow {
                "          env: [{name: AWS_REGION, value: us-east-1}, {name: MODE, value: \"on\"}, {name: Q, value: \"https://sqs.us-east-1.amazonaws.com/111122223333/r0-queue\"}]\n".to_string()
            } else {
                "          env:\n            - name: AWS_REGION\n              value: us-east-1\n            - name: MODE\n              value: \"no\"\n            - name: AWS_ROLE_ARN\n              value: arn:aws:iam::111122223333:role/r1\n            - name: Q\n              value: https://sqs.us-east-1.amazonaws.com/111122223333/r0-queue\n".to_string()
            };
            let (labels, tlabels, selector) = match (o.alias_labels, o.flow) {
                (1, _) => ("  labels: &labels\n    app: x\n", "      labels: *labels\n", "{app: x}"),
                (2, _) => ("  labels:\n    app: x\n", "      labels: &tl\n        app: x\n", "*tl"),
                (_, true) => ("  labels: {app: x}\n", "      labels: {app: x}\n", "{app: x}"),
                _ => ("  labels:\n    app: x\n", "      labels:\n        app: x\n", "{app: x}"),
            };
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: app\n{labels}spec:\n  template:\n    metadata:\n{tlabels}{c}    spec:\n      serviceAccountName: sa{}\n      containers:\n        - name: c\n          image: busybox\n{env}  selector:\n    matchLabels: {selector}\n",
                i.saturating_sub(1)
            )
        }
        2 => {
            let data = if o.flow {
                "data: {mode: fast, AWS_REGION: us-east-1}\n".to_string()
            } else {
                format!("data:\n  mode: fast\n{c}  AWS_REGION: us-east-1\n  other: \"yes\"\n")
            };
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: app\n{data}")
        }
        3 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n  ports: [{{port: 80}}]\n{c}"
        ),
        _ => format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n  schedule: \"* * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          serviceAccountName: sa{}\n          restartPolicy: Never\n          containers: [{{name: c, image: busybox}}]\n",
            i.saturating_sub(1)
        ),
    }
}

/// The file: documents separated by `---`, some wrapped in a `List` (rendered as JSON inside YAML, as `kubectl
/// get -o yaml` does not, but a tool could).
fn manifest(objs: &[Obj], list_from: Option<usize>) -> String {
    let mut docs: Vec<String> = Vec::new();
    let split = list_from.unwrap_or(objs.len()).min(objs.len());
    for (i, o) in objs[..split].iter().enumerate() {
        docs.push(render(i, o));
    }
    if split < objs.len() {
        let mut list = String::from("apiVersion: v1\nkind: List\nitems:\n");
        for (i, o) in objs[split..].iter().enumerate() {
            let body = render(split + i, o);
            for (j, line) in body.lines().enumerate() {
                list.push_str(if j == 0 { "  - " } else { "    " });
                list.push_str(line);
                list.push('\n');
            }
        }
        docs.push(list);
    }
    docs.join("---\n")
}

fn identities(text: &str) -> Vec<(String, String, String, String)> {
    fn walk(n: &Node, out: &mut Vec<(String, String, String, String)>) {
        let s = |p: &[&str]| n.path(p).and_then(Node::as_str).unwrap_or("").to_string();
        if s(&["kind"]).ends_with("List") {
            for i in n.get("items").and_then(Node::as_seq).unwrap_or_default() {
                walk(i, out);
            }
        } else {
            out.push((s(&["apiVersion"]), s(&["kind"]), s(&["metadata", "namespace"]), s(&["metadata", "name"])));
        }
    }
    let mut out = Vec::new();
    for d in parse_stream(text).expect("parses") {
        walk(&d.root, &mut out);
    }
    out
}

/// Drops what the migration may change, so the rest can be compared: `eks.amazonaws.com/*` and
/// `azure.workload.identity/*` annotations and labels, env entries and ConfigMap data keys of the AWS SDK (and the
/// `AZURE_CLIENT_ID` that replaces an `AWS_ROLE_ARN` naming another role),
/// the values that name AWS resources, and annotations that became empty.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with("eks.amazonaws.com/") && !k.starts_with("azure.workload.identity/"));
            m.retain(|k, _| !k.starts_with("AWS_"));
            for x in m.values_mut() {
                normalise(x);
            }
            // Emptied (or created for the label) maps: `annotations`, `labels`, then a template's `metadata`.
            let empty = |x: &Value| x.is_null() || x.as_object().is_some_and(|o| o.is_empty());
            m.retain(|k, x| !(matches!(k.as_str(), "annotations" | "labels") && empty(x)));
            m.retain(|k, x| !(k == "metadata" && empty(x)));
            if let Some(Value::String(s)) = m.get_mut("value")
                && (s.contains("amazonaws.com") || s.contains("windows.net"))
            {
                *s = "<resource>".into();
            }
        }
        Value::Array(a) => {
            // `AZURE_CLIENT_ID` takes the place of an `AWS_ROLE_ARN` that names another role than the
            // ServiceAccount's (issue 18, E2A052).
            a.retain(|x| {
                !x.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with("AWS_") || n == "AZURE_CLIENT_ID")
            });
            for x in a.iter_mut() {
                normalise(x);
            }
        }
        _ => {}
    }
}

fn trees(text: &str) -> Vec<Value> {
    parse_stream(text)
        .expect("parses")
        .iter()
        .map(|d| {
            let mut v = d.root.to_json();
            normalise(&mut v);
            v
        })
        .collect()
}

fn translate(dir: &Path) -> Result<eks2aks::render::Tree, String> {
    let tables = eks2aks::mapping::load(None).map_err(|e| format!("{e:?}"))?;
    let cfg = eks2aks::config::Config::default();
    let mut a = eks2aks::analyse(&[dir.to_path_buf()], &cfg, &tables).map_err(|(_, f)| format!("{f:?}"))?;
    eks2aks::render::translate(&mut a, &cfg, &eks2aks::templates::Templates::default(), &Default::default())
        .map_err(|e| format!("{e:#}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn the_rewrite_keeps_every_object_and_changes_only_the_migration(
        objs in prop::collection::vec(obj(), 1..7),
        list_from in prop::option::of(0usize..7),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let text = manifest(&objs, list_from);
        std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
        std::fs::write(dir.path().join("k8s/all.yaml"), &text).unwrap();
        std::fs::write(dir.path().join("iam.json"), iam_export()).unwrap();
        let tree = translate(dir.path());
        let tree = match tree {
            Ok(t) => t,
            Err(e) => {
                // The only acceptable failure is the rewrite's own check, and only where no faithful edit exists:
                // a pod template's labels that the selector aliases (adding the label there would change the
                // selector too). Anything else must translate.
                prop_assert!(e.contains("failed its own check"), "translate failed: {e}\n--- input ---\n{text}");
                let anchored = objs.iter().any(|o| o.kind == 1 && o.alias_labels == 2);
                prop_assert!(anchored && e.contains("spec.selector.matchLabels"), "the rewrite failed its check: {e}\n--- input ---\n{text}");
                return Ok(());
            }
        };
        let out = tree.get("k8s/all.yaml").or_else(|| tree.get("k8s/k8s/all.yaml"));
        let Some(out) = out else {
            return Err(TestCaseError::fail(format!("no rewritten manifest among {:?}", tree.keys().collect::<Vec<_>>())));
        };
        prop_assert_eq!(identities(out), identities(&text), "objects differ\n--- input ---\n{}\n--- output ---\n{}", text, out);
        prop_assert_eq!(trees(out), trees(&text), "fields differ\n--- input ---\n{}\n--- output ---\n{}", text, out);
    }
}

/// Where `env:` sits in a container and how it is written (found by review of 4ba9fce: the bridges' env items
/// landed under a key added after an `env:` that was the container's last key).
#[derive(Debug, Clone)]
struct EnvShape {
    /// Index among the container's other keys (`name`, `image`, `ports`, `readinessProbe`).
    at: usize,
    /// 0: block, dashes indented; 1: block, dashes at the key's column; 2: `env: []`; 3: flow with items;
    /// 4: `env:` holding null; 5: block followed by comment lines; 6: block with a comment on its key's line.
    form: u8,
    /// A second container after the first.
    second: bool,
    /// Another document after the Deployment.
    then_doc: bool,
    /// The file ends with a newline.
    newline: bool,
    /// 0: the AWS bridge (`stay_on_aws`), 1: the reverse bridge (`bridge_from_eks`).
    setup: usize,
}

fn env_shape() -> impl Strategy<Value = EnvShape> {
    (0usize..5, 0u8..7, any::<bool>(), any::<bool>(), any::<bool>(), 0usize..2).prop_map(
        |(at, form, second, then_doc, newline, setup)| EnvShape { at, form, second, then_doc, newline, setup },
    )
}

/// The fixtures the env property runs on: (directory, ServiceAccount, namespace, the env item the workload has).
const BRIDGES: [(&str, &str, &str, &str, &str); 2] = [
    (
        "testdata/fixtures/rewrite/env-last-bridge",
        "mover",
        "apps",
        "Q",
        "https://sqs.us-east-1.amazonaws.com/111122223333/legacy-jobs",
    ),
    (
        "testdata/fixtures/rewrite/env-reverse-bridge",
        "report-writer",
        "reports",
        "OUTPUT_URI",
        "s3://acme-reports/daily/",
    ),
];

/// A container (its lines at column 10, under `- ` at 8) with `env:` at `s.at` in the form `s.form`.
fn container(s: &EnvShape, name: &str, var: (&str, &str)) -> String {
    let (k, v) = var;
    let env = match s.form {
        0 => format!("env:\n            - name: {k}\n              value: {v}\n"),
        1 => format!("env:\n          - name: {k}\n            value: {v}\n"),
        2 => "env: []\n".to_string(),
        3 => format!("env: [{{name: {k}, value: \"{v}\"}}]\n"),
        4 => "env:\n".to_string(),
        5 => format!(
            "env:\n            - name: {k}\n              value: {v}\n          # env ends here\n  # a comment at another column\n"
        ),
        _ => format!("env: # the variables\n            - name: {k}\n              value: {v} # trailing\n"),
    };
    let mut keys = vec![
        format!("name: {name}\n"),
        "image: ghcr.io/acme/app:1.0.0\n".to_string(),
        "ports:\n            - containerPort: 8080\n".to_string(),
        "readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n".to_string(),
    ];
    keys.insert(s.at.min(keys.len()), env);
    let mut out = String::new();
    for (i, key) in keys.iter().enumerate() {
        out.push_str(if i == 0 { "        - " } else { "          " });
        out.push_str(key);
    }
    out
}

fn env_manifest(s: &EnvShape) -> String {
    let (_, sa, ns, k, v) = BRIDGES[s.setup];
    let mut text = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  namespace: {ns}\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/{sa}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {sa}\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: {sa}}}\n  template:\n    metadata:\n      labels: {{app: {sa}}}\n    spec:\n      serviceAccountName: {sa}\n      containers:\n{}",
        container(s, "app", (k, v))
    );
    if s.second {
        text.push_str(&container(s, "sidecar", ("MODE", "fast")));
    }
    if s.then_doc {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {sa}\n  namespace: {ns}\nspec:\n  ports: [{{port: 80}}]\n"
        ));
    }
    if !s.newline {
        text.pop();
    }
    text
}

/// The env names of every container of the file's Deployment.
fn container_envs(text: &str) -> Vec<Vec<String>> {
    let docs = parse_stream(text).expect("the output is valid YAML");
    let dep = docs.iter().find(|d| d.root.get("kind").and_then(Node::as_str) == Some("Deployment")).unwrap();
    let cs = dep.root.path(&["spec", "template", "spec", "containers"]).and_then(Node::as_seq).unwrap();
    cs.iter()
        .map(|c| {
            c.get("env")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|e| e.get("name").and_then(Node::as_str).map(str::to_string))
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Wherever `env:` sits in a container and however it is written, the bridges' env items land in it: the
    /// rewrite succeeds, every output parses, and each container keeps its own variables first.
    #[test]
    fn bridge_env_items_land_in_env_wherever_it_sits(s in env_shape()) {
        let (fixture, ..) = BRIDGES[s.setup];
        let dir = tempfile::tempdir().unwrap();
        let text = env_manifest(&s);
        std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
        std::fs::write(dir.path().join("k8s/app.yaml"), &text).unwrap();
        let iam = std::fs::read_dir(Path::new(fixture).join("iam")).unwrap().next().unwrap().unwrap().path();
        std::fs::write(dir.path().join("iam.json"), std::fs::read(iam).unwrap()).unwrap();
        let (cfg, _) = eks2aks::config::load(Some(&Path::new(fixture).join("eks2aks.yaml"))).unwrap();
        let tables = eks2aks::mapping::load(None).unwrap();
        let mut a = eks2aks::analyse(&[dir.path().to_path_buf()], &cfg, &tables).map_err(|(_, f)| TestCaseError::fail(format!("{f:?}")))?;
        let tree = eks2aks::render::translate(&mut a, &cfg, &eks2aks::templates::Templates::default(), &Default::default());
        let tree = match tree {
            Ok(t) => t,
            Err(e) => return Err(TestCaseError::fail(format!("{e:#}\n--- input ---\n{text}"))),
        };
        let before = container_envs(&text);
        let mut bridged = 0;
        for (path, out) in tree.iter().filter(|(p, _)| p.ends_with("app.yaml")) {
            let after = container_envs(out);
            prop_assert_eq!(after.len(), before.len(), "{}\n{}", path, out);
            for (b, x) in before.iter().zip(&after) {
                prop_assert!(x.starts_with(b),
                    "{path}: {b:?} then {x:?}\n--- input ---\n{text}\n--- output ---\n{out}");
                if x.len() > b.len() {
                    bridged += 1;
                }
            }
        }
        prop_assert!(bridged > 0, "no bridge variables added\n--- input ---\n{text}\n--- outputs ---\n{:?}", tree);
    }
}
