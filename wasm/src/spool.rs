//! One growing buffer of frames, shared by the encoder that appends to it and the owner that takes
//! finished frames off its front.
//!
//! The core's `FrameEncoder` owns its sink. To hand out finished frames while a frame is still open, without
//! copying the finished ones, the sink is a shared handle: the encoder appends through it, the owner splits
//! the buffer at the open frame's start. Offsets stay those of the whole stream (bytes taken still count),
//! so the encoder's own offsets never go stale.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::mem;

use carbon_pickle::{Sink, SinkFull};

#[derive(Debug, Default)]
struct Inner {
    buf: Vec<u8>,
    /// Bytes already taken off the front.
    taken: usize,
}

/// A shared handle on the buffer; clones see the same bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spool(Rc<RefCell<Inner>>);

impl Spool {
    /// Reserves room for `additional` more bytes.
    pub fn reserve(&self, additional: usize) {
        self.0.borrow_mut().buf.reserve(additional);
    }

    /// Bytes taken off the front so far.
    pub fn taken(&self) -> usize {
        self.0.borrow().taken
    }

    /// Takes the bytes up to stream offset `end` (not past what was written), leaving the rest in place.
    pub fn take_until(&self, end: usize) -> Vec<u8> {
        let mut inner = self.0.borrow_mut();
        let k = end.saturating_sub(inner.taken).min(inner.buf.len());
        let rest = inner.buf.split_off(k);
        inner.taken += k;
        mem::replace(&mut inner.buf, rest)
    }
}

impl Sink for Spool {
    #[inline]
    fn len(&self) -> usize {
        let inner = self.0.borrow();
        inner.taken + inner.buf.len()
    }
    fn remaining(&self) -> usize {
        isize::MAX as usize - self.len()
    }
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        let mut inner = self.0.borrow_mut();
        inner.buf.try_reserve(bytes.len()).map_err(|_| SinkFull)?;
        inner.buf.extend_from_slice(bytes);
        Ok(())
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        let mut inner = self.0.borrow_mut();
        let at = at.saturating_sub(inner.taken);
        if let Some(dst) = inner.buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }
    fn truncate(&mut self, len: usize) {
        let mut inner = self.0.borrow_mut();
        let keep = len.saturating_sub(inner.taken);
        inner.buf.truncate(keep);
    }
}
