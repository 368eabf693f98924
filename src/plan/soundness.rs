//! The soundness check of every plan (issue 18, "grant exactly what AWS grants"): whatever an identity's Azure
//! role assignments allow, its AWS role allowed. For each assignment, every Azure data action the role grants on
//! the target (built-in roles expanded from the bundled definitions, custom roles as defined, blob-path ABAC
//! conditions applied) is tried on sample resources inside the scope — the AWS resource itself and, for a
//! container, object paths and list prefixes taken from every statement of the role (Allow, Deny, NotResource,
//! `s3:prefix` conditions) plus a path no statement names — and the AWS side is asked, with the IAM evaluator
//! ([`crate::graph::eval`]), whether any AWS action that maps to that data action on that kind of resource is
//! allowed there.
//!
//! - Azure allows and AWS does not: an error finding (E2A045) naming the data action, the sample and the AWS
//!   actions; the plan grants more than the role did.
//! - AWS cannot be decided (a condition on a key the plan cannot know, a policy variable): a warning (E2A046);
//!   never assumed to hold.
//!
//! Documented widenings are not violations: `excess_data_actions` (a built-in role's actions beyond the need, in
//! plan.json), the mapped reads a built-in role adds on a target reached through control-plane actions only (DNS
//! Zone Contributor for a Route 53 role that changes record sets without reading them: E2A133, reported here)
//! and a scope widened to the parent because `Resource: "*"` names nothing the workload uses (E2A017)
//! — for the latter, the samples are the AWS resources the role's statements name and one no statement names,
//! so a Deny on a named resource is still caught.

use super::{CustomRole, Identity, RoleAssignment};
use crate::diag::{Loc, Sink};
use crate::glob::glob_match;
use crate::graph::eval::{Context, Decision, Request, evaluate};
use crate::mapping::Tables;
use crate::mapping::azure::BlobOp;
use crate::model::{Arn, Statement};
use crate::rules;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

// PROBE: a path no statement names, what a grant allows beyond what the policies spell out.
use crate::mapping::need::PROBE;

/// Per (service prefix, target): Azure data action (lower case) → the AWS actions mapped to it, with the kinds of
/// AWS resource each applies to (the data part of [`Tables::reverse`]).
type Reverse = BTreeMap<(String, String), BTreeMap<String, Vec<(String, Vec<String>)>>>;

fn reverse(tables: &Tables) -> Reverse {
    let mut out: Reverse = BTreeMap::new();
    for (key, perms) in tables.reverse() {
        // A target reached through control-plane actions only (Azure DNS: record sets are ARM resources) has no
        // data action to try: its mapped control-plane actions are tried instead (review 3, d1: DNS Zone
        // Contributor for a role that only read Route 53). Where data actions exist, they are the access tried.
        let control_only = !perms.keys().any(|p| p.data);
        for (p, aws) in perms.iter().filter(|(p, _)| p.data || (control_only && !is_read(&p.name))) {
            out.entry(key.clone())
                .or_default()
                .entry(p.name.to_ascii_lowercase())
                .or_default()
                .extend(aws.iter().cloned());
        }
    }
    out
}

/// The control-plane actions [`reverse`] keeps (lower case): those of targets without data actions, reads aside.
/// Only changes are tried: a read role (Reader, `*/read`) reads the whole zone, which Route 53's read actions
/// cover under conditions eks2aks cannot always decide (a `ForAllValues` key those requests never send), so a
/// read would be an E2A046 where AWS allowed it; a write or delete AWS never allowed is what a wider role adds.
fn control_actions(tables: &Tables) -> BTreeSet<String> {
    tables
        .reverse()
        .values()
        .filter(|perms| !perms.keys().any(|p| p.data))
        .flat_map(|perms| perms.keys().filter(|p| !is_read(&p.name)).map(|p| p.name.to_ascii_lowercase()))
        .collect()
}

/// A control-plane read (`…/read`).
fn is_read(action: &str) -> bool {
    action.to_ascii_lowercase().ends_with("/read")
}

/// One resource to try: its ARN, its kind, and (for a bucket) the list prefix of the request (None: no prefix).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sample {
    arn: String,
    kind: String,
    prefix: Option<String>,
    /// An object's key (for blob-path conditions).
    path: Option<String>,
}

/// A pattern made concrete: every wildcard becomes one character.
fn instance(p: &str) -> String {
    p.replace(['*', '?'], "x")
}

/// True when `pattern` is a Secrets Manager secret's base ARN followed by a wildcard that matches every random
/// suffix (`-` and six characters): `name-*`, `name*` or `name-??????` (issue 20: External Secrets' documented
/// grants). Its instance (`name-x`) is then a sample of that secret, as an exact ARN with its suffix is.
fn any_secret_suffix(pattern: &str, base: &str) -> bool {
    base.split(':').nth(2) == Some("secretsmanager")
        && pattern.strip_prefix(base).is_some_and(|rest| matches!(rest, "*" | "-*" | "-??????"))
}

/// A random suffix no statement names, for a secret of a name (review of 7f7888f).
const SECRET_PROBE: &str = "-Probe0";

/// True when `base` is the ARN of a secret named by `arn`, a Secrets Manager ARN without its random suffix:
/// `arn`, `-` and six characters (wildcards made concrete).
fn same_secret_name(base: &str, arn: &str) -> bool {
    arn.split(':').nth(2) == Some("secretsmanager")
        && base.strip_prefix(arn).is_some_and(|rest| rest.len() == 7 && rest.starts_with('-'))
}

/// Object keys and list prefixes the role's statements name for bucket `b` of `partition` (and the probe).
fn bucket_paths(partition: &str, b: &str, statements: &[&Statement]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut paths: BTreeSet<String> = [format!("{PROBE}/x")].into();
    let mut prefixes: BTreeSet<String> = [format!("{PROBE}/")].into();
    let bucket_arn = format!("arn:{partition}:s3:::{b}/");
    for s in statements {
        for (r, _) in s.resource.iter().flat_map(|r| r.items.iter()) {
            if let Some(key) = r.strip_prefix(&bucket_arn) {
                paths.insert(instance(key));
                prefixes.insert(key.split(['*', '?']).next().unwrap_or("").to_string());
            } else if r.contains(['*', '?']) && glob_match(r, &format!("{bucket_arn}{PROBE}"), false) {
                // A pattern over buckets (`arn:aws:s3:::logs-*/*`): its key part, when it has one.
                if let Some((_, key)) = r.split_once('/') {
                    paths.insert(instance(key));
                }
            }
        }
        for c in s.conditions.iter().filter(|c| c.key.eq_ignore_ascii_case("s3:prefix")) {
            for v in &c.values {
                prefixes.insert(v.split(['*', '?']).next().unwrap_or("").to_string());
                paths.insert(format!("{}x", instance(v)));
            }
        }
    }
    prefixes.extend(paths.iter().cloned());
    (paths, prefixes)
}

/// A resource the role's statements name (an ARN), parsed once per identity for all its assignments' samples.
struct Named<'s> {
    /// As written.
    r: &'s str,
    arn: Arn,
    /// Outside S3: the base resource's ARN with every wildcard made concrete (`None`: it fits no grammar).
    base: Option<String>,
}

/// The ARNs the role's statements name, in statement order ([`Named`]).
fn named_resources<'s>(tables: &Tables, statements: &[&'s Statement]) -> Vec<Named<'s>> {
    let mut out = Vec::new();
    for st in statements {
        for (r, _) in st.resource.iter().flat_map(|r| r.items.iter()) {
            let Some(arn) = Arn::parse(r) else { continue };
            // The base ARN (memoised for the run: the plan resolved these same ARNs).
            let base = if arn.service == "s3" {
                None
            } else {
                crate::mapping::need::base_resource(tables, r).map(|(b, _)| instance(&b))
            };
            out.push(Named { r, arn, base });
        }
    }
    out
}

/// The samples of one assignment (`named`: the role's resources, [`named_resources`]).
fn samples(
    tables: &Tables,
    a: &RoleAssignment,
    services: &[String],
    home: (&str, &str),
    statements: &[&Statement],
    named: &[Named],
) -> Vec<Sample> {
    let mut arns: BTreeSet<String> = BTreeSet::new();
    if covers_many(tables, a) {
        // Widened: the resources the statements name, and one they do not.
        for prefix in services {
            for Named { r, arn: x, .. } in named.iter().filter(|n| n.arn.service == *prefix) {
                let base = if x.service == "s3" {
                    format!("arn:{}:s3:::{}", x.partition, instance(x.resource.split('/').next().unwrap_or("")))
                } else {
                    instance(r)
                };
                arns.insert(base);
            }
            arns.insert(probe_arn(tables, prefix, home));
        }
    } else {
        // The ARNs the statements name for this resource (a Secrets Manager secret's carries its random suffix,
        // which the scope's base ARN drops); the base itself when none does.
        for n in named.iter().filter(|n| n.arn.service != "s3") {
            let same =
                n.base.as_deref().is_some_and(|b| b == &*a.scope.aws_arn || same_secret_name(b, &a.scope.aws_arn))
                    || any_secret_suffix(n.r, &a.scope.aws_arn);
            if same {
                arns.insert(instance(n.r));
            }
        }
        // And the resource itself (its sub-resources' samples are judged together with it).
        arns.insert(own_sample(tables, &a.scope.aws_arn));
    }
    let mut out = Vec::new();
    for arn in arns {
        let Some(parsed) = Arn::parse(&arn) else { continue };
        let Some(service) = tables.services.get(&parsed.service) else { continue };
        let kind = crate::mapping::need::resolved_arn(tables, &parsed.service, service, &arn)
            .map(|x| x.kind.clone())
            .unwrap_or_default();
        if parsed.service == "s3" {
            let bucket = parsed.resource.split('/').next().unwrap_or("").to_string();
            let (paths, prefixes) = bucket_paths(&parsed.partition, &bucket, statements);
            out.push(Sample { arn: arn.clone(), kind: "bucket".into(), prefix: None, path: None });
            for p in prefixes {
                out.push(Sample { arn: arn.clone(), kind: "bucket".into(), prefix: Some(p), path: None });
            }
            for p in paths {
                out.push(Sample {
                    arn: format!("arn:{}:s3:::{bucket}/{p}", parsed.partition),
                    kind: "object".into(),
                    prefix: None,
                    path: Some(p),
                });
            }
        } else {
            out.push(Sample { arn, kind, prefix: None, path: None });
        }
    }
    out
}

/// The sample of a scope's own resource: its ARN; for a secret's ARN without its random suffix, which is no
/// secret's, a secret of that name (review of 7f7888f).
fn own_sample(tables: &Tables, arn: &str) -> String {
    let unsuffixed =
        tables.services.get("secretsmanager").is_some_and(|svc| crate::mapping::need::secret_without_suffix(svc, arn));
    if unsuffixed { format!("{arn}{SECRET_PROBE}") } else { arn.to_string() }
}

/// Whether an assignment's scope holds more AWS resources than its `aws_arn`: a widened one (`*`), or one of a kind
/// with no Azure resource per AWS resource (an App Configuration store for SSM parameters, a registry for ECR
/// repositories, the resource group for EventBridge buses). Its samples are then every resource the statements
/// name and one they do not, each judged on its own: a grant on the store is a grant on every parameter in it
/// (review of 4ba9fce: such grants passed as exact, judged on the one parameter).
fn covers_many(tables: &Tables, a: &RoleAssignment) -> bool {
    &*a.scope.aws_arn == "*" || !crate::mapping::need::has_own_scope(tables, &a.scope.kind)
}

/// Whether an unconditional Allow of the role names one of the AWS actions `aws` (`NotAction` respected): the
/// action was granted, on some resource; a widened scope only adds resources to it.
fn allowed_somewhere(aws: &[(String, Vec<String>)], statements: &[&Statement]) -> bool {
    statements.iter().filter(|s| s.effect == crate::model::Effect::Allow && s.conditions.is_empty()).any(|s| {
        aws.iter().any(|(c, _)| s.action.items.iter().any(|(p, _)| crate::glob::action_matches(p, c)) != s.action.not)
    })
}

/// The base resources (a bucket for S3) the role's statements name for service `prefix`, wildcards made concrete.
fn named_bases(tables: &Tables, prefix: &str, statements: &[&Statement]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in statements {
        for (r, _) in s.resource.iter().flat_map(|r| r.items.iter()) {
            if Arn::parse(r).is_some_and(|x| x.service == prefix) {
                let sample = Sample { arn: instance(r), kind: String::new(), prefix: None, path: None };
                out.insert(base_of_sample(tables, &sample));
            }
        }
    }
    out
}

/// The base resource of a sample: its bucket for S3, else the service grammar's base ARN (itself when none fits).
fn base_of_sample(tables: &Tables, s: &Sample) -> String {
    let Some(x) = Arn::parse(&s.arn) else { return s.arn.clone() };
    if x.service == "s3" {
        return format!("arn:{}:s3:::{}", x.partition, x.resource.split('/').next().unwrap_or(""));
    }
    tables
        .services
        .get(&x.service)
        .and_then(|svc| crate::mapping::need::base_arn(svc, &x))
        .unwrap_or_else(|| s.arn.clone())
}

/// An ARN of the service that no statement names (from its first resource grammar), in the role's partition and
/// account (`home`): a role of `aws-cn` is judged on `arn:aws-cn:…` requests, the only ones it can make.
fn probe_arn(tables: &Tables, prefix: &str, (partition, account): (&str, &str)) -> String {
    // The service's first grammar of its own resources (an S3 access point is an entry to a bucket, not one).
    let pattern = tables
        .services
        .get(prefix)
        .and_then(|s| s.arn_resources.iter().find(|r| !crate::mapping::need::names_no_resource(&r.kind)))
        .map_or("{name}", |r| &r.pattern);
    let resource = pattern.replace("{name}", PROBE).replace("{path}", PROBE);
    if prefix == "s3" {
        format!("arn:{partition}:s3:::{resource}")
    } else {
        format!("arn:{partition}:{prefix}:us-east-1:{account}:{resource}")
    }
}

/// Whether the assignment's condition lets data action `d` through for this sample: the Azure side model
/// ([`crate::mapping::azure`]) evaluates the same condition the plan writes.
fn azure_allows(a: &RoleAssignment, d: &str, s: &Sample) -> bool {
    let Some(c) = &a.condition else { return true };
    if crate::mapping::azure::is_blob_read(d) && s.kind == "bucket" {
        return c.allows(BlobOp::List(s.prefix.as_deref()));
    }
    if crate::mapping::azure::is_object_action(d) {
        return s.path.as_deref().is_some_and(|p| c.allows(BlobOp::Object(p)));
    }
    true
}

/// A sample as a message shows it: the probe is what it stands for, a key (or resource) no statement names.
fn shown(s: &str) -> String {
    s.replace(&format!("{PROBE}/x"), "<any other key>").replace(PROBE, "<any other>")
}

/// Checks every identity of the plan; findings go to `sink`.
pub fn check(
    identities: &[Identity],
    custom_roles: &BTreeMap<String, CustomRole>,
    tables: &Tables,
    locs: &BTreeMap<&str, Loc>,
    sink: &mut Sink,
) {
    let checker = Checker {
        tables,
        rev: reverse(tables),
        role_index: tables.roles.iter().enumerate().map(|(i, r)| (&*r.id, i)).collect(),
        custom: custom_roles.values().map(|c| (c.role_definition_id.as_str(), &c.data_actions)).collect(),
        control: (
            control_actions(tables),
            custom_roles.values().map(|c| (c.role_definition_id.as_str(), &c.actions)).collect(),
        ),
    };
    // Identities are independent: checked in parallel chunks, each with its own sink; the chunks come back in
    // order, so the findings are those of a sequential run.
    let sinks: Vec<Sink> = crate::par::install(|| {
        identities
            .par_chunks(64)
            .map(|chunk| {
                let (mut s, mut granted) = (Sink::default(), Granted::default());
                for id in chunk {
                    let loc = locs.get(id.aws_role_arn.as_str()).copied();
                    checker.identity(id, loc, &mut s, &mut granted);
                }
                s
            })
            .collect()
    });
    for s in sinks {
        sink.append(s);
    }
}

/// AWS's answer for one sample: the decision, whether an explicit Deny said no, and the AWS actions tried.
type Answer = (Decision, bool, Vec<String>);

/// Where an assignment allows what AWS did not: (data action, sample as shown, AWS actions tried).
type Wider = BTreeSet<(String, String, Vec<String>)>;

/// Per (role definition ID, (service prefix, target)): whether the role grants each data action of the target's
/// [`Reverse`] map, in the map's order. A pure function of its key, kept for a chunk of identities (issue 19: the
/// role's data-action patterns were matched against every data action of the target again for each assignment,
/// though a chunk's assignments share a handful of roles and targets).
type Granted = foldhash::HashMap<(Arc<str>, (String, String)), Arc<[bool]>>;

/// What the check of every identity reads, computed once.
struct Checker<'t> {
    tables: &'t Tables,
    /// The data part of [`Tables::reverse`].
    rev: Reverse,
    /// Built-in roles by definition ID.
    role_index: BTreeMap<&'t str, usize>,
    /// Custom roles' data actions by definition ID.
    custom: BTreeMap<&'t str, &'t Vec<String>>,
    /// The control-plane actions of [`Checker::rev`] (lower case), and custom roles' control-plane actions.
    control: (BTreeSet<String>, BTreeMap<&'t str, &'t Vec<String>>),
}

impl Checker<'_> {
    /// Checks each role assignment of one identity against its AWS role's statements.
    fn identity(&self, id: &Identity, loc: Option<Loc>, sink: &mut Sink, granted: &mut Granted) {
        let statements: Vec<&Statement> = id.aws_permissions.iter().map(|p| &*p.statement).collect();
        let (partition, account) =
            Arn::parse(&id.aws_role_arn).map(|a| (a.partition, a.account)).unwrap_or(("aws".into(), String::new()));
        let named = named_resources(self.tables, &statements);
        for a in &id.role_assignments {
            let (wider, unknown) = self.assignment(a, (&partition, &account), &statements, &named, granted);
            let scope = format!("{} `{}`", a.scope.kind, a.scope.azure_name);
            report_wider(id, a, &scope, wider, loc, sink);
            report_unknown(id, a, &scope, unknown, loc, sink);
            self.report_reads(id, a, &scope, loc, sink);
        }
    }

    /// E2A133: on a target reached through control-plane actions only (Azure DNS), the mapped reads a built-in
    /// role allows that none of the assignment's AWS actions maps to — DNS Zone Contributor for a Route 53 role that
    /// may change record sets but not read them reads the zone and every record set. Reads are not tried as
    /// samples ([`control_actions`]), so this is where they are weighed: a documented widening, reported.
    ///
    /// Decision (Route 53 write-only roles): DNS Zone Contributor is kept rather than an exact custom role with
    /// only the record-set writes and deletes, because the Azure clients these roles serve read before they
    /// write: cert-manager's azureDNS solver gets the TXT record set (with its etag) before every change
    /// (cert-manager `pkg/issuer/acme/dns/azuredns/azuredns.go`, `updateTXTRecord`), and external-dns lists the
    /// zone's record sets to plan its changes (kubernetes-sigs/external-dns `provider/azure`). An exact role
    /// would be refused on the first request; the widening is named instead.
    fn report_reads(&self, id: &Identity, a: &RoleAssignment, scope: &str, loc: Option<Loc>, sink: &mut Sink) {
        let Some(&role) = self.role_index.get(&*a.role_definition_id).filter(|_| !a.custom) else { return };
        let r = &self.tables.roles[role];
        let grants = |d: &str| {
            r.actions.iter().any(|p| glob_match(p, d, true)) && !r.not_actions.iter().any(|p| glob_match(p, d, true))
        };
        let mut reads: BTreeSet<&str> = BTreeSet::new();
        let mut aws_reads: BTreeSet<&str> = BTreeSet::new();
        for prefix in self.services_of(a) {
            let Some(perms) = self.tables.reverse().get(&(prefix, a.scope.target.to_string())) else { continue };
            if perms.keys().any(|p| p.data) {
                continue;
            }
            for (p, aws) in perms.iter().filter(|(p, _)| is_read(&p.name)) {
                let carried = aws.iter().any(|(x, _)| a.aws_actions.iter().any(|y| y.eq_ignore_ascii_case(x)));
                if !carried && grants(&p.name) {
                    reads.insert(&p.name);
                    aws_reads.extend(aws.iter().map(|(x, _)| x.as_str()));
                }
            }
        }
        if reads.is_empty() {
            return;
        }
        let list = |v: &BTreeSet<&str>| {
            let shown: Vec<&str> = v.iter().take(8).copied().collect();
            let more = if v.len() > 8 { format!(" and {} more", v.len() - 8) } else { String::new() };
            format!("{}{more}", shown.join(", "))
        };
        let carried: Vec<&str> = a.aws_actions.iter().map(|x| &**x).collect();
        sink.push(
            rules::CONTROL_PLANE_EXCESS,
            format!(
                "identity `{}`: `{}` on {scope} also allows reads beyond the AWS actions of IAM role `{}` it carries ({}): {} (reading the zone and its record sets), which only {} would need, and the plan carries none of them on it. The role is kept because the Azure clients of DNS grants read record sets before they write them (cert-manager's azureDNS solver, external-dns); a custom role with only the writes and deletes is not proposed",
                id.name,
                a.role_name,
                id.aws_role_arn,
                carried.join(", "),
                list(&reads),
                list(&aws_reads)
            ),
            loc,
        );
    }

    /// One assignment: every data action its role grants that an AWS action of the scope's services maps to, tried
    /// on the samples ([`samples`]). Returns where AWS said no — (data action, sample, AWS actions tried) — and the
    /// samples where AWS's answer could not be decided. A documented excess is not counted unless a Deny names it.
    fn assignment(
        &self,
        a: &RoleAssignment,
        home: (&str, &str),
        statements: &[&Statement],
        named: &[Named],
        granted: &mut Granted,
    ) -> (Wider, BTreeSet<String>) {
        let services = self.services_of(a);
        let excess: BTreeSet<String> = a.excess_data_actions.iter().map(|d| d.to_ascii_lowercase()).collect();
        let all = samples(self.tables, a, &services, home, statements, named);
        let mut wider = Wider::new();
        let mut unknown: BTreeSet<String> = BTreeSet::new();
        let none = BTreeSet::new();
        for prefix in &services {
            let key = (prefix.clone(), a.scope.target.to_string());
            let Some(map) = self.rev.get(&key) else { continue };
            let grants = granted
                .entry((a.role_definition_id.clone(), key))
                .or_insert_with(|| map.keys().map(|d| self.grants(a, d)).collect())
                .clone();
            let of_prefix: Vec<&Sample> =
                all.iter().filter(|s| Arn::parse(&s.arn).is_some_and(|x| x.service == *prefix)).collect();
            // The bases the statements name for the prefix, once for all its data actions (when one needs them).
            let mut bases: Option<BTreeSet<String>> = None;
            for ((d, aws), _) in map.iter().zip(grants.iter()).filter(|(_, g)| **g) {
                // A built-in role's actions beyond the need are a documented widening (`excess_data_actions`),
                // except where the policy explicitly denies them.
                let is_excess = excess.contains(d);
                let try_one = |s: &Sample| try_sample(a, d, aws, s, statements);
                // A reported widening (E2A017) covers the resources no statement names, for a data action AWS
                // allowed on some resource; never where a Deny says no.
                let documented = a.scope.widened && allowed_somewhere(aws, statements);
                let named: &BTreeSet<String> = if documented {
                    bases.get_or_insert_with(|| named_bases(self.tables, prefix, statements))
                } else {
                    &none
                };
                let try_one = |s: &Sample| {
                    let answer = try_one(s)?;
                    let beyond = documented && !answer.1 && !named.contains(&base_of_sample(self.tables, s));
                    (answer.0 == Decision::Allow || !beyond).then_some(answer)
                };
                // Secrets of one name with different suffixes are different secrets (one deleted, one created),
                // all read through the one Azure secret: each is judged on its own.
                let judged = if prefix != "s3" && prefix != "secretsmanager" && !covers_many(self.tables, a) {
                    judge_as_one(a, &of_prefix, try_one)
                } else {
                    judge_each(&of_prefix, try_one)
                };
                for (shown, (decided, explicit_deny, candidates)) in judged {
                    if is_excess && (decided == Decision::Allow || !explicit_deny) {
                        continue;
                    }
                    match decided {
                        Decision::Allow => {}
                        Decision::Unknown => {
                            unknown.insert(shown);
                        }
                        _ => {
                            wider.insert((d.clone(), shown, candidates));
                        }
                    }
                }
            }
        }
        (wider, unknown)
    }

    /// The AWS services behind an assignment's scope: the scope's own, or every service mapped to its target.
    fn services_of(&self, a: &RoleAssignment) -> Vec<String> {
        match Arn::parse(&a.scope.aws_arn) {
            Some(x) => vec![x.service],
            None => self
                .tables
                .services
                .iter()
                .filter(|(_, s)| s.targets.get(&*a.scope.target).is_some_and(|t| t.azure_type == a.scope.azure_type))
                .map(|(p, _)| p.clone())
                .collect(),
        }
    }

    /// Whether the assignment's role grants data action `d`: a custom role as defined, a built-in one from the
    /// bundled definitions.
    fn grants(&self, a: &RoleAssignment, d: &str) -> bool {
        if self.control.0.contains(d) {
            return match self.control.1.get(&*a.role_definition_id) {
                Some(list) => list.iter().any(|x| glob_match(x, d, true)),
                None => self.role_index.get(&*a.role_definition_id).is_some_and(|&i| {
                    let r = &self.tables.roles[i];
                    r.actions.iter().any(|p| glob_match(p, d, true))
                        && !r.not_actions.iter().any(|p| glob_match(p, d, true))
                }),
            };
        }
        match self.custom.get(&*a.role_definition_id) {
            Some(list) => list.iter().any(|x| x.eq_ignore_ascii_case(d)),
            None => self
                .role_index
                .get(&*a.role_definition_id)
                .is_some_and(|&i| crate::mapping::choose::role_grants_data(&self.tables.roles[i], d)),
        }
    }
}

/// One sample: `None` when no AWS action of its kind maps to data action `d` (`aws`: the AWS actions mapped to
/// it, with their resource kinds) or the condition stops it on Azure; else AWS's answer.
fn try_sample(
    a: &RoleAssignment,
    d: &str,
    aws: &[(String, Vec<String>)],
    s: &Sample,
    statements: &[&Statement],
) -> Option<Answer> {
    let candidates: Vec<&String> = aws
        .iter()
        .filter(|(_, kinds)| kinds.is_empty() || kinds.iter().any(|k| k.eq_ignore_ascii_case(&s.kind)))
        .map(|(n, _)| n)
        .collect();
    if candidates.is_empty() || !azure_allows(a, d, s) {
        return None;
    }
    // `s3:prefix` is sent with bucket listings only: for any other request it is absent.
    let ctx = match &s.prefix {
        Some(p) if s.kind == "bucket" => Context::open().with("s3:prefix", &[p]),
        _ => Context::open().without("s3:prefix"),
    };
    let mut decided = Decision::NotApplicable;
    let mut explicit_deny = false;
    for c in &candidates {
        let r = evaluate(statements.iter().copied(), None, &Request { action: c, resource: &s.arn, context: &ctx });
        match r {
            Decision::Allow => {
                decided = Decision::Allow;
                break;
            }
            Decision::Unknown => decided = Decision::Unknown,
            Decision::Deny => explicit_deny = true,
            _ => {}
        }
    }
    Some((decided, explicit_deny, candidates.iter().map(|c| c.to_string()).collect()))
}

/// Outside blob storage an Azure scope is one resource: the AWS resource and its sub-resources (a DynamoDB
/// table's indexes and streams) are one thing on Azure, so AWS's answer is the best over all their samples
/// (an explicit Deny on any of them kept); reading through an index is reading the table (E2A017 reports the
/// widening of index-only access to the table). Shown as the scope's AWS resource.
fn judge_as_one(
    a: &RoleAssignment,
    samples: &[&Sample],
    try_one: impl Fn(&Sample) -> Option<Answer>,
) -> Vec<(String, Answer)> {
    let mut best: Option<Answer> = None;
    for s in samples {
        let Some((dec, deny, cands)) = try_one(s) else { continue };
        let rank = |x: &Decision| match x {
            Decision::Allow => 0,
            Decision::Unknown => 1,
            _ => 2,
        };
        match &mut best {
            Some(b) if rank(&b.0) <= rank(&dec) => b.1 |= deny,
            _ => best = Some((dec, deny, cands)),
        }
    }
    best.map(|answer| vec![(a.scope.aws_arn.to_string(), answer)]).unwrap_or_default()
}

/// Blob storage (and widened scopes): each sample judged on its own, shown with its list prefix or as a listing.
fn judge_each(samples: &[&Sample], try_one: impl Fn(&Sample) -> Option<Answer>) -> Vec<(String, Answer)> {
    samples
        .iter()
        .filter_map(|s| {
            let answer = try_one(s)?;
            let shown = match &s.prefix {
                Some(p) => format!("{} (list prefix `{p}`)", s.arn),
                None if s.kind == "bucket" => format!("{} (listing)", s.arn),
                None => s.arn.clone(),
            };
            Some((shown, answer))
        })
        .collect()
}

/// E2A045: where the assignment allows what AWS did not — the first four, what the policies name before the
/// probe.
fn report_wider(id: &Identity, a: &RoleAssignment, scope: &str, wider: Wider, loc: Option<Loc>, sink: &mut Sink) {
    if wider.is_empty() {
        return;
    }
    let n = wider.len();
    // What the policies name first; the probe (a key no statement names) is shown for what it is.
    let mut wider: Vec<(String, String, Vec<String>)> =
        wider.into_iter().map(|(d, s, aws)| (d, shown(&s), aws)).collect();
    wider.sort_by_key(|(_, s, _)| s.contains("<any other"));
    let list: Vec<String> = wider
        .iter()
        .take(4)
        .map(|(d, s, aws)| {
            let short = d.rsplit_once("/blobservices/").map_or(d.as_str(), |(_, r)| r);
            let aws: Vec<&str> = aws.iter().take(3).map(String::as_str).collect();
            format!("`{short}` on {s} (AWS allows none of {})", aws.join(", "))
        })
        .collect();
    let more = if n > 4 { format!(" and {} more", n - 4) } else { String::new() };
    sink.push(
        rules::GRANT_WIDER_THAN_AWS,
        format!(
            "identity `{}`: `{}` on {scope} allows more than IAM role `{}`: {}{more}",
            id.name,
            a.role_name,
            id.aws_role_arn,
            list.join("; ")
        ),
        loc,
    );
}

/// E2A046: the samples where AWS's answer depends on a condition the check cannot decide — the first three.
fn report_unknown(
    id: &Identity,
    a: &RoleAssignment,
    scope: &str,
    unknown: BTreeSet<String>,
    loc: Option<Loc>,
    sink: &mut Sink,
) {
    if unknown.is_empty() {
        return;
    }
    let mut unknown: Vec<String> = unknown.into_iter().map(|s| shown(&s)).collect();
    unknown.sort_by_key(|s| s.contains("<any other"));
    let list: Vec<&str> = unknown.iter().take(3).map(String::as_str).collect();
    sink.push(
        rules::GRANT_NOT_PROVABLE,
        format!(
            "identity `{}`: `{}` on {scope}: whether IAM role `{}` allowed it on {} depends on a condition eks2aks cannot decide (a key it cannot know, or a policy variable)",
            id.name,
            a.role_name,
            id.aws_role_arn,
            list.join(", ")
        ),
        loc,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(dir: &str) -> std::sync::Arc<super::super::Plan> {
        let tables = crate::mapping::load(None).unwrap();
        crate::analyse(&[dir.into()], &crate::config::Config::default(), &tables).unwrap().plan
    }

    fn check_codes(identities: &[Identity], plan: &super::super::Plan) -> Vec<(String, String)> {
        let tables = crate::mapping::load(None).unwrap();
        let custom: BTreeMap<String, CustomRole> =
            plan.custom_roles.iter().map(|c| (c.role_definition_id.clone(), c.clone())).collect();
        let mut sink = Sink::default();
        check(identities, &custom, &tables, &BTreeMap::new(), &mut sink);
        sink.findings().iter().map(|f| (f.code.to_string(), f.message.to_string())).collect()
    }

    /// E2A045 is a guard: no bundled translation reaches it any more (issue 18), so it is shown on a plan made
    /// wider by hand. Listing-only (`s3:ListBucket`) becomes Storage Blob Data Reader whose condition allows no
    /// object; without the condition, every object would be readable.
    #[test]
    fn a_listing_grant_without_its_condition_is_wider_than_aws() {
        let plan = plan_of("testdata/soundness/listing-only");
        assert!(check_codes(&plan.identities, &plan).is_empty(), "the translation itself is exact");
        let mut ids = plan.identities.clone();
        let a = &mut ids[0].role_assignments[0];
        assert!(a.condition.is_some(), "listing only is a condition");
        a.condition = None;
        let found = check_codes(&ids, &plan);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "E2A045");
        assert!(found[0].1.contains("<any other key>") && found[0].1.contains("s3:GetObject"), "{}", found[0].1);
    }

    /// Review of 4ba9fce: a grant on one SSM parameter sat on the whole App Configuration store and the check judged
    /// it on that parameter alone. A store holds every parameter: a grant there that the plan did not report as
    /// widened is wider than the role, whatever the scope is called.
    #[test]
    fn a_store_wide_grant_not_reported_as_widened_is_wider_than_aws() {
        let plan = plan_of("testdata/fixtures/scopes/ssm-parameter-per-role");
        assert!(check_codes(&plan.identities, &plan).is_empty(), "reported as widened: documented");
        let mut ids = plan.identities.clone();
        let a = &mut ids[0].role_assignments[0];
        assert_eq!(&*a.scope.kind, "app_configuration");
        assert!(a.scope.widened);
        // The shape of the defect: named after the parameter, not reported.
        a.scope.widened = false;
        a.scope.azure_name = "billing-db-url".into();
        let found = check_codes(&ids, &plan);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "E2A045");
        assert!(
            found[0].1.contains("parameter/<any other>") && found[0].1.contains("ssm:GetParameter"),
            "{}",
            found[0].1
        );
    }

    /// A reported widening excuses only other resources, for actions the role allowed: a store-wide grant of an
    /// action the role never allowed is still wider than AWS.
    #[test]
    fn a_widening_does_not_excuse_an_action_the_role_never_allowed() {
        let ssm = plan_of("testdata/fixtures/scopes/ssm-parameter-per-role");
        let ecr = plan_of("testdata/fixtures/scopes/ecr-repository");
        let mut ids = ssm.identities.clone();
        ids[0].aws_permissions = ecr.identities[0].aws_permissions.clone();
        assert!(ids[0].role_assignments[0].scope.widened);
        let found = check_codes(&ids, &ssm);
        assert!(found.iter().any(|(c, m)| c == "E2A045" && m.contains("keyvalues/read")), "{found:?}");
    }

    /// Review of 7f7888f: a Deny on a secret's full ARN was ignored, and the check judged the grant on the secret's
    /// ARN less its random suffix — which no secret has, and which the Allow on `secret:prod/*` matched. Given a
    /// grant on that secret in either shape (its full ARN, or the ARN without the suffix), the Deny is caught.
    #[test]
    fn a_grant_on_a_secret_its_full_arn_denies_is_wider_than_aws() {
        let plan = plan_of("testdata/fixtures/grants/secret-deny-exact");
        assert!(plan.identities[0].role_assignments.is_empty(), "denied: not granted");
        // The same role with the Deny on another secret: granted.
        let tmp = tempfile::tempdir().unwrap();
        for f in ["iam/auth.json", "k8s/app.yaml"] {
            let text = std::fs::read_to_string(format!("testdata/fixtures/grants/secret-deny-exact/{f}")).unwrap();
            std::fs::create_dir_all(tmp.path().join(f).parent().unwrap()).unwrap();
            let text = if f.starts_with("iam") { text.replace("db-AbCdEf\"\n", "other-AbCdEf\"\n") } else { text };
            std::fs::write(tmp.path().join(f), text).unwrap();
        }
        let granted = plan_of(tmp.path().to_str().unwrap());
        let a = granted.identities.iter().flat_map(|i| &i.role_assignments).find(|a| &*a.scope.kind == "secret");
        let mut a = a.expect("a grant on a secret").clone();
        let full = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";
        for arn in [full, full.trim_end_matches("-AbCdEf")] {
            a.scope.aws_arn = arn.into();
            let mut ids = plan.identities.clone();
            ids[0].role_assignments = vec![a.clone()];
            let found = check_codes(&ids, &plan);
            assert!(found.iter().any(|(c, m)| c == "E2A045" && m.contains("prod/db-AbCdEf")), "{arn}: {found:?}");
        }
    }

    /// Review 3 (d1): a role that only reads Route 53 got DNS Zone Contributor, and the check, which tried data
    /// actions only, said nothing: Azure DNS access is control-plane. Given the write role by hand, the check tries
    /// the zone's mapped control-plane actions too and finds the record-set writes AWS never allowed.
    #[test]
    fn a_dns_write_role_for_a_role_that_only_reads_route53_is_wider_than_aws() {
        let dir = "testdata/fixtures/route53/read-only-role";
        let tables = crate::mapping::load(None).unwrap();
        let (cfg, _) = crate::config::load(Some(std::path::Path::new(&format!("{dir}/eks2aks.yaml")))).unwrap();
        let plan = crate::analyse(&[dir.into()], &cfg, &tables).unwrap().plan;
        assert!(check_codes(&plan.identities, &plan).is_empty(), "Reader on the zone is exact");
        let mut ids = plan.identities.clone();
        let a = &mut ids[0].role_assignments[0];
        assert_eq!((&*a.role_name, &*a.scope.kind), ("Reader", "dns_zone"));
        a.role_name = "DNS Zone Contributor".into();
        a.role_definition_id = "befefa01-2a29-4197-83a8-272ff33ce314".into();
        let found = check_codes(&ids, &plan);
        assert!(
            found.iter().any(|(c, m)| c == "E2A045"
                && m.contains("microsoft.network/dnszones/a/write")
                && m.contains("route53:ChangeResourceRecordSets")),
            "{found:?}"
        );
    }

    /// E2A046 is a guard too: a statement under a condition eks2aks cannot decide is not translated. Given the
    /// grant anyway, the check says whether AWS allowed it depends on that condition (never assumed true).
    #[test]
    fn a_grant_behind_an_undecidable_condition_is_not_provable() {
        let granted = plan_of("testdata/rules/E2A055/near-miss");
        let conditional = plan_of("testdata/soundness/conditional-reads");
        assert!(conditional.identities[0].role_assignments.is_empty(), "refused, not granted without the condition");
        let mut ids = granted.identities.clone();
        ids[0].aws_permissions = conditional.identities[0].aws_permissions.clone();
        let found = check_codes(&ids, &granted);
        assert!(found.iter().any(|(c, m)| c == "E2A046" && m.contains("media")), "{found:?}");
        assert!(found.iter().all(|(c, _)| c != "E2A045"), "{found:?}");
    }
}
