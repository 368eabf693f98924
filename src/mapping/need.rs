//! From one IAM role's permission statements to Azure needs per scope: expand action wildcards against the action
//! catalogue, resolve each resource (a concrete ARN; or a wildcard / `*` narrowed to what the role's workloads
//! actually name in env, ConfigMaps and KEDA triggers), subtract explicit Denies, pick the target per service and
//! resource, and map each action to the Azure data and control-plane actions it needs there. Everything that does
//! not carry over becomes a finding at the statement that caused it.

use super::choose::Perm;
use super::load::{Service, Tables};
use super::naming;
use crate::diag::{Loc, Sink};
use crate::graph::Permission;
use crate::graph::glob::{action_matches, glob_match};
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

/// A blob-path ABAC condition ([`blob_path_condition`]). The path is kept and the condition's text (about 800
/// characters) is made when it is read or written: 10,000 of them were 8 MB at the planner's peak. It serialises,
/// compares and orders as that text.
#[derive(Debug, Clone)]
pub struct BlobPathCondition(Box<str>);

impl BlobPathCondition {
    /// The condition for `path`, or `None` when the path cannot be expressed.
    pub fn new(path: &str) -> Option<Self> {
        blob_path_condition(path).map(|_| Self(path.into()))
    }

    /// The blob paths (patterns) the condition limits access to: access is allowed under any of them.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.0.split('\n')
    }

    /// One condition allowing what either allows: one role assignment per role and scope (Azure refuses a second
    /// one, and Bicep would declare two resources with one `guid()` name; issue 18).
    pub fn union(&self, other: &Self) -> Self {
        let mut all: Vec<&str> = self.paths().chain(other.paths()).collect();
        all.sort_unstable();
        all.dedup();
        Self(all.join("\n").into())
    }

    /// The condition's text.
    pub fn text(&self) -> String {
        let paths: Vec<&str> = self.paths().collect();
        match paths[..] {
            [one] => blob_path_condition(one).expect("checked when made"),
            _ => blob_paths_condition(&paths),
        }
    }
}

/// [`blob_path_condition`] for several paths (each checked when its condition was made): object access under any
/// of them, listing under any of their literal prefixes (or unrestricted when one has none).
fn blob_paths_condition(paths: &[&str]) -> String {
    const B: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
    let any_path: Vec<String> = paths.iter().map(|p| format!("@Resource[{B}:path] StringLike '{p}'")).collect();
    let objects = format!(
        "((!(ActionMatches{{'{B}/read'}} AND NOT SubOperationMatches{{'Blob.List'}}) AND !(ActionMatches{{'{B}/write'}}) AND !(ActionMatches{{'{B}/add/action'}}) AND !(ActionMatches{{'{B}/delete'}})) OR ({}))",
        any_path.join(" OR ")
    );
    let prefixes: Vec<&str> = paths.iter().map(|p| p.split(['*', '?']).next().unwrap_or("")).collect();
    if prefixes.iter().any(|p| p.is_empty()) {
        return objects;
    }
    let any_prefix: Vec<String> =
        prefixes.iter().map(|p| format!("@Request[{B}:prefix] StringStartsWith '{p}'")).collect();
    format!(
        "{objects} AND ((!(ActionMatches{{'{B}/read'}} AND SubOperationMatches{{'Blob.List'}})) OR ({}))",
        any_prefix.join(" OR ")
    )
}

impl PartialEq for BlobPathCondition {
    fn eq(&self, other: &Self) -> bool {
        // The text is a function of the path, and different paths give different texts.
        self.0 == other.0
    }
}

impl Eq for BlobPathCondition {}

impl PartialOrd for BlobPathCondition {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BlobPathCondition {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.0 == other.0 { std::cmp::Ordering::Equal } else { self.text().cmp(&other.text()) }
    }
}

impl serde::Serialize for BlobPathCondition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

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

/// A blob-path ABAC condition for the blob data actions of an assignment, or `None` when the path cannot be
/// expressed safely (quotes or control characters).
pub fn blob_path_condition(path: &str) -> Option<String> {
    if path.is_empty() || path == "*" || path.chars().any(|c| c == '\'' || c == '\\' || c.is_control()) {
        return None;
    }
    const B: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";
    // Blob reads, writes and deletes are limited to the path. Listing (the Blob.List suboperation of blobs/read)
    // has no blob path: it is limited by the request's prefix instead, or it would always be denied.
    let objects = format!(
        "((!(ActionMatches{{'{B}/read'}} AND NOT SubOperationMatches{{'Blob.List'}}) AND !(ActionMatches{{'{B}/write'}}) AND !(ActionMatches{{'{B}/add/action'}}) AND !(ActionMatches{{'{B}/delete'}})) OR (@Resource[{B}:path] StringLike '{path}'))"
    );
    let prefix = path.split(['*', '?']).next().unwrap_or("");
    if prefix.is_empty() {
        return Some(objects);
    }
    Some(format!(
        "{objects} AND ((!(ActionMatches{{'{B}/read'}} AND SubOperationMatches{{'Blob.List'}})) OR (@Request[{B}:prefix] StringStartsWith '{prefix}'))"
    ))
}

fn denied(denies: &[&Statement], action: &str, arn: &str) -> bool {
    denies.iter().any(|d| {
        d.conditions.is_empty()
            && (d.action.items.iter().any(|(a, _)| action_matches(a, action)) != d.action.not)
            && d.resource.as_ref().is_none_or(|r| r.items.iter().any(|(p, _)| glob_match(p, arn, false)) != r.not)
    })
}

/// Permissions a Deny took away, per scope (kind, Azure name) → permission → denied AWS actions.
pub type Denied = BTreeMap<(std::sync::Arc<str>, String), BTreeMap<Perm, BTreeSet<String>>>;

/// Computes the needs of one identity, and what its Deny statements took away. `named` are the ARNs its workloads name (env, ConfigMaps, KEDA).
pub fn needs(
    tables: &Tables,
    choice: &TargetChoice,
    identity: &str,
    identity_account: &str,
    perms: &[Permission],
    named: &BTreeSet<String>,
    sink: &mut Sink,
) -> (BTreeMap<ScopeKey, ScopeNeed>, Denied) {
    let mut out: BTreeMap<ScopeKey, ScopeNeed> = BTreeMap::new();
    let denies: Vec<&Statement> = perms.iter().map(|p| &*p.statement).filter(|s| s.effect == Effect::Deny).collect();
    for d in &denies {
        if !d.conditions.is_empty() {
            sink.push(
                rules::DENY_NOT_EXPRESSIBLE,
                format!("identity `{identity}`: a conditional Deny cannot be expressed in Azure RBAC; it is not subtracted, so the Azure side may allow what AWS denied when `{}` holds", d.conditions[0].key),
                Some(d.loc),
            );
        }
    }
    let mut not_translated: BTreeMap<(String, String), (BTreeSet<String>, Loc)> = BTreeMap::new();
    let mut denied_actions: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut grammar_cache: BTreeMap<String, Option<(String, String, Option<String>)>> = BTreeMap::new();
    let mut unmapped_services: BTreeMap<String, Loc> = BTreeMap::new();
    for p in perms.iter().filter(|p| p.statement.effect == Effect::Allow) {
        let s = &p.statement;
        // Services this statement's resources belong to (None = any: `*`).
        let resources: Vec<(&str, Loc)> = match &s.resource {
            Some(r) if !r.not => r.located(s.loc.file).collect(),
            Some(r) => {
                sink.push(
                    rules::NOT_ACTION_OR_RESOURCE,
                    format!("identity `{identity}`: `NotResource` allows every resource but the ones listed; mapped to the resources the workload names, excluding those"),
                    Some(s.loc),
                );
                named
                    .iter()
                    .filter(|a| !r.items.iter().any(|(p, _)| glob_match(p, a, false)))
                    .map(|a| (a.as_str(), s.loc))
                    .collect()
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
        let carried_conditions: Vec<&crate::model::Condition> =
            s.conditions.iter().filter(|c| c.key.eq_ignore_ascii_case("s3:prefix")).collect();
        for c in s.conditions.iter().filter(|c| !c.key.eq_ignore_ascii_case("s3:prefix")) {
            sink.push(
                rules::CONDITION_NOT_CARRIED,
                format!(
                    "identity `{identity}`: condition `{} {}` has no Azure counterpart and is not carried",
                    c.op.raw, c.key
                ),
                Some(c.loc),
            );
        }
        let mut widened_reported = false;
        for &(r, rloc) in &resources {
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
                    format!("identity `{identity}`: Resource `{}` {what}: it matches no request, so AWS grants nothing for it and nothing is granted on Azure", crate::ingest::k8s::truncate(r)),
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
            // Concrete ARNs this resource pattern stands for.
            let concrete: Vec<String> = if wildcard {
                named.iter().filter(|n| glob_match(r, n, false)).cloned().collect()
            } else {
                vec![r.to_string()]
            };
            for (prefix, name) in &actions {
                let Some(service) = tables.services.get(prefix) else { continue };
                let full = format!("{prefix}:{name}");
                let (_, action) = tables.action(prefix, name).expect("from the catalogue");
                let mut targets_for: Vec<(String, Option<String>)> = concrete
                    .iter()
                    .filter(|a| Arn::parse(a).is_some_and(|x| x.service == *prefix))
                    .map(|a| (a.clone(), None))
                    .collect();
                if targets_for.is_empty() && wildcard {
                    // Nothing named: widen to the parent (storage account, vault, namespace…), reported once.
                    targets_for.push(("*".into(), None));
                }
                for (arn, _) in targets_for {
                    if arn != "*" && choice.stays(&arn) {
                        continue;
                    }
                    if arn != "*" && denied(&denies, &full, &arn) {
                        denied_actions.insert((prefix.clone(), name.clone(), arn.clone()));
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
                    let key = if arn == "*" {
                        if !widened_reported {
                            widened_reported = true;
                            let (kind, _) = broad_scope(&target.azure_type);
                            sink.push(
                                rules::RESOURCE_STAR,
                                format!("identity `{identity}`: `{r}` names no resource the workload uses; {prefix} access is widened to the {kind}"),
                                Some(rloc),
                            );
                        }
                        let (kind, name) = broad_scope(&target.azure_type);
                        ScopeKey {
                            service: prefix.clone(),
                            target: tkey.clone(),
                            kind: kind.into(),
                            azure_name: name.into(),
                            aws_arn: "*".into(),
                            condition: None,
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
                        let Some((_, rname, path)) = matched else {
                            sink.push(
                                rules::UNMAPPED_ACTION,
                                format!("identity `{identity}`: `{arn}` does not match any {prefix} resource grammar"),
                                Some(rloc),
                            );
                            continue;
                        };
                        let base = base_arn(service, &a).unwrap_or_else(|| arn.clone());
                        let mut condition = None;
                        if &*target.scope_kind == "container" {
                            let prefix_value =
                                carried_conditions.first().and_then(|c| c.values.first()).map(|v| v.to_string());
                            let wanted = path.as_deref().filter(|p| *p != "*").map(str::to_string).or(prefix_value);
                            if let Some(p) = wanted {
                                condition = BlobPathCondition::new(&p);
                                if condition.is_none() {
                                    sink.push(rules::CONDITION_NOT_CARRIED, format!("identity `{identity}`: blob path `{}` cannot be expressed as an ABAC condition; access covers the whole container", crate::ingest::k8s::truncate(&p)), Some(rloc));
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
                    let need = out.entry(key).or_default();
                    for (d, data) in
                        m.data_actions.iter().map(|d| (d, true)).chain(m.actions.iter().map(|d| (d, false)))
                    {
                        need.perms.entry(Perm { data, name: d.clone() }).or_default().insert(full.clone());
                    }
                }
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
    // What the Denies took away, per Azure scope: a role chosen for the scope must not hand it back.
    let mut denied = Denied::new();
    for (prefix, name, arn) in denied_actions {
        if let Some((key, perms)) = action_need(tables, choice, &prefix, &name, &arn) {
            let e = denied.entry((key.kind, key.azure_name)).or_default();
            for p in perms {
                e.entry(p).or_default().insert(format!("{prefix}:{name}"));
            }
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

    proptest::proptest! {
        /// A kept path stands for its condition: same text when serialised, same equality and order as the texts.
        #[test]
        fn a_blob_path_condition_is_its_text(a in "[ -~]{0,12}", b in "[ -~]{0,12}") {
            let (ca, cb) = (BlobPathCondition::new(&a), BlobPathCondition::new(&b));
            proptest::prop_assert_eq!(ca.is_some(), blob_path_condition(&a).is_some());
            if let (Some(ca), Some(cb)) = (ca, cb) {
                let (ta, tb) = (blob_path_condition(&a).unwrap(), blob_path_condition(&b).unwrap());
                proptest::prop_assert_eq!(serde_json::to_string(&ca).unwrap(), serde_json::to_string(&ta).unwrap());
                proptest::prop_assert_eq!(ca.cmp(&cb), ta.cmp(&tb));
                proptest::prop_assert_eq!(ca == cb, ta == tb);
            }
        }
    }

    #[test]
    fn blob_path_conditions_order_as_their_texts_not_their_paths() {
        // "a" < "a!" as paths, but the text goes on with `'` after "a", which sorts after `!`.
        let (a, b) = (BlobPathCondition::new("a").unwrap(), BlobPathCondition::new("a!").unwrap());
        assert!(blob_path_condition("a").unwrap() > blob_path_condition("a!").unwrap());
        assert!(a > b);
    }

    #[test]
    fn blob_conditions_refuse_quotes() {
        let c = blob_path_condition("releases/*").unwrap();
        assert!(c.contains("StringLike 'releases/*'") && c.contains("NOT SubOperationMatches{'Blob.List'}"), "{c}");
        assert!(c.contains("@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith 'releases/'"), "{c}");
        assert!(!blob_path_condition("*.pdf").unwrap().contains("StringStartsWith"));
        assert!(blob_path_condition("a'b").is_none());
        assert!(blob_path_condition("*").is_none());
    }
}
