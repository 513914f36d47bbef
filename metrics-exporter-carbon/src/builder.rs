//! The builder, shaped like metrics-exporter-prometheus's: destinations, interval, prefix, TLS, tags,
//! quantiles; `install()` starts everything inside a tokio runtime, `build()` hands back the parts.

use std::fmt;
use std::time::Duration;

use carbon_pickle::route::{Destination, HashType, RouteError};
use carbon_sender::tokio_sender::{SenderConfig, StartError, TlsConfig, TokioSender};

use crate::exporter::{self, CarbonHandle, Exporter, ExporterFuture, Shape};
use crate::naming::LabelMapping;
use crate::recorder::CarbonRecorder;

/// Builds the exporter.
///
/// ```no_run
/// # async fn demo() -> Result<(), metrics_exporter_carbon::BuildError> {
/// use std::time::Duration;
/// let handle = metrics_exporter_carbon::CarbonBuilder::new()
///     .with_destination("127.0.0.1:2004")?   // HOST:PORT[:INSTANCE]; repeat for a cluster
///     .with_interval(Duration::from_secs(10))
///     .install()?;                            // inside a tokio runtime
/// metrics::counter!("requests", "route" => "/").increment(1);
/// handle.shutdown(Duration::from_secs(5)).await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CarbonBuilder {
    destinations: Vec<String>,
    interval: Duration,
    prefix: Option<String>,
    tls: Option<TlsConfig>,
    hash: HashType,
    replication: usize,
    shape: Shape,
    queue: Option<(usize, usize)>,
}

/// Why the exporter could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A destination is not `HOST:PORT[:INSTANCE]`.
    Destination(RouteError),
    /// No destination was given.
    NoDestination,
    /// The interval is under one second (carbon stores whole seconds).
    Interval,
    /// A quantile outside 0..=1.
    Quantile(f64),
    /// The environment variable named for the prefix is not set.
    MissingEnv(String),
    /// The sender refused the configuration (prefix, TLS), or there is no tokio runtime.
    Sender(StartError),
    /// A global recorder is already installed.
    AlreadyInstalled,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Destination(e) => write!(f, "destination: {e}"),
            BuildError::NoDestination => f.write_str("no destination"),
            BuildError::Interval => f.write_str("the interval must be at least one second"),
            BuildError::Quantile(q) => write!(f, "quantile {q} is outside 0..=1"),
            BuildError::MissingEnv(var) => write!(f, "environment variable {var} is not set"),
            BuildError::Sender(e) => write!(f, "{e}"),
            BuildError::AlreadyInstalled => {
                f.write_str("a global metrics recorder is already installed")
            }
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Sender(e) => Some(e),
            BuildError::Destination(e) => Some(e),
            _ => None,
        }
    }
}

impl Default for CarbonBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CarbonBuilder {
    /// No destination yet; interval 10 s, labels as tags, quantiles 0.5, 0.9, 0.99, 0.999, cumulative
    /// counters, carbon_ch placement.
    pub fn new() -> Self {
        CarbonBuilder {
            destinations: Vec::new(),
            interval: Duration::from_secs(10),
            prefix: None,
            tls: None,
            hash: HashType::CarbonCh,
            replication: 1,
            shape: Shape {
                interval: Duration::from_secs(10),
                mapping: LabelMapping::Tags,
                global_tags: Vec::new(),
                quantiles: vec![0.5, 0.9, 0.99, 0.999],
                counter_deltas: false,
            },
            queue: None,
        }
    }

    /// Adds a destination, `HOST:PORT[:INSTANCE]` (carbon's `DESTINATIONS` syntax); several make a
    /// cluster, placed as carbon-relay would ([`with_hash`](Self::with_hash)).
    pub fn with_destination(mut self, destination: &str) -> Result<Self, BuildError> {
        Destination::parse(destination).map_err(BuildError::Destination)?;
        self.destinations.push(destination.to_owned());
        Ok(self)
    }

    /// The placement over several destinations, and carbon's `REPLICATION_FACTOR`.
    pub fn with_hash(mut self, hash: HashType, replication: usize) -> Self {
        self.hash = hash;
        self.replication = replication;
        self
    }

    /// How often everything is sent (whole seconds; timestamps are multiples of it).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self.shape.interval = interval;
        self
    }

    /// A prefix before every series (Hosted Graphite: the API key).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The prefix from an environment variable (so the API key stays out of the code).
    pub fn with_prefix_from_env(self, var: &str) -> Result<Self, BuildError> {
        let value = std::env::var(var).map_err(|_| BuildError::MissingEnv(var.to_owned()))?;
        Ok(self.with_prefix(value))
    }

    /// Sends over TLS (Hosted Graphite: port 20040).
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// A tag on every series (a metric's own label of the same key wins).
    pub fn with_global_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.shape.global_tags.push((key.into(), value.into()));
        self
    }

    /// The quantiles of every histogram's summary.
    pub fn with_quantiles(mut self, quantiles: &[f64]) -> Result<Self, BuildError> {
        if let Some(&q) = quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(BuildError::Quantile(q));
        }
        self.shape.quantiles = quantiles.to_vec();
        Ok(self)
    }

    /// How labels are written (tags by default).
    pub fn with_label_mapping(mut self, mapping: LabelMapping) -> Self {
        self.shape.mapping = mapping;
        self
    }

    /// Counters as what was added per interval instead of their cumulative value.
    pub fn with_counter_deltas(mut self, deltas: bool) -> Self {
        self.shape.counter_deltas = deltas;
        self
    }

    /// The sender's queue bound per destination, in datapoints and bytes.
    pub fn with_queue_limits(mut self, points: usize, bytes: usize) -> Self {
        self.queue = Some((points, bytes));
        self
    }

    /// The recorder and the exporter's future (spawn it on a tokio runtime), with the handle that stops
    /// it. Call inside a tokio runtime (the sender's tasks start here).
    pub fn build(self) -> Result<(CarbonRecorder, ExporterFuture, CarbonHandleParts), BuildError> {
        if self.destinations.is_empty() {
            return Err(BuildError::NoDestination);
        }
        if self.interval < Duration::from_secs(1) {
            return Err(BuildError::Interval);
        }
        let mut config = SenderConfig::new(self.destinations[0].clone())
            .with_hash(self.hash)
            .with_replication(self.replication, true);
        for d in &self.destinations[1..] {
            config = config.with_destination(d.clone());
        }
        if let Some(p) = self.prefix {
            config = config.with_prefix(p);
        }
        if let Some(t) = self.tls {
            config = config.with_tls(t);
        }
        if let Some((points, bytes)) = self.queue {
            config = config.with_queue_limits(points, bytes);
        }
        let sender = TokioSender::start(config).map_err(BuildError::Sender)?;
        let recorder = CarbonRecorder::new();
        let exporter = Exporter::new(self.shape, recorder.clone(), sender);
        let (future, stop) = exporter::spawnable(exporter);
        Ok((recorder, future, CarbonHandleParts { stop }))
    }

    /// Builds, spawns the exporter on the current tokio runtime and installs the recorder globally.
    pub fn install(self) -> Result<CarbonHandle, BuildError> {
        let (recorder, future, parts) = self.build()?;
        metrics::set_global_recorder(recorder).map_err(|_| BuildError::AlreadyInstalled)?;
        Ok(parts.spawn(future))
    }
}

/// What [`CarbonBuilder::build`] gives to stop the exporter: [`spawn`](Self::spawn) the future with it.
#[derive(Debug)]
pub struct CarbonHandleParts {
    stop: tokio::sync::watch::Sender<Option<Duration>>,
}

impl CarbonHandleParts {
    /// Spawns the exporter's future on the current runtime and returns the handle that stops it.
    pub fn spawn(self, future: ExporterFuture) -> CarbonHandle {
        CarbonHandle {
            stop: self.stop,
            task: tokio::spawn(future),
        }
    }
}
