//! One metric sample: a path, a timestamp and a value.

use crate::tags::Layout;
use crate::{path, Error, PathRules};

/// The largest timestamp plus one: timestamps are seconds in `0..2^32`.
pub const TIMESTAMP_END: f64 = 4_294_967_296.0;

/// A datapoint `(path, (timestamp, value))`.
///
/// Timestamps are seconds since the Unix epoch in `0..2^32` (past 2038 included) and may be fractional;
/// values are any finite `f64` (integers convert with `.into()` or `as f64`).
///
/// ```
/// use carbon_pickle::Datapoint;
/// let dp = Datapoint::new("servers.web01.cpu", 1_700_000_000, 42);
/// assert_eq!(dp.timestamp, 1_700_000_000.0);
/// assert_eq!(dp.value, 42.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Datapoint<'a> {
    /// The metric path, e.g. `servers.web01.cpu.user`.
    pub path: &'a str,
    /// Seconds since the Unix epoch.
    pub timestamp: f64,
    /// The sample.
    pub value: f64,
}

impl<'a> Datapoint<'a> {
    /// A datapoint from anything that converts to `f64` without loss (`u32`, `i32`, `f32`, `f64`, ...).
    pub fn new(path: &'a str, timestamp: impl Into<f64>, value: impl Into<f64>) -> Self {
        Datapoint {
            path,
            timestamp: timestamp.into(),
            value: value.into(),
        }
    }

    /// A datapoint whose timestamp is in whatever type a service keeps it: `u32`, `u64`, `i64`, `i32` or `f64`
    /// seconds since the Unix epoch ([`UnixSeconds`]). A timestamp outside `0..2^32` stays out of range and
    /// is refused with `Error::TimestampOutOfRange` when checked or encoded, never wrapped.
    ///
    /// ```
    /// use carbon_pickle::{Datapoint, Error, PathRules};
    /// let secs: u64 = 1_700_000_000; // SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs()
    /// assert_eq!(Datapoint::at("a.b", secs, 1.5).timestamp, 1_700_000_000.0);
    /// assert_eq!(Datapoint::at("a.b", -5i64, 1.5).validate(PathRules::default()), Err(Error::TimestampOutOfRange));
    /// assert_eq!(Datapoint::at("a.b", 1u64 << 40, 1.5).validate(PathRules::default()), Err(Error::TimestampOutOfRange));
    /// ```
    pub fn at(path: &'a str, timestamp: impl UnixSeconds, value: impl Into<f64>) -> Self {
        Datapoint {
            path,
            timestamp: timestamp.seconds(),
            value: value.into(),
        }
    }

    /// Checks the datapoint against the rules: path, finite value, finite timestamp in range.
    ///
    /// ```
    /// use carbon_pickle::{Datapoint, Error, PathRules};
    /// let rules = PathRules::default();
    /// assert_eq!(Datapoint::new("a.b", 0, 1.5).validate(rules), Ok(()));
    /// assert_eq!(Datapoint::new("a.b", 0, f64::NAN).validate(rules), Err(Error::NonFiniteValue));
    /// assert_eq!(Datapoint::new("a.b", -1, 1).validate(rules), Err(Error::TimestampOutOfRange));
    /// ```
    pub fn validate(&self, rules: PathRules) -> Result<(), Error> {
        self.check(rules).map(|_| ())
    }

    /// [`validate`](Self::validate), returning the path's tag layout if it is tagged.
    #[inline]
    pub(crate) fn check(&self, rules: PathRules) -> Result<Option<Layout>, Error> {
        let tags = path::check(self.path, rules, true)?;
        self.check_numbers()?;
        Ok(tags)
    }

    /// True when the timestamp and the value are valid: one range test (false for NaN and infinities too)
    /// and one finiteness test.
    #[inline(always)]
    pub(crate) fn numbers_ok(&self) -> bool {
        (0.0..TIMESTAMP_END).contains(&self.timestamp) && self.value.is_finite()
    }

    /// Checks the timestamp and the value (everything but the path).
    #[inline]
    pub(crate) fn check_numbers(&self) -> Result<(), Error> {
        if self.numbers_ok() {
            return Ok(());
        }
        if !self.timestamp.is_finite() {
            return Err(Error::NonFiniteTimestamp);
        }
        if !(0.0..TIMESTAMP_END).contains(&self.timestamp) {
            return Err(Error::TimestampOutOfRange);
        }
        if !self.value.is_finite() {
            return Err(Error::NonFiniteValue);
        }
        Ok(())
    }

    /// The timestamp as an integer, if it is one (it has been validated to lie in `0..2^32`).
    #[cfg(feature = "protocol-0")]
    pub(crate) fn whole_timestamp(&self) -> Option<u32> {
        let t = self.timestamp as u32;
        (t as f64 == self.timestamp).then_some(t)
    }
}

/// Seconds since the Unix epoch as a service holds them, for [`Datapoint::at`].
pub trait UnixSeconds: sealed::Sealed {
    /// The seconds as `f64`. Integers past 2^53 round, which only matters far outside the range carbon
    /// takes (`0..2^32`), where the datapoint is refused anyway.
    fn seconds(self) -> f64;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! unix_seconds {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl UnixSeconds for $t {
            #[allow(clippy::cast_precision_loss)]
            fn seconds(self) -> f64 {
                self as f64
            }
        }
    )*};
}
unix_seconds!(u32, u64, i32, i64, f64);
