//! Work spread over the available cores. Results always come back in input order, so no output depends on
//! thread scheduling (determinism is a contract: same input → byte-identical output).

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

/// Maps `f` over `items` in chunks of `chunk` items, on up to [`threads`] threads that take chunks as they free
/// up (costs vary per item). Each thread gets its own state from `init` (a cache, a finding sink). The result has
/// one entry per chunk, in input order.
pub fn map_chunks<T, S, R>(
    items: &[T],
    chunk: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &[T]) -> R + Sync,
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let chunks: Vec<&[T]> = items.chunks(chunk.max(1)).collect();
    let threads = threads().min(chunks.len());
    if threads <= 1 {
        let mut state = init();
        return chunks.into_iter().map(|c| f(&mut state, c)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut state = init();
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(c) = chunks.get(i) else { break };
                        out.push((i, f(&mut state, c)));
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_input_order_whatever_the_chunking() {
        let items: Vec<u32> = (0..1000).collect();
        for chunk in [1, 7, 64, 1000, 5000] {
            let out: Vec<u32> = super::map_chunks(
                &items,
                chunk,
                || 0u32,
                |calls, c| {
                    *calls += 1;
                    c.iter().map(|x| x * 2).collect::<Vec<_>>()
                },
            )
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>(), "chunk {chunk}");
        }
    }

    #[test]
    fn every_thread_gets_its_own_state() {
        let items: Vec<u32> = (0..256).collect();
        // Each chunk reports how many chunks its thread's state has seen; the counts restart per thread.
        let seen: Vec<u32> = super::map_chunks(
            &items,
            1,
            || 0u32,
            |n, _| {
                *n += 1;
                *n
            },
        );
        assert_eq!(seen.len(), 256);
        // Per thread the counts run 1, 2, 3…: so there are never more k+1s than ks, and at most one 1 per thread.
        let count = |v: u32| seen.iter().filter(|&&n| n == v).count();
        assert!((1..=super::threads()).contains(&count(1)), "{seen:?}");
        for v in 2..=256 {
            assert!(count(v) <= count(v - 1), "{seen:?}");
        }
    }
}
