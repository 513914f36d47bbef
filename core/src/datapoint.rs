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
