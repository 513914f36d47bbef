//! Once per interval: read the registry, turn it into datapoints at the interval's aligned timestamp, and
//! hand them to carbon-sender's tokio sender (which queues, sends, reconnects and replays).
//!
//! - Counters: the cumulative value (or, with deltas, what was added in the interval).
//! - Gauges: the value.
//! - Histograms: the values recorded in the interval as a summary, `NAME.count`, `.sum`, `.min`, `.max`,
//!   `.mean` (exact) and one series per quantile (`.p50`, `.p90`, `.p99`, `.p999` by default; metrics-util's
//!   DDSketch `Summary`). An interval without values sends nothing for the histogram.
//! - Timestamps: the flush at boundary `T` (a multiple of the interval since the Unix epoch) sends `T`.
//! - The exporter's own metrics, `carbon_exporter.dropped` (datapoints the queue had no room for) and
//!   `carbon_exporter.refused` (series the encoder refuses; each logged once), go out with the rest.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carbon_sender::tokio_sender::{ShutdownReport, TokioSender, TryPushError};
use metrics::Key;
use metrics_util::storage::Summary;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::naming::{self, LabelMapping};
use crate::recorder::CarbonRecorder;

/// What one flush needs to know, fixed at build time.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) interval: Duration,
    pub(crate) mapping: LabelMapping,
    pub(crate) global_tags: Vec<(String, String)>,
    pub(crate) quantiles: Vec<f64>,
    pub(crate) counter_deltas: bool,
}

/// The exporter's state between flushes.
pub(crate) struct Exporter {
    shape: Shape,
    recorder: CarbonRecorder,
    sender: TokioSender,
    /// Series names by key (names are sanitised once per key); `None`: refused.
    names: HashMap<Key, Option<String>>,
    /// Counter values at the last flush (deltas).
    last_counters: HashMap<Key, u64>,
    reported: HashSet<Key>,
    dropped: u64,
    refused: u64,
    own_dropped: String,
    own_refused: String,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("shape", &self.shape)
            .field("dropped", &self.dropped)
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}

/// The name of a quantile's series: `p` and its digits after `0.` (at least two): 0.5 -> `p50`,
/// 0.999 -> `p999`, 0 -> `p00`, 1 -> `p100`.
pub(crate) fn quantile_suffix(q: f64) -> String {
    if q >= 1.0 {
        return "p100".into();
    }
    let text = format!("{q}");
    let digits = text.strip_prefix("0.").unwrap_or("0");
    format!("p{digits:0<2}")
}

impl Exporter {
    pub(crate) fn new(shape: Shape, recorder: CarbonRecorder, sender: TokioSender) -> Self {
        let own = |what: &str| {
            naming::series(
                &format!("carbon_exporter.{what}"),
                shape
                    .global_tags
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
                shape.mapping,
            )
            .unwrap_or_else(|| format!("carbon_exporter.{what}"))
        };
        Exporter {
            own_dropped: own("dropped"),
            own_refused: own("refused"),
            shape,
            recorder,
            sender,
            names: HashMap::new(),
            last_counters: HashMap::new(),
            reported: HashSet::new(),
            dropped: 0,
            refused: 0,
        }
    }

    fn name(&mut self, key: &Key) -> Option<String> {
        if let Some(n) = self.names.get(key) {
            return n.clone();
        }
        let labels = key.labels().map(|l| (l.key(), l.value())).chain(
            self.shape
                .global_tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let name = naming::series(key.name(), labels, self.shape.mapping);
        if name.is_none() {
            self.refused += 1;
            if self.reported.insert(key.clone()) {
                log::error!("metric {key:?} cannot be sent to carbon (refused by the encoder); counted in carbon_exporter.refused");
            }
        }
        self.names.insert(key.clone(), name.clone());
        name
    }

    fn send(&mut self, path: &str, ts: u64, value: f64) {
        match self.sender.try_push(path, ts, value) {
            Ok(()) => {}
            Err(TryPushError::Full) => self.dropped += 1,
            Err(e) => {
                self.refused += 1;
                log::warn!("{path}: {e}");
            }
        }
    }

    /// Reads the registry and queues everything at `ts`.
    pub(crate) fn flush(&mut self, ts: u64) {
        let registry = self.recorder.registry.clone();
        let mut counters = Vec::new();
        registry.visit_counters(|key, c| counters.push((key.clone(), c.load(Ordering::Acquire))));
        for (key, value) in counters {
            let Some(name) = self.name(&key) else {
                continue;
            };
            let sent = if self.shape.counter_deltas {
                let last = self.last_counters.insert(key, value).unwrap_or(0);
                value.wrapping_sub(last)
            } else {
                value
            };
            self.send(&name, ts, sent as f64);
        }
        let mut gauges = Vec::new();
        registry.visit_gauges(|key, g| {
            gauges.push((key.clone(), f64::from_bits(g.load(Ordering::Acquire))))
        });
        for (key, value) in gauges {
            let Some(name) = self.name(&key) else {
                continue;
            };
            self.send(&name, ts, value);
        }
        let mut histograms = Vec::new();
        registry.visit_histograms(|key, h| {
            let mut values = Vec::new();
            h.clear_with(|chunk| values.extend_from_slice(chunk));
            histograms.push((key.clone(), values));
        });
        for (key, values) in histograms {
            if values.is_empty() {
                continue;
            }
            let Some(name) = self.name(&key) else {
                continue;
            };
            self.send_summary(&name, ts, &values);
        }
        let (dropped, refused) = (self.dropped as f64, self.refused as f64);
        let (own_dropped, own_refused) = (self.own_dropped.clone(), self.own_refused.clone());
        self.send(&own_dropped, ts, dropped);
        self.send(&own_refused, ts, refused);
    }

    fn send_summary(&mut self, name: &str, ts: u64, values: &[f64]) {
        let (base, tags) = match name.find(';') {
            Some(i) => name.split_at(i),
            None => (name, ""),
        };
        let mut summary = Summary::with_defaults();
        let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for &v in values {
            summary.add(v);
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        let count = values.len() as f64;
        let mut parts = vec![
            ("count".to_string(), count),
            ("sum".into(), sum),
            ("min".into(), min),
            ("max".into(), max),
            ("mean".into(), sum / count),
        ];
        for &q in &self.shape.quantiles {
            if let Some(v) = summary.quantile(q) {
                parts.push((quantile_suffix(q), v));
            }
        }
        for (suffix, value) in parts {
            self.send(&format!("{base}.{suffix}{tags}"), ts, value);
        }
    }
}

/// The interval boundary at or before `now` (seconds since the epoch, a multiple of the interval).
pub(crate) fn aligned(now: SystemTime, interval: Duration) -> u64 {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let step = interval.as_secs().max(1);
    secs - secs % step
}

/// Runs the flush loop until told to stop; then flushes once more and shuts the sender down.
pub(crate) async fn run(
    mut exporter: Exporter,
    mut stop: watch::Receiver<Option<Duration>>,
) -> ShutdownReport {
    let interval = exporter.shape.interval;
    let step = interval.as_secs().max(1);
    loop {
        // Sleep to the next boundary, by the wall clock (timestamps are the wall clock's).
        let now = SystemTime::now();
        let next = aligned(now, interval) + step;
        let wait = (UNIX_EPOCH + Duration::from_secs(next))
            .duration_since(now)
            .unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => exporter.flush(next),
            _ = stop.changed() => break,
        }
    }
    let timeout = stop.borrow().unwrap_or(Duration::from_secs(5));
    // What was recorded since the last boundary belongs to the next one.
    let next = aligned(SystemTime::now(), interval) + step;
    exporter.flush(next);
    exporter.sender.shutdown(timeout).await
}

/// Stops the exporter in order: one last flush, then everything queued delivered (up to a timeout).
#[derive(Debug)]
pub struct CarbonHandle {
    pub(crate) stop: watch::Sender<Option<Duration>>,
    pub(crate) task: JoinHandle<ShutdownReport>,
}

impl CarbonHandle {
    /// Flushes what was recorded since the last interval, delivers everything queued for up to `timeout`,
    /// and reports what was delivered and what was given up.
    pub async fn shutdown(self, timeout: Duration) -> ShutdownReport {
        let _ = self.stop.send(Some(timeout));
        self.task.await.unwrap_or_default()
    }
}

/// The exporter's task, for [`CarbonBuilder::build`](crate::CarbonBuilder::build): spawn it (or await it)
/// on a tokio runtime.
pub type ExporterFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = ShutdownReport> + Send>>;

pub(crate) fn spawnable(exporter: Exporter) -> (ExporterFuture, watch::Sender<Option<Duration>>) {
    let (tx, rx) = watch::channel(None);
    (Box::pin(run(exporter, rx)), tx)
}

/// For the benchmark (not an API): registers `series` tagged counters, flushes once (naming every
/// series), then times a second flush into the queue; returns that time and the bytes of the frames
/// the flush's datapoints make (carbon's 500 datapoints a frame, headers included).
#[doc(hidden)]
pub async fn bench_flush(series: usize) -> (Duration, usize) {
    use carbon_sender::tokio_sender::SenderConfig;
    use metrics::{Label, Recorder};
    let sender = TokioSender::start(
        SenderConfig::new("127.0.0.1:9").with_queue_limits(usize::MAX, usize::MAX),
    )
    .expect("sender");
    let recorder = CarbonRecorder::new();
    let meta = metrics::Metadata::new("bench", metrics::Level::INFO, None);
    for i in 0..series {
        let key = Key::from_parts(
            format!("app.requests.{i}"),
            vec![
                Label::new("route", "/api/orders"),
                Label::new("status", "200"),
            ],
        );
        recorder.register_counter(&key, &meta).increment(i as u64);
    }
    let shape = Shape {
        interval: Duration::from_secs(10),
        mapping: LabelMapping::Tags,
        global_tags: vec![("service".into(), "checkout".into())],
        quantiles: vec![0.5, 0.9, 0.99, 0.999],
        counter_deltas: false,
    };
    let mut exporter = Exporter::new(shape, recorder, sender);
    exporter.flush(1_700_000_000);
    let started = std::time::Instant::now();
    exporter.flush(1_700_000_010);
    let took = started.elapsed();
    let names: Vec<String> = exporter.names.values().flatten().cloned().collect();
    let points: Vec<carbon_pickle::Datapoint<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| carbon_pickle::Datapoint::new(n, 1_700_000_010, i as f64))
        .collect();
    let opts = carbon_pickle::Options::new();
    let bytes = points
        .chunks(500)
        .map(|c| {
            carbon_pickle::frame_len(c.iter().cloned(), &opts)
                .expect("frame")
                .len
        })
        .sum();
    (took, bytes)
}
