//! Milliseconds since boot, counted by SysTick.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use embedded_time::rate::Fraction;

static MILLIS: AtomicU32 = AtomicU32::new(0);

/// Starts a 1 kHz SysTick from the CPU clock.
pub fn start(mut syst: SYST, sysclk_hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(sysclk_hz / 1_000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`] (wraps after 49 days).
pub fn now_ms() -> u32 {
    MILLIS.load(Ordering::Relaxed)
}

#[exception]
fn SysTick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

/// The same clock for smoltcp-nal.
pub struct Millis;

impl embedded_time::Clock for Millis {
    type T = u32;
    const SCALING_FACTOR: Fraction = Fraction::new(1, 1_000);

    fn try_now(&self) -> Result<embedded_time::Instant<Self>, embedded_time::clock::Error> {
        Ok(embedded_time::Instant::new(now_ms()))
    }
}
