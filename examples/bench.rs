//! Throughput benchmark over a generated corpus (see `gen_corpus.rs`).
//!
//! `cargo run --release --example bench -- [--apps 1000,10000]`
//!
//! For each N it generates the corpus, then runs every phase in its own child process (so peak memory is per
//! phase): `floor` = walk + read + parse every file with serde_norway (the maintained serde_yaml) / serde_json
//! into a value tree, single-threaded — the cost of merely reading the input; `plan` = eks2aks's whole `plan`
//! pipeline (read + parse with spans, join, plan, JSON render), with each stage's share. It prints objects/s, MB/s,
//! the ratio to the floor and peak RSS. Numbers are measured, never asserted.

#[path = "gen_corpus.rs"]
#[allow(dead_code)]
mod gen_corpus;

use eks2aks::diag::{Files, Sink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn input_files(dir: &Path) -> Vec<PathBuf> {
    let (files, _) = eks2aks::ingest::walk::walk(&[dir.to_path_buf()], None);
    files.into_iter().filter_map(|f| f.path).collect()
}

/// Runs one phase in this process and prints one JSON line.
fn phase(name: &str, dir: &Path) {
    let t0 = Instant::now();
    let mut stages: Vec<(&str, f64)> = Vec::new();
    let mut objects = 0usize;
    match name {
        "floor" => {
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
            stages.push(("parse", t0.elapsed().as_secs_f64()));
        }
        "plan" => {
            let mut files = Files::default();
            let mut sink = Sink::default();
            let t = Instant::now();
            let mut model = eks2aks::ingest::read(&[dir.to_path_buf()], &Default::default(), &mut files, &mut sink);
            stages.push(("read+parse", t.elapsed().as_secs_f64()));
            objects = model.objects.len() + model.roles.len() + model.managed_policies.len();
            let t = Instant::now();
            let joined = eks2aks::graph::build(&mut model, &files, &mut sink);
            stages.push(("join", t.elapsed().as_secs_f64()));
            let t = Instant::now();
            let tables = eks2aks::mapping::load(None).expect("bundled tables are valid");
            let (plan, _) = eks2aks::plan::build(&model, &joined, &files, &tables, &Default::default(), sink);
            stages.push(("map+plan", t.elapsed().as_secs_f64()));
            let t = Instant::now();
            let out = eks2aks::report::json::render(&plan);
            stages.push(("render", t.elapsed().as_secs_f64()));
            std::hint::black_box(out);
        }
        "check" | "translate" => {
            let tables = eks2aks::mapping::load(None).expect("bundled tables are valid");
            let cfg = eks2aks::config::Config::default();
            let t = Instant::now();
            let a =
                eks2aks::analyse(&[dir.to_path_buf()], &cfg, &tables).unwrap_or_else(|_| panic!("the corpus is valid"));
            stages.push(("analyse", t.elapsed().as_secs_f64()));
            objects = a.model.objects.len() + a.model.roles.len() + a.model.managed_policies.len();
            let t = Instant::now();
            if name == "check" {
                let report = eks2aks::check::report(&a, Vec::new(), eks2aks::check::FailOn::Error, false, &[]);
                std::hint::black_box(eks2aks::check::sarif::render(&report));
                stages.push(("report+sarif", t.elapsed().as_secs_f64()));
            } else {
                let tree =
                    eks2aks::render::translate(&a, &cfg, &tables, &Default::default(), &Default::default()).unwrap();
                stages.push(("render", t.elapsed().as_secs_f64()));
                let t = Instant::now();
                let out = tempfile::tempdir().unwrap();
                eks2aks::render::write::write_tree(&out.path().join("out"), &tree, false).unwrap();
                stages.push(("write", t.elapsed().as_secs_f64()));
            }
        }
        other => panic!("unknown phase {other}"),
    }
    let total = t0.elapsed().as_secs_f64();
    let stages: Vec<String> = stages.iter().map(|(n, s)| format!("[\"{n}\",{s}]")).collect();
    println!(
        "{{\"secs\":{total},\"objects\":{objects},\"peak_kb\":{},\"stages\":[{}]}}",
        peak_rss_kb(),
        stages.join(",")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        return phase(&args[i + 1], Path::new(&args[i + 2]));
    }
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--apps")
        .map(|i| args[i + 1].split(',').map(|s| s.parse().expect("--apps N[,N…]")).collect())
        .unwrap_or_else(|| vec![1000, 10000]);
    let exe = std::env::current_exe().unwrap();
    println!("eks2aks benchmark — {} cores", std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut previous: Option<(usize, f64)> = None;
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let bytes = gen_corpus::generate(n, dir.path()).unwrap();
        let mb = bytes as f64 / 1e6;
        println!("\nN = {n} applications, {} files, {mb:.1} MB", input_files(dir.path()).len());
        let mut floor = 0.0;
        for name in ["floor", "plan", "check", "translate"] {
            // Best of three runs (the first also warms the page cache).
            let mut best: Option<serde_json::Value> = None;
            for _ in 0..3 {
                let out = Command::new(&exe).args(["--phase", name, dir.path().to_str().unwrap()]).output().unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                if best.as_ref().is_none_or(|b| v["secs"].as_f64() < b["secs"].as_f64()) {
                    best = Some(v);
                }
            }
            let v = best.unwrap();
            let secs = v["secs"].as_f64().unwrap();
            if name == "floor" {
                floor = secs;
            }
            let objects = v["objects"].as_u64().unwrap();
            let peak_mb = v["peak_kb"].as_f64().unwrap() / 1024.0;
            let shares: Vec<String> = v["stages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("{} {:.0}%", s[0].as_str().unwrap(), 100.0 * s[1].as_f64().unwrap() / secs))
                .collect();
            println!(
                "  {name:<6} {:>8.3} s  {:>9.0} objects/s  {:>6.1} MB/s  {:>5.2}× floor  peak {:>6.1} MB ({:.1}× input)  [{}]",
                secs,
                objects as f64 / secs,
                mb / secs,
                secs / floor,
                peak_mb,
                peak_mb / mb,
                shares.join(", ")
            );
            if name == "plan" {
                if let Some((pn, ps)) = previous {
                    println!("  plan scaling: {}× the apps took {:.2}× the time", n / pn, secs / ps);
                }
                previous = Some((n, secs));
            }
            let target = match name {
                "plan" | "check" => Some(1.5),
                "translate" => Some(2.5),
                _ => None,
            };
            if let Some(t) = target {
                let verdict = if secs / floor <= t { "met" } else { "NOT met" };
                println!(
                    "         target ≤ {t}× floor: {verdict}; memory target ≤ 3× input: {}",
                    if peak_mb / mb <= 3.0 { "met" } else { "NOT met" }
                );
            }
        }
    }
}
