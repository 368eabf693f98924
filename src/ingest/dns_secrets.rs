//! DNS and secrets custom resources that point at AWS (issue 20): what [`crate::model::AwsSection`] records.
//! Shapes from the projects' docs and CRDs: cert-manager `spec.acme.solvers[].dns01.route53`
//! (cert-manager.io/docs/configuration/acme/dns01/route53), External Secrets `spec.provider.aws` and
//! `spec.data[].remoteRef.key` / `spec.dataFrom[].extract.key|find` (external-secrets.io/latest/provider/aws-secrets-manager),
//! the Secrets Store CSI AWS provider's `spec.provider: aws` (github.com/aws/secrets-store-csi-driver-provider-aws),
//! and external-dns's `--provider=aws` (kubernetes-sigs/external-dns docs/tutorials/aws.md).

use crate::diag::{FileId, Loc};
use crate::model::{AwsSection, Model, SectionKind};
use crate::yaml::Node;

fn section(model: &mut Model, file: FileId, object: usize, ns: &str, name: &str, kind: SectionKind, n: &Node) {
    model.aws_sections.push(AwsSection {
        object,
        namespace: ns.to_string(),
        name: name.to_string(),
        kind,
        loc: Loc { file, pos: n.pos },
        value: n.to_json(),
    });
}

/// The sections of a custom resource (by API group and kind); nothing for any other object.
pub fn read_object(
    model: &mut Model,
    file: FileId,
    node: &Node,
    index: usize,
    (api_version, kind): (&str, &str),
    ns: &str,
    name: &str,
) {
    let group = api_version.split('/').next().unwrap_or_default();
    let cluster_scoped = matches!(kind, "ClusterIssuer" | "ClusterSecretStore");
    let ns = if cluster_scoped { "" } else { ns };
    match (group, kind) {
        ("cert-manager.io", "Issuer" | "ClusterIssuer") => {
            for s in node.path(&["spec", "acme", "solvers"]).and_then(Node::as_seq).unwrap_or_default() {
                if let Some(dns01) = s.get("dns01").filter(|d| d.get("route53").is_some_and(|r| r.as_map().is_some())) {
                    let dns_zones = s.path(&["selector", "dnsZones"]).and_then(Node::as_seq).unwrap_or_default();
                    let dns_zones = dns_zones.iter().filter_map(Node::as_str).map(str::to_string).collect();
                    section(model, file, index, ns, name, SectionKind::Route53Solver { dns_zones }, dns01);
                }
            }
        }
        ("external-secrets.io", "SecretStore" | "ClusterSecretStore") => {
            if let Some(p) = node.path(&["spec", "provider"]).filter(|p| p.get("aws").is_some()) {
                section(model, file, index, ns, name, SectionKind::SecretStore, p);
            }
        }
        ("external-secrets.io", "ExternalSecret") => {
            if let Some(spec) = node.get("spec") {
                external_secret(model, file, spec, index, ns, name);
            }
        }
        // Cluster-scoped: an ExternalSecret spec stamped into the selected namespaces.
        ("external-secrets.io", "ClusterExternalSecret") => {
            if let Some(spec) = node.path(&["spec", "externalSecretSpec"]) {
                external_secret(model, file, spec, index, "", name);
            }
        }
        ("secrets-store.csi.x-k8s.io", "SecretProviderClass") => {
            if let Some(spec) = node.get("spec").filter(|s| s.get("provider").and_then(Node::as_str) == Some("aws")) {
                section(model, file, index, ns, name, SectionKind::SecretProviderClass, spec);
            }
        }
        _ => {}
    }
}

/// An `ExternalSecret` spec's keys (`data[].remoteRef.key`, `dataFrom[].extract.key`) and searches
/// (`dataFrom[].find`).
fn external_secret(model: &mut Model, file: FileId, spec: &Node, index: usize, ns: &str, name: &str) {
    let store_ref = spec.get("secretStoreRef");
    let store = store_ref.and_then(|r| r.get("name")).and_then(Node::as_str).unwrap_or_default().to_string();
    let store_kind = store_ref.and_then(|r| r.get("kind")).and_then(Node::as_str).unwrap_or("SecretStore").to_string();
    let key_of = |r: &Node| {
        let version = r.get("version").and_then(Node::as_str).map(str::to_string);
        r.get("key").filter(|k| k.as_str().is_some()).map(|k| (k.clone(), version))
    };
    let mut keys = Vec::new();
    let mut finds = Vec::new();
    for d in spec.get("data").and_then(Node::as_seq).unwrap_or_default() {
        keys.extend(d.get("remoteRef").and_then(key_of));
    }
    for d in spec.get("dataFrom").and_then(Node::as_seq).unwrap_or_default() {
        keys.extend(d.get("extract").and_then(key_of));
        if d.get("find").is_some() {
            finds.push(d.clone());
        }
    }
    for (k, version) in keys {
        let kind = SectionKind::ExternalSecretKey { store_kind: store_kind.clone(), store: store.clone(), version };
        section(model, file, index, ns, name, kind, &k);
    }
    for f in finds {
        let kind = SectionKind::ExternalSecretFind { store_kind: store_kind.clone(), store: store.clone() };
        section(model, file, index, ns, name, kind, &f);
    }
}

/// A pod spec's external-dns containers (`--provider=aws`) and Secrets Store CSI volumes.
pub fn read_pod(model: &mut Model, file: FileId, spec: &Node, index: usize, ns: &str, name: &str) {
    let sa = spec.get("serviceAccountName").or_else(|| spec.get("serviceAccount")).and_then(Node::as_str);
    let sa = sa.unwrap_or("default").to_string();
    for c in spec.get("containers").and_then(Node::as_seq).unwrap_or_default() {
        let Some(args) = c.get("args").filter(|a| a.as_seq().is_some_and(is_external_dns_on_aws)) else {
            continue;
        };
        let kind = SectionKind::ExternalDnsArgs { service_account: sa.clone() };
        section(model, file, index, ns, name, kind, args);
    }
    for v in spec.get("volumes").and_then(Node::as_seq).unwrap_or_default() {
        let Some(csi) =
            v.get("csi").filter(|c| c.get("driver").and_then(Node::as_str) == Some("secrets-store.csi.k8s.io"))
        else {
            continue;
        };
        if let Some(class) = csi.path(&["volumeAttributes", "secretProviderClass"]).and_then(Node::as_str) {
            let kind = SectionKind::SecretProviderMount { class: class.to_string(), service_account: sa.clone() };
            section(model, file, index, ns, name, kind, v);
        }
    }
}

/// external-dns's args select the AWS provider: `--provider=aws` or `--provider aws`.
pub fn is_external_dns_on_aws(args: &[Node]) -> bool {
    let texts: Vec<&str> = args.iter().filter_map(Node::as_str).collect();
    texts
        .iter()
        .enumerate()
        .any(|(i, a)| *a == "--provider=aws" || (*a == "--provider" && texts.get(i + 1) == Some(&"aws")))
}
