//! Storage and load balancers: StorageClasses of the AWS provisioners move to the Azure Disk and Azure Files CSI
//! drivers, ALB Ingresses to the configured AKS ingress class, and the AWS load-balancer annotations of Services
//! and Ingresses to their Azure equivalents, as `mappings/k8s-resources.yaml` says. PersistentVolumes bound to
//! EBS or EFS are flagged, never rewritten. What is not carried as it was is a finding at its key.
//!
//! [`decide`] is pure: `plan::build` calls it for its findings and `plan::edits` for its edits (each an
//! [`Edit::Fields`]), so both always agree.

use super::edits::{Edit, SetField};
use crate::config::Config;
use crate::diag::Sink;
use crate::mapping::Tables;
use crate::mapping::k8s_resources::{self as kr, K8sResources, KeyRules, Outcome, Provisioner};
use crate::model::{CloudField, CloudObject, Model};
use crate::rules;
use std::collections::BTreeMap;

/// The annotation that names an Ingress's class before `spec.ingressClassName`.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// The edits of each object (by index into `model.objects`); the findings go into `sink`.
pub fn decide(model: &Model, tables: &Tables, cfg: &Config, sink: &mut Sink) -> BTreeMap<usize, Vec<Edit>> {
    let t = &tables.k8s_resources;
    let mut out = BTreeMap::new();
    for o in &model.cloud_objects {
        let edits = match &*o.kind {
            "StorageClass" => storage_class(t, o, sink),
            "PersistentVolume" => {
                volume(t, o, sink);
                Vec::new()
            }
            "Ingress" => ingress(t, cfg, o, sink),
            "Service" => service(t, o, sink),
            _ => Vec::new(),
        };
        if !edits.is_empty() {
            out.insert(o.object, edits);
        }
    }
    out
}

/// The changes of one mapping, being collected.
#[derive(Default)]
struct Changes {
    remove: Vec<String>,
    set: Vec<SetField>,
}

impl Changes {
    /// The value already set for `key`, if any.
    fn set_value(&self, key: &str) -> Option<&str> {
        self.set.iter().find(|s| s.key == key).map(|s| s.value.as_str())
    }

    fn set(&mut self, key: &str, value: &str) {
        if self.set_value(key).is_none() {
            self.set.push(SetField { key: key.to_string(), value: value.to_string() });
        }
    }

    /// The edit of the mapping at `map`, when anything changes.
    fn edit(self, map: &'static [&'static str]) -> Option<Edit> {
        (!self.remove.is_empty() || !self.set.is_empty()).then_some(Edit::Fields {
            map,
            remove: self.remove,
            set: self.set,
        })
    }
}

/// Applies what one key becomes to `c`; a note (not carried as it was) is a finding `code` at the key.
fn carry(c: &mut Changes, f: &CloudField, outcome: Outcome, code: &'static str, what: &str, sink: &mut Sink) {
    let value = f.value.as_deref().unwrap_or_default();
    if let Some((to, v)) = &outcome.set
        && c.set_value(to).is_some_and(|old| old != v)
    {
        let old = c.set_value(to).unwrap_or_default();
        let msg =
            format!("{what}: `{}: {value}` would set `{to}: {v}`, but another key set it to `{old}`: kept", f.key);
        sink.push(code, msg, Some(f.loc));
        return;
    }
    let done = match &outcome.set {
        Some((to, v)) => format!("becomes `{to}: {v}`"),
        None if outcome.remove => "is removed".to_string(),
        None => "is kept, inert on AKS".to_string(),
    };
    if outcome.remove {
        c.remove.push(f.key.clone());
    }
    if let Some((to, v)) = &outcome.set {
        c.set(to, v);
    }
    if let Some(note) = outcome.note {
        sink.push(code, format!("{what}: `{}: {value}` {done}: {note}", f.key), Some(f.loc));
    }
}

/// A StorageClass of an AWS provisioner: the Azure provisioner, the SKU from the volume type, every parameter
/// through its rule (unknown ones kept, E2A091), the provisioner's own parameters.
fn storage_class(t: &K8sResources, o: &CloudObject, sink: &mut Sink) -> Vec<Edit> {
    let Some(aws) = o.field("provisioner").and_then(|f| f.value.as_deref()) else { return Vec::new() };
    let Some(p) = t.storage.get(aws) else { return Vec::new() };
    let what = format!("StorageClass `{}` ({aws} → {})", o.name, p.azure);
    let params = o.parameters.as_deref().unwrap_or_default();
    let is_type = |k: &str| p.sku_parameter.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(k));
    let mut c = Changes::default();
    let sku = sku(p, params.iter().find(|f| is_type(&f.key)), &what, &mut c, sink);
    for f in params.iter().filter(|f| !is_type(&f.key)) {
        let Some(rule) = kr::rule(&p.parameters, &f.key) else {
            let msg = format!(
                "{what}: parameter `{}` is not in k8s-resources.yaml: kept as it is, but {} rejects parameters it does not know",
                f.key, p.azure
            );
            sink.push(rules::STORAGE_PARAMETER_UNKNOWN, msg, Some(f.loc));
            continue;
        };
        let outcome = rule.outcome(f.value.as_deref().unwrap_or_default(), sku.as_deref(), true);
        carry(&mut c, f, outcome, rules::STORAGE_PARAMETER_NOT_CARRIED, &what, sink);
    }
    let for_sku = sku.as_ref().and_then(|s| p.sku_set.get(s));
    for (k, v) in p.set.iter().chain(for_sku.into_iter().flatten()) {
        c.set(k, v);
    }
    topologies(p, o, &what, sink);
    let provisioner = SetField { key: "provisioner".into(), value: p.azure.clone() };
    let mut edits = vec![Edit::Fields { map: &[], remove: Vec::new(), set: vec![provisioner] }];
    edits.extend(c.edit(&["parameters"]));
    edits
}

/// `allowedTopologies` expressions that pin AWS zones: kept (a list the rewrite does not edit), each a finding.
fn topologies(p: &Provisioner, o: &CloudObject, what: &str, sink: &mut Sink) {
    for (_, f) in o.fields.iter().filter(|(path, _)| *path == "allowedTopologies") {
        if let Some(instead) = p.topology_keys.get(&f.key) {
            let values = f.value.as_deref().unwrap_or_default();
            let msg = format!("{what}: `allowedTopologies` pins `{}` to {values} (AWS zones), kept: {instead}", f.key);
            sink.push(rules::STORAGE_PARAMETER_NOT_CARRIED, msg, Some(f.loc));
        }
    }
}

/// The Azure SKU of a StorageClass from its volume type (or the provisioner's default); the type parameter goes.
fn sku(
    p: &Provisioner,
    type_field: Option<&CloudField>,
    what: &str,
    c: &mut Changes,
    sink: &mut Sink,
) -> Option<String> {
    let ty = type_field.and_then(|f| f.value.clone()).or_else(|| p.default_type.clone())?;
    if let Some(f) = type_field {
        c.remove.push(f.key.clone());
    }
    let found = p.skus.iter().find(|(k, _)| k.eq_ignore_ascii_case(&ty)).map(|(_, s)| s.clone());
    match (&found, p.sku_to.as_deref()) {
        (Some(s), Some(to)) => c.set(to, s),
        _ => {
            let msg = format!(
                "{what}: volume type `{ty}` has no Azure SKU in k8s-resources.yaml: removed, so the driver's default SKU applies"
            );
            sink.push(rules::STORAGE_PARAMETER_NOT_CARRIED, msg, type_field.map(|f| f.loc));
        }
    }
    found
}

/// A PersistentVolume bound to an EBS volume or an EFS file system: its data is on AWS (E2A092).
fn volume(t: &K8sResources, o: &CloudObject, sink: &mut Sink) {
    let v = &t.volumes;
    let csi = o.field("spec.csi.driver").filter(|f| f.value.as_ref().is_some_and(|d| v.csi_drivers.contains(d)));
    let (at, source, handle) = match csi {
        Some(d) => (d, d.value.as_deref().unwrap_or_default(), o.field("spec.csi.volumeHandle")),
        None => match o.field("spec.awsElasticBlockStore.volumeID") {
            Some(id) if v.in_tree.iter().any(|k| k == "awsElasticBlockStore") => (id, "awsElasticBlockStore", Some(id)),
            _ => return,
        },
    };
    let handle = handle.and_then(|h| h.value.as_deref()).unwrap_or("(no volume handle)");
    let msg = format!(
        "PersistentVolume `{}` is bound to {source} volume `{handle}`: its data stays on AWS and the volume is not rewritten; migrate the data (e.g. Velero file-system backup) and let the claim provision an Azure volume",
        o.name
    );
    sink.push(rules::AWS_VOLUME_DATA, msg, Some(at.loc));
}

/// An Ingress of an AWS class: the configured AKS class, and each controller annotation through its rule for that
/// class (unknown ones kept, E2A093).
fn ingress(t: &K8sResources, cfg: &Config, o: &CloudObject, sink: &mut Sink) -> Vec<Edit> {
    let i = &t.ingress;
    let is_aws = |f: Option<&CloudField>| {
        f.and_then(|f| f.value.as_deref()).is_some_and(|v| i.aws_classes.iter().any(|c| c == v))
    };
    let class_annotation = o.annotations.iter().find(|a| a.key == INGRESS_CLASS_ANNOTATION);
    if !is_aws(o.field("spec.ingressClassName")) && !is_aws(class_annotation) {
        return Vec::new();
    }
    let target = cfg.ingress_class.clone().unwrap_or_else(|| i.default_class.clone());
    let empty = KeyRules::new();
    let rules = i.classes.get(&target).unwrap_or(&empty);
    let what = format!("Ingress `{}` (→ ingress class {target})", o.name);
    let mut c = Changes::default();
    if let Some(a) = class_annotation {
        c.remove.push(a.key.clone());
    }
    for a in o.annotations.iter().filter(|a| a.key.starts_with(&i.annotation_prefix)) {
        lb_annotation(&mut c, rules, a, &what, sink);
    }
    let class = SetField { key: "ingressClassName".into(), value: target };
    let mut edits = vec![Edit::Fields { map: &["spec"], remove: Vec::new(), set: vec![class] }];
    edits.extend(c.edit(&["metadata", "annotations"]));
    edits
}

/// A Service with AWS load-balancer annotations or the AWS `loadBalancerClass`: the class goes (the Azure cloud
/// provider leaves a Service of another class alone), each annotation through its rule.
fn service(t: &K8sResources, o: &CloudObject, sink: &mut Sink) -> Vec<Edit> {
    let s = &t.service;
    let mut edits = Vec::new();
    if let Some(f) = o.field("spec.loadBalancerClass")
        && f.value.as_ref().is_some_and(|v| s.load_balancer_classes.contains(v))
    {
        edits.push(Edit::Fields { map: &["spec"], remove: vec![f.key.clone()], set: Vec::new() });
    }
    let what = format!("Service `{}`", o.name);
    let mut c = Changes::default();
    for a in o.annotations.iter().filter(|a| a.key.starts_with(&s.annotation_prefix)) {
        lb_annotation(&mut c, &s.annotations, a, &what, sink);
    }
    edits.extend(c.edit(&["metadata", "annotations"]));
    edits
}

/// One AWS load-balancer annotation through its rule; one the table does not know stays, flagged.
fn lb_annotation(c: &mut Changes, rules: &KeyRules, a: &CloudField, what: &str, sink: &mut Sink) {
    let outcome = match kr::rule(rules, &a.key) {
        Some(r) => r.outcome(a.value.as_deref().unwrap_or_default(), None, false),
        None => Outcome {
            remove: false,
            set: None,
            note: Some("not in k8s-resources.yaml: no known Azure equivalent; configure the Azure side by hand".into()),
        },
    };
    carry(c, a, outcome, rules::LOAD_BALANCER_SETTING_NOT_CARRIED, what, sink);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The edits (as plan.json writes them) and the finding codes of one manifest.
    fn decide_on(yaml: &str, cfg: &Config) -> (serde_json::Value, Vec<&'static str>) {
        let (mut files, mut sink) = (crate::diag::Files::default(), Sink::default());
        let model = crate::ingest::read_str("m.yaml", yaml, &Default::default(), &mut files, &mut sink);
        let tables = crate::mapping::load(None).expect("bundled tables");
        let mut sink = Sink::default();
        let edits = decide(&model, &tables, cfg, &mut sink);
        let codes = sink.into_findings().iter().map(|f| f.code).collect();
        (serde_json::to_value(edits.into_values().collect::<Vec<_>>()).expect("serialises"), codes)
    }

    #[test]
    fn ebs_type_picks_the_sku_and_iops_follow_only_skus_that_take_them() {
        let sc = |ty: &str| {
            format!(
                "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {{name: s}}\nprovisioner: ebs.csi.aws.com\nparameters: {{type: {ty}, iops: '3000'}}\n"
            )
        };
        let (v, codes) = decide_on(&sc("io2"), &Config::default());
        assert_eq!(
            v[0][1]["set"],
            serde_json::json!([{"key": "skuName", "value": "UltraSSD_LRS"}, {"key": "DiskIOPSReadWrite", "value": "3000"}, {"key": "cachingMode", "value": "None"}])
        );
        assert!(codes.is_empty());
        let (v, codes) = decide_on(&sc("GP2"), &Config::default());
        assert_eq!(
            v[0][1]["set"],
            serde_json::json!([{"key": "skuName", "value": "Premium_LRS"}]),
            "types match case-insensitively"
        );
        assert_eq!(v[0][1]["remove"], serde_json::json!(["type", "iops"]));
        assert_eq!(codes, [rules::STORAGE_PARAMETER_NOT_CARRIED]);
        let (v, codes) = decide_on(&sc("sbg1"), &Config::default());
        assert_eq!(v[0][1]["remove"], serde_json::json!(["type", "iops"]), "an unknown type goes, with a finding");
        assert!(v[0][1].get("set").is_none(), "and iops are not carried to the driver's default SKU: {v}");
        assert_eq!(codes, [rules::STORAGE_PARAMETER_NOT_CARRIED; 2]);
    }

    #[test]
    fn internal_and_scheme_both_lead_to_the_one_azure_internal_annotation() {
        let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-internal: 'true'\n    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing\n";
        let (v, codes) = decide_on(svc, &Config::default());
        // `internet-facing` only removes its key; `internal: true` sets the Azure annotation.
        assert_eq!(v[0][0]["set"][0]["value"], "true");
        assert!(codes.is_empty());
        let svc = svc.replace("internal: 'true'", "internal: 'false'").replace("internet-facing", "internal");
        let (v, codes) = decide_on(&svc, &Config::default());
        assert_eq!(
            v[0][0]["set"],
            serde_json::json!([{"key": "service.beta.kubernetes.io/azure-load-balancer-internal", "value": "true"}])
        );
        assert!(codes.is_empty(), "`internal: false` removes, `scheme: internal` sets: no conflict");
    }

    #[test]
    fn an_ingress_of_another_class_or_a_service_without_aws_annotations_is_left_alone() {
        let other = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  annotations: {alb.ingress.kubernetes.io/scheme: internal}\nspec: {ingressClassName: nginx}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {service.beta.kubernetes.io/azure-load-balancer-internal: 'true'}}\nspec: {type: LoadBalancer}\n";
        let (v, codes) = decide_on(other, &Config::default());
        assert_eq!((v, codes.len()), (serde_json::json!([]), 0));
        let alb = other.replace("nginx", "alb");
        let cfg = Config { ingress_class: Some("azure-alb-external".into()), ..Config::default() };
        let (v, codes) = decide_on(&alb, &cfg);
        assert_eq!(v[0][0]["set"][0]["value"], "azure-alb-external");
        assert_eq!(codes, [rules::LOAD_BALANCER_SETTING_NOT_CARRIED], "scheme internal has no AGC equivalent");
    }
}
