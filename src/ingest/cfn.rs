//! IAM in CloudFormation templates (YAML with the short-form tags, which [`crate::yaml`] keeps as their long
//! form, or JSON): `AWS::IAM::Role`, `AWS::IAM::ManagedPolicy`, `AWS::IAM::Policy`, `AWS::IAM::RolePolicy`,
//! `AWS::EKS::PodIdentityAssociation` and `AWS::IAM::OIDCProvider`. Any other `AWS::IAM::` resource is named in an
//! E2A123 note (never skipped silently).
//!
//! Templates are read once every file is (from [`super::iam::finish`]): the pseudo-parameters a template leaves to
//! deploy time (`AWS::AccountId`, `AWS::Region`) are taken, where unambiguous, from the other inputs — the account
//! of the role ARN a ServiceAccount annotation names for a role of the template, the region of an EKS OIDC issuer
//! — with an E2A121 note — unless `aws:` in the config gives them. `Fn::If` and resources' `Condition` are
//! decided from the parameters' defaults (noted). An intrinsic that cannot be resolved is an E2A120 finding, and the document (or
//! attachment, or role) that holds it is left out: it is never read as a wildcard.
//!
//! Sources: AWS CloudFormation User Guide, "Intrinsic function reference", "Pseudo parameters reference",
//! "AWS::IAM::Role" (Ref returns the RoleName, `Fn::GetAtt` `Arn`), "AWS::IAM::ManagedPolicy" (Ref returns the
//! ARN), "AWS::IAM::Policy", "AWS::IAM::RolePolicy" (`PolicyDocument`, `PolicyName`, `RoleName`, all required), "AWS::EKS::PodIdentityAssociation", "AWS::IAM::OIDCProvider", "Condition
//! functions" (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`; `AWS::NoValue` removes the property).

use super::policy::read_document as read_policy;
use crate::diag::{FileId, Loc, Pos, Sink};
use crate::model::*;
use crate::rules;
use crate::yaml::{Entry, Node, Value};
use std::collections::{BTreeMap, BTreeSet};

/// True for a CloudFormation template: `AWSTemplateFormatVersion`, or a `Resources` map with an `AWS::` type.
pub fn is_template(root: &Node) -> bool {
    root.get("AWSTemplateFormatVersion").is_some()
        || root.get("Resources").and_then(Node::as_map).is_some_and(|m| {
            m.iter().any(|e| e.value.get("Type").and_then(Node::as_str).is_some_and(|t| t.starts_with("AWS::")))
        })
}

/// What the other inputs say about the deployment: the role ARNs ServiceAccounts name (by role name) and the
/// accounts and regions of the roles read from exports.
#[derive(Default)]
pub struct Context {
    /// Role name → the ARNs that name it (ServiceAccount annotations, associations).
    pub named: BTreeMap<String, BTreeSet<String>>,
    /// Accounts of exported roles.
    pub accounts: BTreeSet<String>,
    /// Regions of EKS OIDC issuers in exported trusts.
    pub regions: BTreeSet<String>,
    /// `aws:` of the config: wins over every inference.
    pub config: crate::config::AwsConfig,
}

impl Context {
    /// The context from the model as read so far.
    pub fn of(model: &Model) -> Context {
        let mut c = Context::default();
        let arns = model
            .service_accounts
            .iter()
            .filter_map(|s| s.role_arn.as_ref().map(|(a, _)| a.clone()))
            .chain(model.associations.iter().map(|a| a.role_arn.clone()));
        for arn in arns {
            if let Some(name) = arn.rsplit('/').next().filter(|n| !n.is_empty()) {
                c.named.entry(name.to_string()).or_default().insert(arn.clone());
            }
        }
        for r in model.roles.iter().filter(|r| !r.account.is_empty()) {
            c.accounts.insert(r.account.clone());
            if let Some(t) = &r.trust {
                for s in &t.statements {
                    let text = format!("{:?}", s.principal);
                    c.regions.extend(oidc_regions(&text));
                }
            }
        }
        c
    }
}

/// Regions of `oidc.eks.REGION.amazonaws.com` issuers in a text.
fn oidc_regions(text: &str) -> Vec<String> {
    text.match_indices("oidc.eks.")
        .filter_map(|(i, _)| {
            let rest = &text[i + "oidc.eks.".len()..];
            let region = rest.split('.').next()?;
            (rest[region.len()..].starts_with(".amazonaws.com")
                && !region.is_empty()
                && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
            .then(|| region.to_string())
        })
        .collect()
}

/// A value that cannot be resolved: where, and why.
#[derive(Debug, Clone)]
struct Unresolved {
    pos: Pos,
    why: String,
}

/// What `Ref` and `Fn::GetAtt` of a resource give.
#[derive(Default, Clone)]
struct Outputs {
    reference: Option<String>,
    attributes: BTreeMap<String, String>,
}

/// The names a template's intrinsics resolve against.
struct Env<'a> {
    /// Roles (index in the model) whose permissions cannot be read whole: a document that may hold a Deny, or a
    /// permissions boundary, could not be resolved. Leaving only that part out would widen access, so none of the
    /// role's permissions are translated (cleared at the end of the template, after every policy resource).
    poisoned: std::cell::RefCell<Vec<(usize, Pos, String)>>,
    parameters: BTreeMap<String, Result<String, String>>,
    pseudo: BTreeMap<&'static str, Option<String>>,
    /// The pseudo-parameters a resolved value used (their inference is noted only then).
    used: std::cell::RefCell<BTreeSet<String>>,
    resources: BTreeMap<String, Outputs>,
    mappings: Option<&'a Node>,
    /// The template's `Conditions`.
    conditions: Option<&'a Node>,
    /// The conditions a value or a resource used, and which way each went (noted).
    decided: std::cell::RefCell<BTreeMap<String, bool>>,
}

fn unresolved(pos: Pos, why: impl Into<String>) -> Unresolved {
    Unresolved { pos, why: why.into() }
}

fn scalar(text: String, pos: Pos) -> Node {
    Node { pos, end: pos, value: Value::Scalar { text, plain: false } }
}

/// The one-key mapping of an intrinsic function: its name and argument.
fn intrinsic(n: &Node) -> Option<(&str, &Node)> {
    match n.as_map()? {
        [e] if e.key == "Ref" || e.key.starts_with("Fn::") => Some((&e.key, &e.value)),
        _ => None,
    }
}

impl Env<'_> {
    /// The node with every intrinsic function replaced by its value.
    fn resolve(&self, n: &Node) -> Result<Node, Unresolved> {
        self.resolve_opt(n)?.ok_or_else(|| unresolved(n.pos, "`AWS::NoValue` stands where a value is needed"))
    }

    /// As [`Env::resolve`], `None` for `AWS::NoValue` (directly or chosen by `Fn::If`): the list item or the
    /// mapping entry that holds it is removed, as CloudFormation does.
    fn resolve_opt(&self, n: &Node) -> Result<Option<Node>, Unresolved> {
        if let Some((fun, arg)) = intrinsic(n) {
            return match fun {
                "Ref" if arg.as_str() == Some("AWS::NoValue") => Ok(None),
                "Fn::If" => self.fn_if(arg, n.pos),
                _ => self.call(fun, arg, n.pos).map(Some),
            };
        }
        Ok(Some(match &n.value {
            Value::Scalar { .. } => n.clone(),
            Value::Seq(items) => Node {
                pos: n.pos,
                end: n.end,
                value: Value::Seq(
                    items.iter().filter_map(|i| self.resolve_opt(i).transpose()).collect::<Result<_, _>>()?,
                ),
            },
            Value::Map(entries) => Node {
                pos: n.pos,
                end: n.end,
                value: Value::Map(
                    entries
                        .iter()
                        .filter_map(|e| {
                            let value = self.resolve_opt(&e.value).transpose()?;
                            Some(value.map(|value| Entry {
                                key: e.key.clone(),
                                key_pos: e.key_pos,
                                value,
                                merged: e.merged,
                            }))
                        })
                        .collect::<Result<_, _>>()?,
                ),
            },
        }))
    }

    /// `Fn::If [condition, then, else]`: the branch the condition picks with the parameters' defaults.
    fn fn_if(&self, arg: &Node, pos: Pos) -> Result<Option<Node>, Unresolved> {
        let [name, yes, no] = arg.as_seq().unwrap_or_default() else {
            return Err(unresolved(pos, "Fn::If needs [condition, value if true, value if false]"));
        };
        let name = name.as_str().unwrap_or_default();
        let holds =
            self.condition(name, pos, 0).map_err(|u| unresolved(pos, format!("Fn::If [{name}, …]: {}", u.why)))?;
        self.resolve_opt(if holds { yes } else { no })
    }

    /// Whether a condition of the template holds, decided from the parameters' defaults (and the
    /// pseudo-parameters); recorded for the note.
    fn condition(&self, name: &str, pos: Pos, depth: usize) -> Result<bool, Unresolved> {
        let Some(def) = self.conditions.and_then(|c| c.get(name)) else {
            return Err(unresolved(pos, format!("condition `{name}` is not in the template's Conditions")));
        };
        if depth > 16 {
            return Err(unresolved(pos, format!("condition `{name}` refers to itself")));
        }
        let holds = self.truth(def, depth + 1)?;
        self.decided.borrow_mut().insert(name.to_string(), holds);
        Ok(holds)
    }

    /// The value of a condition function (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`).
    fn truth(&self, n: &Node, depth: usize) -> Result<bool, Unresolved> {
        if let Some(name) = n.get("Condition").and_then(Node::as_str).filter(|_| n.as_map().map(<[_]>::len) == Some(1))
        {
            return self.condition(name, n.pos, depth);
        }
        let Some((fun, arg)) = intrinsic(n) else {
            return Err(unresolved(n.pos, "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition"));
        };
        let items = arg.as_seq().unwrap_or_default();
        match fun {
            "Fn::Equals" => match items {
                [a, b] => Ok(self.string(a)? == self.string(b)?),
                _ => Err(unresolved(n.pos, "Fn::Equals needs [value, value]")),
            },
            "Fn::Not" => match items {
                [c] => Ok(!self.truth(c, depth)?),
                _ => Err(unresolved(n.pos, "Fn::Not needs [condition]")),
            },
            "Fn::And" => items.iter().try_fold(true, |acc, c| Ok(self.truth(c, depth)? && acc)),
            "Fn::Or" => items.iter().try_fold(false, |acc, c| Ok(self.truth(c, depth)? || acc)),
            other => Err(unresolved(n.pos, format!("{other} is not a condition function"))),
        }
    }

    /// The items of a list-valued property; the property itself may be an intrinsic (`!If [C, [a, b], !Ref
    /// AWS::NoValue]`), resolved first (its items then are already resolved).
    fn items(&self, list: Option<&Node>) -> Result<Vec<Node>, Unresolved> {
        let Some(list) = list else { return Ok(Vec::new()) };
        let list = match intrinsic(list) {
            Some(_) => match self.resolve_opt(list)? {
                None => return Ok(Vec::new()),
                Some(l) => l,
            },
            None => list.clone(),
        };
        match list.value {
            Value::Seq(items) => Ok(items),
            _ => Err(unresolved(list.pos, format!("expected a list, found a {}", list.type_name()))),
        }
    }

    /// A resolved string of a list item, `None` when the item is `AWS::NoValue` (removed).
    fn item(&self, n: &Node) -> Result<Option<String>, Unresolved> {
        match self.resolve_opt(n)? {
            None => Ok(None),
            Some(r) => r
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| unresolved(n.pos, format!("expected a string, found a {}", r.type_name()))),
        }
    }

    /// A resolved string.
    fn string(&self, n: &Node) -> Result<String, Unresolved> {
        let r = self.resolve(n)?;
        r.as_str()
            .map(str::to_string)
            .ok_or_else(|| unresolved(n.pos, format!("expected a string, found a {}", r.type_name())))
    }

    fn call(&self, fun: &str, arg: &Node, pos: Pos) -> Result<Node, Unresolved> {
        let args = || arg.as_seq().unwrap_or_default();
        let text = match fun {
            "Ref" => self.reference(arg.as_str().unwrap_or_default(), pos)?,
            "Fn::GetAtt" => self.get_att(arg, pos)?,
            "Fn::Sub" => self.sub(arg, pos)?,
            "Fn::Join" => match args() {
                [delim, list] => {
                    let list = self.resolve(list)?;
                    let items = list.as_seq().ok_or_else(|| unresolved(pos, "Fn::Join needs a list"))?;
                    let parts = items.iter().map(|i| self.string(i)).collect::<Result<Vec<_>, _>>()?;
                    parts.join(delim.as_str().unwrap_or_default())
                }
                _ => return Err(unresolved(pos, "Fn::Join needs [delimiter, list]")),
            },
            "Fn::Select" => match args() {
                [index, list] => {
                    let i: usize = self.string(index)?.parse().map_err(|_| unresolved(pos, "Fn::Select index"))?;
                    let list = self.resolve(list)?;
                    let item = list
                        .as_seq()
                        .and_then(|l| l.get(i))
                        .ok_or_else(|| unresolved(pos, "Fn::Select out of range"))?;
                    return Ok(item.clone());
                }
                _ => return Err(unresolved(pos, "Fn::Select needs [index, list]")),
            },
            "Fn::Split" => match args() {
                [delim, source] => {
                    let d = delim.as_str().unwrap_or_default();
                    let s = self.string(source)?;
                    let items = if d.is_empty() { vec![s] } else { s.split(d).map(str::to_string).collect() };
                    return Ok(Node {
                        pos,
                        end: pos,
                        value: Value::Seq(items.into_iter().map(|t| scalar(t, pos)).collect()),
                    });
                }
                _ => return Err(unresolved(pos, "Fn::Split needs [delimiter, string]")),
            },
            "Fn::FindInMap" => self.find_in_map(args(), pos)?,
            "Fn::If" => {
                return self
                    .fn_if(arg, pos)?
                    .ok_or_else(|| unresolved(pos, "`AWS::NoValue` stands where a value is needed"));
            }
            "Fn::ImportValue" => {
                return Err(unresolved(pos, "Fn::ImportValue names another stack's output, which is not in the input"));
            }
            other => return Err(unresolved(pos, format!("{other} is not resolved by eks2aks"))),
        };
        Ok(scalar(text, pos))
    }

    fn reference(&self, name: &str, pos: Pos) -> Result<String, Unresolved> {
        if let Some(v) = self.pseudo.get(name) {
            self.used.borrow_mut().insert(name.to_string());
            return v.clone().ok_or_else(|| {
                unresolved(
                    pos,
                    format!("`{name}` is known only when the stack is deployed, and no other input names it"),
                )
            });
        }
        if let Some(p) = self.parameters.get(name) {
            return p.clone().map_err(|why| unresolved(pos, why));
        }
        match self.resources.get(name) {
            Some(o) => o
                .reference
                .clone()
                .ok_or_else(|| unresolved(pos, format!("`Ref {name}` is known only when the stack is deployed"))),
            None => {
                Err(unresolved(pos, format!("`Ref {name}`: no parameter or resource of that name in the template")))
            }
        }
    }

    fn get_att(&self, arg: &Node, pos: Pos) -> Result<String, Unresolved> {
        let (id, attr) = match (arg.as_str(), arg.as_seq()) {
            (Some(s), _) => s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())),
            (_, Some([a, b])) => Some((self.string(a)?, self.string(b)?)),
            _ => None,
        }
        .ok_or_else(|| unresolved(pos, "Fn::GetAtt needs [resource, attribute]"))?;
        self.resources.get(&id).and_then(|o| o.attributes.get(&attr)).cloned().ok_or_else(|| {
            unresolved(pos, format!("`Fn::GetAtt {id}.{attr}` is known only when the stack is deployed"))
        })
    }

    fn sub(&self, arg: &Node, pos: Pos) -> Result<String, Unresolved> {
        let (template, vars) = match (arg.as_str(), arg.as_seq()) {
            (Some(t), _) => (t.to_string(), None),
            (_, Some([t, v])) => (t.as_str().unwrap_or_default().to_string(), v.as_map()),
            _ => return Err(unresolved(pos, "Fn::Sub needs a string or [string, variables]")),
        };
        let mut out = String::new();
        let mut rest = template.as_str();
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.and_then(|m| m.iter().find(|e| e.key == name)) {
                out.push_str(&self.string(&v.value)?);
            } else if let Some((id, attr)) = name.split_once('.').filter(|_| !self.pseudo.contains_key(name)) {
                out.push_str(&self.get_att(&scalar(format!("{id}.{attr}"), pos), pos)?);
            } else {
                out.push_str(&self.reference(name, pos)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn find_in_map(&self, args: &[Node], pos: Pos) -> Result<String, Unresolved> {
        let [map, top, second] = args else { return Err(unresolved(pos, "Fn::FindInMap needs [map, key, key]")) };
        let (map, top, second) = (self.string(map)?, self.string(top)?, self.string(second)?);
        let found = self.mappings.and_then(|m| m.path(&[map.as_str(), top.as_str(), second.as_str()]));
        found.and_then(Node::as_str).map(str::to_string).ok_or_else(|| {
            unresolved(pos, format!("Fn::FindInMap: `{map}.{top}.{second}` is not in the template's Mappings"))
        })
    }
}

/// A resource of the template: logical id, type, properties, where.
struct Resource<'a> {
    id: &'a str,
    kind: &'a str,
    props: Option<&'a Node>,
    node: &'a Node,
}

fn resources(root: &Node) -> Vec<Resource<'_>> {
    root.get("Resources")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            Some(Resource {
                id: &e.key,
                kind: e.value.get("Type").and_then(Node::as_str)?,
                props: e.value.get("Properties"),
                node: &e.value,
            })
        })
        .collect()
}

/// Template parameters: their `Default`, or why there is none.
fn parameters(root: &Node) -> BTreeMap<String, Result<String, String>> {
    root.get("Parameters")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let value = match e.value.get("Default") {
                Some(d) => match (d.as_str(), d.as_seq()) {
                    (Some(s), _) => Ok(s.to_string()),
                    (_, Some(items)) => Ok(items.iter().filter_map(Node::as_str).collect::<Vec<_>>().join(",")),
                    _ => Err(format!("parameter `{}` has a Default that is not a string", e.key)),
                },
                None => {
                    Err(format!("parameter `{}` has no Default: its value is given when the stack is deployed", e.key))
                }
            };
            (e.key.clone(), value)
        })
        .collect()
}

fn prop<'a>(r: &Resource<'a>, key: &str) -> Option<&'a Node> {
    r.props.and_then(|p| p.get(key))
}

fn push_unresolved(sink: &mut Sink, file: FileId, what: &str, u: Unresolved) {
    sink.push(
        rules::CFN_UNRESOLVED,
        format!("{what} is left out: a CloudFormation value cannot be resolved from the input ({})", u.why),
        Some(Loc { file, pos: u.pos }),
    )
    .with_help("give the parameter a Default, or add the deployed role (aws iam get-account-authorization-details) to the input");
}

/// Each role's name: its resolved `RoleName`, else the generated name one ServiceAccount annotation names
/// (`STACK-LOGICALID-SUFFIX`), else the logical id (joined by name only). `None` when `RoleName` is unresolved.
fn role_names(
    env: &Env,
    ctx: &Context,
    roles: &[&Resource],
    file: FileId,
    notes: &mut Vec<String>,
    sink: &mut Sink,
) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for r in roles {
        let name = match prop(r, "RoleName") {
            Some(n) => match env.string(n) {
                Ok(name) => name,
                Err(u) => {
                    push_unresolved(sink, file, &format!("role `{}` (its RoleName)", r.id), u);
                    continue;
                }
            },
            None => {
                let infix = format!("-{}-", r.id);
                let generated: Vec<&String> = ctx.named.keys().filter(|n| n.contains(&infix)).collect();
                match generated[..] {
                    [one] => {
                        notes.push(format!("role `{}` has no RoleName: it is the role `{one}` a ServiceAccount names (CloudFormation's generated name)", r.id));
                        one.clone()
                    }
                    _ => {
                        notes.push(format!("role `{}` has no RoleName and no ServiceAccount names its generated name: it is joined by its logical id", r.id));
                        r.id.to_string()
                    }
                }
            }
        };
        names.insert(r.id.to_string(), name);
    }
    names
}

/// The deploy-time pseudo-parameters the other inputs settle: the account of the role ARNs ServiceAccounts name
/// for this template's roles (else of the exported roles), the region of an EKS OIDC issuer (in the template or
/// an exported trust); partition `aws`. Each inference is a note.
fn pseudo(
    ctx: &Context,
    names: &BTreeMap<String, String>,
    template_text: &str,
    notes: &mut Vec<(&'static str, String)>,
) -> BTreeMap<&'static str, Option<String>> {
    let from_sa: BTreeSet<String> = names
        .values()
        .flat_map(|n| ctx.named.get(n).into_iter().flatten())
        .filter_map(|a| Arn::parse(a).map(|x| x.account).filter(|a| !a.is_empty()))
        .collect();
    let account = match (from_sa.len(), ctx.accounts.len()) {
        _ if ctx.config.account_id.is_some() => ctx.config.account_id.clone(),
        (1, _) => from_sa.first().cloned().inspect(|a| {
            notes.push((
                "AWS::AccountId",
                format!(
                    "AWS::AccountId is {a}, the account of the role ARNs ServiceAccounts name for this template's roles"
                ),
            ))
        }),
        (0, 1) => ctx.accounts.first().cloned().inspect(|a| {
            notes.push(("AWS::AccountId", format!("AWS::AccountId is {a}, the one account of the exported roles")))
        }),
        _ => None,
    };
    let mut regions: BTreeSet<String> = oidc_regions(template_text).into_iter().collect();
    if regions.is_empty() {
        regions.clone_from(&ctx.regions);
    }
    let region = (regions.len() == 1).then(|| regions.first().cloned()).flatten();
    let region = match &ctx.config.region {
        Some(r) => Some(r.clone()),
        None => region,
    };
    if let Some(r) = region.as_ref().filter(|_| ctx.config.region.is_none()) {
        notes.push(("AWS::Region", format!("AWS::Region is {r}, the region of the EKS OIDC issuer the input names")));
    }
    BTreeMap::from([
        ("AWS::AccountId", account),
        ("AWS::Region", region),
        ("AWS::Partition", Some(ctx.config.partition.clone().unwrap_or_else(|| "aws".to_string()))),
        ("AWS::URLSuffix", Some("amazonaws.com".to_string())),
        ("AWS::StackName", None),
        ("AWS::StackId", None),
        ("AWS::NoValue", None),
        ("AWS::NotificationARNs", None),
    ])
}

/// Reads the IAM of one template into the model (see the module documentation).
pub fn read_template(model: &mut Model, ctx: &Context, file: FileId, root: &Node, sink: &mut Sink) {
    let all = resources(root);
    let roles: Vec<&Resource> = all.iter().filter(|r| r.kind == "AWS::IAM::Role").collect();
    let mut env = Env {
        parameters: parameters(root),
        pseudo: BTreeMap::new(),
        used: Default::default(),
        resources: BTreeMap::new(),
        mappings: root.get("Mappings"),
        conditions: root.get("Conditions"),
        decided: Default::default(),
        poisoned: Default::default(),
    };
    // Names first with the pseudo-parameters unknown (to find the account), then again with them.
    let first = role_names(&env, ctx, &roles, file, &mut Vec::new(), &mut Sink::default());
    let mut inferred = Vec::new();
    env.pseudo = pseudo(ctx, &first, &root.to_json().to_string(), &mut inferred);
    let mut notes = Vec::new();
    let names = role_names(&env, ctx, &roles, file, &mut notes, sink);
    let account = env.pseudo["AWS::AccountId"].clone().unwrap_or_default();
    for r in &all {
        env.resources.insert(r.id.to_string(), outputs(&env, r, &names, &account));
    }
    let exists = existence(&env, &all, &mut notes);
    let first_role = model.roles.len();
    for r in &roles {
        match (names.get(r.id), &exists[r.id]) {
            (Some(name), Ok(true)) => read_role(model, &env, file, r, name, &account, sink),
            (_, Err(u)) => push_unresolved(sink, file, &format!("role `{}`", r.id), u.clone()),
            _ => {}
        }
    }
    for r in &all {
        match &exists[r.id] {
            Ok(true) => {}
            Ok(false) => continue,
            Err(u) => {
                if matches!(r.kind, "AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" | "AWS::IAM::RolePolicy") {
                    undecided_policy(model, &env, file, r, first_role, u.clone(), sink);
                }
                continue;
            }
        }
        match r.kind {
            "AWS::IAM::ManagedPolicy" => read_managed_policy(model, &env, file, r, first_role, sink),
            "AWS::IAM::Policy" | "AWS::IAM::RolePolicy" => read_policy_resource(model, &env, file, r, first_role, sink),
            "AWS::EKS::PodIdentityAssociation" => read_association(model, &env, file, r, sink),
            "AWS::IAM::Role" | "AWS::IAM::OIDCProvider" => {}
            kind if kind.starts_with("AWS::IAM::") => not_read(file, r, sink),
            _ => {}
        }
    }
    clear_poisoned(model, &env, file, sink);
    // Noted only where a value of the template used it (a role's own ARN is the one a ServiceAccount names).
    let used = env.used.borrow();
    let mut all_notes: Vec<String> =
        inferred.into_iter().filter(|(name, _)| used.contains(*name)).map(|(_, n)| n).collect();
    all_notes.extend(
        env.decided
            .borrow()
            .iter()
            .map(|(c, holds)| format!("condition `{c}` is {holds} with the parameters' defaults")),
    );
    all_notes.extend(notes);
    if !all_notes.is_empty() {
        let text = format!("CloudFormation template: {}", all_notes.join("; "));
        sink.push(rules::IAC_VALUE_INFERRED, text, Some(Loc { file, pos: root.pos }));
    }
}

/// Whether each resource is created: its `Condition` decided from the parameters' defaults (a resource that is
/// not created is noted).
fn existence(env: &Env, all: &[Resource], notes: &mut Vec<String>) -> BTreeMap<String, Result<bool, Unresolved>> {
    let mut out = BTreeMap::new();
    for r in all {
        let exists = match r.node.get("Condition") {
            None => Ok(true),
            Some(c) => {
                let name = c.as_str().unwrap_or_default();
                env.condition(name, c.pos, 0).map_err(|u| {
                    unresolved(u.pos, format!("it is created only when condition `{name}` holds: {}", u.why))
                })
            }
        };
        if let Ok(false) = exists {
            notes.push(format!("`{}` is not created (its condition is false)", r.id));
        }
        out.insert(r.id.to_string(), exists);
    }
    out
}

/// A policy resource that may or may not be created: left out with E2A120; the roles it names lose all their
/// permissions when it may hold a Deny.
fn undecided_policy(
    model: &mut Model,
    env: &Env,
    file: FileId,
    r: &Resource,
    first_role: usize,
    u: Unresolved,
    sink: &mut Sink,
) {
    let what = format!("policy `{}`", r.id);
    push_unresolved(sink, file, &what, u);
    let (roles, _) = target_roles(model, env, file, r, first_role, &what, sink);
    if let Some(d) = prop(r, "PolicyDocument") {
        roles.iter().for_each(|&i| poison_if_deny(env, i, d, &what));
    }
}

/// An `AWS::IAM::` resource the reader does not read (users, groups and their policies, instance profiles, access
/// keys…): none of them gives a pod's role a permission, but leaving one out is said (E2A123).
fn not_read(file: FileId, r: &Resource, sink: &mut Sink) {
    sink.push(
        rules::CFN_IAM_RESOURCE_NOT_READ,
        format!(
            "CloudFormation resource `{}` ({}) is not read: eks2aks reads roles, the policies attached to them and Pod Identity associations",
            r.id, r.kind
        ),
        Some(Loc { file, pos: r.node.pos }),
    );
}

/// What `Ref` and `Fn::GetAtt` of a resource give, where the template settles it.
fn outputs(env: &Env, r: &Resource, names: &BTreeMap<String, String>, account: &str) -> Outputs {
    let mut o = Outputs::default();
    let path = prop(r, "Path").and_then(|p| env.string(p).ok()).unwrap_or_else(|| "/".into());
    match r.kind {
        "AWS::IAM::Role" => {
            if let Some(name) = names.get(r.id) {
                o.reference = Some(name.clone());
                o.attributes.insert("Arn".into(), format!("arn:aws:iam::{account}:role{path}{name}"));
            }
        }
        "AWS::IAM::ManagedPolicy" => {
            let name = prop(r, "ManagedPolicyName").and_then(|n| env.string(n).ok());
            if let Some(name) = name.or_else(|| Some(r.id.to_string())) {
                let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
                o.attributes.insert("PolicyArn".into(), arn.clone());
                o.reference = Some(arn);
            }
        }
        "AWS::IAM::OIDCProvider" => {
            if let Some(url) = prop(r, "Url").and_then(|u| env.string(u).ok()) {
                let arn = format!("arn:aws:iam::{account}:oidc-provider/{}", url.trim_start_matches("https://"));
                o.attributes.insert("Arn".into(), arn.clone());
                o.reference = Some(arn);
            }
        }
        _ => {}
    }
    o
}

/// Whether a policy document that could not be resolved may hold a Deny (or a statement whose effect cannot be
/// read): every `Effect` in it must be the literal `Allow`, and there must be one, for the answer to be no.
fn may_deny(n: &Node) -> bool {
    fn effects(n: &Node, out: &mut Vec<Option<String>>) {
        if let Some(entries) = n.as_map() {
            for e in entries {
                if e.key == "Effect" {
                    out.push(e.value.as_str().map(str::to_string));
                }
                effects(&e.value, out);
            }
        } else if let Some(items) = n.as_seq() {
            items.iter().for_each(|i| effects(i, out));
        }
    }
    let mut found = Vec::new();
    effects(n, &mut found);
    found.is_empty() || found.iter().any(|e| e.as_deref() != Some("Allow"))
}

/// Marks role `i` as not translatable whole when the document `n` that could not be resolved may hold a Deny.
fn poison_if_deny(env: &Env, i: usize, n: &Node, what: &str) {
    if may_deny(n) {
        env.poisoned.borrow_mut().push((i, n.pos, format!("{what} could not be resolved and may hold a Deny")));
    }
}

/// Clears the permissions of the roles [`Env::poisoned`] names, with an E2A120 finding for each.
fn clear_poisoned(model: &mut Model, env: &Env, file: FileId, sink: &mut Sink) {
    let roles = env.poisoned.take().into_iter().map(|(i, pos, why)| (i, Loc { file, pos }, why)).collect();
    super::leave_out_roles(model, roles, rules::CFN_UNRESOLVED, sink);
}

/// A resolved policy document, or `None` with an E2A120 finding.
fn document(env: &Env, file: FileId, n: &Node, what: &str, sink: &mut Sink) -> Option<PolicyDocument> {
    match env.resolve(n) {
        Ok(d) => read_policy(file, &d, sink),
        Err(u) => {
            push_unresolved(sink, file, what, u);
            None
        }
    }
}

/// The items of a list-valued property ([`Env::items`]), none with an E2A120 finding when the list itself cannot
/// be resolved.
fn items_or_report(env: &Env, file: FileId, list: Option<&Node>, what: &str, sink: &mut Sink) -> Vec<Node> {
    env.items(list).unwrap_or_else(|u| {
        push_unresolved(sink, file, what, u);
        Vec::new()
    })
}

/// Resolved ARNs of a list (`ManagedPolicyArns`), each unresolved one left out with a finding.
fn arns(env: &Env, file: FileId, list: Option<&Node>, what: &str, sink: &mut Sink) -> Vec<AttachedPolicy> {
    let mut out = Vec::new();
    let items = items_or_report(env, file, list, what, sink);
    for a in &items {
        match env.item(a) {
            Ok(None) => {}
            Ok(Some(arn)) => out.push(AttachedPolicy {
                name: arn.rsplit('/').next().unwrap_or(&arn).to_string(),
                arn,
                loc: Loc { file, pos: a.pos },
            }),
            Err(u) => push_unresolved(sink, file, what, u),
        }
    }
    out
}

fn read_role(model: &mut Model, env: &Env, file: FileId, r: &Resource, name: &str, account: &str, sink: &mut Sink) {
    let path = prop(r, "Path").and_then(|p| env.string(p).ok()).unwrap_or_else(|| "/".into());
    let trust = prop(r, "AssumeRolePolicyDocument")
        .and_then(|d| document(env, file, d, &format!("the trust of role `{name}`"), sink));
    let mut inline = Vec::new();
    let policies = env.items(prop(r, "Policies")).unwrap_or_else(|u| {
        // Which policies the role has is unknown: one of them may hold a Deny.
        let what = format!("the inline policies of role `{name}`");
        env.poisoned.borrow_mut().push((model.roles.len(), u.pos, format!("{what} could not be resolved")));
        push_unresolved(sink, file, &what, u);
        Vec::new()
    });
    for raw in &policies {
        let p = match intrinsic(raw).map(|_| env.resolve_opt(raw)) {
            None => raw.clone(),
            Some(Ok(Some(p))) => p,
            Some(Ok(None)) => continue,
            Some(Err(u)) => {
                let what = format!("an inline policy of role `{name}`");
                poison_if_deny(env, model.roles.len(), raw, &what);
                push_unresolved(sink, file, &what, u);
                continue;
            }
        };
        let p = &p;
        let policy_name = p.get("PolicyName").and_then(|n| env.string(n).ok()).unwrap_or_default();
        let what = format!("inline policy `{policy_name}` of role `{name}`");
        match p.get("PolicyDocument").map(|d| (d, document(env, file, d, &what, sink))) {
            Some((_, Some(d))) => inline.push(InlinePolicy { name: policy_name, document: d }),
            Some((d, None)) => poison_if_deny(env, model.roles.len(), d, &what),
            None => {}
        }
    }
    let attached = arns(env, file, prop(r, "ManagedPolicyArns"), &format!("a managed policy of role `{name}`"), sink);
    let boundary = prop(r, "PermissionsBoundary").and_then(|b| match env.string(b) {
        Ok(arn) => Some((arn, Loc { file, pos: b.pos })),
        Err(u) => {
            let what = format!("the permissions boundary of role `{name}`");
            env.poisoned.borrow_mut().push((model.roles.len(), b.pos, format!("{what} could not be resolved")));
            push_unresolved(sink, file, &what, u);
            None
        }
    });
    model.roles.push(Role {
        arn: format!("arn:aws:iam::{account}:role{path}{name}"),
        account: account.to_string(),
        name: name.to_string(),
        path,
        trust,
        inline,
        attached,
        loc: Loc { file, pos: r.node.pos },
        well_known: Vec::new(),
        source: RoleSource::CloudFormation,
        boundary,
    });
}

/// The roles of this template a policy resource is for: its `Roles` list, or the one `RoleName` of an
/// `AWS::IAM::RolePolicy`. When they cannot be resolved (E2A120), the policy may be any role's: every role of the
/// template is returned, with `true`.
fn target_roles(
    model: &Model,
    env: &Env,
    file: FileId,
    r: &Resource,
    first_role: usize,
    what: &str,
    sink: &mut Sink,
) -> (Vec<usize>, bool) {
    let all = || (first_role..model.roles.len()).collect();
    if r.kind != "AWS::IAM::RolePolicy" {
        return match named_roles(model, env, file, prop(r, "Roles"), first_role, what, sink) {
            (_, true) => (all(), true),
            (roles, false) => (roles, false),
        };
    }
    let Some(n) = prop(r, "RoleName") else {
        let l = Loc { file, pos: r.node.pos };
        sink.push(rules::MALFORMED_INPUT, format!("AWS::IAM::RolePolicy `{}` needs a RoleName", r.id), Some(l));
        return (Vec::new(), false);
    };
    match env.string(n) {
        Ok(name) => (role_named(model, file, n, &name, first_role, what, sink).into_iter().collect(), false),
        Err(u) => {
            push_unresolved(sink, file, what, u);
            (all(), true)
        }
    }
}

/// The role of this template (from `first_role` on) called `name`, or an E2A012 warning at `n`.
fn role_named(
    model: &Model,
    file: FileId,
    n: &Node,
    name: &str,
    first_role: usize,
    what: &str,
    sink: &mut Sink,
) -> Option<usize> {
    let found = (first_role..model.roles.len()).find(|&i| model.roles[i].name == name);
    if found.is_none() {
        sink.push(
            rules::UNJOINED_EXPORT,
            format!("{what} names role `{name}`, which is not in this template; analysed on its own"),
            Some(Loc { file, pos: n.pos }),
        );
    }
    found
}

/// The roles of this template (from `first_role` on) a `Roles` list names (by `Ref`, i.e. by name), and whether
/// the list or one of its items could not be resolved (reported).
fn named_roles(
    model: &Model,
    env: &Env,
    file: FileId,
    list: Option<&Node>,
    first_role: usize,
    what: &str,
    sink: &mut Sink,
) -> (Vec<usize>, bool) {
    let mut out = Vec::new();
    let mut unknown = false;
    let items = env.items(list).unwrap_or_else(|u| {
        unknown = true;
        push_unresolved(sink, file, what, u);
        Vec::new()
    });
    for n in &items {
        match env.item(n) {
            Ok(None) => {}
            Ok(Some(name)) => out.extend(role_named(model, file, n, &name, first_role, what, sink)),
            Err(u) => {
                unknown = true;
                push_unresolved(sink, file, what, u);
            }
        }
    }
    (out, unknown)
}

fn read_managed_policy(model: &mut Model, env: &Env, file: FileId, r: &Resource, first_role: usize, sink: &mut Sink) {
    let Some(arn) = env.resources.get(r.id).and_then(|o| o.reference.clone()) else { return };
    let name = arn.rsplit('/').next().unwrap_or_default().to_string();
    let what = format!("managed policy `{}`", r.id);
    let raw = prop(r, "PolicyDocument");
    let doc = raw.and_then(|d| document(env, file, d, &what, sink));
    let l = Loc { file, pos: r.node.pos };
    let (roles, unknown) = target_roles(model, env, file, r, first_role, &what, sink);
    // Attached to roles it cannot name, the policy is nobody's: its Denies clear every role it may be attached to.
    let what = if unknown { format!("{what} (its Roles)") } else { what };
    for i in roles {
        if let Some(d) = raw.filter(|_| doc.is_none() || unknown) {
            poison_if_deny(env, i, d, &what);
        }
        if unknown {
            continue;
        }
        model.roles[i].attached.push(AttachedPolicy { arn: arn.clone(), name: name.clone(), loc: l });
    }
    model.managed_policies.push(ManagedPolicy { arn, name, default_version: None, document: doc, loc: l });
}

fn read_policy_resource(model: &mut Model, env: &Env, file: FileId, r: &Resource, first_role: usize, sink: &mut Sink) {
    let name = prop(r, "PolicyName").and_then(|n| env.string(n).ok()).unwrap_or_else(|| r.id.to_string());
    let what = format!("policy `{name}`");
    let raw = prop(r, "PolicyDocument");
    let doc = raw.and_then(|d| document(env, file, d, &what, sink));
    let (roles, unknown) = target_roles(model, env, file, r, first_role, &what, sink);
    // A document whose role is unknown is nobody's: its Allows are left out, its Denies clear every role it may be.
    let what = if unknown { format!("{what} (its RoleName)") } else { what };
    let (Some(doc), Some(_), false) = (doc, raw, unknown) else {
        if let Some(d) = raw {
            roles.iter().for_each(|&i| poison_if_deny(env, i, d, &what));
        }
        return;
    };
    if roles.is_empty() {
        model.loose_documents.push(LooseDocument { document: doc, is_trust: false });
        return;
    }
    for i in roles {
        model.roles[i].inline.push(InlinePolicy { name: name.clone(), document: doc.clone() });
    }
}

fn read_association(model: &mut Model, env: &Env, file: FileId, r: &Resource, sink: &mut Sink) {
    let l = Loc { file, pos: r.node.pos };
    let get = |k: &str| prop(r, k).map(|n| env.string(n));
    let (Some(Ok(ns)), Some(Ok(sa)), Some(role)) = (get("Namespace"), get("ServiceAccount"), get("RoleArn")) else {
        sink.push(
            rules::MALFORMED_INPUT,
            format!(
                "AWS::EKS::PodIdentityAssociation `{}` needs Namespace, ServiceAccount and RoleArn, resolved",
                r.id
            ),
            Some(l),
        );
        return;
    };
    let role_arn = match role {
        Ok(a) => a,
        Err(u) => return push_unresolved(sink, file, &format!("Pod Identity association `{}`", r.id), u),
    };
    let cluster = get("ClusterName").and_then(Result::ok);
    model.associations.push(Association {
        cluster,
        session_tags: get("DisableSessionTags").and_then(Result::ok).as_deref() != Some("true"),
        ..Association::pod_identity(ns, sa, role_arn, l)
    });
}

#[cfg(test)]
mod tests {
    use crate::diag::{Files, Sink};
    use crate::ingest::{IngestOptions, read_strs};
    use crate::model::Model;

    fn read(files: &[(&str, &str)]) -> (Model, Sink) {
        let (mut f, mut sink) = (Files::default(), Sink::default());
        let model = read_strs(files, &IngestOptions::default(), &mut f, &mut sink);
        (model, sink)
    }

    const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app\n";

    fn template(resource: &str) -> String {
        format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Stage:\n    Type: String\nConditions:\n  Prod: !Equals [!Ref Stage, prod]\nResources:\n  AppRole:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app\n      ManagedPolicyArns:\n        - !Sub \"arn:${{AWS::Partition}}:iam::aws:policy/AmazonS3ReadOnlyAccess\"\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: s3:GetObject\n                Resource: {resource}\n"
        )
    }

    /// An intrinsic that cannot be resolved leaves its policy out with E2A120 at its line: never a wildcard.
    #[test]
    fn an_unresolved_intrinsic_leaves_the_policy_out_with_its_line() {
        let t = template("!If [Prod, \"arn:aws:s3:::a/*\", \"arn:aws:s3:::b/*\"]");
        let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", &t)]);
        assert_eq!(model.roles.len(), 1);
        assert_eq!(model.roles[0].arn, "arn:aws:iam::111122223333:role/app");
        assert!(model.roles[0].inline.is_empty(), "{:?}", model.roles[0].inline);
        let f: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A120").collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].loc.map(|l| l.pos.line), Some(20));
        assert!(f[0].message.contains("Fn::If") && f[0].message.contains("Stage"), "{}", f[0].message);
    }

    /// A managed policy or an `AWS::IAM::Policy` whose `Roles` cannot be resolved may be any role's: a Deny in it
    /// clears every role of the template (E2A120), and its Allows go to no role.
    #[test]
    fn a_policy_whose_roles_are_unresolved_clears_the_templates_roles_when_it_may_deny() {
        for kind in ["AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"] {
            let extra = format!(
                "  Guard:\n    Type: {kind}\n    Properties:\n      PolicyName: guard\n      Roles: [!ImportValue guarded-roles]\n      PolicyDocument:\n        Statement:\n          - Effect: Deny\n            Action: s3:DeleteObject\n            Resource: \"*\"\n"
            );
            let t = template("\"arn:aws:s3:::a/*\"") + &extra;
            let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", &t)]);
            let role = &model.roles[0];
            assert!(role.inline.is_empty() && role.attached.is_empty(), "{kind}: {role:?}");
            let messages: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A120").map(|f| &f.message).collect();
            assert!(messages.iter().any(|m| m.contains("none of role `app`'s permissions")), "{kind}: {messages:#?}");
        }
    }

    /// `Fn::If` is decided from the parameters' defaults through the template's `Conditions` (`Fn::Equals`,
    /// `Fn::Not`, `Condition`), `AWS::NoValue` removes the list item it stands for, and a resource whose
    /// `Condition` is false is not created; an E2A121 note says which way each condition went.
    #[test]
    fn fn_if_and_resource_conditions_are_decided_from_parameter_defaults() {
        let t = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
    Default: prod
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Equals [a, b], !Condition IsProd]]
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      ManagedPolicyArns:
        - !If [NotProd, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", !Ref AWS::NoValue]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !If [Both, "arn:aws:s3:::prod/*", "arn:aws:s3:::dev/*"]
        - !If
          - IsProd
          - PolicyName: prod-only
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: sqs:SendMessage
                  Resource: arn:aws:sqs:us-east-1:111122223333:prod-queue
          - !Ref AWS::NoValue
        - !If [NotProd, {PolicyName: dev-only, PolicyDocument: {Statement: []}}, !Ref AWS::NoValue]
  DebugRole:
    Type: AWS::IAM::Role
    Condition: NotProd
    Properties:
      RoleName: debug
      AssumeRolePolicyDocument: {Statement: []}
"#;
        let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", t)]);
        assert_eq!(model.roles.len(), 1, "DebugRole is not created: {:?}", model.roles);
        let role = &model.roles[0];
        assert!(role.attached.is_empty(), "{:?}", role.attached);
        let text = format!("{:?}", role.inline);
        assert!(text.contains("arn:aws:s3:::prod/*") && !text.contains("dev"), "{text}");
        assert_eq!(role.inline.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["p", "prod-only"]);
        assert!(sink.findings().iter().all(|f| f.code != "E2A120"), "{:?}", sink.findings());
        let note = sink.findings().iter().find(|f| f.code == "E2A121").expect("a note");
        assert!(note.message.contains("condition `NotProd` is false"), "{}", note.message);
        assert!(note.message.contains("`DebugRole` is not created"), "{}", note.message);
    }

    /// A resource whose `Condition` cannot be decided is left out with E2A120: a role that may not exist gets no
    /// identity, and a policy resource that may hold a Deny clears its role.
    #[test]
    fn an_undecided_resource_condition_leaves_the_resource_out() {
        let t = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "arn:aws:s3:::a/*"
  Guard:
    Type: AWS::IAM::Policy
    Condition: IsProd
    Properties:
      PolicyName: guard
      Roles: [!Ref AppRole]
      PolicyDocument:
        Statement:
          - Effect: Deny
            Action: s3:*
            Resource: "*"
  OtherRole:
    Type: AWS::IAM::Role
    Condition: IsProd
    Properties:
      RoleName: other
"#;
        let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", t)]);
        assert_eq!(model.roles.len(), 1, "{:?}", model.roles);
        assert!(model.roles[0].inline.is_empty(), "the Deny may apply: {:?}", model.roles[0].inline);
        let f: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A120").map(|f| f.message.to_string()).collect();
        assert!(f.iter().any(|m| m.contains("`OtherRole`") && m.contains("IsProd")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("none of role `app`'s permissions")), "{f:?}");
    }

    /// Hostile conditions: a cycle (`A` ↔ `B`), a condition comparing `AWS::NoValue`, and an `Fn::If` naming no
    /// condition are each E2A120 at their line (no stack overflow, nothing created or granted on a guess).
    #[test]
    fn cyclic_and_malformed_conditions_are_findings() {
        let t = r#"AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  A: !Condition B
  B: !Not [!Condition A]
  C: !Equals [x, !Ref AWS::NoValue]
Resources:
  R:
    Type: AWS::IAM::Role
    Condition: A
    Properties:
      RoleName: r
  S:
    Type: AWS::IAM::Role
    Condition: C
    Properties:
      RoleName: s
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app
      ManagedPolicyArns: !If [Missing, ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"], []]
"#;
        let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", t)]);
        assert_eq!(model.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["app"]);
        assert!(model.roles[0].attached.is_empty(), "{:?}", model.roles[0].attached);
        let f: Vec<String> =
            sink.findings().iter().filter(|f| f.code == "E2A120").map(|f| f.message.to_string()).collect();
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f.iter().any(|m| m.contains("role `R`") && m.contains("refers to itself")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("role `S`") && m.contains("AWS::NoValue")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("condition `Missing` is not in the template's Conditions")), "{f:?}");
    }

    /// Resolved, the same template gives the policy; an AWS-managed ARN is recorded as attached, as an export's.
    #[test]
    fn a_literal_resource_and_an_aws_managed_arn_are_read() {
        let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", &template("\"arn:aws:s3:::a/*\""))]);
        let role = &model.roles[0];
        assert_eq!(role.inline.len(), 1);
        assert_eq!(role.attached[0].arn, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
        assert!(sink.findings().iter().all(|f| f.code != "E2A120"));
    }

    /// A Deny that cannot be resolved must not simply go: that would widen what the role's Allows grant. None of
    /// the role's permissions are translated then (E2A120 says why); an Allow that cannot be resolved goes alone.
    #[test]
    fn an_unresolved_deny_leaves_none_of_the_role_s_permissions() {
        let t = template("\"arn:aws:s3:::a/*\"").replace(
            "                Resource: \"arn:aws:s3:::a/*\"\n",
            "                Resource: \"arn:aws:s3:::a/*\"\n        - PolicyName: guard\n          PolicyDocument:\n            Statement:\n              - Effect: Deny\n                Action: s3:GetObject\n                Resource: !If [Prod, \"arn:aws:s3:::a/secret/*\", \"arn:aws:s3:::a/x/*\"]\n",
        );
        let (model, sink) = read(&[("k8s.yaml", SA), ("iam.yaml", &t)]);
        let role = &model.roles[0];
        assert!(role.inline.is_empty() && role.attached.is_empty(), "{:?} {:?}", role.inline, role.attached);
        let f: Vec<_> = sink.findings().iter().filter(|f| f.code == "E2A120").map(|f| f.message.clone()).collect();
        assert!(f.iter().any(|m| m.contains("none of role `app`'s permissions") && m.contains("Deny")), "{f:?}");
        // The same with an Allow: only that policy goes, the others stay.
        let allow = t.replace("Effect: Deny", "Effect: Allow");
        let (model, _) = read(&[("k8s.yaml", SA), ("iam.yaml", &allow)]);
        assert_eq!(model.roles[0].inline.len(), 1);
        assert_eq!(model.roles[0].attached.len(), 1);
    }
}
