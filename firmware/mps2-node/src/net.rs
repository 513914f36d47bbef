//! The network stack: smoltcp over the board's Ethernet driver, behind embedded-nal (smoltcp-nal).
//!
//! [`Stack`] smooths two edges of smoltcp-nal 0.7 so the sender sees what embedded-nal documents:
//! - `receive` returns `Ok(0)` when no data is waiting, where embedded-nal documents `WouldBlock` (and std
//!   sockets mean "end of stream" by `Ok(0)`): mapped to `WouldBlock`, so a quiet connection and one the
//!   receiver closed look different;
//! - `connect` reports success only in `Established`, so a peer that accepts and closes at once would look
//!   like a connection attempt that never finishes: reported as the error it is.
//!
//! One edge remains: a reset during the handshake leaves the socket closed, and smoltcp-nal's next `connect`
//! quietly starts a new attempt; the sender's connect timeout bounds that.

use core::net::SocketAddr;
use core::sync::atomic::{AtomicBool, Ordering};

use embedded_nal::{nb, TcpClientStack};
use smoltcp::iface::{Config, Interface, SocketSet, SocketStorage};
use smoltcp::socket::tcp::{self, RecvError};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpCidr, Ipv4Address};
use smoltcp_nal::{NetworkError, NetworkStack};

use crate::clock::Millis;
use mps2_board::lan9118::{self, Lan9118};

/// TCP send buffer: a few frames of a few hundred bytes.
pub const TCP_TX: usize = 2048;
/// TCP receive buffer: carbon sends nothing.
#[cfg(not(feature = "tls"))]
pub const TCP_RX: usize = 64;
/// TCP receive buffer: a TLS server sends its handshake (about 1 KiB with an ECDSA certificate) and
/// session tickets; a 64 B window would take a round trip per 64 B.
#[cfg(feature = "tls")]
pub const TCP_RX: usize = 2048;

/// smoltcp-nal over the board's driver.
pub type Nal = NetworkStack<'static, Lan9118, Millis>;

/// The stack the sender uses.
pub struct Stack(pub Nal);

/// The packet and socket buffers: all zeros, so they cost no flash (.bss).
struct Buffers {
    eth_rx: [u8; lan9118::BUF_LEN],
    eth_tx: [u8; lan9118::BUF_LEN],
    tcp_rx: [u8; TCP_RX],
    tcp_tx: [u8; TCP_TX],
}

static mut BUFFERS: Buffers = Buffers {
    eth_rx: [0; lan9118::BUF_LEN],
    eth_tx: [0; lan9118::BUF_LEN],
    tcp_rx: [0; TCP_RX],
    tcp_tx: [0; TCP_TX],
};
static mut SOCKETS: [SocketStorage<'static>; 1] = [SocketStorage::EMPTY; 1];
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Network settings.
pub struct Settings {
    /// Ethernet address.
    pub mac: [u8; 6],
    /// IPv4 address.
    pub ip: [u8; 4],
    /// Prefix length.
    pub prefix_len: u8,
    /// Default gateway.
    pub gateway: [u8; 4],
}

/// Brings up the Ethernet controller and the IP stack with one TCP socket. Call once.
pub fn up(settings: &Settings) -> Result<(Stack, u32), lan9118::Error> {
    assert!(!TAKEN.swap(true, Ordering::AcqRel), "net::up called twice");
    // SAFETY: the flag above lets exactly one caller through, so these are the only references ever made.
    let (b, socket_storage) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(BUFFERS),
            &mut *core::ptr::addr_of_mut!(SOCKETS),
        )
    };
    // SAFETY: ETH_BASE is the board's LAN9118 and only this driver touches it.
    let (mut eth, id) = unsafe {
        Lan9118::new(
            mps2_board::ETH_BASE,
            settings.mac,
            &mut b.eth_rx,
            &mut b.eth_tx,
        )?
    };

    let mut config = Config::new(EthernetAddress(settings.mac).into());
    config.random_seed = u64::from_le_bytes([
        settings.mac[0],
        settings.mac[1],
        settings.mac[2],
        settings.mac[3],
        settings.mac[4],
        settings.mac[5],
        0,
        1,
    ]);
    let mut iface = Interface::new(config, &mut eth, Instant::from_millis(0));
    let [a, b4, c, d] = settings.ip;
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(
            Ipv4Address::new(a, b4, c, d).into(),
            settings.prefix_len,
        ));
    });
    let [a, b4, c, d] = settings.gateway;
    let _ = iface
        .routes_mut()
        .add_default_ipv4_route(Ipv4Address::new(a, b4, c, d));

    let mut sockets = SocketSet::new(&mut socket_storage[..]);
    sockets.add(tcp::Socket::new(
        tcp::SocketBuffer::new(&mut b.tcp_rx[..]),
        tcp::SocketBuffer::new(&mut b.tcp_tx[..]),
    ));
    let mut nal = NetworkStack::new(iface, eth, sockets, Millis);
    nal.seed_random_port(&settings.mac);
    Ok((Stack(nal), id))
}

impl Stack {
    /// Lets smoltcp move packets and run its timers.
    pub fn poll(&mut self) {
        let _ = self.0.poll();
    }
}

impl TcpClientStack for Stack {
    type TcpSocket = <Nal as TcpClientStack>::TcpSocket;
    type Error = NetworkError;

    fn socket(&mut self) -> Result<Self::TcpSocket, NetworkError> {
        self.0.socket()
    }

    fn connect(
        &mut self,
        socket: &mut Self::TcpSocket,
        remote: SocketAddr,
    ) -> nb::Result<(), NetworkError> {
        match self.0.connect(socket, remote) {
            // smoltcp-nal says Ok only in Established. A peer that closes right after accepting leaves the
            // socket in CloseWait, which would read as "still connecting" until the connect timeout: ask.
            Err(nb::Error::WouldBlock) => match self.0.receive(socket, &mut []) {
                Err(nb::Error::Other(e @ NetworkError::TcpReadFailure(RecvError::Finished))) => {
                    Err(nb::Error::Other(e))
                }
                _ => Err(nb::Error::WouldBlock),
            },
            other => other,
        }
    }

    fn send(
        &mut self,
        socket: &mut Self::TcpSocket,
        buffer: &[u8],
    ) -> nb::Result<usize, NetworkError> {
        self.0.send(socket, buffer)
    }

    fn receive(
        &mut self,
        socket: &mut Self::TcpSocket,
        buffer: &mut [u8],
    ) -> nb::Result<usize, NetworkError> {
        match self.0.receive(socket, buffer) {
            Ok(0) if !buffer.is_empty() => Err(nb::Error::WouldBlock),
            other => other,
        }
    }

    fn close(&mut self, socket: Self::TcpSocket) -> Result<(), NetworkError> {
        self.0.close(socket)
    }
}
