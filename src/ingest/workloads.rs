//! Where an object's pods are, read with `mappings/workloads.yaml` ([`crate::model::PodKinds`]): its pod specs,
//! container-like nodes, label maps and ServiceAccount. A kind the table does not list is still a workload when it
//! has a pod template where the built-in kinds have theirs (`spec.template.spec` with `containers`,
//! `spec.jobTemplate.spec.template.spec`, `spec.jobTargetRef.template.spec`).

use crate::model::{LabelAt, PodKind, PodKinds, segments, static_path};
use crate::yaml::{Node, Value};

/// The pods of one object.
pub struct Pods<'n> {
    /// Pod specs, with their paths from the object.
    pub specs: Vec<(&'n Node, &'static [&'static str])>,
    /// Container-like nodes (`env`, `image`) outside any pod spec.
    pub containers: Vec<&'n Node>,
    /// Where each pod template's labels are.
    pub labels: Vec<LabelAt>,
    /// The ServiceAccount name node the table points at, if set.
    pub service_account: Option<&'n Node>,
    /// The ServiceAccount when none is set.
    pub default_service_account: String,
    /// The node that stands for the pods (the first pod spec, or template, or the object).
    pub anchor: &'n Node,
}

/// The pods `node` makes, if it makes any.
pub fn find<'n>(node: &'n Node, api_version: &str, kind: &str, table: &PodKinds) -> Option<Pods<'n>> {
    match table.find(api_version, kind) {
        // A kind whose ServiceAccount is in its pod spec makes pods only with one (a Deployment without a pod
        // template, such as a Kustomize patch, runs nothing).
        Some(k) => Some(from_table(node, k)).filter(|p| !p.specs.is_empty() || !k.service_account.is_empty()),
        None => heuristic(node, kind, api_version),
    }
}

/// Every node at a dotted path (`*`: every item of a list, every value of a map), with its concrete path.
fn expand<'n>(node: &'n Node, path: &[&str], prefix: &mut Vec<String>, out: &mut Vec<(&'n Node, Vec<String>)>) {
    let Some((first, rest)) = path.split_first() else {
        out.push((node, prefix.clone()));
        return;
    };
    if *first == "*" {
        let children: Vec<(String, &Node)> = match &node.value {
            Value::Seq(items) => items.iter().enumerate().map(|(i, n)| (i.to_string(), n)).collect(),
            Value::Map(entries) => entries.iter().map(|e| (e.key.clone(), &e.value)).collect(),
            _ => Vec::new(),
        };
        for (k, child) in children {
            prefix.push(k);
            expand(child, rest, prefix, out);
            prefix.pop();
        }
    } else if let Some(child) = node.get(first) {
        prefix.push(first.to_string());
        expand(child, rest, prefix, out);
        prefix.pop();
    }
}

fn at<'n>(node: &'n Node, path: &str) -> Vec<(&'n Node, Vec<String>)> {
    let mut out = Vec::new();
    expand(node, &segments(path), &mut Vec::new(), &mut out);
    out
}

fn static_of(parts: &[String]) -> &'static [&'static str] {
    static_path(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

fn from_table<'n>(node: &'n Node, k: &PodKind) -> Pods<'n> {
    let mut pods = Pods {
        specs: Vec::new(),
        containers: k.containers.iter().flat_map(|p| at(node, p)).map(|(n, _)| n).collect(),
        labels: Vec::new(),
        service_account: k.service_account.iter().find_map(|p| node.path(&segments(p)).filter(|n| !n.is_null())),
        default_service_account: k.default_service_account.clone(),
        anchor: node,
    };
    let mut anchor = None;
    for (ri, role) in k.pods.iter().enumerate() {
        let mut templates = at(node, &role.template);
        if templates.is_empty() && ri == 0 && !role.template.contains('*') {
            // The first pod template is where the label goes even when the object does not write it yet (the
            // rewrite creates it); the other roles' templates are labelled when present.
            let labels = LabelAt {
                template: static_path(&segments(&role.template)),
                labels: static_path(&segments(&role.labels)),
            };
            pods.labels.push(labels);
        }
        for (t, tpath) in templates.drain(..) {
            anchor.get_or_insert(t);
            pods.labels.push(LabelAt { template: static_of(&tpath), labels: static_path(&segments(&role.labels)) });
            if let Some(spec) = &role.spec {
                for (s, spath) in at(t, spec) {
                    let full: Vec<String> = tpath.iter().cloned().chain(spath).collect();
                    pods.specs.push((s, static_of(&full)));
                }
            }
            pods.containers.extend(role.containers.iter().flat_map(|p| at(t, p)).map(|(n, _)| n));
        }
    }
    pods.anchor = pods.specs.first().map(|(s, _)| *s).or(anchor).unwrap_or(node);
    pods
}

/// A kind the table does not list: a v1 Pod's `spec`; else a CronJob-like `spec.jobTemplate.spec.template.spec`,
/// a KEDA ScaledJob-like `spec.jobTargetRef.template.spec`, or a pod template (`spec.template.spec`) that has
/// `containers`.
fn heuristic<'n>(node: &'n Node, kind: &str, api_version: &str) -> Option<Pods<'n>> {
    const PATHS: [&[&str]; 3] = [
        &["spec", "jobTemplate", "spec", "template", "spec"],
        &["spec", "jobTargetRef", "template", "spec"],
        &["spec", "template", "spec"],
    ];
    let (spec, path): (&Node, &'static [&'static str]) = if kind == "Pod" && api_version == "v1" {
        (node.get("spec")?, &["spec"])
    } else {
        let [job, scaled_job, template] = PATHS;
        node.path(job)
            .map(|s| (s, job))
            .or_else(|| node.path(scaled_job).map(|s| (s, scaled_job)))
            .or_else(|| node.path(template).filter(|s| s.get("containers").is_some()).map(|s| (s, template)))?
    };
    Some(Pods {
        specs: vec![(spec, path)],
        containers: Vec::new(),
        labels: vec![LabelAt { template: &path[..path.len() - 1], labels: &["metadata", "labels"] }],
        service_account: None,
        default_service_account: "default".into(),
        anchor: spec,
    })
}
