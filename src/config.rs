//! `eks2aks.yaml`: optional; found in the current directory or given with `--config`. Unknown keys are an error
//! naming the key and line (exit 2).

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Azure settings.
    #[serde(default)]
    pub azure: AzureConfig,
    /// Per AWS service (IAM prefix), which Azure target receives it (`sqs: service-bus`).
    #[serde(default)]
    pub targets: BTreeMap<String, String>,
    /// ARN patterns of resources that stay on AWS (phased migration).
    #[serde(default)]
    pub stay_on_aws: Vec<String>,
    /// How AKS workloads reach what stays on AWS: `aks-issuer` or `entra`.
    #[serde(default)]
    pub bridge: Option<String>,
    /// Namespace assumed for objects without one (default `default`).
    #[serde(default)]
    pub default_namespace: Option<String>,
    /// Per resource (ARN pattern, `*` and `?`), which Azure target receives it; wins over `targets`.
    #[serde(default)]
    pub resource_targets: BTreeMap<String, String>,
    /// Custom role definitions where no built-in role is tight enough.
    #[serde(default)]
    pub custom_roles: CustomRoles,
    /// Per rule (code or name): `error`, `warning`, `note` or `off`.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// The Entra tenant registered in AWS IAM as an OpenID Connect provider (`bridge: entra`).
    #[serde(default)]
    pub entra: EntraBridge,
    /// Reverse bridge: workloads still on EKS reach resources already moved to Azure with their own projected
    /// token (a federated credential whose issuer is the EKS cluster's).
    #[serde(default)]
    pub bridge_from_eks: bool,
    /// Largest file eks2aks reads (`64MiB`, `512KiB`, or bytes); `--max-file-size` wins.
    #[serde(default)]
    pub max_file_size: Option<SizeValue>,
    /// The AKS ingress class that ALB Ingresses move to (a class of `mappings/k8s-resources.yaml`; default its
    /// `default_class`, the application routing add-on's `webapprouting.kubernetes.azure.com`).
    #[serde(default)]
    pub ingress_class: Option<String>,
    /// Route 53 → Azure DNS (issue 20): the Azure DNS zones' subscription and resource group, and the zone name
    /// of each hosted zone id.
    #[serde(default)]
    pub route53: Route53Config,
    /// The AWS region the AWS bridge's pods use (`AWS_REGION`, `AWS_DEFAULT_REGION`); wins over the region of the
    /// staying resources and of the EKS OIDC provider.
    #[serde(default)]
    pub bridge_region: Option<String>,
    /// The AWS account, region and partition that CloudFormation's pseudo-parameters (`AWS::AccountId`,
    /// `AWS::Region`, `AWS::Partition`) and a Terraform plan's unknown account stand for; each wins over what
    /// eks2aks would infer from the other inputs.
    #[serde(default)]
    pub aws: AwsConfig,
}

/// `aws:` in `eks2aks.yaml`: the deploy-time values of infrastructure code (issue 22).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// A 12-digit account id.
    #[serde(default)]
    pub account_id: Option<String>,
    /// A region (`eu-west-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// `aws` (default), `aws-cn` or `aws-us-gov`.
    #[serde(default)]
    pub partition: Option<String>,
}

/// `route53:` in `eks2aks.yaml`: where the Azure DNS zones live, and the zone name of each Route 53 hosted zone id
/// (`Z0123…: example.com`; a `hostedzone/` prefix is accepted). The rewrites of external-dns and cert-manager use
/// them; an unset value is a `REPLACE-ME-…` placeholder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route53Config {
    /// The Azure subscription id of the DNS zones.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The resource group of the DNS zones.
    #[serde(default)]
    pub resource_group: Option<String>,
    /// Hosted zone id → zone name.
    #[serde(default)]
    pub zones: BTreeMap<String, String>,
}

impl Route53Config {
    /// The zone name of a hosted zone id (`Z123`, `/hostedzone/Z123` or `hostedzone/Z123`).
    pub fn zone_name(&self, id: &str) -> Option<&str> {
        let bare = |s: &str| s.trim_start_matches('/').trim_start_matches("hostedzone/").to_string();
        let id = bare(id);
        self.zones.iter().find(|(k, _)| bare(k) == id).map(|(_, v)| v.trim_end_matches('.'))
    }
}

/// A size in the config: bytes, or text with a unit (`64MiB`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SizeValue {
    /// Bytes.
    Bytes(u64),
    /// `64MiB`, `512KiB`, `1GiB`.
    Text(String),
}

impl SizeValue {
    /// In bytes.
    pub fn bytes(&self) -> Result<u64> {
        match self {
            SizeValue::Bytes(0) => anyhow::bail!("invalid config: `max_file_size` must be more than 0"),
            SizeValue::Bytes(n) => Ok(*n),
            SizeValue::Text(t) => {
                crate::diag::files::parse_size(t).map_err(|e| anyhow::anyhow!("invalid config: `max_file_size`: {e}"))
            }
        }
    }
}

/// `entra:` settings of the Entra bridge.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraBridge {
    /// Entra tenant id.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Application ID URI of the app registration AWS trusts (the token audience).
    #[serde(default)]
    pub app_id_uri: Option<String>,
    /// Principal (object) ids of the managed identities, by identity name, once deployed.
    #[serde(default)]
    pub principal_ids: BTreeMap<String, String>,
}

/// Checks the `rules:` overrides: known rules, known severities (the first problem; [`problems`] lists them all).
pub fn rule_overrides(cfg: &Config) -> Result<BTreeMap<&'static str, Option<crate::diag::Severity>>> {
    let (out, problems) = rule_overrides_checked(cfg);
    match problems.into_iter().next() {
        Some((_, msg)) => anyhow::bail!("invalid config: {msg}"),
        None => Ok(out),
    }
}

/// The `rules:` overrides that are valid, and a (place, message) per one that is not: an unknown rule (and the
/// malformed-input rule, which cannot be overridden) at its key, a severity that is not one at its value.
type Overrides = BTreeMap<&'static str, Option<crate::diag::Severity>>;
fn rule_overrides_checked(cfg: &Config) -> (Overrides, Vec<(At, String)>) {
    use crate::diag::Severity;
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (k, v) in &cfg.rules {
        let Some(rule) = crate::rules::by_code(k) else {
            problems.push((
                At::key(&["rules", k]),
                format!("`rules.{k}`: no such rule (see `eks2aks check --list-rules`)"),
            ));
            continue;
        };
        let sev = match v.as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "note" => Some(Severity::Note),
            "off" => None,
            other => {
                problems
                    .push((At::value(&["rules", k]), format!("`rules.{k}: {other}`: use error, warning, note or off")));
                continue;
            }
        };
        if rule.code == crate::rules::MALFORMED_INPUT {
            problems
                .push((At::key(&["rules", k]), format!("`rules.{k}`: malformed input cannot be waived or downgraded")));
            continue;
        }
        // The guards that make `translate` refuse (a grant wider than the IAM role, one ServiceAccount federated to
        // two identities): only a waiver with a reason, on the ServiceAccount, lets one through (never the whole run).
        let guard = [crate::rules::GRANT_WIDER_THAN_AWS, crate::rules::AMBIGUOUS_SERVICE_ACCOUNT].contains(&rule.code);
        if guard && sev != Some(Severity::Error) {
            problems.push((
                At::value(&["rules", k]),
                format!("`rules.{k}: {v}`: {} ({}) makes `translate` refuse and cannot be downgraded or switched off; waive each finding with a reason on its ServiceAccount (`eks2aks.dev/ignore: \"{}: <reason>\"`)", rule.code, rule.name, rule.code),
            ));
            continue;
        }
        out.insert(rule.code, sev);
    }
    (out, problems)
}

/// Every problem of a parsed config that its types do not catch (the bridge, the rules, the size limit), as
/// (place, message): all of them, so one run reports them together.
pub fn problems(cfg: &Config) -> Vec<(At, String)> {
    let mut out = Vec::new();
    if let Some(b) = &cfg.bridge
        && !matches!(b.as_str(), "aks-issuer" | "entra")
    {
        out.push((At::value(&["bridge"]), format!("`bridge` must be `aks-issuer` or `entra`, not {b:?}")));
    }
    if let Some(size) = &cfg.max_file_size
        && let Err(e) = size.bytes()
    {
        out.push((At::value(&["max_file_size"]), e.to_string().trim_start_matches("invalid config: ").to_string()));
    }
    out.extend(rule_overrides_checked(cfg).1);
    out.extend(aws_problems(&cfg.aws));
    out.extend(azure_name_problems(cfg));
    out
}

/// Problems of the Azure names and ids the outputs and suggested commands are built from (review 3, d17: a zone
/// name and resource groups with shell and Bicep syntax in them reached main.bicep, a manifest and a suggested
/// command): resource groups, subscription and tenant ids, and `route53.zones` zone names. Each is located at its
/// value (it was at the key, and `route53.resource_group` at `route53:`).
fn azure_name_problems(cfg: &Config) -> Vec<(At, String)> {
    /// The keys of a value, the value, its check, and what it must be.
    type NameCheck<'c> = ([&'static str; 2], Option<&'c str>, fn(&str) -> bool, &'static str);
    const GROUP: &str = "a resource group name (1 to 90 letters, digits, `_`, `-`, `.`, `(` or `)`, not ending in `.`)";
    const GUID: &str = "a GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`)";
    let values: [NameCheck; 6] = [
        (["azure", "resource_group"], cfg.azure.resource_group.as_deref(), resource_group_ok, GROUP),
        (["azure", "node_resource_group"], cfg.azure.node_resource_group.as_deref(), resource_group_ok, GROUP),
        (["route53", "resource_group"], cfg.route53.resource_group.as_deref(), resource_group_ok, GROUP),
        (["azure", "subscription_id"], cfg.azure.subscription_id.as_deref(), is_guid, GUID),
        (["azure", "tenant_id"], cfg.azure.tenant_id.as_deref(), is_guid, GUID),
        (["route53", "subscription_id"], cfg.route53.subscription_id.as_deref(), is_guid, GUID),
    ];
    let mut out = Vec::new();
    for (keys, v, ok, what) in values {
        if let Some(v) = v.filter(|v| !ok(v)) {
            out.push((At::value(&keys), format!("`{}` must be {what}, not {v:?}", keys.join("."))));
        }
    }
    for (id, zone) in &cfg.route53.zones {
        if !zone_name_ok(zone) {
            out.push((At::value(&["route53", "zones", id]), format!("`route53.zones` maps `{id}` to {zone:?}, which is no DNS zone name (dot-separated labels of letters, digits, `-` and `_`, each 1 to 63 characters, 253 in all)")));
        }
    }
    out
}

/// An Azure resource group name: 1 to 90 characters, letters (Unicode), digits, `_`, `-`, `.`, `(` and `)`, not
/// ending in `.` (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules,
/// Microsoft.Resources/resourcegroups).
fn resource_group_ok(v: &str) -> bool {
    let n = v.chars().count();
    (1..=90).contains(&n)
        && !v.ends_with('.')
        && v.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')'))
}

/// A GUID in its usual form (subscription and Entra tenant ids).
fn is_guid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A DNS zone name (an Azure DNS zone's resource name is its domain): labels of letters, digits, `-` and `_`, 1 to
/// 63 characters each, 253 in all, a final dot allowed.
fn zone_name_ok(v: &str) -> bool {
    let v = v.strip_suffix('.').unwrap_or(v);
    !v.is_empty()
        && v.len() <= 253
        && v.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// Problems of `aws:` (each located at its value; they were at the `aws` key).
fn aws_problems(aws: &AwsConfig) -> Vec<(At, String)> {
    let mut out = Vec::new();
    let mut bad = |key: &str, m: String| out.push((At::value(&["aws", key]), m));
    if let Some(a) = aws.account_id.as_deref().filter(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
        bad("account_id", format!("`aws.account_id` must be 12 digits, not {a:?}"));
    }
    let region_ok = |r: &str| {
        let parts: Vec<&str> = r.split('-').collect();
        parts.len() >= 3
            && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
            && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    };
    if let Some(r) = aws.region.as_deref().filter(|r| !region_ok(r)) {
        bad("region", format!("`aws.region` must be a region such as `eu-west-1`, not {r:?}"));
    }
    if let Some(p) = aws.partition.as_deref().filter(|p| !matches!(*p, "aws" | "aws-cn" | "aws-us-gov")) {
        bad("partition", format!("`aws.partition` must be `aws`, `aws-cn` or `aws-us-gov`, not {p:?}"));
    }
    out
}

/// Where a problem of a parsed config is: the keys from the top down to the offending value (`route53`,
/// `resource_group`); `key`: the problem is the last key itself (an unknown rule or service), not its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct At {
    /// The keys, outermost first.
    pub keys: Vec<String>,
    /// At the last key rather than at its value.
    pub key: bool,
}

impl At {
    /// At the value under `keys`.
    pub fn value(keys: &[&str]) -> Self {
        At { keys: keys.iter().map(|k| k.to_string()).collect(), key: false }
    }

    /// At the last key of `keys` itself.
    pub fn key(keys: &[&str]) -> Self {
        At { keys: keys.iter().map(|k| k.to_string()).collect(), key: true }
    }

    /// The (1-based line, column) of the place in the config's tree; as far as the keys are found (the deepest
    /// key found, when one is missing: a value brought in by an alias or merge key); `None` without a tree.
    fn find(&self, root: Option<&crate::yaml::Node>) -> Option<crate::diag::Pos> {
        let (mut node, mut found) = (root?, None);
        for (i, k) in self.keys.iter().enumerate() {
            let Some(e) = node.as_map().and_then(|m| m.iter().find(|e| e.key == *k)) else { break };
            let last = i + 1 == self.keys.len();
            found = Some(if last && !self.key { e.value.pos } else { e.key_pos });
            node = &e.value;
        }
        found
    }
}

/// The 1-based line where `key:` first starts a line of the config's text (for messages), if any.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    crate::text::line_starting_with(text, &format!("{key}:"))
}

/// `custom_roles:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRoles {
    /// Propose custom roles at all (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Most data actions a built-in role set may grant beyond the need before a custom role is proposed (default 1).
    #[serde(default = "one")]
    pub max_excess: usize,
}

fn yes() -> bool {
    true
}

fn one() -> usize {
    1
}

impl Default for CustomRoles {
    fn default() -> Self {
        CustomRoles { enabled: true, max_excess: 1 }
    }
}

/// `azure:` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureConfig {
    /// Default location of generated resources.
    #[serde(default)]
    pub location: Option<String>,
    /// The AKS cluster's OIDC issuer URL; a deployment parameter when unset.
    #[serde(default)]
    pub aks_oidc_issuer: Option<String>,
    /// An existing AKS cluster (in the deployment's resource group) whose OIDC issuer the credentials use.
    #[serde(default)]
    pub aks_cluster: Option<String>,
    /// Storage account that receives queues, tables and containers.
    #[serde(default)]
    pub storage_account: Option<String>,
    /// Key Vault that receives secrets and keys.
    #[serde(default)]
    pub key_vault: Option<String>,
    /// Service Bus namespace.
    #[serde(default)]
    pub service_bus_namespace: Option<String>,
    /// Event Hubs namespace.
    #[serde(default)]
    pub event_hubs_namespace: Option<String>,
    /// Cosmos DB account.
    #[serde(default)]
    pub cosmos_account: Option<String>,
    /// Cosmos DB database.
    #[serde(default)]
    pub cosmos_database: Option<String>,
    /// App Configuration store.
    #[serde(default)]
    pub app_configuration: Option<String>,
    /// Container registry (ACR) that receives ECR images.
    #[serde(default)]
    pub container_registry: Option<String>,
    /// Reference these parent resources as `existing` instead of creating them (storage_account, key_vault,
    /// service_bus_namespace, event_hubs_namespace, cosmos_account, app_configuration, container_registry).
    #[serde(default)]
    pub existing: Vec<String>,
    /// Entra tenant id (for the `AZURE_TENANT_ID` of workloads still on EKS, `bridge_from_eks`).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The KEDA operator's ServiceAccount (`namespace/name`) that gets a federated credential on identities used
    /// by `azure-workload` trigger authentication (default: the AKS KEDA add-on's `kube-system/keda-operator`).
    #[serde(default)]
    pub keda_operator: Option<String>,
    /// The resource group of the storage account (Velero's `BackupStorageLocation` `config.resourceGroup`).
    #[serde(default)]
    pub resource_group: Option<String>,
    /// The subscription of the storage account and the cluster (Velero's `config.subscriptionId`).
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The AKS node resource group (`MC_…`), where Velero's Azure plugin snapshots disks.
    #[serde(default)]
    pub node_resource_group: Option<String>,
}

impl AzureConfig {
    /// The `azure:` keys that name a resource of a scope kind (the `config_key` of `mappings/scopes.yaml`).
    pub const RESOURCE_KEYS: &[&str] = &[
        "storage_account",
        "key_vault",
        "service_bus_namespace",
        "event_hubs_namespace",
        "cosmos_account",
        "cosmos_database",
        "app_configuration",
        "container_registry",
        "node_resource_group",
    ];

    /// The value of one of [`AzureConfig::RESOURCE_KEYS`], when set.
    pub fn resource(&self, key: &str) -> Option<&String> {
        match key {
            "storage_account" => self.storage_account.as_ref(),
            "key_vault" => self.key_vault.as_ref(),
            "service_bus_namespace" => self.service_bus_namespace.as_ref(),
            "event_hubs_namespace" => self.event_hubs_namespace.as_ref(),
            "cosmos_account" => self.cosmos_account.as_ref(),
            "cosmos_database" => self.cosmos_database.as_ref(),
            "app_configuration" => self.app_configuration.as_ref(),
            "container_registry" => self.container_registry.as_ref(),
            "node_resource_group" => self.node_resource_group.as_ref(),
            _ => None,
        }
    }
}

/// Loads the config: the given file, or `eks2aks.yaml` in the current directory when present.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
    let (cfg, path, problems) = load_all(explicit)?;
    match (problems.is_empty(), &path) {
        (false, Some(p)) => {
            Err(Invalid { path: p.display().to_string(), text: read_text(p, explicit)?, problems }.into())
        }
        _ => Ok((cfg, path)),
    }
}

fn read_text(path: &Path, explicit: Option<&Path>) -> Result<String> {
    // Under the filesystem policy like every input: a config named with --config may be a FIFO, the implicit one
    // may not; neither is read past the size limit.
    let bytes = crate::diag::files::read_capped(path, explicit.is_some(), crate::diag::files::max_file_size())
        .with_context(|| format!("reading config {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("reading config {}: not UTF-8", path.display()))
}

/// Loads the config like [`load`], but a value of the wrong type or an unknown key is not the end: every such
/// problem is returned with its line and column (serde stops at the first, so each top-level key, and each entry
/// of a key that fails, is read on its own with the other lines blanked, which keeps the lines), together with the
/// config read without the entries that fail, so that the checks that need a parsed config ([`problems`],
/// `mapping::target_problems`) report theirs in the same run (review of 4ba9fce).
pub fn load_all(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>, Vec<Problem>)> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from("eks2aks.yaml");
            if !p.is_file() {
                return Ok((Config::default(), None, Vec::new()));
            }
            p
        }
    };
    let text = read_text(&path, explicit)?;
    if text.trim().is_empty() {
        return Ok((Config::default(), Some(path), Vec::new()));
    }
    let first = match serde_norway::from_str::<Config>(&text) {
        Ok(cfg) => return Ok((cfg, Some(path), Vec::new())),
        Err(e) => problem_of(&e),
    };
    // A text that is not well-formed YAML (a duplicate key, a syntax error): those problems, each at its place —
    // serde stops at the first, and puts a duplicate field at its first occurrence, not at the repeated key. What
    // serde would say about the values comes once they are fixed.
    let (_, malformed) = crate::yaml::parse_stream_all(&text);
    if !malformed.is_empty() {
        let at = |n: u32| Some(n as usize);
        let problems = malformed
            .into_iter()
            .map(|e| Problem { line: at(e.pos.line), column: at(e.pos.col), message: e.message })
            .collect();
        return Ok((Config::default(), Some(path), problems));
    }
    let lines: Vec<&str> = text.lines().collect();
    let (mut problems, failing) = unit_problems(&lines);
    let partial = (!problems.is_empty())
        .then(|| serde_norway::from_str::<Config>(&masked(&lines, |i| !failing.contains(&i))).ok())
        .flatten();
    match partial {
        Some(cfg) => {
            problems.sort();
            problems.dedup();
            Ok((cfg, Some(path), problems))
        }
        // Anchors across keys: nothing better than serde's first problem.
        None => Ok((Config::default(), Some(path), vec![first])),
    }
}

fn problem_of(e: &serde_norway::Error) -> Problem {
    let at = e.location().map(|l| (l.line(), l.column()));
    // The position is shown with the line; the message need not repeat it.
    let message = e.to_string();
    let message = at
        .and_then(|(l, c)| message.strip_suffix(&format!(" at line {l} column {c}")))
        .map_or_else(|| message.clone(), str::to_string);
    Problem { line: at.map(|a| a.0), column: at.map(|a| a.1), message }
}

/// The text with the lines `keep` refuses blanked (line numbers unchanged).
fn masked(lines: &[&str], keep: impl Fn(usize) -> bool) -> String {
    let kept: Vec<&str> = lines.iter().enumerate().map(|(i, l)| if keep(i) { *l } else { "" }).collect();
    kept.join("\n")
}

/// Where the entries of a block start: the lines (from `from`, before `to`) that are not blank or a comment and
/// are indented by exactly `indent`.
fn entry_starts(lines: &[&str], from: usize, to: usize, indent: Option<usize>) -> Vec<usize> {
    let content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let depth = |l: &str| l.len() - l.trim_start().len();
    let indent = indent.or_else(|| (from..to).filter(|&i| content(lines[i])).map(|i| depth(lines[i])).min());
    (from..to).filter(|&i| content(lines[i]) && Some(depth(lines[i])) == indent).collect()
}

/// Each top-level key read alone; of one that fails, each entry read alone under its key line. The problems, and
/// the lines to leave out for the rest to parse.
fn unit_problems(lines: &[&str]) -> (Vec<Problem>, std::collections::BTreeSet<usize>) {
    let parse = |keep: &dyn Fn(usize) -> bool| serde_norway::from_str::<Config>(&masked(lines, keep)).err();
    let spans = |starts: &[usize], end: usize| -> Vec<(usize, usize)> {
        starts.iter().enumerate().map(|(k, &a)| (a, starts.get(k + 1).copied().unwrap_or(end))).collect()
    };
    let mut problems = Vec::new();
    let mut failing = std::collections::BTreeSet::new();
    for (a, b) in spans(&entry_starts(lines, 0, lines.len(), Some(0)), lines.len()) {
        let Some(block_err) = parse(&|i| (a..b).contains(&i)) else { continue };
        let entries = spans(&entry_starts(lines, a + 1, b, None), b);
        let mut bad = 0;
        for &(c, d) in &entries {
            // An entry read without its siblings may lack a field they give: that is not its problem.
            if let Some(e) =
                parse(&|i| i == a || (c..d).contains(&i)).filter(|e| !e.to_string().starts_with("missing field"))
            {
                problems.push(problem_of(&e));
                failing.extend(c..d);
                bad += 1;
            }
        }
        if bad > 0 && bad == entries.len() {
            failing.insert(a);
        }
        if bad == 0 {
            problems.push(problem_of(&block_err));
            failing.extend(a..b);
        }
    }
    (problems, failing)
}

/// One problem of a config file, with its position when known.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column (characters).
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A config eks2aks cannot use: every problem found, with the file's text so that each can be shown at its line
/// (the binary renders them like input errors; exit 2).
#[derive(Debug)]
pub struct Invalid {
    /// The file as shown (`eks2aks.yaml` when none was read).
    pub path: String,
    /// Its text.
    pub text: String,
    /// The problems, in line order.
    pub problems: Vec<Problem>,
}

impl Invalid {
    /// The problems found after parsing, as (place, message): each at its place in the config's text (the caret
    /// at the offending value, or key), in line order. A text the positioned reader cannot read (serde read it)
    /// places each at the first line that starts with its last key.
    pub fn located(path: String, text: String, problems: &[(At, String)]) -> Self {
        let docs = crate::yaml::parse_stream(&text).ok();
        let root = docs.as_ref().and_then(|d| d.first()).map(|d| &d.root);
        let mut out: Vec<Problem> = problems
            .iter()
            .map(|(at, message)| {
                let (line, column) = match at.find(root) {
                    Some(p) => (Some(p.line as usize), Some(p.col as usize)),
                    None => {
                        let line = at.keys.last().and_then(|k| line_of_key(&text, k));
                        let column = line.and_then(|l| text.lines().nth(l - 1)).map(|l| {
                            let indent = l.len() - l.trim_start().trim_start_matches("- ").len();
                            l[..indent].chars().count() + 1
                        });
                        (line, column)
                    }
                };
                Problem { line, column, message: message.clone() }
            })
            .collect();
        out.sort();
        Invalid { path, text, problems: out }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.problems.len();
        write!(f, "invalid config {} ({n} problem{})", self.path, if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            match p.line {
                Some(l) => write!(f, "\n  {}:{l}: {}", self.path, p.message)?,
                None => write!(f, "\n  {}", p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}
