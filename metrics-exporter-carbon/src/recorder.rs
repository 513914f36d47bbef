//! The recorder the `metrics` macros write into: metrics-util's registry with atomic storage, so the hot
//! path (`counter!().increment(1)`, `histogram!().record(x)`) is an atomic add or a lock-free push, exactly
//! as metrics-exporter-prometheus does it; the exporter reads it once per interval.

use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};

/// The `metrics` recorder of this exporter. [`CarbonBuilder::install`](crate::CarbonBuilder::install)
/// installs it globally; [`CarbonBuilder::build`](crate::CarbonBuilder::build) hands it back.
#[derive(Clone)]
pub struct CarbonRecorder {
    pub(crate) registry: Arc<Registry<Key, AtomicStorage>>,
}

impl std::fmt::Debug for CarbonRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarbonRecorder").finish_non_exhaustive()
    }
}

impl CarbonRecorder {
    pub(crate) fn new() -> Self {
        CarbonRecorder {
            registry: Arc::new(Registry::atomic()),
        }
    }
}

impl Recorder for CarbonRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.registry
            .get_or_create_counter(key, |c| Counter::from_arc(c.clone()))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.registry
            .get_or_create_gauge(key, |g| Gauge::from_arc(g.clone()))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.registry
            .get_or_create_histogram(key, |h| Histogram::from_arc(h.clone()))
    }
}
