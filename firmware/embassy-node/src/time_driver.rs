//! embassy-time's driver: a 1 kHz SysTick counts milliseconds and wakes the timers that fall due.
//!
//! The tick interrupt only counts and compares with the next alarm; the executor is woken (a timer's waker
//! called) only when an alarm falls due. The CPU still leaves `wfi` for every tick, for a few instructions:
//! the idle figures the firmware reports count both (`executor`).

use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

struct SysTickDriver {
    millis: AtomicU32,
    alarm: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    millis: AtomicU32::new(0),
    alarm: Mutex::new(Cell::new(u64::MAX)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

/// Starts the 1 kHz SysTick from the CPU clock (embassy-time runs at `tick-hz-1_000`).
pub fn start(mut syst: SYST, sysclk_hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(sysclk_hz / 1_000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`] (wraps after 49 days).
pub fn now_ms() -> u32 {
    DRIVER.millis.load(Ordering::Relaxed)
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        self.millis.load(Ordering::Relaxed).into()
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                // Wakes what is already due; the tick handler takes care of the rest.
                self.alarm.borrow(cs).set(queue.next_expiration(self.now()));
            }
        })
    }
}

#[exception]
fn SysTick() {
    let now = u64::from(
        DRIVER
            .millis
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1),
    );
    critical_section::with(|cs| {
        let alarm = DRIVER.alarm.borrow(cs);
        if now >= alarm.get() {
            alarm.set(DRIVER.queue.borrow_ref_mut(cs).next_expiration(now));
        }
    });
}
