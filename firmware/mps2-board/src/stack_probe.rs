//! Stack high-water marks by stack painting.
//!
//! At boot the free stack below the current stack pointer is filled with a pattern. To measure one call,
//! the region just below the caller's stack pointer is repainted, the call runs with interrupts masked (so
//! an interrupt's frame is not counted; not with TLS, see [`StackProbe::measure`]), and the lowest word no
//! longer holding the pattern tells how deep the call went. Before repainting, the same scan records how deep anything else went, so the whole
//! program's high-water mark survives the repainting.

use core::ptr::{addr_of, read_volatile, write_volatile};

use cortex_m::register::msp;

const PATTERN: u32 = 0xC5AC_CE55;
/// Painted at boot below the stack pointer (the stack is expected to stay well inside).
const BOOT_WINDOW: usize = 64 * 1024;
/// Repainted before each measured call.
#[cfg(not(feature = "tls"))]
const CALL_WINDOW: usize = 8 * 1024;
/// Repainted before each measured call: the TLS handshake (P-256, certificate parsing) runs inside
/// `Sender::poll` and goes deeper.
#[cfg(feature = "tls")]
const CALL_WINDOW: usize = 48 * 1024;
/// Left alone right below the stack pointer: the painting function's own frame.
const MARGIN: usize = 64;

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

fn paint(from: usize, to: usize) {
    let mut a = from;
    while a < to {
        // SAFETY: callers pass word-aligned ranges of free stack between the end of static RAM and the live
        // stack pointer minus MARGIN; nothing lives there.
        unsafe { write_volatile(a as *mut u32, PATTERN) };
        a += 4;
    }
}

/// The lowest address in `from..to` that no longer holds the pattern (`to` if none).
fn lowest_used(from: usize, to: usize) -> usize {
    let mut a = from;
    while a < to {
        // SAFETY: as in `paint`: painted free stack, word aligned.
        if unsafe { read_volatile(a as *const u32) } != PATTERN {
            return a;
        }
        a += 4;
    }
    to
}

/// What a measured call was.
#[derive(Clone, Copy)]
pub enum Part {
    /// `Sender::poll` (a poll of the sender task in the async firmware).
    Sender = 0,
    /// The network stack's poll (smoltcp, the driver; the network task in the async firmware).
    Network = 1,
    /// The TLS task's own poll (feature `tls`; it also runs inside `Sender::poll`).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Tls = 2,
}

/// High-water marks, in bytes below the stack pointer where the measurement started.
pub struct StackProbe {
    start: usize,
    bottom: usize,
    lowest: usize,
    deepest: [usize; 3],
}

impl Default for StackProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl StackProbe {
    /// Paints the free stack. Call early in `main`.
    pub fn new() -> Self {
        // Only the addresses of the linker's symbols are taken, never their contents.
        let (start, end) = (
            addr_of!(_stack_start) as usize,
            addr_of!(_stack_end) as usize,
        );
        let sp = msp::read() as usize & !3;
        let top = sp - MARGIN;
        let bottom = end.max(top.saturating_sub(BOOT_WINDOW));
        paint(bottom, top);
        StackProbe {
            start,
            bottom,
            lowest: top,
            deepest: [0; 3],
        }
    }

    /// Runs `f` with interrupts masked and records how much stack it used.
    #[cfg(not(feature = "tls"))]
    pub fn measure<R>(&mut self, part: Part, f: impl FnOnce() -> R) -> R {
        cortex_m::interrupt::free(|_| self.measure_here(part, f))
    }

    /// Runs `f` and records how much stack it used. With TLS, interrupts stay enabled: a handshake runs for
    /// longer than a SysTick period, and with SysTick masked the clock would lose those milliseconds (the
    /// sender's timeouts and the handshake time measured from the log with them). The figure may then include
    /// one SysTick exception frame (at most about 150 B).
    #[cfg(feature = "tls")]
    pub fn measure<R>(&mut self, part: Part, f: impl FnOnce() -> R) -> R {
        self.measure_here(part, f)
    }

    #[inline(always)]
    fn measure_here<R>(&mut self, part: Part, f: impl FnOnce() -> R) -> R {
        let sp = msp::read() as usize & !3;
        let top = sp - MARGIN;
        let from = self.bottom.max(top.saturating_sub(CALL_WINDOW));
        let used = lowest_used(from, top);
        self.lowest = self.lowest.min(used);
        paint(used, top);
        let r = f();
        let used = lowest_used(from, top);
        let deepest = &mut self.deepest[part as usize];
        *deepest = (*deepest).max(sp - used);
        r
    }

    /// The deepest a measured call of `part` went below its caller's stack pointer, in bytes.
    pub fn deepest(&self, part: Part) -> usize {
        self.deepest[part as usize]
    }

    /// The whole program's high-water mark so far: bytes below the initial stack pointer.
    pub fn high_water(&self) -> usize {
        let lowest = self.lowest.min(lowest_used(self.bottom, self.lowest));
        self.start - lowest
    }
}
