//! Why a line is refused, and how a refusal reads.
//!
//! A [`LineError`] is plain data (`Copy`, no text), in the style of the crate's [`Error`]. A [`Refused`]
//! adds the line number and the line's bytes, and its `Display` is the message every front end prints
//! (the Rust example and the npm CLI print the same text): the offending field or the line quoted, at most
//! [`QUOTE_MAX`] bytes of it, invalid UTF-8 shown as `\xNN`.

use core::fmt::{self, Write};

use super::fields::Fields;
use super::QUOTE_MAX;
use crate::{Error, PathError};

/// Which number of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Field {
    /// The second field.
    Value,
    /// The third field.
    Timestamp,
}

/// Why a line is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LineError {
    /// The line is not UTF-8 (carbon 1.1.10 decodes it outside its `try`: the `UnicodeDecodeError` drops
    /// the connection, and every line after it).
    InvalidUtf8 {
        /// Byte offset of the first byte that is not UTF-8.
        at: usize,
    },
    /// Not `path value timestamp` (nor `path value`): the line has `found` fields.
    FieldCount {
        /// Fields found (separated by Python's whitespace).
        found: usize,
    },
    /// A field Python's `float()` refuses (`0x10`, `1__0`, `n/a`).
    NotANumber {
        /// Which.
        field: Field,
        /// Byte offset of the field in the line.
        at: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// `nan` (carbon skips NaN values; a NaN timestamp drops its connection).
    NaN {
        /// Which.
        field: Field,
        /// Byte offset of the field in the line.
        at: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// `inf`, `-Infinity`, or a number beyond the float range such as `1e999` (go-carbon skips infinite
    /// values; an infinite timestamp drops carbon's connection).
    Infinite {
        /// Which.
        field: Field,
        /// Byte offset of the field in the line.
        at: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// A number `float()` reads that this reader does not evaluate: over 256 characters with underscores
    /// or non-ASCII digits.
    Unsupported {
        /// Which.
        field: Field,
        /// Byte offset of the field in the line.
        at: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// The line is longer than the reader's buffer; it was skipped as it went by (carbon drops the
    /// connection for a line over 16,384 bytes).
    TooLong {
        /// Its length in bytes, without the `\n`.
        len: u64,
        /// The longest line the reader holds.
        max: usize,
    },
    /// The line's datapoint breaks the encoder's rules ([`Point::refuse`](super::Point::refuse)).
    Datapoint(Error),
}

/// A refused line: its number, why, and its bytes.
///
/// ```
/// use carbon_pickle::plaintext::{parse_line, Field, LineError};
/// let refused = parse_line(b"a.b 0x10 1700000000", 3).unwrap_err();
/// assert_eq!(refused.error, LineError::NotANumber { field: Field::Value, at: 4, len: 4 });
/// assert_eq!(refused.to_string(), r#"line 3: value "0x10" is not a number"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Refused<'a> {
    /// Line number, from 1.
    pub line: u64,
    /// Why.
    pub error: LineError,
    text: &'a [u8],
}

impl<'a> Refused<'a> {
    pub(crate) fn new(line: u64, error: LineError, text: &'a [u8]) -> Self {
        Refused { line, error, text }
    }

    /// The line's bytes (without the `\n`); for [`LineError::TooLong`], only its first bytes (a little
    /// over [`QUOTE_MAX`]): the rest was never held.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The line's length in bytes, without the `\n`.
    pub fn line_len(&self) -> u64 {
        match self.error {
            LineError::TooLong { len, .. } => len,
            _ => self.text.len() as u64,
        }
    }

    fn field(&self, at: usize, len: usize) -> Quoted<'a> {
        let f = self
            .text
            .get(at..at.saturating_add(len))
            .unwrap_or_default();
        Quoted::new(f)
    }

    /// The whole line, quoted.
    fn quoted(&self) -> Quoted<'a> {
        Quoted {
            bytes: self.text,
            total: self.line_len(),
        }
    }

    /// The `n`th field of a line that parsed (for refusals of its datapoint).
    fn nth_field(&self, n: usize) -> Option<Quoted<'a>> {
        let s = core::str::from_utf8(self.text).ok()?;
        Fields::new(s)
            .nth(n)
            .map(|(_, f)| Quoted::new(f.as_bytes()))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Value => "value",
            Field::Timestamp => "timestamp",
        })
    }
}

/// What happens to a NaN or infinite number at the receivers (why it is refused).
fn non_finite_why(field: Field, nan: bool) -> &'static str {
    match (field, nan) {
        (Field::Value, true) => "carbon skips NaN values",
        (Field::Value, false) => "go-carbon skips infinite values",
        (Field::Timestamp, _) => "carbon drops the connection for it",
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LineError::InvalidUtf8 { at } => write!(f, "invalid UTF-8 at byte {at}"),
            LineError::FieldCount { found } => write!(
                f,
                "expected \"path value [timestamp]\", got {found} field{}",
                if found == 1 { "" } else { "s" }
            ),
            LineError::NotANumber { field, .. } => write!(f, "{field} is not a number"),
            LineError::NaN { field, .. } => write!(f, "{field} is NaN"),
            LineError::Infinite { field, .. } => write!(f, "{field} is infinite"),
            LineError::Unsupported { field, .. } => write!(
                f,
                "{field} is a number this reader does not evaluate (over 256 characters with underscores or non-ASCII digits)"
            ),
            LineError::TooLong { len, max } => {
                write!(f, "line is {len} bytes long (at most {max})")
            }
            LineError::Datapoint(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for Refused<'_> {
    /// `line N: ` and the reason, with the field at fault or the line quoted.
    ///
    /// ```
    /// use carbon_pickle::plaintext::parse_line;
    /// let said = |line: &[u8]| parse_line(line, 7).unwrap_err().to_string();
    /// assert_eq!(said(b"a.b 1 2 3"), r#"line 7: expected "path value [timestamp]", got 4 fields: "a.b 1 2 3""#);
    /// assert_eq!(said(b"a.b\xff 1 2"), r#"line 7: invalid UTF-8 at byte 3: "a.b\xff 1 2""#);
    /// assert_eq!(said(b"a.b nan 2"), r#"line 7: value "nan" is NaN (carbon skips NaN values)"#);
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match self.error {
            LineError::NotANumber { field, at, len } => {
                write!(f, "{field} {} is not a number", self.field(at, len))
            }
            LineError::NaN { field, at, len } => write!(
                f,
                "{field} {} is NaN ({})",
                self.field(at, len),
                non_finite_why(field, true)
            ),
            LineError::Infinite { field, at, len } => write!(
                f,
                "{field} {} is infinite ({})",
                self.field(at, len),
                non_finite_why(field, false)
            ),
            LineError::Unsupported { field, at, len } => write!(
                f,
                "{field} {}: a number this reader does not evaluate (over 256 characters with underscores or non-ASCII digits)",
                self.field(at, len)
            ),
            LineError::TooLong { max, .. } => {
                write!(f, "longer than {max} bytes, skipped: {}", self.quoted())
            }
            LineError::Datapoint(e @ Error::InvalidPath(_)) => match self.nth_field(0) {
                Some(path) => write!(f, "path {path}: {e}"),
                None => write!(f, "{e}: {}", self.quoted()),
            },
            LineError::Datapoint(Error::TimestampOutOfRange) => match self.nth_field(2) {
                Some(ts) => {
                    write!(f, "timestamp {ts} is outside 0..2^32 seconds")?;
                    if ts.looks_like_milliseconds() {
                        f.write_str(" (it looks like milliseconds: carbon takes seconds)")?;
                    }
                    Ok(())
                }
                None => write!(f, "{}: {}", self.error, self.quoted()),
            },
            LineError::InvalidUtf8 { .. }
            | LineError::FieldCount { .. }
            | LineError::Datapoint(_) => write!(f, "{}: {}", self.error, self.quoted()),
        }
    }
}

impl core::error::Error for LineError {}
impl core::error::Error for Refused<'_> {}

impl From<PathError> for LineError {
    fn from(e: PathError) -> Self {
        LineError::Datapoint(Error::InvalidPath(e))
    }
}

/// Bytes as a refusal quotes them: in double quotes, at most [`QUOTE_MAX`] bytes (cut at a character
/// boundary, then `... (N bytes)`), `"` and `\` escaped, control characters, invisible and other
/// non-printing characters as `\u{..}` (so that a U+2028 or a no-break space shows), invalid UTF-8 as
/// `\xNN`.
///
/// ```
/// use carbon_pickle::plaintext::Quoted;
/// assert_eq!(Quoted::new(b"a\tb\xffc\"\xe2\x80\xa8").to_string(), r#""a\tb\xffc\"\u{2028}""#);
/// let long = [b'x'; 300];
/// assert_eq!(Quoted::new(&long).to_string(), format!("\"{}\"... (300 bytes)", "x".repeat(200)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a> {
    bytes: &'a [u8],
    /// The length of what `bytes` begins (more than `bytes.len()` when only its start was kept).
    total: u64,
}

impl<'a> Quoted<'a> {
    /// Quotes `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Quoted {
            bytes,
            total: bytes.len() as u64,
        }
    }

    fn looks_like_milliseconds(&self) -> bool {
        let t = core::str::from_utf8(self.bytes)
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        t.is_some_and(|t| (1e11..1e14).contains(&t))
    }
}

/// Characters a terminal would not show as themselves: control characters, whitespace other than the
/// space (a U+2028 or a no-break space splits fields, so it must be seen), and the invisible format
/// characters (soft hyphen, zero-width and direction marks, word joiners, the byte order mark).
fn is_unseen(c: char) -> bool {
    c.is_control()
        || (c != ' ' && crate::pyfloat::is_space(c))
        || matches!(
            c,
            '\u{ad}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = self.bytes.len().min(QUOTE_MAX);
        if n < self.bytes.len() {
            // Do not cut a character in two: back up over its continuation bytes.
            let start = n;
            while n > 0 && start - n < 3 && self.bytes[n] & 0xc0 == 0x80 {
                n -= 1;
            }
            if self.bytes[n] & 0xc0 == 0x80 {
                n = start; // not UTF-8 there anyway
            }
        }
        let shown = &self.bytes[..n];
        f.write_char('"')?;
        for chunk in shown.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    c if is_unseen(c) => write!(f, "\\u{{{:x}}}", c as u32)?,
                    c => f.write_char(c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_char('"')?;
        if (n as u64) < self.total {
            write!(f, "... ({} bytes)", self.total)?;
        }
        Ok(())
    }
}
