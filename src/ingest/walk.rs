//! Finds the input files: files and directories (recursive), `-` for standard input. It owns the input side of
//! the filesystem policy (README "Safety"); reading itself is [`crate::diag::files::read_capped`].
//!
//! Directories are walked in sorted order and only `*.yaml`, `*.yml` and `*.json` are taken from them; a file
//! named on the command line is always taken. Hidden directories, `target/`, `node_modules/` and the `--out`
//! directory are skipped, and every skipped directory but `--out` (named on the same command line) is reported
//! (`E2A042`). Symbolic links to directories are not
//! followed (no loops); a symbolic link to a file is followed only when its real target stays under the input
//! directory (`E2A040` otherwise), and FIFOs, sockets and devices are never read (`E2A041`). A directory holding an
//! eks2aks output marker is walked like any other: only the files the marker records, with the hash they had when
//! eks2aks wrote them, are left out, so a planted marker hides nothing (`E2A043` lists files that changed).

use crate::diag::Sink;
use crate::rules;
use sha2::Digest as _;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The file that marks a directory as eks2aks output and records the files it wrote, one `<sha256>  <path>`
/// line each (the format of `sha256sum`).
pub const MARKER: &str = ".eks2aks-output";

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputFile {
    /// Path as shown to the user (relative to how it was given, `/`-separated).
    pub display: String,
    /// Path relative to the INPUT argument (for output layout).
    pub relative: String,
    /// Where to read it; `None` for standard input.
    pub path: Option<PathBuf>,
    /// Named on the command line (not found in a directory): may be a FIFO (`<(helm template …)`).
    pub named: bool,
    /// What the walk learnt of the file (following a symlink), when it looked: the reader then needs no path
    /// lookup of its own before the one that opens it (see [`Stat`]).
    pub stat: Option<Stat>,
}

/// Size and type of a file found by the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stat {
    /// Bytes.
    pub len: u64,
    /// A regular file.
    pub is_file: bool,
}

impl From<&std::fs::Metadata> for Stat {
    fn from(m: &std::fs::Metadata) -> Self {
        Stat { len: m.len(), is_file: m.is_file() }
    }
}

/// An INPUT that could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    /// The path as given or found.
    pub display: String,
    /// What went wrong.
    pub message: String,
}

/// A file or directory found while walking that is not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Rule code of the finding that reports it.
    pub code: &'static str,
    /// The path as shown to the user.
    pub display: String,
    /// Why, in words.
    pub reason: String,
}

/// What [`walk`] found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files to read, sorted and de-duplicated.
    pub files: Vec<InputFile>,
    /// INPUTs that could not be walked (input errors).
    pub errors: Vec<WalkError>,
    /// Files not read: symlinks out of the input (`E2A040`), special files (`E2A041`), changed output (`E2A043`).
    pub skipped_files: Vec<Skipped>,
    /// Directories not walked, in walk order (`E2A042`).
    pub skipped_dirs: Vec<Skipped>,
    /// Files an output marker records, unchanged: left out of the input, but still searched for static
    /// credentials — a marker is a file anyone can write, hashes included, so it must not hide a key (issue 17,
    /// found by review).
    pub outputs: Vec<InputFile>,
}

fn wanted(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

fn display_of(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Lowercase hex sha256 of `bytes`: what the marker records.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase hex sha256 of a regular file's content, streamed (no copy of the file in memory), under the
/// filesystem policy and the size limit; `None` when it cannot be read under them.
pub fn sha256_of_file(path: &Path) -> Option<String> {
    use std::io::Read;
    let limit = crate::diag::files::max_file_size();
    let (file, _) = crate::diag::files::open_capped(path, false, limit).ok()?;
    let mut hasher = sha2::Sha256::new();
    let mut r = file.take(limit.saturating_add(1));
    let mut buf = [0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
    }
    (total <= limit).then(|| hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The marker's lines: `(path, sha256 hex)`, sorted by path. Comments (`#`) and lines without a hash (markers of
/// eks2aks before 0.2, which recorded paths only) give `None`, and a path that is absolute or climbs out of the
/// directory is dropped.
pub fn parse_marker(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (hash, rel) = match line.split_once("  ") {
            Some((h, r)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(h.to_ascii_lowercase()), r)
            }
            _ => (None, line),
        };
        if rel.starts_with('/') || rel.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            continue;
        }
        out.push((rel.to_string(), hash));
    }
    out.sort();
    out
}

/// The marker's text for `written` (`(path, sha256 hex)`, any order).
pub fn format_marker(written: &[(String, String)]) -> String {
    let mut list: Vec<&(String, String)> = written.iter().collect();
    list.sort();
    let mut text = String::from(
        "# Written by eks2aks translate: the sha256 and path of every file it wrote (as `sha256sum` prints them).\n\
         # The next translate replaces or deletes only these files, and only while they are unchanged; inputs walked\n\
         # later leave out exactly the unchanged ones.\n",
    );
    for (rel, hash) in list {
        text.push_str(hash);
        text.push_str("  ");
        text.push_str(rel);
        text.push('\n');
    }
    text
}

/// Expands INPUT arguments into a sorted, de-duplicated list of files; `skip` (the `--out` or `--against`
/// directory) is not walked.
pub fn walk(inputs: &[PathBuf], skip: Option<&Path>) -> Walk {
    let mut w = Walk::default();
    let skip = skip.and_then(|p| p.canonicalize().ok());
    for input in inputs {
        if input.as_os_str() == "-" {
            w.files.push(InputFile {
                display: "<stdin>".into(),
                relative: "stdin.yaml".into(),
                path: None,
                named: true,
                stat: None,
            });
            continue;
        }
        match std::fs::metadata(input) {
            Err(e) => w.errors.push(WalkError {
                display: display_of(input),
                message: match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file or directory".into(),
                    _ => e.to_string(),
                },
            }),
            Ok(m) if m.is_dir() => {
                let Ok(root) = input.canonicalize() else {
                    w.errors.push(WalkError { display: display_of(input), message: "cannot resolve the path".into() });
                    continue;
                };
                let mut walker = Walker { root, skip: skip.as_deref(), excluded: BTreeSet::new(), w: &mut w };
                walker.dir(input, input, 0);
            }
            // A file the user named is taken whatever it is: the reader refuses what is not a regular file (a FIFO
            // excepted) and what is too large, naming the file.
            Ok(m) => {
                let relative =
                    input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "input.yaml".into());
                w.files.push(InputFile {
                    display: display_of(input),
                    relative,
                    path: Some(input.clone()),
                    named: true,
                    stat: Some(Stat::from(&m)),
                });
            }
        }
    }
    w.files.sort();
    w.files.dedup_by(|a, b| a.display == b.display);
    w
}

/// [`walk`], with what it skipped reported into `sink`: input errors as `E2A001`, skipped files as warnings and
/// skipped directories as one note.
/// Returns the files to read and the output files the markers leave out ([`Walk::outputs`]).
pub fn walk_reporting(inputs: &[PathBuf], skip: Option<&Path>, sink: &mut Sink) -> (Vec<InputFile>, Vec<InputFile>) {
    let w = walk(inputs, skip);
    for e in w.errors {
        sink.push(rules::MALFORMED_INPUT, format!("cannot read `{}`: {}", e.display, e.message), None);
    }
    for s in w.skipped_files {
        let message = format!("`{}` {}", s.display, s.reason);
        sink.push(s.code, message, None).file = Some(s.display.into());
    }
    if let Some(note) = skipped_dirs_note(&w.skipped_dirs) {
        sink.push(rules::DIRECTORY_SKIPPED, note, None);
    }
    (w.files, w.outputs)
}

/// One sentence listing the skipped directories (in walk order, so deterministic), or `None` when there are none.
pub fn skipped_dirs_note(dirs: &[Skipped]) -> Option<String> {
    if dirs.is_empty() {
        return None;
    }
    let list: Vec<String> = dirs.iter().map(|d| format!("`{}/` ({})", d.display, d.reason)).collect();
    let n = dirs.len();
    Some(format!("{n} director{} not read: {}", if n == 1 { "y was" } else { "ies were" }, list.join(", ")))
}

/// One directory INPUT being walked.
struct Walker<'a> {
    /// The INPUT's real path: symlinks must resolve below it.
    root: PathBuf,
    /// The `--out` (or `--against`) directory's real path.
    skip: Option<&'a Path>,
    /// Files recorded, unchanged, in an output marker.
    excluded: BTreeSet<PathBuf>,
    w: &'a mut Walk,
}

impl Walker<'_> {
    fn dir(&mut self, input: &Path, dir: &Path, depth: usize) {
        if depth > 64 {
            self.w.errors.push(WalkError {
                display: display_of(dir),
                message: "directory tree deeper than 64 levels; not walked further".into(),
            });
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.w.errors.push(WalkError { display: display_of(dir), message: e.to_string() });
                return;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        // Only a directory that lists a marker is asked for one (a path lookup per directory less).
        let excluded_here = if entries.iter().any(|e| e.file_name() == MARKER) { self.marker(dir) } else { 0 };
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                // Hidden directories, build output and dependencies are not input; nor is the output directory.
                let reason = if name.starts_with('.') {
                    Some("hidden")
                } else if name == "target" {
                    Some("build output")
                } else if name == "node_modules" {
                    Some("dependencies")
                } else {
                    None
                };
                match reason {
                    Some(r) => self.skip_dir(&path, r.into()),
                    // The `--out`/`--against` directory is named on the same command line, and is not listed: the
                    // plan would otherwise differ between `translate` and `check --against` (drift by itself).
                    None if self.skip.is_some() && path.canonicalize().ok().as_deref() == self.skip => {}
                    None => self.dir(input, &path, depth + 1),
                }
            } else if ft.is_symlink() {
                self.symlink(input, &path, &name);
            } else if wanted(&name) {
                if let Some(kind) = crate::diag::files::special_kind(&ft) {
                    self.skip_file(rules::SPECIAL_FILE, &path, format!("is {kind}; it is never read"));
                } else if !self.excluded.contains(&path) {
                    // Relative to the directory being listed (no walk of the whole path): the reader orders files
                    // by size and keeps the text of what is not a regular file.
                    let stat = entry.metadata().ok().map(|m| Stat::from(&m));
                    self.take(input, path, &name, stat);
                } else {
                    let relative = path.strip_prefix(input).map(display_of).unwrap_or_else(|_| name.clone());
                    self.w.outputs.push(InputFile {
                        display: display_of(&path),
                        relative,
                        path: Some(path),
                        named: false,
                        stat: None,
                    });
                }
            }
        }
        if excluded_here > 0 {
            self.skip_dir(dir, format!("eks2aks output: {excluded_here} files it wrote, unchanged"));
        }
    }

    /// A symlink in a walked directory: taken when it resolves to a regular file below the input; a directory is
    /// not followed, nor is a symlink that cannot be resolved (both are E2A042 notes).
    fn symlink(&mut self, input: &Path, path: &Path, name: &str) {
        let real = match path.canonicalize() {
            Ok(r) => r,
            Err(_) => {
                if wanted(name) {
                    self.skip_file(
                        rules::SYMLINK_OUTSIDE_INPUT,
                        path,
                        "is a symlink that leads nowhere; not read".into(),
                    );
                } else {
                    // Perhaps a directory (a loop, or one that is gone): what is not walked is said (review 2).
                    self.skip_dir(
                        path,
                        "a symlink that cannot be resolved (it leads nowhere or loops), not followed".into(),
                    );
                }
                return;
            }
        };
        let meta = std::fs::metadata(&real);
        if meta.as_ref().is_ok_and(std::fs::Metadata::is_dir) {
            self.skip_dir(path, "a symlink, not followed".into());
            return;
        }
        if !wanted(name) {
            return;
        }
        if !real.starts_with(&self.root) {
            // Its target is not named: the point is not to read or show what lies outside the input.
            self.skip_file(
                rules::SYMLINK_OUTSIDE_INPUT,
                path,
                format!("is a symlink to a file outside the input `{}`; not read", display_of(input)),
            );
            return;
        }
        match meta {
            Ok(m) => match crate::diag::files::special_kind(&m.file_type()) {
                Some(kind) => {
                    self.skip_file(rules::SPECIAL_FILE, path, format!("is a symlink to {kind}; it is never read"))
                }
                // Read from its real path: what was checked is what is read.
                None if !self.excluded.contains(&real) && !self.excluded.contains(path) => {
                    let display = display_of(path);
                    let relative = path.strip_prefix(input).map(display_of).unwrap_or_else(|_| name.to_string());
                    let stat = Some(Stat::from(&m));
                    self.w.files.push(InputFile { display, relative, path: Some(real), named: false, stat });
                }
                None => {}
            },
            Err(e) => self.skip_file(rules::SYMLINK_OUTSIDE_INPUT, path, format!("cannot be resolved: {e}")),
        }
    }

    fn take(&mut self, input: &Path, path: PathBuf, name: &str, stat: Option<Stat>) {
        let relative = path.strip_prefix(input).map(display_of).unwrap_or_else(|_| name.to_string());
        self.w.files.push(InputFile { display: display_of(&path), relative, path: Some(path), named: false, stat });
    }

    fn skip_file(&mut self, code: &'static str, path: &Path, reason: String) {
        self.w.skipped_files.push(Skipped { code, display: display_of(path), reason });
    }

    fn skip_dir(&mut self, path: &Path, reason: String) {
        self.w.skipped_dirs.push(Skipped { code: rules::DIRECTORY_SKIPPED, display: display_of(path), reason });
    }

    /// Reads `dir`'s marker, if it has one: each file it records whose content still has the recorded hash is
    /// left out of the walk. Returns how many; files recorded but changed (or recorded without a hash) are read
    /// as input and reported together.
    fn marker(&mut self, dir: &Path) -> usize {
        let marker = dir.join(MARKER);
        // Only a regular file counts (not a symlink to one elsewhere, not a FIFO); read under the same cap.
        if !std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file()) {
            return 0;
        }
        let Ok(bytes) = crate::diag::files::read_capped(&marker, false, crate::diag::files::max_file_size()) else {
            return 0;
        };
        let mut excluded = 0;
        let mut changed = Vec::new();
        for (rel, hash) in parse_marker(&String::from_utf8_lossy(&bytes)) {
            let path = rel.split('/').fold(dir.to_path_buf(), |p, c| p.join(c));
            // A symlink is never one of ours (eks2aks writes regular files), so it is judged like any other input.
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            if !meta.is_file() {
                continue;
            }
            let same = hash.as_deref().is_some_and(|h| sha256_of_file(&path).as_deref() == Some(h));
            if same {
                self.excluded.insert(path);
                excluded += 1;
            } else if wanted(&rel) {
                changed.push(rel);
            }
        }
        if !changed.is_empty() {
            let n = changed.len();
            let shown: Vec<String> = changed.iter().take(10).map(|r| format!("`{r}`")).collect();
            let more = if n > 10 { format!(" and {} more", n - 10) } else { String::new() };
            self.w.skipped_files.push(Skipped {
                code: rules::OUTPUT_FILE_CHANGED,
                display: display_of(&marker),
                reason: format!(
                    "records {n} file{} that changed since eks2aks wrote {} (or records no hash): {}{more}; {} read as input",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "it" } else { "them" },
                    shown.join(", "),
                    if n == 1 { "it is" } else { "they are" },
                ),
            });
        }
        excluded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(w: &Walk) -> Vec<&str> {
        w.files.iter().map(|f| f.relative.as_str()).collect()
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_only_inside_the_input() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("in");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(tmp.path().join("secret.yaml"), "kind: Secret\n").unwrap();
        std::fs::write(root.join("sub/sa.yaml"), "kind: ServiceAccount\n").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.yaml"), root.join("escape.yaml")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/sa.yaml"), root.join("inside.yaml")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling.yaml")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), root.join("up")).unwrap();
        let w = walk(std::slice::from_ref(&root), None);
        assert_eq!(names(&w), ["inside.yaml", "sub/sa.yaml"]);
        let skipped: Vec<(&str, String)> =
            w.skipped_files.iter().map(|s| (s.code, s.display.rsplit('/').next().unwrap().to_string())).collect();
        assert_eq!(
            skipped,
            [
                ("E2A040", "dangling.yaml".to_string()),
                ("E2A040", "escape.yaml".to_string()),
                ("E2A040", "zero.yaml".to_string()),
            ]
        );
        assert!(w.skipped_files[1].reason.contains("outside the input"), "{:?}", w.skipped_files[1]);
        assert_eq!(w.skipped_dirs.len(), 1);
        assert_eq!(w.skipped_dirs[0].reason, "a symlink, not followed");
    }

    /// Review 2, fs3: a directory symlink back to an ancestor, one that loops on itself, and one that leads nowhere
    /// (the review's `k8s/loop -> ../fs3`, which resolves to `fs3/k8s/../fs3`) are each named in E2A042, never
    /// followed and never silent.
    #[cfg(unix)]
    #[test]
    fn directory_symlinks_that_loop_or_lead_nowhere_are_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("fs3");
        std::fs::create_dir_all(root.join("k8s")).unwrap();
        std::fs::write(root.join("k8s/app.yaml"), "kind: ServiceAccount\n").unwrap();
        std::os::unix::fs::symlink("..", root.join("k8s/ancestor")).unwrap();
        std::os::unix::fs::symlink("../fs3", root.join("k8s/loop")).unwrap();
        std::os::unix::fs::symlink("self", root.join("k8s/self")).unwrap();
        let w = walk(std::slice::from_ref(&root), None);
        assert_eq!(names(&w), ["k8s/app.yaml"]);
        let dirs: Vec<(String, &str)> = (w.skipped_dirs.iter())
            .map(|s| (s.display.rsplit('/').next().unwrap().to_string(), s.reason.as_str()))
            .collect();
        let nowhere = "a symlink that cannot be resolved (it leads nowhere or loops), not followed";
        assert_eq!(
            dirs,
            [
                ("ancestor".to_string(), "a symlink, not followed"),
                ("loop".to_string(), nowhere),
                ("self".to_string(), nowhere)
            ]
        );
        assert!(w.skipped_files.is_empty(), "{:?}", w.skipped_files.iter().map(|s| &s.display).collect::<Vec<_>>());
    }

    #[cfg(unix)]
    #[test]
    fn special_files_in_a_directory_are_reported_not_taken() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("pipe.yaml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let w = walk(&[tmp.path().to_path_buf()], None);
        assert!(w.files.is_empty());
        assert_eq!(w.skipped_files[0].code, "E2A041");
        assert_eq!(w.skipped_files[0].reason, "is a FIFO; it is never read");
        // Named on the command line it is taken (the reader reads a named FIFO, `<(helm template …)`).
        let w = walk(std::slice::from_ref(&fifo), None);
        assert!(w.files[0].named);
    }

    #[test]
    fn skipped_directories_are_listed_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["b/node_modules/x", ".git", "target", "a/.cache", "out", "c"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        let w = walk(&[tmp.path().to_path_buf()], Some(&tmp.path().join("out")));
        let list: Vec<(String, &str)> = w
            .skipped_dirs
            .iter()
            .map(|d| (d.display.strip_prefix(&display_of(tmp.path())).unwrap().to_string(), d.reason.as_str()))
            .collect();
        assert_eq!(
            list,
            [
                ("/.git".to_string(), "hidden"),
                ("/a/.cache".to_string(), "hidden"),
                ("/b/node_modules".to_string(), "dependencies"),
                ("/target".to_string(), "build output"),
            ]
        );
        let note = skipped_dirs_note(&w.skipped_dirs[..1]).unwrap();
        assert!(note.starts_with("1 directory was not read: `") && note.ends_with("/.git/` (hidden)"), "{note}");
    }

    #[test]
    fn a_marker_hides_only_the_unchanged_files_it_records() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("azure");
        std::fs::create_dir_all(out.join("k8s")).unwrap();
        let ours = "kind: ConfigMap\n";
        std::fs::write(out.join("k8s/ours.yaml"), ours).unwrap();
        std::fs::write(out.join("k8s/edited.yaml"), "kind: ConfigMap # edited\n").unwrap();
        std::fs::write(out.join("k8s/secret.yaml"), "kind: Secret\n").unwrap();
        let marker = format_marker(&[
            ("k8s/ours.yaml".into(), sha256_hex(ours.as_bytes())),
            ("k8s/edited.yaml".into(), sha256_hex(b"kind: ConfigMap\n")),
        ]);
        std::fs::write(out.join(MARKER), marker).unwrap();
        let w = walk(&[tmp.path().to_path_buf()], None);
        assert_eq!(names(&w), ["azure/k8s/edited.yaml", "azure/k8s/secret.yaml"]);
        assert_eq!(w.skipped_files.len(), 1);
        assert_eq!(w.skipped_files[0].code, "E2A043");
        assert!(w.skipped_files[0].reason.contains("`k8s/edited.yaml`"), "{:?}", w.skipped_files[0]);
        assert_eq!(w.skipped_dirs[0].reason, "eks2aks output: 1 files it wrote, unchanged");
        // An empty (planted) marker hides nothing.
        std::fs::write(out.join(MARKER), "").unwrap();
        assert_eq!(walk(&[tmp.path().to_path_buf()], None).files.len(), 3);
    }

    /// The walk hands the reader each file's size and type, as a look at the path itself would give them
    /// (following a symlink), so that the reader does not look the path up once more before opening it.
    #[cfg(unix)]
    #[test]
    fn the_walk_records_what_the_reader_needs_to_know_of_each_file() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("in");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/sa.yaml"), "kind: ServiceAccount\n").unwrap();
        std::os::unix::fs::symlink(root.join("sub/sa.yaml"), root.join("link.yaml")).unwrap();
        let w = walk(std::slice::from_ref(&root), None);
        for f in &w.files {
            let m = std::fs::metadata(f.path.as_ref().unwrap()).unwrap();
            assert_eq!(f.stat, Some(Stat { len: m.len(), is_file: true }), "{}", f.display);
        }
        assert_eq!(w.files.len(), 2);
        let named = walk(&[root.join("link.yaml"), "-".into()], None);
        let stats: Vec<Option<Stat>> = named.files.iter().map(|f| f.stat).collect();
        assert_eq!(stats, [Some(Stat { len: 21, is_file: true }), None], "stdin is not looked at");
    }

    #[test]
    fn marker_lines_are_parsed_strictly() {
        let h = "a".repeat(64);
        let text = format!("# comment\n{h}  k8s/a.yaml\nplan.json\n{h}  ../escape.yaml\n{h}  /etc/passwd\n{h}  a//b\n");
        assert_eq!(parse_marker(&text), [("k8s/a.yaml".into(), Some(h.clone())), ("plan.json".into(), None)]);
    }
}
