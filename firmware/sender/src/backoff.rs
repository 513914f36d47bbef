//! Exponential reconnect back-off.
//!
//! A receiver that is down should not be hammered by every node at the poll rate, and a receiver that
//! comes back should not wait long: the delay doubles from `initial_ms` up to `max_ms` with every failed
//! connection and starts over once a connection has delivered (carbon's own client does the same, capped
//! at 5 s).

/// Delays between connection attempts: `initial_ms`, doubling up to `max_ms`.
///
/// ```
/// use carbon_sender::Backoff;
/// let mut b = Backoff::new(250, 1_000);
/// assert_eq!([b.next_delay(), b.next_delay(), b.next_delay(), b.next_delay()], [250, 500, 1_000, 1_000]);
/// b.reset();
/// assert_eq!(b.next_delay(), 250);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Backoff {
    initial_ms: u32,
    max_ms: u32,
    next_ms: u32,
}

impl Backoff {
    /// A back-off starting at `initial_ms` (at least 1) and capped at `max_ms` (at least `initial_ms`).
    pub const fn new(initial_ms: u32, max_ms: u32) -> Self {
        let initial_ms = if initial_ms == 0 { 1 } else { initial_ms };
        let max_ms = if max_ms < initial_ms {
            initial_ms
        } else {
            max_ms
        };
        Backoff {
            initial_ms,
            max_ms,
            next_ms: initial_ms,
        }
    }

    /// The delay before the next attempt; the one after it will be twice as long (up to the cap).
    pub fn next_delay(&mut self) -> u32 {
        let delay = self.next_ms;
        self.next_ms = self.next_ms.saturating_mul(2).min(self.max_ms);
        delay
    }

    /// Starts over at the initial delay (after a connection delivered).
    pub fn reset(&mut self) {
        self.next_ms = self.initial_ms;
    }

    /// The first delay.
    pub const fn initial_ms(&self) -> u32 {
        self.initial_ms
    }

    /// The cap.
    pub const fn max_ms(&self) -> u32 {
        self.max_ms
    }
}
