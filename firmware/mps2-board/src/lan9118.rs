//! SMSC LAN9118 Ethernet controller: the register code, and two front ends over it, a polled smoltcp
//! `phy::Device` (feature `smoltcp`, the super-loop firmware) and an interrupt-driven
//! `embassy_net_driver::Driver` (feature `embassy`, the async firmware). Both firmware images run the same
//! reset, FIFO and MAC code below; only how the network stack learns of a received frame differs.
//!
//! The MPS2 boards (and QEMU's model of them, `hw/net/lan9118.c`) have a LAN9118 on the static memory bus.
//! The driver uses the chip's FIFOs directly: a received frame is a status word in the RX status FIFO and
//! its bytes (plus the 4-byte FCS) in the RX data FIFO; a frame to send is two command words and the bytes
//! pushed into the TX data FIFO. No interrupts, no DMA: smoltcp asks, the driver looks. MAC registers sit
//! behind the MAC CSR command/data pair. QEMU does not model the PHY, so the driver does not touch it; a real
//! board would reset it and wait for the link through `MII_ACC` here.

use core::ptr::{read_volatile, write_volatile};

#[cfg(feature = "embassy")]
mod embassy_driver;
#[cfg(feature = "smoltcp")]
mod smoltcp_phy;

#[cfg(feature = "embassy")]
pub use embassy_driver::{on_interrupt, ETH_IRQ};

/// Largest Ethernet frame without FCS (1500 bytes of payload plus a 14-byte header).
pub const MAX_FRAME: usize = 1514;
/// Frame buffer size: a whole frame, its FCS, rounded up to whole FIFO words.
pub const BUF_LEN: usize = 1536;

// System control and status registers (offsets from the base).
const RX_DATA_FIFO: usize = 0x00;
const TX_DATA_FIFO: usize = 0x20;
const RX_STATUS_FIFO: usize = 0x40;
const TX_STATUS_FIFO: usize = 0x48;
const ID_REV: usize = 0x50;
pub(crate) const IRQ_CFG: usize = 0x54;
pub(crate) const INT_STS: usize = 0x58;
pub(crate) const INT_EN: usize = 0x5c;
const BYTE_TEST: usize = 0x64;
const RX_CFG: usize = 0x6c;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
pub(crate) const RX_FIFO_INF: usize = 0x7c;
const TX_FIFO_INF: usize = 0x80;
const PMT_CTRL: usize = 0x84;
const MAC_CSR_CMD: usize = 0xa4;
const MAC_CSR_DATA: usize = 0xa8;

// MAC CSRs (through MAC_CSR_CMD / MAC_CSR_DATA).
const MAC_CR: u32 = 1;
const ADDRH: u32 = 2;
const ADDRL: u32 = 3;

const BYTE_TEST_VALUE: u32 = 0x8765_4321;
const HW_CFG_SRST: u32 = 1 << 0;
const PMT_CTRL_READY: u32 = 1 << 0;
const TX_CFG_TX_ON: u32 = 1 << 1;
const MAC_CR_RXEN: u32 = 1 << 2;
const MAC_CR_TXEN: u32 = 1 << 3;
const MAC_CR_FDPX: u32 = 1 << 20;
const CSR_BUSY: u32 = 1 << 31;
const CSR_READ: u32 = 1 << 30;
const TX_CMD_A_FIRST: u32 = 1 << 13;
const TX_CMD_A_LAST: u32 = 1 << 12;
const RX_STS_ERROR: u32 = 1 << 15;

/// How long register handshakes may take before the chip counts as absent.
const SPIN_LIMIT: u32 = 100_000;

/// Why the controller could not be brought up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum Error {
    /// `BYTE_TEST` did not read back 0x87654321: nothing (or a mis-wired bus) at that address.
    NotFound(u32),
    /// `ID_REV` is not a LAN9118.
    UnknownChip(u32),
    /// Reset or a MAC register access did not complete.
    Timeout,
}

/// The register block.
pub(crate) struct Regs {
    base: usize,
}

impl Regs {
    pub(crate) fn read(&self, offset: usize) -> u32 {
        // SAFETY: `Lan9118::new`'s caller guarantees `base` is the controller's register block, owned by this
        // driver; every offset used is a 32-bit register inside it.
        unsafe { read_volatile((self.base + offset) as *const u32) }
    }

    pub(crate) fn write(&self, offset: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }

    fn wait(&self, offset: usize, mask: u32, want: u32) -> Result<(), Error> {
        for _ in 0..SPIN_LIMIT {
            if self.read(offset) & mask == want {
                return Ok(());
            }
        }
        Err(Error::Timeout)
    }

    fn mac_read(&self, csr: u32) -> Result<u32, Error> {
        self.wait(MAC_CSR_CMD, CSR_BUSY, 0)?;
        self.write(MAC_CSR_CMD, CSR_BUSY | CSR_READ | csr);
        self.wait(MAC_CSR_CMD, CSR_BUSY, 0)?;
        Ok(self.read(MAC_CSR_DATA))
    }

    fn mac_write(&self, csr: u32, value: u32) -> Result<(), Error> {
        self.wait(MAC_CSR_CMD, CSR_BUSY, 0)?;
        self.write(MAC_CSR_DATA, value);
        self.write(MAC_CSR_CMD, CSR_BUSY | csr);
        self.wait(MAC_CSR_CMD, CSR_BUSY, 0)
    }
}

/// A LAN9118 driven by polling.
pub struct Lan9118 {
    regs: Regs,
    mac: [u8; 6],
    rx: &'static mut [u8; BUF_LEN],
    tx: &'static mut [u8; BUF_LEN],
    tag: u16,
}

impl Lan9118 {
    /// Resets the controller at `base`, sets its MAC address and enables the transmitter and receiver.
    /// Returns the driver and the chip's `ID_REV`.
    ///
    /// # Safety
    /// `base` must be the address of a LAN9118 register block that nothing else accesses.
    pub unsafe fn new(
        base: usize,
        mac: [u8; 6],
        rx: &'static mut [u8; BUF_LEN],
        tx: &'static mut [u8; BUF_LEN],
    ) -> Result<(Self, u32), Error> {
        let regs = Regs { base };
        let test = regs.read(BYTE_TEST);
        if test != BYTE_TEST_VALUE {
            return Err(Error::NotFound(test));
        }
        let id = regs.read(ID_REV);
        if id >> 16 != 0x0118 {
            return Err(Error::UnknownChip(id));
        }
        regs.write(HW_CFG, HW_CFG_SRST);
        regs.wait(HW_CFG, HW_CFG_SRST, 0)?;
        regs.wait(PMT_CTRL, PMT_CTRL_READY, PMT_CTRL_READY)?;
        // Polled: no interrupts, all pending ones acknowledged.
        regs.write(INT_EN, 0);
        regs.write(IRQ_CFG, 0);
        regs.write(INT_STS, u32::MAX);
        regs.mac_write(ADDRL, u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]))?;
        regs.mac_write(ADDRH, u32::from_le_bytes([mac[4], mac[5], 0, 0]))?;
        regs.mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX)?;
        if regs.mac_read(MAC_CR)? & (MAC_CR_TXEN | MAC_CR_RXEN) != MAC_CR_TXEN | MAC_CR_RXEN {
            return Err(Error::Timeout);
        }
        // RX data: no offset, 4-byte end alignment. TX on.
        regs.write(RX_CFG, 0);
        regs.write(TX_CFG, TX_CFG_TX_ON);
        let driver = Lan9118 {
            regs,
            mac,
            rx,
            tx,
            tag: 0,
        };
        Ok((driver, id))
    }

    /// Reads the next good frame into the RX buffer; returns its length without FCS.
    fn read_frame(&mut self) -> Option<usize> {
        loop {
            let status_used = (self.regs.read(RX_FIFO_INF) >> 16) & 0xff;
            if status_used == 0 {
                return None;
            }
            let status = self.regs.read(RX_STATUS_FIFO);
            let len = ((status >> 16) & 0x3fff) as usize; // with the 4-byte FCS
            let words = len.div_ceil(4);
            let good = status & RX_STS_ERROR == 0 && (14 + 4..=BUF_LEN).contains(&len);
            for i in 0..words {
                let word = self.regs.read(RX_DATA_FIFO);
                if good {
                    self.rx[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
                }
            }
            if good {
                return Some(len - 4);
            }
        }
    }

    fn tx_room(&self) -> bool {
        // Free bytes in the TX data FIFO: a whole frame and its two command words.
        (self.regs.read(TX_FIFO_INF) & 0xffff) as usize >= BUF_LEN + 8
    }
}

/// Room to send one frame.
pub(crate) struct Tx<'a> {
    regs: &'a Regs,
    buf: &'a mut [u8; BUF_LEN],
    tag: &'a mut u16,
}

impl Tx<'_> {
    /// Lets `f` fill `len` bytes of the frame, then pushes it into the TX FIFO.
    pub(crate) fn send<R>(self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let len = len.min(MAX_FRAME);
        let result = f(&mut self.buf[..len]);
        *self.tag = self.tag.wrapping_add(1);
        // Command A: one segment holding the whole frame. Command B: a tag and the frame length.
        self.regs
            .write(TX_DATA_FIFO, TX_CMD_A_FIRST | TX_CMD_A_LAST | len as u32);
        self.regs
            .write(TX_DATA_FIFO, (u32::from(*self.tag) << 16) | len as u32);
        for chunk in self.buf[..len].chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            self.regs.write(TX_DATA_FIFO, u32::from_le_bytes(word));
        }
        // Drain the TX status FIFO so it never fills.
        while (self.regs.read(TX_FIFO_INF) >> 16) & 0xff != 0 {
            let _ = self.regs.read(TX_STATUS_FIFO);
        }
        result
    }
}

impl Lan9118 {
    /// A received frame (in the RX buffer) and room to answer it, as both stacks ask for them.
    pub(crate) fn rx_tx(&mut self) -> Option<(&mut [u8], Tx<'_>)> {
        if !self.tx_room() {
            return None;
        }
        let len = self.read_frame()?;
        let tx = Tx {
            regs: &self.regs,
            buf: self.tx,
            tag: &mut self.tag,
        };
        Some((&mut self.rx[..len], tx))
    }

    /// Room to send a frame.
    pub(crate) fn tx(&mut self) -> Option<Tx<'_>> {
        if !self.tx_room() {
            return None;
        }
        Some(Tx {
            regs: &self.regs,
            buf: self.tx,
            tag: &mut self.tag,
        })
    }

    /// The Ethernet address the MAC filters on.
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }
}
