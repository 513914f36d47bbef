//! The frames' byte buffer: written in place without zeroing each datapoint's bytes first.
//!
//! The core fills a datapoint's fixed fields with plain stores into memory the sink lends
//! (`extend_in_place`). A `Vec<u8>` must first grow its length, which zero-fills those bytes only for the
//! encoder to overwrite them. This buffer keeps its `Vec` initialized up to a high-water mark and tracks the
//! written length apart, so lending memory is a bounds check; zeroing happens only when it grows.

use alloc::vec::Vec;

use carbon_pickle::{Sink, SinkFull};

/// Bytes `..len` of `bytes` are written; `len..` is initialized room.
#[derive(Debug, Default)]
pub(crate) struct Buf {
    bytes: Vec<u8>,
    len: usize,
}

impl Buf {
    /// A buffer holding `bytes` (room: its spare capacity, zeroed when first used).
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let len = bytes.len();
        Buf { bytes, len }
    }

    /// The written bytes.
    pub fn into_vec(mut self) -> Vec<u8> {
        self.bytes.truncate(self.len);
        self.bytes
    }

    /// The written bytes, borrowed.
    pub fn written(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// Forgets the written bytes (the memory stays, initialized, for the next ones).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Makes room for `n` more bytes, at least doubling the initialized part when it grows, so that
    /// zeroing costs amortized constant time per byte. (Growing to the whole capacity at once would zero
    /// megabytes for every frame chained after a big batch.)
    #[inline]
    fn room(&mut self, n: usize) -> Result<(), SinkFull> {
        let need = self.len.checked_add(n).ok_or(SinkFull)?;
        if need > self.bytes.len() {
            let grown = need.max(self.bytes.len().saturating_mul(2)).max(256);
            self.bytes
                .try_reserve(grown - self.bytes.len())
                .map_err(|_| SinkFull)?;
            self.bytes.resize(grown, 0);
        }
        Ok(())
    }
}

impl Sink for Buf {
    const IN_PLACE: bool = true;

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    fn remaining(&self) -> usize {
        isize::MAX as usize - self.len
    }

    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        let slot = self.extend_in_place(bytes.len()).ok_or(SinkFull)?;
        slot.copy_from_slice(bytes);
        Ok(())
    }

    fn patch(&mut self, at: usize, bytes: &[u8]) {
        if let Some(dst) = self.bytes.get_mut(at..at.saturating_add(bytes.len())) {
            dst.copy_from_slice(bytes);
        }
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    #[inline]
    fn extend_in_place(&mut self, n: usize) -> Option<&mut [u8]> {
        self.room(n).ok()?;
        let start = self.len;
        self.len += n;
        self.bytes.get_mut(start..start + n)
    }
}
