//! Letters through the stages in parallel, results back in input order: `jobs` workers take the
//! next letter as they free up, and the caller sees each result as soon as every earlier one has
//! been seen. Workers never run more than a window ahead of the caller, so a slow letter holds
//! back a bounded number of finished ones and memory stays flat however long the run.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// Calls `work` on every input, numbered from 0 to `count`, with `jobs` threads, and `each` on
/// the results in input order.
pub fn in_order<T, W, E>(count: usize, jobs: usize, work: W, mut each: E)
where
    T: Send,
    W: Fn(usize) -> T + Sync,
    E: FnMut(T),
{
    let jobs = jobs.clamp(1, count.max(1));
    if jobs == 1 {
        (0..count).map(&work).for_each(each);
        return;
    }
    let window = jobs * 8;
    let next = AtomicUsize::new(0);
    // How many results the caller has seen, and a signal when it moves.
    let seen = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, seen, work) = (&next, &seen, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    {
                        let (emitted, moved) = seen;
                        let mut emitted = emitted.lock().unwrap_or_else(|e| e.into_inner());
                        while i >= *emitted + window {
                            emitted = moved.wait(emitted).unwrap_or_else(|e| e.into_inner());
                        }
                    }
                    if tx.send((i, work(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, T> = BTreeMap::new();
        let mut emitted = 0;
        for (i, result) in rx {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&emitted) {
                each(result);
                emitted += 1;
                let (seen_count, moved) = &seen;
                *seen_count.lock().unwrap_or_else(|e| e.into_inner()) = emitted;
                moved.notify_all();
            }
        }
    });
}

/// The default number of workers: the machine's cores.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_whatever_the_jobs() {
        let inputs: Vec<u64> = (0..500).collect();
        for jobs in [1, 2, 3, 8] {
            let mut out = Vec::new();
            in_order(
                inputs.len(),
                jobs,
                |i| {
                    let i = inputs[i];
                    // Uneven work, so workers finish out of order.
                    if i.is_multiple_of(7) {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    i * 2
                },
                |r| out.push(r),
            );
            assert_eq!(out, inputs.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn no_inputs_no_calls() {
        let mut calls = 0;
        in_order(0, 4, |_| (), |_| calls += 1);
        assert_eq!(calls, 0);
    }
}
