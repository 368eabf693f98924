//! AWS IAM in the shapes users export it: `get-account-authorization-details`, `get-role`, `list-roles`,
//! `get-role-policy`, `get-policy` + `get-policy-version`, `list-attached-role-policies`, eksctl `ClusterConfig`,
//! and bare policy or trust documents.
//!
//! Exports that do not name what they belong to (`get-policy-version` has no policy ARN,
//! `list-attached-role-policies` no role name) are paired with their siblings in the same directory in
//! [`finish`]; what cannot be paired is reported, never dropped.

use super::policy::read_document as read_policy;
use crate::diag::{FileId, Files, Loc, Sink};
use crate::model::*;
use crate::rules;
use crate::yaml::Node;
use std::path::PathBuf;

/// Pieces that wait for a sibling file.
#[derive(Debug, Default)]
pub struct Pending {
    role_policies: Vec<(String, InlinePolicy, Loc)>,
    policy_versions: Vec<(PathBuf, String, bool, PolicyDocument, Loc)>,
    attached_lists: Vec<(PathBuf, Vec<AttachedPolicy>, Loc)>,
    get_roles: Vec<(PathBuf, usize)>,
    get_policies: Vec<(PathBuf, usize)>,
    /// eksctl files: the cluster's account (when the file's ARNs name exactly one) and region.
    eksctl_files: Vec<(FileId, Option<String>, Option<String>)>,
    /// `list-pod-identity-associations` entries (no role): cluster, namespace, ServiceAccount, association id.
    listed_associations: Vec<(String, String, String, String, Loc)>,
    /// CloudFormation templates, read once every file is (their pseudo-parameters may come from other files).
    templates: Vec<(FileId, Node)>,
    /// `terraform show -json` outputs.
    terraform: Vec<(FileId, Node)>,
}

impl Pending {
    /// Appends the pieces of the next file, whose role and policy indices start at the given offsets.
    pub fn append(&mut self, other: Pending, roles_offset: usize, policies_offset: usize) {
        self.role_policies.extend(other.role_policies);
        self.policy_versions.extend(other.policy_versions);
        self.attached_lists.extend(other.attached_lists);
        self.get_roles.extend(other.get_roles.into_iter().map(|(d, i)| (d, i + roles_offset)));
        self.get_policies.extend(other.get_policies.into_iter().map(|(d, i)| (d, i + policies_offset)));
        self.eksctl_files.extend(other.eksctl_files);
        self.listed_associations.extend(other.listed_associations);
        self.templates.extend(other.templates);
        self.terraform.extend(other.terraform);
    }
}

fn loc(file: FileId, n: &Node) -> Loc {
    Loc { file, pos: n.pos }
}

fn s<'a>(n: &'a Node, k: &str) -> Option<&'a str> {
    n.get(k).and_then(Node::as_str)
}

/// Reads a role object as `get-account-authorization-details`, `get-role` and `list-roles` print it.
fn read_role(model: &mut Model, file: FileId, r: &Node, sink: &mut Sink) -> Option<usize> {
    let Some(arn_text) = s(r, "Arn") else {
        sink.push(rules::MALFORMED_INPUT, "IAM role has no `Arn`", Some(loc(file, r)));
        return None;
    };
    let Some(arn) = Arn::parse(arn_text).filter(|a| a.role_path_and_name().is_some()) else {
        sink.push(
            rules::MALFORMED_INPUT,
            format!("`Arn` is not an IAM role ARN: {arn_text:?}"),
            Some(loc(file, r.get("Arn").expect("checked"))),
        );
        return None;
    };
    let (path, name) = arn.role_path_and_name().expect("checked");
    let trust = r.get("AssumeRolePolicyDocument").and_then(|d| read_policy(file, d, sink));
    let mut inline = Vec::new();
    for p in r.get("RolePolicyList").and_then(Node::as_seq).unwrap_or_default() {
        if let (Some(n), Some(d)) = (s(p, "PolicyName"), p.get("PolicyDocument"))
            && let Some(document) = read_policy(file, d, sink)
        {
            inline.push(InlinePolicy { name: n.to_string(), document });
        }
    }
    let attached = read_attached(file, r.get("AttachedManagedPolicies"));
    model.roles.push(Role {
        arn: arn.to_string(),
        account: arn.account.clone(),
        name,
        path,
        trust,
        inline,
        attached,
        loc: loc(file, r),
        well_known: Vec::new(),
        source: RoleSource::Export,
        boundary: r
            .path(&["PermissionsBoundary", "PermissionsBoundaryArn"])
            .and_then(|b| b.as_str().map(|a| (a.to_string(), loc(file, b)))),
    });
    Some(model.roles.len() - 1)
}

fn read_attached(file: FileId, list: Option<&Node>) -> Vec<AttachedPolicy> {
    list.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            Some(AttachedPolicy {
                arn: s(a, "PolicyArn")?.to_string(),
                name: s(a, "PolicyName").unwrap_or_default().to_string(),
                loc: loc(file, a),
            })
        })
        .collect()
}

/// Reads a managed policy as `get-account-authorization-details` prints it: only the default version counts.
fn read_managed(model: &mut Model, file: FileId, p: &Node, sink: &mut Sink) {
    let Some(arn) = s(p, "Arn") else {
        sink.push(rules::MALFORMED_INPUT, "managed policy has no `Arn`", Some(loc(file, p)));
        return;
    };
    let default_id = s(p, "DefaultVersionId");
    let versions = p.get("PolicyVersionList").and_then(Node::as_seq).unwrap_or_default();
    let is_default = |v: &&Node| {
        v.get("IsDefaultVersion").and_then(Node::as_str).is_some_and(|b| b.eq_ignore_ascii_case("true"))
            || (default_id.is_some() && s(v, "VersionId") == default_id)
    };
    let defaults: Vec<&Node> = versions.iter().filter(is_default).collect();
    // Review of 7f7888f: `DefaultVersionId` naming one version and `IsDefaultVersion` marking another cannot both
    // be AWS's answer; taking the first in list order used whichever came first, the wider one in the review's
    // export. Which version is in force cannot be told, so the export is refused at the policy.
    if defaults.len() > 1 {
        let ids: Vec<&str> = defaults.iter().map(|v| s(v, "VersionId").unwrap_or("?")).collect();
        sink.push(
            rules::MALFORMED_INPUT,
            format!(
                "managed policy `{arn}`: its export marks more than one default version ({}: `DefaultVersionId` and `IsDefaultVersion` disagree), so which one is in force cannot be told; export it again",
                ids.join(", ")
            ),
            Some(loc(file, p)),
        );
    }
    let default = defaults.first().filter(|_| defaults.len() == 1);
    let document = default.and_then(|v| v.get("Document")).and_then(|d| read_policy(file, d, sink));
    model.managed_policies.push(ManagedPolicy {
        arn: arn.to_string(),
        name: s(p, "PolicyName").unwrap_or_default().to_string(),
        default_version: default_id.map(str::to_string),
        document,
        loc: loc(file, p),
    });
}

/// The root keys of `get-account-authorization-details` output.
const EXPORT_KEYS: [&str; 4] = ["RoleDetailList", "Policies", "UserDetailList", "GroupDetailList"];

/// Why [`read_export`] left a JSON file to the whole-file reader: not an export, or something that reader must
/// judge (a syntax error, a duplicate key, deep nesting).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotRead {
    /// The text is strict JSON (serde_json read it), so that check need not run again.
    pub strict_json: bool,
}

/// A JSON root object as serde_json sees it without building a tree: its keys in order, with each value as its
/// slice of the text, and an export's two lists as their items' slices.
struct RootProbe<'a>(Vec<(String, ProbeValue<'a>)>);

enum ProbeValue<'a> {
    List(Vec<&'a serde_json::value::RawValue>),
    Other(&'a serde_json::value::RawValue),
}

impl<'de> serde::Deserialize<'de> for RootProbe<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Root;
        impl<'de> serde::de::Visitor<'de> for Root {
            type Value = RootProbe<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = if key == "RoleDetailList" || key == "Policies" {
                        ProbeValue::List(map.next_value()?)
                    } else {
                        ProbeValue::Other(map.next_value()?)
                    };
                    entries.push((key, value));
                }
                Ok(RootProbe(entries))
            }
        }
        d.deserialize_map(Root)
    }
}

/// Reads a JSON `get-account-authorization-details` export one role and one policy at a time. Reading the whole
/// export into a positioned tree first held several times its size in memory (150 MB for a 23 MB export of
/// 10,000 roles); here only one item's tree exists at a time. The result — model, findings and their positions —
/// is exactly what [`read_document`] gives for the whole tree: anything that reader would judge differently from
/// item to item (a syntax error, a duplicate key, nesting near the parser's limit, Kubernetes keys) is left to
/// it ([`NotRead`]), and nothing read so far is kept.
pub(crate) fn read_export(file: FileId, text: &str) -> Result<(Model, Sink), NotRead> {
    let Ok(RootProbe(entries)) = serde_json::from_str::<RootProbe>(text) else {
        return Err(NotRead { strict_json: false });
    };
    let not_read = Err(NotRead { strict_json: true });
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    if !keys.iter().any(|k| EXPORT_KEYS.contains(k)) || keys.iter().any(|k| *k == "apiVersion" || *k == "kind") {
        return not_read;
    }
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return not_read;
    }
    let positions = crate::yaml::JsonPositions::new(text);
    let offset = |raw: &serde_json::value::RawValue| raw.get().as_ptr() as usize - text.as_ptr() as usize;
    // None on a duplicate key, or nesting deeper than 64 (far below jsonc-parser's limit: the whole-file reader
    // counts the root and the list too); the text is strict JSON (serde_json read it above).
    let parse =
        |raw: &serde_json::value::RawValue| crate::yaml::parse_json_item(raw.get(), offset(raw), &positions, 64);
    // Everything that is not read item by item is still parsed (and dropped), so that a duplicate key anywhere
    // goes to the whole-file reader as before. Positions are asked for in text order; each list's first position
    // is marked on the way, to go back to when its items are read.
    let mut marks: Vec<Option<crate::yaml::JsonMark>> = Vec::with_capacity(entries.len());
    for (_, v) in &entries {
        match v {
            ProbeValue::Other(raw) => {
                if parse(raw).is_none() {
                    return not_read;
                }
                marks.push(None);
            }
            ProbeValue::List(items) => marks.push(items.first().map(|first| {
                positions.pos(offset(first));
                positions.mark()
            })),
        }
    }
    let mut model = Model::default();
    let mut sink = Sink::default();
    for wanted in ["RoleDetailList", "Policies"] {
        for ((key, v), mark) in entries.iter().zip(&marks) {
            let (true, ProbeValue::List(items), Some(mark)) = (key == wanted, v, mark) else { continue };
            positions.restore(*mark);
            for raw in items {
                let Some(node) = parse(raw) else { return not_read };
                if wanted == "RoleDetailList" {
                    read_role(&mut model, file, &node, &mut sink);
                } else {
                    read_managed(&mut model, file, &node, &mut sink);
                }
            }
        }
    }
    Ok((model, sink))
}

/// Recognises and reads an IAM export or document. Returns false when the document is not IAM at all.
pub fn read_document(
    model: &mut Model,
    pending: &mut Pending,
    file: FileId,
    root: &Node,
    dir: PathBuf,
    sink: &mut Sink,
) -> bool {
    let is_authz = EXPORT_KEYS.iter().any(|k| root.get(k).is_some());
    if is_authz {
        for r in root.get("RoleDetailList").and_then(Node::as_seq).unwrap_or_default() {
            read_role(model, file, r, sink);
        }
        for p in root.get("Policies").and_then(Node::as_seq).unwrap_or_default() {
            read_managed(model, file, p, sink);
        }
        return true;
    }
    if let Some(r) = root.get("Role").filter(|r| r.get("RoleName").is_some()) {
        if let Some(i) = read_role(model, file, r, sink) {
            pending.get_roles.push((dir, i));
        }
        return true;
    }
    if let Some(roles) = root.get("Roles").and_then(Node::as_seq) {
        for r in roles {
            read_role(model, file, r, sink);
        }
        return true;
    }
    if let (Some(role), Some(name), Some(doc)) =
        (s(root, "RoleName"), s(root, "PolicyName"), root.get("PolicyDocument"))
    {
        if let Some(document) = read_policy(file, doc, sink) {
            let l = loc(file, root);
            pending.role_policies.push((role.to_string(), InlinePolicy { name: name.to_string(), document }, l));
        }
        return true;
    }
    if let Some(p) = root.get("Policy").filter(|p| p.get("Arn").is_some()) {
        model.managed_policies.push(ManagedPolicy {
            arn: s(p, "Arn").unwrap_or_default().to_string(),
            name: s(p, "PolicyName").unwrap_or_default().to_string(),
            default_version: s(p, "DefaultVersionId").map(str::to_string),
            document: None,
            loc: loc(file, p),
        });
        let i = model.managed_policies.len() - 1;
        pending.get_policies.push((dir, i));
        return true;
    }
    if let Some(v) = root.get("PolicyVersion").filter(|v| v.get("Document").is_some()) {
        if let Some(document) = read_policy(file, v.get("Document").expect("checked"), sink) {
            let version = s(v, "VersionId").unwrap_or_default().to_string();
            let is_default = s(v, "IsDefaultVersion").is_some_and(|b| b.eq_ignore_ascii_case("true"));
            let l = loc(file, v);
            pending.policy_versions.push((dir, version, is_default, document, l));
        }
        return true;
    }
    if let Some(list) = root.get("AttachedPolicies") {
        let attached = read_attached(file, Some(list));
        let l = loc(file, root);
        pending.attached_lists.push((dir, attached, l));
        return true;
    }
    if root.get("PolicyNames").is_some() {
        // `list-role-policies`: names only; the documents come from `get-role-policy`.
        return true;
    }
    if root.get("Statement").is_some() {
        if let Some(document) = read_policy(file, root, sink) {
            let is_trust = document.statements.iter().any(|s| s.principal.is_some());
            model.loose_documents.push(LooseDocument { document, is_trust });
        }
        return true;
    }
    read_eks_associations(model, pending, file, root, sink)
}

fn synthetic_trust_irsa(cluster: &str, ns: &str, sa: &str, l: Loc) -> PolicyDocument {
    let provider = format!("eksctl-cluster/{cluster}");
    let op = |base: &str| ConditionOp { raw: base.into(), base: base.into(), if_exists: false, set: None };
    PolicyDocument {
        statements: vec![std::sync::Arc::new(Statement {
            sid: None,
            effect: Effect::Allow,
            action: PatternList { not: false, items: vec![("sts:AssumeRoleWithWebIdentity".into(), l.pos)] },
            resource: None,
            principal: Some(Box::new(Principal {
                not: false,
                any: false,
                entries: vec![("Federated".into(), format!("arn:aws:iam:::oidc-provider/{provider}").into())],
            })),
            conditions: vec![
                Condition {
                    op: op("StringEquals"),
                    key: format!("{provider}:sub").into(),
                    values: vec![format!("system:serviceaccount:{ns}:{sa}").into()],
                    loc: l,
                },
                Condition {
                    op: op("StringEquals"),
                    key: format!("{provider}:aud").into(),
                    values: vec!["sts.amazonaws.com".into()],
                    loc: l,
                },
            ],
            loc: l,
        })],
        loc: l,
    }
}

fn synthetic_trust_pod_identity(l: Loc) -> PolicyDocument {
    PolicyDocument {
        statements: vec![std::sync::Arc::new(Statement {
            sid: None,
            effect: Effect::Allow,
            action: PatternList {
                not: false,
                items: vec![("sts:AssumeRole".into(), l.pos), ("sts:TagSession".into(), l.pos)],
            },
            resource: None,
            principal: Some(Box::new(Principal {
                not: false,
                any: false,
                entries: vec![("Service".into(), "pods.eks.amazonaws.com".into())],
            })),
            conditions: Vec::new(),
            loc: l,
        })],
        loc: l,
    }
}

/// IAM's role name characters (eksctl truncates generated names to IAM's length limit itself); an invalid name is
/// malformed input, reported at `l`.
fn valid_role_name(n: &str, l: Loc, sink: &mut Sink) -> bool {
    let ok = !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !ok {
        let shown = crate::text::truncate(n);
        sink.push(
            rules::MALFORMED_INPUT,
            format!("`roleName` {shown:?} is not a valid IAM role name ([A-Za-z0-9+=,.@_-])"),
            Some(l),
        );
    }
    ok
}

/// `aws eks describe-pod-identity-association` (`association`) or `list-pod-identity-associations`
/// (`associations`) output; false when the document is neither.
fn read_eks_associations(model: &mut Model, pending: &mut Pending, file: FileId, root: &Node, sink: &mut Sink) -> bool {
    if let Some(a) = root.get("association").filter(|a| a.get("associationArn").is_some()) {
        read_eks_association(model, pending, file, a, sink);
        return true;
    }
    let Some(list) = root.get("associations").and_then(Node::as_seq) else { return false };
    for a in list {
        read_eks_association(model, pending, file, a, sink);
    }
    true
}

/// One EKS Pod Identity association as the EKS API prints it: `aws eks describe-pod-identity-association`
/// (`association`: clusterName, namespace, serviceAccount, roleArn, associationArn, associationId, tags,
/// disableSessionTags, targetRoleArn, externalId, …) or an entry of `aws eks list-pod-identity-associations`
/// (`associations[]`: the same without roleArn and the rest). Shapes from the EKS API reference
/// (`PodIdentityAssociation`, `PodIdentityAssociationSummary`). An entry without a role waits in [`Pending`]:
/// unless another input names the same ServiceAccount's association, it is reported (E2A060) in [`finish`].
fn read_eks_association(model: &mut Model, pending: &mut Pending, file: FileId, a: &Node, sink: &mut Sink) {
    let l = loc(file, a);
    let (Some(ns), Some(sa)) = (s(a, "namespace"), s(a, "serviceAccount")) else {
        sink.push(rules::MALFORMED_INPUT, "EKS Pod Identity association needs namespace and serviceAccount", Some(l));
        return;
    };
    let cluster = s(a, "clusterName").map(str::to_string);
    // arn:aws:eks:REGION:ACCOUNT:podidentityassociation/CLUSTER/ID → the cluster's ARN.
    let cluster_arn = s(a, "associationArn")
        .and_then(Arn::parse)
        .zip(cluster.as_ref())
        .map(|(x, c)| format!("arn:{}:eks:{}:{}:cluster/{c}", x.partition, x.region, x.account));
    if a.get("roleArn").is_none() {
        let id = s(a, "associationId").unwrap_or("?").to_string();
        pending.listed_associations.push((cluster.unwrap_or_default(), ns.to_string(), sa.to_string(), id, l));
        return;
    }
    let Some((role_arn, role_name)) = role_arn_at(file, a, "roleArn", sink) else { return };
    session_policy(file, a, ns, sa, sink);
    let target = match a.get("targetRoleArn") {
        Some(t) if !t.as_str().unwrap_or_default().is_empty() => {
            let Some(found) = role_arn_at(file, a, "targetRoleArn", sink) else { return };
            Some((found, loc(file, t)))
        }
        _ => None,
    };
    let (role_arn, role_name, chained_from) = match target {
        Some(((t_arn, t_name), at)) => (t_arn, t_name, Some((role_arn, at))),
        None => (role_arn, role_name, None),
    };
    model.associations.push(Association {
        namespace: ns.to_string(),
        service_account: sa.to_string(),
        role_arn,
        role_name,
        kind: AssociationKind::PodIdentity,
        loc: l,
        cluster,
        cluster_arn,
        session_tags: a.get("disableSessionTags").and_then(Node::as_str) != Some("true"),
        chained_from,
        creates_service_account: false,
    });
}

/// Reads eksctl's `ClusterConfig`: `iam.serviceAccounts` (IRSA roles eksctl creates, with the ServiceAccount, or
/// an existing role by `attachRoleARN`) and `iam.podIdentityAssociations` (EKS Pod Identity). Field names follow
/// eksctl's `pkg/apis/eksctl.io/v1alpha5/iam.go` (`ClusterIAMServiceAccount`, `PodIdentityAssociation`) and its
/// `examples/39-pod-identity-association.yaml`.
pub fn read_eksctl(model: &mut Model, pending: &mut Pending, file: FileId, root: &Node, sink: &mut Sink) {
    let cluster = root.path(&["metadata", "name"]).and_then(Node::as_str).unwrap_or("cluster").to_string();
    let region = root.path(&["metadata", "region"]).and_then(Node::as_str).map(str::to_string);
    let iam = root.get("iam");
    let first = model.associations.len();
    for sa in iam.and_then(|i| i.get("serviceAccounts")).and_then(Node::as_seq).unwrap_or_default() {
        read_eksctl_service_account(model, file, &cluster, sa, sink);
    }
    for pia in iam.and_then(|i| i.get("podIdentityAssociations")).and_then(Node::as_seq).unwrap_or_default() {
        read_pod_identity_association(model, file, &cluster, pia, sink);
    }
    // The cluster's account: the one account the file's own role and policy ARNs name (a `targetRoleARN` is in
    // another account by design, and AWS-managed policies have none).
    let mut accounts: std::collections::BTreeSet<String> = model.associations[first..]
        .iter()
        .map(|a| a.chained_from.as_ref().map_or(a.role_arn.as_str(), |(arn, _)| arn.as_str()))
        .chain(
            model.roles.iter().filter(|r| r.loc.file == file).flat_map(|r| r.attached.iter().map(|a| a.arn.as_str())),
        )
        .filter_map(|arn| Arn::parse(arn).map(|a| a.account))
        .filter(|a| !a.is_empty() && a != "aws")
        .collect();
    let account = if accounts.len() == 1 { accounts.pop_first() } else { None };
    pending.eksctl_files.push((file, account, region));
}

/// One `iam.serviceAccounts` entry: the role eksctl creates (named by `roleName`, or eksctl's default name; its
/// trust admits the ServiceAccount on the cluster), or the existing role `attachRoleARN` names (its policies are
/// those of the IAM input), and the IRSA association of the ServiceAccount with it. An entry without a name, or
/// with an invalid role name or ARN, is reported and skipped.
fn read_eksctl_service_account(model: &mut Model, file: FileId, cluster: &str, sa: &Node, sink: &mut Sink) {
    let l = loc(file, sa);
    let Some(name) = sa.path(&["metadata", "name"]).and_then(Node::as_str) else {
        sink.push(rules::MALFORMED_INPUT, "eksctl iam.serviceAccounts entry has no metadata.name", Some(l));
        return;
    };
    let ns = sa.path(&["metadata", "namespace"]).and_then(Node::as_str).unwrap_or("default");
    let (role_arn, role_name) = if sa.get("attachRoleARN").is_some() {
        let Some(found) = role_arn_at(file, sa, "attachRoleARN", sink) else { return };
        found
    } else {
        let role_name = s(sa, "roleName")
            .map_or_else(|| format!("eksctl-{cluster}-addon-iamserviceaccount-{ns}-{name}"), str::to_string);
        if !valid_role_name(&role_name, l, sink) {
            return;
        }
        let role_arn = format!("arn:aws:iam:::role/{role_name}");
        let keys = PolicyKeys { document: "attachPolicy", arns: "attachPolicyARNs", boundary: "permissionsBoundary" };
        let role = eksctl_role(file, sa, &role_name, &role_arn, synthetic_trust_irsa(cluster, ns, name, l), keys, sink);
        model.roles.push(role);
        (role_arn, role_name)
    };
    model.associations.push(Association {
        namespace: ns.to_string(),
        service_account: name.to_string(),
        role_arn,
        role_name,
        kind: AssociationKind::EksctlIrsa,
        loc: l,
        cluster: Some(cluster.to_string()),
        cluster_arn: None,
        session_tags: false,
        chained_from: None,
        creates_service_account: true,
    });
}

/// An association's session `policy` (eksctl `PodIdentityAssociation.Policy`, the EKS API's `policy`) restricts the
/// role for its pods; it is not applied, so it is reported (E2A063).
fn session_policy(file: FileId, n: &Node, ns: &str, sa: &str, sink: &mut Sink) {
    if let Some(p) = n.get("policy").filter(|p| p.as_str().is_none_or(|t| !t.trim().is_empty())) {
        sink.push(
            rules::POD_IDENTITY_SESSION_POLICY,
            format!("the EKS Pod Identity association of ServiceAccount {ns}/{sa} has a session policy, which eks2aks does not apply: the Azure role assignments come from the role's policies alone and may grant more than its pods had"),
            Some(loc(file, p)),
        );
    }
}

/// The role ARN under `key` of `n`, with its role name; an ARN that is not a role's is malformed input.
fn role_arn_at(file: FileId, n: &Node, key: &str, sink: &mut Sink) -> Option<(String, String)> {
    let v = n.get(key)?;
    let a = v.as_str().unwrap_or_default();
    match Arn::parse(a).and_then(|x| x.role_path_and_name()) {
        Some((_, name)) => Some((a.to_string(), name)),
        None => {
            sink.push(rules::MALFORMED_INPUT, format!("`{key}` is not an IAM role ARN: {a:?}"), Some(loc(file, v)));
            None
        }
    }
}

/// One `iam.podIdentityAssociations` entry: the Pod Identity association of `namespace`/`serviceAccountName`
/// with the role `roleARN` names, or else with the role eksctl creates (named by `roleName` or eksctl's default
/// name, from `permissionPolicy`, `permissionPolicyARNs`, `wellKnownPolicies` and `permissionsBoundaryARN`; its
/// trust admits EKS Pod Identity). With `targetRoleARN` the pods get the target role's credentials (EKS chains the
/// two roles), so the association leads to the target. An entry without namespace or ServiceAccount, with a role
/// ARN that is not one, or with an invalid role name, is reported and skipped. `tags` label the association only.
fn read_pod_identity_association(model: &mut Model, file: FileId, cluster: &str, pia: &Node, sink: &mut Sink) {
    let l = loc(file, pia);
    let (Some(ns), Some(name)) = (s(pia, "namespace"), s(pia, "serviceAccountName")) else {
        sink.push(
            rules::MALFORMED_INPUT,
            "eksctl podIdentityAssociations entry needs namespace and serviceAccountName",
            Some(l),
        );
        return;
    };
    let (role_arn, role_name) = if pia.get("roleARN").is_some() {
        let Some(found) = role_arn_at(file, pia, "roleARN", sink) else { return };
        found
    } else {
        let n =
            s(pia, "roleName").map_or_else(|| format!("eksctl-{cluster}-podidentityrole-{ns}-{name}"), str::to_string);
        if !valid_role_name(&n, l, sink) {
            return;
        }
        let arn = format!("arn:aws:iam:::role/{n}");
        let keys = PolicyKeys {
            document: "permissionPolicy",
            arns: "permissionPolicyARNs",
            boundary: "permissionsBoundaryARN",
        };
        let role = eksctl_role(file, pia, &n, &arn, synthetic_trust_pod_identity(l), keys, sink);
        model.roles.push(role);
        (arn, n)
    };
    let target = if pia.get("targetRoleARN").is_some() {
        let Some(t) = role_arn_at(file, pia, "targetRoleARN", sink) else { return };
        Some(t)
    } else {
        None
    };
    session_policy(file, pia, ns, name, sink);
    let disabled = pia.get("disableSessionTags").and_then(Node::as_str).is_some_and(|v| v == "true");
    let creates = pia.get("createServiceAccount").and_then(Node::as_str).is_some_and(|v| v == "true");
    let (role_arn, role_name, chained_from) = match target {
        Some((t_arn, t_name)) => (t_arn, t_name, Some((role_arn, loc(file, pia.get("targetRoleARN").expect("read"))))),
        None => (role_arn, role_name, None),
    };
    model.associations.push(Association {
        namespace: ns.to_string(),
        service_account: name.to_string(),
        role_arn,
        role_name,
        kind: AssociationKind::PodIdentity,
        loc: l,
        cluster: Some(cluster.to_string()),
        cluster_arn: None,
        session_tags: !disabled,
        chained_from,
        creates_service_account: creates,
    });
}

/// The keys of an eksctl entry that hold the role's policies: the inline document, the managed policy ARNs and
/// the permissions boundary (`iam.serviceAccounts` and `podIdentityAssociations` name them differently).
#[derive(Clone, Copy)]
struct PolicyKeys {
    document: &'static str,
    arns: &'static str,
    boundary: &'static str,
}

fn eksctl_role(
    file: FileId,
    n: &Node,
    name: &str,
    arn: &str,
    trust: PolicyDocument,
    keys: PolicyKeys,
    sink: &mut Sink,
) -> Role {
    let l = loc(file, n);
    let inline = n
        .get(keys.document)
        .and_then(|d| read_policy(file, d, sink))
        .map(|document| InlinePolicy { name: format!("{name}-{}", keys.document), document })
        .into_iter()
        .collect();
    let attached = n
        .get(keys.arns)
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            let arn = a.as_str()?;
            Some(AttachedPolicy {
                arn: arn.to_string(),
                name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
                loc: loc(file, a),
            })
        })
        .collect();
    let well_known = n
        .get("wellKnownPolicies")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter(|e| e.value.as_str().is_some_and(|v| v == "true"))
        .map(|e| (e.key.clone(), Loc { file, pos: e.key_pos }))
        .collect();
    Role {
        arn: arn.to_string(),
        account: String::new(),
        name: name.to_string(),
        path: "/".into(),
        trust: Some(trust),
        inline,
        attached,
        loc: l,
        well_known,
        source: RoleSource::Eksctl,
        boundary: n.get(keys.boundary).and_then(|b| b.as_str().map(|a| (a.to_string(), loc(file, b)))),
    }
}

/// Keeps a CloudFormation template or a `terraform show -json` output for [`read_infrastructure_code`]; false for
/// other documents.
pub fn defer_infrastructure_code(pending: &mut Pending, file: FileId, root: &Node) -> bool {
    if super::cfn::is_template(root) {
        pending.templates.push((file, root.clone()));
    } else if super::terraform::is_show_json(root) {
        pending.terraform.push((file, root.clone()));
    } else {
        return false;
    }
    true
}

/// Reads the templates and Terraform outputs once every file is read (their account may come from a ServiceAccount
/// annotation), before [`finish`] merges one role's sources.
pub fn read_infrastructure_code(
    model: &mut Model,
    pending: &mut Pending,
    aws: &crate::config::AwsConfig,
    sink: &mut Sink,
) {
    let ctx = super::cfn::Context { config: aws.clone(), ..super::cfn::Context::of(model) };
    for (file, root) in std::mem::take(&mut pending.templates) {
        super::cfn::read_template(model, &ctx, file, &root, sink);
    }
    for (file, root) in std::mem::take(&mut pending.terraform) {
        super::terraform::read_show_json(model, &ctx, file, &root, sink);
    }
}

/// Pairs exports that name no owner with their siblings, merges eksctl roles with exported ones of the same
/// name, and reports what could not be paired.
pub fn finish(model: &mut Model, pending: Pending, files: &Files, sink: &mut Sink) {
    for (role_name, policy, l) in pending.role_policies {
        let matches: Vec<usize> = (0..model.roles.len()).filter(|&i| model.roles[i].name == role_name).collect();
        // One role in several sources (merged below) is still one role.
        let one_role =
            matches.first().is_some_and(|&f| matches.iter().all(|&i| model.roles[i].arn == model.roles[f].arn));
        if one_role {
            model.roles[matches[0]].inline.push(policy);
        } else {
            sink.push(
                rules::UNJOINED_EXPORT,
                format!("get-role-policy output for role `{role_name}`: the role is not in the input; the policy is analysed on its own"),
                Some(l),
            )
            .with_help(format!("add the role: aws iam get-role --role-name {role_name} > {role_name}.role.json"));
            model.loose_documents.push(LooseDocument { document: policy.document, is_trust: false });
        }
    }
    for (dir, version, is_default, document, l) in pending.policy_versions {
        let stem = files.get(l.file).path().file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let candidates: Vec<usize> = pending.get_policies.iter().filter(|(d, _)| *d == dir).map(|(_, i)| *i).collect();
        let chosen = match candidates[..] {
            [i] => Some(i),
            _ => candidates.iter().copied().find(|&i| {
                !model.managed_policies[i].name.is_empty() && stem.contains(&model.managed_policies[i].name)
            }),
        };
        match chosen {
            Some(i) => {
                let p = &mut model.managed_policies[i];
                let default = p.default_version.as_deref().map_or(is_default, |d| d == version);
                if default {
                    p.document = Some(document);
                } else {
                    sink.push(
                        rules::UNJOINED_EXPORT,
                        format!("policy version {version} of `{}` is not the default version ({}); it is not in force and is ignored", p.name, p.default_version.as_deref().unwrap_or("unknown")),
                        Some(l),
                    );
                }
            }
            None => {
                sink.push(
                    rules::UNJOINED_EXPORT,
                    "get-policy-version output could not be paired with a get-policy output in the same directory; analysed on its own",
                    Some(l),
                )
                .with_help("put `aws iam get-policy --policy-arn ARN` output next to it, or name the file after the policy");
                model.loose_documents.push(LooseDocument { document, is_trust: false });
            }
        }
    }
    for (dir, attached, l) in pending.attached_lists {
        let roles: Vec<usize> = pending.get_roles.iter().filter(|(d, _)| *d == dir).map(|(_, i)| *i).collect();
        if let [i] = roles[..] {
            model.roles[i].attached.extend(attached);
        } else {
            sink.push(
                rules::UNJOINED_EXPORT,
                format!(
                    "list-attached-role-policies output could not be paired with exactly one get-role output in the same directory (found {})",
                    roles.len()
                ),
                Some(l),
            )
            .with_help("keep one role's exports per directory, or use aws iam get-account-authorization-details");
        }
    }
    // Exported roles win over the roles eksctl would create under the same name.
    let exported: std::collections::BTreeMap<String, String> =
        model.roles.iter().filter(|r| !r.account.is_empty()).map(|r| (r.name.clone(), r.arn.clone())).collect();
    for a in &mut model.associations {
        if let Some(arn) = exported.get(&a.role_name) {
            a.role_arn = arn.clone();
        }
    }
    model.roles.retain(|r| !(r.account.is_empty() && exported.contains_key(&r.name)));
    merge_sources(model, files, sink);
    finish_associations(model, pending.eksctl_files, pending.listed_associations, sink);
}

/// The associations once every file is read: the accounts of the roles eksctl creates, then the listed
/// associations no input gives a role for.
fn finish_associations(
    model: &mut Model,
    eksctl_files: Vec<(FileId, Option<String>, Option<String>)>,
    listed: Vec<(String, String, String, String, Loc)>,
    sink: &mut Sink,
) {
    fill_eksctl_accounts(model, &eksctl_files);
    report_listed_associations(model, listed, sink);
}

/// `list-pod-identity-associations` entries that no other input (a describe output, an eksctl config) gives a
/// role for: E2A060 each, naming the command that exports it.
fn report_listed_associations(model: &Model, listed: Vec<(String, String, String, String, Loc)>, sink: &mut Sink) {
    for (cluster, ns, sa, id, l) in listed {
        let covered = model
            .associations
            .iter()
            .any(|a| a.namespace == ns && a.service_account == sa && a.cluster.as_deref().is_none_or(|c| c == cluster));
        if covered {
            continue;
        }
        let shown_cluster = if cluster.is_empty() { "CLUSTER" } else { &cluster };
        sink.push(
            rules::POD_IDENTITY_WITHOUT_ROLE,
            format!("EKS Pod Identity association {id} of ServiceAccount {ns}/{sa} (cluster {shown_cluster}) is listed without its role (list-pod-identity-associations does not print it), so this ServiceAccount gets no identity: run `aws eks describe-pod-identity-association --cluster-name {shown_cluster} --association-id {id}` and add its output"),
            Some(l),
        )
        .with_help(format!("export it: aws eks describe-pod-identity-association --cluster-name {shown_cluster} --association-id {id} > {id}.json"));
    }
}

/// The roles eksctl will create carry the cluster's account: the one the eksctl file's ARNs name, else the one
/// account of every exported role in the input; their ARNs and the associations that name them follow. With the
/// region, each association also learns its cluster's ARN (Pod Identity's `eks-cluster-arn` session tag). A role
/// whose account is unknown keeps an empty one (and joins by name).
fn fill_eksctl_accounts(model: &mut Model, eksctl_files: &[(FileId, Option<String>, Option<String>)]) {
    let exported: std::collections::BTreeSet<&str> =
        model.roles.iter().filter(|r| !r.account.is_empty()).map(|r| r.account.as_str()).collect();
    let global = if exported.len() == 1 { exported.first().map(|a| a.to_string()) } else { None };
    let account_of = |file: FileId| {
        eksctl_files.iter().find(|(f, _, _)| *f == file).and_then(|(_, a, _)| a.clone()).or_else(|| global.clone())
    };
    // An ARN with no account (`arn:aws:iam:::role/NAME`, a role eksctl will create) given the file's account.
    // (Generated names may exceed what `Arn::parse` accepts: eksctl shortens them itself, so the text is kept.)
    let with_account = |arn: &mut String, file: FileId| {
        if let Some(name) = arn.strip_prefix("arn:aws:iam:::role/")
            && let Some(account) = account_of(file)
        {
            *arn = format!("arn:aws:iam::{account}:role/{name}");
        }
    };
    for r in model.roles.iter_mut().filter(|r| r.account.is_empty()) {
        with_account(&mut r.arn, r.loc.file);
        if let Some(rest) = r.arn.strip_prefix("arn:aws:iam::") {
            r.account = rest.split(':').next().unwrap_or_default().to_string();
        }
    }
    for a in &mut model.associations {
        with_account(&mut a.role_arn, a.loc.file);
        if let Some((from, _)) = a.chained_from.as_mut() {
            with_account(from, a.loc.file);
        }
        let region = eksctl_files.iter().find(|(f, _, _)| *f == a.loc.file).and_then(|(_, _, r)| r.clone());
        let first_role = a.chained_from.as_ref().map_or(&a.role_arn, |(arn, _)| arn);
        let account =
            Arn::parse(first_role).map(|x| x.account).filter(|x| !x.is_empty()).or_else(|| account_of(a.loc.file));
        if let (Some(cluster), Some(region), Some(account)) = (&a.cluster, region, account) {
            a.cluster_arn = Some(format!("arn:aws:eks:{region}:{account}:cluster/{cluster}"));
        }
    }
}

/// ServiceAccounts that eksctl creates with its IRSA roles, added when the manifests do not declare them; an
/// implied ServiceAccount of the same name (one a workload names) is replaced by the one eksctl creates. The join
/// reads them like declared ones.
pub fn add_eksctl_service_accounts(model: &mut Model) {
    let declared: std::collections::BTreeSet<(String, String)> = model
        .service_accounts
        .iter()
        .filter(|s| s.origin != SaOrigin::Implied)
        .map(|s| (s.namespace.clone(), s.name.clone()))
        .collect();
    for a in &model.associations {
        let key = (a.namespace.clone(), a.service_account.clone());
        if a.creates_service_account && !declared.contains(&key) {
            // An implied SA of the same name is replaced by the one eksctl creates.
            model
                .service_accounts
                .retain(|s| !(s.origin == SaOrigin::Implied && s.namespace == key.0 && s.name == key.1));
            model.service_accounts.push(ServiceAccount {
                namespace: key.0,
                name: key.1,
                role_arn: None,
                audience: None,
                loc: a.loc,
                origin: SaOrigin::Eksctl,
                irsa: Default::default(),
            });
        }
    }
}

/// A statement as text without its locations: two sources hold "the same" statement when these are equal.
fn statement_text(s: &Statement) -> String {
    let list = |l: &PatternList| {
        // Actions and resources are sets: their order does not matter.
        let mut items: Vec<&str> = l.items.iter().map(|(p, _)| &**p).collect();
        items.sort_unstable();
        items.dedup();
        format!("{}{:?}", if l.not { "not" } else { "" }, items)
    };
    let principal = s.principal.as_ref().map(|p| format!("{}{}{:?}", p.not, p.any, p.entries));
    // Conditions in any order, and an empty `Sid` (what `aws_iam_policy_document` renders) as none, are the same
    // statement.
    let mut conditions: Vec<String> =
        s.conditions.iter().map(|c| format!("{} {} {:?}", c.op.raw, c.key, c.values)).collect();
    conditions.sort();
    format!(
        "{:?}|{:?}|{}|{}|{:?}|{:?}",
        s.sid.as_ref().filter(|x| !x.is_empty()),
        s.effect,
        list(&s.action),
        s.resource.as_ref().map(list).unwrap_or_default(),
        principal,
        conditions
    )
}

/// A document as text without its locations.
pub fn document_text(d: &PolicyDocument) -> String {
    d.statements.iter().map(|s| statement_text(s)).collect::<Vec<_>>().join("\n")
}

/// One role (by ARN) found in several sources — a `get-role` output and an account export, two exports — is
/// merged into one: the union of its inline policies (by name), attached policies and trust statements, identical
/// items once. A source that leaves something out (`get-role` has no inline policies, `list-roles` no boundary)
/// does not conflict; two that say different things do (E2A051). Then the trust keeps the union of both
/// statements, and an inline policy or a boundary the version whose text (without locations) sorts first: the
/// result depends on the contents only, never on the order of the files.
///
/// Each group of sources becomes one role ([`merge_role`]) in the place of the first; the others are removed.
fn merge_sources(model: &mut Model, files: &Files, sink: &mut Sink) {
    let mut by_arn: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, r) in model.roles.iter().enumerate() {
        if !r.account.is_empty() {
            by_arn.entry(&r.arn).or_default().push(i);
        }
    }
    let groups: Vec<Vec<usize>> = by_arn.into_values().filter(|g| g.len() > 1).collect();
    if groups.is_empty() {
        return;
    }
    let mut gone = vec![false; model.roles.len()];
    for group in groups {
        let sources: Vec<Role> = group.iter().map(|&i| model.roles[i].clone()).collect();
        model.roles[group[0]] = merge_role(&sources, files, sink);
        for &i in &group[1..] {
            gone[i] = true;
        }
    }
    let mut i = 0;
    model.roles.retain(|_| {
        i += 1;
        !gone[i - 1]
    });
}

/// `file:line` of a location, for the conflict report.
fn at(files: &Files, l: Loc) -> String {
    format!("{}:{}", files.display(l.file), l.pos.line)
}

/// The sources of one role merged into one. Where a deployed export and infrastructure code (eksctl,
/// CloudFormation, Terraform) both hold it, the export wins: the role is the export's sources merged
/// ([`merge_alike`]), and what the code says differently is one E2A051 warning per source that shows the
/// difference ([`report_drift`]). Sources of one kind are merged by [`merge_alike`].
fn merge_role(sources: &[Role], files: &Files, sink: &mut Sink) -> Role {
    let best = sources.iter().map(|r| r.source.rank()).min().expect("one or more sources");
    let (winners, others): (Vec<Role>, Vec<Role>) = sources.iter().cloned().partition(|r| r.source.rank() == best);
    let merged = merge_alike(&winners, files, sink);
    for other in &others {
        report_drift(&merged, other, files, sink);
    }
    merged
}

/// The statements of a document as text, sorted, each once.
fn statement_set(d: Option<&PolicyDocument>) -> std::collections::BTreeSet<String> {
    d.map(|d| d.statements.iter().map(|s| statement_text(s)).collect()).unwrap_or_default()
}

/// What one set of statements has that the other has not, for a message.
fn set_difference(kept: &std::collections::BTreeSet<String>, other: &std::collections::BTreeSet<String>) -> String {
    let only_other: Vec<&String> = other.difference(kept).collect();
    let only_kept: Vec<&String> = kept.difference(other).collect();
    format!("only in the code: {only_other:?}; only in the export: {only_kept:?}")
}

/// E2A051 for infrastructure code that says something else than the deployed export of the same role: trust,
/// inline policies (by name), attached policies, boundary. The export is what the plan uses.
fn report_drift(kept: &Role, other: &Role, files: &Files, sink: &mut Sink) {
    let mut diffs = Vec::new();
    let (kt, ot) = (statement_set(kept.trust.as_ref()), statement_set(other.trust.as_ref()));
    if other.trust.is_some() && kt != ot {
        diffs.push(format!("the trust differs ({})", set_difference(&kt, &ot)));
    }
    for p in &other.inline {
        let same_text = |k: &InlinePolicy| statement_set(Some(&k.document)) == statement_set(Some(&p.document));
        match kept.inline.iter().find(|k| k.name == p.name) {
            // The same document under another name (CloudFormation's `${AWS::StackName}` names) is no drift.
            None if kept.inline.iter().any(same_text) => {}
            None => diffs.push(format!("inline policy `{}` is not in the export", p.name)),
            Some(k) => {
                let (ks, os) = (statement_set(Some(&k.document)), statement_set(Some(&p.document)));
                if ks != os {
                    diffs.push(format!("inline policy `{}` differs ({})", p.name, set_difference(&ks, &os)));
                }
            }
        }
    }
    for a in other.attached.iter().filter(|a| !kept.attached.iter().any(|k| k.arn == a.arn)) {
        diffs.push(format!("attached policy `{}` is not in the export", a.arn));
    }
    if other.boundary.is_some() && other.boundary.as_ref().map(|b| &b.0) != kept.boundary.as_ref().map(|b| &b.0) {
        diffs.push("the permissions boundary differs".to_string());
    }
    if diffs.is_empty() {
        return;
    }
    sink.push(
        rules::ROLE_SOURCES_CONFLICT,
        format!(
            "role `{}`: {} at {} differs from the deployed export at {} (the export wins; the plan uses it): {}",
            kept.name,
            other.source.describe(),
            at(files, other.loc),
            at(files, kept.loc),
            diffs.join("; ")
        ),
        Some(other.loc),
    )
    .with_help("the code and the account have drifted: deploy the code, or change it to what is deployed");
}

/// Sources of one kind merged into one; what they disagree on is one E2A051 finding, at the first source, that
/// lists every source and every conflict (inline policies, trust, boundary).
fn merge_alike(sources: &[Role], files: &Files, sink: &mut Sink) -> Role {
    let first = &sources[0];
    let mut conflicts: Vec<String> = Vec::new();
    let inline = merge_inline(sources, files, &mut conflicts);
    let attached = merge_attached(sources);
    let trust = merge_trust(sources, files, &mut conflicts);
    let boundary = merge_boundary(sources, files, &mut conflicts);
    let well_known = merge_well_known(sources);
    if !conflicts.is_empty() {
        let mut where_: Vec<String> = sources.iter().map(|r| at(files, r.loc)).collect();
        where_.sort();
        sink.push(
            rules::ROLE_SOURCES_CONFLICT,
            format!(
                "role `{}` is in {} sources that disagree ({}): {}",
                first.name,
                sources.len(),
                where_.join(", "),
                conflicts.join("; ")
            ),
            Some(first.loc),
        )
        .with_help("export the role again so that every file agrees, or keep only the newest export in the input");
    }
    Role {
        arn: first.arn.clone(),
        account: first.account.clone(),
        name: first.name.clone(),
        path: first.path.clone(),
        trust,
        inline,
        attached,
        loc: first.loc,
        well_known,
        boundary,
        source: first.source,
    }
}

/// Inline policies by name, in name order. Versions of one name that differ in text are a conflict; the one whose
/// text sorts first is kept.
fn merge_inline(sources: &[Role], files: &Files, conflicts: &mut Vec<String>) -> Vec<InlinePolicy> {
    let mut inline: std::collections::BTreeMap<String, Vec<(String, InlinePolicy)>> = Default::default();
    for p in sources.iter().flat_map(|r| r.inline.iter()) {
        let versions = inline.entry(p.name.clone()).or_default();
        let text = document_text(&p.document);
        if !versions.iter().any(|(t, _)| *t == text) {
            versions.push((text, p.clone()));
        }
    }
    let mut merged_inline = Vec::new();
    for (name, mut versions) in inline {
        versions.sort_by(|a, b| a.0.cmp(&b.0));
        if versions.len() > 1 {
            let mut where_: Vec<String> = versions.iter().map(|(_, p)| at(files, p.document.loc)).collect();
            where_.sort();
            conflicts.push(format!(
                "inline policy `{name}` has different documents ({}); the plan uses the one at {}",
                where_.join(" and "),
                at(files, versions[0].1.document.loc)
            ));
        }
        merged_inline.push(versions.swap_remove(0).1);
    }
    merged_inline
}

/// Attached managed policies: each ARN once, in ARN order.
fn merge_attached(sources: &[Role]) -> Vec<AttachedPolicy> {
    let mut attached: Vec<AttachedPolicy> = Vec::new();
    for a in sources.iter().flat_map(|r| r.attached.iter()) {
        if !attached.iter().any(|x| x.arn == a.arn) {
            attached.push(a.clone());
        }
    }
    attached.sort_by(|a, b| a.arn.cmp(&b.arn));
    attached
}

/// The trust: when the sources' trust documents differ in text (a conflict), the union of their statements
/// (each text once, in text order) at the earliest location; else the one document, if any.
fn merge_trust(sources: &[Role], files: &Files, conflicts: &mut Vec<String>) -> Option<PolicyDocument> {
    let trusts: Vec<&PolicyDocument> = sources.iter().filter_map(|r| r.trust.as_ref()).collect();
    let mut texts: Vec<String> = trusts.iter().map(|d| document_text(d)).collect();
    texts.sort();
    texts.dedup();
    if texts.len() <= 1 {
        return trusts.first().map(|d| (*d).clone());
    }
    let mut where_: Vec<String> = trusts.iter().map(|d| at(files, d.loc)).collect();
    where_.sort();
    where_.dedup();
    conflicts.push(format!(
        "the trust documents differ ({}); the plan uses the union of their statements",
        where_.join(" and ")
    ));
    let mut statements: Vec<(String, std::sync::Arc<Statement>)> = Vec::new();
    for s in trusts.iter().flat_map(|d| d.statements.iter()) {
        let text = statement_text(s);
        if !statements.iter().any(|(t, _)| *t == text) {
            statements.push((text, s.clone()));
        }
    }
    statements.sort_by(|a, b| a.0.cmp(&b.0));
    let loc = trusts.iter().map(|d| d.loc).min().expect("two or more");
    Some(PolicyDocument { statements: statements.into_iter().map(|(_, s)| s).collect(), loc })
}

/// The permissions boundary: of different ones (a conflict), the ARN that sorts first.
fn merge_boundary(sources: &[Role], files: &Files, conflicts: &mut Vec<String>) -> Option<(String, Loc)> {
    let mut boundaries: Vec<(String, Loc)> = sources.iter().filter_map(|r| r.boundary.clone()).collect();
    boundaries.sort_by(|a, b| a.0.cmp(&b.0));
    boundaries.dedup_by(|a, b| a.0 == b.0);
    if boundaries.len() > 1 {
        let list: Vec<String> = boundaries.iter().map(|(a, l)| format!("`{a}` at {}", at(files, *l))).collect();
        conflicts.push(format!(
            "the permissions boundaries differ ({}); the plan keeps `{}`",
            list.join(" and "),
            boundaries[0].0
        ));
    }
    boundaries.into_iter().next()
}

/// eksctl well-known policies: each name once, first seen first.
fn merge_well_known(sources: &[Role]) -> Vec<(String, Loc)> {
    let mut well_known: Vec<(String, Loc)> = Vec::new();
    for w in sources.iter().flat_map(|r| r.well_known.iter()) {
        if !well_known.iter().any(|x| x.0 == w.0) {
            well_known.push(w.clone());
        }
    }
    well_known
}
