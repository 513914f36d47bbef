//! Timestamps as a service has them: `u32`, `u64`, `i64`, `f64` seconds, or a `SystemTime`.

use std::time::{SystemTime, UNIX_EPOCH};

use carbon_pickle::Error;

/// A datapoint's time, seconds since the Unix epoch; checked when pushed (carbon stores whole seconds
/// from 0 to 2^32 - 1: fractions are floored, anything else is refused with a typed error).
///
/// ```
/// use carbon_sender::tokio_sender::Timestamp;
/// assert_eq!(Timestamp::from(1_700_000_000u64).seconds(), Ok(1_700_000_000));
/// assert_eq!(Timestamp::from(1_700_000_000.9f64).seconds(), Ok(1_700_000_000));
/// assert!(Timestamp::from(-1i64).seconds().is_err());
/// assert!(Timestamp::from(f64::NAN).seconds().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timestamp(Repr);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Repr {
    Int(i128),
    Float(f64),
}

impl Timestamp {
    /// Whole seconds, or why the time cannot be sent.
    pub fn seconds(self) -> Result<u32, Error> {
        match self.0 {
            Repr::Int(s) => u32::try_from(s).map_err(|_| Error::TimestampOutOfRange),
            Repr::Float(f) if !f.is_finite() => Err(Error::NonFiniteTimestamp),
            Repr::Float(f) if (0.0..4_294_967_296.0).contains(&f) => Ok(f as u32),
            Repr::Float(_) => Err(Error::TimestampOutOfRange),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Timestamp {
            fn from(s: $t) -> Self {
                Timestamp(Repr::Int(s.into()))
            }
        }
    )*};
}
from_int!(u32, u64, i64, i32);

impl From<f64> for Timestamp {
    fn from(s: f64) -> Self {
        Timestamp(Repr::Float(s))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(Repr::Int(d.as_secs().into())),
            Err(_) => Timestamp(Repr::Int(-1)),
        }
    }
}
