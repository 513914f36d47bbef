//! The thread-mode executor loop, written out (embassy-executor's raw `Executor` and our own pender) so it
//! can count what the idle test asserts: how often the executor had work, in how many milliseconds, and how
//! often the CPU went to sleep (each sleep ends with one wake-up). When nothing is pending it sleeps in
//! `wfi`; an interrupt (the Ethernet controller's, the time driver's alarm or its clock's wrap) wakes it,
//! and a waker calling the pender marks work.
//!
//! The pending flag is checked with interrupts masked right before `wfi`: `wfi` still wakes on an interrupt
//! that became pending while masked, so a wake-up between the check and the sleep is never lost.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use embassy_executor::raw;
use embassy_executor::Spawner;

use crate::time_driver;

static PENDED: AtomicBool = AtomicBool::new(true);

/// Called by the executor (through a waker) when a task has become ready. embassy-executor links to it by
/// this name (`export_name` is an unsafe attribute: the symbol must be defined once, with this signature;
/// no platform feature of embassy-executor is enabled, so this is the only definition).
#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    PENDED.store(true, Ordering::Release);
}

/// What the loop counted.
#[derive(Clone, Copy, Default)]
pub struct Counts {
    /// Executor polls (each runs every task that was woken).
    pub polls: u32,
    /// Distinct milliseconds in which the executor polled.
    pub busy_ticks: u32,
    /// Times the loop slept in `wfi` (so: times the CPU was woken from it).
    pub sleeps: u32,
}

static POLLS: AtomicU32 = AtomicU32::new(0);
static BUSY_TICKS: AtomicU32 = AtomicU32::new(0);
static SLEEPS: AtomicU32 = AtomicU32::new(0);

/// The counts so far.
pub fn counts() -> Counts {
    Counts {
        polls: POLLS.load(Ordering::Relaxed),
        busy_ticks: BUSY_TICKS.load(Ordering::Relaxed),
        sleeps: SLEEPS.load(Ordering::Relaxed),
    }
}

/// Runs `init` with a spawner, then the executor, forever.
pub fn run(executor: &'static raw::Executor, init: impl FnOnce(Spawner)) -> ! {
    init(executor.spawner());
    let mut last_busy_tick = u32::MAX;
    loop {
        if PENDED.swap(false, Ordering::AcqRel) {
            // SAFETY: polled only here, never re-entrantly (the pender just sets a flag).
            unsafe { executor.poll() };
            POLLS.fetch_add(1, Ordering::Relaxed);
            let tick = time_driver::now_ms();
            if tick != last_busy_tick {
                last_busy_tick = tick;
                BUSY_TICKS.fetch_add(1, Ordering::Relaxed);
            }
        } else {
            cortex_m::interrupt::free(|_| {
                if !PENDED.load(Ordering::Acquire) {
                    SLEEPS.fetch_add(1, Ordering::Relaxed);
                    cortex_m::asm::wfi();
                }
            });
        }
    }
}
