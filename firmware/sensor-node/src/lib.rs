//! What the example sensor node measures, shared by the QEMU firmware and the host program.
//!
//! Temperature and humidity are simulated, but deterministically: sample `i` always has the same value, made
//! from integers and one correctly rounded division, so a test (in any language) computes the exact `f64`
//! carbon must have stored. Uptime, queue depth and reconnects are real measurements the caller passes in.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// The metric names, in the order [`readings`] returns them. The sender's prefix goes in front.
pub const METRICS: [&str; 5] = [
    "temperature",
    "humidity",
    "uptime_ms",
    "queue_depth",
    "reconnects",
];

/// Live values measured by the node at the time of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Live {
    /// Milliseconds since boot.
    pub uptime_ms: u32,
    /// Datapoints waiting in the sender's queue just before this sample's were added.
    pub queue_depth: u32,
    /// Failed connections (and attempts) so far.
    pub reconnects: u32,
}

/// A 32-bit integer hash (the "lowbias32" mixer): deterministic noise for sample `i`.
pub const fn noise(i: u32) -> u32 {
    let mut x = i ^ 0x5bd1_e995;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// A triangle wave `0..=amplitude` with the given period (in samples).
const fn triangle(i: u32, period: u32, amplitude: u32) -> u32 {
    let half = period / 2;
    let p = i % period;
    let up = if p < half { p } else { period - p };
    up * amplitude / half
}

/// Temperature of sample `i` in hundredths of a degree Celsius: 18.00 to 26.00 over 40 samples, +-0.12 noise.
///
/// ```
/// assert_eq!(sensor_node::temperature_centi(0), 1800 + (sensor_node::noise(0) % 25) as i32 - 12);
/// ```
pub const fn temperature_centi(i: u32) -> i32 {
    1800 + triangle(i, 40, 800) as i32 + (noise(i) % 25) as i32 - 12
}

/// Relative humidity of sample `i` in tenths of a percent: 60.0 falling to 40.0 over 30 samples, +-1.0 noise.
pub const fn humidity_permille(i: u32) -> i32 {
    600 - triangle(i, 30, 200) as i32 + (noise(i.wrapping_add(1_000_003)) % 21) as i32 - 10
}

/// Temperature of sample `i` in degrees Celsius (`temperature_centi(i) / 100`).
pub fn temperature(i: u32) -> f64 {
    f64::from(temperature_centi(i)) / 100.0
}

/// Relative humidity of sample `i` in percent (`humidity_permille(i) / 10`).
pub fn humidity(i: u32) -> f64 {
    f64::from(humidity_permille(i)) / 10.0
}

/// Every reading of sample `i`, named as in [`METRICS`].
///
/// ```
/// use sensor_node::{readings, Live, METRICS};
/// let r = readings(3, Live { uptime_ms: 3_004, queue_depth: 0, reconnects: 1 });
/// assert_eq!(r.map(|(name, _)| name), METRICS);
/// assert_eq!(r[2].1, 3_004.0);
/// ```
pub fn readings(i: u32, live: Live) -> [(&'static str, f64); 5] {
    [
        (METRICS[0], temperature(i)),
        (METRICS[1], humidity(i)),
        (METRICS[2], f64::from(live.uptime_ms)),
        (METRICS[3], f64::from(live.queue_depth)),
        (METRICS[4], f64::from(live.reconnects)),
    ]
}

/// The timestamp of sample `i`: `epoch` (the node's boot time, whole seconds) plus `i` intervals.
pub const fn timestamp(epoch: u32, i: u32, interval_s: u32) -> u32 {
    epoch + i * interval_s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_stays_in_range_and_varies() {
        let mut last = None;
        let mut changes = 0;
        for i in 0..200 {
            let t = temperature_centi(i);
            let h = humidity_permille(i);
            assert!((1788..=2612).contains(&t), "{t}");
            assert!((390..=610).contains(&h), "{h}");
            if last.is_some_and(|l| l != t) {
                changes += 1;
            }
            last = Some(t);
        }
        assert!(changes > 150);
    }
}
