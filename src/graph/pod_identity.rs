//! EKS Pod Identity in the join: whether a `pods.eks.amazonaws.com` trust admits one association (its conditions
//! on the session's request tags decided for that association), and the session tags of a role's permission
//! statements decided for the ServiceAccounts associated with it. It reads the model and the join's
//! ServiceAccount → role links; it writes nothing but the statements it returns and its findings.
//!
//! The tags EKS adds to every Pod Identity session (Amazon EKS User Guide, "Grant Pods access to AWS resources
//! based on tags", list of session tags): `eks-cluster-arn`, `eks-cluster-name`, `kubernetes-namespace`,
//! `kubernetes-service-account`, `kubernetes-pod-name`, `kubernetes-pod-uid`. The trust sees them as
//! `aws:RequestTag/<key>` (the AssumeRole request carries them; "Create IAM role with trust policy required by EKS
//! Pod Identity"), the role's policies as `aws:PrincipalTag/<key>`. Session tags override role tags of the same
//! key, so when EKS sends them their values are known; with `disableSessionTags` (or for an IRSA session) the
//! role's own tags, which no export here carries, would decide: unknown.

use super::eval::{self, Context, Tri};
use crate::diag::Sink;
use crate::glob::action_matches;
use crate::model::{Association, Effect, PolicyDocument, Statement};
use crate::rules;
use std::sync::Arc;

/// The session tags whose value is the same for every pod of an association.
const ASSOCIATION_TAGS: [&str; 4] =
    ["eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account"];

/// The tags EKS adds that differ per pod: never known offline.
const POD_TAGS: [&str; 2] = ["kubernetes-pod-name", "kubernetes-pod-uid"];

/// The condition context of one association's sessions, with the tags under `prefix` (`aws:RequestTag/` for the
/// trust, `aws:PrincipalTag/` for the role's policies). Keys it does not know stay unknown.
pub fn context(a: &Association, prefix: &str) -> Context {
    let mut ctx = Context::open();
    if !a.session_tags {
        return ctx;
    }
    let values = [a.cluster_arn.as_deref(), a.cluster.as_deref(), Some(&*a.namespace), Some(&*a.service_account)];
    for (tag, value) in ASSOCIATION_TAGS.iter().zip(values) {
        if let Some(v) = value {
            ctx = ctx.with(&format!("{prefix}{tag}"), &[v]);
        }
    }
    ctx
}

/// True when `key` is one of the session tags EKS adds, under `prefix` (case-insensitive).
fn is_session_tag(key: &str, prefix: &str) -> bool {
    key.len() > prefix.len()
        && key.is_char_boundary(prefix.len())
        && key[..prefix.len()].eq_ignore_ascii_case(prefix)
        && ASSOCIATION_TAGS.iter().chain(POD_TAGS.iter()).any(|t| key[prefix.len()..].eq_ignore_ascii_case(t))
}

/// Whether the trust lets EKS Pod Identity assume the role for association `a`: an Allow for the
/// `pods.eks.amazonaws.com` principal covering `sts:AssumeRole` (and `sts:TagSession`, which STS requires when
/// EKS passes session tags) whose conditions hold, and no Deny that applies. Conditions are decided with the
/// association's request tags; anything else they test is unknown, as is the result then.
pub fn trust_admits(trust: &PolicyDocument, a: &Association) -> Tri {
    let ctx = context(a, "aws:RequestTag/");
    let mut actions = vec!["sts:AssumeRole"];
    if a.session_tags {
        actions.push("sts:TagSession");
    }
    let for_pods = |s: &Statement| {
        s.principal.as_ref().is_some_and(|p| {
            !p.not && (p.any || p.entries.iter().any(|(t, v)| &**t == "Service" && &**v == "pods.eks.amazonaws.com"))
        })
    };
    let covers =
        |s: &Statement, action: &str| s.action.items.iter().any(|(p, _)| action_matches(p, action)) != s.action.not;
    let holds = |s: &Statement| s.conditions.iter().fold(Tri::True, |acc, c| acc.and(eval::condition(c, &ctx)));
    let mut allowed = Tri::True;
    let mut denied = Tri::False;
    for action in &actions {
        let mut allow = Tri::False;
        for s in trust.statements.iter().filter(|s| for_pods(s) && covers(s, action)) {
            match s.effect {
                Effect::Allow => allow = allow.or(holds(s)),
                Effect::Deny => denied = denied.or(holds(s)),
            }
        }
        allowed = allowed.and(allow);
    }
    match (denied, allowed) {
        (Tri::True, _) | (_, Tri::False) => Tri::False,
        (Tri::False, Tri::True) => Tri::True,
        _ => Tri::Unknown,
    }
}

/// What one statement becomes for the role's sessions.
enum Decided {
    /// No session tag in it, or none decided: as it is.
    Unchanged,
    /// Not in force for these sessions (a session-tag condition is false for all of them).
    Dropped(String),
    /// Decided conditions removed and tag variables substituted.
    Rewritten(Statement, String),
}

/// The role's statements in force, with their session-tag conditions decided for `contexts` (one per
/// ServiceAccount that assumes the role; `None` for a session whose tags are unknown: IRSA, tags disabled). A
/// condition is decided when it has the same truth in every context; a policy variable is substituted when it has
/// the same value in every context. Each statement changed is a note (E2A061) at the statement; what stays
/// undecided is left in place, for the mapping to report (E2A020).
pub fn decide_statements(
    role: &str,
    who: &str,
    perms: Vec<super::Permission>,
    contexts: &[Option<Context>],
    sink: &mut Sink,
) -> Vec<super::Permission> {
    if contexts.is_empty() || !perms.iter().any(|p| mentions_session_tag(&p.statement)) {
        return perms;
    }
    let mut out = Vec::with_capacity(perms.len());
    for p in perms {
        match decide(&p.statement, contexts) {
            Decided::Unchanged => out.push(p),
            Decided::Dropped(why) => {
                sink.push(
                    rules::SESSION_TAG_DECIDED,
                    format!(
                        "role `{role}`: {why} for {who}, so this statement is not in force for them and grants nothing"
                    ),
                    Some(p.statement.loc),
                );
            }
            Decided::Rewritten(s, why) => {
                sink.push(
                    rules::SESSION_TAG_DECIDED,
                    format!("role `{role}`: {why} for {who}; the statement is translated with that value"),
                    Some(p.statement.loc),
                );
                out.push(super::Permission { policy: p.policy, statement: Arc::new(s) });
            }
        }
    }
    out
}

fn mentions_session_tag(s: &Statement) -> bool {
    let p = "aws:PrincipalTag/";
    s.conditions.iter().any(|c| is_session_tag(&c.key, p) || c.values.iter().any(|v| v.contains("${")))
        || s.resource.iter().flat_map(|r| r.items.iter()).any(|(r, _)| r.contains("${"))
}

/// One value the same in every context, or `None`.
fn same<T: PartialEq>(mut each: impl Iterator<Item = Option<T>>) -> Option<T> {
    let first = each.next()??;
    each.all(|x| x.as_ref() == Some(&first)).then_some(first)
}

/// A text with only session-tag variables substituted when their values agree across the contexts.
fn substituted(text: &str, contexts: &[Option<Context>]) -> Option<String> {
    let vars_ok = text.split("${").skip(1).all(|v| {
        let key = v.split(['}', ',']).next().unwrap_or("").trim();
        is_session_tag(key, "aws:PrincipalTag/")
    });
    if !text.contains("${") || !vars_ok {
        return None;
    }
    same(contexts.iter().map(|c| c.as_ref().and_then(|c| eval::substitute(text, c))))
}

fn decide(s: &Statement, contexts: &[Option<Context>]) -> Decided {
    let mut out = s.clone();
    let mut said: Vec<String> = Vec::new();
    let mut keep = Vec::new();
    for c in &s.conditions {
        if is_session_tag(&c.key, "aws:PrincipalTag/") {
            let truth =
                same(contexts.iter().map(|x| x.as_ref().map(|x| eval::condition(c, x)).filter(|t| *t != Tri::Unknown)));
            match truth {
                Some(Tri::False) => {
                    return Decided::Dropped(format!("the condition `{} {}` is false", c.op.raw, c.key));
                }
                Some(Tri::True) => {
                    said.push(format!("the condition `{} {}` is true", c.op.raw, c.key));
                    continue;
                }
                _ => {}
            }
        }
        let mut c2 = c.clone();
        for v in c2.values.iter_mut() {
            if let Some(x) = substituted(v, contexts) {
                said.push(format!("`{v}` is `{x}`"));
                *v = x.into();
            }
        }
        keep.push(c2);
    }
    out.conditions = keep;
    if let Some(r) = out.resource.as_mut() {
        for (item, _) in r.items.iter_mut() {
            if let Some(x) = substituted(item, contexts) {
                said.push(format!("`{item}` is `{x}`"));
                *item = x.into();
            }
        }
    }
    if said.is_empty() { Decided::Unchanged } else { Decided::Rewritten(out, said.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Loc};
    use crate::ingest::policy;
    use crate::model::AssociationKind;

    fn document(json: &str) -> PolicyDocument {
        let root = crate::yaml::parse_stream(json).unwrap().remove(0).root;
        policy::read_document(FileId(0), &root, &mut Sink::default()).unwrap()
    }

    fn association(ns: &str, sa: &str, session_tags: bool) -> Association {
        Association {
            namespace: ns.into(),
            service_account: sa.into(),
            role_arn: "arn:aws:iam::111122223333:role/app".into(),
            role_name: "app".into(),
            kind: AssociationKind::PodIdentity,
            loc: Loc { file: FileId(0), pos: crate::diag::Pos::default() },
            cluster: Some("shop-prod".into()),
            cluster_arn: Some("arn:aws:eks:us-east-1:111122223333:cluster/shop-prod".into()),
            session_tags,
            chained_from: None,
            creates_service_account: false,
        }
    }

    const PRINCIPAL: &str = r#""Principal":{"Service":"pods.eks.amazonaws.com"}"#;

    #[test]
    fn tag_session_is_required_while_eks_passes_session_tags() {
        let only_assume =
            document(&format!(r#"{{"Statement":{{"Effect":"Allow",{PRINCIPAL},"Action":"sts:AssumeRole"}}}}"#));
        assert_eq!(trust_admits(&only_assume, &association("shop", "orders", true)), Tri::False);
        assert_eq!(trust_admits(&only_assume, &association("shop", "orders", false)), Tri::True);
    }

    #[test]
    fn request_tag_conditions_and_denies_are_decided_per_association() {
        let t = document(&format!(
            r#"{{"Statement":[
              {{"Effect":"Allow",{PRINCIPAL},"Action":["sts:AssumeRole","sts:TagSession"],
                "Condition":{{"StringLike":{{"aws:RequestTag/kubernetes-namespace":"team-*"}}}}}},
              {{"Effect":"Deny",{PRINCIPAL},"Action":"sts:AssumeRole",
                "Condition":{{"StringEquals":{{"aws:RequestTag/kubernetes-service-account":"intruder"}}}}}}]}}"#
        ));
        assert_eq!(trust_admits(&t, &association("team-a", "orders", true)), Tri::True);
        assert_eq!(trust_admits(&t, &association("shop", "orders", true)), Tri::False);
        assert_eq!(trust_admits(&t, &association("team-a", "intruder", true)), Tri::False, "the Deny wins");
        let per_pod = document(&format!(
            r#"{{"Statement":{{"Effect":"Allow",{PRINCIPAL},"Action":["sts:AssumeRole","sts:TagSession"],
                "Condition":{{"StringLike":{{"aws:RequestTag/kubernetes-pod-name":"orders-*"}}}}}}}}"#
        ));
        assert_eq!(trust_admits(&per_pod, &association("shop", "orders", true)), Tri::Unknown);
    }

    #[test]
    fn session_tags_are_unknown_when_disabled_or_when_the_service_accounts_disagree() {
        let d = document(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
                "Condition":{"StringEquals":{"aws:PrincipalTag/kubernetes-namespace":"shop"}}}}"#,
        );
        let perms = || vec![super::super::Permission { policy: "p".into(), statement: d.statements[0].clone() }];
        let ctx = |ns: &str, tags: bool| Some(context(&association(ns, "a", tags), "aws:PrincipalTag/"));
        let mut sink = Sink::default();
        // Disabled tags: the role's own tags would decide; unknown, so the statement is left for E2A020.
        let out = decide_statements("app", "x", perms(), &[ctx("shop", false)], &mut sink);
        assert_eq!(out[0].statement.conditions.len(), 1);
        // Two namespaces: true for one, false for the other; undecided.
        let out = decide_statements("app", "x", perms(), &[ctx("shop", true), ctx("billing", true)], &mut sink);
        assert_eq!(out[0].statement.conditions.len(), 1);
        // An IRSA session of the same role: undecided.
        let out = decide_statements("app", "x", perms(), &[ctx("shop", true), None], &mut sink);
        assert_eq!(out[0].statement.conditions.len(), 1);
        assert!(sink.findings().is_empty());
        // One namespace: decided.
        let out = decide_statements("app", "x", perms(), &[ctx("shop", true)], &mut sink);
        assert!(out[0].statement.conditions.is_empty());
        assert_eq!(sink.findings().len(), 1);
    }
}
