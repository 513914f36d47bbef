//! The batch buffers: columns that JavaScript writes straight into wasm memory.
//!
//! wasm-bindgen passes a string by converting it character by character in JavaScript, and a typed array by
//! copying it into wasm memory. For a batch of a million datapoints (tens of megabytes of paths) it is
//! several times faster for JavaScript to write the columns in place through typed-array views on the
//! module's memory: paths with one native `TextEncoder.encodeInto` per chunk, numbers with plain stores.
//! The buffers stay allocated between calls (wasm memory never shrinks anyway), so a steady sender
//! allocates nothing per batch here.

use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use crate::failure::{Failure, InputFault};
use crate::global::global;
#[cfg(feature = "route")]
use crate::input::Paths;

/// The columns of one batch.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// UTF-8 paths, back to back.
    pub text: Vec<u8>,
    /// Each path's length in UTF-16 code units (JavaScript's `string.length`).
    pub lens: Vec<u32>,
    /// Seconds since the epoch.
    pub timestamps: Vec<f64>,
    pub values: Vec<f64>,
}

impl Batch {
    const EMPTY: Batch = Batch {
        text: Vec::new(),
        lens: Vec::new(),
        timestamps: Vec::new(),
        values: Vec::new(),
    };
}

global! {
    /// The module's batch buffers (lent to a call that reaches no other module state meanwhile; see
    /// [`take`] for one that does).
    pub(crate) fn with_batch: Batch = Batch::EMPTY;
}

fn grow<T: Copy + Default>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

global! {
    /// Where the batch buffers are, for JavaScript to read after [`batch_reserve`].
    fn with_layout: [usize; 5] = [0; 5];
}

/// Makes room for `points` datapoints and `text` bytes of paths (keeping what is already written). Returns
/// where the buffers are (valid until the next call into the module): five numbers in wasm memory, the
/// path bytes' address, their room in bytes, and the addresses of the lengths, timestamps and values.
/// (One call for all five: each exported function costs the module its own glue.)
#[wasm_bindgen(js_name = batchReserve)]
pub fn batch_reserve(points: usize, text: usize) -> *const usize {
    let layout = with_batch(|b| {
        grow(&mut b.text, text);
        grow(&mut b.lens, points);
        grow(&mut b.timestamps, points);
        grow(&mut b.values, points);
        [
            b.text.as_mut_ptr() as usize,
            b.text.len(),
            b.lens.as_mut_ptr() as usize,
            b.timestamps.as_mut_ptr() as usize,
            b.values.as_mut_ptr() as usize,
        ]
    });
    with_layout(|l| {
        *l = layout;
        l.as_ptr()
    })
}

/// Lengths (or indices), timestamps and values of a batch.
pub(crate) type Columns<'a> = (&'a [u32], &'a [f64], &'a [f64]);

/// The batch buffers, lent out until [`give_back`] (so that encoding can record failures, which also lives
/// in the module's state).
#[cfg(feature = "route")]
pub(crate) fn take() -> Batch {
    with_batch(core::mem::take)
}

impl Batch {
    /// The first `len` bytes of paths, checked to be UTF-8.
    pub fn text(&self, len: usize) -> Result<&str, Failure> {
        let bytes = self.text.get(..len).ok_or(Failure::bad_input(
            None,
            InputFault::LengthsMismatch,
            len,
            self.text.len(),
        ))?;
        core::str::from_utf8(bytes)
            .map_err(|_| Failure::bad_input(None, InputFault::LengthsMismatch, len, 0))
    }

    /// The first `points` paths (`text_len` bytes), checked to be UTF-8 and to fit their lengths.
    #[cfg(feature = "route")]
    #[inline(never)]
    pub fn paths(&self, points: usize, text_len: usize) -> Result<Paths<'_>, Failure> {
        let lens = self.lens.get(..points).ok_or(Failure::bad_input(
            None,
            InputFault::LengthsMismatch,
            points,
            self.lens.len(),
        ))?;
        let paths = Paths::new(self.text(text_len)?, lens);
        paths.check_total()?;
        Ok(paths)
    }

    /// The first `points` lengths (or indices), `timestamps` timestamps and `points` values.
    pub fn columns(&self, points: usize, timestamps: usize) -> Result<Columns<'_>, Failure> {
        match (
            self.lens.get(..points),
            self.timestamps.get(..timestamps),
            self.values.get(..points),
        ) {
            (Some(l), Some(t), Some(v)) => Ok((l, t, v)),
            _ => Err(Failure::bad_input(
                None,
                InputFault::LengthsMismatch,
                points,
                self.lens.len(),
            )),
        }
    }
}

/// Returns the buffers for the next batch.
#[cfg(feature = "route")]
pub(crate) fn give_back(b: Batch) {
    with_batch(|s| *s = b);
}
