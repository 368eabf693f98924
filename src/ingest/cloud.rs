//! StorageClasses, PersistentVolumes, Ingresses and Services → [`CloudObject`]: the fields, parameters and
//! annotations the storage and load-balancer rewrite reads (`plan::cloud`), each with its position. Nothing is
//! decided here.

use crate::diag::{FileId, Loc};
use crate::model::{CloudField, CloudObject, Model};
use crate::yaml::Node;

/// The fields read, by path (and `allowedTopologies`, one per label expression: its key and values).
const FIELDS: &[(&str, &[&str])] = &[
    ("provisioner", &["provisioner"]),
    ("spec.ingressClassName", &["spec", "ingressClassName"]),
    ("spec.loadBalancerClass", &["spec", "loadBalancerClass"]),
    ("spec.csi.driver", &["spec", "csi", "driver"]),
    ("spec.csi.volumeHandle", &["spec", "csi", "volumeHandle"]),
    ("spec.awsElasticBlockStore.volumeID", &["spec", "awsElasticBlockStore", "volumeID"]),
];

/// True for the kinds read here.
pub fn is_cloud_kind(api_version: &str, kind: &str) -> bool {
    matches!(
        (api_version, kind),
        ("storage.k8s.io/v1" | "storage.k8s.io/v1beta1", "StorageClass")
            | ("v1", "PersistentVolume" | "Service")
            | ("networking.k8s.io/v1" | "networking.k8s.io/v1beta1" | "extensions/v1beta1", "Ingress")
    )
}

/// Reads one object of a kind [`is_cloud_kind`] accepts.
pub fn read(model: &mut Model, file: FileId, node: &Node, index: usize, kind: &str, name: &str) {
    let field = |key: &str, n: &Node| CloudField {
        key: key.to_string(),
        value: n.as_str().map(str::to_string),
        loc: Loc { file, pos: n.pos },
    };
    let entries = |n: Option<&Node>| -> Option<Vec<CloudField>> {
        Some(n?.as_map()?.iter().map(|e| field(&e.key, &e.value)).collect())
    };
    let mut fields: Vec<(&'static str, CloudField)> = FIELDS
        .iter()
        .filter_map(|(p, path)| Some((*p, field(path.last().copied().unwrap_or_default(), node.path(path)?))))
        .collect();
    // A StorageClass's zone pins: each `allowedTopologies[].matchLabelExpressions[].key`, its values as one text.
    let terms = node.get("allowedTopologies").and_then(Node::as_seq).unwrap_or_default();
    for e in terms.iter().filter_map(|t| t.get("matchLabelExpressions")?.as_seq()).flatten() {
        if let Some(k) = e.get("key").filter(|k| k.as_str().is_some()) {
            let values: Vec<&str> =
                e.get("values").and_then(Node::as_seq).unwrap_or_default().iter().filter_map(Node::as_str).collect();
            let mut f = field(k.as_str().unwrap_or_default(), k);
            f.value = Some(values.join(", "));
            fields.push(("allowedTopologies", f));
        }
    }
    let parameters = if kind == "StorageClass" { entries(node.get("parameters")) } else { None };
    model.cloud_objects.push(CloudObject {
        object: index,
        kind: super::intern::intern(kind),
        name: name.to_string(),
        fields,
        parameters,
        annotations: entries(node.path(&["metadata", "annotations"])).unwrap_or_default(),
    });
}
