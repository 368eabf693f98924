//! Splits configuration values into the tokens an AWS resource name can be (issue 21: names the IAM side knows,
//! found in config values). A resource is named by its form — an ARN, an `s3://`/`s3a://`/`s3n://` URI, an SQS
//! queue URL or an S3 endpoint URL — or by a bare word: the whole value, a word between separators, or a URI's
//! host or path segment. A word is only ever compared whole (a hash lookup in `plan::names_in_config`), so
//! `my-bucket-old` never matches `my-bucket`.
//!
//! An embedded document (a ConfigMap key holding YAML or JSON) is read with the crate's YAML reader
//! ([`crate::yaml::parse_stream`], which reads JSON too) and its scalar values are tokenised one by one, each at its
//! own line; any other multi-line text (a `.properties` file, a script) line by line.

use crate::model::Arn;
use std::borrow::Cow;

/// One token of a configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token<'a> {
    /// A word that may be a resource's name.
    Word(&'a str),
    /// A resource named by its form (an ARN, a URI): the text, and the resource's ARN.
    Resource(&'a str, String),
}

/// Characters that end a word: none of them occurs in an S3 bucket, SQS queue, DynamoDB table, SNS topic,
/// Kinesis stream or Secrets Manager secret name (the last may hold `/`, `+`, `=`, `@`: a whole value is looked up
/// too).
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '"' | '\'' | '`' | ',' | ';' | '(' | ')' | '<' | '>' | '[' | ']' | '{' | '}' | '|' | '=')
}

/// The URI schemes that name an S3 bucket by their host (Hadoop's `s3a`, `s3n`; the CLI's `s3`).
const S3_SCHEMES: &[&str] = &["s3", "s3a", "s3n"];

/// Calls `f` with each token of `value`: the whole (trimmed) value as a word, then each separated chunk as a
/// resource (ARN, URI) or as words (a chunk with `/` or `:` also as its parts).
pub fn tokens<'a>(value: &'a str, f: &mut dyn FnMut(Token<'a>)) {
    let whole = value.trim();
    if whole.is_empty() {
        return;
    }
    if whole.contains(is_separator) {
        f(Token::Word(whole));
    }
    for chunk in value.split(is_separator).filter(|c| !c.is_empty()) {
        chunk_tokens(chunk, f);
    }
}

/// One chunk (no separator in it).
fn chunk_tokens<'a>(chunk: &'a str, f: &mut dyn FnMut(Token<'a>)) {
    if let Some(i) = chunk.find("arn:")
        && let Some(arn) = Arn::parse(&chunk[i..])
    {
        f(Token::Resource(chunk, arn.to_string()));
        return;
    }
    if let Some((scheme, rest)) = chunk.split_once("://") {
        if S3_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
            if let Some(bucket) = rest.split(['/', '?', '#']).next().filter(|b| !b.is_empty()) {
                f(Token::Resource(chunk, format!("arn:aws:s3:::{bucket}")));
            }
            return;
        }
        if let Some(arn) = super::scan::endpoint_arn(chunk) {
            f(Token::Resource(chunk, arn));
            return;
        }
        // Any other URI: its host and path segments, each a word.
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        for part in rest.split('/') {
            word(part, f);
        }
        return;
    }
    if chunk.contains(['/', ':']) {
        word(chunk, f);
        for part in chunk.split(['/', ':']) {
            word(part, f);
        }
    } else {
        word(chunk, f);
    }
}

/// A word, without the punctuation that ends a sentence or a YAML key (`bucket: x.`).
fn word<'a>(w: &'a str, f: &mut dyn FnMut(Token<'a>)) {
    let w = w.trim_end_matches(['.', ':']);
    if !w.is_empty() {
        f(Token::Word(w));
    }
}

/// The scalars of a value that is an embedded document, each with its line in the value (1-based): the values of
/// a YAML or JSON mapping or list (not its keys), or, for other multi-line text, each line. A one-line value that
/// is not a JSON/YAML collection is itself, at line 1.
pub fn scalars(text: &str) -> Vec<(u32, Cow<'_, str>)> {
    let looks_structured = text.contains('\n') || text.trim_start().starts_with(['{', '[']);
    if looks_structured
        && let Ok(docs) = crate::yaml::parse_stream(text)
        && docs.iter().any(|d| !matches!(d.root.value, crate::yaml::Value::Scalar { .. }))
    {
        let mut out = Vec::new();
        for d in docs {
            collect(d.root, &mut out);
        }
        return out;
    }
    text.lines().enumerate().map(|(i, l)| (u32::try_from(i + 1).unwrap_or(u32::MAX), Cow::Borrowed(l))).collect()
}

/// The scalar values under a node (not the keys of its mappings), each at the line it starts on.
fn collect(n: crate::yaml::Node, out: &mut Vec<(u32, Cow<'_, str>)>) {
    match n.value {
        crate::yaml::Value::Scalar { text, .. } => out.push((n.pos.line, Cow::Owned(text))),
        crate::yaml::Value::Seq(items) => items.into_iter().for_each(|i| collect(i, out)),
        crate::yaml::Value::Map(entries) => entries.into_iter().for_each(|e| collect(e.value, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(value: &str) -> Vec<Token<'_>> {
        let mut out = Vec::new();
        tokens(value, &mut |t| out.push(t));
        out
    }

    fn words(value: &str) -> Vec<&str> {
        all(value)
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                Token::Resource(..) => None,
            })
            .collect()
    }

    fn resources(value: &str) -> Vec<String> {
        all(value)
            .into_iter()
            .filter_map(|t| match t {
                Token::Resource(_, r) => Some(r),
                Token::Word(_) => None,
            })
            .collect()
    }

    #[test]
    fn s3_schemes_name_their_bucket() {
        assert_eq!(resources("s3a://spark-data/events/2024"), ["arn:aws:s3:::spark-data"]);
        assert_eq!(resources("S3N://spark-data"), ["arn:aws:s3:::spark-data"]);
        assert_eq!(resources("--input=s3://logs-prod/app/ --x"), ["arn:aws:s3:::logs-prod"]);
        assert!(resources("s3a:///no-bucket").is_empty());
        assert_eq!(all("x s3a://b/k")[2], Token::Resource("s3a://b/k", "arn:aws:s3:::b".into()));
    }

    #[test]
    fn arns_and_queue_urls_are_resources() {
        assert_eq!(
            resources("queue: https://sqs.eu-west-1.amazonaws.com/111122223333/orders"),
            ["arn:aws:sqs:eu-west-1:111122223333:orders"]
        );
        assert_eq!(
            resources("arn:aws:dynamodb:us-east-1:111122223333:table/edw-results"),
            ["arn:aws:dynamodb:us-east-1:111122223333:table/edw-results"]
        );
    }

    #[test]
    fn words_are_whole_chunks() {
        let w = words("bucket: my-bucket-old, other=my-bucket.");
        assert!(w.contains(&"my-bucket-old"));
        assert!(w.contains(&"my-bucket"), "the sentence's full stop is not part of the word");
        assert!(!w.contains(&"my"));
        assert!(words("xmy-bucket").iter().all(|w| *w != "my-bucket"));
        assert_eq!(words("prod/db/password"), ["prod/db/password", "prod", "db", "password"]);
        assert!(words("https://example.com/data/my-bucket?x=1").contains(&"my-bucket"));
    }

    #[test]
    fn blank_values_have_no_tokens() {
        assert!(all("").is_empty());
        assert!(all("  \n ").is_empty());
    }

    #[test]
    fn embedded_yaml_values_at_their_lines() {
        let doc = "storage:\n  bucket: spark-data\n  paths: [a, b]\n";
        let got = |t: &str| scalars(t).into_iter().map(|(l, s)| (l, s.into_owned())).collect::<Vec<_>>();
        let want = |v: &[(u32, &str)]| v.iter().map(|(l, s)| (*l, s.to_string())).collect::<Vec<_>>();
        assert_eq!(got(doc), want(&[(2, "spark-data"), (3, "a"), (3, "b")]));
        assert_eq!(got("{\"bucket\": \"spark-data\"}"), want(&[(1, "spark-data")]));
        assert_eq!(got("a=1\nb=spark-data\n"), want(&[(1, "a=1"), (2, "b=spark-data")]));
        assert_eq!(got("one line"), want(&[(1, "one line")]));
    }

    proptest::proptest! {
        #[test]
        fn tokenising_never_panics(s in "\\PC{0,80}") {
            let mut n = 0usize;
            tokens(&s, &mut |_| n += 1);
            let _ = scalars(&s);
        }
    }
}
