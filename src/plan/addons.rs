//! AWS add-ons that AKS replaces (`mappings/addons.yaml`): which ServiceAccounts and roles belong to one, so that
//! they get no Azure identity, credential, role assignment or resource; the plan's list of them (E2A070); and the
//! objects of their own APIs that AKS does differently (Karpenter's NodePool and EC2NodeClass, E2A072).
//!
//! Evidence comes in two kinds. A ServiceAccount is an add-on's by its `namespace/name`, the Helm label
//! `app.kubernetes.io/name` of its object or of a workload that runs as it, or the image of such a workload. A role
//! is an add-on's by its eksctl `wellKnownPolicies` or by a policy fingerprint of its Allow statements. A role is
//! replaced when it has evidence of its own, or when every ServiceAccount that assumes it is the same add-on's (a
//! role an application shares with an add-on keeps its identity). The add-on's manifests pass through unchanged:
//! the finding says to remove them from the AKS cluster's manifests; nothing is deleted.

use super::SaRef;
use crate::diag::{Loc, Sink};
use crate::graph::Joined;
use crate::mapping::Tables;
use crate::mapping::addons::Addon;
use crate::model::{Effect, Model};
use crate::rules;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One recognised add-on, as `plan` lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AddonEntry {
    /// The add-on's id in `addons.yaml`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The AKS feature that replaces it.
    pub replaced_by: String,
    /// The `az` command that turns the feature on.
    pub az: String,
    /// The feature's documentation.
    pub doc: String,
    /// Its ServiceAccounts (no federated credential is made for them).
    pub service_accounts: Vec<SaRef>,
    /// Its IAM roles (no managed identity is made for them).
    pub aws_role_arns: Vec<String>,
    /// Its workloads (`Kind namespace/name`), kept as they are.
    pub workloads: Vec<String>,
    /// Why it was recognised.
    pub matched_by: Vec<String>,
}

/// What [`recognise`] found.
#[derive(Debug, Default)]
pub(super) struct Recognised {
    /// The add-ons, in table order.
    pub entries: Vec<AddonEntry>,
    /// Replaced roles (indexes into `model.roles`): no identity.
    pub roles: BTreeSet<usize>,
    /// The objects of the add-ons (ServiceAccounts and workloads): no manifest edit.
    pub objects: BTreeSet<usize>,
    /// Where the replaced roles' eksctl well-known policies are listed.
    pub role_locs: BTreeSet<Loc>,
}

/// Evidence that something is add-on `.0`'s, for people (`.1`).
type Evidence = Vec<(usize, String)>;

/// What one add-on was found with: its ServiceAccounts, its roles (indexes) and the evidence.
type Found = (BTreeSet<usize>, BTreeSet<usize>, BTreeSet<String>);

/// Finds the add-ons of the input, pushes E2A070 for each and E2A072 for each object of an add-on's own API, and
/// leaves out of `joined.resources` what only the replaced roles name (their queues, parameters and keys become
/// nothing on Azure).
pub(super) fn recognise(model: &Model, joined: &mut Joined, tables: &Tables, sink: &mut Sink) -> Recognised {
    let addons = &tables.addons;
    let mut out = Recognised::default();
    objects_of_own_api(model, addons, sink);
    if addons.is_empty() {
        return out;
    }
    let sa_evidence = service_account_evidence(model, joined, addons);
    let mut sa_addon: BTreeMap<usize, usize> = BTreeMap::new();
    let mut found: BTreeMap<usize, Found> = BTreeMap::new();
    for (si, ev) in sa_evidence.iter().enumerate() {
        if let Some(&(ai, _)) = ev.iter().min_by_key(|(ai, _)| *ai) {
            sa_addon.insert(si, ai);
            let e = found.entry(ai).or_default();
            e.0.insert(si);
            e.2.extend(ev.iter().filter(|(a, _)| *a == ai).map(|(_, s)| s.clone()));
        }
    }
    // Each role's own evidence, on the pool (in role order).
    let assumed: Vec<usize> = (0..model.roles.len()).filter(|&ri| !joined.role_sas[ri].is_empty()).collect();
    let evidence: Vec<Evidence> = crate::par::install(|| {
        assumed.par_iter().with_min_len(64).map(|&ri| role_evidence(model, joined, ri, addons)).collect()
    });
    for (ri, own) in assumed.into_iter().zip(evidence) {
        let sas = &joined.role_sas[ri];
        let addon = own.iter().map(|(ai, _)| *ai).min().or_else(|| {
            let first = sa_addon.get(&sas[0]).copied()?;
            sas.iter().all(|si| sa_addon.get(si) == Some(&first)).then_some(first)
        });
        let Some(ai) = addon else { continue };
        out.roles.insert(ri);
        out.role_locs.extend(model.roles[ri].well_known.iter().map(|(_, l)| *l));
        out.role_locs.extend(model.roles[ri].attached.iter().map(|a| a.loc));
        let e = found.entry(ai).or_default();
        e.1.insert(ri);
        e.0.extend(sas.iter().copied());
        e.2.extend(own.into_iter().filter(|(a, _)| *a == ai).map(|(_, s)| s));
    }
    for (ai, (sas, roles, why)) in found {
        let entry = entry(model, joined, &addons[ai], &sas, &roles, why, &mut out.objects);
        report(model, &addons[ai], &entry, &sas, &roles, sink);
        out.entries.push(entry);
    }
    drop_resources_of(model, joined, &out.roles);
    out
}

/// The evidence for each ServiceAccount: its name, its object's Helm label, its workloads' labels and images.
/// Each ServiceAccount and each workload is matched on the pool; the evidence is gathered in input order.
fn service_account_evidence(model: &Model, joined: &Joined, addons: &[Addon]) -> Vec<Evidence> {
    let sa_objects: BTreeMap<Loc, usize> = model
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| &*o.kind == "ServiceAccount" && &*o.api_version == "v1")
        .map(|(i, o)| (o.loc, i))
        .collect();
    let (mut ev, by_workload): (Vec<Evidence>, Vec<Evidence>) = crate::par::install(|| {
        rayon::join(
            || {
                let sas = model.service_accounts.par_iter().with_min_len(64);
                sas.map(|sa| {
                    let mut ev = Vec::new();
                    for (ai, a) in addons.iter().enumerate() {
                        if a.matches_service_account(&sa.namespace, &sa.name) {
                            ev.push((ai, format!("service account {}/{}", sa.namespace, sa.name)));
                        }
                        let label = sa_objects.get(&sa.loc).and_then(|&oi| model.objects[oi].app_name.as_deref());
                        if let Some(l) = label.filter(|l| a.matches.helm_names.iter().any(|h| h == l)) {
                            ev.push((ai, format!("Helm label app.kubernetes.io/name={l}")));
                        }
                    }
                    ev
                })
                .collect()
            },
            || model.workloads.par_iter().with_min_len(64).map(|w| workload_evidence(model, w, addons)).collect(),
        )
    });
    for (wi, list) in by_workload.into_iter().enumerate() {
        ev[joined.workload_sa[wi]].extend(list);
    }
    ev
}

/// One workload's evidence for its ServiceAccount: its object's Helm label and its containers' images.
fn workload_evidence(model: &Model, w: &crate::model::Workload, addons: &[Addon]) -> Evidence {
    let mut ev = Vec::new();
    for (ai, a) in addons.iter().enumerate() {
        if let Some(l) =
            model.objects[w.object].app_name.as_deref().filter(|l| a.matches.helm_names.iter().any(|h| h == l))
        {
            ev.push((ai, format!("Helm label app.kubernetes.io/name={l}")));
        }
        for (image, _) in w.containers.iter().filter_map(|c| c.image.as_ref()) {
            if a.matches_image(image) {
                ev.push((ai, format!("image {}", crate::text::truncate(image))));
            }
        }
    }
    ev
}

/// A role's own evidence: its eksctl well-known policies and the policy fingerprints its Allow actions hold.
fn role_evidence(model: &Model, joined: &Joined, ri: usize, addons: &[Addon]) -> Evidence {
    let role = &model.roles[ri];
    let actions: BTreeSet<String> = joined.permissions[ri]
        .iter()
        .filter(|p| p.statement.effect == Effect::Allow && !p.statement.action.not)
        .flat_map(|p| p.statement.action.items.iter().map(|(a, _)| a.to_ascii_lowercase()))
        .collect();
    let mut ev = Vec::new();
    for (ai, a) in addons.iter().enumerate() {
        for (w, _) in role.well_known.iter().filter(|(w, _)| a.matches.well_known_policies.contains(w)) {
            ev.push((ai, format!("eksctl wellKnownPolicies {w}")));
        }
        if let Some(fp) = a.fingerprint_in(&actions) {
            ev.push((ai, format!("IAM policy fingerprint {}", fp.join(" + "))));
        }
    }
    ev
}

/// The plan's entry of one add-on; its ServiceAccounts' and workloads' objects go into `objects`.
fn entry(
    model: &Model,
    joined: &Joined,
    a: &Addon,
    sas: &BTreeSet<usize>,
    roles: &BTreeSet<usize>,
    why: BTreeSet<String>,
    objects: &mut BTreeSet<usize>,
) -> AddonEntry {
    let sa_locs: BTreeSet<Loc> = sas.iter().map(|&si| model.service_accounts[si].loc).collect();
    for (oi, o) in model.objects.iter().enumerate() {
        if &*o.kind == "ServiceAccount" && sa_locs.contains(&o.loc) {
            objects.insert(oi);
        }
    }
    let mut workloads = BTreeSet::new();
    for (_, w) in model.workloads.iter().enumerate().filter(|(wi, _)| sas.contains(&joined.workload_sa[*wi])) {
        objects.insert(w.object);
        workloads.insert(format!("{} {}/{}", w.kind, w.namespace, w.name));
    }
    let service_accounts: BTreeSet<SaRef> = sas
        .iter()
        .map(|&si| {
            let s = &model.service_accounts[si];
            SaRef { namespace: s.namespace.clone(), name: s.name.clone() }
        })
        .collect();
    AddonEntry {
        id: a.id.clone(),
        name: a.name.clone(),
        replaced_by: a.replaced_by.feature.clone(),
        az: a.replaced_by.az.clone(),
        doc: a.replaced_by.doc.clone(),
        service_accounts: service_accounts.into_iter().collect(),
        aws_role_arns: roles
            .iter()
            .map(|&ri| model.roles[ri].arn.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        workloads: workloads.into_iter().collect(),
        matched_by: why.into_iter().collect(),
    }
}

/// E2A070 for one add-on, at its first ServiceAccount (else its first role).
fn report(model: &Model, a: &Addon, e: &AddonEntry, sas: &BTreeSet<usize>, roles: &BTreeSet<usize>, sink: &mut Sink) {
    let loc = sas
        .iter()
        .map(|&si| model.service_accounts[si].loc)
        .min()
        .or_else(|| roles.iter().map(|&ri| model.roles[ri].loc).min());
    let mut what: Vec<String> = e.service_accounts.iter().map(|s| format!("{}/{}", s.namespace, s.name)).collect();
    what.extend(e.aws_role_arns.iter().map(|r| format!("role {r}")));
    sink.push(
        rules::ADDON_REPLACED,
        format!(
            "add-on `{}` ({}) is replaced by AKS feature {}: run `{}`; it gets no Azure identity, and its manifests are kept unchanged: remove them from the AKS cluster's manifests (recognised by {})",
            a.name,
            what.join(", "),
            a.replaced_by.feature,
            a.replaced_by.az,
            e.matched_by.join("; ")
        ),
        loc,
    )
    .with_help(a.replaced_by.doc.clone());
}

/// E2A072: every object of an add-on's own API (Karpenter's NodePool, EC2NodeClass, …), with its AKS equivalent.
fn objects_of_own_api(model: &Model, addons: &[Addon], sink: &mut Sink) {
    for o in &model.objects {
        for a in addons {
            if let Some(advice) = a.object_advice(&o.api_version, &o.kind) {
                sink.push(
                    rules::KARPENTER_NODE_CONFIG,
                    format!(
                        "{} `{}` {} ({}): AKS replaces it with {} (`{}`): {advice}; it is kept unchanged",
                        a.name, o.kind, o.name, o.api_version, a.replaced_by.feature, a.replaced_by.az
                    ),
                    Some(o.loc),
                )
                .with_help(a.replaced_by.doc.clone());
                break;
            }
        }
    }
}

/// Leaves out of `joined.resources` the ARNs only the replaced roles' statements name: no other role's statement,
/// no workload and no ConfigMap names them.
fn drop_resources_of(model: &Model, joined: &mut Joined, replaced: &BTreeSet<usize>) {
    if replaced.is_empty() {
        return;
    }
    let named = |ri: usize| -> Vec<std::sync::Arc<str>> {
        joined.permissions[ri]
            .iter()
            .filter_map(|p| p.statement.resource.as_ref().filter(|r| !r.not))
            .flat_map(|r| r.items.iter().map(|(a, _)| a.clone()))
            .collect()
    };
    let mut keep: BTreeSet<std::sync::Arc<str>> =
        (0..model.roles.len()).filter(|ri| !replaced.contains(ri)).flat_map(named).collect();
    keep.extend(model.aws_refs().filter_map(|r| r.arn.as_deref()).map(std::sync::Arc::from));
    let gone: Vec<std::sync::Arc<str>> =
        replaced.iter().flat_map(|&ri| named(ri)).filter(|a| !keep.contains(a)).collect();
    for a in gone {
        joined.resources.remove(&a);
    }
}

/// True when `loc` lies inside one of `objects` (from its start to its end).
pub(super) fn inside(model: &Model, objects: &BTreeSet<usize>, loc: Loc) -> bool {
    objects.iter().any(|&oi| {
        let o = &model.objects[oi];
        o.loc.file == loc.file && o.loc.pos <= loc.pos && loc.pos <= o.end.max(o.loc.pos)
    })
}

/// The findings an add-on's kept manifests would otherwise raise about a rewrite that does not happen (its ECR
/// images, SDK variables, AWS endpoints) or about its role (eksctl well-known policies): E2A070 covers them.
pub(super) fn drop_covered_findings(model: &Model, r: &Recognised, sink: &mut Sink) {
    if r.objects.is_empty() && r.role_locs.is_empty() {
        return;
    }
    let codes = [rules::ECR_IMAGE, rules::AWS_SDK_VARIABLE, rules::AWS_ENDPOINT_LEFT, rules::RESOURCE_NOT_GRANTED];
    sink.retain(|f| match f.loc {
        Some(l) if f.code == rules::WELL_KNOWN_POLICY || f.code == rules::MANAGED_POLICY_FROM_BUNDLE => {
            !r.role_locs.contains(&l)
        }
        Some(l) if codes.contains(&f.code) => !inside(model, &r.objects, l),
        _ => true,
    });
}
