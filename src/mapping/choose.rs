//! Least-privilege role choice. For one need (the Azure data and control-plane actions one identity needs on one
//! scope) it finds the set of built-in roles that covers the need with the fewest permissions beyond it (then the
//! fewest roles), never choosing a `never_choose` role (Owner, Contributor, User Access Administrator). When even
//! the best set grants more data actions than the configured threshold, a custom role with exactly the needed
//! actions is proposed instead (unless custom roles are switched off).

use super::load::{Role, Tables, Target};
use crate::glob::glob_match;
use std::collections::{BTreeMap, BTreeSet};

/// A permission: data plane or control plane, spelled as the action tables spell it (Azure compares
/// case-insensitively; so does every match here).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Perm {
    /// True for a data action.
    pub data: bool,
    /// Lower-case action name.
    pub name: String,
}

/// The outcome for one need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Built-in roles (indexes into `Tables::roles`), with each role's excess data actions.
    BuiltIn(Vec<(usize, Vec<String>)>),
    /// A custom role with exactly these permissions; `best_excess` is what the best built-in set would have added.
    Custom { best_excess: Vec<String> },
    /// No role of the table grants some of the needed permissions.
    Uncovered(Vec<Perm>),
}

/// Choice options.
#[derive(Debug, Clone, Copy)]
pub struct ChooseOptions {
    /// Propose custom roles at all.
    pub custom_roles: bool,
    /// Most excess data actions tolerated before a custom role is proposed.
    pub max_excess: usize,
}

impl Default for ChooseOptions {
    fn default() -> Self {
        ChooseOptions { custom_roles: true, max_excess: 1 }
    }
}

/// (excess data actions, roles, wildcard control actions, role names): lower is better.
type Score = (usize, usize, usize, Vec<String>);

struct RoleInfo {
    allow: Vec<String>,
    deny: Vec<String>,
    allow_data: Vec<String>,
    deny_data: Vec<String>,
    /// Effective data actions over the known catalogue.
    effective_data: BTreeSet<String>,
    cosmos: bool,
    never: bool,
}

/// Whether a built-in role grants a data action: its `dataActions` minus its `notDataActions`, wildcards and case
/// as Azure reads them. The [`Chooser`] answers the same from patterns it lowers once; this reads the table as it
/// is (the soundness check asks once per assignment).
pub fn role_grants_data(r: &Role, d: &str) -> bool {
    r.data_actions.iter().any(|p| glob_match(p, d, true)) && !r.not_data_actions.iter().any(|p| glob_match(p, d, true))
}

/// A need's cache key: (allowed roles, need, preferred roles).
type CacheKey = (Vec<usize>, BTreeSet<Perm>, Vec<usize>);

/// The chooser: per-role facts computed once, and a cache of answers (many identities share a need).
pub struct Chooser<'t> {
    tables: &'t Tables,
    roles: Vec<RoleInfo>,
    opts: ChooseOptions,
    by_name: BTreeMap<String, usize>,
    /// Answers by (allowed roles, need, preferred roles).
    cache: BTreeMap<CacheKey, Choice>,
}

fn lower(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, name, true))
}

impl<'t> Chooser<'t> {
    /// Prepares the chooser.
    pub fn new(tables: &'t Tables, opts: ChooseOptions) -> Self {
        let roles = tables
            .roles
            .iter()
            .map(|r: &Role| {
                let allow_data = lower(&r.data_actions);
                let deny_data = lower(&r.not_data_actions);
                let effective_data = tables
                    .data_actions
                    .iter()
                    .filter(|d| matches_any(&allow_data, d) && !matches_any(&deny_data, d))
                    .cloned()
                    .collect();
                RoleInfo {
                    allow: lower(&r.actions),
                    deny: lower(&r.not_actions),
                    allow_data,
                    deny_data,
                    effective_data,
                    cosmos: &*r.kind == "cosmos-sql",
                    never: tables.never_choose.contains(&r.id.to_ascii_lowercase()),
                }
            })
            .collect();
        let by_name = tables.roles.iter().enumerate().map(|(i, r)| (r.name.to_string(), i)).collect();
        Chooser { tables, roles, opts, by_name, cache: BTreeMap::new() }
    }

    fn grants(&self, role: usize, p: &Perm) -> bool {
        let r = &self.roles[role];
        if p.data {
            matches_any(&r.allow_data, &p.name) && !matches_any(&r.deny_data, &p.name)
        } else {
            matches_any(&r.allow, &p.name) && !matches_any(&r.deny, &p.name)
        }
    }

    /// Does this role grant this permission? (For attributing AWS actions to the roles of a set.)
    pub fn role_grants(&self, role: usize, p: &Perm) -> bool {
        self.grants(role, p)
    }

    /// [`Chooser::choose`] among the candidates that grant none of `forbidden`: the permissions a Deny took away
    /// on the scope, which a built-in role must not hand back as excess (issue 18: Deny `sqs:DeleteMessage` while
    /// Storage Queue Data Message Processor, which deletes messages, was granted). A custom role carries exactly
    /// the need, so it is what remains when every candidate hands one back.
    pub fn choose_avoiding(
        &mut self,
        candidates: &[String],
        need: &BTreeSet<Perm>,
        forbidden: &BTreeSet<Perm>,
    ) -> Choice {
        self.choose_among(candidates, need, forbidden, &[])
    }

    /// [`Chooser::choose_avoiding`] among a target's candidate roles, honouring its `preferred_roles`: when the
    /// best built-in set is made of them it is kept whatever its excess (listed with it), not replaced by a custom
    /// role (issue 20: Key Vault Crypto User on a key rather than a custom role per need).
    pub fn choose_for(&mut self, target: &Target, need: &BTreeSet<Perm>, forbidden: &BTreeSet<Perm>) -> Choice {
        let preferred: Vec<usize> =
            target.preferred_roles.iter().filter_map(|n| self.by_name.get(n).copied()).collect();
        self.choose_among(&target.roles, need, forbidden, &preferred)
    }

    fn choose_among(
        &mut self,
        candidates: &[String],
        need: &BTreeSet<Perm>,
        forbidden: &BTreeSet<Perm>,
        preferred: &[usize],
    ) -> Choice {
        if forbidden.is_empty() {
            return self.choose_with(candidates, need, preferred);
        }
        let kept: Vec<String> = candidates
            .iter()
            .filter(|n| self.by_name.get(*n).is_none_or(|&i| !forbidden.iter().any(|p| self.grants(i, p))))
            .cloned()
            .collect();
        self.choose_with(&kept, need, preferred)
    }

    /// Chooses roles for a need among a target's candidate roles (by name; roles the table does not have are
    /// ignored, `mappings check` reports them).
    pub fn choose(&mut self, candidates: &[String], need: &BTreeSet<Perm>) -> Choice {
        self.choose_with(candidates, need, &[])
    }

    fn choose_with(&mut self, candidates: &[String], need: &BTreeSet<Perm>, preferred: &[usize]) -> Choice {
        let allowed: Vec<usize> = candidates.iter().filter_map(|n| self.by_name.get(n).copied()).collect();
        let key = (allowed, need.clone(), preferred.to_vec());
        if let Some(c) = self.cache.get(&key) {
            return c.clone();
        }
        let c = self.compute(&key.0, need, preferred);
        self.cache.insert(key, c.clone());
        c
    }

    /// The choice for one need among the `allowed` roles: the candidates that grant part of it; a custom role (or
    /// `Uncovered`) when together they cannot cover it; else the best set of up to three of the most promising
    /// ([`Chooser::best_small_set`]), or a greedy cover when no such set covers it ([`Chooser::greedy_cover`]);
    /// then built-in roles, or a custom role when the set's excess is too much ([`Chooser::verdict`]).
    fn compute(&self, allowed: &[usize], need: &BTreeSet<Perm>, preferred: &[usize]) -> Choice {
        let cosmos = allowed.iter().any(|&i| self.roles[i].cosmos);
        let needed_data: BTreeSet<String> =
            need.iter().filter(|p| p.data).map(|p| p.name.to_ascii_lowercase()).collect();
        // Candidates: right kind, never a forbidden role, useful for at least one needed permission.
        let mut cands: Vec<usize> = allowed
            .iter()
            .copied()
            .filter(|&i| !self.roles[i].never && need.iter().any(|p| self.grants(i, p)))
            .collect();
        let uncovered: Vec<Perm> = need.iter().filter(|p| !cands.iter().any(|&i| self.grants(i, p))).cloned().collect();
        if !uncovered.is_empty() {
            // No candidate grants it: a custom role can still carry exactly the need (not for Cosmos DB).
            if self.opts.custom_roles && !cosmos {
                return Choice::Custom { best_excess: Vec::new() };
            }
            return Choice::Uncovered(uncovered);
        }
        // Keep the most promising candidates (coverage, then little excess) so the exhaustive search stays small.
        cands.sort_by_key(|&i| {
            let covered = need.iter().filter(|p| self.grants(i, p)).count();
            (std::cmp::Reverse(covered), self.excess_of(&[i], &needed_data).len(), self.tables.roles[i].name.clone())
        });
        cands.truncate(14);
        let mut set = match self.best_small_set(&cands, need, &needed_data) {
            Some(set) => set,
            None => self.greedy_cover(allowed, need, &needed_data),
        };
        set.sort_by_key(|&i| self.tables.roles[i].name.clone());
        let kept_whole = cosmos || (!preferred.is_empty() && set.iter().all(|i| preferred.contains(i)));
        self.verdict(set, &needed_data, kept_whole)
    }

    /// The data actions a set of roles grants beyond the needed ones.
    fn excess_of(&self, set: &[usize], needed_data: &BTreeSet<String>) -> BTreeSet<String> {
        set.iter()
            .flat_map(|&i| self.roles[i].effective_data.iter())
            .filter(|d| !needed_data.contains(&d.to_ascii_lowercase()))
            .cloned()
            .collect()
    }

    /// The best-scoring ([`Chooser::score`]) set of one, two or three of `cands` (exhaustively), or `None` when no
    /// such set covers the need.
    fn best_small_set(
        &self,
        cands: &[usize],
        need: &BTreeSet<Perm>,
        needed_data: &BTreeSet<String>,
    ) -> Option<Vec<usize>> {
        let mut best: Option<(Score, Vec<usize>)> = None;
        let mut consider = |set: Vec<usize>| {
            if let Some(score) = self.score(&set, need, needed_data)
                && best.as_ref().is_none_or(|(b, _)| score < *b)
            {
                best = Some((score, set));
            }
        };
        let n = cands.len();
        for a in 0..n {
            consider(vec![cands[a]]);
            for b in a + 1..n {
                consider(vec![cands[a], cands[b]]);
                for c in b + 1..n {
                    consider(vec![cands[a], cands[b], cands[c]]);
                }
            }
        }
        best.map(|(_, set)| set)
    }

    /// The score of a set of roles for a need ([`Score`]: excess data actions, roles, wildcard control actions,
    /// names; lower is better), or `None` when the set does not cover the need or has a role that contributes
    /// nothing the others do not.
    fn score(&self, set: &[usize], need: &BTreeSet<Perm>, needed_data: &BTreeSet<String>) -> Option<Score> {
        if !need.iter().all(|p| set.iter().any(|&i| self.grants(i, p))) {
            return None;
        }
        // Every role of the set must contribute something no other role of the set covers.
        let redundant = set.iter().any(|&i| {
            need.iter().filter(|p| self.grants(i, p)).all(|p| set.iter().any(|&j| j != i && self.grants(j, p)))
        });
        if redundant && set.len() > 1 {
            return None;
        }
        let control_excess: usize =
            set.iter().map(|&i| self.roles[i].allow.iter().filter(|a| a.contains('*')).count()).sum();
        Some((
            self.excess_of(set, needed_data).len(),
            set.len(),
            control_excess,
            set.iter().map(|&i| self.tables.roles[i].name.to_string()).collect(),
        ))
    }

    /// Needs no set of up to three candidates covers: greedy set cover (most uncovered permissions, then least
    /// excess), which always terminates because every permission has a candidate.
    fn greedy_cover(&self, allowed: &[usize], need: &BTreeSet<Perm>, needed_data: &BTreeSet<String>) -> Vec<usize> {
        let mut set: Vec<usize> = Vec::new();
        let all: Vec<usize> = allowed.iter().copied().filter(|&i| !self.roles[i].never).collect();
        while let Some(p) = need.iter().find(|p| !set.iter().any(|&i| self.grants(i, p))) {
            let pick = all
                .iter()
                .copied()
                .filter(|&i| self.grants(i, p))
                .max_by_key(|&i| {
                    let gain =
                        need.iter().filter(|q| !set.iter().any(|&j| self.grants(j, q)) && self.grants(i, q)).count();
                    (
                        gain,
                        std::cmp::Reverse(self.excess_of(&[i], needed_data).len()),
                        std::cmp::Reverse(self.tables.roles[i].name.clone()),
                    )
                })
                .expect("every permission has a candidate");
            set.push(pick);
        }
        set
    }

    /// The chosen set (sorted by name) as built-in roles, each with its excess data actions; or a custom role
    /// (unless switched off, and not for Cosmos DB or a set of the target's preferred roles: `built_in_only`) when
    /// the set's excess is over the threshold, or is any data action at all for a need of control-plane actions
    /// only.
    fn verdict(&self, set: Vec<usize>, needed_data: &BTreeSet<String>, built_in_only: bool) -> Choice {
        let total_excess = self.excess_of(&set, needed_data);
        // A need of control-plane actions only (listing containers) never takes a built-in role's data actions
        // with it: reading every blob of an account to list its containers is no small excess.
        let data_for_control = needed_data.is_empty() && !total_excess.is_empty();
        if self.opts.custom_roles && (total_excess.len() > self.opts.max_excess || data_for_control) && !built_in_only {
            return Choice::Custom { best_excess: total_excess.into_iter().collect() };
        }
        Choice::BuiltIn(
            set.into_iter()
                .map(|i| {
                    (
                        i,
                        self.roles[i]
                            .effective_data
                            .iter()
                            .filter(|d| !needed_data.contains(&d.to_ascii_lowercase()))
                            .cloned()
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tables() -> Tables {
        static T: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
        T.get_or_init(|| super::super::load(None).unwrap()).clone()
    }

    fn data(names: &[&str]) -> BTreeSet<Perm> {
        names.iter().map(|n| Perm { data: true, name: n.to_string() }).collect()
    }

    fn all(t: &Tables) -> Vec<String> {
        t.roles.iter().map(|r| r.name.to_string()).collect()
    }

    fn target_roles(t: &Tables, svc: &str, target: &str) -> Vec<String> {
        t.services[svc].targets[target].roles.clone()
    }

    fn names(t: &Tables, c: &Choice) -> Vec<String> {
        match c {
            Choice::BuiltIn(v) => v.iter().map(|(i, _)| t.roles[*i].name.to_string()).collect(),
            other => panic!("not built-in: {other:?}"),
        }
    }

    const Q: &str = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/";
    const T: &str = "Microsoft.Storage/storageAccounts/tableServices/tables/entities/";

    #[test]
    fn receive_and_delete_is_message_processor() {
        let t = tables();
        let mut c = Chooser::new(&t, ChooseOptions::default());
        let need = data(&[&format!("{Q}read"), &format!("{Q}process/action")]);
        assert_eq!(
            names(&t, &c.choose(&target_roles(&t, "sqs", "storage-queue"), &need)),
            ["Storage Queue Data Message Processor"]
        );
    }

    #[test]
    fn send_is_message_sender() {
        let t = tables();
        let mut c = Chooser::new(&t, ChooseOptions::default());
        assert_eq!(
            names(&t, &c.choose(&target_roles(&t, "sqs", "storage-queue"), &data(&[&format!("{Q}add/action")]))),
            ["Storage Queue Data Message Sender"]
        );
    }

    #[test]
    fn a_reader_need_never_gets_a_writer_role() {
        let t = tables();
        let mut c = Chooser::new(&t, ChooseOptions::default());
        assert_eq!(names(&t, &c.choose(&all(&t), &data(&[&format!("{T}read")]))), ["Storage Table Data Reader"]);
    }

    #[test]
    fn table_writes_take_contributor_with_its_excess_named() {
        let t = tables();
        let mut c = Chooser::new(&t, ChooseOptions::default());
        let need =
            data(&[&format!("{T}read"), &format!("{T}write"), &format!("{T}add/action"), &format!("{T}update/action")]);
        match c.choose(&target_roles(&t, "dynamodb", "storage-table"), &need) {
            Choice::BuiltIn(v) => {
                assert_eq!(&*t.roles[v[0].0].name, "Storage Table Data Contributor");
                assert_eq!(v[0].1, [format!("{T}delete")]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_blob_writer_gets_a_custom_role_unless_switched_off() {
        let t = tables();
        let b = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/";
        let need = data(&[&format!("{b}write"), &format!("{b}add/action")]);
        let roles = target_roles(&t, "s3", "storage-blob");
        let mut c = Chooser::new(&t, ChooseOptions::default());
        assert!(matches!(c.choose(&roles, &need), Choice::Custom { .. }));
        let mut c = Chooser::new(&t, ChooseOptions { custom_roles: false, max_excess: 2 });
        assert_eq!(names(&t, &c.choose(&roles, &need)), ["Storage Blob Data Contributor"]);
    }

    /// Issue 20, finding 7: a key the workload uses itself gets Key Vault Crypto User on the key — the target's
    /// preferred role (`preferred_roles` in services.yaml) — with what it grants beyond the need named, not a
    /// custom role; so does signing alone and wrapping alone. A metadata read, for which Crypto User is not the
    /// least role, keeps the usual threshold (a custom role with exactly the read).
    #[test]
    fn a_key_used_directly_gets_key_vault_crypto_user() {
        let t = tables();
        let k = "Microsoft.KeyVault/vaults/keys/";
        let target = &t.services["kms"].targets["key-vault-key"];
        assert_eq!(target.preferred_roles, ["Key Vault Crypto User"]);
        let mut c = Chooser::new(&t, ChooseOptions::default());
        let need = data(&[&format!("{k}encrypt/action"), &format!("{k}decrypt/action"), &format!("{k}wrap/action")]);
        match c.choose_for(target, &need, &BTreeSet::new()) {
            Choice::BuiltIn(v) => {
                assert_eq!(names(&t, &Choice::BuiltIn(v.clone())), ["Key Vault Crypto User"]);
                assert!(v[0].1.contains(&format!("{k}sign/action")), "excess named: {:?}", v[0].1);
            }
            other => panic!("{other:?}"),
        }
        let sign = data(&[&format!("{k}sign/action"), &format!("{k}verify/action")]);
        assert_eq!(names(&t, &c.choose_for(target, &sign, &BTreeSet::new())), ["Key Vault Crypto User"]);
        let wrap = data(&[&format!("{k}wrap/action")]);
        assert_eq!(names(&t, &c.choose_for(target, &wrap, &BTreeSet::new())), ["Key Vault Crypto User"]);
        let read = data(&[&format!("{k}read")]);
        assert!(matches!(c.choose_for(target, &read, &BTreeSet::new()), Choice::Custom { .. }));
        // The same need on a target without the preference is a custom role (the threshold is 1).
        assert!(matches!(c.choose(&target.roles, &need), Choice::Custom { .. }));
    }

    #[test]
    fn unknown_permission_is_uncovered() {
        let t = tables();
        let mut c = Chooser::new(&t, ChooseOptions { custom_roles: false, max_excess: 2 });
        assert!(matches!(c.choose(&all(&t), &data(&["Microsoft.Nope/x/action"])), Choice::Uncovered(_)));
        // With custom roles on, an uncovered need becomes a custom role with exactly that permission.
        let arm: Vec<String> = t.roles.iter().filter(|r| &*r.kind == "arm").map(|r| r.name.to_string()).collect();
        let mut c = Chooser::new(&t, ChooseOptions::default());
        assert!(matches!(c.choose(&arm, &data(&["Microsoft.Nope/x/action"])), Choice::Custom { .. }));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// For random sets of real data actions, the chosen roles cover the need and are never one of the three
        /// broad roles.
        #[test]
        fn chosen_roles_cover_the_need_and_are_never_broad(idx in prop::collection::btree_set(0usize..10_000, 1..5)) {
            let t = tables();
            let mut c = Chooser::new(&t, ChooseOptions { custom_roles: false, max_excess: 0 });
            let storage: Vec<&String> = t.data_actions.iter().filter(|d| d.starts_with("Microsoft.Storage/") || d.starts_with("Microsoft.KeyVault/") || d.starts_with("Microsoft.ServiceBus/")).collect();
            let need: BTreeSet<Perm> = idx.iter().map(|i| Perm { data: true, name: storage[i % storage.len()].clone() }).collect();
            let arm: Vec<String> = t.roles.iter().filter(|r| &*r.kind == "arm").map(|r| r.name.to_string()).collect();
            match c.choose(&arm, &need) {
                Choice::BuiltIn(set) => {
                    for p in &need {
                        prop_assert!(set.iter().any(|(i, _)| c.role_grants(*i, p)), "{p:?} not covered");
                    }
                    for (i, _) in &set {
                        prop_assert!(!["Owner", "Contributor", "User Access Administrator"].contains(&&*t.roles[*i].name));
                    }
                }
                // Only when no role of the table grants the permission at all.
                Choice::Uncovered(missing) => {
                    for p in &missing {
                        prop_assert!((0..t.roles.len()).all(|i| !c.role_grants(i, p)), "{p:?} is grantable");
                    }
                }
                Choice::Custom { .. } => prop_assert!(false, "custom roles are off"),
            }
        }
    }
}
