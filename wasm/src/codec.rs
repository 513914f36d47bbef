//! One-shot encoding: a batch of datapoints in, all its frames out in one buffer.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::Options;
use wasm_bindgen::prelude::*;

use crate::batch;
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

    /// Encodes the first `points` datapoints of the batch buffers (paths: the first `text_len` bytes):
    /// every frame, back to back. On a refused datapoint, the frames of the datapoints before it, with the
    /// reason in the last failure.
    pub fn encode(&self, points: usize, text_len: usize) -> Vec<u8> {
        let (batch, text) = match batch::take(points, text_len) {
            Ok(b) => b,
            Err(e) => {
                record(Some(e));
                return Vec::new();
            }
        };
        let paths = Paths::new(&text, &batch.lens[..points]);
        let times = Times(&batch.timestamps[..points]);
        let values = &batch.values[..points];
        let frames = match check_columns(paths, times, values)
            .and_then(|()| Framer::batch(self.opts, points))
        {
            Ok(mut framer) => {
                let r = push_batch(&mut framer, paths, times, values);
                finish(framer, r)
            }
            Err(e) => {
                record(Some(e));
                Vec::new()
            }
        };
        batch::give_back(batch, text);
        frames
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
        let path = framer.checked(i, path?)?;
        framer.push(i, path, times.get(i), value)?;
    }
    Ok(())
}

/// Records the outcome of a one-shot batch and returns its frames (those before a failure included).
pub(crate) fn finish(framer: Framer, outcome: Result<(), Failure>) -> Vec<u8> {
    record(outcome.err());
    framer.into_frames()
}
