//! The encoder JavaScript drives: batches (for `encodeFrames`) or a stream (for `FrameEncoder`).

use alloc::string::String;

use wasm_bindgen::prelude::*;

use crate::batch;
use crate::failure::{record, record_result, Failure};
use crate::framer::{Framer, Mode};
use crate::input::{Paths, Times};
use crate::options;
use crate::recent::Recent;

/// Checked options and the frames being built.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Encoder {
    framer: Framer,
    /// Paths sent before, which a batch may name by number.
    recent: Recent,
}

#[wasm_bindgen]
impl Encoder {
    /// An encoder with checked options, or `undefined` with the reason in the last failure. A stream hands
    /// out finished frames as they fill ([`take`](Self::take)); a batch encoder only on
    /// [`flush`](Self::flush).
    pub fn create(
        protocol: u8,
        prefix: Option<String>,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
        stream: bool,
    ) -> Option<Encoder> {
        let mode = if stream { Mode::Stream } else { Mode::Batch };
        let opts = options::build(
            protocol,
            prefix,
            max_bytes,
            max_points,
            allow_spaces,
            ascii_only,
        );
        record_result(
            opts.and_then(|o| Framer::new(o, mode))
                .map(|framer| Encoder {
                    framer,
                    recent: Recent::default(),
                }),
        )
    }

    /// Adds one datapoint; false (the reason in the last failure) if refused, leaving everything as it was.
    pub fn push(&mut self, path: &str, timestamp: f64, value: f64) -> bool {
        let r = self
            .framer
            .checked(0, path)
            .and_then(|path| self.framer.push(0, path, timestamp, value));
        let ok = r.is_ok();
        record(r.err());
        ok
    }

    /// Adds the first `points` datapoints of the batch buffers (paths: the first `text_len` bytes; the
    /// first `timestamps` timestamps, 1 meaning one for all); stops at the first refused datapoint
    /// (false), keeping every datapoint before it.
    #[wasm_bindgen(js_name = pushBatch)]
    pub fn push_batch(&mut self, points: usize, text_len: usize, timestamps: usize) -> bool {
        let b = batch::take();
        let r = b.paths(points, text_len).and_then(|paths| {
            let (_, ts, values) = b.columns(points, timestamps)?;
            push_columns(&mut self.framer, paths, Times(ts), values)
        });
        batch::give_back(b);
        let ok = r.is_ok();
        record(r.err());
        ok
    }

    /// Like [`push_batch`](Self::push_batch), where a lengths entry may name a path sent before by its
    /// number or ask for its path to be remembered (see `recent`). A refused batch forgets every path.
    #[wasm_bindgen(js_name = pushRecent)]
    pub fn push_recent(&mut self, points: usize, text_len: usize, timestamps: usize) -> bool {
        let b = batch::take();
        let framer = &mut self.framer;
        let recent = &mut self.recent;
        let r = b.text(text_len).and_then(|text| {
            let (lens, ts, values) = b.columns(points, timestamps)?;
            let times = Times(ts);
            times.check(values.len())?;
            recent.each(text, lens, &mut |i, path| {
                let path = framer.checked(i, path)?;
                framer.push(i, path, times.get(i), values[i])
            })
        });
        batch::give_back(b);
        if r.is_err() {
            self.recent.forget();
        }
        let ok = r.is_ok();
        record(r.err());
        ok
    }

    /// Forgets every remembered path (JavaScript does so when its cap is reached).
    #[wasm_bindgen(js_name = forgetRecent)]
    pub fn forget_recent(&mut self) {
        self.recent.forget();
    }

    /// Stream: hands the finished frames to the output; returns their length in bytes.
    pub fn take(&mut self) -> usize {
        self.framer.take()
    }

    /// Finishes the open frame and hands every finished frame to the output; returns their length.
    pub fn flush(&mut self) -> usize {
        match self.framer.flush() {
            Ok(len) => len,
            Err(e) => {
                record(Some(e));
                0
            }
        }
    }

    /// Bytes of finished frames waiting to be taken (stream).
    #[wasm_bindgen(getter, js_name = readyBytes)]
    pub fn ready_bytes(&self) -> usize {
        self.framer.finished_len()
    }

    /// Datapoints in the open frame.
    #[wasm_bindgen(getter, js_name = openPoints)]
    pub fn open_points(&self) -> usize {
        self.framer.open_points()
    }

    /// Bytes the open frame would have if finished now.
    #[wasm_bindgen(getter, js_name = openBytes)]
    pub fn open_bytes(&self) -> usize {
        self.framer.open_len()
    }
}

impl Encoder {
    /// Paths remembered (for tests).
    #[cfg(test)]
    pub(crate) fn recent_paths(&self) -> usize {
        self.recent.len()
    }
}

/// Checks that the columns fit together, then pushes every datapoint; stops at the first refused one.
fn push_columns(
    framer: &mut Framer,
    paths: Paths<'_>,
    times: Times<'_>,
    values: &[f64],
) -> Result<(), Failure> {
    times.check(values.len())?;
    paths.check_total()?;
    for ((i, path), &value) in paths.iter().enumerate().zip(values) {
        let path = framer.checked(i, path?)?;
        framer.push(i, path, times.get(i), value)?;
    }
    Ok(())
}
