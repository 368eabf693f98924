//! DNS and secrets (issue 20, parts 4 and 5): what becomes of the sections ingest found pointing at AWS
//! (`model::AwsSection`). Each rewrite is a plan edit ([`Edit::Section`], or [`Edit::Value`] for an
//! `ExternalSecret` key); what cannot be rewritten, or needs a step an edit cannot make, is a finding.
//!
//! Field names, from the projects' docs:
//! - external-dns on Azure (kubernetes-sigs/external-dns `docs/tutorials/azure.md`): `--provider=azure` (or
//!   `azure-private-dns`), settings in `azure.json` (`tenantId`, `subscriptionId`, `resourceGroup`,
//!   `useWorkloadIdentityExtension: true`) from a secret mounted at `/etc/kubernetes`;
//! - cert-manager (cert-manager.io/docs/configuration/acme/dns01/azuredns): `dns01.azureDNS` with
//!   `subscriptionID`, `resourceGroupName`, `hostedZoneName`, `environment: AzurePublicCloud` and
//!   `managedIdentity.clientID`;
//! - External Secrets (external-secrets.io/latest/provider/azure-key-vault): `spec.provider.azurekv` with
//!   `authType: WorkloadIdentity`, `vaultUrl` and `serviceAccountRef`;
//! - the Key Vault provider of the Secrets Store CSI driver (learn.microsoft.com, "Access Azure Key Vault with the
//!   CSI driver identity provider", workload identity): `provider: azure`, `parameters.usePodIdentity: "false"`,
//!   `clientID`, `keyvaultName`, `tenantId`, and `objects` as a YAML string `array:` of `objectName`/`objectType`
//!   (`secret`) documents.

use super::edits::{At, Edit, ItemEdits};
use super::{Identity, Resource};
use crate::config::Config;
use crate::diag::Loc;
use crate::graph::spc_objects;
use crate::mapping::{Tables, naming, need};
use crate::model::{AwsSection, Model, SectionKind};
use crate::rules;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The Azure type of Key Vault secrets: the naming domain of the plan's secrets (`mappings/services.yaml`).
const SECRET_TYPE: &str = "Microsoft.KeyVault/vaults/secrets";

/// A Route 53 hosted zone a DNS section names: the ServiceAccount it is used as (namespace, name), the bare
/// hosted zone id, and the zone name a cert-manager solver's `selector.dnsZones` gives when it lists one zone.
pub struct NamedZone {
    /// Namespace of the ServiceAccount.
    pub namespace: String,
    /// Name of the ServiceAccount.
    pub service_account: String,
    /// Hosted zone id without `/hostedzone/` (`None`: an external-dns `--domain-filter`, named by its domain).
    pub id: Option<String>,
    /// The zone name the manifests give (cert-manager `selector.dnsZones` with one zone, an external-dns
    /// `--domain-filter`).
    pub zone: Option<String>,
    /// external-dns runs with `--aws-zone-type=private`: the zone is a private hosted zone (Azure Private DNS).
    pub private: bool,
    /// Where the section names it.
    pub loc: Loc,
}

/// The hosted zones external-dns (`--zone-id-filter`, or `--domain-filter` by domain) and cert-manager Route 53
/// solvers (`hostedZoneID`) name, with
/// the ServiceAccount that uses them (a solver: its `auth.kubernetes.serviceAccountRef`, else cert-manager's own
/// `cert-manager/cert-manager`). What a `Resource: "*"` on Route 53 is narrowed to.
pub fn named_zones(model: &Model) -> Vec<NamedZone> {
    let bare = |id: &str| id.trim_start_matches('/').trim_start_matches("hostedzone/").to_string();
    let mut out = Vec::new();
    for s in &model.aws_sections {
        match &s.kind {
            SectionKind::ExternalDnsArgs { service_account } => {
                let args: Vec<&str> = s.value.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let private = args.windows(2).any(|w| w == ["--aws-zone-type", "private"])
                    || args.contains(&"--aws-zone-type=private");
                for (i, a) in args.iter().enumerate() {
                    let (flag, value) = match a.split_once('=') {
                        Some((f, v)) => (f, Some(v)),
                        None => (*a, args.get(i + 1).copied().filter(|n| !n.starts_with("--"))),
                    };
                    let (id, zone) = match (flag, value) {
                        ("--zone-id-filter", Some(v)) => (Some(bare(v)), None),
                        ("--domain-filter", Some(v)) => (None, Some(v.trim_end_matches('.').to_ascii_lowercase())),
                        _ => continue,
                    };
                    let (namespace, service_account) = (s.namespace.clone(), service_account.clone());
                    out.push(NamedZone { namespace, service_account, id, zone, private, loc: s.loc });
                }
            }
            SectionKind::Route53Solver { dns_zones } => {
                let r53 = s.value.get("route53");
                let id = r53.and_then(|r| r.get("hostedZoneID")).and_then(Value::as_str);
                let sa = r53.and_then(|r| r.pointer("/auth/kubernetes/serviceAccountRef/name")).and_then(Value::as_str);
                let ns = if s.namespace.is_empty() { "cert-manager" } else { s.namespace.as_str() };
                let (namespace, service_account) = match sa {
                    Some(sa) => (ns.to_string(), sa.to_string()),
                    None => ("cert-manager".to_string(), "cert-manager".to_string()),
                };
                let zone = if let [z] = dns_zones.as_slice() { Some(z.clone()) } else { None };
                // Without `hostedZoneID`, cert-manager finds the zone by the challenge's domain: the zone the
                // solver's one `selector.dnsZones` entry names (review 3, d25), by its name.
                if id.is_none() && zone.is_none() {
                    continue;
                }
                let id = id.map(bare);
                out.push(NamedZone { namespace, service_account, id, zone, private: false, loc: s.loc });
            }
            _ => {}
        }
    }
    out
}

/// Review 3 (d2): a hosted zone only a DNS section names (the role's `Resource: "*"` narrowed to it) was granted on
/// and declared in the Bicep, yet was no plan resource. Each zone an assignment is scoped to joins
/// `Joined::resources` at the section that names it (the first by place), so the plan lists it like any other.
/// A `--domain-filter` names the hosted zones whose zone name (`zones`: id → name) it is.
pub fn join_granted_zones(
    model: &Model,
    identities: &[Identity],
    zones_by_id: &BTreeMap<String, String>,
    resources: &mut BTreeMap<std::sync::Arc<str>, Loc>,
) {
    let scopes: BTreeSet<&str> =
        identities.iter().flat_map(|i| i.role_assignments.iter().map(|a| &*a.scope.aws_arn)).collect();
    let mut zones = named_zones(model);
    zones.sort_by_key(|z| z.loc);
    for z in zones {
        let ids: Vec<&str> = match (&z.id, &z.zone) {
            (Some(id), _) => vec![id.as_str()],
            (None, Some(d)) => zones_by_id
                .iter()
                .filter(|(_, n)| n.trim_end_matches('.').eq_ignore_ascii_case(d))
                .map(|(id, _)| id.as_str())
                .collect(),
            (None, None) => Vec::new(),
        };
        for id in ids {
            let arn = format!("arn:aws:route53:::hostedzone/{id}");
            if scopes.contains(arn.as_str()) && !resources.contains_key(arn.as_str()) {
                resources.insert(arn.into(), z.loc);
            }
        }
    }
}

/// The edits (by object index) and the findings of the DNS and secrets sections.
#[derive(Default)]
pub struct Decided {
    /// Edits by object index.
    pub edits: BTreeMap<usize, Vec<Edit>>,
    /// Findings: code, message, place.
    pub findings: Vec<(&'static str, String, Loc)>,
}

/// What became of an External Secrets store that pointed at AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// Secrets Manager: rewritten to `azurekv`; its `ExternalSecret` keys are mapped.
    KeyVault,
    /// Parameter Store (or another service): left on AWS.
    Aws,
}

struct Ctx<'a> {
    model: &'a Model,
    tables: &'a Tables,
    cfg: &'a Config,
    identities: &'a [Identity],
    key_vault: String,
    tenant: String,
    /// The Secrets Manager ARN each secret key or object resolves to (by its place and text), in the account of
    /// the ServiceAccount that reads it and the region of its store or class (`graph::named_secrets`).
    resolved: Resolved,
    /// The secret keys that resolve through several stores equally near, with the stores' places.
    ambiguous: Ambiguous,
    files: &'a crate::diag::Files,
    /// Hosted zone ids another zone of their domain leaves unmapped (E2A113): their rewrites get a placeholder.
    ambiguous_zones: BTreeSet<String>,
    out: Decided,
}

/// Every DNS and secrets rewrite and finding of the run. Pure: `plan::build` calls it for the findings and
/// `edits::decide` for the edits.
pub fn decide(
    model: &Model,
    files: &crate::diag::Files,
    tables: &Tables,
    cfg: &Config,
    identities: &[Identity],
    resources: &[Resource],
) -> Decided {
    if model.aws_sections.is_empty() {
        return Decided::default();
    }
    let (resolved, ambiguous) = resolved_secrets(model, files);
    let mut cx = Ctx {
        model,
        tables,
        cfg,
        identities,
        key_vault: cfg.azure.key_vault.clone().unwrap_or_else(|| "REPLACE-ME-key-vault".into()),
        tenant: cfg.azure.tenant_id.clone().unwrap_or_else(|| "REPLACE-ME-tenant-id".into()),
        resolved,
        ambiguous,
        files,
        ambiguous_zones: super::zone_conflicts::ambiguous_ids(model, tables, cfg),
        out: Decided::default(),
    };
    // By the store's place: one store name may be in several cluster directories, each decided on its own.
    let mut stores: BTreeMap<Loc, Store> = BTreeMap::new();
    for s in model.aws_sections.iter().filter(|s| s.kind == SectionKind::SecretStore) {
        let store = cx.secret_store(s);
        stores.insert(s.loc, store);
    }
    // What the stores an item reads through (the nearest of its store's name) became: one answer, or none when
    // they differ (a tie between a store rewritten and one left on AWS: E2A082, the item stays).
    let became = |cx: &mut Ctx, s: &AwsSection| -> Option<Store> {
        let near = crate::graph::nearest_stores(model, files, s);
        let mut kinds: Vec<Option<Store>> = near.iter().map(|st| stores.get(&st.loc).copied()).collect();
        kinds.dedup();
        match kinds[..] {
            [one] => one,
            [] => None,
            _ => {
                cx.left_between(s, &near.iter().map(|st| st.loc).collect::<Vec<_>>());
                None
            }
        }
    };
    let names = cx.secret_names(resources);
    for s in &model.aws_sections {
        match &s.kind {
            SectionKind::ExternalDnsArgs { service_account } => cx.external_dns(s, service_account),
            SectionKind::Route53Solver { dns_zones } => cx.route53_solver(s, dns_zones),
            SectionKind::ExternalSecretKey { version, .. } => {
                if became(&mut cx, s) == Some(Store::KeyVault) {
                    cx.external_secret_key(s, version.as_deref(), &names);
                }
            }
            SectionKind::ExternalSecretFind { .. } => {
                if became(&mut cx, s) == Some(Store::KeyVault) {
                    let msg = format!(
                        "{} {}: `dataFrom.find` searches AWS Secrets Manager by name or tags, and its store now reads Key Vault {}, whose secret names differ (`/`, `_`, `.` become `-`): the search is left as it is; check that it selects the same secrets in Key Vault",
                        model.objects[s.object].kind, s.name, cx.key_vault
                    );
                    cx.finding(rules::SECRET_REFERENCE_LEFT_ON_AWS, msg, s.loc);
                }
            }
            SectionKind::SecretProviderClass => cx.secret_provider_class(s, &names),
            SectionKind::SecretStore | SectionKind::SecretProviderMount { .. } => {}
        }
    }
    cx.out
}

impl<'a> Ctx<'a> {
    fn finding(&mut self, code: &'static str, msg: String, loc: Loc) {
        self.out.findings.push((code, msg, loc));
    }

    fn edit(&mut self, s: &AwsSection, e: Edit) {
        self.out.edits.entry(s.object).or_default().push(e);
    }

    /// The identity planned for a ServiceAccount.
    fn identity_of_sa(&self, ns: &str, sa: &str) -> Option<&'a str> {
        self.identities
            .iter()
            .find(|i| i.service_accounts.iter().any(|r| r.namespace == ns && r.name == sa))
            .map(|i| i.name.as_str())
    }

    /// The identity planned for an IAM role.
    fn identity_of_role(&self, arn: &str) -> Option<&'a str> {
        self.identities.iter().find(|i| i.aws_role_arn == arn).map(|i| i.name.as_str())
    }

    fn subscription(&self) -> String {
        self.cfg.route53.subscription_id.clone().unwrap_or_else(|| "REPLACE-ME-subscription-id".into())
    }

    fn resource_group(&self) -> String {
        self.cfg.route53.resource_group.clone().unwrap_or_else(|| "REPLACE-ME-dns-resource-group".into())
    }

    /// The zone name of a hosted zone id, from the config, else the one zone given (`fallback`); a placeholder
    /// and E2A080 when neither names it.
    fn zone_name(&mut self, id: &str, fallback: Option<&str>, what: &str, loc: Loc) -> String {
        let bare = id.trim_start_matches('/').trim_start_matches("hostedzone/");
        // Another hosted zone has its domain (E2A113 says so): the rewrite must name neither.
        if self.ambiguous_zones.contains(bare) {
            return format!("REPLACE-ME-zone-of-{bare}");
        }
        if let Some(n) = self.cfg.route53.zone_name(id).or(fallback) {
            return n.to_string();
        }
        let msg = format!(
            "{what}: Route 53 hosted zone `{bare}` has no zone name (no `route53.zones` entry in eks2aks.yaml); the rewrite names it `REPLACE-ME-zone-of-{bare}`"
        );
        self.finding(rules::ROUTE53_ZONE_UNMAPPED, msg, loc);
        format!("REPLACE-ME-zone-of-{bare}")
    }

    /// The DNS role grant, as a step, when the plan does not make it: no identity, or none of its assignments is
    /// `role` (the identity's policy named no zone that has a zone name). `None` when the plan grants it.
    fn dns_grant_step(&self, identity: Option<&str>, role: &str) -> Option<String> {
        let granted = identity
            .and_then(|n| self.identities.iter().find(|i| i.name == n))
            .is_some_and(|i| i.role_assignments.iter().any(|a| &*a.role_name == role));
        if granted {
            return None;
        }
        let who = identity.map_or("the identity of its ServiceAccount".to_string(), |i| format!("identity {i}"));
        let command = format!(
            "`az role assignment create --role \"{role}\" --assignee <client id> --scope $(az network {} zone show -g {} -n <zone> --query id -o tsv)`",
            if role.starts_with("Private") { "private-dns" } else { "dns" },
            crate::templates::sh_quote(&self.resource_group())
        );
        if self.reads_zones_only(identity) {
            // Review 3 (d1): a role that only reads Route 53 gets Reader on its zones, never the write role.
            return Some(format!(
                "{who} gets only `Reader` on its zones, as its AWS role grants no `route53:ChangeResourceRecordSets` on them: it cannot change record sets on Azure either; only if it must, grant `{role}` on each zone it manages: {command}"
            ));
        }
        Some(format!("grant {who} `{role}` on each zone it manages: {command}"))
    }

    /// A cert-manager Route 53 solver without `hostedZoneID` (review 3, d25): cert-manager finds the hosted zone
    /// of the challenge's domain by name. The plan grants on the Azure DNS zone of the solver's one
    /// `selector.dnsZones` entry when `route53.zones` names its hosted zone and the AWS role grants on it; else the
    /// step says what to do. `None` when the identity has a grant on that zone.
    fn solver_zone_step(&self, identity: Option<&str>, zone: Option<&str>) -> Option<String> {
        let who = identity.map_or("the identity of its ServiceAccount".to_string(), |i| format!("identity {i}"));
        let command = |z: &str| {
            format!(
                "`az role assignment create --role \"DNS Zone Contributor\" --assignee <client id> --scope $(az network dns zone show -g {} -n {} --query id -o tsv)`",
                crate::templates::sh_quote(&self.resource_group()),
                crate::templates::sh_quote(z)
            )
        };
        let Some(zone) = zone else {
            return Some(format!(
                "the solver names no `hostedZoneID` and no single `selector.dnsZones` entry, so no zone is known and none is granted: grant {who} `DNS Zone Contributor` on each zone its challenges need ({})",
                command("<zone>")
            ));
        };
        let granted = identity.and_then(|n| self.identities.iter().find(|i| i.name == n)).is_some_and(|i| {
            i.role_assignments
                .iter()
                .any(|a| &*a.scope.kind == "dns_zone" && a.scope.azure_name.eq_ignore_ascii_case(zone))
        });
        (!granted).then(|| format!(
            "the solver names no `hostedZoneID` (cert-manager finds the hosted zone of `{zone}` by name) and no grant on the Azure DNS zone `{zone}` is planned: map its hosted zone id to `{zone}` under `route53.zones` in eks2aks.yaml and translate again (it is granted when the AWS role grants `route53:ChangeResourceRecordSets` on that zone), or grant {who} `DNS Zone Contributor` on it: {}",
            command(zone)
        ))
    }

    /// True when the identity's only grants on DNS zones are Reader (its AWS role reads Route 53 and writes nothing).
    fn reads_zones_only(&self, identity: Option<&str>) -> bool {
        let Some(id) = identity.and_then(|n| self.identities.iter().find(|i| i.name == n)) else { return false };
        let zones: Vec<_> =
            id.role_assignments.iter().filter(|a| matches!(&*a.scope.kind, "dns_zone" | "private_dns_zone")).collect();
        !zones.is_empty() && zones.iter().all(|a| &*a.role_name == "Reader")
    }

    /// external-dns: `--provider=aws` becomes `--provider=azure` (`azure-private-dns` for `--aws-zone-type=private`;
    /// `--provider aws` keeps its flag, `aws` becomes the provider), the `--aws-*` args and `--zone-id-filter` go (a
    /// hosted zone id becomes its `--domain-filter`, added at the end). Item by item: every other arg, and the
    /// comments and quotes around them, stay as they are.
    fn external_dns(&mut self, s: &AwsSection, service_account: &str) {
        let args: Vec<Value> = s.value.as_array().cloned().unwrap_or_default();
        let text = |i: usize| args.get(i).and_then(Value::as_str);
        let private = (0..args.len()).any(|i| {
            text(i) == Some("--aws-zone-type=private")
                || (text(i) == Some("--aws-zone-type") && text(i + 1) == Some("private"))
        });
        let provider = if private { "azure-private-dns" } else { "azure" };
        let Args { mut out, removed, mut added, mut items, zone_ids, mut domains } = azure_args(&args, provider);
        let what = format!("external-dns {}/{}", s.namespace, s.name);
        for id in zone_ids {
            let zone = self.zone_name(&id, None, &what, s.loc);
            if domains.insert(zone.clone()) {
                let arg = format!("--domain-filter={zone}");
                out.push(json!(arg));
                items.append.push(json!(arg));
                added.push(arg);
            }
        }
        let identity = self.identity_of_sa(&s.namespace, service_account);
        let role = if private { "Private DNS Zone Contributor" } else { "DNS Zone Contributor" };
        let msg = format!(
            "{what} now runs with `--provider={provider}`, which reads `/etc/kubernetes/azure.json`: create it (`kubectl -n {ns} create secret generic azure-config-file --from-literal={literal}`), {mount}",
            ns = crate::templates::sh_quote(&s.namespace),
            // One shell word (review 3, d17: config values were pasted into the command unquoted).
            literal = crate::templates::sh_quote(&format!(
                "azure.json={}",
                json!({"tenantId": self.tenant, "subscriptionId": self.subscription(), "resourceGroup": self.resource_group(), "useWorkloadIdentityExtension": true})
            )),
            mount = match self.dns_grant_step(identity, role) {
                Some(grant) => format!(
                    "mount the secret `azure-config-file` read-only at `/etc/kubernetes` in the container, and {grant}"
                ),
                None => format!(
                    "and mount the secret `azure-config-file` read-only at `/etc/kubernetes` in the container (the plan grants its identity `{role}` on its zones)"
                ),
            },
        );
        self.finding(rules::MANUAL_STEP_AFTER_REWRITE, msg, s.loc);
        let at = At { line: s.loc.pos.line, col: s.loc.pos.col };
        let e = Edit::Section {
            at,
            what: "external-dns-args",
            removed,
            added,
            with: Value::Array(out),
            items: Some(items),
            client_id_of: None,
            client_id_path: &[],
        };
        self.edit(s, e);
    }

    /// cert-manager: `dns01.route53` becomes `dns01.azureDNS` (the solver's other settings stay).
    fn route53_solver(&mut self, s: &AwsSection, dns_zones: &[String]) {
        let r53 = s.value.get("route53").cloned().unwrap_or(Value::Null);
        let get = |k: &str| r53.get(k).and_then(Value::as_str);
        let issuer_kind = &*self.model.objects[s.object].kind;
        let what = format!("{issuer_kind} {}", s.name);
        let one_zone = if let [z] = dns_zones { Some(z.as_str()) } else { None };
        let zone = get("hostedZoneID").map(|id| self.zone_name(id, one_zone, &what, s.loc));
        // The identity: the role it assumed, else the ServiceAccount whose token it used, else cert-manager's own.
        let sa_ns = if s.namespace.is_empty() { "cert-manager" } else { s.namespace.as_str() };
        let sa_ref = r53.pointer("/auth/kubernetes/serviceAccountRef/name").and_then(Value::as_str);
        let identity = get("role")
            .and_then(|r| self.identity_of_role(r))
            .or_else(|| sa_ref.and_then(|sa| self.identity_of_sa(sa_ns, sa)))
            .or_else(|| self.identity_of_sa("cert-manager", "cert-manager"));
        let mut azure = serde_json::Map::new();
        if let Some(z) = &zone {
            azure.insert("hostedZoneName".into(), json!(z));
        }
        azure.insert("resourceGroupName".into(), json!(self.resource_group()));
        azure.insert("subscriptionID".into(), json!(self.subscription()));
        azure.insert("environment".into(), json!("AzurePublicCloud"));
        azure.insert("managedIdentity".into(), json!({"clientID": "REPLACE-ME-client-id-of-cert-manager"}));
        let mut with = serde_json::Map::new();
        for (k, v) in s.value.as_object().into_iter().flatten() {
            if k == "route53" {
                with.insert("azureDNS".into(), Value::Object(azure.clone()));
            } else {
                with.insert(k.clone(), v.clone());
            }
        }
        let removed = r53.as_object().into_iter().flatten().map(|(k, _)| format!("route53.{k}")).collect();
        let grant = self.dns_grant_step(identity, "DNS Zone Contributor");
        let and_grant = grant.as_ref().map_or(String::new(), |g| format!(", and {g}"));
        let step = match (identity, sa_ref) {
            (None, _) => Some(format!(
                "no identity is planned for it (no role named by `route53.role`, nor one on ServiceAccount cert-manager/cert-manager): create one federated with the cert-manager controller's ServiceAccount, set its client id in `managedIdentity.clientID`{and_grant}"
            )),
            (Some(_), Some(sa)) => Some(format!(
                "the identity is the one of ServiceAccount {sa_ns}/{sa}, but `azureDNS` authenticates as the cert-manager controller: add a federated credential for the controller's ServiceAccount to it{and_grant}"
            )),
            _ => grant,
        };
        let unzoned = if get("hostedZoneID").is_none() { self.solver_zone_step(identity, one_zone) } else { None };
        let step = match (step, unzoned) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        // The plan grants the zone role and the identity is the controller's: nothing is left to do by hand.
        if let Some(step) = step {
            let msg = format!("{what}: the Route 53 DNS-01 solver now uses Azure DNS; {step}");
            self.finding(rules::MANUAL_STEP_AFTER_REWRITE, msg, s.loc);
        }
        let at = At { line: s.loc.pos.line, col: s.loc.pos.col };
        let client_id_of = identity.map(str::to_string);
        let client_id_path: &'static [&'static str] = &["azureDNS", "managedIdentity", "clientID"];
        let e = Edit::Section {
            at,
            what: "route53-solver",
            removed,
            added: Vec::new(),
            with: Value::Object(with),
            items: None,
            client_id_of,
            client_id_path,
        };
        self.edit(s, e);
    }
}

/// external-dns's args for Azure ([`Ctx::external_dns`]), before the hosted zones become domain filters.
struct Args {
    /// The args the list reads as.
    out: Vec<Value>,
    /// The args that go, as written (a flag and its value as one).
    removed: Vec<String>,
    /// The args that come.
    added: Vec<String>,
    /// The changes item by item.
    items: ItemEdits,
    /// The hosted zone ids of `--zone-id-filter`.
    zone_ids: Vec<String>,
    /// The domains of `--domain-filter`.
    domains: BTreeSet<String>,
}

/// The provider arg becomes `provider` (`--provider=aws` → `--provider=azure`; in `--provider aws`, the `aws` item),
/// the `--aws-*` args and `--zone-id-filter` go; every other arg stays.
fn azure_args(args: &[Value], provider: &str) -> Args {
    let text = |i: usize| args.get(i).and_then(Value::as_str);
    let mut a = Args {
        out: Vec::new(),
        removed: Vec::new(),
        added: Vec::new(),
        items: ItemEdits::default(),
        zone_ids: Vec::new(),
        domains: BTreeSet::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let Some(arg) = text(i) else {
            a.out.push(args[i].clone());
            i += 1;
            continue;
        };
        let (flag, inline) = arg.split_once('=').map_or((arg, None), |(f, v)| (f, Some(v)));
        // The flag's value: inline, or the next arg when it is not a flag itself.
        let separate = inline.is_none() && text(i + 1).is_some_and(|n| !n.starts_with("--"));
        let value = inline.or(if separate { text(i + 1) } else { None });
        let taken = if separate { 2 } else { 1 };
        let words = args[i..i + taken].iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ");
        match flag {
            "--provider" if value == Some("aws") => {
                // The item that says `aws` becomes the provider: `--provider=azure`, or `azure` after `--provider`.
                let (at, new) =
                    if separate { (i + 1, provider.to_string()) } else { (i, format!("--provider={provider}")) };
                a.out.extend(args[i..at].iter().cloned());
                a.out.push(json!(new));
                a.items.replace.push((at, json!(new)));
                a.removed.push(words);
                a.added.push(if separate { format!("--provider {provider}") } else { new });
            }
            f if f.starts_with("--aws-") || f == "--zone-id-filter" => {
                if f == "--zone-id-filter" {
                    a.zone_ids.extend(value.map(str::to_string));
                }
                a.items.remove.extend(i..i + taken);
                a.removed.push(words);
            }
            f => {
                if f == "--domain-filter" {
                    a.domains.extend(value.map(str::to_string));
                }
                a.out.extend(args[i..i + taken].iter().cloned());
            }
        }
        i += taken;
    }
    a
}

/// The ARN each secret key or object (by its place and text) resolves to, when it resolves to exactly one: a bare
/// name is a secret of the account of the ServiceAccount that reads it (`graph::named_secrets`), so the same name
/// in two accounts is two secrets, each with the plan's name of its own. A key that resolves to several (it is as
/// near to one cluster's store as to another's) is in the second map, with the places of those stores.
fn resolved_secrets(model: &Model, files: &crate::diag::Files) -> (Resolved, Ambiguous) {
    let mut found: BTreeMap<(Loc, String), (BTreeSet<String>, BTreeSet<Loc>)> = BTreeMap::new();
    for (_, _, arn, loc, store) in crate::graph::named_secrets(model, files) {
        // `named_secrets` gives an ARN key as it is, and a name as an ARN ending `:secret:<name>-XXXXXX`.
        let text = match arn.split_once(":secret:") {
            Some((_, name)) if arn.ends_with("-XXXXXX") => name.trim_end_matches("-XXXXXX").to_string(),
            _ => arn.clone(),
        };
        let (arns, stores) = found.entry((loc, text)).or_default();
        arns.insert(arn);
        stores.extend(store);
    }
    let (mut one, mut several) = (Resolved::new(), Ambiguous::new());
    for (k, (arns, stores)) in found {
        let mut it = arns.into_iter();
        match (it.next(), it.next()) {
            (Some(arn), None) => {
                one.insert(k, arn);
            }
            _ => {
                several.insert(k, stores);
            }
        }
    }
    (one, several)
}

/// The ARN of each secret key or object that names one, by its place and text.
type Resolved = BTreeMap<(Loc, String), String>;
/// The keys that name a secret through several stores (equally near), with those stores' places.
type Ambiguous = BTreeMap<(Loc, String), BTreeSet<Loc>>;

/// A Key Vault secret name for each AWS secret the rewrites read, by the text that names it (a name or an ARN).
type SecretNames = BTreeMap<String, SecretName>;

/// The Key Vault name of one AWS secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretName {
    /// The AWS secret's name (an ARN's name, without its random suffix).
    pub aws: String,
    /// Its Key Vault name.
    pub azure: String,
    /// The other names that map to the same Key Vault name (their secrets got a tag), sorted.
    pub collided_with: Vec<String>,
}

/// Key Vault names for AWS secret names (or ARNs) read by the rewrites: the plan's name for a secret the plan maps
/// (`known`: AWS name → its Azure names), else a name from the one naming function, unique against the plan's
/// secrets and each other (a collision gets a tag of its source; two secrets never share a name).
pub fn key_vault_names(tables: &Tables, keys: &BTreeSet<String>, known: &[(String, String, String)]) -> SecretNames {
    // (text, aws name, source) of each key the plan does not map.
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut by_arn: BTreeMap<&str, &str> = BTreeMap::new();
    for (aws, arn, azure) in known {
        by_name.entry(aws.as_str()).or_default().push(azure.as_str());
        by_arn.insert(arn.as_str(), azure.as_str());
    }
    let mut out = SecretNames::new();
    let mut wanted: Vec<(String, String, String)> = Vec::new();
    for key in keys {
        let key = key.as_str();
        let (source, aws) = match need::base_resource(tables, key) {
            Some((base, name)) if key.starts_with("arn:") => (base, name),
            _ => (format!("secretsmanager:{key}"), key.to_string()),
        };
        // An ARN names one secret: the plan's name of that secret, whatever other account has one of its name.
        let planned = by_arn.get(source.as_str()).filter(|_| key.starts_with("arn:")).copied();
        match planned.map(|a| vec![a]).as_deref().or(by_name.get(aws.as_str()).map(Vec::as_slice)) {
            Some([azure]) => {
                out.insert(key.to_string(), SecretName { aws, azure: azure.to_string(), collided_with: Vec::new() });
            }
            _ => wanted.push((key.to_string(), aws, source)),
        }
    }
    let requests = known
        .iter()
        .map(|(_, arn, azure)| naming::NameRequest {
            domain: SECRET_TYPE,
            rule: "secret",
            aws_name: azure,
            source: arn,
        })
        .chain(wanted.iter().map(|(_, aws, source)| naming::NameRequest {
            domain: SECRET_TYPE,
            rule: "secret",
            aws_name: aws,
            source,
        }));
    let (names, collisions) = naming::unique_names(requests);
    for (key, aws, source) in &wanted {
        let azure = names.get(SECRET_TYPE, source).map_or_else(|| naming::azure_name("secret", aws), str::to_string);
        let collided_with = collisions
            .iter()
            .filter(|c| c.renamed.iter().any(|(s, _)| s == source))
            .flat_map(|c| {
                c.renamed
                    .iter()
                    .filter(|(s, _)| s != source)
                    .map(|(s, _)| s.trim_start_matches("secretsmanager:").to_string())
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        out.insert(key.clone(), SecretName { aws: aws.clone(), azure, collided_with });
    }
    out
}

impl Ctx<'_> {
    /// An External Secrets store: Secrets Manager becomes `azurekv` with workload identity; Parameter Store stays.
    fn secret_store(&mut self, s: &AwsSection) -> Store {
        let aws = s.value.get("aws").cloned().unwrap_or(Value::Null);
        let kind = &*self.model.objects[s.object].kind;
        let service = aws.get("service").and_then(Value::as_str).unwrap_or_default();
        if service != "SecretsManager" {
            let msg = format!(
                "{kind} {}: provider `aws` with service `{service}` stays on AWS: Key Vault has no Parameter Store; move the parameters to Key Vault secrets and rewrite the store for `azurekv`",
                s.name
            );
            self.finding(rules::SECRET_REFERENCE_LEFT_ON_AWS, msg, s.loc);
            return Store::Aws;
        }
        let mut azurekv = serde_json::Map::new();
        azurekv.insert("authType".into(), json!("WorkloadIdentity"));
        azurekv.insert("vaultUrl".into(), json!(format!("https://{}.vault.azure.net", self.key_vault)));
        if let Some(sa) = aws.pointer("/auth/jwt/serviceAccountRef") {
            azurekv.insert("serviceAccountRef".into(), sa.clone());
        }
        if aws.pointer("/auth/secretRef").is_some() {
            let msg = format!(
                "{kind} {}: the store authenticated with AWS access keys (`auth.secretRef`); the `azurekv` store uses the workload identity of the External Secrets controller's ServiceAccount: give that identity `Key Vault Secrets User` on vault {}, and delete the access-key secret",
                s.name, self.key_vault
            );
            self.finding(rules::MANUAL_STEP_AFTER_REWRITE, msg, s.loc);
        }
        let removed = aws.as_object().into_iter().flatten().map(|(k, _)| format!("aws.{k}")).collect();
        let at = At { line: s.loc.pos.line, col: s.loc.pos.col };
        let mut with = serde_json::Map::new();
        for (k, v) in s.value.as_object().into_iter().flatten() {
            if k == "aws" {
                with.insert("azurekv".into(), Value::Object(azurekv.clone()));
            } else {
                with.insert(k.clone(), v.clone());
            }
        }
        let e = Edit::Section {
            at,
            what: "external-secrets-store",
            removed,
            added: Vec::new(),
            with: Value::Object(with),
            items: None,
            client_id_of: None,
            client_id_path: &[],
        };
        self.edit(s, e);
        Store::KeyVault
    }

    /// The Key Vault names of every secret an `ExternalSecret` key or a `SecretProviderClass` object names.
    fn secret_names(&self, resources: &[Resource]) -> SecretNames {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for s in &self.model.aws_sections {
            match &s.kind {
                SectionKind::ExternalSecretKey { .. } => keys.extend(s.value.as_str().map(|k| self.key_of(s.loc, k))),
                SectionKind::SecretProviderClass => {
                    for o in spc_objects(&s.value).unwrap_or_default() {
                        keys.extend(o.get("objectName").and_then(Value::as_str).map(|k| self.key_of(s.loc, k)));
                    }
                }
                _ => {}
            }
        }
        let known: Vec<(String, String, String)> = resources
            .iter()
            .filter(|r| r.azure_type.as_deref() == Some(SECRET_TYPE))
            .filter_map(|r| {
                let (_, aws) = need::base_resource(self.tables, &r.aws_arn)?;
                Some((aws, r.aws_arn.to_string(), r.azure_name.clone()?))
            })
            .collect();
        key_vault_names(self.tables, &keys, &known)
    }

    /// What a secret key or object at `loc` is looked up by in [`SecretNames`]: the ARN it resolves to, else its text.
    fn key_of(&self, loc: Loc, text: &str) -> String {
        self.resolved.get(&(loc, text.to_string())).cloned().unwrap_or_else(|| text.to_string())
    }

    /// E2A083 when a secret's Key Vault name differs from its AWS name.
    fn renamed(&mut self, what: &str, n: &SecretName, loc: Loc) {
        if n.azure == n.aws {
            return;
        }
        let also = if n.collided_with.is_empty() {
            String::new()
        } else {
            format!(" (it collides with {}: each gets a tag)", n.collided_with.join(", "))
        };
        let msg = format!(
            "{what}: AWS secret `{}` is Key Vault secret `{}`{also}; create it under that name in vault {}",
            n.aws, n.azure, self.key_vault
        );
        self.finding(rules::KEY_VAULT_SECRET_RENAMED, msg, loc);
    }

    /// E2A082 for an `ExternalSecret` item as near to one store of its store's name as to another (two clusters),
    /// when they would read different secrets or one is rewritten and the other is not: the item stays as it is.
    fn left_between(&mut self, s: &AwsSection, stores: &[Loc]) {
        let what = format!("{} {}", self.model.objects[s.object].kind, s.name);
        let item = match s.value.as_str() {
            Some(key) if matches!(s.kind, SectionKind::ExternalSecretKey { .. }) => format!("key `{key}`"),
            _ => "`dataFrom.find`".to_string(),
        };
        let places: Vec<&str> = stores.iter().map(|l| self.files.display(l.file)).collect();
        let msg = format!(
            "{what}: {item} is read through a store of that name in {}, each as near to it as the other: which AWS secret it names (and so its Key Vault name) cannot be told, so it is left as it is; put the ExternalSecret beside its cluster's store, or give the stores distinct names",
            places.join(" and ")
        );
        self.finding(rules::SECRET_REFERENCE_LEFT_ON_AWS, msg, s.loc);
    }

    /// An `ExternalSecret` key of a store that now reads Key Vault: the Key Vault name.
    fn external_secret_key(&mut self, s: &AwsSection, version: Option<&str>, names: &SecretNames) {
        let Some(key) = s.value.as_str() else { return };
        let what = format!("{} {}", self.model.objects[s.object].kind, s.name);
        if let Some(v) = version.filter(|v| *v != "AWSCURRENT") {
            let msg = format!(
                "{what}: key `{key}` pins AWS version `{v}`, which Key Vault does not have (its versions are its own ids): pin the Key Vault version by hand, or remove `version`"
            );
            self.finding(rules::SECRET_REFERENCE_LEFT_ON_AWS, msg, s.loc);
        }
        if let Some(stores) = self.ambiguous.get(&(s.loc, key.to_string())) {
            let places: Vec<Loc> = stores.iter().copied().collect();
            self.left_between(s, &places);
            return;
        }
        let Some(n) = names.get(&self.key_of(s.loc, key)).cloned() else { return };
        self.renamed(&what, &n, s.loc);
        if n.azure != key {
            let at = At { line: s.loc.pos.line, col: s.loc.pos.col };
            self.edit(s, Edit::Value { at, token: key.into(), with: n.azure.clone() });
        }
    }
}

impl<'a> Ctx<'a> {
    /// Why a `SecretProviderClass` object cannot be read from Key Vault as it is, if it cannot.
    fn spc_problem(o: &Value) -> Option<String> {
        let Some(name) = o.get("objectName").and_then(Value::as_str) else {
            return Some("an object has no `objectName` string".to_string());
        };
        let ty = o.get("objectType").and_then(Value::as_str).unwrap_or_default();
        if o.get("jmesPath").is_some() {
            return Some(format!("`{name}` extracts JSON keys with `jmesPath` (Key Vault mounts a secret whole)"));
        }
        if ty == "ssmparameter" {
            return Some(format!("`{name}` is an SSM parameter (no Key Vault target: move it to a Key Vault secret)"));
        }
        if ty != "secretsmanager"
            && !o.get("objectName").and_then(Value::as_str).is_some_and(|n| n.starts_with("arn:aws:secretsmanager:"))
        {
            return Some(format!("`{name}` has objectType `{ty}`"));
        }
        if o.get("objectVersion").is_some() || o.get("objectVersionLabel").is_some_and(|l| l != "AWSCURRENT") {
            return Some(format!("`{name}` pins an AWS version (Key Vault versions are its own ids)"));
        }
        if o.get("failoverObject").is_some() {
            return Some(format!("`{name}` has a `failoverObject` in another region"));
        }
        None
    }

    /// The identity of the pods that mount a `SecretProviderClass`: one, or why not.
    fn spc_identity(&self, s: &AwsSection) -> Result<Option<&'a str>, String> {
        let ids: BTreeSet<Option<&'a str>> = self
            .model
            .aws_sections
            .iter()
            .filter_map(|m| match &m.kind {
                SectionKind::SecretProviderMount { class, service_account }
                    if *class == s.name && m.namespace == s.namespace =>
                {
                    Some(self.identity_of_sa(&m.namespace, service_account))
                }
                _ => None,
            })
            .collect();
        match ids.len() {
            0 => Ok(None),
            1 => Ok(ids.into_iter().next().flatten()),
            _ => Err("it is mounted by pods of different identities (a class names one `clientID`): give each identity a class of its own".into()),
        }
    }

    /// A `SecretProviderClass` for AWS becomes one for Azure Key Vault, or stays with a finding.
    fn secret_provider_class(&mut self, s: &AwsSection, names: &SecretNames) {
        let what = format!("SecretProviderClass {}", s.name);
        let objects = spc_objects(&s.value);
        let mut problems: Vec<String> = match &objects {
            None => vec!["`parameters.objects` is not a YAML list".into()],
            Some(list) => list.iter().filter_map(Self::spc_problem).collect(),
        };
        let identity = self.spc_identity(s).unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        if !problems.is_empty() {
            let msg = format!("{what} stays on AWS: {}", problems.join("; "));
            self.finding(rules::SECRET_REFERENCE_LEFT_ON_AWS, msg, s.loc);
            return;
        }
        let mut array = String::from("array:\n");
        for o in objects.unwrap_or_default() {
            let name = o.get("objectName").and_then(Value::as_str).unwrap_or_default();
            let Some(n) = names.get(&self.key_of(s.loc, name)).cloned() else { continue };
            self.renamed(&what, &n, s.loc);
            // The file the pods read keeps its name: the alias, else the AWS name (`/` → `_`, the AWS provider's
            // default `pathTranslation`).
            let file =
                o.get("objectAlias").and_then(Value::as_str).map_or_else(|| n.aws.replace('/', "_"), str::to_string);
            array.push_str(&format!("  - |\n    objectName: {}\n    objectType: secret\n", n.azure));
            if file != n.azure {
                array.push_str(&format!("    objectAlias: {}\n", serde_json::to_string(&file).expect("serialises")));
            }
        }
        let params = s.value.get("parameters").and_then(Value::as_object);
        let removed = params
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "objects")
            .map(|(k, _)| format!("parameters.{k}"))
            .collect();
        if identity.is_none() {
            let msg = format!(
                "{what}: no pod that mounts it runs as a ServiceAccount with a planned identity: set `parameters.clientID` to the client id of the identity that reads vault {}",
                self.key_vault
            );
            self.finding(rules::MANUAL_STEP_AFTER_REWRITE, msg, s.loc);
        }
        let mut with = s.value.as_object().cloned().unwrap_or_default();
        with.insert("provider".into(), json!("azure"));
        with.insert(
            "parameters".into(),
            json!({
                "usePodIdentity": "false",
                "clientID": "REPLACE-ME-client-id",
                "keyvaultName": self.key_vault,
                "tenantId": self.tenant,
                "objects": array,
            }),
        );
        let at = At { line: s.loc.pos.line, col: s.loc.pos.col };
        let e = Edit::Section {
            at,
            what: "secret-provider-class",
            removed,
            added: Vec::new(),
            with: Value::Object(with),
            items: None,
            client_id_of: identity.map(str::to_string),
            client_id_path: &["parameters", "clientID"],
        };
        self.edit(s, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        crate::mapping::load::load(None).expect("bundled tables load")
    }

    fn names(keys: &[&str], known: &[(&str, &str, &str)]) -> SecretNames {
        let keys: BTreeSet<String> = keys.iter().map(|k| k.to_string()).collect();
        let known: Vec<(String, String, String)> =
            known.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        key_vault_names(&tables(), &keys, &known)
    }

    #[test]
    fn key_vault_names_map_slashes_underscores_and_dots() {
        let n = names(&["prod/db_password", "api.key", "plain-name"], &[]);
        assert_eq!(n["prod/db_password"].azure, "prod-db-password");
        assert_eq!(n["api.key"].azure, "api-key");
        assert_eq!(n["plain-name"].azure, "plain-name");
        assert!(n.values().all(|s| s.collided_with.is_empty()));
    }

    #[test]
    fn colliding_secret_names_get_tags_and_are_never_merged() {
        let n = names(&["app/db_password", "app/db.password", "app-db-password"], &[]);
        let (a, b, c) = (&n["app/db_password"], &n["app/db.password"], &n["app-db-password"]);
        // The one whose AWS name is the Key Vault name keeps it; the others are told apart by a tag.
        assert_eq!(c.azure, "app-db-password");
        assert_ne!(a.azure, b.azure);
        assert_ne!(a.azure, c.azure);
        assert!(a.azure.starts_with("app-db-password-") && b.azure.starts_with("app-db-password-"), "{a:?} {b:?}");
        assert_eq!(a.collided_with, vec!["app-db-password".to_string(), "app/db.password".to_string()]);
        for s in [a, b, c] {
            assert!(s.azure.len() <= 127 && s.azure.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'));
        }
    }

    #[test]
    fn a_secret_the_plan_maps_keeps_the_plan_name_and_others_avoid_it() {
        let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:payments/db-credentials";
        let n = names(
            &["payments/db-credentials", "payments/db_credentials", &format!("{arn}-AbCdEf")],
            &[("payments/db-credentials", arn, "payments-db-credentials")],
        );
        assert_eq!(n["payments/db-credentials"].azure, "payments-db-credentials");
        assert_eq!(n[&format!("{arn}-AbCdEf")].azure, "payments-db-credentials", "an ARN names the same secret");
        // Another AWS secret whose name maps to the plan's name gets a tag instead of sharing the secret.
        let other = &n["payments/db_credentials"];
        assert_ne!(other.azure, "payments-db-credentials");
        assert!(other.azure.starts_with("payments-db-credentials-"), "{other:?}");
    }

    /// One secret name in two accounts: an ARN key (a name resolved in the account of the ServiceAccount that reads
    /// it) gets the plan's name of the secret of that account, never a name of its own.
    #[test]
    fn an_arn_key_gets_the_plan_name_of_its_own_accounts_secret() {
        let a = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db";
        let b = "arn:aws:secretsmanager:us-east-1:444455556666:secret:prod/db";
        let (ka, kb) = (format!("{a}-XXXXXX"), format!("{b}-XXXXXX"));
        let n = names(&[&ka, &kb], &[("prod/db", a, "prod-db-aaaa1111"), ("prod/db", b, "prod-db-bbbb2222")]);
        assert_eq!(n[&ka].azure, "prod-db-aaaa1111");
        assert_eq!(n[&kb].azure, "prod-db-bbbb2222");
    }

    #[test]
    fn names_do_not_depend_on_the_order_of_the_keys() {
        let a = names(&["x/a_b", "x/a.b"], &[]);
        let b = names(&["x/a.b", "x/a_b"], &[]);
        assert_eq!(a, b);
    }
}
