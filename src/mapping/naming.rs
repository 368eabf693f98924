//! Azure naming rules: from an AWS resource name to a valid Azure name for the target. Every rule only ever emits
//! characters its Azure resource type accepts, so input text cannot reach Bicep or a path unfiltered; a name that
//! had to change is reported by the caller.

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
        // Cosmos containers and everything else: letters, digits, `-`, `_`; alphanumeric at both ends.
        _ => crate::plan::azure_name(aws, 128),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
            _ => !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)),
        }
    }

    proptest! {
        #[test]
        fn every_rule_yields_a_valid_azure_name(input in ".{0,80}", rule in prop::sample::select(RULES)) {
            let out = azure_name(rule, &input);
            prop_assert!(valid(rule, &out), "{rule}: {input:?} -> {out:?}");
        }
    }
}
