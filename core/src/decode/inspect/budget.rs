//! A bound on how much the inspector writes: at most [`MAX_LISTING_PER_INPUT_BYTE`] bytes of text per byte
//! of input (at least [`MIN_LISTING_LIMIT`] for tiny inputs), the note saying where it was cut included.
//!
//! Why a bound on top of stopping at the refusal: some frames carbon accepts still print far more than
//! they weigh. A path memoized once and appended 250,000 times by 3-byte `BINGET`+`APPEND` prints the path
//! on every datapoint line (64 GB for a 1 MiB frame); opcodes under 64 open marks carry 256 columns of
//! indentation each; elements carbon skips each get a line of their own. The inspector runs in a browser
//! tab, in a CLI and on microcontrollers: its output has to stay proportionate to what it was given.

use core::fmt::{self, Write};

/// The most listing text the inspector writes per byte of input.
pub const MAX_LISTING_PER_INPUT_BYTE: usize = 50;

/// The listing allowed for any input, however small (a 4-byte header and its refusal take a line each).
pub const MIN_LISTING_LIMIT: usize = 4096;

/// Room kept for the note that ends a cut listing (a line break and one line of under 100 bytes).
const NOTE_ROOM: usize = 128;

/// The most text [`inspect`](super::inspect) writes for an input of `input_len` bytes.
pub fn listing_limit(input_len: usize) -> usize {
    input_len
        .saturating_mul(MAX_LISTING_PER_INPUT_BYTE)
        .max(MIN_LISTING_LIMIT)
}

/// A writer that passes text on until the budget is spent, then refuses every write (a `fmt::Error` the
/// inspector recognises with [`Budget::is_cut`], so that formatting stops at once instead of running on
/// into a writer that discards it).
pub(super) struct Budget<'o, W: Write> {
    out: &'o mut W,
    limit: usize,
    left: usize,
    cut: bool,
    at_line_start: bool,
}

impl<'o, W: Write> Budget<'o, W> {
    /// A budget of `limit` bytes in all, the closing note included.
    pub(super) fn new(out: &'o mut W, limit: usize) -> Self {
        Budget {
            out,
            limit,
            left: limit.saturating_sub(NOTE_ROOM),
            cut: false,
            at_line_start: true,
        }
    }

    /// Whether a write was refused for want of budget.
    pub(super) fn is_cut(&self) -> bool {
        self.cut
    }

    /// Ends a cut listing with a note saying so (on a line of its own); nothing if it was not cut.
    pub(super) fn finish(self) -> fmt::Result {
        if !self.cut {
            return Ok(());
        }
        if !self.at_line_start {
            self.out.write_char('\n')?;
        }
        writeln!(
            self.out,
            "listing cut: the rest would pass {} bytes ({MAX_LISTING_PER_INPUT_BYTE} per input byte, {MIN_LISTING_LIMIT} at least)",
            self.limit
        )
    }
}

impl<W: Write> Write for Budget<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut || s.len() > self.left {
            self.cut = true;
            return Err(fmt::Error);
        }
        self.out.write_str(s)?;
        self.left -= s.len();
        if let Some(&last) = s.as_bytes().last() {
            self.at_line_start = last == b'\n';
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;

    #[test]
    fn cuts_on_a_line_of_its_own_within_the_limit() {
        let mut s = String::new();
        let mut b = Budget::new(&mut s, 200);
        let mut wrote = 0;
        while write!(b, "line {wrote}").is_ok() && b.write_char('\n').is_ok() {
            wrote += 1;
        }
        assert!(b.is_cut());
        assert!(b.write_str("x").is_err(), "stays cut");
        b.finish().unwrap();
        assert!(s.len() <= 200, "{} bytes", s.len());
        assert!(
            s.ends_with(
                "\nlisting cut: the rest would pass 200 bytes (50 per input byte, 4096 at least)\n"
            ),
            "{s}"
        );
    }

    #[test]
    fn uncut_text_is_passed_on_unchanged() {
        let mut s = String::new();
        let mut b = Budget::new(&mut s, listing_limit(1));
        b.write_str("a\n").unwrap();
        b.finish().unwrap();
        assert_eq!(s, "a\n");
        assert_eq!(listing_limit(1_000_000), 50_000_000);
        assert_eq!(listing_limit(usize::MAX), usize::MAX);
    }
}
