//! Timing helpers shared by the benches.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs per measurement; the fastest counts, since noise only ever adds time.
pub const RUNS: usize = 5;

/// The fastest of [`RUNS`] runs of `work`, which must give the same answer each time.
pub fn best_of(mut work: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut answer = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let result = black_box(work());
        best = best.min(start.elapsed());
        assert!(
            answer.is_none_or(|answer| answer == result),
            "runs disagree"
        );
        answer = Some(result);
    }
    (best, answer.unwrap_or_default())
}
