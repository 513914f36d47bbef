//! The pickle opcodes this crate emits, and nothing else.
//!
//! The set is the intersection of what carbon (Python 2 and 3), go-carbon and carbon-relay-ng accept; see
//! `docs/wire-format.md` for why each is here and why others (BININT1, LONG4, SHORT_BINUNICODE, FRAME, MEMOIZE,
//! the bytes opcodes) are not.

/// `\x80 n`: PROTO, protocol number follows (protocol 2 only).
pub const PROTO: u8 = 0x80;
/// `]`: EMPTY_LIST (protocol 2). carbon-relay-ng requires it right after PROTO.
pub const EMPTY_LIST: u8 = b']';
/// `(`: MARK.
pub const MARK: u8 = b'(';
/// `X <u32 LE> <utf-8>`: BINUNICODE, the path (protocol 2).
pub const BINUNICODE: u8 = b'X';
/// `J <i32 LE>`: BININT, a timestamp in `0..2^31` (never negative: go-carbon reads it as unsigned).
pub const BININT: u8 = b'J';
/// `G <f64 BE>`: BINFLOAT, every value and the timestamps BININT cannot carry.
pub const BINFLOAT: u8 = b'G';
/// `\x86`: TUPLE2 (protocol 2).
pub const TUPLE2: u8 = 0x86;
/// `e`: APPENDS, appends everything since the last MARK to the list.
pub const APPENDS: u8 = b'e';
/// `.`: STOP.
pub const STOP: u8 = b'.';
/// `l`: LIST from MARK (protocol 0).
pub const LIST: u8 = b'l';
/// `S'...'\n`: STRING, an ASCII path (protocol 0).
pub const STRING: u8 = b'S';
/// `V...\n`: UNICODE in raw-unicode-escape, a non-ASCII path (protocol 0).
pub const UNICODE: u8 = b'V';
/// `L<digits>L\n`: LONG, an integer timestamp (protocol 0, as statsd writes it).
pub const LONG: u8 = b'L';
/// `F<repr>\n`: FLOAT, a value or fractional timestamp (protocol 0).
pub const FLOAT: u8 = b'F';
/// `t`: TUPLE from MARK (protocol 0).
pub const TUPLE: u8 = b't';
/// `a`: APPEND (protocol 0).
pub const APPEND: u8 = b'a';
