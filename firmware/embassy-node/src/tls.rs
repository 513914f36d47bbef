//! What the embassy node adds for TLS (feature `tls`): the record buffers, the random generator and the
//! wall clock for the certificate check. The TLS itself is carbon-sender's (`carbon_sender::tls_async`,
//! a `TcpConnect` over embassy-net's `TcpClient`).
//!
//! - Record buffers (statics, taken in place): 16,640 B for reads (a TLS 1.3 server may send records of up
//!   to 16 KiB and embedded-tls decrypts a record whole, in place); 1,024 B for writes (the async sender
//!   writes windows of 256 B, one record each).
//! - Randomness: ChaCha20 seeded once at boot with 32 bytes of entropy; under QEMU from the host through
//!   semihosting (`mps2_board::emulator_host_entropy`, emulator only). A real board seeds from its TRNG.
//! - Clock: the certificate's validity dates against the wall clock from SNTP (`carbon_sender::sntp`); the sender
//!   task waits for the first SNTP answer before it connects.

use carbon_sender::tls::{Settings, READ_RECORD};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use static_cell::ConstStaticCell;

/// The write record buffer: embedded-tls's reserve plus the sender's 256-byte windows, with room.
pub const WRITE_RECORD: usize = 1024;

/// The CA compiled in (from NODE_TLS_CA, converted to DER by build.rs).
pub static CA_DER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ca.der"));

mod settings {
    include!(concat!(env!("OUT_DIR"), "/tls.rs"));
}

/// What the server's certificate is checked against.
pub fn settings() -> Settings<'static> {
    Settings::new(settings::SERVER_NAME, CA_DER)
}

/// The record buffers (read, write), taken in place. Call once.
pub fn records() -> (&'static mut [u8], &'static mut [u8]) {
    static READ: ConstStaticCell<[u8; READ_RECORD]> = ConstStaticCell::new([0; READ_RECORD]);
    static WRITE: ConstStaticCell<[u8; WRITE_RECORD]> = ConstStaticCell::new([0; WRITE_RECORD]);
    (READ.take(), WRITE.take())
}

/// The CSPRNG for the handshakes, or `None` if there is no entropy to seed it.
pub fn rng() -> Option<ChaCha20Rng> {
    // Emulator only: see `mps2_board::emulator_host_entropy`. A real board: its TRNG here.
    mps2_board::emulator_host_entropy().map(ChaCha20Rng::from_seed)
}
