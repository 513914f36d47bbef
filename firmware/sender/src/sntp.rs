//! Wall-clock time from SNTP over embassy-net UDP (feature `sntp`): carbon wants Unix seconds, and a board
//! has only its uptime. [`run`] is a task body that asks an SNTP server (the `sntpc` crate, SNTPv4 unicast)
//! at boot and then every `refresh_s` seconds, and keeps the answer as "Unix milliseconds at this uptime";
//! [`now_unix`] adds the uptime since. Until the first answer there is no time: [`now_unix`] says `None`, and
//! a node must not stamp datapoints then (never epoch 0). With feature `tls` too, [`SntpClock`] is the
//! wall clock for the server certificate's validity dates.
//!
//! The clock is one per device, a static of this module, behind embassy-sync's critical-section mutex, so
//! any task or interrupt may read it.
//!
//! ```ignore
//! #[embassy_executor::task]
//! async fn sntp_task(stack: embassy_net::Stack<'static>) -> ! {
//!     carbon_sender::sntp::run(stack, "192.168.1.1:123".parse().unwrap(), 3_600).await
//! }
//! // in a sampler: stamp only with a wall clock
//! match carbon_sender::sntp::now_unix() { Some(t) => sender.push(path, t, value)?, None => {} }
//! ```

use core::cell::Cell;
use core::net::SocketAddr;

use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpAddress, Stack};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::signal::Signal;
use embassy_time::{with_timeout, Duration, Instant, Timer};
use sntpc::{NtpContext, NtpTimestampGenerator, NtpUdpSocket};

/// How long one request waits for its answer.
const ANSWER_TIMEOUT_MS: u64 = 2_000;
/// Retry after a failed request: doubling from this...
const RETRY_MIN_MS: u64 = 1_000;
/// ... up to this, or the refresh period if that is shorter.
const RETRY_MAX_MS: u64 = 60_000;

/// The last answer: Unix milliseconds at an uptime (embassy-time milliseconds).
#[derive(Debug, Clone, Copy)]
struct Sync {
    unix_ms: u64,
    at_ms: u64,
}

static CLOCK: Mutex<CriticalSectionRawMutex, Cell<Option<Sync>>> = Mutex::new(Cell::new(None));
/// Raised whenever the clock is set, for [`wait`].
static SET: Signal<CriticalSectionRawMutex, ()> = Signal::new();

/// Completes once the clock has been set (at once if it was). Any number of tasks may wait: the signal wakes
/// one, the others look again every 100 ms.
pub async fn wait() {
    while CLOCK.lock(Cell::get).is_none() {
        let _ = with_timeout(Duration::from_millis(100), SET.wait()).await;
    }
}

/// Unix milliseconds now, or `None` before the first SNTP answer.
pub fn now_unix_ms() -> Option<u64> {
    let sync = CLOCK.lock(Cell::get)?;
    let now = Instant::now().as_millis();
    Some(sync.unix_ms + now.saturating_sub(sync.at_ms))
}

/// Unix seconds now (what carbon stamps datapoints with), or `None` before the first SNTP answer.
pub fn now_unix() -> Option<u32> {
    now_unix_ms().and_then(|ms| u32::try_from(ms / 1_000).ok())
}

/// Sets the clock: it is `unix_ms` at uptime `at_ms`. [`run`] does; a board with another source of time
/// (an RTC, GNSS) may too.
pub fn set(unix_ms: u64, at_ms: u64) {
    CLOCK.lock(|c| c.set(Some(Sync { unix_ms, at_ms })));
    SET.signal(());
}

/// The wall clock for TLS certificates' validity dates (features `sntp` + `tls`).
#[cfg(feature = "tls")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SntpClock;

#[cfg(feature = "tls")]
impl crate::tls::TlsClock for SntpClock {
    fn now() -> Option<u64> {
        now_unix_ms().map(|ms| ms / 1_000)
    }
}

/// The request's transmit timestamp: the wall clock if there is one, else the uptime (the server echoes it,
/// sntpc matches it; the offset it computes from it is not used here).
#[derive(Debug, Clone, Copy, Default)]
struct Stamp {
    ms: u64,
}

impl NtpTimestampGenerator for Stamp {
    fn init(&mut self) {
        self.ms = now_unix_ms().unwrap_or_else(|| Instant::now().as_millis());
    }
    fn timestamp_sec(&self) -> u64 {
        self.ms / 1_000
    }
    fn timestamp_subsec_micros(&self) -> u32 {
        // Below 1,000,000 by construction.
        ((self.ms % 1_000) * 1_000) as u32
    }
}

/// embassy-net's UDP socket as sntpc's.
struct Udp<'s, 'a>(&'s UdpSocket<'a>);

impl NtpUdpSocket for Udp<'_, '_> {
    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> sntpc::Result<usize> {
        // IPv4: the crate builds embassy-net with IPv4 only.
        let SocketAddr::V4(addr) = addr else {
            return Err(sntpc::Error::Network);
        };
        self.0
            .send_to(buf, addr)
            .await
            .map(|()| buf.len())
            .map_err(|_| sntpc::Error::Network)
    }

    async fn recv_from(&self, buf: &mut [u8]) -> sntpc::Result<(usize, SocketAddr)> {
        let (n, meta) = self
            .0
            .recv_from(buf)
            .await
            .map_err(|_| sntpc::Error::Network)?;
        // Irrefutable unless a board adds IPv6 to embassy-net.
        #[allow(irrefutable_let_patterns)]
        let IpAddress::Ipv4(ip) = meta.endpoint.addr
        else {
            return Err(sntpc::Error::Network);
        };
        Ok((n, SocketAddr::from((ip, meta.endpoint.port))))
    }
}

/// The SNTP task's body: asks `server` now and every `refresh_s` seconds (retrying a failure after 1 s,
/// doubling up to a minute), and sets the clock from each answer (the server's transmit time plus half
/// the round trip). Logs the first answer and every failure, not the refreshes. Never returns.
pub async fn run(stack: Stack<'_>, server: SocketAddr, refresh_s: u32) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 1];
    let mut tx_meta = [PacketMetadata::EMPTY; 1];
    let mut rx = [0u8; 96];
    let mut tx = [0u8; 96];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx, &mut tx_meta, &mut tx);
    if socket.bind(0).is_err() {
        error!("SNTP: no UDP port; the node has no wall-clock time");
        loop {
            Timer::after_secs(3_600).await;
        }
    }
    let refresh_ms = u64::from(refresh_s.max(1)) * 1_000;
    let mut retry_ms = RETRY_MIN_MS;
    let mut synced = false;
    loop {
        let context = NtpContext::new(Stamp::default());
        let asked = with_timeout(
            Duration::from_millis(ANSWER_TIMEOUT_MS),
            sntpc::get_time(server, &Udp(&socket), context),
        )
        .await;
        let wait_ms = match asked {
            Ok(Ok(answer)) => {
                let at_ms = Instant::now().as_millis();
                let unix_ms = answer.seconds * 1_000
                    + u64::from(sntpc::fraction_to_milliseconds(answer.seconds_fraction))
                    + answer.roundtrip / 2_000;
                set(unix_ms, at_ms);
                if !synced {
                    info!(
                        "SNTP: wall clock set from {}: {} Unix seconds (round trip {} us)",
                        server,
                        unix_ms / 1_000,
                        answer.roundtrip
                    );
                    synced = true;
                }
                retry_ms = RETRY_MIN_MS;
                refresh_ms
            }
            failed => {
                match failed {
                    Ok(Err(e)) => warn!("SNTP: {} answered badly: {}", server, why(&e)),
                    _ => warn!(
                        "SNTP: no answer from {} in {} ms",
                        server, ANSWER_TIMEOUT_MS
                    ),
                }
                let wait = retry_ms.min(refresh_ms);
                retry_ms = (retry_ms * 2).min(RETRY_MAX_MS);
                wait
            }
        };
        Timer::after_millis(wait_ms).await;
    }
}

/// A refused answer, for the log (sntpc's errors have no defmt formatting here).
fn why(e: &sntpc::Error) -> &'static str {
    use sntpc::Error as E;
    match e {
        E::IncorrectOriginTimestamp => "not an answer to this request (origin timestamp)",
        E::IncorrectMode | E::IncorrectResponseVersion | E::IncorrectPayload => {
            "not an SNTPv4 server answer"
        }
        E::UnsynchronizedClock => "the server's clock is not synchronized",
        E::InvalidTimestamp | E::BackwardReferenceTimestamp => "invalid timestamps",
        E::IncorrectStratumHeaders | E::ExcessiveRootDistance => {
            "the server is not a usable time source"
        }
        E::ResponseAddressMismatch => "answer from another address",
        E::Network => "network error",
        _ => "refused answer",
    }
}
