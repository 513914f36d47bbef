//! One piece of the input explained, a line at a time: its head line, its opcode listing, then its
//! datapoints or why carbon refuses it.
//!
//! A [`Listing`] holds where it has got to and no borrow: the caller lends the piece and the workspace
//! again for every line. That is what lets a stream's listing go out a line at a time, with the caller
//! free to stop between two lines (to wait for a slow writer, or to return to JavaScript) and go on later,
//! whatever one frame's listing would weigh.

use core::fmt::{self, Write};

use super::super::machine::{Machine, Paused};
use super::super::{payload_too_large, DecodeError, Decoder, ErrorKind, Points, Slot};
use super::listing::{Dis, DisLine};
use super::pieces::Piece;
use super::repr::{py_str, PyFloat};
use super::Summary;

/// The decoder's workspace, kept across pieces: `dirty` memo slots to clear before the next one.
pub(super) struct Work<S> {
    pub(super) slots: S,
    dirty: usize,
    pub(super) max_payload: usize,
}

impl<S: AsMut<[Slot]>> Work<S> {
    pub(super) fn new(mut slots: S, max_payload: usize) -> Self {
        Work {
            dirty: slots.as_mut().len(),
            slots,
            max_payload: max_payload.min(u32::MAX as usize),
        }
    }

    /// What the decoder makes of `piece` (its checking pass; the datapoints are read again when listed).
    pub(super) fn verdict(&mut self, piece: Piece<'_>) -> Verdict {
        let mut dec = Decoder {
            slots: self.slots.as_mut(),
            dirty: self.dirty,
            max_payload: self.max_payload,
        };
        let v = match piece {
            Piece::Bare { len, payload } if len > payload.len() as u64 => {
                Verdict::Refused(payload_too_large(len, self.max_payload))
            }
            Piece::Bare { payload: p, .. } | Piece::Whole { payload: p, .. } => {
                match dec.decode(p) {
                    Ok(points) => Verdict::Accepted {
                        points: points.points(),
                        skipped: points.skipped(),
                    },
                    Err(e) => Verdict::Refused(e),
                }
            }
            Piece::ShortPayload { present, .. } => Verdict::Incomplete(
                dec.decode(present)
                    .err()
                    .filter(|e| e.kind != ErrorKind::Truncated),
            ),
            Piece::ShortHeader { .. } | Piece::TooLarge { .. } => Verdict::Incomplete(None),
        };
        self.dirty = dec.dirty;
        v
    }

    /// Memo slots the last checking pass set (the second pass clears them again before it starts).
    fn dirty(&self) -> usize {
        self.dirty
    }
}

/// What the decoder makes of a piece.
#[derive(Debug, Clone, Copy)]
pub(super) enum Verdict {
    /// A whole payload carbon would accept: its datapoints and the elements it would skip.
    Accepted { points: usize, skipped: usize },
    /// A whole payload carbon would refuse.
    Refused(DecodeError),
    /// Not a whole frame; for the bytes present of a cut-short payload, the refusal that comes before
    /// their end, if any (where their listing stops).
    Incomplete(Option<DecodeError>),
}

impl Verdict {
    /// Counts the piece in `sum`.
    pub(super) fn count(&self, sum: &mut Summary) {
        sum.frames += 1;
        match *self {
            Verdict::Accepted { points, skipped } => {
                sum.points += points;
                sum.skipped += skipped;
            }
            Verdict::Refused(_) | Verdict::Incomplete(_) => sum.refused += 1,
        }
    }
}

/// The next line of a piece's explanation.
// One per inspection, held in place: boxing the large variants would need the allocator the inspector does
// without.
#[allow(clippy::large_enum_variant)]
enum Stage {
    Head,
    Dis(Dis),
    Refusal(DecodeError),
    Counts {
        stopped: usize,
    },
    /// One line per element of the list: `None` before the first.
    Elements {
        stopped: usize,
        machine: Option<Paused>,
    },
    AfterStop {
        stopped: usize,
    },
    Done,
}

/// Where the explanation of piece number `n` has got to.
pub(super) struct Listing {
    n: usize,
    verdict: Verdict,
    stage: Stage,
}

impl Listing {
    /// The explanation of piece number `n` (counting from 1), which the decoder judged `verdict`. The
    /// workspace must not be used for another piece before this one is listed: its datapoints are read
    /// from it.
    pub(super) fn new(n: usize, verdict: Verdict) -> Self {
        Listing {
            n,
            verdict,
            stage: Stage::Head,
        }
    }

    /// Writes the next line about `piece` (the one given to [`Work::verdict`] for this listing);
    /// `Ok(false)` when there is nothing left to write.
    pub(super) fn line<S: AsMut<[Slot]>>(
        &mut self,
        piece: Piece<'_>,
        work: &mut Work<S>,
        out: &mut impl Write,
    ) -> Result<bool, fmt::Error> {
        loop {
            match &mut self.stage {
                Stage::Head => {
                    self.head(piece, out)?;
                    self.stage = match (piece, self.verdict) {
                        (Piece::Bare { .. } | Piece::Whole { .. }, Verdict::Accepted { .. }) => {
                            Stage::Dis(Dis::new(None))
                        }
                        (Piece::Bare { .. } | Piece::Whole { .. }, Verdict::Refused(e)) => {
                            Stage::Dis(Dis::new(Some(e)))
                        }
                        (Piece::ShortPayload { .. }, Verdict::Incomplete(r)) => {
                            Stage::Dis(Dis::new(r))
                        }
                        _ => Stage::Done,
                    };
                    return Ok(true);
                }
                Stage::Dis(dis) => {
                    let (p, len) = listed(piece);
                    if let DisLine::Last(stopped) = dis.line(p, len, out)? {
                        self.stage = match self.verdict {
                            Verdict::Accepted { .. } => Stage::Counts { stopped },
                            Verdict::Refused(e) | Verdict::Incomplete(Some(e)) => Stage::Refusal(e),
                            Verdict::Incomplete(None) => Stage::Done,
                        };
                    }
                    return Ok(true);
                }
                Stage::Refusal(e) => {
                    let e = *e;
                    self.stage = Stage::Done;
                    writeln!(out, "refused: {e}")?;
                    return Ok(true);
                }
                Stage::Counts { stopped } => {
                    let stopped = *stopped;
                    self.stage = Stage::Elements {
                        stopped,
                        machine: None,
                    };
                    if let Verdict::Accepted { points, skipped } = self.verdict {
                        writeln!(out, "datapoints: {points}, skipped: {skipped}")?;
                    }
                    return Ok(true);
                }
                Stage::Elements { stopped, machine } => {
                    let (p, _) = listed(piece);
                    let dirty = work.dirty();
                    let slots = work.slots.as_mut();
                    let m = match machine {
                        None => Machine::new(p, slots, dirty),
                        Some(paused) => Machine::resume(p, slots, *paused),
                    };
                    let mut elements = Points {
                        m,
                        points: 0,
                        skipped: 0,
                    };
                    match elements.next() {
                        Some(item) => {
                            *machine = Some(elements.m.pause());
                            match item {
                                Ok(pt) => {
                                    out.write_str("  ")?;
                                    py_str(out, &pt.path)?;
                                    writeln!(
                                        out,
                                        " {} {}",
                                        PyFloat(pt.timestamp),
                                        PyFloat(pt.value)
                                    )?;
                                }
                                Err(s) => writeln!(out, "  {s}")?,
                            }
                            return Ok(true);
                        }
                        None if *stopped < p.len() => {
                            self.stage = Stage::AfterStop { stopped: *stopped }
                        }
                        None => self.stage = Stage::Done,
                    }
                }
                Stage::AfterStop { stopped } => {
                    let (p, _) = listed(piece);
                    let after = p.len() - *stopped;
                    self.stage = Stage::Done;
                    writeln!(out, "{after} byte(s) after STOP ignored (as CPython does)")?;
                    return Ok(true);
                }
                Stage::Done => return Ok(false),
            }
        }
    }

    /// The piece's first line: where it is and what it is.
    fn head(&self, piece: Piece<'_>, out: &mut impl Write) -> fmt::Result {
        let n = self.n;
        match piece {
            Piece::Bare { len, .. } => writeln!(
                out,
                "no length header: one bare pickle payload of {len} bytes"
            ),
            Piece::Whole { at, payload } => {
                writeln!(out, "frame {n} at byte {at}: {} payload bytes", payload.len())
            }
            Piece::ShortHeader { at, len } => writeln!(
                out,
                "frame {n} at byte {at}: truncated: {len} byte(s) of a 4-byte header"
            ),
            Piece::ShortPayload {
                at,
                declared,
                present,
            } => writeln!(
                out,
                "frame {n} at byte {at}: truncated: header declares {declared} payload bytes, {} present",
                present.len()
            ),
            Piece::TooLarge { at, error } => {
                writeln!(out, "frame {n} at byte {at}: refused: {}", error.kind)
            }
        }
    }
}

/// The bytes a piece's opcode listing walks, and the length of the payload they are (or begin).
fn listed(piece: Piece<'_>) -> (&[u8], u64) {
    match piece {
        Piece::Bare { len, payload } => (payload, len),
        Piece::Whole { payload, .. } => (payload, payload.len() as u64),
        Piece::ShortPayload { present, .. } => (present, present.len() as u64),
        Piece::ShortHeader { .. } | Piece::TooLarge { .. } => (&[], 0),
    }
}
