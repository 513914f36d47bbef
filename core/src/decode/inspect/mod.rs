//! A frame explained: every opcode with its offset and argument, the way Python's `pickletools.dis` prints
//! them, then the datapoints carbon would store, or why it would refuse the frame.
//!
//! Written for people (the npm CLI's `carbon-pickle inspect`, the demo page) and to `core::fmt::Write`, so
//! it runs without allocation anywhere the decoder runs. The opcode listing follows `pickletools.dis`'s
//! layout (offset, opcode byte, indentation per open mark, name, argument, `(MARK at n)`) so the two can be
//! compared line by line; arguments are printed as Python's `repr` would (strings with non-ASCII characters
//! approximately: Rust's notion of printable is used).
//!
//! The output stays proportionate to the input, whatever the bytes: the listing of a payload stops at the
//! opcode the decoder refuses, with one line counting the bytes left unlisted (neither carbon nor the
//! decoder runs what follows; a 1 MiB flood of `MARK`s is refused at the 65th), indentation stops growing
//! at the decoder's [`MAX_MARKS`](super::MAX_MARKS) open marks, and the whole text is cut, with a note, at
//! [`MAX_LISTING_PER_INPUT_BYTE`] bytes per input byte (which a path memoized once and printed on every
//! datapoint line would pass).

use core::fmt::{self, Write};

mod budget;
mod listing;
mod pieces;
mod repr;

pub use budget::{listing_limit, MAX_LISTING_PER_INPUT_BYTE, MIN_LISTING_LIMIT};

use budget::Budget;
use listing::dis;
use pieces::{Piece, Pieces};
use repr::{py_str, PyFloat};

use super::{DecodeError, Decoder, ErrorKind, Points, Slot, DEFAULT_SLOTS};
use crate::CARBON_MAX_PAYLOAD;

/// What [`inspect`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Frames printed.
    pub frames: usize,
    /// Frames refused.
    pub refused: usize,
    /// Datapoints in the accepted frames.
    pub points: usize,
    /// Elements carbon would skip in the accepted frames.
    pub skipped: usize,
}

/// Prints every frame in `input` (frames back to back, each with its length header; or, when `input` starts
/// like a pickle rather than a header, one bare pickle payload), with carbon's payload cap.
///
/// At most [`listing_limit`]`(input.len())` bytes are written (50 per input byte, 4 KiB at least); a listing that would
/// pass it ends with a line starting `listing cut:`, and the [`Summary`] still counts every frame.
///
/// Uses a [`DEFAULT_SLOTS`] workspace on the stack (80 KiB); [`inspect_with`] takes the caller's.
///
/// ```
/// use carbon_pickle::decode::inspect;
/// let mut out = String::new();
/// let s = inspect(b"\x00\x00\x00\x1e\x80\x02](X\x03\x00\x00\x00a.bJ\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86e.", &mut out).unwrap();
/// assert_eq!(s.points, 1);
/// assert!(out.contains("    0: \\x80 PROTO      2\n"));
/// assert!(out.contains("    4: X        BINUNICODE 'a.b'\n"));
/// assert!(out.contains("   28: e        APPENDS    (MARK at 3)\n"));
/// assert!(out.contains("  'a.b' 1700000000.0 1.5\n"));
/// ```
pub fn inspect(input: &[u8], out: &mut impl Write) -> Result<Summary, fmt::Error> {
    let mut slots = [Slot::EMPTY; DEFAULT_SLOTS];
    inspect_with(input, out, &mut slots, CARBON_MAX_PAYLOAD)
}

/// [`inspect`] with the caller's workspace and payload cap.
pub fn inspect_with(
    input: &[u8],
    out: &mut impl Write,
    slots: &mut [Slot],
    max_payload: usize,
) -> Result<Summary, fmt::Error> {
    let mut dec = Decoder::new(slots).with_max_payload(max_payload);
    let mut sum = Summary::default();
    let mut out = Budget::new(out, listing_limit(input.len()));
    for piece in Pieces::new(input, max_payload) {
        sum.frames += 1;
        let verdict = Verdict::of(piece, &mut dec);
        verdict.count(&mut sum);
        // Once cut, the frames left are only counted.
        if out.is_cut() {
            continue;
        }
        match explain(sum.frames, piece, verdict, &mut out) {
            Err(_) if out.is_cut() => {}
            r => r?,
        }
    }
    out.finish()?;
    Ok(sum)
}

/// What the decoder makes of a piece.
// One at a time, on the stack: boxing the large variant would need the allocator the inspector does without.
#[allow(clippy::large_enum_variant)]
enum Verdict<'a, 'w> {
    /// A whole payload carbon would accept.
    Accepted(Points<'a, 'w>),
    /// A whole payload carbon would refuse.
    Refused(DecodeError),
    /// Not a whole frame; for the bytes present of a cut-short payload, the refusal that comes before
    /// their end, if any (where their listing stops).
    Incomplete(Option<DecodeError>),
}

impl<'a, 'w> Verdict<'a, 'w> {
    fn of(piece: Piece<'a>, dec: &'w mut Decoder<'_>) -> Self {
        match piece {
            Piece::Bare(p) | Piece::Whole { payload: p, .. } => match dec.decode(p) {
                Ok(points) => Verdict::Accepted(points),
                Err(e) => Verdict::Refused(e),
            },
            Piece::ShortPayload { present, .. } => Verdict::Incomplete(
                dec.decode(present)
                    .err()
                    .filter(|e| e.kind != ErrorKind::Truncated),
            ),
            Piece::ShortHeader { .. } | Piece::TooLarge { .. } => Verdict::Incomplete(None),
        }
    }

    fn count(&self, sum: &mut Summary) {
        match self {
            Verdict::Accepted(points) => {
                sum.points += points.points();
                sum.skipped += points.skipped();
            }
            Verdict::Refused(_) | Verdict::Incomplete(_) => sum.refused += 1,
        }
    }
}

/// Prints piece number `n`: its head line, its listing, then its datapoints or why carbon refuses it.
fn explain(
    n: usize,
    piece: Piece<'_>,
    verdict: Verdict<'_, '_>,
    out: &mut impl Write,
) -> fmt::Result {
    match piece {
        Piece::Bare(p) => {
            writeln!(
                out,
                "no length header: one bare pickle payload of {} bytes",
                p.len()
            )?;
            payload(p, verdict, out)
        }
        Piece::Whole { at, payload: p } => {
            writeln!(out, "frame {n} at byte {at}: {} payload bytes", p.len())?;
            payload(p, verdict, out)
        }
        Piece::ShortHeader { at, len } => writeln!(
            out,
            "frame {n} at byte {at}: truncated: {len} byte(s) of a 4-byte header"
        ),
        Piece::ShortPayload {
            at,
            declared,
            present,
        } => {
            writeln!(
                out,
                "frame {n} at byte {at}: truncated: header declares {declared} payload bytes, {} present",
                present.len()
            )?;
            // What there is of it, opcode by opcode, up to where it stops.
            let refusal = match verdict {
                Verdict::Incomplete(r) => r,
                _ => None,
            };
            dis(present, refusal.as_ref(), out)?;
            match refusal {
                Some(e) => writeln!(out, "refused: {e}"),
                None => Ok(()),
            }
        }
        Piece::TooLarge { at, error } => {
            writeln!(out, "frame {n} at byte {at}: refused: {}", error.kind)
        }
    }
}

/// A whole payload's listing, then the datapoints or the refusal.
fn payload(p: &[u8], verdict: Verdict<'_, '_>, out: &mut impl Write) -> fmt::Result {
    let points = match verdict {
        Verdict::Accepted(points) => points,
        Verdict::Refused(e) => {
            dis(p, Some(&e), out)?;
            return writeln!(out, "refused: {e}");
        }
        Verdict::Incomplete(_) => return Ok(()),
    };
    let stopped = dis(p, None, out)?;
    writeln!(
        out,
        "datapoints: {}, skipped: {}",
        points.points(),
        points.skipped()
    )?;
    for item in points {
        match item {
            Ok(pt) => {
                out.write_str("  ")?;
                py_str(out, &pt.path)?;
                writeln!(out, " {} {}", PyFloat(pt.timestamp), PyFloat(pt.value))?;
            }
            Err(s) => writeln!(out, "  {s}")?,
        }
    }
    if stopped < p.len() {
        writeln!(
            out,
            "{} byte(s) after STOP ignored (as CPython does)",
            p.len() - stopped
        )?;
    }
    Ok(())
}
