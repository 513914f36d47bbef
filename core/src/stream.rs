//! Writing a frame straight to an [`embedded_io::Write`] in constant memory.
//!
//! The frame's length is measured first (one pass that also checks every datapoint and the limits), then the
//! header and the datapoints are written piece by piece. No frame buffer: a microcontroller can send a
//! 500-point frame with a few dozen bytes of stack. Nothing is written unless the whole frame is valid.

use core::borrow::Borrow;
use core::fmt;

use crate::tags::{self, Text};
use crate::wire::{self, Codec, HEADER_LEN};
use crate::{frame_len, Datapoint, Error, Options};

/// Why a streamed frame was not (fully) written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StreamError<E> {
    /// Refused before anything was written.
    Encode(Error),
    /// The writer failed after `written` bytes of the frame.
    Io {
        /// The writer's error.
        error: E,
        /// Bytes of the frame that were written before it failed.
        written: usize,
    },
}

impl<E: fmt::Debug> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Encode(e) => write!(f, "{e}"),
            StreamError::Io { error, written } => {
                write!(f, "write failed after {written} bytes: {error:?}")
            }
        }
    }
}

impl<E: fmt::Debug> core::error::Error for StreamError<E> {}

/// Writes `points` as one frame to `w` without a frame buffer; returns the bytes written.
///
/// `points` is read twice (measure, then write), so it must be `Clone` (a slice or a cheap iterator).
///
/// ```
/// use carbon_pickle::{write_frame, Datapoint, Options};
/// let points = [Datapoint::new("a.b", 1_700_000_000, 1.5)];
/// let mut out = Vec::new();
/// let n = write_frame(&mut out, &points, &Options::new()).unwrap();
/// assert_eq!(n, 34);
/// assert_eq!(
///     out,
///     b"\x00\x00\x00\x1e\x80\x02](X\x03\x00\x00\x00a.bJ\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86e."
/// );
/// ```
// Inlinable so that a caller whose options are a constant protocol 2 lets the compiler pick the codec at
// compile time and drop protocol 0 (ryu, itoa) from the program (about 6.5 KiB on a Cortex-M3).
#[inline]
pub fn write_frame<'a, W, I>(
    w: &mut W,
    points: I,
    opts: &Options<'_>,
) -> Result<usize, StreamError<W::Error>>
where
    W: embedded_io::Write,
    I: IntoIterator + Clone,
    I::Item: Borrow<Datapoint<'a>>,
{
    let size = frame_len(points.clone(), opts).map_err(StreamError::Encode)?;
    let protocol = opts.protocol();
    let codec = Codec::of(protocol).map_err(StreamError::Encode)?;
    let mut written = 0usize;
    let mut failure = None;
    let mut emit = |b: &[u8]| match w.write_all(b) {
        Ok(()) => {
            written += b.len();
            Ok(())
        }
        Err(e) => {
            failure = Some(e);
            Err(())
        }
    };
    let mut result = emit(&((size.len - HEADER_LEN) as u32).to_be_bytes())
        .and_then(|()| emit(wire::opener(protocol)));
    for dp in points {
        let dp = dp.borrow();
        let text = Text::new(opts.prefix(), dp.path, tags::layout_of(dp.path));
        result = result.and_then(|()| codec.write(&text, dp, &mut emit));
    }
    result = result.and_then(|()| emit(wire::trailer(protocol)));
    if result.is_ok() {
        if let Err(e) = w.flush() {
            failure = Some(e);
        }
    }
    match failure {
        Some(error) => Err(StreamError::Io { error, written }),
        None => Ok(written),
    }
}
