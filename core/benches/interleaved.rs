//! The encoder bench's loops (`benches/common`) on both data sets, interleaved: each round runs every loop
//! once, in turn, and each loop's figure is its fastest round (`cargo bench -p carbon-pickle --bench
//! interleaved [-- ROUNDS]`, `scripts/bench.sh` runs it after criterion).
//!
//! Why beside criterion: on this shared 2-core VM the machine's own speed drifts by 2x within a minute (the
//! time to read the input alone moved from 4.8 to 10.9 ns per datapoint between two criterion runs, at a
//! load average under 1). Criterion measures one loop after another, so a drift lands on some loops and not
//! others and moves their ratios; here every loop sees the same drift, and the fastest of many rounds is
//! the one least disturbed.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use carbon_pickle::Options;
use common::*;

const NAMES: [&str; 6] = [
    "push (validated)",
    "push_checked",
    "extend_checked",
    "serde-pickle",
    "floor: read push_checked's input",
    "floor: read serde-pickle's input",
];

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(25);
    let data = second_set();
    let names = paths();
    let sets = [
        (
            "set 1 (paths 30-32 bytes, whole timestamps)",
            set1_points(&names),
        ),
        (
            "set 2 (paths 10-120 bytes, 1% non-ASCII, fractional timestamps)",
            set2_points(&data),
        ),
    ];
    let mut buf = vec![0u8; 128 * 1024];
    let mut out = Vec::with_capacity(128 * 1024);
    println!("fastest of {rounds} interleaved rounds, 1,000,000 datapoints in frames of 500:");
    for (k, (label, points)) in sets.iter().enumerate() {
        let checked = checked_paths(points);
        let whole = whole_second_tuples(points);
        let frac = tuples(points);
        let mut best = [f64::MAX; NAMES.len()];
        for _ in 0..rounds {
            for (i, b) in best.iter_mut().enumerate() {
                let t = Instant::now();
                let n = match (i, k) {
                    (0, _) => push_all(&mut buf, points, Options::new()) as u64,
                    (1, _) => push_checked_all(&mut buf, points, &checked) as u64,
                    (2, _) => extend_checked_all(&mut buf, points, &checked) as u64,
                    // Set 1's timestamps are whole: serde-pickle gets them as integers (BININT, as ours).
                    (3, 0) => serde_all(&mut out, &whole) as u64,
                    (3, _) => serde_all(&mut out, &frac) as u64,
                    (4, _) => read_checked_input(points, &checked),
                    (_, 0) => read_tuples(&whole),
                    (_, _) => read_tuples(&frac),
                };
                black_box(n);
                *b = b.min(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        println!("  {label}:");
        for (name, ms) in NAMES.iter().zip(best) {
            println!(
                "    {name:34} {:6.2} ns/datapoint  {:5.2}x serde-pickle",
                ms,
                best[3] / ms
            );
        }
    }
}
