//! The `eks2aks` binary: parse arguments, run, map the result to an exit code.

use clap::Parser;
use std::io::Write;

// mimalloc: the reader and planner make millions of small short-lived allocations (a span-keeping tree per file,
// strings per statement); with glibc's malloc they cost ~20 % of a large run and freed memory was not returned.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option numbers (`mi_option_e` in its `mimalloc.h`, the same in v2 and v3; `libmimalloc-sys` exports
/// no constant for either). The test below checks them against the options' documented defaults.
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// See [`tune_allocator`].
const PURGE_DELAY_MS: std::ffi::c_long = 1;

/// Peak memory is a target of its own (issue 7: at most 3× the input): freed pages go back to the OS after a
/// millisecond rather than a second (the read phase frees a span-keeping tree per file on every thread), and arena
/// memory is committed when it is used rather than up front. At once (0 ms) kept the peak 1 MB lower but purged
/// and faulted the same pages back in thousands of times: a third more run time, most of it in the kernel.
/// Measured in the README ("Design choices"). Set as defaults: `MIMALLOC_PURGE_DELAY` /
/// `MIMALLOC_ARENA_EAGER_COMMIT` still win.
extern "C" fn tune_allocator() {
    // SAFETY: `mi_option_set_default` writes one entry of mimalloc's static option table unless the option is set
    // already; it allocates nothing and is valid before mimalloc's own initialisation, which reads the environment
    // into options not yet set and keeps these defaults otherwise.
    unsafe {
        libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        libmimalloc_sys::mi_option_set_default(MI_OPTION_ARENA_EAGER_COMMIT, 0);
    }
}

// Run as a constructor, before the Rust runtime makes its first allocation: the eager-commit option applies when
// an arena is reserved, and the first one is reserved by that allocation (set from `main`, the option came too
// late and a quarter of the saving was lost). Other platforms set it at the top of `main`.
// Not in unit tests, which read the options' defaults.
#[cfg(all(target_os = "linux", not(test)))]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

fn main() {
    #[cfg(not(target_os = "linux"))]
    tune_allocator();
    eks2aks::diag::timings::start();
    eks2aks::process_exits_after_run();
    // SIGINT/SIGTERM/SIGHUP remove translate's temporary directory before the process exits (status 130).
    eks2aks::render::write::install_signal_cleanup();
    let cli = eks2aks::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr();
    let status = match eks2aks::run(cli, &mut out, &mut err).and_then(|s| out.flush().map(|_| s).map_err(Into::into)) {
        Ok(s) => s as i32,
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            0
        }
        Err(e) => {
            // Paths and values from input appear in the chain: each part is escaped onto one line.
            let _ = writeln!(err, "error: {}", eks2aks::text::error_chain(e.chain()));
            2
        }
    };
    if eks2aks::diag::timings::enabled() {
        eks2aks::diag::timings::mark("exit");
        let _ = writeln!(err, "{}", eks2aks::diag::timings::json_line());
    }
    std::process::exit(status);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers are mimalloc v3's: read back with their defaults (purge delay 1000 ms, eager arena commit
    /// 2 = "on overcommit systems"); a renumbered enum in a new mimalloc fails here instead of setting another
    /// option silently.
    #[test]
    fn mimalloc_option_numbers_are_the_ones_tuned() {
        // SAFETY: reads numeric options.
        let (delay, eager) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_OPTION_ARENA_EAGER_COMMIT),
            )
        };
        assert_eq!((delay, eager), (1000, 2), "unless MIMALLOC_PURGE_DELAY or MIMALLOC_ARENA_EAGER_COMMIT is set");
        tune_allocator();
        // SAFETY: as above.
        let tuned = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_OPTION_ARENA_EAGER_COMMIT),
            )
        };
        assert_eq!(tuned, (PURGE_DELAY_MS, 0));
    }
}
