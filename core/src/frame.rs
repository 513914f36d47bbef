//! Building one frame into a [`Sink`]: header placeholder, opener, datapoints, trailer, back-patched header.
//!
//! Every push keeps room for the frame's closing bytes, so finishing can never fail for lack of room, and a
//! refused push leaves the frame byte-identical.
//!
//! Why the push is shaped as it is (issue 22): nearly every datapoint has a plain path, protocol 2 and a sink
//! that lends its memory (`&mut [u8]`, `heapless::Vec`, `Vec`). For those the push is one quick path pass,
//! one number test, one room test against a precomputed end (limits and buffer folded into it), then plain
//! stores at fixed offsets and one copy of the path. Everything else (a tagged path, protocol 0, a refusal,
//! any error) leaves that path for out-of-line code:
//! - in-place sinks write a tagged path or protocol 0 *speculatively* piece by piece, refusing any piece
//!   that would pass the end, and truncate back on a refusal (the error then comes from the exact length,
//!   measured only then), so the exact-length pass is not paid on success;
//! - other sinks, and the streaming writer ([`write_frame`](crate::write_frame)), measure the exact length
//!   first and write nothing unless it fits.

use crate::tags::{Layout, Text};
use crate::wire::{self, Codec, PlainV2, HEADER_LEN};
use crate::{
    CheckedPath, Datapoint, Error, Options, PathError, Refused, Sink, SinkFull, Storage,
    MAX_PATH_LEN,
};

/// Encodes datapoints into one frame at the end of a sink.
///
/// ```
/// use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};
/// let mut buf = [0u8; 64];
/// let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
/// enc.push(&Datapoint::new("a.b", 1_700_000_000, 1.5)).unwrap();
/// let frame = enc.finish().into_written();
/// assert_eq!(
///     frame,
///     b"\x00\x00\x00\x1e\x80\x02](X\x03\x00\x00\x00a.bJ\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86e."
/// );
/// ```
#[derive(Debug)]
pub struct FrameEncoder<'p, S: Sink> {
    sink: S,
    opts: Options<'p>,
    codec: Codec,
    /// Offset of this frame's header in the sink.
    start: usize,
    /// Largest size this frame may reach, header and trailer included.
    capacity: usize,
    /// Sink length a datapoint may end at: `start + capacity` less the trailer (the one room test).
    end: usize,
    /// Bytes before each path: the prefix and its dot, or 0.
    prefix_len: usize,
    points: usize,
    /// The key ([`PathRules::key`](crate::PathRules)) a checked path has when `push_checked` may take the
    /// fast path: a plain path under this frame's rules, when the frame is protocol 2 into an in-place
    /// sink; otherwise [`NO_FAST_KEY`], which no path has.
    fast_key: u16,
}

/// A `fast_key` no checked path has.
const NO_FAST_KEY: u16 = u16::MAX;

impl<'p, S: Sink> FrameEncoder<'p, S> {
    /// Starts a frame after whatever `sink` already holds.
    ///
    /// Fails if the prefix breaks the path rules, the limits are unusable, or the sink cannot hold an empty
    /// frame.
    // Inlinable so that a caller whose options are a constant protocol 2 lets the compiler pick the codec at
    // compile time and drop protocol 0 (ryu, itoa) from the program (about 6.5 KiB on a Cortex-M3).
    #[inline]
    pub fn new(mut sink: S, opts: Options<'p>) -> Result<Self, Error> {
        opts.validate()?;
        let empty = wire::empty_frame_len(opts.protocol());
        let capacity = sink.remaining().min(HEADER_LEN + opts.max_bytes());
        if capacity < empty {
            return Err(Error::BufferTooSmall {
                needed: empty,
                available: capacity,
            });
        }
        let start = sink.len();
        Self::open(&mut sink, opts).map_err(|_| Error::BufferTooSmall {
            needed: empty,
            available: capacity,
        })?;
        Ok(FrameEncoder {
            sink,
            opts,
            codec: Codec::of(opts.protocol())?,
            start,
            capacity,
            end: start + capacity - wire::trailer(opts.protocol()).len(),
            prefix_len: opts.prefix().map_or(0, |p| p.len() + 1),
            points: 0,
            fast_key: if S::KEEPS_BYTES && S::IN_PLACE && opts.protocol() == crate::Protocol::V2 {
                opts.path_rules().key()
            } else {
                NO_FAST_KEY
            },
        })
    }

    fn open(sink: &mut S, opts: Options<'_>) -> Result<(), SinkFull> {
        let start = sink.len();
        let r = sink
            .try_extend(&[0; HEADER_LEN])
            .and_then(|()| sink.try_extend(wire::opener(opts.protocol())));
        if r.is_err() {
            sink.truncate(start);
        }
        r
    }

    /// Adds one datapoint, or refuses it with the frame left exactly as it was.
    ///
    /// [`Error::is_frame_full`] tells whether the same datapoint would fit a fresh frame.
    ///
    /// A tagged path is written in carbon's canonical order (see [`tags`](crate::tags)):
    ///
    /// ```
    /// use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};
    /// let mut buf = [0u8; 64];
    /// let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
    /// enc.push(&Datapoint::new("cpu;host=a;dc=d1;host=b", 1_700_000_000, 1.5)).unwrap();
    /// assert_eq!(&enc.pending_bytes()[8..29], b"X\x10\0\0\0cpu;dc=d1;host=b");
    /// ```
    #[inline]
    pub fn push(&mut self, dp: &Datapoint<'_>) -> Result<(), Error> {
        // The common case inlined: a plain path the quick pass accepts and valid numbers. Not on Cortex-M,
        // where one copy of the push costs less flash.
        #[cfg(not(target_arch = "arm"))]
        if crate::path::quick_plain(dp.path, self.opts.path_rules()) && dp.numbers_ok() {
            return self.push_valid(dp, None);
        }
        self.push_slow(dp)
    }

    /// The whole check (the exact path pass, tags, the error) and the push.
    #[cfg_attr(not(target_arch = "arm"), cold, inline(never))]
    fn push_slow(&mut self, dp: &Datapoint<'_>) -> Result<(), Error> {
        let tags = dp.check(self.opts.path_rules())?;
        self.push_valid(dp, tags)
    }

    /// Like [`push`](Self::push) for a path checked once before: only the timestamp and the value are
    /// checked (the path too if it was checked under other rules than this frame's).
    ///
    /// ```
    /// use carbon_pickle::{CheckedPath, Datapoint, FrameEncoder, Options, SliceSink};
    /// let opts = Options::new();
    /// let path = CheckedPath::new("a.b", opts.path_rules()).unwrap();
    /// let (mut one, mut two) = ([0u8; 64], [0u8; 64]);
    /// let mut checked = FrameEncoder::new(SliceSink::new(&mut one), opts).unwrap();
    /// checked.push_checked(path, 1_700_000_000.0, 1.5).unwrap();
    /// assert!(checked.push_checked(path, 1_700_000_000.0, f64::NAN).is_err());
    /// let mut plain = FrameEncoder::new(SliceSink::new(&mut two), opts).unwrap();
    /// plain.push(&Datapoint::new("a.b", 1_700_000_000, 1.5)).unwrap();
    /// assert_eq!(checked.finish().into_written(), plain.finish().into_written());
    /// ```
    // Always inlined: its fast path is a few tests before the stores, and a call would cost as much.
    #[inline(always)]
    pub fn push_checked(
        &mut self,
        path: CheckedPath<'_>,
        timestamp: f64,
        value: f64,
    ) -> Result<(), Error> {
        let dp = Datapoint {
            path: path.as_str(),
            timestamp,
            value,
        };
        // One test for the rules, no tags, protocol 2 and an in-place sink; then the numbers.
        if path.key() == self.fast_key && dp.numbers_ok() {
            return self.push_plain_v2(&dp);
        }
        self.push_checked_slow(path, timestamp, value)
    }

    /// Pushes a run of datapoints whose paths were checked once, in order, as [`push_checked`] would one
    /// by one, and stops at the first it refuses: the datapoints before that one stay in the frame.
    /// Returns how many were pushed.
    ///
    /// Into a `&mut [u8]` ([`SliceSink`](crate::SliceSink)) this is the fastest way in: plain paths are
    /// written one after another into the buffer's spare room with the frame's state held in registers,
    /// and taken into the frame once at the end of the run (issue 22). Other sinks get the same result at
    /// the speed of `push_checked`.
    ///
    /// ```
    /// use carbon_pickle::{CheckedPath, Error, FrameEncoder, Options, Refused, SliceSink};
    /// let opts = Options::new().with_max_points(2);
    /// let cpu = CheckedPath::new("cpu", opts.path_rules())?;
    /// let disk = CheckedPath::new("disk;dc=d1", opts.path_rules())?;
    /// let mut buf = [0u8; 128];
    /// let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), opts)?;
    /// let run = [(cpu, 1_700_000_000.0, 0.5), (disk, 1_700_000_000.0, 7.0), (cpu, 1_700_000_010.0, 0.25)];
    /// let refused = enc.extend_checked(run).unwrap_err();
    /// assert_eq!(refused, Refused { pushed: 2, error: Error::TooManyPoints { max_points: 2 } });
    /// assert_eq!(enc.points(), 2);
    /// let frame = enc.finish().into_written();
    /// assert_eq!(&frame[8..16], b"X\x03\0\0\0cpu");
    /// assert_eq!(&frame[32..47], b"X\x0a\0\0\0disk;dc=d1");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// [`push_checked`]: Self::push_checked
    pub fn extend_checked<'a, I>(&mut self, run: I) -> Result<usize, Refused>
    where
        I: IntoIterator<Item = (CheckedPath<'a>, f64, f64)>,
    {
        let mut run = run.into_iter();
        let mut pushed = 0;
        loop {
            let (fast, stopped) = self.fast_run(&mut run);
            pushed += fast;
            let Some((path, timestamp, value)) = stopped else {
                return Ok(pushed);
            };
            match self.push_checked(path, timestamp, value) {
                Ok(()) => pushed += 1,
                Err(error) => return Err(Refused { pushed, error }),
            }
        }
    }

    /// The datapoints at the head of `run` that take the fast path, written into the sink's spare room
    /// and taken in at the end; returns how many, and the datapoint that stopped the run, if any (it is
    /// not pushed: it may be tagged, refused, or past the room the sink lent).
    ///
    /// The loop keeps its state in locals (room, bytes used, datapoints left), which the compiler holds
    /// in registers: `push_checked` must reload the encoder's fields after every store into the buffer,
    /// which might be them. A sink that lends nothing stops every run at its first datapoint.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn fast_run<'a, I>(&mut self, run: &mut I) -> (usize, Option<(CheckedPath<'a>, f64, f64)>)
    where
        I: Iterator<Item = (CheckedPath<'a>, f64, f64)>,
    {
        let key = self.fast_key;
        let prefix = self.opts.prefix();
        let prefix_len = self.prefix_len;
        let points_left = self.opts.max_points() - self.points;
        // Never below the sink's length; the sink's spare room may be shorter than the frame's (then a
        // datapoint past it stops the run, and `push_checked` gives the sink's own answer).
        let room_len = self.end - self.sink.len();
        let spare = self.sink.spare();
        let room_len = room_len.min(spare.len());
        let room = spare.get_mut(..room_len).unwrap_or_default();
        let mut used = 0;
        let mut fast = 0;
        let mut stopped = None;
        for (path, timestamp, value) in run.by_ref() {
            let dp = Datapoint {
                path: path.as_str(),
                timestamp,
                value,
            };
            if path.key() == key && dp.numbers_ok() && fast < points_left {
                let plain = PlainV2::new(prefix_len + dp.path.len(), &dp);
                if plain.text_len <= MAX_PATH_LEN {
                    if let Some(slot) = room.get_mut(used..used + plain.len) {
                        plain.fill(prefix, &dp, slot);
                        used += plain.len;
                        fast += 1;
                        continue;
                    }
                }
            }
            stopped = Some((path, timestamp, value));
            break;
        }
        // Lent memory: never refused. (Nothing to take in from a sink that lends nothing.)
        if used > 0 {
            let _ = self.sink.extend_in_place(used);
            self.points += fast;
        }
        (fast, stopped)
    }

    // The datapoint travels in registers: taking it by reference made the fast path store it first.
    #[cfg_attr(not(target_arch = "arm"), cold, inline(never))]
    fn push_checked_slow(
        &mut self,
        path: CheckedPath<'_>,
        timestamp: f64,
        value: f64,
    ) -> Result<(), Error> {
        let dp = &Datapoint {
            path: path.as_str(),
            timestamp,
            value,
        };
        let tags = if path.rules() == self.opts.path_rules() {
            dp.check_numbers()?;
            path.tags()
        } else {
            dp.check(self.opts.path_rules())?
        };
        // The general writer even for a plain path (checked under other rules than the frame's: rare), so
        // the fast path's code is not in the program twice (it cost the npm package's wasm 1.2 KB).
        self.push_general(dp, tags)
    }

    /// Adds a datapoint already checked against the rules, with its path's tag layout (the limits are
    /// checked here). A plain path in protocol 2 into an in-place sink is the fast path; the rest is
    /// [`push_general`](Self::push_general).
    #[inline(always)]
    fn push_valid(&mut self, dp: &Datapoint<'_>, tags: Option<Layout>) -> Result<(), Error> {
        if S::KEEPS_BYTES && S::IN_PLACE && tags.is_none() && self.codec == Codec::V2 {
            return self.push_plain_v2(dp);
        }
        self.push_general(dp, tags)
    }

    /// The fast path: a valid datapoint with a plain path, protocol 2, an in-place sink.
    #[inline(always)]
    fn push_plain_v2(&mut self, dp: &Datapoint<'_>) -> Result<(), Error> {
        let plain = PlainV2::new(self.prefix_len + dp.path.len(), dp);
        // `end` is never below the sink's length: no underflow.
        if plain.text_len <= MAX_PATH_LEN
            && self.points < self.opts.max_points()
            && plain.len <= self.end - self.sink.len()
        {
            if let Some(slot) = self.sink.extend_in_place(plain.len) {
                plain.fill(self.opts.prefix(), dp, slot);
                self.points += 1;
                return Ok(());
            }
        }
        Err(self.refusal(plain.text_len, plain.len))
    }

    /// Every other push: a tagged path, protocol 0, a sink that only counts or that writes piece by piece.
    #[inline(never)]
    fn push_general(&mut self, dp: &Datapoint<'_>, tags: Option<Layout>) -> Result<(), Error> {
        let text = Text::new(self.opts.prefix(), dp.path, tags);
        if S::KEEPS_BYTES && S::IN_PLACE {
            // Speculative: written piece by piece up to the end, truncated back if a piece would pass it.
            if text.len() <= MAX_PATH_LEN && self.points < self.opts.max_points() {
                let before = self.sink.len();
                let end = self.end;
                let sink = &mut self.sink;
                let mut emit = |b: &[u8]| {
                    if sink.len() + b.len() <= end {
                        sink.try_extend(b).map_err(|_| ())
                    } else {
                        Err(())
                    }
                };
                if self.codec.write(&text, dp, &mut emit).is_ok() {
                    self.points += 1;
                    return Ok(());
                }
                self.sink.truncate(before);
            }
            return Err(self.refusal(text.len(), self.codec.len(&text, dp)));
        }
        // Exact length first: nothing is written unless it fits.
        let len = self.codec.len(&text, dp);
        if text.len() > MAX_PATH_LEN
            || self.points >= self.opts.max_points()
            || self.sink.len() + len > self.end
        {
            return Err(self.refusal(text.len(), len));
        }
        if !S::KEEPS_BYTES {
            if self.sink.count(len).is_err() {
                return Err(self.refusal(text.len(), len));
            }
        } else {
            let before = self.sink.len();
            let sink = &mut self.sink;
            let mut emit = |b: &[u8]| sink.try_extend(b).map_err(|_| ());
            if self.codec.write(&text, dp, &mut emit).is_err() {
                self.sink.truncate(before);
                return Err(self.refusal(text.len(), len));
            }
        }
        self.points += 1;
        Ok(())
    }

    /// Why a datapoint of `text_len` bytes of path (prefix included) and `len` bytes in all is refused, in
    /// a fixed order: the path's length, too large for any frame, too many datapoints, no room now, and
    /// last a sink that had less room than it said.
    #[cold]
    #[inline(never)]
    fn refusal(&self, text_len: usize, len: usize) -> Error {
        if text_len > MAX_PATH_LEN {
            return Error::InvalidPath(PathError::TooLong {
                len: text_len,
                max: MAX_PATH_LEN,
            });
        }
        let protocol = self.opts.protocol();
        let trailer = wire::trailer(protocol).len();
        let room_in_empty = self.capacity - wire::empty_frame_len(protocol);
        if len > room_in_empty {
            return Error::DatapointTooLarge {
                len,
                max: room_in_empty,
            };
        }
        if self.points >= self.opts.max_points() {
            return Error::TooManyPoints {
                max_points: self.opts.max_points(),
            };
        }
        let used = self.sink.len() - self.start;
        if used + len + trailer > self.capacity {
            if used + len + trailer - HEADER_LEN > self.opts.max_bytes() {
                return Error::FrameFull {
                    max_bytes: self.opts.max_bytes(),
                };
            }
            return Error::BufferFull {
                needed: len + trailer,
                available: self.capacity - used,
            };
        }
        // Only a sink whose `remaining` overstated its room gets here.
        Error::BufferFull {
            needed: len + trailer,
            available: self.sink.remaining(),
        }
    }

    /// True if a datapoint of `len` encoded bytes, already checked, fits this frame now: the same room and
    /// datapoint-count checks as `push`, without writing.
    #[cfg(feature = "route")]
    pub(crate) fn has_room(&self, len: usize) -> bool {
        let trailer = wire::trailer(self.opts.protocol()).len();
        self.points < self.opts.max_points()
            && self.sink.len() - self.start + len + trailer <= self.capacity
    }

    /// True if a datapoint of `len` encoded bytes fits this frame once emptied.
    #[cfg(feature = "route")]
    pub(crate) fn fits_empty(&self, len: usize) -> bool {
        len <= self.capacity - wire::empty_frame_len(self.opts.protocol())
    }

    /// Datapoints in the frame.
    pub fn points(&self) -> usize {
        self.points
    }

    /// True when the frame holds no datapoint.
    pub fn is_empty(&self) -> bool {
        self.points == 0
    }

    /// Bytes the frame will have when finished now, header included.
    pub fn frame_len(&self) -> usize {
        self.sink.len() - self.start + wire::trailer(self.opts.protocol()).len()
    }

    /// The options this frame is built with.
    pub fn options(&self) -> &Options<'p> {
        &self.opts
    }

    /// Closes the frame (trailer, length header) and hands the sink back.
    pub fn finish(mut self) -> S {
        self.close();
        self.sink
    }

    fn close(&mut self) {
        // Room for the trailer was reserved by `new` and every `push`.
        let _ = self.sink.try_extend(wire::trailer(self.opts.protocol()));
        let payload = (self.sink.len() - self.start - HEADER_LEN) as u32;
        self.sink.patch(self.start, &payload.to_be_bytes());
    }
}

impl<S: Storage> FrameEncoder<'_, S> {
    /// Closes the frame, lends its bytes to `f`, then starts a new empty frame in the same place.
    ///
    /// This is how one buffer is reused for frame after frame.
    ///
    /// ```
    /// use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};
    /// let mut buf = [0u8; 64];
    /// let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
    /// enc.push(&Datapoint::new("x", 1, 2)).unwrap();
    /// let len = enc.take_frame(|frame| frame.len());
    /// assert_eq!(len, 4 + 6 + 22);
    /// assert!(enc.is_empty());
    /// assert_eq!(enc.take_frame(|f| f.to_vec()), b"\x00\x00\x00\x06\x80\x02](e.");
    /// ```
    pub fn take_frame<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self.try_take_frame(|frame| Ok::<R, core::convert::Infallible>(f(frame))) {
            Ok(r) => r,
        }
    }

    /// Like [`take_frame`](Self::take_frame), but when `f` fails the frame is kept as it was (more
    /// datapoints may still be pushed) and the error is returned: nothing is lost.
    pub fn try_take_frame<R, E>(&mut self, f: impl FnOnce(&[u8]) -> Result<R, E>) -> Result<R, E> {
        let open_len = self.sink.len();
        self.close();
        let r = f(&self.sink.bytes()[self.start..]);
        if r.is_ok() {
            self.sink.truncate(self.start);
            // The same bytes fitted when the frame was first opened.
            let _ = Self::open(&mut self.sink, self.opts);
            self.points = 0;
        } else {
            self.sink.truncate(open_len);
        }
        r
    }

    /// The frame's bytes so far (not yet closed: the header is still zero).
    pub fn pending_bytes(&self) -> &[u8] {
        &self.sink.bytes()[self.start..]
    }
}
