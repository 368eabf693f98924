//! The Bicep view: the plan resolved into symbols, parents and expressions, ready for `bicep/main.bicep.j2`.
//! Names come from the plan (already made valid by the naming rules); every string the template prints is
//! escaped as a Bicep literal, and the few expressions built here are made only of identifiers and escaped
//! literals.

use crate::config::Config;
use crate::plan::Plan;
use crate::templates::{bicep_ident, bicep_string};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A deployment parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Value from the config, when known.
    #[serde(skip)]
    pub value: Option<String>,
}

/// A parent resource (account, vault, namespace…).
#[derive(Debug, Clone, Serialize)]
pub struct Parent {
    /// Template switch.
    pub kind: &'static str,
    /// Bicep symbol.
    pub symbol: String,
    /// The parameter holding its name.
    pub name_param: String,
    /// Reference it as `existing`.
    pub existing: bool,
}

/// A leaf resource (queue, table, container…).
#[derive(Debug, Clone, Serialize)]
pub struct Leaf {
    /// Template switch.
    pub kind: &'static str,
    /// Bicep symbol.
    pub symbol: String,
    /// Azure name.
    pub name: String,
    /// Service Bus sessions (FIFO).
    pub sessions: bool,
}

/// A storage sub-service (`queueServices`, …).
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// Bicep symbol.
    pub symbol: String,
    /// Resource type segment.
    pub kind: String,
}

/// A federated credential.
#[derive(Debug, Clone, Serialize)]
pub struct Credential {
    /// Bicep symbol.
    pub symbol: String,
    /// Name.
    pub name: String,
    /// Subject.
    pub subject: String,
    /// A literal issuer (the EKS cluster's, for the reverse bridge); `None`: the AKS issuer.
    pub issuer: Option<String>,
    /// The credential this one waits for (serialised creation).
    pub after: Option<String>,
}

/// An identity.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// Bicep symbol.
    pub symbol: String,
    /// Name.
    pub name: String,
    /// The IAM role it replaces.
    pub aws_role_arn: String,
    /// Its federated credentials.
    pub credentials: Vec<Credential>,
}

/// A custom role definition.
#[derive(Debug, Clone, Serialize)]
pub struct CustomRole {
    /// Bicep symbol.
    pub symbol: String,
    /// GUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Why it exists.
    pub why: String,
    /// Control-plane actions.
    pub actions: Vec<String>,
    /// Data actions.
    pub data_actions: Vec<String>,
}

/// An ARM role assignment.
#[derive(Clone)]
pub struct Assignment {
    /// Bicep symbol.
    pub symbol: String,
    /// Scope symbol (none: the resource group).
    pub scope: Option<Arc<str>>,
    /// Identity symbol.
    pub identity: Arc<str>,
    /// The custom role's symbol, when the role is one of the template's custom roles.
    pub custom_role: Option<Arc<str>>,
    /// The plan's assignment: (identity, assignment) indexes into `plan`. The texts the template reads (comment,
    /// expressions) are made from it when the template reaches this assignment, not kept for all of them at once
    /// (on 30,000 assignments they were 20 MB).
    at: (usize, usize),
    plan: Arc<Plan>,
}

impl Assignment {
    fn of_plan(&self) -> (&crate::plan::Identity, &crate::plan::RoleAssignment) {
        let id = &self.plan.identities[self.at.0];
        (id, &id.role_assignments[self.at.1])
    }

    /// Comment line.
    pub fn comment(&self) -> String {
        let (id, a) = self.of_plan();
        comment(id, a)
    }

    /// Expression of the scope's id.
    pub fn scope_id(&self) -> String {
        self.scope.as_ref().map_or_else(|| "resourceGroup().id".to_string(), |s| format!("{s}.id"))
    }

    /// Expression that identifies the role in the assignment's GUID.
    pub fn role_key(&self) -> String {
        match &self.custom_role {
            Some(sym) => format!("{sym}.id"),
            None => bicep_string(&self.of_plan().1.role_definition_id),
        }
    }

    /// Expression of the role definition id.
    pub fn role_definition(&self) -> String {
        match &self.custom_role {
            Some(sym) => format!("{sym}.id"),
            None => format!(
                "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', {})",
                bicep_string(&self.of_plan().1.role_definition_id)
            ),
        }
    }

    /// ABAC condition.
    pub fn condition(&self) -> Option<String> {
        self.of_plan().1.condition.as_ref().map(|c| c.text())
    }
}

/// The comment line above an assignment: which role, for whom, where, replacing which AWS actions.
fn comment(id: &crate::plan::Identity, a: &crate::plan::RoleAssignment) -> String {
    format!("{} for {} on {} {} ({})", a.role_name, id.name, a.scope.kind, a.scope.azure_name, a.aws_actions.join(", "))
}

impl std::fmt::Debug for Assignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assignment").field("symbol", &self.symbol).field("at", &self.at).finish_non_exhaustive()
    }
}

impl Serialize for Assignment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Assignment", 8)?;
        st.serialize_field("symbol", &self.symbol)?;
        st.serialize_field("comment", &self.comment())?;
        st.serialize_field("scope", &self.scope)?;
        st.serialize_field("scope_id", &self.scope_id())?;
        st.serialize_field("identity", &self.identity)?;
        st.serialize_field("role_key", &self.role_key())?;
        st.serialize_field("role_definition", &self.role_definition())?;
        st.serialize_field("condition", &self.condition())?;
        st.end()
    }
}

/// A Cosmos DB data-plane role assignment.
#[derive(Debug, Clone, Serialize)]
pub struct CosmosAssignment {
    /// Bicep symbol.
    pub symbol: String,
    /// Comment line.
    pub comment: String,
    /// Identity symbol.
    pub identity: String,
    /// Cosmos SQL role definition id (a GUID).
    pub role_id: String,
    /// Container name.
    pub container: String,
}

/// Everything `main.bicep.j2` prints.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// Number of input files.
    pub inputs: usize,
    /// Parameters (besides `location`).
    pub params: Vec<Param>,
    /// Name of an existing AKS cluster, when configured.
    pub aks_cluster: Option<String>,
    /// The issuer expression.
    pub issuer: String,
    /// Parent resources.
    pub parents: Vec<Parent>,
    /// Storage sub-services.
    pub services: Vec<Service>,
    /// Leaf resources.
    pub leaves: Vec<Leaf>,
    /// Custom roles.
    pub custom_roles: Vec<CustomRole>,
    /// Identities.
    pub identities: Vec<Identity>,
    /// ARM role assignments.
    pub assignments: Vec<Assignment>,
    /// Cosmos DB role assignments.
    pub cosmos_assignments: Vec<CosmosAssignment>,
}

struct ParentDef {
    kind: &'static str,
    symbol: &'static str,
    param: &'static str,
    description: &'static str,
}

fn parent_of(scope_kind: &str) -> Option<ParentDef> {
    let (kind, symbol, param, description) = match scope_kind {
        "queue" | "table" | "container" | "blob_path" | "storage_account" => (
            "storage_account",
            "storageAccount",
            "storageAccountName",
            "Storage account of the migrated queues, tables and containers (3-24 lowercase letters and digits, globally unique).",
        ),
        "key_vault" | "secret" | "key" => (
            "key_vault",
            "keyVault",
            "keyVaultName",
            "Key Vault of the migrated secrets and keys (3-24 characters, globally unique).",
        ),
        "service_bus_namespace" | "service_bus_queue" | "service_bus_topic" => (
            "service_bus_namespace",
            "serviceBusNamespace",
            "serviceBusNamespaceName",
            "Service Bus namespace of the migrated queues and topics (globally unique).",
        ),
        "event_hub_namespace" | "event_hub" => (
            "event_hub_namespace",
            "eventHubsNamespace",
            "eventHubsNamespaceName",
            "Event Hubs namespace of the migrated streams (globally unique).",
        ),
        "cosmos_account" | "cosmos_container" => (
            "cosmos_account",
            "cosmosAccount",
            "cosmosAccountName",
            "Cosmos DB account of the migrated tables (globally unique).",
        ),
        "app_configuration" => (
            "app_configuration",
            "appConfiguration",
            "appConfigurationName",
            "App Configuration store of the migrated parameters (globally unique).",
        ),
        "container_registry" => (
            "container_registry",
            "containerRegistry",
            "containerRegistryName",
            "Container registry that receives the ECR images (globally unique).",
        ),
        _ => return None,
    };
    Some(ParentDef { kind, symbol, param, description })
}

fn leaf_kind(scope_kind: &str) -> Option<&'static str> {
    Some(match scope_kind {
        "queue" => "queue",
        "table" => "table",
        "container" | "blob_path" => "container",
        "secret" => "secret",
        "key" => "key",
        "service_bus_queue" => "service_bus_queue",
        "service_bus_topic" => "service_bus_topic",
        "event_hub" => "event_hub",
        "cosmos_container" => "cosmos_container",
        _ => return None,
    })
}

/// The config's value for a deployment parameter, when it has one.
pub(crate) fn configured(cfg: &Config, param: &str) -> Option<String> {
    let a = &cfg.azure;
    match param {
        "storageAccountName" => a.storage_account.clone(),
        "keyVaultName" => a.key_vault.clone(),
        "serviceBusNamespaceName" => a.service_bus_namespace.clone(),
        "eventHubsNamespaceName" => a.event_hubs_namespace.clone(),
        "cosmosAccountName" => a.cosmos_account.clone(),
        "cosmosDatabaseName" => a.cosmos_database.clone(),
        "appConfigurationName" => a.app_configuration.clone(),
        "containerRegistryName" => a.container_registry.clone(),
        "aksOidcIssuerUrl" => a.aks_oidc_issuer.clone(),
        "aksClusterName" => a.aks_cluster.clone(),
        _ => None,
    }
}

/// Builds the view.
pub fn view(plan: &Arc<Plan>, cfg: &Config, inputs: usize) -> View {
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    let mut parents: BTreeMap<&str, Parent> = BTreeMap::new();
    // Sorted by (kind, name) once complete; `leaf_symbol` keeps them unique. Keys borrow from the plan: at 10,000
    // identities a second owned copy of every scope name was 10 MB at translate's peak.
    let mut leaves: Vec<Leaf> = Vec::new();
    let mut used_symbols: BTreeSet<String> = BTreeSet::new();
    let mut unique = |base: String| -> String {
        let mut s = base.clone();
        let mut n = 2;
        while !used_symbols.insert(s.clone()) {
            s = format!("{base}_{n}");
            n += 1;
        }
        s
    };
    for reserved in ["location", "aksCluster", "cosmosDatabase", "queueServices", "tableServices", "blobServices"] {
        unique(reserved.to_string());
    }
    // Parents and leaves, from every assignment's scope.
    let mut leaf_symbol: BTreeMap<(&'static str, &str), Arc<str>> = BTreeMap::new();
    for id in &plan.identities {
        for a in &id.role_assignments {
            let Some(p) = parent_of(&a.scope.kind) else { continue };
            params.insert(p.param, p.description);
            if p.kind == "cosmos_account" {
                params.insert("cosmosDatabaseName", "Cosmos DB database of the migrated tables.");
            }
            parents.entry(p.kind).or_insert_with(|| Parent {
                kind: p.kind,
                symbol: p.symbol.into(),
                name_param: p.param.into(),
                existing: cfg.azure.existing.iter().any(|e| e == p.kind),
            });
            if let Some(kind) = leaf_kind(&a.scope.kind) {
                let key = (kind, &*a.scope.azure_name);
                if let std::collections::btree_map::Entry::Vacant(e) = leaf_symbol.entry(key) {
                    let sym = unique(bicep_ident(&format!("{kind}_{}", a.scope.azure_name)));
                    e.insert(sym.as_str().into());
                    leaves.push(Leaf {
                        kind,
                        symbol: sym,
                        name: a.scope.azure_name.to_string(),
                        sessions: a.scope.aws_arn.ends_with(".fifo"),
                    });
                }
            }
        }
    }
    let mut services = Vec::new();
    for (kind, sym) in [("queue", "queueServices"), ("table", "tableServices"), ("container", "blobServices")] {
        if leaf_symbol.keys().any(|(k, _)| *k == kind) {
            services.push(Service { symbol: sym.into(), kind: sym.into() });
        }
    }
    let (aks_cluster, issuer) = match &cfg.azure.aks_cluster {
        Some(c) => {
            params.insert(
                "aksClusterName",
                "Name of the existing AKS cluster (in this resource group) whose OIDC issuer the credentials trust.",
            );
            (Some(c.clone()), "aksCluster.properties.oidcIssuerProfile.issuerURL".to_string())
        }
        None => {
            params.insert("aksOidcIssuerUrl", "OIDC issuer URL of the AKS cluster: az aks show -g RG -n CLUSTER --query oidcIssuerProfile.issuerUrl -o tsv");
            (None, "aksOidcIssuerUrl".to_string())
        }
    };
    // Custom roles.
    let mut custom_symbol: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let custom_roles = plan
        .custom_roles
        .iter()
        .map(|c| {
            let symbol = unique(bicep_ident(&format!("role_{}", &c.role_definition_id[..8])));
            custom_symbol.insert(c.role_definition_id.clone(), symbol.as_str().into());
            CustomRole {
                symbol,
                id: c.role_definition_id.clone(),
                name: c.name.clone(),
                description: format!("Generated by eks2aks: {}", c.data_actions.join(", ")),
                why: if c.avoided_excess_data_actions.is_empty() {
                    "no built-in role grants it".into()
                } else {
                    format!(
                        "the narrowest built-in roles would also grant {}",
                        c.avoided_excess_data_actions.join(", ")
                    )
                },
                actions: c.actions.clone(),
                data_actions: c.data_actions.clone(),
            }
        })
        .collect();
    // Identities and their serialised credentials.
    let mut identities = Vec::new();
    let mut id_symbol: BTreeMap<&str, Arc<str>> = BTreeMap::new();
    for id in &plan.identities {
        let symbol = unique(bicep_ident(&format!("id_{}", id.name)));
        id_symbol.insert(&id.name, symbol.as_str().into());
        let mut credentials: Vec<Credential> = Vec::with_capacity(id.federated_credentials.len());
        for (k, f) in id.federated_credentials.iter().enumerate() {
            let after = credentials.last().map(|c| c.symbol.clone());
            let aks = f.issuer.starts_with("param:") || cfg.azure.aks_oidc_issuer.as_deref() == Some(&*f.issuer);
            credentials.push(Credential {
                symbol: unique(format!("{symbol}_fic{k}")),
                name: f.name.clone(),
                subject: f.subject.clone(),
                issuer: (!aks).then(|| f.issuer.to_string()),
                after,
            });
        }
        identities.push(Identity { symbol, name: id.name.clone(), aws_role_arn: id.aws_role_arn.clone(), credentials });
    }
    // Assignments.
    let mut assignments = Vec::new();
    let mut cosmos_assignments = Vec::new();
    let mut parent_symbol: BTreeMap<&str, Arc<str>> = BTreeMap::new();
    for (i, id) in plan.identities.iter().enumerate() {
        let ident = &id_symbol[id.name.as_str()];
        for (k, a) in id.role_assignments.iter().enumerate() {
            if &*a.kind == "cosmos-sql" {
                let safe = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if safe(&a.role_definition_id) && safe(&a.scope.azure_name) {
                    cosmos_assignments.push(CosmosAssignment {
                        symbol: unique(format!("{ident}_cosmos{k}")),
                        comment: comment(id, a),
                        identity: ident.to_string(),
                        role_id: a.role_definition_id.to_string(),
                        container: a.scope.azure_name.to_string(),
                    });
                }
                continue;
            }
            let scope: Option<Arc<str>> = match leaf_kind(&a.scope.kind) {
                Some(kind) => leaf_symbol.get(&(kind, &*a.scope.azure_name)).cloned(),
                None => parent_of(&a.scope.kind)
                    .map(|p| parent_symbol.entry(p.symbol).or_insert_with(|| p.symbol.into()).clone()),
            };
            assignments.push(Assignment {
                symbol: unique(format!("{ident}_ra{k}")),
                scope,
                identity: ident.clone(),
                custom_role: custom_symbol.get(&*a.role_definition_id).cloned(),
                at: (i, k),
                plan: plan.clone(),
            });
        }
    }
    drop(leaf_symbol);
    // The order a map keyed by (kind, name) gave them.
    leaves.sort_unstable_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    View {
        inputs,
        params: params
            .into_iter()
            .map(|(name, description)| Param {
                name: name.into(),
                description: description.into(),
                value: configured(cfg, name),
            })
            .collect(),
        aks_cluster,
        issuer,
        parents: parents.into_values().collect(),
        services,
        leaves,
        custom_roles,
        identities,
        assignments,
        cosmos_assignments,
    }
}

/// `main.parameters.json`: every parameter, with the config's value or a clearly marked placeholder.
pub fn parameters_json(view: &View, cfg: &Config) -> String {
    let mut params = serde_json::Map::new();
    if let Some(location) = &cfg.azure.location {
        params.insert("location".into(), serde_json::json!({ "value": location }));
    }
    for p in &view.params {
        let value = p.value.clone().unwrap_or_else(|| format!("REPLACE-ME: {}", p.description));
        params.insert(p.name.clone(), serde_json::json!({ "value": value }));
    }
    let doc = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": params,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_of(input: &str) -> (Arc<Plan>, View) {
        let tables = crate::mapping::load(None).unwrap();
        let cfg = Config::default();
        let a = crate::analyse(&[input.into()], &cfg, &tables).unwrap();
        let view = view(&a.plan, &cfg, 1);
        (a.plan, view)
    }

    /// An assignment's texts are made when it is serialised: the same keys, in the same order, and the same
    /// expressions as when they were stored fields (built-in role at a leaf scope with a condition; custom role).
    #[test]
    fn assignments_serialise_their_expressions() {
        let (plan, view) = view_of("testdata/fixtures/mapping/s3-prefix-condition");
        let a = &view.assignments[0];
        let ra = &plan.identities[a.at.0].role_assignments[a.at.1];
        let json = serde_json::to_value(a).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["symbol", "comment", "scope", "scope_id", "identity", "role_key", "role_definition", "condition"]
        );
        let scope = a.scope.as_deref().expect("a container scope");
        assert_eq!(json["scope_id"], format!("{scope}.id"));
        assert_eq!(json["role_key"], format!("'{}'", ra.role_definition_id));
        assert_eq!(
            json["role_definition"],
            format!("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{}')", ra.role_definition_id)
        );
        assert!(json["condition"].as_str().is_some_and(|c| c.contains("reports/")), "{json}");
        assert_eq!(
            json["comment"],
            format!(
                "{} for {} on {} {} ({})",
                ra.role_name,
                plan.identities[a.at.0].name,
                ra.scope.kind,
                ra.scope.azure_name,
                ra.aws_actions.join(", ")
            )
        );

        let (_, view) = view_of("testdata/fixtures/mapping/custom-roles-off");
        let custom = view.assignments.iter().find(|a| a.custom_role.is_some()).expect("a custom role is assigned");
        let json = serde_json::to_value(custom).unwrap();
        let sym = custom.custom_role.as_deref().unwrap();
        assert!(view.custom_roles.iter().any(|c| c.symbol == sym));
        assert_eq!(json["role_key"], format!("{sym}.id"));
        assert_eq!(json["role_definition"], format!("{sym}.id"));
        assert_eq!(json["condition"], serde_json::Value::Null);
    }
}
