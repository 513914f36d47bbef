//! The tokio sender's configuration: owned (strings read at run time are fine), built with `with_*`
//! methods, checked once by [`TokioSender::start`](super::TokioSender::start).

use std::string::String;
use std::time::Duration;
use std::vec::Vec;

use carbon_pickle::route::HashType;
use carbon_pickle::{PathRules, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS};

use super::tls::TlsConfig;
use crate::Backoff;

/// How a [`TokioSender`](super::TokioSender) sends, and where.
///
/// ```
/// use carbon_sender::tokio_sender::SenderConfig;
/// use std::time::Duration;
/// let prefix = String::from("my-api-key"); // read at run time: no 'static needed
/// let config = SenderConfig::new("127.0.0.1:2004")
///     .with_prefix(prefix)
///     .with_queue_limits(100_000, 16 << 20)
///     .with_confirm(Duration::from_millis(200));
/// assert_eq!(config.destinations(), ["127.0.0.1:2004"]);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SenderConfig {
    pub(crate) destinations: Vec<String>,
    pub(crate) hash: HashType,
    pub(crate) replication: usize,
    pub(crate) diverse_replicas: bool,
    pub(crate) prefix: Option<String>,
    pub(crate) max_points: usize,
    pub(crate) max_bytes: usize,
    pub(crate) path_rules: PathRules,
    pub(crate) queue_points: usize,
    pub(crate) queue_bytes: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) confirm: Duration,
    pub(crate) stall_timeout: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) receiver_max_bytes: usize,
    pub(crate) tls: Option<TlsConfig>,
}

impl SenderConfig {
    /// One destination, `HOST:PORT[:INSTANCE]` (carbon's `DESTINATIONS` syntax; `[::1]:2004` for IPv6).
    /// Defaults: carbon's frame limits, a queue of 1,000,000 datapoints and 64 MiB per destination,
    /// connect timeout 5 s, confirmation after 500 ms, stall timeout 10 s, back-off 250 ms doubling to
    /// 8 s, carbon_ch placement without replication, no TLS.
    pub fn new(destination: impl Into<String>) -> Self {
        SenderConfig {
            destinations: Vec::from([destination.into()]),
            hash: HashType::CarbonCh,
            replication: 1,
            diverse_replicas: true,
            prefix: None,
            max_points: CARBON_MAX_POINTS,
            max_bytes: CARBON_MAX_PAYLOAD,
            path_rules: PathRules::default(),
            queue_points: 1_000_000,
            queue_bytes: 64 << 20,
            connect_timeout: Duration::from_secs(5),
            confirm: Duration::from_millis(500),
            stall_timeout: Duration::from_secs(10),
            backoff: Backoff::new(250, 8_000),
            receiver_max_bytes: CARBON_MAX_PAYLOAD,
            tls: None,
        }
    }

    /// Adds a destination after the others: a cluster, each metric placed as carbon-relay places it
    /// ([`with_hash`](Self::with_hash)), one queue and connection per destination.
    pub fn with_destination(mut self, destination: impl Into<String>) -> Self {
        self.destinations.push(destination.into());
        self
    }

    /// The placement over several destinations (carbon's `RELAY_METHOD = consistent-hashing` with
    /// `carbon_ch` or `fnv1a_ch`, carbon-c-relay's `jump_fnv1a_ch`).
    pub fn with_hash(mut self, hash: HashType) -> Self {
        self.hash = hash;
        self
    }

    /// Carbon's `REPLICATION_FACTOR` (each metric to this many destinations) and `DIVERSE_REPLICAS`.
    pub fn with_replication(mut self, factor: usize, diverse: bool) -> Self {
        self.replication = factor;
        self.diverse_replicas = diverse;
        self
    }

    /// A prefix put before every path (Hosted Graphite: the API key), without the trailing dot.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Frame limits: datapoints and payload bytes per frame (carbon's: 500 and 1,048,576).
    pub fn with_frame_limits(mut self, max_points: usize, max_bytes: usize) -> Self {
        self.max_points = max_points;
        self.max_bytes = max_bytes;
        self
    }

    /// Path rules (spaces, ASCII only).
    pub fn with_path_rules(mut self, rules: PathRules) -> Self {
        self.path_rules = rules;
        self
    }

    /// Each destination's queue holds at most `points` datapoints and `bytes` bytes (a datapoint costs its
    /// path's length plus 32 bytes on a 64-bit host).
    pub fn with_queue_limits(mut self, points: usize, bytes: usize) -> Self {
        self.queue_points = points;
        self.queue_bytes = bytes;
        self
    }

    /// Gives up a connection attempt (TCP and TLS handshake) after this long.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a connection must stay open after a frame for its datapoints to count as delivered
    /// (the crate's delivery rule; zero releases them once written).
    pub fn with_confirm(mut self, confirm: Duration) -> Self {
        self.confirm = confirm;
        self
    }

    /// Gives up a connection when a frame makes no progress for this long.
    pub fn with_stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Delays between connection attempts.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The largest payload the receivers take (see [`Config::receiver_max_bytes`](crate::Config)).
    pub fn with_receiver_max_bytes(mut self, bytes: usize) -> Self {
        self.receiver_max_bytes = bytes;
        self
    }

    /// Sends over TLS (every destination).
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The destinations, in order.
    pub fn destinations(&self) -> &[String] {
        &self.destinations
    }
}

/// Milliseconds, as the shared state counts them.
pub(crate) fn millis(d: Duration) -> u32 {
    d.as_millis().min(u32::MAX.into()) as u32
}
