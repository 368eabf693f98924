//! Objects that share text through a YAML merge key across objects (`<<: *anchor` where the anchor is written in
//! another object) are kept as they are (E2A107): ingest reads the merged keys as Kubernetes does
//! (`yaml::merge`), but an edit of the anchored text would change every object that merges it, and an edit of a
//! merged key cannot be made in one object only. Found by review of 4ba9fce (the rewrite's own check failed).

use super::edits::Decided;
use crate::diag::{FileId, Loc, Pos, Sink};
use crate::model::Model;
use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

/// The objects that share one object's anchored text (or text outside any object): where the first merged key
/// is, and the objects, by index.
#[derive(Default)]
struct Shared {
    at: Option<Pos>,
    objects: BTreeSet<usize>,
}

/// The groups of objects sharing text, by (file, the object whose text is merged; `None`: no object's).
fn groups(model: &Model) -> BTreeMap<(FileId, Option<usize>), Shared> {
    let mut out: BTreeMap<(FileId, Option<usize>), Shared> = BTreeMap::new();
    for (oi, o) in model.objects.iter().enumerate() {
        for &p in &o.merged_from {
            let file = o.loc.file;
            let owner = model.objects.iter().position(|y| y.loc.file == file && y.loc.pos <= p && p <= y.end);
            let g = out.entry((file, owner)).or_default();
            g.at = Some(g.at.map_or(p, |a| a.min(p)));
            g.objects.insert(oi);
            g.objects.extend(owner);
        }
    }
    out
}

/// `Kind namespace/name` of an object.
fn describe(o: &crate::model::K8sObject) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

/// Drops the edits of every object that shares merged text with an object the plan edits, with E2A107 at the
/// anchor's first merged key naming them.
pub fn keep(model: &Model, decided: &mut Decided, sink: &mut Sink) {
    if model.objects.iter().all(|o| o.merged_from.is_empty()) {
        return;
    }
    let key = |oi: usize| (model.objects[oi].loc.file, model.objects[oi].loc.pos);
    let edited: BTreeMap<(FileId, Pos), usize> = decided
        .manifest
        .iter()
        .chain(&decided.eks_side)
        .flat_map(|f| f.objects.iter().map(move |o| ((f.file_id, o.pos), o.edits.len())))
        .collect();
    let mut kept: BTreeSet<(FileId, Pos)> = BTreeSet::new();
    for ((file, _), g) in groups(model) {
        let edits: usize = g.objects.iter().filter_map(|&oi| edited.get(&key(oi))).sum();
        if edits == 0 {
            continue;
        }
        let names: Vec<String> = g.objects.iter().map(|&oi| describe(&model.objects[oi])).collect();
        sink.push(
            rules::MERGED_ANCHOR_NOT_REWRITTEN,
            format!(
                "{} share the mapping anchored here through a merge key (`<<`): an edit of it would change all of them, so none of them is rewritten ({edits} planned edit(s) not made); write the merged keys out in each object and translate again",
                names.join(", ")
            ),
            g.at.map(|pos| Loc { file, pos }),
        );
        kept.extend(g.objects.iter().map(|&oi| key(oi)));
    }
    for list in [&mut decided.manifest, &mut decided.eks_side] {
        for f in list.iter_mut() {
            f.objects.retain(|o| !kept.contains(&(f.file_id, o.pos)));
        }
        list.retain(|f| !f.objects.is_empty());
    }
}
