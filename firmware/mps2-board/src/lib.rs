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

/// 32 bytes of the debug host's randomness, read from its `/dev/urandom` through semihosting (`SYS_OPEN`,
/// `SYS_READ`, `SYS_CLOSE`). **Emulator only**: QEMU's MPS2 models have no RNG device, so under QEMU the
/// host is the only source of entropy there is. A real board seeds from its hardware TRNG instead, and must
/// never take this path: with a debugger attached it would work, without one it hangs or faults, and
/// either way the seed would cross the debug link. `None` if the host would not give 32 bytes.
#[cfg(feature = "tls")]
pub fn emulator_host_entropy() -> Option<[u8; 32]> {
    const PATH: &[u8] = b"/dev/urandom\0";
    // "rb"
    const MODE_RB: usize = 1;
    // SAFETY: SYS_OPEN reads a NUL-terminated path of the given length (without the NUL) and a mode.
    let handle = unsafe {
        cortex_m_semihosting::syscall!(OPEN, PATH.as_ptr(), MODE_RB, PATH.len() - 1) as isize
    };
    if handle < 0 {
        return None;
    }
    let mut seed = [0u8; 32];
    // SAFETY: SYS_READ writes at most `len` bytes into the buffer; it returns how many it did NOT read.
    let unread =
        unsafe { cortex_m_semihosting::syscall!(READ, handle, seed.as_mut_ptr(), seed.len()) };
    // SAFETY: SYS_CLOSE takes the handle SYS_OPEN gave.
    unsafe { cortex_m_semihosting::syscall!(CLOSE, handle) };
    (unread == 0 && seed != [0; 32]).then_some(seed)
}
