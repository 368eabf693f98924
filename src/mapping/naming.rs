//! Azure naming rules: from an AWS resource name to a valid Azure name for the target. Every rule only ever emits
//! characters its Azure resource type accepts, so input text cannot reach Bicep or a path unfiltered; a name that
//! had to change is reported by the caller. [`unique_names`] is the one entry point that makes the names of a
//! whole plan unique.

use std::collections::BTreeSet;

/// Turns anything into an Azure resource name: ASCII letters, digits, `-` and `_`; starts and ends with a letter
/// or digit; at most `max` characters. Input text can never reach Bicep or a path unfiltered.
pub fn resource_name(raw: &str, max: usize) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches(|c: char| !c.is_ascii_alphanumeric()).chars().take(max).collect();
    let trimmed = trimmed.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
    if trimmed.len() < 3 { format!("id-{trimmed}x").chars().take(max).collect() } else { trimmed }
}

/// The rule names `services.yaml` may use.
pub const RULES: &[&str] = &[
    "queue",
    "table",
    "container",
    "storage_account",
    "key_vault",
    "secret",
    "key",
    "service_bus_entity",
    "event_hub",
    "cosmos",
    "acr_repository",
    "dns_zone",
    "resource_group",
    "generic",
];

fn collapse_hyphens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out
}

fn clamp(mut s: String, min: usize, max: usize, pad: char) -> String {
    s.truncate(max);
    while s.len() < min {
        s.push(pad);
    }
    s
}

/// Applies a naming rule. Unknown rules fall back to `generic`.
pub fn azure_name(rule: &str, aws: &str) -> String {
    match rule {
        // Queues and containers: 3–63, lowercase letters, digits, single hyphens, alphanumeric at both ends.
        // An SQS FIFO queue's `.fifo` suffix has no meaning on Azure and is dropped.
        "queue" | "container" => {
            let base = aws.strip_suffix(".fifo").unwrap_or(aws);
            let mapped: String =
                base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
            let s = collapse_hyphens(&mapped).trim_matches('-').to_string();
            let s = clamp(s, 3, 63, '0');
            s.trim_end_matches('-').to_string()
        }
        // Tables: 3–63 alphanumeric, starting with a letter.
        "table" => {
            let s: String = aws.chars().filter(char::is_ascii_alphanumeric).collect();
            let s = if s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) { s } else { format!("t{s}") };
            clamp(s, 3, 63, '0')
        }
        // Storage accounts: 3–24 lowercase alphanumeric.
        "storage_account" => {
            let s: String = aws.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
            clamp(s, 3, 24, '0')
        }
        // Key Vault: 3–24, letters, digits, hyphens; starts with a letter, ends alphanumeric, no `--`.
        "key_vault" => {
            let mapped: String = aws.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let s = collapse_hyphens(&mapped).trim_matches('-').to_string();
            let s = if s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) { s } else { format!("kv-{s}") };
            clamp(s, 3, 24, '0').trim_end_matches('-').to_string()
        }
        // Key Vault secrets and keys: 1–127 letters, digits, hyphens.
        "secret" | "key" => {
            let mapped: String = aws.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let s = collapse_hyphens(&mapped).trim_matches('-').to_string();
            clamp(if s.is_empty() { "secret".into() } else { s }, 1, 127, '0')
        }
        // Service Bus queues/topics and Event Hubs: letters, digits, `.`, `-`, `_`; alphanumeric at both ends.
        "service_bus_entity" | "event_hub" => {
            let mapped: String =
                aws.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
            let s = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
            clamp(if s.is_empty() { "entity".into() } else { s }, 1, 256, '0')
        }
        // ACR repositories: lowercase letters, digits, `.`, `_`, `-`, `/` separators.
        "acr_repository" => {
            let s: String = aws
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "._-/".contains(c) { c.to_ascii_lowercase() } else { '-' })
                .collect();
            let s = s.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
            clamp(if s.is_empty() { "repository".into() } else { s }, 1, 256, '0')
        }
        // Azure DNS zones (public and private): the zone's name is its domain name, without the terminating dot
        // (REST "Record Sets": "The name of the DNS zone (without a terminating dot)"); DNS names are
        // case-insensitive, so lowercased. Labels of letters, digits, `-` and `_` separated by single dots; at
        // most 253 characters.
        "dns_zone" => {
            let mapped: String = aws
                .trim_end_matches('.')
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c.to_ascii_lowercase() } else { '-' })
                .collect();
            let labels: Vec<&str> = mapped.split('.').filter(|l| !l.is_empty()).collect();
            let s = labels.join(".").trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string();
            clamp(if s.is_empty() { "zone".into() } else { s }, 1, 253, '0')
        }
        "resource_group" => resource_group_name(aws),
        // Cosmos containers and everything else: letters, digits, `-`, `_`; alphanumeric at both ends.
        _ => resource_name(aws, 128),
    }
}

/// Resource groups (the AKS node resource group): 1–90 characters, letters, digits, `_`, `-`, `.`, `(`, `)`, not
/// ending with `.` (learn.microsoft.com azure-resource-manager/management/resource-name-rules, Microsoft.Resources
/// resourcegroups). ASCII only: Azure also takes other Unicode letters, which this rule replaces (so a config
/// naming one is reported, never written unchecked).
fn resource_group_name(aws: &str) -> String {
    let mapped: String =
        aws.chars().map(|c| if c.is_ascii_alphanumeric() || "_-.()".contains(c) { c } else { '-' }).collect();
    let s: String = mapped.chars().take(90).collect();
    let s = s.trim_end_matches('.');
    if s.is_empty() { "rg".into() } else { s.to_string() }
}

/// The longest name a rule allows (the suffix of a disambiguated name must fit inside it).
fn max_len(rule: &str) -> usize {
    match rule {
        "queue" | "container" | "table" => 63,
        "storage_account" | "key_vault" => 24,
        "secret" | "key" => 127,
        "service_bus_entity" | "event_hub" | "acr_repository" => 256,
        "dns_zone" => 253,
        "resource_group" => 90,
        IDENTITY => 128,
        CREDENTIAL => 120,
        _ => 128,
    }
}

/// The rule for managed-identity names (from IAM role names).
pub const IDENTITY: &str = "identity";
/// The rule for federated-credential names (from `namespace-name`).
pub const CREDENTIAL: &str = "credential";

fn apply_rule(rule: &str, aws: &str) -> String {
    match rule {
        IDENTITY => resource_name(aws, 128),
        CREDENTIAL => resource_name(aws, 120),
        _ => azure_name(rule, aws),
    }
}

/// A short, stable tag of an AWS source (its ARN, or issuer and subject): the first `len` hex digits of a
/// name-based (v5) UUID, so the same source gets the same suffix on every run and machine.
fn tag(source: &str, len: usize) -> String {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x6e6b_7332_616b_7300_8000_0000_0000_0002);
    uuid::Uuid::new_v5(&NS, source.as_bytes()).simple().to_string()[..len].to_string()
}

/// `base` with the source's tag, within the rule's length and characters.
fn tagged(rule: &str, base: &str, source: &str, len: usize) -> String {
    let t = tag(source, len);
    let keep = max_len(rule).saturating_sub(len + 1);
    let head: String = base.chars().take(keep).collect();
    let head = head.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    apply_rule(rule, &format!("{head}-{t}"))
}

/// The form in which Azure compares two names: without regard to ASCII case, for every rule. Azure resource names
/// are case-insensitive unless the naming-rules table says otherwise (learn.microsoft.com, "Naming rules and
/// restrictions for Azure resources": "Resource and resource group names are case-insensitive unless specifically
/// noted"; this covers managed identities, their federated credentials, queues, containers, storage accounts,
/// vaults, Service Bus entities, Event Hubs and DNS zones); storage table names "are case-insensitive"
/// ("Understanding the Table service data model"); Key Vault objects are identified "using a case-insensitive
/// identifier" ("About keys, secrets, and certificates"); Cosmos DB containers must not be created "with the same
/// name but different casing" ("Create a container in Azure Cosmos DB for Table"). Treating a name as
/// case-insensitive can only ever tag one more name, never merge two.
fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// One name to derive: `domain` is what Azure names must be unique in (an Azure resource type under its one
/// parent, or an identity for its credentials); `source` identifies the AWS thing (its ARN). Borrowed: a plan
/// names 30,000 resources at once, at its peak of memory.
#[derive(Debug, Clone, Copy)]
pub struct NameRequest<'a> {
    /// Uniqueness domain.
    pub domain: &'a str,
    /// Naming rule ([`RULES`], [`IDENTITY`] or [`CREDENTIAL`]).
    pub rule: &'a str,
    /// The AWS name the Azure name is made from.
    pub aws_name: &'a str,
    /// What identifies the AWS source (ARN; issuer and subject for credentials).
    pub source: &'a str,
}

/// Two or more AWS sources whose names map to one Azure name, and the names they get instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The uniqueness domain.
    pub domain: String,
    /// The name they all mapped to.
    pub name: String,
    /// Each source and the name it now gets, sorted by source.
    pub renamed: Vec<(String, String)>,
}

/// The names [`unique_names`] gives: one per (domain, source), found by [`Names::get`].
#[derive(Debug, Default)]
pub struct Names<'a> {
    /// Sorted by (domain, source), one entry each.
    entries: Vec<(NameRequest<'a>, String)>,
}

impl<'a> Names<'a> {
    /// The name of `source` in `domain`.
    pub fn get(&self, domain: &str, source: &str) -> Option<&str> {
        self.entries
            .binary_search_by(|(r, _)| (r.domain, r.source).cmp(&(domain, source)))
            .ok()
            .map(|i| self.entries[i].1.as_str())
    }
}

/// The one naming function for every Azure name derived from an AWS name ("never cross"): the same source always
/// gets the same name, and two sources never share one. Names that collide in a domain — across accounts and
/// regions too — are told apart by a tag of each source's ARN; the source whose AWS name is the Azure name
/// unchanged keeps it when it is the only one. The result does not depend on the order of the requests (for a
/// source requested twice, the first request's AWS name counts). Returns the names and the collisions, for
/// findings that name every source.
pub fn unique_names<'a>(requests: impl IntoIterator<Item = NameRequest<'a>>) -> (Names<'a>, Vec<Collision>) {
    let mut reqs: Vec<NameRequest<'a>> = requests.into_iter().collect();
    // Stable: among requests for one source, the first stays first and is kept.
    reqs.sort_by(|a, b| (a.domain, a.source).cmp(&(b.domain, b.source)));
    reqs.dedup_by(|a, b| a.domain == b.domain && a.source == b.source);
    let mut entries: Vec<(NameRequest<'a>, String)> =
        reqs.into_iter().map(|r| (r, apply_rule(r.rule, r.aws_name))).collect();
    // Group by (domain, name without case): indexes sorted so each group is a run.
    let folded: Vec<String> = entries.iter().map(|(_, n)| fold(n)).collect();
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        (entries[a].0.domain, &folded[a], entries[a].0.source).cmp(&(
            entries[b].0.domain,
            &folded[b],
            entries[b].0.source,
        ))
    });
    let mut runs: Vec<&[usize]> =
        order.chunk_by(|&a, &b| entries[a].0.domain == entries[b].0.domain && folded[a] == folded[b]).collect();
    runs.retain(|r| r.len() > 1);
    if runs.is_empty() {
        return (Names { entries }, Vec::new());
    }
    let mut taken: BTreeSet<(&str, String)> = entries.iter().map(|(r, n)| (r.domain, fold(n))).collect();
    let mut renames: Vec<(usize, String)> = Vec::new();
    let mut collisions = Vec::new();
    for run in runs {
        let (domain, name) = (entries[run[0]].0.domain, entries[run[0]].1.clone());
        // Only a name whose AWS name is the Azure name exactly, case included, can be kept.
        let unchanged: Vec<usize> = run.iter().copied().filter(|&i| entries[i].0.aws_name == entries[i].1).collect();
        let keeper = if let [one] = unchanged[..] { Some(one) } else { None };
        let mut renamed = Vec::new();
        for &i in run {
            let r = entries[i].0;
            let own = entries[i].1.clone();
            if keeper == Some(i) {
                renamed.push((r.source.to_string(), own));
                continue;
            }
            let mut len = 8;
            let mut n = tagged(r.rule, &own, r.source, len);
            while taken.contains(&(domain, fold(&n))) && len < 32 {
                len += 4;
                n = tagged(r.rule, &own, r.source, len);
            }
            taken.insert((domain, fold(&n)));
            renamed.push((r.source.to_string(), n.clone()));
            renames.push((i, n));
        }
        collisions.push(Collision { domain: domain.to_string(), name, renamed });
    }
    for (i, n) in renames {
        entries[i].1 = n;
    }
    (Names { entries }, collisions)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dns_zone_is_named_by_its_domain_lowercased_without_the_final_dot() {
        assert_eq!(super::azure_name("dns_zone", "Example.COM."), "example.com");
        assert_eq!(super::azure_name("dns_zone", "internal.example.com"), "internal.example.com");
        assert_eq!(super::azure_name("dns_zone", "_acme.example..com"), "acme.example.com");
        assert_eq!(super::azure_name("dns_zone", "a b/c.example.com"), "a-b-c.example.com");
        assert_eq!(super::azure_name("dns_zone", "."), "zone");
    }

    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn queue_names() {
        assert_eq!(azure_name("queue", "edw-orders"), "edw-orders");
        assert_eq!(azure_name("queue", "Orders.fifo"), "orders");
        assert_eq!(azure_name("queue", "my_Queue__x"), "my-queue-x");
        assert_eq!(azure_name("queue", "a"), "a00");
    }

    #[test]
    fn table_names() {
        assert_eq!(azure_name("table", "edw-results"), "edwresults");
        assert_eq!(azure_name("table", "1st"), "t1st");
    }

    #[test]
    fn secrets_and_vaults() {
        assert_eq!(azure_name("secret", "prod/db/password"), "prod-db-password");
        assert_eq!(azure_name("key_vault", "9-vault"), "kv-9-vault");
    }

    fn valid(rule: &str, s: &str) -> bool {
        match rule {
            "queue" | "container" => {
                (3..=63).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !s.starts_with('-')
                    && !s.ends_with('-')
                    && !s.contains("--")
            }
            "table" => {
                (3..=63).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric())
                    && s.as_bytes()[0].is_ascii_alphabetic()
            }
            "storage_account" => {
                (3..=24).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            }
            "secret" | "key" => {
                (1..=127).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }
            "resource_group" => {
                (1..=90).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.()".contains(&b))
                    && !s.ends_with('.')
            }
            _ => !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)),
        }
    }

    fn req<'a>(domain: &'a str, rule: &'a str, aws: &'a str, source: &'a str) -> NameRequest<'a> {
        NameRequest { domain, rule, aws_name: aws, source }
    }

    /// Issue 17: `orders.fifo` and `orders`, `ledger_prod` and `ledger-prod`, one queue name in two accounts, and
    /// two IAM roles `svc.reader` / `svc-reader` each keep a name of their own; the unchanged one keeps its name.
    #[test]
    fn colliding_sources_get_names_of_their_own() {
        let q = "Microsoft.Storage/storageAccounts/queueServices/queues";
        let (names, collisions) = unique_names([
            req(q, "queue", "orders.fifo", "arn:aws:sqs:us-east-1:111:orders.fifo"),
            req(q, "queue", "orders", "arn:aws:sqs:us-east-1:111:orders"),
            req(q, "queue", "ledger_prod", "arn:aws:sqs:us-east-1:111:ledger_prod"),
            req(q, "queue", "ledger-prod", "arn:aws:sqs:us-east-1:222:ledger-prod"),
            req(q, "queue", "ledger-prod", "arn:aws:sqs:eu-west-1:222:ledger-prod"),
            req("identity", IDENTITY, "svc.reader", "arn:aws:iam::111:role/svc.reader"),
            req("identity", IDENTITY, "svc-reader", "arn:aws:iam::111:role/svc-reader"),
        ]);
        let get = |d: &str, s: &str| names.get(d, s).unwrap().to_string();
        assert_eq!(get(q, "arn:aws:sqs:us-east-1:111:orders"), "orders");
        let fifo = get(q, "arn:aws:sqs:us-east-1:111:orders.fifo");
        assert!(fifo.starts_with("orders-") && fifo.len() == "orders-".len() + 8, "{fifo}");
        let ledgers: BTreeSet<String> = [
            "arn:aws:sqs:us-east-1:111:ledger_prod",
            "arn:aws:sqs:us-east-1:222:ledger-prod",
            "arn:aws:sqs:eu-west-1:222:ledger-prod",
        ]
        .iter()
        .map(|s| get(q, s))
        .collect();
        assert_eq!(ledgers.len(), 3, "{ledgers:?}");
        assert!(ledgers.iter().all(|n| n.starts_with("ledger-prod-") && valid("queue", n)), "{ledgers:?}");
        assert_eq!(get("identity", "arn:aws:iam::111:role/svc-reader"), "svc-reader");
        assert_ne!(get("identity", "arn:aws:iam::111:role/svc.reader"), "svc-reader");
        assert_eq!(collisions.len(), 3);
        assert!(collisions.iter().all(|c| c.renamed.len() >= 2));
    }

    /// Azure compares these names without regard to case (the review of 4ba9fce: roles `Reader` and `reader`,
    /// tables `Orders` and `orders`, secrets `Prod/DB` and `prod/db` each became one Azure object): names that differ
    /// only in case collide, so each source gets a tagged name of its own and the collision is reported.
    #[test]
    fn names_that_differ_only_in_case_collide() {
        let t = "Microsoft.Storage/storageAccounts/tableServices/tables";
        let s = "Microsoft.KeyVault/vaults/secrets";
        let (names, collisions) = unique_names([
            req("identity", IDENTITY, "Reader", "arn:aws:iam::111122223333:role/Reader"),
            req("identity", IDENTITY, "reader", "arn:aws:iam::444455556666:role/reader"),
            req(t, "table", "Orders", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"),
            req(t, "table", "orders", "arn:aws:dynamodb:us-east-1:444455556666:table/orders"),
            req(s, "secret", "Prod/DB", "arn:aws:secretsmanager:us-east-1:111122223333:secret:Prod/DB"),
            req(s, "secret", "prod/db", "arn:aws:secretsmanager:us-east-1:444455556666:secret:prod/db"),
            req(s, "secret", "other", "arn:aws:secretsmanager:us-east-1:444455556666:secret:other"),
        ]);
        let get = |d: &str, src: &str| names.get(d, src).unwrap().to_ascii_lowercase();
        assert_ne!(
            get("identity", "arn:aws:iam::111122223333:role/Reader"),
            get("identity", "arn:aws:iam::444455556666:role/reader")
        );
        assert_ne!(
            get(t, "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"),
            get(t, "arn:aws:dynamodb:us-east-1:444455556666:table/orders")
        );
        assert_ne!(
            get(s, "arn:aws:secretsmanager:us-east-1:111122223333:secret:Prod/DB"),
            get(s, "arn:aws:secretsmanager:us-east-1:444455556666:secret:prod/db")
        );
        assert_eq!(get(s, "arn:aws:secretsmanager:us-east-1:444455556666:secret:other"), "other");
        assert_eq!(collisions.len(), 3, "{collisions:?}");
        assert!(collisions.iter().all(|c| c.renamed.len() == 2), "{collisions:?}");
    }

    proptest! {
        /// Whatever the requests and their order: one name per (domain, source), distinct within each domain,
        /// valid for the rule, and the same whatever the order.
        #[test]
        fn names_are_unique_valid_and_order_independent(
            reqs in prop::collection::vec(("[ab]", prop::sample::select(RULES), "[a-cA-C._-]{0,5}", "[a-d]{1,3}"), 0..24),
            seed in any::<u64>(),
        ) {
            let sources: Vec<String> = reqs.iter().map(|(_, r, _, s)| format!("{r}:{s}")).collect();
            let list: Vec<NameRequest> = reqs.iter().zip(&sources).map(|((d, r, a, _), s)| req(d, r, a, s)).collect();
            let (names, _) = unique_names(list.clone());
            let mut shuffled = list.clone();
            let n = shuffled.len().max(1);
            shuffled.rotate_left((seed as usize) % n);
            shuffled.reverse();
            // A source's AWS name is fixed by the first request for it; keep that the same in both orders.
            let mut first: BTreeMap<(&str, &str), NameRequest> = BTreeMap::new();
            for r in &list { first.entry((r.domain, r.source)).or_insert(*r); }
            let canonical: Vec<NameRequest> = shuffled.iter().map(|r| first[&(r.domain, r.source)]).collect();
            let (again, _) = unique_names(canonical);
            let mut seen = BTreeSet::new();
            for (&(d, s), r) in &first {
                let n = names.get(d, s).unwrap();
                prop_assert_eq!(Some(n), again.get(d, s));
                prop_assert!(valid(r.rule, n), "{}: {n:?}", r.rule);
                prop_assert!(seen.insert((d, n.to_ascii_lowercase())), "{n} given twice in {d} (case aside)");
            }
        }

        #[test]
        fn every_rule_yields_a_valid_azure_name(input in ".{0,80}", rule in prop::sample::select(RULES)) {
            let out = azure_name(rule, &input);
            prop_assert!(valid(rule, &out), "{rule}: {input:?} -> {out:?}");
        }
    }
}
