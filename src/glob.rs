//! IAM wildcard matching: `*` matches any run of characters, `?` exactly one. Every wildcard comparison of the
//! tool goes through [`glob_match`] (policy `Resource` against the values workloads name, trust `sub`/`aud`
//! patterns, `StringLike`/`ArnLike` condition values, action patterns against the action catalogue, role
//! patterns in the mapping tables), so its worst case is the tool's.
//!
//! The pattern is split at `*` into segments. The first must match at the start of the text, the last at the end,
//! and each one between is found leftmost, searching on after the previous one's match: for globs, greedy leftmost
//! is exact (a later match of a segment leaves no more room to the ones after it than an earlier one). Each text
//! character is therefore scanned by the search of one segment only:
//!
//! - a segment without `?` is found with `memchr::memmem` (two-way: linear in text and segment) on ASCII text,
//!   and with Knuth–Morris–Pratt on the characters of other text;
//! - a segment with `?` is found by bit-parallel shift-and, one 64-bit word per 64 characters of the segment.
//!
//! **Bound.** With n the text's and m the pattern's length, a match costs O(n + m) steps when every segment that
//! holds a `?` is at most 64 characters long (every pattern IAM accepts in practice: `dynamodb:?etItem`,
//! `arn:aws:s3:::logs-20??/*`), and O(m + n·⌈L/64⌉) in general, where L is the length of the longest segment with
//! a `?` (IAM's own policy size limit, 10,240 characters, keeps L·n/64 within 160 word operations per text
//! character). The tests count steps rather than time: `long_patterns_match_in_linear_steps` pins
//! 8·(n + m) on a 600 KB pattern against a 1.2 MB text.

/// Matches `text` against `pattern`. Action names compare case-insensitively (`ignore_case`); resources and
/// condition values do not. Case-insensitive comparison folds each character to its lower case (characters whose
/// lower case is more than one character, like `İ`, stay as they are), so it is the same on ASCII and other text.
pub fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    steps::take(pattern.len() + text.len());
    // The common shapes first: a literal (`sqs:ReceiveMessage`, a full ARN) and a prefix (`s3:Get*`, `…/*`).
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let eq = |a: &[u8], b: &[u8]| if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b };
    // memchr: a pattern is often a whole ARN, and this search runs on every comparison.
    match memchr::memchr2(b'*', b'?', p) {
        None if !ignore_case || (pattern.is_ascii() && text.is_ascii()) => return eq(p, t),
        // Ignoring case, only on ASCII: other characters may fold to ASCII ones (the Kelvin sign to `k`).
        Some(i) if i + 1 == p.len() && p[i] == b'*' && (!ignore_case || (pattern.is_ascii() && text.is_ascii())) => {
            // A prefix that equals the text's first bytes ends at a character boundary of the text.
            return t.len() >= i && eq(&p[..i], &t[..i]);
        }
        _ => {}
    }
    if pattern.is_ascii() && text.is_ascii() {
        // Fast path (almost every IAM and Azure name): bytes. The ends of the pattern compare ignoring ASCII case
        // in place; only a pattern with segments to search for (two stars or more) has its case folded first.
        let (p, t) = (pattern.as_bytes(), text.as_bytes());
        if ignore_case && p.iter().filter(|&&b| b == b'*').nth(1).is_some() {
            // Action names are short: folded on the stack.
            let mut buf = [0u8; 256];
            if p.len() + t.len() <= buf.len() {
                let (bp, bt) = buf.split_at_mut(p.len());
                bp.copy_from_slice(p);
                bp.make_ascii_lowercase();
                let bt = &mut bt[..t.len()];
                bt.copy_from_slice(t);
                bt.make_ascii_lowercase();
                return matches(bp, bt, false);
            }
            return matches(&p.to_ascii_lowercase(), &t.to_ascii_lowercase(), false);
        }
        return matches(p, t, ignore_case);
    }
    let fold = |c: char| if ignore_case { fold_char(c) } else { c };
    let p: Vec<char> = pattern.chars().map(fold).collect();
    let t: Vec<char> = text.chars().map(fold).collect();
    matches(&p, &t, false)
}

/// A character's lower case when that is one character, else the character itself.
fn fold_char(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// A unit of text: an ASCII byte, or a character.
trait Sym: Copy + Ord {
    const STAR: Self;
    const ONE: Self;
    /// The code point, for the shift-and tables.
    fn code(self) -> u32;
    /// Equal ignoring ASCII case.
    fn eq_ignore_case(self, other: Self) -> bool;
    /// The first occurrence of `needle` (no wildcards, not empty) in `hay`.
    fn find(hay: &[Self], needle: &[Self]) -> Option<usize>;
}

impl Sym for u8 {
    const STAR: u8 = b'*';
    const ONE: u8 = b'?';
    fn code(self) -> u32 {
        self.into()
    }
    fn eq_ignore_case(self, other: u8) -> bool {
        self.eq_ignore_ascii_case(&other)
    }
    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        let at = memchr::memmem::find(hay, needle);
        // Two-way reads each byte of the haystack up to the match a bounded number of times.
        steps::take(needle.len() + at.map_or(hay.len(), |i| i + needle.len()));
        at
    }
}

impl Sym for char {
    const STAR: char = '*';
    const ONE: char = '?';
    fn code(self) -> u32 {
        self.into()
    }
    fn eq_ignore_case(self, other: char) -> bool {
        self.eq_ignore_ascii_case(&other)
    }
    fn find(hay: &[char], needle: &[char]) -> Option<usize> {
        kmp(hay, needle)
    }
}

/// Knuth–Morris–Pratt: at most 2·(|hay| + |needle|) comparisons.
fn kmp<T: Sym>(hay: &[T], needle: &[T]) -> Option<usize> {
    let mut fail = vec![0usize; needle.len()];
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && needle[i] != needle[k] {
            steps::take(1);
            k = fail[k - 1];
        }
        steps::take(1);
        if needle[i] == needle[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for (i, &c) in hay.iter().enumerate() {
        while k > 0 && c != needle[k] {
            steps::take(1);
            k = fail[k - 1];
        }
        steps::take(1);
        if c == needle[k] {
            k += 1;
            if k == needle.len() {
                return Some(i + 1 - k);
            }
        }
    }
    None
}

/// The matcher proper. `ignore_case` (ASCII only) applies to the pattern's two ends; the caller folds the case of
/// a pattern with segments between stars.
fn matches<T: Sym>(p: &[T], t: &[T], ignore_case: bool) -> bool {
    let Some(first_star) = p.iter().position(|&c| c == T::STAR) else {
        return p.len() == t.len() && fits(p, t, ignore_case);
    };
    let last_star = p.iter().rposition(|&c| c == T::STAR).unwrap_or(first_star);
    let (first, last) = (&p[..first_star], &p[last_star + 1..]);
    if first.len() + last.len() > t.len()
        || !fits(first, &t[..first.len()], ignore_case)
        || !fits(last, &t[t.len() - last.len()..], ignore_case)
    {
        return false;
    }
    let (mut pos, end) = (first.len(), t.len() - last.len());
    if last_star > first_star {
        debug_assert!(!ignore_case, "folded by the caller");
        for seg in p[first_star + 1..last_star].split(|&c| c == T::STAR).filter(|s| !s.is_empty()) {
            match search(seg, &t[pos..end]) {
                Some(e) => pos += e,
                None => return false,
            }
        }
    }
    true
}

/// True when `seg` matches `text` of the same length, `?` matching any character.
fn fits<T: Sym>(seg: &[T], text: &[T], ignore_case: bool) -> bool {
    steps::take(seg.len());
    seg.iter().zip(text).all(|(&a, &b)| a == T::ONE || a == b || (ignore_case && a.eq_ignore_case(b)))
}

/// The end of the leftmost match of `seg` (not empty) in `hay`.
fn search<T: Sym>(seg: &[T], hay: &[T]) -> Option<usize> {
    if !seg.contains(&T::ONE) {
        return T::find(hay, seg).map(|i| i + seg.len());
    }
    shift_and(seg, hay)
}

/// 64 characters of a segment for shift-and: per character, the bit set of the positions it may stand at.
struct Block<T> {
    ascii: [u64; 128],
    other: Vec<(T, u64)>,
    any: u64,
}

impl<T: Sym> Block<T> {
    fn mask(&self, c: T) -> u64 {
        match usize::try_from(c.code()) {
            Ok(i) if i < 128 => self.ascii[i],
            _ => self.other.binary_search_by(|(x, _)| x.cmp(&c)).map_or(self.any, |k| self.other[k].1),
        }
    }
}

/// Bit-parallel shift-and (Baeza-Yates–Gonnet) for a segment with `?`: ⌈|seg|/64⌉ word operations per character
/// of `hay`, and the end of the leftmost match.
fn shift_and<T: Sym>(seg: &[T], hay: &[T]) -> Option<usize> {
    let words = seg.len().div_ceil(64);
    let mut blocks: Vec<Block<T>> = (0..words).map(|_| Block { ascii: [0; 128], other: Vec::new(), any: 0 }).collect();
    for (i, &c) in seg.iter().enumerate() {
        let (b, bit) = (&mut blocks[i / 64], 1u64 << (i % 64));
        match usize::try_from(c.code()) {
            _ if c == T::ONE => b.any |= bit,
            Ok(k) if k < 128 => b.ascii[k] |= bit,
            _ => b.other.push((c, bit)),
        }
    }
    for b in &mut blocks {
        b.other.sort();
        // One entry per character, with the positions of all its occurrences.
        b.other.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 |= later.1;
            }
            same
        });
        let any = b.any;
        b.ascii.iter_mut().for_each(|m| *m |= any);
        b.other.iter_mut().for_each(|(_, m)| *m |= any);
    }
    steps::take(seg.len() + words * 128);
    let top = 1u64 << ((seg.len() - 1) % 64);
    let mut state = vec![0u64; words];
    for (i, &c) in hay.iter().enumerate() {
        if !steps::take(words) {
            return None;
        }
        let mut carry = 1u64;
        for (d, b) in state.iter_mut().zip(&blocks) {
            let out = *d >> 63;
            *d = ((*d << 1) | carry) & b.mask(c);
            carry = out;
        }
        if state[words - 1] & top != 0 {
            return Some(i + 1);
        }
    }
    None
}

/// Matches an action (`sqs:ReceiveMessage`) against a policy action pattern (`SQS:Receive*`, `*`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob_match(pattern, action, true)
}

/// Work counter for tests: every comparison or scanned character is a step, and a test can give a budget after
/// which matching gives up (returns `false`), so a test of a slow algorithm fails fast instead of running for
/// seconds. Compiled to nothing outside tests.
mod steps {
    #[cfg(test)]
    thread_local! {
        static STEPS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, u64::MAX)) };
    }

    /// Counts `n` steps; false once the budget is spent.
    #[cfg(test)]
    #[inline]
    pub fn take(n: usize) -> bool {
        STEPS.with(|s| {
            let (done, budget) = s.get();
            let done = done.saturating_add(n as u64);
            s.set((done, budget));
            done <= budget
        })
    }

    #[cfg(not(test))]
    #[inline(always)]
    pub fn take(_: usize) -> bool {
        true
    }

    /// Runs `f` with a budget of steps; returns its result and the steps it took.
    #[cfg(test)]
    pub fn counted<R>(budget: u64, f: impl FnOnce() -> R) -> (R, u64) {
        STEPS.with(|s| s.set((0, budget)));
        let r = f();
        let (done, _) = STEPS.with(|s| s.replace((0, u64::MAX)));
        (r, done)
    }
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

    /// Regression (hostile input): a 600 KB Resource pattern `*aaa…ab` against a 1.2 MB queue URL took ~25 s with
    /// the backtracking two-pointer matcher (O(n·m)). The matcher must do O(n + m) work.
    #[test]
    fn long_patterns_match_in_linear_steps() {
        let pattern = format!("*{}b", "a".repeat(600_000));
        let text = format!("https://sqs.eu-west-1.amazonaws.com/123456789012/{}", "a".repeat(1_200_000));
        let budget = 8 * (pattern.len() + text.len()) as u64;
        for ignore_case in [false, true] {
            let (hit, n) = steps::counted(budget, || glob_match(&pattern, &text, ignore_case));
            assert!(n <= budget, "{n} steps for n + m = {}", pattern.len() + text.len());
            assert!(!hit);
            let text = format!("{text}b");
            let (hit, n) = steps::counted(budget, || glob_match(&pattern, &text, ignore_case));
            assert!(n <= budget && hit, "{n} steps");
        }
        // `?` in short segments, several stars, and non-ASCII text (characters, not bytes).
        let pattern = format!("*a?a*{}b*c?*", "a".repeat(600_000));
        let (hit, n) = steps::counted(budget, || glob_match(&pattern, &text, false));
        assert!(n <= budget && !hit, "{n} steps");
        let text = format!("é{text}bcé");
        let (hit, n) = steps::counted(budget, || glob_match(&pattern, &text, true));
        assert!(n <= budget && hit, "{n} steps");
    }

    /// A segment with `?` longer than 64 characters costs ⌈L/64⌉ word operations per text character (the bound in
    /// the module's doc), here at IAM's own policy size limit.
    #[test]
    fn long_segments_with_question_marks_stay_within_the_stated_bound() {
        let seg = format!("a?{}?b", "a".repeat(10_236));
        let pattern = format!("*{seg}*");
        let text = "a".repeat(200_000);
        let (l, n, m) = (seg.len(), text.len(), pattern.len());
        let budget = (8 * (n + m) + n * l.div_ceil(64)) as u64;
        let (hit, steps) = steps::counted(budget, || glob_match(&pattern, &text, false));
        assert!(steps <= budget && !hit, "{steps} steps");
        let (hit, steps) = steps::counted(budget, || glob_match(&pattern, &format!("{text}b"), false));
        assert!(steps <= budget && hit, "{steps} steps");
    }

    /// The reference: the textbook dynamic programme over (pattern prefix, text prefix), comparing characters as
    /// the tool always has (`to_lowercase` sequences when ignoring case).
    fn reference(p: &str, t: &str, ignore_case: bool) -> bool {
        let (p, t): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
        let eq = |a: char, b: char| if ignore_case { a.to_lowercase().eq(b.to_lowercase()) } else { a == b };
        // row[j]: pattern prefix so far matches t[..j].
        let mut row = vec![false; t.len() + 1];
        row[0] = true;
        for &pc in &p {
            let mut next = vec![false; t.len() + 1];
            if pc == '*' {
                let mut any = false;
                for j in 0..=t.len() {
                    any |= row[j];
                    next[j] = any;
                }
            } else {
                for j in 1..=t.len() {
                    next[j] = row[j - 1] && (pc == '?' || eq(pc, t[j - 1]));
                }
            }
            row = next;
        }
        row[t.len()]
    }

    #[test]
    fn agrees_with_the_reference_on_edge_cases() {
        for (p, t) in [
            ("*", ""),
            ("", ""),
            ("?", ""),
            ("**", "a"),
            ("*a*", "a"),
            ("a*a", "a"),
            ("*?", "é"),
            ("İ", "i"),
            ("K*", "\u{212A}x"),
            ("k", "\u{212A}"),
            ("é*", "éa"),
            ("a?*", "aé"),
        ] {
            for ic in [false, true] {
                assert_eq!(glob_match(p, t, ic), reference(p, t, ic), "{p:?} {t:?} {ic}");
            }
        }
        // A segment with `?` longer than one 64-bit word.
        let p = format!("x*{}?b*", "ab".repeat(40));
        let t = format!("xyz{}Zbq", "ab".repeat(40));
        assert!(glob_match(&p, &t, false) && reference(&p, &t, false));
        assert!(!glob_match(&p, &t.replace('Z', ""), false));
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
        fn agrees_with_the_reference(p in "[ab*?]{0,12}", t in "[ab]{0,14}") {
            prop_assert_eq!(glob_match(&p, &t, false), reference(&p, &t, false));
        }

        #[test]
        fn agrees_with_the_reference_on_any_case_and_script(p in "[aAéÉİiK\u{212A}*?]{0,10}", t in "[aAéÉİiKk\u{212A}ı]{0,12}", ic: bool) {
            prop_assert_eq!(glob_match(&p, &t, ic), reference(&p, &t, ic));
        }

        #[test]
        fn agrees_with_the_reference_on_long_question_mark_segments(
            p in "[ab?]{60,140}", pre in "[ab]{0,40}", post in "[ab]{0,40}", mid in "[ab]{60,140}"
        ) {
            let pattern = format!("*{p}*");
            let text = format!("{pre}{mid}{post}");
            prop_assert_eq!(glob_match(&pattern, &text, false), reference(&pattern, &text, false));
        }

        #[test]
        fn never_panics(p in ".{0,40}", t in ".{0,40}") {
            let _ = glob_match(&p, &t, true);
        }
    }
}
