//! One of the encoder bench's loops, run once, for counting its instructions under valgrind
//! (`scripts/instructions.sh`): instruction counts are repeatable where times are not.
//!
//! `cargo run --release -p carbon-pickle --example instructions -- <push|push_checked|extend_checked|check|validate|serde> <1|2>`
//! encodes the bench's 1,000,000 datapoints of data set 1 or 2 in frames of 500 with one of the loops the
//! bench times (`benches/common`), which are never inlined, so callgrind can count them alone.

#[path = "../benches/common/mod.rs"]
mod common;

use carbon_pickle::Options;
use common::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, set) = match args.as_slice() {
        [mode, set] if ["1", "2"].contains(&set.as_str()) => (mode.as_str(), set.as_str()),
        _ => {
            eprintln!(
                "usage: instructions <push|push_checked|extend_checked|check|validate|serde> <1|2>"
            );
            std::process::exit(2)
        }
    };
    let (paths, data) = if set == "1" {
        (paths(), Vec::new())
    } else {
        (Vec::new(), second_set())
    };
    let points = if set == "1" {
        set1_points(&paths)
    } else {
        set2_points(&data)
    };
    let mut buf = vec![0u8; 128 * 1024];
    let mut out = Vec::with_capacity(128 * 1024);
    let bytes = match (mode, set) {
        ("push", _) => push_all(&mut buf, &points, Options::new()),
        ("push_checked", _) => push_checked_all(&mut buf, &points, &checked_paths(&points)),
        ("extend_checked", _) => extend_checked_all(&mut buf, &points, &checked_paths(&points)),
        ("check", _) => check_all(&points),
        ("validate", _) => validate_all(&points),
        ("serde", "1") => serde_all(&mut out, &whole_second_tuples(&points)),
        ("serde", _) => serde_all(&mut out, &tuples(&points)),
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2)
        }
    };
    println!(
        "{mode} set {set}: {} datapoints, {bytes} bytes",
        points.len()
    );
}
