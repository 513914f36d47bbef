//! TLS 1.3 to carbon (feature `tls`): carbon-sender's `tls_async::TlsConnect` under the sender task
//! (`carbon_sender::embassy::run_tls`), with what the board adds:
//!
//! - the CA, compiled in from `NODE_TLS_CA_DER` (an absolute path to the CA certificate in DER:
//!   `openssl x509 -in ca.pem -outform der -out ca.der`), and the server's name from `NODE_TLS_SERVER_NAME`
//!   (sent as SNI, matched against the certificate's names), both required at build time;
//! - randomness: ChaCha20 seeded with 32 bytes from the chip's hardware RNG at boot;
//! - the certificate's dates checked against the SNTP wall clock (`carbon_sender::sntp::SntpClock`); the task
//!   waits for the first SNTP answer before it connects;
//! - record buffers: 16,640 B read (the largest TLS record), 1,024 B write, statics taken in place.

use carbon_sender::embassy::{self as carbon};
use carbon_sender::sntp;
use carbon_sender::tls::{Settings, READ_RECORD};
use embassy_net::Stack;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use static_cell::ConstStaticCell;

use crate::{NodeSender, QUEUE};

const CA_DER: &[u8] = include_bytes!(env!(
    "NODE_TLS_CA_DER",
    "feature tls: set NODE_TLS_CA_DER to the CA certificate (DER, absolute path)"
));
const SERVER_NAME: &str = env!(
    "NODE_TLS_SERVER_NAME",
    "feature tls: set NODE_TLS_SERVER_NAME to the server's name in its certificate"
);

/// The sender task's body over TLS 1.3; `seed` comes from the hardware RNG.
pub async fn run(sender: &'static NodeSender, stack: Stack<'static>, seed: [u8; 32]) {
    static READ: ConstStaticCell<[u8; READ_RECORD]> = ConstStaticCell::new([0; READ_RECORD]);
    static WRITE: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);
    sntp::wait().await;
    let settings = Settings::new(SERVER_NAME, CA_DER);
    let rng = ChaCha20Rng::from_seed(seed);
    let (read, write) = (READ.take(), WRITE.take());
    carbon::run_tls::<_, _, sntp::SntpClock, QUEUE>(sender, stack, settings, rng, read, write).await
}
