//! A frame explained: every opcode with its offset and argument, the way Python's `pickletools.dis` prints
//! them, then the datapoints carbon would store, or why it would refuse the frame.
//!
//! Written for people (the npm CLI's `carbon-pickle inspect`, the demo page) and to `core::fmt::Write`, so
//! it runs without allocation anywhere the decoder runs. The opcode listing follows `pickletools.dis`'s
//! layout (offset, opcode byte, indentation per open mark, name, argument, `(MARK at n)`) so the two can be
//! compared line by line; arguments are printed as Python's `repr` would (strings with non-ASCII characters
//! approximately: Rust's notion of printable is used).
//!
//! The output stays proportionate to the input, whatever the bytes: the listing of a payload stops at the
//! opcode the decoder refuses, with one line counting the bytes left unlisted (neither carbon nor the
//! decoder runs what follows; a 1 MiB flood of `MARK`s is refused at the 65th), indentation stops growing
//! at the decoder's [`MAX_MARKS`](super::MAX_MARKS) open marks, and the whole text is cut, with a note, at
//! [`MAX_LISTING_PER_INPUT_BYTE`] bytes per input byte (which a path memoized once and printed on every
//! datapoint line would pass).
//!
//! Two ways in: [`inspect`] for input held in memory (read where it is, no copy), and [`Inspector`] for
//! input that arrives in pieces. The inspector holds one frame at a time (the decoder checks all of a
//! frame before a line of it is written: a buffer of 1 MiB + 4 bytes for carbon's cap) and writes one line
//! per call, so an input of any length is listed in the memory it was given, and its caller can stop
//! between two lines for as long as it likes. Both write the same text: each piece's listing is a small
//! state machine ([`explain`]) that keeps no borrow between lines.

use core::fmt::{self, Write};

mod budget;
mod explain;
mod listing;
mod pieces;
mod repr;
mod stream;

pub use budget::{listing_limit, MAX_LISTING_PER_INPUT_BYTE, MIN_LISTING_LIMIT};
pub use stream::{Inspector, INSPECTOR_BUF_LEN};

use budget::Budget;
use explain::{Listing, Work};
use pieces::Pieces;

use super::{Slot, DEFAULT_SLOTS};
use crate::CARBON_MAX_PAYLOAD;

/// What [`inspect`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Frames printed.
    pub frames: usize,
    /// Frames refused.
    pub refused: usize,
    /// Datapoints in the accepted frames.
    pub points: usize,
    /// Elements carbon would skip in the accepted frames.
    pub skipped: usize,
}

/// Prints every frame in `input` (frames back to back, each with its length header; or, when `input` starts
/// like a pickle rather than a header, one bare pickle payload), with carbon's payload cap.
///
/// At most [`listing_limit`]`(input.len())` bytes are written (50 per input byte, 4 KiB at least); a listing that would
/// pass it ends with a line starting `listing cut:`, and the [`Summary`] still counts every frame.
///
/// Uses a [`DEFAULT_SLOTS`] workspace on the stack (80 KiB); [`inspect_with`] takes the caller's. The input
/// is read where it is, without a copy; for input that arrives in pieces (a socket, stdin, a file too
/// large to hold), an [`Inspector`] writes the same listing as the bytes come in, in constant memory.
///
/// ```
/// use carbon_pickle::decode::inspect;
/// let mut out = String::new();
/// let s = inspect(b"\x00\x00\x00\x1e\x80\x02](X\x03\x00\x00\x00a.bJ\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86e.", &mut out).unwrap();
/// assert_eq!(s.points, 1);
/// assert!(out.contains("    0: \\x80 PROTO      2\n"));
/// assert!(out.contains("    4: X        BINUNICODE 'a.b'\n"));
/// assert!(out.contains("   28: e        APPENDS    (MARK at 3)\n"));
/// assert!(out.contains("  'a.b' 1700000000.0 1.5\n"));
/// ```
pub fn inspect(input: &[u8], out: &mut impl Write) -> Result<Summary, fmt::Error> {
    let mut slots = [Slot::EMPTY; DEFAULT_SLOTS];
    inspect_with(input, out, &mut slots, CARBON_MAX_PAYLOAD)
}

/// [`inspect`] with the caller's workspace and payload cap.
pub fn inspect_with(
    input: &[u8],
    out: &mut impl Write,
    slots: &mut [Slot],
    max_payload: usize,
) -> Result<Summary, fmt::Error> {
    let mut work = Work::new(slots, max_payload);
    let mut sum = Summary::default();
    let mut budget = Budget::new(listing_limit(input.len()));
    for piece in Pieces::new(input, work.max_payload) {
        let verdict = work.verdict(piece);
        verdict.count(&mut sum);
        // Once cut, the frames left are only counted.
        if budget.is_cut() {
            continue;
        }
        let mut listing = Listing::new(sum.frames, verdict);
        let mut metered = budget.on(out);
        loop {
            match listing.line(piece, &mut work, &mut metered) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) if metered.is_cut() => break,
                Err(e) => return Err(e),
            }
        }
    }
    budget.finish(out)?;
    Ok(sum)
}
