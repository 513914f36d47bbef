//! Turning any number of datapoints into as many frames as the limits need, in one reused buffer.

use core::borrow::Borrow;
use core::fmt;

use crate::{Datapoint, Error, FrameEncoder, Options, Storage};

/// Why splitting stopped.
///
/// ```
/// use carbon_pickle::{split, Datapoint, Error, Options, SplitError};
/// let points = [Datapoint::new("x", 1, 0), Datapoint::new("x", 2, f64::NAN)];
/// let mut sent = Vec::new();
/// let err = split(&points, Vec::new(), Options::new(), |f| Ok::<_, ()>(sent.extend_from_slice(f)));
/// assert_eq!(err, Err(SplitError::Point { index: 1, error: Error::NonFiniteValue }));
/// assert_eq!(sent.len(), 32, "the datapoint before the bad one was still handed out");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SplitError<E> {
    /// The datapoint at `index` (counted from the first one given) was refused.
    Point {
        /// Its position.
        index: usize,
        /// Why.
        error: Error,
    },
    /// The frame handler failed.
    Sink(E),
}

impl<E: fmt::Display> fmt::Display for SplitError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::Point { index, error } => write!(f, "datapoint {index}: {error}"),
            SplitError::Sink(e) => write!(f, "frame handler failed: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for SplitError<E> {}

/// Frames and datapoints handed out so far.
///
/// ```
/// use carbon_pickle::{split, Datapoint, Options, SplitStats};
/// let points = [Datapoint::new("x", 1, 0), Datapoint::new("x", 2, 0), Datapoint::new("x", 3, 0)];
/// let mut frames = Vec::new();
/// let stats = split(&points, Vec::new(), Options::new().with_max_points(2), |f| {
///     frames.push(f.to_vec());
///     Ok::<_, ()>(())
/// })?;
/// assert_eq!(stats, SplitStats { frames: 2, points: 3, bytes: 4 + 6 + 2 * 22 + 32 });
/// assert_eq!(&frames[1][..4], b"\0\0\0\x1c");
/// # Ok::<(), carbon_pickle::SplitError<()>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SplitStats {
    /// Frames handed to the handler.
    pub frames: usize,
    /// Datapoints in those frames.
    pub points: usize,
    /// Bytes in those frames, headers included.
    pub bytes: usize,
}

/// Streams datapoints into frames within the limits; each full frame goes to a handler and the buffer is
/// reused for the next.
///
/// ```
/// use carbon_pickle::{Datapoint, Options, SliceSink, Splitter};
/// let mut buf = [0u8; 128];
/// let mut split = Splitter::new(SliceSink::new(&mut buf), Options::new().with_max_points(2)).unwrap();
/// let mut sizes = Vec::new();
/// for i in 0..5u32 {
///     split.push(&Datapoint::new("m", i, i), |f| Ok::<_, ()>(sizes.push(f.len()))).unwrap();
/// }
/// let stats = split.finish(|f| Ok::<_, ()>(sizes.push(f.len()))).unwrap();
/// assert_eq!(sizes, [54, 54, 32]);
/// assert_eq!((stats.frames, stats.points), (3, 5));
/// ```
#[derive(Debug)]
pub struct Splitter<'p, S: Storage> {
    enc: FrameEncoder<'p, S>,
    stats: SplitStats,
}

impl<'p, S: Storage> Splitter<'p, S> {
    /// A splitter writing into `sink` (see [`FrameEncoder::new`] for the errors).
    pub fn new(sink: S, opts: Options<'p>) -> Result<Self, Error> {
        Ok(Splitter {
            enc: FrameEncoder::new(sink, opts)?,
            stats: SplitStats::default(),
        })
    }

    /// Adds a datapoint; when the frame is full, hands it to `on_frame` first and starts a new one.
    ///
    /// A refused datapoint (invalid, or too large for any frame) leaves everything as it was, so pushing can
    /// go on. If `on_frame` fails, the datapoint is not added and the full frame is kept: a retry of the same
    /// push hands the same frame again.
    pub fn push<E>(
        &mut self,
        dp: &Datapoint<'_>,
        on_frame: impl FnOnce(&[u8]) -> Result<(), E>,
    ) -> Result<(), SplitError<E>> {
        match self.enc.push(dp) {
            Err(e) if e.is_frame_full() => {
                self.flush(on_frame).map_err(SplitError::Sink)?;
                self.enc
                    .push(dp)
                    .map_err(|error| SplitError::Point { index: 0, error })
            }
            r => r.map_err(|error| SplitError::Point { index: 0, error }),
        }
    }

    /// Hands the current frame to `on_frame` if it holds any datapoint.
    pub fn flush<E>(&mut self, on_frame: impl FnOnce(&[u8]) -> Result<(), E>) -> Result<(), E> {
        if self.enc.is_empty() {
            return Ok(());
        }
        let points = self.enc.points();
        let len = self
            .enc
            .try_take_frame(|frame| on_frame(frame).map(|()| frame.len()))?;
        self.stats.frames += 1;
        self.stats.points += points;
        self.stats.bytes += len;
        Ok(())
    }

    /// Flushes the last frame and returns the totals.
    pub fn finish<E>(
        mut self,
        on_frame: impl FnOnce(&[u8]) -> Result<(), E>,
    ) -> Result<SplitStats, E> {
        self.flush(on_frame)?;
        Ok(self.stats)
    }

    /// Totals so far.
    pub fn stats(&self) -> SplitStats {
        self.stats
    }

    /// The frame being filled.
    pub fn encoder(&self) -> &FrameEncoder<'p, S> {
        &self.enc
    }
}

/// Encodes every datapoint of `points` into frames within the limits of `opts`, reusing `sink` for each
/// frame and handing every finished frame to `on_frame`.
///
/// Stops at the first refused datapoint after handing out the frame of the datapoints before it, so nothing
/// accepted is lost; the error carries the datapoint's index.
///
/// ```
/// use carbon_pickle::{split, Datapoint, Options, SliceSink};
/// let points: Vec<_> = (0..1200u32).map(|i| Datapoint::new("servers.a.cpu", 1_700_000_000 + i, i)).collect();
/// let mut buf = [0u8; 32 * 1024];
/// let mut frames = 0;
/// let stats = split(&points, SliceSink::new(&mut buf), Options::new(), |f| {
///     frames += 1;
///     Ok::<_, ()>(())
/// })
/// .unwrap();
/// assert_eq!((frames, stats.frames, stats.points), (3, 3, 1200));
/// ```
pub fn split<'a, I, S, E>(
    points: I,
    sink: S,
    opts: Options<'_>,
    mut on_frame: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<SplitStats, SplitError<E>>
where
    I: IntoIterator,
    I::Item: Borrow<Datapoint<'a>>,
    S: Storage,
{
    let mut splitter =
        Splitter::new(sink, opts).map_err(|error| SplitError::Point { index: 0, error })?;
    for (index, dp) in points.into_iter().enumerate() {
        match splitter.push(dp.borrow(), &mut on_frame) {
            Ok(()) => {}
            Err(SplitError::Point { error, .. }) => {
                splitter.flush(&mut on_frame).map_err(SplitError::Sink)?;
                return Err(SplitError::Point { index, error });
            }
            Err(e) => return Err(e),
        }
    }
    splitter.finish(on_frame).map_err(SplitError::Sink)
}
