//! From one IAM role's permission statements to Azure needs per scope: expand action wildcards against the action
//! catalogue, resolve each resource (a concrete ARN; or a wildcard / `*` narrowed to what the role's workloads
//! actually name in env, ConfigMaps and KEDA triggers), subtract explicit Denies, pick the target per service and
//! resource, and map each action to the Azure data and control-plane actions it needs there. Everything that does
//! not carry over becomes a finding at the statement that caused it.

use super::choose::Perm;
use super::load::{Service, Tables};
use super::naming;
use crate::diag::{Loc, Sink};
use crate::glob::{action_matches, glob_match};
use crate::graph::Permission;
use crate::model::{Arn, Effect, Statement};
use crate::rules;
use std::collections::{BTreeMap, BTreeSet};

/// Target choice from the config: per service (`targets`) and per resource ARN pattern (`resource_targets`).
#[derive(Debug, Clone, Default)]
pub struct TargetChoice {
    /// IAM prefix → target key.
    pub by_service: BTreeMap<String, String>,
    /// ARN pattern → target key (first match in pattern order wins).
    pub by_resource: Vec<(String, String)>,
    /// ARN patterns of resources that stay on AWS (not mapped).
    pub stay_on_aws: Vec<String>,
}

impl TargetChoice {
    /// The target key for a resource of a service.
    pub fn target<'a>(&'a self, service: &'a Service, prefix: &str, arn: &str) -> &'a str {
        self.by_resource
            .iter()
            .find(|(p, t)| glob_match(p, arn, false) && service.targets.contains_key(t))
            .map(|(_, t)| t.as_str())
            .or_else(|| self.by_service.get(prefix).map(String::as_str).filter(|t| service.targets.contains_key(*t)))
            .unwrap_or(&service.default_target)
    }

    /// True when the resource stays on AWS.
    pub fn stays(&self, arn: &str) -> bool {
        self.stay_on_aws.iter().any(|p| glob_match(p, arn, false))
    }
}

/// Where an assignment goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScopeKey {
    /// IAM prefix.
    pub service: String,
    /// Target key.
    pub target: String,
    /// Scope kind (`queue`, `storage_account`, …).
    pub kind: std::sync::Arc<str>,
    /// Azure name of the scope (or `param:…` for a parent chosen at deployment).
    pub azure_name: String,
    /// The AWS resource it stands for (`*` when widened).
    pub aws_arn: String,
    /// ABAC condition (blob path), if any.
    pub condition: Option<BlobPathCondition>,
}

pub use super::azure::{BlobPathCondition, Clause, Listing, PrefixTest};

/// What an identity needs on one scope.
#[derive(Debug, Clone, Default)]
pub struct ScopeNeed {
    /// Needed permissions → the AWS actions that need them.
    pub perms: BTreeMap<Perm, BTreeSet<String>>,
}

/// The broad scope a target widens to when a policy names no concrete resource.
fn broad_scope(azure_type: &str) -> (&'static str, &'static str) {
    let t = azure_type.to_ascii_lowercase();
    if t.starts_with("microsoft.storage/") {
        ("storage_account", "param:storageAccountName")
    } else if t.starts_with("microsoft.keyvault/") {
        ("key_vault", "param:keyVaultName")
    } else if t.starts_with("microsoft.servicebus/") {
        ("service_bus_namespace", "param:serviceBusNamespaceName")
    } else if t.starts_with("microsoft.eventhub/") {
        ("event_hub_namespace", "param:eventHubsNamespaceName")
    } else if t.starts_with("microsoft.documentdb/") {
        ("cosmos_account", "param:cosmosAccountName")
    } else if t.starts_with("microsoft.appconfiguration/") {
        ("app_configuration", "param:appConfigurationName")
    } else if t.starts_with("microsoft.containerregistry/") {
        ("container_registry", "param:containerRegistryName")
    } else {
        ("resource_group", "resourceGroup")
    }
}

/// True for a resource kind that is an entry point to another resource, not one itself (an S3 access point): it
/// names no bucket, so no Azure resource or scope is derived from it (issue 18: it became a container called
/// `accesspoint`).
pub fn names_no_resource(kind: &str) -> bool {
    kind.starts_with("accesspoint")
}

/// Matches the resource part of an ARN against a service's grammar: (kind, name, path).
pub fn match_resource(service: &Service, resource: &str) -> Option<(String, String, Option<String>)> {
    match_resource_at(service, resource).map(|(k, n, p, _)| (k, n, p))
}

/// The base resource of an ARN's resource part: the grammar's text up to the end of the resource's name
/// (`table/orders` of `table/orders/index/by-date`; a Secrets Manager ARN without its random suffix), and the
/// name. Cut where the grammar puts the name — never by searching for the name in the text, which finds `a` in
/// `table/a` at the `a` of `table` (issue 18).
pub fn base_of(service: &Service, resource: &str) -> Option<(String, String)> {
    let (_, name, _, end) = match_resource_at(service, resource)?;
    Some((resource[..end].to_string(), name))
}

/// [`match_resource`], with the byte offset where the base resource ends.
fn match_resource_at(service: &Service, resource: &str) -> Option<(String, String, Option<String>, usize)> {
    for r in &service.arn_resources {
        if let Some((name, path)) = match_pattern(&r.pattern, resource) {
            // A grammar with only `{path}` (`secret:{path}`, `parameter/{path}`, `log-group:{path}`): the path is
            // the resource's name.
            let (name, path) = match name {
                Some(n) => (n, path),
                None => (path.unwrap_or_default(), None),
            };
            // Secrets Manager appends `-` and six random characters to a secret's name in its ARN.
            let name = match name.rsplit_once('-') {
                Some((base, suffix))
                    if r.pattern.starts_with("secret:")
                        && suffix.len() == 6
                        && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    base.to_string()
                }
                _ => name,
            };
            if name.is_empty() {
                return None;
            }
            // Every grammar starts with a literal and then the name (or a path that is the name).
            let literal = &r.pattern[..r.pattern.find('{').unwrap_or(r.pattern.len())];
            let end = (literal.len() + name.len()).min(resource.len());
            if !resource.is_char_boundary(end) || resource[literal.len()..end] != name {
                return None;
            }
            return Some((r.kind.clone(), name, path, end));
        }
    }
    None
}

/// Anchored match of `{name}` (no `/` or `:`) and `{path}` (anything, non-empty) placeholders.
fn match_pattern(pattern: &str, text: &str) -> Option<(Option<String>, Option<String>)> {
    // Split the pattern into literals and placeholders.
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        if i > 0 {
            parts.push((false, &rest[..i]));
        }
        let j = rest[i..].find('}')? + i;
        parts.push((true, &rest[i + 1..j]));
        rest = &rest[j + 1..];
    }
    if !rest.is_empty() {
        parts.push((false, rest));
    }
    fn go(parts: &[(bool, &str)], text: &str, name: &mut Option<String>, path: &mut Option<String>) -> bool {
        let Some((&(is_var, lit), tail)) = parts.split_first() else { return text.is_empty() };
        if !is_var {
            return text.strip_prefix(lit).is_some_and(|t| go(tail, t, name, path));
        }
        // Try every split point (patterns are tiny; texts are ARNs, which input may make megabytes long). A `{name}`
        // ends at the first `/` or `:`: splits beyond it are not tried, so matching stays linear in the text.
        let limit = if lit == "name" { text.find(['/', ':']).unwrap_or(text.len()) } else { text.len() };
        for end in (1..=limit).rev() {
            if !text.is_char_boundary(end) {
                continue;
            }
            let (head, t) = text.split_at(end);
            if go(tail, t, name, path) {
                if lit == "name" {
                    *name = Some(head.to_string());
                } else {
                    *path = Some(head.to_string());
                }
                return true;
            }
        }
        false
    }
    let (mut name, mut path) = (None, None);
    go(&parts, text, &mut name, &mut path).then_some((name, path))
}

/// Permissions a Deny took away (or that a role must not hand back), per scope (kind, Azure name) → permission →
/// denied AWS actions.
pub type Denied = BTreeMap<(std::sync::Arc<str>, String), BTreeMap<Perm, BTreeSet<String>>>;

/// What an identity needs, per scope.
pub type Needs = BTreeMap<ScopeKey, ScopeNeed>;

/// A name no statement uses (the probe of [`object_exclusions`] and [`overlaps`], and the soundness check's
/// sample of what a grant allows beyond what the policies spell out).
pub const PROBE: &str = "eks2aks-probe";

/// True when the Azure target's scope is a blob container (the blob condition applies).
fn is_blob(tables: &Tables, key: &ScopeKey) -> bool {
    tables
        .services
        .get(&key.service)
        .and_then(|s| s.targets.get(&key.target))
        .is_some_and(|t| &*t.scope_kind == "container")
}

/// The object keys of bucket `bucket_arn` (`arn:aws:s3:::b`) that resource patterns can match, as blob path
/// patterns: `data/secret/*` → `secret/*`; a pattern whose wildcard reaches into the bucket's name (or `*`) →
/// every object (`*`, an over-approximation: narrower on Azure, never wider). Empty: no object matches.
fn object_exclusions<'a>(patterns: impl Iterator<Item = &'a str>, bucket_arn: &str) -> Vec<String> {
    let mut out = Vec::new();
    let prefix = format!("{bucket_arn}/");
    for p in patterns {
        if let Some(k) = p.strip_prefix(&prefix) {
            out.push(k.to_string());
        } else if p.contains(['*', '?']) {
            let literal = &p[..p.find(['*', '?']).unwrap_or(p.len())];
            if prefix.starts_with(literal) || glob_match(p, &format!("{prefix}{PROBE}"), false) {
                out.push("*".to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a resource pattern can match the resource of a scope or one of its sub-resources (`*` for a widened
/// scope of `service`: any of its resources).
fn overlaps(pattern: &str, aws_arn: &str, service: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if aws_arn == "*" {
        // A widened scope stands for every resource of the service.
        return Arn::parse(pattern).is_none_or(|a| a.service == service || a.service.contains(['*', '?']));
    }
    glob_match(pattern, aws_arn, false)
        || [format!("{aws_arn}/{PROBE}"), format!("{aws_arn}:{PROBE}")].iter().any(|s| glob_match(pattern, s, false))
        || {
            // A pattern naming a sub-resource (`table/t/index/*` of `table/t`).
            let literal = &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())];
            literal.len() > aws_arn.len()
                && literal.starts_with(aws_arn)
                && literal[aws_arn.len()..].starts_with(['/', ':'])
        }
}

/// Whether a statement's action element matches an action (respecting `NotAction`).
fn action_hit(s: &Statement, action: &str) -> bool {
    s.action.items.iter().any(|(a, _)| action_matches(a, action)) != s.action.not
}

/// An AWS action with the kinds of resource it applies to (an entry of [`Tables::reverse`]).
type AwsAction = (String, Vec<String>);

/// What one Deny (or a `NotResource`'s exclusions) does to one grant: for a blob container, listing removed and
/// object paths excluded; otherwise the permission is removed.
#[derive(Debug, Default)]
struct Cut {
    /// The permission is removed from the scope.
    remove: bool,
    /// Listing is removed (blob containers).
    no_listing: bool,
    /// Object paths excluded (blob containers).
    exclude: Vec<String>,
    /// The cut is wider than the Deny (a condition taken as always true, a partial resource): narrower than AWS.
    inexact: bool,
}

/// The cut a Deny statement makes in permission `perm` on `key`, or `None` when it does not touch it. `hits` are
/// the AWS actions mapped to `perm` that the Deny names, with their resource kinds.
fn cut(tables: &Tables, key: &ScopeKey, d: &Statement, hits: &[&AwsAction]) -> Option<Cut> {
    let kinds_include = |k: &str| hits.iter().any(|(_, kinds)| kinds.is_empty() || kinds.iter().any(|x| x == k));
    let patterns: Vec<&str> = match &d.resource {
        Some(r) => r.items.iter().map(|(p, _)| &**p).collect(),
        None => vec!["*"],
    };
    let not_resource = d.resource.as_ref().is_some_and(|r| r.not);
    let conditional = !d.conditions.is_empty();
    let mut c = Cut { inexact: conditional, ..Cut::default() };
    if is_blob(tables, key) && &*key.aws_arn != "*" {
        let bucket = key.aws_arn.as_str();
        if not_resource {
            // Denies everything but the listed resources: taken as touching the whole container unless the
            // exclusions cover it entirely (then nothing is touched).
            let spared = patterns.iter().any(|p| glob_match(p, bucket, false))
                && patterns.iter().any(|p| glob_match(p, &format!("{bucket}/{PROBE}"), false));
            if spared && patterns.iter().any(|p| *p == "*" || p.ends_with(":::*")) {
                return None;
            }
            c.inexact = true;
            c.no_listing = kinds_include("bucket");
            if kinds_include("object") {
                c.exclude = vec!["*".into()];
            }
        } else {
            c.no_listing = kinds_include("bucket") && patterns.iter().any(|p| glob_match(p, bucket, false));
            if kinds_include("object") {
                c.exclude = object_exclusions(patterns.iter().copied(), bucket);
            }
            if conditional && !c.exclude.is_empty() {
                c.exclude = vec!["*".into()];
            }
        }
        if !c.no_listing && c.exclude.is_empty() {
            return None;
        }
        return Some(c);
    }
    let touched = if not_resource {
        // `NotResource`: everything but the listed resources, so it touches the scope unless a listed pattern
        // covers it and all its sub-resources.
        !patterns.iter().any(|p| {
            *p == "*"
                || (&*key.aws_arn != "*"
                    && glob_match(p, &key.aws_arn, false)
                    && glob_match(p, &format!("{}/{PROBE}", key.aws_arn), false))
        })
    } else {
        patterns.iter().any(|p| overlaps(p, &key.aws_arn, &key.service))
    };
    if !touched {
        return None;
    }
    let exact = !conditional
        && !not_resource
        && patterns.iter().any(|p| *p == "*" || (&*key.aws_arn != "*" && glob_match(p, &key.aws_arn, false)));
    c.remove = true;
    c.inexact = !exact;
    Some(c)
}

/// Subtracts one Deny from the needs: listing and object paths cut out of blob conditions, other permissions
/// removed (issue 18: a Deny is a set of requests, not a string). Records in `denied` every permission the Deny
/// touches on each scope — including ones not needed, so the role chooser does not hand them back as excess — and
/// returns the scopes where the cut is wider than the Deny.
fn subtract(tables: &Tables, needs: &mut Needs, d: &Statement, denied: &mut Denied) -> BTreeSet<String> {
    let mut inexact = BTreeSet::new();
    let keys: Vec<ScopeKey> = needs.keys().cloned().collect();
    for key in keys {
        let Some(rev) = tables.reverse().get(&(key.service.clone(), key.target.clone())) else { continue };
        let touched: Vec<(&Perm, Vec<&AwsAction>)> = rev
            .iter()
            .map(|(p, aws)| (p, aws.iter().filter(|(a, _)| action_hit(d, a)).collect::<Vec<_>>()))
            .filter(|(_, hits)| !hits.is_empty())
            .collect();
        if touched.is_empty() {
            continue;
        }
        let need = needs.remove(&key).expect("listed");
        let mut kept = ScopeNeed::default();
        let mut moved: Vec<(ScopeKey, Perm, BTreeSet<String>)> = Vec::new();
        for (p, hits) in &touched {
            if cut(tables, &key, d, hits).is_some() {
                let e = denied.entry((key.kind.clone(), key.azure_name.clone())).or_default();
                e.entry((*p).clone()).or_default().extend(hits.iter().map(|(a, _)| a.clone()));
            }
        }
        for (perm, aws) in need.perms {
            let hits = touched.iter().find(|(p, _)| **p == perm).map(|(_, h)| h.as_slice()).unwrap_or_default();
            let Some(c) = (!hits.is_empty()).then(|| cut(tables, &key, d, hits)).flatten() else {
                kept.perms.insert(perm, aws);
                continue;
            };
            if c.inexact {
                let why = if d.conditions.is_empty() {
                    "the Deny names only part of it".to_string()
                } else {
                    format!(
                        "the Deny's condition on `{}` cannot be evaluated by Azure RBAC and is taken as always true",
                        d.conditions[0].key
                    )
                };
                inexact.insert(format!("{} `{}`: {why}", key.kind, key.azure_name));
            }
            // Allowed actions that need the permission but are not denied lose it too (Azure grants them only
            // together): say which.
            let collateral: Vec<&String> = aws.iter().filter(|a| !action_hit(d, a)).collect();
            if !collateral.is_empty() {
                let list: Vec<&str> = collateral.iter().take(4).map(|a| a.as_str()).collect();
                inexact.insert(format!(
                    "{} `{}`: `{}` also serves {}, which lose it",
                    key.kind,
                    key.azure_name,
                    perm.name
                        .rsplit_once("/queueServices/")
                        .or(perm.name.rsplit_once("/blobServices/"))
                        .map_or(perm.name.as_str(), |(_, r)| r),
                    list.join(", ")
                ));
            }
            if c.remove {
                continue;
            }
            // A blob container: the same permission under a narrower condition.
            let (mut objects, mut listing) = match &key.condition {
                Some(cond) => cond.parts(),
                None => (vec![Clause::all()], Listing::Any),
            };
            if c.no_listing {
                listing = Listing::None;
            }
            for clause in &mut objects {
                clause.exclude.extend(c.exclude.iter().cloned());
            }
            objects.retain(|cl| !cl.exclude.iter().any(|x| x == "*" || *x == cl.include));
            match BlobPathCondition::new(objects, listing) {
                Ok(Some(cond)) if cond.allows_nothing() => {}
                Ok(cond) => moved.push((ScopeKey { condition: cond, ..key.clone() }, perm, aws)),
                // An excluded path the condition cannot carry: the permission is not granted.
                Err(bad) => {
                    inexact.insert(format!(
                        "{} `{}`: the path `{}` cannot be written into a condition",
                        key.kind,
                        key.azure_name,
                        crate::text::truncate(&bad)
                    ));
                }
            }
        }
        if !kept.perms.is_empty() {
            needs.entry(key).or_default().perms.extend(kept.perms);
        }
        for (k, perm, aws) in moved {
            needs.entry(k).or_default().perms.entry(perm).or_default().extend(aws);
        }
    }
    inexact
}

/// The listing-prefix tests a statement's conditions carry, or the condition that cannot be carried (issue 18:
/// every condition exact or refused). `Ok(None)`: no condition.
fn carried_conditions<'s>(tables: &Tables, s: &'s Statement) -> Result<Option<Listing>, &'s crate::model::Condition> {
    let mut listing = None;
    for c in &s.conditions {
        let carried_key = tables
            .services
            .values()
            .flat_map(|svc| svc.targets.values())
            .any(|t| t.list_prefix.as_ref().is_some_and(|lp| lp.key.eq_ignore_ascii_case(&c.key)));
        let like = &*c.op.base == "StringLike";
        let plain = (like || &*c.op.base == "StringEquals")
            && c.op.set.is_none()
            && !c.op.if_exists
            && !c.values.is_empty()
            && c.values.iter().all(|v| !v.contains("${"));
        // Two conditions on the key would both have to hold: not one OR list; refused.
        if !carried_key || !plain || listing.is_some() {
            return Err(c);
        }
        listing = Some(Listing::Prefixes(c.values.iter().map(|v| PrefixTest::from_aws(v, like)).collect()));
    }
    Ok(listing)
}

/// Computes the needs of one identity, and what its Deny statements took away. `named` are the ARNs its workloads
/// name (env, ConfigMaps, KEDA).
pub fn needs(
    tables: &Tables,
    choice: &TargetChoice,
    identity: &str,
    identity_account: &str,
    perms: &[Permission],
    named: &BTreeSet<String>,
    sink: &mut Sink,
) -> (Needs, Denied) {
    let mut out: Needs = BTreeMap::new();
    let mut not_translated: BTreeMap<(String, String), (BTreeSet<String>, Loc)> = BTreeMap::new();
    let mut grammar_cache: BTreeMap<String, Option<(String, String, Option<String>)>> = BTreeMap::new();
    let mut unmapped_services: BTreeMap<String, Loc> = BTreeMap::new();
    for p in perms.iter().filter(|p| p.statement.effect == Effect::Allow) {
        let s = &p.statement;
        // Conditions: carried exactly (an `s3:prefix` test on listings) or the statement is not translated.
        let list_prefix = match carried_conditions(tables, s) {
            Ok(l) => l,
            Err(c) => {
                sink.push(
                    rules::CONDITION_NOT_CARRIED,
                    format!(
                        "identity `{identity}`: condition `{} {}` cannot be carried to Azure exactly; the statement is not translated (nothing it allows is granted)",
                        c.op.raw, c.key
                    ),
                    Some(c.loc),
                );
                continue;
            }
        };
        let mut stmt_out: Needs = BTreeMap::new();
        // Services this statement's resources belong to (None = any: `*`).
        let resources: Vec<(&str, Loc)> = match &s.resource {
            Some(r) if !r.not => r.located(s.loc.file).collect(),
            Some(_) => {
                sink.push(
                    rules::NOT_ACTION_OR_RESOURCE,
                    format!("identity `{identity}`: `NotResource` allows every resource but the ones listed; mapped to the resources the workload names, excluding those"),
                    Some(s.loc),
                );
                // As `Resource: "*"`; the listed resources are cut out below, exactly as a Deny would.
                vec![("*", s.loc)]
            }
            None => vec![("*", s.loc)],
        };
        // Expand actions.
        let mut actions: Vec<(String, String)> = Vec::new(); // (prefix, AWS spelling)
        let services_in_scope: BTreeSet<String> = resources
            .iter()
            .flat_map(|(r, _)| match Arn::parse(r) {
                Some(a) if !a.service.contains(['*', '?']) => vec![a.service],
                _ => named.iter().filter_map(|n| Arn::parse(n).map(|a| a.service)).collect(),
            })
            .collect();
        if s.action.not {
            sink.push(
                rules::NOT_ACTION_OR_RESOURCE,
                format!("identity `{identity}`: `NotAction` allows every action but the ones listed; over-approximated to the actions of {} on the named resources", if services_in_scope.is_empty() { "no service".to_string() } else { services_in_scope.iter().cloned().collect::<Vec<_>>().join(", ") }),
                Some(s.loc),
            );
            for prefix in &services_in_scope {
                for (name, _) in tables.actions.get(prefix).map(|m| m.values()).into_iter().flatten() {
                    let full = format!("{prefix}:{name}");
                    if !s.action.items.iter().any(|(pat, _)| action_matches(pat, &full)) {
                        actions.push((prefix.clone(), name.clone()));
                    }
                }
            }
        } else {
            for (pat, loc) in s.action.located(s.loc.file) {
                let (prefix, name_pat) = if pat == "*" {
                    ("*".to_string(), "*")
                } else {
                    let (a, b) = pat.split_once(':').expect("validated");
                    (a.to_ascii_lowercase(), b)
                };
                let prefixes: Vec<String> =
                    if prefix == "*" { services_in_scope.iter().cloned().collect() } else { vec![prefix.clone()] };
                if prefix == "*" && prefixes.is_empty() {
                    sink.push(rules::RESOURCE_STAR, format!("identity `{identity}`: `Action: \"*\"` on resources the workload does not name: nothing can be scoped, nothing is granted on Azure"), Some(loc));
                }
                for prefix in prefixes {
                    let Some(catalogue) = tables.actions.get(&prefix) else {
                        // Role chaining and PassRole have no workload-identity counterpart: their own rule.
                        let chain = [
                            "iam:PassRole",
                            "sts:AssumeRole",
                            "sts:AssumeRoleWithWebIdentity",
                            "sts:AssumeRoleWithSAML",
                        ]
                        .iter()
                        .find(|a| action_matches(pat, a));
                        if let Some(hop) = chain {
                            let targets: Vec<&str> = resources.iter().map(|(r, _)| *r).collect();
                            let cross: Vec<&str> = targets
                                .iter()
                                .filter(|t| {
                                    Arn::parse(t).is_some_and(|a| {
                                        !a.account.is_empty()
                                            && !identity_account.is_empty()
                                            && a.account != identity_account
                                    })
                                })
                                .copied()
                                .collect();
                            let what = if cross.is_empty() {
                                String::new()
                            } else {
                                format!(" (cross-account: {})", cross.join(", "))
                            };
                            sink.push(
                                rules::ROLE_CHAIN,
                                format!("identity `{identity}`: `{pat}` allows `{hop}` on {}{what}; role chaining has no Azure workload-identity counterpart and is not translated", targets.join(", ")),
                                Some(loc),
                            );
                        } else {
                            unmapped_services.entry(prefix).or_insert(loc);
                        }
                        continue;
                    };
                    let before = actions.len();
                    for (name, _) in catalogue.values() {
                        if glob_match(name_pat, name, true) {
                            actions.push((prefix.clone(), name.clone()));
                        }
                    }
                    if actions.len() == before {
                        sink.push(
                            rules::UNMAPPED_ACTION,
                            format!("identity `{identity}`: `{pat}` names no known {prefix} action"),
                            Some(loc),
                        );
                    }
                }
            }
        }
        actions.sort();
        actions.dedup();
        // A `NotResource` statement: every resource the workload names, then the listed ones cut out exactly as a
        // Deny of the same actions would (blob paths excluded by the condition; anything else not granted).
        let exclusion: Option<Statement> = s.resource.as_ref().filter(|r| r.not).map(|r| {
            let mut x = (**s).clone();
            x.effect = Effect::Deny;
            x.conditions.clear();
            x.resource = Some(crate::model::PatternList { not: false, ..r.clone() });
            x
        });
        let mut mismatched: BTreeSet<(String, String)> = BTreeSet::new();
        let mut never_sent: BTreeSet<String> = BTreeSet::new();
        // Actions that applied to at least one resource of the statement (`[bucket, bucket/*]` for
        // `[ListBucket, GetObject]` is the usual idiom, not a mismatch).
        let mut applied: BTreeSet<String> = BTreeSet::new();
        for &(r, rloc) in &resources {
            // A policy variable (`${aws:PrincipalTag/team}`) is a different resource for each caller: no Azure
            // scope or path stands for it.
            if r.contains("${") {
                sink.push(
                    rules::CONDITION_NOT_CARRIED,
                    format!("identity `{identity}`: Resource `{}` holds a policy variable, which names a different resource per caller; it is not translated (nothing is granted for it)", crate::text::truncate(r)),
                    Some(rloc),
                );
                continue;
            }
            let parsed = Arn::parse(r);
            // A Resource that is not an ARN and has no wildcard, or an ARN of a mapped service that does not fit its
            // resource grammar, matches no request: AWS grants nothing for it, and neither does the plan (it was
            // widened to the parent resource; issue 18).
            let service_of = parsed.as_ref().and_then(|a| tables.services.get(&a.service).map(|svc| (a, svc)));
            let malformed = match (&parsed, service_of) {
                (None, _) => r != "*" && !r.contains(['*', '?']),
                (Some(_), Some((a, svc))) => {
                    !a.resource.contains(['*', '?']) && match_resource(svc, &a.resource).is_none()
                }
                (Some(_), None) => false,
            };
            if malformed {
                let what = match service_of {
                    Some((a, _)) => format!("does not fit the {} resource grammar", a.service),
                    None => "is not an ARN".to_string(),
                };
                sink.push(
                    rules::MALFORMED_RESOURCE,
                    format!("identity `{identity}`: Resource `{}` {what}: it matches no request, so AWS grants nothing for it and nothing is granted on Azure", crate::text::truncate(r)),
                    Some(rloc),
                );
                continue;
            }
            // A wildcard only in the sub-resource (an S3 key `bucket/prefix/*`, a DynamoDB `table/t/index/*`) still
            // names one resource: the scope is concrete and the rest becomes a condition.
            let wildcard = r == "*"
                || parsed.as_ref().is_none_or(|a| {
                    let name_is_wild = tables
                        .services
                        .get(&a.service)
                        .and_then(|svc| match_resource(svc, &a.resource))
                        .is_none_or(|(_, name, _)| name.contains(['*', '?']));
                    a.service.contains(['*', '?'])
                        || a.region.contains(['*', '?'])
                        || a.account.contains(['*', '?'])
                        || name_is_wild
                });
            // Concrete ARNs this resource pattern stands for: the named resources it matches and, where the
            // service has sub-resources (S3 objects), the part of them it matches (`logs-*/app/*` over a named
            // bucket `logs-prod`: `logs-prod/app/*`).
            let concrete: Vec<String> = if wildcard {
                let mut c: Vec<String> = Vec::new();
                for n in named {
                    if glob_match(r, n, false) {
                        c.push(n.clone());
                    }
                    let Some(svc) = Arn::parse(n).and_then(|a| tables.services.get(&a.service)) else { continue };
                    let sub = match r.split_once('/') {
                        Some((bp, kp)) if glob_match(bp, n, false) => Some(format!("{n}/{kp}")),
                        None if glob_match(r, &format!("{n}/{PROBE}"), false) => Some(format!("{n}/*")),
                        _ => None,
                    };
                    if let Some(sub) = sub.filter(|x| {
                        Arn::parse(x)
                            .is_some_and(|a| match_resource(svc, &a.resource).is_some_and(|(_, _, p)| p.is_some()))
                    }) {
                        c.push(sub);
                    }
                }
                c.sort();
                c.dedup();
                c
            } else {
                vec![r.to_string()]
            };
            let mut widened_reported: BTreeSet<String> = BTreeSet::new();
            for (prefix, name) in &actions {
                let Some(service) = tables.services.get(prefix) else { continue };
                let full = format!("{prefix}:{name}");
                let (_, action) = tables.action(prefix, name).expect("from the catalogue");
                let mut targets_for: Vec<String> =
                    concrete.iter().filter(|a| Arn::parse(a).is_some_and(|x| x.service == *prefix)).cloned().collect();
                // A pattern of another service (`arn:aws:sqs:*:*:*` for `s3:DeleteObject`) matches no resource of
                // this one: AWS grants nothing, so nothing is widened.
                let of_service = parsed.as_ref().is_none_or(|a| glob_match(&a.service, prefix, false));
                if targets_for.is_empty() && wildcard && of_service {
                    // Nothing named: widen to the parent (storage account, vault, namespace…), reported once per
                    // service.
                    targets_for.push("*".into());
                }
                for arn in targets_for {
                    if arn != "*" && choice.stays(&arn) {
                        continue;
                    }
                    let tkey = choice.target(service, prefix, &arn).to_string();
                    let target = &service.targets[&tkey];
                    let mapping = match (&action.none, action.targets.as_ref().and_then(|t| t.get(&tkey))) {
                        (Some(reason), _) => Err(reason.clone()),
                        (None, Some(m)) if m.none.is_some() => Err(m.none.clone().unwrap_or_default()),
                        (None, Some(m)) => Ok(m),
                        (None, None) => Err(format!("no mapping for target `{tkey}`")),
                    };
                    let m = match mapping {
                        Ok(m) => m,
                        Err(reason) => {
                            not_translated
                                .entry((prefix.clone(), reason))
                                .or_insert_with(|| (BTreeSet::new(), s.loc))
                                .0
                                .insert(name.clone());
                            continue;
                        }
                    };
                    // A listing-prefix condition: carried for the actions whose requests hold the key; for any
                    // other action the key is absent and the statement allows nothing.
                    let listing = match &list_prefix {
                        None => Listing::Any,
                        Some(l) => {
                            let carries = target
                                .list_prefix
                                .as_ref()
                                .is_some_and(|lp| lp.actions.iter().any(|a| a.eq_ignore_ascii_case(name)));
                            if !carries {
                                never_sent.insert(full.clone());
                                continue;
                            }
                            l.clone()
                        }
                    };
                    let key = if arn == "*" {
                        let (kind, bname) = broad_scope(&target.azure_type);
                        if widened_reported.insert(prefix.clone()) {
                            sink.push(
                                rules::RESOURCE_STAR,
                                format!("identity `{identity}`: `{r}` names no resource the workload uses; {prefix} access is widened to the {kind}"),
                                Some(rloc),
                            );
                        }
                        let condition = if &*target.scope_kind == "container" {
                            // Under a listing-prefix condition only listings are allowed (the key is sent with nothing
                            // else): no object.
                            // and the action's own kind of resource: objects, or the listing of buckets.
                            let kinds = |k: &str| {
                                action.resource_kinds.is_empty() || action.resource_kinds.iter().any(|x| x == k)
                            };
                            let objects =
                                if list_prefix.is_none() && kinds("object") { vec![Clause::all()] } else { Vec::new() };
                            let listing = if kinds("bucket") { listing } else { Listing::None };
                            BlobPathCondition::new(objects, listing).ok().flatten()
                        } else {
                            None
                        };
                        ScopeKey {
                            service: prefix.clone(),
                            target: tkey.clone(),
                            kind: kind.into(),
                            azure_name: bname.into(),
                            aws_arn: "*".into(),
                            condition,
                        }
                    } else {
                        let a = Arn::parse(&arn).expect("concrete");
                        // The grammar match is the costly part: once per resource, not per action.
                        let matched = grammar_cache
                            .entry(arn.clone())
                            .or_insert_with(|| match_resource(service, &a.resource))
                            .clone();
                        if matched.as_ref().is_some_and(|(kind, _, _)| names_no_resource(kind)) {
                            sink.push(
                                rules::UNMAPPED_ACTION,
                                format!("identity `{identity}`: `{arn}` is an S3 access point, which names no bucket; what the policy allows through it is not translated (grant the bucket itself, or map the access point's bucket by hand)"),
                                Some(rloc),
                            );
                            continue;
                        }
                        let Some((rkind, rname, path)) = matched else {
                            sink.push(
                                rules::UNMAPPED_ACTION,
                                format!("identity `{identity}`: `{arn}` does not match any {prefix} resource grammar"),
                                Some(rloc),
                            );
                            continue;
                        };
                        // An action applies to its own kinds of resource (bucket or object, table or index…): on
                        // another kind AWS grants nothing (issue 18: GetObject on a bucket ARN).
                        if !action.resource_kinds.is_empty() && !action.resource_kinds.contains(&rkind) {
                            // Reported where the statement names the action itself (`s3:*` on a bucket covers object
                            // actions that simply do not apply).
                            let named_action = !s.action.not
                                && s.action
                                    .items
                                    .iter()
                                    .any(|(p, _)| !p.contains(['*', '?']) && action_matches(p, &full));
                            if !wildcard && named_action {
                                mismatched.insert((full.clone(), rkind.clone()));
                            }
                            continue;
                        }
                        applied.insert(full.clone());
                        let base = base_arn(service, &a).unwrap_or_else(|| arn.clone());
                        // A sub-resource Azure has no counterpart for (a DynamoDB index or stream): its access is
                        // access to the resource (reading through an index is reading the table). Reported.
                        let base_named = resources.iter().any(|(x, _)| *x == base);
                        if &*target.scope_kind != "container"
                            && path.is_some()
                            && !base_named
                            && widened_reported.insert(format!("{prefix}\u{0}{arn}"))
                        {
                            sink.push(
                                rules::RESOURCE_STAR,
                                format!("identity `{identity}`: `{}` ({prefix} {rkind} of `{}`) has no counterpart on Azure: {full} and the statement's other actions on it are widened to the whole {}", crate::text::truncate(&arn), crate::text::truncate(&base), target.scope_kind),
                                Some(rloc),
                            );
                        }
                        let mut condition = None;
                        if &*target.scope_kind == "container" {
                            // Objects under the path, or (a bucket) the listing the statement allows.
                            let parts = match path.as_deref() {
                                Some(p) => {
                                    (vec![if p == "*" { Clause::all() } else { Clause::path(p) }], Listing::None)
                                }
                                None => (Vec::new(), listing),
                            };
                            match BlobPathCondition::new(parts.0, parts.1) {
                                Ok(c) => condition = c,
                                Err(bad) => {
                                    sink.push(rules::CONDITION_NOT_CARRIED, format!("identity `{identity}`: blob path `{}` cannot be written into an ABAC condition (quote, backslash or control character); {full} on it is not granted", crate::text::truncate(&bad)), Some(rloc));
                                    continue;
                                }
                            }
                        }
                        ScopeKey {
                            service: prefix.clone(),
                            target: tkey.clone(),
                            kind: target.scope_kind.clone(),
                            azure_name: naming::azure_name(&target.naming, &rname),
                            aws_arn: base,
                            condition,
                        }
                    };
                    let need = stmt_out.entry(key).or_default();
                    for (d, data) in
                        m.data_actions.iter().map(|d| (d, true)).chain(m.actions.iter().map(|d| (d, false)))
                    {
                        need.perms.entry(Perm { data, name: d.clone() }).or_default().insert(full.clone());
                    }
                }
            }
        }
        mismatched.retain(|(a, _)| !applied.contains(a));
        if !mismatched.is_empty() {
            let list: Vec<String> = mismatched.iter().take(8).map(|(a, k)| format!("{a} (on a {k})")).collect();
            let more = if mismatched.len() > 8 { format!(" and {} more", mismatched.len() - 8) } else { String::new() };
            sink.push(
                rules::ACTION_RESOURCE_MISMATCH,
                format!("identity `{identity}`: {}{more}: the action does not apply to that kind of resource, so AWS grants nothing for it and nothing is granted on Azure", list.join(", ")),
                Some(s.loc),
            );
        }
        if !never_sent.is_empty() {
            let keys: Vec<&str> = s.conditions.iter().map(|c| &*c.key).collect();
            let list: Vec<&str> = never_sent.iter().take(8).map(String::as_str).collect();
            sink.push(
                rules::CONDITION_NOT_CARRIED,
                format!("identity `{identity}`: `{}` is sent with listings only, so this statement allowed {}{} nothing on AWS; nothing is granted for them", keys.join("`, `"), list.join(", "), if never_sent.len() > 8 { format!(" and {} more", never_sent.len() - 8) } else { String::new() }),
                Some(s.loc),
            );
        }
        if let Some(x) = &exclusion {
            let mut scratch = Denied::new();
            let inexact = subtract(tables, &mut stmt_out, x, &mut scratch);
            if !inexact.is_empty() {
                sink.push(
                    rules::NOT_ACTION_OR_RESOURCE,
                    format!("identity `{identity}`: what `NotResource` excludes cannot be cut out exactly on Azure ({}); the permissions it touches are not granted there (narrower than AWS)", inexact.into_iter().collect::<Vec<_>>().join("; ").replace("the Deny names", "it names")),
                    Some(s.loc),
                );
            }
        }
        for (k, n) in stmt_out {
            let e = out.entry(k).or_default();
            for (p, a) in n.perms {
                e.perms.entry(p).or_default().extend(a);
            }
        }
    }
    for (prefix, loc) in unmapped_services {
        sink.push(
            rules::UNMAPPED_SERVICE,
            format!("identity `{identity}`: service `{prefix}` has no identity mapping in mappings/services.yaml; its actions are not carried over"),
            Some(loc),
        );
    }
    for ((prefix, reason), (names, loc)) in not_translated {
        let list: Vec<String> = names.iter().take(8).map(|n| format!("{prefix}:{n}")).collect();
        let more = if names.len() > 8 { format!(" and {} more", names.len() - 8) } else { String::new() };
        sink.push(
            rules::ACTION_NOT_TRANSLATED,
            format!("identity `{identity}`: {}{more} not translated: {reason}", list.join(", ")),
            Some(loc),
        );
    }
    // Denies are sets of requests: subtracted from what the Allows granted (issue 18).
    let mut denied = Denied::new();
    for p in perms.iter().filter(|p| p.statement.effect == Effect::Deny) {
        let d = &p.statement;
        let inexact = subtract(tables, &mut out, d, &mut denied);
        if !inexact.is_empty() {
            sink.push(
                rules::DENY_NOT_EXPRESSIBLE,
                format!("identity `{identity}`: a Deny cannot be subtracted exactly on Azure ({}); the permissions it touches are not granted there at all (narrower than AWS)", inexact.into_iter().collect::<Vec<_>>().join("; ")),
                Some(d.loc),
            );
        }
    }
    (out, denied)
}

/// The ARN of the base resource (an S3 object → its bucket, a DynamoDB index → its table), per [`base_of`].
pub fn base_arn(service: &Service, a: &Arn) -> Option<String> {
    let (base, _) = base_of(service, &a.resource)?;
    Some(format!("arn:{}:{}:{}:{}:{}", a.partition, a.service, a.region, a.account, base))
}

/// The need of one AWS action on one concrete resource (used for what KEDA's scaler needs: `sqs:GetQueueAttributes`
/// on the queue it watches). `None` when the service, action or resource does not map.
pub fn action_need(
    tables: &Tables,
    choice: &TargetChoice,
    prefix: &str,
    action: &str,
    arn: &str,
) -> Option<(ScopeKey, Vec<Perm>)> {
    let service = tables.services.get(prefix)?;
    let (_, a) = tables.action(prefix, action)?;
    let parsed = Arn::parse(arn)?;
    let (_, rname, _) = match_resource(service, &parsed.resource)?;
    let tkey = choice.target(service, prefix, arn).to_string();
    let target = &service.targets[&tkey];
    let m = a.targets.as_ref()?.get(&tkey).filter(|m| m.none.is_none())?;
    let perms = m
        .data_actions
        .iter()
        .map(|d| Perm { data: true, name: d.clone() })
        .chain(m.actions.iter().map(|d| Perm { data: false, name: d.clone() }))
        .collect();
    let key = ScopeKey {
        service: prefix.to_string(),
        target: tkey.clone(),
        kind: target.scope_kind.clone(),
        azure_name: naming::azure_name(&target.naming, &rname),
        aws_arn: base_arn(service, &parsed)?,
        condition: None,
    };
    Some((key, perms))
}

/// The base resource an ARN belongs to (an S3 object → its bucket, a DynamoDB index → its table), with the
/// resource's name. `None` for services without a grammar or ARNs it does not match.
pub fn base_resource(tables: &Tables, arn: &str) -> Option<(String, String)> {
    let a = Arn::parse(arn)?;
    let service = tables.services.get(&a.service)?;
    let (_, name) = base_of(service, &a.resource)?;
    Some((base_arn(service, &a)?, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 18: the base resource is cut where the grammar puts the name, not where the name first occurs in
    /// the text (`a` occurs in `table`, `east` in `us-east-1`).
    #[test]
    fn base_resources_are_cut_by_the_grammar() {
        let tables = crate::mapping::load(None).unwrap();
        let base = |arn: &str| base_resource(&tables, arn);
        assert_eq!(
            base("arn:aws:dynamodb:us-east-1:111122223333:table/a/index/ta"),
            Some(("arn:aws:dynamodb:us-east-1:111122223333:table/a".into(), "a".into()))
        );
        assert_eq!(
            base("arn:aws:dynamodb:us-east-1:111122223333:table/east"),
            Some(("arn:aws:dynamodb:us-east-1:111122223333:table/east".into(), "east".into()))
        );
        assert_eq!(base("arn:aws:s3:::data/a/data"), Some(("arn:aws:s3:::data".into(), "data".into())));
        assert_eq!(
            base("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"),
            Some(("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db".into(), "prod/db".into()))
        );
    }

    #[test]
    fn resource_grammar_placeholders() {
        assert_eq!(
            match_pattern("table/{name}/index/{path}", "table/t/index/i"),
            Some((Some("t".into()), Some("i".into())))
        );
        assert_eq!(match_pattern("table/{name}", "table/t/index/i"), None);
        assert_eq!(match_pattern("{name}/{path}", "bucket/a/b/c"), Some((Some("bucket".into()), Some("a/b/c".into()))));
        assert_eq!(match_pattern("{name}", "bucket"), Some((Some("bucket".into()), None)));
        assert_eq!(match_pattern("log-group:{path}", "log-group:/aws/x:*"), Some((None, Some("/aws/x:*".into()))));
    }

    /// Regression (hostile input): a `{name}` tried every split point and scanned each head for `/` and `:`, so a
    /// 1.2 MB DynamoDB ARN in an env value cost ~10^12 steps. Now splits stop at the first separator (linear).
    #[test]
    fn megabyte_resource_names_match_in_linear_time() {
        let text = format!("table/{}", "a".repeat(1_200_000));
        assert_eq!(match_pattern("table/{name}/index/{path}", &text), None);
        assert_eq!(match_pattern("table/{name}", &text).and_then(|(n, _)| n).map(|n| n.len()), Some(1_200_000));
    }

    #[test]
    fn path_only_grammars_name_the_resource_and_drop_the_secret_suffix() {
        let t = super::super::load(None).unwrap();
        let (_, name, _) = match_resource(&t.services["secretsmanager"], "secret:prod/db-creds-AbCdEf").unwrap();
        assert_eq!(name, "prod/db-creds");
        let (_, name, _) = match_resource(&t.services["ssm"], "parameter/app/config").unwrap();
        assert_eq!(name, "app/config");
        assert_eq!(
            base_resource(&t, "arn:aws:secretsmanager:eu-west-1:444455556666:secret:dbcreds-AbCdEf"),
            Some(("arn:aws:secretsmanager:eu-west-1:444455556666:secret:dbcreds".into(), "dbcreds".into()))
        );
    }
}
