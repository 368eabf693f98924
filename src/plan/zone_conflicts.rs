//! Route 53 hosted zones that share a domain (the review of 4ba9fce): an Azure DNS zone's name IS its domain
//! (REST "Zones - Create Or Update": the zone name is the domain, without a terminating dot), so two hosted zones
//! of one domain that map to one Azure type (`Microsoft.Network/dnsZones`, or `…/privateDnsZones`) cannot both
//! move into the one DNS resource group: a tag would make a name that is no domain, and one zone for both would
//! merge them. Neither is mapped (E2A113): no zone is planned or granted for them, and the rewrites name them by a
//! placeholder. A public and a private zone of one domain are two Azure types and may share it.

use super::PlanOptions;
use crate::diag::{Loc, Sink};
use crate::mapping::{Tables, naming, need::TargetChoice};
use crate::model::Model;
use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

/// Hosted zones of one domain that would be one Azure DNS zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The Azure resource type they map to.
    pub azure_type: String,
    /// The domain (the Azure zone name they would share).
    pub domain: String,
    /// The bare hosted zone ids, sorted.
    pub ids: Vec<String>,
}

/// The hosted zones (of `targets.zones`) whose domain another zone of the same Azure type has.
pub fn find(tables: &Tables, targets: &TargetChoice) -> Vec<Conflict> {
    let Some(service) = tables.services.get("route53") else { return Vec::new() };
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (id, zone) in &targets.zones {
        let arn = format!("arn:aws:route53:::hostedzone/{id}");
        if targets.stays(&arn) {
            continue;
        }
        let Some(target) = service.targets.get(targets.target(service, "route53", &arn)) else { continue };
        if target.naming != "dns_zone" {
            continue;
        }
        let domain = naming::azure_name("dns_zone", zone);
        groups.entry((target.azure_type.to_string(), domain)).or_default().push(id.clone());
    }
    groups
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((azure_type, domain), ids)| Conflict { azure_type, domain, ids })
        .collect()
}

/// `opts` with the conflicting zones unnamed (and marked ambiguous), when there are any.
pub fn without(opts: &PlanOptions, conflicts: &[Conflict]) -> Option<PlanOptions> {
    if conflicts.is_empty() {
        return None;
    }
    let mut o = opts.clone();
    for id in conflicts.iter().flat_map(|c| &c.ids) {
        o.targets.zones.remove(id);
        o.targets.ambiguous_zones.insert(id.clone());
    }
    Some(o)
}

/// One E2A113 per conflict, at the first place the input names one of its zones (`named`: ARN → place).
pub fn report<'a>(conflicts: &[Conflict], named: impl IntoIterator<Item = (&'a str, Loc)>, sink: &mut Sink) {
    let mut first: BTreeMap<String, Loc> = BTreeMap::new();
    for (arn, loc) in named {
        if let Some(id) = arn.strip_prefix("arn:aws:route53:::hostedzone/") {
            first.entry(id.to_string()).and_modify(|l| *l = (*l).min(loc)).or_insert(loc);
        }
    }
    for c in conflicts {
        let kind = if c.azure_type.contains("private") { "private" } else { "public" };
        let ids: Vec<String> = c.ids.iter().map(|i| format!("`{i}`")).collect();
        let msg = format!(
            "Route 53 hosted zones {} all have the domain `{}` and would be one {kind} Azure DNS zone (a zone's name is its domain; one resource group holds one zone of a name): neither is mapped, nothing is granted on them, and their rewrites name `REPLACE-ME-zone-of-<id>`; map one of them to another domain or zone in `route53.zones`, or keep one on AWS (`stay_on_aws`)",
            ids.join(" and "),
            c.domain
        );
        let loc = c.ids.iter().filter_map(|i| first.get(i)).min().copied();
        sink.push(rules::ZONES_SHARE_A_DOMAIN, msg, loc);
    }
}

/// The hosted zone ids left unmapped for sharing a domain, for the rewrites (`dns_secrets`): computed from the
/// config and the manifests as `plan::build` does.
pub fn ambiguous_ids(model: &Model, tables: &Tables, cfg: &crate::config::Config) -> BTreeSet<String> {
    let opts = PlanOptions::from_config(cfg);
    let zoned = super::build::zones_from_manifests(model, &opts);
    find(tables, &zoned.as_ref().unwrap_or(&opts).targets).into_iter().flat_map(|c| c.ids).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(zones: &[(&str, &str)], private: &[&str]) -> TargetChoice {
        TargetChoice {
            zones: zones.iter().map(|(i, z)| (i.to_string(), z.to_string())).collect(),
            by_resource: private
                .iter()
                .map(|i| (format!("arn:aws:route53:::hostedzone/{i}"), "azure-private-dns".to_string()))
                .collect(),
            ..TargetChoice::default()
        }
    }

    #[test]
    fn two_public_zones_of_one_domain_conflict_whatever_the_case_and_final_dot() {
        let tables = crate::mapping::load(None).unwrap();
        let found = find(&tables, &choice(&[("Z1", "example.com"), ("Z2", "Example.COM."), ("Z3", "other.com")], &[]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].domain, "example.com");
        assert_eq!(found[0].ids, vec!["Z1".to_string(), "Z2".to_string()]);
    }

    #[test]
    fn a_public_and_a_private_zone_of_one_domain_do_not() {
        let tables = crate::mapping::load(None).unwrap();
        assert!(find(&tables, &choice(&[("Z1", "example.com"), ("Z2", "example.com")], &["Z2"])).is_empty());
        let two_private = find(&tables, &choice(&[("Z1", "example.com"), ("Z2", "example.com")], &["Z1", "Z2"]));
        assert_eq!(two_private.len(), 1);
        assert!(two_private[0].azure_type.contains("private"), "{two_private:?}");
    }
}
