//! Writing `--out` (the output side of the filesystem policy, README "Safety"). Everything is written into a
//! temporary directory beside `--out`, which is then swapped in whole, so a failed or killed run leaves the
//! previous output as it was and never a mix of old and new files.
//!
//! What is in `--out` already decides what happens: files eks2aks recorded in its marker (with the hash they had
//! when written) are eks2aks's, and are replaced or deleted; anything else — a file not recorded, or recorded but
//! changed since — is somebody else's, and makes the run refuse unless `--force`, which keeps those files (hard
//! links in the new directory) and writes eks2aks's files beside them. A `--out` that is a symlink is refused
//! unless `--force`. SIGINT/SIGTERM remove the temporary directory ([`install_signal_cleanup`]); one left by a
//! killed run is removed by the next run once its process is gone.

use crate::ingest::walk::{format_marker, parse_marker};
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use crate::ingest::walk::MARKER;

/// Writes files under a root as they are handed over (from several threads), and remembers what it wrote, with
/// each file's sha256, for the marker file.
pub struct DirWriter {
    root: PathBuf,
    /// `--out` as the user gave it: messages name the files there, not in the temporary directory.
    shown: PathBuf,
    /// Directories known to exist (one `create_dir_all` per directory, not per file).
    dirs: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    written: std::sync::Mutex<Vec<(String, String)>>,
}

impl DirWriter {
    fn new(root: &Path, shown: &Path) -> Self {
        DirWriter {
            root: root.to_path_buf(),
            shown: shown.to_path_buf(),
            dirs: Default::default(),
            written: Default::default(),
        }
    }

    /// The path of `rel`, checked to stay inside the root, with its directory created. The root is a directory
    /// eks2aks has just created, so nothing in it is a symlink.
    fn place(&self, rel: &str) -> Result<PathBuf> {
        if interrupted() {
            bail!("interrupted");
        }
        let path = self.root.join(rel);
        // Relative paths are built by eks2aks from sanitised components; check once more anyway.
        if !path.starts_with(&self.root)
            || rel.split('/').any(|c| c == ".." || c.is_empty() || c == ".")
            || rel == MARKER
        {
            bail!("refusing to write outside the output directory: {rel}");
        }
        if let Some(dir) = path.parent() {
            let known = self.dirs.lock().unwrap_or_else(|e| e.into_inner()).contains(dir);
            if !known {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                self.dirs.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf());
            }
        }
        Ok(path)
    }

    /// Marks `rel` as written with this hash (and executable for scripts).
    fn done(&self, rel: String, path: &Path, hash: String) -> Result<()> {
        #[cfg(unix)]
        if rel.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        }
        self.written.lock().unwrap_or_else(|e| e.into_inner()).push((rel, hash));
        Ok(())
    }

    /// What was written so far: path → sha256.
    fn written(&self) -> BTreeMap<String, String> {
        self.written.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// Writes the marker: what was written, with hashes, sorted.
    fn finish(self) -> Result<()> {
        let list = self.written.into_inner().unwrap_or_else(|e| e.into_inner());
        std::fs::write(self.root.join(MARKER), format_marker(&list))
            .with_context(|| format!("writing {}", self.shown.join(MARKER).display()))?;
        Ok(())
    }
}

/// Lowercase hex of a digest (as `sha256_hex` writes it), from a table: a `format!` per byte was 32 small
/// formatting calls for each of the 43,000 files of a 10,000-app run.
fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * digest.len());
    for &b in digest {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Hashes what goes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.hasher, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl super::Emit for DirWriter {
    fn emit(&self, rel: String, text: String) -> Result<()> {
        let path = self.place(&rel)?;
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        self.done(rel, &path, hex(&sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), &text))))
    }

    fn emit_with(&self, rel: String, write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>) -> Result<()> {
        let path = self.place(&rel)?;
        let file = std::fs::File::create(&path).with_context(|| format!("writing {}", path.display()))?;
        let hashing = HashingWriter { inner: file, hasher: Default::default() };
        let mut w = super::OneFinalNewline::new(std::io::BufWriter::with_capacity(1 << 16, hashing));
        // A failure here is mostly a template's (a user's `--templates` copy): name the file as it will be in --out.
        write(&mut w).with_context(|| format!("rendering {}", self.shown.join(&rel).display()))?;
        let hashing = w
            .finish()
            .and_then(|b| b.into_inner().map_err(std::io::IntoInnerError::into_error))
            .with_context(|| format!("writing {}", path.display()))?;
        let hash = hex(&sha2::Digest::finalize(hashing.hasher));
        self.done(rel, &path, hash)
    }
}

/// `--out` must be a directory or not exist yet, and not a symlink unless `--force`. Checked before the analysis
/// too, so a wrong `--out` fails at once.
pub fn check_out(out: &Path, force: bool) -> Result<()> {
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) && !force {
        bail!(
            "--out {} is a symlink; eks2aks does not write through it unless --force (which writes into the directory it points to)",
            out.display()
        );
    }
    if out.exists() && !out.is_dir() {
        bail!("--out {} exists and is not a directory", out.display());
    }
    Ok(())
}

/// What an existing `--out` holds, judged by its marker.
#[derive(Debug, Default)]
struct Inventory {
    /// Files (and symlinks, FIFOs, empty directories, …) that are not eks2aks's unchanged output, relative,
    /// `/`-separated.
    foreign: BTreeSet<String>,
}

/// Lists `dir` without following symlinks: the files the marker records with their current hash are eks2aks's,
/// everything else is foreign.
fn inventory(dir: &Path) -> Result<Inventory> {
    let recorded: BTreeMap<String, Option<String>> = match std::fs::symlink_metadata(dir.join(MARKER)) {
        Ok(m) if m.is_file() => {
            let bytes = crate::diag::files::read_capped(&dir.join(MARKER), false, crate::diag::files::max_file_size())
                .with_context(|| format!("reading {}", dir.join(MARKER).display()))?;
            parse_marker(&String::from_utf8_lossy(&bytes)).into_iter().collect()
        }
        _ => BTreeMap::new(),
    };
    let mut inv = Inventory::default();
    // Recorded files to hash: (relative path, recorded hash), hashed in parallel below.
    let mut candidates: Vec<(String, String)> = Vec::new();
    fn walk(
        root: &Path,
        dir: &Path,
        rec: &BTreeMap<String, Option<String>>,
        inv: &mut Inventory,
        candidates: &mut Vec<(String, String)>,
    ) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading {}", dir.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).expect("below root").to_string_lossy().replace('\\', "/");
            let ft = e.file_type().with_context(|| format!("reading {}", p.display()))?;
            if ft.is_dir() {
                // An empty directory is somebody's too (eks2aks writes none).
                if std::fs::read_dir(&p).is_ok_and(|mut d| d.next().is_none()) {
                    inv.foreign.insert(rel);
                } else {
                    walk(root, &p, rec, inv, candidates)?;
                }
            } else if rel == MARKER {
                continue;
            } else {
                match rec.get(&rel) {
                    Some(Some(hash)) if ft.is_file() => candidates.push((rel, hash.clone())),
                    _ => {
                        inv.foreign.insert(rel);
                    }
                }
            }
        }
        Ok(())
    }
    walk(dir, dir, &recorded, &mut inv, &mut candidates)?;
    // Hashing a large output is most of the work of a re-run: on every core.
    let changed: Vec<String> = crate::par::install(|| {
        candidates
            .par_iter()
            .with_min_len(256)
            .filter(|(rel, hash)| crate::ingest::walk::sha256_of_file(&dir.join(rel)).as_deref() != Some(hash.as_str()))
            .map(|(rel, _)| rel.clone())
            .collect()
    });
    inv.foreign.extend(changed);
    Ok(inv)
}

/// Temporary directories of this process to remove when it is interrupted ([`install_signal_cleanup`]). The swap
/// holds the lock, so the handler never removes a directory half-way through it.
static CLEANUP: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Set by the signal handler: writers stop creating files and directories (which could bring back a temporary
/// directory being removed), and a run that fails because of it waits for the handler's exit.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Removes every registered temporary directory (what the signal handler does before exiting).
pub fn remove_temporary_dirs() {
    let dirs = CLEANUP.lock().unwrap_or_else(|e| e.into_inner());
    for d in dirs.iter() {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Installs the handler of SIGINT, SIGTERM and SIGHUP for the binary: it removes `translate`'s temporary
/// directory and exits with status 130. Only the binary calls it: a library does not take over signals.
pub fn install_signal_cleanup() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        // Taken and held until exit: a swap in progress finishes first, and none starts after.
        let dirs = CLEANUP.lock().unwrap_or_else(|e| e.into_inner());
        for d in dirs.iter() {
            // Again if a writer that was already past its check added a file meanwhile.
            for _ in 0..5 {
                if std::fs::remove_dir_all(d).is_ok() || !d.exists() {
                    break;
                }
            }
        }
        std::process::exit(130);
    });
}

/// Registration of temporary directories for [`CLEANUP`], undone on drop.
struct Registered(Vec<PathBuf>);

impl Registered {
    fn new(dirs: Vec<PathBuf>) -> Self {
        CLEANUP.lock().unwrap_or_else(|e| e.into_inner()).extend(dirs.iter().cloned());
        Registered(dirs)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        CLEANUP.lock().unwrap_or_else(|e| e.into_inner()).retain(|d| !self.0.contains(d));
    }
}

/// True while process `pid` exists (or is someone else's).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        // SAFETY: signal 0 sends nothing; it only checks that the process exists and may be signalled.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes `.<name>.eks2aks-tmp-<pid>` directories that runs killed by SIGKILL (or a power cut) left beside
/// `out`, once their process is gone. An `-old-` directory (the previous output, moved aside where the swap cannot
/// be atomic) is put back when `out` itself is missing, and removed otherwise.
fn clean_stale(parent: &Path, name: &str, out: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    let me = std::process::id();
    let mut found: Vec<(PathBuf, bool)> = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let file_name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&format!(".{name}.eks2aks-")) else { continue };
        let (old, pid) = match (rest.strip_prefix("tmp-"), rest.strip_prefix("old-")) {
            (Some(p), _) => (false, p),
            (_, Some(p)) => (true, p),
            _ => continue,
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid == me || alive(pid) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        found.push((e.path(), old));
    }
    found.sort();
    for (path, old) in found {
        if old && std::fs::symlink_metadata(out).is_err() && std::fs::rename(&path, out).is_ok() {
            continue;
        }
        let _ = std::fs::remove_dir_all(&path);
    }
}

/// Exchanges two directories in one step (Linux `renameat2(RENAME_EXCHANGE)`); `Ok(false)` where the platform or
/// the filesystem cannot.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let ca = std::ffi::CString::new(a.as_os_str().as_bytes())?;
        let cb = std::ffi::CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: two NUL-terminated paths that live across the call; AT_FDCWD resolves them as given.
        let r =
            unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => Ok(false),
            _ => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Carries what `--force` keeps from the old output into the new one: hard links (a copy where a link is not
/// allowed) for files, the same target for symlinks, empty directories. eks2aks's new file replaces a kept one at
/// the same path; a kept entry where eks2aks writes a directory, or inside a file eks2aks writes, refuses the run.
fn carry_over(old: &Path, new: &Path, inv: &Inventory, ours: &BTreeMap<String, String>) -> Result<()> {
    // Directories eks2aks wrote into.
    let our_dirs: BTreeSet<&str> = ours.keys().flat_map(|r| r.match_indices('/').map(move |(i, _)| &r[..i])).collect();
    for rel in &inv.foreign {
        if interrupted() {
            bail!("interrupted");
        }
        if ours.contains_key(rel.as_str()) {
            continue;
        }
        let from = old.join(rel);
        let to = new.join(rel);
        let meta = std::fs::symlink_metadata(&from).with_context(|| format!("reading {}", from.display()))?;
        if let Some(file) = rel.match_indices('/').map(|(i, _)| &rel[..i]).find(|a| ours.contains_key(*a)) {
            bail!(
                "refusing to write into {}: {rel} would have to be kept inside {file}, a file eks2aks writes",
                old.display()
            );
        }
        if our_dirs.contains(rel.as_str()) {
            if meta.is_dir() {
                continue;
            }
            let kind = if meta.file_type().is_symlink() { "a symlink" } else { "a file" };
            bail!(
                "refusing to write into {}: {rel} is {kind} in the output directory, where eks2aks writes a directory",
                old.display()
            );
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        if meta.is_dir() {
            std::fs::create_dir_all(&to).with_context(|| format!("keeping {}", from.display()))?;
            let _ = std::fs::set_permissions(&to, meta.permissions());
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from).with_context(|| format!("reading {}", from.display()))?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, &to).with_context(|| format!("keeping {}", from.display()))?;
            #[cfg(not(unix))]
            bail!("cannot keep the symlink {} ({})", from.display(), target.display());
        } else if meta.is_file() {
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).with_context(|| format!("keeping {}", from.display()))?;
            }
        } else {
            let kind = crate::diag::files::special_kind(&meta.file_type()).unwrap_or("a special file");
            bail!(
                "cannot keep {} in the new output: it is {kind}; move it away or choose another --out",
                from.display()
            );
        }
    }
    Ok(())
}

/// Fills `out` through `fill`, which hands files to the [`DirWriter`] as it renders them, into a temporary
/// directory beside `out` that then takes its place in one step; a failure leaves the old output untouched and no
/// partial output. Unchanged files of a previous run are replaced (or deleted when no longer produced); any other
/// file refuses the run unless `force`, which keeps it.
pub fn write_with(out: &Path, force: bool, fill: impl FnOnce(&DirWriter) -> Result<()>) -> Result<()> {
    check_out(out, force)?;
    let exists = std::fs::symlink_metadata(out).is_ok();
    // Work on the real, absolute path: `--out .` has no name to put a sibling beside, and a symlinked `--out`
    // (with --force) is the directory it points to.
    let real = if exists {
        out.canonicalize().with_context(|| format!("resolving {}", out.display()))?
    } else {
        std::path::absolute(out).with_context(|| format!("resolving {}", out.display()))?
    };
    let inv = if exists { inventory(&real)? } else { Inventory::default() };
    if !inv.foreign.is_empty() && !force {
        let n = inv.foreign.len();
        let shown: Vec<&str> = inv.foreign.iter().take(5).map(String::as_str).collect();
        bail!(
            "--out {} is not empty and was not written by eks2aks: {n} file{} it did not write or that changed since ({}{}); choose another directory or pass --force (which keeps them)",
            out.display(),
            if n == 1 { "" } else { "s" },
            shown.join(", "),
            if n > 5 { ", …" } else { "" }
        );
    }
    let parent =
        real.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    clean_stale(&parent, &name, &real);
    let tmp = parent.join(format!(".{name}.eks2aks-tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.eks2aks-old-{}", std::process::id()));
    let _registered = Registered::new(vec![tmp.clone(), old.clone()]);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let w = DirWriter::new(&tmp, out);
    let built = fill(&w).and_then(|()| {
        if exists && !inv.foreign.is_empty() {
            carry_over(&real, &tmp, &inv, &w.written())?;
        }
        w.finish()?;
        // The new directory gets the old one's permissions (set last: a read-only one could not be filled).
        if exists && let Ok(m) = std::fs::metadata(&real) {
            let _ = std::fs::set_permissions(&tmp, m.permissions());
        }
        Ok(())
    });
    if let Err(e) = built {
        if interrupted() {
            // The signal handler removes the directory and exits with 130; this error is only its consequence.
            loop {
                std::thread::park();
            }
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    // The swap: under the lock, so that a signal arriving now waits for it and then removes what is left.
    let lock = CLEANUP.lock().unwrap_or_else(|e| e.into_inner());
    let swapped = if exists {
        match exchange(&tmp, &real) {
            // `tmp` now holds the previous output.
            Ok(true) => Ok(()),
            Ok(false) => swap_by_renames(&tmp, &old, &real),
            Err(e) => Err(anyhow::Error::from(e).context(format!("moving the new output to {}", out.display()))),
        }
    } else {
        std::fs::rename(&tmp, &real).with_context(|| format!("moving the new output to {}", out.display()))
    };
    drop(lock);
    let _ = std::fs::remove_dir_all(&tmp);
    swapped?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    Ok(())
}

/// Where directories cannot be exchanged in one step: the previous output is moved aside, the new one moved in,
/// and the previous one put back if that fails (a kill in between is repaired by the next run, [`clean_stale`]).
fn swap_by_renames(tmp: &Path, old: &Path, out: &Path) -> Result<()> {
    std::fs::rename(out, old).with_context(|| format!("moving the previous {} aside", out.display()))?;
    if let Err(e) = std::fs::rename(tmp, out) {
        let _ = std::fs::rename(old, out);
        return Err(e).with_context(|| format!("moving the new output to {}", out.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Emit;

    /// The marker's hashes are the same text whichever way a file reached the writer: the table-driven hex of
    /// `emit` and `emit_with` is `sha256_hex`'s, for every byte value.
    #[test]
    fn hex_is_sha256_hexs_lowercase_hex() {
        let all: Vec<u8> = (0..=255).collect();
        let text = "apiVersion: v1\nkind: ServiceAccount\n";
        let digest = sha2::Digest::finalize(sha2::Digest::chain_update(sha2::Sha256::default(), text));
        assert_eq!(hex(&digest), crate::ingest::walk::sha256_hex(text.as_bytes()));
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), want);
    }

    fn write(out: &Path, force: bool, files: &[(&str, &str)]) -> Result<()> {
        write_with(out, force, |w| {
            for (rel, text) in files {
                w.emit(rel.to_string(), text.to_string())?;
            }
            Ok(())
        })
    }

    fn tree(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.extend(tree(&p).into_iter().map(|r| format!("{name}/{r}")));
            } else {
                out.push(name);
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_rerun_replaces_and_deletes_only_its_own_unchanged_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, false, &[("a.txt", "a"), ("k8s/b.yaml", "b")]).unwrap();
        let marker = std::fs::read_to_string(out.join(MARKER)).unwrap();
        assert!(marker.contains(&format!("{}  k8s/b.yaml\n", crate::ingest::walk::sha256_hex(b"b"))), "{marker}");
        // Its own files, unchanged: replaced, and one no longer produced is deleted.
        write(&out, false, &[("a.txt", "a2")]).unwrap();
        assert_eq!(tree(&out), [MARKER, "a.txt"]);
        // An edited file is no longer eks2aks's: refused without --force, kept with it.
        std::fs::write(out.join("a.txt"), "edited").unwrap();
        std::fs::write(out.join("README"), "mine").unwrap();
        let err = write(&out, false, &[("c.txt", "c")]).unwrap_err().to_string();
        assert!(err.contains("2 files it did not write or that changed since (README, a.txt)"), "{err}");
        std::fs::create_dir_all(out.join("empty")).unwrap();
        write(&out, true, &[("c.txt", "c")]).unwrap();
        assert_eq!(tree(&out), [MARKER, "README", "a.txt", "c.txt"]);
        assert!(out.join("empty").is_dir(), "an empty directory of the user's is kept");
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "edited");
        // The kept files are not recorded as eks2aks's.
        let marker = std::fs::read_to_string(out.join(MARKER)).unwrap();
        assert!(!marker.contains("README") && !marker.contains("a.txt"), "{marker}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["out"]);
    }

    #[test]
    fn a_planted_marker_does_not_make_a_directory_eks2aks_s() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(MARKER), "").unwrap();
        std::fs::write(out.join("policy.json"), "{}").unwrap();
        let err = write(&out, false, &[("a.txt", "a")]).unwrap_err().to_string();
        assert!(err.contains("not written by eks2aks") && err.contains("policy.json"), "{err}");
        assert_eq!(tree(&out), [MARKER, "policy.json"]);
        // Even a marker that lists the file by name, without its hash, does not.
        std::fs::write(out.join(MARKER), "policy.json\n").unwrap();
        assert!(write(&out, false, &[("a.txt", "a")]).is_err());
        assert_eq!(std::fs::read_to_string(out.join("policy.json")).unwrap(), "{}");
    }

    #[test]
    fn a_failed_fill_leaves_the_old_output_and_no_temporary_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out, false, &[("a.txt", "a")]).unwrap();
        let r = write_with(&out, false, |w| {
            w.emit("a.txt".into(), "new".into())?;
            bail!("template failed")
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "a");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn stale_temporary_directories_of_dead_processes_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        // A process that has exited: its pid is free (and not reused this soon).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = tmp.path().join(format!(".out.eks2aks-tmp-{dead}"));
        let live = tmp.path().join(format!(".out.eks2aks-tmp-{}", std::os::unix::process::parent_id()));
        let other = tmp.path().join(format!(".other.eks2aks-tmp-{dead}"));
        for d in [&stale, &live, &other] {
            std::fs::create_dir_all(d.join("bicep")).unwrap();
        }
        write(&out, false, &[("a.txt", "a")]).unwrap();
        assert!(!stale.exists(), "a dead run's directory is removed");
        assert!(live.exists(), "a live process's directory is left alone");
        assert!(other.exists(), "another --out's directory is left alone");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_out_is_refused_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir_all(&real).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        let err = write(&tmp.path().join("link"), false, &[("a.txt", "a")]).unwrap_err().to_string();
        assert!(err.contains("is a symlink") && err.contains("--force"), "{err}");
        assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
        write(&tmp.path().join("link"), true, &[("a.txt", "a")]).unwrap();
        assert!(real.join("a.txt").is_file());
        assert!(std::fs::symlink_metadata(tmp.path().join("link")).unwrap().file_type().is_symlink());
    }
}
