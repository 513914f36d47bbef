//! The input cut the way the inspector reports it: one bare pickle payload, or frames back to back up to
//! the first one that is cut short or declares more than the cap (after which nothing can be read as
//! frames: carbon closes the connection, and a reader would be out of step).

use super::super::{split_frame, DecodeError, HEADER_LEN};

/// One stretch of the input. Offsets are `u64`: a stream can pass 4 GiB on a 32-bit target.
#[derive(Debug, Clone, Copy)]
pub(super) enum Piece<'a> {
    /// The whole input, `len` bytes: a pickle payload without a length header. `payload` is all of it, or
    /// (a stream's bare payload over the cap) what was kept of it.
    Bare { len: u64, payload: &'a [u8] },
    /// A whole frame at byte `at` of the input: its payload.
    Whole { at: u64, payload: &'a [u8] },
    /// The input ends `len` bytes into a frame's 4-byte header.
    ShortHeader { at: u64, len: usize },
    /// The input ends inside a frame's payload: what its header declares, and the bytes present.
    ShortPayload {
        at: u64,
        declared: u32,
        present: &'a [u8],
    },
    /// A header declaring more than the cap.
    TooLarge { at: u64, error: DecodeError },
}

/// Whether an input starting with `first` is a bare pickle rather than frames.
///
/// A length header starts with a zero byte for any payload under 16 MiB; these are how pickles start
/// (PROTO, MARK, EMPTY_LIST, EMPTY_DICT, EMPTY_TUPLE).
pub(super) fn starts_bare(first: u8) -> bool {
    matches!(first, 0x80 | b'(' | b']' | b'}' | b')')
}

/// The pieces of an input held whole, in order.
pub(super) struct Pieces<'a> {
    rest: &'a [u8],
    at: u64,
    max_payload: usize,
    bare: bool,
}

impl<'a> Pieces<'a> {
    pub(super) fn new(input: &'a [u8], max_payload: usize) -> Self {
        Pieces {
            rest: input,
            at: 0,
            max_payload,
            bare: input.first().is_some_and(|&b| starts_bare(b)),
        }
    }

    fn end(&mut self) {
        self.rest = &[];
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let at = self.at;
        if self.bare {
            let p = self.rest;
            self.end();
            return Some(Piece::Bare {
                len: p.len() as u64,
                payload: p,
            });
        }
        let piece = match split_frame(self.rest, self.max_payload) {
            Ok(Some((payload, next))) => {
                self.at += (HEADER_LEN + payload.len()) as u64;
                self.rest = next;
                return Some(Piece::Whole { at, payload });
            }
            Err(error) => Piece::TooLarge { at, error },
            Ok(None) if self.rest.len() < HEADER_LEN => Piece::ShortHeader {
                at,
                len: self.rest.len(),
            },
            Ok(None) => {
                let r = self.rest;
                Piece::ShortPayload {
                    at,
                    declared: u32::from_be_bytes([r[0], r[1], r[2], r[3]]),
                    present: &r[HEADER_LEN..],
                }
            }
        };
        self.end();
        Some(piece)
    }
}
