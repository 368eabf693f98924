//! Phased migration: AKS workloads that still need resources staying on AWS reach them with no stored secret.
//! Per identity whose policies name staying resources, an AWS role is planned whose trust admits exactly that
//! identity — the AKS issuer's `system:serviceaccount:<ns>:<sa>` subjects (`bridge: aks-issuer`), or the managed
//! identity's principal ID from the Entra tenant (`bridge: entra`), audience pinned — and whose permission policy
//! is the original statements narrowed to the staying resources.

use crate::config::Config;
use crate::diag::{Loc, Sink};
use crate::graph::Permission;
use crate::graph::glob::glob_match;
use crate::model::{Effect, Statement};
use crate::rules;
use serde::Serialize;
use serde_json::{Value, json};

/// An AWS-side bridge for one identity.
#[derive(Debug, Clone, Serialize)]
pub struct Bridge {
    /// `aks-issuer` or `entra`.
    pub kind: String,
    /// The AWS role to create.
    pub role_name: String,
    /// Its ARN.
    pub role_arn: String,
    /// The OIDC provider (host/path) the role trusts.
    pub provider: String,
    /// The audience the trust pins.
    pub audience: String,
    /// The subjects the trust admits.
    pub subjects: Vec<String>,
    /// The trust policy.
    pub trust: Value,
    /// The permission policy: the original statements narrowed to what stays on AWS.
    pub policy: Value,
    /// The resources that stay on AWS.
    pub resources: Vec<String>,
}

/// The OIDC provider (host/path, no scheme, no trailing slash) and audience of the configured bridge.
pub fn provider(cfg: &Config) -> (String, String) {
    match cfg.bridge.as_deref() {
        Some("entra") => (
            format!("sts.windows.net/{}/", cfg.entra.tenant_id.as_deref().unwrap_or("REPLACE-ME-tenant-id")),
            cfg.entra.app_id_uri.clone().unwrap_or_else(|| "REPLACE-ME-app-id-uri".into()),
        ),
        _ => {
            let host = cfg
                .azure
                .aks_oidc_issuer
                .as_deref()
                .map(|u| u.trim_start_matches("https://").trim_end_matches('/').to_string())
                .unwrap_or_else(|| "REPLACE-ME-aks-oidc-issuer-host/path".into());
            (host, "sts.amazonaws.com".into())
        }
    }
}

fn narrowed(s: &Statement, stay: &[String]) -> Option<Value> {
    let effect = if s.effect == Effect::Allow { "Allow" } else { "Deny" };
    let resources: Vec<&str> = match &s.resource {
        Some(r) if !r.not => {
            r.items.iter().map(|(x, _)| &**x).filter(|x| stay.iter().any(|p| glob_match(p, x, false))).collect()
        }
        _ => return None,
    };
    if resources.is_empty() {
        return None;
    }
    let key = if s.action.not { "NotAction" } else { "Action" };
    let mut st = serde_json::Map::new();
    if let Some(sid) = &s.sid {
        st.insert("Sid".into(), json!(sid));
    }
    st.insert("Effect".into(), json!(effect));
    st.insert(key.into(), json!(s.action.items.iter().map(|(a, _)| &**a).collect::<Vec<_>>()));
    st.insert("Resource".into(), json!(resources));
    if !s.conditions.is_empty() {
        let mut cond = serde_json::Map::new();
        for c in &s.conditions {
            let op = cond.entry(c.op.raw.to_string()).or_insert_with(|| json!({}));
            op[&*c.key] = json!(c.values);
        }
        st.insert("Condition".into(), Value::Object(cond));
    }
    Some(Value::Object(st))
}

/// Plans the bridge of one identity, or `None` when none of its statements names a staying resource.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    cfg: &Config,
    identity: &str,
    account: &str,
    perms: &[Permission],
    service_accounts: &[(String, String)],
    source_trust_without_sub: bool,
    loc: Loc,
    sink: &mut Sink,
) -> Option<Bridge> {
    if cfg.stay_on_aws.is_empty() {
        return None;
    }
    let statements: Vec<Value> = perms.iter().filter_map(|p| narrowed(&p.statement, &cfg.stay_on_aws)).collect();
    if !statements.iter().any(|s| s["Effect"] == "Allow") {
        return None;
    }
    let kind = cfg.bridge.clone().unwrap_or_else(|| "aks-issuer".into());
    if source_trust_without_sub {
        sink.push(
            rules::BRIDGE_TRUST_TOO_BROAD,
            format!("identity `{identity}`: its IAM role trusted every ServiceAccount of the cluster; no bridge role is generated for it"),
            Some(loc),
        );
        return None;
    }
    if kind == "entra" && (cfg.entra.tenant_id.is_none() || cfg.entra.app_id_uri.is_none()) {
        sink.push(
            rules::BRIDGE_TRUST_TOO_BROAD,
            format!("identity `{identity}`: the Entra bridge needs `entra.tenant_id` and `entra.app_id_uri`; no bridge role is generated"),
            Some(loc),
        );
        return None;
    }
    let (provider, audience) = provider(cfg);
    let subjects: Vec<String> = if kind == "entra" {
        match cfg.entra.principal_ids.get(identity) {
            Some(id) => vec![id.clone()],
            None => {
                sink.push(
                    rules::BRIDGE_PRINCIPAL_UNKNOWN,
                    format!("identity `{identity}`: the Entra bridge trusts its principal ID, known after deployment; the trust holds a placeholder"),
                    Some(loc),
                );
                vec![format!("REPLACE-WITH-PRINCIPAL-ID-OF-{identity}")]
            }
        }
    } else {
        service_accounts.iter().map(|(ns, sa)| format!("system:serviceaccount:{ns}:{sa}")).collect()
    };
    let role_name: String = format!("eks2aks-bridge-{identity}").chars().take(64).collect();
    let role_arn = format!("arn:aws:iam::{account}:role/{role_name}");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": format!("arn:aws:iam::{account}:oidc-provider/{provider}") },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": { "StringEquals": {
                format!("{provider}:sub"): subjects,
                format!("{provider}:aud"): audience,
            }},
        }],
    });
    let mut resources: Vec<String> = statements
        .iter()
        .flat_map(|s| s["Resource"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    resources.sort();
    resources.dedup();
    Some(Bridge {
        kind,
        role_name,
        role_arn,
        provider,
        audience,
        subjects,
        trust,
        policy: json!({ "Version": "2012-10-17", "Statement": statements }),
        resources,
    })
}
