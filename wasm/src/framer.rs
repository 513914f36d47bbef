//! Datapoints into frames, through the one encoder type of the module.
//!
//! Every encoder here (one-shot batches, interned sets, streams) goes through [`Framer::push`], so the core's
//! push is compiled once. A push the core refuses as "frame full" closes the frame and the same datapoint
//! opens the next one; any other refusal leaves everything as it was.
//!
//! Batches chain their frames in the encoder's own buffer (a finished frame's buffer becomes the sink of the
//! next), so frames are never copied inside wasm. A stream must hand out finished frames while its next frame
//! is open, so it moves each finished frame to a separate buffer.

use alloc::vec::Vec;
use core::mem;

use carbon_pickle::{CheckedPath, Error, FrameEncoder, Options, PathRules, Sink};

use crate::buf::Buf;
use crate::failure::Failure;
use crate::output;

/// How finished frames are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// All frames back to back in the encoder's own buffer, handed out by [`Framer::flush`].
    Batch,
    /// Finished frames moved to `done`, handed out whenever the owner asks.
    Stream,
}

/// An open frame after any number of finished ones.
#[derive(Debug)]
pub(crate) struct Framer {
    opts: Options<'static>,
    mode: Mode,
    /// `None` only while one frame is being swapped for the next.
    enc: Option<FrameEncoder<'static, Buf>>,
    /// Where the open frame starts in the encoder's buffer.
    open_start: usize,
    /// Finished frames not yet handed out (stream mode).
    done: Vec<u8>,
    /// Datapoints in each finished frame not yet handed out.
    counts: Vec<u32>,
}

impl Framer {
    pub fn new(opts: Options<'static>, mode: Mode) -> Result<Self, Failure> {
        Ok(Framer {
            opts,
            mode,
            enc: Some(open(Buf::default(), opts)?),
            open_start: 0,
            done: Vec::new(),
            counts: Vec::new(),
        })
    }

    /// The path rules of the framer's options.
    pub fn rules(&self) -> PathRules {
        self.opts.path_rules()
    }

    /// Checks a one-off path (datapoint number `index` of its batch) under the framer's rules (one copy of
    /// the core's path check in the module).
    #[inline(never)]
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
        // One call of the core's push (its fast path is inlined where it is called): a datapoint refused
        // as "frame full" by a frame that holds some goes round once more, into the next frame.
        loop {
            let enc = self.enc.as_mut().ok_or(Failure::internal())?;
            match enc.push_checked(path, timestamp, value) {
                Ok(()) => return Ok(()),
                Err(e) if e.is_frame_full() && !enc.is_empty() => {
                    self.next_frame(None).map(drop)?
                }
                Err(e) => return Err(Failure::at(index, e)),
            }
        }
    }

    /// Closes the open frame (dropping it if empty) and returns the encoder's buffer.
    fn close(&mut self) -> Buf {
        let Some(enc) = self.enc.take() else {
            return Buf::default();
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

    /// Closes the open frame and opens the next; in batch mode, in `fresh` (the frames so far are
    /// returned) or else after them in the same buffer.
    fn next_frame(&mut self, fresh: Option<Vec<u8>>) -> Result<Vec<u8>, Failure> {
        let mut buf = self.close();
        let mut handed = Vec::new();
        match (self.mode, fresh) {
            (Mode::Batch, Some(fresh)) => {
                handed = mem::replace(&mut buf, Buf::from_vec(fresh)).into_vec()
            }
            (Mode::Batch, None) => {}
            (Mode::Stream, _) => {
                self.done.extend_from_slice(buf.written());
                buf.clear();
            }
        }
        self.open_start = buf.len();
        self.enc = Some(open(buf, self.opts)?);
        Ok(handed)
    }

    /// Stream: hands the finished frames over to the output (the open frame stays); returns their length.
    pub fn take(&mut self) -> usize {
        let (len, old, old_counts) =
            output::publish(mem::take(&mut self.done), mem::take(&mut self.counts));
        self.done = old;
        self.counts = old_counts;
        len
    }

    /// Closes the open frame, then hands every finished frame over to the output; returns their length.
    pub fn flush(&mut self) -> Result<usize, Failure> {
        match self.mode {
            Mode::Stream => {
                if self.open_points() > 0 {
                    self.next_frame(None)?;
                }
                Ok(self.take())
            }
            Mode::Batch => {
                let recycled = output::take_spare();
                let frames = self.next_frame(Some(recycled))?;
                let (len, old, old_counts) = output::publish(frames, mem::take(&mut self.counts));
                self.counts = old_counts;
                output::keep_spare(old);
                Ok(len)
            }
        }
    }

    /// Stream: bytes of finished frames not yet handed out.
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

/// Starts a frame after what `buf` holds (one copy of the core's `FrameEncoder::new` in the module).
#[inline(never)]
fn open(buf: Buf, opts: Options<'static>) -> Result<FrameEncoder<'static, Buf>, Failure> {
    FrameEncoder::new(buf, opts).map_err(Failure::options)
}
