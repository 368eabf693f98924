//! Every input file is registered once; findings refer to it by [`FileId`]. Every file eks2aks reads (inputs,
//! `check --against`, the config) goes through [`read_capped`]: regular files only (a FIFO only when the user
//! named it), nothing of the kernel's `/proc` or `/sys`, and never more than the size limit.

use std::path::PathBuf;

/// Index of a registered file in [`Files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// One registered input file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (relative stays relative), with `/` separators. Shared with the plan entries
    /// that name the file (every finding and permission statement of a large export).
    pub display: std::sync::Arc<str>,
    /// The path to read it from, when it is not `display` itself (see [`SourceFile::path`]). Most files are read
    /// from the path they are shown as: one copy of the name instead of three (5 MB at 43,000 files).
    path: Option<Box<std::path::Path>>,
    /// Path relative to the INPUT argument it was found under (see [`SourceFile::relative`]).
    relative: Relative,
    /// The text (empty when the file was not valid UTF-8): kept from reading for input that was not a file on
    /// disk (stdin, in-memory input), otherwise read again when first needed. Keeping every file's text for the
    /// whole run was 1× the input's size in memory for nothing: only findings and `translate` look at it again.
    text: std::sync::OnceLock<String>,
    /// For a file whose text was not kept: the length and hash of the text that was read, so that a file changed
    /// since is noticed rather than quoted or rewritten wrongly.
    digest: Option<Digest>,
    /// Byte offsets of line starts, built on first use (findings in a large export look up many lines).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// Where a file's relative path is: the end of its display path (the usual case), or a copy.
#[derive(Debug)]
enum Relative {
    /// `display[start..]`.
    Tail(usize),
    /// A path that is not the end of the display path.
    Own(Box<str>),
}

impl Relative {
    fn new(display: &str, relative: String) -> Self {
        match display.len().checked_sub(relative.len()) {
            Some(start) if display.ends_with(relative.as_str()) && (start == 0 || display[..start].ends_with('/')) => {
                Relative::Tail(start)
            }
            _ => Relative::Own(relative.into()),
        }
    }
}

/// Length and hash of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(usize, u64);

impl Digest {
    /// The digest of `text`.
    pub fn of(text: &str) -> Self {
        use std::hash::{Hash, Hasher};
        // DefaultHasher::new() has fixed keys: the same text gives the same hash in every run.
        let mut h = std::hash::DefaultHasher::new();
        text.hash(&mut h);
        Digest(text.len(), h.finish())
    }
}

/// Byte offsets where the lines of `text` start (the first is 0).
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// Byte offsets of line starts as YAML counts lines: after `\n`, `\r\n` and a lone `\r` (YAML 1.2 §5.4). The
/// manifest rewrite maps the YAML parser's positions to bytes with it: counting only `\n`, a lone `\r` in a
/// comment shifted every later edit by a line (found by the `rewriter` fuzz target; the rewrite's check refused
/// the result).
pub fn yaml_line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            out.push(i + 1);
        }
    }
    out
}

/// Registry of all input files of a run.
#[derive(Debug, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    /// Registers a file whose text is kept in memory and returns its id.
    pub fn add(&mut self, display: String, path: PathBuf, relative: String, text: String) -> FileId {
        self.push(SourceFile {
            path: (path.as_os_str() != display.as_str()).then(|| path.into_boxed_path()),
            relative: Relative::new(&display, relative),
            display: display.into(),
            text: std::sync::OnceLock::from(text),
            digest: None,
            line_starts: Default::default(),
        })
    }

    /// Registers a file on disk whose text (of this digest) is read again from `path` when needed.
    pub fn add_on_disk(&mut self, display: String, path: PathBuf, relative: String, digest: Digest) -> FileId {
        self.push(SourceFile {
            path: (path.as_os_str() != display.as_str()).then(|| path.into_boxed_path()),
            relative: Relative::new(&display, relative),
            display: display.into(),
            text: Default::default(),
            digest: Some(digest),
            line_starts: Default::default(),
        })
    }

    /// Makes room for `n` more files (the reader knows how many it will add).
    pub fn reserve(&mut self, n: usize) {
        self.files.reserve_exact(n);
    }

    fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion files"));
        self.files.push(file);
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

    /// The path as shown to the user, shared.
    pub fn display_shared(&self, id: FileId) -> std::sync::Arc<str> {
        self.files[id.0 as usize].display.clone()
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
    /// The path to read it from (also used to find sibling files).
    pub fn path(&self) -> &std::path::Path {
        self.path.as_deref().unwrap_or_else(|| std::path::Path::new(&*self.display))
    }

    /// Path relative to the INPUT argument it was found under (used for `k8s/<relative path>` output).
    pub fn relative(&self) -> &str {
        match &self.relative {
            Relative::Tail(start) => &self.display[*start..],
            Relative::Own(own) => own,
        }
    }

    /// The text, read again (and kept from then on) if it was not kept; empty when the file cannot be read again
    /// or has changed since it was read (a finding then shows no source line). See [`SourceFile::read_text`].
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| self.reload().unwrap_or_default())
    }

    /// The text for one use, without keeping it: `translate` rewrites each file once, so the texts need not all
    /// be in memory at the same time. An error when the file has changed since it was read.
    pub fn read_text(&self) -> anyhow::Result<std::borrow::Cow<'_, str>> {
        match self.text.get() {
            Some(t) => Ok(std::borrow::Cow::Borrowed(t)),
            None => self.reload().map(std::borrow::Cow::Owned),
        }
    }

    fn reload(&self) -> anyhow::Result<String> {
        let bytes = read_capped(self.path(), false, max_file_size())
            .map_err(|e| anyhow::anyhow!("cannot read {} again: {e}", self.display))?;
        let text = decode(bytes).0;
        anyhow::ensure!(
            self.digest == Some(Digest::of(&text)),
            "{} changed while eks2aks was running; run it again",
            self.display
        );
        Ok(text)
    }

    /// Byte offsets where lines start (the first is 0), built once per file.
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| line_starts(self.text()))
    }

    /// The text of line `n` (1-based, without its line break); empty past the end. Like `text.lines().nth(n - 1)`
    /// but through an index, not a scan.
    pub fn line(&self, n: usize) -> &str {
        line_of(self.text(), self.line_starts(), n)
    }
}

/// The per-file read limit when none is configured: 64 MiB, ten times the largest IAM export we have seen.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

static MAX_FILE_SIZE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(DEFAULT_MAX_FILE_SIZE);

/// Sets the per-file read limit of this process (`--max-file-size`, or `max_file_size` in eks2aks.yaml).
pub fn set_max_file_size(bytes: u64) {
    MAX_FILE_SIZE.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// The per-file read limit in force.
pub fn max_file_size() -> u64 {
    MAX_FILE_SIZE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Longer than the limit (by its size, or by what it kept producing).
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Not a regular file: "a FIFO", "a socket", "a character device", …
    Special(&'static str),
    /// A file of `/proc` or `/sys`: looks regular, but its size means nothing and its text is the process's.
    Kernel,
    /// The operating system's error.
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge { limit } => write!(
                f,
                "larger than the {} limit per file (raise it with --max-file-size or `max_file_size` in eks2aks.yaml)",
                human_size(*limit)
            ),
            ReadError::Special(kind) => write!(f, "not a regular file ({kind}); not read"),
            ReadError::Kernel => write!(f, "a file of the kernel (/proc or /sys), not an input; not read"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// What a file that is not a regular file is, in words; `None` for a regular file.
pub fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
        if ft.is_char_device() {
            return Some("a character device");
        }
        if ft.is_block_device() {
            return Some("a block device");
        }
    }
    if ft.is_file() {
        None
    } else if ft.is_dir() {
        Some("a directory")
    } else if ft.is_symlink() {
        Some("a symlink")
    } else {
        Some("a special file")
    }
}

/// True for a file on the kernel's `/proc` or `/sys` (same device as those mount points): such files report
/// size 0 or 4096 whatever they hold, and hold the process's environment, memory maps and so on.
fn on_kernel_fs(meta: &std::fs::Metadata) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        static DEVS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
        let devs = DEVS.get_or_init(|| {
            ["/proc", "/sys"].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.dev()).collect()
        });
        devs.contains(&meta.dev())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = meta;
        false
    }
}

/// Reads a file under the filesystem policy (README "Safety"): it must be a regular file — or a FIFO, when `named`
/// (a path the user gave on the command line: `<(helm template …)` is one) — not on `/proc` or `/sys`, and at most
/// `limit` bytes. The type is checked before opening (a FIFO or a tape drive is never opened) and again on the
/// opened file (a file swapped in between); the read itself stops after `limit + 1` bytes, so a file that grows or
/// lies about its size is bounded too.
pub fn read_capped(path: &std::path::Path, named: bool, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, size) = open_capped(path, named, limit)?;
    read_limited(file, size, limit)
}

/// The number of leading `/`-separated components two displayed file paths share: the nearest-directory rule that
/// joins a workload to its ServiceAccount, an association or a KEDA object to its cluster's copy.
pub fn common_prefix_len(a: &str, b: &str) -> usize {
    a.split('/').zip(b.split('/')).take_while(|(x, y)| x == y).count()
}

/// The policy's test of a file's metadata: a regular file (no device, FIFO, socket or directory), not on `/proc`
/// or `/sys`, at most `limit` bytes.
fn regular_within(meta: &std::fs::Metadata, limit: u64) -> Result<(), ReadError> {
    if let Some(kind) = special_kind(&meta.file_type()) {
        return Err(ReadError::Special(kind));
    }
    if on_kernel_fs(meta) {
        return Err(ReadError::Kernel);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(())
}

/// Opens a file under the policy of [`read_capped`]; returns it with its size (0 for a FIFO). The caller reads at
/// most `limit + 1` bytes of it (see [`read_limited`]).
pub fn open_capped(path: &std::path::Path, named: bool, limit: u64) -> Result<(std::fs::File, u64), ReadError> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    let stream = named && std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type());
    #[cfg(not(unix))]
    let stream = {
        let _ = named;
        false
    };
    if !stream {
        regular_within(&meta, limit)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: a regular file swapped for a FIFO after the check above does not hang the open (reads of
        // a regular file ignore the flag). A FIFO the user named is opened as usual: it waits for its writer.
        opts.custom_flags(libc::O_NOCTTY | if stream { 0 } else { libc::O_NONBLOCK });
    }
    let file = opts.open(path)?;
    if !stream {
        let now = file.metadata()?;
        if let Some(kind) = special_kind(&now.file_type()) {
            return Err(ReadError::Special(kind));
        }
    }
    Ok((file, if stream { 0 } else { meta.len() }))
}

/// Reads a file the input walk found in a directory and saw as a regular file of `len` bytes (its type from the
/// directory listing, its size from a look relative to the directory), under the policy of [`read_capped`] but
/// without [`open_capped`]'s look by path before the open: the walk's look is the check before opening, which
/// saves a walk of the whole path per file (one of three; 43,000 files in a large monorepo). `path` is the entry
/// itself or a symlink's real path, never a symlink, so it is opened without following one (`O_NOFOLLOW`: a file
/// swapped for a symlink since the walk is refused as one), without blocking (a file swapped for a FIFO cannot
/// hang the run) and without becoming a controlling terminal; the opened file's type, filesystem and size are
/// then checked before a byte is read, and the read stops after `limit + 1` bytes.
pub fn read_walked(path: &std::path::Path, len: u64, limit: u64) -> Result<Vec<u8>, ReadError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if len > limit {
            return Err(ReadError::TooLarge { limit });
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => ReadError::Special("a symlink"),
                _ => ReadError::Io(e),
            })?;
        let meta = file.metadata()?;
        regular_within(&meta, limit)?;
        read_limited(file, meta.len(), limit)
    }
    #[cfg(not(unix))]
    {
        let _ = len;
        read_capped(path, false, limit)
    }
}

/// Reads at most `limit` bytes of `r`; more is [`ReadError::TooLarge`].
pub fn read_limited(r: impl std::io::Read, size_hint: u64, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(usize::try_from(size_hint.min(limit)).unwrap_or(0).saturating_add(1));
    r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(buf)
}

/// `64 MiB`, `512 KiB`, `100 bytes`.
pub fn human_size(n: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// Parses a size: `1048576`, `512KiB`, `64MiB`, `1GiB` (also `K`/`KB`/`M`/`MB`/`G`/`GB`, all powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{s}` is not a size (e.g. 64MiB, 512KiB, 1048576)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("`{s}`: unknown unit (use KiB, MiB or GiB)")),
    };
    let bytes = n.checked_mul(1 << shift).ok_or_else(|| format!("`{s}` is too large"))?;
    if bytes == 0 {
        return Err("the size limit must be more than 0".into());
    }
    Ok(bytes)
}

/// Line `n` (1-based, without its line break) of `text` whose line starts are `starts`; empty past the end.
pub fn line_of<'t>(text: &'t str, starts: &[usize], n: usize) -> &'t str {
    let Some(&start) = n.checked_sub(1).and_then(|i| starts.get(i)) else { return "" };
    let end = starts.get(n).map_or(text.len(), |&e| e - 1);
    if start >= text.len() {
        return "";
    }
    text[start..end].strip_suffix('\r').unwrap_or(&text[start..end])
}

/// Bytes → text: strips a UTF-8 BOM; decodes UTF-16 with a BOM (what Windows PowerShell 5.1 redirects write);
/// invalid UTF-8 is an error at the first bad byte.
pub fn decode(mut bytes: Vec<u8>) -> (String, Option<(super::Pos, String)>) {
    let utf16 = |be: bool, b: &[u8]| -> Option<String> {
        let units: Vec<u16> = b
            .chunks(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])
                } else {
                    u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)])
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    for (bom, be) in [([0xFF, 0xFE], false), ([0xFE, 0xFF], true)] {
        if bytes.starts_with(&bom) {
            return match utf16(be, &bytes[2..]) {
                Some(s) => (s.replace("\r\n", "\n"), None),
                None => (String::new(), Some((super::Pos { line: 1, col: 1 }, "file starts with a UTF-16 byte-order mark but is not valid UTF-16; convert it to UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)".into()))),
            };
        }
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..good]);
            let line = prefix.matches('\n').count() as u32 + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            (
                prefix.into_owned(),
                Some((
                    super::Pos { line, col },
                    format!("file is not valid UTF-8 (byte 0x{:02x} at offset {good})", bytes[good]),
                )),
            )
        }
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

    #[test]
    fn a_file_on_disk_is_read_again_and_a_changed_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sa.yaml");
        let text = "kind: ServiceAccount\nmetadata:\n  name: a\n";
        std::fs::write(&path, text).unwrap();
        let mut files = Files::default();
        let id = files.add_on_disk("sa.yaml".into(), path.clone(), "sa.yaml".into(), Digest::of(text));
        assert_eq!(files.get(id).read_text().unwrap(), text);
        // Not kept by read_text: a change before the next use is noticed.
        std::fs::write(&path, "kind: ServiceAccount\nmetadata:\n  name: b\n").unwrap();
        let err = files.get(id).read_text().unwrap_err().to_string();
        assert!(err.contains("sa.yaml changed while eks2aks was running"), "{err}");
        // Diagnostics quote nothing rather than the wrong line.
        assert_eq!(files.get(id).line(3), "");
        // A deleted file is an error too, naming the file.
        let id2 =
            files.add_on_disk("gone.yaml".into(), dir.path().join("gone.yaml"), "gone.yaml".into(), Digest::of(""));
        assert!(files.get(id2).read_text().unwrap_err().to_string().contains("cannot read gone.yaml again"));
    }

    #[test]
    fn paths_are_stored_once_but_read_back_whole() {
        let mut files = Files::default();
        let cases = [
            // (display, path, relative)
            ("apps/x/sa.yaml", "apps/x/sa.yaml", "x/sa.yaml"),
            ("apps/x/sa.yaml", "apps/x/sa.yaml", "apps/x/sa.yaml"),
            ("sa.yaml", "sa.yaml", "sa.yaml"),
            // A tail that does not start at a `/` is not the relative path.
            ("apps/xsa.yaml", "apps/xsa.yaml", "sa.yaml"),
            ("apps\\x\\sa.yaml", "C:/apps/x/sa.yaml", "x/sa.yaml"),
            ("-", "-", "stdin.yaml"),
        ];
        for (display, path, relative) in cases {
            let id = files.add(display.into(), PathBuf::from(path), relative.into(), String::new());
            let f = files.get(id);
            assert_eq!((&*f.display, f.path(), f.relative()), (display, std::path::Path::new(path), relative));
        }
    }

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err() && parse_size("12 parsecs").is_err() && parse_size("MiB").is_err());
        assert_eq!(human_size(DEFAULT_MAX_FILE_SIZE), "64 MiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn reads_are_capped_by_size_and_by_what_is_produced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "x".repeat(100)).unwrap();
        assert_eq!(read_capped(&p, false, 100).unwrap().len(), 100);
        let err = read_capped(&p, false, 99).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 99 }), "{err}");
        assert!(err.to_string().contains("larger than the 99 bytes limit"), "{err}");
        // A stream that never ends (`/dev/zero` behind a name) stops at the limit.
        let err = read_limited(std::io::repeat(0), 0, 1 << 20).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn special_and_kernel_files_are_not_read() {
        let err = read_capped(std::path::Path::new("/dev/zero"), true, 1 << 20).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (a character device); not read");
        let err = read_capped(std::path::Path::new("/proc/self/environ"), true, 1 << 20).unwrap_err();
        assert!(matches!(err, ReadError::Kernel), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("p.yaml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        // Not named by the user: refused before it is opened (opening it would wait for a writer forever).
        let err = read_capped(&fifo, false, 1 << 20).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (a FIFO); not read");
        assert!(matches!(read_capped(dir.path(), true, 10), Err(ReadError::Special("a directory"))));
    }

    /// A file the walk saw as regular is read without a look by path first, and what it became since the walk is
    /// judged on the opened file: a symlink swapped in is not followed, a FIFO does not hang the run and is not
    /// read, a kernel file is not read, and a file that grew past the limit is refused.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_walked_file_is_judged_again_once_opened() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "kind: ServiceAccount\n").unwrap();
        assert_eq!(read_walked(&p, 21, 100).unwrap(), b"kind: ServiceAccount\n");
        // Larger than the limit by the walk's size: refused before it is opened.
        assert!(matches!(read_walked(&p, 101, 100), Err(ReadError::TooLarge { limit: 100 })));
        // Grown past the limit since the walk: refused by the opened file's size.
        std::fs::write(&p, "x".repeat(200)).unwrap();
        assert!(matches!(read_walked(&p, 21, 100), Err(ReadError::TooLarge { limit: 100 })));
        // Swapped for a symlink (to a readable file): not followed.
        let target = dir.path().join("target.yaml");
        std::fs::write(&target, "secret: 1\n").unwrap();
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink(&target, &p).unwrap();
        let err = read_walked(&p, 10, 100).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (a symlink); not read");
        // Swapped for a FIFO without a writer: the open does not wait, and nothing is read.
        std::fs::remove_file(&p).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(&p).status().unwrap().success());
        let err = read_walked(&p, 10, 100).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file (a FIFO); not read");
        // A file of the kernel, which looks regular.
        let err = read_walked(std::path::Path::new("/proc/self/environ"), 0, 1 << 20).unwrap_err();
        assert!(matches!(err, ReadError::Kernel), "{err}");
        // A directory.
        assert!(matches!(read_walked(dir.path(), 0, 100), Err(ReadError::Special("a directory"))));
    }

    #[test]
    fn a_kept_text_is_not_read_again() {
        let mut files = Files::default();
        let id = files.add("-".into(), PathBuf::from("/nonexistent/-"), "-".into(), "a\nb\n".into());
        assert_eq!(files.get(id).read_text().unwrap(), "a\nb\n");
        assert_eq!(files.get(id).line(2), "b");
    }
}
