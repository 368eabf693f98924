//! Phased migration: AKS workloads that still need resources staying on AWS reach them with no stored secret.
//! Per identity whose policies name staying resources, an AWS role is planned whose trust admits exactly that
//! identity — the AKS issuer's `system:serviceaccount:<ns>:<sa>` subjects (`bridge: aks-issuer`), or the managed
//! identity's principal ID from the Entra tenant (`bridge: entra`), audience pinned — and whose permission policy
//! is the original statements narrowed to the staying resources.

use crate::config::Config;
use crate::diag::{Loc, Sink};
use crate::glob::glob_match;
use crate::graph::Permission;
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
    /// The AWS region the pod's SDK is given (`AWS_REGION`, `AWS_DEFAULT_REGION`): an STS call needs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where [`Bridge::region`] came from (`bridge_region` in the config, the staying resources' ARNs, or the EKS
    /// OIDC provider of the role's trust).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_from: Option<String>,
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

/// The part of a statement's resource `x` that lies inside staying pattern `p`: `x` itself when `p` covers it
/// (`legacy-archive*` covers `legacy-archive/*`), `p` when `x` is a wildcard that covers `p` (`*` covers
/// `legacy-archive*`: the bridge gets the staying pattern, not `*`), nothing otherwise. A `?` in `x` is not taken
/// as covering a `*` of `p` (`a?c` does not cover `a*c`).
fn inside<'a>(x: &'a str, p: &'a str) -> Option<&'a str> {
    if glob_match(p, x, false) {
        Some(x)
    } else if x.contains('*') && !x.contains('?') && glob_match(x, p, false) {
        Some(p)
    } else {
        None
    }
}

/// True when staying pattern `p` can name a resource of one of the statement's services (`s3:GetObject` on `*`
/// gets no bridge on a staying queue).
fn same_service(s: &Statement, p: &str) -> bool {
    let Some(service) = p.strip_prefix("arn:").and_then(|r| r.split(':').nth(1)) else { return true };
    if service.contains(['*', '?']) || s.action.not {
        return true;
    }
    s.action.items.iter().any(|(a, _)| {
        let prefix = a.split_once(':').map_or(&**a, |(svc, _)| svc);
        glob_match(prefix, service, true)
    })
}

fn narrowed(s: &Statement, stay: &[String]) -> Option<Value> {
    let effect = if s.effect == Effect::Allow { "Allow" } else { "Deny" };
    let mut st = serde_json::Map::new();
    if let Some(sid) = &s.sid {
        st.insert("Sid".into(), json!(sid));
    }
    st.insert("Effect".into(), json!(effect));
    let key = if s.action.not { "NotAction" } else { "Action" };
    st.insert(key.into(), json!(s.action.items.iter().map(|(a, _)| &**a).collect::<Vec<_>>()));
    if s.effect == Effect::Deny {
        // A Deny is kept whole (issue 18): it can only take away, and the bridge role must not be able to do what
        // the original role could not (narrowing it would also have to reason about NotResource and wildcards).
        match &s.resource {
            Some(r) => {
                let key = if r.not { "NotResource" } else { "Resource" };
                st.insert(key.into(), json!(r.items.iter().map(|(x, _)| &**x).collect::<Vec<_>>()));
            }
            None => {
                st.insert("Resource".into(), json!(["*"]));
            }
        }
    } else {
        let mut resources: Vec<&str> = match &s.resource {
            Some(r) if !r.not => r
                .items
                .iter()
                .flat_map(|(x, _)| stay.iter().filter(|p| same_service(s, p)).filter_map(move |p| inside(x, p)))
                .collect(),
            _ => return None,
        };
        resources.sort_unstable();
        resources.dedup();
        if resources.is_empty() {
            return None;
        }
        st.insert("Resource".into(), json!(resources));
    }
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

/// The bridge policy's statements, in the role's order: each statement narrowed to the staying resources
/// ([`narrowed`]); an Allow written with `NotResource` carried by [`not_resource_allow`] as an Allow on the staying
/// patterns and, when what it excluded may lie inside one, a Deny of its actions there. That Deny is exact only
/// when no other Allow of the bridge grants one of its actions where it reaches; otherwise the statement is left
/// out with E2A132 (a narrower bridge, said so), never written wider or silently dropped.
fn bridge_statements(perms: &[Permission], stay: &[String], identity: &str, sink: &mut Sink) -> Vec<Value> {
    let entries: Vec<(Value, Option<Value>, Loc)> = perms
        .iter()
        .filter_map(|p| {
            let s = &p.statement;
            match &s.resource {
                Some(r) if r.not && s.effect == Effect::Allow => not_resource_allow(s, stay),
                _ => narrowed(s, stay).map(|v| (v, None)),
            }
            .map(|(a, d)| (a, d, s.loc))
        })
        .collect();
    let mut out = Vec::new();
    for (i, (allow, deny, loc)) in entries.iter().enumerate() {
        if let Some(deny) = deny {
            let taken = entries
                .iter()
                .enumerate()
                .find(|(j, (other, _, _))| *j != i && other["Effect"] == "Allow" && statements_may_meet(other, deny));
            if let Some((_, (other, _, other_loc))) = taken {
                sink.push(
                    rules::BRIDGE_STATEMENT_DROPPED,
                    format!(
                        "identity `{identity}`: this Allow with `NotResource` is left out of the AWS bridge policy: carried exactly it is {} on the staying resources with a Deny of those actions on {}, and that Deny would also take from the Allow at line {} ({}); add it to the bridge policy by hand",
                        json_list(&allow["Action"]),
                        json_list(&deny["Resource"]),
                        other_loc.pos.line,
                        json_list(&other["Action"])
                    ),
                    Some(*loc),
                );
                continue;
            }
            out.push(allow.clone());
            out.push(deny.clone());
        } else {
            out.push(allow.clone());
        }
    }
    out
}

fn json_list(v: &Value) -> String {
    let items: Vec<String> =
        v.as_array().into_iter().flatten().filter_map(Value::as_str).map(|x| format!("`{x}`")).collect();
    items.join(", ")
}

/// An Allow with `NotResource` (every resource but those) on the staying resources: `Resource` is the staying
/// patterns of its services; the `NotResource` items that may lie inside one of them become a Deny of the same
/// actions (unconditional: the Allow never reached them). `None` when no staying pattern is of its services.
fn not_resource_allow(s: &Statement, stay: &[String]) -> Option<(Value, Option<Value>)> {
    let excluded: Vec<&str> = s.resource.as_ref()?.items.iter().map(|(x, _)| &**x).collect();
    let mut resources: Vec<&str> = stay.iter().filter(|p| same_service(s, p)).map(String::as_str).collect();
    resources.sort_unstable();
    resources.dedup();
    if resources.is_empty() {
        return None;
    }
    let mut inside: Vec<&str> =
        excluded.iter().copied().filter(|x| resources.iter().any(|p| may_overlap(x, p, false))).collect();
    inside.sort_unstable();
    inside.dedup();
    let key = if s.action.not { "NotAction" } else { "Action" };
    let actions = json!(s.action.items.iter().map(|(a, _)| &**a).collect::<Vec<_>>());
    let mut allow = serde_json::Map::new();
    if let Some(sid) = &s.sid {
        allow.insert("Sid".into(), json!(sid));
    }
    allow.insert("Effect".into(), json!("Allow"));
    allow.insert(key.into(), actions.clone());
    allow.insert("Resource".into(), json!(resources));
    if !s.conditions.is_empty() {
        let mut cond = serde_json::Map::new();
        for c in &s.conditions {
            let op = cond.entry(c.op.raw.to_string()).or_insert_with(|| json!({}));
            op[&*c.key] = json!(c.values);
        }
        allow.insert("Condition".into(), Value::Object(cond));
    }
    let deny = (!inside.is_empty()).then(|| json!({ "Effect": "Deny", key: actions, "Resource": inside }));
    Some((Value::Object(allow), deny))
}

/// Whether two IAM patterns may match one string. Sound, not complete: without wildcards they must be equal (or
/// one match the other); with wildcards, only literal prefixes that disagree rule a meeting out.
fn may_overlap(a: &str, b: &str, ignore_case: bool) -> bool {
    let wild = |x: &str| x.contains(['*', '?']);
    if !wild(a) || !wild(b) {
        return glob_match(a, b, ignore_case) || glob_match(b, a, ignore_case);
    }
    let literal = |x: &str| {
        let x = &x[..x.find(['*', '?']).unwrap_or(x.len())];
        if ignore_case { x.to_lowercase() } else { x.to_string() }
    };
    let (la, lb) = (literal(a), literal(b));
    la.starts_with(&lb) || lb.starts_with(&la)
}

/// Whether a bridge Allow may grant one of a Deny's actions on one of its resources (a `NotAction` or
/// `NotResource` side is taken as meeting).
fn statements_may_meet(allow: &Value, deny: &Value) -> bool {
    let strs = |v: &Value, k: &str| -> Option<Vec<String>> {
        Some(v.get(k)?.as_array()?.iter().filter_map(Value::as_str).map(str::to_string).collect())
    };
    let meet = |k: &str, ignore_case: bool| match (strs(allow, k), strs(deny, k)) {
        (Some(a), Some(d)) => a.iter().any(|x| d.iter().any(|y| may_overlap(x, y, ignore_case))),
        _ => true,
    };
    meet("Action", true) && meet("Resource", false)
}

/// Actions that let whoever holds them on every role or user give themselves any permission (the published IAM
/// privilege-escalation paths), and `sts:AssumeRole`, which reaches every role that trusts the account.
const ESCALATION: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
    "sts:AssumeRole",
];

/// Why an Allow statement of a bridge policy is administrator-equivalent, or `None`. The definition (README,
/// E2A053): its Resource matches every ARN (`*`, or a pattern that matches ARNs of two services, such as `arn:*`)
/// and its Action is `NotAction`, matches every action (`*`), is service-wide (`<service>:*`), or matches one of
/// [`ESCALATION`]. Conditions are not weighed: a condition may narrow such a statement, which is for a person to
/// judge (waive the finding with a reason).
pub fn admin_equivalent(statement: &Value) -> Option<String> {
    if statement["Effect"] != "Allow" {
        return None;
    }
    let list = |k: &str| -> Vec<&str> {
        match &statement[k] {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    };
    let every = |r: &&str| {
        *r == "*"
            || (glob_match(r, "arn:aws:iam::000000000000:role/eks2aks-probe", false)
                && glob_match(r, "arn:aws:s3:::eks2aks-probe", false))
    };
    let resource = list("Resource").into_iter().find(every)?;
    if !list("NotAction").is_empty() {
        return Some(format!("`NotAction` on `{resource}`"));
    }
    let actions = list("Action");
    let why = actions.iter().find_map(|a| {
        if glob_match(a, "eks2aks:probe", true) {
            Some(format!("`{a}` (every action)"))
        } else if a.ends_with(":*") {
            Some(format!("`{a}` (every action of the service)"))
        } else {
            ESCALATION.iter().find(|e| glob_match(a, e, true)).map(|e| {
                if a.eq_ignore_ascii_case(e) { format!("`{a}`") } else { format!("`{a}` (which includes `{e}`)") }
            })
        }
    })?;
    Some(format!("{why} on `{resource}`"))
}

/// Plans the bridge of one identity, or `None` when none of its statements names a staying resource.
///
/// The steps: the original statements narrowed to the staying resources; no bridge when no Allow remains or the
/// trust would be too broad ([`refusal`]); the subjects the trust admits ([`subjects`]) and the trust itself
/// ([`trust_policy`]); administrator-equivalent statements reported ([`report_admin_equivalent`]).
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
    let statements = bridge_statements(perms, &cfg.stay_on_aws, identity, sink);
    if !statements.iter().any(|s| s["Effect"] == "Allow") {
        return None;
    }
    let kind = cfg.bridge.clone().unwrap_or_else(|| "aks-issuer".into());
    if let Some(why) = refusal(cfg, &kind, identity, source_trust_without_sub) {
        sink.push(rules::BRIDGE_TRUST_TOO_BROAD, why, Some(loc));
        return None;
    }
    let (provider, audience) = provider(cfg);
    let subjects = subjects(cfg, &kind, identity, service_accounts, loc, sink);
    let role_name: String = format!("eks2aks-bridge-{identity}").chars().take(64).collect();
    let role_arn = format!("arn:aws:iam::{account}:role/{role_name}");
    let trust = trust_policy(account, &provider, &subjects, &audience);
    report_admin_equivalent(identity, &role_name, &statements, loc, sink);
    // The staying resources are what the Allows name (a Deny kept whole may name `*`).
    let mut resources: Vec<String> = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
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
        region: None,
        region_from: None,
    })
}

/// Why no bridge role is generated for the identity (E2A035's message), or `None`: its IAM role trusted every
/// ServiceAccount of the cluster, or the Entra bridge lacks its tenant or app ID URI.
fn refusal(cfg: &Config, kind: &str, identity: &str, source_trust_without_sub: bool) -> Option<String> {
    if source_trust_without_sub {
        return Some(format!(
            "identity `{identity}`: its IAM role trusted every ServiceAccount of the cluster; no bridge role is generated for it"
        ));
    }
    if kind == "entra" && (cfg.entra.tenant_id.is_none() || cfg.entra.app_id_uri.is_none()) {
        return Some(format!(
            "identity `{identity}`: the Entra bridge needs `entra.tenant_id` and `entra.app_id_uri`; no bridge role is generated"
        ));
    }
    None
}

/// The subjects the bridge's trust admits: the identity's ServiceAccounts on the AKS issuer; on Entra its
/// principal ID, or a placeholder (reported) when it is known only after deployment.
fn subjects(
    cfg: &Config,
    kind: &str,
    identity: &str,
    service_accounts: &[(String, String)],
    loc: Loc,
    sink: &mut Sink,
) -> Vec<String> {
    if kind != "entra" {
        return service_accounts.iter().map(|(ns, sa)| format!("system:serviceaccount:{ns}:{sa}")).collect();
    }
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
}

/// The bridge role's trust policy: web-identity federation with the provider, subjects and audience pinned.
fn trust_policy(account: &str, provider: &str, subjects: &[String], audience: &str) -> Value {
    json!({
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
    })
}

/// E2A053 for each statement of the bridge policy that is administrator-equivalent ([`admin_equivalent`]).
fn report_admin_equivalent(identity: &str, role_name: &str, statements: &[Value], loc: Loc, sink: &mut Sink) {
    for (i, st) in statements.iter().enumerate() {
        if let Some(why) = admin_equivalent(st) {
            sink.push(
                rules::BRIDGE_ADMIN_EQUIVALENT,
                format!("identity `{identity}`: the bridge role `{role_name}` is administrator-equivalent on AWS: its policy's statement {} allows {why} (the original role's statement, narrowed to `stay_on_aws`); it is written as it is, review it before deploying", i + 1),
                Some(loc),
            );
        }
    }
}

/// The region of an ARN (its fourth field), when it has one (`arn:aws:s3:::bucket` has none).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty() && !r.contains(['*', '?']))
}

/// The region of an EKS OIDC provider (`oidc.eks.<region>.amazonaws.com/id/…`).
fn provider_region(provider: &str) -> Option<&str> {
    provider.strip_prefix("oidc.eks.")?.split_once(".amazonaws.com")?.0.split('.').next().filter(|r| !r.is_empty())
}

/// Sets the bridge's region (`AWS_REGION` and `AWS_DEFAULT_REGION` of the pods), from, in order: `bridge_region`
/// in the config, the one region of the staying resources' ARNs, the one region of the EKS OIDC providers the
/// role's trust names. Never guessed: when none of them gives exactly one region, E2A100 says so and no region is
/// set (the SDK then needs one from the pod's own env).
pub fn set_region(b: &mut Bridge, cfg: &Config, providers: &[String], identity: &str, loc: Loc, sink: &mut Sink) {
    use std::collections::BTreeSet;
    let from_resources: BTreeSet<&str> = b.resources.iter().filter_map(|r| arn_region(r)).collect();
    let from_trust: BTreeSet<&str> = providers.iter().filter_map(|p| provider_region(p)).collect();
    let chosen = match (&cfg.bridge_region, from_resources.len(), from_trust.len()) {
        (Some(r), _, _) => Some((r.clone(), "config `bridge_region`".to_string())),
        (None, 1, _) => {
            from_resources.first().map(|r| (r.to_string(), "the region of the resources that stay on AWS".into()))
        }
        (None, 0, 1) => from_trust
            .first()
            .map(|r| (r.to_string(), "the region of the EKS OIDC provider in the role's trust".into())),
        _ => None,
    };
    if let Some((region, from)) = chosen {
        b.region = Some(region);
        b.region_from = Some(from);
        return;
    }
    let why = if from_resources.len() > 1 {
        format!(
            "the resources that stay on AWS are in several regions ({})",
            from_resources.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else if from_trust.len() > 1 {
        format!(
            "the role's trust names EKS OIDC providers in several regions ({})",
            from_trust.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else {
        "neither the resources that stay on AWS nor the role's trust name a region".to_string()
    };
    sink.push(
        rules::BRIDGE_REGION_UNKNOWN,
        format!("AWS bridge of identity `{identity}`: {why}, so `AWS_REGION`/`AWS_DEFAULT_REGION` are not added to its pods; set `bridge_region` in eks2aks.yaml"),
        Some(loc),
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn regions_come_from_arns_and_eks_oidc_providers() {
        assert_eq!(super::arn_region("arn:aws:sqs:eu-west-1:111122223333:q"), Some("eu-west-1"));
        assert_eq!(super::arn_region("arn:aws:s3:::bucket/*"), None);
        assert_eq!(super::arn_region("arn:aws:sqs:*:111122223333:q"), None);
        assert_eq!(super::provider_region("oidc.eks.us-east-1.amazonaws.com/id/ABC"), Some("us-east-1"));
        assert_eq!(super::provider_region("oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"), Some("cn-north-1"));
        assert_eq!(super::provider_region("token.actions.githubusercontent.com"), None);
    }

    use super::*;
    use crate::diag::{FileId, Pos};
    use crate::ingest::policy;

    fn perms(json: &str) -> Vec<Permission> {
        let root = crate::yaml::parse_stream(json).unwrap().remove(0).root;
        let mut sink = Sink::default();
        let d = policy::read_document(FileId(0), &root, &mut sink).unwrap();
        d.statements.iter().map(|s| Permission { policy: "p".into(), statement: s.clone() }).collect()
    }

    fn bridge(stay: &[&str], policy: &str) -> (Option<Bridge>, Vec<crate::diag::Finding>) {
        let cfg = Config { stay_on_aws: stay.iter().map(|s| s.to_string()).collect(), ..Config::default() };
        let mut sink = Sink::default();
        let loc = Loc { file: FileId(0), pos: Pos { line: 1, col: 1 } };
        let sas = vec![("app".to_string(), "worker".to_string())];
        let b = plan(&cfg, "worker", "111122223333", &perms(policy), &sas, false, loc, &mut sink);
        (b, sink.findings().to_vec())
    }

    /// Issue 18: the bridge kept the Allow on the staying bucket and dropped the Deny, so the bridge role could
    /// delete what the original role could not.
    #[test]
    fn a_bridge_keeps_the_roles_denies() {
        let (b, _) = bridge(
            &["arn:aws:s3:::legacy*"],
            r#"{"Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::legacy/*"},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::legacy/in/*"}]}"#,
        );
        let st = b.unwrap().policy["Statement"].as_array().unwrap().clone();
        assert_eq!(st.len(), 3, "{st:?}");
        assert_eq!(st[1], json!({"Effect": "Deny", "Action": ["s3:DeleteObject"], "Resource": ["*"]}));
        assert_eq!(
            st[2],
            json!({"Effect": "Deny", "Action": ["s3:PutObject"], "NotResource": ["arn:aws:s3:::legacy/in/*"]})
        );
    }

    /// Review of 4ba9fce: an Allow written with `NotResource` was dropped from the bridge without a word, and the
    /// workload lost its object access to the staying bucket. It is kept on the staying pattern, with a Deny of
    /// its actions on what it excluded (IAM has no "these, except those" in one statement).
    #[test]
    fn an_allow_with_not_resource_is_kept_on_the_staying_resources() {
        let (b, f) = bridge(
            &["arn:aws:s3:::legacy-*"],
            r#"{"Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "NotResource": "arn:aws:s3:::legacy-archive/private/*"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}"#,
        );
        let st = b.expect("a bridge").policy["Statement"].as_array().unwrap().clone();
        assert_eq!(
            st[0],
            json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::legacy-*"]})
        );
        assert_eq!(
            st[1],
            json!({"Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::legacy-archive/private/*"]})
        );
        assert_eq!(st.len(), 3, "{st:?}");
        assert!(f.iter().all(|f| f.code != rules::BRIDGE_STATEMENT_DROPPED), "{f:?}");
        // What it excludes lies outside every staying pattern: no Deny is needed.
        let (b, _) = bridge(
            &["arn:aws:s3:::legacy-*"],
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::fresh-data/*"}]}"#,
        );
        let st = b.expect("a bridge").policy["Statement"].as_array().unwrap().clone();
        assert_eq!(
            st,
            vec![json!({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::legacy-*"]})]
        );
    }

    /// The Deny that carries a `NotResource` exclusion would also take from another Allow of the bridge that grants
    /// one of its actions there: the statement is left out, and E2A132 says so and why.
    #[test]
    fn a_not_resource_allow_that_cannot_be_carried_exactly_is_a_finding() {
        let (b, f) = bridge(
            &["arn:aws:s3:::legacy-*"],
            r#"{"Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::legacy-archive/private/*"},
                {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::legacy-archive/*"}]}"#,
        );
        let st = b.expect("a bridge").policy["Statement"].as_array().unwrap().clone();
        assert_eq!(
            st,
            vec![json!({"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::legacy-archive/*"]})]
        );
        let dropped: Vec<_> = f.iter().filter(|f| f.code == rules::BRIDGE_STATEMENT_DROPPED).collect();
        assert_eq!(dropped.len(), 1, "{f:?}");
        assert!(dropped[0].message.contains("NotResource"), "{}", dropped[0].message);
    }

    /// Issue 18: a staying bucket behind `Resource: "*"` got no bridge (and no finding).
    #[test]
    fn a_wildcard_resource_is_narrowed_to_the_staying_pattern() {
        let (b, f) = bridge(
            &["arn:aws:s3:::legacy*", "arn:aws:sqs:us-east-1:111122223333:stay"],
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
        );
        let b = b.expect("a bridge");
        assert_eq!(b.policy["Statement"][0]["Resource"], json!(["arn:aws:s3:::legacy*"]));
        assert_eq!(b.resources, vec!["arn:aws:s3:::legacy*".to_string()]);
        assert!(f.iter().all(|f| f.code != rules::BRIDGE_ADMIN_EQUIVALENT), "{f:?}");
    }

    /// Issue 18: `stay_on_aws: ["*"]` with `Action: "*"` wrote `Allow * on *` with no error.
    #[test]
    fn an_administrator_equivalent_bridge_is_an_error_that_says_what_is_written() {
        let (b, f) = bridge(&["*"], r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#);
        let b = b.expect("written as the finding says");
        assert_eq!(b.policy["Statement"][0]["Action"], json!(["*"]));
        assert_eq!(b.policy["Statement"][0]["Resource"], json!(["*"]));
        let e: Vec<_> = f.iter().filter(|f| f.code == rules::BRIDGE_ADMIN_EQUIVALENT).collect();
        assert_eq!(e.len(), 1, "{f:?}");
        assert!(e[0].message.contains("allows `*` (every action) on `*`"), "{}", e[0].message);
    }

    #[test]
    fn administrator_equivalence_is_precise() {
        let st = |a: Value, r: &str| json!({"Effect": "Allow", "Action": a, "Resource": [r]});
        assert!(admin_equivalent(&st(json!(["s3:*"]), "*")).is_some());
        assert!(admin_equivalent(&st(json!(["iam:Pass*"]), "*")).unwrap().contains("iam:PassRole"));
        assert!(admin_equivalent(&st(json!(["sts:AssumeRole"]), "arn:aws:*")).is_some());
        assert!(admin_equivalent(&json!({"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"})).is_some());
        // Near misses: one bucket, read-only actions on `*`, a Deny.
        assert!(admin_equivalent(&st(json!(["s3:*"]), "arn:aws:s3:::legacy*")).is_none());
        assert!(admin_equivalent(&st(json!(["s3:GetObject", "iam:GetRole"]), "*")).is_none());
        assert!(admin_equivalent(&json!({"Effect": "Deny", "Action": ["*"], "Resource": ["*"]})).is_none());
    }
}
