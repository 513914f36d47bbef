//! The LAN9118 as an `embassy_net_driver::Driver`, woken by the chip's interrupt.
//!
//! embassy-net polls the driver only when woken, so a driver that merely looks would never see a frame
//! arrive while the executor sleeps. The chip raises RSFL (RX status FIFO level) when a frame is in the
//! FIFO; the driver enables that interrupt only after it found the FIFO empty and stored the waker, and the
//! handler ([`on_interrupt`]) masks it again and wakes the network task. Clearing the status before looking
//! and enabling after storing the waker means a frame arriving in between raises the interrupt at once: no
//! wake-up is lost. Sending needs no interrupt: the TX FIFO takes a whole frame whenever the driver is
//! asked (QEMU sends synchronously).

use core::task::Context;

use embassy_net_driver::{Capabilities, HardwareAddress, LinkState};
use embassy_sync::waitqueue::AtomicWaker;

use super::{Lan9118, Regs, Tx, INT_EN, INT_STS, IRQ_CFG, MAX_FRAME};

/// The Ethernet controller's interrupt line on the MPS2 boards (QEMU `hw/arm/mps2.c`).
pub const ETH_IRQ: u16 = 13;

/// INT_STS / INT_EN: a frame's status is in the RX status FIFO.
const RSFL_INT: u32 = 1 << 3;
/// IRQ_CFG: the IRQ pin enabled, active high, push-pull (QEMU models the level from these).
const IRQ_EN_HIGH_PUSH_PULL: u32 = (1 << 8) | (1 << 4) | 1;

static RX_WAKER: AtomicWaker = AtomicWaker::new();

/// The handler's half: masks the chip's interrupt and wakes the network task. Call it from the interrupt
/// handler of [`ETH_IRQ`].
pub fn on_interrupt() {
    let regs = Regs {
        base: crate::ETH_BASE,
    };
    regs.write(INT_EN, 0);
    RX_WAKER.wake();
}

impl Lan9118 {
    /// Routes the RX interrupt to the IRQ pin (still masked at the chip until the driver waits).
    pub fn enable_irq(&mut self) {
        self.regs.write(INT_EN, 0);
        self.regs.write(INT_STS, u32::MAX);
        self.regs.write(IRQ_CFG, IRQ_EN_HIGH_PUSH_PULL);
    }
}

/// A received frame, borrowed from the driver's RX buffer.
pub struct RxToken<'a> {
    frame: &'a mut [u8],
}

/// Room to send one frame.
pub struct TxToken<'a>(Tx<'a>);

impl embassy_net_driver::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl embassy_net_driver::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.0.send(len, f)
    }
}

impl embassy_net_driver::Driver for Lan9118 {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, cx: &mut Context) -> Option<(RxToken<'_>, TxToken<'_>)> {
        self.regs.write(INT_STS, RSFL_INT);
        if (self.regs.read(super::RX_FIFO_INF) >> 16) & 0xff == 0 {
            RX_WAKER.register(cx.waker());
            self.regs.write(INT_EN, RSFL_INT);
            return None;
        }
        let (frame, tx) = self.rx_tx()?;
        Some((RxToken { frame }, TxToken(tx)))
    }

    fn transmit(&mut self, cx: &mut Context) -> Option<TxToken<'_>> {
        let tx = self.tx();
        if tx.is_none() {
            // Not seen under QEMU, whose TX FIFO drains at once: ask again soon.
            cx.waker().wake_by_ref();
        }
        tx.map(TxToken)
    }

    fn link_state(&mut self, _cx: &mut Context) -> LinkState {
        // QEMU does not model the PHY; a real board would read it through MII_ACC and wake on PHY_INT.
        LinkState::Up
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(1);
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.mac)
    }
}
