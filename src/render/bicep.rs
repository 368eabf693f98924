//! The Bicep view: the plan resolved into symbols, parents and expressions, ready for `bicep/main.bicep.j2`.
//! Names come from the plan (already made valid by the naming rules); every string the template prints is
//! escaped as a Bicep literal, and the few expressions built here are made only of identifiers and escaped
//! literals.

use crate::config::Config;
use crate::mapping::load::Scopes;
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
    /// Template switch (the scope kind).
    pub kind: String,
    /// Bicep symbol.
    pub symbol: String,
    /// The parameter holding its name.
    pub name_param: String,
    /// Reference it as `existing`.
    pub existing: bool,
    /// `<Azure type>@<API version>` (`mappings/scopes.yaml`).
    pub resource_type: Arc<str>,
}

/// A leaf resource (queue, table, container…).
#[derive(Debug, Clone, Serialize)]
pub struct Leaf {
    /// Template switch (`bicep.leaf` of the scope kind).
    pub kind: String,
    /// Bicep symbol.
    pub symbol: String,
    /// Azure name.
    pub name: String,
    /// Service Bus sessions (FIFO).
    pub sessions: bool,
    /// `<Azure type>@<API version>` (`mappings/scopes.yaml`), shared by the leaves of a kind.
    pub resource_type: Arc<str>,
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

/// A module of `main.bicep`: the role assignments on a resource group of its own (the AKS node resource group,
/// `mappings/scopes.yaml` `bicep.module`), rendered from `bicep/module.bicep.j2` into `bicep/<file>`.
#[derive(Debug, Clone, Serialize)]
pub struct Module {
    /// Bicep symbol in `main.bicep`.
    pub symbol: String,
    /// File name, beside `main.bicep`.
    pub file: String,
    /// Name of its deployment.
    pub deployment: String,
    /// The parameter of `main.bicep` naming the resource group it is deployed at.
    pub param: String,
    /// (identity name, identity symbol) of each identity it assigns to: `main.bicep` passes their principal ids.
    pub principals: Vec<(String, String)>,
    /// Its assignments.
    pub assignments: Vec<ModuleAssignment>,
}

/// A role assignment of a [`Module`] (a built-in role on the module's resource group).
#[derive(Debug, Clone, Serialize)]
pub struct ModuleAssignment {
    /// Bicep symbol in the module.
    pub symbol: String,
    /// Comment line.
    pub comment: String,
    /// The identity's name (its key in `principalIds`).
    pub identity: String,
    /// Built-in role definition GUID.
    pub role_id: String,
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
    /// Modules: the assignments on other resource groups.
    pub modules: Vec<Module>,
}

/// The config's value for a deployment parameter, when it has one: the AKS cluster's, or the `azure:` key that
/// `mappings/scopes.yaml` gives the parameter.
pub(crate) fn configured(cfg: &Config, scopes: &Scopes, param: &str) -> Option<String> {
    let a = &cfg.azure;
    match param {
        "aksOidcIssuerUrl" => a.aks_oidc_issuer.clone(),
        "aksClusterName" => a.aks_cluster.clone(),
        _ => scopes.param(param).and_then(|p| a.resource(&p.config_key)).cloned(),
    }
}

/// Bicep symbols handed out so far: each new one is made unique with a `_2`, `_3`… suffix.
#[derive(Default)]
struct Symbols(BTreeSet<String>);

impl Symbols {
    fn unique(&mut self, base: String) -> String {
        let mut s = base.clone();
        let mut n = 2;
        while !self.0.insert(s.clone()) {
            s = format!("{base}_{n}");
            n += 1;
        }
        s
    }
}

/// The resources the assignments' scopes need: parameters, parent resources, storage sub-services and leaves.
#[derive(Default)]
struct Resources<'p> {
    /// Parameter name → description.
    params: BTreeMap<&'p str, &'p str>,
    /// Parent resources by kind.
    parents: BTreeMap<&'p str, Parent>,
    /// Leaves, sorted by (kind, name) once complete.
    leaves: Vec<Leaf>,
    /// (leaf kind, Azure name) → symbol. Keys borrow from the plan: at 10,000 identities a second owned copy of
    /// every scope name was 10 MB at translate's peak.
    leaf_symbol: BTreeMap<(&'p str, &'p str), Arc<str>>,
    /// The resource type of each leaf kind (one allocation per kind).
    leaf_types: BTreeMap<&'p str, Arc<str>>,
}

/// A scope kind's resource type as Bicep declares it: `<Azure type>@<API version>`.
fn resource_type(k: &crate::mapping::load::ScopeKind) -> Arc<str> {
    format!("{}@{}", k.azure_type, k.bicep.api_version.as_deref().unwrap_or_default()).into()
}

/// Parents and leaves, from every assignment's scope (its kind's named parent and Bicep leaf).
fn resources<'p>(plan: &'p Plan, cfg: &Config, scopes: &'p Scopes, syms: &mut Symbols) -> Resources<'p> {
    let mut r = Resources::default();
    for a in plan.identities.iter().flat_map(|id| &id.role_assignments) {
        // A leaf directly in the resource group (an Azure DNS zone) has no named parent.
        if let Some(p) = scopes.named_parent(&a.scope.kind)
            && let Some(symbol) = p.bicep.symbol.as_deref()
        {
            for param in &p.params {
                r.params.insert(&param.name, &param.description);
            }
            r.parents.entry(&p.kind).or_insert_with(|| Parent {
                kind: p.kind.clone(),
                symbol: symbol.into(),
                name_param: p.params[0].name.clone(),
                existing: cfg.azure.existing.contains(&p.kind),
                resource_type: resource_type(p),
            });
        }
        let Some(leaf) = scopes.get(&a.scope.kind).filter(|k| k.bicep.leaf.is_some()) else { continue };
        let kind = leaf.bicep.leaf.as_deref().expect("filtered");
        if let std::collections::btree_map::Entry::Vacant(e) = r.leaf_symbol.entry((kind, &*a.scope.azure_name)) {
            let sym = syms.unique(bicep_ident(&format!("{kind}_{}", a.scope.azure_name)));
            e.insert(sym.as_str().into());
            r.leaves.push(Leaf {
                kind: kind.into(),
                symbol: sym,
                name: a.scope.azure_name.to_string(),
                sessions: a.scope.aws_arn.ends_with(".fifo"),
                resource_type: r.leaf_types.entry(kind).or_insert_with(|| resource_type(leaf)).clone(),
            });
        }
    }
    r
}

/// The storage sub-services the leaves need, in the scope kinds' order.
fn services(scopes: &Scopes, leaf_symbol: &BTreeMap<(&str, &str), Arc<str>>) -> Vec<Service> {
    let mut out: Vec<Service> = Vec::new();
    for k in &scopes.kinds {
        let (Some(leaf), Some(sym)) = (k.bicep.leaf.as_deref(), k.bicep.service.as_deref()) else { continue };
        if leaf_symbol.keys().any(|(l, _)| *l == leaf) && !out.iter().any(|s| s.symbol == sym) {
            out.push(Service { symbol: sym.into(), kind: sym.into() });
        }
    }
    out
}

/// The AKS cluster (when configured) and the issuer expression, with the parameter either needs.
fn issuer(cfg: &Config, params: &mut BTreeMap<&str, &str>) -> (Option<String>, String) {
    match &cfg.azure.aks_cluster {
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
    }
}

/// The custom roles, with their symbols by role definition id.
fn custom_roles(plan: &Plan, syms: &mut Symbols) -> (Vec<CustomRole>, BTreeMap<String, Arc<str>>) {
    let mut by_id: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let roles = plan
        .custom_roles
        .iter()
        .map(|c| {
            let symbol = syms.unique(bicep_ident(&format!("role_{}", &c.role_definition_id[..8])));
            by_id.insert(c.role_definition_id.clone(), symbol.as_str().into());
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
    (roles, by_id)
}

/// The identities and their serialised credentials, with their symbols by identity name.
fn identities<'p>(plan: &'p Plan, cfg: &Config, syms: &mut Symbols) -> (Vec<Identity>, BTreeMap<&'p str, Arc<str>>) {
    let mut out = Vec::new();
    let mut by_name: BTreeMap<&str, Arc<str>> = BTreeMap::new();
    for id in &plan.identities {
        let symbol = syms.unique(bicep_ident(&format!("id_{}", id.name)));
        by_name.insert(&id.name, symbol.as_str().into());
        let mut credentials: Vec<Credential> = Vec::with_capacity(id.federated_credentials.len());
        for (k, f) in id.federated_credentials.iter().enumerate() {
            let after = credentials.last().map(|c| c.symbol.clone());
            let aks = f.issuer.starts_with("param:") || cfg.azure.aks_oidc_issuer.as_deref() == Some(&*f.issuer);
            credentials.push(Credential {
                symbol: syms.unique(format!("{symbol}_fic{k}")),
                name: f.name.clone(),
                subject: f.subject.clone(),
                issuer: (!aks).then(|| f.issuer.to_string()),
                after,
            });
        }
        out.push(Identity { symbol, name: id.name.clone(), aws_role_arn: id.aws_role_arn.clone(), credentials });
    }
    (out, by_name)
}

/// The symbols an assignment refers to.
struct Refs<'a, 'p> {
    identity: &'a BTreeMap<&'p str, Arc<str>>,
    custom_role: &'a BTreeMap<String, Arc<str>>,
    leaf: &'a BTreeMap<(&'p str, &'p str), Arc<str>>,
}

/// The ARM and the Cosmos DB data-plane assignments.
fn assignments(
    plan: &Arc<Plan>,
    scopes: &Scopes,
    refs: &Refs,
    syms: &mut Symbols,
) -> (Vec<Assignment>, Vec<CosmosAssignment>, Vec<Module>) {
    let mut arm = Vec::new();
    let mut cosmos = Vec::new();
    let mut modules: BTreeMap<&str, Module> = BTreeMap::new();
    let mut parent_symbol: BTreeMap<&str, Arc<str>> = BTreeMap::new();
    for (i, id) in plan.identities.iter().enumerate() {
        let ident = &refs.identity[id.name.as_str()];
        for (k, a) in id.role_assignments.iter().enumerate() {
            if &*a.kind == "cosmos-sql" {
                let safe = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if safe(&a.role_definition_id) && safe(&a.scope.azure_name) {
                    cosmos.push(CosmosAssignment {
                        symbol: syms.unique(format!("{ident}_cosmos{k}")),
                        comment: comment(id, a),
                        identity: ident.to_string(),
                        role_id: a.role_definition_id.to_string(),
                        container: a.scope.azure_name.to_string(),
                    });
                }
                continue;
            }
            if let Some((param, module)) = scopes.own_group(&a.scope.kind) {
                let m = modules.entry(module).or_insert_with(|| Module {
                    symbol: syms.unique(bicep_ident(module)),
                    file: format!("{module}.bicep"),
                    deployment: format!("eks2aks-{module}"),
                    param: param.name.clone(),
                    principals: Vec::new(),
                    assignments: Vec::new(),
                });
                if m.principals.last().is_none_or(|(n, _)| *n != id.name) {
                    m.principals.push((id.name.clone(), ident.to_string()));
                }
                let symbol = format!("ra{}", m.assignments.len());
                m.assignments.push(ModuleAssignment {
                    symbol,
                    comment: comment(id, a),
                    identity: id.name.clone(),
                    role_id: a.role_definition_id.to_string(),
                });
                continue;
            }
            let scope: Option<Arc<str>> = match scopes.get(&a.scope.kind).and_then(|k| k.bicep.leaf.as_deref()) {
                Some(kind) => refs.leaf.get(&(kind, &*a.scope.azure_name)).cloned(),
                None => scopes
                    .named_parent(&a.scope.kind)
                    .and_then(|p| p.bicep.symbol.as_deref())
                    .map(|s| parent_symbol.entry(s).or_insert_with(|| s.into()).clone()),
            };
            arm.push(Assignment {
                symbol: syms.unique(format!("{ident}_ra{k}")),
                scope,
                identity: ident.clone(),
                custom_role: refs.custom_role.get(&*a.role_definition_id).cloned(),
                at: (i, k),
                plan: plan.clone(),
            });
        }
    }
    (arm, cosmos, modules.into_values().collect())
}

/// Builds the view: the resources the scopes of the assignments need (the plan's scope kinds,
/// `mappings/scopes.yaml`), the custom roles, the identities and the assignments, each with a unique symbol.
pub fn view(plan: &Arc<Plan>, cfg: &Config, inputs: usize) -> View {
    let scopes: &Scopes = &plan.scopes;
    // The template's own symbols, and the storage sub-services'.
    let reserved = ["location", "aksCluster", "cosmosDatabase"].into_iter();
    let mut syms = Symbols(
        reserved.chain(scopes.kinds.iter().filter_map(|k| k.bicep.service.as_deref())).map(String::from).collect(),
    );
    let Resources { mut params, parents, mut leaves, leaf_symbol, .. } = resources(plan, cfg, scopes, &mut syms);
    let services = services(scopes, &leaf_symbol);
    let (aks_cluster, issuer) = issuer(cfg, &mut params);
    let (custom_roles, custom_symbol) = custom_roles(plan, &mut syms);
    let (identities, id_symbol) = identities(plan, cfg, &mut syms);
    let refs = Refs { identity: &id_symbol, custom_role: &custom_symbol, leaf: &leaf_symbol };
    let (assignments, cosmos_assignments, modules) = assignments(plan, scopes, &refs, &mut syms);
    for m in &modules {
        let description = scopes.param(&m.param).map_or("", |p| p.description.as_str());
        params.insert(&m.param, description);
    }
    drop(leaf_symbol);
    // The order a map keyed by (kind, name) gave them.
    leaves.sort_unstable_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    View {
        inputs,
        params: params
            .into_iter()
            .map(|(name, description)| Param {
                name: name.into(),
                description: description.into(),
                value: configured(cfg, scopes, name),
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
        modules,
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
    crate::json::to_pretty_string(&doc)
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
