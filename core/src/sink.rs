//! Where frame bytes go: a small output trait and its storage kinds.
//!
//! Like postcard's "flavors": the encoder only appends, truncates (to undo a refused push, which never
//! happens after the up-front size check but keeps the promise even for a misbehaving sink) and back-patches
//! the 4-byte length header when the frame is finished. Implemented for a caller's `&mut [u8]`
//! ([`SliceSink`]), `heapless::Vec`, `alloc::vec::Vec` (feature `alloc`) and a byte [`Counter`].

/// The sink has no room for the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SinkFull;

/// An append-only byte output that can patch what it already holds.
///
/// Frames can go back to back into one sink: each [`FrameEncoder`](crate::FrameEncoder) starts after what
/// the sink holds.
///
/// ```
/// use carbon_pickle::{Datapoint, FrameEncoder, Options};
/// let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
/// for ts in [1u32, 2] {
///     let mut enc = FrameEncoder::new(&mut out, Options::new())?;
///     enc.push(&Datapoint::new("x", ts, 0))?;
///     enc.finish();
/// }
/// assert_eq!(out.len(), 2 * 32);
/// assert_eq!(&out[32..40], b"\0\0\0\x1c\x80\x02](");
/// assert_eq!(&out[46..51], b"J\x02\0\0\0");
/// # Ok::<(), carbon_pickle::Error>(())
/// ```
pub trait Sink {
    /// Bytes written so far.
    fn len(&self) -> usize;
    /// True when nothing has been written.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes that can still be appended (`usize::MAX` when unbounded).
    fn remaining(&self) -> usize;
    /// Appends all of `bytes`, or nothing and `Err(SinkFull)`.
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull>;
    /// Overwrites `bytes.len()` bytes at `at` (always inside what was written).
    fn patch(&mut self, at: usize, bytes: &[u8]);
    /// Drops everything after the first `len` bytes.
    fn truncate(&mut self, len: usize);
    /// False for a sink that only counts bytes ([`Counter`]): the encoder then skips producing them and calls
    /// [`count`](Self::count). Measuring a frame (as [`frame_len`](crate::frame_len) and the streaming writer
    /// do) then links no byte-writing code.
    const KEEPS_BYTES: bool = true;
    /// For a sink that does not keep bytes: adds `n` to the count.
    fn count(&mut self, n: usize) -> Result<(), SinkFull> {
        let _ = n;
        Err(SinkFull)
    }
    /// True if [`extend_in_place`](Self::extend_in_place) lends memory whenever there is room. The encoder
    /// then never writes piece by piece, and that code is left out of the program.
    const IN_PLACE: bool = false;
    /// Appends `n` bytes for the caller to fill in place, if this sink keeps its bytes in memory and has
    /// room; `None` otherwise (the encoder then writes piece by piece with `try_extend`). Filling in place
    /// lets the encoder write fixed-size fields with plain stores.
    fn extend_in_place(&mut self, n: usize) -> Option<&mut [u8]> {
        let _ = n;
        None
    }
    /// The memory after what was written that this sink lends as it is, without growing or zeroing
    /// anything (for a caller's `&mut [u8]`, the rest of it); empty by default. The encoder writes a run
    /// of datapoints there ([`FrameEncoder::extend_checked`](crate::FrameEncoder::extend_checked)), then
    /// takes them in with one [`extend_in_place`](Self::extend_in_place): bytes written there and not
    /// taken in are not part of the sink.
    fn spare(&mut self) -> &mut [u8] {
        &mut []
    }
}

/// A sink that keeps its bytes, so a finished frame can be read back.
///
/// ```
/// use carbon_pickle::{Datapoint, FrameEncoder, Options, Storage};
/// let mut enc = FrameEncoder::new(Vec::new(), Options::new())?;
/// enc.push(&Datapoint::new("x", 1, 0))?;
/// assert_eq!(enc.pending_bytes(), b"\0\0\0\0\x80\x02](X\x01\0\0\0xJ\x01\0\0\0G\0\0\0\0\0\0\0\0\x86\x86");
/// assert_eq!(enc.finish().bytes().len(), 32);
/// # Ok::<(), carbon_pickle::Error>(())
/// ```
pub trait Storage: Sink {
    /// Everything written so far.
    fn bytes(&self) -> &[u8];
}

/// Writes into a caller-given byte slice.
///
/// ```
/// use carbon_pickle::{Sink, SliceSink};
/// let mut buf = [0u8; 4];
/// let mut sink = SliceSink::new(&mut buf);
/// sink.try_extend(b"abc").unwrap();
/// assert!(sink.try_extend(b"de").is_err());
/// assert_eq!(sink.into_written(), b"abc");
/// ```
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// An empty sink over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceSink { buf, len: 0 }
    }
    /// The written part of the buffer.
    pub fn into_written(self) -> &'a mut [u8] {
        &mut self.buf[..self.len]
    }
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn remaining(&self) -> usize {
        self.buf.len() - self.len
    }
    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        let end = self.len + bytes.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(SinkFull)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
    const IN_PLACE: bool = true;
    #[inline]
    fn extend_in_place(&mut self, n: usize) -> Option<&mut [u8]> {
        let start = self.len;
        let slot = self.buf.get_mut(start..start.checked_add(n)?)?;
        self.len = start + n;
        Some(slot)
    }
    #[inline]
    fn spare(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.len..).unwrap_or_default()
    }
}

impl Storage for SliceSink<'_> {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Counts bytes and keeps none: the exact size of what would be written.
///
/// ```
/// use carbon_pickle::{Counter, Sink};
/// let mut c = Counter::default();
/// c.try_extend(b"abc").unwrap();
/// assert_eq!(c.len(), 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counter(pub usize);

impl Sink for Counter {
    const KEEPS_BYTES: bool = false;
    fn count(&mut self, n: usize) -> Result<(), SinkFull> {
        self.0 = self.0.checked_add(n).ok_or(SinkFull)?;
        Ok(())
    }
    fn len(&self) -> usize {
        self.0
    }
    fn remaining(&self) -> usize {
        usize::MAX - self.0
    }
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        self.0 = self.0.checked_add(bytes.len()).ok_or(SinkFull)?;
        Ok(())
    }
    fn patch(&mut self, _: usize, _: &[u8]) {}
    fn truncate(&mut self, len: usize) {
        self.0 = self.0.min(len);
    }
}

impl<const N: usize> Sink for heapless::Vec<u8, N> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn remaining(&self) -> usize {
        N - self.as_slice().len()
    }
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        self.extend_from_slice(bytes).map_err(|_| SinkFull)
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn truncate(&mut self, len: usize) {
        heapless::Vec::truncate(self, len);
    }
    const IN_PLACE: bool = true;
    fn extend_in_place(&mut self, n: usize) -> Option<&mut [u8]> {
        let start = self.as_slice().len();
        self.resize_default(start.checked_add(n)?).ok()?;
        Some(&mut self[start..])
    }
}

impl<const N: usize> Storage for heapless::Vec<u8, N> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn remaining(&self) -> usize {
        isize::MAX as usize - self.as_slice().len()
    }
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        self.try_reserve(bytes.len()).map_err(|_| SinkFull)?;
        self.extend_from_slice(bytes);
        Ok(())
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn truncate(&mut self, len: usize) {
        alloc::vec::Vec::truncate(self, len);
    }
    const IN_PLACE: bool = true;
    fn extend_in_place(&mut self, n: usize) -> Option<&mut [u8]> {
        let start = self.as_slice().len();
        self.try_reserve(n).ok()?;
        self.resize(start + n, 0);
        Some(&mut self[start..])
    }
}

#[cfg(feature = "alloc")]
impl Storage for alloc::vec::Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn remaining(&self) -> usize {
        (**self).remaining()
    }
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        (**self).try_extend(bytes)
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        (**self).patch(at, bytes)
    }
    fn truncate(&mut self, len: usize) {
        (**self).truncate(len)
    }
    const IN_PLACE: bool = S::IN_PLACE;
    const KEEPS_BYTES: bool = S::KEEPS_BYTES;
    fn count(&mut self, n: usize) -> Result<(), SinkFull> {
        (**self).count(n)
    }
    fn extend_in_place(&mut self, n: usize) -> Option<&mut [u8]> {
        (**self).extend_in_place(n)
    }
    fn spare(&mut self) -> &mut [u8] {
        (**self).spare()
    }
}

impl<S: Storage + ?Sized> Storage for &mut S {
    fn bytes(&self) -> &[u8] {
        (**self).bytes()
    }
}
