//! The LAN9118 as a polled smoltcp `phy::Device`: smoltcp asks, the driver looks (no interrupts).

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use super::{Lan9118, Tx, MAX_FRAME};

/// A received frame, borrowed from the driver's RX buffer.
pub struct RxToken<'a> {
    frame: &'a mut [u8],
}

/// Room to send one frame.
pub struct TxToken<'a>(Tx<'a>);

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.0.send(len, f)
    }
}

impl phy::Device for Lan9118 {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let (frame, tx) = self.rx_tx()?;
        Some((RxToken { frame }, TxToken(tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        self.tx().map(TxToken)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(1);
        caps
    }
}
