//! Spots AWS in env values and config data: ARNs, `*.amazonaws.com` endpoints (SQS queue URLs and S3 URLs are
//! turned into resource ARNs), region variables, IRSA's SDK variables and static access keys.

use crate::diag::Loc;
use crate::model::{Arn, AwsRef, AwsRefKind, REGION_VARIABLES, SDK_VARIABLES};

const STATIC_KEY_NAMES: &[&str] = &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];
/// The AWS service a configuration key names a resource of (`ORDERS_TABLE` → dynamodb).
fn name_hint(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_uppercase();
    let words: Vec<&str> = k.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let has = |w: &str| words.contains(&w);
    if has("ARN") || has("URL") || has("REGION") {
        return None;
    }
    if has("TABLE") || has("DYNAMODB") {
        Some("dynamodb")
    } else if has("QUEUE") || has("SQS") {
        Some("sqs")
    } else if has("BUCKET") || has("S3") {
        Some("s3")
    } else if has("TOPIC") || has("SNS") {
        Some("sns")
    } else {
        None
    }
}

/// True when the key names a static AWS credential.
pub fn is_static_key_name(key: &str) -> bool {
    STATIC_KEY_NAMES.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// True when the text contains something shaped like an AWS access key id (`AKIA…`/`ASIA…`, 20 chars).
pub fn contains_access_key_id(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(20).enumerate().any(|(i, w)| {
        (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
            && w[4..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 20).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// Scans one `key: value` pair.
pub fn scan(key: &str, value: &str, loc: Loc, out: &mut Vec<AwsRef>) {
    let mut push = |kind, text: &str, arn: Option<String>| {
        out.push(AwsRef { kind, key: super::intern::intern(key), text: super::intern::intern(text), arn, loc })
    };
    if is_static_key_name(key) && !value.trim().is_empty() {
        push(AwsRefKind::StaticKey, "<redacted>", None);
        return;
    }
    if contains_access_key_id(value) {
        push(AwsRefKind::StaticKey, "<redacted>", None);
        return;
    }
    if REGION_VARIABLES.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        push(AwsRefKind::Region, value, None);
        return;
    }
    // After the region: the other SDK variables.
    if SDK_VARIABLES.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        push(AwsRefKind::SdkVariable, value, None);
        return;
    }
    if !(value.contains("arn:") || value.contains("amazonaws.com") || value.contains("s3://")) {
        if let Some(prefix) = name_hint(key)
            && (1..=255).contains(&value.len())
            && value.bytes().any(|b| b.is_ascii_alphabetic())
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            push(AwsRefKind::Name, value, Some(format!("name:{prefix}")));
        }
        return;
    }
    for token in value.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '(' | ')' | '<' | '>'))
    {
        if let Some(i) = token.find("arn:")
            && let Some(arn) = Arn::parse(&token[i..])
        {
            push(AwsRefKind::Arn, token, Some(arn.to_string()));
        } else if token.contains("amazonaws.com") || token.starts_with("s3://") {
            push(AwsRefKind::Endpoint, token, endpoint_arn(token));
        }
    }
}

/// An ECR image reference: `(registry host, repository:tag)`.
pub fn ecr_image(image: &str) -> Option<(&str, &str)> {
    let (host, rest) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    let ok = labels.len() >= 6
        && labels[0].len() == 12
        && labels[0].bytes().all(|b| b.is_ascii_digit())
        && labels[1] == "dkr"
        && labels[2] == "ecr"
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
    ok.then_some((host, rest))
}

/// The resource an endpoint URL names, when it names one.
pub fn endpoint_arn(url: &str) -> Option<String> {
    if let Some(rest) = url.strip_prefix("s3://") {
        let bucket = rest.split('/').next().filter(|b| !b.is_empty())?;
        return Some(format!("arn:aws:s3:::{bucket}"));
    }
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let partition = if host.ends_with(".amazonaws.com.cn") { "aws-cn" } else { "aws" };
    let labels: Vec<&str> = host.split('.').collect();
    // https://sqs.<region>.amazonaws.com/<account>/<queue>, and the other SQS endpoint forms (sqs_region).
    if let Some(region) = sqs_region(host, &labels) {
        let mut segs = path.split('/').filter(|s| !s.is_empty());
        let account = segs.next()?;
        let queue = segs.next()?;
        if account.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!("arn:{partition}:sqs:{region}:{account}:{queue}"));
        }
        return None;
    }
    // https://<bucket>.s3[.-<region>].amazonaws.com/... (virtual-hosted style)
    if let Some(i) = labels.iter().position(|l| *l == "s3" || l.starts_with("s3-")) {
        if i > 0 {
            return Some(format!("arn:{partition}:s3:::{}", labels[..i].join(".")));
        }
        // https://s3.<region>.amazonaws.com/<bucket>/... (path style)
        let bucket = path.split('/').next().filter(|b| !b.is_empty())?;
        return Some(format!("arn:{partition}:s3:::{bucket}"));
    }
    None
}

/// The region of an SQS endpoint host: `sqs.<region>.amazonaws.com` and `sqs-fips.<region>.amazonaws.com` (AWS
/// General Reference, "Amazon Simple Queue Service endpoints and quotas", with the dual-stack
/// `sqs.<region>.api.aws`), a VPC endpoint's `vpce-….sqs.<region>.vpce.amazonaws.com`, and the legacy
/// `<region>.queue.amazonaws.com` and `queue.amazonaws.com`, which is us-east-1's (boto's `sqs.regions()`).
fn sqs_region<'h>(host: &str, labels: &[&'h str]) -> Option<&'h str> {
    // `sqs.<region>.<any host>` as before (an emulator's); the other forms only on AWS's domains.
    if labels.first() == Some(&"sqs") && labels.len() >= 4 {
        return Some(labels[1]);
    }
    let aws = host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn") || host.ends_with(".api.aws");
    if !aws {
        return None;
    }
    if let Some(i) = labels.iter().position(|l| *l == "sqs" || *l == "sqs-fips") {
        return labels.get(i + 1).copied().filter(|r| r.contains('-') && *r != "amazonaws");
    }
    match labels {
        ["queue", "amazonaws", "com"] => Some("us-east-1"),
        [region, "queue", "amazonaws", "com" | "com.cn"] | [region, "queue", "amazonaws", "com", "cn"] => Some(region),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Pos};

    fn refs(key: &str, value: &str) -> Vec<AwsRef> {
        let mut out = Vec::new();
        scan(key, value, Loc { file: FileId(0), pos: Pos::default() }, &mut out);
        out
    }

    #[test]
    fn sqs_url_becomes_queue_arn() {
        let r = refs("QUEUE", "https://sqs.us-east-1.amazonaws.com/111122223333/edw-orders");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, AwsRefKind::Endpoint);
        assert_eq!(r[0].arn.as_deref(), Some("arn:aws:sqs:us-east-1:111122223333:edw-orders"));
    }

    /// Review of 4ba9fce: the legacy endpoints (`queue.amazonaws.com` is us-east-1's, boto's `sqs.regions()`;
    /// `<region>.queue.amazonaws.com`), FIPS and VPC endpoint hosts were not read as queue URLs, so their last
    /// segment matched a queue of the same name in another region. Each names its region's queue.
    #[test]
    fn every_sqs_endpoint_form_names_its_regions_queue() {
        let q = |url: &str| endpoint_arn(url);
        let arn = |r: &str| Some(format!("arn:aws:sqs:{r}:111122223333:jobs"));
        assert_eq!(q("https://queue.amazonaws.com/111122223333/jobs"), arn("us-east-1"));
        assert_eq!(q("https://eu-west-1.queue.amazonaws.com/111122223333/jobs"), arn("eu-west-1"));
        assert_eq!(q("https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"), arn("eu-west-1"));
        assert_eq!(q("https://sqs-fips.us-east-2.amazonaws.com/111122223333/jobs"), arn("us-east-2"));
        assert_eq!(q("https://sqs.us-east-1.api.aws/111122223333/jobs"), arn("us-east-1"));
        assert_eq!(q("https://vpce-0abc-xyz.sqs.eu-west-1.vpce.amazonaws.com/111122223333/jobs"), arn("eu-west-1"));
        assert_eq!(
            q("https://sqs.cn-north-1.amazonaws.com.cn/111122223333/jobs"),
            Some("arn:aws-cn:sqs:cn-north-1:111122223333:jobs".into())
        );
        // Not a queue URL: no account segment, or a host that is not AWS's.
        assert_eq!(q("https://queue.amazonaws.com/jobs"), None);
        assert_eq!(q("https://queue.example.com/111122223333/jobs"), None);
    }

    #[test]
    fn s3_urls_become_bucket_arns() {
        assert_eq!(endpoint_arn("s3://my-bucket/prefix/"), Some("arn:aws:s3:::my-bucket".into()));
        assert_eq!(
            endpoint_arn("https://my.bucket.s3.eu-west-1.amazonaws.com/x"),
            Some("arn:aws:s3:::my.bucket".into())
        );
        assert_eq!(endpoint_arn("https://s3.eu-west-1.amazonaws.com/bkt/x"), Some("arn:aws:s3:::bkt".into()));
        assert_eq!(endpoint_arn("https://dynamodb.us-east-1.amazonaws.com"), None);
    }

    #[test]
    fn static_keys_by_name_or_shape_and_redacted() {
        let r = refs("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(r[0].kind, AwsRefKind::StaticKey);
        assert_eq!(&*r[0].text, "<redacted>");
        assert_eq!(refs("SOMETHING", "key=AKIAIOSFODNN7EXAMPLE")[0].kind, AwsRefKind::StaticKey);
        assert!(refs("SOMETHING", "XAKIAIOSFODNN7EXAMPLE").is_empty());
        assert!(refs("AWS_ACCESS_KEY_ID", "").is_empty());
    }

    #[test]
    fn arns_inside_text() {
        let r = refs("X", "use arn:aws:dynamodb:us-east-1:111122223333:table/t, please");
        assert_eq!(r[0].arn.as_deref(), Some("arn:aws:dynamodb:us-east-1:111122223333:table/t"));
    }

    #[test]
    fn plain_values_are_ignored() {
        assert!(refs("LOG_LEVEL", "info").is_empty());
        assert!(refs("QUEUE_SIZE", "10").is_empty());
    }

    #[test]
    fn names_under_telling_keys_are_name_refs() {
        let r = refs("DYNAMODB_TABLE_NAME", "edw-results");
        assert_eq!((r[0].kind, r[0].arn.as_deref()), (AwsRefKind::Name, Some("name:dynamodb")));
        assert_eq!(refs("ORDERS_QUEUE", "orders.fifo")[0].arn.as_deref(), Some("name:sqs"));
        assert!(refs("QUEUE_URL", "edw-orders").is_empty());
    }
}
