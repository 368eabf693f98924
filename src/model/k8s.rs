//! Kubernetes side of the model.

use crate::diag::{Loc, Pos};
use std::collections::BTreeMap;

/// One Kubernetes object, kept whole (unknown kinds and CRDs included).
/// The annotation with which a Kubernetes object waives rules for itself (`eks2aks.dev/ignore: "E2A005: reason"`).
pub const WAIVER_ANNOTATION: &str = "eks2aks.dev/ignore";

/// KEDA's AWS authentication parameters (`secretTargetRef`/`env` items, and trigger metadata): none of them means
/// anything to an Azure scaler.
pub const KEDA_AWS_PARAMS: &[&str] = &["awsAccessKeyID", "awsSecretAccessKey", "awsSessionToken", "awsRoleArn"];

/// The region variables: an SDK variable the rewrite keeps when the workload keeps an AWS bridge.
pub const REGION_VARIABLES: &[&str] = &["AWS_REGION", "AWS_DEFAULT_REGION"];

/// The AWS SDK variables, the one list: ingest flags them (E2A028, "the AKS manifest drops it") and the rewrite
/// drops them from a workload's env and a ConfigMap's data. IRSA injects some, the others point an SDK at AWS
/// credentials or profiles; on Azure none means anything. The region stays when the workload keeps an AWS bridge.
pub const SDK_VARIABLES: &[&str] = &[
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// The annotation prefix of IRSA (`eks.amazonaws.com/role-arn`, `…/audience`, `…/token-expiration`, …).
pub const IRSA_PREFIX: &str = "eks.amazonaws.com/";

#[derive(Debug, Clone)]
pub struct K8sObject {
    /// Where the object starts.
    pub loc: Loc,
    /// `apiVersion` (shared: a repository has a handful, repeated on every object).
    pub api_version: std::sync::Arc<str>,
    /// `kind` (shared, like `api_version`).
    pub kind: std::sync::Arc<str>,
    /// `metadata.name` (or `generateName`).
    pub name: String,
    /// `metadata.namespace`, when set (shared, like `api_version`).
    pub namespace: Option<std::sync::Arc<str>>,
    /// Where the object ends (its last value). The object itself is not kept in memory: `translate` reads the file
    /// again to rewrite it, so the model stays small however large the input.
    pub end: Pos,
    /// The `eks2aks.dev/ignore` annotation: its text (None when it is not a string) and position. Boxed: few
    /// objects have one.
    pub waiver: Option<Box<(Option<String>, Pos)>>,
    /// The Helm template it was rendered from (`# Source:` comment), if any (shared by the objects of a template).
    pub helm_source: Option<std::sync::Arc<str>>,
    /// The Helm label `app.kubernetes.io/name` (`metadata.labels`), when it is a string: how add-ons are
    /// recognised (`mappings/addons.yaml`).
    pub app_name: Option<std::sync::Arc<str>>,
    /// The keys a merge key (`<<: *anchor`) brings into the object from text outside it (another object's
    /// anchor), by their position: an edit there would change every object that shares the anchor (E2A107).
    pub merged_from: Vec<Pos>,
}

/// A ServiceAccount, declared or implied.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    /// Namespace (the configured default when the object has none).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `eks.amazonaws.com/role-arn`, with its location.
    pub role_arn: Option<(String, Loc)>,
    /// `eks.amazonaws.com/audience`, when set.
    pub audience: Option<String>,
    /// Where it is declared; for an implied ServiceAccount, the first workload that uses it.
    pub loc: Loc,
    /// How it came to be.
    pub origin: SaOrigin,
    /// The keys of its `eks.amazonaws.com/*` annotations, in input order (what the rewrite removes), and the
    /// text of `eks.amazonaws.com/token-expiration`. Empty for implied and eksctl ServiceAccounts.
    pub irsa: Irsa,
}

/// A declared ServiceAccount's IRSA annotations (see [`ServiceAccount::irsa`]).
#[derive(Debug, Clone, Default)]
pub struct Irsa {
    /// Annotation keys under [`IRSA_PREFIX`].
    pub keys: Vec<std::sync::Arc<str>>,
    /// `eks.amazonaws.com/token-expiration`, when it is a string.
    pub token_expiration: Option<String>,
}

/// How a ServiceAccount entered the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaOrigin {
    /// A `kind: ServiceAccount` object.
    Declared,
    /// Used by a workload but not declared (e.g. the namespace's `default`).
    Implied,
    /// Created by eksctl from `iam.serviceAccounts`.
    Eksctl,
}

/// Something that runs pods.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// Kind.
    pub kind: std::sync::Arc<str>,
    /// Namespace.
    pub namespace: std::sync::Arc<str>,
    /// Name.
    pub name: String,
    /// The ServiceAccount its pods run as (`default` when unset).
    pub service_account: std::sync::Arc<str>,
    /// Where the pod template (or the Pod's spec) is.
    pub template_loc: Loc,
    /// The path of the pod spec inside the object (`["spec"]` for a Pod, `["spec", "template", "spec"]` for a
    /// Deployment, …).
    pub pod_spec_path: &'static [&'static str],
    /// Where each of its pods' labels are ([`LabelAt`]): one per pod template (a Spark driver and its executors, a
    /// Ray head and each worker group, …), from `mappings/workloads.yaml`.
    pub labels: Vec<LabelAt>,
    /// Whether `pod_spec_path` is a real pod spec (`containers`, `volumes`); a kind whose containers are described
    /// otherwise (a SparkApplication's driver) has none.
    pub has_pod_spec: bool,
    /// The env items of its containers named like an AWS SDK variable ([`SDK_VARIABLES`]), in input order.
    pub sdk_env: Vec<SdkEnv>,
    /// Where `serviceAccountName` is, when set.
    pub service_account_loc: Option<Loc>,
    /// Containers, init containers included.
    pub containers: Vec<Container>,
    /// AWS references found in the pod's env.
    pub aws_refs: Vec<AwsRef>,
    /// ConfigMaps and Secrets the pods read (`envFrom`, `valueFrom`, volumes), as (kind, name).
    pub config_refs: Vec<(String, String)>,
    /// Its containers' env `value`s and `args`/`command` items, in input order: where the AWS names its role
    /// knows are looked for (`plan::names_in_config`).
    pub values: Vec<ConfigValue>,
}

/// One configuration value a workload reads: an env `value`, an `args`/`command` item, a ConfigMap's `data` or a
/// Secret's `stringData` value.
#[derive(Debug, Clone)]
pub struct ConfigValue {
    /// The env variable or data key (`args`/`command` for a container's list).
    pub key: std::sync::Arc<str>,
    /// The text (shared: values repeat).
    pub text: std::sync::Arc<str>,
    /// Where the value is.
    pub loc: Loc,
    /// A literal block scalar (`|`): line `n` (1-based) of its text is at line `block + n` of the file.
    pub block: Option<u32>,
    /// For an `args`/`command` item, where its list is (an edit of the whole list rewrites it).
    pub within: Option<Pos>,
}

/// A URL a stack's storage config reads with its bucket as its path, its host being a region or an endpoint (Loki's
/// `s3://<region>/<bucket>`, `bucket_url` in `mappings/storage-configs.yaml`; found by
/// `plan::storage_configs::reread_bucket_urls`, which reads the value's references again by it).
#[derive(Debug, Clone)]
pub struct BucketUrl {
    /// The ConfigMap or Secret value that holds it.
    pub loc: Loc,
    /// The URL.
    pub url: String,
    /// The bucket its path names (`None`: it names none).
    pub bucket: Option<String>,
}

/// An AWS reference in a custom resource's `spec` (an ARN, an `*.amazonaws.com` host, an S3 URI): flagged unless
/// an edit rewrites it (`plan::names_in_config`).
#[derive(Debug, Clone)]
pub struct SpecRef {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// The value's path in the object (`spec.issuerRef.arn`).
    pub path: String,
    /// The text.
    pub text: String,
    /// Where the value is.
    pub loc: Loc,
    /// Where its enclosing nodes are, outermost first (an edit of any of them rewrites it).
    pub within: Vec<Pos>,
}

/// Where one pod template's labels are: `labels` from the node at `template`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelAt {
    /// The node that holds the labels (empty: the object).
    pub template: &'static [&'static str],
    /// The labels map, from `template` (`metadata.labels` for a pod template).
    pub labels: &'static [&'static str],
}

/// One container of a pod template.
#[derive(Debug, Clone)]
pub struct Container {
    /// Name.
    pub name: String,
    /// Image, with its location.
    pub image: Option<(String, Loc)>,
}

/// An env item that sets an AWS SDK variable.
#[derive(Debug, Clone)]
pub struct SdkEnv {
    /// The variable (shared).
    pub name: std::sync::Arc<str>,
    /// The `value` of an `AWS_ROLE_ARN` item, when it is a string (the role the container assumes); `None` for
    /// the other variables (nothing reads their values).
    pub value: Option<String>,
    /// Where the item starts.
    pub loc: Loc,
}

/// A reference to AWS found in env or config data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AwsRef {
    /// What kind of reference.
    pub kind: AwsRefKind,
    /// The env var or data key that holds it (shared: every app has its `AWS_REGION`).
    pub key: std::sync::Arc<str>,
    /// The text found (shared, like the key: regions and common endpoints repeat).
    pub text: std::sync::Arc<str>,
    /// The resource ARN it names, when known (an ARN, or an SQS queue URL turned into one).
    pub arn: Option<String>,
    /// Where.
    pub loc: Loc,
}

/// Kinds of AWS reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AwsRefKind {
    /// An ARN.
    Arn,
    /// An `*.amazonaws.com` endpoint or URL (or `s3://`).
    Endpoint,
    /// `AWS_REGION` / `AWS_DEFAULT_REGION`.
    Region,
    /// A static access key id or secret key.
    StaticKey,
    /// An AWS SDK variable injected by IRSA (`AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE`, …).
    SdkVariable,
    /// A bare resource name under a key that says what it is (`DYNAMODB_TABLE_NAME: orders`); the IAM prefix of
    /// the service the key names is in `arn` as `name:<prefix>`.
    Name,
}

/// A ConfigMap or Secret.
#[derive(Debug, Clone)]
pub struct ConfigData {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// AWS references in its data.
    pub aws_refs: Vec<AwsRef>,
    /// The keys of `data` named like an AWS SDK variable ([`SDK_VARIABLES`], any case), in input order.
    pub sdk_keys: Vec<std::sync::Arc<str>>,
    /// A ConfigMap's `data` and a Secret's `stringData` values, in input order.
    pub values: Vec<ConfigValue>,
}

impl ConfigData {
    /// Whether the value at `pos` is a Secret's `data` value, base64-encoded (its references were read from the
    /// decoded text): a Secret value that is not one of its `stringData` values ([`Self::values`]).
    pub fn is_encoded(&self, pos: crate::diag::Pos) -> bool {
        self.kind == "Secret" && !self.values.iter().any(|v| v.loc.pos == pos)
    }
}

/// A KEDA ScaledObject or ScaledJob.
#[derive(Debug, Clone)]
pub struct Scaler {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// `ScaledObject` or `ScaledJob`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.scaleTargetRef` (kind, name) for a ScaledObject.
    pub target: Option<(String, String)>,
    /// Triggers.
    pub triggers: Vec<Trigger>,
}

/// One KEDA trigger.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// `type` (`aws-sqs-queue`, …).
    pub trigger_type: String,
    /// `metadata`, values as text.
    pub metadata: BTreeMap<String, String>,
    /// `authenticationRef` (kind, name).
    pub auth_ref: Option<(String, String)>,
    /// Where.
    pub loc: Loc,
}

/// A KEDA TriggerAuthentication or ClusterTriggerAuthentication.
#[derive(Debug, Clone)]
pub struct TriggerAuth {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// Kind.
    pub kind: String,
    /// Namespace (empty for the cluster-scoped kind).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.podIdentity.provider`.
    pub provider: Option<String>,
    /// `spec.podIdentity.roleArn`, when set.
    pub role_arn: Option<String>,
    /// `spec.podIdentity.identityOwner`.
    pub identity_owner: Option<String>,
    /// The AWS parameters (`awsAccessKeyID`, `awsSecretAccessKey`, `awsSessionToken`, `awsRoleArn`) its
    /// `secretTargetRef` and `env` items supply.
    pub aws_params: Vec<String>,
    /// Where.
    pub loc: Loc,
}

/// A StorageClass, PersistentVolume, Ingress or Service: what the storage and load-balancer rewrite reads
/// (`plan::cloud`), every value with its position.
#[derive(Debug, Clone)]
pub struct CloudObject {
    /// Index into [`super::Model::objects`].
    pub object: usize,
    /// Kind (shared).
    pub kind: std::sync::Arc<str>,
    /// Name.
    pub name: String,
    /// The scalar fields read, by dotted path (`provisioner`, `spec.ingressClassName`, `spec.loadBalancerClass`,
    /// `spec.csi.driver`, `spec.csi.volumeHandle`, `spec.awsElasticBlockStore.volumeID`), in that order; then a
    /// StorageClass's `allowedTopologies` label expressions (key: the label, value: its values joined by `, `).
    pub fields: Vec<(&'static str, CloudField)>,
    /// A StorageClass's `parameters`, in input order (`None` when it has none).
    pub parameters: Option<Vec<CloudField>>,
    /// `metadata.annotations`, in input order.
    pub annotations: Vec<CloudField>,
}

/// One key and its value (its text when it is a scalar).
#[derive(Debug, Clone)]
pub struct CloudField {
    /// The key (the last path segment for [`CloudObject::fields`]).
    pub key: String,
    /// The value's text, when it is a scalar.
    pub value: Option<String>,
    /// Where the value is.
    pub loc: Loc,
}

impl CloudObject {
    /// The text of a field read by path.
    pub fn field(&self, path: &str) -> Option<&CloudField> {
        self.fields.iter().find(|(p, _)| *p == path).map(|(_, f)| f)
    }
}
