//! Printing spread over the machine's cores.

/// `work` over every item, spread over the machine's cores: each thread takes the next item not yet taken,
/// so one slow part does not hold up a fixed share of the others. Results come back in the items' order,
/// so the output does not depend on scheduling. (Token streams are not `Send`, so each thread builds its
/// own.)
pub(super) fn in_parallel<T: Sync>(items: &[T], work: impl Fn(&T) -> String + Sync) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, items.len().max(1));
    let work = &work;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let next = &next;
    let mut slots: Vec<Option<String>> = vec![None; items.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, work(item)));
                    }
                })
            })
            .collect();
        for handle in handles {
            // A panic in `work` is a bug in emit: it goes on in the caller's thread as it was.
            let done = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, text) in done {
                slots[i] = Some(text);
            }
        }
    });
    // The threads take every index below `items.len()` before they stop.
    slots.into_iter().map(Option::unwrap_or_default).collect()
}
