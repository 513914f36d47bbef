//! Paths an encoder has seen lately, so that a batch may name a repeated path by number (issue 22).
//!
//! `encodeFrames` with rows read each datapoint's path in JavaScript, joined and encoded it to UTF-8 and
//! copied it into wasm memory: about 75 ns of the 92 a datapoint cost, where the core needs about 15. Real
//! senders repeat their paths at every interval, so the JavaScript side remembers the paths it has sent to an
//! encoder (a `Map` from path to number) and sends a known path as its number only, as `MetricSet` does
//! with the paths it was made with, without being asked to.
//!
//! In the batch's lengths buffer an entry is a path's length in UTF-16 code units, or
//! - [`RECENT`] | `k`: the path numbered `k`, no text;
//! - [`REMEMBER`] | length: a path in the text, to be numbered next.
//!
//! Both sides number paths in the order they are first sent, so the numbers agree. The JavaScript side caps
//! what it asks to remember at 4,096 paths and 65,536 UTF-16 code units of text (`RECENT_PATHS`,
//! `RECENT_UNITS` in `js/api.mjs`): it stops asking when either is reached, and forgets everything (both
//! sides, [`Table::clear`]) before the next batch; both sides forget after any refused batch too, so the
//! numbering can never drift, and a path that was refused is never remembered. So the table holds at most
//! 196,608 bytes of text (3 UTF-8 bytes per code unit at worst) and 4,096 checked paths (at most 20 bytes
//! each and 8 of numbering: 112 KiB; `src/tests.rs` holds the sizes).
//!
//! A remembered path is checked once, when it is remembered (the batch's new paths are copied into a new
//! block of the [`Table`] and checked there before the batch is pushed); afterwards it is pushed with the
//! core's `push_checked`, which checks only the timestamp and the value. Every refusal stays what it was:
//! the datapoints are still pushed in order, and a path whose check failed is checked again at its turn,
//! which refuses it with the same error.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::{Error, PathRules};

use crate::failure::{Failure, InputFault};
use crate::framer::Framer;
use crate::input::{next_path, Times};
use crate::table::{Block, Table};

/// Flag of a lengths entry naming a remembered path by its number.
pub(crate) const RECENT: u32 = 1 << 31;
/// Flag of a lengths entry whose path (in the text) is to be remembered.
pub(crate) const REMEMBER: u32 = 1 << 30;

/// Pushes each datapoint of a batch whose `lens` may name remembered paths (the others taken in turn from
/// `text`), remembering the paths marked so; stops at the first failure (the caller then forgets every
/// path).
pub(crate) fn push_rows(
    framer: &mut Framer,
    table: &mut Table,
    text: &str,
    lens: &[u32],
    times: Times<'_>,
    values: &[f64],
) -> Result<(), Failure> {
    times.check(values.len())?;
    let ascii = text.is_ascii();
    let fresh = lens
        .iter()
        .any(|&e| e & (RECENT | REMEMBER) == REMEMBER)
        .then(|| remember(text, ascii, lens, framer.rules(), false).0);
    let fresh_paths = fresh.as_ref().map_or(&[][..], |b| b.paths());
    // Remembered paths of this batch pushed so far, numbered from `base`.
    let mut r = 0;
    let base = table.len();
    let mut at = 0usize;
    for (i, (&entry, &value)) in lens.iter().zip(values).enumerate() {
        let path = if entry & RECENT != 0 {
            // A path remembered earlier in this batch is numbered after the table's.
            let k = (entry & !RECENT) as usize;
            let fresh = k.checked_sub(base).filter(|&f| f < r);
            match fresh {
                Some(f) => fresh_paths.get(f).copied(),
                None => table.get(k),
            }
            .ok_or(Failure::bad_input(Some(i), InputFault::UnknownIndex, k, 0))?
        } else {
            let path = next_path(text, ascii, &mut at, entry & !REMEMBER, i)?;
            match fresh_paths.get(r) {
                Some(&checked) if entry & REMEMBER != 0 => {
                    r += 1;
                    checked
                }
                _ => framer.checked(i, path)?,
            }
        };
        framer.push(i, path, times.get(i), value)?;
    }
    if at != text.len() {
        return Err(Failure::bad_input(
            None,
            InputFault::LengthsMismatch,
            at,
            text.len(),
        ));
    }
    if let Some(block) = fresh {
        table.add(block);
    }
    Ok(())
}

/// The paths the batch asks to remember (every path with `all`: a `MetricSet`'s registration), copied and
/// checked in a block of their own, up to the first one that is refused or whose length does not fit the
/// text; the failure (numbered among the paths to remember) is returned beside the block.
pub(crate) fn remember(
    text: &str,
    ascii: bool,
    lens: &[u32],
    rules: PathRules,
    all: bool,
) -> (Block, Option<Failure>) {
    let mut fresh = String::new();
    let mut ends = Vec::new();
    let mut at = 0usize;
    let mut failure = None;
    for (i, &entry) in lens.iter().enumerate() {
        if entry & RECENT != 0 && !all {
            continue;
        }
        match next_path(text, ascii, &mut at, entry & !REMEMBER, i) {
            Ok(path) if all || entry & REMEMBER != 0 => {
                fresh.push_str(path);
                ends.push(fresh.len());
            }
            Ok(_) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let (block, refused) = Block::check(fresh, &ends, rules);
    let refused = refused.map(|(k, e)| Failure::at(k, Error::InvalidPath(e)));
    (block, refused.or(failure))
}
