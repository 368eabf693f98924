//! `eks2aks diff BASE HEAD`: the Azure side of a change, computed from two plans (`plan.json`, schema
//! `eks2aks/plan/v1`) and written as text, Markdown for a pull-request comment, or JSON.
//!
//! A change *widens access* (a privilege increase, listed first) when HEAD lets some identity do something on some
//! scope that BASE did not: a role assignment whose permissions are not all granted by BASE's assignments of the
//! same identity on the same or an enclosing scope (a new role, a wider scope, a custom role gaining data actions,
//! a dropped ABAC condition), a new federated credential (a new subject that can sign in as an identity), a custom
//! role gaining permissions, or a workload that now runs as another identity. A role's permissions are its data
//! actions, expanded against the bundled catalogue of data actions (so wildcards and `notDataActions` count), and
//! its control-plane actions as written.

use crate::mapping::Tables;
use crate::templates::{md_code, md_escape};
use crate::text::escape;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The first line of the Markdown diff (an HTML comment, invisible): the GitHub Action finds the comment to update
/// by it.
pub const COMMENT_MARKER: &str = "<!-- eks2aks diff -->";

/// GitHub's limit on the body of a pull-request comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What a change is about, in the order the outputs list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// A role assignment (identity, role, scope).
    RoleAssignment,
    /// A federated credential (identity, issuer, subject, audience).
    FederatedCredential,
    /// A custom role definition.
    CustomRole,
    /// A managed identity.
    Identity,
    /// Which identity a workload runs as.
    Workload,
    /// A target Azure resource.
    Resource,
    /// The edits of one manifest object.
    ManifestEdit,
}

impl Category {
    /// Every category, in output order.
    pub const ALL: [Category; 7] = [
        Category::RoleAssignment,
        Category::FederatedCredential,
        Category::CustomRole,
        Category::Identity,
        Category::Workload,
        Category::Resource,
        Category::ManifestEdit,
    ];

    /// The key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Category::RoleAssignment => "role_assignment",
            Category::FederatedCredential => "federated_credential",
            Category::CustomRole => "custom_role",
            Category::Identity => "identity",
            Category::Workload => "workload",
            Category::Resource => "resource",
            Category::ManifestEdit => "manifest_edit",
        }
    }

    /// The heading in text and Markdown.
    pub fn title(self) -> &'static str {
        match self {
            Category::RoleAssignment => "Role assignments",
            Category::FederatedCredential => "Federated credentials",
            Category::CustomRole => "Custom roles",
            Category::Identity => "Identities",
            Category::Workload => "Workloads",
            Category::Resource => "Resources",
            Category::ManifestEdit => "Manifest edits",
        }
    }
}

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// In HEAD only.
    Added,
    /// In BASE only.
    Removed,
    /// In both, different.
    Changed,
}

impl Kind {
    /// The word in every format.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
        }
    }
}

/// A piece of a subject line: fixed words, or a value from the input (escaped by each format).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    /// Fixed text.
    Lit(&'static str),
    /// A value from input.
    Val(String),
}

/// One line of detail under a change: a label and the values it lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Detail {
    /// What the values are (`new data actions`).
    pub label: &'static str,
    /// The values, sorted.
    pub values: Vec<String>,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What it is about.
    pub category: Category,
    /// Added, removed or changed.
    pub kind: Kind,
    /// Whether it widens access.
    pub escalation: bool,
    /// What changed, as a line.
    pub subject: Vec<Seg>,
    /// The details.
    pub details: Vec<Detail>,
}

impl Change {
    fn new(category: Category, kind: Kind, subject: Vec<Seg>) -> Self {
        Change { category, kind, escalation: false, subject, details: Vec::new() }
    }

    fn detail(mut self, label: &'static str, values: impl IntoIterator<Item = String>) -> Self {
        let mut values: Vec<String> = values.into_iter().collect();
        values.sort();
        values.dedup();
        if !values.is_empty() {
            self.details.push(Detail { label, values });
        }
        self
    }

    /// The subject as plain text (values unescaped; JSON escapes them).
    pub fn subject_text(&self) -> String {
        self.subject
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => *l,
                Seg::Val(v) => v.as_str(),
            })
            .collect()
    }

    fn sort_key(&self) -> (bool, Category, Kind, Vec<Seg>) {
        (!self.escalation, self.category, self.kind, self.subject.clone())
    }
}

/// The changes between two plans, privilege increases first, then by category, kind and subject.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Diff {
    /// How many changes widen access.
    pub fn escalations(&self) -> usize {
        self.changes.iter().filter(|c| c.escalation).count()
    }
}

/// Removes `root` (an input directory as given on the command line) from the front of every `file` of a plan's
/// workloads, manifest edits and findings, so that the same file in BASE and HEAD has the same name. `None`: the
/// directory all those files share (a `plan.json` given as a side does not say what its input was).
pub fn relativize(plan: &mut Value, root: Option<&str>) {
    let prefix = match root {
        Some(r) => {
            let r = r.trim_end_matches('/');
            if r.is_empty() || r == "." {
                return;
            }
            format!("{r}/")
        }
        None => common_dir(plan),
    };
    if prefix.is_empty() {
        return;
    }
    for list in FILE_LISTS {
        let Some(items) = plan.get_mut(list).and_then(Value::as_array_mut) else { continue };
        for item in items {
            if let Some(Value::String(f)) = item.get_mut("file")
                && let Some(rest) = f.strip_prefix(&prefix)
            {
                *f = rest.to_string();
            }
        }
    }
}

const FILE_LISTS: [&str; 3] = ["workloads", "manifest_edits", "findings"];

/// The longest directory prefix (ending in `/`) of every `file` in the plan's lists.
fn common_dir(plan: &Value) -> String {
    let mut files = FILE_LISTS.iter().flat_map(|l| arr(plan, l)).filter_map(|i| i.get("file").and_then(Value::as_str));
    let Some(first) = files.next() else { return String::new() };
    let mut prefix = first.rfind('/').map_or("", |i| &first[..=i]);
    for f in files {
        while !f.starts_with(prefix) {
            prefix = prefix[..prefix.len() - 1].rfind('/').map_or("", |i| &prefix[..=i]);
        }
    }
    prefix.to_string()
}

/// Compares two plans (`plan.json` values).
pub fn compute(base: &Value, head: &Value, tables: &Tables) -> Diff {
    let mut changes = Vec::new();
    assignments(base, head, tables, &mut changes);
    credentials(base, head, &mut changes);
    custom_roles(base, head, &mut changes);
    identities(base, head, &mut changes);
    workloads(base, head, &mut changes);
    resources(base, head, &mut changes);
    manifest_edits(base, head, &mut changes);
    changes.sort_by_cached_key(Change::sort_key);
    Diff { changes }
}

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn strings(v: &Value, key: &str) -> BTreeSet<String> {
    arr(v, key).iter().filter_map(Value::as_str).map(str::to_string).collect()
}

/// One role assignment with the permissions its role grants.
#[derive(Debug, Clone)]
struct Asg {
    identity: String,
    role: String,
    kind: String,
    name: String,
    aws_arn: String,
    condition: Option<String>,
    perms: BTreeSet<String>,
    aws_actions: BTreeSet<String>,
}

type AsgKey = (String, String, String, String);

impl Asg {
    fn key(&self) -> AsgKey {
        (self.identity.clone(), self.role.clone(), self.kind.clone(), self.name.clone())
    }

    fn subject(&self) -> Vec<Seg> {
        vec![
            Seg::Val(self.identity.clone()),
            Seg::Lit(" → "),
            Seg::Val(self.role.clone()),
            Seg::Lit(" on "),
            Seg::Val(self.kind.clone()),
            Seg::Lit(" "),
            Seg::Val(self.name.clone()),
        ]
    }
}

/// The permissions a role grants: its data actions (the catalogue's data actions it grants) and its control-plane
/// actions. A custom role's come from the plan, a built-in role's from the tables.
fn role_perms(tables: &Tables, plan: &Value, a: &Value) -> BTreeSet<String> {
    let id = s(a, "role_definition_id");
    let custom: Option<&Value> = (a.get("custom") == Some(&Value::Bool(true)))
        .then(|| arr(plan, "custom_roles").iter().find(|r| s(r, "role_definition_id") == id))
        .flatten();
    let mut perms = BTreeSet::new();
    match custom {
        Some(r) => {
            perms.extend(strings(r, "data_actions").into_iter().map(|d| format!("data:{d}")));
            perms.extend(strings(r, "actions"));
        }
        None => {
            let list: Option<Vec<String>> = None;
            for d in &tables.data_actions {
                if crate::mapping::azure::role_grants(tables, &id, list.as_deref(), d) {
                    perms.insert(format!("data:{d}"));
                }
            }
            if let Some(r) = tables.roles.iter().find(|r| *r.id == *id) {
                perms.extend(r.actions.iter().cloned());
            }
        }
    }
    perms
}

fn assignments_of(plan: &Value, tables: &Tables) -> BTreeMap<AsgKey, Asg> {
    let mut out = BTreeMap::new();
    for ident in arr(plan, "identities") {
        for a in arr(ident, "role_assignments") {
            let scope = a.get("scope").cloned().unwrap_or(Value::Null);
            let asg = Asg {
                identity: s(ident, "name"),
                role: s(a, "role_name"),
                kind: s(&scope, "kind"),
                name: s(&scope, "azure_name"),
                aws_arn: s(&scope, "aws_arn"),
                condition: a.get("condition").and_then(Value::as_str).map(str::to_string),
                perms: role_perms(tables, plan, a),
                aws_actions: strings(a, "aws_actions"),
            };
            out.insert(asg.key(), asg);
        }
    }
    out
}

/// Whether scope (`outer_kind`, `outer_name`) holds scope (`kind`, `name`): the same scope, or a kind it sits in
/// (`scopes.yaml` parents) named by a deployment parameter (the one storage account, key vault… of the deployment)
/// or the resource group.
fn encloses(tables: &Tables, outer: &Asg, inner: &Asg) -> bool {
    if outer.kind == inner.kind {
        return outer.name == inner.name;
    }
    let singleton = outer.name.starts_with("param:") || outer.kind == "resource_group";
    let mut k = tables.scopes.get(&inner.kind).and_then(|k| k.parent.clone());
    let mut steps = 0;
    while let Some(p) = k {
        if p == outer.kind {
            return singleton;
        }
        steps += 1;
        if steps > 16 {
            break;
        }
        k = tables.scopes.get(&p).and_then(|k| k.parent.clone());
    }
    false
}

/// The top-level terms of an Azure condition: `A AND B AND …` split outside parentheses and quoted literals.
fn conjuncts(c: &str) -> BTreeSet<&str> {
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut out = BTreeSet::new();
    let b = c.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b' ' if !quoted && depth == 0 && c[i..].starts_with(" AND ") => {
                out.insert(c[start..i].trim());
                start = i + 5;
                i += 4;
            }
            _ => {}
        }
        i += 1;
    }
    out.insert(c[start..].trim());
    out
}

/// Whether condition `narrow` allows no more than `wide`: `wide` has none, they are equal, or every term of `wide`
/// is one of `narrow`'s (a conjunction with more terms allows less). Otherwise unknown, taken as wider.
fn no_wider(narrow: Option<&str>, wide: Option<&str>) -> bool {
    match (narrow, wide) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(n), Some(w)) => n == w || conjuncts(w).is_subset(&conjuncts(n)),
    }
}

/// What `a` (a HEAD assignment) grants that no BASE assignment of its identity grants on its scope: the permissions
/// new on the scope, and the data permissions granted before under a condition `a`'s may exceed. A condition only
/// restricts the data actions its `ActionMatches` name, so a control-plane action granted on the scope before is
/// never new, whatever the conditions.
fn new_perms(tables: &Tables, base: &BTreeMap<AsgKey, Asg>, a: &Asg) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut left = a.perms.clone();
    let mut loosened = BTreeSet::new();
    for b in base.values().filter(|b| b.identity == a.identity && encloses(tables, b, a)) {
        let covered = no_wider(a.condition.as_deref(), b.condition.as_deref());
        left.retain(|p| {
            if !b.perms.contains(p) {
                return true;
            }
            if !covered && p.starts_with("data:") {
                loosened.insert(p.clone());
                return true;
            }
            false
        });
    }
    loosened.retain(|p| left.contains(p));
    left.retain(|p| !loosened.contains(p));
    (left, loosened)
}

fn perm_details(c: Change, perms: &BTreeSet<String>, label_data: &'static str, label_cp: &'static str) -> Change {
    let data = perms.iter().filter_map(|p| p.strip_prefix("data:")).map(str::to_string);
    let cp = perms.iter().filter(|p| !p.starts_with("data:")).cloned();
    let c = c.detail(label_data, data.collect::<Vec<_>>());
    c.detail(label_cp, cp.collect::<Vec<_>>())
}

fn assignments(base: &Value, head: &Value, tables: &Tables, out: &mut Vec<Change>) {
    let b = assignments_of(base, tables);
    let h = assignments_of(head, tables);
    for (k, a) in &h {
        let old = b.get(k);
        if old.is_some_and(|o| o.perms == a.perms && o.condition == a.condition && o.aws_actions == a.aws_actions) {
            continue;
        }
        let kind = if old.is_some() { Kind::Changed } else { Kind::Added };
        let (widened, loosened) = new_perms(tables, &b, a);
        let mut c = Change::new(Category::RoleAssignment, kind, a.subject());
        c.escalation = !widened.is_empty() || !loosened.is_empty();
        c = perm_details(c, &widened, "new data actions on this scope", "new actions on this scope");
        c = c.detail(
            "data actions on more of this scope (its condition allows more)",
            loosened.iter().filter_map(|p| p.strip_prefix("data:")).map(str::to_string).collect::<Vec<_>>(),
        );
        if let Some(o) = old {
            if o.condition != a.condition {
                let word = if a.condition.is_none() { "condition removed" } else { "condition changed" };
                c = c.detail(word, a.condition.clone());
            }
            c = c.detail("AWS actions added", a.aws_actions.difference(&o.aws_actions).cloned());
            c = c.detail("AWS actions removed", o.aws_actions.difference(&a.aws_actions).cloned());
        } else {
            c = c.detail("AWS actions", a.aws_actions.iter().cloned());
            c = c.detail("AWS resource", (!a.aws_arn.is_empty()).then(|| a.aws_arn.clone()));
        }
        if !c.escalation {
            c = c.detail("no new access", ["granted by BASE on this scope or one that holds it".to_string()]);
        }
        out.push(c);
    }
    for (k, a) in &b {
        if !h.contains_key(k) {
            let c = Change::new(Category::RoleAssignment, Kind::Removed, a.subject());
            out.push(c.detail("AWS actions", a.aws_actions.iter().cloned()));
        }
    }
}

type CredKey = (String, String, String, String);

fn credentials_of(plan: &Value) -> BTreeMap<CredKey, String> {
    let mut out = BTreeMap::new();
    for ident in arr(plan, "identities") {
        for c in arr(ident, "federated_credentials") {
            let key = (s(ident, "name"), s(c, "subject"), s(c, "issuer"), s(c, "audience"));
            out.insert(key, s(c, "name"));
        }
    }
    out
}

fn credentials(base: &Value, head: &Value, out: &mut Vec<Change>) {
    let b = credentials_of(base);
    let h = credentials_of(head);
    let subject =
        |(ident, sub, _, _): &CredKey| vec![Seg::Val(sub.clone()), Seg::Lit(" signs in as "), Seg::Val(ident.clone())];
    for (k, name) in &h {
        if !b.contains_key(k) {
            let mut c = Change::new(Category::FederatedCredential, Kind::Added, subject(k));
            c.escalation = true;
            c = c
                .detail("credential", [name.clone()])
                .detail("issuer", [k.2.clone()])
                .detail("audience", [k.3.clone()]);
            out.push(c);
        }
    }
    for (k, name) in &b {
        if !h.contains_key(k) {
            let c = Change::new(Category::FederatedCredential, Kind::Removed, subject(k));
            out.push(c.detail("credential", [name.clone()]).detail("issuer", [k.2.clone()]));
        }
    }
}

fn named<'a>(plan: &'a Value, list: &str, key: &str) -> BTreeMap<String, &'a Value> {
    arr(plan, list).iter().map(|v| (s(v, key), v)).collect()
}

fn custom_roles(base: &Value, head: &Value, out: &mut Vec<Change>) {
    let perms = |r: &Value| {
        let mut p: BTreeSet<String> = strings(r, "data_actions");
        p.extend(strings(r, "actions"));
        p
    };
    let b = named(base, "custom_roles", "name");
    let h = named(head, "custom_roles", "name");
    for (name, r) in &h {
        let subject = vec![Seg::Val(name.clone())];
        match b.get(name) {
            None => out.push(Change::new(Category::CustomRole, Kind::Added, subject).detail("grants", perms(r))),
            Some(o) if perms(o) != perms(r) => {
                let gained: Vec<String> = perms(r).difference(&perms(o)).cloned().collect();
                let lost: Vec<String> = perms(o).difference(&perms(r)).cloned().collect();
                let mut c = Change::new(Category::CustomRole, Kind::Changed, subject);
                c.escalation = !gained.is_empty();
                out.push(c.detail("gains", gained).detail("loses", lost));
            }
            Some(_) => {}
        }
    }
    for (name, r) in &b {
        if !h.contains_key(name) {
            out.push(
                Change::new(Category::CustomRole, Kind::Removed, vec![Seg::Val(name.clone())])
                    .detail("granted", perms(r)),
            );
        }
    }
}

fn identities(base: &Value, head: &Value, out: &mut Vec<Change>) {
    let b = named(base, "identities", "name");
    let h = named(head, "identities", "name");
    for (name, i) in &h {
        let subject = vec![Seg::Val(name.clone())];
        match b.get(name) {
            None => out
                .push(Change::new(Category::Identity, Kind::Added, subject).detail("AWS role", [s(i, "aws_role_arn")])),
            Some(o) if s(o, "aws_role_arn") != s(i, "aws_role_arn") => {
                let c = Change::new(Category::Identity, Kind::Changed, subject);
                out.push(
                    c.detail("AWS role was", [s(o, "aws_role_arn")]).detail("AWS role now", [s(i, "aws_role_arn")]),
                );
            }
            Some(_) => {}
        }
    }
    for (name, i) in &b {
        if !h.contains_key(name) {
            let c = Change::new(Category::Identity, Kind::Removed, vec![Seg::Val(name.clone())]);
            out.push(c.detail("AWS role", [s(i, "aws_role_arn")]));
        }
    }
}

fn workloads_of(plan: &Value) -> BTreeMap<(String, String, String), String> {
    arr(plan, "workloads").iter().map(|w| ((s(w, "namespace"), s(w, "kind"), s(w, "name")), s(w, "identity"))).collect()
}

fn workloads(base: &Value, head: &Value, out: &mut Vec<Change>) {
    let b = workloads_of(base);
    let h = workloads_of(head);
    let subject = |(ns, kind, name): &(String, String, String)| {
        vec![Seg::Val(kind.clone()), Seg::Lit(" "), Seg::Val(format!("{ns}/{name}"))]
    };
    let ident = |i: &String| if i.is_empty() { "(none)".to_string() } else { i.clone() };
    for (k, i) in &h {
        match b.get(k) {
            None => out.push(Change::new(Category::Workload, Kind::Added, subject(k)).detail("runs as", [ident(i)])),
            Some(o) if o != i => {
                let mut c = Change::new(Category::Workload, Kind::Changed, subject(k));
                c.escalation = !i.is_empty();
                out.push(c.detail("ran as", [ident(o)]).detail("now runs as", [ident(i)]));
            }
            Some(_) => {}
        }
    }
    for (k, i) in &b {
        if !h.contains_key(k) {
            out.push(Change::new(Category::Workload, Kind::Removed, subject(k)).detail("ran as", [ident(i)]));
        }
    }
}

fn resources(base: &Value, head: &Value, out: &mut Vec<Change>) {
    let b = named(base, "resources", "aws_arn");
    let h = named(head, "resources", "aws_arn");
    let azure = |r: &Value| format!("{} {} ({})", s(r, "azure_type"), s(r, "azure_name"), s(r, "azure_service"));
    for (arn, r) in &h {
        let subject = vec![Seg::Val(arn.clone())];
        match b.get(arn) {
            None => out.push(Change::new(Category::Resource, Kind::Added, subject).detail("Azure", [azure(r)])),
            Some(o) if azure(o) != azure(r) => {
                let c = Change::new(Category::Resource, Kind::Changed, subject);
                out.push(c.detail("was", [azure(o)]).detail("now", [azure(r)]));
            }
            Some(_) => {}
        }
    }
    for (arn, r) in &b {
        if !h.contains_key(arn) {
            out.push(
                Change::new(Category::Resource, Kind::Removed, vec![Seg::Val(arn.clone())]).detail("Azure", [azure(r)]),
            );
        }
    }
}

/// A value without its `line` keys: the same edit at another line is the same edit.
fn without_lines(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().filter(|(k, _)| *k != "line").map(|(k, v)| (k.clone(), without_lines(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(without_lines).collect()),
        other => other.clone(),
    }
}

fn edits_of(plan: &Value) -> BTreeMap<(String, String, String), Value> {
    let mut out = BTreeMap::new();
    for f in arr(plan, "manifest_edits") {
        for o in arr(f, "objects") {
            let key = (s(f, "file"), s(o, "kind"), s(o, "name"));
            out.insert(key, without_lines(o.get("edits").unwrap_or(&Value::Null)));
        }
    }
    out
}

fn ops(v: &Value) -> Vec<String> {
    v.as_array().map_or(&[][..], Vec::as_slice).iter().map(|e| s(e, "op")).collect()
}

fn manifest_edits(base: &Value, head: &Value, out: &mut Vec<Change>) {
    let b = edits_of(base);
    let h = edits_of(head);
    let subject = |(file, kind, name): &(String, String, String)| {
        vec![Seg::Val(file.clone()), Seg::Lit(": "), Seg::Val(kind.clone()), Seg::Lit(" "), Seg::Val(name.clone())]
    };
    for (k, e) in &h {
        match b.get(k) {
            None => out.push(Change::new(Category::ManifestEdit, Kind::Added, subject(k)).detail("edits", ops(e))),
            Some(o) if o != e => {
                let c = Change::new(Category::ManifestEdit, Kind::Changed, subject(k));
                out.push(c.detail("edits were", ops(o)).detail("edits now", ops(e)));
            }
            Some(_) => {}
        }
    }
    for (k, e) in &b {
        if !h.contains_key(k) {
            out.push(Change::new(Category::ManifestEdit, Kind::Removed, subject(k)).detail("edits", ops(e)));
        }
    }
}

fn sign(c: &Change) -> &'static str {
    match c.kind {
        Kind::Added => "+",
        Kind::Removed => "-",
        Kind::Changed => "~",
    }
}

/// The diff as text for a terminal or a log.
pub fn text(d: &Diff) -> String {
    let mut out = String::new();
    let n = d.escalations();
    let _ = writeln!(
        out,
        "eks2aks diff: {} change{}, {n} privilege increase{}",
        d.changes.len(),
        if d.changes.len() == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" }
    );
    for c in &d.changes {
        let mark = if c.escalation { "!" } else { " " };
        let subject: String = c
            .subject
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => (*l).to_string(),
                Seg::Val(v) => escape(v).into_owned(),
            })
            .collect();
        let _ = writeln!(out, "{mark} {} {} {}: {subject}", sign(c), c.kind.word(), singular(c.category));
        for det in &c.details {
            let vals: Vec<String> = det.values.iter().map(|v| escape(v).into_owned()).collect();
            let _ = writeln!(out, "      {}: {}", det.label, vals.join(", "));
        }
    }
    out
}

fn singular(c: Category) -> &'static str {
    match c {
        Category::RoleAssignment => "role assignment",
        Category::FederatedCredential => "federated credential",
        Category::CustomRole => "custom role",
        Category::Identity => "identity",
        Category::Workload => "workload",
        Category::Resource => "resource",
        Category::ManifestEdit => "manifest edit",
    }
}

/// The diff as JSON (schema `eks2aks/diff/v1`).
pub fn json(d: &Diff) -> Value {
    let changes: Vec<Value> = d
        .changes
        .iter()
        .map(|c| {
            let details: Vec<Value> = c.details.iter().map(|x| json!({"label": x.label, "values": x.values})).collect();
            json!({
                "category": c.category.key(),
                "change": c.kind.word(),
                "escalation": c.escalation,
                "subject": c.subject_text(),
                "details": details,
            })
        })
        .collect();
    json!({"schema": "eks2aks/diff/v1", "escalations": d.escalations(), "changes": changes})
}

fn md_line(c: &Change) -> String {
    let subject: String = c
        .subject
        .iter()
        .map(|s| match s {
            Seg::Lit(l) => md_escape(l),
            Seg::Val(v) => md_code(v),
        })
        .collect();
    let mark = if c.escalation { "⚠️ " } else { "" };
    let mut line = format!("- {mark}**{} {}** {subject}", c.kind.word(), singular(c.category));
    for det in &c.details {
        let vals: Vec<String> = det.values.iter().map(|v| md_code(v)).collect();
        let _ = write!(line, "<br>{}: {}", det.label, vals.join(", "));
    }
    line.push('\n');
    line
}

fn md_summary(d: &Diff) -> String {
    let mut out = format!("{COMMENT_MARKER}\n## eks2aks: what this change does on Azure\n\n");
    let n = d.escalations();
    if n > 0 {
        let _ = writeln!(out, "**⚠️ {n} privilege increase{}** (listed first).\n", if n == 1 { "" } else { "s" });
    } else if d.changes.is_empty() {
        out.push_str("No change on the Azure side.\n\n");
        return out;
    } else {
        out.push_str("No privilege increase.\n\n");
    }
    out.push_str("| | added | removed | changed | privilege increases |\n|---|---:|---:|---:|---:|\n");
    for cat in Category::ALL {
        let of: Vec<&Change> = d.changes.iter().filter(|c| c.category == cat).collect();
        if of.is_empty() {
            continue;
        }
        let count = |k: Kind| of.iter().filter(|c| c.kind == k).count();
        let esc = of.iter().filter(|c| c.escalation).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {esc} |",
            cat.title(),
            count(Kind::Added),
            count(Kind::Removed),
            count(Kind::Changed)
        );
    }
    out.push('\n');
    out
}

/// The diff as Markdown for a pull-request comment: a summary table, the privilege increases, then one collapsed
/// section per category. `extra` (a Mermaid graph) follows the summary when it fits. The whole stays under
/// `limit` bytes (GitHub counts characters; a byte count is never smaller): entries that do not fit are left out
/// and counted in a closing note.
pub fn markdown(d: &Diff, extra: &str, limit: usize) -> String {
    const NOTE_ROOM: usize = 400;
    let budget = limit.saturating_sub(NOTE_ROOM);
    let mut out = md_summary(d);
    let mut cut = 0usize;
    let esc: Vec<&Change> = d.changes.iter().filter(|c| c.escalation).collect();
    if !esc.is_empty() {
        out.push_str("### Privilege increases\n\n");
        for c in &esc {
            push_capped(&mut out, &md_line(c), budget, &mut cut);
        }
        out.push('\n');
    }
    if !extra.is_empty() && out.len() + extra.len() < budget {
        out.push_str(extra);
        out.push('\n');
    }
    for cat in Category::ALL {
        let of: Vec<&Change> = d.changes.iter().filter(|c| c.category == cat).collect();
        if of.is_empty() {
            continue;
        }
        let open = format!("<details><summary>{} ({})</summary>\n\n", cat.title(), of.len());
        let close = "\n</details>\n\n";
        if out.len() + open.len() + close.len() > budget {
            cut += of.len();
            continue;
        }
        out.push_str(&open);
        let room = budget - close.len();
        for c in of {
            push_capped(&mut out, &md_line(c), room, &mut cut);
        }
        out.push_str(close);
    }
    if cut > 0 {
        let _ = writeln!(
            out,
            "_{cut} entr{} left out to keep this comment under GitHub's {limit}-character limit; `eks2aks diff --format json` lists every change._",
            if cut == 1 { "y" } else { "ies" }
        );
    }
    out
}

fn push_capped(out: &mut String, line: &str, budget: usize, cut: &mut usize) {
    if out.len() + line.len() <= budget {
        out.push_str(line);
    } else {
        *cut += 1;
    }
}

/// How many edges the Mermaid graph draws at most; the rest are counted in a line below it.
pub const MERMAID_EDGES: usize = 60;

/// Text from input as the inside of a quoted Mermaid label: `#` and the characters that end or reinterpret a label
/// (`"`, `<`, `>`, `&`, `|`, backtick, brackets) become Mermaid entity codes, control characters visible escapes.
pub fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::escape(s).chars() {
        match c {
            '#' | '"' | '<' | '>' | '&' | '|' | '`' | '[' | ']' | '{' | '}' | '(' | ')' | ';' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An edge of the picture: ServiceAccount → identity (`role` empty), or identity → scope labelled with the role.
pub type Edge = (String, String, String);

fn edges_of(plan: &Value) -> BTreeSet<Edge> {
    let mut out = BTreeSet::new();
    for ident in arr(plan, "identities") {
        let id = format!("identity {}", s(ident, "name"));
        for sa in arr(ident, "service_accounts") {
            out.insert((format!("ServiceAccount {}/{}", s(sa, "namespace"), s(sa, "name")), id.clone(), String::new()));
        }
        for a in arr(ident, "role_assignments") {
            let scope = a.get("scope").cloned().unwrap_or(Value::Null);
            let to = format!("{} {}", s(&scope, "kind"), s(&scope, "azure_name"));
            out.insert((id.clone(), to, s(a, "role_name")));
        }
    }
    out
}

/// A Mermaid graph (in a fenced block) of ServiceAccount → identity → role → scope over both plans: edges only in
/// HEAD are thick and marked `+`, edges only in BASE dotted and marked `−`. Changed edges are drawn first; at most
/// `max_edges` are drawn and a line counts the rest. Empty when neither plan has an identity. Pass the same plan
/// twice for a plan's own picture.
pub fn mermaid(base: &Value, head: &Value, max_edges: usize) -> String {
    mermaid_of_edges(&edges_of(base), &edges_of(head), max_edges)
}

/// [`mermaid`] over edges already gathered (a plan's own picture gathers them from the plan's types).
pub fn mermaid_of_edges(b: &BTreeSet<Edge>, h: &BTreeSet<Edge>, max_edges: usize) -> String {
    if b.is_empty() && h.is_empty() {
        return String::new();
    }
    // 0: added, 1: removed, 2: in both.
    let mut all: Vec<(u8, &Edge)> = h.difference(b).map(|e| (0, e)).collect();
    all.extend(b.difference(h).map(|e| (1, e)));
    all.extend(h.intersection(b).map(|e| (2, e)));
    let shown = &all[..all.len().min(max_edges)];
    let mut nodes: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, (from, to, _)) in shown {
        for n in [from.as_str(), to.as_str()] {
            let next = nodes.len();
            nodes.entry(n).or_insert(next);
        }
    }
    let mut out = String::from("```mermaid\nflowchart LR\n");
    let mut ordered: Vec<(&str, usize)> = nodes.iter().map(|(k, v)| (*k, *v)).collect();
    ordered.sort_by_key(|(_, v)| *v);
    for (label, id) in &ordered {
        let _ = writeln!(out, "  n{id}[\"{}\"]", mermaid_escape(label));
    }
    for (state, (from, to, role)) in shown {
        let (arrow, mark) = match state {
            0 => ("==>", "+ "),
            1 => ("-.->", "− "),
            _ => ("-->", ""),
        };
        let label = if role.is_empty() && mark.is_empty() {
            String::new()
        } else {
            format!("|\"{}{}\"|", mark, mermaid_escape(role))
        };
        let _ = writeln!(out, "  n{} {arrow}{label} n{}", nodes[from.as_str()], nodes[to.as_str()]);
    }
    out.push_str("```\n");
    if all.len() > shown.len() {
        let _ = writeln!(
            out,
            "\n_{} more edge(s) not drawn ({} in all); `eks2aks graph` draws the whole join._",
            all.len() - shown.len(),
            all.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_compare_by_their_top_level_terms_outside_parentheses_and_literals() {
        let a = "((x AND y) OR (z)) AND (@R[p] StringLike 'a AND (b') AND (w)";
        let terms: Vec<&str> = conjuncts(a).into_iter().collect();
        assert_eq!(terms, ["((x AND y) OR (z))", "(@R[p] StringLike 'a AND (b')", "(w)"]);
        // More terms allow less; a lost or changed term may allow more.
        assert!(no_wider(Some(a), Some("(w) AND ((x AND y) OR (z))")));
        assert!(!no_wider(Some("(w)"), Some(a)));
        assert!(!no_wider(Some("(v)"), Some("(w)")));
        assert!(no_wider(Some("(v)"), None) && no_wider(None, None) && !no_wider(None, Some("(w)")));
    }

    fn many(n: usize) -> Diff {
        let changes = (0..n)
            .map(|i| {
                let mut c = Change::new(
                    Category::Resource,
                    Kind::Added,
                    vec![Seg::Val(format!("arn:aws:sqs:us-east-1:111122223333:q{i:05}"))],
                );
                c.escalation = i % 7 == 0;
                c.detail("Azure", [format!("Microsoft.Storage/storageAccounts/queueServices/queues q{i:05}")])
            })
            .collect();
        Diff { changes }
    }

    #[test]
    fn markdown_stays_under_githubs_limit_and_says_what_it_cut() {
        let small = markdown(&many(3), "", GITHUB_COMMENT_LIMIT);
        assert!(!small.contains("left out"), "{small}");
        let big = markdown(&many(5000), "", GITHUB_COMMENT_LIMIT);
        assert!(big.chars().count() <= GITHUB_COMMENT_LIMIT, "{}", big.len());
        assert!(
            big.contains("left out to keep this comment under GitHub's 65536-character limit"),
            "{}",
            &big[big.len() - 300..]
        );
        // The summary counts everything, cut or not.
        assert!(big.contains("| Resources | 5000 | 0 | 0 | 715 |"), "{}", &big[..600]);
        // Every `<details>` that opens closes.
        assert_eq!(big.matches("<details>").count(), big.matches("</details>").count());
    }

    #[test]
    fn hostile_names_cannot_break_out_of_a_mermaid_label() {
        let e = mermaid_escape("x\"]\n  click n0 \"javascript:alert(1)\" ;[<b>`|");
        for bad in ['"', ']', '[', '\n', '<', '>', '`', '|', '('] {
            assert!(!e.contains(bad), "{bad:?} in {e}");
        }
        let plan = json!({"identities": [{"name": "a\"]-->b", "service_accounts": [{"namespace": "n", "name": "s]"}],
                          "role_assignments": []}]});
        let m = mermaid(&plan, &plan, MERMAID_EDGES);
        assert!(
            m.contains("n0[\"identity a#34;#93;--#62;b\"]") || m.contains("[\"identity a#34;#93;--#62;b\"]"),
            "{m}"
        );
        assert_eq!(m.lines().filter(|l| l.contains("-->")).count(), 1, "{m}");
    }

    #[test]
    fn the_mermaid_graph_is_bounded_and_counts_the_rest() {
        let sas: Vec<Value> = (0..100).map(|i| json!({"namespace": "ns", "name": format!("sa{i:03}")})).collect();
        let plan = json!({"identities": [{"name": "id", "service_accounts": sas, "role_assignments": []}]});
        let m = mermaid(&json!({}), &plan, 60);
        assert_eq!(m.lines().filter(|l| l.contains("==>")).count(), 60, "{m}");
        assert!(m.contains("40 more edge(s) not drawn (100 in all)"), "{m}");
    }
}
