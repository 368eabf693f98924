//! Loads `mappings/` (bundled, then a user's `--mappings DIR` entry by entry) and validates it. Problems are
//! reported with file and line, all of them, before anything runs.

use crate::glob::glob_match;
use std::sync::Arc;

fn glob_ci(pattern: &str, text: &str) -> bool {
    glob_match(pattern, text, true)
}
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

macro_rules! bundled {
    ($($name:literal),* $(,)?) => { &[ $( ($name, include_str!(concat!("../../mappings/", $name))) ),* ] };
}

/// The bundled tables, by relative path.
pub const BUNDLED: &[(&str, &str)] = bundled!(
    "services.yaml",
    "azure-roles.yaml",
    "azure-operations.yaml",
    "actions/cloudwatch.yaml",
    "actions/dynamodb.yaml",
    "actions/ecr.yaml",
    "actions/elasticache.yaml",
    "actions/events.yaml",
    "actions/firehose.yaml",
    "actions/kinesis.yaml",
    "actions/kms.yaml",
    "actions/logs.yaml",
    "actions/rds-db.yaml",
    "actions/s3.yaml",
    "actions/secretsmanager.yaml",
    "actions/sns.yaml",
    "actions/sqs.yaml",
    "actions/ssm.yaml",
);

/// `services.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesFile {
    /// AWS → Azure service pairs.
    #[serde(default)]
    pub pairs: Vec<Pair>,
    /// Identity-bound services by IAM prefix.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
}

/// One AWS → Azure service pair.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// AWS service.
    pub aws: String,
    /// Azure service.
    pub azure: String,
    /// Category.
    pub category: String,
}

/// An identity-bound AWS service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Display name.
    pub name: String,
    /// ARN resource grammars, tried in order.
    pub arn_resources: Vec<ArnResource>,
    /// Default target key.
    pub default_target: String,
    /// Targets by key.
    pub targets: BTreeMap<String, Target>,
}

/// One ARN resource grammar.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArnResource {
    /// Pattern with `{name}` / `{path}` placeholders.
    pub pattern: String,
    /// AWS resource kind.
    pub kind: String,
}

/// An Azure target of a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Azure service name (shared by every resource of the plan that maps here).
    pub azure_service: Arc<str>,
    /// Azure resource type (shared, like the name).
    pub azure_type: Arc<str>,
    /// Scope kind of role assignments (shared, like the name).
    pub scope_kind: Arc<str>,
    /// Naming rule.
    pub naming: String,
    /// Notes for the report.
    #[serde(default)]
    pub notes: Option<String>,
    /// The built-in roles a workload on this target may be given (empty: custom roles only).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The condition key AWS sends with a listing, carried as the listing's prefix test of the blob condition
    /// (issue 18). Absent: no condition key is carried to this target.
    #[serde(default)]
    pub list_prefix: Option<ListPrefix>,
}

/// A listing-prefix condition key of a target ([`Target::list_prefix`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPrefix {
    /// The condition key (`s3:prefix`).
    pub key: String,
    /// The actions whose requests carry it (AWS spelling, without the prefix). For any other action the key is
    /// absent, so a positive operator on it fails and the statement allows that action nothing.
    pub actions: Vec<String>,
}

/// `actions/<prefix>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionsFile {
    /// IAM prefix.
    pub service: String,
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Actions by AWS name.
    #[serde(default)]
    pub actions: BTreeMap<String, Action>,
}

/// One AWS action.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Access level.
    pub access: String,
    /// AWS resource kinds.
    #[serde(default)]
    pub resource_kinds: Vec<String>,
    /// Per-target mapping.
    #[serde(default)]
    pub targets: Option<BTreeMap<String, TargetMapping>>,
    /// No mapping, with the reason.
    #[serde(default)]
    pub none: Option<String>,
}

/// What an action needs on one target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetMapping {
    /// Azure data actions (all needed).
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Azure control-plane actions (all needed).
    #[serde(default)]
    pub actions: Vec<String>,
    /// No mapping on this target, with the reason.
    #[serde(default)]
    pub none: Option<String>,
}

/// `azure-roles.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesFile {
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Roles never chosen.
    #[serde(default)]
    pub never_choose: Vec<RoleRef>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// A role by name and GUID.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRef {
    /// Name.
    pub name: String,
    /// GUID.
    pub id: String,
}

/// An Azure role definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Name (shared by every assignment of the role in a plan).
    pub name: Arc<str>,
    /// Role definition GUID (shared, like the name).
    pub id: Arc<str>,
    /// `arm` or `cosmos-sql` (shared, like the name).
    pub kind: Arc<str>,
    /// Control-plane actions.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Excluded control-plane actions.
    #[serde(default)]
    pub not_actions: Vec<String>,
    /// Data actions.
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Excluded data actions.
    #[serde(default)]
    pub not_data_actions: Vec<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Built-in ABAC conditions.
    #[serde(default)]
    pub conditions: Option<Vec<String>>,
}

/// `azure-operations.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationsFile {
    /// Where the data comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// Providers covered.
    #[serde(default)]
    pub providers: Vec<String>,
    /// Providers whose operations are unknown.
    #[serde(default)]
    pub providers_missing: Vec<String>,
    /// Every ARM data action.
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Cosmos DB SQL data-plane actions.
    #[serde(default)]
    pub cosmos_sql_data_actions: Vec<String>,
}

/// A problem in a mapping table: file, line, message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MappingError {
    /// File (bundled path, or the user's path).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Where each table came from (for `mappings list`).
#[derive(Debug, Clone)]
pub struct Origin {
    /// Relative table path.
    pub table: String,
    /// `bundled` or the user's file.
    pub from: String,
}

/// The validated, merged tables.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Service pairs, sorted.
    pub pairs: Vec<Pair>,
    /// Services by IAM prefix.
    pub services: BTreeMap<String, Service>,
    /// Actions per prefix, keyed by lower-case action name → (AWS spelling, action).
    pub actions: BTreeMap<String, BTreeMap<String, (String, Action)>>,
    /// Roles (sorted by name).
    pub roles: Vec<Role>,
    /// GUIDs never chosen.
    pub never_choose: BTreeSet<String>,
    /// Every known data action (ARM and Cosmos SQL), as Azure spells them.
    pub data_actions: Vec<String>,
    /// Table origins.
    pub origins: Vec<Origin>,
    /// The reverse of the action tables, made on first use ([`Tables::reverse`]).
    pub reverse: std::sync::OnceLock<Reverse>,
}

/// Per (service prefix, target key): Azure permission → the AWS actions mapped to it, each with the kinds of
/// resource it applies to (empty: any).
pub type Reverse = BTreeMap<(String, String), BTreeMap<super::choose::Perm, Vec<(String, Vec<String>)>>>;

use crate::text::line_starting_with as line_of;

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str, errors: &mut Vec<MappingError>) -> Option<T> {
    match serde_norway::from_str(text) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(MappingError {
                file: file.into(),
                line: e.location().map(|l| l.line()),
                message: e.to_string(),
            });
            None
        }
    }
}

/// A GUID as Azure writes role definition ids.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

const SCOPE_KINDS: &[&str] = &[
    "queue",
    "table",
    "container",
    "blob_path",
    "storage_account",
    "key_vault",
    "secret",
    "key",
    "service_bus_namespace",
    "service_bus_queue",
    "service_bus_topic",
    "event_hub_namespace",
    "event_hub",
    "cosmos_account",
    "cosmos_container",
    "app_configuration",
    "container_registry",
    "monitor_workspace",
    "log_analytics_workspace",
    "redis_cache",
    "postgres_server",
    "resource_group",
];

/// Loads the bundled tables and, when given, a user's directory over them.
pub fn load(user: Option<&Path>) -> Result<Tables, Vec<MappingError>> {
    let mut errors = Vec::new();
    let mut t = Tables::default();
    let mut sources: Vec<(String, String, String)> =
        BUNDLED.iter().map(|(n, s)| (n.to_string(), format!("mappings/{n}"), s.to_string())).collect();
    if let Some(dir) = user {
        if !dir.is_dir() {
            return Err(vec![MappingError {
                file: dir.display().to_string(),
                line: None,
                message: "--mappings is not a directory".into(),
            }]);
        }
        for rel in user_files(dir) {
            let path = dir.join(&rel);
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push((rel, path.display().to_string(), text)),
                Err(e) => {
                    errors.push(MappingError { file: path.display().to_string(), line: None, message: e.to_string() })
                }
            }
        }
    }
    let mut known_roles: BTreeMap<String, String> = BTreeMap::new();
    for (rel, file, text) in &sources {
        let bundled =
            file.starts_with("mappings/") && user.is_none_or(|_| BUNDLED.iter().any(|(n, s)| n == rel && s == text));
        t.origins.push(Origin { table: rel.clone(), from: if bundled { "bundled".into() } else { file.clone() } });
        if rel == "services.yaml" {
            let Some(f) = parse::<ServicesFile>(file, text, &mut errors) else { continue };
            for p in f.pairs {
                t.pairs.retain(|q| !(q.aws == p.aws && q.azure == p.azure));
                t.pairs.push(p);
            }
            for (k, s) in f.services {
                if !s.targets.contains_key(&s.default_target) {
                    errors.push(MappingError {
                        file: file.clone(),
                        line: line_of(text, "default_target:"),
                        message: format!(
                            "service `{k}`: default_target `{}` is not one of its targets",
                            s.default_target
                        ),
                    });
                }
                for (tk, tg) in &s.targets {
                    if !SCOPE_KINDS.contains(&&*tg.scope_kind) {
                        errors.push(MappingError {
                            file: file.clone(),
                            line: line_of(text, &format!("scope_kind: {}", tg.scope_kind)),
                            message: format!("service `{k}` target `{tk}`: unknown scope_kind `{}`", tg.scope_kind),
                        });
                    }
                    if !super::naming::RULES.contains(&tg.naming.as_str()) {
                        errors.push(MappingError {
                            file: file.clone(),
                            line: line_of(text, &format!("naming: {}", tg.naming)),
                            message: format!("service `{k}` target `{tk}`: unknown naming rule `{}`", tg.naming),
                        });
                    }
                }
                t.services.insert(k, s);
            }
        } else if rel == "azure-roles.yaml" {
            let Some(f) = parse::<RolesFile>(file, text, &mut errors) else { continue };
            for n in f.never_choose {
                t.never_choose.insert(n.id.to_ascii_lowercase());
            }
            for r in f.roles {
                let line = line_of(text, &format!("name: {}", r.name));
                if !is_guid(&r.id) {
                    errors.push(MappingError {
                        file: file.clone(),
                        line,
                        message: format!("role `{}`: id `{}` is not a GUID", r.name, r.id),
                    });
                }
                if !matches!(&*r.kind, "arm" | "cosmos-sql") {
                    errors.push(MappingError {
                        file: file.clone(),
                        line,
                        message: format!("role `{}`: kind must be arm or cosmos-sql", r.name),
                    });
                }
                if let Some(bundled_id) = known_roles.get(&*r.name)
                    && !bundled_id.eq_ignore_ascii_case(&r.id)
                {
                    errors.push(MappingError {
                        file: file.clone(),
                        line,
                        message: format!(
                            "role `{}`: GUID {} differs from the built-in role's {bundled_id}",
                            r.name, r.id
                        ),
                    });
                }
                known_roles.insert(r.name.to_string(), r.id.to_string());
                t.roles.retain(|q| q.name != r.name);
                if let Some(other) = t.roles.iter().find(|q| q.id.eq_ignore_ascii_case(&r.id)) {
                    errors.push(MappingError {
                        file: file.clone(),
                        line,
                        message: format!("role `{}`: GUID {} is already used by `{}`", r.name, r.id, other.name),
                    });
                }
                t.roles.push(r);
            }
        } else if rel == "azure-operations.yaml" {
            let Some(f) = parse::<OperationsFile>(file, text, &mut errors) else { continue };
            t.data_actions.extend(f.data_actions.iter().chain(&f.cosmos_sql_data_actions).cloned());
        } else if let Some(prefix) = rel.strip_prefix("actions/").and_then(|r| r.strip_suffix(".yaml")) {
            let Some(f) = parse::<ActionsFile>(file, text, &mut errors) else { continue };
            if f.service != prefix {
                errors.push(MappingError {
                    file: file.clone(),
                    line: line_of(text, "service:"),
                    message: format!("`service: {}` does not match the file name `{prefix}`", f.service),
                });
            }
            let entry = t.actions.entry(prefix.to_string()).or_default();
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            for (name, a) in f.actions {
                let key = name.to_ascii_lowercase();
                if let Some(other) = seen.insert(key.clone(), name.clone()) {
                    errors.push(MappingError {
                        file: file.clone(),
                        line: line_of(text, &format!("{name}:")),
                        message: format!(
                            "action `{name}` is claimed twice (also as `{other}`; action names are case-insensitive)"
                        ),
                    });
                }
                entry.insert(key, (name, a));
            }
        } else {
            errors.push(MappingError { file: file.clone(), line: None, message: "not a mapping table (expected services.yaml, azure-roles.yaml, azure-operations.yaml or actions/<prefix>.yaml)".into() });
        }
    }
    t.pairs.sort();
    t.roles.sort_by(|a, b| a.name.cmp(&b.name));
    t.data_actions.sort();
    t.data_actions.dedup();
    validate(&t, &sources, &mut errors);
    if errors.is_empty() {
        Ok(t)
    } else {
        errors.sort();
        errors.dedup();
        Err(errors)
    }
}

fn user_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["services.yaml", "azure-roles.yaml", "azure-operations.yaml"] {
        if dir.join(name).is_file() {
            out.push(name.to_string());
        }
    }
    if let Ok(rd) = std::fs::read_dir(dir.join("actions")) {
        let mut names: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        names.sort();
        for p in names {
            out.push(format!("actions/{}", p.file_name().unwrap().to_string_lossy()));
        }
    }
    out
}

/// Cross-table checks: every action file has a service, every target key exists, every Azure action exists and
/// is granted by some role, no `never_choose` role is in the role table.
fn validate(t: &Tables, sources: &[(String, String, String)], errors: &mut Vec<MappingError>) {
    let file_of = |rel: &str| -> (String, &str) {
        sources
            .iter()
            .rev()
            .find(|(r, _, _)| r == rel)
            .map(|(_, f, s)| (f.clone(), s.as_str()))
            .unwrap_or_else(|| (rel.to_string(), ""))
    };
    let known: BTreeSet<String> = t.data_actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    for (prefix, actions) in &t.actions {
        let (file, text) = file_of(&format!("actions/{prefix}.yaml"));
        let Some(service) = t.services.get(prefix) else {
            errors.push(MappingError {
                file,
                line: None,
                message: format!("no `services.{prefix}` entry in services.yaml for this actions file"),
            });
            continue;
        };
        for (name, a) in actions.values() {
            let line = line_of(text, &format!("{name}:"));
            match (&a.targets, &a.none) {
                (Some(_), Some(_)) | (None, None) => errors.push(MappingError {
                    file: file.clone(),
                    line,
                    message: format!("action `{name}` needs exactly one of `targets` and `none`"),
                }),
                _ => {}
            }
            for (tk, m) in a.targets.iter().flatten() {
                if !service.targets.contains_key(tk) {
                    errors.push(MappingError {
                        file: file.clone(),
                        line,
                        message: format!(
                            "action `{name}`: unknown target `{tk}` (service `{prefix}` has {})",
                            service.targets.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                if m.none.is_some() == (!m.data_actions.is_empty() || !m.actions.is_empty()) {
                    errors.push(MappingError {
                        file: file.clone(),
                        line,
                        message: format!(
                            "action `{name}` target `{tk}` needs `none` or data_actions/actions, not both or neither"
                        ),
                    });
                }
                for d in &m.data_actions {
                    if !known.contains(&d.to_ascii_lowercase()) {
                        errors.push(MappingError {
                            file: file.clone(),
                            line,
                            message: format!(
                                "action `{name}`: `{d}` is not a known Azure data action (azure-operations.yaml)"
                            ),
                        });
                    }
                }
                for d in m.data_actions.iter().map(|d| (d, true)).chain(m.actions.iter().map(|d| (d, false))) {
                    let granted = t.roles.iter().any(|r| {
                        let (allow, deny) =
                            if d.1 { (&r.data_actions, &r.not_data_actions) } else { (&r.actions, &r.not_actions) };
                        allow.iter().any(|p| glob_ci(p, d.0)) && !deny.iter().any(|p| glob_ci(p, d.0))
                    });
                    if !granted {
                        errors.push(MappingError {
                            file: file.clone(),
                            line,
                            message: format!("action `{name}`: no role in azure-roles.yaml grants `{}`", d.0),
                        });
                    }
                }
            }
        }
    }
    let (sfile, stext) = file_of("services.yaml");
    let role_names: BTreeSet<&str> = t.roles.iter().map(|r| &*r.name).collect();
    for (prefix, service) in &t.services {
        for (tk, target) in &service.targets {
            for r in &target.roles {
                if !role_names.contains(r.as_str()) {
                    errors.push(MappingError {
                        file: sfile.clone(),
                        line: line_of(stext, &format!("- {r}")).or_else(|| line_of(stext, r)),
                        message: format!(
                            "service `{prefix}` target `{tk}`: unknown role `{r}` (not in azure-roles.yaml)"
                        ),
                    });
                }
            }
            // Every permission an action needs on this target must be grantable by one of its candidate roles.
            let cands: Vec<&Role> = t.roles.iter().filter(|r| target.roles.iter().any(|n| **n == *r.name)).collect();
            if target.roles.is_empty() {
                continue;
            }
            for (name, a) in t.actions.get(prefix).into_iter().flat_map(|m| m.values()) {
                let Some(m) = a.targets.as_ref().and_then(|x| x.get(tk)) else { continue };
                for (d, data) in m.data_actions.iter().map(|d| (d, true)).chain(m.actions.iter().map(|d| (d, false))) {
                    let ok = cands.iter().any(|r| {
                        let (allow, deny) =
                            if data { (&r.data_actions, &r.not_data_actions) } else { (&r.actions, &r.not_actions) };
                        allow.iter().any(|p| glob_ci(p, d)) && !deny.iter().any(|p| glob_ci(p, d))
                    });
                    if !ok {
                        let (afile, atext) = file_of(&format!("actions/{prefix}.yaml"));
                        errors.push(MappingError {
                            file: afile,
                            line: line_of(atext, &format!("{name}:")),
                            message: format!(
                                "action `{name}` needs `{d}` on `{tk}`, which none of the target's roles grants"
                            ),
                        });
                    }
                }
            }
        }
    }
    let (file, text) = file_of("azure-roles.yaml");
    for r in &t.roles {
        if t.never_choose.contains(&r.id.to_ascii_lowercase()) {
            errors.push(MappingError {
                file: file.clone(),
                line: line_of(text, &format!("name: {}", r.name)),
                message: format!("role `{}` is in never_choose and must not be in the role table", r.name),
            });
        }
    }
}

impl Tables {
    /// Which AWS actions each Azure permission stands for, per service and target: what a grant of the permission
    /// lets an identity do in AWS terms (used to subtract Denies and by the soundness check).
    pub fn reverse(&self) -> &Reverse {
        self.reverse.get_or_init(|| {
            let mut out: Reverse = BTreeMap::new();
            for (prefix, actions) in &self.actions {
                for (spelling, action) in actions.values() {
                    for (tkey, m) in action.targets.iter().flatten() {
                        if m.none.is_some() {
                            continue;
                        }
                        let perms =
                            m.data_actions.iter().map(|d| (true, d)).chain(m.actions.iter().map(|d| (false, d)));
                        for (data, d) in perms {
                            out.entry((prefix.clone(), tkey.clone()))
                                .or_default()
                                .entry(super::choose::Perm { data, name: d.clone() })
                                .or_default()
                                .push((format!("{prefix}:{spelling}"), action.resource_kinds.clone()));
                        }
                    }
                }
            }
            out
        })
    }

    /// The action of a service, by name (case-insensitive).
    pub fn action(&self, prefix: &str, name: &str) -> Option<&(String, Action)> {
        self.actions.get(prefix)?.get(&name.to_ascii_lowercase())
    }

    /// The Azure counterparts of an AWS service name, from the seed's pairs (case-insensitive substring match on
    /// the AWS name, for messages).
    pub fn counterparts(&self, aws_name: &str) -> Vec<&Pair> {
        let n = aws_name.to_ascii_lowercase();
        self.pairs.iter().filter(|p| p.aws.to_ascii_lowercase().contains(&n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_load_and_validate() {
        let t =
            load(None).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
        assert!(t.services.contains_key("sqs") && t.services.contains_key("dynamodb"));
        assert!(t.pairs.len() > 50);
        assert!(t.action("sqs", "receivemessage").is_some());
    }

    #[test]
    fn user_override_replaces_entries_and_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("actions")).unwrap();
        std::fs::write(
            dir.path().join("actions/sqs.yaml"),
            "service: sqs\nactions:\n  SendMessage:\n    access: Write\n    targets:\n      storage-queue:\n        data_actions: [Microsoft.Storage/storageAccounts/queueServices/queues/messages/read]\n      service-bus:\n        none: no\n  sendmessage:\n    access: Write\n    none: twice\n  Bogus:\n    access: Read\n    targets:\n      nowhere:\n        data_actions: [Microsoft.Nope/x/action]\n",
        )
        .unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("claimed twice"), "{all}");
        assert!(all.contains("unknown target `nowhere`"), "{all}");
        assert!(all.contains("not a known Azure data action"), "{all}");
        assert!(errs.iter().all(|e| e.line.is_some()), "{all}");
    }

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("azure-roles.yaml"),
            "roles:\n  - name: X\n    id: not-a-guid\n    kind: arm\n    colour: red\n",
        )
        .unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("colour") && e.line == Some(5)), "{errs:?}");
    }

    #[test]
    fn wrong_guid_for_a_builtin_role_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("azure-roles.yaml"), "roles:\n  - name: Storage Queue Data Reader\n    id: 00000000-1111-2222-3333-444444444444\n    kind: arm\n    actions: []\n    data_actions: [Microsoft.Storage/storageAccounts/queueServices/queues/messages/read]\n").unwrap();
        let errs = load(Some(dir.path())).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("differs from the built-in")), "{errs:?}");
    }
}

#[cfg(test)]
mod consistency {
    use super::*;

    /// Every ARM role of the bundled table matches `shared/data/azure-builtin-roles.json` (the `az role definition
    /// list` export) by name, GUID and permissions. The shared data sits beside the repository in CI; a developer
    /// without it gets a skipped test, CI gets a failure.
    #[test]
    fn role_table_matches_the_builtin_roles_export() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/azure-builtin-roles.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(std::env::var_os("CI").is_none(), "{} is missing in CI", path.display());
            return;
        };
        let export: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let by_name: BTreeMap<&str, &serde_json::Value> =
            export.iter().map(|r| (r["roleName"].as_str().unwrap(), r)).collect();
        let t = load(None).unwrap();
        let mut checked = 0;
        for r in t.roles.iter().filter(|r| &*r.kind == "arm") {
            let e = by_name.get(&*r.name).unwrap_or_else(|| panic!("`{}` is not a built-in role", r.name));
            assert_eq!(e["name"].as_str().unwrap(), &*r.id, "GUID of {}", r.name);
            let list = |k: &str| -> BTreeSet<String> {
                e["permissions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|p| p[k].as_array().cloned().unwrap_or_default())
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            };
            assert_eq!(list("dataActions"), r.data_actions.iter().cloned().collect(), "dataActions of {}", r.name);
            assert_eq!(list("actions"), r.actions.iter().cloned().collect(), "actions of {}", r.name);
            checked += 1;
        }
        for (name, id) in [
            ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
            ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
            ("User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"),
        ] {
            assert_eq!(by_name[name]["name"], id);
            assert!(t.never_choose.contains(id), "{name} must be in never_choose");
        }
        assert!(checked > 50, "only {checked} roles checked");
    }
}
