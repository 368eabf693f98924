//! The thread pool of the parallel steps (rayon). Results always come back in input order — the steps use rayon's
//! indexed iterators (`par_chunks(..).map_init(..).collect::<Vec<_>>()`), never a reduction whose grouping
//! depends on scheduling — so no output depends on the number of threads (determinism is a contract: same
//! input → byte-identical output).
//!
//! The pool is this module's own rather than rayon's global one, so that `EKS2AKS_THREADS` is honoured by every
//! entry point (the binary, the library, the benchmark, the fuzz targets) and no other user of rayon in the
//! process can size it first.

use std::sync::OnceLock;

/// Threads to use: `EKS2AKS_THREADS` when set to a positive number (a shared CI runner may want 1), otherwise the
/// available cores, at most 8.
pub fn threads() -> usize {
    if let Some(n) =
        std::env::var("EKS2AKS_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|&n| n > 0)
    {
        return n.min(64);
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// Runs `f` in the pool of [`threads`] threads (built on first use): rayon's parallel iterators inside `f` use
/// it. Nested calls (a parallel step inside a parallel task) run in the same pool.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads())
            .thread_name(|i| format!("eks2aks-{i}"))
            .build()
            .expect("cannot start the worker threads")
    })
    .install(f)
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    #[test]
    fn results_come_back_in_input_order_whatever_the_chunking() {
        let items: Vec<u32> = (0..1000).collect();
        for chunk in [1, 7, 64, 1000, 5000] {
            let out: Vec<u32> = super::install(|| {
                items
                    .par_chunks(chunk)
                    .map_init(
                        || 0u32,
                        |calls, c| {
                            *calls += 1;
                            c.iter().map(|x| x * 2).collect::<Vec<_>>()
                        },
                    )
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>(), "chunk {chunk}");
        }
    }

    #[test]
    fn the_pool_has_the_configured_threads() {
        assert_eq!(super::install(rayon::current_num_threads), super::threads());
    }
}
