//! `check --against DIR`: regenerate the translate output in memory and compare it with a committed one. Every
//! file that differs, is missing or is extra is a drift finding, with a short unified diff.
//!
//! DIR is read under the filesystem policy (README "Safety"), like the inputs: symlinks are followed only to
//! regular files inside DIR, FIFOs, sockets and devices are never opened, and no file is read past the size
//! limit. What is not read is reported (`E2A040`, `E2A041`) by its name alone, never with its content.

use super::Tree;
use super::write::MARKER;
use crate::diag::{Digest, Files, Loc, Pos, Severity};
use crate::plan::FindingEntry;
use similar::TextDiff;
use std::collections::BTreeMap;
use std::path::Path;

/// The committed files (relative path → text), and what was not read: `(code, relative path, why)`.
type Committed = (BTreeMap<String, String>, Vec<(&'static str, String, String)>);

fn read_dir_tree(root: &Path) -> anyhow::Result<Committed> {
    use anyhow::Context;
    fn walk(root: &Path, real_root: &Path, dir: &Path, out: &mut Committed) -> anyhow::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).expect("below root").to_string_lossy().replace('\\', "/");
            let ft = e.file_type()?;
            if ft.is_dir() {
                walk(root, real_root, &p, out)?;
                continue;
            }
            if rel == MARKER {
                continue;
            }
            let mut from = p.clone();
            if ft.is_symlink() {
                match p.canonicalize() {
                    Ok(real) if real.starts_with(real_root) => from = real,
                    Ok(_) => {
                        out.1.push((
                            crate::rules::SYMLINK_OUTSIDE_INPUT,
                            rel,
                            "is a symlink to a file outside the --against directory; not read".into(),
                        ));
                        continue;
                    }
                    Err(_) => {
                        out.1.push((
                            crate::rules::SYMLINK_OUTSIDE_INPUT,
                            rel,
                            "is a symlink that leads nowhere; not read".into(),
                        ));
                        continue;
                    }
                }
            }
            let meta = std::fs::metadata(&from)?;
            if let Some(kind) = crate::diag::files::special_kind(&meta.file_type()) {
                let (code, why) = if meta.is_dir() {
                    (crate::rules::SYMLINK_OUTSIDE_INPUT, "is a symlink to a directory; not followed".to_string())
                } else {
                    (crate::rules::SPECIAL_FILE, format!("is {kind}; it is never read"))
                };
                out.1.push((code, rel, why));
                continue;
            }
            let bytes = crate::diag::files::read_capped(&from, false, crate::diag::files::max_file_size())
                .with_context(|| format!("reading {}", p.display()))?;
            out.0.insert(rel, String::from_utf8_lossy(&bytes).into_owned());
        }
        Ok(())
    }
    let real_root = root.canonicalize()?;
    let mut out = (BTreeMap::new(), Vec::new());
    walk(root, &real_root, root, &mut out)?;
    Ok(out)
}

fn entry(dir: &str, rel: &str, loc: Option<Loc>, message: String, help: Option<String>) -> FindingEntry {
    FindingEntry {
        code: crate::rules::DRIFT,
        severity: Severity::Error,
        message: message.into(),
        loc,
        help: help.map(Into::into),
        file: Some(shown_path(dir, rel).into()),
        suppressed: None,
    }
}

fn shown_path(dir: &str, rel: &str) -> String {
    format!("{}/{rel}", dir.trim_end_matches('/'))
}

/// Compares a fresh translation with a committed directory. A committed file that differs is registered in
/// `files`, so that its finding points at the first line that differs like any other finding.
pub fn compare(fresh: &Tree, dir: &Path, files: &mut Files) -> anyhow::Result<Vec<FindingEntry>> {
    let shown = dir.to_string_lossy().replace('\\', "/");
    let (committed, unread) =
        read_dir_tree(dir).map_err(|e| anyhow::anyhow!("reading --against {}: {e:#}", dir.display()))?;
    let mut out = Vec::new();
    for (code, rel, why) in unread {
        let mut f = entry(&shown, &rel, None, format!("`{}` {why}", shown_path(&shown, &rel)), None);
        f.code = code;
        f.severity = crate::rules::default_severity(code);
        out.push(f);
    }
    for (rel, text) in fresh {
        match committed.get(rel) {
            None => out.push(entry(&shown, rel, None, format!("`{rel}` is missing from the committed output"), None)),
            Some(old) if old != text => {
                let diff = TextDiff::from_lines(old.as_str(), text.as_str());
                let first = diff
                    .ops()
                    .iter()
                    .find(|op| op.tag() != similar::DiffTag::Equal)
                    .map(|op| op.old_range().start as u32 + 1);
                let loc = first.map(|line| Loc {
                    file: files.add_on_disk(shown_path(&shown, rel), dir.join(rel), rel.clone(), Digest::of(old)),
                    pos: Pos { line, col: 1 },
                });
                let unified = diff
                    .unified_diff()
                    .context_radius(2)
                    .header(&format!("{shown}/{rel} (committed)"), &format!("{rel} (translated now)"))
                    .to_string();
                let mut lines: Vec<&str> = unified.lines().collect();
                let more = lines.len().saturating_sub(40);
                lines.truncate(40);
                let mut help = lines.join("\n");
                if more > 0 {
                    help.push_str(&format!("\n… {more} more diff lines"));
                }
                out.push(entry(
                    &shown,
                    rel,
                    loc,
                    format!("`{rel}` differs from what the input translates to now"),
                    Some(help),
                ));
            }
            Some(_) => {}
        }
    }
    for rel in committed.keys().filter(|k| !fresh.contains_key(*k)) {
        out.push(entry(
            &shown,
            rel,
            None,
            format!("`{rel}` is in the committed output but the input no longer produces it"),
            None,
        ));
    }
    Ok(out)
}
