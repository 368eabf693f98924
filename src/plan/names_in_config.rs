//! AWS names and references in configuration values (issue 21 Deliver 3, issue 20 Deliver 6).
//!
//! [`find`] looks, for each role with an identity, at the configuration values of the workloads that run as it
//! (env values, `args`/`command` items, the `data`/`stringData` of the ConfigMaps and Secrets they read, and the
//! scalars of YAML/JSON documents embedded in those): a resource named by its form (an ARN, an `s3://`/`s3a://`/
//! `s3n://` URI, an SQS queue or S3 URL), or a word equal to a resource name the role's own Allow statements name.
//! The role's names are gathered once into a hash map; each value is split into tokens once
//! ([`crate::ingest::tokens`]) and each token is one lookup. What is found joins the resources the role's
//! workloads name, so a `Resource: "*"` grant is narrowed to them instead of widened.
//!
//! [`report`] runs once the manifest edits are decided: a reference no edit rewrites is E2A111 (a name of a
//! resource the plan moves to Azure), and an AWS reference in a custom resource's `spec` or a container's
//! `args`/`command` (an ARN, an `*.amazonaws.com` host, an S3 URI, `--aws-*` flags, `--provider=aws`) is
//! E2A112, once per value. Left out: values an edit rewrites (by their position or an enclosing node's), the
//! objects of AWS add-ons (E2A070/E2A072 cover them), the DNS and secrets sections `plan::dns_secrets` reads
//! (E2A080–E2A083), KEDA objects (E2A029), AWS SDK variables (E2A028) and env values already reported as
//! endpoints (E2A027).

use super::Plan;
use super::edits::Edit;
use crate::diag::{FileId, Loc, Pos, Sink};
use crate::graph::{Joined, Permission};
use crate::ingest::tokens::{self, Token};
use crate::mapping::{Tables, need};
use crate::model::{ConfigValue, Effect, Model, SDK_VARIABLES};
use crate::rules;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Names shorter than this are not looked up as bare words (too likely to be an unrelated word).
const MIN_NAME: usize = 3;

/// What [`find`] found.
#[derive(Debug, Default)]
pub struct Found {
    /// The resources (base ARNs) each role's workloads name in their configuration values.
    pub by_role: BTreeMap<usize, BTreeSet<String>>,
    /// Each reference, for [`report`].
    refs: Vec<FoundRef>,
}

/// One resource named in one value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FoundRef {
    /// Where the name is (a line of an embedded document, or the value).
    loc: Loc,
    /// The role.
    role: usize,
    /// The resource's base ARN.
    arn: String,
    /// The token that names it.
    token: String,
    /// Named by its form (an ARN or URI), not as a bare word.
    by_form: bool,
    /// The value's key (shared with the value).
    key: std::sync::Arc<str>,
    /// Where the value's scalar is (the position an edit names).
    value: Loc,
    /// Where the nodes that hold it are: an `args`/`command` list, or a custom resource's enclosing nodes.
    within: Vec<Pos>,
}

/// The resource names a role's Allow statements name (concrete, at least [`MIN_NAME`] long), each with the base
/// ARNs of that name. A Secrets Manager ARN's random suffix (`-AbCdEf`) is dropped too: configurations name the
/// secret without it.
fn role_names(tables: &Tables, perms: &[Permission]) -> HashMap<String, Vec<String>> {
    let mut names: HashMap<String, Vec<String>> = HashMap::new();
    let resources = perms
        .iter()
        .filter(|p| p.statement.effect == Effect::Allow)
        .filter_map(|p| p.statement.resource.as_ref().filter(|r| !r.not))
        .flat_map(|r| r.items.iter().map(|(t, _)| &**t));
    // A wildcard in the name names no one resource; one in the rest (`bucket/*`) still names the bucket.
    for r in resources.filter(|r| !r.contains("${")) {
        let Some((base, name)) =
            need::base_resource(tables, r).filter(|(b, n)| !b.contains(['*', '?']) && !n.contains(['*', '?']))
        else {
            continue;
        };
        let mut add = |n: &str| {
            if n.len() >= MIN_NAME {
                let list = names.entry(n.to_string()).or_default();
                if !list.contains(&base) {
                    list.push(base.clone());
                }
            }
        };
        add(&name);
        if base.split(':').nth(2) == Some("secretsmanager")
            && let Some((stem, suffix)) = name.rsplit_once('-')
            && suffix.len() == 6
            && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            add(stem);
        }
    }
    names
}

/// The URLs a storage config reads with the bucket as their path (`model.bucket_urls`): (value, URL) → the bucket.
type BucketUrls<'m> = BTreeMap<(Loc, &'m str), Option<&'m str>>;

/// The resources one value names: (token, base ARN, by form), each at its line. A URL of `urls` names the bucket of
/// its path, or nothing (Loki's `s3://<region>/<bucket>`: the region is no bucket).
fn value_refs(
    tables: &Tables,
    names: &HashMap<String, Vec<String>>,
    urls: &BucketUrls,
    v: &ConfigValue,
    out: &mut dyn FnMut(Loc, &str, String, bool),
) {
    if SDK_VARIABLES.iter().any(|k| k.eq_ignore_ascii_case(&v.key)) {
        return;
    }
    // Nothing to look up: no name known and no ARN or URI in the text.
    if names.is_empty() && !v.text.contains("arn:") && !v.text.contains("://") {
        return;
    }
    for (line, text) in tokens::scalars(&v.text) {
        let loc = match v.block {
            Some(b) => Loc { file: v.loc.file, pos: Pos { line: b.saturating_add(line), col: 1 } },
            None => v.loc,
        };
        tokens::tokens(&text, &mut |t| match t {
            Token::Word(w) => {
                for arn in names.get(w).into_iter().flatten() {
                    out(loc, w, arn.clone(), false);
                }
            }
            Token::Resource(text, arn) => {
                let arn = match urls.get(&(v.loc, text)) {
                    Some(bucket) => bucket.map(|b| format!("arn:aws:s3:::{b}")),
                    None => Some(arn),
                };
                if let Some((base, _)) = arn.and_then(|a| need::base_resource(tables, &a)) {
                    out(loc, text, base, true);
                }
            }
        });
    }
}

/// The workloads that run as each role: through a ServiceAccount, or a container's `AWS_ROLE_ARN`.
fn role_workloads(model: &Model, joined: &Joined) -> BTreeMap<usize, BTreeSet<usize>> {
    let mut sa_workloads: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (wi, &si) in joined.workload_sa.iter().enumerate().take(model.workloads.len()) {
        sa_workloads.entry(si).or_default().push(wi);
    }
    let mut out: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (ri, sas) in joined.role_sas.iter().enumerate() {
        for si in sas {
            out.entry(ri).or_default().extend(sa_workloads.get(si).into_iter().flatten());
        }
    }
    for e in &joined.env_roles {
        out.entry(e.role).or_default().insert(e.workload);
    }
    out
}

/// Finds, for each role that has an identity, the resources its workloads name in their configuration values.
/// Roles are independent: each is looked at on the project's pool ([`crate::par::install`]) and the results come
/// back in role order; the references are then sorted, so nothing depends on the scheduling.
pub fn find(model: &Model, joined: &Joined, tables: &Tables, roles: &BTreeMap<usize, String>) -> Found {
    let mut config: BTreeMap<(&str, &str, &str), Vec<&ConfigValue>> = BTreeMap::new();
    for c in &model.config_data {
        config.entry((&c.kind, &c.namespace, &c.name)).or_default().extend(c.values.iter());
    }
    // A pod-making custom resource's own AWS references (a SparkApplication's `s3a://` paths) are its values too.
    let mut spec: BTreeMap<usize, Vec<(ConfigValue, &[Pos])>> = BTreeMap::new();
    for r in &model.spec_refs {
        let v = ConfigValue {
            key: r.path.as_str().into(),
            text: r.text.as_str().into(),
            loc: r.loc,
            block: None,
            within: None,
        };
        spec.entry(r.object).or_default().push((v, &r.within));
    }
    let urls: BucketUrls = model.bucket_urls.iter().map(|u| ((u.loc, u.url.as_str()), u.bucket.as_deref())).collect();
    let work: Vec<(usize, BTreeSet<usize>)> =
        role_workloads(model, joined).into_iter().filter(|(ri, _)| roles.contains_key(ri)).collect();
    let per_role: Vec<Vec<FoundRef>> = crate::par::install(|| {
        work.par_iter()
            .with_min_len(16)
            .map(|(ri, workloads)| {
                let names = role_names(tables, &joined.permissions[*ri]);
                let mut refs = Vec::new();
                for &wi in workloads {
                    let w = &model.workloads[wi];
                    let read =
                        w.config_refs.iter().filter_map(|(k, n)| config.get(&(k.as_str(), &*w.namespace, n.as_str())));
                    let own = w.values.iter().chain(read.flatten().copied()).map(|v| (v, v.within.as_slice()));
                    let in_spec = spec.get(&w.object).into_iter().flatten().map(|(v, within)| (v, *within));
                    for (v, within) in own.chain(in_spec) {
                        value_refs(tables, &names, &urls, v, &mut |loc, token, arn, by_form| {
                            refs.push(FoundRef {
                                loc,
                                role: *ri,
                                arn,
                                token: token.to_string(),
                                by_form,
                                key: v.key.clone(),
                                value: v.loc,
                                within: within.to_vec(),
                            });
                        });
                    }
                }
                refs
            })
            .collect()
    });
    drop(work);
    let mut found = Found::default();
    for refs in per_role {
        for r in &refs {
            found.by_role.entry(r.role).or_default().insert(r.arn.clone());
        }
        found.refs.extend(refs);
    }
    found.refs.sort();
    found.refs.dedup_by(|a, b| a.loc == b.loc && a.arn == b.arn);
    found
}

impl Found {
    /// The resources found join the resources the input names (each at its first mention), so the plan lists
    /// them with their Azure names.
    pub fn join_resources(&self, joined: &mut Joined) {
        for r in &self.refs {
            joined.resources.entry(r.arn.as_str().into()).or_insert(r.loc);
        }
    }
}

/// A set of places (file, position) as one sorted vector, looked up by binary search: built at the end of planning,
/// the run's peak of memory, where a tree set of every edited and covered place (60,000 at 10,000 apps) took twice
/// the room.
struct Places(Vec<(FileId, Pos)>);

impl Places {
    fn new(mut list: Vec<(FileId, Pos)>) -> Self {
        list.sort_unstable();
        list.dedup();
        Places(list)
    }

    fn contains(&self, place: &(FileId, Pos)) -> bool {
        self.0.binary_search(place).is_ok()
    }
}

/// The positions the plan's manifest edits name (a value, or a node rewritten whole; a storage config's changed
/// nodes), by file.
fn edited(plan: &Plan) -> Places {
    let mut out = Vec::new();
    for f in &plan.manifest_edits {
        for o in &f.objects {
            for e in &o.edits {
                match e {
                    Edit::Value { at, .. } | Edit::Section { at, .. } => {
                        out.push((f.file_id, at.pos()));
                    }
                    Edit::Token { value_at, .. } => {
                        out.push((f.file_id, value_at.pos()));
                    }
                    Edit::StorageConfig { nodes, .. } => {
                        out.extend(nodes.iter().map(|(at, _, _)| (f.file_id, at.pos())));
                    }
                    _ => {}
                }
            }
        }
    }
    Places::new(out)
}

/// The lines a storage config's text edits replace (inside a ConfigMap value), by file: a name found on one of
/// them is rewritten.
fn edited_lines(plan: &Plan) -> Vec<(FileId, u32, u32)> {
    let mut out = Vec::new();
    for f in &plan.manifest_edits {
        for o in &f.objects {
            for e in &o.edits {
                if let Edit::StorageConfig { spans, .. } = e {
                    out.extend(spans.iter().map(|s| (f.file_id, s.from.line, s.to.line)));
                }
            }
        }
    }
    out
}

/// Reports the references no edit rewrites (E2A111, E2A112); see the module's comment for what is left out.
pub fn report(model: &Model, plan: &Plan, roles: &BTreeMap<usize, String>, found: &Found, sink: &mut Sink) {
    let edited = edited(plan);
    let lines = edited_lines(plan);
    let is_edited = |file: FileId, p: Pos| edited.contains(&(file, p));
    let on_edited_line = |l: Loc| lines.iter().any(|&(f, a, b)| f == l.file && a <= l.pos.line && l.pos.line <= b);
    // One finding per place: a ConfigMap read by two identities' workloads names the first identity by name
    // (whatever the order the roles were read in), and the first resource.
    let mut by_loc: BTreeMap<Loc, (&str, &FoundRef, &super::Resource, &str)> = BTreeMap::new();
    for r in &found.refs {
        let rewritten = is_edited(r.value.file, r.value.pos)
            || r.within.iter().any(|p| is_edited(r.value.file, *p))
            || on_edited_line(r.loc);
        let Some(res) = super::resource(&plan.resources, &r.arn) else { continue };
        let Some(azure) = res.azure_name.as_deref() else { continue };
        // A bare name the Azure resource keeps is right on Azure too.
        if rewritten || (!r.by_form && azure == r.token) {
            continue;
        }
        let identity = roles.get(&r.role).map_or("?", String::as_str);
        let e = by_loc.entry(r.loc).or_insert((identity, r, res, azure));
        if (identity, &r.arn) < (e.0, &e.1.arn) {
            *e = (identity, r, res, azure);
        }
    }
    // A value E2A111 reports names a resource that has an Azure counterpart: E2A027's "no Azure counterpart in the
    // plan" at the same place would contradict it (review of 4ba9fce); E2A111 is the true one.
    // Only where the value names the resource itself (its ARN, a secret's with its random suffix): a DynamoDB
    // stream's ARN names no Azure thing, and E2A027 stays true there.
    let itself = |r: &FoundRef| {
        let t = &*r.token;
        t == r.arn || t.strip_prefix(r.arn.as_str()).is_some_and(|s| s.len() == 7 && s.starts_with('-'))
    };
    let named: BTreeSet<Loc> = by_loc.iter().filter(|(_, (_, r, _, _))| itself(r)).map(|(l, _)| *l).collect();
    sink.retain(|f| f.code != rules::AWS_ENDPOINT_LEFT || f.loc.is_none_or(|l| !named.contains(&l)));
    for (loc, (identity, r, res, azure)) in by_loc {
        let kind = res.azure_type.as_deref().unwrap_or("resource");
        sink.push(
            rules::AWS_NAME_IN_CONFIG,
            format!(
                "`{}` names the AWS resource `{}` (`{}`) that identity `{identity}` uses, which becomes {kind} `{azure}` on Azure; nothing rewrites this value: point it at the Azure resource",
                crate::text::truncate(&r.key),
                crate::text::truncate(&r.arn),
                crate::text::truncate(&r.token),
            ),
            Some(loc),
        );
    }
    let covered = covered(model, &found.refs);
    spec_refs(model, plan, &edited, &covered, sink);
    container_args(model, plan, &edited, &covered, sink);
}

/// The values another finding or reader covers: every reference [`find`] found, the env values read as AWS
/// references (E2A027, or a value edit), and the sections `plan::dns_secrets` reads (by their node).
fn covered(model: &Model, refs: &[FoundRef]) -> Places {
    let mut out: Vec<(FileId, Pos)> = refs.iter().map(|r| (r.value.file, r.value.pos)).collect();
    out.extend(refs.iter().map(|r| (r.loc.file, r.loc.pos)));
    out.extend(model.workloads.iter().flat_map(|w| w.aws_refs.iter().map(|r| (r.loc.file, r.loc.pos))));
    out.extend(model.aws_sections.iter().map(|s| (s.loc.file, s.loc.pos)));
    Places::new(out)
}

/// E2A112 for the AWS references in custom resources' `spec`s.
fn spec_refs(model: &Model, plan: &Plan, edited: &Places, covered: &Places, sink: &mut Sink) {
    for r in model.spec_refs.iter().filter(|r| !plan.addon_objects.contains(&r.object)) {
        let file = r.loc.file;
        let skip = |p: &Pos| edited.contains(&(file, *p)) || covered.contains(&(file, *p));
        if skip(&r.loc.pos) || r.within.iter().any(skip) {
            continue;
        }
        let o = &model.objects[r.object];
        sink.push(
            rules::AWS_REFERENCE_IN_SPEC,
            format!(
                "`{}` {}: `{}` holds the AWS reference `{}`, which nothing rewrites: replace it with its Azure counterpart",
                o.kind,
                crate::text::truncate(&o.name),
                crate::text::truncate(&r.path),
                crate::text::truncate(&r.text)
            ),
            Some(r.loc),
        );
    }
}

/// An `args`/`command` item that selects AWS: `--aws-*` flags, `--provider=aws` (or `aws` after `--provider`),
/// or AWS text by its form.
fn aws_arg(prev: Option<&str>, text: &str) -> bool {
    let flag = text.trim_start_matches('-');
    (text.starts_with('-') && flag.starts_with("aws-"))
        || flag.strip_prefix("provider=").is_some_and(|p| p.eq_ignore_ascii_case("aws"))
        || (prev.is_some_and(|p| p.trim_start_matches('-') == "provider") && text.eq_ignore_ascii_case("aws"))
        || crate::ingest::values::is_aws_text(text)
}

/// E2A112 for the AWS references in containers' `args`/`command`.
fn container_args(model: &Model, plan: &Plan, edited: &Places, covered: &Places, sink: &mut Sink) {
    for w in model.workloads.iter().filter(|w| !plan.addon_objects.contains(&w.object)) {
        let mut prev: Option<&ConfigValue> = None;
        for v in &w.values {
            let Some(list) = v.within else { continue };
            let p = prev.filter(|p| p.within == v.within).map(|p| &*p.text);
            prev = Some(v);
            let file = v.loc.file;
            let skip = |p: Pos| edited.contains(&(file, p)) || covered.contains(&(file, p));
            if !aws_arg(p, &v.text) || skip(v.loc.pos) || skip(list) {
                continue;
            }
            sink.push(
                rules::AWS_REFERENCE_IN_SPEC,
                format!(
                    "`{}` {}: `{}` item `{}` selects or names AWS, and nothing rewrites it: replace it with its Azure counterpart, or remove it",
                    w.kind,
                    crate::text::truncate(&w.name),
                    v.key,
                    crate::text::truncate(&v.text)
                ),
                Some(v.loc),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PatternList, Statement};
    use std::sync::Arc;

    /// The bundled tables, loaded once (the property test calls this per case).
    fn tables() -> &'static Tables {
        static T: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
        T.get_or_init(|| crate::mapping::load::load(None).expect("bundled tables load"))
    }

    fn allow(resources: &[&str]) -> Permission {
        let items = |v: &[&str]| v.iter().map(|r| (Arc::<str>::from(*r), Pos::default())).collect();
        Permission {
            policy: "p".into(),
            statement: Arc::new(Statement {
                sid: None,
                effect: Effect::Allow,
                action: PatternList { not: false, items: items(&["s3:GetObject"]) },
                resource: Some(PatternList { not: false, items: items(resources) }),
                principal: None,
                conditions: Vec::new(),
                loc: Loc { file: FileId(0), pos: Pos::default() },
            }),
        }
    }

    fn value(text: &str) -> ConfigValue {
        ConfigValue {
            key: "CONFIG".into(),
            text: text.into(),
            loc: Loc { file: FileId(0), pos: Pos { line: 10, col: 3 } },
            block: None,
            within: None,
        }
    }

    /// (token, base ARN, by form) of each reference in `text`, for a role with these policy resources.
    fn found(resources: &[&str], text: &str) -> Vec<(String, String, bool)> {
        let t = tables();
        let names = role_names(t, &[allow(resources)]);
        let mut out = Vec::new();
        value_refs(t, &names, &BucketUrls::new(), &value(text), &mut |_, tok, arn, form| {
            out.push((tok.to_string(), arn, form))
        });
        out.sort();
        out.dedup();
        out
    }

    const BUCKET: &str = "arn:aws:s3:::my-bucket";

    #[test]
    fn a_bare_name_the_role_knows_matches_only_whole() {
        let r = &["arn:aws:s3:::my-bucket/*"];
        assert_eq!(found(r, "my-bucket"), [("my-bucket".into(), BUCKET.into(), false)]);
        assert_eq!(found(r, "bucket: my-bucket, region: us-east-1").len(), 1);
        assert_eq!(found(r, "--bucket=my-bucket").len(), 1);
        assert_eq!(found(r, "https://example.com/data/my-bucket/x").len(), 1, "a URI path segment");
        // Near misses: a longer name, a name inside a word, another case.
        assert!(found(r, "my-bucket-old").is_empty());
        assert!(found(r, "amy-bucket").is_empty());
        assert!(found(r, "my-bucket2").is_empty());
        assert!(found(r, "my_bucket").is_empty());
        assert!(found(r, "MY-BUCKET").is_empty(), "AWS names are case-sensitive");
    }

    #[test]
    fn names_the_role_does_not_know_or_only_by_wildcard_do_not_match() {
        assert!(found(&["arn:aws:s3:::other"], "my-bucket").is_empty());
        assert!(found(&["arn:aws:s3:::my-*"], "my-bucket").is_empty());
        assert!(found(&["*"], "my-bucket").is_empty());
    }

    #[test]
    fn forms_name_resources_whatever_the_role_knows() {
        assert_eq!(
            found(&[], "spark.sql.warehouse.dir=s3a://lake/warehouse"),
            [("s3a://lake/warehouse".into(), "arn:aws:s3:::lake".into(), true)]
        );
        let q = "https://sqs.us-east-1.amazonaws.com/111122223333/orders";
        assert_eq!(found(&[], q), [(q.into(), "arn:aws:sqs:us-east-1:111122223333:orders".into(), true)]);
    }

    /// Review of 4ba9fce: `queue.amazonaws.com` (us-east-1's legacy endpoint) was matched by its last segment to
    /// the role's eu-west-1 queue of that name; it names the us-east-1 queue, whatever the role knows.
    #[test]
    fn a_legacy_queue_url_names_its_own_regions_queue() {
        let q = "https://queue.amazonaws.com/111122223333/jobs";
        let eu = "arn:aws:sqs:eu-west-1:111122223333:jobs";
        assert_eq!(found(&[eu], q), [(q.into(), "arn:aws:sqs:us-east-1:111122223333:jobs".into(), true)]);
        let q = "https://eu-west-1.queue.amazonaws.com/111122223333/jobs";
        assert_eq!(found(&[eu], q), [(q.into(), eu.into(), true)]);
    }

    #[test]
    fn a_secret_is_known_without_its_random_suffix() {
        let s = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-password-AbCdEf";
        let f = found(&[s], "prod/db-password");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(found(&[s], "prod/db").is_empty());
    }

    #[test]
    fn a_name_in_an_embedded_document_is_at_its_line() {
        let t = tables();
        let names = role_names(t, &[allow(&[BUCKET])]);
        let mut v = value("app:\n  data:\n    bucket: my-bucket\n");
        v.block = Some(20);
        let mut lines = Vec::new();
        value_refs(t, &names, &BucketUrls::new(), &v, &mut |loc, _, _, _| lines.push(loc.pos.line));
        assert_eq!(lines, [23]);
    }

    #[test]
    fn sdk_variables_are_not_read() {
        let t = tables();
        let names = role_names(t, &[allow(&[BUCKET])]);
        let mut v = value("my-bucket");
        v.key = "AWS_PROFILE".into();
        let mut n = 0;
        value_refs(t, &names, &BucketUrls::new(), &v, &mut |_, _, _, _| n += 1);
        assert_eq!(n, 0);
    }

    proptest::proptest! {
        #[test]
        fn matching_never_panics(text in "\\PC{0,120}", name in "[a-z0-9.-]{0,12}") {
            let t = tables();
            let arn = format!("arn:aws:s3:::{name}");
            let names = role_names(t, &[allow(&[arn.as_str()])]);
            let mut n = 0usize;
            value_refs(t, &names, &BucketUrls::new(), &value(&text), &mut |_, _, _, _| n += 1);
            value_refs(t, &names, &BucketUrls::new(), &value(&format!("{text} {name}")), &mut |_, _, _, _| n += 1);
        }
    }

    #[test]
    fn places_hold_exactly_what_they_are_given() {
        let at = |f: u32, line: u32, col: u32| (FileId(f), Pos { line, col });
        let places = Places::new(vec![at(2, 5, 1), at(1, 9, 3), at(2, 5, 1), at(1, 1, 1)]);
        for p in [at(1, 1, 1), at(1, 9, 3), at(2, 5, 1)] {
            assert!(places.contains(&p), "{p:?}");
        }
        for p in [at(1, 9, 4), at(2, 1, 1), at(3, 5, 1), at(0, 1, 1)] {
            assert!(!places.contains(&p), "{p:?}");
        }
        assert_eq!(places.0.len(), 3, "sorted and unique");
    }

    #[test]
    fn aws_args_by_flag_provider_and_form() {
        assert!(aws_arg(None, "--aws-region=us-east-1"));
        assert!(aws_arg(None, "--aws-zone-type=public"));
        assert!(aws_arg(None, "--provider=aws"));
        assert!(aws_arg(Some("--provider"), "aws"));
        assert!(aws_arg(None, "--role=arn:aws:iam::111122223333:role/x"));
        assert!(aws_arg(None, "--endpoint=https://sqs.us-east-1.amazonaws.com"));
        assert!(!aws_arg(None, "--provider=azure"));
        assert!(!aws_arg(Some("--region"), "aws"));
        assert!(!aws_arg(None, "aws"));
        assert!(!aws_arg(None, "--laws-x"));
        assert!(!aws_arg(None, "--log-level=info"));
    }
}
