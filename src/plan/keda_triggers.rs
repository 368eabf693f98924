//! KEDA triggers of `mappings/keda-triggers.yaml` (Kinesis and DynamoDB Streams → `azure-eventhub`), once the
//! resources are planned: [`mapped`] says whether a trigger's resource maps to the Azure type its scaler needs,
//! [`report`] gives each recorded trigger its outcome (E2A102 rewritten, E2A103 left on AWS), and
//! [`azure_trigger`] is the trigger the `trigger` edit writes. [`super::keda::analyse`] decides which triggers
//! are recorded (the others are already reported there).

use super::keda::{Resolved, TriggerId};
use super::{Identity, Resource, resource};
use crate::diag::Sink;
use crate::mapping::keda_triggers::Entry;
use crate::model::{Model, Trigger};
use crate::rules;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// True when the trigger's resource maps to the Azure type its scaler needs (with an Azure name).
pub fn mapped(resources: &[Resource], r: &Resolved) -> bool {
    let Some(ty) = &r.azure_type else { return false };
    resource(resources, &r.arn).is_some_and(|x| x.azure_type.as_deref() == Some(ty.as_str()) && x.azure_name.is_some())
}

/// The outcome of every trigger of the table that [`super::keda::analyse`] recorded: E2A102 when its resource
/// maps to its scaler's Azure type (what is not carried, what to set, the roles KEDA needs and the ones the
/// identity holds), else E2A103 (left pointing at AWS, with the table's manual step).
pub fn report(
    model: &Model,
    tables: &crate::mapping::Tables,
    triggers: &BTreeMap<TriggerId, Resolved>,
    resources: &[Resource],
    identities: &[Identity],
    role_identity: &BTreeMap<usize, String>,
    sink: &mut Sink,
) {
    for (&(si, ti), r) in triggers.iter().filter(|(_, r)| r.azure_type.is_some()) {
        let (s, t) = (&model.scalers[si], &model.scalers[si].triggers[ti]);
        let Some(entry) = tables.keda_triggers.get(&t.trigger_type) else { continue };
        let Some(azure) = &entry.azure else { continue };
        let shown =
            format!("{} {}/{}: `{}` ({})", s.kind, s.namespace, s.name, t.trigger_type, entry.described(&t.metadata));
        let arn = crate::text::truncate(&r.arn);
        let x = resource(resources, &r.arn);
        if !mapped(resources, r) {
            let to = x
                .and_then(|x| x.azure_type.as_deref().zip(x.azure_name.as_deref()))
                .map_or("no Azure resource".to_string(), |(ty, n)| format!("{ty} `{n}`"));
            sink.push(
                rules::KEDA_TRIGGER_SOURCE_UNMAPPED,
                format!("{shown} reads `{arn}`, which the plan maps to {to}, not to {}; the trigger is left pointing at AWS: {}", azure.azure_type, entry.manual),
                Some(t.loc),
            );
            continue;
        }
        let name = x.and_then(|x| x.azure_name.as_deref()).unwrap_or_default();
        let identity = r.role.and_then(|ri| role_identity.get(&ri));
        let who = identity.map_or("KEDA's own identity".to_string(), |i| format!("identity `{i}`"));
        let held: Vec<&str> = identity
            .and_then(|i| identities.iter().find(|id| &id.name == i))
            .into_iter()
            .flat_map(|id| id.role_assignments.iter())
            .filter(|a| *a.scope.aws_arn == *r.arn)
            .map(|a| &*a.role_name)
            .collect();
        let dropped: Vec<String> = azure
            .drop
            .iter()
            .filter_map(|(k, why)| t.metadata.get(k).map(|v| format!("`{k}: {}` ({why})", crate::text::truncate(v))))
            .collect();
        let placeholders: Vec<&str> =
            azure.set.keys().filter(|k| azure.set[*k].starts_with("REPLACE-ME")).map(String::as_str).collect();
        sink.push(
            rules::KEDA_TRIGGER_REWRITTEN,
            format!(
                "{shown} becomes `{}` on `{name}` (from `{arn}`), authenticating with azure-workload as {who}; not carried: {}; set {} and check consumerGroup and checkpointStrategy against the application's processor; KEDA needs {} ({who} holds {} on it)",
                azure.scaler,
                if dropped.is_empty() { "nothing".to_string() } else { dropped.join(", ") },
                if placeholders.is_empty() { "nothing".to_string() } else { placeholders.join(", ") },
                azure.roles.join(" and "),
                if held.is_empty() { "no role".to_string() } else { held.join(", ") },
            ),
            Some(t.loc),
        );
    }
}

/// The Azure trigger that replaces a table trigger whose resource maps to `azure_name`: the entry's scaler and
/// metadata ([`Entry::azure_metadata`], the `azure:` config filling its placeholders), referencing `auth_ref`.
pub fn azure_trigger(
    entry: &Entry,
    t: &Trigger,
    azure_name: &str,
    cfg: &crate::config::AzureConfig,
    auth_ref: Option<&(String, String)>,
) -> Option<Value> {
    let azure = entry.azure.as_ref()?;
    let metadata = entry.azure_metadata(&t.metadata, azure_name, |key| cfg.resource(key).cloned());
    Some(super::edits::trigger_value(&azure.scaler, json!(metadata), auth_ref))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{FileId, Loc, Pos};

    fn trigger(meta: &[(&str, &str)]) -> Trigger {
        Trigger {
            trigger_type: "aws-kinesis-stream".into(),
            metadata: meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            auth_ref: Some(("TriggerAuthentication".into(), "keda-aws".into())),
            loc: Loc { file: FileId(0), pos: Pos { line: 1, col: 1 } },
        }
    }

    #[test]
    fn kinesis_becomes_an_event_hub_trigger_with_the_namespace_and_its_authentication() {
        let tables = crate::mapping::load(None).unwrap();
        let entry = tables.keda_triggers.get("aws-kinesis-stream").unwrap();
        let cfg = crate::config::AzureConfig { event_hubs_namespace: Some("ehns".into()), ..Default::default() };
        let t = trigger(&[("streamName", "orders"), ("awsRegion", "eu-west-1"), ("shardCount", "2")]);
        let v = azure_trigger(entry, &t, "orders", &cfg, t.auth_ref.as_ref()).unwrap();
        assert_eq!(v["type"], "azure-eventhub");
        assert_eq!(v["metadata"]["eventHubNamespace"], "ehns");
        assert_eq!(v["metadata"]["eventHubName"], "orders");
        assert_eq!(v["metadata"]["blobContainer"], "REPLACE-ME-checkpoint-container");
        assert!(v["metadata"].get("streamName").is_none() && v["metadata"].get("awsRegion").is_none());
        assert_eq!(v["authenticationRef"], json!({"name": "keda-aws"}));
    }

    #[test]
    fn a_stream_is_mapped_only_to_the_type_its_scaler_reads() {
        let r = |ty: &str| Resource {
            aws_arn: "arn:aws:kinesis:eu-west-1:111122223333:stream/orders".into(),
            aws_service: "kinesis".into(),
            azure_service: None,
            azure_type: Some(ty.into()),
            azure_name: Some("orders".into()),
        };
        let res = |ty: Option<&str>| Resolved {
            arn: "arn:aws:kinesis:eu-west-1:111122223333:stream/orders".into(),
            role: None,
            role_in_metadata: false,
            azure_type: ty.map(str::to_string),
            ..Resolved::default()
        };
        let hub = "Microsoft.EventHub/namespaces/eventhubs";
        assert!(mapped(&[r(hub)], &res(Some(hub))));
        assert!(!mapped(&[r("Microsoft.Storage/storageAccounts/tableServices/tables")], &res(Some(hub))));
        assert!(!mapped(&[], &res(Some(hub))));
        assert!(!mapped(&[r(hub)], &res(None)), "an SQS trigger is not decided here");
    }
}
