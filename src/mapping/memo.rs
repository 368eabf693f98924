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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

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

    /// How many grammar matches and expansions are held (for tests).
    pub fn sizes(&self) -> (usize, usize) {
        fn count<V>(m: &Mutex<ByPrefix<V>>) -> usize {
            lock(m).values().map(HashMap::len).sum()
        }
        (count(&self.resolved), count(&self.expansions))
    }
}
