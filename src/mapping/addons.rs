//! `mappings/addons.yaml`: the AWS add-ons AKS replaces with a feature of its own (the load balancer controller,
//! the cluster autoscaler, the CSI drivers, Karpenter, the VPC CNI, …), how each is recognised, and what replaces
//! it. The table is data; the plan (`plan::addons`) decides from it which ServiceAccounts and roles get no Azure
//! identity.

use crate::glob::glob_match;
use serde::Deserialize;
use std::collections::BTreeSet;

/// `addons.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddonsFile {
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// The add-ons, in the order they are tried (the first that matches wins).
    #[serde(default)]
    pub addons: Vec<Addon>,
}

/// One AWS add-on.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Addon {
    /// Stable kebab-case id (`aws-load-balancer-controller`): a user's entry with the same id replaces it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// How it is recognised.
    #[serde(rename = "match")]
    pub matches: AddonMatch,
    /// What replaces it on AKS.
    pub replaced_by: Replacement,
    /// Objects of the add-on's own API (Karpenter's NodePool, …) and what to do with each on AKS.
    #[serde(default)]
    pub objects: Vec<AddonObject>,
}

/// The evidence that a ServiceAccount or a role belongs to an add-on. Any one rule is enough.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AddonMatch {
    /// `namespace/name` of the ServiceAccounts its install docs and chart create.
    #[serde(default)]
    pub service_accounts: Vec<String>,
    /// Container image patterns (`*` matches any run of characters, `/` and `:` included).
    #[serde(default)]
    pub images: Vec<String>,
    /// Values of the Helm label `app.kubernetes.io/name` on the ServiceAccount or its workloads.
    #[serde(default)]
    pub helm_names: Vec<String>,
    /// eksctl `wellKnownPolicies` keys of the role.
    #[serde(default)]
    pub well_known_policies: Vec<String>,
    /// Sets of IAM actions characteristic of the add-on's policy: a role whose Allow statements name every
    /// action of one set (literally, case-insensitively: a wildcard such as `ec2:*` is no evidence) is the
    /// add-on's.
    #[serde(default)]
    pub policy_fingerprints: Vec<Vec<String>>,
}

/// The AKS feature that replaces an add-on.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The feature, for people.
    pub feature: String,
    /// The `az` command that turns it on.
    pub az: String,
    /// Its Microsoft Learn page.
    pub doc: String,
}

/// A kind of the add-on's own API.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AddonObject {
    /// The API group (`karpenter.sh`): the object's `apiVersion` is `<group>/<version>`.
    pub api_group: String,
    /// The kind.
    pub kind: String,
    /// What to do with it on AKS.
    pub advice: String,
}

/// The eksctl `wellKnownPolicies` keys (eksctl's `WellKnownPolicies` type).
pub const WELL_KNOWN_POLICIES: &[&str] = &[
    "imageBuilder",
    "autoScaler",
    "awsLoadBalancerController",
    "externalDNS",
    "certManager",
    "ebsCSIController",
    "efsCSIController",
];

impl Addon {
    /// True when an image matches one of the add-on's patterns.
    pub fn matches_image(&self, image: &str) -> bool {
        self.matches.images.iter().any(|p| glob_match(p, image, false))
    }

    /// True when the ServiceAccount `namespace/name` is one of the add-on's.
    pub fn matches_service_account(&self, namespace: &str, name: &str) -> bool {
        self.matches.service_accounts.iter().any(|s| s.split_once('/') == Some((namespace, name)))
    }

    /// The fingerprint a role's Allow actions hold whole (each given lower-case), if any.
    pub fn fingerprint_in(&self, actions: &BTreeSet<String>) -> Option<&[String]> {
        self.matches
            .policy_fingerprints
            .iter()
            .find(|set| !set.is_empty() && set.iter().all(|a| actions.contains(&a.to_ascii_lowercase())))
            .map(Vec::as_slice)
    }

    /// The advice for an object of this `apiVersion` and kind, when it is one of the add-on's.
    pub fn object_advice(&self, api_version: &str, kind: &str) -> Option<&str> {
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        self.objects.iter().find(|o| o.kind == kind && o.api_group == group).map(|o| o.advice.as_str())
    }
}

/// What is wrong with one add-on on its own.
pub fn problems(a: &Addon) -> Vec<String> {
    let mut out = Vec::new();
    let id = &a.id;
    let kebab = !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !kebab {
        out.push(format!("add-on `{id}`: `id` must be kebab-case (a-z, 0-9, -)"));
    }
    if a.name.trim().is_empty() {
        out.push(format!("add-on `{id}`: `name` is empty"));
    }
    let m = &a.matches;
    if m.service_accounts.is_empty()
        && m.images.is_empty()
        && m.helm_names.is_empty()
        && m.well_known_policies.is_empty()
        && m.policy_fingerprints.iter().all(Vec::is_empty)
    {
        out.push(format!("add-on `{id}`: `match` has no rule; it would never be recognised"));
    }
    for s in &m.service_accounts {
        if s.split_once('/').is_none_or(|(ns, n)| ns.is_empty() || n.is_empty() || n.contains('/')) {
            out.push(format!("add-on `{id}`: service account `{s}` is not `namespace/name`"));
        }
    }
    if m.images.iter().any(|p| p.trim().is_empty() || p == "*") {
        out.push(format!("add-on `{id}`: an image pattern is empty or `*` (it would match every image)"));
    }
    for w in m.well_known_policies.iter().filter(|w| !WELL_KNOWN_POLICIES.contains(&w.as_str())) {
        out.push(format!(
            "add-on `{id}`: `{w}` is not an eksctl wellKnownPolicies key ({})",
            WELL_KNOWN_POLICIES.join(", ")
        ));
    }
    for set in &m.policy_fingerprints {
        if set.len() < 2 {
            out.push(format!("add-on `{id}`: a policy fingerprint needs at least two actions (one is too common)"));
        }
        for act in set {
            let ok =
                act.split_once(':').is_some_and(|(p, n)| !p.is_empty() && !n.is_empty()) && !act.contains(['*', '?']);
            if !ok {
                out.push(format!("add-on `{id}`: fingerprint action `{act}` is not `prefix:Action` without wildcards"));
            }
        }
    }
    if !a.replaced_by.az.starts_with("az ") {
        out.push(format!("add-on `{id}`: `replaced_by.az` must be an `az` command"));
    }
    if !a.replaced_by.doc.starts_with("https://") {
        out.push(format!("add-on `{id}`: `replaced_by.doc` must be an https link"));
    }
    if a.replaced_by.feature.trim().is_empty() {
        out.push(format!("add-on `{id}`: `replaced_by.feature` is empty"));
    }
    for o in &a.objects {
        if o.api_group.is_empty() || o.api_group.contains('/') || o.kind.is_empty() || o.advice.trim().is_empty() {
            out.push(format!(
                "add-on `{id}`: object `{}/{}` needs an API group (no version), a kind and advice",
                o.api_group, o.kind
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Vec<Addon> {
        crate::mapping::load(None).unwrap().addons
    }

    fn by_id(id: &str) -> Addon {
        bundled().into_iter().find(|a| a.id == id).unwrap()
    }

    #[test]
    fn bundled_addons_are_valid_and_unique() {
        let all = bundled();
        assert!(all.len() >= 10, "{}", all.len());
        let ids: BTreeSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids.len(), all.len());
        for a in &all {
            assert!(problems(a).is_empty(), "{:?}", problems(a));
        }
        // external-dns and cert-manager are workloads that need Azure DNS roles, not add-ons AKS replaces.
        assert!(!ids.contains("external-dns") && !ids.contains("cert-manager"));
    }

    #[test]
    fn images_service_accounts_and_fingerprints_match() {
        let lbc = by_id("aws-load-balancer-controller");
        assert!(lbc.matches_image(
            "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/eks/aws-load-balancer-controller:v2.8.1"
        ));
        assert!(lbc.matches_image("public.ecr.aws/eks/aws-load-balancer-controller:v2.8.1"));
        assert!(!lbc.matches_image("public.ecr.aws/eks/aws-load-balancer-controllerx"));
        assert!(lbc.matches_service_account("kube-system", "aws-load-balancer-controller"));
        assert!(!lbc.matches_service_account("default", "aws-load-balancer-controller"));
        let karpenter = by_id("karpenter");
        assert!(karpenter.matches_image("public.ecr.aws/karpenter/controller:1.0.6@sha256:abc"));
        let actions: BTreeSet<String> =
            ["ec2:createfleet", "ec2:createlaunchtemplate", "ec2:terminateinstances", "ssm:getparameter"]
                .map(String::from)
                .into();
        assert!(karpenter.fingerprint_in(&actions).is_some());
        let partial: BTreeSet<String> = ["ec2:createfleet".to_string()].into();
        assert!(karpenter.fingerprint_in(&partial).is_none());
        assert!(karpenter.object_advice("karpenter.k8s.aws/v1", "EC2NodeClass").is_some());
        assert!(karpenter.object_advice("karpenter.sh/v1", "NodeClaim").is_none());
    }

    #[test]
    fn problems_name_each_bad_field() {
        let mut a = by_id("cluster-autoscaler");
        a.id = "Cluster_Autoscaler".into();
        a.matches.service_accounts.push("no-slash".into());
        a.matches.well_known_policies.push("autoscaler".into());
        a.matches.policy_fingerprints.push(vec!["ec2:*".into()]);
        a.replaced_by.az = "kubectl apply".into();
        let p = problems(&a).join("\n");
        for needle in ["kebab-case", "no-slash", "`autoscaler` is not", "at least two", "`ec2:*`", "`az` command"] {
            assert!(p.contains(needle), "{needle}: {p}");
        }
    }
}
