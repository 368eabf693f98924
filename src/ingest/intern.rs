//! One copy of each repeated string the model keeps. An export of 10,000 roles repeats the same dozen actions,
//! condition operators and keys and OIDC provider ARNs 140,000 times, and 43,000 manifests the same few kinds,
//! API versions and namespaces; the model keeps them as shared `Arc<str>`s instead (about 17 MB less at 10,000
//! apps).
//!
//! The table is per reading thread, so nothing crosses threads but the shared strings themselves; it goes with
//! its thread, or by [`forget`] when reading is done (it holds one entry per distinct string, never a copy of the
//! text). Sharing changes no output: only identical text is shared.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

thread_local! {
    static STRINGS: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::new());
}

/// The shared copy of `s`.
pub fn intern(s: &str) -> Arc<str> {
    STRINGS.with_borrow_mut(|set| {
        if let Some(shared) = set.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = s.into();
        set.insert(shared.clone());
        shared
    })
}

/// Empties this thread's table (when reading is done).
pub fn forget() {
    STRINGS.with_borrow_mut(|set| *set = HashSet::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_one_allocation_until_forgotten() {
        let a = intern("s3:GetObject");
        let b = intern(&String::from("s3:GetObject"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &intern("s3:PutObject")));
        forget();
        let c = intern("s3:GetObject");
        assert_eq!(a, c);
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
