//! `graph --format dot|mermaid`: the joined graph, workload → ServiceAccount → IAM role → trust providers and
//! permission statements → AWS resources, and each role's Azure managed identity. Node ids are generated
//! (`n0`, `n1`, …); labels are escaped for the target language, so input text cannot add graph syntax, and their
//! control characters are made visible text ([`crate::text::escape`]).

use crate::graph::{Edge, Joined, NodeKind};
use crate::model::{Effect, Model};
use crate::plan::Plan;
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

/// A labelled view of the graph, ready to print.
pub struct GraphView {
    nodes: Vec<(String, &'static str, String)>,
    edges: Vec<(usize, usize, &'static str)>,
}

impl GraphView {
    /// Labels every node of the join; adds the Azure identity of each role from the plan.
    pub fn new(model: &Model, joined: &Joined, plan: &Plan) -> GraphView {
        let g = &joined.graph;
        let mut index = std::collections::BTreeMap::new();
        let mut nodes = Vec::new();
        for n in g.node_indices() {
            let (class, label) = match &g[n] {
                NodeKind::Workload(i) => {
                    let w = &model.workloads[*i];
                    ("workload", format!("{} {}/{}", w.kind, w.namespace, w.name))
                }
                NodeKind::ServiceAccount(i) => {
                    let s = &model.service_accounts[*i];
                    ("sa", format!("ServiceAccount {}/{}", s.namespace, s.name))
                }
                NodeKind::Role(i) => ("role", format!("IAM role {}", model.roles[*i].name)),
                NodeKind::Provider(p) => ("provider", format!("OIDC {p}")),
                NodeKind::Statement(r, k) => {
                    let s = &joined.permissions[*r][*k].statement;
                    let eff = if s.effect == Effect::Allow { "Allow" } else { "Deny" };
                    let not = if s.action.not { "NOT " } else { "" };
                    let mut acts: Vec<&str> = s.action.items.iter().map(|(a, _)| &**a).take(4).collect();
                    if s.action.items.len() > 4 {
                        acts.push("…");
                    }
                    ("statement", format!("{eff} {not}{}", acts.join(", ")))
                }
                NodeKind::Resource(a) => ("resource", a.clone()),
            };
            index.insert(n, nodes.len());
            nodes.push((format!("n{}", nodes.len()), class, label));
        }
        let mut edges: Vec<(usize, usize, &'static str)> = g
            .edge_references()
            .map(|e| {
                let label = match e.weight() {
                    Edge::RunsAs => "runs as",
                    Edge::Assumes => "assumes",
                    Edge::Trusts => "trusts",
                    Edge::Grants => "grants",
                    Edge::On => "on",
                };
                (index[&e.source()], index[&e.target()], label)
            })
            .collect();
        let role_by_arn: std::collections::BTreeMap<&str, usize> =
            model.roles.iter().enumerate().map(|(i, r)| (r.arn.as_str(), i)).collect();
        let role_node: std::collections::BTreeMap<usize, petgraph::stable_graph::NodeIndex> =
            g.node_indices().filter_map(|n| if let NodeKind::Role(ri) = g[n] { Some((ri, n)) } else { None }).collect();
        for id in &plan.identities {
            let Some(&ri) = role_by_arn.get(id.aws_role_arn.as_str()) else {
                continue;
            };
            let Some(&rn) = role_node.get(&ri) else {
                continue;
            };
            let k = nodes.len();
            nodes.push((format!("n{k}"), "azure", format!("Azure identity {}", id.name)));
            edges.push((index[&rn], k, "becomes"));
        }
        edges.sort();
        edges.dedup();
        GraphView { nodes, edges }
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        // Control characters become visible escapes first ([`crate::text::escape`]), then DOT's own quoting applies.
        let esc = |s: &str| crate::text::escape(s).replace('\\', "\\\\").replace('"', "\\\"");
        let mut out = String::from("digraph eks2aks {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        for (id, class, label) in &self.nodes {
            let style = match *class {
                "workload" => "style=filled, fillcolor=\"#e8f0fe\"",
                "sa" => "style=filled, fillcolor=\"#fef7e0\"",
                "role" => "style=filled, fillcolor=\"#fce8e6\"",
                "azure" => "style=filled, fillcolor=\"#e6f4ea\"",
                "resource" => "shape=cylinder",
                "provider" => "shape=ellipse",
                _ => "shape=note",
            };
            out.push_str(&format!("  {id} [label=\"{}\", {style}];\n", esc(label)));
        }
        for (a, b, l) in &self.edges {
            out.push_str(&format!("  n{a} -> n{b} [label=\"{l}\"];\n"));
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart (what GitHub renders in a PR).
    pub fn mermaid(&self) -> String {
        let esc = |s: &str| {
            crate::text::escape(s)
                .replace('&', "#amp;")
                .replace('"', "#quot;")
                .replace('<', "#lt;")
                .replace('>', "#gt;")
        };
        let mut out = String::from("flowchart LR\n");
        for (id, class, label) in &self.nodes {
            let (open, close) = match *class {
                "resource" => ("[(", ")]"),
                "provider" => ("([", "])"),
                "statement" => ("[/", "/]"),
                _ => ("[", "]"),
            };
            out.push_str(&format!("  {id}{open}\"{}\"{close}\n", esc(label)));
        }
        for (a, b, l) in &self.edges {
            out.push_str(&format!("  n{a} -->|{l}| n{b}\n"));
        }
        for (class, style) in
            [("workload", "fill:#e8f0fe"), ("sa", "fill:#fef7e0"), ("role", "fill:#fce8e6"), ("azure", "fill:#e6f4ea")]
        {
            let members: Vec<&str> = self.nodes.iter().filter(|n| n.1 == class).map(|n| n.0.as_str()).collect();
            if !members.is_empty() {
                out.push_str(&format!("  classDef {class} {style}\n  class {} {class}\n", members.join(",")));
            }
        }
        out
    }
}
