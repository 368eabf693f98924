//! Throughput benchmark over a generated corpus (see `examples/gen_corpus.rs`).
//!
//! `cargo bench --bench throughput -- [--apps 1000,10000] [--runs 5] [--out-dir DIR]`
//!
//! For each N it generates the corpus, then times, each in its own process, in `--runs` rounds of all phases
//! (best run of each phase counts):
//! - `floor`: walk + read + parse every file with serde_norway (the maintained serde_yaml) / serde_json into a
//!   value tree, single-threaded — the cost of merely reading the input;
//! - `limit`: walk + read + the event parsers eks2aks itself reads with (saphyr-parser for YAML, jsonc-parser's
//!   scanner for JSON), on every core, building nothing — the least any run that reads the input this way can
//!   cost; the targets are compared with it (README "Scale and robustness": what is left of each target
//!   once the input is read);
//! - `plan`, `check` and `translate`: the real `eks2aks` binary (`plan --format json`, `check --format sarif`,
//!   `translate --out`), with output to /dev/null or a temporary directory. Each run sets `EKS2AKS_TIMINGS`, so
//!   the binary reports its stage times and its own peak resident memory.
//!
//! `translate` writes into a fresh directory under `--out-dir` (default: the system temporary directory). On a
//! machine whose disk makes creating files slow or erratic, `--out-dir /dev/shm` (a tmpfs) measures eks2aks
//! rather than the disk — the floor reads its input from the page cache, i.e. from memory, too.
//!
//! It prints objects/s, MB/s, each stage's share, the ratio to the floor, peak memory against the input's size,
//! the 1k→10k scaling, and the targets as met / not met. Numbers are measured here, never asserted.

#[path = "../examples/gen_corpus.rs"]
#[allow(dead_code)]
mod gen_corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const EKS2AKS: &str = env!("CARGO_BIN_EXE_eks2aks");

fn input_files(dir: &Path) -> Vec<PathBuf> {
    eks2aks::ingest::walk::walk(&[dir.to_path_buf()], None).files.into_iter().filter_map(|f| f.path).collect()
}

/// The floor, in this process: prints `{"objects":N,"peak_kb":K}`.
fn floor(dir: &Path) {
    let mut objects = 0usize;
    for p in input_files(dir) {
        let text = std::fs::read_to_string(&p).unwrap();
        if p.extension().is_some_and(|e| e == "json") {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            objects += v.get("RoleDetailList").and_then(|r| r.as_array()).map_or(1, Vec::len);
            objects += v.get("Policies").and_then(|r| r.as_array()).map_or(0, Vec::len);
        } else {
            for doc in serde_norway::Deserializer::from_str(&text) {
                let _v: serde_norway::Value = serde::Deserialize::deserialize(doc).unwrap();
                objects += 1;
            }
        }
    }
    println!("{{\"objects\":{objects},\"peak_kb\":{}}}", eks2aks::diag::timings::peak_rss_kb());
}

/// The limit, in this process: the input's events, on every core (rayon's default pool); prints
/// `{"objects":N,"peak_kb":K}` where N counts the YAML documents and JSON files.
fn limit(dir: &Path) {
    use rayon::prelude::*;
    let objects: usize = input_files(dir)
        .par_iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            if p.extension().is_some_and(|e| e == "json") {
                let mut scanner = jsonc_parser::Scanner::new(&text, &Default::default());
                while scanner.scan().unwrap().is_some() {}
                return 1;
            }
            let mut parser = saphyr_parser::Parser::new_from_str(&text);
            let mut docs = 0;
            loop {
                match parser.next_event().map(|e| e.unwrap().0) {
                    None | Some(saphyr_parser::Event::StreamEnd) => return docs,
                    Some(saphyr_parser::Event::DocumentStart(_)) => docs += 1,
                    Some(_) => {}
                }
            }
        })
        .sum();
    println!("{{\"objects\":{objects},\"peak_kb\":{}}}", eks2aks::diag::timings::peak_rss_kb());
}

/// One timed run of a phase: wall seconds, peak KiB, stages (name, seconds), objects (floor only).
struct Run {
    secs: f64,
    peak_kb: f64,
    stages: Vec<(String, f64)>,
    /// CPU seconds of work spread over threads inside a stage (the self-checks).
    cpu: Vec<(String, f64)>,
    objects: u64,
}

fn run_phase(name: &str, dir: &Path, out_base: Option<&Path>) -> Run {
    let out_dir = match out_base {
        Some(b) => tempfile::tempdir_in(b).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let mut cmd = match name {
        "floor" | "limit" => {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.args(["--phase", name]).arg(dir);
            c
        }
        "plan" => {
            let mut c = Command::new(EKS2AKS);
            c.args(["plan", "--format", "json"]).arg(dir);
            c
        }
        "check" => {
            let mut c = Command::new(EKS2AKS);
            c.args(["check", "--format", "sarif", "--fail-on", "never"]).arg(dir);
            c
        }
        "translate" => {
            let mut c = Command::new(EKS2AKS);
            c.args(["--quiet", "translate"]).arg(dir).arg("--out").arg(out_dir.path().join("out"));
            c
        }
        other => panic!("unknown phase {other}"),
    };
    cmd.env("EKS2AKS_TIMINGS", "1").stdout(if matches!(name, "floor" | "limit") {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stderr(Stdio::piped());
    let t = Instant::now();
    let out = cmd.output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    let line = if matches!(name, "floor" | "limit") { out.stdout } else { out.stderr };
    let text = String::from_utf8_lossy(&line);
    let last = text.lines().rev().find(|l| l.starts_with('{')).expect("a timings line");
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    let stages = v["stages"]
        .as_array()
        .map(|a| a.iter().map(|s| (s[0].as_str().unwrap().to_string(), s[1].as_f64().unwrap())).collect())
        .unwrap_or_else(|| vec![("parse".to_string(), secs)]);
    let cpu = v["cpu"]
        .as_array()
        .map(|a| a.iter().map(|s| (s[0].as_str().unwrap().to_string(), s[1].as_f64().unwrap())).collect())
        .unwrap_or_default();
    Run { secs, peak_kb: v["peak_kb"].as_f64().unwrap(), stages, cpu, objects: v["objects"].as_u64().unwrap_or(0) }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        let dir = Path::new(&args[i + 2]);
        return if args[i + 1] == "limit" { limit(dir) } else { floor(dir) };
    }
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--apps")
        .map(|i| args[i + 1].split(',').map(|s| s.parse().expect("--apps N[,N…]")).collect())
        .unwrap_or_else(|| vec![1000, 10000]);
    let runs: usize = args.iter().position(|a| a == "--runs").map_or(5, |i| args[i + 1].parse().expect("--runs N"));
    let out_base: Option<PathBuf> = args.iter().position(|a| a == "--out-dir").map(|i| PathBuf::from(&args[i + 1]));
    println!(
        "eks2aks benchmark — {} cores, best of {runs}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut previous: Option<(usize, Vec<f64>)> = None;
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let bytes = gen_corpus::generate(n, dir.path()).unwrap();
        let mb = bytes as f64 / 1e6;
        println!("\nN = {n} applications, {} files, {mb:.1} MB", input_files(dir.path()).len());
        let (mut floor, mut limit) = (0.0, 0.0);
        let mut objects = 0;
        let mut times = Vec::new();
        const PHASES: [&str; 5] = ["floor", "limit", "plan", "check", "translate"];
        // Rounds of every phase in turn (so a slow spell of a shared machine hits all phases alike), then the best
        // run of each phase; a warm-up run first fills the page cache.
        let _ = run_phase("floor", dir.path(), out_base.as_deref());
        let mut all: Vec<Vec<Run>> = PHASES.iter().map(|_| Vec::new()).collect();
        for _ in 0..runs {
            for (k, name) in PHASES.iter().enumerate() {
                all[k].push(run_phase(name, dir.path(), out_base.as_deref()));
            }
        }
        for (name, list) in PHASES.iter().zip(all) {
            let name = *name;
            // Peak memory is that of the same (best) run.
            let best = list.into_iter().min_by(|a, b| a.secs.total_cmp(&b.secs)).unwrap();
            if name == "floor" {
                floor = best.secs;
                objects = best.objects;
            }
            if name == "limit" {
                limit = best.secs;
            }
            times.push(best.secs);
            // KiB → MB (10^6 bytes), the unit of the input size.
            let peak_mb = best.peak_kb * 1024.0 / 1e6;
            let shares: Vec<String> = best
                .stages
                .iter()
                .filter(|(_, s)| 100.0 * s / best.secs >= 0.5)
                .map(|(n, s)| format!("{n} {:.0}%", 100.0 * s / best.secs))
                .collect();
            println!(
                "  {name:<9} {:>7.3} s  {:>8.0} objects/s  {:>5.1} MB/s  {:>5.2}× floor  peak {:>6.1} MB ({:.1}× input)  [{}]",
                best.secs,
                objects as f64 / best.secs,
                mb / best.secs,
                best.secs / floor,
                peak_mb,
                peak_mb / mb,
                shares.join(", ")
            );
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
            for (what, cpu) in &best.cpu {
                // Spread over the threads: its share of the wall time is about its CPU time over the cores.
                println!(
                    "            {what}: {cpu:.3} s CPU (≈ {:.1}% of {name}'s time on {cores} cores)",
                    100.0 * cpu / cores / best.secs
                );
            }
            // Issue 19's targets: `plan` (and `check`, the same work) ≤ 0.4× the floor, `translate` ≤ 0.8×, peak
            // memory ≤ 1.0× the input's bytes.
            let target = match name {
                "plan" | "check" => Some(0.4),
                "translate" => Some(0.8),
                _ => None,
            };
            if let Some(t) = target {
                let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
                println!(
                    "            target ≤ {t}× floor: {}; memory ≤ 1× input: {}",
                    verdict(best.secs / floor <= t),
                    verdict(peak_mb / mb <= 1.0)
                );
                // What the target leaves once the input is read (the limit), against what the run spends past it.
                println!(
                    "            past the limit ({:.2}× floor): the target leaves {:.2}× floor, the run spends {:.2}×",
                    limit / floor,
                    t - limit / floor,
                    (best.secs - limit) / floor
                );
            }
        }
        if let Some((pn, pt)) = &previous {
            // `times` is in PHASES order: floor, limit, plan, check, translate.
            let ratios: Vec<String> = ["plan", "check", "translate"]
                .iter()
                .enumerate()
                .map(|(i, name)| format!("{name} {:.2}×", times[i + 2] / pt[i + 2]))
                .collect();
            let factor = n as f64 / *pn as f64;
            println!(
                "  scaling: {factor:.1}× the apps took {} the time (target ≤ {:.1}×)",
                ratios.join(", "),
                1.1 * factor
            );
        }
        previous = Some((n, times));
    }
}
