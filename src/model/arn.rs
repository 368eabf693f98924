//! Amazon Resource Names: `arn:<partition>:<service>:<region>:<account>:<resource>`.

use serde::Serialize;

/// A parsed ARN. Parsing never fails on odd resources: only the six-part frame is required.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Arn {
    /// aws, aws-cn or aws-us-gov.
    pub partition: String,
    /// The IAM service prefix (`sqs`, `s3`, …).
    pub service: String,
    /// Empty for global services (S3, IAM).
    pub region: String,
    /// Empty for S3.
    pub account: String,
    /// Everything after the fifth colon.
    pub resource: String,
}

impl Arn {
    /// Parses an ARN; `None` when it does not have the six-part frame, an unknown partition or an empty service.
    pub fn parse(s: &str) -> Option<Arn> {
        // `splitn(6, ':')`, on bytes (this runs for every resource of every statement).
        let rest = s.strip_prefix("arn:")?;
        let cut = |t: &'_ str| memchr::memchr(b':', t.as_bytes()).map(|i| (i, i + 1));
        let (i, j) = cut(rest)?;
        let (partition, rest) = (&rest[..i], &rest[j..]);
        let (i, j) = cut(rest)?;
        let (service, rest) = (&rest[..i], &rest[j..]);
        let (i, j) = cut(rest)?;
        let (region, rest) = (&rest[..i], &rest[j..]);
        let (i, j) = cut(rest)?;
        let (account, resource) = (&rest[..i], &rest[j..]);
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b") || service.is_empty() {
            return None;
        }
        if !account.is_empty()
            && account != "aws"
            && !account.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'?')
        {
            return None;
        }
        Some(Arn {
            partition: partition.into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        })
    }

    /// For an IAM role ARN, `(path, name)`: `role/service/x` → `("/service/", "x")`.
    pub fn role_path_and_name(&self) -> Option<(String, String)> {
        if self.service != "iam" {
            return None;
        }
        let rest = self.resource.strip_prefix("role/")?;
        let (path, name) = match rest.rfind('/') {
            Some(i) => (format!("/{}/", &rest[..i]), &rest[i + 1..]),
            None => ("/".to_string(), rest),
        };
        let iam_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if name.is_empty()
            || name.len() > 64
            || !name.chars().all(iam_char)
            || !path.chars().all(|c| c == '/' || iam_char(c))
        {
            return None;
        }
        Some((path, name.to_string()))
    }

    /// True for a well-formed IAM role ARN: a 12-digit account, an optional path and a role name of IAM's
    /// characters (`[A-Za-z0-9+=,.@_-]`, at most 64). Anything else is refused before it can reach an output.
    pub fn is_valid_role_arn(s: &str) -> bool {
        let Some(a) = Arn::parse(s) else { return false };
        a.account.len() == 12 && a.account.bytes().all(|b| b.is_ascii_digit()) && a.role_path_and_name().is_some()
    }

    /// True when the ARN contains a wildcard.
    pub fn has_wildcard(&self) -> bool {
        [&self.region, &self.account, &self.resource].iter().any(|p| p.contains(['*', '?']))
    }
}

impl std::fmt::Display for Arn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "arn:{}:{}:{}:{}:{}", self.partition, self.service, self.region, self.account, self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_with_empty_region_and_account() {
        let a = Arn::parse("arn:aws:s3:::bucket/key/with:colon").unwrap();
        assert_eq!(a.service, "s3");
        assert_eq!(a.region, "");
        assert_eq!(a.resource, "bucket/key/with:colon");
    }

    #[test]
    fn role_path_and_name() {
        let a = Arn::parse("arn:aws:iam::111122223333:role/service/app").unwrap();
        assert_eq!(a.role_path_and_name(), Some(("/service/".into(), "app".into())));
        let b = Arn::parse("arn:aws:iam::111122223333:role/app").unwrap();
        assert_eq!(b.role_path_and_name(), Some(("/".into(), "app".into())));
        assert_eq!(Arn::parse("arn:aws:iam::111122223333:role/").unwrap().role_path_and_name(), None);
        assert!(Arn::is_valid_role_arn("arn:aws:iam::111122223333:role/a/b+c=d,e.f@g_h-i"));
        assert!(!Arn::is_valid_role_arn("arn:aws:iam::111122223333:role/x'\n}\nresource evil"));
        assert!(!Arn::is_valid_role_arn("arn:aws:iam:::role/x"));
    }

    #[test]
    fn rejects_malformed() {
        assert!(Arn::parse("arn:aws:iam::notanaccount:role/x").is_none());
        assert!(Arn::parse("arn:aws:sqs").is_none());
        assert!(Arn::parse("arn:gcp:sqs:r:1:q").is_none());
        assert!(Arn::parse("nope").is_none());
    }

    #[test]
    fn display_round_trips() {
        let s = "arn:aws-cn:dynamodb:cn-north-1:111122223333:table/t";
        assert_eq!(Arn::parse(s).unwrap().to_string(), s);
    }
}
