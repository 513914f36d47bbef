//! embassy-time's driver, tickless: SysTick runs free as the clock, the CMSDK APB timer 0 is the alarm.
//!
//! A periodic 1 ms tick would wake the CPU a thousand times a second whether anything is due or not. Here
//! SysTick counts CPU cycles with its largest reload (2^24 cycles, 0.67 s at 25 MHz) and interrupts only to
//! count its wraps; the time is wraps * 2^24 plus the cycles into the current wrap, read in a critical
//! section (a wrap whose interrupt is still pending is counted by looking at `PENDSTSET`). Timers go into
//! embassy-time-queue-utils' queue; the earliest one is programmed into timer 0 as a one-shot count-down
//! (IRQ 8), whose handler wakes what is due and programs the next. So the CPU leaves `wfi` for a timer only
//! when one falls due, plus 1.5 times a second for the wrap.
//!
//! embassy-time runs at 1 kHz (`tick-hz-1_000`): its ticks are milliseconds, 25,000 cycles each.

use core::cell::{Cell, RefCell};
use core::ptr::write_volatile;
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// SysTick's reload: the 24-bit maximum, a wrap every 2^24 cycles.
const SYST_RELOAD: u32 = 0x00FF_FFFF;
/// CPU cycles per embassy-time tick (1 ms at the boards' 25 MHz).
const CYCLES_PER_MS: u64 = mps2_board::SYSCLK_HZ as u64 / 1_000;

/// The CMSDK APB timer 0 (QEMU `hw/arm/mps2.c`: 0x4000_0000, IRQ 8, clocked at 25 MHz).
const TIMER0: usize = 0x4000_0000;
/// Its interrupt line.
pub const TIMER0_IRQ: u16 = 8;
const CTRL: usize = 0x00;
const VALUE: usize = 0x04;
const RELOAD: usize = 0x08;
const INTCLEAR: usize = 0x0c;
const CTRL_EN: u32 = 1 << 0;
const CTRL_IRQEN: u32 = 1 << 3;

fn timer0_write(offset: usize, value: u32) {
    // SAFETY: TIMER0 is the CMSDK APB timer's register block; only this driver touches it, always inside a
    // critical section or its own interrupt handler; every offset is a 32-bit register of it.
    unsafe { write_volatile((TIMER0 + offset) as *mut u32, value) }
}

struct TicklessDriver {
    wraps: AtomicU32,
    last: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: TicklessDriver = TicklessDriver {
    wraps: AtomicU32::new(0),
    last: Mutex::new(Cell::new(0)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

/// Starts SysTick free-running from the CPU clock; timer 0 stays off until a timer is scheduled.
pub fn start(mut syst: SYST) {
    timer0_write(CTRL, 0);
    timer0_write(INTCLEAR, 1);
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(SYST_RELOAD);
    syst.clear_current();
    // The counter leaves the cleared 0 for the reload value on its first tick (under QEMU: when its timer
    // callback has run, some host time later). Until then the time would read as a whole period, so wait for
    // it with the interrupt off, and forget the flag it may leave: the clock starts with the first period.
    syst.enable_counter();
    let mut spins = 0u32;
    while SYST::get_current() == 0 {
        spins += 1;
        assert!(spins < 50_000_000, "SysTick does not count");
    }
    let _ = syst.has_wrapped();
    SCB::clear_pendst();
    syst.enable_interrupt();
}

/// CPU cycles since [`start`]; never less than an earlier answer.
fn cycles(cs: CriticalSection) -> u64 {
    let mut wraps = DRIVER.wraps.load(Ordering::Relaxed);
    let mut value = SYST::get_current();
    if SCB::is_pendst_pending() {
        // Wrapped, and the handler has not run yet (interrupts are masked): count it, read again.
        wraps += 1;
        value = SYST::get_current();
    }
    let now = (u64::from(wraps) << 24) | u64::from(SYST_RELOAD - value);
    // Belt and braces: time never runs backwards, whatever an emulator's timer does between two reads.
    let last = DRIVER.last.borrow(cs);
    let now = now.max(last.get());
    last.set(now);
    now
}

/// Milliseconds since [`start`].
pub fn now() -> u64 {
    critical_section::with(|cs| cycles(cs) / CYCLES_PER_MS)
}

/// Milliseconds since [`start`], for the log (wraps after 49 days).
pub fn now_ms() -> u32 {
    now() as u32
}

/// Programs timer 0 to interrupt at `at` (ms), or stops it (`u64::MAX`: nothing scheduled).
fn set_alarm(cs: CriticalSection, at: u64) {
    timer0_write(CTRL, 0);
    timer0_write(INTCLEAR, 1);
    if at == u64::MAX {
        return;
    }
    let delta = (at * CYCLES_PER_MS)
        .saturating_sub(cycles(cs))
        .clamp(1, u64::from(u32::MAX)) as u32;
    timer0_write(RELOAD, delta);
    timer0_write(VALUE, delta);
    timer0_write(CTRL, CTRL_EN | CTRL_IRQEN);
}

impl Driver for TicklessDriver {
    fn now(&self) -> u64 {
        now()
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                // Wakes what is already due, and arms the alarm for the rest.
                let next = queue.next_expiration(cycles(cs) / CYCLES_PER_MS);
                set_alarm(cs, next);
            }
        })
    }
}

/// Timer 0's interrupt: wake what is due, arm the next alarm. Call it from the handler of [`TIMER0_IRQ`].
pub fn on_alarm() {
    critical_section::with(|cs| {
        let next = DRIVER
            .queue
            .borrow_ref_mut(cs)
            .next_expiration(cycles(cs) / CYCLES_PER_MS);
        set_alarm(cs, next);
    });
}

#[exception]
fn SysTick() {
    DRIVER.wraps.fetch_add(1, Ordering::Relaxed);
}
