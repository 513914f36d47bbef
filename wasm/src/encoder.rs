//! The encoder JavaScript drives: batches (`encodeFrames`), a stream (`FrameEncoder`) or a set of registered
//! paths (`MetricSet`). One class for all three keeps one copy of the class glue in the module.

use wasm_bindgen::prelude::*;

use crate::batch;
use crate::failure::{record, record_result, Failure, InputFault};
use crate::framer::{Framer, Mode};
use crate::input::Times;
use crate::options;
use crate::recent;
use crate::table::Table;

/// Checked options, the frames being built, and paths kept checked in wasm.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Encoder {
    framer: Framer,
    /// A `MetricSet`'s registered paths, or the paths `encodeFrames` remembered.
    paths: Table,
    /// The paths were registered (`MetricSet`): a refused batch keeps them.
    registered: bool,
}

#[wasm_bindgen]
impl Encoder {
    /// An encoder with checked options, or `undefined` with the reason in the last failure. The prefix, if
    /// `prefix_len` is not negative, is the first `prefix_len` bytes of the batch text. A stream hands out
    /// finished frames as they fill ([`take`](Self::take)); a batch encoder only on [`flush`](Self::flush).
    pub fn create(
        protocol: u8,
        prefix_len: i32,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
        stream: bool,
    ) -> Option<Encoder> {
        let mode = if stream { Mode::Stream } else { Mode::Batch };
        let r = batch::with_batch(|b| {
            let prefix = match usize::try_from(prefix_len) {
                Ok(len) => Some(b.text(len)?),
                Err(_) => None,
            };
            options::build(
                protocol,
                prefix,
                max_bytes,
                max_points,
                allow_spaces,
                ascii_only,
            )
        });
        record_result(r.and_then(|o| Framer::new(o, mode)).map(|framer| Encoder {
            framer,
            paths: Table::default(),
            registered: false,
        }))
    }

    /// Adds the first `points` datapoints of the batch buffers (paths: the first `text_len` bytes, where a
    /// lengths entry may name a path sent before by its number or ask for its path to be remembered: see
    /// `recent`; the first `timestamps` timestamps, 1 meaning one for all); stops at the first refused
    /// datapoint (false, the reason in the last failure), keeping every datapoint before it. A refused batch
    /// forgets every remembered path (registered paths stay).
    #[wasm_bindgen(js_name = pushRows)]
    pub fn push_rows(&mut self, points: usize, text_len: usize, timestamps: usize) -> bool {
        let r = batch::with_batch(|b| {
            let text = b.text(text_len)?;
            let (lens, ts, values) = b.columns(points, timestamps)?;
            recent::push_rows(
                &mut self.framer,
                &mut self.paths,
                text,
                lens,
                Times(ts),
                values,
            )
        });
        if r.is_err() && !self.registered {
            self.paths.clear();
        }
        let ok = r.is_ok();
        record(r.err());
        ok
    }

    /// Registers the first `points` paths of the batch buffers (`text_len` bytes) as a `MetricSet`'s, each
    /// checked once; false, with the refused path's number in the last failure, if one breaks the rules.
    pub fn register(&mut self, points: usize, text_len: usize) -> bool {
        let rules = self.framer.rules();
        let r = batch::with_batch(|b| {
            let text = b.text(text_len)?;
            let (lens, _, _) = b.columns(points, 0)?;
            let (block, failure) = recent::remember(text, text.is_ascii(), lens, rules, true);
            match failure {
                Some(f) => Err(f),
                None if block.paths().len() == points => {
                    self.paths.add(block);
                    self.registered = true;
                    Ok(())
                }
                None => Err(Failure::bad_input(
                    None,
                    InputFault::LengthsMismatch,
                    points,
                    0,
                )),
            }
        });
        let ok = r.is_ok();
        record(r.err());
        ok
    }

    /// The encoder's small calls, by [`Control`] number (one exported method for all of them: each method
    /// of a class carries its own copy of the class's glue, about 200 bytes of wasm).
    pub fn control(&mut self, what: u32) -> usize {
        match what {
            c if c == Control::Take as u32 => self.take(),
            c if c == Control::Flush as u32 => self.flush(),
            c if c == Control::ForgetPaths as u32 => {
                self.paths.clear();
                0
            }
            c if c == Control::ReadyBytes as u32 => self.framer.finished_len(),
            c if c == Control::OpenPoints as u32 => self.framer.open_points(),
            c if c == Control::OpenBytes as u32 => self.framer.open_len(),
            _ => 0,
        }
    }
}

/// What [`Encoder::control`] does.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stream: hands the finished frames to the output; returns their length in bytes.
    Take = 0,
    /// Finishes the open frame and hands every finished frame to the output; returns their length.
    Flush = 1,
    /// Forgets every remembered path (JavaScript does so when its cap is reached).
    ForgetPaths = 2,
    /// Bytes of finished frames waiting to be taken (stream).
    ReadyBytes = 3,
    /// Datapoints in the open frame.
    OpenPoints = 4,
    /// Bytes the open frame would have if finished now.
    OpenBytes = 5,
}

impl Encoder {
    /// Stream: hands the finished frames to the output; returns their length in bytes.
    pub(crate) fn take(&mut self) -> usize {
        self.framer.take()
    }

    /// Finishes the open frame and hands every finished frame to the output; returns their length.
    pub(crate) fn flush(&mut self) -> usize {
        match self.framer.flush() {
            Ok(len) => len,
            Err(e) => {
                record(Some(e));
                0
            }
        }
    }
}

impl Encoder {
    /// Paths remembered or registered (for tests).
    #[cfg(test)]
    pub(crate) fn paths_held(&self) -> usize {
        self.paths.len()
    }
}
