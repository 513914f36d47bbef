//! Exact sizes before encoding: what a datapoint and a whole frame will take.

use core::borrow::Borrow;

use crate::tags::Text;
use crate::wire::Codec;
use crate::{Counter, Datapoint, Error, FrameEncoder, Options};

impl Datapoint<'_> {
    /// Exact bytes this datapoint adds to a frame built with `opts` (after checking it).
    ///
    /// ```
    /// use carbon_pickle::{Datapoint, Options, Protocol};
    /// let dp = Datapoint::new("a.b", 1_700_000_000, 1.5);
    /// assert_eq!(dp.encoded_len(&Options::new()), Ok(24));
    /// assert_eq!(dp.encoded_len(&Options::new().with_prefix("KEY")), Ok(28));
    /// // (S'a.b'\n(L1700000000L\nF1.5\ntta
    /// assert_eq!(dp.encoded_len(&Options::new().with_protocol(Protocol::V0)), Ok(30));
    /// ```
    ///
    /// A tagged path counts as written, in canonical order:
    ///
    /// ```
    /// use carbon_pickle::{Datapoint, Options};
    /// let dp = Datapoint::new("cpu;k=1;k=2", 1_700_000_000, 1.5);
    /// assert_eq!(dp.encoded_len(&Options::new()), Datapoint::new("cpu;k=2", 1_700_000_000, 1.5).encoded_len(&Options::new()));
    /// ```
    pub fn encoded_len(&self, opts: &Options<'_>) -> Result<usize, Error> {
        let tags = self.check(opts.path_rules())?;
        let text = Text::new(opts.prefix(), self.path, tags);
        Ok(Codec::of(opts.protocol())?.len(&text, self))
    }
}

/// What [`frame_len`] measured.
///
/// ```
/// use carbon_pickle::{frame_len, Datapoint, Options};
/// let size = frame_len(&[Datapoint::new("x", 1, 0)], &Options::new())?;
/// assert_eq!((size.len, size.points), (32, 1));
/// # Ok::<(), carbon_pickle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct FrameSize {
    /// Bytes of the whole frame, header included.
    pub len: usize,
    /// Datapoints in it.
    pub points: usize,
}

/// Checks that `points` fit one frame under `opts` and returns its exact size, header included.
///
/// ```
/// use carbon_pickle::{frame_len, Datapoint, Options};
/// // A timestamp past 2^31 is sent as BINFLOAT (9 bytes) instead of BININT (5).
/// let points = [Datapoint::new("a.b", 1_700_000_000, 1.5), Datapoint::new("a.c", 4_000_000_000u32, 2)];
/// assert_eq!(frame_len(&points, &Options::new()).unwrap().len, 4 + 6 + 24 + 28);
/// ```
// Inlinable so that a caller whose options are a constant protocol 2 lets the compiler pick the codec at
// compile time and drop protocol 0 (ryu, itoa) from the program (about 6.5 KiB on a Cortex-M3).
#[inline]
pub fn frame_len<'a, I>(points: I, opts: &Options<'_>) -> Result<FrameSize, Error>
where
    I: IntoIterator,
    I::Item: Borrow<Datapoint<'a>>,
{
    let mut enc = FrameEncoder::new(Counter::default(), *opts)?;
    for dp in points {
        enc.push(dp.borrow())?;
    }
    Ok(FrameSize {
        len: enc.frame_len(),
        points: enc.points(),
    })
}
