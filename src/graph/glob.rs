//! IAM wildcard matching: `*` matches any run of characters, `?` exactly one. Linear-time two-pointer algorithm
//! with one backtrack point, so hostile patterns cannot make it exponential.

/// Matches `text` against `pattern`. Action names compare case-insensitively (`ignore_case`); resources and
/// condition values do not.
pub fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        // Fast path (almost every IAM and Azure name): bytes, no allocation.
        let eq = |a: u8, b: u8| if ignore_case { a.eq_ignore_ascii_case(&b) } else { a == b };
        return matcher(pattern.as_bytes(), text.as_bytes(), b'*', b'?', eq);
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| if ignore_case { a.to_lowercase().eq(b.to_lowercase()) } else { a == b };
    matcher(&p, &t, '*', '?', eq)
}

fn matcher<T: Copy + PartialEq>(p: &[T], t: &[T], star: T, one: T, eq: impl Fn(T, T) -> bool) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || (p[pi] != star && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star {
            back = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = back {
            pi = sp + 1;
            ti = st + 1;
            back = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == star {
        pi += 1;
    }
    pi == p.len()
}

/// Matches an action (`sqs:ReceiveMessage`) against a policy action pattern (`SQS:Receive*`, `*`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob_match(pattern, action, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wildcards() {
        assert!(glob_match("system:serviceaccount:team-a:*", "system:serviceaccount:team-a:api", false));
        assert!(!glob_match("system:serviceaccount:team-a:*", "system:serviceaccount:team-b:api", false));
        assert!(glob_match("a?c", "abc", false));
        assert!(!glob_match("a?c", "ac", false));
        assert!(glob_match("*", "", false));
        assert!(glob_match("a*b*c", "aXXbYYc", false));
        assert!(!glob_match("A", "a", false));
    }

    #[test]
    fn actions_ignore_case() {
        assert!(action_matches("SQS:receivemessage", "sqs:ReceiveMessage"));
        assert!(action_matches("dynamodb:?etItem", "dynamodb:GetItem"));
        assert!(action_matches("s3:Get*", "s3:GetObject"));
        assert!(!action_matches("s3:Get*", "s3:PutObject"));
    }

    proptest! {
        #[test]
        fn literal_patterns_match_only_themselves(a in "[a-z:]{0,12}", b in "[a-z:]{0,12}") {
            prop_assert_eq!(glob_match(&a, &b, false), a == b);
        }

        #[test]
        fn star_suffix_matches_every_extension(a in "[a-z]{0,8}", rest in "[a-z*?]{0,8}") {
            let pattern = format!("{a}*");
            let text = format!("{a}{rest}");
            prop_assert!(glob_match(&pattern, &text, false));
        }

        #[test]
        fn never_panics(p in ".{0,40}", t in ".{0,40}") {
            let _ = glob_match(&p, &t, true);
        }
    }
}
