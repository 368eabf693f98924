//! The kinds that make pods (`mappings/workloads.yaml`): where each kind's pod templates, ServiceAccount, pod
//! labels and containers are. Data, loaded and checked by `mapping::load` (user-overridable); ingest reads objects
//! with it. The bundled table is parsed here too, so that ingest has it without the mapping stage.

use serde::Deserialize;
use std::sync::{Arc, Mutex, OnceLock};

/// The bundled table.
pub const BUNDLED_WORKLOADS: &str = include_str!("../../mappings/workloads.yaml");

/// `workloads.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodKindsFile {
    /// The entries, in order.
    #[serde(default)]
    pub kinds: Vec<PodKind>,
}

/// One group and its kinds that make pods the same way.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PodKind {
    /// API group (`""` for the core group).
    pub group: String,
    /// Kinds.
    pub kinds: Vec<String>,
    /// Where the ServiceAccount name is, tried in order (dotted paths from the object).
    #[serde(default)]
    pub service_account: Vec<String>,
    /// The ServiceAccount when none is set.
    #[serde(default = "default_sa")]
    pub default_service_account: String,
    /// Container-like nodes (`env`, `image`) shared by every pod, from the object.
    #[serde(default)]
    pub containers: Vec<String>,
    /// The pods it makes, one entry per role.
    pub pods: Vec<PodRole>,
    /// Where the paths are documented.
    #[serde(default)]
    pub source: String,
}

fn default_sa() -> String {
    "default".into()
}

fn default_labels() -> String {
    "metadata.labels".into()
}

/// One kind of pod an object makes (a Spark driver, a Ray worker group, …).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PodRole {
    /// Name of the role.
    pub role: String,
    /// The node holding the pod's labels, spec and containers (`""`: the object itself).
    pub template: String,
    /// The pod labels map, from the template.
    #[serde(default = "default_labels")]
    pub labels: String,
    /// The pod spec (`containers`, `initContainers`, `volumes`, `serviceAccountName`), from the template.
    #[serde(default)]
    pub spec: Option<String>,
    /// Container-like nodes (`env`, `image`), from the template.
    #[serde(default)]
    pub containers: Vec<String>,
}

/// The loaded table.
#[derive(Debug, Clone)]
pub struct PodKinds {
    /// Entries, in order.
    pub kinds: Vec<PodKind>,
}

impl Default for PodKinds {
    /// The bundled table.
    fn default() -> Self {
        (*PodKinds::bundled()).clone()
    }
}

impl PodKinds {
    /// The entry of an object's `apiVersion` and `kind`, if any.
    pub fn find(&self, api_version: &str, kind: &str) -> Option<&PodKind> {
        let group = match api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        };
        self.kinds.iter().find(|k| k.group == group && k.kinds.iter().any(|x| x == kind))
    }

    /// Merges a user's entries: an entry replaces every (group, kind) it names, else is added.
    pub fn merge(&mut self, f: PodKindsFile) {
        for k in f.kinds {
            for e in &mut self.kinds {
                if e.group == k.group {
                    e.kinds.retain(|x| !k.kinds.contains(x));
                }
            }
            self.kinds.retain(|e| !e.kinds.is_empty());
            self.kinds.push(k);
        }
    }

    /// The bundled table, parsed once.
    pub fn bundled() -> Arc<PodKinds> {
        static B: OnceLock<Arc<PodKinds>> = OnceLock::new();
        B.get_or_init(|| {
            let f: PodKindsFile = serde_norway::from_str(BUNDLED_WORKLOADS).expect("bundled workloads.yaml parses");
            Arc::new(PodKinds { kinds: f.kinds })
        })
        .clone()
    }
}

/// The problems of one entry (empty when it is sound).
pub fn pod_kinds_problems(k: &PodKind) -> Vec<String> {
    let mut out = Vec::new();
    if k.kinds.is_empty() {
        out.push("`kinds` is empty".to_string());
    }
    if k.pods.is_empty() {
        out.push("`pods` is empty: a kind that makes pods has at least one".to_string());
    }
    let paths = k.service_account.iter().chain(&k.containers).chain(k.pods.iter().flat_map(|p| {
        std::iter::once(&p.template).chain(std::iter::once(&p.labels)).chain(&p.spec).chain(&p.containers)
    }));
    for p in paths {
        if p.split('.').any(str::is_empty) && !p.is_empty() {
            out.push(format!("path `{p}` has an empty segment"));
        }
    }
    for p in &k.pods {
        if p.labels.is_empty() {
            out.push(format!("role `{}`: `labels` is empty", p.role));
        }
    }
    out
}

/// The segments of a dotted path (`""`: none).
pub fn segments(path: &str) -> Vec<&str> {
    if path.is_empty() { Vec::new() } else { path.split('.').collect() }
}

/// One shared `'static` copy of a path: the paths of the table (and the list indexes of objects) are few, and the
/// model and the plan name pod templates by `'static` paths. Each distinct path is stored once per process.
pub fn static_path(path: &[&str]) -> &'static [&'static str] {
    static PATHS: OnceLock<Mutex<Vec<&'static [&'static str]>>> = OnceLock::new();
    let mut set = PATHS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = set.iter().find(|p| **p == path) {
        return p;
    }
    let owned: Vec<&'static str> = path.iter().map(|s| &*Box::leak(s.to_string().into_boxed_str())).collect();
    let leaked: &'static [&'static str] = Box::leak(owned.into_boxed_slice());
    set.push(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_parses_and_each_entry_is_sound() {
        let t = PodKinds::bundled();
        for k in &t.kinds {
            assert!(pod_kinds_problems(k).is_empty(), "{k:?}: {:?}", pod_kinds_problems(k));
        }
        assert_eq!(t.find("apps/v1", "Deployment").unwrap().pods[0].template, "spec.template");
        assert_eq!(t.find("argoproj.io/v1alpha1", "Workflow").unwrap().pods[0].labels, "podMetadata.labels");
        assert!(t.find("v1", "Deployment").is_none());
        assert!(t.find("v1", "Pod").is_some());
    }

    #[test]
    fn a_user_entry_replaces_the_kinds_it_names() {
        let mut t = (*PodKinds::bundled()).clone();
        let f: PodKindsFile = serde_norway::from_str(
            "kinds:\n- group: apps\n  kinds: [StatefulSet]\n  pods: [{role: pod, template: spec.other}]\n",
        )
        .unwrap();
        t.merge(f);
        assert_eq!(t.find("apps/v1", "StatefulSet").unwrap().pods[0].template, "spec.other");
        assert_eq!(t.find("apps/v1", "Deployment").unwrap().pods[0].template, "spec.template");
    }

    #[test]
    fn static_paths_are_shared() {
        let a = static_path(&["spec", "x", "0"]);
        let b = static_path(&["spec".to_string().as_str(), "x", "0"]);
        assert!(std::ptr::eq(a, b));
    }
}
