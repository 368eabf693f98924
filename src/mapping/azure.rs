//! The Azure side model (issue 18): what a planned role assignment lets an identity do. Two questions, answered
//! from data only:
//!
//! - does a role grant a data action ([`role_grants`]: built-in roles from the bundled definitions in
//!   `mappings/azure-roles.yaml`, custom roles as the plan defines them);
//! - does an assignment's blob ABAC condition let a blob operation through ([`BlobPathCondition::allows`]).
//!
//! The condition is made here too, from the same model, so that what the plan writes (the condition's text in
//! Bicep, the `az` script and plan.json) and what the soundness check evaluates cannot drift apart: both read one
//! [`BlobPathCondition`].
//!
//! A blob condition is two independent limits on a container:
//! - **objects**: reads, writes, creations and deletions of blobs (`blobs/read` except its `Blob.List`
//!   suboperation, `blobs/write`, `blobs/add/action`, `blobs/delete`) are allowed on a blob path matching one of the
//!   clauses: an include pattern (AWS `StringLike`: `*` and `?`, case-sensitive — Azure's `StringLike` has the same
//!   meaning) minus its exclude patterns;
//! - **listing**: the `Blob.List` suboperation is allowed for any prefix, for none, or for a request prefix that
//!   passes one of the tests (`StringEquals`, `StringStartsWith`, `StringLike`).
//!
//! "None" is written as an expression that is always false: no container is named `eks2aks:none` (a container name
//! is 3–63 lower-case letters, digits and hyphens), and the container name is an attribute of every blob operation.

use crate::glob::glob_match;

const B: &str = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/// The blob data actions that act on one blob (its path), besides `blobs/read` (whose `Blob.List` suboperation is
/// the listing): the object part of a condition limits all of them. A test checks the list against the bundled
/// provider operations (`mappings/azure-operations.yaml`), so a new blob action cannot slip past the condition.
/// `blobs/filter/action` (find blobs by tag across the account) has no path and is not among them.
pub const OBJECT_ACTIONS: &[&str] = &[
    "add/action",
    "delete",
    "deleteBlobVersion/action",
    "immutableStorage/runAsSuperUser/action",
    "manageOwnership/action",
    "modifyPermissions/action",
    "move/action",
    "permanentDelete/action",
    "runAsSuperUser/action",
    "tags/read",
    "tags/write",
    "write",
];

/// The blob data action `op` (`read`, `write`, one of [`OBJECT_ACTIONS`]…), spelled as the tables spell it.
pub fn blob_action(op: &str) -> String {
    format!("{B}/{op}")
}

/// The operation of blob data action `d` (`read`, `tags/write`…), compared case-insensitively; `None` for any
/// other data action.
fn blob_op(d: &str) -> Option<&str> {
    (d.len() > B.len() + 1
        && d.is_char_boundary(B.len())
        && d[..B.len()].eq_ignore_ascii_case(B)
        && &d[B.len()..B.len() + 1] == "/")
        .then(|| &d[B.len() + 1..])
}

/// True when `d` is `blobs/read` (reading a blob, or with the `Blob.List` suboperation listing them).
pub fn is_blob_read(d: &str) -> bool {
    blob_op(d).is_some_and(|op| op.eq_ignore_ascii_case("read"))
}

/// True when data action `d` acts on one blob: [`OBJECT_ACTIONS`], or `blobs/read` other than listing.
pub fn is_object_action(d: &str) -> bool {
    blob_op(d)
        .is_some_and(|op| op.eq_ignore_ascii_case("read") || OBJECT_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(op)))
}
const NEVER: &str =
    "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'eks2aks:none'";

/// A test on a listing request's prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrefixTest {
    /// The prefix is exactly this (AWS `StringEquals`, or `StringLike` without a wildcard).
    Equals(String),
    /// The prefix starts with this (AWS `StringLike 'literal*'`).
    StartsWith(String),
    /// The prefix matches this pattern (AWS `StringLike` with other wildcards).
    Like(String),
}

impl PrefixTest {
    /// The test AWS's `StringLike` (or `StringEquals` when `like` is false) on `s3:prefix` stands for.
    pub fn from_aws(value: &str, like: bool) -> Self {
        if !like || !value.contains(['*', '?']) {
            return Self::Equals(value.to_string());
        }
        match value.strip_suffix('*') {
            Some(lit) if !lit.contains(['*', '?']) => Self::StartsWith(lit.to_string()),
            _ => Self::Like(value.to_string()),
        }
    }

    fn text(&self) -> &str {
        match self {
            Self::Equals(s) | Self::StartsWith(s) | Self::Like(s) => s,
        }
    }

    /// Whether a request with prefix `p` passes (Azure's meaning; also AWS's for the operator it came from).
    pub fn passes(&self, p: &str) -> bool {
        match self {
            Self::Equals(s) => p == s,
            Self::StartsWith(s) => p.starts_with(s.as_str()),
            Self::Like(s) => glob_match(s, p, false),
        }
    }

    fn code(&self) -> char {
        match self {
            Self::Equals(_) => '=',
            Self::StartsWith(_) => '^',
            Self::Like(_) => '~',
        }
    }
}

/// Which listings a condition allows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Listing {
    /// No listing.
    None,
    /// Listings whose prefix passes one of the tests.
    Prefixes(Vec<PrefixTest>),
    /// Every listing.
    Any,
}

/// Objects allowed: a path matching `include` and none of `exclude`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clause {
    /// Blob path pattern.
    pub include: String,
    /// Patterns taken out of it (Denies, `NotResource`).
    pub exclude: Vec<String>,
}

impl Clause {
    /// Every object of the container.
    pub fn all() -> Self {
        Self { include: "*".into(), exclude: Vec::new() }
    }

    /// Objects under one path pattern.
    pub fn path(p: &str) -> Self {
        Self { include: p.to_string(), exclude: Vec::new() }
    }

    fn matches(&self, path: &str) -> bool {
        glob_match(&self.include, path, false) && !self.exclude.iter().any(|x| glob_match(x, path, false))
    }
}

/// The kind of blob operation a condition is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOp<'a> {
    /// An operation on the blob at this path (read, write, add, delete).
    Object(&'a str),
    /// A listing with this request prefix (`None`: no prefix).
    List(Option<&'a str>),
}

/// A blob ABAC condition on a container-scoped assignment (see the module documentation). It is kept as a compact
/// encoding of its parts and its text (about 800 characters and more) is made when it is read or written: 10,000 of
/// them were 8 MB at the planner's peak. It serialises, compares and orders as that text.
#[derive(Debug, Clone)]
pub struct BlobPathCondition(Box<str>);

/// A value an ABAC condition cannot carry safely (quotes, backslashes, control characters).
fn unsafe_text(s: &str) -> bool {
    s.chars().any(|c| c == '\'' || c == '\\' || c.is_control())
}

impl BlobPathCondition {
    /// The condition allowing `objects` and `listing`; `Ok(None)` when that is everything (no condition), and
    /// `Err` with the offending text when a path or prefix cannot be written into a condition.
    pub fn new(objects: Vec<Clause>, listing: Listing) -> Result<Option<Self>, String> {
        let mut objects: Vec<Clause> = objects
            .into_iter()
            .map(|mut c| {
                c.exclude.sort();
                c.exclude.dedup();
                c
            })
            .collect();
        objects.sort();
        objects.dedup();
        let listing = match listing {
            Listing::Prefixes(mut t) => {
                t.sort();
                t.dedup();
                Listing::Prefixes(t)
            }
            other => other,
        };
        for c in &objects {
            for p in std::iter::once(&c.include).chain(&c.exclude) {
                if p.is_empty() || unsafe_text(p) {
                    return Err(p.clone());
                }
            }
        }
        if let Listing::Prefixes(t) = &listing
            && let Some(bad) = t.iter().find(|t| unsafe_text(t.text()))
        {
            return Err(bad.text().to_string());
        }
        let all_objects = objects.iter().any(|c| c.include == "*" && c.exclude.is_empty());
        if all_objects && listing == Listing::Any {
            return Ok(None);
        }
        let mut enc = String::new();
        for c in &objects {
            if all_objects && !(c.include == "*" && c.exclude.is_empty()) {
                continue;
            }
            enc.push('o');
            for p in std::iter::once(&c.include).chain(&c.exclude) {
                enc.push('\t');
                enc.push_str(p);
            }
            enc.push('\n');
        }
        match &listing {
            Listing::None => {}
            Listing::Any => enc.push_str("l*\n"),
            Listing::Prefixes(t) => {
                for t in t {
                    enc.push('l');
                    enc.push(t.code());
                    enc.push('\t');
                    enc.push_str(t.text());
                    enc.push('\n');
                }
            }
        }
        Ok(Some(Self(enc.into())))
    }

    /// Objects under one path pattern, no listing.
    pub fn objects_under(path: &str) -> Result<Option<Self>, String> {
        Self::new(vec![Clause::path(path)], Listing::None)
    }

    /// True when the condition allows some objects: `parts().0` is not empty, read without building the parts.
    pub fn allows_objects(&self) -> bool {
        self.0.lines().any(|line| line.starts_with("o\t"))
    }

    /// The condition's parts.
    pub fn parts(&self) -> (Vec<Clause>, Listing) {
        let mut objects = Vec::new();
        let mut tests = Vec::new();
        let mut any = false;
        for line in self.0.lines() {
            if let Some(rest) = line.strip_prefix("o\t") {
                let mut it = rest.split('\t');
                let include = it.next().unwrap_or_default().to_string();
                objects.push(Clause { include, exclude: it.map(str::to_string).collect() });
            } else if line == "l*" {
                any = true;
            } else if let Some(rest) = line.strip_prefix('l') {
                let (code, text) = rest.split_at(1);
                let text = text.strip_prefix('\t').unwrap_or(text).to_string();
                tests.push(match code {
                    "=" => PrefixTest::Equals(text),
                    "^" => PrefixTest::StartsWith(text),
                    _ => PrefixTest::Like(text),
                });
            }
        }
        let listing = if any {
            Listing::Any
        } else if tests.is_empty() {
            Listing::None
        } else {
            Listing::Prefixes(tests)
        };
        (objects, listing)
    }

    /// One condition allowing what either allows: one role assignment per role and scope (Azure refuses a second
    /// one, and Bicep would declare two resources with one `guid()` name; issue 18).
    pub fn union(&self, other: &Self) -> Option<Self> {
        let ((mut oa, la), (ob, lb)) = (self.parts(), other.parts());
        oa.extend(ob);
        let listing = match (la, lb) {
            (Listing::Any, _) | (_, Listing::Any) => Listing::Any,
            (Listing::None, x) | (x, Listing::None) => x,
            (Listing::Prefixes(mut a), Listing::Prefixes(b)) => {
                a.extend(b);
                Listing::Prefixes(a)
            }
        };
        Self::new(oa, listing).expect("parts were checked when made")
    }

    /// Whether the condition lets the operation through: the Azure side's answer, from the same parts the text
    /// is written from.
    pub fn allows(&self, op: BlobOp) -> bool {
        let (objects, listing) = self.parts();
        match op {
            BlobOp::Object(path) => objects.iter().any(|c| c.matches(path)),
            // An absent prefix fails every string operator.
            BlobOp::List(prefix) => match listing {
                Listing::Any => true,
                Listing::None => false,
                Listing::Prefixes(t) => prefix.is_some_and(|p| t.iter().any(|t| t.passes(p))),
            },
        }
    }

    /// The condition's text.
    pub fn text(&self) -> String {
        let (objects, listing) = self.parts();
        let mut parts = Vec::new();
        let all_objects = objects.iter().any(|c| c.include == "*" && c.exclude.is_empty());
        if !all_objects {
            let expr = if objects.is_empty() {
                NEVER.to_string()
            } else {
                let path = |op: &str, p: &str| format!("@Resource[{B}:path] {op} '{p}'");
                let clauses: Vec<String> = objects
                    .iter()
                    .map(|c| {
                        let mut terms = vec![path("StringLike", &c.include)];
                        terms.extend(c.exclude.iter().map(|x| path("StringNotLike", x)));
                        if terms.len() == 1 { terms.remove(0) } else { format!("({})", terms.join(" AND ")) }
                    })
                    .collect();
                clauses.join(" OR ")
            };
            let others: String = OBJECT_ACTIONS.iter().map(|a| format!(" AND !(ActionMatches{{'{B}/{a}'}})")).collect();
            parts.push(format!(
                "((!(ActionMatches{{'{B}/read'}} AND NOT SubOperationMatches{{'Blob.List'}}){others}) OR ({expr}))"
            ));
        }
        let list_expr = match &listing {
            Listing::Any => None,
            Listing::None => Some(NEVER.to_string()),
            Listing::Prefixes(t) => Some(
                t.iter()
                    .map(|t| {
                        let op = match t {
                            PrefixTest::Equals(_) => "StringEquals",
                            PrefixTest::StartsWith(_) => "StringStartsWith",
                            PrefixTest::Like(_) => "StringLike",
                        };
                        format!("@Request[{B}:prefix] {op} '{}'", t.text())
                    })
                    .collect::<Vec<_>>()
                    .join(" OR "),
            ),
        };
        if let Some(e) = list_expr {
            parts.push(format!("((!(ActionMatches{{'{B}/read'}} AND SubOperationMatches{{'Blob.List'}})) OR ({e}))"));
        }
        parts.join(" AND ")
    }

    /// The condition for a role that cannot list (no `blobs/read`): its listing part limits nothing the role
    /// grants, so it is dropped (`None`: no condition is left).
    pub fn for_role_without_listing(&self) -> Option<Self> {
        let (objects, _) = self.parts();
        Self::new(objects, Listing::Any).expect("parts were checked when made")
    }

    /// True when the condition allows nothing at all (no object, no listing).
    pub fn allows_nothing(&self) -> bool {
        let (objects, listing) = self.parts();
        objects.is_empty() && listing == Listing::None
    }
}

impl PartialEq for BlobPathCondition {
    fn eq(&self, other: &Self) -> bool {
        // The encoding is canonical (sorted, deduplicated), and the text is a function of it.
        self.0 == other.0
    }
}

impl Eq for BlobPathCondition {}

impl PartialOrd for BlobPathCondition {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BlobPathCondition {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.0 == other.0 { std::cmp::Ordering::Equal } else { self.text().cmp(&other.text()) }
    }
}

impl serde::Serialize for BlobPathCondition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// Whether a role grants data action `d` (case-insensitive): a custom role by its list, a built-in role by its
/// bundled definition (`id` not found: nothing).
pub fn role_grants(tables: &super::Tables, id: &str, custom: Option<&[String]>, d: &str) -> bool {
    match custom {
        Some(list) => list.iter().any(|x| x.eq_ignore_ascii_case(d)),
        None => tables
            .memo
            .role_index(&tables.roles, id)
            .is_some_and(|i| super::choose::role_grants_data(&tables.roles[i], d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `allows_objects` reads the encoded condition as `parts` does (issue 19: the plan asks it of every
    /// assignment): objects with or without a listing, a listing alone (any, or by prefix).
    #[test]
    fn allows_objects_agrees_with_the_parts() {
        let prefix = Listing::Prefixes(vec![PrefixTest::StartsWith("logs/".into())]);
        let cases = [
            (vec![Clause::path("data/*")], Listing::None, true),
            (vec![Clause::path("data/*")], prefix.clone(), true),
            (Vec::new(), prefix, false),
            (Vec::new(), Listing::Any, false),
        ];
        for (objects, listing, want) in cases {
            let c = BlobPathCondition::new(objects, listing).unwrap().expect("a condition");
            assert_eq!(c.allows_objects(), want, "{c:?}");
            assert_eq!(c.allows_objects(), !c.parts().0.is_empty(), "{c:?}");
        }
    }

    fn cond(objects: Vec<Clause>, listing: Listing) -> BlobPathCondition {
        BlobPathCondition::new(objects, listing).unwrap().unwrap()
    }

    #[test]
    fn listing_only_denies_every_object() {
        let c = cond(vec![], Listing::Any);
        assert!(c.allows(BlobOp::List(None)) && c.allows(BlobOp::List(Some("a/"))));
        assert!(!c.allows(BlobOp::Object("a/b")));
        let t = c.text();
        assert!(t.contains("OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'eks2aks:none')"), "{t}");
        assert!(!t.contains("Blob.List'})) OR"), "listing is not limited: {t}");
    }

    #[test]
    fn objects_only_deny_listing() {
        let c = BlobPathCondition::objects_under("public/*").unwrap().unwrap();
        assert!(c.allows(BlobOp::Object("public/a")) && !c.allows(BlobOp::Object("private/a")));
        assert!(!c.allows(BlobOp::List(Some("public/"))) && !c.allows(BlobOp::List(None)));
        let t = c.text();
        assert!(t.contains("StringLike 'public/*'") && t.ends_with("OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'eks2aks:none'))"), "{t}");
    }

    #[test]
    fn exclusions_and_prefix_tests() {
        let c = cond(
            vec![Clause { include: "*".into(), exclude: vec!["secret/*".into()] }],
            Listing::Prefixes(vec![PrefixTest::from_aws("home/*", true), PrefixTest::from_aws("a*b", true)]),
        );
        assert!(c.allows(BlobOp::Object("x")) && !c.allows(BlobOp::Object("secret/k")));
        assert!(c.allows(BlobOp::List(Some("home/x"))) && c.allows(BlobOp::List(Some("axxb"))));
        assert!(!c.allows(BlobOp::List(Some("hom"))) && !c.allows(BlobOp::List(None)));
        let t = c.text();
        assert!(
            t.contains("StringNotLike 'secret/*'")
                && t.contains("StringStartsWith 'home/'")
                && t.contains("StringLike 'a*b'"),
            "{t}"
        );
        // StringEquals keeps a literal star.
        assert_eq!(PrefixTest::from_aws("home/*", false), PrefixTest::Equals("home/*".into()));
        assert!(!PrefixTest::from_aws("home/*", false).passes("home/x"));
    }

    #[test]
    fn everything_is_no_condition_and_union_widens_each_part() {
        assert!(BlobPathCondition::new(vec![Clause::all()], Listing::Any).unwrap().is_none());
        let a = cond(vec![Clause::path("a/*")], Listing::None);
        let b = cond(vec![], Listing::Any);
        let u = a.union(&b).unwrap();
        assert!(u.allows(BlobOp::Object("a/x")) && u.allows(BlobOp::List(None)) && !u.allows(BlobOp::Object("b")));
        assert!(BlobPathCondition::new(vec![Clause::path("a'b")], Listing::None).is_err());
        assert!(cond(vec![], Listing::None).allows_nothing());
    }

    /// Every blob data action of the bundled provider operations is either the listing/reading `blobs/read`,
    /// the account-wide tag search, or one of the object actions the condition limits.
    #[test]
    fn object_actions_cover_every_bundled_blob_action() {
        let t = crate::mapping::load(None).unwrap();
        let blob: Vec<&String> = t
            .data_actions
            .iter()
            .filter(|d| d.to_ascii_lowercase().starts_with(&format!("{}/", B.to_ascii_lowercase())))
            .collect();
        assert!(blob.len() > 10, "{blob:?}");
        for d in blob {
            let rest = &d[B.len() + 1..];
            assert!(is_object_action(d) || rest == "filter/action", "{d} is not limited by the blob condition");
        }
        for a in OBJECT_ACTIONS {
            assert!(
                t.data_actions.iter().any(|d| d.eq_ignore_ascii_case(&format!("{B}/{a}"))),
                "{a} is not a bundled operation"
            );
        }
    }

    proptest::proptest! {
        /// Made from its parts, a condition gives its parts back (the encoding is lossless and canonical).
        #[test]
        fn parts_round_trip(inc in "[a-z*/]{1,6}", ex in proptest::collection::vec("[a-z*/]{1,6}", 0..3), pre in proptest::collection::vec("[a-z*/]{0,6}", 0..3)) {
            let tests: Vec<PrefixTest> = pre.iter().map(|p| PrefixTest::from_aws(p, true)).collect();
            let listing = if tests.is_empty() { Listing::None } else { Listing::Prefixes(tests) };
            if let Some(c) = BlobPathCondition::new(vec![Clause { include: inc, exclude: ex }], listing).unwrap() {
                let (o, l) = c.parts();
                let again = BlobPathCondition::new(o, l).unwrap().unwrap();
                proptest::prop_assert_eq!(&again, &c);
                proptest::prop_assert_eq!(again.text(), c.text());
            }
        }
    }
}
