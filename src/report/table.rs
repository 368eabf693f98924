//! `plan --format table`: terminal tables (comfy-table), one per section, then a summary line. Every value from
//! the plan is escaped ([`crate::text::escape`]) before it goes into a cell: comfy-table passes escape sequences
//! through and breaks cells at newlines, so a value could otherwise drive the terminal or begin a line.

use crate::plan::Plan;
use comfy_table::{Table, presets};

/// One value, escaped for a cell.
fn e(s: &str) -> String {
    crate::text::escape(s).into_owned()
}

/// Values escaped one by one, then one per line of the cell.
fn lines<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values.into_iter().map(e).collect::<Vec<_>>().join("\n")
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    t
}

/// Renders the plan as terminal tables: the identity sections (identities, their AWS permissions, their role
/// assignments), then resources, workloads, custom roles and findings — each only when the plan has some — then
/// the summary line.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.identities.is_empty() {
        push_section(&mut out, "Identities\n", &identities(plan));
        push_section(&mut out, "\nAWS permissions\n", &aws_permissions(plan));
        push_section(&mut out, "\nRole assignments\n", &role_assignments(plan));
    }
    if !plan.resources.is_empty() {
        push_section(&mut out, "\nAWS resources\n", &resources(plan));
    }
    if !plan.addons.is_empty() {
        push_section(&mut out, "\nAWS add-ons replaced by AKS features (no Azure identity)\n", &addons(plan));
    }
    if !plan.workloads.is_empty() {
        push_section(&mut out, "\nWorkloads\n", &workloads(plan));
    }
    if !plan.custom_roles.is_empty() {
        push_section(&mut out, "\nCustom roles\n", &custom_roles(plan));
    }
    if !plan.findings.is_empty() {
        push_section(&mut out, "\nFindings\n", &findings(plan));
    }
    let s = &plan.summary;
    out.push_str(&format!(
        "\n{} identities, {} service accounts, {} workloads, {} resources; {} errors, {} warnings, {} notes\n",
        s.identities, s.service_accounts, s.workloads, s.resources, s.errors, s.warnings, s.notes
    ));
    out
}

/// Appends a section: its heading (with the blank line that separates it from the previous one, if any), the
/// table, and a newline.
fn push_section(out: &mut String, heading: &str, t: &Table) {
    out.push_str(heading);
    out.push_str(&t.to_string());
    out.push('\n');
}

/// One row per Azure identity: its AWS role, its ServiceAccounts and the workloads that run as it.
fn identities(plan: &Plan) -> Table {
    let mut t = table(&["Azure identity", "AWS role", "ServiceAccounts", "Workloads"]);
    for id in &plan.identities {
        let sas: Vec<String> = id.service_accounts.iter().map(|s| e(&format!("{}/{}", s.namespace, s.name))).collect();
        let wls: Vec<String> = plan
            .workloads
            .iter()
            .filter(|w| w.identity.as_deref() == Some(id.name.as_str()))
            .map(|w| e(&format!("{} {}/{}", w.kind, w.namespace, w.name)))
            .collect();
        t.add_row(vec![e(&id.name), e(&id.aws_role_arn), sas.join("\n"), wls.join("\n")]);
    }
    t
}

/// One row per AWS add-on: its ServiceAccounts and roles, the AKS feature that replaces it, the command.
fn addons(plan: &Plan) -> Table {
    let mut t = table(&["AWS add-on", "ServiceAccounts and roles", "Replaced by", "Run"]);
    for a in &plan.addons {
        let sas = a.service_accounts.iter().map(|s| format!("{}/{}", s.namespace, s.name));
        let who: Vec<String> = sas.chain(a.aws_role_arns.iter().cloned()).collect();
        t.add_row(vec![e(&a.name), lines(who.iter().map(String::as_str)), e(&a.replaced_by), e(&a.az)]);
    }
    t
}

/// One row per AWS permission statement of each identity: effect, actions and resources (`NOT ` for the negated
/// forms, conditions under the resources) and the policy it comes from.
fn aws_permissions(plan: &Plan) -> Table {
    let mut t = table(&["Azure identity", "Effect", "AWS actions", "AWS resources", "Source"]);
    for id in &plan.identities {
        for p in &id.aws_permissions {
            let not_a = if p.not_action() { "NOT " } else { "" };
            let not_r = if p.not_resource() { "NOT " } else { "" };
            let mut resources = lines(p.resources());
            let conditions: Vec<String> = p.conditions().map(|c| e(&c)).collect();
            if !conditions.is_empty() {
                resources.push_str(&format!("\nif {}", conditions.join("\n   ")));
            }
            t.add_row(vec![
                e(&id.name),
                e(p.effect()),
                format!("{not_a}{}", lines(p.actions())),
                format!("{not_r}{resources}"),
                e(&format!("{} ({}:{})", p.policy, p.file, p.line())),
            ]);
        }
    }
    t
}

/// One row per Azure role assignment of each identity: the AWS actions it covers, the role (custom or built-in),
/// the scope (with a blob path condition, if any) and the data actions it grants beyond the need.
fn role_assignments(plan: &Plan) -> Table {
    let mut t = table(&["Azure identity", "AWS actions", "Azure role", "Scope", "Beyond the need"]);
    for id in &plan.identities {
        for a in &id.role_assignments {
            let custom = if a.custom { " (custom)" } else { "" };
            let cond = if a.condition.is_some() { "\n+ blob path condition" } else { "" };
            t.add_row(vec![
                e(&id.name),
                lines(a.aws_actions.iter().map(|x| &**x)),
                format!("{}{custom}\n{}", e(&a.role_name), e(&a.role_definition_id)),
                format!("{} {}{cond}", e(&a.scope.kind), e(&a.scope.azure_name)),
                if a.excess_data_actions.is_empty() {
                    "-".into()
                } else {
                    a.excess_data_actions.iter().map(|d| e(&short(d))).collect::<Vec<_>>().join("\n")
                },
            ]);
        }
    }
    t
}

/// One row per AWS resource: its service and the Azure service and name it maps to (`-` when none).
fn resources(plan: &Plan) -> Table {
    let mut t = table(&["AWS resource", "Service", "Azure service", "Azure name"]);
    for r in &plan.resources {
        t.add_row(vec![
            e(&r.aws_arn),
            e(&r.aws_service),
            e(r.azure_service.as_deref().unwrap_or("-")),
            e(r.azure_name.as_deref().unwrap_or("-")),
        ]);
    }
    t
}

/// One row per workload: its ServiceAccount, its Azure identity (`-` when none) and where it is declared.
fn workloads(plan: &Plan) -> Table {
    let mut t = table(&["Workload", "ServiceAccount", "Azure identity", "File"]);
    for w in &plan.workloads {
        t.add_row(vec![
            e(&format!("{} {}/{}", w.kind, w.namespace, w.name)),
            e(&w.service_account),
            e(w.identity.as_deref().unwrap_or("-")),
            e(&format!("{}:{}", w.file, w.line)),
        ]);
    }
    t
}

/// One row per custom role: its GUID, its data actions then actions, and the excess it avoids.
fn custom_roles(plan: &Plan) -> Table {
    let mut t = table(&["Custom role", "GUID", "Data actions", "Avoided excess"]);
    for c in &plan.custom_roles {
        t.add_row(vec![
            e(&c.name),
            e(&c.role_definition_id),
            c.data_actions.iter().chain(&c.actions).map(|d| e(&short(d))).collect::<Vec<_>>().join("\n"),
            c.avoided_excess_data_actions.iter().map(|d| e(&short(d))).collect::<Vec<_>>().join("\n"),
        ]);
    }
    t
}

/// One row per finding: severity, code and rule, `file:line` (or the file alone, or `-`) and the message.
fn findings(plan: &Plan) -> Table {
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
            e(&location),
            e(&f.message),
        ]);
    }
    t
}

/// The last three path segments of an Azure action (`queues/messages/read`), for narrow columns.
fn short(action: &str) -> String {
    let parts: Vec<&str> = action.split('/').collect();
    parts[parts.len().saturating_sub(3)..].join("/")
}
