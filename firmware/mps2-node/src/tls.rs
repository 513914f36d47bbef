//! What the node adds for TLS (feature `tls`): the record buffers, the random generator and the clock
//! for the certificate check. The TLS itself is carbon-sender's (`carbon_sender::tls`).
//!
//! - Record buffers (`.bss`): 16,640 B for reads, because a TLS 1.3 server may send records of up to
//!   16 KiB of plaintext and embedded-tls decrypts a record in place, whole; 1,024 B for writes
//!   (896 B of plaintext a record after embedded-tls's 128 B reserve): a frame of `MAX_POINTS` (10)
//!   datapoints is about 520 B, so a frame goes out as one record, and a record is half the TCP send
//!   buffer, so flushing one seldom waits for the network.
//! - Randomness: ChaCha20 (rand_chacha), seeded once at boot with 32 bytes of entropy. Under QEMU they
//!   come from the host's /dev/urandom through semihosting ([`crate::board::emulator_host_entropy`],
//!   emulator only); a real board takes them from its hardware RNG. No fixed seed: without entropy the
//!   node stops.
//! - Clock: the certificate's validity is checked against the wall-clock time (boot time from the host
//!   plus uptime).

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use carbon_sender::tls::{TlsClock, READ_RECORD};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The write record buffer: embedded-tls's reserve plus 896 B of plaintext (see the module docs).
pub const WRITE_RECORD: usize = 1024;

/// The CA compiled in (from NODE_TLS_CA, converted to DER by build.rs).
pub static CA_DER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ca.der"));

mod settings {
    include!(concat!(env!("OUT_DIR"), "/tls.rs"));
}
pub use settings::SERVER_NAME;

struct Records {
    read: [u8; READ_RECORD],
    write: [u8; WRITE_RECORD],
}

static mut RECORDS: Records = Records {
    read: [0; READ_RECORD],
    write: [0; WRITE_RECORD],
};
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The record buffers (read, write). Call once.
pub fn records() -> (&'static mut [u8], &'static mut [u8]) {
    assert!(
        !TAKEN.swap(true, Ordering::AcqRel),
        "tls::records called twice"
    );
    // SAFETY: the flag above lets exactly one caller through, so this is the only reference ever made.
    let r = unsafe { &mut *core::ptr::addr_of_mut!(RECORDS) };
    (&mut r.read[..], &mut r.write[..])
}

/// The CSPRNG for the handshakes, or `None` if there is no entropy to seed it.
pub fn rng() -> Option<ChaCha20Rng> {
    // Emulator only: see `board::emulator_host_entropy`. A real board: its TRNG here.
    crate::board::emulator_host_entropy().map(ChaCha20Rng::from_seed)
}

static BOOT_EPOCH: AtomicU32 = AtomicU32::new(0);

/// Wall-clock seconds for the certificate's validity period.
pub struct Clock;

impl Clock {
    /// Records the wall-clock time at boot.
    pub fn set_boot_epoch(epoch: u32) {
        BOOT_EPOCH.store(epoch, Ordering::Relaxed);
    }
}

impl TlsClock for Clock {
    fn now() -> Option<u64> {
        let boot = BOOT_EPOCH.load(Ordering::Relaxed);
        (boot != 0).then(|| u64::from(boot) + u64::from(crate::clock::now_ms() / 1000))
    }
}
