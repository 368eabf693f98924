//! Joins the model into a graph and reports trust mismatches, missing roles, missing ServiceAccounts, workloads
//! that reach AWS without a role of their own, and static keys. Lookups go through indexes built once (by ARN,
//! by account and name, by namespace and name), so the join is linear in the size of the input.

use super::eval;
use super::trust::{self, TrustVerdict};
use crate::diag::files::common_prefix_len;
use crate::diag::{Files, Loc, Sink};
use crate::model::*;
use crate::rules;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use std::collections::{BTreeMap, BTreeSet};

/// A node of the joined graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// `model.workloads[i]`.
    Workload(usize),
    /// `model.service_accounts[i]`.
    ServiceAccount(usize),
    /// `model.roles[i]`.
    Role(usize),
    /// An OIDC provider (EKS cluster) a role trusts.
    Provider(String),
    /// A permission statement: (role, index into `Joined::permissions[role]`).
    Statement(usize, usize),
    /// An AWS resource, by ARN.
    Resource(String),
}

/// An edge of the joined graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Workload runs as ServiceAccount.
    RunsAs,
    /// ServiceAccount assumes role.
    Assumes,
    /// Role trusts provider.
    Trusts,
    /// Role is granted statement.
    Grants,
    /// Statement names resource.
    On,
}

/// A permission statement in force for a role, with where it comes from.
#[derive(Debug, Clone)]
pub struct Permission {
    /// Policy name (inline name, or managed policy name): one copy per policy, shared by its statements and by
    /// every role a managed policy is attached to.
    pub policy: std::sync::Arc<str>,
    /// The statement (shared with the model).
    pub statement: std::sync::Arc<Statement>,
}

/// A role a workload's container names in `AWS_ROLE_ARN`, other than its ServiceAccount's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRole {
    /// The workload (index into `model.workloads`).
    pub workload: usize,
    /// Its ServiceAccount (index into `model.service_accounts`).
    pub service_account: usize,
    /// The role (index into `model.roles`).
    pub role: usize,
    /// The role's trust matched against the ServiceAccount (the SDK presents the ServiceAccount's token); None
    /// when the role was exported without its trust.
    pub verdict: Option<TrustVerdict>,
}

impl Joined {
    /// The role a workload runs as on AWS and its trust verdict: the role its containers name in `AWS_ROLE_ARN`
    /// when that differs from the ServiceAccount's (the SDK uses the variable), else the ServiceAccount's.
    pub fn workload_role(&self, wi: usize) -> Option<(usize, Option<&TrustVerdict>)> {
        if let Some(e) = self.env_roles.iter().find(|e| e.workload == wi) {
            return Some((e.role, e.verdict.as_ref()));
        }
        let si = self.workload_sa[wi];
        self.sa_role[si].map(|ri| (ri, self.sa_trust[si].as_ref()))
    }
}

/// The join's result: the graph plus the indexes later stages read.
#[derive(Debug, Default)]
pub struct Joined {
    /// The graph.
    pub graph: StableDiGraph<NodeKind, Edge>,
    /// For each workload, its ServiceAccount (index).
    pub workload_sa: Vec<usize>,
    /// For each ServiceAccount, its role (index) and how the link is made.
    pub sa_role: Vec<Option<usize>>,
    /// For each ServiceAccount with a role, the trust verdict (None for Pod Identity).
    pub sa_trust: Vec<Option<TrustVerdict>>,
    /// For each role, the permission statements in force.
    pub permissions: Vec<Vec<Permission>>,
    /// For each role, the ServiceAccounts that assume it (admitted or not).
    pub role_sas: Vec<Vec<usize>>,
    /// Roles that workloads select with an explicit `AWS_ROLE_ARN` naming another role than their ServiceAccount's
    /// (E2A052), by workload then role. The AWS SDK assumes that role with the ServiceAccount's token, so the plan
    /// gives it an identity too, federated with the ServiceAccount when the role's trust admits it.
    pub env_roles: Vec<EnvRole>,
    /// Every AWS resource named by a statement, an env var, a ConfigMap or a KEDA trigger, with where it was first
    /// seen.
    pub resources: BTreeMap<std::sync::Arc<str>, Loc>,
    /// Resource nodes by ARN.
    resource_nodes: BTreeMap<String, NodeIndex>,
    /// Whether `graph` is built: only `eks2aks graph` draws it; plan, check and translate read the indexes.
    /// Skipping it saves a node per statement and resource and an edge per link (about 30 MB at 10,000 apps).
    keep_graph: bool,
}

impl Joined {
    /// Frees what only planning reads — each role's statements in force and the index of named resources — unless
    /// the graph is kept for `eks2aks graph`, which draws them. The plan calls it as soon as it has read them: the
    /// end of planning is the run's peak of memory, and they are a tenth of it at 10,000 apps.
    pub fn release_plan_inputs(&mut self) {
        if !self.keep_graph {
            self.permissions = Vec::new();
            self.resources = BTreeMap::new();
            self.resource_nodes = BTreeMap::new();
        }
    }

    fn add_node(&mut self, kind: NodeKind) -> NodeIndex {
        if self.keep_graph { self.graph.add_node(kind) } else { NodeIndex::end() }
    }

    fn add_edge(&mut self, from: NodeIndex, to: NodeIndex, edge: Edge) {
        if self.keep_graph {
            self.graph.add_edge(from, to, edge);
        }
    }
}

/// Builds the join with its graph. Findings go to `sink`. Takes `&mut Model` for its callers' sake only: the
/// model is read, never changed (see [`join`]).
pub fn build(model: &mut Model, files: &Files, sink: &mut Sink) -> Joined {
    join(model, files, sink, true)
}

/// Builds the join; `keep_graph: false` leaves [`Joined::graph`] empty (the indexes and findings are the same).
/// Takes `&mut Model` for its callers' sake only: the model is read, never changed (see [`join`]).
pub fn build_with(model: &mut Model, files: &Files, sink: &mut Sink, keep_graph: bool) -> Joined {
    join(model, files, sink, keep_graph)
}

/// Joins the model; `keep_graph: false` leaves [`Joined::graph`] empty (the indexes and findings are the same).
/// The ServiceAccounts eksctl creates are already in the model (ingest adds them), so the join only reads it.
///
/// In order (the order of the graph's nodes and of the findings): each workload to its ServiceAccount, each
/// ServiceAccount to its role (with its trust verdict), the trust-side findings of each role, the permissions in
/// force per role, the policy documents attached to no role, what each workload reaches on AWS and with which
/// role, KEDA's assume roles, and the resources KEDA triggers name.
pub fn join(model: &Model, files: &Files, sink: &mut Sink, keep_graph: bool) -> Joined {
    let mut join = Join::new(model, files, keep_graph);
    join.workloads_to_service_accounts();
    join.service_accounts_to_roles(sink);
    for (ri, role) in model.roles.iter().enumerate() {
        if let Some(trust_doc) = &role.trust {
            join.trust_findings(ri, role, trust_doc, sink);
        }
    }
    join.permissions_in_force(sink);
    report_loose_documents(model, sink);
    join.workloads_on_aws(sink);
    join.keda_roles(sink);
    join.keda_trigger_resources();
    // The secrets External Secrets stores and CSI secret classes read join the resources named.
    for (_, _, arn, loc, _) in super::named_secrets(model, files) {
        join.j.resources.entry(arn.into()).or_insert(loc);
    }
    join.j
}

/// The model's roles, indexed once: by ARN, by account and name, and by name.
struct RoleIndex<'m> {
    roles: &'m [Role],
    by_arn: BTreeMap<&'m str, usize>,
    by_acct_name: BTreeMap<(&'m str, &'m str), usize>,
    by_name: BTreeMap<&'m str, Vec<usize>>,
}

impl<'m> RoleIndex<'m> {
    fn new(roles: &'m [Role]) -> Self {
        let mut index =
            RoleIndex { roles, by_arn: BTreeMap::new(), by_acct_name: BTreeMap::new(), by_name: BTreeMap::new() };
        for (i, r) in roles.iter().enumerate() {
            index.by_arn.entry(&r.arn).or_insert(i);
            index.by_acct_name.entry((&r.account, &r.name)).or_insert(i);
            index.by_name.entry(&r.name).or_default().push(i);
        }
        index
    }

    /// The role an ARN names: the one with that ARN; else the one of that account and name; else the only role
    /// of that name when either side has no account (a role eksctl will create has none yet).
    fn find(&self, arn: &str) -> Option<usize> {
        if let Some(&i) = self.by_arn.get(arn) {
            return Some(i);
        }
        let parsed = Arn::parse(arn)?;
        let (_, name) = parsed.role_path_and_name()?;
        if let Some(&i) = self.by_acct_name.get(&(parsed.account.as_str(), name.as_str())) {
            return Some(i);
        }
        match self.by_name.get(name.as_str()).map(Vec::as_slice) {
            // A role eksctl will create has no account yet: join by name.
            Some([i]) if self.roles[*i].account.is_empty() || parsed.account.is_empty() => Some(*i),
            _ => None,
        }
    }
}

/// The join in progress: the model with its indexes, the graph nodes of its ServiceAccounts, roles and workloads,
/// and the result being filled in.
struct Join<'m> {
    model: &'m Model,
    files: &'m Files,
    roles: RoleIndex<'m>,
    /// ServiceAccounts by namespace and name (several when several cluster directories declare one).
    sa_index: BTreeMap<(&'m str, &'m str), Vec<usize>>,
    sa_nodes: Vec<NodeIndex>,
    role_nodes: Vec<NodeIndex>,
    wl_nodes: Vec<NodeIndex>,
    /// For each ServiceAccount, the role ARN it names (annotation, or association), in the input or not.
    sa_arn: Vec<Option<String>>,
    /// For each ServiceAccount, the association in force ([`super::associations::bind`]).
    assoc: Vec<Option<usize>>,
    j: Joined,
}

impl<'m> Join<'m> {
    /// Indexes the model and adds the nodes of its ServiceAccounts, roles and workloads, in model order (which is
    /// sorted file order): deterministic output.
    fn new(model: &'m Model, files: &'m Files, keep_graph: bool) -> Self {
        let mut j = Joined { keep_graph, ..Joined::default() };
        let mut sa_index: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (i, s) in model.service_accounts.iter().enumerate() {
            sa_index.entry((&s.namespace, &s.name)).or_default().push(i);
        }
        let roles = RoleIndex::new(&model.roles);
        let sa_nodes = (0..model.service_accounts.len()).map(|i| j.add_node(NodeKind::ServiceAccount(i))).collect();
        let role_nodes = (0..model.roles.len()).map(|i| j.add_node(NodeKind::Role(i))).collect();
        let wl_nodes = (0..model.workloads.len()).map(|i| j.add_node(NodeKind::Workload(i))).collect();
        Join { model, files, roles, sa_index, sa_nodes, role_nodes, wl_nodes, sa_arn: Vec::new(), assoc: Vec::new(), j }
    }

    /// Workload → ServiceAccount: same namespace and name; among several (one per cluster directory), the one
    /// whose file shares the longest directory prefix with the workload's, then a declared one over an implied
    /// one, then the first.
    fn workloads_to_service_accounts(&mut self) {
        let (model, files) = (self.model, self.files);
        for (wi, w) in model.workloads.iter().enumerate() {
            let cands = self.sa_index.get(&(&*w.namespace, &*w.service_account)).cloned().unwrap_or_default();
            let wfile = files.display(w.template_loc.file);
            let best = cands
                .iter()
                .copied()
                .max_by_key(|&i| {
                    let s = &model.service_accounts[i];
                    (
                        common_prefix_len(files.display(s.loc.file), wfile),
                        s.origin != SaOrigin::Implied,
                        std::cmp::Reverse(i),
                    )
                })
                .expect("every workload's ServiceAccount exists (declared or implied)");
            self.j.workload_sa.push(best);
            self.j.add_edge(self.wl_nodes[wi], self.sa_nodes[best], Edge::RunsAs);
        }
    }

    /// ServiceAccount → role, by the role its annotation names or else its association (eksctl IRSA or Pod
    /// Identity). A role not in the IAM input is reported; a role found is matched against its trust: Pod Identity
    /// must be admitted as such, and IRSA gives a verdict, kept in [`Joined::sa_trust`] (reported when it does not
    /// admit the ServiceAccount).
    fn service_accounts_to_roles(&mut self, sink: &mut Sink) {
        let model = self.model;
        let n_sas = model.service_accounts.len();
        self.j.sa_role = vec![None; n_sas];
        self.j.sa_trust = vec![None; n_sas];
        self.j.role_sas = vec![Vec::new(); model.roles.len()];
        self.assoc = super::associations::bind(model, self.files, &self.sa_index, sink);
        self.sa_arn = vec![None; n_sas];
        for (si, sa) in model.service_accounts.iter().enumerate() {
            let (arn, loc, pod_identity) = if let Some((arn, loc)) = &sa.role_arn {
                (arn.clone(), *loc, false)
            } else if let Some(a) = self.assoc[si].map(|i| &model.associations[i]) {
                (a.role_arn.clone(), a.loc, a.kind == AssociationKind::PodIdentity)
            } else {
                continue;
            };
            self.sa_arn[si] = Some(arn.clone());
            let Some(ri) = self.roles.find(&arn) else {
                let name = Arn::parse(&arn).and_then(|a| a.role_path_and_name()).map(|(_, n)| n).unwrap_or_default();
                sink.push(
                    rules::ROLE_MISSING,
                    format!("ServiceAccount {}/{} uses role `{arn}`, which is not in the IAM input", sa.namespace, sa.name),
                    Some(loc),
                )
                .with_help(format!("export it: aws iam get-role --role-name {name} (or aws iam get-account-authorization-details for all roles)"));
                continue;
            };
            self.j.sa_role[si] = Some(ri);
            self.j.role_sas[ri].push(si);
            self.j.add_edge(self.sa_nodes[si], self.role_nodes[ri], Edge::Assumes);
            let role = &model.roles[ri];
            let Some(trust_doc) = &role.trust else {
                continue;
            };
            if pod_identity {
                let a = &model.associations[self.assoc[si].expect("a Pod Identity link is an association")];
                self.j.sa_trust[si] = pod_identity_verdict(sa, role, trust_doc, a, self.files, sink);
                continue;
            }
            self.j.sa_trust[si] = Some(irsa_verdict(sa, role, trust_doc, loc, self.files, sink));
        }
    }

    /// What a role's trust says that the plan cannot carry or that looks wrong: the OIDC providers it trusts
    /// (graph nodes), a `StringLike` subject pattern (and whom it matched), negated or missing `:sub` conditions,
    /// conditions that cannot be judged offline, principals other than the ServiceAccounts, and ServiceAccounts it
    /// names that the manifests do not declare.
    fn trust_findings(&mut self, ri: usize, role: &Role, trust_doc: &PolicyDocument, sink: &mut Sink) {
        self.provider_nodes(ri, trust_doc);
        // Who, among the input's ServiceAccounts, does the trust admit by pattern?
        let admitted_by_pattern: Vec<String> = self.j.role_sas[ri]
            .iter()
            .filter(|&&si| self.j.sa_trust[si].as_ref().is_some_and(|v| v.admitted() && v.by_pattern))
            .map(|&si| {
                format!("{}/{}", self.model.service_accounts[si].namespace, self.model.service_accounts[si].name)
            })
            .collect();
        let subjects = trust::named_subjects(trust_doc);
        let patterns: Vec<_> =
            trust::like_subjects(trust_doc).into_iter().filter(|(v, _)| !trust::is_universal(v)).collect();
        if let Some(&(_, loc)) = patterns.first() {
            // Every pattern is named: whom the trust admits is the union of them (review 2: naming only the first
            // said `other:*` had matched `app/worker`).
            let pattern = patterns.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>().join("`, `");
            let noun = if patterns.len() == 1 { "pattern" } else { "patterns" };
            let matched = if admitted_by_pattern.is_empty() {
                "none of the input's ServiceAccounts".to_string()
            } else {
                admitted_by_pattern.join(", ")
            };
            sink.push(
                rules::STRINGLIKE_TRUST,
                format!("role `{}` trusts ServiceAccounts by {noun} `{pattern}`; matched: {matched}", role.name),
                Some(loc),
            );
        }
        report_open_subjects(role, trust_doc, sink);
        self.report_unjudged_and_extra(ri, role, trust_doc, sink);
        self.report_named_subjects_missing(role, subjects, sink);
    }

    /// Role → OIDC provider: one node per provider its `Federated` principals name.
    fn provider_nodes(&mut self, ri: usize, trust_doc: &PolicyDocument) {
        let mut providers = BTreeSet::new();
        for s in &trust_doc.statements {
            for (t, v) in s.principal.iter().flat_map(|p| p.entries.iter()) {
                if &**t == "Federated"
                    && let Some(p) = trust::provider_of(v)
                {
                    providers.insert(p.to_string());
                }
            }
        }
        for p in providers {
            let n = self.j.add_node(NodeKind::Provider(p));
            self.j.add_edge(self.role_nodes[ri], n, Edge::Trusts);
        }
    }

    /// Of the ServiceAccounts the trust admits: the conditions their admission depends on that cannot be judged
    /// offline (one finding per condition, listing them), then — when any is admitted through an OIDC provider or
    /// by Pod Identity — the trust's other principals, which are not carried to Azure.
    fn report_unjudged_and_extra(&self, ri: usize, role: &Role, trust_doc: &PolicyDocument, sink: &mut Sink) {
        let mut unjudged: BTreeMap<&trust::Unjudged, Vec<String>> = BTreeMap::new();
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut pod_identity = false;
        for &si in &self.j.role_sas[ri] {
            let Some(v) = &self.j.sa_trust[si] else {
                pod_identity = true;
                continue;
            };
            if !v.admitted() {
                continue;
            }
            used.extend(v.providers.iter().cloned());
            let s = &self.model.service_accounts[si];
            for u in &v.unjudged {
                unjudged.entry(u).or_default().push(format!("{}/{}", s.namespace, s.name));
            }
        }
        for (u, sas) in unjudged {
            let date = if u.op.contains("Date") {
                " (a date is never compared with the clock: eks2aks does not read it, so that its output does not depend on the day it runs)"
            } else {
                ""
            };
            sink.push(
                rules::TRUST_CONDITION_UNJUDGED,
                format!(
                    "role `{}` admits ServiceAccount {} only under the condition `{} {}` ({}:{}), which eks2aks cannot judge from the token{date}: the federated credential is created, but the AWS trust had an extra restriction that Azure does not enforce, or may never have been usable",
                    role.name,
                    sas.join(", "),
                    u.op,
                    u.key,
                    self.files.display(u.loc.file),
                    u.loc.pos.line
                ),
                Some(u.loc),
            );
        }
        if !used.is_empty() || pod_identity {
            // The first role of a Pod Identity chain (`targetRoleARN`) is how the pods reach this role: not extra.
            let chain: BTreeSet<String> = (self.model.associations.iter())
                .filter(|a| a.role_arn == role.arn)
                .filter_map(|a| a.chained_from.as_ref().map(|(from, _)| format!("AWS `{from}`")))
                .collect();
            for (principal, loc) in trust::extra_principals(trust_doc, &used, pod_identity) {
                if chain.contains(&principal) {
                    continue;
                }
                sink.push(
                    rules::TRUST_EXTRA_PRINCIPAL,
                    format!("role `{}`'s trust also admits {principal}, which is not carried to Azure: only the ServiceAccounts' federated credentials are, so whoever else could assume the role on AWS loses that access", role.name),
                    Some(loc),
                );
            }
        }
    }

    /// ServiceAccounts the trust names exactly (`system:serviceaccount:NS:NAME`, no wildcard) that no manifest
    /// declares.
    fn report_named_subjects_missing(&self, role: &Role, subjects: Vec<(String, Loc)>, sink: &mut Sink) {
        for (subject, loc) in subjects {
            if subject.contains(['*', '?']) {
                continue;
            }
            let Some(rest) = subject.strip_prefix("system:serviceaccount:") else {
                continue;
            };
            let Some((ns, name)) = rest.split_once(':') else {
                continue;
            };
            if !self.sa_index.contains_key(&(ns, name)) {
                sink.push(
                    rules::TRUST_NAMES_MISSING_SA,
                    format!(
                        "role `{}` trusts ServiceAccount {ns}/{name}, which is not in the input manifests",
                        role.name
                    ),
                    Some(loc),
                );
            }
        }
    }

    /// Permissions in force per role: inline policies, then attached managed policies (default version), each
    /// statement a node granted by the role and linked to the resources it names. Per role, also reports what
    /// eks2aks cannot apply: attached policies whose document is missing, a permissions boundary (on a role some
    /// ServiceAccount assumes), eksctl well-known policies.
    fn permissions_in_force(&mut self, sink: &mut Sink) {
        let model = self.model;
        let policy_by_arn: BTreeMap<&str, &ManagedPolicy> =
            model.managed_policies.iter().map(|p| (p.arn.as_str(), p)).collect();
        self.j.permissions = vec![Vec::new(); model.roles.len()];
        let mut managed_name: BTreeMap<&str, std::sync::Arc<str>> = BTreeMap::new();
        for (ri, role) in model.roles.iter().enumerate() {
            let perms = role_permissions(role, &policy_by_arn, &mut managed_name, sink);
            let perms = self.session_tags_decided(ri, perms, sink);
            if let Some((arn, loc)) = &role.boundary
                && !self.j.role_sas[ri].is_empty()
            {
                sink.push(
                    rules::PERMISSIONS_BOUNDARY,
                    format!("role `{}` has the permissions boundary `{arn}`, which eks2aks does not apply: the Azure assignments may grant more than the boundary allowed", role.name),
                    Some(*loc),
                );
            }
            // A key whose policies were attached at its position (the bundled expansion) grants them.
            let expanded = |name: &str, l: &Loc| {
                role.attached.iter().any(|a| a.loc == *l) || role.inline.iter().any(|p| p.expands(name))
            };
            for (name, loc) in role.well_known.iter().filter(|(name, l)| !expanded(name, l)) {
                sink.push(
                    rules::WELL_KNOWN_POLICY,
                    format!(
                        "role `{}` uses eksctl well-known policy `{name}`, whose document is not in the input: it grants nothing",
                        role.name
                    ),
                    Some(*loc),
                );
            }
            self.statement_nodes(ri, &perms);
            self.j.permissions[ri] = perms;
        }
    }

    /// Role → statement → resource: one node per statement in force, linked to each ARN its `Resource` names
    /// (which also joins [`Joined::resources`]).
    fn statement_nodes(&mut self, ri: usize, perms: &[Permission]) {
        let j = &mut self.j;
        for (k, p) in perms.iter().enumerate() {
            let sn = j.add_node(NodeKind::Statement(ri, k));
            j.add_edge(self.role_nodes[ri], sn, Edge::Grants);
            for (r, _) in p.statement.resource.iter().filter(|r| !r.not).flat_map(|r| r.items.iter()) {
                if Arn::parse(r).is_some() {
                    j.resources.entry(r.clone()).or_insert(p.statement.loc);
                    let rn = resource_node(j, r);
                    j.add_edge(sn, rn, Edge::On);
                }
            }
        }
    }

    /// What workloads reach on AWS — their own references and those of the ConfigMaps and Secrets they read —
    /// with the resources named joined and linked, the roles their containers name in `AWS_ROLE_ARN`
    /// ([`Self::env_roles`]), workloads that talk to AWS without a role of their own, and static keys anywhere.
    fn workloads_on_aws(&mut self, sink: &mut Sink) {
        let model = self.model;
        let config_by_key: BTreeMap<(&str, &str, &str), &ConfigData> =
            model.config_data.iter().map(|c| ((c.kind.as_str(), c.namespace.as_str(), c.name.as_str()), c)).collect();
        let mut static_locs: BTreeSet<Loc> = BTreeSet::new();
        for c in &model.config_data {
            for r in c.aws_refs.iter().filter(|r| r.kind == AwsRefKind::StaticKey) {
                static_locs.insert(r.loc);
            }
            for r in c.aws_refs.iter().filter(|r| r.kind != AwsRefKind::Name) {
                if let Some(arn) = &r.arn {
                    self.j.resources.entry(arn.as_str().into()).or_insert(r.loc);
                }
            }
        }
        for (wi, w) in model.workloads.iter().enumerate() {
            let mut refs: Vec<&AwsRef> = w.aws_refs.iter().collect();
            for (k, n) in &w.config_refs {
                if let Some(c) = config_by_key.get(&(k.as_str(), &*w.namespace, n.as_str())) {
                    refs.extend(c.aws_refs.iter());
                }
            }
            self.workload_resources(wi, &refs, &mut static_locs);
            let env_role = self.env_roles(wi, &refs, sink);
            let has_env_role = !env_role.is_empty();
            self.j.env_roles.extend(env_role);
            let si = self.j.workload_sa[wi];
            let has_role =
                self.j.sa_role[si].is_some() || model.service_accounts[si].role_arn.is_some() || has_env_role;
            if !has_role {
                report_without_role(w, &refs, sink);
            }
        }
        for loc in static_locs {
            sink.push(
                rules::STATIC_AWS_CREDENTIALS,
                "static AWS credential in a manifest (value not shown)",
                Some(loc),
            );
        }
    }

    /// The roles a workload's containers name in `AWS_ROLE_ARN` (pod env, or a ConfigMap it reads) other than its
    /// ServiceAccount's: each is reported (E2A052) and, when it is in the IAM input, joined with the ServiceAccount
    /// (its trust must admit the ServiceAccount's token, as the SDK presents it). Several containers naming several
    /// roles: each is reported, and the first (in the manifest) is the one the workload's pods run as.
    fn env_roles(&self, wi: usize, refs: &[&AwsRef], sink: &mut Sink) -> Vec<EnvRole> {
        let model = self.model;
        let w = &model.workloads[wi];
        let si = self.j.workload_sa[wi];
        let sa = &model.service_accounts[si];
        let sa_arn = self.sa_arn[si].as_deref();
        let mut out: Vec<EnvRole> = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for r in refs {
            if r.kind != AwsRefKind::SdkVariable || !r.key.eq_ignore_ascii_case("AWS_ROLE_ARN") {
                continue;
            }
            let arn = r.text.trim();
            if Arn::parse(arn).and_then(|a| a.role_path_and_name()).is_none() || !seen.insert(arn) {
                continue;
            }
            let env_ri = self.roles.find(arn);
            let same = match (env_ri, self.j.sa_role[si], sa_arn) {
                (Some(e), Some(s), _) => e == s,
                (_, _, Some(s)) => s == arn,
                _ => false,
            };
            if same {
                continue;
            }
            report_env_role(w, sa, sa_arn, arn, r.loc, sink);
            let Some(ri) = env_ri else {
                report_env_role_missing(w, arn, r.loc, sink);
                continue;
            };
            let verdict = env_role_verdict(w, sa, &model.roles[ri], r.loc, self.files, sink);
            out.push(EnvRole { workload: wi, service_account: si, role: ri, verdict });
        }
        out
    }

    /// Workload → resource for each ARN among its references (names alone aside), each joining
    /// [`Joined::resources`]; the static keys among them are collected in `static_locs`.
    fn workload_resources(&mut self, wi: usize, refs: &[&AwsRef], static_locs: &mut BTreeSet<Loc>) {
        for r in refs {
            if r.kind == AwsRefKind::StaticKey {
                static_locs.insert(r.loc);
            }
            if r.kind == AwsRefKind::Name {
                continue;
            }
            if let Some(arn) = &r.arn {
                self.j.resources.entry(arn.as_str().into()).or_insert(r.loc);
                let rn = resource_node(&mut self.j, arn);
                self.j.add_edge(self.wl_nodes[wi], rn, Edge::On);
            }
        }
    }

    /// KEDA trigger authentications whose assume role is not in the IAM input.
    fn keda_roles(&self, sink: &mut Sink) {
        for ta in &self.model.trigger_auths {
            if let Some(arn) = &ta.role_arn
                && self.roles.find(arn).is_none()
            {
                sink.push(
                    rules::ROLE_MISSING,
                    format!("{} {} has KEDA assume role `{arn}`, which is not in the IAM input", ta.kind, ta.name),
                    Some(ta.loc),
                );
            }
        }
    }

    /// The queues KEDA triggers name by URL (`queueURL`) join [`Joined::resources`].
    fn keda_trigger_resources(&mut self) {
        for s in &self.model.scalers {
            for t in &s.triggers {
                if let Some(url) = t.metadata.get("queueURL")
                    && let Some(arn) = crate::ingest::scan::endpoint_arn(url)
                {
                    self.j.resources.entry(arn.into()).or_insert(t.loc);
                }
            }
        }
    }
}

/// The trust verdict of an IRSA ServiceAccount (token audience: its annotation, else STS); a trust that does not
/// admit it is reported at the ServiceAccount, with where the trust policy is.
fn irsa_verdict(
    sa: &ServiceAccount,
    role: &Role,
    trust_doc: &PolicyDocument,
    loc: Loc,
    files: &Files,
    sink: &mut Sink,
) -> TrustVerdict {
    let aud = sa.audience.as_deref().unwrap_or("sts.amazonaws.com");
    let verdict = trust::admits(trust_doc, &sa.namespace, &sa.name, aud);
    if !verdict.admitted() {
        let tl = trust_doc.loc;
        sink.push(
            rules::TRUST_DOES_NOT_ADMIT_SA,
            format!(
                "ServiceAccount {}/{} names role `{}`, but the role's trust does not admit system:serviceaccount:{}:{} (audience {aud})",
                sa.namespace, sa.name, role.name, sa.namespace, sa.name
            ),
            Some(loc),
        )
        .with_help(format!("the trust policy is at {}:{}", files.display(tl.file), tl.pos.line));
    }
    verdict
}

/// A trust open to more ServiceAccounts than it names: `:sub` restricted only by negated conditions (each
/// reported), or — for a web-identity trust with no negated condition — no `:sub` condition that restricts at
/// all (tested by admitting a ServiceAccount no cluster has).
fn report_open_subjects(role: &Role, trust_doc: &PolicyDocument, sink: &mut Sink) {
    let web_identity = trust_doc.statements.iter().any(|s| {
        s.effect == Effect::Allow
            && s.principal
                .as_ref()
                .is_some_and(|p| p.entries.iter().any(|(t, v)| &**t == "Federated" && trust::provider_of(v).is_some()))
    });
    let negated = trust::negated_subjects(trust_doc);
    for (op, excluded, loc) in &negated {
        let list: Vec<String> = excluded.iter().map(|s| format!("`{s}`")).collect();
        sink.push(
            rules::TRUST_NEGATED_SUBJECT,
            format!("role `{}` restricts `:sub` only with `{op}` {}: its trust admits every other ServiceAccount of the cluster; Azure federated credentials name one subject each, so credentials are planned only for the ServiceAccounts that name the role", role.name, list.join(", ")),
            Some(*loc),
        );
    }
    if web_identity && negated.is_empty() && trust::admits(trust_doc, "\u{0}", "\u{0}", "sts.amazonaws.com").without_sub
    {
        sink.push(
            rules::TRUST_WITHOUT_SUB,
            format!("role `{}` trusts an EKS OIDC provider with no `:sub` condition, or one that matches every ServiceAccount: every ServiceAccount of the cluster may assume it", role.name),
            Some(trust_doc.loc),
        );
    }
}

/// A role's statements in force: its inline policies', then its attached managed policies' (their default
/// version; one copy of each managed policy's name, shared through `managed_name`). An attached policy whose
/// document is not in the input is reported.
fn role_permissions<'m>(
    role: &Role,
    policy_by_arn: &BTreeMap<&str, &'m ManagedPolicy>,
    managed_name: &mut BTreeMap<&'m str, std::sync::Arc<str>>,
    sink: &mut Sink,
) -> Vec<Permission> {
    let mut perms = Vec::new();
    for p in &role.inline {
        let name: std::sync::Arc<str> = p.name.as_str().into();
        for s in &p.document.statements {
            perms.push(Permission { policy: name.clone(), statement: s.clone() });
        }
    }
    for a in &role.attached {
        match policy_by_arn.get(a.arn.as_str()).and_then(|p| p.document.as_ref().map(|d| (p, d))) {
            Some((p, d)) => {
                let name = managed_name.entry(p.arn.as_str()).or_insert_with(|| p.name.as_str().into());
                for s in &d.statements {
                    perms.push(Permission { policy: name.clone(), statement: s.clone() });
                }
            }
            None => {
                let aws_managed = a.arn.contains(":iam::aws:policy/");
                let what = if aws_managed { "AWS-managed" } else { "customer-managed" };
                sink.push(
                    rules::MANAGED_POLICY_NOT_EXPORTED,
                    format!("role `{}` has the {what} policy `{}` attached, but its document is not in the input: export it with aws iam get-policy-version or it grants nothing", role.name, a.arn),
                    Some(a.loc),
                )
                .with_help(format!(
                    "export it: aws iam get-policy-version --policy-arn {0} --version-id $(aws iam get-policy --policy-arn {0} --query Policy.DefaultVersionId --output text)",
                    a.arn
                ));
            }
        }
    }
    perms
}

/// Policy and trust documents attached to no role: analysed on their own, and reported.
fn report_loose_documents(model: &Model, sink: &mut Sink) {
    for d in &model.loose_documents {
        let what = if d.is_trust { "trust policy" } else { "policy" };
        sink.push(
            rules::UNATTACHED_POLICY,
            format!("{what} document is not attached to any role in the input; analysed on its own"),
            Some(d.document.loc),
        );
    }
}

/// A workload with no role of its own that talks to AWS (a reference other than a static key or a bare name):
/// it relies on static keys, if it has any, or else on the node's instance role. Reported at its first such
/// reference.
fn report_without_role(w: &Workload, refs: &[&AwsRef], sink: &mut Sink) {
    let Some(first) = refs.iter().find(|r| !matches!(r.kind, AwsRefKind::StaticKey | AwsRefKind::Name)) else {
        return;
    };
    let keys = refs.iter().any(|r| r.kind == AwsRefKind::StaticKey);
    let source = if keys { "static keys" } else { "the node's instance role" };
    sink.push(
        rules::WORKLOAD_WITHOUT_ROLE,
        format!(
            "{} {}/{} talks to AWS (`{}`) but its ServiceAccount `{}` has no IAM role: it relies on {source}",
            w.kind, w.namespace, w.name, first.key, w.service_account
        ),
        Some(first.loc),
    );
}

/// A workload whose `AWS_ROLE_ARN` names another role than its ServiceAccount (`sa_arn`, the role the
/// ServiceAccount names, if any): the SDK assumes the variable's role, which the plan gives an identity of its own.
fn report_env_role(w: &Workload, sa: &ServiceAccount, sa_arn: Option<&str>, arn: &str, loc: Loc, sink: &mut Sink) {
    let sa_side = match sa_arn {
        Some(a) => format!("its ServiceAccount {}/{} names `{a}`", sa.namespace, sa.name),
        None => format!("its ServiceAccount {}/{} names no role", sa.namespace, sa.name),
    };
    sink.push(
        rules::EXPLICIT_ROLE_ENV,
        format!(
            "{} {}/{} sets `AWS_ROLE_ARN` to `{arn}`, but {sa_side}: the AWS SDK assumes the role in the variable, so the workload ran as it; that role is planned with its own identity, and the container gets `AZURE_CLIENT_ID` of that identity",
            w.kind, w.namespace, w.name
        ),
        Some(loc),
    );
}

/// A role a workload's `AWS_ROLE_ARN` names that is not in the IAM input, with how to export it.
fn report_env_role_missing(w: &Workload, arn: &str, loc: Loc, sink: &mut Sink) {
    let name = Arn::parse(arn).and_then(|a| a.role_path_and_name()).map(|(_, n)| n).unwrap_or_default();
    sink.push(
        rules::ROLE_MISSING,
        format!(
            "{} {}/{} uses role `{arn}` (`AWS_ROLE_ARN`), which is not in the IAM input",
            w.kind, w.namespace, w.name
        ),
        Some(loc),
    )
    .with_help(format!(
        "export it: aws iam get-role --role-name {name} (or aws iam get-account-authorization-details for all roles)"
    ));
}

/// The trust verdict of a role a workload's `AWS_ROLE_ARN` names, matched against the workload's ServiceAccount
/// (whose token the SDK presents); `None` for a role exported without its trust (nothing to match, as for an
/// annotated one). A trust that does not admit the ServiceAccount is reported, with where the trust policy is.
fn env_role_verdict(
    w: &Workload,
    sa: &ServiceAccount,
    role: &Role,
    loc: Loc,
    files: &Files,
    sink: &mut Sink,
) -> Option<TrustVerdict> {
    let aud = sa.audience.as_deref().unwrap_or("sts.amazonaws.com");
    let verdict = role.trust.as_ref().map(|t| trust::admits(t, &sa.namespace, &sa.name, aud));
    if verdict.as_ref().is_some_and(|v| !v.admitted()) {
        let help = role
            .trust
            .as_ref()
            .map(|t| format!("the trust policy is at {}:{}", files.display(t.loc.file), t.loc.pos.line));
        let f = sink.push(
            rules::TRUST_DOES_NOT_ADMIT_SA,
            format!(
                "{} {}/{} sets `AWS_ROLE_ARN` to role `{}`, but the role's trust does not admit its ServiceAccount system:serviceaccount:{}:{} (audience {aud})",
                w.kind, w.namespace, w.name, role.name, sa.namespace, sa.name
            ),
            Some(loc),
        );
        if let Some(h) = help {
            f.with_help(h);
        }
    }
    verdict
}

fn resource_node(j: &mut Joined, arn: &str) -> NodeIndex {
    if !j.keep_graph {
        return NodeIndex::end();
    }
    if let Some(&n) = j.resource_nodes.get(arn) {
        return n;
    }
    let n = j.graph.add_node(NodeKind::Resource(arn.to_string()));
    j.resource_nodes.insert(arn.to_string(), n);
    n
}

/// The trust verdict of a ServiceAccount associated with `role` through EKS Pod Identity: `None` (admitted, as
/// Pod Identity sessions have no OIDC provider) when the trust admits the association, an empty verdict (not
/// admitted, no credential) when it does not (E2A002); a condition it cannot decide admits it with E2A048. A chain
/// to a `targetRoleARN` is reported (E2A062): the target's trust names the first role, not EKS.
fn pod_identity_verdict(
    sa: &ServiceAccount,
    role: &Role,
    trust_doc: &PolicyDocument,
    a: &Association,
    files: &Files,
    sink: &mut Sink,
) -> Option<TrustVerdict> {
    if let Some((first, at)) = &a.chained_from {
        sink.push(
            rules::POD_IDENTITY_ROLE_CHAIN,
            format!(
                "ServiceAccount {}/{} gets the credentials of role `{}` through EKS Pod Identity, chained from role `{first}` ({}:{}): the managed identity carries `{}`'s permissions; `{first}` is not translated",
                sa.namespace, sa.name, role.arn, files.display(a.loc.file), a.loc.pos.line, role.name
            ),
            Some(*at),
        );
        return None;
    }
    match super::pod_identity::trust_admits(trust_doc, a) {
        eval::Tri::True => None,
        eval::Tri::False => {
            sink.push(
                rules::TRUST_DOES_NOT_ADMIT_SA,
                format!("ServiceAccount {}/{} is associated with role `{}` through EKS Pod Identity, but the role's trust does not admit it: no Allow for `pods.eks.amazonaws.com` with `sts:AssumeRole`{} whose conditions hold for this association (namespace, ServiceAccount, cluster), or a Deny applies", sa.namespace, sa.name, role.name, if a.session_tags { " and `sts:TagSession`" } else { "" }),
                Some(a.loc),
            );
            Some(TrustVerdict::default())
        }
        eval::Tri::Unknown => {
            sink.push(
                rules::TRUST_CONDITION_UNJUDGED,
                format!("role `{}` admits ServiceAccount {}/{} through EKS Pod Identity only under conditions eks2aks cannot decide for the association (a per-pod session tag, or a key other than the session tags): the federated credential is created, but the AWS trust had an extra restriction that Azure does not enforce", role.name, sa.namespace, sa.name),
                Some(trust_doc.loc),
            );
            None
        }
    }
}

impl Join<'_> {
    /// The role's statements with their Pod Identity session tags decided for the ServiceAccounts admitted to it
    /// (see [`super::pod_identity::decide_statements`]); unchanged for a role no Pod Identity association uses.
    fn session_tags_decided(&self, ri: usize, perms: Vec<Permission>, sink: &mut Sink) -> Vec<Permission> {
        let model = self.model;
        let mut who = Vec::new();
        let mut any_pod_identity = false;
        let contexts: Vec<Option<eval::Context>> = self.j.role_sas[ri]
            .iter()
            .filter(|&&si| self.j.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
            .map(|&si| {
                let sa = &model.service_accounts[si];
                who.push(format!("{}/{}", sa.namespace, sa.name));
                let a = self.assoc[si]
                    .map(|i| &model.associations[i])
                    .filter(|a| sa.role_arn.is_none() && a.kind == AssociationKind::PodIdentity)?;
                any_pod_identity = true;
                Some(super::pod_identity::context(a, "aws:PrincipalTag/"))
            })
            .collect();
        if !any_pod_identity {
            return perms;
        }
        let who = format!("ServiceAccount {}", who.join(", "));
        super::pod_identity::decide_statements(&model.roles[ri].name, &who, perms, &contexts, sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Skipping the graph changes nothing that plan, check and translate read: the indexes and the findings are
    /// the same with and without it, and only the graph itself is empty.
    #[test]
    fn the_join_without_its_graph_has_the_same_indexes_and_findings() {
        let inputs: Vec<PathBuf> =
            ["testdata/examples/edw-keda", "testdata/examples/phased", "testdata/fixtures"].map(PathBuf::from).into();
        let join = |keep_graph: bool| {
            let (mut files, mut sink) = (Files::default(), Sink::default());
            let opts = crate::ingest::IngestOptions::default();
            let mut model = crate::ingest::read(&inputs, &opts, &mut files, &mut sink);
            let j = build_with(&mut model, &files, &mut sink, keep_graph);
            let indexes = format!(
                "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
                j.workload_sa, j.sa_role, j.sa_trust, j.permissions, j.role_sas, j.resources
            );
            (indexes, sink.into_findings(), j.graph.node_count(), j.graph.edge_count())
        };
        let (with_indexes, with_findings, nodes, edges) = join(true);
        let (without_indexes, without_findings, no_nodes, no_edges) = join(false);
        assert!(with_indexes.len() > 1000 && nodes > 100 && edges > 100, "the inputs join into something");
        assert_eq!(with_indexes, without_indexes);
        assert_eq!(with_findings, without_findings);
        assert_eq!((no_nodes, no_edges), (0, 0));
    }
}
