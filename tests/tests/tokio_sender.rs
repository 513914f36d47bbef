//! carbon-sender's tokio sender against the real carbon-cache: straight delivery read back from whisper,
//! TLS through stunnel with a test CA (RSA and ECDSA; a wrong CA or name refused with nothing reaching
//! carbon), carbon killed and restarted mid-stream (nothing lost), a receiver that is down (shutdown gives
//! up within its timeout and says how much), and a cluster of three caches behind carbon-relay (each series
//! where the relay puts it).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use carbon_pickle::route::HashType;
use carbon_pickle_tests::tls::{free_port, Pki, Stunnel};
use carbon_pickle_tests::{now, Carbon, Stored};
use carbon_sender::tokio_sender::{Roots, SenderConfig, TlsConfig, TokioSender};
use carbon_sender::Backoff;

/// `n` datapoints over 4 series (tags included), one per series and second, in the hour before now.
fn points(root: &str, n: u32) -> Vec<(String, u32, f64)> {
    let t0 = now() - 3000;
    (0..n)
        .map(|i| {
            let path = match i % 4 {
                0 => format!("{root}.cpu;host=web{}", i % 3),
                1 => format!("{root}.mem"),
                2 => format!("{root}.disk;mount=root;dc=eu"),
                _ => format!("{root}.net.rx"),
            };
            (path, t0 + i / 4, f64::from(i) * 0.5)
        })
        .collect()
}

/// What carbon stores for `points`: a tagged series in the file named by the sha256 of its canonical form
/// (carbon's TAG_HASH_FILENAMES, as `dump` shows it).
fn expected(points: &[(String, u32, f64)]) -> Stored {
    let mut out = Stored::new();
    for (path, ts, v) in points {
        out.entry(stored_name(path))
            .or_default()
            .push((u64::from(*ts), *v));
    }
    out
}

/// The name `harness.py dump` gives the series of `path`.
pub fn stored_name(path: &str) -> String {
    use sha2::{Digest, Sha256};
    if !carbon_pickle::tags::is_tagged(path) {
        return path.to_owned();
    }
    let mut buf = [0u8; 512];
    let canonical = carbon_pickle::tags::canonical(path, Default::default(), &mut buf).unwrap();
    let h: String = Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("_tagged.{}.{}.{h}", &h[..3], &h[3..6])
}

fn config(port: u16) -> SenderConfig {
    SenderConfig::new(format!("127.0.0.1:{port}"))
        .with_confirm(Duration::from_millis(100))
        .with_backoff(Backoff::new(50, 400))
}

async fn send_all(sender: &TokioSender, points: &[(String, u32, f64)]) {
    for (path, ts, v) in points {
        sender.push(path, *ts, *v).await.expect("push");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_datapoint_reaches_whisper() {
    let carbon = Carbon::start();
    // A small queue: push() waits for room many times on the way.
    let sender = TokioSender::start(config(carbon.pickle).with_queue_limits(64, 1 << 20)).unwrap();
    let pts = points("tokio.plain", 2000);
    send_all(&sender, &pts).await;
    sender.flush().await;
    let report = sender.shutdown(Duration::from_secs(10)).await;
    assert_eq!(
        (report.delivered, report.undelivered, report.dropped),
        (2000, 0, 0)
    );
    assert!(report.flushed);
    let stored = carbon.wait_dump(2000);
    carbon_pickle_tests::assert_stored(&expected(&pts), &stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_push_says_full_and_bad_input_is_typed() {
    let sender = TokioSender::start(config(free_port()).with_queue_limits(3, 1 << 20)).unwrap();
    for i in 0..3u32 {
        sender.try_push("a.b", 1_700_000_000 + i, 1.0).unwrap();
    }
    assert_eq!(
        sender.try_push("a.b", 1_700_000_010u64, 1.0),
        Err(carbon_sender::tokio_sender::TryPushError::Full)
    );
    assert!(matches!(
        sender.try_push("a..b", 1_700_000_000i64, 1.0),
        Err(carbon_sender::tokio_sender::TryPushError::Invalid(_))
    ));
    assert!(matches!(
        sender.try_push("a.b", -5i64, 1.0),
        Err(carbon_sender::tokio_sender::TryPushError::Invalid(
            carbon_pickle::Error::TimestampOutOfRange
        ))
    ));
    assert_eq!(sender.queued(), 3, "nothing accepted was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_down_shutdown_reports_undelivered_within_its_timeout() {
    let sender = TokioSender::start(config(free_port())).unwrap();
    let pts = points("tokio.down", 100);
    send_all(&sender, &pts).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let report = sender.shutdown(Duration::from_millis(500)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "shutdown took {took:?}");
    assert_eq!((report.delivered, report.undelivered), (0, 100));
    assert!(!report.flushed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carbon_killed_and_restarted_mid_stream_loses_nothing() {
    let mut carbon = Carbon::start();
    let sender = TokioSender::start(config(carbon.pickle)).unwrap();
    let pts = points("tokio.crash", 1200);
    send_all(&sender, &pts[..400]).await;
    sender.flush().await;
    // Delivered means carbon took it; what carbon holds in memory dies with it, so the first part must be in
    // whisper before the kill (a carbon restarted after a crash loses its cache, not the sender).
    carbon.wait(400);
    carbon.kill_carbon();
    send_all(&sender, &pts[400..800]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sender.stats()[0].failures > 0, "the sender saw carbon go");
    carbon.restart_carbon();
    send_all(&sender, &pts[800..]).await;
    let report = sender.shutdown(Duration::from_secs(30)).await;
    assert_eq!((report.undelivered, report.dropped), (0, 0));
    let stored = carbon.wait_dump(1200);
    carbon_pickle_tests::assert_stored(&expected(&pts), &stored);
}

async fn tls_run(
    carbon: &Carbon,
    pki: &Pki,
    leaf: &str,
    ca: &str,
    pts: &[(String, u32, f64)],
) -> (
    carbon_sender::tokio_sender::ShutdownReport,
    Vec<Option<String>>,
) {
    let stunnel = Stunnel::start(
        carbon.pickle,
        &pki.path(&format!("{leaf}.pem")),
        &pki.path(&format!("{leaf}.key")),
    );
    let tls = TlsConfig::new(Roots::CaFile(pki.path(&format!("{ca}.pem"))))
        .with_server_name("carbon.test");
    let sender = TokioSender::start(config(stunnel.port).with_tls(tls)).unwrap();
    send_all(&sender, pts).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), sender.flush()).await;
    let errors = sender.last_errors();
    let report = sender.shutdown(Duration::from_millis(300)).await;
    (report, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_rsa_and_ecdsa_deliver_wrong_ca_or_name_refused() {
    let carbon = Carbon::start();
    let pki = Pki::new();
    let mut want = Stored::new();
    for (leaf, root) in [("rsa", "tokio.tls.rsa"), ("ecdsa", "tokio.tls.ecdsa")] {
        let pts = points(root, 200);
        let (report, errors) = tls_run(&carbon, &pki, leaf, "ca", &pts).await;
        assert_eq!(
            (report.delivered, report.undelivered),
            (200, 0),
            "{leaf}: {errors:?}"
        );
        want.extend(expected(&pts));
    }
    let stored = carbon.wait_dump(400);
    carbon_pickle_tests::assert_stored(&want, &stored);
    for (leaf, ca, root, why) in [
        ("rogue", "ca", "tokio.tls.rogue", "UnknownIssuer"),
        ("ecdsa", "other-ca", "tokio.tls.otherca", "UnknownIssuer"),
        ("wrong-name", "ca", "tokio.tls.name", "not valid for name"),
    ] {
        let (report, errors) = tls_run(&carbon, &pki, leaf, ca, &points(root, 200)).await;
        assert_eq!(
            (report.delivered, report.undelivered),
            (0, 200),
            "{leaf} with {ca}"
        );
        let error = errors[0].clone().unwrap_or_default();
        assert!(error.contains(why), "{leaf} with {ca}: {error}");
    }
    std::thread::sleep(Duration::from_secs(2));
    let stored = carbon.dump();
    assert_eq!(
        stored.len(),
        want.len(),
        "nothing of the refused runs reached carbon: {:?}",
        stored.keys()
    );
}

/// carbon 1.1.10's carbon-relay.py (consistent hashing) in front of `destinations`, on 127.0.0.1; stopped
/// by its pid when dropped.
struct Relay {
    child: Child,
    pickle: u16,
    dir: tempfile::TempDir,
}

impl Relay {
    fn start(destinations: &[String], hash: &str) -> Relay {
        let dir = tempfile::Builder::new()
            .prefix("tokio-relay-")
            .tempdir()
            .unwrap();
        let d = dir.path().display();
        let (line, pickle) = (free_port(), free_port());
        // carbon-relay refuses to start without a storage-schemas.conf beside carbon.conf.
        std::fs::write(
            dir.path().join("storage-schemas.conf"),
            "[default]\npattern = .*\nretentions = 1s:1d\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("carbon.conf"),
            format!(
                "[relay]\nSTORAGE_DIR = {d}/storage\nLOCAL_DATA_DIR = {d}/storage/whisper\nWHITELISTS_DIR = {d}/storage/lists\n\
                 LOG_DIR = {d}/log\nPID_DIR = {d}\nENABLE_LOGROTATION = False\nUSER =\n\
                 LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = {line}\n\
                 PICKLE_RECEIVER_INTERFACE = 127.0.0.1\nPICKLE_RECEIVER_PORT = {pickle}\nENABLE_UDP_LISTENER = False\n\
                 RELAY_METHOD = consistent-hashing\nROUTER_HASH_TYPE = {hash}\nREPLICATION_FACTOR = 1\nDIVERSE_REPLICAS = True\n\
                 DESTINATIONS = {}\nMAX_QUEUE_SIZE = 1000000\nMAX_DATAPOINTS_PER_MESSAGE = 500\nUSE_FLOW_CONTROL = True\n\
                 CARBON_METRIC_INTERVAL = 0\nENABLE_TAGS = False\nENABLE_MANHOLE = False\nENABLE_AMQP = False\n",
                destinations.join(", ")
            ),
        )
        .unwrap();
        let relay = carbon_pickle_tests::python()
            .parent()
            .unwrap()
            .join("carbon-relay.py");
        let out = std::fs::File::create(dir.path().join("relay.out")).unwrap();
        let child = Command::new(carbon_pickle_tests::python())
            .arg(relay)
            .arg(format!("--config={}/carbon.conf", d))
            .args(["--nodaemon", "start"])
            .current_dir(dir.path())
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("carbon-relay.py");
        let mut relay = Relay { child, pickle, dir };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", pickle)).is_err() {
            if let Ok(Some(status)) = relay.child.try_wait() {
                panic!("carbon-relay exited {status}:\n{}", relay.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "carbon-relay did not listen:\n{}",
                relay.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        relay
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("relay.out")).unwrap_or_default()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_of_three_each_series_where_carbon_relay_puts_it() {
    let caches: Vec<Carbon> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .into_iter()
        .map(Carbon::start_on)
        .collect();
    let destinations: Vec<String> = caches
        .iter()
        .zip(["a", "b", "c"])
        .map(|(c, instance)| format!("{}:{}:{instance}", c.interface, c.pickle))
        .collect();
    // carbon_ch and fnv1a_ch, each with a relay of its own in front of the same caches (own series names).
    for (hash, hash_type) in [
        ("carbon_ch", HashType::CarbonCh),
        ("fnv1a_ch", HashType::Fnv1aCh),
    ] {
        let relay = Relay::start(&destinations, hash);
        let series: Vec<String> = (0..60)
            .map(|i| format!("tokio.cluster.{hash}.s{i}"))
            .collect();
        let t = now() - 600;
        // The same series twice, a second apart: once placed by the tokio sender's router, once by the relay.
        let direct = SenderConfig::new(destinations[0].clone())
            .with_destination(destinations[1].clone())
            .with_destination(destinations[2].clone())
            .with_hash(hash_type)
            .with_confirm(Duration::from_millis(100));
        let ours = TokioSender::start(direct).unwrap();
        let theirs = TokioSender::start(config(relay.pickle)).unwrap();
        for s in &series {
            ours.push(s, t, 1.0).await.unwrap();
            theirs.push(s, t + 1, 2.0).await.unwrap();
        }
        let (a, b) = (
            ours.shutdown(Duration::from_secs(10)).await,
            theirs.shutdown(Duration::from_secs(10)).await,
        );
        assert_eq!((a.undelivered, b.undelivered), (0, 0));
        // Wait until the three caches hold both points of every series between them.
        let mine = |d: &Stored| {
            d.iter()
                .filter(|(k, _)| k.contains(hash))
                .map(|(_, v)| v.len())
                .sum::<usize>()
        };
        let started = Instant::now();
        let dumps = loop {
            let dumps: Vec<Stored> = caches.iter().map(|c| c.dump()).collect();
            let total: usize = dumps.iter().map(mine).sum();
            if total >= 2 * series.len() || started.elapsed() > Duration::from_secs(60) {
                break dumps;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut used = [0usize; 3];
        for s in &series {
            let holders: Vec<usize> = (0..3).filter(|&i| dumps[i].contains_key(s)).collect();
            assert_eq!(
                holders.len(),
                1,
                "{hash}: {s} is in caches {holders:?}; relay log:\n{}",
                relay.log()
            );
            let pts = &dumps[holders[0]][s];
            assert_eq!(
                pts,
                &vec![(u64::from(t), 1.0), (u64::from(t) + 1, 2.0)],
                "{hash}: {s}: ours and the relay's point in one cache"
            );
            used[holders[0]] += 1;
        }
        assert!(
            used.iter().all(|&n| n > 0),
            "{hash}: every cache got series: {used:?}"
        );
    }
}

// One thread: the lane's task runs only once the test awaits, so the 300 are queued before the first frame is
// cut (as a sender that was offline would have them).
#[tokio::test(flavor = "current_thread")]
async fn poison_frame_dropped_and_counted_the_rest_delivered() {
    let carbon = Carbon::start();
    // A false claim on purpose: frames of up to 2 MiB, while carbon takes 1,048,576 bytes. 300 datapoints
    // with 3,775-byte paths make one frame of about 1.15 MB, which carbon refuses by closing the connection.
    let sender = TokioSender::start(
        config(carbon.pickle)
            .with_frame_limits(300, 2 << 20)
            .with_receiver_max_bytes(2 << 20),
    )
    .unwrap();
    let long = format!("poison{}", format!(".{}", "x".repeat(250)).repeat(15));
    let t = now() - 3000;
    for k in 0..300 {
        sender.push(&long, t + k, f64::from(k)).await.unwrap();
    }
    let good = points("tokio.after_poison", 200);
    send_all(&sender, &good).await;
    let flushed = tokio::time::timeout(Duration::from_secs(30), sender.flush()).await;
    let stats = sender.stats()[0];
    assert!(flushed.is_ok(), "not flushed: {stats:?}");
    assert_eq!(
        (stats.poisoned, stats.poisoned_frames),
        (300, 1),
        "{stats:?}"
    );
    let report = sender.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        (report.delivered, report.undelivered, report.dropped),
        (200, 0, 300)
    );
    let stored = carbon.wait_dump(200);
    carbon_pickle_tests::assert_stored(&expected(&good), &stored);
}
