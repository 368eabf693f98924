//! The `eks2aks` binary: parse arguments, run, map the result to an exit code.

use clap::Parser;
use std::io::Write;

// mimalloc: the reader and planner make millions of small short-lived allocations (a span-keeping tree per file,
// strings per statement); with glibc's malloc they cost ~20 % of a large run and freed memory was not returned.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    eks2aks::diag::timings::start();
    eks2aks::process_exits_after_run();
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
            let _ = writeln!(err, "error: {e:#}");
            2
        }
    };
    if eks2aks::diag::timings::enabled() {
        eks2aks::diag::timings::mark("exit");
        let _ = writeln!(err, "{}", eks2aks::diag::timings::json_line());
    }
    std::process::exit(status);
}
