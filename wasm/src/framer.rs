//! Datapoints into frames, through the one encoder type of the module.
//!
//! Every encoder here (one-shot batches, interned sets, streams) goes through [`Framer::push`], so the core's
//! push is compiled once. A push the core refuses as "frame full" closes the frame and the same datapoint
//! opens the next one; any other refusal leaves everything as it was.
//!
//! One-shot batches chain their frames in one buffer (a finished frame's buffer becomes the sink of the
//! next), so frames are never copied inside wasm. A stream must hand out finished frames while its next
//! frame is open, so it moves each finished frame to a separate buffer (and reuses the frame's memory).

use alloc::vec::Vec;
use core::mem;

use carbon_pickle::{CheckedPath, Error, FrameEncoder, Options};

use wasm_bindgen::prelude::*;

use crate::failure::Failure;
use crate::global;

/// How finished frames are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// All frames back to back in the encoder's own buffer, taken once at the end.
    Chain,
    /// Finished frames moved to `done`, taken whenever the owner asks.
    Stream,
}

/// An open frame after any number of finished ones.
#[derive(Debug)]
pub(crate) struct Framer {
    opts: Options<'static>,
    mode: Mode,
    /// `None` only while one frame is being swapped for the next.
    enc: Option<FrameEncoder<'static, Vec<u8>>>,
    /// Where the open frame starts in the encoder's buffer.
    open_start: usize,
    /// Finished frames not yet taken (stream mode).
    done: Vec<u8>,
    /// Datapoints in each finished frame not yet taken (both modes).
    counts: Vec<u32>,
}

impl Framer {
    fn new(opts: Options<'static>, mode: Mode, buf: Vec<u8>) -> Result<Self, Failure> {
        let open_start = buf.len();
        Ok(Framer {
            opts,
            mode,
            enc: Some(FrameEncoder::new(buf, opts).map_err(Failure::options)?),
            open_start,
            done: Vec::new(),
            counts: Vec::new(),
        })
    }

    /// A framer for one batch of about `points` datapoints: every frame in one buffer.
    pub fn batch(opts: Options<'static>, points: usize) -> Result<Self, Failure> {
        // Protocol 2 takes 20 bytes a datapoint plus the path: one allocation is usually enough.
        Self::new(
            opts,
            Mode::Chain,
            Vec::with_capacity(points.saturating_mul(24).saturating_add(16)),
        )
    }

    /// A framer for a stream: finished frames can be taken while the next one is open.
    pub fn stream(opts: Options<'static>) -> Result<Self, Failure> {
        Self::new(opts, Mode::Stream, Vec::new())
    }

    /// Checks a one-off path (datapoint number `index` of its batch) under the framer's rules.
    #[inline]
    pub fn checked<'a>(&self, index: usize, path: &'a str) -> Result<CheckedPath<'a>, Failure> {
        CheckedPath::new(path, self.opts.path_rules())
            .map_err(|e| Failure::at(index, Error::InvalidPath(e)))
    }

    /// Adds a datapoint (number `index` of its batch), closing the open frame first if it is full.
    ///
    /// The only way into the core's encoder in this module: one-off paths are checked just before
    /// ([`checked`](Self::checked)), interned ones once at registration.
    #[inline(never)]
    pub fn push(
        &mut self,
        index: usize,
        path: CheckedPath<'_>,
        timestamp: f64,
        value: f64,
    ) -> Result<(), Failure> {
        let enc = self.enc.as_mut().ok_or(Failure::internal())?;
        match enc.push_checked(path, timestamp, value) {
            Ok(()) => Ok(()),
            Err(e) if e.is_frame_full() && !enc.is_empty() => {
                self.next_frame()?;
                let enc = self.enc.as_mut().ok_or(Failure::internal())?;
                enc.push_checked(path, timestamp, value)
                    .map_err(|e| Failure::at(index, e))
            }
            Err(e) => Err(Failure::at(index, e)),
        }
    }

    /// Closes the open frame (dropping it if empty) and returns the encoder's buffer.
    fn close(&mut self) -> Vec<u8> {
        let Some(enc) = self.enc.take() else {
            return Vec::new();
        };
        let points = enc.points();
        let mut buf = enc.finish();
        if points == 0 {
            buf.truncate(self.open_start);
        } else {
            self.counts.push(points as u32);
        }
        buf
    }

    /// Closes the open frame and opens the next.
    fn next_frame(&mut self) -> Result<(), Failure> {
        let mut buf = self.close();
        if self.mode == Mode::Stream {
            if self.done.is_empty() {
                // Hand the frame's memory over whole; the next frame gets a buffer of the same size.
                let cap = buf.capacity();
                self.done = mem::replace(&mut buf, Vec::with_capacity(cap));
            } else {
                self.done.extend_from_slice(&buf);
                buf.clear();
            }
        }
        self.open_start = buf.len();
        self.enc = Some(FrameEncoder::new(buf, self.opts).map_err(Failure::options)?);
        Ok(())
    }

    /// Every frame of a batch (the open one closed), back to back; the datapoints in each go to
    /// [`frame_counts`](crate::frame_counts).
    pub fn into_frames(mut self) -> Vec<u8> {
        let buf = self.close();
        publish_counts(&mut self.counts);
        match self.mode {
            Mode::Chain => buf,
            Mode::Stream => {
                self.done.extend_from_slice(&buf);
                self.done
            }
        }
    }

    /// Stream: closes the open frame if it holds anything, then hands over every finished frame.
    pub fn flush(&mut self) -> Result<Vec<u8>, Failure> {
        if self.open_points() > 0 {
            self.next_frame()?;
        }
        Ok(self.take_finished())
    }

    /// Stream: the finished frames, back to back, handed over (the open frame stays); the datapoints in
    /// each go to [`frame_counts`](crate::frame_counts).
    pub fn take_finished(&mut self) -> Vec<u8> {
        publish_counts(&mut self.counts);
        mem::take(&mut self.done)
    }

    /// Stream: bytes of finished frames not yet taken.
    pub fn finished_len(&self) -> usize {
        self.done.len()
    }

    /// Datapoints in the open frame.
    pub fn open_points(&self) -> usize {
        self.enc.as_ref().map_or(0, |e| e.points())
    }

    /// Bytes the open frame would have if finished now (0 when empty).
    pub fn open_len(&self) -> usize {
        match &self.enc {
            Some(e) if !e.is_empty() => e.frame_len(),
            _ => 0,
        }
    }
}

/// Makes `counts` the answer of the next [`frame_counts`] call.
fn publish_counts(counts: &mut Vec<u32>) {
    let counts = mem::take(counts);
    global::with(|s| s.counts = counts);
}

/// Datapoints in each frame the last call returned, in order (empty after a call that returned none).
#[wasm_bindgen(js_name = frameCounts)]
pub fn frame_counts() -> Vec<u32> {
    global::with(|s| mem::take(&mut s.counts))
}
