//! Kubernetes objects → model: ServiceAccounts and their `eks.amazonaws.com/*` annotations, everything that runs
//! pods, ConfigMaps/Secrets that point at AWS, and KEDA objects. Every object is also kept whole.

use super::IngestOptions;
use super::scan;
use crate::diag::{FileId, Loc, Sink};
use crate::model::*;
use crate::rules;
use crate::yaml::{Node, Value};
use base64::Engine;
use std::collections::{BTreeMap, BTreeSet};

use crate::text::truncate;

/// DNS-1123 subdomain: what Kubernetes requires of most object names.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// DNS-1123 label: what Kubernetes requires of namespace names.
pub fn is_dns_label(s: &str) -> bool {
    s.len() <= 63 && !s.contains('.') && is_dns_subdomain(s)
}

/// What every object name must at least be (Kubernetes' path-segment rule): usable in a URL path.
fn is_path_segment(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '%', '\\']) && !s.chars().any(char::is_control)
}

fn loc(file: FileId, n: &Node) -> Loc {
    Loc { file, pos: n.pos }
}

/// Reads one document that has `apiVersion` and `kind`. A `…List` is read item by item ([`read_list`]). Any other
/// object must have a valid name ([`object_name`]) and namespace ([`object_namespace`]); it is then read by kind
/// (ServiceAccount, ConfigMap/Secret, KEDA objects), read as a workload when it runs pods ([`pod_spec`], unless
/// [`malformed_pod_fields`] finds fields of the wrong type: each is reported), and kept whole in `model.objects`.
pub fn read_object(
    model: &mut Model,
    file: FileId,
    node: Node,
    helm_source: Option<String>,
    opts: &IngestOptions,
    sink: &mut Sink,
) {
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or_default().to_string();
    let api_version = node.get("apiVersion").and_then(Node::as_str).unwrap_or_default().to_string();
    if kind == "List" || (kind.ends_with("List") && node.get("items").is_some()) {
        read_list(model, file, &node, &kind, helm_source.as_deref(), opts, sink);
        return;
    }
    let meta = node.get("metadata");
    let strict_name = has_strict_name(&kind, &api_version);
    if meta.is_none() && !strict_name {
        // apiVersion + kind but no metadata at all: a tool's config file (Kustomization, kubeadm, kind), not an
        // API object. Skipped quietly like any other non-Kubernetes YAML.
        return;
    }
    // Both checked before either stops the object: a bad name hid a bad namespace.
    let name = object_name(file, &node, meta, &kind, strict_name, sink);
    let namespace = object_namespace(file, meta, sink);
    let (Some(name), Some(namespace)) = (name, namespace) else {
        return;
    };
    let ns = namespace.clone().unwrap_or_else(|| opts.default_namespace.clone());
    let index = model.objects.len();
    let obj_loc = loc(file, &node);

    match (api_version.as_str(), kind.as_str()) {
        ("v1", "ServiceAccount") => read_service_account(model, file, &node, &ns, &name, obj_loc, sink),
        ("v1", "ConfigMap") | ("v1", "Secret") => read_config(model, file, &node, index, &kind, &ns, &name),
        (av, "ScaledObject" | "ScaledJob") if av.starts_with("keda.sh/") => {
            read_scaler(model, file, &node, index, &kind, &ns, &name)
        }
        (av, "TriggerAuthentication" | "ClusterTriggerAuthentication") if av.starts_with("keda.sh/") => {
            read_trigger_auth(model, &node, index, &kind, &ns, &name, obj_loc)
        }
        (av, k) if super::cloud::is_cloud_kind(av, k) => super::cloud::read(model, file, &node, index, k, &name),
        _ => super::dns_secrets::read_object(model, file, &node, index, (&api_version, &kind), &ns, &name),
    }
    if super::values::is_custom_resource(&api_version) {
        super::values::spec_refs(model, file, &node, index);
    }
    if let Some(pods) = super::workloads::find(&node, &api_version, &kind, &opts.pod_kinds) {
        if reported_malformed_pods(file, &pods, &kind, &name, sink) {
            return;
        }
        read_workload(model, file, &pods, index, &kind, &ns, &name);
        for (spec, _) in &pods.specs {
            super::dns_secrets::read_pod(model, file, spec, index, &ns, &name);
        }
    }
    let waiver = node
        .path(&["metadata", "annotations", crate::model::WAIVER_ANNOTATION])
        .map(|v| Box::new((v.as_str().map(str::to_string), v.pos)));
    model.objects.push(K8sObject {
        loc: obj_loc,
        api_version: super::intern::intern(&api_version),
        kind: super::intern::intern(&kind),
        name,
        namespace: namespace.as_deref().map(super::intern::intern),
        end: node.end,
        waiver,
        helm_source: helm_source.as_deref().map(super::intern::intern),
        app_name: node
            .path(&["metadata", "labels", "app.kubernetes.io/name"])
            .and_then(Node::as_str)
            .map(super::intern::intern),
        merged_from: merged_from(&node),
    });
}

/// The positions of the keys merged into `object` (`<<: *anchor`) from text outside it, in document order.
fn merged_from(object: &Node) -> Vec<crate::diag::Pos> {
    fn walk(n: &Node, object: &Node, out: &mut Vec<crate::diag::Pos>) {
        match &n.value {
            crate::yaml::Value::Map(entries) => {
                for e in entries {
                    if e.merged.is_some() && (e.key_pos < object.pos || e.key_pos > object.end) {
                        out.push(e.key_pos);
                    } else {
                        walk(&e.value, object, out);
                    }
                }
            }
            crate::yaml::Value::Seq(items) => items.iter().for_each(|i| walk(i, object, out)),
            crate::yaml::Value::Scalar { .. } => {}
        }
    }
    let mut out = Vec::new();
    walk(object, object, &mut out);
    out.sort();
    out
}

/// A `…List` (`kind: List`, or any `…List` with `items`): each item that has `apiVersion` and `kind` is read as
/// an object (with the list's Helm source); any other item, or `items` that is not a list (nor null nor absent),
/// is malformed.
fn read_list(
    model: &mut Model,
    file: FileId,
    node: &Node,
    kind: &str,
    helm_source: Option<&str>,
    opts: &IngestOptions,
    sink: &mut Sink,
) {
    match node.get("items").map(|n| &n.value) {
        Some(Value::Seq(items)) => {
            for item in items {
                if item.get("kind").and_then(Node::as_str).is_some()
                    && item.get("apiVersion").and_then(Node::as_str).is_some()
                {
                    read_object(model, file, item.clone(), helm_source.map(str::to_string), opts, sink);
                } else {
                    sink.push(
                        rules::MALFORMED_INPUT,
                        format!("item of `{kind}` is not a Kubernetes object (needs apiVersion and kind)"),
                        Some(loc(file, item)),
                    );
                }
            }
        }
        Some(Value::Scalar { .. }) | None if node.get("items").is_none_or(Node::is_null) => {}
        _ => {
            sink.push(rules::MALFORMED_INPUT, format!("`items` of `{kind}` must be a list"), Some(loc(file, node)));
        }
    }
}

/// Kinds whose names follow the DNS subdomain rule (the kinds eks2aks reads, and KEDA's): they must have
/// `metadata`, and their names are checked strictly. Other kinds need only a path-segment name.
fn has_strict_name(kind: &str, api_version: &str) -> bool {
    matches!(
        kind,
        "ServiceAccount"
            | "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob"
            | "Pod"
            | "ConfigMap"
            | "Secret"
            | "Namespace"
    ) || api_version.starts_with("keda.sh/")
}

/// The object's `metadata.name` (or `generateName`): a string, and a valid name for its kind (a DNS label for a
/// Namespace, a DNS subdomain for strictly named kinds — a `generateName`'s trailing `-` allowed — else a path
/// segment). `None` when missing, not a string or invalid (reported).
fn object_name(
    file: FileId,
    node: &Node,
    meta: Option<&Node>,
    kind: &str,
    strict_name: bool,
    sink: &mut Sink,
) -> Option<String> {
    let name_node = meta.and_then(|m| m.get("name").or_else(|| m.get("generateName")));
    let Some(name) = name_node.and_then(Node::as_str).map(str::to_string) else {
        let (message, at) = match name_node {
            Some(n) => (format!("`{kind}` metadata.name must be a string, found {}", n.type_name()), n),
            None => (format!("`{kind}` object has no metadata.name"), meta.unwrap_or(node)),
        };
        sink.push(rules::MALFORMED_INPUT, message, Some(loc(file, at)));
        return None;
    };
    let name_loc = loc(file, name_node.expect("checked"));
    let name_ok = if kind == "Namespace" {
        is_dns_label(&name)
    } else if strict_name {
        is_dns_subdomain(name.trim_end_matches('-'))
    } else {
        is_path_segment(&name)
    };
    if !name_ok {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("`{kind}` name {:?} is not a valid Kubernetes name", truncate(&name)),
            Some(name_loc),
        );
        return None;
    }
    Some(name)
}

/// The object's `metadata.namespace` as written: `Some(None)` when it has none (or not a string), `None` when it
/// is not a valid namespace name (reported).
fn object_namespace(file: FileId, meta: Option<&Node>, sink: &mut Sink) -> Option<Option<String>> {
    let ns_node = meta.and_then(|m| m.get("namespace"));
    let namespace = ns_node.and_then(Node::as_str).map(str::to_string);
    if let (Some(ns), Some(n)) = (&namespace, ns_node)
        && !is_dns_label(ns)
    {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("namespace {ns:?} is not a valid Kubernetes namespace name"),
            Some(loc(file, n)),
        );
        return None;
    }
    Some(namespace)
}

/// A KEDA `TriggerAuthentication` or `ClusterTriggerAuthentication` (no namespace): its `spec.podIdentity` and
/// the AWS parameters it takes from Secrets or env.
fn read_trigger_auth(model: &mut Model, node: &Node, index: usize, kind: &str, ns: &str, name: &str, obj_loc: Loc) {
    let pi = node.path(&["spec", "podIdentity"]);
    let get = |k: &str| pi.and_then(|p| p.get(k)).and_then(Node::as_str).map(str::to_string);
    model.trigger_auths.push(TriggerAuth {
        object: index,
        kind: kind.to_string(),
        namespace: if kind == "ClusterTriggerAuthentication" { String::new() } else { ns.to_string() },
        name: name.to_string(),
        provider: get("provider"),
        role_arn: get("roleArn"),
        identity_owner: get("identityOwner"),
        aws_params: ["secretTargetRef", "env"]
            .iter()
            .flat_map(|k| node.path(&["spec", k]).and_then(Node::as_seq).unwrap_or_default())
            .filter_map(|i| i.get("parameter").and_then(Node::as_str))
            .filter(|p| crate::model::KEDA_AWS_PARAMS.contains(p))
            .map(str::to_string)
            .collect(),
        loc: obj_loc,
    });
}

/// Reports every field of the workload's pods that lacks its Kubernetes type ([`malformed_pod_fields`]), each once
/// (the pods' ServiceAccount may be a pod spec's own field); whether there was one.
fn reported_malformed_pods(
    file: FileId,
    pods: &super::workloads::Pods,
    kind: &str,
    name: &str,
    sink: &mut Sink,
) -> bool {
    let sa = pods.service_account.filter(|n| is_non_string(n)).map(|n| (n, "serviceAccountName", "a string"));
    let mut bad: Vec<_> = sa.into_iter().chain(pods.specs.iter().flat_map(|(s, _)| malformed_pod_fields(s))).collect();
    bad.sort_by_key(|(n, ..)| n.pos);
    bad.dedup_by_key(|(n, ..)| n.pos);
    for (n, field, want) in &bad {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("`{kind}` {name}: `{field}` must be {want}, found {}", n.type_name()),
            Some(loc(file, n)),
        );
    }
    !bad.is_empty()
}

/// The fields eks2aks reads from a pod spec that lack their Kubernetes type, each with its name and the
/// type it must have: `serviceAccountName` (or `serviceAccount`) must be a string, `containers` and
/// `initContainers` lists (null is absent). Such a workload is malformed, not guessed at.
fn malformed_pod_fields(spec: &Node) -> impl Iterator<Item = (&Node, &'static str, &'static str)> {
    let sa_node = spec.get("serviceAccountName").or_else(|| spec.get("serviceAccount"));
    let sa = sa_node.filter(|n| is_non_string(n)).map(|n| (n, "serviceAccountName", "a string"));
    let lists = ["containers", "initContainers"]
        .into_iter()
        .filter_map(|k| spec.get(k).filter(|n| n.as_seq().is_none() && !n.is_null()).map(|n| (n, k, "a list")));
    sa.into_iter().chain(lists)
}

/// A value that is not a string to Kubernetes' YAML reader: a collection, or a plain `5` or `true` (a number or a
/// boolean). Null is not (it is absent).
fn is_non_string(n: &Node) -> bool {
    !n.is_null()
        && match &n.value {
            Value::Scalar { text, plain } => {
                *plain
                    && (text.parse::<f64>().is_ok()
                        || matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off"))
            }
            _ => true,
        }
}

fn read_service_account(
    model: &mut Model,
    file: FileId,
    node: &Node,
    ns: &str,
    name: &str,
    obj_loc: Loc,
    sink: &mut Sink,
) {
    let mut sa = ServiceAccount {
        namespace: ns.to_string(),
        name: name.to_string(),
        role_arn: None,
        audience: None,
        loc: obj_loc,
        origin: SaOrigin::Declared,
        irsa: Default::default(),
    };
    if let Some(entries) = node.path(&["metadata", "annotations"]).and_then(Node::as_map) {
        for e in entries.iter().filter(|e| e.key.starts_with(IRSA_PREFIX)) {
            sa.irsa.keys.push(super::intern::intern(&e.key));
            let Some(v) = e.value.as_str() else { continue };
            match &e.key[IRSA_PREFIX.len()..] {
                "role-arn" => {
                    let l = loc(file, &e.value);
                    if !Arn::is_valid_role_arn(v) {
                        // `${VAR}` (envsubst, Flux's post-build substitution) and `{{ … }}` (Helm) in real repos:
                        // the manifests were not rendered.
                        let hint = if v.contains("${") || v.contains("{{") {
                            "; it looks like a template variable: render the manifests first (`envsubst < FILE | eks2aks plan -`, `helm template … | eks2aks plan -`)"
                        } else {
                            ""
                        };
                        sink.push(rules::MALFORMED_INPUT, format!("ServiceAccount {ns}/{name}: `{IRSA_PREFIX}role-arn` is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>): {:?}{hint}", truncate(v)), Some(l));
                    } else {
                        sa.role_arn = Some((v.to_string(), l));
                    }
                }
                "audience" => sa.audience = Some(v.to_string()),
                "token-expiration" => sa.irsa.token_expiration = Some(v.to_string()),
                _ => {}
            }
        }
    }
    model.service_accounts.push(sa);
}

fn read_config(model: &mut Model, file: FileId, node: &Node, index: usize, kind: &str, ns: &str, name: &str) {
    let mut refs = Vec::new();
    let mut values = Vec::new();
    for section in ["data", "stringData", "binaryData"] {
        let Some(entries) = node.get(section).and_then(Node::as_map) else {
            continue;
        };
        for e in entries {
            if section == if kind == "Secret" { "stringData" } else { "data" } {
                values.extend(super::values::config_value(file, &e.key, &e.value, None));
            }
            let Some(v) = e.value.as_str() else { continue };
            let l = loc(file, &e.value);
            if kind == "Secret" && section == "data" {
                // Secret data is base64: look at what it decodes to (a static key is as bad encoded as not).
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(v.split_whitespace().collect::<String>())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                if let Some(d) = decoded {
                    scan::scan(&e.key, &d, l, &mut refs);
                } else if scan::is_static_key_name(&e.key) {
                    scan::scan(&e.key, v, l, &mut refs);
                }
            } else if section != "binaryData" {
                scan::scan(&e.key, v, l, &mut refs);
            }
        }
    }
    model.config_data.push(ConfigData {
        object: index,
        kind: kind.to_string(),
        namespace: ns.to_string(),
        name: name.to_string(),
        aws_refs: refs,
        sdk_keys: node
            .get("data")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter(|e| crate::model::SDK_VARIABLES.iter().any(|v| v.eq_ignore_ascii_case(&e.key)))
            .map(|e| super::intern::intern(&e.key))
            .collect(),
        values,
    });
}

/// An env item that sets an AWS SDK variable ([`crate::model::SDK_VARIABLES`]); only `AWS_ROLE_ARN` keeps its
/// value (the role the container assumes, E2A052).
fn sdk_env_item(file: FileId, env: &Node, var: &str) -> Option<SdkEnv> {
    crate::model::SDK_VARIABLES.contains(&var).then(|| SdkEnv {
        name: super::intern::intern(var),
        value: env.get("value").and_then(Node::as_str).filter(|_| var == "AWS_ROLE_ARN").map(str::to_string),
        loc: loc(file, env),
    })
}

fn read_workload(
    model: &mut Model,
    file: FileId,
    pods: &super::workloads::Pods,
    index: usize,
    kind: &str,
    ns: &str,
    name: &str,
) {
    let first_spec = pods.specs.first().map(|(s, _)| *s);
    let sa_node = pods
        .service_account
        .or_else(|| first_spec.and_then(|spec| spec.get("serviceAccountName").or_else(|| spec.get("serviceAccount"))));
    let service_account = sa_node.and_then(Node::as_str).unwrap_or(&pods.default_service_account).to_string();
    let mut read = PodRead::default();
    for (spec, _) in &pods.specs {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec.get(list).and_then(Node::as_seq).unwrap_or_default() {
                read.container(file, c);
            }
        }
        for v in spec.get("volumes").and_then(Node::as_seq).unwrap_or_default() {
            if let Some(n) = v.path(&["configMap", "name"]).and_then(Node::as_str) {
                read.config_refs.insert(("ConfigMap".into(), n.into()));
            }
            if let Some(n) = v.path(&["secret", "secretName"]).and_then(Node::as_str) {
                read.config_refs.insert(("Secret".into(), n.into()));
            }
        }
    }
    for c in &pods.containers {
        read.container(file, c);
    }
    let path =
        pods.specs.first().map(|(_, p)| *p).unwrap_or_else(|| pods.labels.first().map_or(&[][..], |l| l.template));
    model.workloads.push(Workload {
        object: index,
        kind: super::intern::intern(kind),
        namespace: super::intern::intern(ns),
        name: name.to_string(),
        service_account: super::intern::intern(&service_account),
        template_loc: loc(file, pods.anchor),
        pod_spec_path: path,
        labels: pods.labels.clone(),
        has_pod_spec: first_spec.is_some(),
        sdk_env: read.sdk_env,
        service_account_loc: sa_node.map(|n| loc(file, n)),
        containers: read.containers,
        aws_refs: read.aws_refs,
        config_refs: read.config_refs.into_iter().collect(),
        values: read.values,
    });
}

/// What the containers of one object's pods say: images, SDK variables, AWS references, ConfigMaps and Secrets.
#[derive(Default)]
struct PodRead {
    containers: Vec<Container>,
    aws_refs: Vec<AwsRef>,
    config_refs: BTreeSet<(String, String)>,
    sdk_env: Vec<SdkEnv>,
    values: Vec<crate::model::ConfigValue>,
}

impl PodRead {
    /// One container (or container-like node: a Spark driver, an Argo template's `script`).
    fn container(&mut self, file: FileId, c: &Node) {
        self.containers.push(Container {
            name: c.get("name").and_then(Node::as_str).unwrap_or_default().to_string(),
            image: c.get("image").and_then(|i| i.as_str().map(|s| (s.to_string(), loc(file, i)))),
        });
        for env in c.get("env").and_then(Node::as_seq).unwrap_or_default() {
            let Some(var) = env.get("name").and_then(Node::as_str) else {
                continue;
            };
            self.sdk_env.extend(sdk_env_item(file, env, var));
            if let Some(v) = env.get("value") {
                if let Some(text) = v.as_str() {
                    scan::scan(var, text, loc(file, v), &mut self.aws_refs);
                }
                self.values.extend(super::values::config_value(file, var, v, None));
            } else if let Some(from) = env.get("valueFrom") {
                for (key, k) in [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")] {
                    if let Some(n) = from.path(&[key, "name"]).and_then(Node::as_str) {
                        self.config_refs.insert((k.to_string(), n.to_string()));
                    }
                }
            }
        }
        super::values::container_args(file, c, &mut self.values);
        for from in c.get("envFrom").and_then(Node::as_seq).unwrap_or_default() {
            for (key, k) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                if let Some(n) = from.path(&[key, "name"]).and_then(Node::as_str) {
                    self.config_refs.insert((k.to_string(), n.to_string()));
                }
            }
        }
    }
}

fn read_scaler(model: &mut Model, file: FileId, node: &Node, index: usize, kind: &str, ns: &str, name: &str) {
    let target = node.path(&["spec", "scaleTargetRef"]).map(|t| {
        (
            t.get("kind").and_then(Node::as_str).unwrap_or("Deployment").to_string(),
            t.get("name").and_then(Node::as_str).unwrap_or_default().to_string(),
        )
    });
    let mut triggers = Vec::new();
    for t in node.path(&["spec", "triggers"]).and_then(Node::as_seq).unwrap_or_default() {
        let metadata = t
            .get("metadata")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.value.as_str().map(|v| (e.key.clone(), v.to_string())))
            .collect();
        let auth_ref = t.get("authenticationRef").and_then(|a| {
            let n = a.get("name").and_then(Node::as_str)?;
            let k = a.get("kind").and_then(Node::as_str).unwrap_or("TriggerAuthentication");
            Some((k.to_string(), n.to_string()))
        });
        triggers.push(Trigger {
            trigger_type: t.get("type").and_then(Node::as_str).unwrap_or_default().to_string(),
            metadata,
            auth_ref,
            loc: loc(file, t),
        });
    }
    model.scalers.push(Scaler {
        object: index,
        kind: kind.to_string(),
        namespace: ns.to_string(),
        name: name.to_string(),
        target,
        triggers,
    });
}

/// After every file is read: ServiceAccounts used by a workload but not declared are implied (the namespace's
/// `default` account exists in every namespace).
pub fn finish(model: &mut Model, _opts: &IngestOptions, _sink: &mut Sink) {
    let declared: BTreeSet<(String, String)> =
        model.service_accounts.iter().map(|s| (s.namespace.clone(), s.name.clone())).collect();
    let mut implied: BTreeMap<(String, String), Loc> = BTreeMap::new();
    for w in &model.workloads {
        let key = (w.namespace.to_string(), w.service_account.to_string());
        if !declared.contains(&key) {
            implied.entry(key).or_insert(w.service_account_loc.unwrap_or(w.template_loc));
        }
    }
    for ((namespace, name), loc) in implied {
        model.service_accounts.push(ServiceAccount {
            namespace,
            name,
            role_arn: None,
            audience: None,
            loc,
            origin: SaOrigin::Implied,
            irsa: Default::default(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_names() {
        assert!(is_dns_subdomain("edw-processor"));
        assert!(is_dns_subdomain("a.b-c"));
        assert!(!is_dns_subdomain("../../etc/passwd"));
        assert!(!is_dns_subdomain("Upper"));
        assert!(!is_dns_label("a.b"));
        assert!(is_path_segment("system:controller:x"));
        assert!(!is_path_segment(".."));
    }
}
