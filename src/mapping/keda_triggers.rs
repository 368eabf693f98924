//! `keda-triggers.yaml`: KEDA's AWS scalers other than `aws-sqs-queue`, and what each becomes on AKS (schema in
//! `mappings/README.md`). Loaded by `load.rs`, a user's entries over the bundled ones by `type`; read by
//! `plan::keda` (which trigger resolves to which AWS resource) and `plan::keda_triggers` (the Azure trigger).
//! The knowledge is here as data; this module holds the reading of one entry: the ARN pattern of the resource a
//! trigger names ([`Entry::source_pattern`]) and the Azure trigger's metadata ([`Entry::azure_metadata`]).

use serde::Deserialize;
use std::collections::BTreeMap;

/// `keda-triggers.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// One entry per AWS scaler type.
    pub triggers: Vec<Entry>,
}

/// What happens to a trigger of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Rewritten to `azure.scaler` when the resource it names maps to `azure.azure_type` (E2A102), else left on
    /// AWS (E2A103).
    Rewrite,
    /// A metric scaler: the Azure metric is chosen by hand (E2A104).
    ChooseMetric,
    /// No Azure scaler measures the same thing (E2A105).
    NoScaler,
}

/// One AWS scaler type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// KEDA's trigger type (`aws-kinesis-stream`).
    #[serde(rename = "type")]
    pub trigger_type: String,
    /// KEDA's doc page of the scaler (`content/docs/2.21/scalers/<docs>` of kedacore/keda-docs).
    pub docs: String,
    /// What happens.
    pub outcome: Outcome,
    /// The metadata fields the findings quote (what the trigger measured).
    #[serde(default)]
    pub describe: Vec<String>,
    /// The AWS resource the trigger names (`rewrite`).
    #[serde(default)]
    pub source: Option<Source>,
    /// The Azure scaler (`rewrite`).
    #[serde(default)]
    pub azure: Option<Azure>,
    /// The manual step when the trigger is not rewritten.
    pub manual: String,
}

/// The AWS resource a trigger names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// IAM service prefix (a key of `services.yaml`).
    pub service: String,
    /// The resource part of its ARN: `{field}` is the trigger's metadata field, `*` any text.
    pub resource: String,
    /// The metadata field holding the region (any region when the trigger has none).
    #[serde(default)]
    pub region: Option<String>,
}

/// The Azure scaler a trigger becomes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Azure {
    /// KEDA's trigger type (`azure-eventhub`).
    pub scaler: String,
    /// KEDA's doc page of that scaler.
    pub docs: String,
    /// The Azure resource type the source must map to (a `scopes.yaml` kind's `azure_type`).
    pub azure_type: String,
    /// Metadata set: `{name}` is the Azure name of the resource, `{azure.<key>}` the `azure:` config key (a
    /// `REPLACE-ME-…` placeholder when unset).
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// AWS metadata field → Azure field, carried with its value (only fields of the same meaning).
    #[serde(default)]
    pub carry: BTreeMap<String, String>,
    /// AWS metadata fields not carried, with why (quoted in the finding when the trigger has them).
    #[serde(default)]
    pub drop: BTreeMap<String, String>,
    /// The Azure roles the scaler's identity needs, as KEDA's doc page says (quoted in the finding).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The entries by trigger type.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// By `type`.
    pub entries: BTreeMap<String, Entry>,
}

impl Table {
    /// Merges a file: each entry replaces the one of its type or is added. Returns the problems of the file's
    /// entries, as (needle to locate, message).
    pub fn merge(&mut self, f: File) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in f.triggers {
            for p in e.problems() {
                out.push((format!("type: {}", e.trigger_type), format!("trigger `{}`: {p}", e.trigger_type)));
            }
            self.entries.insert(e.trigger_type.clone(), e);
        }
        out
    }

    /// The entry of a trigger type.
    pub fn get(&self, trigger_type: &str) -> Option<&Entry> {
        self.entries.get(trigger_type)
    }
}

/// The `{…}` placeholders of a template, or `Err` when its braces do not pair.
fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        if rest.as_bytes()[i] == b'}' {
            return Err(format!("`{template}`: `}}` without `{{`"));
        }
        let Some(j) = rest[i..].find('}') else { return Err(format!("`{template}`: `{{` without `}}`")) };
        let name = &rest[i + 1..i + j];
        if name.is_empty() || name.contains('{') {
            return Err(format!("`{template}`: empty or nested placeholder"));
        }
        out.push(name);
        rest = &rest[i + j + 1..];
    }
    Ok(out)
}

impl Entry {
    /// The problems of this entry on its own (the service and the Azure type are checked against the other
    /// tables by [`cross_problems`]).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.trigger_type.starts_with("aws-") || self.trigger_type == "aws-sqs-queue" {
            out.push(
                "`type` must be a KEDA AWS scaler other than aws-sqs-queue (which src/plan/keda.rs carries)".into(),
            );
        }
        if self.docs.trim().is_empty() || self.manual.trim().is_empty() {
            out.push("`docs` and `manual` must not be empty".into());
        }
        let rewrite = self.outcome == Outcome::Rewrite;
        if rewrite != (self.source.is_some() && self.azure.is_some()) || self.source.is_some() != self.azure.is_some() {
            out.push("`source` and `azure` are given exactly when `outcome` is rewrite".into());
        }
        if let Some(s) = &self.source {
            match placeholders(&s.resource) {
                Ok(p) if p.is_empty() => out.push(format!("source.resource `{}` names no metadata field", s.resource)),
                Ok(_) => {}
                Err(e) => out.push(format!("source.resource {e}")),
            }
        }
        if let Some(a) = &self.azure {
            out.extend(azure_problems(a));
        }
        out
    }

    /// The glob pattern of the ARNs the trigger names (`arn:*:<service>:<region or *>:*:<resource>`), or `None`
    /// when a field of the pattern is missing, empty or holds a wildcard or separator of its own.
    pub fn source_pattern(&self, metadata: &BTreeMap<String, String>) -> Option<String> {
        let s = self.source.as_ref()?;
        let value =
            |field: &str| metadata.get(field).filter(|v| !v.is_empty() && !v.contains(['*', '?', '/', ':', '{', '}']));
        let mut resource = String::new();
        let mut rest = s.resource.as_str();
        for field in placeholders(&s.resource).ok()? {
            let at = rest.find(&format!("{{{field}}}"))?;
            resource.push_str(&rest[..at]);
            resource.push_str(value(field)?);
            rest = &rest[at + field.len() + 2..];
        }
        resource.push_str(rest);
        let region = match &s.region {
            Some(f) if metadata.contains_key(f) => value(f)?.as_str(),
            _ => "*",
        };
        Some(format!("arn:*:{}:{region}:*:{resource}", s.service))
    }

    /// The Azure trigger's metadata: `set` (placeholders filled with the resource's Azure name and the `azure:`
    /// config), then the `carry` fields the trigger has.
    pub fn azure_metadata(
        &self,
        metadata: &BTreeMap<String, String>,
        azure_name: &str,
        config: impl Fn(&str) -> Option<String>,
    ) -> BTreeMap<String, String> {
        let Some(a) = &self.azure else { return BTreeMap::new() };
        let mut out = BTreeMap::new();
        for (k, template) in &a.set {
            let mut v = template.clone();
            for p in placeholders(template).unwrap_or_default() {
                let with = match p.strip_prefix("azure.") {
                    Some(key) => config(key).unwrap_or_else(|| format!("REPLACE-ME-{}", key.replace('_', "-"))),
                    None => azure_name.to_string(),
                };
                v = v.replace(&format!("{{{p}}}"), &with);
            }
            out.insert(k.clone(), v);
        }
        for (from, to) in &a.carry {
            if let Some(v) = metadata.get(from) {
                out.insert(to.clone(), v.clone());
            }
        }
        out
    }

    /// The fields of `describe` the trigger has, as `field: value` (for the findings).
    pub fn described(&self, metadata: &BTreeMap<String, String>) -> String {
        let shown: Vec<String> = self
            .describe
            .iter()
            .filter_map(|f| metadata.get(f).map(|v| format!("{f}: {}", crate::text::truncate(v))))
            .collect();
        if shown.is_empty() { "no metadata naming it".into() } else { shown.join(", ") }
    }
}

/// The problems of an `azure` section on its own.
fn azure_problems(a: &Azure) -> Vec<String> {
    let mut out = Vec::new();
    if !a.scaler.starts_with("azure-") {
        out.push(format!("azure.scaler `{}` is not a KEDA Azure scaler", a.scaler));
    }
    for (k, v) in &a.set {
        match placeholders(v) {
            Ok(ps) => {
                for p in ps {
                    let known = p == "name"
                        || p.strip_prefix("azure.")
                            .is_some_and(|k| crate::config::AzureConfig::RESOURCE_KEYS.contains(&k));
                    if !known {
                        out.push(format!(
                            "azure.set.{k}: unknown placeholder `{{{p}}}` (use {{name}} or {{azure.<resource key>}})"
                        ));
                    }
                }
            }
            Err(e) => out.push(format!("azure.set.{k}: {e}")),
        }
    }
    for (from, to) in &a.carry {
        if a.drop.contains_key(from) {
            out.push(format!("azure.carry.{from} is also in azure.drop"));
        }
        if a.set.contains_key(to) {
            out.push(format!("azure.carry.{from} writes `{to}`, which azure.set also writes"));
        }
    }
    out
}

/// Checks against the other tables: each source's service is in `services.yaml` and each Azure type is a
/// `scopes.yaml` kind's. Returns (needle, message).
pub fn cross_problems(
    table: &Table,
    services: &BTreeMap<String, super::load::Service>,
    scopes: &super::load::Scopes,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in table.entries.values() {
        let needle = format!("type: {}", e.trigger_type);
        if let Some(s) = e.source.as_ref().filter(|s| !services.contains_key(&s.service)) {
            out.push((
                needle.clone(),
                format!("trigger `{}`: source.service `{}` is not in services.yaml", e.trigger_type, s.service),
            ));
        }
        if let Some(a) = e.azure.as_ref().filter(|a| !scopes.kinds.iter().any(|k| k.azure_type == a.azure_type)) {
            out.push((
                needle,
                format!(
                    "trigger `{}`: azure.azure_type `{}` is no scope kind's in scopes.yaml",
                    e.trigger_type, a.azure_type
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Table {
        let f: File = serde_norway::from_str(include_str!("../../mappings/keda-triggers.yaml")).unwrap();
        let mut t = Table::default();
        assert_eq!(t.merge(f), Vec::<(String, String)>::new());
        t
    }

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn bundled_table_covers_the_four_aws_scalers() {
        let t = bundled();
        let types: Vec<&str> = t.entries.keys().map(String::as_str).collect();
        assert_eq!(types, ["aws-cloudwatch", "aws-dynamodb", "aws-dynamodb-streams", "aws-kinesis-stream"]);
        assert_eq!(t.get("aws-dynamodb").unwrap().outcome, Outcome::NoScaler);
        assert_eq!(t.get("aws-cloudwatch").unwrap().outcome, Outcome::ChooseMetric);
    }

    #[test]
    fn kinesis_names_its_stream_by_region_and_name() {
        let t = bundled();
        let k = t.get("aws-kinesis-stream").unwrap();
        let m = meta(&[("streamName", "orders"), ("awsRegion", "eu-west-1")]);
        assert_eq!(k.source_pattern(&m).unwrap(), "arn:*:kinesis:eu-west-1:*:stream/orders");
        // No region: any region.
        assert_eq!(k.source_pattern(&meta(&[("streamName", "orders")])).unwrap(), "arn:*:kinesis:*:*:stream/orders");
        // A missing field, or one that would widen the pattern, names nothing.
        assert_eq!(k.source_pattern(&meta(&[("awsRegion", "eu-west-1")])), None);
        assert_eq!(k.source_pattern(&meta(&[("streamName", "ord*")])), None);
        assert_eq!(k.source_pattern(&meta(&[("streamName", "a/b")])), None);
    }

    #[test]
    fn dynamodb_streams_name_any_stream_of_the_table() {
        let t = bundled();
        let d = t.get("aws-dynamodb-streams").unwrap();
        let m = meta(&[("tableName", "events"), ("awsRegion", "ap-northeast-1")]);
        let p = d.source_pattern(&m).unwrap();
        assert_eq!(p, "arn:*:dynamodb:ap-northeast-1:*:table/events/stream/*");
        assert!(crate::glob::glob_match(
            &p,
            "arn:aws:dynamodb:ap-northeast-1:111122223333:table/events/stream/2024-01-01T00:00:00.000",
            false
        ));
        assert!(!crate::glob::glob_match(&p, "arn:aws:dynamodb:ap-northeast-1:111122223333:table/events", false));
    }

    #[test]
    fn event_hub_metadata_fills_names_and_placeholders_and_carries_nothing_of_another_meaning() {
        let t = bundled();
        let k = t.get("aws-kinesis-stream").unwrap();
        let m = meta(&[("streamName", "orders"), ("awsRegion", "eu-west-1"), ("shardCount", "3")]);
        let cfg = |key: &str| (key == "event_hubs_namespace").then(|| "ehns".to_string());
        let out = k.azure_metadata(&m, "orders", cfg);
        assert_eq!(out["eventHubName"], "orders");
        assert_eq!(out["eventHubNamespace"], "ehns");
        assert_eq!(out["storageAccountName"], "REPLACE-ME-storage-account");
        assert_eq!(out["consumerGroup"], "$Default");
        assert!(!out.contains_key("unprocessedEventThreshold"), "shards are not events: {out:?}");
        assert!(!out.values().any(|v| v.contains('{')));
    }

    #[test]
    fn entries_are_checked() {
        let f: File = serde_norway::from_str(
            "triggers:\n  - type: aws-sqs-queue\n    docs: x\n    outcome: rewrite\n    manual: x\n  - type: aws-kinesis-stream\n    docs: x\n    outcome: rewrite\n    manual: x\n    source: {service: kinesis, resource: stream/name}\n    azure:\n      scaler: azure-eventhub\n      docs: x\n      azure_type: T\n      set: {eventHubName: '{nmae}'}\n      carry: {shardCount: eventHubName}\n      drop: {shardCount: no}\n",
        )
        .unwrap();
        let problems: Vec<String> = Table::default().merge(f).into_iter().map(|(_, m)| m).collect();
        let all = problems.join("\n");
        assert!(all.contains("other than aws-sqs-queue"), "{all}");
        assert!(all.contains("`source` and `azure` are given exactly"), "{all}");
        assert!(all.contains("names no metadata field"), "{all}");
        assert!(all.contains("unknown placeholder `{nmae}`"), "{all}");
        assert!(all.contains("also in azure.drop"), "{all}");
        assert!(all.contains("which azure.set also writes"), "{all}");
    }

    #[test]
    fn described_quotes_the_metric() {
        let t = bundled();
        let c = t.get("aws-cloudwatch").unwrap();
        let m =
            meta(&[("namespace", "AWS/SQS"), ("metricName", "ApproximateNumberOfMessagesVisible"), ("awsRegion", "x")]);
        assert_eq!(c.described(&m), "namespace: AWS/SQS, metricName: ApproximateNumberOfMessagesVisible");
    }
}
