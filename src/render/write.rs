//! Writing `--out`: everything goes to a temporary directory beside it and is moved into place, so a failed run
//! leaves the old output untouched; a non-empty directory that eks2aks did not write is refused unless `--force`.

use super::Tree;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The file that marks a directory as eks2aks output (and lists what it wrote).
pub const MARKER: &str = ".eks2aks-output";

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p).map(|mut d| d.next().is_none()).unwrap_or(false)
}

fn write_files(root: &Path, tree: &Tree) -> Result<()> {
    for (rel, text) in tree {
        let path = root.join(rel);
        // Relative paths are built by eks2aks from sanitised components; check once more anyway.
        if !path.starts_with(root) || rel.split('/').any(|c| c == ".." || c.is_empty()) {
            bail!("refusing to write outside the output directory: {rel}");
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        if rel.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    let list: Vec<&str> = tree.keys().map(String::as_str).collect();
    std::fs::write(
        root.join(MARKER),
        format!("# Written by eks2aks translate; this directory is replaced on every run.\n{}\n", list.join("\n")),
    )?;
    Ok(())
}

/// Writes the tree into `out`.
pub fn write_tree(out: &Path, tree: &Tree, force: bool) -> Result<()> {
    let exists = out.exists();
    if exists && !out.is_dir() {
        bail!("--out {} exists and is not a directory", out.display());
    }
    let ours = out.join(MARKER).is_file();
    if exists && !ours && !is_empty_dir(out) {
        if !force {
            bail!(
                "--out {} is not empty and was not written by eks2aks; choose another directory or pass --force",
                out.display()
            );
        }
        // --force on a directory we did not write: write our files over it, leave everything else in place.
        return write_files(out, tree);
    }
    let parent =
        out.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.eks2aks-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    if let Err(e) = write_files(&tmp, tree) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if exists {
        let old = parent.join(format!(".{name}.eks2aks-old-{}", std::process::id()));
        std::fs::rename(out, &old).with_context(|| format!("moving the previous {} aside", out.display()))?;
        std::fs::rename(&tmp, out).with_context(|| format!("moving the new output to {}", out.display()))?;
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    } else {
        std::fs::rename(&tmp, out).with_context(|| format!("moving the new output to {}", out.display()))?;
    }
    Ok(())
}
