//! Carbon's plaintext protocol (`path value timestamp` lines), read exactly as carbon reads it, in a
//! fixed buffer.
//!
//! Why in the core: every front end (the Rust example, the npm CLI through wasm, a board reading a serial
//! line) must read lines the same way, and the same way as carbon's line receiver, which is the reference
//! users know (`echo "a.b 1 $(date +%s)" | nc carbon 2003`). Hand-written readers drifted: JavaScript's
//! `Number()` takes `0x10` as 16 where Python's `float()` refuses it, `readline` splits lines on a lone
//! `\r` and (in Bun and Deno) on U+2028, regular expressions overflow the stack on a 10 MB line, and a
//! reader that holds whole lines needs memory for the longest one. Here:
//!
//! - **Lines** end at `\n` only ([`LineReader`]); any line longer than the caller's buffer is refused as
//!   [`LineError::TooLong`] and skipped as it streams by, never held: memory is the buffer.
//! - **Fields** are split on Python's whitespace, as carbon's `str.split()` does: ASCII 9-13 and 28-32, and
//!   17 non-ASCII spaces (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
//!   A `\r` is one of them, so `\r\n` line ends need nothing special and a lone `\r` separates fields.
//! - **Numbers** follow Python's `float()`: sign, digits with single `_` between them, decimal point,
//!   exponent, `inf`/`infinity`/`nan` in any case, non-ASCII decimal digits; `0x10`, `0b11`, `0o17` are
//!   not numbers. Conversion is core's correctly rounded parser: bit-identical to CPython.
//! - **Refusals** are typed ([`LineError`]) and refuse that line only: invalid UTF-8 (carbon drops the
//!   whole connection), a wrong number of fields, numbers `float()` refuses, and our policy's NaN and
//!   infinities (carbon skips NaN values; an infinite timestamp drops its connection; go-carbon skips
//!   both). A [`Refused`] prints as `line N: ...` with the field or the line quoted (at most [`QUOTE_MAX`]
//!   bytes).
//!
//! Two extensions to carbon's format, kept from the CLI: a line with two fields (`path value`) is taken
//! at the current time, and so is carbon's own `-1` timestamp (carbon: `int(timestamp) == -1`); both come
//! out as `timestamp: None`. Blank lines are skipped silently (carbon logs them as invalid; neither stores
//! anything).
//!
//! ```
//! use carbon_pickle::plaintext::{LineReader, CARBON_MAX_LINE};
//! use carbon_pickle::{FrameEncoder, Options, SliceSink};
//!
//! let mut reader = LineReader::new([0u8; CARBON_MAX_LINE]);
//! let mut out = [0u8; 128];
//! let mut frame = FrameEncoder::new(SliceSink::new(&mut out), Options::new())?;
//! let mut refused = Vec::new();
//! let now = 1_700_000_000.0; // where a line asks for "now"
//! for chunk in [&b"a.b 1.5 1700000000\na.c 0x10 1700000000\na.."[..], b"d 2 1700000000\na.e 2\n"] {
//!     reader.feed(chunk, |line| match line {
//!         Ok(p) => match frame.push(&p.datapoint(now)) {
//!             Ok(()) => {}
//!             Err(e) => refused.push(p.refuse(e).to_string()),
//!         },
//!         Err(r) => refused.push(r.to_string()),
//!     });
//! }
//! assert_eq!(refused, [
//!     r#"line 2: value "0x10" is not a number"#,
//!     r#"line 3: path "a..d": invalid path: empty path component at byte 2"#,
//! ]);
//! assert_eq!(frame.points(), 2); // a.b and a.e
//! # Ok::<(), carbon_pickle::Error>(())
//! ```

mod error;
mod fields;
mod line;
mod reader;

pub use error::{Field, LineError, Quoted, Refused};
pub use line::{parse_line, Point};
pub use reader::LineReader;

/// Twisted's `LineOnlyReceiver.MAX_LENGTH`, which carbon's line receiver keeps: carbon drops the
/// connection on a line longer than this (without its `\n`). A [`LineReader`] buffer of this size reads
/// every line carbon reads.
pub const CARBON_MAX_LINE: usize = 16_384;

/// The most bytes of a line (or of a field) a refusal quotes.
pub const QUOTE_MAX: usize = 200;
