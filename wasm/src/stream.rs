//! Streaming: datapoints pushed one by one or in batches, frames handed out as they fill.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use crate::batch;
use crate::codec::{check_columns, push_batch};
use crate::failure::{record, record_result};
use crate::framer::Framer;
use crate::input::{Paths, Times};
use crate::options;

/// An encoder that keeps its open frame between calls.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Stream {
    framer: Framer,
}

#[wasm_bindgen]
impl Stream {
    /// A stream with checked options, or `undefined` with the reason in the last failure.
    pub fn create(
        protocol: u8,
        prefix: Option<String>,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
    ) -> Option<Stream> {
        let opts = options::build(
            protocol,
            prefix,
            max_bytes,
            max_points,
            allow_spaces,
            ascii_only,
        );
        record_result(
            opts.and_then(Framer::stream)
                .map(|framer| Stream { framer }),
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

    /// Adds the first `points` datapoints of the batch buffers (paths: the first `text_len` bytes); stops
    /// at the first refused datapoint (false), keeping every datapoint before it.
    #[wasm_bindgen(js_name = pushMany)]
    pub fn push_many(&mut self, points: usize, text_len: usize) -> bool {
        let r = batch::take(points, text_len).and_then(|(batch, text)| {
            let paths = Paths::new(&text, &batch.lens[..points]);
            let times = Times(&batch.timestamps[..points]);
            let values = &batch.values[..points];
            let r = check_columns(paths, times, values)
                .and_then(|()| push_batch(&mut self.framer, paths, times, values));
            batch::give_back(batch, text);
            r
        });
        let ok = r.is_ok();
        record(r.err());
        ok
    }

    /// The frames finished so far, back to back (empty if none).
    pub fn take(&mut self) -> Vec<u8> {
        self.framer.take_finished()
    }

    /// Closes the open frame and returns every finished frame, back to back.
    pub fn flush(&mut self) -> Vec<u8> {
        match self.framer.flush() {
            Ok(frames) => {
                record(None);
                frames
            }
            Err(e) => {
                record(Some(e));
                self.framer.take_finished()
            }
        }
    }

    /// Bytes of finished frames waiting to be taken.
    #[wasm_bindgen(getter, js_name = readyBytes)]
    pub fn ready_bytes(&self) -> usize {
        self.framer.finished_len()
    }

    /// Datapoints in the open frame.
    #[wasm_bindgen(getter, js_name = openPoints)]
    pub fn open_points(&self) -> usize {
        self.framer.open_points()
    }

    /// Bytes the open frame would have if flushed now.
    #[wasm_bindgen(getter, js_name = openBytes)]
    pub fn open_bytes(&self) -> usize {
        self.framer.open_len()
    }
}
