//! Splitting a pickle into opcodes and their raw arguments, with nothing interpreted yet.
//!
//! This is the one place that knows how long each opcode's argument is (a fixed width, a counted length,
//! or a newline-terminated line), so the decoder and the inspector walk a pickle the same way. Reading never
//! looks past the input and never panics: a length beyond the input is [`ErrorKind::Truncated`], a byte
//! that is no opcode is [`ErrorKind::UnknownOpcode`].

use super::{DecodeError, ErrorKind};

/// One opcode and its argument, as found at `offset` in the pickle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Op<'a> {
    /// Byte offset of the opcode in the pickle payload (as `pickletools.dis` counts).
    pub offset: usize,
    /// The opcode byte.
    pub code: u8,
    /// Its argument.
    pub arg: Arg<'a>,
}

/// An opcode's argument, still raw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg<'a> {
    /// No argument.
    None,
    /// A one-byte argument (`PROTO`, `BININT1`, `BINPUT`, `BINGET`, `EXT1`).
    U8(u8),
    /// A two-byte little-endian argument (`BININT2`, `EXT2`).
    U16(u16),
    /// A four-byte little-endian signed argument (`BININT`, `EXT4`).
    I32(i32),
    /// A four-byte little-endian unsigned argument (`LONG_BINPUT`, `LONG_BINGET`).
    U32(u32),
    /// An eight-byte little-endian argument (`FRAME`).
    U64(u64),
    /// `BINFLOAT`'s big-endian double.
    F64(f64),
    /// A text line, newline included (`INT`, `LONG`, `FLOAT`, `STRING`, `UNICODE`, `PUT`, `GET`, `PERSID`).
    Line(&'a [u8]),
    /// Two text lines, newlines included (`GLOBAL`, `INST`: module and name).
    Lines(&'a [u8], &'a [u8]),
    /// Counted bytes (string, bytes and `LONG1`/`LONG4` opcodes).
    Data(&'a [u8]),
}

#[derive(Clone, Copy)]
enum Shape {
    None,
    Fixed(u8),
    Line,
    Lines,
    Count(u8, bool),
}

/// Name, protocol that introduced it, and argument shape of every opcode of protocols 0 to 5.
const fn info(code: u8) -> Option<(&'static str, u8, Shape)> {
    use Shape::*;
    Some(match code {
        b'(' => ("MARK", 0, None),
        b'.' => ("STOP", 0, None),
        b'0' => ("POP", 0, None),
        b'1' => ("POP_MARK", 1, None),
        b'2' => ("DUP", 0, None),
        b'F' => ("FLOAT", 0, Line),
        b'I' => ("INT", 0, Line),
        b'J' => ("BININT", 1, Fixed(4)),
        b'K' => ("BININT1", 1, Fixed(1)),
        b'L' => ("LONG", 0, Line),
        b'M' => ("BININT2", 1, Fixed(2)),
        b'N' => ("NONE", 0, None),
        b'P' => ("PERSID", 0, Line),
        b'Q' => ("BINPERSID", 1, None),
        b'R' => ("REDUCE", 0, None),
        b'S' => ("STRING", 0, Line),
        b'T' => ("BINSTRING", 1, Count(4, true)),
        b'U' => ("SHORT_BINSTRING", 1, Count(1, false)),
        b'V' => ("UNICODE", 0, Line),
        b'X' => ("BINUNICODE", 1, Count(4, false)),
        b'a' => ("APPEND", 0, None),
        b'b' => ("BUILD", 0, None),
        b'c' => ("GLOBAL", 0, Lines),
        b'd' => ("DICT", 0, None),
        b'}' => ("EMPTY_DICT", 1, None),
        b'e' => ("APPENDS", 1, None),
        b'g' => ("GET", 0, Line),
        b'h' => ("BINGET", 1, Fixed(1)),
        b'i' => ("INST", 0, Lines),
        b'j' => ("LONG_BINGET", 1, Fixed(4)),
        b'l' => ("LIST", 0, None),
        b']' => ("EMPTY_LIST", 1, None),
        b'o' => ("OBJ", 1, None),
        b'p' => ("PUT", 0, Line),
        b'q' => ("BINPUT", 1, Fixed(1)),
        b'r' => ("LONG_BINPUT", 1, Fixed(4)),
        b's' => ("SETITEM", 0, None),
        b't' => ("TUPLE", 0, None),
        b')' => ("EMPTY_TUPLE", 1, None),
        b'u' => ("SETITEMS", 1, None),
        b'G' => ("BINFLOAT", 1, Fixed(8)),
        0x80 => ("PROTO", 2, Fixed(1)),
        0x81 => ("NEWOBJ", 2, None),
        0x82 => ("EXT1", 2, Fixed(1)),
        0x83 => ("EXT2", 2, Fixed(2)),
        0x84 => ("EXT4", 2, Fixed(4)),
        0x85 => ("TUPLE1", 2, None),
        0x86 => ("TUPLE2", 2, None),
        0x87 => ("TUPLE3", 2, None),
        0x88 => ("NEWTRUE", 2, None),
        0x89 => ("NEWFALSE", 2, None),
        0x8a => ("LONG1", 2, Count(1, false)),
        0x8b => ("LONG4", 2, Count(4, true)),
        b'B' => ("BINBYTES", 3, Count(4, true)),
        b'C' => ("SHORT_BINBYTES", 3, Count(1, false)),
        0x8c => ("SHORT_BINUNICODE", 4, Count(1, false)),
        0x8d => ("BINUNICODE8", 4, Count(8, false)),
        0x8e => ("BINBYTES8", 4, Count(8, false)),
        0x8f => ("EMPTY_SET", 4, None),
        0x90 => ("ADDITEMS", 4, None),
        0x91 => ("FROZENSET", 4, None),
        0x92 => ("NEWOBJ_EX", 4, None),
        0x93 => ("STACK_GLOBAL", 4, None),
        0x94 => ("MEMOIZE", 4, None),
        0x95 => ("FRAME", 4, Fixed(8)),
        0x96 => ("BYTEARRAY8", 5, Count(8, false)),
        0x97 => ("NEXT_BUFFER", 5, None),
        0x98 => ("READONLY_BUFFER", 5, None),
        _ => return Option::None,
    })
}

/// The `pickletools` name of an opcode (`"?"` for a byte that is none).
///
/// ```
/// assert_eq!(carbon_pickle::decode::opcode_name(0x86), "TUPLE2");
/// ```
pub fn opcode_name(code: u8) -> &'static str {
    match info(code) {
        Some((name, _, _)) => name,
        None => "?",
    }
}

/// The protocol that introduced an opcode (0 for a byte that is none).
pub fn opcode_protocol(code: u8) -> u8 {
    match info(code) {
        Some((_, proto, _)) => proto,
        None => 0,
    }
}

/// Walks a pickle opcode by opcode.
///
/// ```
/// use carbon_pickle::decode::{Arg, Ops};
/// let mut ops = Ops::new(b"\x80\x02]q\x00.");
/// let first = ops.next().unwrap().unwrap();
/// assert_eq!((first.offset, first.code, first.arg), (0, 0x80, Arg::U8(2)));
/// assert_eq!(ops.count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct Ops<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Ops<'a> {
    /// Starts at the first byte of `pickle`.
    pub fn new(pickle: &'a [u8]) -> Self {
        Ops {
            data: pickle,
            pos: 0,
            failed: false,
        }
    }

    /// Takes a walk up again at byte `pos` of `pickle` (where [`Ops::position`] said it was, and failed
    /// as it was), for readers that keep no borrow between two opcodes.
    pub(crate) fn resume(pickle: &'a [u8], pos: usize, failed: bool) -> Self {
        Ops {
            data: pickle,
            pos: pos.min(pickle.len()),
            failed,
        }
    }

    /// Whether the walk has stopped at an error.
    pub(crate) fn failed(&self) -> bool {
        self.failed
    }

    /// Offset of the next opcode.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize, op: usize, code: u8) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(DecodeError::new(ErrorKind::Truncated, op, Some(code)))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn line(&mut self, op: usize, code: u8) -> Result<&'a [u8], DecodeError> {
        let rest = &self.data[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => self.take(i + 1, op, code),
            None => Err(DecodeError::new(ErrorKind::Truncated, op, Some(code))),
        }
    }

    fn read(&mut self) -> Result<Op<'a>, DecodeError> {
        let offset = self.pos;
        let code = self.data[offset];
        let Some((_, _, shape)) = info(code) else {
            return Err(DecodeError::new(
                ErrorKind::UnknownOpcode,
                offset,
                Some(code),
            ));
        };
        self.pos += 1;
        let arg = match shape {
            Shape::None => Arg::None,
            Shape::Line => Arg::Line(self.line(offset, code)?),
            Shape::Lines => {
                let a = self.line(offset, code)?;
                Arg::Lines(a, self.line(offset, code)?)
            }
            Shape::Fixed(n) => {
                let b = self.take(usize::from(n), offset, code)?;
                let mut le = [0u8; 8];
                le[..b.len()].copy_from_slice(b);
                match (code, n) {
                    (b'G', _) => {
                        let mut be = [0u8; 8];
                        be.copy_from_slice(b);
                        Arg::F64(f64::from_be_bytes(be))
                    }
                    (0x95, _) => Arg::U64(u64::from_le_bytes(le)),
                    (b'J' | 0x84, _) => Arg::I32(i32::from_le_bytes([le[0], le[1], le[2], le[3]])),
                    (_, 4) => Arg::U32(u32::from_le_bytes([le[0], le[1], le[2], le[3]])),
                    (_, 2) => Arg::U16(u16::from_le_bytes([le[0], le[1]])),
                    _ => Arg::U8(le[0]),
                }
            }
            Shape::Count(width, signed) => {
                let b = self.take(usize::from(width), offset, code)?;
                let mut le = [0u8; 8];
                le[..b.len()].copy_from_slice(b);
                let n = u64::from_le_bytes(le);
                if signed && n & 0x8000_0000 != 0 {
                    return Err(DecodeError::new(
                        ErrorKind::NegativeLength,
                        offset,
                        Some(code),
                    ));
                }
                let n = usize::try_from(n)
                    .map_err(|_| DecodeError::new(ErrorKind::Truncated, offset, Some(code)))?;
                Arg::Data(self.take(n, offset, code)?)
            }
        };
        Ok(Op { offset, code, arg })
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>, DecodeError>;

    /// The next opcode; after an error, or at the end of the input, `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let r = self.read();
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}
