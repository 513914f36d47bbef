//! A frame explained: every opcode with its offset and argument, the way Python's `pickletools.dis` prints
//! them, then the datapoints carbon would store, or why it would refuse the frame.
//!
//! Written for people (the npm CLI's `carbon-pickle inspect`, the demo page) and to `core::fmt::Write`, so
//! it runs without allocation anywhere the decoder runs. The opcode listing follows `pickletools.dis`'s
//! layout (offset, opcode byte, indentation per open mark, name, argument, `(MARK at n)`) so the two can be
//! compared line by line; arguments are printed as Python's `repr` would (strings with non-ASCII characters
//! approximately: Rust's notion of printable is used).

use core::fmt::{self, Write};

mod listing;
mod repr;

use listing::dis;
use repr::{py_str, PyFloat};

use super::{split_frame, Decoder, Slot, DEFAULT_SLOTS, HEADER_LEN};
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
    if matches!(input.first(), Some(0x80 | b'(' | b']' | b'}' | b')')) {
        writeln!(
            out,
            "no length header: one bare pickle payload of {} bytes",
            input.len()
        )?;
        sum.frames = 1;
        payload(input, out, &mut dec, &mut sum)?;
        return Ok(sum);
    }
    let mut rest = input;
    let mut at = 0;
    while !rest.is_empty() {
        sum.frames += 1;
        match split_frame(rest, max_payload) {
            Err(e) => {
                sum.refused += 1;
                writeln!(
                    out,
                    "frame {} at byte {at}: refused: {}",
                    sum.frames, e.kind
                )?;
                break;
            }
            Ok(None) => {
                sum.refused += 1;
                if rest.len() < HEADER_LEN {
                    writeln!(
                        out,
                        "frame {} at byte {at}: truncated: {} byte(s) of a 4-byte header",
                        sum.frames,
                        rest.len()
                    )?;
                } else {
                    let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
                    writeln!(
                        out,
                        "frame {} at byte {at}: truncated: header declares {n} payload bytes, {} present",
                        sum.frames,
                        rest.len() - HEADER_LEN
                    )?;
                    // What there is of it, opcode by opcode, up to where it stops.
                    dis(&rest[HEADER_LEN..], out)?;
                }
                break;
            }
            Ok(Some((p, next))) => {
                writeln!(
                    out,
                    "frame {} at byte {at}: {} payload bytes",
                    sum.frames,
                    p.len()
                )?;
                payload(p, out, &mut dec, &mut sum)?;
                at += HEADER_LEN + p.len();
                rest = next;
            }
        }
    }
    Ok(sum)
}

fn payload(
    p: &[u8],
    out: &mut impl Write,
    dec: &mut Decoder<'_>,
    sum: &mut Summary,
) -> fmt::Result {
    let stopped = dis(p, out)?;
    match dec.decode(p) {
        Err(e) => {
            sum.refused += 1;
            writeln!(out, "refused: {e}")?;
        }
        Ok(points) => {
            let (n, skipped) = (points.points(), points.skipped());
            sum.points += n;
            sum.skipped += skipped;
            writeln!(out, "datapoints: {n}, skipped: {skipped}")?;
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
        }
    }
    Ok(())
}
