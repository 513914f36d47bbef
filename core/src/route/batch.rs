//! Splitting datapoints into frames per destination, each destination with its own caller buffer.
//!
//! One [`FrameEncoder`] per destination, as [`Splitter`](crate::Splitter) keeps one: a destination's frame
//! is handed to the caller when the next datapoint for it does not fit, and the buffer is reused. A
//! datapoint with replicas goes to several frames, so it is added all at once or not at all: every frame
//! on its route is first made ready to take it (full ones are handed out), and only then is it written
//! into each. A refused datapoint, or a handler that fails, leaves it in no frame, so it can be retried or
//! dropped as a whole.

use core::borrow::Borrow;

use heapless::Vec;

use super::Router;
use crate::tags::Text;
use crate::wire::Codec;
use crate::{Datapoint, Error, FrameEncoder, Options, SplitStats, Storage, MAX_PATH_LEN};

/// Why a datapoint could not be routed into frames.
///
/// ```
/// use carbon_pickle::route::{route_split, HashType, RoutedSplitError, Router};
/// use carbon_pickle::{Datapoint, Error, Options, SliceSink};
/// let router: Router<'_, 2> = Router::from_strs(HashType::CarbonCh, ["a:2004", "b:2004"]).unwrap();
/// let (mut one, mut two) = ([0u8; 64], [0u8; 64]);
/// let sinks = [SliceSink::new(&mut one), SliceSink::new(&mut two)];
/// let points = [Datapoint::new("x", 1, 0), Datapoint::new("x", 2, f64::NAN)];
/// let err = route_split(&router, &points, sinks, Options::new(), |_, _| Ok::<_, ()>(())).unwrap_err();
/// assert_eq!(err, RoutedSplitError::Point { index: 1, error: Error::NonFiniteValue });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RoutedSplitError<E> {
    /// The datapoint at `index` was refused (invalid, or too large for a destination's empty frame); it was
    /// added nowhere.
    Point {
        /// Its position (from the first given; 0 for [`RoutedSplitter::push`]).
        index: usize,
        /// Why.
        error: Error,
    },
    /// The frame handler failed for `destination`; the datapoint being routed was added nowhere.
    Sink {
        /// The destination whose full frame was being handed out.
        destination: usize,
        /// The handler's error.
        error: E,
    },
    /// Not one sink per destination.
    SinkCount {
        /// The router's destinations.
        expected: usize,
        /// Sinks given.
        given: usize,
    },
}

impl<E: core::fmt::Display> core::fmt::Display for RoutedSplitError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RoutedSplitError::Point { index, error } => write!(f, "datapoint {index}: {error}"),
            RoutedSplitError::Sink { destination, error } => {
                write!(
                    f,
                    "frame handler failed for destination {destination}: {error}"
                )
            }
            RoutedSplitError::SinkCount { expected, given } => {
                write!(f, "{given} sinks for {expected} destinations")
            }
        }
    }
}

impl<E: core::fmt::Debug + core::fmt::Display> core::error::Error for RoutedSplitError<E> {}

/// Per-destination frame builders over caller sinks, fed one datapoint at a time.
///
/// A datapoint refused for a reason that holds on every frame (invalid, too long a path, too large for a
/// destination's empty frame) is refused before any frame is handed out.
///
/// The metric name routed is the one the receiver sees, prefix included (see [`Options::with_prefix`]).
///
/// ```
/// use carbon_pickle::route::{HashType, Router, RoutedSplitter};
/// use carbon_pickle::{Datapoint, Options, SliceSink};
/// let router: Router<'_, 3> =
///     Router::from_strs(HashType::CarbonCh, ["10.0.0.1:2004:a", "10.0.0.2:2004:b", "10.0.0.3:2004:c"])?
///         .with_replication(2)?;
/// let mut bufs = [[0u8; 256]; 3];
/// let sinks = bufs.each_mut().map(|b| SliceSink::new(b));
/// let mut split = RoutedSplitter::new(&router, sinks, Options::new().with_prefix("app")).unwrap();
/// let mut sent = [0usize; 3];
/// for i in 0..10u32 {
///     let dp = Datapoint::new("requests", 1_700_000_000 + i, i);
///     split.push(&dp, |dest, frame| Ok::<_, ()>(sent[dest] += frame.len())).unwrap();
/// }
/// let stats = split.finish(|dest, frame| Ok::<_, ()>(sent[dest] += frame.len())).unwrap();
/// // "app.requests" goes to 10.0.0.3 and its replica to 10.0.0.2 (as carbon 1.1.10): 10 datapoints each,
/// // in one frame.
/// assert_eq!(stats.iter().map(|s| s.points).collect::<Vec<_>>(), [0, 10, 10]);
/// assert_eq!(sent, [0, 10 + 10 * 34, 10 + 10 * 34]);
/// # Ok::<(), carbon_pickle::route::RouteError>(())
/// ```
#[derive(Debug)]
pub struct RoutedSplitter<'r, 'a, 'p, S: Storage, const N: usize> {
    router: &'r Router<'a, N>,
    frames: Vec<FrameEncoder<'p, S>, N>,
    stats: Vec<SplitStats, N>,
}

impl<'r, 'a, 'p, S: Storage, const N: usize> RoutedSplitter<'r, 'a, 'p, S, N> {
    /// One frame per destination, into `sinks` (one per destination, in the router's order).
    pub fn new<I>(
        router: &'r Router<'a, N>,
        sinks: I,
        opts: Options<'p>,
    ) -> Result<Self, RoutedSplitError<core::convert::Infallible>>
    where
        I: IntoIterator<Item = S>,
    {
        let expected = router.destinations().len();
        let mut frames = Vec::new();
        let mut given = 0;
        for sink in sinks {
            given += 1;
            if given > expected {
                continue;
            }
            let enc = FrameEncoder::new(sink, opts)
                .map_err(|error| RoutedSplitError::Point { index: 0, error })?;
            // At most N destinations, so at most N frames.
            let _ = frames.push(enc);
        }
        if given != expected {
            return Err(RoutedSplitError::SinkCount { expected, given });
        }
        let mut stats = Vec::new();
        stats.resize(expected, SplitStats::default()).ok();
        Ok(RoutedSplitter {
            router,
            frames,
            stats,
        })
    }

    /// Adds `dp` to the frame of each of its destinations; a destination whose frame is full hands it to
    /// `on_frame(destination, frame)` first. On error the datapoint is in no frame.
    pub fn push<E>(
        &mut self,
        dp: &Datapoint<'_>,
        mut on_frame: impl FnMut(usize, &[u8]) -> Result<(), E>,
    ) -> Result<(), RoutedSplitError<E>> {
        let point = |error| RoutedSplitError::Point { index: 0, error };
        let Some(first) = self.frames.first() else {
            return Ok(());
        };
        let opts = *first.options();
        let text = Text::new(
            opts.prefix(),
            dp.path,
            dp.check(opts.path_rules()).map_err(point)?,
        );
        let len = Codec::of(opts.protocol()).map_err(point)?.len(&text, dp);
        let route = self.router.route_text(&text);
        let full_path = text.len();
        // First whatever would refuse it anywhere (the push then says why, changing nothing)...
        for dest in route.clone() {
            let enc = &mut self.frames[dest];
            if full_path > MAX_PATH_LEN || !enc.fits_empty(len) {
                return Err(point(
                    enc.push(dp)
                        .err()
                        .unwrap_or(Error::DatapointTooLarge { len, max: 0 }),
                ));
            }
        }
        // ... then room on every destination, so that the datapoint goes in everywhere or nowhere.
        for dest in route.clone() {
            let enc = &mut self.frames[dest];
            if !enc.has_room(len) && !enc.is_empty() {
                Self::hand_out(enc, &mut self.stats[dest], |f| on_frame(dest, f)).map_err(
                    |error| RoutedSplitError::Sink {
                        destination: dest,
                        error,
                    },
                )?;
            }
        }
        for dest in route {
            self.frames[dest].push(dp).map_err(point)?;
        }
        Ok(())
    }

    fn hand_out<E>(
        enc: &mut FrameEncoder<'p, S>,
        stats: &mut SplitStats,
        on_frame: impl FnOnce(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let points = enc.points();
        let len = enc.try_take_frame(|frame| on_frame(frame).map(|()| frame.len()))?;
        stats.frames += 1;
        stats.points += points;
        stats.bytes += len;
        Ok(())
    }

    /// Hands every destination's frame that holds datapoints to `on_frame`.
    pub fn flush<E>(
        &mut self,
        mut on_frame: impl FnMut(usize, &[u8]) -> Result<(), E>,
    ) -> Result<(), RoutedSplitError<E>> {
        for (dest, (enc, stats)) in self.frames.iter_mut().zip(&mut self.stats).enumerate() {
            if !enc.is_empty() {
                Self::hand_out(enc, stats, |f| on_frame(dest, f)).map_err(|error| {
                    RoutedSplitError::Sink {
                        destination: dest,
                        error,
                    }
                })?;
            }
        }
        Ok(())
    }

    /// Flushes and returns each destination's totals, in the router's order.
    pub fn finish<E>(
        mut self,
        on_frame: impl FnMut(usize, &[u8]) -> Result<(), E>,
    ) -> Result<Vec<SplitStats, N>, RoutedSplitError<E>> {
        self.flush(on_frame)?;
        Ok(self.stats)
    }

    /// Each destination's totals so far.
    pub fn stats(&self) -> &[SplitStats] {
        &self.stats
    }

    /// The frame being filled for `destination`.
    pub fn encoder(&self, destination: usize) -> Option<&FrameEncoder<'p, S>> {
        self.frames.get(destination)
    }
}

/// Routes every datapoint of `points` into per-destination frames (one sink per destination, reused
/// frame after frame) and hands each finished frame to `on_frame(destination, frame)`.
///
/// Like [`split`](crate::split), stops at the first refused datapoint after handing out the frames of the
/// datapoints before it; the error carries its index.
///
/// ```
/// use carbon_pickle::route::{route_split, HashType, Router};
/// use carbon_pickle::{Datapoint, Options};
/// let router: Router<'_, 4> =
///     Router::from_strs(HashType::Fnv1aCh, ["10.0.0.1:2004:a", "10.0.0.2:2004:b"])?;
/// let names: Vec<String> = (0..1000).map(|i| format!("m.{i}")).collect();
/// let points: Vec<_> = names.iter().map(|n| Datapoint::new(n, 1_700_000_000, 1)).collect();
/// let mut per_dest = [0usize; 2];
/// let stats = route_split(&router, &points, [Vec::new(), Vec::new()], Options::new(), |dest, frame| {
///     per_dest[dest] += 1;
///     Ok::<_, ()>(())
/// })
/// .unwrap();
/// assert_eq!(stats[0].points + stats[1].points, 1000);
/// assert_eq!((stats[0].points, stats[1].points), (471, 529)); // as carbon 1.1.10
/// assert_eq!(per_dest, [1, 2]); // at most 500 datapoints per frame
/// # Ok::<(), carbon_pickle::route::RouteError>(())
/// ```
pub fn route_split<'a, I, S, E, const N: usize>(
    router: &Router<'_, N>,
    points: I,
    sinks: impl IntoIterator<Item = S>,
    opts: Options<'_>,
    mut on_frame: impl FnMut(usize, &[u8]) -> Result<(), E>,
) -> Result<Vec<SplitStats, N>, RoutedSplitError<E>>
where
    I: IntoIterator,
    I::Item: Borrow<Datapoint<'a>>,
    S: Storage,
{
    let mut split = RoutedSplitter::new(router, sinks, opts).map_err(|e| match e {
        RoutedSplitError::Point { index, error } => RoutedSplitError::Point { index, error },
        RoutedSplitError::SinkCount { expected, given } => {
            RoutedSplitError::SinkCount { expected, given }
        }
        RoutedSplitError::Sink { error, .. } => match error {},
    })?;
    for (index, dp) in points.into_iter().enumerate() {
        match split.push(dp.borrow(), &mut on_frame) {
            Ok(()) => {}
            Err(RoutedSplitError::Point { error, .. }) => {
                split.flush(&mut on_frame)?;
                return Err(RoutedSplitError::Point { index, error });
            }
            Err(e) => return Err(e),
        }
    }
    split.finish(on_frame)
}
