//! Issue 19: the stages are layered, and a test keeps them so (ARCHITECTURE.md, "Layers"). A module may use the modules of lower layers
//! only: never one of its own layer (a sideways import) or of a higher one (an upward import). Test code
//! (`#[cfg(test)]` modules) and comments are not counted.

use std::collections::BTreeSet;
use std::path::Path;

/// The layers, bottom first. `lib.rs`, `main.rs`, `cli.rs` and `commands/` (the pipeline, the command line and one file per verb) sit above all.
const LAYERS: &[&[&str]] = &[
    &["text", "glob", "json", "par"],
    &["rules", "templates"],
    &["diag"],
    &["model", "yaml"],
    &["config"],
    &["ingest"],
    &["graph"],
    &["mapping"],
    &["plan"],
    // `report` renders the plan (plan.json, plan.md, the table) and holds the template-value machinery that
    // `render` and `check` use for their own views: it sits below them, and they never call each other.
    &["report"],
    &["render", "check"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn stages_import_only_lower_layers() {
    let mut files = Vec::new();
    crate::rs_files(Path::new("src"), &mut files);
    files.sort();
    let mut found: BTreeSet<(String, String, String)> = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix("src").unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_string();
        let Some(from) = layer(&module) else {
            assert!(
                ["lib", "main", "cli", "commands"].contains(&module.as_str()),
                "{module}: a module of no layer (add it to LAYERS)"
            );
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (target, line) in crossings(&module, from, &text) {
            found.insert((rel.display().to_string(), target, line));
        }
    }
    assert!(found.is_empty(), "imports across the layers (upward or sideways):\n{found:#?}");
}

/// The imports of `module` (in layer `from`) that are not of a lower layer: (target module, line). Comments and the
/// test module at the end of a file are skipped.
fn crossings(module: &str, from: usize, text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let code = text.split("\n#[cfg(test)]").next().unwrap();
    for line in code.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            let target: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if target == module {
                continue;
            }
            if !matches!(layer(&target), Some(to) if to < from) {
                out.push((target, line.chars().take(100).collect()));
            }
        }
    }
    out
}

/// The scanner itself: an upward, a sideways and a grouped import are caught; a downward one, a comment and test
/// code are not.
#[test]
fn the_layering_scan_catches_what_it_must() {
    let m = layer("mapping").unwrap();
    let text = "use crate::plan::Plan;\nuse crate::graph::Joined;\n// crate::render::x\nlet x = crate::mapping::y;\nuse crate::{plan, diag};\n#[cfg(test)]\nmod tests { use crate::render::z; }\n";
    let found: Vec<String> = crossings("mapping", m, text).into_iter().map(|(t, _)| t).collect();
    assert_eq!(found, ["plan", ""]);
    let r = layer("render").unwrap();
    assert_eq!(crossings("render", r, "use crate::check::Report;").len(), 1, "siblings do not import each other");
}
