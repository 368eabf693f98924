//! AWS IAM side of the model: roles, policies and the full policy grammar.

use crate::diag::{FileId, Loc, Pos};
use std::sync::Arc;

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Full ARN.
    pub arn: String,
    /// Account id (empty when unknown, e.g. a role eksctl will create).
    pub account: String,
    /// Role name.
    pub name: String,
    /// Path (`/` by default).
    pub path: String,
    /// The trust policy.
    pub trust: Option<PolicyDocument>,
    /// Inline policies.
    pub inline: Vec<InlinePolicy>,
    /// Attached managed policies (documents live in [`super::Model::managed_policies`]).
    pub attached: Vec<AttachedPolicy>,
    /// Where the role is defined.
    pub loc: Loc,
    /// eksctl `wellKnownPolicies` names (not translatable to documents).
    pub well_known: Vec<(String, Loc)>,
    /// The permissions boundary (policy ARN), when the role has one.
    pub boundary: Option<(String, Loc)>,
    /// Where the role was read from (which source wins when one role is in several).
    pub source: RoleSource,
}

/// The kind of input a role was read from. A deployed export says what the role is; infrastructure code (eksctl,
/// CloudFormation, Terraform) what it is meant to be: where both hold one role, the export wins (see
/// `ingest::iam::merge_sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum RoleSource {
    /// An AWS CLI export (`get-account-authorization-details`, `get-role`, `list-roles`).
    #[default]
    Export,
    /// An eksctl `ClusterConfig`.
    Eksctl,
    /// A CloudFormation template.
    CloudFormation,
    /// A `terraform show -json` plan or state.
    Terraform,
}

impl RoleSource {
    /// Lower wins: the export, then infrastructure code (all alike).
    pub fn rank(self) -> u8 {
        match self {
            RoleSource::Export => 0,
            _ => 1,
        }
    }

    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            RoleSource::Export => "the export",
            RoleSource::Eksctl => "the eksctl config",
            RoleSource::CloudFormation => "the CloudFormation template",
            RoleSource::Terraform => "the Terraform plan",
        }
    }
}

/// An inline policy.
#[derive(Debug, Clone)]
pub struct InlinePolicy {
    /// Policy name.
    pub name: String,
    /// The document.
    pub document: PolicyDocument,
}

impl InlinePolicy {
    /// The name of an inline policy that eksctl writes for a `wellKnownPolicies` key (`externalDNS`), as the bundle
    /// expands it: `eksctl:<key>/<PolicyName>` (not a name IAM allows, so it cannot collide with an exported one).
    pub fn well_known_name(key: &str, name: &str) -> String {
        format!("eksctl:{key}/{name}")
    }

    /// True when this inline policy is the bundle's expansion of well-known key `key`.
    pub fn expands(&self, key: &str) -> bool {
        self.name.strip_prefix("eksctl:").and_then(|r| r.strip_prefix(key)).is_some_and(|r| r.starts_with('/'))
    }
}

/// A reference to an attached managed policy.
#[derive(Debug, Clone)]
pub struct AttachedPolicy {
    /// Policy ARN.
    pub arn: String,
    /// Policy name.
    pub name: String,
    /// Where the attachment is listed.
    pub loc: Loc,
}

/// A managed policy with its default version's document.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// The default version id.
    pub default_version: Option<String>,
    /// The default version's document (None when only `get-policy` was given).
    pub document: Option<PolicyDocument>,
    /// Where.
    pub loc: Loc,
}

/// A policy document.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    /// Statements, in document order. Shared: the join lists each role's statements in force without copying
    /// them (an export of 10,000 roles holds 100,000 statements).
    pub statements: Vec<std::sync::Arc<Statement>>,
    /// Where the document is.
    pub loc: Loc,
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: a list of patterns, possibly inverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternList {
    /// True for `NotAction`/`NotResource`.
    pub not: bool,
    /// The patterns, with their positions in the statement's file. Shared text: a large export repeats the same
    /// few actions 100,000 times.
    pub items: Vec<(Arc<str>, Pos)>,
}

impl PatternList {
    /// The patterns with their locations in `file` (the statement's).
    pub fn located(&self, file: FileId) -> impl Iterator<Item = (&str, Loc)> {
        self.items.iter().map(move |(p, pos)| (&**p, Loc { file, pos: *pos }))
    }
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// True for `NotPrincipal`.
    pub not: bool,
    /// `"*"` given as the whole principal.
    pub any: bool,
    /// (type, value) pairs: `AWS`, `Federated`, `Service`, `CanonicalUser`.
    pub entries: Vec<(Arc<str>, Arc<str>)>,
}

/// A condition operator, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOp {
    /// As written (`ForAnyValue:StringLikeIfExists`).
    pub raw: Arc<str>,
    /// Base operator (`StringLike`).
    pub base: Arc<str>,
    /// `…IfExists`.
    pub if_exists: bool,
    /// `ForAnyValue:` / `ForAllValues:`.
    pub set: Option<SetOp>,
}

/// Set operator prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// `ForAnyValue:`.
    AnyValue,
    /// `ForAllValues:`.
    AllValues,
}

/// One condition: operator, key, values (OR-ed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// Operator.
    pub op: ConditionOp,
    /// Condition key as written (keys are case-insensitive).
    pub key: Arc<str>,
    /// Values.
    pub values: Vec<Arc<str>>,
    /// Where the key is.
    pub loc: Loc,
}

/// A statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` / `NotAction`.
    pub action: PatternList,
    /// `Resource` / `NotResource` (absent in trust policies).
    pub resource: Option<PatternList>,
    /// `Principal` / `NotPrincipal` (trust and resource policies). Boxed: only trust statements have one, and
    /// inline it made every permission statement a sixth larger.
    pub principal: Option<Box<Principal>>,
    /// Conditions (AND-ed).
    pub conditions: Vec<Condition>,
    /// Where the statement is.
    pub loc: Loc,
}

/// A ServiceAccount → role link that is not an annotation.
#[derive(Debug, Clone)]
pub struct Association {
    /// Namespace.
    pub namespace: String,
    /// ServiceAccount name.
    pub service_account: String,
    /// Role ARN (or `arn:aws:iam::<unknown>:role/<name>` when only a name is known).
    pub role_arn: String,
    /// Role name, for joining when the account is unknown.
    pub role_name: String,
    /// How the link is made.
    pub kind: AssociationKind,
    /// Where.
    pub loc: Loc,
    /// The EKS cluster the association belongs to (eksctl `metadata.name`, the EKS API's `clusterName`), when
    /// known: the value of Pod Identity's `eks-cluster-name` session tag.
    pub cluster: Option<String>,
    /// The cluster's ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`), when region and account are known: the
    /// value of the `eks-cluster-arn` session tag.
    pub cluster_arn: Option<String>,
    /// False when the association sets `disableSessionTags`: EKS then adds no session tags.
    pub session_tags: bool,
    /// The role the association chains to (`targetRoleARN`, cross-account): the pods get that role's credentials;
    /// `role_arn` is then the target and this is the first role of the chain, with where it is named.
    pub chained_from: Option<(String, Loc)>,
    /// True when eksctl creates the ServiceAccount (`iam.serviceAccounts`, or `createServiceAccount: true`).
    pub creates_service_account: bool,
}

impl Association {
    /// A Pod Identity association as infrastructure code declares it: the role named by its ARN, session tags on,
    /// no chain, the ServiceAccount not created by eksctl, the cluster unknown (set what the source says with
    /// struct update syntax).
    pub fn pod_identity(namespace: String, service_account: String, role_arn: String, loc: Loc) -> Self {
        Association {
            namespace,
            service_account,
            role_name: role_arn.rsplit('/').next().unwrap_or_default().to_string(),
            role_arn,
            kind: AssociationKind::PodIdentity,
            loc,
            cluster: None,
            cluster_arn: None,
            session_tags: true,
            chained_from: None,
            creates_service_account: false,
        }
    }
}

/// Kinds of association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssociationKind {
    /// EKS Pod Identity (`iam.podIdentityAssociations`).
    PodIdentity,
    /// eksctl IRSA (`iam.serviceAccounts`): eksctl annotates the ServiceAccount itself.
    EksctlIrsa,
}

/// A bare policy or trust document found on its own.
#[derive(Debug, Clone)]
pub struct LooseDocument {
    /// The document.
    pub document: PolicyDocument,
    /// True when it reads as a trust policy (has a Principal).
    pub is_trust: bool,
}
