//! IAM in the JSON of `terraform show -json` — of a plan (`planned_values.root_module` and its `child_modules`,
//! with `resource_changes[].change.after_unknown` for what is known only after apply) or of a state
//! (`values.root_module`): `aws_iam_role`, `aws_iam_role_policy`, `aws_iam_policy`,
//! `aws_iam_role_policy_attachment`, `aws_iam_policy_attachment`, `aws_eks_pod_identity_association`,
//! `aws_iam_openid_connect_provider` (its ARN, and the E2A122 of a trust built from one the plan creates), and the
//! rendered `json` of `aws_iam_policy_document` data sources.
//!
//! A value unknown until apply is an E2A122 finding and the document, attachment or role that holds it is left
//! out — unless the plan's `configuration` says it is the `arn` of a role or policy of the same plan, or the `json`
//! of a policy document data source the plan has read: then that value is used. An ARN a plan leaves unknown is
//! built from the name, with the account the other inputs settle (as for CloudFormation, E2A121 note).
//!
//! Source: Terraform documentation, "JSON Output Format" (developer.hashicorp.com/terraform/internals/json-format):
//! `format_version`, `planned_values`/`values` → `root_module` → `resources[]` (`address`, `mode`, `type`,
//! `name`, `values`) and `child_modules[]`; `resource_changes[]` → `change.after_unknown`; `configuration` →
//! `root_module` → `resources[].expressions.<attr>.references` and `module_calls.<name>.module`.

use super::cfn::Context;
use super::policy::read_document as read_policy;
use crate::diag::{FileId, Loc, Pos, Sink};
use crate::model::*;
use crate::rules;
use crate::yaml::{Node, Value};
use std::collections::{BTreeMap, BTreeSet};

/// True for the JSON of `terraform show -json` (a plan or a state).
pub fn is_show_json(root: &Node) -> bool {
    root.get("format_version").is_some()
        && (root.get("planned_values").is_some()
            || root.get("values").is_some()
            || root.get("resource_changes").is_some())
}

/// One resource of the plan or state.
struct Res<'a> {
    /// Full address (`module.x.aws_iam_role.this[0]`).
    address: String,
    /// The module's address (`module.x`, empty for the root module).
    module: String,
    kind: &'a str,
    data: bool,
    values: &'a Node,
    /// `after_unknown` of its change, for a plan.
    unknown: Option<&'a Node>,
    /// Its configuration (`expressions`, `for_each_expression`), for a plan.
    config: Option<&'a Node>,
}

impl Res<'_> {
    /// Whether the plan knows an attribute only after apply (`after_unknown`).
    fn is_unknown(&self, key: &str) -> bool {
        self.unknown.and_then(|u| u.get(key)).and_then(Node::as_str) == Some("true")
    }
}

/// The resources of a module and its children, in order.
fn collect<'a>(module: &'a Node, out: &mut Vec<(&'a Node, String)>) {
    let addr = module.get("address").and_then(Node::as_str).unwrap_or_default().to_string();
    for r in module.get("resources").and_then(Node::as_seq).unwrap_or_default() {
        out.push((r, addr.clone()));
    }
    for c in module.get("child_modules").and_then(Node::as_seq).unwrap_or_default() {
        collect(c, out);
    }
}

/// The configuration of a module (`module.a.module.b`): `configuration.root_module`, then `module_calls`.
fn config_module<'a>(root: &'a Node, module: &str) -> Option<&'a Node> {
    let mut m = root.path(&["configuration", "root_module"])?;
    for part in module.split('.').collect::<Vec<_>>().chunks(2) {
        if let [_, name] = part {
            m = m.get("module_calls")?.get(name)?.get("module")?;
        }
    }
    Some(m)
}

/// The address without the instance key (`aws_iam_role.this[0]` → `aws_iam_role.this`), relative to its module.
fn config_address(address: &str, module: &str) -> String {
    let rel = address.strip_prefix(module).map(|r| r.trim_start_matches('.')).unwrap_or(address);
    match rel.find('[') {
        Some(i) => rel[..i].to_string(),
        None => rel.to_string(),
    }
}

fn resources(root: &Node) -> Vec<Res<'_>> {
    let mut raw = Vec::new();
    for key in
        [&["planned_values", "root_module"][..], &["values", "root_module"], &["prior_state", "values", "root_module"]]
    {
        if let Some(m) = root.path(key) {
            collect(m, &mut raw);
        }
    }
    let changes: BTreeMap<&str, &Node> = root
        .get("resource_changes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Some((c.get("address")?.as_str()?, c.path(&["change", "after_unknown"])?)))
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (r, module) in raw {
        let (Some(address), Some(kind), Some(values)) =
            (r.get("address").and_then(Node::as_str), r.get("type").and_then(Node::as_str), r.get("values"))
        else {
            continue;
        };
        if !seen.insert(address.to_string()) {
            continue;
        }
        let data = r.get("mode").and_then(Node::as_str) == Some("data");
        let cfg = config_address(address, &module);
        let config = config_module(root, &module).and_then(|m| {
            m.get("resources")?.as_seq()?.iter().find(|c| c.get("address").and_then(Node::as_str) == Some(cfg.as_str()))
        });
        out.push(Res {
            address: address.to_string(),
            module,
            kind,
            data,
            values,
            unknown: changes.get(address).copied(),
            config,
        });
    }
    out
}

/// Why a value is missing.
enum Missing {
    /// Known only after apply (at this position).
    Unknown(Pos),
    /// Not set.
    Absent,
}

/// The file's resources with the values the plan computes for them.
struct Plan<'a> {
    file: FileId,
    root: &'a Node,
    res: Vec<Res<'a>>,
    /// Address → attribute → value, for `arn` values built from names.
    computed: BTreeMap<String, BTreeMap<&'static str, String>>,
    /// Roles (index in the model) a policy, attachment or boundary of which cannot be read: it may hold a Deny (or
    /// limit the role), so leaving only it out would widen access; none of the role's permissions are translated.
    poisoned: std::cell::RefCell<Vec<(usize, Loc, String)>>,
}

impl<'a> Plan<'a> {
    /// A string attribute: its value, else the value its configuration references (a computed `arn`, a read data
    /// source's `json`), else why it is missing.
    fn string(&self, r: &Res, key: &str) -> Result<String, Missing> {
        match r.values.get(key) {
            Some(v) if v.as_str().is_some() && !v.is_null() => return Ok(v.as_str().unwrap_or_default().to_string()),
            _ => {}
        }
        if !r.is_unknown(key) {
            return Err(Missing::Absent);
        }
        self.referenced(r, key).ok_or(Missing::Unknown(r.values.pos))
    }

    /// The value an attribute's configuration references, when the plan knows exactly one: a computed `arn`, a
    /// read data source's attribute, followed through `each.value` (the resource's `for_each`) and `var.NAME` (the
    /// module call's argument in the parent module).
    fn referenced(&self, r: &Res, key: &str) -> Option<String> {
        let refs = r.config?.path(&["expressions", key, "references"])?;
        let mut found = BTreeSet::new();
        self.follow(&r.module, refs, r.config, 0, &mut found);
        match found.len() {
            1 => found.into_iter().next(),
            _ => None,
        }
    }

    fn follow(&self, module: &str, refs: &Node, config: Option<&Node>, depth: usize, found: &mut BTreeSet<String>) {
        if depth > 8 {
            return;
        }
        for reference in refs.as_seq().unwrap_or_default().iter().filter_map(Node::as_str) {
            if reference == "each.value" {
                if let Some(next) = config.and_then(|c| c.path(&["for_each_expression", "references"])) {
                    self.follow(module, next, None, depth + 1, found);
                }
                continue;
            }
            if let Some(var) = reference.strip_prefix("var.") {
                let (parent, call) = match module.rsplit_once(".module.") {
                    Some((p, c)) => (p.to_string(), c),
                    None => (String::new(), module.strip_prefix("module.").unwrap_or_default()),
                };
                let arg = config_module(self.root, &parent)
                    .and_then(|m| m.path(&["module_calls", call, "expressions", var, "references"]));
                if let Some(next) = arg.filter(|_| !module.is_empty()) {
                    self.follow(&parent, next, None, depth + 1, found);
                }
                continue;
            }
            let Some((target, attr)) = reference.rsplit_once('.') else { continue };
            let address = if module.is_empty() { target.to_string() } else { format!("{module}.{target}") };
            let value = self.computed.get(&address).and_then(|m| m.get(attr)).cloned().or_else(|| {
                let t = self.res.iter().find(|x| x.address == address)?;
                t.values.get(id_alias(t.kind, attr))?.as_str().map(str::to_string)
            });
            found.extend(value);
        }
    }

    /// The OIDC providers of this plan that a value's configuration is built from — referenced directly, or
    /// through a policy document data source of the same module — as (address, ARN, issuer). Module variables are
    /// not followed: the finding then names no provider, which is less helpful but not wrong.
    fn providers_behind(&self, r: &Res, key: &str) -> Vec<(String, String, String)> {
        fn references(n: &Node, out: &mut Vec<String>) {
            for e in n.as_map().unwrap_or_default() {
                match e.value.as_seq() {
                    Some(items) if e.key == "references" => {
                        out.extend(items.iter().filter_map(Node::as_str).map(str::to_string))
                    }
                    _ => references(&e.value, out),
                }
            }
            for item in n.as_seq().unwrap_or_default() {
                references(item, out);
            }
        }
        let mut refs = Vec::new();
        if let Some(e) = r.config.and_then(|c| c.path(&["expressions", key])) {
            references(e, &mut refs);
        }
        let documents = config_module(self.root, &r.module).and_then(|m| m.get("resources")?.as_seq());
        for doc in refs.clone().iter().filter_map(|x| x.strip_suffix(".json")) {
            let found =
                documents.unwrap_or_default().iter().find(|c| c.get("address").and_then(Node::as_str) == Some(doc));
            if let Some(e) = found.and_then(|c| c.get("expressions")) {
                references(e, &mut refs);
            }
        }
        let mut out = BTreeMap::new();
        for reference in &refs {
            let mut parts = reference.splitn(3, '.');
            let (Some("aws_iam_openid_connect_provider"), Some(name)) = (parts.next(), parts.next()) else { continue };
            let rel = format!("aws_iam_openid_connect_provider.{name}");
            let address = if r.module.is_empty() { rel } else { format!("{}.{rel}", r.module) };
            let Some(p) = self.res.iter().find(|x| x.address == address) else { continue };
            let arn = self.computed.get(&address).and_then(|m| m.get("arn")).cloned().unwrap_or_default();
            let issuer = self.string(p, "url").unwrap_or_default().trim_start_matches("https://").to_string();
            out.insert(address, (arn, issuer));
        }
        out.into_iter().map(|(a, (arn, issuer))| (a, arn, issuer)).collect()
    }

    /// E2A122 for a trust known only after apply because it is built from OIDC providers this plan creates.
    fn push_unknown_trust(&self, sink: &mut Sink, role: &str, r: &Res, providers: &[(String, String, String)]) {
        let pos = r.values.get("assume_role_policy").map_or(r.values.pos, |n| n.pos);
        let named: Vec<String> =
            providers.iter().map(|(a, arn, issuer)| format!("`{a}` (`{arn}`, issuer `{issuer}`)")).collect();
        let targets: Vec<String> = providers.iter().map(|(a, _, _)| format!("-target={a}")).collect();
        sink.push(
            rules::TERRAFORM_UNKNOWN,
            format!(
                "the trust of role `{role}` is left out: `{}` builds it from OIDC provider {}, which this plan creates, so Terraform knows it only after apply",
                r.address,
                named.join(", ")
            ),
            Some(Loc { file: self.file, pos }),
        )
        .with_help(format!(
            "create the provider first (`terraform apply {}`), then plan again; or read the state after apply (`terraform show -json > state.json`)",
            targets.join(" ")
        ));
    }

    fn push_unknown(&self, sink: &mut Sink, what: &str, r: &Res, m: Missing) {
        let pos = match m {
            Missing::Unknown(p) => p,
            Missing::Absent => r.values.pos,
        };
        sink.push(
            rules::TERRAFORM_UNKNOWN,
            format!("{what} is left out: `{}` has a value Terraform knows only after apply", r.address),
            Some(Loc { file: self.file, pos }),
        )
        .with_help(
            "apply, then read the state (`terraform show -json > state.json`), or add the deployed role's export",
        );
    }

    /// A JSON policy string as a document, its positions at the attribute (the text is one JSON string).
    fn document(&self, r: &Res, key: &str, what: &str, sink: &mut Sink) -> Option<PolicyDocument> {
        let text = match self.string(r, key) {
            Ok(t) => t,
            Err(Missing::Absent) => return None,
            Err(m) => {
                self.push_unknown(sink, what, r, m);
                return None;
            }
        };
        let at = r.values.get(key).map_or(r.values.pos, |n| n.pos);
        if r.is_unknown(key) && !text.trim_start().starts_with('{') {
            // The one value its configuration references is not the document (`jsonencode({… = aws_x.y.arn})`):
            // the document itself is unknown.
            self.push_unknown(sink, what, r, Missing::Unknown(at));
            return None;
        }
        match crate::yaml::parse_json(&text) {
            Ok(docs) => docs.into_iter().next().and_then(|d| read_policy(self.file, &relocate(d.root, at), sink)),
            Err(e) => {
                sink.push(
                    rules::MALFORMED_INPUT,
                    format!("{what} in `{}` is not JSON: {}", r.address, e.message),
                    Some(Loc { file: self.file, pos: at }),
                );
                None
            }
        }
    }
}

/// A node with every position set to `at` (a document parsed from a JSON string sits at that string).
fn relocate(mut n: Node, at: Pos) -> Node {
    n.pos = at;
    n.end = at;
    n.value = match n.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(|i| relocate(i, at)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|mut e| {
                    e.key_pos = at;
                    e.value = relocate(e.value, at);
                    e
                })
                .collect(),
        ),
        v => v,
    };
    n
}

/// The account the plan's roles are in: the one their known ARNs name, else the one the role ARNs ServiceAccounts
/// name for them, else the one of the exported roles (each inference a note).
fn account(plan: &Plan, ctx: &Context, notes: &mut Vec<String>) -> String {
    if let Some(a) = &ctx.config.account_id {
        return a.clone();
    }
    let roles = plan.res.iter().filter(|r| r.kind == "aws_iam_role" && !r.data);
    let known: BTreeSet<String> =
        roles.clone().filter_map(|r| Arn::parse(r.values.get("arn")?.as_str()?)).map(|a| a.account).collect();
    if known.len() == 1 {
        return known.into_iter().next().unwrap_or_default();
    }
    let from_sa: BTreeSet<String> = roles
        .filter_map(|r| plan.string(r, "name").ok())
        .flat_map(|n| ctx.named.get(&n).cloned().unwrap_or_default())
        .filter_map(|a| Arn::parse(&a).map(|x| x.account).filter(|a| !a.is_empty()))
        .collect();
    if from_sa.len() == 1 {
        // The role's own ARN is then the one a ServiceAccount names: nothing to note.
        return from_sa.into_iter().next().unwrap_or_default();
    }
    let from_plan = plan_accounts(plan);
    if from_plan.len() == 1 {
        let (a, address) = from_plan.into_iter().next().unwrap_or_default();
        notes.push(format!("the account is {a}, the one `{address}` gives"));
        return a;
    }
    match (from_sa.len(), ctx.accounts.len()) {
        (0, 1) => {
            let a = ctx.accounts.first().cloned().unwrap_or_default();
            notes.push(format!("the account is {a}, the one account of the exported roles"));
            a
        }
        _ => String::new(),
    }
}

/// The accounts the plan itself states, each with the first address that gives it: `account_id` of
/// `data.aws_caller_identity`, and the known ARN of an OIDC provider (managed or data source).
fn plan_accounts(plan: &Plan) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in &plan.res {
        let account = match r.kind {
            "aws_caller_identity" if r.data => r.values.get("account_id").and_then(Node::as_str).map(str::to_string),
            "aws_iam_openid_connect_provider" => {
                r.values.get("arn").and_then(Node::as_str).and_then(Arn::parse).map(|a| a.account)
            }
            _ => None,
        };
        if let Some(a) = account.filter(|a| !a.is_empty()) {
            out.entry(a).or_insert_with(|| r.address.clone());
        }
    }
    out
}

/// Reads the IAM of one `terraform show -json` output into the model (see the module documentation).
pub fn read_show_json(model: &mut Model, ctx: &Context, file: FileId, root: &Node, sink: &mut Sink) {
    let mut plan = Plan { file, root, res: resources(root), computed: BTreeMap::new(), poisoned: Default::default() };
    let mut notes = Vec::new();
    let account = account(&plan, ctx, &mut notes);
    let partition = ctx.config.partition.as_deref().unwrap_or("aws");
    let mut computed = BTreeMap::new();
    for r in plan.res.iter().filter(|r| !r.data) {
        let (kind, attr) = match r.kind {
            "aws_iam_role" => ("role", "arn"),
            "aws_iam_policy" => ("policy", "arn"),
            "aws_iam_openid_connect_provider" => ("oidc-provider", "arn"),
            _ => continue,
        };
        let known = r.values.get("arn").and_then(Node::as_str).map(str::to_string);
        let built = if kind == "oidc-provider" {
            // The provider's ARN is its issuer's host and path (IAM `CreateOpenIDConnectProvider`).
            let url = plan.string(r, "url").ok();
            url.map(|u| format!("arn:{partition}:iam::{account}:oidc-provider/{}", u.trim_start_matches("https://")))
        } else {
            plan.string(r, "name").ok().map(|name| {
                let path = plan.string(r, "path").unwrap_or_else(|_| "/".into());
                format!("arn:{partition}:iam::{account}:{kind}{path}{name}")
            })
        };
        if let Some(arn) = known.or(built) {
            computed.insert(r.address.clone(), BTreeMap::from([(attr, arn)]));
        }
    }
    plan.computed = computed;
    if !notes.is_empty() {
        sink.push(
            rules::IAC_VALUE_INFERRED,
            format!("Terraform plan: {}", notes.join("; ")),
            Some(Loc { file, pos: root.pos }),
        );
    }
    let first_role = model.roles.len();
    for r in plan.res.iter().filter(|r| !r.data) {
        match r.kind {
            "aws_iam_role" => read_role(model, &plan, r, &account, sink),
            "aws_iam_policy" => read_managed(model, &plan, r, sink),
            _ => {}
        }
    }
    for r in plan.res.iter().filter(|r| !r.data) {
        match r.kind {
            "aws_iam_role_policy" => read_role_policy(model, &plan, r, first_role, sink),
            "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                read_attachment(model, &plan, r, first_role, sink)
            }
            "aws_eks_pod_identity_association" => read_association(model, &plan, r, sink),
            _ => {}
        }
    }
    clear_poisoned(model, &plan, sink);
}

/// Clears the permissions of the roles [`Plan::poisoned`] names, with an E2A122 finding for each.
fn clear_poisoned(model: &mut Model, plan: &Plan, sink: &mut Sink) {
    super::leave_out_roles(model, plan.poisoned.take(), rules::TERRAFORM_UNKNOWN, sink);
}

fn loc(plan: &Plan, r: &Res) -> Loc {
    Loc { file: plan.file, pos: r.values.pos }
}

fn read_role(model: &mut Model, plan: &Plan, r: &Res, account: &str, sink: &mut Sink) {
    let name = match plan.string(r, "name") {
        Ok(n) => n,
        Err(m) => return plan.push_unknown(sink, "the role (its name)", r, m),
    };
    let what = |x: &str| format!("{x} of role `{name}`");
    let providers = plan.providers_behind(r, "assume_role_policy");
    // Checked before the value is looked up: a `jsonencode` trust that references only the provider's `arn` would
    // otherwise resolve to that ARN, which is not the document.
    let trust = match r.is_unknown("assume_role_policy") {
        true if !providers.is_empty() => {
            plan.push_unknown_trust(sink, &name, r, &providers);
            None
        }
        _ => plan.document(r, "assume_role_policy", &what("the trust"), sink),
    };
    let mut inline = Vec::new();
    for p in r.values.get("inline_policy").and_then(Node::as_seq).unwrap_or_default() {
        let policy_name = p.get("name").and_then(Node::as_str).unwrap_or_default().to_string();
        let Some(text) = p.get("policy").and_then(Node::as_str).filter(|t| !t.is_empty()) else { continue };
        let doc = crate::yaml::parse_json(text).ok().and_then(|d| d.into_iter().next());
        match doc.and_then(|d| read_policy(plan.file, &relocate(d.root, p.pos), sink)) {
            Some(document) => inline.push(InlinePolicy { name: policy_name, document }),
            None => {
                sink.push(
                    rules::MALFORMED_INPUT,
                    format!("inline policy `{policy_name}` of role `{name}` is not a JSON policy"),
                    Some(Loc { file: plan.file, pos: p.pos }),
                );
            }
        }
    }
    let attached = r
        .values
        .get("managed_policy_arns")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            let arn = a.as_str()?.to_string();
            Some(AttachedPolicy {
                name: arn.rsplit('/').next().unwrap_or(&arn).to_string(),
                arn,
                loc: Loc { file: plan.file, pos: a.pos },
            })
        })
        .collect();
    let path = plan.string(r, "path").unwrap_or_else(|_| "/".into());
    if let Err(Missing::Unknown(p)) = plan.string(r, "permissions_boundary") {
        let why = "its permissions boundary is known only after apply".to_string();
        plan.poisoned.borrow_mut().push((model.roles.len(), Loc { file: plan.file, pos: p }, why));
    }
    let arn = plan.computed.get(&r.address).and_then(|m| m.get("arn")).cloned().unwrap_or_default();
    let account = Arn::parse(&arn).map(|a| a.account).unwrap_or_else(|| account.to_string());
    model.roles.push(Role {
        arn,
        account,
        name,
        path,
        trust,
        inline,
        attached,
        loc: loc(plan, r),
        well_known: Vec::new(),
        source: RoleSource::Terraform,
        boundary: plan.string(r, "permissions_boundary").ok().filter(|b| !b.is_empty()).map(|b| (b, loc(plan, r))),
    });
}

fn read_managed(model: &mut Model, plan: &Plan, r: &Res, sink: &mut Sink) {
    let Some(arn) = plan.computed.get(&r.address).and_then(|m| m.get("arn")).cloned() else {
        let m = plan.string(r, "name").err().unwrap_or(Missing::Absent);
        return plan.push_unknown(sink, "the policy (its name)", r, m);
    };
    let name = arn.rsplit('/').next().unwrap_or_default().to_string();
    let document = plan.document(r, "policy", &format!("the document of policy `{name}`"), sink);
    model.managed_policies.push(ManagedPolicy { arn, name, default_version: None, document, loc: loc(plan, r) });
}

/// The plan's role (from `first_role` on) of a name.
fn role_named(model: &Model, first_role: usize, name: &str) -> Option<usize> {
    (first_role..model.roles.len()).find(|&i| model.roles[i].name == name)
}

fn read_role_policy(model: &mut Model, plan: &Plan, r: &Res, first_role: usize, sink: &mut Sink) {
    let (role, name) = match (plan.string(r, "role"), plan.string(r, "name")) {
        (Ok(role), Ok(name)) => (role, name),
        (Err(m), _) | (_, Err(m)) => return plan.push_unknown(sink, "the role policy", r, m),
    };
    let Some(document) = plan.document(r, "policy", &format!("inline policy `{name}` of role `{role}`"), sink) else {
        let unreadable = !matches!(plan.string(r, "policy"), Err(Missing::Absent));
        if let (Some(i), true) = (role_named(model, first_role, &role), unreadable) {
            let why = format!("its policy `{}` cannot be read", r.address);
            plan.poisoned.borrow_mut().push((i, loc(plan, r), why));
        }
        return;
    };
    match role_named(model, first_role, &role) {
        Some(i) => model.roles[i].inline.push(InlinePolicy { name, document }),
        None => {
            sink.push(
                rules::UNJOINED_EXPORT,
                format!("`{}` is a policy of role `{role}`, which is not in this plan; analysed on its own", r.address),
                Some(loc(plan, r)),
            );
            model.loose_documents.push(LooseDocument { document, is_trust: false });
        }
    }
}

fn read_attachment(model: &mut Model, plan: &Plan, r: &Res, first_role: usize, sink: &mut Sink) {
    let arn = match plan.string(r, "policy_arn") {
        Ok(a) => a,
        Err(m) => {
            if let Some(i) = plan.string(r, "role").ok().and_then(|role| role_named(model, first_role, &role)) {
                let why = format!("the policy `{}` attaches is known only after apply", r.address);
                plan.poisoned.borrow_mut().push((i, loc(plan, r), why));
            }
            return plan.push_unknown(sink, "the attachment", r, m);
        }
    };
    let roles: Vec<String> = match plan.string(r, "role") {
        Ok(role) => vec![role],
        Err(Missing::Absent) => r
            .values
            .get("roles")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        Err(m) => return plan.push_unknown(sink, "the attachment", r, m),
    };
    for role in roles {
        let a = AttachedPolicy {
            name: arn.rsplit('/').next().unwrap_or(&arn).to_string(),
            arn: arn.clone(),
            loc: loc(plan, r),
        };
        match role_named(model, first_role, &role) {
            Some(i) => model.roles[i].attached.push(a),
            None => {
                sink.push(
                    rules::UNJOINED_EXPORT,
                    format!(
                        "`{}` attaches `{arn}` to role `{role}`, which is not in this plan; the attachment is not used",
                        r.address
                    ),
                    Some(loc(plan, r)),
                );
            }
        }
    }
}

fn read_association(model: &mut Model, plan: &Plan, r: &Res, sink: &mut Sink) {
    let get = |k: &str| plan.string(r, k);
    let (ns, sa, role_arn) = match (get("namespace"), get("service_account"), get("role_arn")) {
        (Ok(ns), Ok(sa), Ok(role)) => (ns, sa, role),
        (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => {
            return plan.push_unknown(sink, "the Pod Identity association", r, m);
        }
    };
    model.associations.push(Association {
        cluster: get("cluster_name").ok(),
        session_tags: r.values.get("disable_session_tags").and_then(Node::as_str) != Some("true"),
        ..Association::pod_identity(ns, sa, role_arn, loc(plan, r))
    });
}

/// The attribute an `id` reference stands for: an `aws_iam_role`'s `id` is its name (terraform-provider-aws,
/// website/docs/r/iam_role.html.markdown, "`id` - Name of the role."), known only after apply in a plan, so
/// `role = aws_iam_role.x.id` (the registry's `aws_iam_role_policy` example) reads its `name`.
fn id_alias<'k>(kind: &str, attr: &'k str) -> &'k str {
    match (kind, attr) {
        ("aws_iam_role", "id") => "name",
        _ => attr,
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::{Files, Sink};
    use crate::ingest::{IngestOptions, read_str};

    /// A plan's role with an AWS-managed ARN (recorded as attached, as an export's) and a policy known only after
    /// apply, which no configuration reference settles: E2A122, and the policy is left out.
    #[test]
    fn unknown_values_are_findings_and_managed_arns_are_attached() {
        let text = r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[
            {"address":"aws_iam_role.a","mode":"managed","type":"aws_iam_role","name":"a","values":{"name":"app","path":"/",
             "managed_policy_arns":["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"],"assume_role_policy":"{\"Statement\":[]}"}},
            {"address":"aws_iam_role_policy.p","mode":"managed","type":"aws_iam_role_policy","name":"p","values":{"name":"p","role":"app"}},
            {"address":"aws_iam_role.b","mode":"managed","type":"aws_iam_role","name":"b","values":{"name":"other","path":"/",
             "managed_policy_arns":["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"],"assume_role_policy":"{\"Statement\":[]}"}}]}},
          "resource_changes":[{"address":"aws_iam_role_policy.p","change":{"after_unknown":{"policy":true}}}]}"#;
        let (mut files, mut sink) = (Files::default(), Sink::default());
        let model = read_str("plan.json", text, &IngestOptions::default(), &mut files, &mut sink);
        assert_eq!(model.roles.len(), 2);
        let other = model.roles.iter().find(|r| r.name == "other").unwrap();
        assert_eq!(other.attached[0].arn, "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess");
        // The unknown policy may hold a Deny: none of `app`'s permissions are translated, not just the unknown one.
        let app = model.roles.iter().find(|r| r.name == "app").unwrap();
        assert!(app.inline.is_empty() && app.attached.is_empty(), "{:?}", app.attached);
        let unknown: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A122").collect();
        assert_eq!(unknown.len(), 2, "{unknown:?}");
        assert!(
            unknown.iter().any(|f| f.message.contains("aws_iam_role_policy.p") && f.loc.map(|l| l.pos.line) == Some(4))
        );
        assert!(unknown.iter().any(|f| f.message.contains("none of role `app`'s permissions")));
    }

    /// The Terraform registry's `aws_iam_role_policy` example writes `role = aws_iam_role.x.id`; a role's `id` is
    /// its name (terraform-provider-aws, website/docs/r/iam_role.html.markdown: "`id` - Name of the role."), known
    /// only after apply in a plan, so it resolves like `.name`. Its `unique_id` (`AROA…`) is not the name: still
    /// unknown (E2A122).
    #[test]
    fn a_role_policy_naming_its_role_by_id_is_joined() {
        let plan = |attr: &str| {
            format!(
                r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[
            {{"address":"aws_iam_role.up","mode":"managed","type":"aws_iam_role","name":"up","values":{{"name":"up","path":"/"}}}},
            {{"address":"aws_iam_role_policy.known","mode":"managed","type":"aws_iam_role_policy","name":"known",
             "values":{{"name":"known","policy":"{{\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::media-up/*\"}}]}}"}}}}]}}}},
          "resource_changes":[{{"address":"aws_iam_role_policy.known","change":{{"after_unknown":{{"role":true}}}}}}],
          "configuration":{{"root_module":{{"resources":[
            {{"address":"aws_iam_role_policy.known","mode":"managed","type":"aws_iam_role_policy","name":"known","expressions":{{
              "role":{{"references":["aws_iam_role.up.{attr}","aws_iam_role.up"]}}}}}}]}}}}}}"#
            )
        };
        for (attr, joined) in [("id", true), ("name", true), ("unique_id", false)] {
            let (mut files, mut sink) = (Files::default(), Sink::default());
            let model = read_str("plan.json", &plan(attr), &IngestOptions::default(), &mut files, &mut sink);
            let up = model.roles.iter().find(|r| r.name == "up").unwrap();
            assert_eq!(up.inline.iter().any(|p| p.name == "known"), joined, "{attr}: {:?}", sink.findings());
            assert_eq!(sink.findings().iter().any(|f| f.code == "E2A122"), !joined, "{attr}: {:?}", sink.findings());
        }
    }

    /// A plan that creates the cluster's OIDC provider: the trust built from it (through a policy document data
    /// source) is known only after apply. The account comes from `data.aws_caller_identity` (a note says so), the
    /// provider's ARN is built from its `url`, and the E2A122 on the trust names the provider, its issuer and the
    /// targeted apply that settles it.
    #[test]
    fn a_trust_built_from_an_oidc_provider_of_the_plan_names_it() {
        let text = r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[
            {"address":"aws_iam_openid_connect_provider.eks","mode":"managed","type":"aws_iam_openid_connect_provider","name":"eks",
             "values":{"url":"https://oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C","client_id_list":["sts.amazonaws.com"]}},
            {"address":"aws_iam_role.app","mode":"managed","type":"aws_iam_role","name":"app","values":{"name":"app","path":"/"}},
            {"address":"aws_iam_role.inline","mode":"managed","type":"aws_iam_role","name":"inline","values":{"name":"inline","path":"/"}},
            {"address":"aws_iam_role_policy.pass","mode":"managed","type":"aws_iam_role_policy","name":"pass","values":{"name":"pass","role":"inline"}}]}},
          "prior_state":{"values":{"root_module":{"resources":[
            {"address":"data.aws_caller_identity.current","mode":"data","type":"aws_caller_identity","name":"current",
             "values":{"account_id":"111122223333","arn":"arn:aws:iam::111122223333:user/ci"}}]}}},
          "resource_changes":[
            {"address":"aws_iam_openid_connect_provider.eks","change":{"after_unknown":{"arn":true}}},
            {"address":"aws_iam_role.app","change":{"after_unknown":{"arn":true,"assume_role_policy":true}}},
            {"address":"aws_iam_role.inline","change":{"after_unknown":{"arn":true,"assume_role_policy":true}}},
            {"address":"aws_iam_role_policy.pass","change":{"after_unknown":{"policy":true}}}],
          "configuration":{"root_module":{"resources":[
            {"address":"aws_iam_role.app","mode":"managed","type":"aws_iam_role","name":"app","expressions":{
              "assume_role_policy":{"references":["data.aws_iam_policy_document.trust.json","data.aws_iam_policy_document.trust"]}}},
            {"address":"aws_iam_role_policy.pass","mode":"managed","type":"aws_iam_role_policy","name":"pass","expressions":{
              "policy":{"references":["aws_iam_role.app.arn","aws_iam_role.app"]}}},
            {"address":"aws_iam_role.inline","mode":"managed","type":"aws_iam_role","name":"inline","expressions":{
              "assume_role_policy":{"references":["aws_iam_openid_connect_provider.eks.arn","aws_iam_openid_connect_provider.eks"]}}},
            {"address":"data.aws_iam_policy_document.trust","mode":"data","type":"aws_iam_policy_document","name":"trust","expressions":{
              "statement":[{"principals":[{"identifiers":{"references":["aws_iam_openid_connect_provider.eks.arn","aws_iam_openid_connect_provider.eks"]}}],
                "condition":[{"variable":{"references":["aws_iam_openid_connect_provider.eks.url","aws_iam_openid_connect_provider.eks"]}}]}]}}]}}}"#;
        let (mut files, mut sink) = (Files::default(), Sink::default());
        let model = read_str("plan.json", text, &IngestOptions::default(), &mut files, &mut sink);
        let app = model.roles.iter().find(|r| r.name == "app").unwrap();
        assert_eq!(app.arn, "arn:aws:iam::111122223333:role/app");
        // `pass`'s policy is a `jsonencode` that references only `app`'s ARN: unknown, not malformed.
        assert!(
            sink.findings().iter().any(|f| f.code == "E2A122" && f.message.contains("aws_iam_role_policy.pass")),
            "{:?}",
            sink.findings()
        );
        assert!(app.trust.is_none());
        let notes: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A121").collect();
        assert!(notes.iter().any(|f| f.message.contains("`data.aws_caller_identity.current`")), "{notes:?}");
        // `inline`'s trust is a `jsonencode` that references only the provider's ARN: never read as that ARN.
        assert!(sink.findings().iter().all(|f| f.code != "E2A001"), "{:?}", sink.findings());
        let unknown: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A122").collect();
        assert!(unknown.iter().any(|f| f.message.contains("role `inline`")), "{unknown:?}");
        let trust = unknown.iter().find(|f| f.message.contains("role `app`")).unwrap();
        assert!(trust.message.contains("`aws_iam_openid_connect_provider.eks`"), "{}", trust.message);
        assert!(trust.message.contains("oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C"), "{}", trust.message);
        assert!(
            trust
                .message
                .contains("arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/0A1B2C"),
            "{}",
            trust.message
        );
        let help = trust.help.as_deref().unwrap_or_default();
        assert!(help.contains("terraform apply -target=aws_iam_openid_connect_provider.eks"), "{help}");
    }
}
