//! The held-out check of issue 20: a tokio service that uses only the `metrics` macros and
//! metrics-exporter-carbon's builder lands its counter, gauge and histogram summary, with tags, in a real
//! carbon-cache: whisper holds exactly the expected values at the interval-aligned timestamps, over three
//! intervals.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use carbon_pickle_tests::{Carbon, Stored};
use sha2::{Digest, Sha256};

const INTERVAL: u64 = 2;

/// The name `harness.py dump` gives a tagged series (carbon's TAG_HASH_FILENAMES).
fn stored_name(canonical: &str) -> String {
    let h: String = Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("_tagged.{}.{}.{h}", &h[..3], &h[3..6])
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// Waits (up to 30 s) until whisper holds a datapoint of every one of `series` at every one of
/// `timestamps`, and returns everything stored. A count of datapoints is not enough to wait on: the
/// exporter's own series go out with every flush, and carbon writes its cache to whisper series by series.
fn wait_for_points(carbon: &Carbon, series: &[String], timestamps: &[u64]) -> Stored {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stored = carbon.dump();
        let all = series.iter().all(|s| {
            stored
                .get(s)
                .is_some_and(|pts| timestamps.iter().all(|ts| pts.iter().any(|p| p.0 == *ts)))
        });
        if all || Instant::now() > deadline {
            return stored;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_gauge_and_histogram_land_at_aligned_timestamps() {
    let carbon = Carbon::start();
    // --- the service: the builder, then nothing but the metrics macros ---
    let handle = metrics_exporter_carbon::CarbonBuilder::new()
        .with_destination(&format!("127.0.0.1:{}", carbon.pickle))
        .unwrap()
        .with_interval(Duration::from_secs(INTERVAL))
        .with_global_tag("service", "checkout")
        .install()
        .unwrap();
    let mut boundaries = Vec::new();
    let rounds: [&[f64]; 3] = [&[5.0, 1.0, 3.0], &[2.5], &[7.0, 9.0, 8.0, 0.5]];
    for (k, values) in rounds.iter().enumerate() {
        // Just after a boundary, so this round's values all belong to the next one.
        let t = now();
        let next = (t.as_secs() / INTERVAL + 1) * INTERVAL;
        tokio::time::sleep(Duration::from_secs(next) + Duration::from_millis(300) - t).await;
        metrics::counter!("orders", "region" => "eu").increment(k as u64 + 1);
        // A name carbon cannot store (a 300-byte component): counted once, never sent, never in the way.
        metrics::counter!(format!("refused.{}", "x".repeat(300))).increment(1);
        metrics::gauge!("queue.depth").set(10.0 * k as f64 + 0.5);
        for &v in *values {
            metrics::histogram!("latency", "route" => "/pay").record(v);
        }
        boundaries.push(next + INTERVAL);
    }
    let report = handle.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.undelivered, 0, "{report:?}");

    // --- what carbon stored ---
    let counter = stored_name("orders;region=eu;service=checkout");
    let gauge = stored_name("queue.depth;service=checkout");
    let hist = |part: &str| stored_name(&format!("latency.{part};route=/pay;service=checkout"));
    let dropped = stored_name("carbon_exporter.dropped;service=checkout");
    let refused = stored_name("carbon_exporter.refused;service=checkout");
    let mut expected = vec![
        counter.clone(),
        gauge.clone(),
        dropped.clone(),
        refused.clone(),
    ];
    expected.extend(["count", "min", "max", "sum", "mean", "p50", "p999"].map(hist));
    let stored = wait_for_points(&carbon, &expected, &boundaries);
    let at = |series: &str, ts: u64| -> Option<f64> {
        stored
            .get(series)
            .and_then(|pts| pts.iter().find(|p| p.0 == ts).map(|p| p.1))
    };
    let mut cumulative = 0.0;
    for (k, (&ts, values)) in boundaries.iter().zip(rounds).enumerate() {
        cumulative += k as f64 + 1.0;
        assert_eq!(
            at(&counter, ts),
            Some(cumulative),
            "counter at {ts}: {stored:?}"
        );
        assert_eq!(at(&gauge, ts), Some(10.0 * k as f64 + 0.5), "gauge at {ts}");
        let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = values.iter().sum();
        assert_eq!(
            at(&hist("count"), ts),
            Some(values.len() as f64),
            "count at {ts}"
        );
        assert_eq!(at(&hist("min"), ts), Some(min), "min at {ts}");
        assert_eq!(at(&hist("max"), ts), Some(max), "max at {ts}");
        assert_eq!(at(&hist("sum"), ts), Some(sum), "sum at {ts}");
        assert_eq!(
            at(&hist("mean"), ts),
            Some(sum / values.len() as f64),
            "mean at {ts}"
        );
        assert!(at(&hist("p50"), ts).is_some() && at(&hist("p999"), ts).is_some());
    }
    // A histogram sends only in intervals that recorded something: exactly the three.
    let counts: Vec<u64> = stored[&hist("count")].iter().map(|p| p.0).collect();
    assert_eq!(counts, boundaries);
    // Every timestamp is a multiple of the interval.
    assert!(stored.values().flatten().all(|p| p.0 % INTERVAL == 0));
    // The exporter's own metrics are there, and nothing was dropped or refused.
    assert!(stored[&dropped].iter().all(|p| p.1 == 0.0));
    for ts in &boundaries {
        let got = stored[&refused].iter().find(|p| p.0 == *ts).map(|p| p.1);
        assert_eq!(got, Some(1.0), "the refused series counted once, at {ts}");
    }
    assert!(!stored.keys().any(|k| k.starts_with("refused")));
}

/// `build()` instead of `install()` (no global recorder: this test shares the process with the one above),
/// over TLS through stunnel with a test CA, labels as path segments, counters as deltas and a prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_parts_over_tls_with_path_segments_and_deltas() {
    use carbon_pickle_tests::tls::{Pki, Stunnel};
    use metrics_exporter_carbon::{LabelMapping, Roots, TlsConfig};
    let carbon = Carbon::start();
    let pki = Pki::new();
    let stunnel = Stunnel::start(carbon.pickle, &pki.path("rsa.pem"), &pki.path("rsa.key"));
    let tls = TlsConfig::new(Roots::CaFile(pki.path("ca.pem"))).with_server_name("carbon.test");
    let (recorder, exporter, parts) = metrics_exporter_carbon::CarbonBuilder::new()
        .with_destination(&format!("127.0.0.1:{}", stunnel.port))
        .unwrap()
        .with_interval(Duration::from_secs(INTERVAL))
        .with_tls(tls)
        .with_prefix("apikey")
        .with_label_mapping(LabelMapping::PathSegments)
        .with_counter_deltas(true)
        .build()
        .unwrap();
    let handle = parts.spawn(exporter);
    let mut boundaries = Vec::new();
    for k in 0..3u64 {
        let t = now();
        let next = (t.as_secs() / INTERVAL + 1) * INTERVAL;
        tokio::time::sleep(Duration::from_secs(next) + Duration::from_millis(300) - t).await;
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("jobs", "queue" => "mail").increment(10 * (k + 1));
        });
        boundaries.push(next + INTERVAL);
    }
    let report = handle.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.undelivered, 0, "{report:?}");
    let stored = wait_for_points(&carbon, &["apikey.jobs.mail".to_string()], &boundaries);
    let series = &stored["apikey.jobs.mail"];
    for (k, ts) in boundaries.iter().enumerate() {
        let got = series.iter().find(|p| p.0 == *ts).map(|p| p.1);
        assert_eq!(
            got,
            Some(10.0 * (k as f64 + 1.0)),
            "delta at {ts}: {series:?}"
        );
    }
}
