//! The coverage ledger: every input item that matters — each ServiceAccount, IAM role, permission statement,
//! action pattern, KEDA trigger and AWS value in env/ConfigMaps — ends in exactly one state: translated, not
//! translated (with the reason), waived, or staying on AWS. Nothing the tool read may vanish without a trace.

use crate::glob::{action_matches, glob_match};
use crate::model::{AwsRefKind, Effect};
use crate::plan::Analysis;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The state of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Carried to Azure.
    Translated,
    /// Not carried, with a reason.
    NotTranslated,
    /// Waived by an annotation.
    Waived,
    /// Stays on AWS (`stay_on_aws`).
    StaysOnAws,
}

/// One item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// `service_account`, `role`, `statement`, `action`, `keda_trigger`, `aws_value`.
    pub kind: &'static str,
    /// What it is, for people.
    pub id: String,
    /// Its state.
    pub state: State,
    /// Why (for anything but translated; may be null).
    pub reason: Option<String>,
    /// Input file.
    pub file: String,
    /// Line.
    pub line: u32,
}

/// Totals per state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Items in total.
    pub items: usize,
    /// Translated.
    pub translated: usize,
    /// Not translated.
    pub not_translated: usize,
    /// Waived.
    pub waived: usize,
    /// Staying on AWS.
    pub stays_on_aws: usize,
}

/// The ledger.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ledger {
    /// Totals.
    pub totals: Totals,
    /// Every item, sorted by file, line.
    pub items: Vec<Item>,
}

/// Builds the ledger; `findings` are the report's (the plan's, waivers applied, and any drift findings).
pub fn build(a: &Analysis, findings: &[crate::plan::FindingEntry], stay_on_aws: &[String]) -> Ledger {
    build_with(a, findings, stay_on_aws, true)
}

/// The ledger's totals alone (`items` left empty), for the formats that print only those: SARIF, text and JUnit.
/// The items of a large run are hundreds of thousands of strings, a sixth of `check`'s memory.
pub fn totals(a: &Analysis, findings: &[crate::plan::FindingEntry], stay_on_aws: &[String]) -> Ledger {
    build_with(a, findings, stay_on_aws, false)
}

fn build_with(a: &Analysis, findings: &[crate::plan::FindingEntry], stay_on_aws: &[String], keep: bool) -> Ledger {
    let files = &a.files;
    let plan = &a.plan;
    let mut items = Vec::new();
    let mut totals = Totals::default();
    // Waived locations (file, line) by code are applied below through the findings.
    let waived_at: BTreeMap<(&str, u32), &str> =
        findings.iter().filter_map(|f| Some(((f.file.as_deref()?, f.line()?), f.suppressed.as_deref()?))).collect();
    let waived = |file: &str, line: u32| waived_at.get(&(file, line)).map(|r| r.to_string());
    let mut push = |kind: &'static str, id: String, state: State, reason: Option<String>, file: &str, line: u32| {
        let (state, reason) = match waived(file, line) {
            Some(r) if state == State::NotTranslated => (State::Waived, Some(r)),
            _ => (state, reason),
        };
        totals.items += 1;
        match state {
            State::Translated => totals.translated += 1,
            State::NotTranslated => totals.not_translated += 1,
            State::Waived => totals.waived += 1,
            State::StaysOnAws => totals.stays_on_aws += 1,
        }
        if keep {
            items.push(Item { kind, id, state, reason, file: file.to_string(), line });
        }
    };
    // ServiceAccounts.
    let sa_identity: BTreeMap<(&str, &str), &str> = plan
        .identities
        .iter()
        .flat_map(|i| {
            i.service_accounts.iter().map(move |s| ((s.namespace.as_str(), s.name.as_str()), i.name.as_str()))
        })
        .collect();
    for (si, sa) in a.model.service_accounts.iter().enumerate() {
        let file = files.display(sa.loc.file);
        let id = format!("{}/{}", sa.namespace, sa.name);
        if let Some(identity) = sa_identity.get(&(sa.namespace.as_str(), sa.name.as_str())) {
            push(
                "service_account",
                id,
                State::Translated,
                Some(format!("federated credential on {identity}")),
                file,
                sa.loc.pos.line,
            );
        } else {
            let reason = match (a.joined.sa_role[si], &sa.role_arn) {
                (Some(_), _) => "its role's trust does not admit it",
                (None, Some(_)) => "its role is not in the IAM input",
                (None, None) => "no IAM role: nothing to carry over",
            };
            push("service_account", id, State::NotTranslated, Some(reason.into()), file, sa.loc.pos.line);
        }
    }
    // Roles, statements and action patterns.
    let identity_of: BTreeMap<&str, &crate::plan::Identity> =
        plan.identities.iter().map(|i| (i.aws_role_arn.as_str(), i)).collect();
    // What the findings say about Denies (issue 18: "honoured" only where the soundness check proves it): the
    // statements a Deny could not be subtracted from exactly (E2A019, at the statement), and the identities whose
    // grants the soundness check found wider than the role (E2A045, at the role).
    let inexact_deny: BTreeSet<(&str, u32)> = findings
        .iter()
        .filter(|f| f.code == crate::rules::DENY_NOT_EXPRESSIBLE)
        .filter_map(|f| Some((f.file.as_deref()?, f.line()?)))
        .collect();
    let wider_at: BTreeSet<(&str, u32)> = findings
        .iter()
        .filter(|f| f.code == crate::rules::GRANT_WIDER_THAN_AWS)
        .filter_map(|f| Some((f.file.as_deref()?, f.line()?)))
        .collect();
    for role in &a.model.roles {
        let file = files.display(role.loc.file).to_string();
        let role_wider = wider_at.contains(&(file.as_str(), role.loc.pos.line));
        let identity = identity_of.get(role.arn.as_str());
        match identity {
            Some(i) => push(
                "role",
                role.arn.clone(),
                State::Translated,
                Some(format!("managed identity {}", i.name)),
                &file,
                role.loc.pos.line,
            ),
            None => {
                push(
                    "role",
                    role.arn.clone(),
                    State::NotTranslated,
                    Some("no ServiceAccount of the input uses it".into()),
                    &file,
                    role.loc.pos.line,
                );
                continue;
            }
        }
        let granted: BTreeSet<&str> = identity
            .map(|i| i.role_assignments.iter().flat_map(|ra| ra.aws_actions.iter().map(|a| &**a)).collect())
            .unwrap_or_default();
        // The identity's statements in force are the join's for its role (the join frees its own copy once
        // planned).
        for (k, p) in identity.iter().flat_map(|i| i.aws_permissions.iter()).enumerate() {
            let s = &p.statement;
            let sfile = files.display(s.loc.file).to_string();
            let stays = s.resource.as_ref().is_some_and(|r| {
                !r.not
                    && !r.items.is_empty()
                    && r.items.iter().all(|(res, _)| stay_on_aws.iter().any(|pat| glob_match(pat, res, false)))
            });
            let sid = format!("{} statement {} ({})", role.name, k + 1, p.policy);
            if stays {
                push(
                    "statement",
                    sid,
                    State::StaysOnAws,
                    Some("its resources stay on AWS".into()),
                    &sfile,
                    s.loc.pos.line,
                );
                continue;
            }
            let mut any = false;
            for (pat, loc) in &s.action.items {
                let hit = !s.action.not && granted.iter().any(|g| action_matches(pat, g));
                any |= hit;
                let (state, reason) = match (s.effect, hit, s.action.not) {
                    (Effect::Deny, _, _) if role_wider => (
                        State::NotTranslated,
                        Some("Deny: not proven — a grant of this identity is wider than the role (E2A045)".to_string()),
                    ),
                    (Effect::Deny, _, _) if inexact_deny.contains(&(sfile.as_str(), s.loc.pos.line)) => (
                        State::Translated,
                        Some(
                            "Deny: not subtractable exactly; what it touches is not granted there (E2A019)".to_string(),
                        ),
                    ),
                    (Effect::Deny, _, _) => (
                        State::Translated,
                        Some(
                            "Deny: honoured — subtracted, and the soundness check finds no grant that allows it"
                                .to_string(),
                        ),
                    ),
                    (_, true, _) => (State::Translated, None),
                    (_, false, true) => {
                        (State::NotTranslated, Some("NotAction: over-approximated, see findings".to_string()))
                    }
                    (_, false, false) => (
                        State::NotTranslated,
                        Some("no Azure role assignment came of it (see the findings at this line)".to_string()),
                    ),
                };
                push("action", format!("{} {pat}", role.name), state, reason, files.display(s.loc.file), loc.line);
            }
            let state = if s.effect == Effect::Deny || any || (s.action.not && !granted.is_empty()) {
                State::Translated
            } else {
                State::NotTranslated
            };
            let reason = (state == State::NotTranslated).then(|| "none of its actions was carried over".to_string());
            push("statement", sid, state, reason, &sfile, s.loc.pos.line);
        }
    }
    // KEDA triggers.
    let resource_by_arn: BTreeMap<&str, &crate::plan::Resource> =
        plan.resources.iter().map(|r| (&*r.aws_arn, r)).collect();
    for s in &a.model.scalers {
        for t in &s.triggers {
            let file = files.display(t.loc.file);
            let id = format!("{} {}/{} {}", s.kind, s.namespace, s.name, t.trigger_type);
            let mapped = t.trigger_type == "aws-sqs-queue"
                && t.metadata.get("queueURL").and_then(|u| crate::ingest::scan::endpoint_arn(u)).is_some_and(|arn| {
                    resource_by_arn.get(arn.as_str()).is_some_and(|r| {
                        r.azure_name.is_some()
                            && crate::plan::azure_url_kind(r.azure_type.as_deref().unwrap_or(""))
                                .is_some_and(|k| k == "queue" || k == "servicebus")
                    })
                });
            if !t.trigger_type.starts_with("aws-") {
                push(
                    "keda_trigger",
                    id,
                    State::Translated,
                    Some("not an AWS scaler: kept as it is".into()),
                    file,
                    t.loc.pos.line,
                );
            } else if mapped {
                push("keda_trigger", id, State::Translated, None, file, t.loc.pos.line);
            } else {
                push(
                    "keda_trigger",
                    id,
                    State::NotTranslated,
                    Some("no Azure scaler counterpart (see findings)".into()),
                    file,
                    t.loc.pos.line,
                );
            }
        }
    }
    // AWS values in env and ConfigMaps.
    let left: BTreeSet<(&str, u32)> = findings
        .iter()
        .filter(|f| f.code == crate::rules::AWS_ENDPOINT_LEFT)
        .filter_map(|f| Some((f.file.as_deref()?, f.line()?)))
        .collect();
    let mut seen = BTreeSet::new();
    let refs = a.model.aws_refs();
    for r in refs {
        if !seen.insert(r.loc) {
            continue;
        }
        let file = files.display(r.loc.file).to_string();
        let line = r.loc.pos.line;
        let id = format!("{} = {}", r.key, crate::text::truncate(&r.text));
        let stays = r.arn.as_deref().is_some_and(|arn| stay_on_aws.iter().any(|p| glob_match(p, arn, false)));
        let (state, reason) = match r.kind {
            AwsRefKind::SdkVariable => {
                (State::Translated, Some("removed: the workload identity webhook injects AZURE_* instead".to_string()))
            }
            AwsRefKind::StaticKey => (State::NotTranslated, Some("static credential: remove it (E2A006)".to_string())),
            AwsRefKind::Region => {
                (State::Translated, Some("removed: the AWS region means nothing on Azure".to_string()))
            }
            AwsRefKind::Name => {
                (State::Translated, Some("resource name: rewritten to the Azure name where it differs".to_string()))
            }
            _ if stays => (State::StaysOnAws, None),
            _ if left.contains(&(file.as_str(), line)) => {
                (State::NotTranslated, Some("no Azure counterpart in the plan (E2A027)".to_string()))
            }
            _ => (State::Translated, None),
        };
        push("aws_value", id, state, reason, &file, line);
    }
    items.sort_unstable();
    Ledger { totals, items }
}

#[cfg(test)]
mod tests {
    #[test]
    fn totals_alone_are_the_full_ledgers_totals() {
        let tables = crate::mapping::load(None).unwrap();
        for example in ["testdata/examples/edw-keda", "testdata/examples/phased"] {
            let a = crate::analyse(&[example.into()], &crate::config::Config::default(), &tables).unwrap();
            let stay = vec!["arn:aws:sqs:*".to_string()];
            let full = super::build(&a, &a.plan.findings, &stay);
            let totals = super::totals(&a, &a.plan.findings, &stay);
            assert!(full.totals.items > 5 && full.totals.items == full.items.len(), "{example}: {:?}", full.totals);
            assert!(full.totals.stays_on_aws + full.totals.not_translated > 0, "{example}: {:?}", full.totals);
            assert_eq!(totals.totals, full.totals, "{example}");
            assert!(totals.items.is_empty());
        }
    }
}
