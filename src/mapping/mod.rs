//! Stage 3: the AWS → Azure mapping. The knowledge is data (`mappings/*.yaml`, bundled into the binary and
//! overridable entry by entry with `--mappings DIR`); this module holds the algorithm: load and validate the
//! tables ([`load`]), expand IAM actions and resources into needs per Azure scope ([`need`]), and choose the
//! least-privileged role set for each need ([`choose`]).

pub mod addons;
pub mod azure;
pub mod choose;
pub mod k8s_resources;
pub mod keda_triggers;
pub mod kms;
pub mod load;
pub mod managed;
pub mod memo;
pub mod naming;
pub mod need;
pub mod storage_configs;

use crate::config::At;
pub use load::{Tables, load};

/// Checks the config against the mapping tables: every target named must exist for its service (the first
/// problem; [`target_problems`] lists them all).
pub fn check_targets(cfg: &crate::config::Config, tables: &Tables) -> anyhow::Result<()> {
    match target_problems(cfg, tables).into_iter().next() {
        Some((_, msg)) => anyhow::bail!("invalid config: {msg}"),
        None => Ok(()),
    }
}

/// Every target of the config that the tables do not have, as (place, message): an unknown service at its key,
/// an unknown target at its value.
pub fn target_problems(cfg: &crate::config::Config, tables: &Tables) -> Vec<(At, String)> {
    let mut out = Vec::new();
    for (svc, target) in &cfg.targets {
        let Some(s) = tables.services.get(svc) else {
            out.push((
                At::key(&["targets", svc]),
                format!(
                    "`targets.{svc}`: no such service in the mapping tables (known: {})",
                    tables.services.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
            continue;
        };
        if !s.targets.contains_key(target) {
            out.push((
                At::value(&["targets", svc]),
                format!(
                    "`targets.{svc}: {target}`: not a target of {svc} (choose one of: {})",
                    s.targets.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    for (pattern, target) in &cfg.resource_targets {
        let svc = pattern.split(':').nth(2).unwrap_or_default();
        let service = tables.services.get(svc);
        if !service.is_some_and(|s| s.targets.contains_key(target)) {
            // The pattern when it names no service, else the target.
            let keys = ["resource_targets", pattern.as_str()];
            out.push((
                if service.is_none() { At::key(&keys) } else { At::value(&keys) },
                format!("`resource_targets`: `{pattern}: {target}` does not name a service ARN pattern and one of its targets"),
            ));
        }
    }
    out.extend(config_name_problems(cfg, tables));
    let classes = &tables.k8s_resources.ingress.classes;
    if let Some(class) = cfg.ingress_class.as_deref().filter(|c| !classes.contains_key(*c)) {
        out.push((
            At::value(&["ingress_class"]),
            format!(
                "`ingress_class: {class}`: not an ingress class of k8s-resources.yaml (choose one of: {})",
                classes.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    out
}

/// The Azure names given in `azure:` that their scope kind's naming rule (`mappings/scopes.yaml` `naming`, applied
/// by [`naming::azure_name`], the rule the plan's own names follow) would change: such a name is not one Azure
/// accepts (`storage_account: Bad_Name!` was written into manifests as `https://Bad_Name!.blob…`; review of
/// 4ba9fce). Each is a config problem at its value.
pub fn config_name_problems(cfg: &crate::config::Config, tables: &Tables) -> Vec<(At, String)> {
    let mut out = Vec::new();
    for kind in &tables.scopes.kinds {
        for p in &kind.params {
            let Some(value) = cfg.azure.resource(&p.config_key) else { continue };
            let valid = naming::azure_name(&kind.naming, value);
            if &valid != value {
                out.push((
                    At::value(&["azure", &p.config_key]),
                    format!(
                        "`azure.{}: {}` is not a valid {} name ({}); the `{}` naming rule would make it `{valid}`",
                        p.config_key,
                        crate::text::escape(&crate::text::truncate(value)),
                        kind.kind,
                        p.description,
                        kind.naming
                    ),
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
