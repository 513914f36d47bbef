//! Interned paths: a set of metric paths registered once, then batches of numbers only.
//!
//! A dashboard of sensors or a process's gauges report the same paths at every flush. Sending those strings
//! across the JS/wasm boundary each time costs more than encoding them, so the set keeps them in wasm memory
//! (checked against the path rules once, at registration) and each flush passes a `Float64Array` of values
//! and the timestamps, with optional indices for flushes that report only some of the paths.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::{CheckedPath, Error, Options};
use self_cell::self_cell;
use wasm_bindgen::prelude::*;

use crate::codec::finish;
use crate::failure::{record, record_result, Failure, InputFault};
use crate::framer::Framer;
use crate::input::{Paths, Times};
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

/// Registered paths and the options their frames are built with.
#[wasm_bindgen]
#[derive(Debug)]
pub struct MetricSet {
    opts: Options<'static>,
    paths: Registered,
}

#[wasm_bindgen]
impl MetricSet {
    /// Registers the paths (each checked against the path rules), or `undefined` with the reason (and the
    /// path's index) in the last failure.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        paths: &str,
        lens: &[u32],
        protocol: u8,
        prefix: Option<String>,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
    ) -> Option<MetricSet> {
        let r = options::build(
            protocol,
            prefix,
            max_bytes,
            max_points,
            allow_spaces,
            ascii_only,
        )
        .and_then(|opts| Self::register(opts, Paths::new(paths, lens)));
        record_result(r)
    }

    /// Number of registered paths.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.len()
    }

    /// Encodes `values[i]` at `timestamps[i]` for path `indices[i]` (or path `i` without indices): every
    /// frame, back to back; on a refused datapoint, the frames before it and the reason in the last failure.
    pub fn encode(&self, timestamps: &[f64], values: &[f64], indices: Option<Vec<u32>>) -> Vec<u8> {
        self.run(Times(timestamps), values, indices.as_deref())
    }
}

impl MetricSet {
    fn register(opts: Options<'static>, paths: Paths<'_>) -> Result<MetricSet, Failure> {
        paths.check_total()?;
        let mut names = String::new();
        let mut spans = Vec::with_capacity(paths.len());
        for path in paths.iter() {
            let path = path?;
            let start = names.len();
            names.push_str(path);
            spans.push((start, names.len()));
        }
        let rules = opts.path_rules();
        let paths = Registered::try_new(names, |names| {
            spans
                .iter()
                .enumerate()
                .map(|(i, &(s, e))| {
                    let path = names.get(s..e).unwrap_or_default();
                    CheckedPath::new(path, rules).map_err(|e| Failure::at(i, Error::InvalidPath(e)))
                })
                .collect()
        })?;
        Ok(MetricSet { opts, paths })
    }

    fn len(&self) -> usize {
        self.paths.borrow_dependent().len()
    }

    fn run(&self, times: Times<'_>, values: &[f64], indices: Option<&[u32]>) -> Vec<u8> {
        let mut framer = match self
            .check(times, values, indices)
            .and_then(|()| Framer::batch(self.opts, values.len()))
        {
            Ok(f) => f,
            Err(e) => {
                record(Some(e));
                return Vec::new();
            }
        };
        let r = self.push_all(&mut framer, times, values, indices);
        finish(framer, r)
    }

    fn check(
        &self,
        times: Times<'_>,
        values: &[f64],
        indices: Option<&[u32]>,
    ) -> Result<(), Failure> {
        let n = values.len();
        times.check(n)?;
        match indices {
            Some(idx) if idx.len() != n => Err(Failure::bad_input(
                None,
                InputFault::IndicesForValues,
                idx.len(),
                n,
            )),
            None if n != self.len() => Err(Failure::bad_input(
                None,
                InputFault::ValuesForPaths,
                n,
                self.len(),
            )),
            _ => Ok(()),
        }
    }

    fn push_all(
        &self,
        framer: &mut Framer,
        times: Times<'_>,
        values: &[f64],
        indices: Option<&[u32]>,
    ) -> Result<(), Failure> {
        let paths = self.paths.borrow_dependent();
        for (i, &value) in values.iter().enumerate() {
            let k = match indices {
                Some(idx) => idx.get(i).map_or(usize::MAX, |&k| k as usize),
                None => i,
            };
            let path =
                *paths
                    .get(k)
                    .ok_or(Failure::bad_input(Some(i), InputFault::UnknownIndex, k, 0))?;
            framer.push(i, path, times.get(i), value)?;
        }
        Ok(())
    }
}
