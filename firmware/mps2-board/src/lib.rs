//! Everything specific to the MPS2 AN385 / AN386 boards (and QEMU's model of them), shared by the two
//! example firmware images: `mps2-node` (super-loop, smoltcp) and `embassy-node` (embassy-executor,
//! embassy-net). One copy of the LAN9118 register code serves both.
//!
//! The firmware sees an Ethernet device (smoltcp `phy::Device` or `embassy_net_driver::Driver`), the clock
//! frequency, the wall-clock time at boot and a way to stop. A real board replaces this crate: its Ethernet
//! driver, its clock frequency, and an RTC or SNTP instead of asking the debug host for the time.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod lan9118;
pub mod stack_probe;

use cortex_m_semihosting::debug;

/// The LAN9118's register block on both boards (QEMU `hw/arm/mps2.c`, AN385/AN386 application notes).
pub const ETH_BASE: usize = 0x4020_0000;

/// The CPU clock: 25 MHz on both boards.
pub const SYSCLK_HZ: u32 = 25_000_000;

/// Seconds since the Unix epoch, from the debug host (semihosting `SYS_TIME`).
pub fn host_epoch() -> u32 {
    // SAFETY: SYS_TIME takes no argument block; the host answers with seconds since the epoch.
    unsafe { cortex_m_semihosting::syscall!(TIME) as u32 }
}

/// Ends the run: under QEMU the exit status becomes QEMU's (0 or 1).
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a debug host.
    loop {
        cortex_m::asm::wfi();
    }
}
