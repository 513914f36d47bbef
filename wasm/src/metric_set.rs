//! Interned paths: a set of metric paths registered once, then batches of numbers only.
//!
//! A dashboard of sensors or a process's gauges report the same paths at every flush. Sending those strings
//! across the JS/wasm boundary each time costs more than encoding them, so the set keeps them in wasm memory
//! (checked against the path rules once, at registration) and each flush writes only values and timestamps
//! into the batch buffers, with optional indices (in the lengths buffer) for flushes that report only some
//! of the paths.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::CheckedPath;
use self_cell::self_cell;
use wasm_bindgen::prelude::*;

use crate::batch;
use crate::failure::{record, record_result, Failure, InputFault};
use crate::framer::{Framer, Mode};
use crate::input::Times;
use crate::options;

/// The registered paths, each checked once, borrowing the text they live in.
type Checked<'a> = Vec<CheckedPath<'a>>;

self_cell!(
    struct Registered {
        owner: String,
        #[covariant]
        dependent: Checked,
    }
    impl {Debug}
);

/// Registered paths and the encoder their frames are built with.
#[wasm_bindgen]
#[derive(Debug)]
pub struct MetricSet {
    framer: Framer,
    paths: Registered,
}

#[wasm_bindgen]
impl MetricSet {
    /// Registers the first `points` paths of the batch buffers (`text_len` bytes), each checked against the
    /// path rules, or `undefined` with the reason (and the path's index) in the last failure.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        points: usize,
        text_len: usize,
        protocol: u8,
        prefix: Option<String>,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
    ) -> Option<MetricSet> {
        let b = batch::take();
        let r = options::build(
            protocol,
            prefix,
            max_bytes,
            max_points,
            allow_spaces,
            ascii_only,
        )
        .and_then(|opts| Framer::new(opts, Mode::Batch))
        .and_then(|framer| {
            let paths = b.paths(points, text_len)?;
            let mut ends = Vec::with_capacity(points);
            let mut end = 0;
            for path in paths.iter() {
                end += path?.len();
                ends.push(end);
            }
            let names = String::from(b.text(text_len)?);
            let paths = Registered::try_new(names, |names| {
                let mut checked = Vec::with_capacity(ends.len());
                let mut start = 0;
                for (i, &end) in ends.iter().enumerate() {
                    checked.push(framer.checked(i, names.get(start..end).unwrap_or_default())?);
                    start = end;
                }
                Ok::<_, Failure>(checked)
            })?;
            Ok(MetricSet { framer, paths })
        });
        batch::give_back(b);
        record_result(r)
    }

    /// Number of registered paths.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.paths.borrow_dependent().len()
    }

    /// Encodes the first `points` values of the batch buffers at the first `timestamps` timestamps (1: one
    /// for all): value `i` for path `i`, or for path `lens[i]` of the batch buffers when `indexed`. Returns
    /// the length of the frames handed to the output; on a refused datapoint, the frames before it, with
    /// the reason in the last failure.
    pub fn encode(&mut self, points: usize, timestamps: usize, indexed: bool) -> usize {
        let r = self.push_all(points, timestamps, indexed);
        let len = self.framer.flush().unwrap_or(0);
        record(r.err());
        len
    }
}

impl MetricSet {
    fn push_all(&mut self, points: usize, timestamps: usize, indexed: bool) -> Result<(), Failure> {
        let b = batch::take();
        let r = b.columns(points, timestamps).and_then(|(idx, ts, values)| {
            self.push_values(Times(ts), values, indexed.then_some(idx))
        });
        batch::give_back(b);
        r
    }

    fn push_values(
        &mut self,
        times: Times<'_>,
        values: &[f64],
        indices: Option<&[u32]>,
    ) -> Result<(), Failure> {
        let n = values.len();
        let paths = self.paths.borrow_dependent();
        times.check(n)?;
        if indices.is_none() && n != paths.len() {
            return Err(Failure::bad_input(
                None,
                InputFault::ValuesForPaths,
                n,
                paths.len(),
            ));
        }
        for (i, &value) in values.iter().enumerate() {
            let k = indices.map_or(i, |idx| idx[i] as usize);
            let path =
                *paths
                    .get(k)
                    .ok_or(Failure::bad_input(Some(i), InputFault::UnknownIndex, k, 0))?;
            self.framer.push(i, path, times.get(i), value)?;
        }
        Ok(())
    }
}
