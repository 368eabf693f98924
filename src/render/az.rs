//! `role-assignments.json` and `role-assignments.sh`: the same identities, credentials and assignments as the
//! Bicep, for teams whose RBAC is run by a platform team with the `az` CLI.

use crate::config::Config;
use crate::mapping::load::{PathSeg, Scopes};
use crate::plan::Plan;
use crate::templates::sh_quote;
use serde::Serialize;

/// The scope kinds of the plan's assignments (`mappings/scopes.yaml`).
fn scope_path<'s>(scopes: &'s Scopes, a: &crate::plan::RoleAssignment) -> Vec<PathSeg<'s>> {
    scopes.az_path(&a.scope.kind)
}

/// One entry of `role-assignments.json`.
#[derive(Debug, Serialize)]
struct JsonEntry<'a> {
    identity: &'a str,
    aws_role_arn: &'a str,
    role_name: &'a str,
    role_definition_id: &'a str,
    custom: bool,
    kind: &'a str,
    scope: JsonScope<'a>,
    aws_actions: &'a [std::sync::Arc<str>],
    excess_data_actions: &'a [String],
    condition: Option<&'a crate::mapping::need::BlobPathCondition>,
}

#[derive(Debug, Serialize)]
struct JsonScope<'a> {
    kind: &'a str,
    azure_name: &'a str,
    aws_arn: &'a str,
    resource_id: String,
}

/// `role-assignments.json`, streamed to `out`: each entry is built as it is written (the list runs to tens of
/// megabytes). Resource ids follow the `az_path` of the scope kinds the plan was made with.
pub fn write_json(plan: &Plan, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let scopes: &Scopes = &plan.scopes;
    let entries =
        || plan.identities.iter().flat_map(|id| id.role_assignments.iter().map(move |a| entry(scopes, id, a)));
    crate::json::write_pretty(&crate::json::SeqOf(entries), out)
}

fn entry<'a>(scopes: &Scopes, id: &'a crate::plan::Identity, a: &'a crate::plan::RoleAssignment) -> JsonEntry<'a> {
    let path: String = scope_path(scopes, a)
        .iter()
        .map(|s| match s {
            PathSeg::Lit(t) => t.to_string(),
            PathSeg::Name => a.scope.azure_name.to_string(),
            PathSeg::Param(p) => format!("{{{p}}}"),
        })
        .collect();
    // A resource group of its own (the AKS node resource group) is named by its parameter, not below the
    // deployment's resource group.
    let group =
        scopes.own_group(&a.scope.kind).map_or("{resourceGroup}".to_string(), |(p, _)| format!("{{{}}}", p.name));
    JsonEntry {
        identity: &id.name,
        aws_role_arn: &id.aws_role_arn,
        role_name: &a.role_name,
        role_definition_id: &a.role_definition_id,
        custom: a.custom,
        kind: &a.kind,
        scope: JsonScope {
            kind: &a.scope.kind,
            azure_name: &a.scope.azure_name,
            aws_arn: &a.scope.aws_arn,
            resource_id: format!("/subscriptions/{{subscriptionId}}/resourceGroups/{group}{path}"),
        },
        aws_actions: &a.aws_actions,
        excess_data_actions: &a.excess_data_actions,
        condition: a.condition.as_ref(),
    }
}

/// A view for `az/role-assignments.sh.j2`: every word already shell-quoted.
#[derive(Debug, Serialize)]
pub struct ShView {
    /// (VARIABLE, default value or empty, description) of the names the script needs.
    pub vars: Vec<(String, String, String)>,
    /// Custom role definitions as JSON documents.
    pub custom_roles: Vec<String>,
    /// Identities with credentials and assignments.
    pub identities: Vec<ShIdentity>,
    /// The AKS OIDC issuer from the config, when set.
    pub aks_issuer: Option<String>,
}

/// One identity in the script: its name, credentials and assignments are read from the plan when the template
/// reaches it (10,000 identities' copies were 10 MB at translate's peak).
pub struct ShIdentity {
    /// The plan's identity: an index into `plan`.
    at: usize,
    plan: std::sync::Arc<Plan>,
    /// The AKS OIDC issuer from the config, when set: credentials with this issuer use `$AKS_OIDC_ISSUER`.
    aks_issuer: Option<std::sync::Arc<str>>,
}

impl ShIdentity {
    fn of_plan(&self) -> &crate::plan::Identity {
        &self.plan.identities[self.at]
    }

    /// (credential name, subject, literal issuer or empty for the AKS issuer).
    pub fn credentials(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.of_plan().federated_credentials.iter().map(|f| {
            let aks = f.issuer.starts_with("param:") || self.aks_issuer.as_deref() == Some(&*f.issuer);
            (f.name.as_str(), f.subject.as_str(), if aks { "" } else { &*f.issuer })
        })
    }

    /// Assignments, each read from the plan in turn.
    pub fn assignments(&self) -> impl Iterator<Item = ShAssignment> + '_ {
        (0..self.of_plan().role_assignments.len()).map(|k| ShAssignment { at: (self.at, k), plan: self.plan.clone() })
    }
}

impl std::fmt::Debug for ShIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShIdentity").field("at", &self.at).finish_non_exhaustive()
    }
}

impl Serialize for ShIdentity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ShIdentity", 3)?;
        st.serialize_field("name", &self.of_plan().name)?;
        st.serialize_field("credentials", &crate::json::SeqOf(|| self.credentials()))?;
        st.serialize_field("assignments", &crate::json::SeqOf(|| self.assignments()))?;
        st.end()
    }
}

/// One assignment in the script. The template reads `role`, `scope`, `condition`, `kind`, `container` and
/// `comment`, all taken from the plan's assignment when the template reaches this one (on 30,000 assignments,
/// copies of the conditions and comments were 20 MB at translate's peak).
pub struct ShAssignment {
    /// The plan's assignment: (identity, assignment) indexes into `plan`.
    at: (usize, usize),
    plan: std::sync::Arc<Plan>,
}

impl ShAssignment {
    fn of_plan(&self) -> (&crate::plan::Identity, &crate::plan::RoleAssignment) {
        let id = &self.plan.identities[self.at.0];
        (id, &id.role_assignments[self.at.1])
    }

    /// What it replaces.
    pub fn comment(&self) -> String {
        let a = self.of_plan().1;
        format!("{} on {} {} ({})", a.role_name, a.scope.kind, a.scope.azure_name, a.aws_actions.join(", "))
    }

    /// The scope as one shell word (variables and quoted literals).
    pub fn scope(&self) -> String {
        let a = self.of_plan().1;
        // The scope kinds the plan was made with.
        let scopes: &Scopes = &self.plan.scopes;
        let mut word = match scopes.own_group(&a.scope.kind) {
            Some((p, _)) => format!("\"/subscriptions/${{SUBSCRIPTION_ID}}/resourceGroups/${{{}}}\"", p.shell_var),
            None => String::from("\"$RG_ID\""),
        };
        for s in &scope_path(scopes, a) {
            match s {
                PathSeg::Lit(t) => word.push_str(&sh_quote(t)),
                PathSeg::Name => word.push_str(&sh_quote(&a.scope.azure_name)),
                PathSeg::Param(p) => {
                    let var = scopes.param(p).map_or("UNKNOWN", |p| p.shell_var.as_str());
                    word.push_str(&format!("\"${var}\""))
                }
            }
        }
        word
    }
}

impl std::fmt::Debug for ShAssignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShAssignment").field("at", &self.at).finish_non_exhaustive()
    }
}

impl Serialize for ShAssignment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let a = self.of_plan().1;
        let mut st = s.serialize_struct("ShAssignment", 6)?;
        st.serialize_field("role", &*a.role_definition_id)?;
        st.serialize_field("scope", &self.scope())?;
        st.serialize_field("condition", &a.condition)?;
        st.serialize_field("kind", &*a.kind)?;
        st.serialize_field("container", &a.scope.azure_name)?;
        st.serialize_field("comment", &self.comment())?;
        st.end()
    }
}

/// Builds the script's view: the variables its assignments' scopes need (the parameters of the plan's scope kinds,
/// each with its shell variable and the config's value), the custom roles and the identities.
pub fn sh_view(plan: &std::sync::Arc<Plan>, cfg: &Config) -> ShView {
    let aks_issuer: Option<std::sync::Arc<str>> = cfg.azure.aks_oidc_issuer.as_deref().map(Into::into);
    let scopes: &Scopes = &plan.scopes;
    let identities = (0..plan.identities.len())
        .map(|at| ShIdentity { at, plan: plan.clone(), aks_issuer: aks_issuer.clone() })
        .collect();
    let custom_roles = plan.custom_roles.iter().map(custom_role_json).collect();
    ShView { vars: vars(plan, cfg, scopes), custom_roles, identities, aks_issuer: cfg.azure.aks_oidc_issuer.clone() }
}

/// (VARIABLE, configured value or empty, parameter) of every parameter the assignments' scopes name, by parameter
/// name. A Cosmos DB data-plane assignment also needs every parameter of its account (the database).
fn vars(plan: &Plan, cfg: &Config, scopes: &Scopes) -> Vec<(String, String, String)> {
    let mut needed: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for a in plan.identities.iter().flat_map(|id| id.role_assignments.iter()) {
        if let Some((p, _)) = scopes.own_group(&a.scope.kind) {
            needed.insert(&p.name);
        }
        for s in &scope_path(scopes, a) {
            if let PathSeg::Param(p) = s {
                needed.insert(p);
            }
        }
        if &*a.kind == "cosmos-sql" {
            needed.extend(scopes.named_parent(&a.scope.kind).into_iter().flat_map(|k| &k.params).map(|p| &*p.name));
        }
    }
    needed
        .into_iter()
        .filter_map(|p| {
            let var = &scopes.param(p)?.shell_var;
            let value = super::bicep::configured(cfg, scopes, p);
            Some((var.clone(), value.unwrap_or_default(), p.to_string()))
        })
        .collect()
}

/// A custom role definition as the JSON document `az role definition create` reads.
fn custom_role_json(c: &crate::plan::CustomRole) -> String {
    serde_json::json!({
        "Name": c.name,
        "Id": c.role_definition_id,
        "IsCustom": true,
        "Description": format!("Generated by eks2aks: {}", c.data_actions.join(", ")),
        "Actions": c.actions,
        "NotActions": [],
        "DataActions": c.data_actions,
        "NotDataActions": [],
        "AssignableScopes": ["/subscriptions/SUBSCRIPTION_ID/resourceGroups/RESOURCE_GROUP"],
    })
    .to_string()
}
