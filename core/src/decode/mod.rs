//! Reading carbon pickle frames back: a `no_std`, allocation-free decoder and a `pickletools`-style
//! inspector.
//!
//! Why a decoder in an encoder crate: to test the encoder against what receivers really parse, to let a
//! relay, proxy or test double on a microcontroller or in a browser read frames that real senders write,
//! and to explain a frame byte by byte ([`inspect`]).
//!
//! It accepts what carbon's pickle receiver accepts from real senders: CPython `pickle.dumps` of a list of
//! `(path, (timestamp, value))` with protocols 0 to 5 (memo opcodes, `FRAME`, Python 2 strings included),
//! statsd's and Dropwizard's hand-written protocol 0 (string values are converted with Python's `float()`
//! rules, as carbon does), and this crate's own frames. It refuses what carbon's safe unpickler refuses,
//! with a [`DecodeError`] that names the byte offset and the opcode, and it never silently disagrees with
//! carbon: a construct it does not model is refused as [`ErrorKind::Unsupported`].
//!
//! Memory is the caller's: a slice of [`Slot`]s (32 bytes each) holds the pickle memo and stack. CPython
//! memoizes every string and tuple, so a 500-datapoint frame from carbon's relay needs about 2,000 slots;
//! [`DEFAULT_SLOTS`] covers it, and a frame that needs more fails with [`ErrorKind::WorkspaceFull`] saying
//! how many. This crate's own frames use no memo and need one slot per datapoint plus two.
//!
//! A frame is decoded in two passes over the same bytes: the first checks all of it (carbon drops a frame
//! whole on any unpickling error), the second hands out datapoints; so a frame is either refused before any
//! datapoint is seen, or every datapoint comes out. Work is linear in the frame's size plus the workspace:
//! each opcode costs a constant plus its argument's length, and a memoized path handed out many times is
//! not re-read (see the "Bad inputs" table in the README for the limits and every refusal, each with its test).
//!
//! Paths come out as [`Text`], borrowed from the frame. Protocol 1-5 strings and protocol-0 strings without
//! escapes are plain UTF-8 ([`Text::as_str`]). Protocol-0 `S'...'` with backslash escapes and `V` in
//! raw-unicode-escape (CPython writes `é` as the Latin-1 byte `0xe9`) are checked when read and decoded
//! again only when asked ([`Text::chars`], `Display`, [`Text::decode_into`] or [`Point::to_datapoint`] into
//! a buffer of your choice): a per-string scratch buffer would have to be sized for the longest escaped path
//! and would tie every datapoint's lifetime to the next one.
//!
//! Frames arriving in pieces go through a [`FrameReader`] (one copy into your buffer, the cap checked on
//! the header before any payload byte is kept); whole buffers through [`split_frame`] or
//! [`Decoder::decode_frame`], with no copy at all.
//!
//! ```
//! use carbon_pickle::decode::{Decoder, Slot};
//! use carbon_pickle::{to_slice, Datapoint, Options};
//!
//! let mut buf = [0u8; 128];
//! let frame = to_slice(&[Datapoint::new("sensors.kitchen.temp", 1_700_000_000, 21.5)], &mut buf, &Options::new())?;
//!
//! let mut slots = [Slot::EMPTY; 16];
//! let mut dec = Decoder::new(&mut slots);
//! let (points, rest) = dec.decode_frame(frame)?.expect("a whole frame");
//! assert!(rest.is_empty());
//! for p in points.flatten() {
//!     assert_eq!(p.path, "sensors.kitchen.temp");
//!     assert_eq!((p.timestamp, p.value), (1_700_000_000.0, 21.5));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod frames;
mod inspect;
mod machine;
mod number;
mod ops;
mod text;

pub use error::{DecodeError, ErrorKind, Refusal, SkipReason, Skipped, Unsupported};
pub use frames::{split_frame, FrameReader, HEADER_LEN};
pub use inspect::{
    inspect, inspect_with, listing_limit, Inspector, Summary, INSPECTOR_BUF_LEN,
    MAX_LISTING_PER_INPUT_BYTE, MIN_LISTING_LIMIT,
};
pub use machine::{Slot, MAX_MARKS};
pub use ops::{opcode_name, opcode_protocol, Arg, Op, Ops};
pub use text::{Chars, Text};

use machine::{Element, Event, Machine};

use crate::{Datapoint, CARBON_MAX_PAYLOAD};

/// Workspace slots for CPython frames of up to 500 datapoints with string values (carbon relay's batch
/// size): about 4 memo entries per datapoint plus the stack.
pub const DEFAULT_SLOTS: usize = 2560;

/// A decoded datapoint, borrowing its path from the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Point<'a> {
    /// The metric path.
    pub path: Text<'a>,
    /// The timestamp, as carbon's `float()` makes it.
    pub timestamp: f64,
    /// The value, as carbon's `float()` makes it (NaN and infinities included: carbon skips NaN later).
    pub value: f64,
}

impl<'a> Point<'a> {
    /// The point as a [`Datapoint`], when the path is a borrowed `&str` (see [`Text::as_str`]).
    pub fn as_datapoint(&self) -> Option<Datapoint<'a>> {
        Some(Datapoint::new(
            self.path.as_str()?,
            self.timestamp,
            self.value,
        ))
    }

    /// The point as a [`Datapoint`], decoding an escaped path into `buf` if needed; `None` when `buf` is
    /// too short for it.
    pub fn to_datapoint<'b>(&self, buf: &'b mut [u8]) -> Option<Datapoint<'b>>
    where
        'a: 'b,
    {
        let path = match self.path.as_str() {
            Some(s) => s,
            None => self.path.decode_into(buf)?,
        };
        Some(Datapoint::new(path, self.timestamp, self.value))
    }
}

/// Decodes pickle payloads and frames with a workspace of [`Slot`]s.
#[derive(Debug)]
pub struct Decoder<'w> {
    slots: &'w mut [Slot],
    dirty: usize,
    max_payload: usize,
}

impl<'w> Decoder<'w> {
    /// A decoder using `slots` as memo and stack, with carbon's 1 MiB payload cap.
    pub fn new(slots: &'w mut [Slot]) -> Self {
        Decoder {
            dirty: slots.len(),
            slots,
            max_payload: CARBON_MAX_PAYLOAD,
        }
    }

    /// Sets the largest payload accepted, in bytes (at most `u32::MAX`).
    pub fn with_max_payload(mut self, max: usize) -> Self {
        self.max_payload = max.min(u32::MAX as usize);
        self
    }

    /// The payload cap.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Checks a whole pickle payload (no length header) and returns its elements.
    pub fn decode<'a>(&mut self, payload: &'a [u8]) -> Result<Points<'a, '_>, DecodeError> {
        check_len(payload, self.max_payload)?;
        let (r, used) = first_pass(payload, self.slots, self.dirty);
        // Whatever the second pass does, it sets at most the same memo slots.
        self.dirty = used;
        let (points, skipped) = r?;
        Ok(Points {
            m: Machine::new(payload, self.slots, used),
            points,
            skipped,
        })
    }

    /// Decodes the frame at the front of `input` (length header, then payload) and returns its elements and
    /// the bytes after it; `Ok(None)` when `input` does not hold the whole frame yet.
    pub fn decode_frame<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<Option<(Points<'a, '_>, &'a [u8])>, DecodeError> {
        match split_frame(input, self.max_payload)? {
            None => Ok(None),
            Some((payload, rest)) => Ok(Some((self.decode(payload)?, rest))),
        }
    }
}

/// The elements of a checked frame, in order: each is a datapoint or an element carbon would skip.
///
/// `points.flatten()` gives the datapoints only.
pub struct Points<'a, 'w> {
    m: Machine<'a, 'w>,
    points: usize,
    skipped: usize,
}

impl<'a> Points<'a, '_> {
    /// Datapoints in the frame.
    pub fn points(&self) -> usize {
        self.points
    }

    /// Elements carbon would skip.
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}

impl core::fmt::Debug for Points<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Points")
            .field("points", &self.points)
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl<'a> Iterator for Points<'a, '_> {
    type Item = Result<Point<'a>, Skipped>;

    fn next(&mut self) -> Option<Self::Item> {
        // The first pass checked every byte, so this pass cannot fail; if it somehow did, it just ends.
        match self.m.step() {
            Ok(Some(Event::Element(e, index, offset))) => Some(match e {
                Element::Point {
                    path,
                    timestamp,
                    value,
                } => Ok(Point {
                    path: self.m.text_of(path),
                    timestamp,
                    value,
                }),
                Element::Skip(reason) => Err(Skipped {
                    reason,
                    index,
                    offset,
                }),
            }),
            _ => None,
        }
    }
}

fn check_len(payload: &[u8], max: usize) -> Result<(), DecodeError> {
    if payload.len() > max {
        return Err(payload_too_large(payload.len() as u64, max));
    }
    Ok(())
}

/// The refusal of a `len`-byte payload over the cap `max`.
fn payload_too_large(len: u64, max: usize) -> DecodeError {
    DecodeError::new(
        ErrorKind::FrameTooLarge {
            len: u32::try_from(len).unwrap_or(u32::MAX),
            max,
        },
        0,
        None,
    )
}

/// Runs the checking pass: (datapoints, skipped elements), and the memo slots it set.
fn first_pass(
    payload: &[u8],
    slots: &mut [Slot],
    dirty: usize,
) -> (Result<(usize, usize), DecodeError>, usize) {
    let mut m = Machine::new(payload, slots, dirty);
    let (mut points, mut skipped) = (0, 0);
    loop {
        match m.step() {
            Ok(Some(Event::Element(Element::Point { .. }, ..))) => points += 1,
            Ok(Some(Event::Element(Element::Skip(_), ..))) => skipped += 1,
            Ok(Some(Event::Stop) | None) => return (Ok((points, skipped)), m.memo_hi()),
            Err(e) => return (Err(e), m.memo_hi()),
        }
    }
}

/// Checks a pickle payload (no length header, at most carbon's 1 MiB) and returns its elements, with
/// `slots` as workspace (cleared first; a [`Decoder`] avoids that for a stream of frames).
///
/// ```
/// use carbon_pickle::decode::{decode, Slot};
/// // statsd's protocol 0, with a string value as Dropwizard sends them.
/// let payload = b"(l(S'a.b.c'\n(L1234L\nS' 56.5'\ntta.";
/// let mut slots = [Slot::EMPTY; 8];
/// let p = decode(payload, &mut slots)?.next().unwrap().unwrap();
/// assert_eq!((p.path.as_str(), p.timestamp, p.value), (Some("a.b.c"), 1234.0, 56.5));
/// # Ok::<(), carbon_pickle::decode::DecodeError>(())
/// ```
pub fn decode<'a, 'w>(
    payload: &'a [u8],
    slots: &'w mut [Slot],
) -> Result<Points<'a, 'w>, DecodeError> {
    check_len(payload, CARBON_MAX_PAYLOAD)?;
    let all = slots.len();
    let (r, used) = first_pass(payload, slots, all);
    let (points, skipped) = r?;
    Ok(Points {
        m: Machine::new(payload, slots, used),
        points,
        skipped,
    })
}
