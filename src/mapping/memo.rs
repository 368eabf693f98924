//! Memoised parts of the translation that depend only on the mapping tables — never on an identity, its
//! workloads, the names in their config or its conditions — so they are computed once per run, not once per
//! identity (issue 19, performance): a concrete ARN's match against its service's resource grammar, and an action
//! pattern's expansion against the action catalogue.
//!
//! Each entry is a pure function of the tables and its key (the service prefix and the ARN, or the prefix and the
//! pattern), so which thread computes it first cannot change a result: the output does not depend on scheduling.
//! Everything that does depend on the identity (narrowing a wildcard to the names its workloads use, conditions,
//! targets chosen per resource, findings) is computed by the caller from these results, identity by identity.
//!
//! Whole statements are not memoised: in the benchmark corpus every app's policies name its own resources, and
//! the statements real clusters do share (AWS-managed policies, `Resource: "*"`) are exactly those whose
//! translation depends on the names each workload uses, so a statement-keyed cache would hit next to never.

// foldhash: the keys are ARNs, looked up once per action and resource; SipHash (std's default) spent more on
// hashing them than the lookups saved. Seeded per run (`RandomState`), so crafted input cannot aim at one bucket;
// no output reads the maps' order (entries are only looked up).
use foldhash::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// A concrete ARN resolved against its service's grammar: the resource's kind, name and path (per
/// [`super::need::match_resource`]) and the ARN of its base resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub kind: String,
    pub name: String,
    pub path: Option<String>,
    pub base: String,
}

/// Service prefix → key → value.
type ByPrefix<V> = HashMap<String, HashMap<String, V>>;

/// The run's memo, held by the [`super::Tables`] it is computed from. A clone of the tables starts with an empty
/// memo (it may be changed before use).
#[derive(Default)]
pub struct Memo {
    /// (prefix, ARN) → its grammar match; `None`: it fits no grammar of the service.
    resolved: Mutex<ByPrefix<Option<Arc<Resolved>>>>,
    /// (prefix, action-name pattern) → the catalogue's spellings it matches, in catalogue order.
    expansions: Mutex<ByPrefix<Arc<[String]>>>,
    /// (naming rule, AWS name) → the Azure name ([`super::naming::azure_name`]; not `dns_zone`, which reads the
    /// config's zones).
    names: Mutex<ByPrefix<String>>,
    /// Built-in role definition ID → the index of the first role of that ID in the tables' roles (issue 19: each
    /// lookup scanned the roles, comparing IDs).
    role_ids: OnceLock<HashMap<Arc<str>, usize>>,
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// A memo's lock; a panic elsewhere while it was held cannot have left a wrong entry (entries are inserted whole).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The value for (prefix, key): looked up, or computed outside the lock and inserted (if two threads compute it
/// at once, both computed the same value).
fn get_or<V: Clone>(m: &Mutex<ByPrefix<V>>, prefix: &str, key: &str, compute: impl FnOnce() -> V) -> V {
    if let Some(v) = lock(m).get(prefix).and_then(|by_key| by_key.get(key)) {
        return v.clone();
    }
    let v = compute();
    lock(m).entry(prefix.to_string()).or_default().entry(key.to_string()).or_insert(v).clone()
}

impl Memo {
    /// The grammar match of `arn` in service `prefix`, computed by `compute` the first time.
    pub fn resolved(
        &self,
        prefix: &str,
        arn: &str,
        compute: impl FnOnce() -> Option<Resolved>,
    ) -> Option<Arc<Resolved>> {
        get_or(&self.resolved, prefix, arn, || compute().map(Arc::new))
    }

    /// The catalogue spellings action-name pattern `pattern` matches in service `prefix`, computed by `compute`
    /// the first time.
    pub fn expansion(&self, prefix: &str, pattern: &str, compute: impl FnOnce() -> Vec<String>) -> Arc<[String]> {
        get_or(&self.expansions, prefix, pattern, || compute().into())
    }

    /// The Azure name of AWS name `name` under naming rule `rule`, computed by `compute` the first time.
    pub fn azure_name(&self, rule: &str, name: &str, compute: impl FnOnce() -> String) -> String {
        get_or(&self.names, rule, name, compute)
    }

    /// The index in `roles` (the tables' built-in roles) of the first role whose definition ID is `id`.
    pub fn role_index(&self, roles: &[super::load::Role], id: &str) -> Option<usize> {
        let ids = self.role_ids.get_or_init(|| {
            let mut ids = HashMap::default();
            for (i, r) in roles.iter().enumerate() {
                ids.entry(r.id.clone()).or_insert(i);
            }
            ids
        });
        ids.get(id).copied()
    }

    /// Forgets the grammar matches of concrete ARNs (kept: expansions, names, role ids). Planning the identities
    /// fills it with every ARN of every policy (19 MB at 10,000 apps) and is done with it before the manifest edits
    /// are decided, the run's peak (issue 19); a later lookup computes its entry again (each is a pure function of
    /// the tables and its key, so the answer is the same).
    pub fn forget_resolved(&self) {
        *lock(&self.resolved) = ByPrefix::default();
    }

    /// How many grammar matches and expansions are held (for tests).
    pub fn sizes(&self) -> (usize, usize) {
        fn count<V>(m: &Mutex<ByPrefix<V>>) -> usize {
            lock(m).values().map(HashMap::len).sum()
        }
        (count(&self.resolved), count(&self.expansions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Sink;
    use crate::graph::Permission;
    use crate::mapping::need::{Needs, RoleHome, TargetChoice, needs};
    use std::collections::BTreeSet;

    use crate::mapping::need::tests::permissions;

    /// One identity's needs and findings (code, message), with `tables`' memo as it stands.
    fn translate(
        tables: &crate::mapping::Tables,
        identity: &str,
        perms: &[Permission],
        named: &[&str],
    ) -> (Needs, Vec<(String, String)>) {
        let named: BTreeSet<String> = named.iter().map(|n| n.to_string()).collect();
        let mut sink = Sink::default();
        let (n, _, _) = needs(
            tables,
            &TargetChoice::default(),
            identity,
            RoleHome { partition: "aws", account: "111122223333" },
            perms,
            &named,
            &mut sink,
        );
        (n, sink.findings().iter().map(|f| (f.code.to_string(), f.message.to_string())).collect())
    }

    fn arns(n: &Needs) -> Vec<&str> {
        n.keys().map(|k| k.aws_arn.as_str()).collect()
    }

    /// The S3 resources of the needs.
    fn buckets(n: &Needs) -> Vec<&str> {
        arns(n).into_iter().filter(|a| a.starts_with("arn:aws:s3:::")).collect()
    }

    /// The same statements (the very same `Arc`s) for two identities whose workloads name different buckets: each
    /// is narrowed to its own names and its findings name it, with the memo warm from the other — exactly what each
    /// gets on its own, from a fresh memo.
    #[test]
    fn equal_statements_for_identities_that_name_different_resources_are_narrowed_to_each_ones_names() {
        let tables = crate::mapping::load(None).unwrap();
        let perms = permissions(
            r#"{"Effect":"Allow","Action":["s3:GetObject","s3:List*"],"Resource":["arn:aws:s3:::*","arn:aws:s3:::*/*"]},
               {"Effect":"Allow","Action":"sqs:*","Resource":"*"}"#,
        );
        let a = translate(&tables, "app-a", &perms, &["arn:aws:s3:::bucket-a"]);
        let b = translate(&tables, "app-b", &perms, &["arn:aws:s3:::bucket-b"]);
        let (resolved, expansions) = tables.memo.sizes();
        assert!(resolved > 0 && expansions > 0, "the memo was used: {resolved} matches, {expansions} expansions");
        // Both are widened alike for SQS (their workloads name no queue: `*`), and narrowed to their own bucket.
        assert!(arns(&a.0).contains(&"*") && arns(&b.0).contains(&"*"), "{:?} {:?}", arns(&a.0), arns(&b.0));
        assert!(!buckets(&a.0).is_empty() && buckets(&a.0).iter().all(|x| x.contains("bucket-a")), "{:?}", arns(&a.0));
        assert!(!buckets(&b.0).is_empty() && buckets(&b.0).iter().all(|x| x.contains("bucket-b")), "{:?}", arns(&b.0));
        assert!(b.1.iter().all(|(_, m)| m.contains("`app-b`") && !m.contains("app-a")), "{:?}", b.1);
        // Each as on its own, with nothing memoised, and in the other order.
        let fresh = tables.clone();
        assert_eq!(fresh.memo.sizes(), (0, 0), "a clone of the tables starts with an empty memo");
        let b_alone = translate(&fresh, "app-b", &perms, &["arn:aws:s3:::bucket-b"]);
        let a_alone = translate(&fresh, "app-a", &perms, &["arn:aws:s3:::bucket-a"]);
        assert_eq!(format!("{:?}", a.0), format!("{:?}", a_alone.0));
        assert_eq!(a.1, a_alone.1);
        assert_eq!(format!("{:?}", b.0), format!("{:?}", b_alone.0));
        assert_eq!(b.1, b_alone.1);
    }

    /// Equal actions on equal resources under different conditions: one carried (a listing prefix), one not (the
    /// statement is not translated): each keeps its own result though the memo holds the first one's matches.
    #[test]
    fn equal_actions_under_different_conditions_keep_their_own_results() {
        let tables = crate::mapping::load(None).unwrap();
        let bucket = r#""Action":["s3:List*"],"Resource":"arn:aws:s3:::shared""#;
        let carried = permissions(&format!(
            r#"{{"Effect":"Allow",{bucket},"Condition":{{"StringLike":{{"s3:prefix":["home/a/*"]}}}}}}"#
        ));
        let refused = permissions(&format!(
            r#"{{"Effect":"Allow",{bucket},"Condition":{{"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}"#
        ));
        let (granted, _) = translate(&tables, "app-a", &carried, &[]);
        let (none, findings) = translate(&tables, "app-b", &refused, &[]);
        assert_eq!(arns(&granted), ["arn:aws:s3:::shared"]);
        let condition = granted.keys().next().and_then(|k| k.condition.as_ref()).map(|c| format!("{c:?}"));
        assert!(condition.is_some_and(|c| c.contains("home/a/")), "the listing is kept to its prefix: {granted:?}");
        assert!(none.is_empty(), "{none:?}");
        assert_eq!(findings.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["E2A020"], "{findings:?}");
        // And the first again, after the second: unchanged.
        assert_eq!(format!("{:?}", translate(&tables, "app-a", &carried, &[]).0), format!("{granted:?}"));
    }

    /// Issue 19: a built-in role found by its definition ID through the memo is the one a scan of the roles finds
    /// (the first of an ID, were one repeated), and `role_grants` answers as it did for every role and data action.
    #[test]
    fn roles_by_id_are_the_roles_a_scan_finds() {
        let mut tables = crate::mapping::load(None).unwrap();
        let mut twin = tables.roles[3].clone();
        twin.data_actions = vec!["*".into()];
        tables.roles.push(twin);
        let scan = |id: &str| tables.roles.iter().position(|r| &*r.id == id);
        for r in &tables.roles {
            assert_eq!(tables.memo.role_index(&tables.roles, &r.id), scan(&r.id), "{}", r.name);
        }
        assert_eq!(tables.memo.role_index(&tables.roles, &tables.roles[3].id), Some(3), "the first of an ID");
        assert_eq!(tables.memo.role_index(&tables.roles, "no-such-id"), None);
        let data_actions: BTreeSet<&str> =
            tables.roles.iter().flat_map(|r| r.data_actions.iter().map(String::as_str)).collect();
        for r in &tables.roles[..tables.roles.len() - 1] {
            for d in data_actions.iter().filter(|d| !d.contains('*')) {
                let scanned = crate::mapping::choose::role_grants_data(r, d);
                assert_eq!(crate::mapping::azure::role_grants(&tables, &r.id, None, d), scanned, "{} {d}", r.name);
            }
        }
    }

    /// The memo computes a value once per (prefix, key), and keeps prefixes apart.
    #[test]
    fn a_value_is_computed_once_per_prefix_and_key() {
        let memo = Memo::default();
        let calls = std::cell::Cell::new(0);
        let resolve = |kind: &str| {
            calls.set(calls.get() + 1);
            Some(Resolved { kind: kind.into(), name: "n".into(), path: None, base: "b".into() })
        };
        let first = memo.resolved("s3", "arn:aws:s3:::n", || resolve("bucket"));
        let again = memo.resolved("s3", "arn:aws:s3:::n", || resolve("other"));
        assert_eq!((first.unwrap().kind.as_str(), again.unwrap().kind.as_str(), calls.get()), ("bucket", "bucket", 1));
        let other = memo.resolved("sqs", "arn:aws:s3:::n", || resolve("queue"));
        assert_eq!((other.unwrap().kind.as_str(), calls.get()), ("queue", 2));
        let none = memo.expansion("s3", "Nothing*", Vec::new);
        let some = memo.expansion("sqs", "Nothing*", || vec!["NothingHere".into()]);
        assert_eq!((none.len(), some.len()), (0, 1));
        assert_eq!(memo.sizes(), (2, 2));
        // Forgetting drops the grammar matches only; the next lookup computes its entry again.
        memo.forget_resolved();
        assert_eq!(memo.sizes(), (0, 2));
        let recomputed = memo.resolved("s3", "arn:aws:s3:::n", || resolve("bucket"));
        assert_eq!((recomputed.unwrap().kind.as_str(), calls.get()), ("bucket", 3));
    }
}
