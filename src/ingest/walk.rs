//! Finds the input files: files and directories (recursive), `-` for standard input.
//!
//! Directories are walked in sorted order; hidden directories, `target/`, and the `--out` directory are skipped;
//! only `*.yaml`, `*.yml` and `*.json` are read from directories, while a file named on the command line is
//! always read. Symbolic links to directories are not followed (no loops, nothing outside the tree).

use std::path::{Path, PathBuf};

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputFile {
    /// Path as shown to the user (relative to how it was given, `/`-separated).
    pub display: String,
    /// Path relative to the INPUT argument (for output layout).
    pub relative: String,
    /// Where to read it; `None` for standard input.
    pub path: Option<PathBuf>,
}

/// An INPUT that could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    /// The path as given or found.
    pub display: String,
    /// What went wrong.
    pub message: String,
}

fn wanted(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

fn display_of(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Expands INPUT arguments into a sorted, de-duplicated list of files.
pub fn walk(inputs: &[PathBuf], skip: Option<&Path>) -> (Vec<InputFile>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let skip = skip.and_then(|p| p.canonicalize().ok());
    for input in inputs {
        if input.as_os_str() == "-" {
            files.push(InputFile { display: "<stdin>".into(), relative: "stdin.yaml".into(), path: None });
            continue;
        }
        match std::fs::metadata(input) {
            Err(e) => errors.push(WalkError {
                display: display_of(input),
                message: match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file or directory".into(),
                    _ => e.to_string(),
                },
            }),
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                walk_dir(input, input, skip.as_deref(), &mut found, &mut errors, 0);
                files.extend(found);
            }
            Ok(_) => {
                let relative =
                    input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "input.yaml".into());
                files.push(InputFile { display: display_of(input), relative, path: Some(input.clone()) });
            }
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.display == b.display);
    (files, errors)
}

fn walk_dir(
    root: &Path,
    dir: &Path,
    skip: Option<&Path>,
    out: &mut Vec<InputFile>,
    errors: &mut Vec<WalkError>,
    depth: usize,
) {
    if depth > 64 {
        errors.push(WalkError {
            display: display_of(dir),
            message: "directory tree deeper than 64 levels; not walked further".into(),
        });
        return;
    }
    if let Some(skip) = skip
        && dir.canonicalize().ok().as_deref() == Some(skip)
    {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(WalkError { display: display_of(dir), message: e.to_string() });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            // Hidden directories, build output, and eks2aks's own output (it holds a marker file) are not input.
            if name.starts_with('.')
                || name == "target"
                || name == "node_modules"
                || path.join(".eks2aks-output").is_file()
            {
                continue;
            }
            walk_dir(root, &path, skip, out, errors, depth + 1);
        } else if (ft.is_file() || (ft.is_symlink() && path.is_file())) && wanted(&name) {
            let relative = path.strip_prefix(root).map(display_of).unwrap_or_else(|_| name.clone());
            out.push(InputFile { display: display_of(&path), relative, path: Some(path) });
        }
    }
}
