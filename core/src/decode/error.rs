//! Why a frame was refused, and where.
//!
//! Every refusal carries the byte offset in the pickle payload (the numbers `pickletools.dis` prints) and
//! the opcode found there. The kinds are grouped the way carbon behaves: what its safe unpickler refuses
//! ([`ErrorKind::Refused`]), what breaks the pickle itself, what carbon accepts but then drops the
//! connection on ([`ErrorKind::IntOverflow`], [`ErrorKind::PathNotText`]), and what CPython would accept
//! but this decoder does not model ([`ErrorKind::Unsupported`]): the decoder never silently disagrees
//! with carbon, it refuses instead.

use core::fmt;

use super::ops::opcode_name;

/// A refused frame: what was wrong, at which byte, in which opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecodeError {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Byte offset in the pickle payload (after the 4-byte length header) of the opcode at fault; for
    /// header errors, 0.
    pub offset: usize,
    /// The opcode at `offset`, if the problem is in one.
    pub opcode: Option<u8>,
}

impl DecodeError {
    pub(crate) const fn new(kind: ErrorKind, offset: usize, opcode: Option<u8>) -> Self {
        DecodeError {
            kind,
            offset,
            opcode,
        }
    }
}

/// Opcodes carbon's `SafeUnpickler` (and CPython's unpickler without extras) refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Refusal {
    /// `GLOBAL`, `STACK_GLOBAL`, `INST`: looking up a class or function (carbon: "unsafe module").
    Global,
    /// `REDUCE`, `BUILD`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`: calling or building objects.
    Object,
    /// `PERSID`, `BINPERSID`: persistent ids.
    PersistentId,
    /// `EXT1`, `EXT2`, `EXT4`: the copyreg extension registry.
    Extension,
    /// `BINBYTES`, `SHORT_BINBYTES`, `BINBYTES8`, `BYTEARRAY8`: bytes objects (a bytes path makes carbon
    /// drop the connection).
    Bytes,
    /// `NEXT_BUFFER`, `READONLY_BUFFER`: out-of-band buffers.
    OutOfBand,
}

/// Valid pickles that this decoder does not evaluate (no sender produces them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Unsupported {
    /// Dicts and sets (`EMPTY_DICT`, `DICT`, `SETITEM(S)`, `EMPTY_SET`, `ADDITEMS`, `FROZENSET`).
    DictOrSet,
    /// A second list, or the list used as a value (carbon unpacks lists like tuples).
    NestedList,
    /// A lone surrogate in a string (Python keeps it; a Rust `str` cannot).
    Surrogate,
    /// A number form not evaluated here: a string value that needs decoding or has underscores and is over
    /// 256 characters, a hexadecimal/octal/binary integer over 64 bits.
    NumberForm,
    /// A two-character string where the `(timestamp, value)` pair belongs (carbon unpacks its characters).
    StringAsPair,
    /// An opcode that crosses the end of a protocol-4 `FRAME` (CPython's pickler never writes one; carbon's
    /// file-based unpickler would skip the rest of the frame and read on).
    SplitFrame,
}

/// What was wrong with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The length header declares a payload over the configured cap (carbon closes the connection).
    FrameTooLarge {
        /// Declared payload length.
        len: u32,
        /// The cap.
        max: usize,
    },
    /// The input ends inside an opcode, a line has no newline, or there is no `STOP`.
    Truncated,
    /// A byte that is no pickle opcode.
    UnknownOpcode,
    /// `PROTO` with a protocol over 5.
    UnsupportedProtocol(u8),
    /// A negative length in `BINSTRING`, `BINBYTES` or `LONG4`.
    NegativeLength,
    /// An opcode carbon's safe unpickler refuses.
    Refused(Refusal),
    /// A valid pickle construct this decoder does not evaluate.
    Unsupported(Unsupported),
    /// `STRING` not quoted, or a bad `\x` escape or trailing backslash in it.
    BadString,
    /// A bad `\u`/`\U` escape in `UNICODE`.
    BadUnicodeEscape,
    /// A string that is not valid UTF-8 (carbon decodes every string as UTF-8).
    InvalidUtf8,
    /// A number in text form that CPython does not parse either.
    BadNumber,
    /// A `FLOAT` literal beyond the float range (CPython raises `OverflowError`).
    FloatOverflow,
    /// An integer literal of more than 4,300 digits (Python's `int_max_str_digits`).
    TooManyDigits,
    /// An opcode needs more items than there are above the last mark.
    StackUnderflow,
    /// An opcode needs a mark and there is none.
    NoMark,
    /// More nested marks than the decoder keeps.
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The frame needs more workspace slots than given (memo entries plus stack depth).
    WorkspaceFull {
        /// Memo slots needed (highest memo index + 1).
        memo: usize,
        /// Stack depth needed.
        stack: usize,
        /// Slots available.
        slots: usize,
    },
    /// A negative `PUT` index.
    NegativeMemoIndex,
    /// `GET` of a memo entry never `PUT`.
    MemoMissing {
        /// The index.
        index: u64,
    },
    /// `APPEND`/`APPENDS` to something that is not the list.
    NotAppendable,
    /// The pickle's result is not a list of datapoints.
    NotAList,
    /// A timestamp or value is an integer beyond the float range: carbon's `float()` raises
    /// `OverflowError` and it drops the connection.
    IntOverflow,
    /// A datapoint's path is not a string: carbon drops the connection.
    PathNotText,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Global => "global lookup",
            Refusal::Object => "object construction",
            Refusal::PersistentId => "persistent id",
            Refusal::Extension => "extension registry code",
            Refusal::Bytes => "bytes object",
            Refusal::OutOfBand => "out-of-band buffer",
        })
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unsupported::DictOrSet => "dict or set",
            Unsupported::NestedList => "list other than the top-level list",
            Unsupported::Surrogate => "lone surrogate in a string",
            Unsupported::NumberForm => "number form not evaluated by this decoder",
            Unsupported::StringAsPair => "two-character string as (timestamp, value)",
            Unsupported::SplitFrame => "opcode crosses the end of its FRAME",
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::FrameTooLarge { len, max } => {
                write!(f, "frame declares a {len}-byte payload, over the {max}-byte cap")
            }
            ErrorKind::Truncated => f.write_str("truncated: the input ends too early"),
            ErrorKind::UnknownOpcode => f.write_str("unknown opcode"),
            ErrorKind::UnsupportedProtocol(p) => write!(f, "unsupported pickle protocol {p}"),
            ErrorKind::NegativeLength => f.write_str("negative length"),
            ErrorKind::Refused(r) => write!(f, "refused like carbon's safe unpickler: {r}"),
            ErrorKind::Unsupported(u) => write!(f, "not supported by this decoder: {u}"),
            ErrorKind::BadString => f.write_str("STRING argument not quoted or badly escaped"),
            ErrorKind::BadUnicodeEscape => f.write_str("bad \\u or \\U escape"),
            ErrorKind::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            ErrorKind::BadNumber => f.write_str("not a number"),
            ErrorKind::FloatOverflow => f.write_str("float literal out of range"),
            ErrorKind::TooManyDigits => f.write_str("integer literal over 4300 digits"),
            ErrorKind::StackUnderflow => f.write_str("stack underflow"),
            ErrorKind::NoMark => f.write_str("no MARK on the stack"),
            ErrorKind::TooDeep { max } => write!(f, "more than {max} nested marks"),
            ErrorKind::WorkspaceFull { memo, stack, slots } => write!(
                f,
                "frame needs more than the {slots} workspace slots given ({memo} memo + {stack} stack)"
            ),
            ErrorKind::NegativeMemoIndex => f.write_str("negative memo index"),
            ErrorKind::MemoMissing { index } => write!(f, "memo entry {index} was never set"),
            ErrorKind::NotAppendable => f.write_str("append to something that is not the list"),
            ErrorKind::NotAList => f.write_str("the pickle is not a list of datapoints"),
            ErrorKind::IntOverflow => {
                f.write_str("integer timestamp or value too large for a float (carbon drops the connection)")
            }
            ErrorKind::PathNotText => {
                f.write_str("datapoint path is not a string (carbon drops the connection)")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)?;
        if let Some(op) = self.opcode {
            write!(f, " (opcode {op:#04x} {})", opcode_name(op))?;
        }
        Ok(())
    }
}

impl core::error::Error for DecodeError {}

/// Why carbon would skip one element of the list (the rest of the frame is still stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SkipReason {
    /// The element is not `(path, (timestamp, value))`.
    NotADatapoint,
    /// `float()` of the timestamp fails (a non-numeric string, `None`, a tuple...).
    BadTimestamp,
    /// `float()` of the value fails.
    BadValue,
}

/// An element of the list that carbon would skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Skipped {
    /// Why.
    pub reason: SkipReason,
    /// Its position in the list.
    pub index: usize,
    /// Offset of the opcode that appended it.
    pub offset: usize,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NotADatapoint => "not a (path, (timestamp, value)) tuple",
            SkipReason::BadTimestamp => "timestamp is not a number",
            SkipReason::BadValue => "value is not a number",
        })
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "element {} skipped: {} (appended at byte {})",
            self.index, self.reason, self.offset
        )
    }
}
