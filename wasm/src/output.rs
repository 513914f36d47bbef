//! A call's frames, left in wasm memory for JavaScript to copy out.
//!
//! Calls that make frames return only their byte length; the bytes (frames back to back) and each frame's
//! datapoint count stay here until the next such call, and JavaScript copies them with one `slice()` of a
//! view on the module's memory. No `Vec` crosses the boundary, and the buffers are recycled: a sender that
//! flushes the same amount each time allocates nothing here.

use alloc::vec::Vec;
use core::mem;

use wasm_bindgen::prelude::*;

use crate::global::global;

/// The current output and an emptied buffer for the next batch to fill.
#[derive(Debug)]
pub(crate) struct Output {
    /// Frames back to back.
    pub out: Vec<u8>,
    /// Datapoints in each frame.
    pub counts: Vec<u32>,
    /// An emptied output buffer, for the next batch to fill.
    pub spare: Vec<u8>,
}

global! {
    /// The module's output.
    pub(crate) fn with_output: Output = Output {
        out: Vec::new(),
        counts: Vec::new(),
        spare: Vec::new(),
    };
}

/// The output buffer before last, kept for the next batch to fill.
pub(crate) fn take_spare() -> Vec<u8> {
    with_output(|s| mem::take(&mut s.spare))
}

/// Keeps an emptied buffer for the next batch to fill.
pub(crate) fn keep_spare(buf: Vec<u8>) {
    with_output(|s| s.spare = buf);
}

/// Makes `frames` and `counts` the current output; returns the byte length and the previous output's
/// buffers, emptied, for the caller to reuse.
pub(crate) fn publish(frames: Vec<u8>, counts: Vec<u32>) -> (usize, Vec<u8>, Vec<u32>) {
    let len = frames.len();
    let (mut old, mut old_counts) = with_output(|s| {
        (
            mem::replace(&mut s.out, frames),
            mem::replace(&mut s.counts, counts),
        )
    });
    old.clear();
    old_counts.clear();
    (len, old, old_counts)
}

global! {
    /// Where the current output is, for JavaScript to read.
    fn with_layout: [usize; 3] = [0; 3];
}

/// Where the current output is (valid until the next call into the module): three numbers in wasm memory,
/// the frames' address, the address of their datapoint counts, and the number of frames. (One call for
/// all three: each exported function costs the module its own glue.)
#[wasm_bindgen(js_name = outputLayout)]
pub fn output_layout() -> *const usize {
    let layout = with_output(|s| {
        [
            s.out.as_ptr() as usize,
            s.counts.as_ptr() as usize,
            s.counts.len(),
        ]
    });
    with_layout(|l| {
        *l = layout;
        l.as_ptr()
    })
}
