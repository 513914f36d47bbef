//! One line, read as carbon's line receiver reads it.
//!
//! carbon 1.1.10 (`carbon/protocols.py`, `MetricLineReceiver.lineReceived`):
//!
//! ```python
//! line = line.decode('utf-8')
//! metric, value, timestamp = line.strip().split()
//! datapoint = (float(timestamp), float(value))
//! ```
//!
//! and then (`MetricReceiver.metricReceived`) skips NaN values and takes `int(timestamp) == -1` as now.
//! [`parse_line`] does the same steps: UTF-8 (the whole line), fields split on Python's whitespace
//! ([`fields`](super::fields)), numbers by Python's `float()` ([`crate::pyfloat`]).

use super::error::{Field, LineError, Refused};
use super::fields::Fields;
use crate::pyfloat::{float_of_str, PyFloat};
use crate::{Datapoint, Error};

/// A datapoint read from a line.
///
/// ```
/// use carbon_pickle::plaintext::parse_line;
/// let p = parse_line(b"sensors.kitchen.temp 21.5 1700000000", 1).unwrap();
/// assert_eq!((p.path, p.value, p.timestamp), ("sensors.kitchen.temp", 21.5, Some(1_700_000_000.0)));
/// let dp = p.datapoint(1_800_000_000.0); // the time to use for "now", unused here
/// assert_eq!((dp.path, dp.timestamp, dp.value), ("sensors.kitchen.temp", 1_700_000_000.0, 21.5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Point<'a> {
    /// Line number, from 1.
    pub line: u64,
    /// The metric path: the first field, as carbon would take it (the encoder's path rules are checked
    /// when it is pushed).
    pub path: &'a str,
    /// The value, finite.
    pub value: f64,
    /// Seconds since the epoch, finite; `None` for "now": a line without a timestamp field, or carbon's
    /// `-1` (any timestamp whose `int()` is -1, as carbon tests it).
    pub timestamp: Option<f64>,
    text: &'a [u8],
}

impl<'a> Point<'a> {
    /// The datapoint, with `now` (seconds since the epoch) where the line asked for the current time.
    pub fn datapoint(&self, now: f64) -> Datapoint<'a> {
        Datapoint {
            path: self.path,
            timestamp: self.timestamp.unwrap_or(now),
            value: self.value,
        }
    }

    /// The line the point was read from (without its `\n`).
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The refusal to report when the encoder refuses this point's datapoint: its message names the
    /// path or the timestamp from the line, as the line's other refusals do.
    ///
    /// ```
    /// use carbon_pickle::plaintext::parse_line;
    /// use carbon_pickle::{Datapoint, Options, SliceSink, FrameEncoder};
    /// let mut buf = [0u8; 256];
    /// let mut frame = FrameEncoder::new(SliceSink::new(&mut buf), Options::new())?;
    /// for (n, line) in [&b"a..b 1 1700000000"[..], b"a.b 1 1700000000000"].into_iter().enumerate() {
    ///     let p = parse_line(line, n as u64 + 1).unwrap();
    ///     let e = frame.push(&p.datapoint(0.0)).unwrap_err();
    ///     let said = p.refuse(e).to_string();
    ///     assert_eq!(said, [
    ///         r#"line 1: path "a..b": invalid path: empty path component at byte 2"#,
    ///         r#"line 2: timestamp "1700000000000" is outside 0..2^32 seconds (it looks like milliseconds: carbon takes seconds)"#,
    ///     ][n]);
    /// }
    /// # Ok::<(), carbon_pickle::Error>(())
    /// ```
    pub fn refuse(&self, error: Error) -> Refused<'a> {
        Refused::new(self.line, LineError::Datapoint(error), self.text)
    }
}

/// Reads one line (without its `\n`; a `\r` before it is whitespace like any other) as carbon does:
/// `path value timestamp`, or `path value` meaning now. `line` is its number, for the result.
///
/// A blank line is refused with `FieldCount { found: 0 }` here; [`LineReader`](super::LineReader) skips
/// blank lines without a word (carbon logs them as invalid and stores nothing either).
///
/// ```
/// use carbon_pickle::plaintext::{parse_line, Field, LineError};
/// let p = parse_line(b"a.b\t1_000.5\r2e9\r", 1).unwrap();   // tabs, CRs: Python whitespace
/// assert_eq!((p.path, p.value, p.timestamp), ("a.b", 1000.5, Some(2e9)));
/// let p = parse_line("a.b\u{2028}5 -1".as_bytes(), 2).unwrap(); // U+2028 splits fields too
/// assert_eq!((p.path, p.value, p.timestamp), ("a.b", 5.0, None)); // -1: now
/// assert_eq!(parse_line(b"a.b 5", 3).unwrap().timestamp, None);     // no timestamp: now
/// let e = |l: &[u8]| parse_line(l, 4).unwrap_err().error;
/// assert_eq!(e(b"a.b 0b11 1"), LineError::NotANumber { field: Field::Value, at: 4, len: 4 });
/// assert_eq!(e(b"a.b 1 inf"), LineError::Infinite { field: Field::Timestamp, at: 6, len: 3 });
/// assert_eq!(e(b"a.b 1 1\r2 3"), LineError::FieldCount { found: 5 });
/// assert_eq!(e(b"\xfe 1 2"), LineError::InvalidUtf8 { at: 0 });
/// ```
pub fn parse_line(text: &[u8], line: u64) -> Result<Point<'_>, Refused<'_>> {
    let refuse = |error| Refused::new(line, error, text);
    let s = core::str::from_utf8(text).map_err(|e| {
        refuse(LineError::InvalidUtf8 {
            at: e.valid_up_to(),
        })
    })?;
    let mut fields = [(0, ""); 3];
    let mut found = 0;
    for f in Fields::new(s) {
        if let Some(slot) = fields.get_mut(found) {
            *slot = f;
        }
        found += 1;
    }
    if !(2..=3).contains(&found) {
        return Err(refuse(LineError::FieldCount { found }));
    }
    let [(_, path), value, timestamp] = fields;
    let value = number(value, Field::Value).map_err(refuse)?;
    let timestamp = if found == 3 {
        let t = number(timestamp, Field::Timestamp).map_err(refuse)?;
        // carbon: `if int(datapoint[0]) == -1: datapoint = (time.time(), ...)`.
        (!(t > -2.0 && t <= -1.0)).then_some(t)
    } else {
        None
    };
    Ok(Point {
        line,
        path,
        value,
        timestamp,
        text,
    })
}

/// `float(field)`, finite.
fn number((at, s): (usize, &str), field: Field) -> Result<f64, LineError> {
    let len = s.len();
    match float_of_str(s) {
        PyFloat::Num(v) if v.is_finite() => Ok(v),
        PyFloat::Num(v) if v.is_nan() => Err(LineError::NaN { field, at, len }),
        PyFloat::Num(_) => Err(LineError::Infinite { field, at, len }),
        PyFloat::Invalid => Err(LineError::NotANumber { field, at, len }),
        PyFloat::Unsupported => Err(LineError::Unsupported { field, at, len }),
    }
}
