//! A bound on how much the inspector writes: at most [`MAX_LISTING_PER_INPUT_BYTE`] bytes of text per byte
//! of input (at least [`MIN_LISTING_LIMIT`] for tiny inputs), the note saying where it was cut included.
//!
//! Why a bound on top of stopping at the refusal: some frames carbon accepts still print far more than
//! they weigh. A path memoized once and appended 250,000 times by 3-byte `BINGET`+`APPEND` prints the path
//! on every datapoint line (64 GB for a 1 MiB frame); opcodes under 64 open marks carry 256 columns of
//! indentation each; elements carbon skips each get a line of their own. The inspector runs in a browser
//! tab, in a CLI and on microcontrollers: its output has to stay proportionate to what it was given.
//!
//! A stream whose length is not known up front (an [`Inspector`](super::Inspector) without
//! [`with_input_len`](super::Inspector::with_input_len)) has the bound for the bytes read so far: a frame is
//! listed once all of it has come in, so its own bytes are always counted.

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

/// [`listing_limit`] of a stream's length so far.
pub(super) fn listing_limit_u64(input_len: u64) -> usize {
    listing_limit(usize::try_from(input_len).unwrap_or(usize::MAX))
}

/// What is left of the listing's budget. It lives as long as the inspection (across every frame, and for a
/// stream across every call); [`Budget::on`] meters one writer against it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    limit: usize,
    left: usize,
    cut: bool,
    at_line_start: bool,
}

impl Budget {
    /// A budget of `limit` bytes in all, the closing note included.
    pub(super) fn new(limit: usize) -> Self {
        Budget {
            limit,
            left: limit.saturating_sub(NOTE_ROOM),
            cut: false,
            at_line_start: true,
        }
    }

    /// Raises the limit to `limit` (a stream has brought more input); once cut, the listing stays cut and
    /// the limit its note names stays where it was.
    pub(super) fn raise(&mut self, limit: usize) {
        if !self.cut && limit > self.limit {
            self.left = self.left.saturating_add(limit - self.limit);
            self.limit = limit;
        }
    }

    /// Whether a write was refused for want of budget.
    pub(super) fn is_cut(&self) -> bool {
        self.cut
    }

    /// `out`, with every write counted against this budget.
    pub(super) fn on<'a, W: Write>(&'a mut self, out: &'a mut W) -> Metered<'a, W> {
        Metered { budget: self, out }
    }

    /// Ends a cut listing with a note saying so (on a line of its own); nothing if it was not cut.
    pub(super) fn finish(&self, out: &mut impl Write) -> fmt::Result {
        if !self.cut {
            return Ok(());
        }
        if !self.at_line_start {
            out.write_char('\n')?;
        }
        writeln!(
            out,
            "listing cut: the rest would pass {} bytes ({MAX_LISTING_PER_INPUT_BYTE} per input byte, {MIN_LISTING_LIMIT} at least)",
            self.limit
        )
    }
}

/// A writer that passes text on until the budget is spent, then refuses every write (a `fmt::Error` the
/// inspector recognises with [`Budget::is_cut`], so that formatting stops at once instead of running on
/// into a writer that discards it).
pub(super) struct Metered<'a, W: Write> {
    budget: &'a mut Budget,
    out: &'a mut W,
}

impl<W: Write> Metered<'_, W> {
    /// Whether a write was refused for want of budget.
    pub(super) fn is_cut(&self) -> bool {
        self.budget.cut
    }
}

impl<W: Write> Write for Metered<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let b = &mut *self.budget;
        if b.cut || s.len() > b.left {
            b.cut = true;
            return Err(fmt::Error);
        }
        self.out.write_str(s)?;
        b.left -= s.len();
        if let Some(&last) = s.as_bytes().last() {
            b.at_line_start = last == b'\n';
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
        let mut budget = Budget::new(200);
        let mut b = budget.on(&mut s);
        let mut wrote = 0;
        while write!(b, "line {wrote}").is_ok() && b.write_char('\n').is_ok() {
            wrote += 1;
        }
        assert!(b.is_cut());
        assert!(b.write_str("x").is_err(), "stays cut");
        budget.raise(10_000);
        assert!(
            budget.on(&mut s).write_str("x").is_err(),
            "stays cut when raised"
        );
        budget.finish(&mut s).unwrap();
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
        let mut budget = Budget::new(listing_limit(1));
        budget.on(&mut s).write_str("a\n").unwrap();
        budget.finish(&mut s).unwrap();
        assert_eq!(s, "a\n");
        // Raised (a stream read more), the budget lets more through.
        let mut budget = Budget::new(MIN_LISTING_LIMIT);
        let line = "x".repeat(MIN_LISTING_LIMIT - NOTE_ROOM);
        budget.on(&mut s).write_str(&line).unwrap();
        budget.raise(listing_limit(1000));
        budget.on(&mut s).write_str(&line).unwrap();
        assert!(!budget.is_cut());
        assert_eq!(listing_limit(1_000_000), 50_000_000);
        assert_eq!(listing_limit(usize::MAX), usize::MAX);
    }
}
