//! `plan --format table`: terminal tables (comfy-table), one per section, then a summary line.

use crate::plan::Plan;
use comfy_table::{Table, presets};

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    t
}

/// Renders the plan as terminal tables.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.identities.is_empty() {
        let mut t = table(&["Azure identity", "AWS role", "ServiceAccounts", "Workloads"]);
        for id in &plan.identities {
            let sas: Vec<String> = id.service_accounts.iter().map(|s| format!("{}/{}", s.namespace, s.name)).collect();
            let wls: Vec<String> = plan
                .workloads
                .iter()
                .filter(|w| w.identity.as_deref() == Some(id.name.as_str()))
                .map(|w| format!("{} {}/{}", w.kind, w.namespace, w.name))
                .collect();
            t.add_row(vec![id.name.clone(), id.aws_role_arn.clone(), sas.join("\n"), wls.join("\n")]);
        }
        out.push_str("Identities\n");
        out.push_str(&t.to_string());
        out.push('\n');

        let mut t = table(&["Azure identity", "Effect", "AWS actions", "AWS resources", "Source"]);
        for id in &plan.identities {
            for p in &id.aws_permissions {
                let not_a = if p.not_action() { "NOT " } else { "" };
                let not_r = if p.not_resource() { "NOT " } else { "" };
                let mut resources = p.resources().collect::<Vec<_>>().join("\n");
                let conditions: Vec<String> = p.conditions().collect();
                if !conditions.is_empty() {
                    resources.push_str(&format!("\nif {}", conditions.join("\n   ")));
                }
                t.add_row(vec![
                    id.name.clone(),
                    p.effect().to_string(),
                    format!("{not_a}{}", p.actions().collect::<Vec<_>>().join("\n")),
                    format!("{not_r}{resources}"),
                    format!("{} ({}:{})", p.policy, p.file, p.line()),
                ]);
            }
        }
        out.push_str("\nAWS permissions\n");
        out.push_str(&t.to_string());
        out.push('\n');

        let mut t = table(&["Azure identity", "AWS actions", "Azure role", "Scope", "Beyond the need"]);
        for id in &plan.identities {
            for a in &id.role_assignments {
                let custom = if a.custom { " (custom)" } else { "" };
                let cond = if a.condition.is_some() { "\n+ blob path condition" } else { "" };
                t.add_row(vec![
                    id.name.clone(),
                    a.aws_actions.join("\n"),
                    format!("{}{custom}\n{}", a.role_name, a.role_definition_id),
                    format!("{} {}{cond}", a.scope.kind, a.scope.azure_name),
                    if a.excess_data_actions.is_empty() {
                        "-".into()
                    } else {
                        a.excess_data_actions.iter().map(|d| short(d)).collect::<Vec<_>>().join("\n")
                    },
                ]);
            }
        }
        out.push_str("\nRole assignments\n");
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !plan.resources.is_empty() {
        let mut t = table(&["AWS resource", "Service", "Azure service", "Azure name"]);
        for r in &plan.resources {
            t.add_row(vec![
                r.aws_arn.to_string(),
                r.aws_service.to_string(),
                r.azure_service.as_deref().unwrap_or("-").to_string(),
                r.azure_name.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        out.push_str("\nAWS resources\n");
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !plan.workloads.is_empty() {
        let mut t = table(&["Workload", "ServiceAccount", "Azure identity", "File"]);
        for w in &plan.workloads {
            t.add_row(vec![
                format!("{} {}/{}", w.kind, w.namespace, w.name),
                w.service_account.to_string(),
                w.identity.clone().unwrap_or_else(|| "-".into()),
                format!("{}:{}", w.file, w.line),
            ]);
        }
        out.push_str("\nWorkloads\n");
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !plan.custom_roles.is_empty() {
        let mut t = table(&["Custom role", "GUID", "Data actions", "Avoided excess"]);
        for c in &plan.custom_roles {
            t.add_row(vec![
                c.name.clone(),
                c.role_definition_id.clone(),
                c.data_actions.iter().chain(&c.actions).map(|d| short(d)).collect::<Vec<_>>().join("\n"),
                c.avoided_excess_data_actions.iter().map(|d| short(d)).collect::<Vec<_>>().join("\n"),
            ]);
        }
        out.push_str("\nCustom roles\n");
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if !plan.findings.is_empty() {
        let mut t = table(&["Severity", "Rule", "Location", "Message"]);
        for f in &plan.findings {
            let location = match (&f.file, f.line()) {
                (Some(file), Some(line)) => format!("{file}:{line}"),
                (Some(file), None) => file.to_string(),
                _ => "-".into(),
            };
            t.add_row(vec![
                f.severity.as_str().to_string(),
                format!("{} {}", f.code, f.rule()),
                location,
                f.message.to_string(),
            ]);
        }
        out.push_str("\nFindings\n");
        out.push_str(&t.to_string());
        out.push('\n');
    }
    let s = &plan.summary;
    out.push_str(&format!(
        "\n{} identities, {} service accounts, {} workloads, {} resources; {} errors, {} warnings, {} notes\n",
        s.identities, s.service_accounts, s.workloads, s.resources, s.errors, s.warnings, s.notes
    ));
    out
}

/// The last three path segments of an Azure action (`queues/messages/read`), for narrow columns.
fn short(action: &str) -> String {
    let parts: Vec<&str> = action.split('/').collect();
    parts[parts.len().saturating_sub(3)..].join("/")
}
