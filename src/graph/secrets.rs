//! The secrets a ServiceAccount reads through External Secrets stores and Secrets Store CSI classes (issue 20):
//! part of the join, like the ARNs a workload's env names. `plan::dns_secrets` rewrites those objects.

use crate::diag::{Files, Loc};
use crate::model::{AwsSection, Model, SectionKind};
use serde_json::Value;

/// A `SecretProviderClass`'s `parameters.objects` (a YAML string), as JSON; `None` when it is not a YAML list.
pub fn spc_objects(spec: &Value) -> Option<Vec<Value>> {
    let text = spec.pointer("/parameters/objects")?.as_str()?;
    let docs = crate::yaml::parse_stream(text).ok()?;
    match docs.first()?.root.to_json() {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

/// The Secrets Manager ARNs each ServiceAccount reads through the DNS and secrets objects, as (namespace,
/// ServiceAccount, ARN): the keys of the `ExternalSecret`s of a store that authenticates as it
/// (`auth.jwt.serviceAccountRef`), and the objects of the `SecretProviderClass`es its pods mount. A name becomes
/// an ARN in the store's (or class's) region and the account of the ServiceAccount's role, with a stand-in for the
/// random suffix (`-XXXXXX`, cut again by the table's grammar), so that a `secret:<name>-*` grant is narrowed to
/// the secrets read, as the ARNs a workload's env names narrow its own.
///
/// The last element is where the store is (`None` for a `SecretProviderClass`, which is the object itself).
pub fn named_secrets(model: &Model, files: &Files) -> Vec<(String, String, String, Loc, Option<Loc>)> {
    let account_of = |ns: &str, sa: &str| {
        let sa = model.service_accounts.iter().find(|s| s.namespace == ns && s.name == sa)?;
        crate::model::Arn::parse(&sa.role_arn.as_ref()?.0).map(|a| a.account.to_string())
    };
    let arn = |key: &str, region: &str, account: &str| {
        if key.starts_with("arn:") {
            key.to_string()
        } else {
            format!("arn:aws:secretsmanager:{region}:{account}:secret:{key}-XXXXXX")
        }
    };
    let mut out = Vec::new();
    for s in &model.aws_sections {
        if !matches!(s.kind, SectionKind::ExternalSecretKey { .. }) {
            continue;
        }
        let Some(key) = s.value.as_str() else { continue };
        // A Parameter Store store reads no Secrets Manager secret (its key is a parameter's name).
        for store in nearest_stores(model, files, s) {
            let aws = &store.value["aws"];
            if aws["service"] != "SecretsManager" {
                continue;
            }
            let Some(sa) = aws.pointer("/auth/jwt/serviceAccountRef/name").and_then(Value::as_str) else { continue };
            let ns = aws
                .pointer("/auth/jwt/serviceAccountRef/namespace")
                .and_then(Value::as_str)
                .unwrap_or(&store.namespace);
            let (Some(region), Some(account)) = (aws["region"].as_str(), account_of(ns, sa)) else { continue };
            out.push((ns.to_string(), sa.to_string(), arn(key, region, &account), s.loc, Some(store.loc)));
        }
    }
    for spc in model.aws_sections.iter().filter(|s| s.kind == SectionKind::SecretProviderClass) {
        let Some(region) = spc.value.pointer("/parameters/region").and_then(Value::as_str) else { continue };
        for m in &model.aws_sections {
            let SectionKind::SecretProviderMount { class, service_account } = &m.kind else { continue };
            let Some(account) = account_of(&m.namespace, service_account) else { continue };
            if *class != spc.name || m.namespace != spc.namespace {
                continue;
            }
            for o in spc_objects(&spc.value).unwrap_or_default() {
                if let Some(name) = o.get("objectName").and_then(Value::as_str) {
                    out.push((
                        m.namespace.clone(),
                        service_account.clone(),
                        arn(name, region, &account),
                        spc.loc,
                        None,
                    ));
                }
            }
        }
    }
    out
}

/// The stores an `ExternalSecret`'s key or `dataFrom.find` (`item`) reads through: those of its store's kind and
/// name (and namespace, for a `SecretStore`); of several (one per cluster directory), those of the nearest
/// directory, the rule of workload → ServiceAccount (review 3, d35). A tie is every one of them: the key then names
/// a secret per store, and the rewrite leaves it (E2A082). Empty for any other section.
pub fn nearest_stores<'m>(model: &'m Model, files: &Files, item: &AwsSection) -> Vec<&'m AwsSection> {
    let (SectionKind::ExternalSecretKey { store_kind: k, store: n, .. }
    | SectionKind::ExternalSecretFind { store_kind: k, store: n }) = &item.kind
    else {
        return Vec::new();
    };
    let named: Vec<&AwsSection> = model
        .aws_sections
        .iter()
        .filter(|st| {
            st.kind == SectionKind::SecretStore
                && *k == *model.objects[st.object].kind
                && *n == st.name
                && (k == "ClusterSecretStore" || item.namespace == st.namespace)
        })
        .collect();
    let near = |st: &AwsSection| common_dirs(files.display(st.loc.file), files.display(item.loc.file));
    let best = named.iter().map(|st| near(st)).max().unwrap_or(0);
    named.into_iter().filter(|st| near(st) == best).collect()
}

/// How many leading directories two file paths share.
fn common_dirs(a: &str, b: &str) -> usize {
    let dirs = |p: &str| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string());
    let (a, b) = (dirs(a), dirs(b));
    a.split('/').zip(b.split('/')).take_while(|(x, y)| x == y).count()
}
