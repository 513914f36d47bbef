//! The board-agnostic embassy glue (feature `embassy`): what every embassy firmware wrote for itself to run
//! the [`AsyncSender`](crate::AsyncSender) (a clock over embassy-time, the sender task over an
//! `embassy_net::Stack`, the TCP client and its buffers), so a board's carbon glue is a type, a static, a
//! task and a config.
//!
//! ```ignore
//! use carbon_sender::embassy::{self as carbon, Options};
//! type Sender = carbon::Sender<'static, &'static str, 64>;
//! #[embassy_executor::task]
//! async fn sender_task(sender: &'static Sender, stack: embassy_net::Stack<'static>) {
//!     carbon::run(sender, stack).await
//! }
//! // in main, once the network is up:
//! let options = Options::new().with_prefix("sensors.board").with_max_points(10);
//! let config = carbon::Config::new("192.168.1.10:2004".parse().unwrap()).with_options(options);
//! static SENDER: StaticCell<Sender> = StaticCell::new();
//! let sender = SENDER.init(Sender::new(config).unwrap());
//! spawner.spawn(sender_task(sender, stack).unwrap());
//! sender.push("temperature", unix_seconds, 21.5)?;   // from any task
//! ```
//!
//! The TCP client's state (one socket, [`TCP_TX`] bytes to send, [`TCP_RX`] to receive) lives in the
//! sender task's future, which embassy keeps in a static: no static of its own, no heap. The mutex is
//! embassy-sync's `CriticalSectionRawMutex`, so any task or interrupt may push.

use core::future::Future;

use embassy_net::tcp::client::{TcpClient, TcpClientState};
use embassy_net::Stack;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::{Instant, Timer};

pub use crate::config::Config;
pub use carbon_pickle::{Datapoint, Options};

/// The sender for embassy firmware: pushed to from any task or interrupt.
pub type Sender<'p, P, const N: usize> = crate::AsyncSender<'p, CriticalSectionRawMutex, P, N>;

/// TCP send buffer of the sender's connection: a few frames of a few hundred bytes.
pub const TCP_TX: usize = 2048;
/// TCP receive buffer: carbon sends nothing (2,048 with TLS, whose server handshake is about 1 KiB).
pub const TCP_RX: usize = 64;

/// embassy-time as the sender's [`Clock`](crate::Clock): milliseconds since boot, `Timer::at` to sleep.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbassyClock;

impl crate::Clock for EmbassyClock {
    fn now_ms(&self) -> u64 {
        Instant::now().as_millis()
    }
    fn sleep_until(&self, at_ms: u64) -> impl Future<Output = ()> {
        Timer::at(Instant::from_millis(at_ms))
    }
}

/// The sender task's body: `sender.run` over a TCP client on `stack`. Returns after `sender.shutdown()`.
pub async fn run<P: AsRef<str>, const N: usize>(sender: &Sender<'_, P, N>, stack: Stack<'_>) {
    let state: TcpClientState<1, TCP_TX, TCP_RX> = TcpClientState::new();
    let client = TcpClient::new(stack, &state);
    sender.run(&client, &EmbassyClock).await
}

/// The sender task's body over TLS 1.3 (features `embassy` + `tls`): [`crate::tls_async::TlsConnect`] over a
/// TCP client on `stack`, checked against `settings` with `C` as the wall clock for the certificate's dates.
/// `rng` is a CSPRNG seeded from the board's hardware RNG; the buffers are as for `TlsConnect::new`.
#[cfg(feature = "tls")]
pub async fn run_tls<P, R, C, const N: usize>(
    sender: &Sender<'_, P, N>,
    stack: Stack<'_>,
    settings: crate::tls::Settings<'_>,
    rng: R,
    read_buf: &mut [u8],
    write_buf: &mut [u8],
) where
    P: AsRef<str>,
    R: rand_core::RngCore + rand_core::CryptoRng,
    C: crate::tls::TlsClock,
{
    let state: TcpClientState<1, TCP_TX, 2048> = TcpClientState::new();
    let client = TcpClient::new(stack, &state);
    let connect =
        crate::tls_async::TlsConnect::<_, _, C>::new(&client, settings, rng, read_buf, write_buf);
    sender.run(&connect, &EmbassyClock).await
}
