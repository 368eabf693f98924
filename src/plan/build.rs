//! [`build`]: the plan from the model and the join, step by step — name the identities, plan each identity
//! (credentials, needs, role assignments) in parallel, derive the resources and their names, check soundness,
//! list the workloads, bind KEDA, apply waivers and overrides, decide the manifest edits.

use super::*;

/// What planning one identity reads: shared by every identity of the run.
struct Planner<'a> {
    model: &'a Model,
    joined: &'a Joined,
    files: &'a Files,
    tables: &'a Tables,
    opts: &'a PlanOptions,
    issuer: Arc<str>,
    audience: Arc<str>,
    /// ARNs named by the workloads of each ServiceAccount.
    named_by_sa: BTreeMap<usize, BTreeSet<String>>,
    /// ARNs named by the workloads that run as a role through `AWS_ROLE_ARN`, by role.
    named_by_env_role: BTreeMap<usize, BTreeSet<String>>,
    /// The queues KEDA reads as each role.
    keda_queues: &'a BTreeMap<usize, BTreeSet<String>>,
}

/// What one thread's chunk of identities produces: identities, custom roles and findings, in input order.
type Chunk = (Vec<Identity>, BTreeMap<String, CustomRole>, Sink);

/// Builds the plan from the model and the join, mapping each identity's permissions through the tables. Findings
/// of the mapping go into `sink`; the plan's findings are everything in it.
// long function: the plan's pipeline, one step per line, in the order the steps depend on each other.
pub fn build(
    model: &Model,
    joined: &mut Joined,
    files: &Files,
    tables: &Tables,
    opts: &PlanOptions,
    mut sink: Sink,
) -> Plan {
    let zoned = zones_from_manifests(model, opts);
    let opts = zoned.as_ref().unwrap_or(opts);
    // Hosted zones of one domain and Azure type: neither is mapped (E2A113), never a tagged zone name.
    let conflicts = super::zone_conflicts::find(tables, &opts.targets);
    let unzoned = super::zone_conflicts::without(opts, &conflicts);
    let opts = unzoned.as_ref().unwrap_or(opts);
    super::zone_conflicts::report(&conflicts, joined.resources.iter().map(|(a, l)| (a.as_ref(), *l)), &mut sink);
    let recognised = addons::recognise(model, joined, tables, &mut sink);
    let role_identity = name_identities(model, joined, &recognised.roles, &mut sink);
    let mut keda =
        keda::analyse(model, files, joined, tables, &opts.targets, &role_identity, &opts.keda_operator, &mut sink);
    let mut found = names_in_config(model, joined, tables, &role_identity);
    let (mut identities, custom_roles) = {
        let mut planner = Planner::new(model, joined, files, tables, opts, &keda.queues);
        // Moved, not copied: only planning reads them (the references stay for `names_in_config::report`).
        for (ri, arns) in std::mem::take(&mut found.by_role) {
            planner.named_by_env_role.entry(ri).or_default().extend(arns);
        }
        planner.plan_all(&role_identity, &mut sink)
    };
    keda.queues.clear();
    identities.sort_by(|a, b| a.name.cmp(&b.name).then(a.aws_role_arn.cmp(&b.aws_role_arn)));
    ambiguous_service_accounts(model, &identities, files, &mut sink);
    eksctl_sas::report(model, &identities, &mut sink);
    super::unused_sas::report(model, &identities, &mut sink);
    shared_staying_resources(model, &identities, &mut sink);
    super::dns_secrets::join_granted_zones(model, &identities, &opts.targets.zones, &mut joined.resources);
    let resources = plan_resources(joined, tables, opts, &mut identities, &mut sink);
    name_scopes_in_findings(&identities, &resources, &mut sink);
    // Disk snapshotters' rights on the node resource group (issue 21): role assignments like the others.
    let snapshots = super::storage_configs::snapshot_rights(model, tables, &opts.config, &mut identities);
    // Whatever Azure allows, AWS allowed (issue 18): checked on the final names and assignments.
    let role_locs: BTreeMap<&str, Loc> = model.roles.iter().map(|r| (r.arn.as_str(), r.loc)).collect();
    let t = std::time::Instant::now();
    soundness::check(&identities, &custom_roles, tables, &role_locs, &mut sink);
    crate::diag::timings::add_cpu("soundness check", t);
    drop(role_locs);
    joined.release_plan_inputs();
    tables.memo.forget_resolved();
    let joined = &*joined;
    // Independent reads of the plan so far, on the pool; their findings join the sink in the order a sequential
    // run pushes them.
    let ((inputs_sink, not_granted_sink), (workloads, storage)) = crate::par::install(|| {
        rayon::join(
            || {
                rayon::join(
                    || {
                        let mut s = Sink::default();
                        input_findings(model, tables, &resources, opts, &mut s);
                        s
                    },
                    || {
                        let mut s = Sink::default();
                        not_granted(model, joined, tables, &resources, &identities, &role_identity, &mut s);
                        s
                    },
                )
            },
            || {
                let workloads = workload_entries(model, joined, files, &role_identity);
                let inputs = super::storage_configs::Inputs { resources: &resources, workloads: &workloads };
                let storage = super::storage_configs::decide(model, files, tables, &opts.config, &inputs);
                (workloads, storage)
            },
        )
    });
    sink.append(inputs_sink);
    sink.append(not_granted_sink);
    // KEDA: which authentication each translated trigger references (split per identity), on the final names.
    super::keda_triggers::report(model, tables, &keda.triggers, &resources, &identities, &role_identity, &mut sink);
    let mapped = |r: &keda::Resolved| match r.azure_type {
        None => is_mapped_queue(tables, &resources, &r.arn),
        Some(_) => super::keda_triggers::mapped(&resources, r),
    };
    let keda = keda::bind(model, files, keda, &role_identity, mapped, &mut sink);
    addons::drop_covered_findings(model, &recognised, &mut sink);
    for (code, msg, loc) in
        super::dns_secrets::decide(model, files, tables, &opts.config, &identities, &resources).findings
    {
        sink.push(code, msg, Some(loc));
    }
    // The storage configurations of common stacks (issue 21): their findings, and their edits for `edits::decide`.
    let storage = super::storage_configs::report_decided(storage, snapshots, &mut sink);
    // The storage and load-balancer rewrite's findings (its edits are decided again with the others).
    cloud::decide(model, tables, &opts.config, &mut sink);
    let mut plan = Plan {
        schema: SCHEMA,
        identities,
        resources,
        workloads,
        custom_roles: custom_roles.into_values().collect(),
        findings: Vec::new(),
        summary: Summary::default(),
        keda_authentications: keda.added.clone(),
        keda: Box::new(keda),
        manifest_edits: Vec::new(),
        eks_side_edits: Vec::new(),
        ecr_images: Vec::new(),
        scopes: Arc::new(tables.scopes.clone()),
        addons: recognised.entries,
        addon_objects: recognised.objects,
    };
    let mut decided = edits::decide(model, files, tables, &opts.config, &plan, storage);
    for (code, msg, loc) in std::mem::take(&mut decided.findings) {
        sink.push(code, msg, Some(loc));
    }
    super::embedded_values::place(model, files, &mut decided, &mut sink);
    super::shared_anchors::keep(model, &mut decided, &mut sink);
    plan.manifest_edits = decided.manifest;
    plan.eks_side_edits = decided.eks_side;
    plan.ecr_images = decided.ecr_images;
    // The references no edit rewrites (issue 21), once the edits are known; then the findings are final.
    super::names_in_config::report(model, &plan, &role_identity, &found, &mut sink);
    plan.findings = final_findings(model, joined, files, opts, sink);
    plan.summary = summary(model, &plan.identities, &plan.workloads, &plan.resources, &plan.findings);
    plan
}

/// Issue 21: the resources the workloads name in their configuration values, by role, joined to the resources.
fn names_in_config(
    model: &Model,
    joined: &mut Joined,
    tables: &Tables,
    role_identity: &BTreeMap<usize, String>,
) -> super::names_in_config::Found {
    let t = std::time::Instant::now();
    let found = super::names_in_config::find(model, joined, tables, role_identity);
    found.join_resources(joined);
    crate::diag::timings::add_cpu("names in config", t);
    found
}

/// One identity per role in use (by a ServiceAccount, or by a container's `AWS_ROLE_ARN`, E2A052: the workload ran
/// as it): the role name, made Azure-safe, through the one naming function (two roles never share one).
/// A role an AWS add-on uses (`replaced`) gets none: AKS replaces the add-on.
fn name_identities(
    model: &Model,
    joined: &Joined,
    replaced: &BTreeSet<usize>,
    sink: &mut Sink,
) -> BTreeMap<usize, String> {
    let env_used: BTreeSet<usize> = joined.env_roles.iter().map(|e| e.role).collect();
    let used: Vec<usize> = (0..model.roles.len())
        .filter(|&ri| !joined.role_sas[ri].is_empty() || env_used.contains(&ri))
        .filter(|ri| !replaced.contains(ri))
        .collect();
    let (names, collisions) = naming::unique_names(used.iter().map(|&ri| naming::NameRequest {
        domain: "identity",
        rule: naming::IDENTITY,
        aws_name: &model.roles[ri].name,
        source: &model.roles[ri].arn,
    }));
    let role_identity: BTreeMap<usize, String> =
        used.iter().map(|&ri| (ri, names.get("identity", &model.roles[ri].arn).expect("named").to_string())).collect();
    drop(names);
    for c in collisions {
        let loc = used.iter().find(|&&ri| *model.roles[ri].arn == *c.renamed[0].0).map(|&ri| model.roles[ri].loc);
        report_collision(sink, "managed identity", &c, loc);
    }
    role_identity
}

impl<'a> Planner<'a> {
    fn new(
        model: &'a Model,
        joined: &'a Joined,
        files: &'a Files,
        tables: &'a Tables,
        opts: &'a PlanOptions,
        keda_queues: &'a BTreeMap<usize, BTreeSet<String>>,
    ) -> Self {
        let named = named_by_workload(model);
        let mut named_by_sa: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for (wi, set) in named.iter().enumerate() {
            named_by_sa.entry(joined.workload_sa[wi]).or_default().extend(set.iter().cloned());
        }
        // DNS and secrets: what External Secrets stores and CSI secret classes read as a ServiceAccount.
        for (ns, sa, arn, ..) in crate::graph::named_secrets(model, files) {
            for (si, _) in model.service_accounts.iter().enumerate().filter(|(_, s)| s.namespace == ns && s.name == sa)
            {
                named_by_sa.entry(si).or_default().insert(arn.clone());
            }
        }
        // Route 53: the hosted zones external-dns and cert-manager name, as the ServiceAccount they run as.
        // A domain names the hosted zones whose zone name it is.
        for z in super::dns_secrets::named_zones(model) {
            let ids: Vec<&str> = match (&z.id, &z.zone) {
                (Some(id), _) => vec![id.as_str()],
                (None, Some(d)) => opts
                    .targets
                    .zones
                    .iter()
                    .filter(|(_, n)| n.trim_end_matches('.').eq_ignore_ascii_case(d))
                    .map(|(id, _)| id.as_str())
                    .collect(),
                (None, None) => Vec::new(),
            };
            for (si, _) in model
                .service_accounts
                .iter()
                .enumerate()
                .filter(|(_, s)| s.namespace == z.namespace && s.name == z.service_account)
            {
                let named = named_by_sa.entry(si).or_default();
                named.extend(ids.iter().map(|id| format!("arn:aws:route53:::hostedzone/{id}")));
            }
        }
        let mut named_by_env_role: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for e in &joined.env_roles {
            named_by_env_role.entry(e.role).or_default().extend(named[e.workload].iter().cloned());
        }
        Planner {
            model,
            joined,
            files,
            tables,
            opts,
            issuer: opts.aks_oidc_issuer.as_deref().unwrap_or("param:aksOidcIssuerUrl").into(),
            audience: "api://AzureADTokenExchange".into(),
            named_by_sa,
            named_by_env_role,
            keda_queues,
        }
    }

    /// Plans every identity. Identities are independent: planned in parallel chunks, each run of chunks on a
    /// thread with its own role-choice cache (rayon's `map_init`) and each chunk with its own finding sink; chunks
    /// come back in order, so findings and custom roles are as a sequential run makes them. The planner (and its
    /// indexes) is dropped when this returns: the end of `build` is the run's peak of memory.
    fn plan_all(
        self,
        role_identity: &BTreeMap<usize, String>,
        sink: &mut Sink,
    ) -> (Vec<Identity>, BTreeMap<String, CustomRole>) {
        let work: Vec<(usize, &String)> = role_identity.iter().map(|(&ri, n)| (ri, n)).collect();
        let planned = work.par_chunks(64).map_init(
            || (Chooser::new(self.tables, self.opts.choose), Strings::default()),
            |(chooser, strings), chunk| -> Chunk {
                let mut out = (Vec::with_capacity(chunk.len()), BTreeMap::new(), Sink::default());
                for &(ri, name) in chunk {
                    let id = self.plan_one(ri, name, chooser, strings, &mut out.1, &mut out.2);
                    out.0.push(id);
                }
                out
            },
        );
        let chunks: Vec<Chunk> = crate::par::install(|| planned.collect());
        let mut identities = Vec::with_capacity(work.len());
        let mut custom_roles: BTreeMap<String, CustomRole> = BTreeMap::new();
        for (ids, custom, s) in chunks {
            identities.extend(ids);
            for (id, role) in custom {
                custom_roles.entry(id).or_insert(role);
            }
            sink.append(s);
        }
        (identities, custom_roles)
    }

    /// One identity: its ServiceAccounts and credentials, its needs (KEDA's queue read included), its AWS bridge
    /// and its role assignments.
    fn plan_one(
        &self,
        ri: usize,
        name: &String,
        chooser: &mut Chooser<'a>,
        strings: &mut Strings,
        custom_roles: &mut BTreeMap<String, CustomRole>,
        sink: &mut Sink,
    ) -> Identity {
        let (model, joined, tables, opts) = (self.model, self.joined, self.tables, self.opts);
        let role = &model.roles[ri];
        let (sas, service_account_locs) = self.service_accounts(ri);
        let federated_credentials = self.credentials(ri, name, &sas, sink);
        let aws_permissions = joined.permissions[ri]
            .iter()
            .map(|p| AwsPermission {
                policy: p.policy.clone(),
                statement: p.statement.clone(),
                file: self.files.display_shared(p.statement.loc.file),
            })
            .collect();
        let providers: BTreeSet<String> = joined.role_sas[ri]
            .iter()
            .filter_map(|&si| joined.sa_trust[si].as_ref())
            .chain(joined.env_roles.iter().filter(|e| e.role == ri).filter_map(|e| e.verdict.as_ref()))
            .flat_map(|v| v.providers.iter().cloned())
            .collect();
        let role_named: BTreeSet<String> = joined.role_sas[ri]
            .iter()
            .flat_map(|si| self.named_by_sa.get(si).into_iter().flatten().cloned())
            .chain(self.named_by_env_role.get(&ri).into_iter().flatten().cloned())
            .collect();
        let before = sink.findings().len();
        let (mut needs, denied, kms_server_side) =
            need::needs(tables, &opts.targets, name, role, &joined.permissions[ri], &role_named, sink);
        // KEDA reads the queue length as this identity.
        for arn in self.keda_queues.get(&ri).into_iter().flatten() {
            if let Some((key, perms)) = need::action_need(tables, &opts.targets, "sqs", "GetQueueAttributes", arn) {
                let n = needs.entry(key).or_default();
                for p in perms {
                    n.perms.entry(p).or_default().insert("keda:aws-sqs-queue".into());
                }
            }
        }
        let sa_list: Vec<(String, String)> = sas.iter().map(|s| (s.namespace.clone(), s.name.clone())).collect();
        let without_sub =
            joined.role_sas[ri].iter().any(|&si| joined.sa_trust[si].as_ref().is_some_and(|v| v.without_sub));
        let aws_bridge = bridge::plan(
            &opts.config,
            name,
            &role.account,
            &joined.permissions[ri],
            &sa_list,
            without_sub,
            role.loc,
            sink,
        )
        .map(|mut b| {
            let providers: Vec<String> = providers.iter().cloned().collect();
            bridge::set_region(&mut b, &opts.config, &providers, name, role.loc, sink);
            Box::new(b)
        });
        let mut assign = Assign { planner: self, name, role, chooser, strings, custom_roles, sink };
        let role_assignments = assign.all(needs, &denied);
        if role_assignments.is_empty() && aws_bridge.is_none() {
            no_azure_role(name, role, (joined.permissions[ri].len(), &denied), before, sink);
        }
        Identity {
            name: name.clone(),
            aws_role_arn: role.arn.clone(),
            service_accounts: sas.into_iter().collect(),
            federated_credentials,
            role_assignments,
            aws_permissions,
            aws_oidc_providers: providers.into_iter().collect(),
            aws_bridge,
            service_account_locs,
            kms_server_side,
        }
    }

    /// The ServiceAccounts a role's trust admits (and where they are declared), and those whose workloads run as
    /// the role through `AWS_ROLE_ARN`: a federated credential each (their pods present that ServiceAccount's
    /// token), but the ServiceAccount object keeps the client id of its own role's identity (so no location).
    fn service_accounts(&self, ri: usize) -> (BTreeSet<SaRef>, Vec<Loc>) {
        let (model, joined) = (self.model, self.joined);
        let mut sas: BTreeSet<SaRef> = BTreeSet::new();
        let mut locs = Vec::new();
        for &si in &joined.role_sas[ri] {
            if joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()) {
                let s = &model.service_accounts[si];
                sas.insert(SaRef { namespace: s.namespace.clone(), name: s.name.clone() });
                locs.push(s.loc);
            }
        }
        for e in joined.env_roles.iter().filter(|e| e.role == ri) {
            if e.verdict.as_ref().is_none_or(|v| v.admitted()) {
                let s = &model.service_accounts[e.service_account];
                sas.insert(SaRef { namespace: s.namespace.clone(), name: s.name.clone() });
            }
        }
        (sas, locs)
    }

    /// The federated credentials of an identity: one per ServiceAccount, one for the KEDA operator when KEDA reads
    /// a queue as it, and with the reverse bridge one per EKS issuer; unique names, at most Azure's limit (E2A025).
    fn credentials(&self, ri: usize, name: &str, sas: &BTreeSet<SaRef>, sink: &mut Sink) -> Vec<FederatedCredential> {
        let credential = |name: String, issuer: Arc<str>, ns: &str, sa: &str| FederatedCredential {
            name: azure_name(&name, 120),
            issuer,
            subject: format!("system:serviceaccount:{ns}:{sa}"),
            audience: self.audience.clone(),
        };
        let mut list: Vec<FederatedCredential> = sas
            .iter()
            .map(|s| credential(format!("{}-{}", s.namespace, s.name), self.issuer.clone(), &s.namespace, &s.name))
            .collect();
        if self.keda_queues.contains_key(&ri) {
            let (ns, sa) = self.opts.keda_operator.split_once('/').unwrap_or(("kube-system", "keda-operator"));
            list.push(credential(format!("keda-operator-{ns}-{sa}"), self.issuer.clone(), ns, sa));
        }
        // Reverse bridge: the same ServiceAccounts, still on EKS, sign in with the EKS cluster's tokens.
        if self.opts.config.bridge_from_eks {
            for &si in &self.joined.role_sas[ri] {
                let s = &self.model.service_accounts[si];
                let Some(v) = self.joined.sa_trust[si].as_ref().filter(|v| v.admitted()) else { continue };
                for p in v.providers.iter().filter(|p| *p != "*" && !p.starts_with("eksctl-cluster/")) {
                    let issuer: Arc<str> = format!("https://{p}").into();
                    list.push(credential(format!("eks-{}-{}", s.namespace, s.name), issuer, &s.namespace, &s.name));
                }
            }
            list.sort_by(|a, b| (&a.issuer, &a.subject).cmp(&(&b.issuer, &b.subject)));
            list.dedup_by(|a, b| a.issuer == b.issuer && a.subject == b.subject);
        }
        let loc = self.model.roles[ri].loc;
        unique_credential_names(name, &mut list, sink, loc);
        if list.len() > MAX_FEDERATED_CREDENTIALS {
            sink.push(
                rules::FEDERATED_CREDENTIAL_LIMIT,
                format!(
                    "identity `{name}` needs {} federated credentials; Azure allows {MAX_FEDERATED_CREDENTIALS} per identity, so only the first {MAX_FEDERATED_CREDENTIALS} are generated",
                    list.len()
                ),
                Some(loc),
            );
            list.truncate(MAX_FEDERATED_CREDENTIALS);
        }
        list
    }
}

/// One thread's shared copies of the strings its identities' assignments hold (scope names, ARNs, AWS actions).
/// Hashed (issue 19: an ordered set compared every new ARN with a dozen others sharing its long prefix); only
/// looked up, never iterated, so nothing depends on its order.
type Strings = foldhash::HashSet<Arc<str>>;

/// The shared copy of `s` in `strings`, made on first use.
fn intern(strings: &mut Strings, s: &str) -> Arc<str> {
    if let Some(found) = strings.get(s) {
        return found.clone();
    }
    let new: Arc<str> = s.into();
    strings.insert(new.clone());
    new
}

/// The role assignments of one identity, as they are chosen.
struct Assign<'p, 'a> {
    planner: &'p Planner<'a>,
    name: &'p str,
    role: &'a crate::model::Role,
    chooser: &'p mut Chooser<'a>,
    strings: &'p mut Strings,
    custom_roles: &'p mut BTreeMap<String, CustomRole>,
    sink: &'p mut Sink,
}

impl Assign<'_, '_> {
    /// Every need's assignments, sorted by scope and role, merged per (role, scope), with listing-only
    /// assignments folded into a same-scope role that grants them.
    fn all(&mut self, needs: need::Needs, denied: &need::Denied) -> Vec<RoleAssignment> {
        let mut list = Vec::new();
        for (scope, need) in needs {
            self.scope(&scope, &need, denied, &mut list);
        }
        list.sort_by(|a, b| {
            (&a.scope.kind, &a.scope.azure_name, &a.scope.aws_arn, &a.role_name).cmp(&(
                &b.scope.kind,
                &b.scope.azure_name,
                &b.scope.aws_arn,
                &b.role_name,
            ))
        });
        let mut list = merge_assignments(list);
        let (tables, custom_roles) = (self.planner.tables, &*self.custom_roles);
        absorb_listings(&mut list, |a, d| {
            let custom =
                a.custom.then(|| custom_roles.get(&*a.role_definition_id).map(|c| c.data_actions.as_slice())).flatten();
            crate::mapping::azure::role_grants(tables, &a.role_definition_id, custom, d)
        });
        // Pushed one by one: give back the room the list grew into (a quarter of it on average).
        list.shrink_to_fit();
        list
    }

    fn scope_out(&mut self, s: &ScopeKey) -> Scope {
        let target = &self.planner.tables.services[&s.service].targets[&s.target];
        Scope {
            kind: s.kind.clone(),
            azure_name: intern(self.strings, &s.azure_name),
            aws_arn: intern(self.strings, &s.aws_arn),
            azure_type: target.azure_type.clone(),
            target: intern(self.strings, &s.target),
            widened: s.widened,
        }
    }

    /// The assignments of one scope's need: the least-privileged built-in roles that never hand back what a Deny
    /// took away, else a custom role, else E2A015 (nothing grants it).
    fn scope(
        &mut self,
        scope: &ScopeKey,
        need: &need::ScopeNeed,
        denied: &need::Denied,
        out: &mut Vec<RoleAssignment>,
    ) {
        let tables = self.planner.tables;
        let target = &tables.services[&scope.service].targets[&scope.target];
        let perms: BTreeSet<Perm> = need.perms.keys().cloned().collect();
        let all_aws: BTreeSet<String> = need.perms.values().flatten().cloned().collect();
        // What a Deny took away on this scope and the need does not hold: no role may hand it back.
        let forbidden: BTreeSet<Perm> = denied
            .get(&(scope.kind.clone(), scope.azure_name.clone()))
            .map(|d| d.keys().filter(|p| !perms.contains(*p)).cloned().collect())
            .unwrap_or_default();
        match self.chooser.choose_for(target, &perms, &forbidden) {
            Choice::BuiltIn(set) => {
                for (idx, excess) in set {
                    let a = self.built_in(scope, need, idx, excess);
                    out.push(a);
                }
            }
            Choice::Custom { best_excess } => {
                let id = custom_role_id(&scope.target, &perms);
                let role_name = format!("eks2aks {} {}", scope.target, &id[..8]);
                self.custom_roles.entry(id.clone()).or_insert_with(|| CustomRole {
                    name: role_name.clone(),
                    role_definition_id: id.clone(),
                    data_actions: perms.iter().filter(|p| p.data).map(|p| p.name.clone()).collect(),
                    actions: perms.iter().filter(|p| !p.data).map(|p| p.name.clone()).collect(),
                    avoided_excess_data_actions: best_excess,
                });
                out.push(RoleAssignment {
                    role_name: role_name.into(),
                    role_definition_id: id.into(),
                    custom: true,
                    scope: self.scope_out(scope),
                    aws_actions: all_aws.iter().map(|a| intern(self.strings, a)).collect(),
                    excess_data_actions: Vec::new(),
                    kind: "arm".into(),
                    condition: condition_for_role(&scope.condition, |p| perms.contains(p)),
                });
            }
            Choice::Uncovered(missing) => {
                let list: Vec<String> = missing.iter().map(|p| p.name.clone()).collect();
                self.sink.push(
                    rules::UNCOVERED_PERMISSION,
                    format!(
                        "identity `{}`: no role grants {} (needed for {} on {} `{}`)",
                        self.name,
                        list.join(", "),
                        all_aws.iter().cloned().collect::<Vec<_>>().join(", "),
                        scope.kind,
                        scope_named(scope, &target.azure_type)
                    ),
                    Some(self.role.loc),
                );
            }
        }
    }

    /// The assignment of built-in role `idx` on a scope: the AWS actions it carries, its excess (E2A021 whenever
    /// there is one), its condition.
    fn built_in(
        &mut self,
        scope: &ScopeKey,
        need: &need::ScopeNeed,
        idx: usize,
        excess: Vec<String>,
    ) -> RoleAssignment {
        let r = &self.planner.tables.roles[idx];
        let aws: BTreeSet<String> = need
            .perms
            .iter()
            .filter(|(p, _)| self.chooser.role_grants(idx, p))
            .flat_map(|(_, a)| a.iter().cloned())
            .collect();
        // Every excess is reported (never widen silently), whatever kept the built-in role.
        if !excess.is_empty() {
            let tables = self.planner.tables;
            let max = self.planner.opts.choose.max_excess;
            let why = if tables.services[&scope.service].targets[&scope.target]
                .preferred_roles
                .contains(&r.name.to_string())
            {
                "the target prefers this built-in role to a custom role (`preferred_roles` in mappings/services.yaml)"
                    .to_string()
            } else if &*r.kind == "cosmos-sql" {
                // Cosmos DB NoSQL data-plane roles are `sqlRoleDefinitions`, not Azure RBAC roles
                // (REST "Sql Resources - Create Update Sql Role Definition",
                // learn.microsoft.com/rest/api/cosmos-db-resource-provider/sql-resources/create-update-sql-role-definition):
                // the custom roles eks2aks writes are RBAC roles, so none is proposed here.
                "eks2aks does not generate Cosmos DB data-plane custom roles (`sqlRoleDefinitions`): define one with exactly the need by hand to avoid the excess".to_string()
            } else if excess.len() > max || !self.planner.opts.choose.custom_roles {
                "custom roles are switched off".to_string()
            } else {
                format!(
                    "within `custom_roles.max_excess: {max}`, the built-in role is kept rather than a custom role; set `max_excess: 0` for a custom role with exactly the need"
                )
            };
            self.sink.push(
                rules::EXCESS_PRIVILEGE,
                format!(
                    "identity `{}`: `{}` on {} `{}` grants {} beyond the need ({}); {why}",
                    self.name,
                    r.name,
                    scope.kind,
                    scope_named(scope, &tables.services[&scope.service].targets[&scope.target].azure_type),
                    if excess.len() == 1 {
                        "1 data action".to_string()
                    } else {
                        format!("{} data actions", excess.len())
                    },
                    excess.join(", ")
                ),
                Some(self.role.loc),
            );
        }
        let chooser = &*self.chooser;
        let condition = condition_for_role(&scope.condition, |p| chooser.role_grants(idx, p));
        RoleAssignment {
            role_name: r.name.clone(),
            role_definition_id: r.id.clone(),
            custom: false,
            scope: self.scope_out(scope),
            aws_actions: aws.iter().map(|a| intern(self.strings, a)).collect(),
            excess_data_actions: excess,
            kind: r.kind.clone(),
            condition,
        }
    }
}

/// Marks a scope's name in a finding pushed while identities are planned, before the resources get their final,
/// collision-free names: [`name_scopes_in_findings`] puts the final name in its place.
const SCOPE_MARK: char = '\u{E000}';

/// A scope's name in a finding, to be made final by [`name_scopes_in_findings`].
fn scope_named(scope: &need::ScopeKey, azure_type: &str) -> String {
    format!("{SCOPE_MARK}{azure_type}{SCOPE_MARK}{}{SCOPE_MARK}{}{SCOPE_MARK}", scope.aws_arn, scope.azure_name)
}

/// Every scope marked by [`scope_named`] gets the name its assignments (or its resource) have once the resources are named (two AWS
/// resources whose names collide are each told apart by a tag: a finding names the one it is about), else the
/// name it was planned with (a widened scope, `*`, is renamed by no one).
fn name_scopes_in_findings(identities: &[Identity], resources: &[Resource], sink: &mut Sink) {
    let mut names: BTreeMap<(&str, &str), &str> = resources
        .iter()
        .filter_map(|r| Some(((r.azure_type.as_deref()?, &*r.aws_arn), r.azure_name.as_deref()?)))
        .collect();
    names.extend(
        identities
            .iter()
            .flat_map(|i| &i.role_assignments)
            .filter(|a| &*a.scope.aws_arn != "*")
            .map(|a| ((&*a.scope.azure_type, &*a.scope.aws_arn), &*a.scope.azure_name)),
    );
    sink.map_messages(|f| {
        if !f.message.contains(SCOPE_MARK) {
            return None;
        }
        let parts: Vec<&str> = f.message.split(SCOPE_MARK).collect();
        let mut out = parts[0].to_string();
        for marked in parts[1..].chunks(4) {
            let [ty, arn, planned, rest] = marked else { return None };
            out.push_str(names.get(&(*ty, *arn)).unwrap_or(planned));
            out.push_str(rest);
        }
        Some(out)
    });
}

/// E2A071: an identity that ends with no Azure role (and no AWS bridge), with the reasons its statements were
/// dropped: the findings planning it pushed (from `before` on), and the scopes its Deny statements took
/// permissions away from (`denied`: an exact Deny pushes no finding).
fn no_azure_role(
    name: &str,
    role: &crate::model::Role,
    (statements, denied): (usize, &need::Denied),
    before: usize,
    sink: &mut Sink,
) {
    const SHOWN: usize = 6;
    let mut reasons: Vec<String> = sink.findings()[before..]
        .iter()
        .map(|f| format!("{} {}", f.code, f.message))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !denied.is_empty() {
        // Review of 7f7888f: "none of its statements grants an action that maps…" was said of a role whose Deny
        // took away what its Allow granted.
        let scopes: Vec<String> = denied.keys().take(SHOWN).map(|(kind, n)| format!("{kind} `{n}`")).collect();
        reasons.push(format!("a Deny statement takes away what its Allow statements grant on {}", scopes.join(", ")));
    }
    if reasons.is_empty() {
        reasons.push(if statements == 0 {
            "its role has no permission statement in force".into()
        } else {
            "none of its statements grants an action that maps to an Azure data or control-plane permission".into()
        });
    }
    let more = reasons.len().saturating_sub(SHOWN);
    reasons.truncate(SHOWN);
    let tail = if more > 0 { format!("; and {more} more (see the findings at the role)") } else { String::new() };
    sink.push(
        rules::IDENTITY_WITHOUT_ROLE,
        format!(
            "identity `{name}` ends with no Azure role: its workloads sign in to Azure but may do nothing there. Why: {}{tail}",
            reasons.join("; ")
        ),
        Some(role.loc),
    );
}

/// A staying resource reached through many bridge roles: suggest one shared role (E2A…, a note).
fn shared_staying_resources(model: &Model, identities: &[Identity], sink: &mut Sink) {
    let mut reached: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for id in identities {
        for r in id.aws_bridge.iter().flat_map(|b| b.resources.iter()) {
            reached.entry(r.as_str()).or_default().push(id.name.as_str());
        }
    }
    for (resource, ids) in reached.into_iter().filter(|(_, ids)| ids.len() >= 3) {
        let loc = model
            .roles
            .iter()
            .find(|r| identities.iter().any(|i| i.name == ids[0] && i.aws_role_arn == r.arn))
            .map(|r| r.loc);
        sink.push(
            rules::SHARED_STAYING_RESOURCE,
            format!("`{resource}` stays on AWS and is reached by {} identities through their own bridge roles ({}); consider one shared role", ids.len(), ids.join(", ")),
            loc,
        );
    }
}

/// Every AWS resource the input names, with its Azure counterpart (or "stays on AWS", or none): sorted by ARN,
/// with collision-free Azure names (renaming the assignments' scopes to match). A DNS zone is named from its zone
/// name (`TargetChoice::name_source`), not from the hosted zone id; with no zone name it has no name.
// long function: one pass over the named ARNs, each case (stays, unmapped, mapped) next to the others
fn plan_resources(
    joined: &Joined,
    tables: &Tables,
    opts: &PlanOptions,
    identities: &mut [Identity],
    sink: &mut Sink,
) -> Vec<Resource> {
    // Sorted by ARN once complete (a map of 30,000 resources was twice the memory, at the run's peak); `seen`
    // keeps the first mention of each.
    let mut resources: Vec<Resource> = Vec::new();
    let mut seen: BTreeSet<Arc<str>> = BTreeSet::new();
    // A resource shares its ARN with the role assignments scoped to it (30,000 ARNs at 10,000 apps).
    let scope_arns: BTreeSet<Arc<str>> =
        identities.iter().flat_map(|i| i.role_assignments.iter().map(|a| a.scope.aws_arn.clone())).collect();
    let arn_of = |base: String| -> Arc<str> { scope_arns.get(base.as_str()).cloned().unwrap_or_else(|| base.into()) };
    let stays: Arc<str> = "stays on AWS".into();
    // (location, base ARN, AWS name, target, naming rule) of each mapped resource: reported once its final
    // (collision-free) name is known.
    let mut renamed: Vec<Mapped> = Vec::new();
    let mut service_names: BTreeSet<Arc<str>> = BTreeSet::new();
    let server_side = server_side_keys(identities);
    // Secrets read by name → the one full ARN of that name (their assignments are on that secret).
    let mut by_name: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let statement_locs: BTreeSet<crate::diag::Loc> =
        identities.iter().flat_map(|i| i.aws_permissions.iter().map(|p| p.statement.loc)).collect();
    for (a, loc) in &joined.resources {
        let Some(arn) = Arn::parse(a) else { continue };
        if arn.resource.is_empty() || arn.resource == "*" || server_side.contains(a) {
            continue;
        }
        let aws_service = shared(&mut service_names, &arn.service);
        let Some(service) = tables.services.get(&arn.service) else {
            if !arn.has_wildcard() && seen.insert(a.clone()) {
                resources.push(Resource {
                    aws_arn: a.clone(),
                    aws_service,
                    azure_service: None,
                    azure_type: None,
                    azure_name: None,
                });
            }
            continue;
        };
        // Its grammar match and base ARN, memoised for the run (the identities' needs resolved the same ARNs).
        let Some(resolved) = need::resolved_arn(tables, &arn.service, service, a) else { continue };
        // A secret's ARN without its suffix only a statement names matches no secret (E2A047): it is no resource,
        // and takes no name from the secret a workload reads (review of 7f7888f).
        let secrets = has_secret_grammar(service);
        if secrets && need::secret_without_suffix(service, a) && statement_locs.contains(loc) {
            continue;
        }
        // A secret read by name (its suffix unknown) is the one live secret of that name, when the input names
        // exactly one by its full ARN: one Azure secret, not two tagged apart.
        if secrets
            && need::secret_without_suffix(service, &resolved.base)
            && let Some(full) = one_full_arn(joined, &resolved.base)
        {
            by_name.insert(resolved.base.clone(), full);
            continue;
        }
        let (kind, rname) = (&resolved.kind, &resolved.name);
        // An S3 access point names no bucket: no Azure resource is derived from it (the policy's grants through
        // it are reported as not translated).
        if need::names_no_resource(kind)
            || rname.contains(['*', '?'])
            || arn.account.contains(['*', '?'])
            || arn.region.contains(['*', '?'])
        {
            continue;
        }
        let base = resolved.base.clone();
        if seen.contains(base.as_str()) {
            continue;
        }
        let key = arn_of(base);
        seen.insert(key.clone());
        if opts.targets.stays(&key) {
            resources.push(Resource {
                aws_arn: key,
                aws_service,
                azure_service: Some(stays.clone()),
                azure_type: None,
                azure_name: None,
            });
            continue;
        }
        let tkey = opts.targets.target(service, &arn.service, &key).to_string();
        let (target_key, target) = service.targets.get_key_value(&tkey).expect("chosen");
        let renames = opts.targets.name_source(&target.naming, rname);
        renamed.extend(renames.map(|from| (*loc, key.clone(), from, &**target_key, &*target.naming)));
        resources.push(Resource {
            aws_arn: key,
            aws_service,
            azure_service: Some(target.azure_service.clone()),
            azure_type: Some(target.azure_type.clone()),
            azure_name: opts.targets.azure_name(&target.naming, rname),
        });
    }
    drop((scope_arns, seen));
    for a in identities.iter_mut().flat_map(|i| i.role_assignments.iter_mut()) {
        if let Some(full) = by_name.get(&*a.scope.aws_arn) {
            a.scope.aws_arn = full.clone();
        }
    }
    resources.sort_unstable_by(|a, b| a.aws_arn.cmp(&b.aws_arn));
    unique_resource_names(&mut resources, identities, &renamed, sink);
    resources
}

/// Whether a service's ARN grammar has a `secret:` resource: only then can [`need::secret_without_suffix`] hold
/// (it asks that of one of the grammar's patterns), so the ARN need not be parsed again for other services.
fn has_secret_grammar(service: &crate::mapping::load::Service) -> bool {
    service.arn_resources.iter().any(|r| r.pattern.starts_with("secret:"))
}

/// The full ARN of the one secret of the name `base` (a secret's ARN without its suffix) the input names by its
/// full ARN (`base`, `-`, six letters or digits; `-XXXXXX` stands for an unknown one and is not counted); `None`
/// when it names none or several.
fn one_full_arn(joined: &Joined, base: &str) -> Option<Arc<str>> {
    let stem = format!("{base}-");
    let full = joined
        .resources
        .range::<str, _>((std::ops::Bound::Included(stem.as_str()), std::ops::Bound::Unbounded))
        .map(|(k, _)| k)
        .take_while(|k| k.starts_with(&stem))
        .filter(|k| {
            let x = &k[stem.len()..];
            x.len() == 6 && x != "XXXXXX" && x.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .collect::<Vec<_>>();
    match full[..] {
        [one] => Some(Arc::clone(one)),
        _ => None,
    }
}

/// The KMS keys that only statements serving server-side encryption name (E2A106): no Azure key stands for them,
/// so they are not resources of the plan.
fn server_side_keys(identities: &[Identity]) -> BTreeSet<Arc<str>> {
    let (mut sse, mut other) = (BTreeSet::new(), BTreeSet::new());
    for id in identities {
        for p in &id.aws_permissions {
            let set = if id.kms_server_side.contains(&p.statement.loc) { &mut sse } else { &mut other };
            set.extend(p.statement.resource.iter().flat_map(|r| r.items.iter().map(|(x, _)| x.clone())));
        }
    }
    sse.retain(|r| !other.contains(r));
    sse
}

/// The options with the zone names the manifests give for hosted zones the config does not name (a cert-manager
/// solver's one `selector.dnsZones` entry); `None` when they add nothing.
/// The hosted zones external-dns manages with `--aws-zone-type=private` (by id, or by a domain the zone names give)
/// go to the `azure-private-dns` target, after the config's `resource_targets` (which win).
pub(super) fn zones_from_manifests(model: &Model, opts: &PlanOptions) -> Option<PlanOptions> {
    let named = super::dns_secrets::named_zones(model);
    let extra: Vec<(String, String)> = named
        .iter()
        .filter_map(|z| Some((z.id.clone()?, z.zone.clone()?)))
        .filter(|(id, _)| !opts.targets.zones.contains_key(id))
        .collect();
    let mut o = opts.clone();
    for (id, zone) in extra {
        // The first solver in input order wins (sections are in input order).
        o.targets.zones.entry(id).or_insert(zone);
    }
    let mut private: BTreeSet<String> = BTreeSet::new();
    for z in named.iter().filter(|z| z.private) {
        match (&z.id, &z.zone) {
            (Some(id), _) => _ = private.insert(id.clone()),
            (None, Some(d)) => private.extend(
                o.targets
                    .zones
                    .iter()
                    .filter(|(_, n)| n.trim_end_matches('.').eq_ignore_ascii_case(d))
                    .map(|(id, _)| id.clone()),
            ),
            (None, None) => {}
        }
    }
    o.targets.by_resource.extend(
        private.into_iter().map(|id| (format!("arn:aws:route53:::hostedzone/{id}"), "azure-private-dns".to_string())),
    );
    (o.targets.zones != opts.targets.zones || o.targets.by_resource.len() != opts.targets.by_resource.len())
        .then_some(o)
}

/// Every workload with the identity it runs as: the one its containers select with `AWS_ROLE_ARN` (E2A052: the
/// SDK assumed that role; the containers that set it get its `AZURE_CLIENT_ID`), else its ServiceAccount's.
fn workload_entries(
    model: &Model,
    joined: &Joined,
    files: &Files,
    role_identity: &BTreeMap<usize, String>,
) -> Vec<WorkloadEntry> {
    let mut workloads: Vec<WorkloadEntry> = model
        .workloads
        .iter()
        .enumerate()
        .map(|(wi, w)| {
            let si = joined.workload_sa[wi];
            let sa_identity = joined.sa_role[si]
                .filter(|_| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted()))
                .and_then(|ri| role_identity.get(&ri).cloned());
            let env_roles: Vec<EnvRoleRef> = joined
                .env_roles
                .iter()
                .filter(|e| e.workload == wi && e.verdict.as_ref().is_none_or(|v| v.admitted()))
                .filter_map(|e| {
                    Some(EnvRoleRef {
                        aws_role_arn: model.roles[e.role].arn.clone(),
                        identity: role_identity.get(&e.role)?.clone(),
                    })
                })
                .collect();
            let identity = env_roles.first().map(|e| e.identity.clone()).or(sa_identity);
            WorkloadEntry {
                kind: w.kind.clone(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                service_account: w.service_account.clone(),
                identity,
                env_roles,
                file: files.display_shared(w.template_loc.file),
                line: model.objects[w.object].loc.pos.line,
            }
        })
        .collect();
    workloads.sort_by(|a, b| (&a.name, &a.namespace, &a.kind, &a.file).cmp(&(&b.name, &b.namespace, &b.kind, &b.file)));
    workloads
}

/// True when the plan maps this ARN to an Azure queue (Storage or Service Bus) that a KEDA trigger can read.
fn is_mapped_queue(tables: &Tables, resources: &[Resource], arn: &str) -> bool {
    resource(resources, arn)
        .and_then(|r| r.azure_type.as_deref().zip(r.azure_name.as_ref()))
        .and_then(|(ty, _)| url_kind(tables, ty))
        .is_some_and(|k| k == "queue" || k == "servicebus")
}

/// The plan's findings: the config's severity overrides (`off` drops the finding), each with its file's path and
/// its waiver, sorted and unique.
fn final_findings(model: &Model, joined: &Joined, files: &Files, opts: &PlanOptions, mut sink: Sink) -> Vec<Finding> {
    let mut waivers = waivers::collect(model, &mut sink);
    // A ServiceAccount's waiver also covers the findings at the role it names (issue 18: a wider grant, E2A045,
    // is waived with a reason on the ServiceAccount, not switched off for the whole run) — only when it gets the
    // role's identity: linked to the role and admitted by its trust (review 2: a ServiceAccount the trust rejects
    // waived for the workloads that do get it).
    let gets_identity = |si: usize| joined.sa_trust[si].as_ref().is_none_or(|v| v.admitted());
    waivers::extend_to_roles(
        &mut waivers,
        (joined.sa_role.iter().enumerate())
            .filter_map(|(si, ri)| Some((si, (*ri)?)))
            .filter(|&(si, _)| gets_identity(si))
            .map(|(si, ri)| (model.service_accounts[si].loc, model.roles[ri].loc)),
    );
    let mut findings = sink.into_findings();
    // In place: the findings are the plan's.
    findings.retain_mut(|f| {
        match opts.rule_overrides.get(f.code) {
            Some(Some(sev)) => f.severity = *sev,
            Some(None) => return false,
            None => {}
        }
        f.locate(files);
        f.suppressed = waivers::waiver_for(&waivers, f).map(Into::into);
        true
    });
    // Unstable: the order is total (equal findings are written identically), and a stable sort's buffer of half
    // the findings was allocated just when memory use peaks.
    findings.sort_unstable();
    findings.dedup();
    findings
}

/// The counts of the summary line.
fn summary(
    model: &Model,
    identities: &[Identity],
    workloads: &[WorkloadEntry],
    resources: &[Resource],
    findings: &[Finding],
) -> Summary {
    let active = |s: Severity| findings.iter().filter(|f| f.severity == s && f.suppressed.is_none()).count();
    Summary {
        identities: identities.len(),
        service_accounts: model.service_accounts.len(),
        workloads: workloads.len(),
        resources: resources.len(),
        errors: active(Severity::Error),
        warnings: active(Severity::Warning),
        notes: active(Severity::Note),
        waived: findings.iter().filter(|f| f.suppressed.is_some()).count(),
    }
}
