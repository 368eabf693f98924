//! Stage timings for the benchmark and for users who want to know where the time goes: with the environment
//! variable `EKS2AKS_TIMINGS` set, the binary prints one JSON line to stderr at exit with the seconds each stage
//! took and the process's peak resident memory. Off by default; never part of any output file.

use std::sync::Mutex;
use std::time::Instant;

static STAGES: Mutex<Vec<(&'static str, f64, u64)>> = Mutex::new(Vec::new());
/// CPU seconds of work done inside a stage on several threads (the self-checks), by name.
static CPU: Mutex<Vec<(&'static str, f64)>> = Mutex::new(Vec::new());
static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
static LAST: Mutex<Option<Instant>> = Mutex::new(None);

/// True when `EKS2AKS_TIMINGS` is set to something other than empty, `0`, `false` or `no`.
pub fn enabled() -> bool {
    std::env::var("EKS2AKS_TIMINGS")
        .is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "no"))
}

/// Adds the time since `since` to the CPU seconds of `what` (summed over threads), when timings are on.
pub fn add_cpu(what: &'static str, since: Instant) {
    if !*ENABLED.get_or_init(enabled) {
        return;
    }
    let secs = since.elapsed().as_secs_f64();
    let mut cpu = CPU.lock().unwrap_or_else(|e| e.into_inner());
    match cpu.iter_mut().find(|(n, _)| *n == what) {
        Some((_, s)) => *s += secs,
        None => cpu.push((what, secs)),
    }
}

/// Starts (or restarts) the clock.
pub fn start() {
    *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
}

/// Records the time since the previous mark (or [`start`]) under `stage`. Repeated names add up.
pub fn mark(stage: &'static str) {
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let Some(prev) = last.replace(now) else { return };
    let secs = now.duration_since(prev).as_secs_f64();
    let rss = if enabled() { status_kb("VmRSS:") } else { 0 };
    let mut stages = STAGES.lock().unwrap_or_else(|e| e.into_inner());
    match stages.iter_mut().find(|(n, _, _)| *n == stage) {
        Some((_, s, r)) => {
            *s += secs;
            *r = rss;
        }
        None => stages.push((stage, secs, rss)),
    }
}

/// Peak resident set size of this process in KiB (Linux `VmHWM`; 0 elsewhere).
pub fn peak_rss_kb() -> u64 {
    status_kb("VmHWM:")
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// The JSON line: `{"stages":[["read+parse",1.2,40960],…],"cpu":[["verify manifests",0.3]],"peak_kb":123}`
/// (stage, seconds, resident KiB at its end; CPU seconds of work spread over threads).
pub fn json_line() -> String {
    let stages = STAGES.lock().unwrap_or_else(|e| e.into_inner());
    let list: Vec<serde_json::Value> = stages.iter().map(|(n, s, r)| serde_json::json!([n, s, r])).collect();
    let cpu = CPU.lock().unwrap_or_else(|e| e.into_inner());
    let cpu: Vec<serde_json::Value> = cpu.iter().map(|(n, s)| serde_json::json!([n, s])).collect();
    serde_json::json!({ "stages": list, "cpu": cpu, "peak_kb": peak_rss_kb() }).to_string()
}
