//! Trust matching, the way STS decides `AssumeRoleWithWebIdentity` for an IRSA token: a statement admits a
//! ServiceAccount when its action covers the call, its principal names the cluster's OIDC provider, and every
//! condition holds for the token's `sub` and `aud`. An explicit Deny wins.
//!
//! Conditions are evaluated by the crate's one IAM evaluator ([`super::eval`]): the token carries exactly
//! `<provider>:sub` and `<provider>:aud`; the same keys of another provider are absent (a token from one cluster
//! never carries another's claims), and every other key (`aws:SourceIp`, `aws:CurrentTime`, `aws:PrincipalTag/…`,
//! `<provider>:amr`, …) is unknown. An unknown condition is never assumed true or false: the ServiceAccount is
//! admitted (its credential is planned) and the condition is listed in [`TrustVerdict::unjudged`], for the
//! `trust-condition-unjudged` finding. Dates are unknown too, even against a fixed date in the past: eks2aks never
//! reads the clock, so a run's output does not depend on the day it runs.

use super::eval::{self, Context, Tri};
use crate::diag::Loc;
use crate::glob::{action_matches, glob_match};
use crate::model::{Condition, Effect, PolicyDocument, Statement};
use std::collections::BTreeSet;

/// A trust condition eks2aks cannot judge from the token (operator as written, key, where).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unjudged {
    /// Where the condition is (its key).
    pub loc: Loc,
    /// The operator as written (`DateLessThan`, `ForAnyValue:StringLike`, …).
    pub op: String,
    /// The condition key.
    pub key: String,
}

/// The result of matching a trust policy against one ServiceAccount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustVerdict {
    /// OIDC providers (host/path, e.g. `oidc.eks.us-east-1.amazonaws.com/id/X`) through which the SA is admitted.
    pub providers: BTreeSet<String>,
    /// True when an admitting statement matched `sub` with `StringLike` and a wildcard.
    pub by_pattern: bool,
    /// True when an admitting statement has no positive `:sub` condition (it admits every ServiceAccount, or
    /// every one but those a negated operator lists).
    pub without_sub: bool,
    /// True when an admitting statement restricts `:sub` only with a negated operator (`StringNotEquals`, …).
    pub negated_sub: bool,
    /// Conditions of the admitting statements (and of Denies that may apply) that could not be judged offline.
    pub unjudged: BTreeSet<Unjudged>,
}

impl TrustVerdict {
    /// True when the ServiceAccount may assume the role.
    pub fn admitted(&self) -> bool {
        !self.providers.is_empty()
    }
}

/// The OIDC provider host/path a `Federated` principal names.
pub fn provider_of(federated: &str) -> Option<&str> {
    federated.split_once(":oidc-provider/").map(|(_, p)| p)
}

/// True for a condition key on a token claim that says who the caller is (`<provider>:sub`).
fn is_sub_key(key: &str) -> bool {
    key.to_ascii_lowercase().ends_with(":sub")
}

fn token_claim(key: &str) -> Option<(&str, &str)> {
    let (p, k) = key.rsplit_once(':')?;
    (k.eq_ignore_ascii_case("sub") || k.eq_ignore_ascii_case("aud")).then_some((p, k))
}

/// The context of one web-identity request through `provider` (`*`: any provider) for `sub` and `aud`.
fn token_context(s: &Statement, provider: &str, sub: &str, aud: &str) -> Context {
    let mut ctx = Context::open();
    for c in &s.conditions {
        if let Some((p, k)) = token_claim(&c.key) {
            let value = if k.eq_ignore_ascii_case("sub") { sub } else { aud };
            ctx = if provider == "*" || p.eq_ignore_ascii_case(provider) {
                ctx.with(&c.key, &[value])
            } else {
                ctx.without(&c.key)
            };
        }
    }
    if provider != "*" {
        ctx = ctx.with(&format!("{provider}:sub"), &[sub]).with(&format!("{provider}:aud"), &[aud]);
    }
    ctx
}

fn is_negated_op(c: &Condition) -> bool {
    matches!(
        &*c.op.base,
        "StringNotEquals" | "StringNotEqualsIgnoreCase" | "StringNotLike" | "ArnNotEquals" | "ArnNotLike"
    )
}

fn covers_web_identity(s: &Statement) -> bool {
    let any = s.action.items.iter().any(|(a, _)| action_matches(a, "sts:AssumeRoleWithWebIdentity"));
    any != s.action.not
}

/// True when a statement covers one of the calls that assume a role.
fn covers_assume(s: &Statement) -> bool {
    ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]
        .iter()
        .any(|call| s.action.items.iter().any(|(a, _)| action_matches(a, call)) != s.action.not)
}

/// Providers a statement's principal names (`*` stands for any).
fn principal_providers(s: &Statement) -> Vec<String> {
    let Some(p) = &s.principal else {
        return Vec::new();
    };
    if p.not {
        return Vec::new();
    }
    if p.any {
        return vec!["*".into()];
    }
    let star = p.entries.iter().any(|(_, v)| &**v == "*");
    p.entries
        .iter()
        .filter(|(t, _)| &**t == "Federated" || (&**t == "AWS" && star))
        .filter_map(|(_, v)| if &**v == "*" { Some("*".to_string()) } else { provider_of(v).map(str::to_string) })
        .collect()
}

/// The `:sub` conditions of a statement that restrict who is admitted: positive operators, except a `StringLike`
/// pattern that matches every ServiceAccount of every namespace (no restriction at all).
fn positive_sub_conditions(s: &Statement) -> impl Iterator<Item = &Condition> {
    s.conditions
        .iter()
        .filter(|c| is_sub_key(&c.key) && !is_negated_op(c))
        .filter(|c| !(&*c.op.base == "StringLike" && c.values.iter().any(|v| is_universal(v))))
}

/// Matches a trust policy against `system:serviceaccount:<ns>:<name>` with audience `aud`.
pub fn admits(trust: &PolicyDocument, namespace: &str, name: &str, aud: &str) -> TrustVerdict {
    let sub = format!("system:serviceaccount:{namespace}:{name}");
    let mut verdict = TrustVerdict::default();
    let mut denied: BTreeSet<String> = BTreeSet::new();
    // Denies that may apply, by provider: their unknown conditions restrict the admission.
    let mut maybe_denied: Vec<(String, Vec<Unjudged>)> = Vec::new();
    let mut allowed: Vec<(String, bool, bool, bool, Vec<Unjudged>)> = Vec::new();
    for s in &trust.statements {
        if !covers_web_identity(s) {
            continue;
        }
        for provider in principal_providers(s) {
            let ctx = token_context(s, &provider, &sub, aud);
            let mut holds = Tri::True;
            let mut unjudged = Vec::new();
            for c in &s.conditions {
                let t = eval::condition(c, &ctx);
                if t == Tri::Unknown {
                    unjudged.push(Unjudged { loc: c.loc, op: c.op.raw.to_string(), key: c.key.to_string() });
                }
                holds = holds.and(t);
            }
            if holds == Tri::False {
                continue;
            }
            match s.effect {
                Effect::Deny if holds == Tri::True => {
                    denied.insert(provider);
                }
                Effect::Deny => maybe_denied.push((provider, unjudged)),
                Effect::Allow => {
                    let positive: Vec<&Condition> = positive_sub_conditions(s).collect();
                    let by_pattern = positive
                        .iter()
                        .any(|c| &*c.op.base == "StringLike" && c.values.iter().any(|v| v.contains(['*', '?'])));
                    let without_sub = positive.is_empty();
                    let negated = without_sub && s.conditions.iter().any(|c| is_sub_key(&c.key) && is_negated_op(c));
                    allowed.push((provider, by_pattern, without_sub, negated, unjudged));
                }
            }
        }
    }
    for (provider, by_pattern, without_sub, negated_sub, unjudged) in allowed {
        if denied.contains(&provider) || denied.contains("*") {
            continue;
        }
        verdict.by_pattern |= by_pattern;
        verdict.without_sub |= without_sub;
        verdict.negated_sub |= negated_sub;
        verdict.unjudged.extend(unjudged);
        for (p, u) in &maybe_denied {
            if *p == provider || p == "*" {
                verdict.unjudged.extend(u.iter().cloned());
            }
        }
        verdict.providers.insert(provider);
    }
    verdict
}

/// The principals of a trust's Allow statements (for the assume-role calls) that are not one of `used`, the
/// OIDC providers (host/path) through which the input's ServiceAccounts are admitted: another account's role or
/// root, a service, a second cluster's OIDC provider, a SAML provider, anyone (`*`). With the statement's location.
/// Pod Identity's `pods.eks.amazonaws.com` counts as used when `pod_identity` is true.
pub fn extra_principals(trust: &PolicyDocument, used: &BTreeSet<String>, pod_identity: bool) -> Vec<(String, Loc)> {
    let mut out = Vec::new();
    for s in trust.statements.iter().filter(|s| s.effect == Effect::Allow && covers_assume(s)) {
        let Some(p) = &s.principal else { continue };
        if p.not {
            out.push(("NotPrincipal (everyone but those listed)".to_string(), s.loc));
            continue;
        }
        if p.any {
            out.push(("`*` (anyone)".to_string(), s.loc));
            continue;
        }
        for (t, v) in &p.entries {
            let kept = match &**t {
                "Federated" => {
                    provider_of(v).is_some_and(|pr| used.contains(pr)) || (&**v == "*" && used.contains("*"))
                }
                "Service" => pod_identity && &**v == "pods.eks.amazonaws.com",
                _ => false,
            };
            if !kept {
                out.push((format!("{t} `{v}`"), s.loc));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The negated `:sub` conditions of the trust's Allow statements that have no positive one: (operator, the
/// subjects it excludes, where). Each admits every other ServiceAccount of the cluster.
pub fn negated_subjects(trust: &PolicyDocument) -> Vec<(String, Vec<String>, Loc)> {
    trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && covers_web_identity(s) && positive_sub_conditions(s).next().is_none())
        .flat_map(|s| s.conditions.iter())
        .filter(|c| is_sub_key(&c.key) && is_negated_op(c))
        .map(|c| (c.op.raw.to_string(), c.values.iter().map(|v| v.to_string()).collect(), c.loc))
        .collect()
}

/// True for a `:sub` pattern that admits any ServiceAccount in any namespace (`*`, `system:serviceaccount:*`).
pub fn is_universal(pattern: &str) -> bool {
    ["system:serviceaccount:a:b", "system:serviceaccount:zz-other-ns:yy"].iter().all(|s| glob_match(pattern, s, false))
}

/// The `StringLike` `:sub` patterns with wildcards a trust names (for the stringlike-trust finding).
pub fn like_subjects(trust: &PolicyDocument) -> Vec<(String, crate::diag::Loc)> {
    trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && covers_web_identity(s))
        .flat_map(|s| s.conditions.iter())
        .filter(|c| c.key.to_ascii_lowercase().ends_with(":sub") && &*c.op.base == "StringLike")
        .flat_map(|c| c.values.iter().filter(|v| v.contains(['*', '?'])).map(move |v| (v.to_string(), c.loc)))
        .collect()
}

/// Every `sub` pattern the trust names (for "names a ServiceAccount that is not in the input").
pub fn named_subjects(trust: &PolicyDocument) -> Vec<(String, crate::diag::Loc)> {
    trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && covers_web_identity(s))
        .flat_map(|s| s.conditions.iter())
        .filter(|c| c.key.to_ascii_lowercase().ends_with(":sub") && !c.op.base.contains("Not"))
        .flat_map(|c| c.values.iter().map(move |v| (v.to_string(), c.loc)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Sink};
    use crate::ingest::policy;
    use crate::yaml;

    const P: &str = "oidc.eks.us-east-1.amazonaws.com/id/ABC";

    fn trust(conditions: &str) -> PolicyDocument {
        let src = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/{P}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{conditions}}}]}}"#
        );
        let root = yaml::parse_stream(&src).unwrap().remove(0).root;
        let mut sink = Sink::default();
        let d = policy::read_document(FileId(0), &root, &mut sink).unwrap();
        assert!(sink.findings().is_empty(), "{:?}", sink.findings());
        d
    }

    #[test]
    fn string_equals_admits_exactly_one_service_account() {
        let t = trust(&format!(
            r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:edw:worker","{P}:aud":"sts.amazonaws.com"}}}}"#
        ));
        let v = admits(&t, "edw", "worker", "sts.amazonaws.com");
        assert!(v.admitted());
        assert!(!v.by_pattern);
        assert!(v.providers.contains(P));
        assert!(!admits(&t, "edw", "other", "sts.amazonaws.com").admitted());
        assert!(!admits(&t, "other", "worker", "sts.amazonaws.com").admitted());
    }

    #[test]
    fn wrong_audience_does_not_admit() {
        let t = trust(&format!(
            r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:edw:worker","{P}:aud":"sts.example.com"}}}}"#
        ));
        assert!(!admits(&t, "edw", "worker", "sts.amazonaws.com").admitted());
        assert!(admits(&t, "edw", "worker", "sts.example.com").admitted());
    }

    #[test]
    fn string_like_matches_by_pattern() {
        let t = trust(&format!(r#"{{"StringLike":{{"{P}:sub":"system:serviceaccount:team-a:*"}}}}"#));
        let v = admits(&t, "team-a", "api", "sts.amazonaws.com");
        assert!(v.admitted() && v.by_pattern);
        assert!(!admits(&t, "team-b", "api", "sts.amazonaws.com").admitted());
    }

    #[test]
    fn string_equals_does_not_expand_wildcards() {
        let t = trust(&format!(r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:team-a:*"}}}}"#));
        assert!(!admits(&t, "team-a", "api", "sts.amazonaws.com").admitted());
    }

    #[test]
    fn multiple_conditions_are_anded_and_values_ored() {
        let t = trust(&format!(
            r#"{{"StringEquals":{{"{P}:sub":["system:serviceaccount:a:x","system:serviceaccount:b:y"]}},"StringLike":{{"{P}:aud":"sts.*"}}}}"#
        ));
        assert!(admits(&t, "a", "x", "sts.amazonaws.com").admitted());
        assert!(admits(&t, "b", "y", "sts.amazonaws.com").admitted());
        assert!(!admits(&t, "b", "y", "other").admitted());
    }

    #[test]
    fn a_universal_sub_pattern_is_no_sub_at_all() {
        for p in ["*", "system:serviceaccount:*", "system:serviceaccount:*:*"] {
            let t = trust(&format!(r#"{{"StringLike":{{"{P}:sub":"{p}"}}}}"#));
            assert!(admits(&t, "x", "y", "sts.amazonaws.com").without_sub, "{p}");
        }
        let t = trust(&format!(r#"{{"StringLike":{{"{P}:sub":"system:serviceaccount:team-a:*"}}}}"#));
        assert!(!admits(&t, "team-a", "y", "sts.amazonaws.com").without_sub);
    }

    #[test]
    fn trust_without_sub_admits_everyone_and_says_so() {
        let t = trust(&format!(r#"{{"StringEquals":{{"{P}:aud":"sts.amazonaws.com"}}}}"#));
        let v = admits(&t, "any", "thing", "sts.amazonaws.com");
        assert!(v.admitted() && v.without_sub);
    }

    #[test]
    fn negated_and_if_exists_operators() {
        let t = trust(&format!(r#"{{"StringNotEquals":{{"{P}:sub":"system:serviceaccount:kube-system:default"}}}}"#));
        assert!(admits(&t, "a", "b", "sts.amazonaws.com").admitted());
        assert!(!admits(&t, "kube-system", "default", "sts.amazonaws.com").admitted());
        let t = trust(&format!(
            r#"{{"StringEqualsIfExists":{{"{P}:amr":"x"}},"StringEquals":{{"{P}:sub":"system:serviceaccount:a:b"}}}}"#
        ));
        assert!(admits(&t, "a", "b", "sts.amazonaws.com").admitted());
    }

    #[test]
    fn explicit_deny_wins() {
        let src = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::1:oidc-provider/{P}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringLike":{{"{P}:sub":"system:serviceaccount:a:*"}}}}}},{{"Effect":"Deny","Principal":{{"Federated":"arn:aws:iam::1:oidc-provider/{P}"}},"Action":"sts:*","Condition":{{"StringEquals":{{"{P}:sub":"system:serviceaccount:a:bad"}}}}}}]}}"#
        );
        let root = yaml::parse_stream(&src).unwrap().remove(0).root;
        let t = policy::read_document(FileId(0), &root, &mut Sink::default()).unwrap();
        assert!(admits(&t, "a", "good", "sts.amazonaws.com").admitted());
        assert!(!admits(&t, "a", "bad", "sts.amazonaws.com").admitted());
    }

    #[test]
    fn conditions_on_other_keys_are_unjudged_not_failed() {
        let t = trust(&format!(
            r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:a:b"}},"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}"#
        ));
        let v = admits(&t, "a", "b", "sts.amazonaws.com");
        assert!(v.admitted());
        let keys: Vec<(&str, &str)> = v.unjudged.iter().map(|u| (u.op.as_str(), u.key.as_str())).collect();
        assert_eq!(keys, [("IpAddress", "aws:SourceIp")]);
        // The other ServiceAccounts are still refused on the conditions that can be judged.
        assert!(!admits(&t, "a", "c", "sts.amazonaws.com").admitted());
    }

    /// Issue 18: a date in the past is not judged against the clock (determinism); it is reported, not ignored.
    #[test]
    fn a_date_condition_is_unjudged_even_in_the_past() {
        let t = trust(&format!(
            r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:a:b"}},"DateLessThan":{{"aws:CurrentTime":"2001-01-01T00:00:00Z"}}}}"#
        ));
        let v = admits(&t, "a", "b", "sts.amazonaws.com");
        assert!(v.admitted());
        assert_eq!(v.unjudged.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), ["aws:CurrentTime"]);
        assert_eq!(v.unjudged.first().unwrap().op, "DateLessThan");
    }

    /// A claim the token does not carry in its own namespace (`amr`) is unknown, not assumed present or absent;
    /// another provider's `sub` is absent (a token names one cluster).
    #[test]
    fn claims_the_token_does_not_carry() {
        let t = trust(&format!(
            r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:a:b","{P}:amr":"authenticated"}}}}"#
        ));
        let v = admits(&t, "a", "b", "sts.amazonaws.com");
        assert!(v.admitted());
        assert_eq!(v.unjudged.len(), 1);
        let t =
            trust(r#"{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/OTHER:sub":"system:serviceaccount:a:b"}}"#);
        assert!(!admits(&t, "a", "b", "sts.amazonaws.com").admitted());
    }

    #[test]
    fn a_deny_that_may_apply_is_unjudged_and_one_that_applies_wins() {
        let deny = |cond: &str| {
            let src = format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::1:oidc-provider/{P}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{P}:sub":"system:serviceaccount:a:b"}}}}}},{{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{cond}}}]}}"#
            );
            let root = yaml::parse_stream(&src).unwrap().remove(0).root;
            policy::read_document(FileId(0), &root, &mut Sink::default()).unwrap()
        };
        let v = admits(&deny(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#), "a", "b", "sts.amazonaws.com");
        assert!(v.admitted());
        assert_eq!(v.unjudged.iter().map(|u| u.op.as_str()).collect::<Vec<_>>(), ["NotIpAddress"]);
        let t = deny(&format!(r#"{{"StringEquals":{{"{P}:aud":"sts.amazonaws.com"}}}}"#));
        assert!(!admits(&t, "a", "b", "sts.amazonaws.com").admitted());
    }

    /// Issue 18: `StringNotEquals` on `:sub` admits every other ServiceAccount; it is no subject at all.
    #[test]
    fn a_negated_subject_admits_everyone_else_and_says_so() {
        for op in ["StringNotEquals", "StringNotLike", "ForAnyValue:StringNotEquals", "StringNotEqualsIfExists"] {
            let t = trust(&format!(r#"{{"{op}":{{"{P}:sub":"system:serviceaccount:kube-system:default"}}}}"#));
            let v = admits(&t, "team", "api", "sts.amazonaws.com");
            assert!(v.admitted() && v.without_sub && v.negated_sub, "{op}");
            let n = negated_subjects(&t);
            assert_eq!(n.len(), 1, "{op}");
            assert_eq!(n[0].0, op);
            assert_eq!(n[0].1, ["system:serviceaccount:kube-system:default"]);
        }
        // With a positive subject beside it, the negation only narrows.
        let t = trust(&format!(
            r#"{{"StringLike":{{"{P}:sub":"system:serviceaccount:team:*"}},"StringNotEquals":{{"{P}:sub":"system:serviceaccount:team:admin"}}}}"#
        ));
        let v = admits(&t, "team", "api", "sts.amazonaws.com");
        assert!(v.admitted() && !v.without_sub && !v.negated_sub);
        assert!(!admits(&t, "team", "admin", "sts.amazonaws.com").admitted());
        assert!(negated_subjects(&t).is_empty());
    }

    /// Issue 18: a trust that also admits another principal names it.
    #[test]
    fn extra_principals_are_listed() {
        let src = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":["arn:aws:iam::1:oidc-provider/{P}","arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"]}},"Action":"sts:AssumeRoleWithWebIdentity"}},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:root","Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:root"}},"Action":"sts:TagSession"}}]}}"#
        );
        let root = yaml::parse_stream(&src).unwrap().remove(0).root;
        let t = policy::read_document(FileId(0), &root, &mut Sink::default()).unwrap();
        let used: BTreeSet<String> = [P.to_string()].into();
        let extra: Vec<String> = extra_principals(&t, &used, false).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            extra,
            [
                "AWS `arn:aws:iam::444455556666:root`",
                "Federated `arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER`",
                "Service `ec2.amazonaws.com`"
            ]
        );
        let only = trust(&format!(r#"{{"StringEquals":{{"{P}:sub":"system:serviceaccount:a:b"}}}}"#));
        assert!(extra_principals(&only, &used, false).is_empty());
    }
}
