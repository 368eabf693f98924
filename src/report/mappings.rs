//! `mappings list`: the tables, where each comes from, and per service its targets and candidate roles. A user's
//! `--mappings DIR` is input too: every value is escaped ([`crate::text::escape`]) before it goes into a cell.

use crate::mapping::Tables;
use comfy_table::{Table, presets};

fn e(s: &str) -> String {
    crate::text::escape(s).into_owned()
}

/// Renders the tables as terminal tables.
pub fn render(t: &Tables) -> String {
    let mut out = String::new();
    let mut origins = Table::new();
    origins.load_style(presets::UTF8_FULL_CONDENSED);
    origins.set_header(vec!["Table", "From"]);
    for o in &t.origins {
        origins.add_row(vec![e(&o.table), e(&o.from)]);
    }
    out.push_str(&origins.to_string());
    out.push_str("\n\n");
    let mut services = Table::new();
    services.load_style(presets::UTF8_FULL_CONDENSED);
    services.set_header(vec![
        "IAM prefix",
        "AWS service",
        "Azure targets (default first)",
        "Actions (mapped / all)",
        "Candidate roles",
    ]);
    for (prefix, s) in &t.services {
        let mut targets: Vec<String> =
            vec![e(&format!("{} → {}", s.default_target, s.targets[&s.default_target].azure_service))];
        targets.extend(
            s.targets
                .iter()
                .filter(|(k, _)| **k != s.default_target)
                .map(|(k, v)| e(&format!("{k} → {}", v.azure_service))),
        );
        let actions = t.actions.get(prefix);
        let all = actions.map_or(0, |a| a.len());
        let mapped = actions.map_or(0, |a| a.values().filter(|(_, a)| a.none.is_none()).count());
        let roles: Vec<String> = s
            .targets
            .iter()
            .map(|(k, v)| {
                e(&format!("{k}: {}", if v.roles.is_empty() { "custom only".into() } else { v.roles.join(", ") }))
            })
            .collect();
        services.add_row(vec![
            e(prefix),
            e(&s.name),
            targets.join("\n"),
            format!("{mapped} / {all}"),
            roles.join("\n"),
        ]);
    }
    out.push_str(&services.to_string());
    out.push_str(&format!(
        "\n\n{} service pairs (seed 001), {} Azure roles ({} never chosen), {} Azure data actions\n",
        t.pairs.len(),
        t.roles.len(),
        t.never_choose.len(),
        t.data_actions.len()
    ));
    out
}
