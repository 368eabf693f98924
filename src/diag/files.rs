//! Every input file is registered once; findings refer to it by [`FileId`].

use std::path::PathBuf;

/// Index of a registered file in [`Files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// One registered input file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (relative stays relative), with `/` separators.
    pub display: String,
    /// The path to read it from (also used to find sibling files).
    pub path: PathBuf,
    /// Path relative to the INPUT argument it was found under (used for `k8s/<relative path>` output).
    pub relative: String,
    /// The text, when the file was valid UTF-8.
    pub text: String,
    /// Byte offsets of line starts, built on first use (findings in a large export look up many lines).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// Registry of all input files of a run.
#[derive(Debug, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    /// Registers a file and returns its id.
    pub fn add(&mut self, display: String, path: PathBuf, relative: String, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion files"));
        self.files.push(SourceFile { display, path, relative, text, line_starts: Default::default() });
        id
    }

    /// The file behind an id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The path as shown to the user.
    pub fn display(&self, id: FileId) -> &str {
        &self.files[id.0 as usize].display
    }

    /// All ids, in registration order.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len()).map(|i| FileId(i as u32))
    }

    /// Number of registered files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file is registered.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl SourceFile {
    /// Byte offsets where lines start (the first is 0), built once per file.
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts
            .get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    /// The text of line `n` (1-based, without its line break); empty past the end. Like `text.lines().nth(n - 1)`
    /// but through an index, not a scan.
    pub fn line(&self, n: usize) -> &str {
        let starts = self.line_starts();
        let Some(&start) = n.checked_sub(1).and_then(|i| starts.get(i)) else { return "" };
        let end = starts.get(n).map_or(self.text.len(), |&e| e - 1);
        if start >= self.text.len() {
            return "";
        }
        self.text[start..end].strip_suffix('\r').unwrap_or(&self.text[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_agrees_with_lines_nth() {
        for text in ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "x\n\ny\nz", "é\nü\n"] {
            let mut files = Files::default();
            let id = files.add("f".into(), PathBuf::from("f"), "f".into(), text.into());
            for n in 1..6 {
                assert_eq!(files.get(id).line(n), text.lines().nth(n - 1).unwrap_or(""), "{text:?} line {n}");
            }
            assert_eq!(files.get(id).line(0), "");
        }
    }
}
