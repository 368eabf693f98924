//! AWS IAM policy evaluation for identity-based policies, after AWS's published evaluation logic ("Policy
//! evaluation logic" and "Condition operators" in the IAM User Guide), for one principal in its own account:
//!
//! 1. An explicit `Deny` whose action, resource and conditions all match the request denies it.
//! 2. Otherwise an `Allow` that matches allows it — when a permissions boundary is set, only if the boundary
//!    allows it too (a boundary grants nothing itself).
//! 3. Otherwise the request is implicitly denied.
//!
//! Conditions are three-valued: a condition on a key whose value the caller does not know (a source IP, the time)
//! is [`Tri::Unknown`], never assumed true. An unknown Deny makes an Allow [`Decision::Unknown`]; an unknown Allow
//! with no sure one is [`Decision::Unknown`] too. Policy variables (`${aws:PrincipalTag/team}`) in resources and
//! condition values are substituted from the context, and unknown when it does not hold them.
//!
//! What is left out, deliberately: resource-based policies, SCPs, RCPs and session policies (not in an identity's
//! export), and cross-account access (each account's own policies decide). Those are the caller's to report.

use crate::glob::{action_matches, glob_match};
use crate::model::{Condition, Effect, SetOp, Statement};
use std::collections::BTreeMap;

/// A three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided from what is known.
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    /// Kleene AND.
    pub fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    /// Kleene OR.
    pub fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// The outcome of evaluating a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Denied by an explicit `Deny`.
    Deny,
    /// No statement allows it (implicit deny).
    NotApplicable,
    /// Depends on a condition the caller cannot decide.
    Unknown,
}

/// What is known about a request's condition keys (keys compare case-insensitively).
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
    /// Keys known to be absent from the request.
    absent: std::collections::BTreeSet<String>,
    /// True: every key not given is absent (a request the caller describes completely). False: unknown.
    closed: bool,
}

/// The value of a key in a [`Context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue<'a> {
    /// Present with these values (one for a single-valued key).
    Present(&'a [String]),
    /// Not in the request.
    Absent,
    /// Not known.
    Unknown,
}

impl Context {
    /// A context in which keys not given are unknown.
    pub fn open() -> Self {
        Context::default()
    }

    /// A context in which keys not given are absent from the request.
    pub fn closed() -> Self {
        Context { closed: true, ..Default::default() }
    }

    /// Sets a key's values.
    pub fn with(mut self, key: &str, values: &[&str]) -> Self {
        self.values.insert(key.to_ascii_lowercase(), values.iter().map(|v| v.to_string()).collect());
        self
    }

    /// Marks a key absent.
    pub fn without(mut self, key: &str) -> Self {
        self.absent.insert(key.to_ascii_lowercase());
        self
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> KeyValue<'_> {
        let k = key.to_ascii_lowercase();
        match self.values.get(&k) {
            Some(v) => KeyValue::Present(v),
            None if self.closed || self.absent.contains(&k) => KeyValue::Absent,
            None => KeyValue::Unknown,
        }
    }
}

/// A request: an action on a resource ARN, with its condition context.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN.
    pub resource: &'a str,
    /// Condition keys.
    pub context: &'a Context,
}

/// Substitutes policy variables (`${aws:username}`, `${*}`, `${?}`, `${$}`, `${key, 'default'}`); `None` when a
/// variable is unknown, absent without a default, or multi-valued (AWS does not substitute those).
pub fn substitute(text: &str, ctx: &Context) -> Option<String> {
    if !text.contains("${") {
        return Some(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return Some(out);
        };
        let inner = after[..end].trim();
        let (key, default) = match inner.split_once(',') {
            Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_string())),
            None => (inner, None),
        };
        match key {
            "*" => out.push('*'),
            "?" => out.push('?'),
            "$" => out.push('$'),
            _ => match (ctx.get(key), default) {
                (KeyValue::Present([v]), _) => out.push_str(v),
                (KeyValue::Absent, Some(d)) => out.push_str(&d),
                _ => return None,
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// True when a pattern writes a literal `*` or `?` as `${*}`/`${?}`: those must not act as wildcards, which the
/// glob matcher cannot express, so such a pattern is compared exactly (or unknown when it also has wildcards).
fn literal_stars(p: &str) -> bool {
    p.contains("${*}") || p.contains("${?}")
}

fn matches_pattern(pattern: &str, text: &str, ignore_case: bool, ctx: &Context) -> Tri {
    if !pattern.contains("${") {
        // No policy variable (almost every pattern): matched as written, without a copy.
        return Tri::from(glob_match(pattern, text, ignore_case));
    }
    if literal_stars(pattern) {
        // `${*}` is a literal `*`: compare piecewise (rare; exact).
        let Some(lit) = substitute(pattern, ctx) else { return Tri::Unknown };
        let escaped_free = pattern.replace("${*}", "").replace("${?}", "");
        if escaped_free.contains(['*', '?']) {
            return Tri::Unknown;
        }
        return Tri::from(if ignore_case { lit.eq_ignore_ascii_case(text) } else { lit == text });
    }
    match substitute(pattern, ctx) {
        Some(p) => Tri::from(glob_match(&p, text, ignore_case)),
        None => Tri::Unknown,
    }
}

/// Whether a statement's `Action` (or `NotAction`) covers `action`.
pub fn action_applies(s: &Statement, action: &str) -> bool {
    s.action.items.iter().any(|(a, _)| action_matches(a, action)) != s.action.not
}

fn resource_applies(s: &Statement, resource: &str, ctx: &Context) -> Tri {
    let Some(r) = &s.resource else { return Tri::False };
    let any = r.items.iter().fold(Tri::False, |acc, (p, _)| acc.or(matches_pattern(p, resource, false, ctx)));
    if r.not { any.not() } else { any }
}

/// Whether a statement applies to a request (its action, resource and every condition).
pub fn applies(s: &Statement, req: &Request) -> Tri {
    if !action_applies(s, req.action) {
        return Tri::False;
    }
    let mut t = resource_applies(s, req.resource, req.context);
    for c in &s.conditions {
        if t == Tri::False {
            break;
        }
        t = t.and(condition(c, req.context));
    }
    t
}

fn negated(base: &str) -> bool {
    matches!(
        base,
        "StringNotEquals"
            | "StringNotEqualsIgnoreCase"
            | "StringNotLike"
            | "NumericNotEquals"
            | "DateNotEquals"
            | "NotIpAddress"
            | "ArnNotEquals"
            | "ArnNotLike"
    )
}

/// One context value against one policy value, with the operator's positive sense (negation is applied by the
/// caller over the whole value list, as AWS does: a negated operator holds when the value matches none).
fn one(base: &str, policy: &str, value: &str, ctx: &Context) -> Tri {
    let pos = base.replace("Not", "");
    let pos = if base == "NotIpAddress" { "IpAddress".to_string() } else { pos };
    match pos.as_str() {
        "StringEquals" | "ArnEquals" => match substitute(policy, ctx) {
            // Equals does not expand wildcards: a `*` in the value is a literal star.
            Some(p) => Tri::from(p == value),
            None => Tri::Unknown,
        },
        "StringEqualsIgnoreCase" => match substitute(policy, ctx) {
            Some(p) => Tri::from(p.eq_ignore_ascii_case(value)),
            None => Tri::Unknown,
        },
        "StringLike" | "ArnLike" => matches_pattern(policy, value, false, ctx),
        "NumericEquals"
        | "NumericLessThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals" => match (policy.trim().parse::<f64>(), value.trim().parse::<f64>()) {
            (Ok(p), Ok(v)) => Tri::from(match pos.as_str() {
                "NumericEquals" => v == p,
                "NumericLessThan" => v < p,
                "NumericLessThanEquals" => v <= p,
                "NumericGreaterThan" => v > p,
                _ => v >= p,
            }),
            _ => Tri::False,
        },
        "DateEquals" | "DateLessThan" | "DateLessThanEquals" | "DateGreaterThan" | "DateGreaterThanEquals" => {
            match (epoch(policy), epoch(value)) {
                (Some(p), Some(v)) => Tri::from(match pos.as_str() {
                    "DateEquals" => v == p,
                    "DateLessThan" => v < p,
                    "DateLessThanEquals" => v <= p,
                    "DateGreaterThan" => v > p,
                    _ => v >= p,
                }),
                _ => Tri::Unknown,
            }
        }
        "Bool" => Tri::from(policy.eq_ignore_ascii_case(value)),
        "BinaryEquals" => Tri::from(policy == value),
        // A malformed block or address matches nothing.
        "IpAddress" => Tri::from(cidr_contains(policy, value).unwrap_or(false)),
        _ => Tri::Unknown,
    }
}

/// Seconds since the epoch of an ISO 8601 date (`2026-01-01`, `2026-01-01T10:00:00Z`) or of an epoch number.
fn epoch(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let (date, time) = s.split_once('T').unwrap_or((s, "00:00:00Z"));
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+', '.']).next()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) =
        (t.next().unwrap_or(Ok(0)).ok()?, t.next().unwrap_or(Ok(0)).ok()?, t.next().unwrap_or(Ok(0)).ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Whether an address lies in a CIDR block (`10.0.0.0/8`, `2001:db8::/32`, or one address).
fn cidr_contains(cidr: &str, addr: &str) -> Option<bool> {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, Some(b.parse::<u32>().ok()?)),
        None => (cidr, None),
    };
    let net: std::net::IpAddr = net.trim().parse().ok()?;
    let addr: std::net::IpAddr = addr.trim().parse().ok()?;
    let (n, a, width) = match (net, addr) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(a)) => (u32::from(n) as u128, u32::from(a) as u128, 32),
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
        _ => return Some(false),
    };
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return Some(true);
    }
    let shift = width - bits;
    Some((n >> shift) == (a >> shift))
}

/// Evaluates one condition (operator, key, values) against the context.
pub fn condition(c: &Condition, ctx: &Context) -> Tri {
    let base = &*c.op.base;
    let value = ctx.get(&c.key);
    if base == "Null" {
        // `Null: true` holds when the key is absent; any other value means "present".
        let want_absent = c.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return match value {
            KeyValue::Unknown => Tri::Unknown,
            KeyValue::Absent => Tri::from(want_absent),
            KeyValue::Present(v) => Tri::from(want_absent == v.is_empty()),
        };
    }
    let neg = negated(base);
    let values: &[String] = match value {
        KeyValue::Unknown => return Tri::Unknown,
        KeyValue::Absent => {
            // IAM: a missing key fails a positive operator and satisfies a negated one; `…IfExists` is satisfied;
            // `ForAllValues:` over no values holds, `ForAnyValue:` does not.
            return Tri::from(match c.op.set {
                Some(SetOp::AllValues) => true,
                Some(SetOp::AnyValue) => false,
                None => c.op.if_exists || neg,
            });
        }
        KeyValue::Present(v) => v,
    };
    // One request value against the policy values: positive operators match any policy value; negated ones
    // hold when the value matches none of them.
    let holds = |v: &str| -> Tri {
        let any = c.values.iter().fold(Tri::False, |acc, p| acc.or(one(base, p, v, ctx)));
        if neg { any.not() } else { any }
    };
    match c.op.set {
        Some(SetOp::AnyValue) => values.iter().fold(Tri::False, |acc, v| acc.or(holds(v))),
        Some(SetOp::AllValues) => values.iter().fold(Tri::True, |acc, v| acc.and(holds(v))),
        // A single-valued operator on a multi-valued key: AWS compares the key's one value; with several it
        // cannot be decided here.
        None => match values {
            [v] => holds(v),
            [] => Tri::from(c.op.if_exists || neg),
            _ => Tri::Unknown,
        },
    }
}

/// Evaluates a request against a principal's identity policies and optional permissions boundary.
pub fn evaluate<'s>(
    statements: impl IntoIterator<Item = &'s Statement> + Clone,
    boundary: Option<&[&Statement]>,
    req: &Request,
) -> Decision {
    let mut deny = Tri::False;
    let mut allow = Tri::False;
    for s in statements {
        let t = applies(s, req);
        match s.effect {
            Effect::Deny => deny = deny.or(t),
            Effect::Allow => allow = allow.or(t),
        }
    }
    if let Some(b) = boundary {
        let mut b_allow = Tri::False;
        for s in b {
            let t = applies(s, req);
            match s.effect {
                Effect::Deny => deny = deny.or(t),
                Effect::Allow => b_allow = b_allow.or(t),
            }
        }
        allow = allow.and(b_allow);
    }
    match (deny, allow) {
        (Tri::True, _) => Decision::Deny,
        (Tri::False, Tri::True) => Decision::Allow,
        // Nothing allows it: denied whether or not an unknown Deny applies.
        (_, Tri::False) => Decision::NotApplicable,
        _ => Decision::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Sink};
    use crate::ingest::policy;
    use proptest::prelude::*;

    fn statements(json: &str) -> Vec<Statement> {
        let root = crate::yaml::parse_stream(json).unwrap().remove(0).root;
        let mut sink = Sink::default();
        let d = policy::read_document(FileId(0), &root, &mut sink).unwrap();
        assert!(sink.findings().is_empty(), "{:?}", sink.findings());
        d.statements.iter().map(|s| (**s).clone()).collect()
    }

    fn decide(policy: &str, action: &str, resource: &str, ctx: &Context) -> Decision {
        let s = statements(policy);
        evaluate(s.iter(), None, &Request { action, resource, context: ctx })
    }

    const BUCKET: &str = "arn:aws:s3:::data";

    #[test]
    fn explicit_deny_beats_allow() {
        let p = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::data/*"},
            {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::data/secret/*"}]}"#;
        let c = Context::closed();
        assert_eq!(decide(p, "s3:GetObject", "arn:aws:s3:::data/public/a", &c), Decision::Allow);
        assert_eq!(decide(p, "s3:GetObject", "arn:aws:s3:::data/secret/a", &c), Decision::Deny);
        assert_eq!(decide(p, "s3:ListBucket", BUCKET, &c), Decision::NotApplicable, "data/* is not the bucket");
    }

    #[test]
    fn actions_match_case_insensitively_and_resources_do_not() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":"S3:get*","Resource":"arn:aws:s3:::Data/*"}}"#;
        let c = Context::closed();
        assert_eq!(decide(p, "s3:GetObject", "arn:aws:s3:::Data/x", &c), Decision::Allow);
        assert_eq!(decide(p, "s3:GetObject", "arn:aws:s3:::data/x", &c), Decision::NotApplicable);
    }

    #[test]
    fn not_action_and_not_resource_exclude() {
        let p = r#"{"Statement":{"Effect":"Allow","NotAction":"s3:Delete*","NotResource":"arn:aws:s3:::secret/*"}}"#;
        let c = Context::closed();
        assert_eq!(decide(p, "s3:GetObject", "arn:aws:s3:::data/x", &c), Decision::Allow);
        assert_eq!(decide(p, "s3:DeleteObject", "arn:aws:s3:::data/x", &c), Decision::NotApplicable);
        assert_eq!(decide(p, "s3:GetObject", "arn:aws:s3:::secret/x", &c), Decision::NotApplicable);
    }

    #[test]
    fn negated_operators_hold_when_no_value_matches_and_when_the_key_is_missing() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data",
            "Condition":{"StringNotLike":{"s3:prefix":["private/*","secret/*"]}}}}"#;
        let list = |prefix: Option<&str>| {
            let c = match prefix {
                Some(p) => Context::closed().with("s3:prefix", &[p]),
                None => Context::closed(),
            };
            decide(p, "s3:ListBucket", BUCKET, &c)
        };
        assert_eq!(list(Some("public/")), Decision::Allow);
        assert_eq!(list(Some("private/a")), Decision::NotApplicable);
        assert_eq!(list(Some("secret/")), Decision::NotApplicable);
        assert_eq!(list(None), Decision::Allow, "a missing key satisfies a negated operator");
    }

    #[test]
    fn if_exists_null_and_multiple_values() {
        let c = |p: &str| {
            format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data","Condition":{p}}}}}"#
            )
        };
        let with = Context::closed().with("s3:prefix", &["b/"]);
        let without = Context::closed();
        let p = c(r#"{"StringLikeIfExists":{"s3:prefix":"a/*"}}"#);
        assert_eq!(decide(&p, "s3:ListBucket", BUCKET, &without), Decision::Allow, "IfExists widens");
        assert_eq!(decide(&p, "s3:ListBucket", BUCKET, &with), Decision::NotApplicable);
        let p = c(r#"{"Null":{"s3:prefix":"true"}}"#);
        assert_eq!(decide(&p, "s3:ListBucket", BUCKET, &without), Decision::Allow);
        assert_eq!(decide(&p, "s3:ListBucket", BUCKET, &with), Decision::NotApplicable);
        let p = c(r#"{"StringLike":{"s3:prefix":["a/*","b/*"]}}"#);
        assert_eq!(decide(&p, "s3:ListBucket", BUCKET, &with), Decision::Allow, "values are OR-ed");
        let p = c(r#"{"StringEquals":{"s3:prefix":"home/*"}}"#);
        let star = Context::closed().with("s3:prefix", &["home/x"]);
        assert_eq!(decide(&p, "s3:ListBucket", BUCKET, &star), Decision::NotApplicable, "Equals has no wildcards");
    }

    #[test]
    fn unknown_keys_are_unknown_never_true() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*",
            "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#;
        assert_eq!(decide(p, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", &Context::open()), Decision::Unknown);
        let inside = Context::open().with("aws:SourceIp", &["10.1.2.3"]);
        let outside = Context::open().with("aws:SourceIp", &["192.168.0.1"]);
        assert_eq!(decide(p, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", &inside), Decision::Allow);
        assert_eq!(decide(p, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", &outside), Decision::NotApplicable);
        let deny = r#"{"Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"},
            {"Effect":"Deny","Action":"sqs:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}"#;
        assert_eq!(decide(deny, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", &Context::open()), Decision::Unknown);
        let now = Context::open().with("aws:CurrentTime", &["2026-12-06T00:00:00Z"]);
        assert_eq!(decide(deny, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", &now), Decision::Deny);
    }

    #[test]
    fn policy_variables_substitute_or_are_unknown() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/${aws:PrincipalTag/team}/*"}}"#;
        let obj = "arn:aws:s3:::data/blue/x";
        assert_eq!(decide(p, "s3:GetObject", obj, &Context::open()), Decision::Unknown);
        assert_eq!(
            decide(p, "s3:GetObject", obj, &Context::open().with("aws:PrincipalTag/team", &["blue"])),
            Decision::Allow
        );
        assert_eq!(
            decide(p, "s3:GetObject", obj, &Context::open().with("aws:PrincipalTag/team", &["red"])),
            Decision::NotApplicable
        );
        // `${*}` is a literal star, not a wildcard.
        let lit = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/${*}"}}"#;
        assert_eq!(decide(lit, "s3:GetObject", "arn:aws:s3:::data/*", &Context::open()), Decision::Allow);
        assert_eq!(decide(lit, "s3:GetObject", "arn:aws:s3:::data/x", &Context::open()), Decision::NotApplicable);
    }

    #[test]
    fn set_operators() {
        let c = |op: &str| {
            format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{{"{op}":{{"dynamodb:Attributes":["id","name"]}}}}}}}}"#
            )
        };
        let t = "arn:aws:dynamodb:us-east-1:1:table/t";
        let some = Context::closed().with("dynamodb:Attributes", &["id", "secret"]);
        let subset = Context::closed().with("dynamodb:Attributes", &["id"]);
        let none = Context::closed();
        assert_eq!(decide(&c("ForAllValues:StringEquals"), "dynamodb:GetItem", t, &some), Decision::NotApplicable);
        assert_eq!(decide(&c("ForAllValues:StringEquals"), "dynamodb:GetItem", t, &subset), Decision::Allow);
        assert_eq!(decide(&c("ForAllValues:StringEquals"), "dynamodb:GetItem", t, &none), Decision::Allow);
        assert_eq!(decide(&c("ForAnyValue:StringEquals"), "dynamodb:GetItem", t, &some), Decision::Allow);
        assert_eq!(decide(&c("ForAnyValue:StringEquals"), "dynamodb:GetItem", t, &none), Decision::NotApplicable);
    }

    #[test]
    fn boundary_limits_and_grants_nothing() {
        let s = statements(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#);
        let b = statements(r#"{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#);
        let b: Vec<&Statement> = b.iter().collect();
        let c = Context::closed();
        let r = |a| Request { action: a, resource: "arn:aws:s3:::d/x", context: &c };
        assert_eq!(evaluate(s.iter(), Some(&b), &r("s3:GetObject")), Decision::Allow);
        assert_eq!(evaluate(s.iter(), Some(&b), &r("s3:PutObject")), Decision::NotApplicable);
        assert_eq!(evaluate([].iter(), Some(&b), &r("s3:GetObject")), Decision::NotApplicable);
    }

    #[test]
    fn dates_and_cidrs() {
        assert_eq!(epoch("1970-01-02"), Some(86_400));
        assert_eq!(epoch("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(cidr_contains("10.0.0.0/8", "10.255.0.1"), Some(true));
        assert_eq!(cidr_contains("10.0.0.0/8", "11.0.0.1"), Some(false));
        assert_eq!(cidr_contains("2001:db8::/32", "2001:db8::1"), Some(true));
        assert_eq!(cidr_contains("0.0.0.0/0", "8.8.8.8"), Some(true));
    }

    proptest! {
        /// An unconditional Deny on the same action and resource always wins, whatever else the policy says.
        #[test]
        fn an_explicit_deny_always_wins(
            allow_action in prop::sample::select(vec!["s3:*", "s3:Get*", "*", "s3:GetObject"]),
            allow_res in prop::sample::select(vec!["*", "arn:aws:s3:::data/*", "arn:aws:s3:::data/a/*"]),
            deny_res in prop::sample::select(vec!["*", "arn:aws:s3:::data/*", "arn:aws:s3:::data/a/*", "arn:aws:s3:::data/a/b"]),
            key in "[ab]/[ab]",
        ) {
            let p = format!(r#"{{"Statement":[{{"Effect":"Allow","Action":"{allow_action}","Resource":"{allow_res}"}},{{"Effect":"Deny","Action":"s3:GetObject","Resource":"{deny_res}"}}]}}"#);
            let resource = format!("arn:aws:s3:::data/{key}");
            let d = decide(&p, "s3:GetObject", &resource, &Context::closed());
            let denied = glob_match(deny_res, &resource, false);
            prop_assert_eq!(d == Decision::Deny, denied);
            if !denied {
                prop_assert_eq!(d == Decision::Allow, glob_match(allow_res, &resource, false));
            }
        }
    }
}
