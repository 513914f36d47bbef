//! Datapoints into frames, back to back in one [`Spool`].
//!
//! Every encoder of the module (one-shot batches, interned sets, streams) goes through [`Framer::push`], so
//! the core's push is compiled once. A push the core refuses as "frame full" closes the frame and the same
//! datapoint opens the next one; any other refusal leaves everything as it was.

use alloc::vec::Vec;

use carbon_pickle::{Datapoint, FrameEncoder, Options, Sink};

use crate::failure::Failure;
use crate::spool::Spool;

/// An open frame after any number of finished ones.
#[derive(Debug)]
pub(crate) struct Framer {
    opts: Options<'static>,
    spool: Spool,
    /// `None` only while one frame is being swapped for the next.
    enc: Option<FrameEncoder<'static, Spool>>,
    /// Stream offset where the open frame starts: everything before it is finished frames.
    open_start: usize,
}

impl Framer {
    pub fn new(opts: Options<'static>) -> Result<Self, Failure> {
        let spool = Spool::default();
        let enc = FrameEncoder::new(spool.clone(), opts).map_err(Failure::options)?;
        Ok(Framer {
            opts,
            spool,
            enc: Some(enc),
            open_start: 0,
        })
    }

    /// A framer with room for about `points` datapoints, for one-shot batches.
    pub fn with_capacity(opts: Options<'static>, points: usize) -> Result<Self, Failure> {
        let framer = Self::new(opts)?;
        // Protocol 2 takes 20 bytes a datapoint plus the path: one allocation is usually enough.
        framer.spool.reserve(points.saturating_mul(24));
        Ok(framer)
    }

    /// Adds a datapoint (number `index` of its batch), closing the open frame first if it is full.
    #[inline(never)]
    pub fn push(&mut self, index: usize, dp: &Datapoint<'_>) -> Result<(), Failure> {
        let enc = self.enc.as_mut().ok_or(Failure::internal())?;
        match enc.push(dp) {
            Ok(()) => Ok(()),
            Err(e) if e.is_frame_full() && !enc.is_empty() => {
                self.next_frame()?;
                let enc = self.enc.as_mut().ok_or(Failure::internal())?;
                enc.push(dp).map_err(|e| Failure::at(index, e))
            }
            Err(e) => Err(Failure::at(index, e)),
        }
    }

    /// Closes the open frame (dropping it if empty) and opens a new one.
    fn next_frame(&mut self) -> Result<(), Failure> {
        if let Some(enc) = self.enc.take() {
            let empty = enc.is_empty();
            let mut spool = enc.finish();
            if empty {
                spool.truncate(self.open_start);
            }
        }
        self.open_start = self.spool.len();
        self.enc =
            Some(FrameEncoder::new(self.spool.clone(), self.opts).map_err(Failure::options)?);
        Ok(())
    }

    /// The finished frames, back to back, handed over (the open frame stays).
    pub fn take_finished(&mut self) -> Vec<u8> {
        self.spool.take_until(self.open_start)
    }

    /// Closes the open frame if it holds anything, then hands over every finished frame.
    pub fn flush(&mut self) -> Result<Vec<u8>, Failure> {
        if !self.is_open_empty() {
            self.next_frame()?;
        }
        Ok(self.take_finished())
    }

    fn is_open_empty(&self) -> bool {
        self.enc.as_ref().is_none_or(|e| e.is_empty())
    }

    /// Bytes of finished frames not yet taken.
    pub fn finished_len(&self) -> usize {
        self.open_start.saturating_sub(self.spool.taken())
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
