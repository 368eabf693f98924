//! `k8s-resources.yaml`: what AKS needs instead of the AWS storage provisioners, the ALB ingress class and the AWS
//! load-balancer annotations (schema in `mappings/README.md`). Loaded by `load.rs`, a user's file over the bundled
//! one entry by entry; applied by `plan::cloud`. The knowledge is here as data; [`KeyRule::outcome`] is the one
//! algorithm that reads a rule.

use serde::Deserialize;
use std::collections::BTreeMap;

/// What happens to one key (a StorageClass parameter, an annotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The key stays.
    Keep,
    /// The key becomes `to` (its value through `values`).
    Rename,
    /// The key becomes `to` with a placeholder `value`.
    Placeholder,
    /// The key goes.
    Remove,
    /// The key stays, inert on AKS, with a finding.
    Flag,
}

/// One key's rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRule {
    /// What happens.
    pub action: Action,
    /// The Azure key (`rename`, `placeholder`).
    #[serde(default)]
    pub to: Option<String>,
    /// `rename`: value → Azure value (`null`: the key just goes); a value not listed is not carried.
    #[serde(default)]
    pub values: Option<BTreeMap<String, Option<String>>>,
    /// `remove`: only these values go; any other stays, with the finding.
    #[serde(default)]
    pub only: Option<Vec<String>>,
    /// `rename` of a StorageClass parameter: only when the chosen SKU is one of these.
    #[serde(default)]
    pub skus: Option<Vec<String>>,
    /// `placeholder`: the value set.
    #[serde(default)]
    pub value: Option<String>,
    /// The finding's text when the key is not carried as it was.
    #[serde(default)]
    pub note: Option<String>,
}

/// Rules by key (a key ending in `*` matches a prefix).
pub type KeyRules = BTreeMap<String, KeyRule>;

/// What one key becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The key goes.
    pub remove: bool,
    /// The key set instead, with its value.
    pub set: Option<(String, String)>,
    /// Why it is not carried as it was (a finding), when so.
    pub note: Option<String>,
}

impl KeyRule {
    /// What a key with this rule and `value` becomes. `sku`: the Azure SKU chosen for a StorageClass. `strict`:
    /// what is not carried goes (the Azure CSI drivers reject unknown parameters); otherwise it stays, inert.
    pub fn outcome(&self, value: &str, sku: Option<&str>, strict: bool) -> Outcome {
        let note = || Some(self.note.clone().unwrap_or_else(|| "no Azure equivalent".into()));
        let not_carried = Outcome { remove: strict, set: None, note: note() };
        let to = self.to.clone().unwrap_or_default();
        match self.action {
            Action::Keep => Outcome { remove: false, set: None, note: None },
            Action::Flag => Outcome { remove: false, set: None, note: note() },
            Action::Remove => match &self.only {
                Some(only) if !only.iter().any(|o| o == value) => not_carried,
                // With `only`, the note is for the values that stay.
                _ => Outcome { remove: true, set: None, note: self.note.clone().filter(|_| self.only.is_none()) },
            },
            Action::Placeholder => {
                Outcome { remove: true, set: Some((to, self.value.clone().unwrap_or_default())), note: note() }
            }
            Action::Rename => {
                // No SKU chosen (an unknown volume type): the driver's default may not take the key either.
                if let Some(skus) = &self.skus
                    && !sku.is_some_and(|sku| skus.iter().any(|s| s == sku))
                {
                    return not_carried;
                }
                match self.values.as_ref().map(|v| v.get(value)) {
                    None => Outcome { remove: true, set: Some((to, value.to_string())), note: None },
                    Some(Some(Some(v))) => Outcome { remove: true, set: Some((to, v.clone())), note: None },
                    Some(Some(None)) => Outcome { remove: true, set: None, note: None },
                    Some(None) => not_carried,
                }
            }
        }
    }
}

/// The rule of `key`: an exact match (case-insensitive), else the longest `*` prefix that matches.
pub fn rule<'r>(rules: &'r KeyRules, key: &str) -> Option<&'r KeyRule> {
    let lower = key.to_ascii_lowercase();
    if let Some(r) = rules.iter().find(|(k, _)| k.to_ascii_lowercase() == lower) {
        return Some(r.1);
    }
    rules
        .iter()
        .filter_map(|(k, r)| Some((k.strip_suffix('*')?.to_ascii_lowercase(), r)))
        .filter(|(p, _)| lower.starts_with(p.as_str()))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, r)| r)
}

/// One AWS provisioner and its Azure CSI driver.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioner {
    /// The Azure provisioner.
    pub azure: String,
    /// The AWS parameter that picks the volume type (`type`).
    #[serde(default)]
    pub sku_parameter: Option<String>,
    /// The volume type when the parameter is absent.
    #[serde(default)]
    pub default_type: Option<String>,
    /// The Azure parameter that receives the SKU (`skuName`).
    #[serde(default)]
    pub sku_to: Option<String>,
    /// Volume type → Azure SKU.
    #[serde(default)]
    pub skus: BTreeMap<String, String>,
    /// Parameters set on every class of this provisioner.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Parameters set on the classes of one Azure SKU (`cachingMode: None` where the SKU supports no other).
    #[serde(default)]
    pub sku_set: BTreeMap<String, BTreeMap<String, String>>,
    /// Rules per AWS parameter.
    #[serde(default)]
    pub parameters: KeyRules,
    /// `allowedTopologies` label keys that pin AWS zones, and what to do instead (a finding: zone names differ).
    #[serde(default)]
    pub topology_keys: BTreeMap<String, String>,
}

/// PersistentVolumes that hold data on AWS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volumes {
    /// CSI drivers (`spec.csi.driver`).
    #[serde(default)]
    pub csi_drivers: Vec<String>,
    /// In-tree volume sources (`spec.awsElasticBlockStore`).
    #[serde(default)]
    pub in_tree: Vec<String>,
}

/// Ingresses of the AWS load balancer controller.
#[derive(Debug, Clone, Default)]
pub struct Ingress {
    /// The AWS ingress classes (`alb`).
    pub aws_classes: Vec<String>,
    /// The prefix of the controller's annotations.
    pub annotation_prefix: String,
    /// The Azure ingress class when the config names none.
    pub default_class: String,
    /// Per Azure ingress class, the rules of the AWS annotations.
    pub classes: BTreeMap<String, KeyRules>,
}

/// Services of type LoadBalancer with AWS annotations.
#[derive(Debug, Clone, Default)]
pub struct Service {
    /// The prefix of the AWS annotations.
    pub annotation_prefix: String,
    /// `spec.loadBalancerClass` values of the AWS controller (the Azure cloud provider ignores a Service that
    /// names another class).
    pub load_balancer_classes: Vec<String>,
    /// Rules per annotation.
    pub annotations: KeyRules,
}

/// The loaded table.
#[derive(Debug, Clone, Default)]
pub struct K8sResources {
    /// Per AWS provisioner.
    pub storage: BTreeMap<String, Provisioner>,
    /// AWS volumes.
    pub volumes: Volumes,
    /// Ingress.
    pub ingress: Ingress,
    /// Service.
    pub service: Service,
}

/// The file as written: every part optional, so a user's file overrides what it names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    storage: BTreeMap<String, Provisioner>,
    #[serde(default)]
    volumes: Option<Volumes>,
    #[serde(default)]
    ingress: Option<IngressFile>,
    #[serde(default)]
    service: Option<ServiceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngressFile {
    aws_classes: Option<Vec<String>>,
    annotation_prefix: Option<String>,
    default_class: Option<String>,
    #[serde(default)]
    classes: BTreeMap<String, KeyRules>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceFile {
    annotation_prefix: Option<String>,
    load_balancer_classes: Option<Vec<String>>,
    #[serde(default)]
    annotations: KeyRules,
}

impl K8sResources {
    /// Merges a file over the table: provisioners replace theirs, annotation rules theirs (per class), lists and
    /// prefixes when given. Returns the problems of the merged table as (line needle, message).
    pub fn merge(&mut self, f: File) -> Vec<(String, String)> {
        self.storage.extend(f.storage);
        if let Some(v) = f.volumes {
            self.volumes = v;
        }
        if let Some(i) = f.ingress {
            let me = &mut self.ingress;
            me.aws_classes = i.aws_classes.unwrap_or(std::mem::take(&mut me.aws_classes));
            me.annotation_prefix = i.annotation_prefix.unwrap_or(std::mem::take(&mut me.annotation_prefix));
            me.default_class = i.default_class.unwrap_or(std::mem::take(&mut me.default_class));
            for (class, rules) in i.classes {
                me.classes.entry(class).or_default().extend(rules);
            }
        }
        if let Some(s) = f.service {
            let me = &mut self.service;
            me.annotation_prefix = s.annotation_prefix.unwrap_or(std::mem::take(&mut me.annotation_prefix));
            me.load_balancer_classes = s.load_balancer_classes.unwrap_or(std::mem::take(&mut me.load_balancer_classes));
            me.annotations.extend(s.annotations);
        }
        self.problems()
    }

    /// What the table says that cannot be applied, as (line needle, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, p) in &self.storage {
            let at = format!("{name}:");
            if let Some(d) = &p.default_type
                && !p.skus.contains_key(d)
            {
                out.push((at.clone(), format!("provisioner `{name}`: default_type `{d}` is not one of its skus")));
            }
            if !p.skus.is_empty() && (p.sku_to.is_none() || p.sku_parameter.is_none()) {
                out.push((at.clone(), format!("provisioner `{name}`: skus need sku_parameter and sku_to")));
            }
            rule_problems(&p.parameters, true, &mut out);
        }
        let i = &self.ingress;
        if !i.aws_classes.is_empty() && !i.classes.contains_key(&i.default_class) {
            out.push((
                "default_class:".into(),
                format!("ingress: default_class `{}` is not one of its classes", i.default_class),
            ));
        }
        for rules in i.classes.values() {
            rule_problems(rules, false, &mut out);
        }
        rule_problems(&self.service.annotations, false, &mut out);
        out
    }
}

/// The fields a rule's action needs, and no field it would ignore.
fn rule_problems(rules: &KeyRules, storage: bool, out: &mut Vec<(String, String)>) {
    for (key, r) in rules {
        let mut bad = |m: &str| out.push((format!("{key}:"), format!("`{key}`: {m}")));
        let needs_to = matches!(r.action, Action::Rename | Action::Placeholder);
        if needs_to != r.to.is_some() {
            bad(if needs_to { "rename and placeholder need `to`" } else { "only rename and placeholder take `to`" });
        }
        if (r.action == Action::Placeholder) != r.value.is_some() {
            bad("`value` goes with placeholder, and placeholder needs it");
        }
        if r.values.is_some() && r.action != Action::Rename {
            bad("`values` goes with rename");
        }
        if r.only.is_some() && r.action != Action::Remove {
            bad("`only` goes with remove");
        }
        if r.skus.is_some() && (r.action != Action::Rename || !storage) {
            bad("`skus` goes with rename of a StorageClass parameter");
        }
        if r.action == Action::Flag && r.note.is_none() {
            bad("flag needs a `note` (the finding's text)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(yaml: &str) -> KeyRule {
        serde_norway::from_str(yaml).expect("rule")
    }

    #[test]
    fn rename_carries_the_value_through_values_and_flags_the_rest() {
        let r = rule_of("{action: rename, to: azure, values: {internal: 'true', internet-facing: null}, note: n}");
        assert_eq!(r.outcome("internal", None, false).set, Some(("azure".into(), "true".into())));
        let gone = r.outcome("internet-facing", None, false);
        assert!(gone.remove && gone.set.is_none() && gone.note.is_none());
        let odd = r.outcome("dualstack", None, false);
        assert_eq!((odd.remove, odd.set, odd.note.as_deref()), (false, None, Some("n")));
        assert!(r.outcome("dualstack", None, true).remove, "strict: what is not carried goes");
    }

    #[test]
    fn rename_with_skus_only_carries_on_those_skus() {
        let r = rule_of("{action: rename, to: DiskIOPSReadWrite, skus: [PremiumV2_LRS], note: n}");
        assert_eq!(
            r.outcome("4000", Some("PremiumV2_LRS"), true).set,
            Some(("DiskIOPSReadWrite".into(), "4000".into()))
        );
        let o = r.outcome("4000", Some("Premium_LRS"), true);
        assert_eq!((o.remove, o.set.clone(), o.note.as_deref()), (true, None, Some("n")));
        assert_eq!(r.outcome("4000", None, true), o, "no SKU chosen: not carried either");
    }

    #[test]
    fn remove_only_some_values_and_placeholder() {
        let r = rule_of("{action: remove, only: [internet-facing], note: n}");
        assert_eq!(r.outcome("internet-facing", None, false), Outcome { remove: true, set: None, note: None });
        let kept = r.outcome("internal", None, false);
        assert!(!kept.remove && kept.note.is_some());
        let p = rule_of("{action: placeholder, to: diskEncryptionSetID, value: REPLACE-ME, note: n}");
        let o = p.outcome("arn:aws:kms:…", None, true);
        assert_eq!((o.remove, o.set), (true, Some(("diskEncryptionSetID".into(), "REPLACE-ME".into()))));
    }

    #[test]
    fn rules_match_case_insensitively_and_by_the_longest_prefix() {
        let rules: KeyRules =
            serde_norway::from_str("{kmsKeyId: {action: keep}, 'a-*': {action: remove}, 'a-b-*': {action: keep}}")
                .expect("rules");
        assert_eq!(rule(&rules, "kmskeyid").map(|r| r.action), Some(Action::Keep));
        assert_eq!(rule(&rules, "a-x").map(|r| r.action), Some(Action::Remove));
        assert_eq!(rule(&rules, "a-b-c").map(|r| r.action), Some(Action::Keep));
        assert!(rule(&rules, "other").is_none());
    }

    #[test]
    fn a_rule_without_the_fields_its_action_needs_is_a_problem() {
        let rules: KeyRules =
            serde_norway::from_str("{x: {action: rename}, y: {action: flag}, z: {action: keep, only: [a]}}")
                .expect("rules");
        let mut out = Vec::new();
        rule_problems(&rules, false, &mut out);
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["x:", "y:", "z:"]);
    }
}
