//! From one IAM role's permission statements to Azure needs per scope: expand action wildcards against the action
//! catalogue, resolve each resource (a concrete ARN; or a wildcard / `*` narrowed to what the role's workloads
//! actually name in env, ConfigMaps and KEDA triggers), subtract explicit Denies, pick the target per service and
//! resource, and map each action to the Azure data and control-plane actions it needs there. Everything that does
//! not carry over becomes a finding at the statement that caused it.

use super::choose::Perm;
use super::load::{Action, Service, Tables, Target, TargetMapping};
use super::memo::Resolved;
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
    /// Route 53 hosted zone id (bare, `Z…`) → zone name: config `route53.zones`, and the zones cert-manager
    /// solvers name. A hosted zone ARN names only the id; its Azure DNS zone is named by the domain.
    pub zones: BTreeMap<String, String>,
    /// Hosted zone ids left without a zone name because another hosted zone has the same domain (E2A113, reported
    /// by the plan): nothing is granted on them, and no E2A080 says their name is missing.
    pub ambiguous_zones: BTreeSet<String>,
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

    /// The Azure name of a resource of a target: its naming rule over the ARN's name; for a DNS zone (naming
    /// `dns_zone`) over the zone name of the hosted zone id, `None` when no zone name is known (never a guess).
    pub fn azure_name(&self, naming_rule: &str, aws_name: &str) -> Option<String> {
        if naming_rule != "dns_zone" {
            return Some(naming::azure_name(naming_rule, aws_name));
        }
        self.zone_of(aws_name).map(|zone| naming::azure_name(naming_rule, &zone))
    }

    /// The AWS name a resource's Azure name is derived from: the ARN's name; a DNS zone's zone name (`None`: unknown).
    pub fn name_source(&self, naming_rule: &str, aws_name: &str) -> Option<String> {
        if naming_rule == "dns_zone" { self.zone_of(aws_name) } else { Some(aws_name.to_string()) }
    }

    /// The zone name of a hosted zone id (`Z…`, `hostedzone/Z…` or `/hostedzone/Z…`), as configured or named.
    pub fn zone_of(&self, id: &str) -> Option<String> {
        self.zones.get(id.trim_start_matches('/').trim_start_matches("hostedzone/")).cloned()
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
    /// The scope is wider than the AWS resources the statements named — a `Resource: "*"` widened to the parent,
    /// or a resource Azure cannot scope a role to (an SSM parameter → the whole App Configuration store) — and the
    /// widening was reported (E2A017). The soundness check excuses only such reported widenings.
    pub widened: bool,
}

pub use super::azure::{BlobPathCondition, Clause, Listing, PrefixTest};

/// What an identity needs on one scope.
#[derive(Debug, Clone, Default)]
pub struct ScopeNeed {
    /// Needed permissions → the AWS actions that need them.
    pub perms: BTreeMap<Perm, BTreeSet<String>>,
}

/// The broad scope a target widens to when a policy names no concrete resource: the nearest named parent of its
/// scope kind (`mappings/scopes.yaml`), chosen at deployment (`param:…`), else the resource group.
fn broad_scope(tables: &Tables, scope_kind: &str) -> (String, String) {
    match tables.scopes.broad(scope_kind) {
        Some((kind, name)) => (kind.to_string(), name),
        None => ("resource_group".into(), "resourceGroup".into()),
    }
}

/// True when a scope kind takes a blob-path condition (`blob_condition` in `mappings/scopes.yaml`).
fn takes_blob_condition(tables: &Tables, scope_kind: &str) -> bool {
    tables.scope(scope_kind).is_some_and(|k| k.blob_condition)
}

/// True when a scope kind is a resource of its own for each AWS resource (a Bicep leaf: a queue, a container, a
/// secret…). Otherwise a role can only be assigned on what holds it (App Configuration key-values have no Azure
/// resource: the store; a registry's repositories: the registry; no Event Grid topic kind: the resource group), so
/// a grant on one AWS resource is a grant on all of them there: widened, and reported.
pub fn has_own_scope(tables: &Tables, scope_kind: &str) -> bool {
    tables.scope(scope_kind).is_some_and(|k| k.bicep.leaf.is_some())
}

/// Scopes that stand for several AWS resources on one Azure scope (see [`has_own_scope`]) become one: a key per
/// resource would give one identity the same role twice on the same store. Their `aws_arn` is then `*` (the
/// E2A017 findings name each resource); a lone one keeps its resource.
fn fold_parent_keys(needs: &mut Needs) {
    let group = |k: &ScopeKey| (k.service.clone(), k.target.clone(), k.kind.clone(), k.azure_name.clone());
    let mut count: BTreeMap<_, usize> = BTreeMap::new();
    for k in needs.keys().filter(|k| k.widened && k.condition.is_none()) {
        *count.entry(group(k)).or_default() += 1;
    }
    let keys: Vec<ScopeKey> = needs
        .keys()
        .filter(|k| k.widened && k.condition.is_none() && count[&group(k)] > 1 && &*k.aws_arn != "*")
        .cloned()
        .collect();
    for k in keys {
        let need = needs.remove(&k).expect("listed");
        let into = needs.entry(ScopeKey { aws_arn: "*".into(), ..k }).or_default();
        for (p, a) in need.perms {
            into.perms.entry(p).or_default().extend(a);
        }
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
/// (`table/orders` of `table/orders/index/by-date`; a Secrets Manager ARN with its random suffix, which the name
/// drops), and the name. Cut where the grammar puts the name — never by searching for the name in the text, which finds `a` in
/// `table/a` at the `a` of `table` (issue 18).
pub fn base_of(service: &Service, resource: &str) -> Option<(String, String)> {
    let (_, name, _, end) = match_resource_at(service, resource)?;
    Some((resource[..end].to_string(), name))
}

/// [`match_resource`], with the byte offset where the base resource ends.
fn match_resource_at(service: &Service, resource: &str) -> Option<(String, String, Option<String>, usize)> {
    for r in &service.arn_resources {
        // Every grammar starts with a literal (maybe empty): most grammars of a service fail on it, cheaply.
        if !resource.starts_with(&r.pattern[..r.pattern.find('{').unwrap_or(r.pattern.len())]) {
            continue;
        }
        if let Some((name, path)) = match_pattern(&r.pattern, resource) {
            // A grammar with only `{path}` (`secret:{path}`, `parameter/{path}`, `log-group:{path}`): the path is
            // the resource's name.
            let (name, path) = match name {
                Some(n) => (n, path),
                None => (path.unwrap_or_default(), None),
            };
            // Secrets Manager appends `-` and six random characters to a secret's name in its ARN: not part of the
            // name, but part of the resource (another suffix is another secret, one deleted or recreated), so the
            // base resource keeps it and Allows and Denies are matched on the full ARN (review of 7f7888f).
            // `-XXXXXX` stands for a suffix not known (a secret read by name: `graph::secrets::named_secrets`): the
            // base resource is then the secret of that name, without a suffix.
            let (name, suffix_len) = match secret_suffix(&r.pattern, &name) {
                Some(base) if name.ends_with("-XXXXXX") => (base.to_string(), 0),
                Some(base) => (base.to_string(), SECRET_SUFFIX_LEN),
                None => (name, 0),
            };
            if name.is_empty() {
                return None;
            }
            // Every grammar starts with a literal and then the name (or a path that is the name).
            let literal = &r.pattern[..r.pattern.find('{').unwrap_or(r.pattern.len())];
            let name_end = (literal.len() + name.len()).min(resource.len());
            if !resource.is_char_boundary(name_end) || resource[literal.len()..name_end] != name {
                return None;
            }
            let end = (name_end + suffix_len).min(resource.len());
            return Some((r.kind.clone(), name, path, end));
        }
    }
    None
}

/// The length of a Secrets Manager ARN's random suffix with its hyphen (`-AbCdEf`).
const SECRET_SUFFIX_LEN: usize = 7;

/// A secret's name without the random suffix Secrets Manager appends in its ARN (`-` and six letters or digits;
/// AWS SDK docs, CreateSecret response `ARN`: "the name of the secret followed by six random characters"), for a
/// grammar of secrets (`secret:…`); `None` when `name` ends in no such suffix or the grammar is another one.
fn secret_suffix<'n>(pattern: &str, name: &'n str) -> Option<&'n str> {
    let (base, suffix) = name.rsplit_once('-')?;
    (pattern.starts_with("secret:") && suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(base)
}

/// True when `arn` is a Secrets Manager secret's ARN with no random suffix (`…:secret:prod/db`): no secret has that
/// ARN, so a policy naming it matches no request (a workload may still name a secret so: the API takes a partial
/// ARN).
pub fn secret_without_suffix(service: &Service, arn: &str) -> bool {
    // A service with no grammar of secrets answers no without parsing the ARN (issue 19).
    if !service.arn_resources.iter().any(|r| r.pattern.starts_with("secret:")) {
        return false;
    }
    let Some(a) = Arn::parse(arn) else { return false };
    service.arn_resources.iter().any(|r| {
        let literal = &r.pattern[..r.pattern.find('{').unwrap_or(r.pattern.len())];
        r.pattern.starts_with("secret:")
            && a.resource.strip_prefix(literal).is_some_and(|n| !n.is_empty() && secret_suffix(&r.pattern, n).is_none())
    })
}

/// Anchored match of `{name}` (no `/` or `:`) and `{path}` (anything, non-empty) placeholders.
fn match_pattern(pattern: &str, text: &str) -> Option<(Option<String>, Option<String>)> {
    // Split the pattern into literals and placeholders: on the stack (a grammar has a handful of parts; this runs
    // for every grammar tried on every resource).
    let mut buf: [(bool, &str); 8] = [(false, ""); 8];
    let mut spill: Vec<(bool, &str)> = Vec::new();
    let mut n = 0;
    let mut rest = pattern;
    loop {
        let (part, next) = match rest.find('{') {
            Some(0) => {
                let j = rest.find('}')?;
                ((true, &rest[1..j]), &rest[j + 1..])
            }
            Some(i) => ((false, &rest[..i]), &rest[i..]),
            None if rest.is_empty() => break,
            None => ((false, rest), ""),
        };
        if n < buf.len() {
            buf[n] = part;
        } else {
            if spill.is_empty() {
                spill.extend_from_slice(&buf);
            }
            spill.push(part);
        }
        n += 1;
        rest = next;
    }
    let parts = if spill.is_empty() { &buf[..n] } else { &spill[..] };
    let (mut name, mut path) = (None, None);
    go(parts, text, &mut name, &mut path).then_some((name, path))
}

/// [`match_pattern`] over the pattern's parts (literal or placeholder): binds `name` and `path` on success.
fn go(parts: &[(bool, &str)], text: &str, name: &mut Option<String>, path: &mut Option<String>) -> bool {
    let Some((&(is_var, lit), tail)) = parts.split_first() else { return text.is_empty() };
    if !is_var {
        return text.strip_prefix(lit).is_some_and(|t| go(tail, t, name, path));
    }
    // A `{name}` ends at the first `/` or `:`: splits beyond it are not tried, so matching stays linear in the
    // text (input may make an ARN megabytes long).
    let limit =
        if lit == "name" { memchr::memchr2(b'/', b':', text.as_bytes()).unwrap_or(text.len()) } else { text.len() };
    fn bind(lit: &str, head: &str, name: &mut Option<String>, path: &mut Option<String>) {
        let slot = if lit == "name" { name } else { path };
        *slot = Some(head.to_string());
    }
    match tail.first() {
        // The last part takes the rest of the text, which must be non-empty.
        None => {
            let ok = limit == text.len() && !text.is_empty();
            if ok {
                bind(lit, text, name, path);
            }
            ok
        }
        // A literal follows: only the places where it occurs can end the placeholder, longest first. Each
        // search starts left of the previous match, so the scans cover the text once.
        Some(&(false, next)) => {
            let mut hi = limit;
            while hi >= 1 {
                // A match starting at or before `hi` ends at a character boundary at or before this one.
                let mut w = (hi + next.len()).min(text.len());
                while !text.is_char_boundary(w) {
                    w -= 1;
                }
                let window = &text[..w];
                let found = match next.as_bytes() {
                    [b] => memchr::memrchr(*b, window.as_bytes()),
                    n => memchr::memmem::rfind(window.as_bytes(), n),
                };
                let Some(end) = found else { return false };
                if end == 0 {
                    return false;
                }
                if go(tail, &text[end..], name, path) {
                    bind(lit, &text[..end], name, path);
                    return true;
                }
                hi = end - 1;
                while hi > 0 && !text.is_char_boundary(hi) {
                    hi -= 1;
                }
            }
            false
        }
        // Two placeholders in a row (no bundled grammar has them): every split point.
        Some(_) => {
            for end in (1..=limit).rev() {
                if text.is_char_boundary(end) && go(tail, &text[end..], name, path) {
                    bind(lit, &text[..end], name, path);
                    return true;
                }
            }
            false
        }
    }
}

/// Permissions a Deny took away (or that a role must not hand back), per scope (kind, Azure name) → permission →
/// denied AWS actions.
pub type Denied = BTreeMap<(std::sync::Arc<str>, String), BTreeMap<Perm, BTreeSet<String>>>;

/// Where the role being translated lives: its ARN's partition and its account (each empty when unknown).
#[derive(Debug, Clone, Copy)]
pub struct RoleHome<'a> {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: &'a str,
    /// The account id.
    pub account: &'a str,
}

impl<'a> From<&'a crate::model::Role> for RoleHome<'a> {
    /// The home of a role: its ARN's partition, its account.
    fn from(role: &'a crate::model::Role) -> Self {
        RoleHome { partition: role.arn.split(':').nth(1).unwrap_or_default(), account: &role.account }
    }
}

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
        .is_some_and(|t| takes_blob_condition(tables, &t.scope_kind))
}

/// The object keys of bucket `bucket_arn` (`arn:aws:s3:::b`) that resource patterns can match, as blob path
/// patterns, and whether they are exactly those keys: `data/secret/*` → `secret/*`; a pattern whose wildcard
/// reaches into the bucket's name is cut where the bucket's ARN ends ([`key_patterns`]: `app-*/secret/*` over
/// `app-data` → `*/secret/*` and `secret/*`, since a `*` spans `/`). A pattern too long to cut gives every object
/// (`*`, an over-approximation: narrower on Azure, never wider; not exact). Empty: no object matches.
fn object_exclusions<'a>(patterns: impl Iterator<Item = &'a str>, bucket_arn: &str) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut exact = true;
    let prefix = format!("{bucket_arn}/");
    for p in patterns {
        if let Some(k) = p.strip_prefix(&prefix) {
            out.push(k.to_string());
        } else if p.contains(['*', '?']) {
            match key_patterns(p, &prefix) {
                Some(keys) => out.extend(keys),
                None => {
                    out.push("*".to_string());
                    exact = false;
                }
            }
        }
    }
    if out.iter().any(|k| k == "*") {
        out.retain(|k| k == "*");
    }
    out.sort();
    out.dedup();
    (out, exact)
}

/// The patterns of the texts `t` such that `prefix` followed by `t` matches the IAM wildcard `pattern` (`*` any
/// run of characters, `/` included; `?` one character): the pattern's remainders after matching `prefix`,
/// computed by running its wildcard automaton over `prefix`. Empty when no text after `prefix` can match; `*`
/// alone when every text can. Remainders that match only the empty text are left out (an S3 key is never
/// empty). `None` when the pattern and prefix are too long to cut (over a million steps), never a guess.
fn key_patterns(pattern: &str, prefix: &str) -> Option<Vec<String>> {
    let p: Vec<char> = pattern.chars().collect();
    if p.len().saturating_mul(prefix.len()) > 1 << 20 {
        return None;
    }
    // States: positions in the pattern still to match; a `*` at i may match nothing (i + 1 is then a state too).
    let close = |states: &mut Vec<bool>| {
        for i in 0..p.len() {
            if states[i] && p[i] == '*' {
                states[i + 1] = true;
            }
        }
    };
    let mut states = vec![false; p.len() + 1];
    states[0] = true;
    close(&mut states);
    for ch in prefix.chars() {
        let mut next = vec![false; p.len() + 1];
        for i in (0..p.len()).filter(|&i| states[i]) {
            match p[i] {
                '*' => next[i] = true,
                '?' => next[i + 1] = true,
                c if c == ch => next[i + 1] = true,
                _ => {}
            }
        }
        close(&mut next);
        states = next;
        if !states.contains(&true) {
            return Some(Vec::new());
        }
    }
    let mut out: Vec<String> = Vec::new();
    for i in (0..p.len()).filter(|&i| states[i]) {
        // A state right after a `*` state is that star's remainder with the star matching nothing: covered by it.
        if i > 0 && p[i - 1] == '*' && states[i - 1] {
            continue;
        }
        out.push(p[i..].iter().collect());
    }
    if out.iter().any(|r| r.chars().all(|c| c == '*')) {
        return Some(vec!["*".to_string()]);
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// Whether a resource pattern can match the resource of a scope or one of its sub-resources (`*` for a widened
/// scope of `service`: any of its resources).
pub fn overlaps(pattern: &str, aws_arn: &str, service: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if aws_arn == "*" {
        // A widened scope stands for every resource of the service.
        return Arn::parse(pattern).is_none_or(|a| a.service == service || a.service.contains(['*', '?']));
    }
    glob_match(pattern, aws_arn, false)
        || any_suffix_of(pattern, aws_arn)
        || [format!("{aws_arn}/{PROBE}"), format!("{aws_arn}:{PROBE}")].iter().any(|s| glob_match(pattern, s, false))
        || {
            // A pattern naming a sub-resource (`table/t/index/*` of `table/t`).
            let literal = &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())];
            literal.len() > aws_arn.len()
                && literal.starts_with(aws_arn)
                && literal[aws_arn.len()..].starts_with(['/', ':'])
        }
}

/// Whether `pattern` names a secret of the name `aws_arn` stands for when that ARN has no random suffix (a secret
/// read by name, whose suffix is not known: `graph::secrets::named_secrets`): the same name, `-`, and what can
/// match six letters or digits (review of 7f7888f: `secret:prod/db-AbCdEf` may be the secret read as `prod/db`).
fn any_suffix_of(pattern: &str, aws_arn: &str) -> bool {
    let suffixed =
        aws_arn.rsplit_once('-').is_some_and(|(_, x)| x.len() == 6 && x.bytes().all(|b| b.is_ascii_alphanumeric()));
    if suffixed || !aws_arn.contains(":secretsmanager:") || !aws_arn.contains(":secret:") {
        return false;
    }
    let Some(rest) = pattern.strip_prefix(aws_arn).and_then(|r| r.strip_prefix('-')) else { return false };
    let fixed = rest.chars().filter(|c| *c != '*').count();
    rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        && (fixed == 6 || (fixed < 6 && rest.contains('*')))
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
            // exclusions cover it entirely (then nothing is touched); exact when they name nothing in it.
            let spared = patterns.iter().any(|p| glob_match(p, bucket, false))
                && patterns.iter().any(|p| glob_match(p, &format!("{bucket}/{PROBE}"), false));
            if spared && patterns.iter().any(|p| *p == "*" || p.ends_with(":::*")) {
                return None;
            }
            let (spared_keys, known) = object_exclusions(patterns.iter().copied(), bucket);
            let spares_none = known && spared_keys.is_empty() && !patterns.iter().any(|p| glob_match(p, bucket, false));
            c.inexact = conditional || !spares_none;
            c.no_listing = kinds_include("bucket");
            if kinds_include("object") {
                c.exclude = vec!["*".into()];
            }
        } else {
            c.no_listing = kinds_include("bucket") && patterns.iter().any(|p| glob_match(p, bucket, false));
            if kinds_include("object") {
                let (exclude, exact) = object_exclusions(patterns.iter().copied(), bucket);
                c.exclude = exclude;
                c.inexact |= !exact && !c.exclude.is_empty();
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
        // A widened scope holds every resource of its service, whichever one the Allow named.
        let arn = if key.widened { "*" } else { key.aws_arn.as_str() };
        patterns.iter().any(|p| overlaps(p, arn, &key.service))
    };
    if !touched {
        return None;
    }
    let exact = !conditional
        && !not_resource
        && patterns.iter().any(|p| *p == "*" || (!key.widened && glob_match(p, &key.aws_arn, false)));
    c.remove = true;
    c.inexact = !exact;
    Some(c)
}

/// What one Deny did to the grants on one scope (E2A134): the AWS actions whose grant it withdrew, those whose
/// grant it narrowed, and how (listing removed, object paths excluded).
#[derive(Debug, Default)]
struct Withdrawn {
    /// The scope's AWS resource (`*` when widened) and its service.
    aws_arn: String,
    service: String,
    /// Azure permissions withdrawn from the scope → the allowed AWS actions that needed them.
    all: BTreeMap<String, BTreeSet<String>>,
    /// Azure permissions granted with less (blob containers) → the allowed AWS actions that needed them.
    part: BTreeMap<String, BTreeSet<String>>,
    /// Listing removed.
    no_listing: bool,
    /// Object paths excluded.
    exclude: BTreeSet<String>,
}

/// Per scope (kind, Azure name): what one Deny withdrew there.
type Withdrawals = BTreeMap<(std::sync::Arc<str>, String), Withdrawn>;

/// Subtracts one Deny from the needs: listing and object paths cut out of blob conditions, other permissions
/// removed (issue 18: a Deny is a set of requests, not a string). Records in `denied` every permission the Deny
/// touches on each scope — including ones not needed, so the role chooser does not hand them back as excess — and
/// in `gone` what it withdrew from the needs; returns the scopes where the cut is wider than the Deny.
fn subtract(
    tables: &Tables,
    needs: &mut Needs,
    d: &Statement,
    denied: &mut Denied,
    gone: &mut Withdrawals,
) -> BTreeSet<String> {
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
        record_denied(tables, &key, d, &touched, denied);
        let need = needs.remove(&key).expect("listed");
        let mut kept = ScopeNeed::default();
        let mut moved: Vec<(ScopeKey, Perm, BTreeSet<String>)> = Vec::new();
        for (perm, aws) in need.perms {
            let hits = touched.iter().find(|(p, _)| **p == perm).map(|(_, h)| h.as_slice()).unwrap_or_default();
            let Some(c) = (!hits.is_empty()).then(|| cut(tables, &key, d, hits)).flatten() else {
                kept.perms.insert(perm, aws);
                continue;
            };
            let narrower = if c.remove { None } else { narrowed_key(&key, &c, &mut inexact) };
            let lose = losing(&aws, rev.get(&perm).map(Vec::as_slice).unwrap_or_default(), &c, narrower.is_none());
            note_inexact(&key, d, &perm, &lose, &c, &mut inexact);
            let w = gone.entry((key.kind.clone(), key.azure_name.clone())).or_insert_with(|| Withdrawn {
                aws_arn: key.aws_arn.clone(),
                service: key.service.clone(),
                ..Withdrawn::default()
            });
            match narrower {
                Some(narrower) => {
                    w.part.entry(perm.name.clone()).or_default().extend(aws.iter().cloned());
                    w.no_listing |= c.no_listing;
                    w.exclude.extend(c.exclude.iter().cloned());
                    moved.push((narrower, perm, aws));
                }
                None => w.all.entry(perm.name.clone()).or_default().extend(aws.iter().cloned()),
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

/// Records in `denied` each permission of `touched` (the permissions of `key`'s target the Deny names actions of)
/// that the Deny actually cuts on `key`, with the denied AWS actions — needed or not.
fn record_denied(
    tables: &Tables,
    key: &ScopeKey,
    d: &Statement,
    touched: &[(&Perm, Vec<&AwsAction>)],
    denied: &mut Denied,
) {
    for (p, hits) in touched {
        if cut(tables, key, d, hits).is_some() {
            let e = denied.entry((key.kind.clone(), key.azure_name.clone())).or_default();
            e.entry((*p).clone()).or_default().extend(hits.iter().map(|(a, _)| a.clone()));
        }
    }
}

/// The allowed AWS actions `aws` of a permission that cut `c` takes something from: all of them when the
/// permission is withdrawn; on a narrowed blob container, the object actions when paths are excluded and the
/// bucket actions when listing is removed (`kinds`: each action's resource kinds, from [`Tables::reverse`]; an
/// action not found there is counted). A Deny of `s3:ListBucket` leaves `s3:GetObject` its object reads.
fn losing(aws: &BTreeSet<String>, kinds: &[AwsAction], c: &Cut, withdrawn: bool) -> BTreeSet<String> {
    let applies = |a: &str, kind: &str| {
        kinds.iter().find(|(x, _)| x == a).is_none_or(|(_, k)| k.is_empty() || k.iter().any(|x| x == kind))
    };
    aws.iter()
        .filter(|a| {
            withdrawn || (!c.exclude.is_empty() && applies(a, "object")) || (c.no_listing && applies(a, "bucket"))
        })
        .cloned()
        .collect()
}

/// Says in `inexact` where cut `c` of permission `perm` (needed by the allowed AWS actions `aws`) is wider than
/// the Deny: a condition taken as always true, a resource named only in part, and allowed actions the Deny does
/// not name that lose the permission with the denied ones (Azure grants them only together).
fn note_inexact(
    key: &ScopeKey,
    d: &Statement,
    perm: &Perm,
    aws: &BTreeSet<String>,
    c: &Cut,
    inexact: &mut BTreeSet<String>,
) {
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
            short_permission(&perm.name),
            list.join(", ")
        ));
    }
}

/// An Azure permission as findings show it: a storage one after its service (`queues/messages/process/action`).
fn short_permission(name: &str) -> &str {
    ["/queueServices/", "/blobServices/", "/tableServices/"]
        .iter()
        .find_map(|svc| name.rsplit_once(svc))
        .map_or(name, |(_, r)| r)
}

/// A blob container's scope under the narrower condition cut `c` leaves (listing removed, object paths
/// excluded), or `None` when the permission is not granted at all: the condition allows nothing, or an excluded
/// path cannot be written into it (said in `inexact`).
fn narrowed_key(key: &ScopeKey, c: &Cut, inexact: &mut BTreeSet<String>) -> Option<ScopeKey> {
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
        Ok(Some(cond)) if cond.allows_nothing() => None,
        Ok(cond) => Some(ScopeKey { condition: cond, ..key.clone() }),
        // An excluded path the condition cannot carry: the permission is not granted.
        Err(bad) => {
            inexact.insert(format!(
                "{} `{}`: the path `{}` cannot be written into a condition",
                key.kind,
                key.azure_name,
                crate::text::truncate(&bad)
            ));
            None
        }
    }
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
///
/// Each Allow statement is translated on its own ([`Translator::allow`]: carry its conditions, list its
/// resources, expand its actions, resolve each resource, pick the target and map each action there, cut out what
/// a `NotResource` excludes) and added to the identity's needs; the findings gathered across statements follow
/// ([`Translator::report_untranslated`]); then every Deny is subtracted from the whole ([`subtract_denies`]).
/// The third part lists the statements whose KMS actions serve only a service's server-side encryption
/// ([`super::kms`], E2A106): nothing is needed for them on Azure.
pub fn needs<'h>(
    tables: &Tables,
    choice: &TargetChoice,
    identity: &str,
    home: impl Into<RoleHome<'h>>,
    perms: &[Permission],
    named: &BTreeSet<String>,
    sink: &mut Sink,
) -> (Needs, Denied, Vec<Loc>) {
    let home = home.into();
    let mut t = Translator {
        tables,
        choice,
        identity,
        identity_account: home.account,
        identity_partition: home.partition,
        named,
        sink: &mut *sink,
        not_translated: BTreeMap::new(),
        unmapped_services: BTreeMap::new(),
        reported_zones: BTreeSet::new(),
        server_side: Vec::new(),
    };
    let mut out: Needs = BTreeMap::new();
    for p in perms.iter().filter(|p| p.statement.effect == Effect::Allow) {
        if let Some(granted) = t.allow(&p.statement) {
            add_needs(&mut out, granted);
        }
    }
    let server_side = std::mem::take(&mut t.server_side);
    t.report_untranslated();
    fold_parent_keys(&mut out);
    let denied = subtract_denies(tables, identity, perms, &mut out, sink);
    (out, denied, server_side)
}

/// Adds one statement's needs to the identity's.
fn add_needs(out: &mut Needs, granted: Needs) {
    for (k, n) in granted {
        let e = out.entry(k).or_default();
        for (p, a) in n.perms {
            e.perms.entry(p).or_default().extend(a);
        }
    }
}

/// Denies are sets of requests: subtracted from what the Allows granted (issue 18). A Deny that cannot be
/// subtracted exactly takes away everything it touches (reported, at the Deny). Returns what they took away.
fn subtract_denies(tables: &Tables, identity: &str, perms: &[Permission], out: &mut Needs, sink: &mut Sink) -> Denied {
    let mut denied = Denied::new();
    for p in perms.iter().filter(|p| p.statement.effect == Effect::Deny) {
        let d = &p.statement;
        // A resource that matches no request denies nothing (review of 7f7888f: it went unreported).
        for (r, rloc) in d.resource.iter().filter(|r| !r.not).flat_map(|r| r.located(d.loc.file)) {
            if let Some(what) = malformed(tables, r, Arn::parse(r).as_ref()) {
                sink.push(
                    rules::MALFORMED_RESOURCE,
                    format!("identity `{identity}`: Deny Resource `{}` {what}: it matches no request, so the Deny takes nothing away for it", crate::text::truncate(r)),
                    Some(rloc),
                );
            }
        }
        let mut gone = Withdrawals::new();
        let inexact = subtract(tables, out, d, &mut denied, &mut gone);
        report_withdrawn(identity, perms, d, gone, sink);
        if !inexact.is_empty() {
            sink.push(
                rules::DENY_NOT_EXPRESSIBLE,
                format!("identity `{identity}`: a Deny cannot be subtracted exactly on Azure ({}); the permissions it touches are not granted there at all (narrower than AWS)", inexact.into_iter().collect::<Vec<_>>().join("; ")),
                Some(d.loc),
            );
        }
    }
    denied
}

/// E2A134 at Deny `d`: each scope it withdrew or narrowed a grant on, with the AWS actions and the Allow
/// statements of `perms` behind them (an Allow naming one of those actions on a resource that can be the scope's).
/// A grant never disappears from the output with nothing saying why.
fn report_withdrawn(identity: &str, perms: &[Permission], d: &Statement, gone: Withdrawals, sink: &mut Sink) {
    let n = gone.len();
    let mut parts = Vec::new();
    for ((kind, name), mut w) in gone.into_iter().take(6) {
        // A permission withdrawn from one blob condition of the scope and kept, narrowed, under another is
        // narrowed there, not withdrawn.
        let both: Vec<String> = w.all.keys().filter(|p| w.part.contains_key(*p)).cloned().collect();
        for p in both {
            let aws = w.all.remove(&p).unwrap_or_default();
            w.part.entry(p).or_default().extend(aws);
        }
        let mut what = Vec::new();
        // `containers/blobs/read` (for `s3:GetObject`), …: the Azure permission and the allowed AWS actions that
        // needed it (an AWS action served by another permission too keeps that one).
        let ticks = |v: &BTreeMap<String, BTreeSet<String>>| {
            v.iter()
                .map(|(p, aws)| {
                    let aws: Vec<String> = aws.iter().map(|a| format!("`{a}`")).collect();
                    format!("`{}` (for {})", short_permission(p), aws.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !w.all.is_empty() {
            what.push(format!("withdraws {} on {kind} `{name}` (not assigned there)", ticks(&w.all)));
        }
        if !w.part.is_empty() {
            let mut how = Vec::new();
            if w.no_listing {
                how.push("listing removed".to_string());
            }
            if !w.exclude.is_empty() {
                let x: Vec<String> = w.exclude.iter().map(|x| format!("`{}`", crate::text::truncate(x))).collect();
                how.push(format!("objects {} excluded from the blob condition", x.join(", ")));
            }
            what.push(format!("narrows {} on {kind} `{name}` ({})", ticks(&w.part), how.join("; ")));
        }
        let actions: BTreeSet<&String> = w.all.values().chain(w.part.values()).flatten().collect();
        let allows: Vec<String> = perms
            .iter()
            .filter(|p| p.statement.effect == Effect::Allow)
            .filter(|p| actions.iter().any(|a| action_hit(&p.statement, a)))
            .filter(|p| {
                p.statement
                    .resource
                    .as_ref()
                    .is_none_or(|r| r.not || r.items.iter().any(|(x, _)| overlaps(x, &w.aws_arn, &w.service)))
            })
            .map(|p| {
                let other = if p.statement.loc.file == d.loc.file { "" } else { ", in its own file" };
                format!("the Allow at line {} (policy `{}`{other})", p.statement.loc.pos.line, p.policy)
            })
            .collect();
        let from = if allows.is_empty() { String::new() } else { format!(" granted by {}", allows.join(", ")) };
        parts.push(format!("{}{from}", what.join(" and ")));
    }
    if parts.is_empty() {
        return;
    }
    let more = if n > 6 { format!("; and {} more scopes", n - 6) } else { String::new() };
    sink.push(
        rules::DENY_WITHDRAWS_GRANT,
        format!("identity `{identity}`: this Deny {}{more}", parts.join("; ")),
        Some(d.loc),
    );
}

/// The translation of one identity's Allow statements: what every step reads, and what is gathered across
/// statements and reported once at the end.
struct Translator<'a> {
    tables: &'a Tables,
    choice: &'a TargetChoice,
    identity: &'a str,
    /// The identity's AWS account (cross-account role chaining is named as such).
    identity_account: &'a str,
    /// The partition of the identity's role (`aws`, `aws-cn`, `aws-us-gov`; empty when unknown): a resource of
    /// another partition is granted nothing (E2A135).
    identity_partition: &'a str,
    /// The ARNs the identity's workloads name: what a wildcard resource is narrowed to.
    named: &'a BTreeSet<String>,
    sink: &'a mut Sink,
    /// (prefix, reason) → the actions with no mapping for that reason, and the first statement that allowed one.
    not_translated: BTreeMap<(String, String), (BTreeSet<String>, Loc)>,
    /// Services with no identity mapping, at the first action that named them.
    unmapped_services: BTreeMap<String, Loc>,
    /// Hosted zones reported as having no zone name.
    reported_zones: BTreeSet<String>,
    /// Statements whose KMS actions serve only server-side encryption (E2A106).
    server_side: Vec<Loc>,
}

/// One Allow statement being translated: its carried listing condition, its resources and its expanded actions.
struct Allow<'s, 't> {
    s: &'s Statement,
    /// The listing-prefix test its condition carries (`None`: no condition).
    list_prefix: Option<Listing>,
    /// Its resources with their locations (`*` for none, or for `NotResource`).
    resources: Vec<(&'s str, Loc)>,
    /// Its actions, expanded against the catalogue: (prefix, AWS spelling), sorted and unique.
    actions: Vec<(String, String)>,
    /// Each action as `prefix:Name`, spelled once for all the statement's resources.
    fulls: Vec<String>,
    /// Each action's service and catalogue entry (`None`: the service has no resource tables), looked up once for
    /// all the statement's resources.
    found: Vec<Option<(&'t Service, &'t Action)>>,
}

/// What one Allow statement grants, and what its resources gathered for the statement's own findings.
#[derive(Default)]
struct StatementOut {
    needs: Needs,
    /// (action, resource kind) pairs named on a kind of resource the action does not apply to.
    mismatched: BTreeSet<(String, String)>,
    /// Actions a listing-prefix condition leaves nothing (the key is sent with listings only).
    never_sent: BTreeSet<String>,
    /// Actions that applied to at least one resource of the statement (`[bucket, bucket/*]` for
    /// `[ListBucket, GetObject]` is the usual idiom, not a mismatch).
    applied: BTreeSet<String>,
}

/// One resource pattern of an Allow statement, as resolved.
struct Resource<'s> {
    pattern: &'s str,
    loc: Loc,
    parsed: Option<Arn>,
    /// It names many resources (narrowed to the named ones, or widened to the parent when none is named).
    wildcard: bool,
    /// Widenings reported for it already (per service, or per sub-resource).
    widened_reported: BTreeSet<String>,
    /// The scopes of its concrete ARNs found so far ([`Translator::concrete_key`]): every action of the statement
    /// on the same ARN and target lands on the same scope, so it is derived once, not once per action.
    keys: Vec<KnownKey>,
}

/// A scope derived for one concrete ARN of a resource, and what it was derived from: the action's service, the
/// ARN, the target and the listing the statement allows (the same for every action that reaches the scope).
struct KnownKey {
    prefix: String,
    arn: String,
    tkey: String,
    listing: Listing,
    key: ScopeKey,
}

/// One action of the catalogue, with its service's tables.
struct Act<'x> {
    prefix: &'x str,
    name: &'x str,
    /// `prefix:Name`.
    full: &'x str,
    service: &'x Service,
    action: &'x Action,
}

/// Where one action lands: the resource (a concrete ARN, or `*` for the widened scope), the target chosen for it,
/// and the listing the statement's condition allows there.
struct Landing<'x> {
    arn: &'x str,
    tkey: &'x str,
    target: &'x Target,
    listing: Listing,
}

impl Translator<'_> {
    /// One Allow statement: what it grants, per scope, with what `NotResource` excludes cut out; `None` when a
    /// condition cannot be carried (nothing it allows is granted).
    fn allow(&mut self, s: &Statement) -> Option<Needs> {
        if let Some(sse) = super::kms::server_side_only(self.tables, s) {
            // Keys that stay on AWS are the bridge's business (nothing to say about Azure).
            if !self.all_stay(s) {
                self.server_side_only(s, &sse);
            }
            return None;
        }
        let list_prefix = self.carried_listing(s)?;
        let resources = self.resources(s);
        let actions = self.expand_actions(s, &resources);
        let tables = self.tables;
        // The catalogue is keyed by the lower-cased name ([`Tables::action`]), spelled here in one buffer for all
        // the statement's actions rather than in a new string each (issue 19).
        let mut lower = String::new();
        let found = actions
            .iter()
            .map(|(prefix, name)| {
                let service = tables.services.get(prefix)?;
                lower.clear();
                lower.push_str(name);
                lower.make_ascii_lowercase();
                let (_, action) =
                    tables.actions.get(prefix).and_then(|c| c.get(lower.as_str())).expect("from the catalogue");
                Some((service, action))
            })
            .collect();
        let fulls = actions.iter().map(|(prefix, name)| format!("{prefix}:{name}")).collect();
        let stmt = Allow { s, list_prefix, resources, actions, fulls, found };
        let mut out = StatementOut::default();
        for &(r, rloc) in &stmt.resources {
            self.resource(&stmt, r, rloc, &mut out);
        }
        self.report_statement(s, &mut out);
        self.cut_not_resource(s, &mut out.needs);
        Some(out.needs)
    }

    /// True when the statement names resources and all of them stay on AWS (`stay_on_aws`).
    fn all_stay(&self, s: &Statement) -> bool {
        s.resource
            .as_ref()
            .is_some_and(|r| !r.not && !r.items.is_empty() && r.items.iter().all(|(x, _)| self.choice.stays(x)))
    }

    /// A KMS statement usable only through services that encrypt at rest: nothing is granted (E2A106, naming the
    /// keys, the services and what their Azure targets do instead), and the statement is recorded for the ledger.
    fn server_side_only(&mut self, s: &Statement, sse: &super::kms::ServerSide) {
        let actions: Vec<&str> = s.action.items.iter().map(|(a, _)| &**a).collect();
        let keys: Vec<String> = match &s.resource {
            Some(r) if !r.not => r.items.iter().map(|(k, _)| format!("`{}`", crate::text::truncate(k))).collect(),
            _ => vec!["any key".to_string()],
        };
        let why: Vec<String> = sse
            .services
            .iter()
            .filter_map(|p| self.tables.services.get(p))
            .filter_map(|svc| Some(svc.server_side_encryption.as_ref()?.azure.clone()))
            .collect();
        self.sink.push(
            rules::KMS_SERVER_SIDE_ENCRYPTION,
            format!(
                "identity `{}`: {} on {} may be used only through {} (`kms:ViaService` {}): that is server-side encryption, which needs no Azure role — {}; nothing is granted for it",
                self.identity,
                actions.join(", "),
                keys.join(", "),
                sse.services.iter().filter_map(|p| self.tables.services.get(p)).map(|svc| svc.name.as_str()).collect::<Vec<_>>().join(" or "),
                sse.endpoints.join(", "),
                why.join("; ")
            ),
            Some(s.loc),
        );
        self.server_side.push(s.loc);
    }

    /// The statement's conditions: carried exactly (an `s3:prefix` test on listings; `Some(None)`: no condition),
    /// or `None` when one cannot be (reported: the statement is not translated).
    fn carried_listing(&mut self, s: &Statement) -> Option<Option<Listing>> {
        match carried_conditions(self.tables, s) {
            Ok(l) => Some(l),
            Err(c) => {
                self.sink.push(
                    rules::CONDITION_NOT_CARRIED,
                    format!(
                        "identity `{}`: condition `{} {}` cannot be carried to Azure exactly; the statement is not translated (nothing it allows is granted)",
                        self.identity, c.op.raw, c.key
                    ),
                    Some(c.loc),
                );
                None
            }
        }
    }

    /// The statement's resources: as listed; `*` for none; `*` for `NotResource` too (reported), whose listed
    /// resources are cut out afterwards ([`Translator::cut_not_resource`]).
    fn resources<'s>(&mut self, s: &'s Statement) -> Vec<(&'s str, Loc)> {
        match &s.resource {
            Some(r) if !r.not => r.located(s.loc.file).collect(),
            Some(_) => {
                self.sink.push(
                    rules::NOT_ACTION_OR_RESOURCE,
                    format!("identity `{}`: `NotResource` allows every resource but the ones listed; mapped to the resources the workload names, excluding those", self.identity),
                    Some(s.loc),
                );
                // As `Resource: "*"`; the listed resources are cut out below, exactly as a Deny would.
                vec![("*", s.loc)]
            }
            None => vec![("*", s.loc)],
        }
    }

    /// The services a statement's resources belong to: each ARN's own, or for `*` and service wildcards, those of
    /// the ARNs the workloads name.
    fn services_in_scope(&self, resources: &[(&str, Loc)]) -> BTreeSet<String> {
        resources
            .iter()
            .flat_map(|(r, _)| match Arn::parse(r) {
                Some(a) if !a.service.contains(['*', '?']) => vec![a.service],
                _ => self.named.iter().filter_map(|n| Arn::parse(n).map(|a| a.service)).collect(),
            })
            .collect()
    }

    /// The statement's actions, expanded against the action catalogue: (prefix, AWS spelling), sorted and unique.
    /// `NotAction` is over-approximated to every other action of the services in scope; `*` to every action of
    /// them. Patterns that name no known action or service, and role chaining, are reported.
    fn expand_actions(&mut self, s: &Statement, resources: &[(&str, Loc)]) -> Vec<(String, String)> {
        let mut actions: Vec<(String, String)> = Vec::new();
        let services_in_scope = self.services_in_scope(resources);
        if s.action.not {
            self.expand_not_action(s, &services_in_scope, &mut actions);
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
                    self.sink.push(rules::RESOURCE_STAR, format!("identity `{}`: `Action: \"*\"` on resources the workload does not name: nothing can be scoped, nothing is granted on Azure", self.identity), Some(loc));
                }
                for prefix in prefixes {
                    self.expand_pattern(pat, name_pat, prefix, loc, resources, &mut actions);
                }
            }
        }
        actions.sort();
        actions.dedup();
        actions
    }

    /// `NotAction`: every action of the services in scope but the ones listed (reported as over-approximated).
    fn expand_not_action(
        &mut self,
        s: &Statement,
        services_in_scope: &BTreeSet<String>,
        actions: &mut Vec<(String, String)>,
    ) {
        self.sink.push(
            rules::NOT_ACTION_OR_RESOURCE,
            format!("identity `{}`: `NotAction` allows every action but the ones listed; over-approximated to the actions of {} on the named resources", self.identity, if services_in_scope.is_empty() { "no service".to_string() } else { services_in_scope.iter().cloned().collect::<Vec<_>>().join(", ") }),
            Some(s.loc),
        );
        for prefix in services_in_scope {
            for (name, _) in self.tables.actions.get(prefix).map(|m| m.values()).into_iter().flatten() {
                let full = format!("{prefix}:{name}");
                if !s.action.items.iter().any(|(pat, _)| action_matches(pat, &full)) {
                    actions.push((prefix.clone(), name.clone()));
                }
            }
        }
    }

    /// The actions of service `prefix` that action pattern `pat` (`name_pat` after the prefix) matches. A service
    /// with no catalogue is role chaining (reported as such) or unmapped (gathered for the end); a pattern that
    /// matches nothing is reported.
    fn expand_pattern(
        &mut self,
        pat: &str,
        name_pat: &str,
        prefix: String,
        loc: Loc,
        resources: &[(&str, Loc)],
        actions: &mut Vec<(String, String)>,
    ) {
        let Some(catalogue) = self.tables.actions.get(&prefix) else {
            if !self.report_role_chain(pat, loc, resources) {
                self.unmapped_services.entry(prefix).or_insert(loc);
            }
            return;
        };
        let before = actions.len();
        if name_pat.is_ascii() && !name_pat.contains(['*', '?']) {
            // A literal action (the usual case): one lookup, not a match against the whole catalogue. The
            // catalogue is keyed by the lower-cased name; on ASCII that is exactly glob_match's case folding.
            if let Some((name, _)) = catalogue.get(&name_pat.to_ascii_lowercase()) {
                actions.push((prefix.clone(), name.clone()));
            }
        } else {
            // The same patterns (`s3:List*`, `dynamodb:?atchGetItem`) recur in every app's policies: matched
            // against the catalogue once per run.
            let names = self.tables.memo.expansion(&prefix, name_pat, || {
                catalogue
                    .values()
                    .filter(|(name, _)| glob_match(name_pat, name, true))
                    .map(|(n, _)| n.clone())
                    .collect()
            });
            actions.extend(names.iter().map(|n| (prefix.clone(), n.clone())));
        }
        if actions.len() == before {
            self.sink.push(
                rules::UNMAPPED_ACTION,
                format!("identity `{}`: `{pat}` names no known {prefix} action", self.identity),
                Some(loc),
            );
        }
    }

    /// Role chaining and PassRole have no workload-identity counterpart: their own rule, naming cross-account
    /// targets. False when `pat` allows none of them.
    fn report_role_chain(&mut self, pat: &str, loc: Loc, resources: &[(&str, Loc)]) -> bool {
        let chain = ["iam:PassRole", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]
            .iter()
            .find(|a| action_matches(pat, a));
        let Some(hop) = chain else { return false };
        let identity_account = self.identity_account;
        let targets: Vec<&str> = resources.iter().map(|(r, _)| *r).collect();
        let cross: Vec<&str> = targets
            .iter()
            .filter(|t| {
                Arn::parse(t).is_some_and(|a| {
                    !a.account.is_empty() && !identity_account.is_empty() && a.account != identity_account
                })
            })
            .copied()
            .collect();
        let what = if cross.is_empty() { String::new() } else { format!(" (cross-account: {})", cross.join(", ")) };
        self.sink.push(
            rules::ROLE_CHAIN,
            format!("identity `{}`: `{pat}` allows `{hop}` on {}{what}; role chaining has no Azure workload-identity counterpart and is not translated", self.identity, targets.join(", ")),
            Some(loc),
        );
        true
    }

    /// One resource of an Allow statement: skipped (reported) when it holds a policy variable or matches no
    /// request; else resolved to the concrete ARNs it stands for ([`concrete_arns`]), and every action of the
    /// statement granted on each ([`Translator::grant`]) — on the widened scope when a wildcard names nothing the
    /// workload uses.
    fn resource(&mut self, stmt: &Allow, r: &str, rloc: Loc, out: &mut StatementOut) {
        // A policy variable (`${aws:PrincipalTag/team}`) is a different resource for each caller: no Azure
        // scope or path stands for it.
        if r.contains("${") {
            self.sink.push(
                rules::CONDITION_NOT_CARRIED,
                format!("identity `{}`: Resource `{}` holds a policy variable, which names a different resource per caller; it is not translated (nothing is granted for it)", self.identity, crate::text::truncate(r)),
                Some(rloc),
            );
            return;
        }
        let parsed = Arn::parse(r);
        if self.report_malformed(r, parsed.as_ref(), rloc) || self.other_partition(r, parsed.as_ref(), rloc) {
            return;
        }
        let tables = self.tables;
        let wildcard = names_many(tables, r, parsed.as_ref());
        let concrete = if wildcard { concrete_arns(tables, self.named, r) } else { vec![r.to_string()] };
        // Each concrete ARN's service, parsed once for all the statement's actions.
        let concrete: Vec<(String, Option<String>)> = concrete
            .into_iter()
            .map(|a| {
                let service = Arn::parse(&a).map(|x| x.service);
                (a, service)
            })
            .collect();
        let mut res =
            Resource { pattern: r, loc: rloc, parsed, wildcard, widened_reported: BTreeSet::new(), keys: Vec::new() };
        for (((prefix, name), found), full) in stmt.actions.iter().zip(&stmt.found).zip(&stmt.fulls) {
            let Some((service, action)) = *found else { continue };
            let act = Act { prefix, name, full, service, action };
            for arn in res.arns_for(&concrete, prefix) {
                self.grant(stmt, &mut res, &act, arn, out);
            }
        }
    }

    /// A Resource of another partition than the role's (`arn:aws-cn:…` in a policy of an `arn:aws:…` role): IAM
    /// credentials of one partition cannot be used with resources of another (AWS whitepaper "AWS Fault Isolation
    /// Boundaries", Partitions: "You cannot use IAM credentials from one partition to interact with resources in a
    /// different partition"), so AWS grants nothing for it, and neither does the plan. True when so (E2A135).
    fn other_partition(&mut self, r: &str, parsed: Option<&Arn>, rloc: Loc) -> bool {
        let Some(a) = parsed.filter(|a| !self.identity_partition.is_empty() && a.partition != self.identity_partition)
        else {
            return false;
        };
        self.sink.push(
            rules::RESOURCE_IN_OTHER_PARTITION,
            format!(
                "identity `{}`: Resource `{}` is in partition `{}` while the role is in partition `{}`: a role's credentials are valid in its own partition only, so AWS grants nothing for it and nothing is granted on Azure",
                self.identity,
                crate::text::truncate(r),
                a.partition,
                self.identity_partition
            ),
            Some(rloc),
        );
        true
    }

    /// A Resource that is not an ARN and has no wildcard, or an ARN of a mapped service that does not fit its
    /// resource grammar, matches no request: AWS grants nothing for it, and neither does the plan (it was widened
    /// to the parent resource; issue 18). True when so (reported).
    fn report_malformed(&mut self, r: &str, parsed: Option<&Arn>, rloc: Loc) -> bool {
        let found = malformed(self.tables, r, parsed);
        if let Some(what) = &found {
            self.sink.push(
                rules::MALFORMED_RESOURCE,
                format!("identity `{}`: Resource `{}` {what}: it matches no request, so AWS grants nothing for it and nothing is granted on Azure", self.identity, crate::text::truncate(r)),
                Some(rloc),
            );
        }
        found.is_some()
    }

    /// One action on one resource (a concrete ARN, or `*` for the widened scope): the target chosen for it, the
    /// Azure actions it maps to there, and the scope that needs them. Nothing when the resource stays on AWS, the
    /// action has no mapping on the target, the listing condition leaves it nothing, or no scope stands for the
    /// resource.
    fn grant(&mut self, stmt: &Allow, res: &mut Resource, act: &Act, arn: &str, out: &mut StatementOut) {
        if arn != "*" && self.choice.stays(arn) {
            return;
        }
        let tkey = self.choice.target(act.service, act.prefix, arn);
        let target = &act.service.targets[tkey];
        let Some(m) = self.mapping(stmt.s, act, tkey) else { return };
        let Some(listing) = listing_for(stmt, target, act, &mut out.never_sent) else { return };
        let at = Landing { arn, tkey, target, listing };
        let need = if at.arn == "*" {
            if self.tables.scope(&target.scope_kind).is_some_and(|k| k.never_widen) {
                self.not_widened(res, act, &target.scope_kind);
                return;
            }
            out.needs.entry(self.widened_key(stmt, res, act, at)).or_default()
        } else {
            let Some(i) = self.concrete_key(stmt, res, act, at, out) else { return };
            // The scope is shared by the statement's actions on this ARN: copied into the needs only once.
            let key = &res.keys[i].key;
            if !out.needs.contains_key(key) {
                out.needs.insert(key.clone(), ScopeNeed::default());
            }
            out.needs.get_mut(key).expect("inserted above")
        };
        for (d, data) in m.data_actions.iter().map(|d| (d, true)).chain(m.actions.iter().map(|d| (d, false))) {
            need.perms.entry(Perm { data, name: d.clone() }).or_default().insert(act.full.to_string());
        }
    }

    /// A hosted zone with no known zone name: nothing is granted on it (E2A080, unless another zone of its domain
    /// is why: E2A113), once per zone and identity.
    fn zone_unnamed(&mut self, id: &str, loc: Loc) {
        if self.reported_zones.insert(id.to_string()) && !self.choice.ambiguous_zones.contains(id) {
            self.sink.push(
                rules::ROUTE53_ZONE_UNMAPPED,
                format!("identity `{}`: Route 53 hosted zone `{id}` has no zone name (no `route53.zones` entry in eks2aks.yaml, and no cert-manager solver names it): nothing is granted on it", self.identity),
                Some(loc),
            );
        }
    }

    /// A `Resource: "*"` of a scope kind that is never widened (`never_widen`), where the workloads name no
    /// resource: nothing is granted (reported once per service and statement resource).
    fn not_widened(&mut self, res: &mut Resource, act: &Act, kind: &str) {
        if res.widened_reported.insert(format!("{}\u{0}never", act.prefix)) {
            self.sink.push(
                rules::STAR_NOT_WIDENED,
                format!("identity `{}`: `{}` names no {kind} the workloads use; {} access is not widened to the resource group: nothing is granted for it (name the zone's ARN, or map the zone in `route53.zones`)", self.identity, crate::text::truncate(res.pattern), act.prefix),
                Some(res.loc),
            );
        }
    }

    /// The action's mapping on target `tkey`, or `None` when it has none (gathered with the reason, reported once
    /// per service and reason at the end).
    fn mapping<'m>(&mut self, s: &Statement, act: &Act<'m>, tkey: &str) -> Option<&'m TargetMapping> {
        let action = act.action;
        let mapping = match (&action.none, action.targets.as_ref().and_then(|t| t.get(tkey))) {
            (Some(reason), _) => Err(reason.clone()),
            (None, Some(m)) if m.none.is_some() => Err(m.none.clone().unwrap_or_default()),
            (None, Some(m)) => Ok(m),
            (None, None) => Err(format!("no mapping for target `{tkey}`")),
        };
        match mapping {
            Ok(m) => Some(m),
            Err(reason) => {
                self.not_translated
                    .entry((act.prefix.to_string(), reason))
                    .or_insert_with(|| (BTreeSet::new(), s.loc))
                    .0
                    .insert(act.name.to_string());
                None
            }
        }
    }

    /// The widened scope (storage account, vault, namespace… chosen at deployment) of an action on `*`, reported
    /// once per service and resource. On a blob target its condition keeps the action to its own kind of resource
    /// (objects, or listings), and under a listing-prefix condition to listings.
    fn widened_key(&mut self, stmt: &Allow, res: &mut Resource, act: &Act, at: Landing) -> ScopeKey {
        let (kind, bname) = broad_scope(self.tables, &at.target.scope_kind);
        let prefix = act.prefix;
        if res.widened_reported.insert(prefix.to_string()) {
            self.sink.push(
                rules::RESOURCE_STAR,
                format!(
                    "identity `{}`: `{}` names no resource the workload uses; {prefix} access is widened to the {kind}",
                    self.identity, res.pattern
                ),
                Some(res.loc),
            );
        }
        let condition = if takes_blob_condition(self.tables, &at.target.scope_kind) {
            // Under a listing-prefix condition only listings are allowed (the key is sent with nothing
            // else): no object.
            // and the action's own kind of resource: objects, or the listing of buckets.
            let kinds =
                |k: &str| act.action.resource_kinds.is_empty() || act.action.resource_kinds.iter().any(|x| x == k);
            let objects = if stmt.list_prefix.is_none() && kinds("object") { vec![Clause::all()] } else { Vec::new() };
            let listing = if kinds("bucket") { at.listing } else { Listing::None };
            BlobPathCondition::new(objects, listing).ok().flatten()
        } else {
            None
        };
        ScopeKey {
            service: prefix.to_string(),
            target: at.tkey.to_string(),
            kind: kind.into(),
            azure_name: bname,
            aws_arn: "*".into(),
            condition,
            widened: true,
        }
    }

    /// The scope of an action on a concrete ARN: its base resource under the target's naming rule, with (a blob
    /// container) the object path or listing as a condition. `None` when the ARN names no resource or fits no
    /// grammar, the action does not apply to its kind of resource (gathered for the statement), or the path cannot
    /// be written into a condition (reported). A sub-resource Azure has no counterpart for is reported as widened.
    /// The scope is kept in `res.keys` (its index is returned): the statement's other actions on the same ARN and
    /// target find it there ([`Translator::scope_of`] runs once for them).
    fn concrete_key(
        &mut self,
        stmt: &Allow,
        res: &mut Resource,
        act: &Act,
        at: Landing,
        out: &mut StatementOut,
    ) -> Option<usize> {
        let resolved = self.grammar(act, at.arn, res.loc)?;
        let rkind = &resolved.kind;
        // An action applies to its own kinds of resource (bucket or object, table or index…): on another kind AWS
        // grants nothing (issue 18: GetObject on a bucket ARN).
        let kinds = &act.action.resource_kinds;
        if !kinds.is_empty() && !kinds.contains(rkind) {
            // Reported where the statement names the action itself (`s3:*` on a bucket covers object actions that
            // simply do not apply).
            let s = stmt.s;
            let named_action = !s.action.not
                && s.action.items.iter().any(|(p, _)| !p.contains(['*', '?']) && action_matches(p, act.full));
            if !res.wildcard && named_action {
                out.mismatched.insert((act.full.to_string(), rkind.clone()));
            }
            return None;
        }
        if !out.applied.contains(act.full) {
            out.applied.insert(act.full.to_string());
        }
        let known =
            |k: &KnownKey| k.arn == at.arn && k.tkey == at.tkey && k.prefix == act.prefix && k.listing == at.listing;
        if let Some(i) = res.keys.iter().position(known) {
            // Derived for an earlier action: what deriving it reported (once per resource) was reported then.
            return Some(i);
        }
        let (prefix, arn, tkey, listing) =
            (act.prefix.to_string(), at.arn.to_string(), at.tkey.to_string(), at.listing.clone());
        let key = self.scope_of(stmt, res, act, at, &resolved)?;
        res.keys.push(KnownKey { prefix, arn, tkey, listing, key });
        Some(res.keys.len() - 1)
    }

    /// The scope of a concrete ARN resolved by its grammar ([`Translator::concrete_key`]).
    fn scope_of(
        &mut self,
        stmt: &Allow,
        res: &mut Resource,
        act: &Act,
        at: Landing,
        resolved: &Resolved,
    ) -> Option<ScopeKey> {
        let Landing { arn, tkey, target, listing } = at;
        let Resolved { kind: rkind, name: rname, path, base } = resolved;
        let base = base.clone();
        // A sub-resource Azure has no counterpart for (a DynamoDB index or stream): its access is access to the
        // resource (reading through an index is reading the table). Reported.
        let base_named = stmt.resources.iter().any(|(x, _)| *x == base);
        let prefix = act.prefix;
        if !takes_blob_condition(self.tables, &target.scope_kind)
            && has_own_scope(self.tables, &target.scope_kind)
            && path.is_some()
            && !base_named
            && res.widened_reported.insert(format!("{prefix}\u{0}{arn}"))
        {
            self.sink.push(
                rules::RESOURCE_STAR,
                format!("identity `{}`: `{}` ({prefix} {rkind} of `{}`) has no counterpart on Azure: {} and the statement's other actions on it are widened to the whole {}", self.identity, crate::text::truncate(arn), crate::text::truncate(&base), act.full, target.scope_kind),
                Some(res.loc),
            );
        }
        let condition = self.blob_condition(target, path.as_deref(), listing, act, res.loc)?;
        if !has_own_scope(self.tables, &target.scope_kind) {
            return Some(self.parent_key(res, act, tkey.to_string(), target, &base, rkind));
        }
        // Every action of a statement lands on the same resource: its name is derived once per run.
        let azure_name = match target.naming.as_str() {
            "dns_zone" => self.choice.azure_name(&target.naming, rname),
            rule => Some(self.tables.memo.azure_name(rule, rname, || naming::azure_name(rule, rname))),
        };
        let Some(azure_name) = azure_name else {
            self.zone_unnamed(rname, res.loc);
            return None;
        };
        Some(ScopeKey {
            service: prefix.to_string(),
            target: tkey.to_string(),
            kind: target.scope_kind.clone(),
            azure_name,
            aws_arn: base,
            condition,
            widened: false,
        })
    }

    /// The blob-path ABAC condition of an assignment at a kind that takes one: objects under the path, or (a
    /// bucket) the listing the statement allows. `Some(None)` for other kinds; `None` (reported) when the path
    /// cannot be written into a condition.
    fn blob_condition(
        &mut self,
        target: &Target,
        path: Option<&str>,
        listing: Listing,
        act: &Act,
        loc: Loc,
    ) -> Option<Option<BlobPathCondition>> {
        if !takes_blob_condition(self.tables, &target.scope_kind) {
            return Some(None);
        }
        let parts = match path {
            Some(p) => (vec![if p == "*" { Clause::all() } else { Clause::path(p) }], Listing::None),
            None => (Vec::new(), listing),
        };
        match BlobPathCondition::new(parts.0, parts.1) {
            Ok(c) => Some(c),
            Err(bad) => {
                self.sink.push(rules::CONDITION_NOT_CARRIED, format!("identity `{}`: blob path `{}` cannot be written into an ABAC condition (quote, backslash or control character); {} on it is not granted", self.identity, crate::text::truncate(&bad), act.full), Some(loc));
                None
            }
        }
    }

    /// The scope of an action on a resource Azure cannot assign a role to ([`has_own_scope`]): what holds it (the
    /// store, registry or resource group, as for `Resource: "*"`), the resource kept in `aws_arn`, the widening
    /// reported once per service and resource (E2A017), naming the resource the statement was limited to.
    fn parent_key(
        &mut self,
        res: &mut Resource,
        act: &Act,
        tkey: String,
        target: &Target,
        base: &str,
        rkind: &str,
    ) -> ScopeKey {
        let (kind, name) = broad_scope(self.tables, &target.scope_kind);
        let prefix = act.prefix;
        if res.widened_reported.insert(format!("{prefix}\u{0}parent\u{0}{base}")) {
            self.sink.push(
                rules::RESOURCE_STAR,
                format!(
                    "identity `{}`: `{}` ({prefix} {rkind}) has no Azure scope of its own in {}: {} and the statement's other {prefix} actions on it are widened to the whole {kind} `{name}`, which also holds every other {rkind}; the AWS statement was limited to `{}`",
                    self.identity,
                    crate::text::truncate(base),
                    target.azure_service,
                    act.full,
                    crate::text::truncate(res.pattern),
                ),
                Some(res.loc),
            );
        }
        ScopeKey {
            service: prefix.to_string(),
            target: tkey,
            kind: kind.into(),
            azure_name: name,
            aws_arn: base.to_string(),
            condition: None,
            widened: true,
        }
    }

    /// The grammar match (kind, name, path) of a concrete ARN of the action's service, cached per ARN. `None`
    /// (reported) for an S3 access point, which names no bucket, and for an ARN no grammar of the service fits.
    fn grammar(&mut self, act: &Act, arn: &str, rloc: Loc) -> Option<std::sync::Arc<Resolved>> {
        // The grammar match is the costly part: once per ARN and run, not per action or identity.
        let matched = resolved_arn(self.tables, act.prefix, act.service, arn);
        if matched.as_ref().is_some_and(|r| names_no_resource(&r.kind)) {
            self.sink.push(
                rules::UNMAPPED_ACTION,
                format!("identity `{}`: `{arn}` is an S3 access point, which names no bucket; what the policy allows through it is not translated (grant the bucket itself, or map the access point's bucket by hand)", self.identity),
                Some(rloc),
            );
            return None;
        }
        if matched.is_none() {
            self.sink.push(
                rules::UNMAPPED_ACTION,
                format!("identity `{}`: `{arn}` does not match any {} resource grammar", self.identity, act.prefix),
                Some(rloc),
            );
        }
        matched
    }

    /// The statement's own findings, at the statement: actions named on a kind of resource they do not apply to
    /// (and applied to none of its resources), and actions a listing-prefix condition leaves nothing.
    fn report_statement(&mut self, s: &Statement, out: &mut StatementOut) {
        let identity = self.identity;
        let mismatched = &mut out.mismatched;
        mismatched.retain(|(a, _)| !out.applied.contains(a));
        if !mismatched.is_empty() {
            let list: Vec<String> = mismatched.iter().take(8).map(|(a, k)| format!("{a} (on a {k})")).collect();
            let more = if mismatched.len() > 8 { format!(" and {} more", mismatched.len() - 8) } else { String::new() };
            self.sink.push(
                rules::ACTION_RESOURCE_MISMATCH,
                format!("identity `{identity}`: {}{more}: the action does not apply to that kind of resource, so AWS grants nothing for it and nothing is granted on Azure", list.join(", ")),
                Some(s.loc),
            );
        }
        let never_sent = &out.never_sent;
        if !never_sent.is_empty() {
            let keys: Vec<&str> = s.conditions.iter().map(|c| &*c.key).collect();
            let list: Vec<&str> = never_sent.iter().take(8).map(String::as_str).collect();
            self.sink.push(
                rules::CONDITION_NOT_CARRIED,
                format!("identity `{identity}`: `{}` is sent with listings only, so this statement allowed {}{} nothing on AWS; nothing is granted for them", keys.join("`, `"), list.join(", "), if never_sent.len() > 8 { format!(" and {} more", never_sent.len() - 8) } else { String::new() }),
                Some(s.loc),
            );
        }
    }

    /// A `NotResource` statement was granted on every resource the workload names: the listed ones are cut out
    /// exactly as a Deny of the same actions would (blob paths excluded by the condition; anything else not
    /// granted), reported where the cut is wider.
    fn cut_not_resource(&mut self, s: &Statement, needs: &mut Needs) {
        let Some(r) = s.resource.as_ref().filter(|r| r.not) else { return };
        let mut x = s.clone();
        x.effect = Effect::Deny;
        x.conditions.clear();
        x.resource = Some(crate::model::PatternList { not: false, ..r.clone() });
        let mut scratch = Denied::new();
        // What the exclusions cut from the statement's own grant is its meaning, not a Deny's withdrawal.
        let inexact = subtract(self.tables, needs, &x, &mut scratch, &mut Withdrawals::new());
        if !inexact.is_empty() {
            self.sink.push(
                rules::NOT_ACTION_OR_RESOURCE,
                format!("identity `{}`: what `NotResource` excludes cannot be cut out exactly on Azure ({}); the permissions it touches are not granted there (narrower than AWS)", self.identity, inexact.into_iter().collect::<Vec<_>>().join("; ").replace("the Deny names", "it names")),
                Some(s.loc),
            );
        }
    }

    /// The findings gathered across statements, once per identity: services with no identity mapping, and actions
    /// with no mapping on their target (per service and reason).
    fn report_untranslated(self) {
        let identity = self.identity;
        for (prefix, loc) in self.unmapped_services {
            self.sink.push(
                rules::UNMAPPED_SERVICE,
                format!("identity `{identity}`: service `{prefix}` has no identity mapping in mappings/services.yaml; its actions are not carried over"),
                Some(loc),
            );
        }
        for ((prefix, reason), (names, loc)) in self.not_translated {
            let list: Vec<String> = names.iter().take(8).map(|n| format!("{prefix}:{n}")).collect();
            let more = if names.len() > 8 { format!(" and {} more", names.len() - 8) } else { String::new() };
            self.sink.push(
                rules::ACTION_NOT_TRANSLATED,
                format!("identity `{identity}`: {}{more} not translated: {reason}", list.join(", ")),
                Some(loc),
            );
        }
    }
}

impl Resource<'_> {
    /// The resources action prefix `prefix` is granted on for this pattern: the concrete ARNs of the service; or,
    /// when a wildcard of the service names none, `*` (widened to the parent). A pattern of another service
    /// (`arn:aws:sqs:*:*:*` for `s3:DeleteObject`) matches no resource of this one: AWS grants nothing, so nothing
    /// is widened.
    fn arns_for<'c>(&self, concrete: &'c [(String, Option<String>)], prefix: &str) -> Vec<&'c str> {
        let mut arns: Vec<&str> =
            concrete.iter().filter(|(_, service)| service.as_deref() == Some(prefix)).map(|(a, _)| &**a).collect();
        let of_service = self.parsed.as_ref().is_none_or(|a| glob_match(&a.service, prefix, false));
        if arns.is_empty() && self.wildcard && of_service {
            arns.push("*");
        }
        arns
    }
}

/// Why a `Resource` of a statement matches no request, or `None` when it may match one: not an ARN and no pattern;
/// an ARN of a mapped service that fits none of its grammar rows (nor a row's region and account); a secret's ARN
/// without its random suffix, which no secret has (review of 7f7888f: it was granted).
fn malformed(tables: &Tables, r: &str, parsed: Option<&Arn>) -> Option<String> {
    let service_of = parsed.and_then(|a| tables.services.get(&a.service).map(|svc| (a, svc)));
    let wild = r.contains(['*', '?']);
    match (parsed, service_of) {
        (None, _) if r != "*" && !wild => Some("is not an ARN".to_string()),
        (Some(_), Some((_, svc))) if !wild && secret_without_suffix(svc, r) => Some(
            "names a secret without the `-` and six random characters Secrets Manager appends to every secret's ARN"
                .to_string(),
        ),
        (Some(_), Some((a, svc))) if regional_global(svc, a) => {
            Some(format!("names a region or an account, which {} ARNs of its kind never have", a.service))
        }
        (Some(_), Some((a, svc)))
            if !a.resource.contains(['*', '?']) && resolved_arn(tables, &a.service, svc, r).is_none() =>
        {
            Some(format!("does not fit the {} resource grammar", a.service))
        }
        _ => None,
    }
}

/// True when an ARN (maybe a pattern) of a kind whose ARNs have no region and account (`global`) names a region or
/// an account that cannot be empty (anything but `*`).
fn regional_global(service: &Service, a: &Arn) -> bool {
    let fixed = |p: &str| !p.is_empty() && p.chars().any(|c| c != '*');
    // A service with no global kind (all but S3) answers no without matching a copy of the resource again (issue
    // 19: this ran for every resource and every ARN resolved).
    service.arn_resources.iter().any(|r| r.global)
        && (fixed(&a.region) || fixed(&a.account))
        && match_resource(service, &a.resource.replace(['*', '?'], "x"))
            .is_some_and(|(kind, _, _)| service.arn_resources.iter().any(|r| r.kind == kind && r.global))
}

/// Whether a resource pattern names many resources: `*`, not an ARN, or a wildcard in its service, region,
/// account or resource name. A wildcard only in the sub-resource (an S3 key `bucket/prefix/*`, a DynamoDB
/// `table/t/index/*`) still names one resource: the scope is concrete and the rest becomes a condition.
fn names_many(tables: &Tables, r: &str, parsed: Option<&Arn>) -> bool {
    r == "*"
        || parsed.is_none_or(|a| {
            let name_is_wild = tables
                .services
                .get(&a.service)
                .and_then(|svc| resolved_arn(tables, &a.service, svc, r))
                .is_none_or(|x| x.name.contains(['*', '?']));
            a.service.contains(['*', '?'])
                || a.region.contains(['*', '?'])
                || a.account.contains(['*', '?'])
                || name_is_wild
        })
}

/// The concrete ARNs a wildcard resource pattern stands for: the named resources it matches and, where the
/// service has sub-resources (S3 objects), the part of them it matches (`logs-*/app/*` over a named bucket
/// `logs-prod`: `logs-prod/app/*`). Sorted, unique.
fn concrete_arns(tables: &Tables, named: &BTreeSet<String>, r: &str) -> Vec<String> {
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
            Arn::parse(x).is_some_and(|a| match_resource(svc, &a.resource).is_some_and(|(_, _, p)| p.is_some()))
        }) {
            c.push(sub);
        }
    }
    c.sort();
    c.dedup();
    c
}

/// The listing an action is granted under the statement's listing-prefix condition: any listing without one;
/// with one, the condition's test for the actions whose requests carry the key. For any other action the key is
/// absent and the statement allows nothing: `None`, gathered in `never_sent`.
fn listing_for(stmt: &Allow, target: &Target, act: &Act, never_sent: &mut BTreeSet<String>) -> Option<Listing> {
    match &stmt.list_prefix {
        None => Some(Listing::Any),
        Some(l) => {
            let carries = target
                .list_prefix
                .as_ref()
                .is_some_and(|lp| lp.actions.iter().any(|a| a.eq_ignore_ascii_case(act.name)));
            if !carries {
                never_sent.insert(act.full.to_string());
                return None;
            }
            Some(l.clone())
        }
    }
}

/// [`resolve`], memoised for the run ([`super::memo`]): `service` is the tables' service of prefix `prefix`, the
/// ARN's own.
pub fn resolved_arn(tables: &Tables, prefix: &str, service: &Service, arn: &str) -> Option<std::sync::Arc<Resolved>> {
    tables.memo.resolved(prefix, arn, || resolve(service, arn))
}

/// A concrete ARN of `service` resolved against its grammar ([`match_resource_at`]), with its base resource's ARN.
fn resolve(service: &Service, arn: &str) -> Option<Resolved> {
    let a = Arn::parse(arn)?;
    let (kind, name, path, end) = match_resource_at(service, &a.resource)?;
    // A kind with no region and account (`global`: an S3 bucket) named with one is no resource (review of 7f7888f:
    // `arn:aws:s3:us-east-1:111122223333:data` became a second container `data`). `*` may match the empty part.
    if regional_global(service, &a) {
        return None;
    }
    let base = format!("arn:{}:{}:{}:{}:{}", a.partition, a.service, a.region, a.account, &a.resource[..end]);
    Some(Resolved { kind, name, path, base })
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
        widened: false,
    };
    Some((key, perms))
}

/// The base resource an ARN belongs to (an S3 object → its bucket, a DynamoDB index → its table), with the
/// resource's name. `None` for services without a grammar or ARNs it does not match.
pub fn base_resource(tables: &Tables, arn: &str) -> Option<(String, String)> {
    let prefix = arn.split(':').nth(2)?;
    let service = tables.services.get(prefix)?;
    let r = resolved_arn(tables, prefix, service, arn)?;
    Some((r.base.clone(), r.name.clone()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The home of the test role: partition `aws`, account 111122223333.
    const HOME: RoleHome<'static> = RoleHome { partition: "aws", account: "111122223333" };

    /// A Deny's wildcard pattern over a bucket is cut where the bucket's ARN ends: the keys it matches, exactly
    /// (an earlier review: `app-*/secret/*` withdrew every object of `app-data`, with no finding).
    #[test]
    fn key_patterns_are_the_remainders_after_the_bucket() {
        let k = |p: &str| key_patterns(p, "arn:aws:s3:::app-data/").unwrap();
        assert_eq!(k("arn:aws:s3:::app-*/*"), ["*"]);
        assert_eq!(k("arn:aws:s3:::app-*"), ["*"]);
        assert_eq!(k("*"), ["*"]);
        assert_eq!(k("arn:aws:s3:::app-*/secret/*"), ["*/secret/*", "secret/*"]);
        assert_eq!(k("arn:aws:s3:::app-dat?/logs/*"), ["logs/*"]);
        assert_eq!(k("arn:aws:s3:::app-data/x"), ["x"]);
        assert!(k("arn:aws:s3:::other-*/*").is_empty());
        // Only the empty key would match: no object does.
        assert!(k("arn:aws:s3:::app-data/").is_empty());
        // The remainders match exactly the keys the whole pattern matches after the prefix.
        for (pattern, key) in [("arn:aws:s3:::app-*/secret/*", "a/b/secret/c"), ("arn:aws:s3:::a*a/*", "x")] {
            let whole = glob_match(pattern, &format!("arn:aws:s3:::app-data/{key}"), false);
            let cut = k(pattern).iter().any(|r| glob_match(r, key, false));
            assert_eq!(whole, cut, "{pattern} {key}");
        }
        assert_eq!(key_patterns(&"*a".repeat(2000), &"b".repeat(2000)), None, "too long to cut: never a guess");
    }

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
            Some(("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf".into(), "prod/db".into()))
        );
    }

    /// Issue 19: the shortcuts of [`regional_global`] (no global kind in the service) and [`secret_without_suffix`]
    /// (no grammar of secrets) answer as the full tests do, for an ARN of every grammar of every bundled service,
    /// with and without a region and an account, concrete and with wildcards.
    #[test]
    fn grammar_shortcuts_answer_as_the_full_tests() {
        let tables = crate::mapping::load(None).unwrap();
        let full_regional = |service: &Service, a: &Arn| {
            let fixed = |p: &str| !p.is_empty() && p.chars().any(|c| c != '*');
            (fixed(&a.region) || fixed(&a.account))
                && match_resource(service, &a.resource.replace(['*', '?'], "x"))
                    .is_some_and(|(kind, _, _)| service.arn_resources.iter().any(|r| r.kind == kind && r.global))
        };
        let full_unsuffixed = |service: &Service, arn: &str| {
            let Some(a) = Arn::parse(arn) else { return false };
            service.arn_resources.iter().any(|r| {
                let literal = &r.pattern[..r.pattern.find('{').unwrap_or(r.pattern.len())];
                r.pattern.starts_with("secret:")
                    && a.resource
                        .strip_prefix(literal)
                        .is_some_and(|n| !n.is_empty() && secret_suffix(&r.pattern, n).is_none())
            })
        };
        let (mut regional, mut unsuffixed, mut tried) = (0, 0, 0);
        for (prefix, service) in &tables.services {
            for grammar in &service.arn_resources {
                for name in ["orders", "orders-AbCdEf", "team/*", "a?c"] {
                    let resource = grammar.pattern.replace("{name}", name).replace("{path}", name);
                    for (region, account) in [("", ""), ("us-east-1", "111122223333"), ("*", "*"), ("", "111122223333")]
                    {
                        let arn = format!("arn:aws:{prefix}:{region}:{account}:{resource}");
                        let a = Arn::parse(&arn).expect("an ARN");
                        let want = full_regional(service, &a);
                        assert_eq!(regional_global(service, &a), want, "{arn}");
                        let want_unsuffixed = full_unsuffixed(service, &arn);
                        assert_eq!(secret_without_suffix(service, &arn), want_unsuffixed, "{arn}");
                        regional += usize::from(want);
                        unsuffixed += usize::from(want_unsuffixed);
                        tried += 1;
                    }
                }
            }
        }
        assert!(regional > 0 && unsuffixed > 0 && tried > regional + unsuffixed, "{regional} {unsuffixed} {tried}");
    }

    /// Review of 7f7888f: a secret is matched on its full ARN (another suffix is another secret). A secret named
    /// without its suffix (an External Secrets key: `-XXXXXX` stands for the suffix) is touched by a Deny on any
    /// suffix of its name, and by none on another name.
    #[test]
    fn a_deny_on_any_suffix_touches_a_secret_named_without_one() {
        let tables = crate::mapping::load(None).unwrap();
        let named: BTreeSet<String> =
            ["arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-XXXXXX".to_string()].into();
        let run = |deny: &str| {
            let perms = permissions(&format!(
                r#"{{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/*"}},
                   {{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:{deny}"}}"#
            ));
            let mut sink = Sink::default();
            let (needs, _, _) = needs(&tables, &TargetChoice::default(), "app", HOME, &perms, &named, &mut sink);
            needs.keys().map(|k| k.azure_name.clone()).collect::<Vec<_>>()
        };
        for deny in ["prod/db-AbCdEf", "prod/db-A*", "prod/db-??????", "prod/d*"] {
            assert!(run(deny).is_empty(), "{deny}");
        }
        for other in ["prod/db-admin-AbCdEf", "prod/db-AbCdEfG", "prod/dbx-AbCdEf"] {
            assert_eq!(run(other), ["prod-db"], "{other}");
        }
    }

    /// The permissions of a policy document with these statements (also the memo's tests').
    pub(crate) fn permissions(statements: &str) -> Vec<Permission> {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
        let root = crate::yaml::parse_stream(&doc).unwrap().remove(0).root;
        let mut sink = Sink::default();
        let d = crate::ingest::policy::read_document(crate::diag::FileId(0), &root, &mut sink).unwrap();
        d.statements.iter().map(|s| Permission { policy: "p".into(), statement: s.clone() }).collect()
    }

    /// Issue 20, finding 7: a key usable only through Secrets Manager needs no Azure role (a note names it, and
    /// the statement is returned as server-side encryption); the secret itself is still granted.
    #[test]
    fn a_key_used_only_through_secrets_manager_needs_nothing_on_azure() {
        let tables = crate::mapping::load(None).unwrap();
        let perms = permissions(
            r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"},
               {"Effect":"Allow","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}"#,
        );
        let mut sink = Sink::default();
        let (needs, _, server_side) =
            needs(&tables, &TargetChoice::default(), "app", HOME, &perms, &BTreeSet::new(), &mut sink);
        let kinds: Vec<&str> = needs.keys().map(|k| &*k.kind).collect();
        assert_eq!(kinds, ["secret"], "no key scope: {needs:?}");
        assert_eq!(server_side, [perms[1].statement.loc]);
        let codes: Vec<(&str, &str)> = sink.findings().iter().map(|f| (f.code, &*f.message)).collect();
        assert_eq!(codes.len(), 1, "{codes:?}");
        assert_eq!(codes[0].0, "E2A106");
        assert!(codes[0].1.contains("key/1234abcd-12ab-34cd-56ef-1234567890ab"), "{}", codes[0].1);
        assert!(codes[0].1.contains("AWS Secrets Manager"), "{}", codes[0].1);
    }

    /// A key that stays on AWS with its bucket is the bridge's: no note about Azure, and nothing recorded.
    #[test]
    fn a_server_side_key_that_stays_on_aws_says_nothing_about_azure() {
        let tables = crate::mapping::load(None).unwrap();
        let perms = permissions(
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/k1",
                "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
        );
        let choice = TargetChoice { stay_on_aws: vec!["arn:aws:kms:*".into()], ..TargetChoice::default() };
        let mut sink = Sink::default();
        let (needs, _, server_side) = needs(&tables, &choice, "app", HOME, &perms, &BTreeSet::new(), &mut sink);
        assert!(needs.is_empty() && server_side.is_empty() && sink.findings().is_empty(), "{:?}", sink.findings());
    }

    /// A negated `kms:ViaService` allows direct use of the key: not server-side encryption, and not carried
    /// (E2A020), as before.
    #[test]
    fn a_negated_via_service_is_not_server_side_encryption() {
        let tables = crate::mapping::load(None).unwrap();
        let perms = permissions(
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/k1",
                "Condition":{"StringNotEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}"#,
        );
        let mut sink = Sink::default();
        let (needs, _, server_side) =
            needs(&tables, &TargetChoice::default(), "app", HOME, &perms, &BTreeSet::new(), &mut sink);
        assert!(needs.is_empty() && server_side.is_empty());
        let codes: Vec<&str> = sink.findings().iter().map(|f| f.code).collect();
        assert_eq!(codes, ["E2A020"]);
    }

    /// Issue 19 (performance): a scope is derived once per resource, ARN and target and shared by the statement's
    /// actions. Each ARN a wildcard is narrowed to keeps its own scope with every action, a sub-resource's widening
    /// is reported once (at the first action), and what fails for one action (a blob path no condition can hold)
    /// is still reported for each action, as when every action derived its own scope.
    #[test]
    fn actions_on_one_arn_share_its_scope_and_keep_their_own_findings() {
        let tables = crate::mapping::load(None).unwrap();
        let perms = permissions(
            r#"{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage"],"Resource":"arn:aws:sqs:us-east-1:111122223333:orders-*"},
               {"Effect":"Allow","Action":["dynamodb:Query","dynamodb:Scan"],"Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/t/index/by-day"},
               {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::data/it's/*"}"#,
        );
        let named: BTreeSet<String> =
            ["arn:aws:sqs:us-east-1:111122223333:orders-eu", "arn:aws:sqs:us-east-1:111122223333:orders-us"]
                .iter()
                .map(|n| n.to_string())
                .collect();
        let mut sink = Sink::default();
        let (needs, _, _) = needs(&tables, &TargetChoice::default(), "app", HOME, &perms, &named, &mut sink);
        let scopes: Vec<(&str, &str, BTreeSet<&str>)> = needs
            .iter()
            .map(|(k, n)| (&*k.kind, &*k.aws_arn, n.perms.values().flatten().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            scopes,
            [
                (
                    "table",
                    "arn:aws:dynamodb:us-east-1:111122223333:table/t",
                    ["dynamodb:Query", "dynamodb:Scan"].into()
                ),
                (
                    "queue",
                    "arn:aws:sqs:us-east-1:111122223333:orders-eu",
                    ["sqs:DeleteMessage", "sqs:ReceiveMessage"].into()
                ),
                (
                    "queue",
                    "arn:aws:sqs:us-east-1:111122223333:orders-us",
                    ["sqs:DeleteMessage", "sqs:ReceiveMessage"].into()
                ),
            ],
            "{needs:?}"
        );
        let findings: Vec<(&str, &str)> = sink.findings().iter().map(|f| (f.code, &*f.message)).collect();
        let widened: Vec<&&str> = findings.iter().filter(|(c, _)| *c == "E2A017").map(|(_, m)| m).collect();
        assert_eq!(widened.len(), 1, "{findings:?}");
        assert!(widened[0].contains("dynamodb:Query and the statement's other actions"), "{}", widened[0]);
        let not_carried: Vec<&&str> = findings.iter().filter(|(c, _)| *c == "E2A020").map(|(_, m)| m).collect();
        assert_eq!(not_carried.len(), 2, "{findings:?}");
        assert!(not_carried[0].contains("s3:GetObject on it is not granted"), "{}", not_carried[0]);
        assert!(not_carried[1].contains("s3:PutObject on it is not granted"), "{}", not_carried[1]);
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
    /// The grammar matcher tried every split point of a placeholder; it now tries only where the next literal
    /// occurs. Both must agree on every pattern and text (the reference is the old matcher, kept here).
    fn reference_match(pattern: &str, text: &str) -> Option<(Option<String>, Option<String>)> {
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
            let limit = if lit == "name" { text.find(['/', ':']).unwrap_or(text.len()) } else { text.len() };
            for end in (1..=limit).rev() {
                if !text.is_char_boundary(end) {
                    continue;
                }
                let (head, t) = text.split_at(end);
                if go(tail, t, name, path) {
                    *(if lit == "name" { &mut *name } else { &mut *path }) = Some(head.to_string());
                    return true;
                }
            }
            false
        }
        let (mut name, mut path) = (None, None);
        go(&parts, text, &mut name, &mut path).then_some((name, path))
    }

    proptest::proptest! {
        #[test]
        fn grammar_matching_agrees_with_trying_every_split(
            pattern in proptest::sample::select(vec![
                "{name}", "{name}/{path}", "table/{name}/index/{path}", "secret:{path}", "a{name}b{path}c",
                "{path}//{name}", "x/{name}:{path}/é", "{name}{path}", "{path}ab{name}",
            ]),
            text in "[ab/:é*x-]{0,12}",
        ) {
            proptest::prop_assert_eq!(match_pattern(pattern, &text), reference_match(pattern, &text));
        }

        /// A key matches one of a pattern's remainders after a prefix exactly when prefix + key matches the
        /// pattern (the matcher every other wildcard comparison uses is the reference).
        #[test]
        fn key_patterns_agree_with_matching_the_whole_text(
            pattern in "[ab/*?]{0,8}",
            prefix in "[ab/]{0,5}",
            key in "[ab/]{1,6}",
        ) {
            let whole = glob_match(&pattern, &format!("{prefix}{key}"), false);
            let cut = key_patterns(&pattern, &prefix).unwrap().iter().any(|r| glob_match(r, &key, false));
            proptest::prop_assert_eq!(whole, cut);
        }
    }

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
            // The suffix is not part of the name but is part of the resource (review of 7f7888f).
            Some(("arn:aws:secretsmanager:eu-west-1:444455556666:secret:dbcreds-AbCdEf".into(), "dbcreds".into()))
        );
    }
}
