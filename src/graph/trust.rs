//! Trust matching, the way STS decides `AssumeRoleWithWebIdentity` for an IRSA token: a statement admits a
//! ServiceAccount when its action covers the call, its principal names the cluster's OIDC provider, and every
//! condition holds for the token's `sub` and `aud`. An explicit Deny wins. Conditions on keys the token does not
//! carry follow IAM's rules (absent keys fail positive operators, pass negated ones and `…IfExists`), and
//! conditions that cannot be judged offline (`aws:SourceIp`, dates) are reported as such.

use super::glob::{action_matches, glob_match};
use crate::model::{Condition, Effect, PolicyDocument, SetOp, Statement};
use std::collections::BTreeSet;

/// The result of matching a trust policy against one ServiceAccount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustVerdict {
    /// OIDC providers (host/path, e.g. `oidc.eks.us-east-1.amazonaws.com/id/X`) through which the SA is admitted.
    pub providers: BTreeSet<String>,
    /// True when an admitting statement matched `sub` with `StringLike` and a wildcard.
    pub by_pattern: bool,
    /// True when an admitting statement has no `:sub` condition (it admits every ServiceAccount).
    pub without_sub: bool,
    /// Condition keys that could not be judged offline (treated as satisfied).
    pub unjudged: BTreeSet<String>,
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

enum Outcome {
    True,
    False,
    Unknown,
}

fn eval(c: &Condition, ctx: &[(String, String)]) -> Outcome {
    let base = &*c.op.base;
    let value = ctx.iter().find(|(k, _)| k.eq_ignore_ascii_case(&c.key)).map(|(_, v)| v.as_str());
    if base == "Null" {
        let want_absent = c.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return if value.is_none() == want_absent { Outcome::True } else { Outcome::False };
    }
    let Some(v) = value else {
        if !ctx.iter().any(|(k, _)| k.split_once(':').map(|x| x.0) == c.key.split_once(':').map(|x| x.0))
            && !c.key.ends_with(":sub")
            && !c.key.ends_with(":aud")
        {
            // A key from another namespace (`aws:SourceIp`, …): cannot be judged from the token alone.
            return Outcome::Unknown;
        }
        let negated = base.contains("Not");
        return if c.op.if_exists || negated || c.op.set == Some(SetOp::AllValues) {
            Outcome::True
        } else {
            Outcome::False
        };
    };
    let one = |p: &str| -> Option<bool> {
        Some(match base {
            "StringEquals" | "ArnEquals" => p == v,
            "StringNotEquals" | "ArnNotEquals" => p != v,
            "StringEqualsIgnoreCase" => p.eq_ignore_ascii_case(v),
            "StringNotEqualsIgnoreCase" => !p.eq_ignore_ascii_case(v),
            "StringLike" | "ArnLike" => glob_match(p, v, false),
            "StringNotLike" | "ArnNotLike" => !glob_match(p, v, false),
            _ => return None,
        })
    };
    // Negated operators must hold for every value (none of them matches); positive ones for any value.
    let negated = base.contains("Not");
    let results: Option<Vec<bool>> = c.values.iter().map(|p| one(p)).collect();
    match results {
        None => Outcome::Unknown,
        Some(r) => {
            let ok = if negated { r.iter().all(|b| *b) } else { r.iter().any(|b| *b) };
            if ok { Outcome::True } else { Outcome::False }
        }
    }
}

fn covers_web_identity(s: &Statement) -> bool {
    let any = s.action.items.iter().any(|(a, _)| action_matches(a, "sts:AssumeRoleWithWebIdentity"));
    any != s.action.not
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
    p.entries
        .iter()
        .filter(|(t, _)| &**t == "Federated" || (&**t == "AWS" && _is_star(&p.entries)))
        .filter_map(|(_, v)| if &**v == "*" { Some("*".to_string()) } else { provider_of(v).map(str::to_string) })
        .collect()
}

fn _is_star(entries: &[(std::sync::Arc<str>, std::sync::Arc<str>)]) -> bool {
    entries.iter().any(|(_, v)| &**v == "*")
}

/// Matches a trust policy against `system:serviceaccount:<ns>:<name>` with audience `aud`.
pub fn admits(trust: &PolicyDocument, namespace: &str, name: &str, aud: &str) -> TrustVerdict {
    let sub = format!("system:serviceaccount:{namespace}:{name}");
    let mut verdict = TrustVerdict::default();
    let mut denied: BTreeSet<String> = BTreeSet::new();
    let mut allowed: Vec<(String, bool, bool, BTreeSet<String>)> = Vec::new();
    for s in &trust.statements {
        if !covers_web_identity(s) {
            continue;
        }
        for provider in principal_providers(s) {
            let ctx: Vec<(String, String)> = if provider == "*" {
                // Any provider: evaluate against whatever provider the condition keys name.
                s.conditions
                    .iter()
                    .filter_map(|c| {
                        let (p, k) = c.key.rsplit_once(':')?;
                        Some(match k {
                            "sub" => (format!("{p}:sub"), sub.clone()),
                            "aud" => (format!("{p}:aud"), aud.to_string()),
                            _ => return None,
                        })
                    })
                    .collect()
            } else {
                vec![(format!("{provider}:sub"), sub.clone()), (format!("{provider}:aud"), aud.to_string())]
            };
            let mut unjudged = BTreeSet::new();
            let mut holds = true;
            for c in &s.conditions {
                match eval(c, &ctx) {
                    Outcome::True => {}
                    Outcome::False => holds = false,
                    Outcome::Unknown => {
                        unjudged.insert(c.key.to_string());
                    }
                }
            }
            if !holds {
                continue;
            }
            // A `:sub` pattern that matches every ServiceAccount of every namespace is no restriction at all.
            let sub_conds: Vec<&Condition> = s
                .conditions
                .iter()
                .filter(|c| c.key.to_ascii_lowercase().ends_with(":sub"))
                .filter(|c| !(&*c.op.base == "StringLike" && c.values.iter().any(|v| is_universal(v))))
                .collect();
            let by_pattern = sub_conds
                .iter()
                .any(|c| &*c.op.base == "StringLike" && c.values.iter().any(|v| v.contains(['*', '?'])));
            match s.effect {
                Effect::Deny => {
                    denied.insert(provider);
                }
                Effect::Allow => allowed.push((provider, by_pattern, sub_conds.is_empty(), unjudged)),
            }
        }
    }
    for (provider, by_pattern, without_sub, unjudged) in allowed {
        if denied.contains(&provider) || denied.contains("*") {
            continue;
        }
        verdict.by_pattern |= by_pattern;
        verdict.without_sub |= without_sub;
        verdict.unjudged.extend(unjudged);
        verdict.providers.insert(provider);
    }
    verdict
}

/// True when the trust lets EKS Pod Identity (`pods.eks.amazonaws.com`) assume the role.
pub fn admits_pod_identity(trust: &PolicyDocument) -> bool {
    let allows = |s: &Statement| {
        s.principal.as_ref().is_some_and(|p| {
            !p.not && (p.any || p.entries.iter().any(|(t, v)| &**t == "Service" && &**v == "pods.eks.amazonaws.com"))
        }) && (s.action.items.iter().any(|(a, _)| action_matches(a, "sts:AssumeRole")) != s.action.not)
    };
    trust.statements.iter().any(|s| s.effect == Effect::Allow && allows(s))
        && !trust.statements.iter().any(|s| s.effect == Effect::Deny && allows(s))
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
        assert!(v.unjudged.contains("aws:SourceIp"));
    }
}
