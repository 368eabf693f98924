//! The coverage ledger: every input item that matters — each ServiceAccount, IAM role, permission statement,
//! action pattern, KEDA trigger and AWS value in env/ConfigMaps — ends in exactly one state: translated, not
//! translated (with the reason), waived, or staying on AWS. Nothing the tool read may vanish without a trace.

use super::Analysis;
use crate::glob::{action_matches, glob_match};
use crate::model::{AwsRefKind, Effect};
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
    /// Belongs to an AWS add-on that an AKS feature replaces (`mappings/addons.yaml`, E2A070).
    Replaced,
}

/// One item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// `service_account`, `role`, `managed_policy`, `well_known_policy`, `statement`, `action`, `keda_trigger`,
    /// `aws_value`.
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
    /// Replaced by an AKS feature (AWS add-ons).
    pub replaced: usize,
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
    let at = |code: &str| -> BTreeSet<(&str, u32)> {
        findings.iter().filter(|f| f.code == code).filter_map(|f| Some((f.file.as_deref()?, f.line()?))).collect()
    };
    let mut b = Builder {
        a,
        stay_on_aws,
        keep,
        // Waived locations (file, line): a not-translated item there is waived.
        waived_at: findings
            .iter()
            .filter_map(|f| Some(((f.file.as_deref()?, f.line()?), f.suppressed.as_deref()?)))
            .collect(),
        // What the findings say about Denies (issue 18: "honoured" only where the soundness check proves it): the
        // statements a Deny could not be subtracted from exactly (E2A019, at the statement), and the identities
        // whose grants the soundness check found wider than the role (E2A045, at the role).
        inexact_deny: at(crate::rules::DENY_NOT_EXPRESSIBLE),
        wider_at: at(crate::rules::GRANT_WIDER_THAN_AWS),
        left: at(crate::rules::AWS_ENDPOINT_LEFT),
        named_left: at(crate::rules::AWS_NAME_IN_CONFIG),
        items: Vec::new(),
        totals: Totals::default(),
    };
    b.service_accounts();
    b.roles();
    b.keda_triggers();
    b.aws_values();
    let Builder { mut items, totals, .. } = b;
    items.sort_unstable();
    Ledger { totals, items }
}

/// The ledger as it is built, with what the findings say about each place.
struct Builder<'a> {
    a: &'a Analysis,
    stay_on_aws: &'a [String],
    /// Keep the items (not only the totals).
    keep: bool,
    waived_at: BTreeMap<(&'a str, u32), &'a str>,
    inexact_deny: BTreeSet<(&'a str, u32)>,
    wider_at: BTreeSet<(&'a str, u32)>,
    left: BTreeSet<(&'a str, u32)>,
    /// Where a value names a resource that has an Azure counterpart no rewrite reaches (E2A111, which takes the
    /// place of E2A027 there): not translated either.
    named_left: BTreeSet<(&'a str, u32)>,
    items: Vec<Item>,
    totals: Totals,
}

impl Builder<'_> {
    /// Records one item; a not-translated item at a waived place is waived.
    fn push(&mut self, kind: &'static str, id: String, state: State, reason: Option<String>, file: &str, line: u32) {
        let (state, reason) = match self.waived_at.get(&(file, line)) {
            Some(r) if state == State::NotTranslated => (State::Waived, Some(r.to_string())),
            _ => (state, reason),
        };
        self.totals.items += 1;
        match state {
            State::Translated => self.totals.translated += 1,
            State::NotTranslated => self.totals.not_translated += 1,
            State::Waived => self.totals.waived += 1,
            State::StaysOnAws => self.totals.stays_on_aws += 1,
            State::Replaced => self.totals.replaced += 1,
        }
        if self.keep {
            self.items.push(Item { kind, id, state, reason, file: file.to_string(), line });
        }
    }

    /// Each ServiceAccount: translated when an identity federates it, else why not.
    fn service_accounts(&mut self) {
        let a = self.a;
        let sa_identity: BTreeMap<(&str, &str), &str> = a
            .plan
            .identities
            .iter()
            .flat_map(|i| {
                i.service_accounts.iter().map(move |s| ((s.namespace.as_str(), s.name.as_str()), i.name.as_str()))
            })
            .collect();
        let addon_of = addon_of_service_account(a);
        for (si, sa) in a.model.service_accounts.iter().enumerate() {
            let file = a.files.display(sa.loc.file);
            let id = format!("{}/{}", sa.namespace, sa.name);
            let (state, reason) = match sa_identity.get(&(sa.namespace.as_str(), sa.name.as_str())) {
                Some(identity) => (State::Translated, format!("federated credential on {identity}")),
                None if addon_of.contains_key(&(sa.namespace.as_str(), sa.name.as_str())) => {
                    (State::Replaced, addon_of[&(sa.namespace.as_str(), sa.name.as_str())].clone())
                }
                None => {
                    let reason = match (a.joined.sa_role[si], &sa.role_arn) {
                        (Some(_), _) => "its role's trust does not admit it",
                        (None, Some(_)) => "its role is not in the IAM input",
                        (None, None) => "no IAM role: nothing to carry over",
                    };
                    (State::NotTranslated, reason.to_string())
                }
            };
            self.push("service_account", id, state, Some(reason), file, sa.loc.pos.line);
        }
    }

    /// Each role, and for a translated one each statement in force and each of its action patterns.
    fn roles(&mut self) {
        let a = self.a;
        let identity_of: BTreeMap<&str, &crate::plan::Identity> =
            a.plan.identities.iter().map(|i| (i.aws_role_arn.as_str(), i)).collect();
        let addon_of: BTreeMap<&str, String> = a
            .plan
            .addons
            .iter()
            .flat_map(|e| e.aws_role_arns.iter().map(move |r| (r.as_str(), replaced_reason(e))))
            .collect();
        for role in &a.model.roles {
            let file = a.files.display(role.loc.file);
            let line = role.loc.pos.line;
            if let Some(reason) = addon_of.get(role.arn.as_str()) {
                self.push("role", role.arn.clone(), State::Replaced, Some(reason.clone()), file, line);
                continue;
            }
            let Some(identity) = identity_of.get(role.arn.as_str()) else {
                let reason = Some("no ServiceAccount of the input uses it".into());
                self.push("role", role.arn.clone(), State::NotTranslated, reason, file, line);
                continue;
            };
            // An identity with no Azure role carried nothing over (E2A071).
            let (state, reason) = if identity.role_assignments.is_empty() && identity.aws_bridge.is_none() {
                (State::NotTranslated, format!("managed identity {} gets no Azure role (E2A071)", identity.name))
            } else {
                (State::Translated, format!("managed identity {}", identity.name))
            };
            self.push("role", role.arn.clone(), state, Some(reason), file, line);
            self.unresolved_policies(role);
            let role_wider = self.wider_at.contains(&(file, line));
            let granted: BTreeSet<&str> =
                identity.role_assignments.iter().flat_map(|ra| ra.aws_actions.iter().map(|a| &**a)).collect();
            // The identity's statements in force are the join's for its role (the join frees its own copy once
            // planned).
            for (k, p) in identity.aws_permissions.iter().enumerate() {
                let sid = format!("{} statement {} ({})", role.name, k + 1, p.policy);
                if identity.kms_server_side.contains(&p.statement.loc) && !self.stays(&p.statement) {
                    self.server_side_statement(&role.name, sid, &p.statement);
                    continue;
                }
                self.statement(&role.name, sid, &p.statement, &granted, role_wider);
            }
        }
    }

    /// The policies of a translated role whose documents the input lacks — attached managed policies not exported
    /// (AWS-managed ones are in no account export) and eksctl well-known policies — each not translated: they
    /// grant nothing on Azure (E2A009, E2A011).
    fn unresolved_policies(&mut self, role: &crate::model::Role) {
        let a = self.a;
        for p in &role.attached {
            let found = a.model.managed_policies.iter().find(|m| m.arn == p.arn && m.document.is_some());
            if let Some(m) = found.filter(|m| crate::mapping::managed::from_bundle(&a.files, m.loc)) {
                if !crate::mapping::managed::is_well_known_expansion(role, p.loc) {
                    let version = m.default_version.as_deref().unwrap_or("?");
                    let reason = Some(format!("resolved from the bundled copy (version {version}, E2A130)"));
                    let id = format!("{} on {}", p.arn, role.name);
                    self.push(
                        "managed_policy",
                        id,
                        State::Translated,
                        reason,
                        a.files.display(p.loc.file),
                        p.loc.pos.line,
                    );
                }
            } else if found.is_none() {
                let reason = Some(
                    "its document is not in the input: export it with aws iam get-policy-version or it grants nothing"
                        .into(),
                );
                self.push(
                    "managed_policy",
                    format!("{} on {}", p.arn, role.name),
                    State::NotTranslated,
                    reason,
                    a.files.display(p.loc.file),
                    p.loc.pos.line,
                );
            }
        }
        for (name, loc) in &role.well_known {
            let expanded: Vec<&str> = role
                .attached
                .iter()
                .filter(|p| p.loc == *loc)
                .map(|p| p.arn.as_str())
                .chain(role.inline.iter().filter(|p| p.expands(name)).map(|p| p.name.as_str()))
                .collect();
            let (state, reason) = if expanded.is_empty() {
                (
                    State::NotTranslated,
                    "an eksctl well-known policy: its document is not in the input, so it grants nothing".into(),
                )
            } else {
                (State::Translated, format!("expanded to {} (E2A130)", expanded.join(", ")))
            };
            self.push(
                "well_known_policy",
                format!("{name} on {}", role.name),
                state,
                Some(reason),
                a.files.display(loc.file),
                loc.pos.line,
            );
        }
    }

    /// One statement in force: staying on AWS, or translated when any of its actions was carried over (a Deny is
    /// translated when honoured); each action pattern gets its own item.
    fn statement(
        &mut self,
        role: &str,
        sid: String,
        s: &crate::model::Statement,
        granted: &BTreeSet<&str>,
        role_wider: bool,
    ) {
        let sfile = self.a.files.display(s.loc.file);
        if self.stays(s) {
            let reason = Some("its resources stay on AWS".into());
            self.push("statement", sid, State::StaysOnAws, reason, sfile, s.loc.pos.line);
            return;
        }
        let inexact = self.inexact_deny.contains(&(sfile, s.loc.pos.line));
        let mut any = false;
        for (pat, loc) in &s.action.items {
            let hit = !s.action.not && granted.iter().any(|g| action_matches(pat, g));
            any |= hit;
            let (state, reason) = action_state(s, hit, role_wider, inexact);
            self.push("action", format!("{role} {pat}"), state, reason, sfile, loc.line);
        }
        let state = if s.effect == Effect::Deny || any || (s.action.not && !granted.is_empty()) {
            State::Translated
        } else {
            State::NotTranslated
        };
        let reason = (state == State::NotTranslated).then(|| "none of its actions was carried over".to_string());
        self.push("statement", sid, state, reason, sfile, s.loc.pos.line);
    }

    /// True when every resource a statement names stays on AWS.
    fn stays(&self, s: &crate::model::Statement) -> bool {
        s.resource.as_ref().is_some_and(|r| {
            !r.not
                && !r.items.is_empty()
                && r.items.iter().all(|(res, _)| self.stay_on_aws.iter().any(|pat| glob_match(pat, res, false)))
        })
    }

    /// A KMS statement usable only through a service's server-side encryption (E2A106): handled, since nothing
    /// is needed on Azure for it — each action pattern and the statement are translated, and say so.
    fn server_side_statement(&mut self, role: &str, sid: String, s: &crate::model::Statement) {
        let sfile = self.a.files.display(s.loc.file);
        let reason = "not needed on Azure: the key serves only server-side encryption, which the Azure service does itself (E2A106)";
        for (pat, loc) in &s.action.items {
            self.push("action", format!("{role} {pat}"), State::Translated, Some(reason.into()), sfile, loc.line);
        }
        self.push("statement", sid, State::Translated, Some(reason.into()), sfile, s.loc.pos.line);
    }

    /// Each KEDA trigger: an AWS queue trigger whose queue the plan maps to an Azure queue carries over.
    fn keda_triggers(&mut self) {
        let a = self.a;
        // The triggers the plan rewrites (its `trigger` edits), by scaler object and index: the ledger says
        // "translated" exactly where `translate` changes the trigger.
        let rewritten: BTreeSet<(crate::diag::FileId, crate::diag::Pos, usize)> = a
            .plan
            .manifest_edits
            .iter()
            .flat_map(|f| f.objects.iter().map(move |o| (f.file_id, o)))
            .flat_map(|(file, o)| {
                o.edits.iter().filter_map(move |e| match e {
                    super::edits::Edit::Trigger { index, .. } => Some((file, o.pos, *index)),
                    _ => None,
                })
            })
            .collect();
        for s in &a.model.scalers {
            let at = a.model.objects[s.object].loc;
            for (ti, t) in s.triggers.iter().enumerate() {
                let file = a.files.display(t.loc.file);
                let id = format!("{} {}/{} {}", s.kind, s.namespace, s.name, t.trigger_type);
                let (state, reason) = if !t.trigger_type.starts_with("aws-") {
                    (State::Translated, Some("not an AWS scaler: kept as it is".into()))
                } else if rewritten.contains(&(at.file, at.pos, ti)) {
                    (State::Translated, None)
                } else {
                    (State::NotTranslated, Some("no Azure scaler counterpart (see findings)".into()))
                };
                self.push("keda_trigger", id, state, reason, file, t.loc.pos.line);
            }
        }
    }

    /// Each AWS value in env and ConfigMaps (once per place).
    fn aws_values(&mut self) {
        let a = self.a;
        let mut seen = BTreeSet::new();
        for r in a.model.aws_refs() {
            if !seen.insert(r.loc) {
                continue;
            }
            let file = a.files.display(r.loc.file);
            let line = r.loc.pos.line;
            let id = format!("{} = {}", r.key, crate::text::truncate(&r.text));
            let stays = r.arn.as_deref().is_some_and(|arn| self.stay_on_aws.iter().any(|p| glob_match(p, arn, false)));
            let (state, reason) = match r.kind {
                _ if self.in_addon(r.loc) => (
                    State::Replaced,
                    Some("in an AWS add-on's manifest, kept unchanged: AKS replaces the add-on (E2A070)".to_string()),
                ),
                AwsRefKind::SdkVariable => (
                    State::Translated,
                    Some("removed: the workload identity webhook injects AZURE_* instead".to_string()),
                ),
                AwsRefKind::StaticKey => {
                    (State::NotTranslated, Some("static credential: remove it (E2A006)".to_string()))
                }
                AwsRefKind::Region => {
                    (State::Translated, Some("removed: the AWS region means nothing on Azure".to_string()))
                }
                AwsRefKind::Name => {
                    (State::Translated, Some("resource name: rewritten to the Azure name where it differs".to_string()))
                }
                _ if stays => (State::StaysOnAws, None),
                _ if self.left.contains(&(file, line)) => {
                    (State::NotTranslated, Some("no Azure counterpart in the plan (E2A027)".to_string()))
                }
                _ if self.named_left.contains(&(file, line)) => (
                    State::NotTranslated,
                    Some("its Azure counterpart is not written into it: point it there (E2A111)".to_string()),
                ),
                _ => (State::Translated, None),
            };
            self.push("aws_value", id, state, reason, file, line);
        }
    }
}

impl Builder<'_> {
    /// True when `loc` is inside an AWS add-on's object (kept unchanged).
    fn in_addon(&self, loc: crate::diag::Loc) -> bool {
        let m = &self.a.model;
        self.a.plan.addon_objects.iter().any(|&oi| {
            let o = &m.objects[oi];
            o.loc.file == loc.file && o.loc.pos <= loc.pos && loc.pos <= o.end.max(o.loc.pos)
        })
    }
}

/// The reason an add-on's items are replaced.
fn replaced_reason(e: &crate::plan::addons::AddonEntry) -> String {
    format!("AWS add-on {}: replaced by {} (E2A070)", e.name, e.replaced_by)
}

/// The add-on of each ServiceAccount the plan lists under an add-on, with the reason.
fn addon_of_service_account(a: &Analysis) -> BTreeMap<(&str, &str), String> {
    a.plan
        .addons
        .iter()
        .flat_map(|e| {
            e.service_accounts.iter().map(move |s| ((s.namespace.as_str(), s.name.as_str()), replaced_reason(e)))
        })
        .collect()
}

/// The state of one action pattern of a statement: a Deny is honoured unless the identity's grants are wider
/// than the role (E2A045) or it could not be subtracted exactly (E2A019); an Allow pattern is translated when a
/// role assignment carries it.
fn action_state(s: &crate::model::Statement, hit: bool, role_wider: bool, inexact: bool) -> (State, Option<String>) {
    let (state, reason) = match (s.effect, hit, s.action.not) {
        (Effect::Deny, _, _) if role_wider => {
            (State::NotTranslated, "Deny: not proven — a grant of this identity is wider than the role (E2A045)")
        }
        (Effect::Deny, _, _) if inexact => {
            (State::Translated, "Deny: not subtractable exactly; what it touches is not granted there (E2A019)")
        }
        (Effect::Deny, _, _) => {
            (State::Translated, "Deny: honoured — subtracted, and the soundness check finds no grant that allows it")
        }
        (_, true, _) => return (State::Translated, None),
        (_, false, true) => (State::NotTranslated, "NotAction: over-approximated, see findings"),
        (_, false, false) => {
            (State::NotTranslated, "no Azure role assignment came of it (see the findings at this line)")
        }
    };
    (state, Some(reason.to_string()))
}

#[cfg(test)]
mod tests {
    /// Issue 20, finding 7: KMS actions that serve only server-side encryption (E2A106) are handled — not needed
    /// on Azure — and their statements count as translated; nothing else of the fixture is left untranslated.
    #[test]
    fn server_side_encryption_actions_are_not_needed_on_azure() {
        let tables = crate::mapping::load(None).unwrap();
        let dir = "testdata/fixtures/mapping/kms-sse-via-service";
        let a = crate::analyse(&[dir.into()], &crate::config::Config::default(), &tables).unwrap();
        let l = super::build(&a, &a.plan.findings, &[]);
        let kms: Vec<&super::Item> = l.items.iter().filter(|i| i.kind == "action" && i.id.contains("kms:")).collect();
        assert_eq!(kms.len(), 3, "{kms:?}");
        for i in &kms {
            assert_eq!(i.state, super::State::Translated, "{i:?}");
            assert!(i.reason.as_deref().is_some_and(|r| r.contains("not needed on Azure")), "{i:?}");
        }
        assert_eq!(l.totals.not_translated, 0, "{:?}", l.items);
    }

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
