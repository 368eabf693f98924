//! Writing `--out`: everything goes to a temporary directory beside it and is moved into place, so a failed run
//! leaves the old output untouched; a non-empty directory that eks2aks did not write is refused unless `--force`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The file that marks a directory as eks2aks output (and lists what it wrote).
pub const MARKER: &str = ".eks2aks-output";

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p).map(|mut d| d.next().is_none()).unwrap_or(false)
}

/// Writes files under a root as they are handed over (from several threads), and remembers what it wrote for
/// the marker file.
pub struct DirWriter {
    root: PathBuf,
    /// `--out` as the user gave it: messages name the files there, not in the temporary directory.
    shown: PathBuf,
    /// Writing into a directory eks2aks did not create (`--force`): it may hold symlinks, which are not followed
    /// out of it.
    foreign: bool,
    /// Directories known to exist (one `create_dir_all` per directory, not per file).
    dirs: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    written: std::sync::Mutex<Vec<String>>,
}

impl DirWriter {
    fn new(root: &Path, shown: &Path, foreign: bool) -> Self {
        DirWriter {
            root: root.to_path_buf(),
            shown: shown.to_path_buf(),
            foreign,
            dirs: Default::default(),
            written: Default::default(),
        }
    }

    /// The path of `rel`, checked to stay inside the root, with its directory created.
    fn place(&self, rel: &str) -> Result<PathBuf> {
        let path = self.root.join(rel);
        // Relative paths are built by eks2aks from sanitised components; check once more anyway.
        if !path.starts_with(&self.root) || rel.split('/').any(|c| c == ".." || c.is_empty()) {
            bail!("refusing to write outside the output directory: {rel}");
        }
        if let Some(dir) = path.parent() {
            let known = self.dirs.lock().unwrap_or_else(|e| e.into_inner()).contains(dir);
            if !known {
                if self.foreign {
                    // A symlinked directory inside a foreign --out must not carry our files (or directories)
                    // elsewhere: the deepest part that exists must resolve inside the root.
                    let root =
                        self.root.canonicalize().with_context(|| format!("resolving {}", self.root.display()))?;
                    let mut probe = dir;
                    while std::fs::symlink_metadata(probe).is_err() {
                        probe = probe.parent().unwrap_or(&self.root);
                    }
                    let real = probe.canonicalize().with_context(|| format!("resolving {}", probe.display()))?;
                    if !real.starts_with(&root) {
                        bail!(
                            "refusing to write {rel}: {} leads outside the output directory (a symlink)",
                            probe.display()
                        );
                    }
                }
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                self.dirs.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf());
            }
        }
        if self.foreign && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            bail!("refusing to write {rel}: it is a symlink in the output directory");
        }
        Ok(path)
    }

    /// Marks `rel` as written (and executable for scripts).
    fn done(&self, rel: String, path: &Path) -> Result<()> {
        #[cfg(unix)]
        if rel.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        }
        self.written.lock().unwrap_or_else(|e| e.into_inner()).push(rel);
        Ok(())
    }

    /// Writes the marker: what was written, sorted.
    fn finish(self) -> Result<()> {
        let mut list = self.written.into_inner().unwrap_or_else(|e| e.into_inner());
        list.sort();
        let mut text = String::from("# Written by eks2aks translate; this directory is replaced on every run.\n");
        for rel in &list {
            text.push_str(rel);
            text.push('\n');
        }
        std::fs::write(self.root.join(MARKER), text)?;
        Ok(())
    }
}

impl super::Emit for DirWriter {
    fn emit(&self, rel: String, text: String) -> Result<()> {
        let path = self.place(&rel)?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        self.done(rel, &path)
    }

    fn emit_with(&self, rel: String, write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>) -> Result<()> {
        let path = self.place(&rel)?;
        let file = std::fs::File::create(&path).with_context(|| format!("writing {}", path.display()))?;
        let mut w = super::OneFinalNewline::new(std::io::BufWriter::with_capacity(1 << 16, file));
        // A failure here is mostly a template's (a user's `--templates` copy): name the file as it will be in --out.
        write(&mut w).with_context(|| format!("rendering {}", self.shown.join(&rel).display()))?;
        w.finish()
            .and_then(|mut b| std::io::Write::flush(&mut b))
            .with_context(|| format!("writing {}", path.display()))?;
        self.done(rel, &path)
    }
}

/// `--out` must be a directory or not exist yet. Checked before the analysis too, so a wrong `--out` fails at once.
pub fn check_out(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!("--out {} exists and is not a directory", out.display());
    }
    Ok(())
}

/// Fills `out` through `fill`, which hands files to the [`DirWriter`] as it renders them. Into a temporary
/// directory beside `out` that replaces it at the end, so a failure leaves the old output untouched and no
/// partial output; `--force` on a directory eks2aks did not write writes into it directly and keeps other files.
pub fn write_with(out: &Path, force: bool, fill: impl FnOnce(&DirWriter) -> Result<()>) -> Result<()> {
    check_out(out)?;
    let exists = out.exists();
    let ours = out.join(MARKER).is_file();
    if exists && !ours && !is_empty_dir(out) {
        if !force {
            bail!(
                "--out {} is not empty and was not written by eks2aks; choose another directory or pass --force",
                out.display()
            );
        }
        // --force on a directory we did not write: write our files over it, leave everything else in place, and
        // do not mark it as ours — a marked directory is replaced (and its other files deleted) by the next run,
        // and skipped when inputs are walked.
        let w = DirWriter::new(out, out, true);
        return fill(&w);
    }
    // Work on the absolute path: `--out .` has no name to put a sibling beside, and the current directory cannot
    // be renamed by that name.
    let out = if exists {
        out.canonicalize().with_context(|| format!("resolving {}", out.display()))?
    } else {
        out.to_path_buf()
    };
    let out = out.as_path();
    let parent =
        out.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.eks2aks-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let w = DirWriter::new(&tmp, out, false);
    if let Err(e) = fill(&w).and_then(|()| w.finish()) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if exists {
        let old = parent.join(format!(".{name}.eks2aks-old-{}", std::process::id()));
        if let Err(e) = std::fs::rename(out, &old) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e).with_context(|| format!("moving the previous {} aside", out.display()));
        }
        if let Err(e) = std::fs::rename(&tmp, out) {
            // Put the previous output back: a failed run leaves it as it was.
            let _ = std::fs::rename(&old, out);
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e).with_context(|| format!("moving the new output to {}", out.display()));
        }
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    } else if let Err(e) = std::fs::rename(&tmp, out) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e).with_context(|| format!("moving the new output to {}", out.display()));
    }
    Ok(())
}
