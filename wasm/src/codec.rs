//! One-shot encoding: a batch of datapoints in, all its frames out in one buffer.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::{Datapoint, Options};
use wasm_bindgen::prelude::*;

use crate::failure::{record, record_result, Failure, InputFault};
use crate::framer::Framer;
use crate::input::{Paths, Times};
use crate::options;

/// Options checked once, for any number of one-shot batches.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Codec {
    opts: Options<'static>,
}

#[wasm_bindgen]
impl Codec {
    /// Checked options, or `undefined` with the reason in the last failure.
    pub fn create(
        protocol: u8,
        prefix: Option<String>,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
    ) -> Option<Codec> {
        let opts = options::build(
            protocol,
            prefix,
            max_bytes,
            max_points,
            allow_spaces,
            ascii_only,
        );
        record_result(opts.map(|opts| Codec { opts }))
    }

    /// Encodes the batch (`timestamps` with one entry applies to all): every frame, back to back. On a
    /// refused datapoint, the frames of the datapoints before it, with the reason in the last failure.
    pub fn encode(&self, paths: &str, lens: &[u32], timestamps: &[f64], values: &[f64]) -> Vec<u8> {
        let paths = Paths::new(paths, lens);
        let times = Times(timestamps);
        let mut framer = match check_columns(paths, times, values)
            .and_then(|()| Framer::with_capacity(self.opts, values.len()))
        {
            Ok(f) => f,
            Err(e) => {
                record(Some(e));
                return Vec::new();
            }
        };
        let r = push_batch(&mut framer, paths, times, values);
        finish(framer, r)
    }
}

/// Checks that the columns fit together.
pub(crate) fn check_columns(
    paths: Paths<'_>,
    times: Times<'_>,
    values: &[f64],
) -> Result<(), Failure> {
    if paths.len() != values.len() {
        return Err(Failure::bad_input(
            None,
            InputFault::ValuesForPaths,
            values.len(),
            paths.len(),
        ));
    }
    times.check(values.len())?;
    paths.check_total()
}

/// Pushes every datapoint of checked columns; stops at the first refused one.
pub(crate) fn push_batch(
    framer: &mut Framer,
    paths: Paths<'_>,
    times: Times<'_>,
    values: &[f64],
) -> Result<(), Failure> {
    for ((i, path), &value) in paths.iter().enumerate().zip(values) {
        let dp = Datapoint {
            path: path?,
            timestamp: times.get(i),
            value,
        };
        framer.push(i, &dp)?;
    }
    Ok(())
}

/// Records the outcome of a one-shot batch and returns its frames (those before a failure included).
pub(crate) fn finish(mut framer: Framer, outcome: Result<(), Failure>) -> Vec<u8> {
    let (frames, failure) = match framer.flush() {
        Ok(frames) => (frames, outcome.err()),
        Err(e) => (framer.take_finished(), Some(outcome.err().unwrap_or(e))),
    };
    record(failure);
    frames
}
