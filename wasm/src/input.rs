//! Columns as JavaScript passes them: paths concatenated into one string plus each path's length, and
//! timestamps as a `Float64Array` (one entry: the same for all).
//!
//! Concatenating costs JavaScript one `join('')` and the boundary one string conversion, instead of one per
//! path. Lengths are JavaScript's (`string.length`, UTF-16 code units), so no separator character is
//! reserved: a path may contain anything, and the core's path rules judge it with the right index.

use crate::failure::{Failure, InputFault};

/// Timestamps for a batch: one per datapoint, or a single one for all of them.
///
/// Whole-second `Uint32Array`s are widened to `Float64Array` by JavaScript (a native copy); one entry
/// points point-sized values at the same timestamp. Keeping a single form keeps one copy of each entry
/// point in the module.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times<'a>(pub &'a [f64]);

impl Times<'_> {
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match self.0 {
            [one] => *one,
            many => many.get(i).copied().unwrap_or(f64::NAN),
        }
    }

    /// Checks there is a timestamp for each of `n` datapoints (or one for all).
    pub fn check(&self, n: usize) -> Result<(), Failure> {
        let len = self.0.len();
        if len == n || len == 1 {
            Ok(())
        } else {
            Err(Failure::bad_input(
                None,
                InputFault::TimestampsForValues,
                len,
                n,
            ))
        }
    }
}

/// Paths concatenated, with their lengths in UTF-16 code units (cluster placement's batches).
#[cfg(feature = "route")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paths<'a> {
    text: &'a str,
    lens: &'a [u32],
    ascii: bool,
}

#[cfg(feature = "route")]
impl<'a> Paths<'a> {
    pub fn new(text: &'a str, lens: &'a [u32]) -> Self {
        Paths {
            text,
            lens,
            ascii: text.is_ascii(),
        }
    }

    /// Each path in turn, or a failure at the first one whose length does not end on a character boundary
    /// (a lone surrogate joined with its neighbour) or runs past the text.
    pub fn iter(&self) -> impl Iterator<Item = Result<&'a str, Failure>> + 'a {
        let Paths { text, lens, ascii } = *self;
        let mut at = 0usize;
        lens.iter()
            .enumerate()
            .map(move |(i, &units)| next_path(text, ascii, &mut at, units, i))
    }

    /// Checks that the lengths cover the text exactly (after iterating without failure).
    pub fn check_total(&self) -> Result<(), Failure> {
        let units: usize = self.lens.iter().map(|&l| l as usize).sum();
        let have = if self.ascii {
            self.text.len()
        } else {
            self.text.encode_utf16().count()
        };
        if units == have {
            Ok(())
        } else {
            Err(Failure::bad_input(
                None,
                InputFault::LengthsMismatch,
                units,
                have,
            ))
        }
    }
}

/// The path of `units` UTF-16 code units at byte `at` of `text` (datapoint `i`), moving `at` past it; a
/// failure if its length ends inside a character or runs past the text. (One copy in the module, for
/// every batch form.)
#[inline(never)]
pub(crate) fn next_path<'a>(
    text: &'a str,
    ascii: bool,
    at: &mut usize,
    units: u32,
    i: usize,
) -> Result<&'a str, Failure> {
    let start = *at;
    if ascii {
        *at += units as usize;
    } else {
        let mut left = units as usize;
        let mut chars = text.get(start..).unwrap_or_default().chars();
        while left > 0 {
            let Some(c) = chars.next() else { break };
            let u = c.len_utf16();
            if u > left {
                return Err(Failure::bad_input(
                    Some(i),
                    InputFault::SplitCharacter,
                    0,
                    0,
                ));
            }
            left -= u;
            *at += c.len_utf8();
        }
        if left > 0 {
            *at = usize::MAX;
        }
    }
    text.get(start..*at).ok_or(Failure::bad_input(
        Some(i),
        InputFault::LengthsMismatch,
        0,
        0,
    ))
}
