//! End-to-end test support: a real carbon-cache per test, and exact comparison of what it stored.
//!
//! Every test gets its own carbon daemon (PyPI carbon 1.1.10 + whisper, started by `carbon/harness.py` in a
//! fresh temporary directory with free 127.0.0.1 ports), so tests run in parallel without sharing anything.
//! Frames go over real TCP to carbon's pickle receiver; what whisper stored is read back file by file and
//! compared, datapoint by datapoint and bit for bit, with what was sent.
//!
//! The Python interpreter is `$CARBON_PICKLE_PYTHON` (set by `scripts/env.sh`), else the venv that
//! `scripts/setup.sh` makes in `~/.cache/carbon-pickle/venv`.

mod carbon;
mod decode;
mod stored;
pub mod tls;

pub use carbon::{query, Carbon};
pub use decode::{assert_decoded, decode, Decoded};
pub use stored::{assert_stored, count, expected, Stored};

// The repository's README, compiled and run with this crate's doctests (`cargo test -p carbon-pickle-tests
// --doc`), so its Rust example stays true. It lives here rather than in carbon-pickle, whose published
// package holds only core/ and could not include a file above it; this crate is never published.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// The Python interpreter that has carbon and whisper installed.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("CARBON_PICKLE_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").expect("HOME or CARBON_PICKLE_PYTHON must be set");
    PathBuf::from(home).join(".cache/carbon-pickle/venv/bin/python")
}

/// A script in `tests/carbon/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("carbon")
        .join(name)
}

/// Seconds since the Unix epoch, now.
///
/// Tests place their timestamps in the hour before this: whisper keeps points only within its retention
/// (`1s:1d` here) and silently drops older ones.
pub fn now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    u32::try_from(secs).expect("clock before 2106")
}
