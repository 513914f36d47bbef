//! The batch buffers: columns that JavaScript writes straight into wasm memory.
//!
//! wasm-bindgen passes a string by converting it character by character in JavaScript, and a typed array by
//! copying it into wasm memory. For a batch of a million datapoints (tens of megabytes of paths) it is
//! several times faster for JavaScript to write the columns in place through typed-array views on the
//! module's memory: paths with one native `TextEncoder.encodeInto` per chunk, numbers with plain stores.
//! The buffers stay allocated between calls (wasm memory never shrinks anyway), so a steady sender
//! allocates nothing per batch here.

use alloc::vec::Vec;
use core::mem;

use wasm_bindgen::prelude::*;

use crate::failure::{Failure, InputFault};
use crate::global::global;
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
    /// The module's batch buffers.
    pub(crate) fn with_batch: Batch = Batch::EMPTY;
}

fn grow<T: Copy + Default>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

/// Makes room for `points` datapoints and `text` bytes of paths (keeping what is already written).
#[wasm_bindgen(js_name = batchReserve)]
pub fn batch_reserve(points: usize, text: usize) {
    with_batch(|b| {
        grow(&mut b.text, text);
        grow(&mut b.lens, points);
        grow(&mut b.timestamps, points);
        grow(&mut b.values, points);
    })
}

/// Where the path bytes start in wasm memory (valid until the next call into the module).
#[wasm_bindgen(js_name = batchText)]
pub fn batch_text() -> *mut u8 {
    with_batch(|b| b.text.as_mut_ptr())
}

/// Bytes of room for paths.
#[wasm_bindgen(js_name = batchTextCapacity)]
pub fn batch_text_capacity() -> usize {
    with_batch(|b| b.text.len())
}

/// Where the path lengths start.
#[wasm_bindgen(js_name = batchLens)]
pub fn batch_lens() -> *mut u32 {
    with_batch(|b| b.lens.as_mut_ptr())
}

/// Where the timestamps start.
#[wasm_bindgen(js_name = batchTimestamps)]
pub fn batch_timestamps() -> *mut f64 {
    with_batch(|b| b.timestamps.as_mut_ptr())
}

/// Where the values start.
#[wasm_bindgen(js_name = batchValues)]
pub fn batch_values() -> *mut f64 {
    with_batch(|b| b.values.as_mut_ptr())
}

/// Lengths (or indices), timestamps and values of a batch.
pub(crate) type Columns<'a> = (&'a [u32], &'a [f64], &'a [f64]);

/// The batch buffers, lent out until [`give_back`] (so that encoding can record failures, which also lives
/// in the module's state).
pub(crate) fn take() -> Batch {
    with_batch(mem::take)
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
pub(crate) fn give_back(b: Batch) {
    with_batch(|s| *s = b);
}
