//! The exporter's costs, measured in one process against metrics-exporter-prometheus:
//! - the hot path a service pays on every call: `counter!().increment(1)` and `histogram!().record(x)`
//!   through each exporter's recorder (both are metrics-util registries with atomic storage);
//! - one flush of 10,000 series (counters) into the tokio sender's queue, and its frames' bytes per series
//!   (printed once).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use metrics::{Key, Label, Recorder};

fn hot_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let (carbon, _future, _parts) = metrics_exporter_carbon::CarbonBuilder::new()
        .with_destination("127.0.0.1:9")
        .unwrap()
        .build()
        .unwrap();
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let key = Key::from_parts("requests", vec![Label::new("route", "/api")]);
    let meta = metrics::Metadata::new("bench", metrics::Level::INFO, None);
    let mut group = c.benchmark_group("hot path");
    let counter_c = carbon.register_counter(&key, &meta);
    let counter_p = prometheus.register_counter(&key, &meta);
    group.bench_function("counter.increment(1): carbon", |b| {
        b.iter(|| counter_c.increment(1))
    });
    group.bench_function("counter.increment(1): prometheus", |b| {
        b.iter(|| counter_p.increment(1))
    });
    let hist_c = carbon.register_histogram(&key, &meta);
    let hist_p = prometheus.register_histogram(&key, &meta);
    group.bench_function("histogram.record(x): carbon", |b| {
        b.iter(|| hist_c.record(1.5))
    });
    group.bench_function("histogram.record(x): prometheus", |b| {
        b.iter(|| hist_p.record(1.5))
    });
    group.bench_function("counter!() macro lookup + increment: carbon", |b| {
        metrics::with_local_recorder(&carbon, || {
            b.iter(|| metrics::counter!("requests", "route" => "/api").increment(1))
        })
    });
    group.bench_function("counter!() macro lookup + increment: prometheus", |b| {
        metrics::with_local_recorder(&prometheus, || {
            b.iter(|| metrics::counter!("requests", "route" => "/api").increment(1))
        })
    });
    group.finish();
}

fn flush_10k(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("flush");
    group.sample_size(10);
    group.bench_function("10,000 counter series, tagged, into the queue", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (took, _) = rt.block_on(metrics_exporter_carbon::bench_flush(10_000));
                total += took;
            }
            total
        })
    });
    group.finish();
    let (_, bytes) = rt.block_on(metrics_exporter_carbon::bench_flush(10_000));
    println!(
        "flush of 10,000 series: {bytes} frame bytes, {:.1} bytes per series",
        bytes as f64 / 10_000.0
    );
}

criterion_group!(benches, hot_path, flush_10k);
criterion_main!(benches);
