//! Stage 4: the plan — every decision and every gap (finding), fully resolved and sorted. It is the only input
//! of `report/` (and later `render/`), which never see the graph or the raw input. Serialises as `plan.json`
//! (schema `eks2aks/plan/v1`, see the CLI contract).

use crate::diag::{Files, Finding, Severity};
use crate::graph::Joined;
use crate::model::{Arn, Model};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The schema id written into `plan.json`.
pub const SCHEMA: &str = "eks2aks/plan/v1";

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// One Azure managed identity per IAM role used by a ServiceAccount.
    pub identities: Vec<Identity>,
    /// Every AWS resource the input names.
    pub resources: Vec<Resource>,
    /// Everything that runs pods.
    pub workloads: Vec<WorkloadEntry>,
    /// Findings, sorted by file, line, code.
    pub findings: Vec<FindingEntry>,
    /// Counts for the summary line.
    pub summary: Summary,
}

/// An Azure user-assigned managed identity, from one IAM role.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// Azure managed identity name.
    pub name: String,
    /// The IAM role it replaces.
    pub aws_role_arn: String,
    /// ServiceAccounts that assume the role and that its trust admits.
    pub service_accounts: Vec<SaRef>,
    /// One federated credential per admitted ServiceAccount.
    pub federated_credentials: Vec<FederatedCredential>,
    /// Role assignments (filled by the mapping stage).
    pub role_assignments: Vec<RoleAssignment>,
    /// The AWS permission statements in force for the role.
    pub aws_permissions: Vec<AwsPermission>,
    /// EKS OIDC providers (clusters) the role trusts.
    pub aws_oidc_providers: Vec<String>,
}

/// A ServiceAccount reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SaRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// A federated identity credential.
#[derive(Debug, Clone, Serialize)]
pub struct FederatedCredential {
    /// Credential name.
    pub name: String,
    /// Issuer: the AKS OIDC issuer URL, or `param:aksOidcIssuerUrl` when it is a deployment parameter.
    pub issuer: String,
    /// `system:serviceaccount:<ns>:<sa>`.
    pub subject: String,
    /// Always `api://AzureADTokenExchange`.
    pub audience: String,
}

/// A role assignment (see the mapping stage).
#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    /// Role name.
    pub role_name: String,
    /// Role definition GUID.
    pub role_definition_id: String,
    /// True for a custom role.
    pub custom: bool,
    /// Where it is assigned.
    pub scope: Scope,
    /// AWS actions it replaces.
    pub aws_actions: Vec<String>,
    /// Data actions the role grants beyond the need.
    pub excess_data_actions: Vec<String>,
}

/// The scope of an assignment.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// queue, table, container, storage_account, key_vault, …
    pub kind: String,
    /// Azure name.
    pub azure_name: String,
    /// The AWS resource it corresponds to.
    pub aws_arn: String,
}

/// One AWS permission statement.
#[derive(Debug, Clone, Serialize)]
pub struct AwsPermission {
    /// Policy it comes from.
    pub policy: String,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// Actions (or, with `not_action`, the actions excluded).
    pub actions: Vec<String>,
    /// True for `NotAction`.
    pub not_action: bool,
    /// Resources (or, with `not_resource`, the resources excluded).
    pub resources: Vec<String>,
    /// True for `NotResource`.
    pub not_resource: bool,
    /// Conditions as `Operator key values`.
    pub conditions: Vec<String>,
    /// Input file.
    pub file: String,
    /// Line of the statement.
    pub line: u32,
}

/// An AWS resource.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// ARN.
    pub aws_arn: String,
    /// IAM service prefix.
    pub aws_service: String,
    /// Azure service that receives it (mapping stage).
    pub azure_service: Option<String>,
    /// Azure resource type (mapping stage).
    pub azure_type: Option<String>,
    /// Azure resource name (mapping stage).
    pub azure_name: Option<String>,
}

/// A workload.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadEntry {
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// ServiceAccount.
    pub service_account: String,
    /// Managed identity name, when the ServiceAccount maps to one.
    pub identity: Option<String>,
    /// Input file.
    pub file: String,
    /// Line.
    pub line: u32,
}

/// A finding as written in `plan.json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingEntry {
    /// Input path.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// Rule code.
    pub code: String,
    /// Rule name.
    pub rule: String,
    /// error, warning or note.
    pub severity: Severity,
    /// Message.
    pub message: String,
    /// Help, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Identities.
    pub identities: usize,
    /// ServiceAccounts.
    pub service_accounts: usize,
    /// Workloads.
    pub workloads: usize,
    /// Resources.
    pub resources: usize,
    /// Findings by severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Notes.
    pub notes: usize,
}

/// Plan options.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// AKS OIDC issuer URL, when known.
    pub aks_oidc_issuer: Option<String>,
}

/// Turns anything into an Azure resource name: ASCII letters, digits, `-` and `_`; starts and ends with a letter
/// or digit; at most `max` characters. Input text can never reach Bicep or a path unfiltered.
pub fn azure_name(raw: &str, max: usize) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(max)
        .collect();
    let trimmed = trimmed
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if trimmed.len() < 3 {
        format!("id-{trimmed}x").chars().take(max).collect()
    } else {
        trimmed
    }
}

/// Builds the plan from the model, the join and the findings.
pub fn build(
    model: &Model,
    joined: &Joined,
    files: &Files,
    findings: &[Finding],
    opts: &PlanOptions,
) -> Plan {
    let issuer = opts
        .aks_oidc_issuer
        .clone()
        .unwrap_or_else(|| "param:aksOidcIssuerUrl".into());
    // Identity names: the role name, made Azure-safe; made unique with the account when two roles collide.
    let used: Vec<usize> = (0..model.roles.len())
        .filter(|&ri| !joined.role_sas[ri].is_empty())
        .collect();
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &ri in &used {
        by_name
            .entry(azure_name(&model.roles[ri].name, 128))
            .or_default()
            .push(ri);
    }
    let mut role_identity: BTreeMap<usize, String> = BTreeMap::new();
    for (name, ris) in by_name {
        if let [ri] = ris[..] {
            role_identity.insert(ri, name);
        } else {
            for ri in ris {
                let r = &model.roles[ri];
                role_identity.insert(ri, azure_name(&format!("{}-{}", r.name, r.account), 128));
            }
        }
    }
    let mut identities = Vec::new();
    for (&ri, name) in &role_identity {
        let role = &model.roles[ri];
        let mut sas: BTreeSet<SaRef> = BTreeSet::new();
        for &si in &joined.role_sas[ri] {
            let admitted = joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted());
            if admitted {
                let s = &model.service_accounts[si];
                sas.insert(SaRef {
                    namespace: s.namespace.clone(),
                    name: s.name.clone(),
                });
            }
        }
        let federated_credentials = sas
            .iter()
            .map(|s| FederatedCredential {
                name: azure_name(&format!("{}-{}", s.namespace, s.name), 120),
                issuer: issuer.clone(),
                subject: format!("system:serviceaccount:{}:{}", s.namespace, s.name),
                audience: "api://AzureADTokenExchange".into(),
            })
            .collect();
        let aws_permissions = joined.permissions[ri]
            .iter()
            .map(|p| {
                let s = &p.statement;
                AwsPermission {
                    policy: p.policy.clone(),
                    effect: match s.effect {
                        crate::model::Effect::Allow => "Allow",
                        crate::model::Effect::Deny => "Deny",
                    },
                    actions: s.action.items.iter().map(|(a, _)| a.clone()).collect(),
                    not_action: s.action.not,
                    resources: s
                        .resource
                        .iter()
                        .flat_map(|r| r.items.iter().map(|(a, _)| a.clone()))
                        .collect(),
                    not_resource: s.resource.as_ref().is_some_and(|r| r.not),
                    conditions: s
                        .conditions
                        .iter()
                        .map(|c| format!("{} {} {}", c.op.raw, c.key, c.values.join("|")))
                        .collect(),
                    file: files.display(s.loc.file).to_string(),
                    line: s.loc.pos.line,
                }
            })
            .collect();
        let providers: BTreeSet<String> = joined.role_sas[ri]
            .iter()
            .filter_map(|&si| joined.sa_trust[si].as_ref())
            .flat_map(|v| v.providers.iter().cloned())
            .collect();
        identities.push(Identity {
            name: name.clone(),
            aws_role_arn: role.arn.clone(),
            service_accounts: sas.into_iter().collect(),
            federated_credentials,
            role_assignments: Vec::new(),
            aws_permissions,
            aws_oidc_providers: providers.into_iter().collect(),
        });
    }
    identities.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.aws_role_arn.cmp(&b.aws_role_arn))
    });

    let resources: Vec<Resource> = joined
        .resources
        .iter()
        .filter_map(|a| {
            let arn = Arn::parse(a)?;
            (!arn.resource.is_empty() && arn.resource != "*").then(|| Resource {
                aws_arn: a.clone(),
                aws_service: arn.service.clone(),
                azure_service: None,
                azure_type: None,
                azure_name: None,
            })
        })
        .collect();

    let mut workloads: Vec<WorkloadEntry> = model
        .workloads
        .iter()
        .enumerate()
        .map(|(wi, w)| {
            let si = joined.workload_sa[wi];
            let identity = joined.sa_role[si]
                .filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
                .and_then(|ri| role_identity.get(&ri).cloned());
            WorkloadEntry {
                kind: w.kind.clone(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                service_account: w.service_account.clone(),
                identity,
                file: files.display(w.template_loc.file).to_string(),
                line: model.objects[w.object].loc.pos.line,
            }
        })
        .collect();
    workloads.sort_by(|a, b| {
        (&a.name, &a.namespace, &a.kind, &a.file).cmp(&(&b.name, &b.namespace, &b.kind, &b.file))
    });

    let mut entries: Vec<FindingEntry> = findings.iter().map(|f| finding_entry(files, f)).collect();
    entries.sort();
    entries.dedup();
    let summary = Summary {
        identities: identities.len(),
        service_accounts: model.service_accounts.len(),
        workloads: workloads.len(),
        resources: resources.len(),
        errors: entries
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        warnings: entries
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
        notes: entries
            .iter()
            .filter(|f| f.severity == Severity::Note)
            .count(),
    };
    Plan {
        schema: SCHEMA,
        identities,
        resources,
        workloads,
        findings: entries,
        summary,
    }
}

/// A finding as written in reports.
pub fn finding_entry(files: &Files, f: &Finding) -> FindingEntry {
    FindingEntry {
        file: f.loc.map(|l| files.display(l.file).to_string()),
        line: f.loc.map(|l| l.pos.line).filter(|&l| l > 0),
        column: f.loc.map(|l| l.pos.col).filter(|&c| c > 0),
        code: f.code.to_string(),
        rule: crate::rules::by_code(f.code)
            .map_or("", |r| r.name)
            .to_string(),
        severity: f.severity,
        message: f.message.clone(),
        help: f.help.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::azure_name;

    #[test]
    fn azure_names_are_safe() {
        assert_eq!(azure_name("edw-processor", 128), "edw-processor");
        assert_eq!(azure_name("a/b'c}\n", 128), "a-b-c");
        assert_eq!(azure_name("../../etc/passwd", 128), "etc-passwd");
        assert_eq!(azure_name("x", 128), "id-xx");
        assert!(azure_name(&"a".repeat(300), 128).len() == 128);
    }
}
