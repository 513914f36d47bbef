//! The tokio sender (feature `tokio`): datapoints from any task of a tokio service to carbon, over TCP or
//! TLS, to one destination or a cluster, with the delivery rules of the blocking sender.
//!
//! Everything that decides what goes out and when a datapoint counts as delivered is the crate's shared
//! `state.rs` (the blocking and the embassy sender run the same code); this module only drives it with
//! tokio: one task and one heap queue per destination (`lane.rs`), TLS through tokio-rustls (`tls.rs`),
//! placement by the core's `Router` when there are several destinations.
//!
//! ```no_run
//! use carbon_sender::tokio_sender::{SenderConfig, TokioSender};
//! use std::time::Duration;
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let sender = TokioSender::start(SenderConfig::new("127.0.0.1:2004"))?;
//! sender.push("servers.web01.requests;dc=eu", 1_700_000_000u64, 42.0).await?;
//! sender.flush().await;
//! let report = sender.shutdown(Duration::from_secs(5)).await;
//! assert_eq!(report.undelivered, 0);
//! # Ok(()) }
//! ```

mod config;
mod lane;
mod timestamp;
mod tls;

use std::boxed::Box;
use std::fmt;
use std::string::String;
use std::sync::Arc;
use std::time::Duration;
use std::vec::Vec;

use carbon_pickle::route::{Destination, RouteError, Router};
use carbon_pickle::{frame_len, Datapoint, Error, Options};
use tokio::task::JoinHandle;

pub use config::SenderConfig;
pub use timestamp::Timestamp;
pub use tls::{Roots, TlsConfig, TlsError};

use crate::heap::HeapStore;
use crate::queue::Queue;
use crate::state::State;
use crate::{Config, PushError, Stats};
use lane::{Lane, Target};

/// Destinations a metric goes to at most (the replication factor's bound).
const MAX_REPLICAS: usize = 8;

type RouterOf<'a> = Router<'a, 64>;

self_cell::self_cell!(
    /// The router with the destination strings it borrows.
    struct OwnedRouter {
        owner: Vec<String>,
        #[covariant]
        dependent: RouterOf,
    }
);

/// Sends datapoints to carbon from a tokio runtime; see the [module documentation](self).
///
/// Cheap to share behind an `Arc`: every method takes `&self`.
pub struct TokioSender {
    lanes: Vec<Arc<Lane>>,
    tasks: Vec<JoinHandle<()>>,
    router: Option<OwnedRouter>,
    prefix: Option<String>,
    options: Options<'static>,
}

impl fmt::Debug for TokioSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioSender")
            .field("lanes", &self.lanes)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Why the sender could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartError {
    /// The frame limits, path rules or prefix are unusable (`Error::InvalidLimits`: `max_bytes` above
    /// the receiver's limit).
    Options(Error),
    /// A destination is not `HOST:PORT[:INSTANCE]`, or the router refuses the set.
    Destination(RouteError),
    /// The TLS settings are unusable.
    Tls(TlsError),
    /// No destination, or a replication factor of 0 or above 8.
    Config(&'static str),
    /// Not called inside a tokio runtime.
    NoRuntime,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Options(e) => write!(f, "frame options: {e}"),
            StartError::Destination(e) => write!(f, "destinations: {e}"),
            StartError::Tls(e) => write!(f, "{e}"),
            StartError::Config(why) => f.write_str(why),
            StartError::NoRuntime => f.write_str("TokioSender::start needs a tokio runtime"),
        }
    }
}

impl std::error::Error for StartError {}

/// Why a datapoint was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryPushError {
    /// A destination's queue is full ([`TokioSender::try_push`] only; counted in [`Stats::dropped`]).
    Full,
    /// The datapoint can never be sent: bad path, non-finite value, timestamp outside 0..2^32 (counted in
    /// [`Stats::rejected`] when the encoder refused it).
    Invalid(Error),
    /// The sender is shutting down.
    Closed,
}

impl fmt::Display for TryPushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPushError::Full => f.write_str("queue full, datapoint dropped"),
            TryPushError::Invalid(e) => write!(f, "invalid datapoint: {e}"),
            TryPushError::Closed => f.write_str("the sender is shutting down"),
        }
    }
}

impl std::error::Error for TryPushError {}

impl From<PushError> for TryPushError {
    fn from(e: PushError) -> Self {
        match e {
            PushError::QueueFull => TryPushError::Full,
            PushError::Invalid(e) => TryPushError::Invalid(e),
        }
    }
}

/// What [`TokioSender::shutdown`] reports, summed over the destinations (a replicated datapoint counts
/// once per destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Datapoints confirmed delivered since the sender started.
    pub delivered: u64,
    /// Datapoints still queued when the timeout ran out: not delivered, given up.
    pub undelivered: u64,
    /// Datapoints dropped (queue full on `try_push`, poison frames).
    pub dropped: u64,
    /// True when everything was delivered within the timeout.
    pub flushed: bool,
}

impl TokioSender {
    /// Checks `config` and starts one task per destination on the current tokio runtime.
    pub fn start(config: SenderConfig) -> Result<Self, StartError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        if config.destinations.is_empty() {
            return Err(StartError::Config("no destination"));
        }
        if config.replication == 0 || config.replication > MAX_REPLICAS {
            return Err(StartError::Config("replication factor must be 1 to 8"));
        }
        let options = Options::new()
            .with_max_points(config.max_points)
            .with_max_bytes(config.max_bytes)
            .with_path_rules(config.path_rules);
        if let Some(prefix) = &config.prefix {
            Options::new()
                .with_path_rules(config.path_rules)
                .with_prefix(prefix)
                .validate()
                .map_err(StartError::Options)?;
        }
        let core_config = Config::new(core::net::SocketAddr::from(([0, 0, 0, 0], 0)))
            .with_options(options)
            .with_connect_timeout_ms(config::millis(config.connect_timeout))
            .with_confirm_ms(config::millis(config.confirm))
            .with_stall_timeout_ms(config::millis(config.stall_timeout))
            .with_backoff(config.backoff)
            .with_receiver_max_bytes(config.receiver_max_bytes);
        core_config.validate().map_err(StartError::Options)?;
        let connector = match &config.tls {
            Some(tls) => Some(tls.connector().map_err(StartError::Tls)?),
            None => None,
        };
        let mut targets = Vec::new();
        for d in &config.destinations {
            let dest = Destination::parse(d).map_err(StartError::Destination)?;
            let tls = match (&config.tls, &connector) {
                (Some(tls), Some(c)) => {
                    Some((c.clone(), tls.name_for(dest.host).map_err(StartError::Tls)?))
                }
                _ => None,
            };
            targets.push(Target {
                host: dest.host.into(),
                port: dest.port,
                tls,
            });
        }
        let router = if config.destinations.len() > 1 {
            let (hash, replication, diverse) =
                (config.hash, config.replication, config.diverse_replicas);
            let router = OwnedRouter::try_new(config.destinations.clone(), |dests| {
                let mut r = RouterOf::new(hash)
                    .with_replication(replication)?
                    .with_diverse_replicas(diverse);
                for d in dests {
                    r.add_str(d)?;
                }
                Ok::<_, RouteError>(r)
            })
            .map_err(StartError::Destination)?;
            Some(router)
        } else {
            None
        };
        let mut lanes = Vec::new();
        let mut tasks = Vec::new();
        for target in targets {
            let queue = Queue::with_store(HeapStore::new(config.queue_points, config.queue_bytes));
            let lane = Arc::new(Lane::new(State::with_queue(core_config, queue)));
            tasks.push(runtime.spawn(lane::run(lane.clone(), target, config.connect_timeout)));
            lanes.push(lane);
        }
        Ok(TokioSender {
            lanes,
            tasks,
            router,
            prefix: config.prefix,
            options,
        })
    }

    /// The destinations of `path` (indices into the configuration's destinations), and the full path.
    fn route(
        &self,
        path: &str,
        timestamp: impl Into<Timestamp>,
        value: f64,
    ) -> Result<(Box<str>, u32, [usize; MAX_REPLICAS], usize), TryPushError> {
        let timestamp = timestamp.into().seconds().map_err(TryPushError::Invalid)?;
        let full: Box<str> = match &self.prefix {
            Some(p) => std::format!("{p}.{path}").into(),
            None => path.into(),
        };
        // One check for every replica (each lane checks again, cheaply, as the blocking sender does).
        frame_len(
            core::iter::once(Datapoint::new(&full, timestamp, value)),
            &self.options,
        )
        .map_err(TryPushError::Invalid)?;
        let mut to = [0usize; MAX_REPLICAS];
        let n = match &self.router {
            Some(r) => r.borrow_dependent().route(&full).fill(&mut to),
            None => 1,
        };
        Ok((full, timestamp, to, n))
    }

    fn closed(&self) -> bool {
        self.tasks.iter().any(|t| t.is_finished())
    }

    /// Queues a datapoint for every destination it goes to, waiting for room in a full queue.
    ///
    /// The timestamp is seconds since the Unix epoch as `u32`, `u64`, `i64` or `f64` (floored), or a
    /// `SystemTime`.
    pub async fn push(
        &self,
        path: &str,
        timestamp: impl Into<Timestamp>,
        value: f64,
    ) -> Result<(), TryPushError> {
        let (full, timestamp, to, n) = self.route(path, timestamp, value)?;
        for &i in &to[..n] {
            let lane = &self.lanes[i];
            let mut path = full.clone();
            loop {
                let room = lane.progress.notified();
                tokio::pin!(room);
                room.as_mut().enable();
                if self.closed() {
                    return Err(TryPushError::Closed);
                }
                match lane.enqueue(path, timestamp, value, true)? {
                    None => break,
                    Some(back) => path = back,
                }
                room.await;
            }
        }
        Ok(())
    }

    /// Queues a datapoint without waiting: [`TryPushError::Full`] when a destination's queue has no room
    /// (the datapoint is dropped there and counted; other destinations still get it).
    pub fn try_push(
        &self,
        path: &str,
        timestamp: impl Into<Timestamp>,
        value: f64,
    ) -> Result<(), TryPushError> {
        let (full, timestamp, to, n) = self.route(path, timestamp, value)?;
        let mut result = Ok(());
        for &i in &to[..n] {
            if let Err(e) = self.lanes[i].enqueue(full.clone(), timestamp, value, false) {
                result = Err(e.into());
            }
        }
        result
    }

    /// Returns once every datapoint queued so far has been delivered (or dropped). Waits for ever while a
    /// receiver is down; bound it with `tokio::time::timeout`, or use [`shutdown`](Self::shutdown).
    pub async fn flush(&self) {
        for lane in &self.lanes {
            loop {
                let progress = lane.progress.notified();
                tokio::pin!(progress);
                progress.as_mut().enable();
                if lane.state().queue.len() == 0 {
                    break;
                }
                progress.await;
            }
        }
    }

    /// Stops taking datapoints, delivers what is queued for up to `timeout`, then stops the tasks, and
    /// reports what was delivered and what was given up.
    pub async fn shutdown(mut self, timeout: Duration) -> ShutdownReport {
        for lane in &self.lanes {
            lane.close();
        }
        let flushed = tokio::time::timeout(timeout, async {
            for task in &mut self.tasks {
                let _ = task.await;
            }
        })
        .await
        .is_ok();
        for task in &self.tasks {
            task.abort();
        }
        let mut report = ShutdownReport {
            flushed,
            ..ShutdownReport::default()
        };
        for lane in &self.lanes {
            let s = lane.stats();
            report.delivered += u64::from(s.delivered);
            report.undelivered += s.queued as u64;
            report.dropped += u64::from(s.dropped);
        }
        report
    }

    /// Each destination's counters, in configuration order.
    pub fn stats(&self) -> Vec<Stats> {
        self.lanes.iter().map(|l| l.stats()).collect()
    }

    /// Each destination's last connection error (refused, TLS verification failed, ...), if any.
    pub fn last_errors(&self) -> Vec<Option<String>> {
        self.lanes.iter().map(|l| l.last_error()).collect()
    }

    /// Bytes queued (by the queue bound's measure), over all destinations.
    pub fn queued_bytes(&self) -> usize {
        self.lanes.iter().map(|l| l.queued_bytes()).sum()
    }

    /// Datapoints queued, over all destinations.
    pub fn queued(&self) -> usize {
        self.lanes.iter().map(|l| l.state().queue.len()).sum()
    }
}

impl Drop for TokioSender {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
