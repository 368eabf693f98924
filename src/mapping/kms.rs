//! KMS semantics (issue 20, finding 7). A KMS key that a role may use only through another AWS service
//! (`kms:ViaService`) serves that service's server-side encryption: Secrets Manager encrypting a secret, S3
//! encrypting objects (SSE-KMS). On Azure the target service encrypts at rest itself and a customer-managed key is
//! configured on the vault or account, not granted to the workload, so such a statement needs no Azure role
//! (E2A106, a note). Which services encrypt that way, and what their Azure target does instead, is data
//! (`server_side_encryption` in `mappings/services.yaml`). A key the workload uses directly is an ordinary need
//! on the key (`need.rs`), for which the target prefers Key Vault Crypto User (`preferred_roles`).
//!
//! The condition must be exact (issue 18: every condition exact or refused): only `StringEquals`/`StringLike` on
//! `kms:ViaService`, no `IfExists` (an absent key would let direct calls through), no set operator, no policy
//! variable, and every value an endpoint of such a service. Anything else is left to the condition rules
//! (E2A020): a negated operator (`StringNotEquals`) allows direct use, and another condition on the statement is
//! not read as server-side encryption either.

use super::load::Tables;
use crate::model::{Effect, Statement};

/// A statement whose KMS actions are usable only through services that encrypt at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSide {
    /// The IAM prefixes of those services (sorted, unique): `s3`, `secretsmanager`.
    pub services: Vec<String>,
    /// The `kms:ViaService` values, as written.
    pub endpoints: Vec<String>,
}

/// `Some` when every action of Allow statement `s` is a KMS action and its conditions restrict every request to
/// services whose KMS use is server-side encryption (see the module documentation); `None` otherwise.
pub fn server_side_only(tables: &Tables, s: &Statement) -> Option<ServerSide> {
    let kms_only = !s.action.not
        && !s.action.items.is_empty()
        && s.action.items.iter().all(|(a, _)| a.split_once(':').is_some_and(|(p, _)| p.eq_ignore_ascii_case("kms")));
    if s.effect != Effect::Allow || !kms_only || s.conditions.is_empty() {
        return None;
    }
    let mut services = Vec::new();
    let mut endpoints = Vec::new();
    for c in &s.conditions {
        let exact = c.key.eq_ignore_ascii_case("kms:ViaService")
            && matches!(&*c.op.base, "StringEquals" | "StringLike")
            && !c.op.if_exists
            && c.op.set.is_none()
            && !c.values.is_empty();
        if !exact {
            return None;
        }
        for v in &c.values {
            services.push(encrypting_service(tables, v)?);
            endpoints.push(v.to_string());
        }
    }
    services.sort();
    services.dedup();
    Some(ServerSide { services, endpoints })
}

/// The IAM prefix of the service that encrypts at rest whose endpoint `value` names (`s3.us-east-1.amazonaws.com`
/// → `s3`): its first label, literal (no wildcard, no policy variable), followed by an AWS domain.
fn encrypting_service(tables: &Tables, value: &str) -> Option<String> {
    let (label, rest) = value.split_once('.')?;
    let literal = |x: &str| !x.contains(['*', '?', '$']);
    let aws_domain = rest.ends_with(".amazonaws.com") || rest.ends_with(".amazonaws.com.cn");
    if !literal(label) || !aws_domain {
        return None;
    }
    tables
        .services
        .iter()
        .find(|(_, svc)| svc.server_side_encryption.as_ref().is_some_and(|e| e.via_service == label))
        .map(|(prefix, _)| prefix.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Sink};

    fn tables() -> Tables {
        static T: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
        T.get_or_init(|| super::super::load(None).unwrap()).clone()
    }

    fn statement(json: &str) -> Statement {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{json}]}}"#);
        let root = crate::yaml::parse_stream(&doc).unwrap().remove(0).root;
        let mut sink = Sink::default();
        let d = crate::ingest::policy::read_document(FileId(0), &root, &mut sink).unwrap();
        assert!(sink.findings().is_empty(), "{:?}", sink.findings());
        (*d.statements[0]).clone()
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn with_condition(actions: &str, condition: &str) -> Statement {
        statement(&format!(r#"{{"Effect":"Allow","Action":{actions},"Resource":"{KEY}","Condition":{condition}}}"#))
    }

    #[test]
    fn via_secrets_manager_or_s3_is_server_side_encryption() {
        let t = tables();
        let s = with_condition(
            r#"["kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"]"#,
            r#"{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}"#,
        );
        assert_eq!(
            server_side_only(&t, &s),
            Some(ServerSide {
                services: vec!["secretsmanager".into()],
                endpoints: vec!["secretsmanager.us-east-1.amazonaws.com".into()]
            })
        );
        // Several endpoints (OR-ed), any region spelled with StringLike, keys case-insensitive.
        let s = with_condition(
            r#""kms:Decrypt""#,
            r#"{"StringLike":{"KMS:viaservice":["s3.*.amazonaws.com","secretsmanager.eu-west-1.amazonaws.com"]}}"#,
        );
        assert_eq!(server_side_only(&t, &s).map(|x| x.services), Some(vec!["s3".into(), "secretsmanager".into()]));
    }

    /// Issue 20 (never widen): a condition that lets a direct call through, or that cannot be read exactly, is
    /// not server-side encryption.
    #[test]
    fn inexact_or_negated_conditions_are_not_server_side_encryption() {
        let t = tables();
        let sm = r#""secretsmanager.us-east-1.amazonaws.com""#;
        for condition in [
            format!(r#"{{"StringNotEquals":{{"kms:ViaService":{sm}}}}}"#),
            format!(r#"{{"StringEqualsIfExists":{{"kms:ViaService":{sm}}}}}"#),
            format!(r#"{{"ForAllValues:StringEquals":{{"kms:ViaService":{sm}}}}}"#),
            format!(r#"{{"StringEquals":{{"kms:ViaService":{sm},"aws:SourceVpce":"vpce-1a2b3c4d"}}}}"#),
            r#"{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}"#.to_string(),
            r#"{"StringEquals":{"kms:ViaService":["s3.us-east-1.amazonaws.com","ec2.us-east-1.amazonaws.com"]}}"#
                .to_string(),
            r#"{"StringLike":{"kms:ViaService":"*.amazonaws.com"}}"#.to_string(),
            r#"{"StringLike":{"kms:ViaService":"s3*.amazonaws.com"}}"#.to_string(),
            r#"{"StringEquals":{"kms:ViaService":"${aws:PrincipalTag/svc}.us-east-1.amazonaws.com"}}"#.to_string(),
            r#"{"StringEquals":{"kms:CallerAccount":"111122223333"}}"#.to_string(),
        ] {
            let s = with_condition(r#""kms:Decrypt""#, &condition);
            assert_eq!(server_side_only(&t, &s), None, "{condition}");
        }
        // No condition: the workload uses the key itself.
        let direct = statement(&format!(r#"{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{KEY}"}}"#));
        assert_eq!(server_side_only(&t, &direct), None);
        // An action of another service in the statement: not a KMS statement.
        let mixed = with_condition(
            r#"["kms:Decrypt","secretsmanager:GetSecretValue"]"#,
            r#"{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}"#,
        );
        assert_eq!(server_side_only(&t, &mixed), None);
        let not_action = statement(&format!(
            r#"{{"Effect":"Allow","NotAction":"kms:Encrypt","Resource":"{KEY}","Condition":{{"StringEquals":{{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}}}}"#
        ));
        assert_eq!(server_side_only(&t, &not_action), None);
    }
}
