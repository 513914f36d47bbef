//! The example sensor node on a host: the firmware's sender and readings, over OS sockets
//! (std-embedded-nal), so the same no_std code runs against a real carbon without an emulator.
//!
//! ```text
//! host-node --carbon 127.0.0.1:2004 [--prefix sensors.host] [--intervals 5] [--interval-s 1] [--pace-ms 1000]
//!           [--epoch SECONDS] [--async] [--oversized-frame]
//! ```
//!
//! `--async` runs the async sender (`AsyncSender`) on a tokio runtime instead of polling the blocking one
//! (`async_node.rs`): the same readings, log lines and exit status.
//!
//! `--oversized-frame` (a test of the poison-frame rule): the node claims a receiver that takes 2 MiB frames
//! (`receiver_max_bytes`, `max_bytes`; 300 datapoints a frame) and, before the first sample, queues 300
//! datapoints with 3,800-byte paths: one frame of about 1.15 MB, over carbon's 1,048,576. Carbon closes the
//! connection on it every time; the sender must drop it as poison and deliver the readings behind it. The
//! exit status is then 0 only if exactly those 300 were dropped and every reading was delivered.
//!
//! Sample `i` is stamped `epoch + i * interval_s`; `--pace-ms` is the real time between samples (shorter than
//! the interval in tests, so a run takes less time than the series it sends). Logs go to stderr; the exit
//! status is 0 only if every datapoint was delivered.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use carbon_pickle::Options;
use carbon_sender::{Backoff, Config, Sender};
use sensor_node::{readings, Live};

mod async_node;

const QUEUE: usize = 512;
const FLUSH_TIMEOUT_MS: u64 = 30_000;
/// `--oversized-frame`: the datapoints of the frame over carbon's limit, and the claimed receiver limit.
pub(crate) const OVERSIZED_POINTS: u32 = 300;
const CLAIMED_RECEIVER_MAX_BYTES: usize = 2 << 20;

type HostSender<'p> = Sender<'p, std_embedded_nal::Stack, &'static str, QUEUE>;

pub(crate) struct Args {
    carbon: SocketAddr,
    prefix: String,
    intervals: u32,
    interval_s: u32,
    pace_ms: u64,
    epoch: Option<u32>,
    asynchronous: bool,
    oversized: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        carbon: "127.0.0.1:2004".parse().unwrap(),
        prefix: "sensors.host".into(),
        intervals: 5,
        interval_s: 1,
        pace_ms: 1_000,
        epoch: None,
        asynchronous: false,
        oversized: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--async" {
            args.asynchronous = true;
            continue;
        }
        if flag == "--oversized-frame" {
            args.oversized = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--carbon" => args.carbon = value.parse().map_err(|e| bad(&e))?,
            "--prefix" => args.prefix = value,
            "--intervals" => args.intervals = value.parse().map_err(|e| bad(&e))?,
            "--interval-s" => args.interval_s = value.parse().map_err(|e| bad(&e))?,
            "--pace-ms" => args.pace_ms = value.parse().map_err(|e| bad(&e))?,
            "--epoch" => args.epoch = Some(value.parse().map_err(|e| bad(&e))?),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(args)
}

/// A minimal `log` backend: level and message on stderr.
struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        eprintln!("{:<5} {}", record.level(), record.args());
    }
    fn flush(&self) {}
}

struct Node<'p> {
    stack: std_embedded_nal::Stack,
    sender: HostSender<'p>,
    start: Instant,
}

impl Node<'_> {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn run_until(&mut self, mut done: impl FnMut(&HostSender, u64) -> bool) {
        loop {
            let now = self.now_ms();
            if done(&self.sender, now) {
                return;
            }
            self.sender.poll(&mut self.stack, now);
            sleep(Duration::from_millis(1));
        }
    }
}

fn main() -> ExitCode {
    log::set_logger(&StderrLog).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("host-node: {e}");
            return ExitCode::from(2);
        }
    };
    let epoch = args.epoch.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as u32
    });
    let mut config = Config::new(args.carbon)
        .with_options(Options::new().with_prefix(&args.prefix).with_max_points(10))
        .with_connect_timeout_ms(3_000)
        .with_confirm_ms(300)
        .with_backoff(Backoff::new(100, 1_000));
    if args.oversized {
        // A false claim about this carbon, on purpose: its frames can be larger than carbon takes.
        config = config
            .with_options(
                config
                    .options
                    .with_max_points(OVERSIZED_POINTS as usize)
                    .with_max_bytes(CLAIMED_RECEIVER_MAX_BYTES),
            )
            .with_receiver_max_bytes(CLAIMED_RECEIVER_MAX_BYTES);
        log::info!(
            "oversized frame: {} datapoints with {}-byte paths queued first; receiver_max_bytes {} claimed",
            OVERSIZED_POINTS,
            oversized_path().len(),
            CLAIMED_RECEIVER_MAX_BYTES
        );
    }
    let expect_poisoned = if args.oversized { OVERSIZED_POINTS } else { 0 };
    if args.asynchronous {
        log::info!(
            "host sensor node (async): carbon at {}, prefix {}, {} samples, boot time {}",
            args.carbon,
            args.prefix,
            args.intervals,
            epoch
        );
        return match async_node::run(&args, config, epoch) {
            Ok((st, flushed)) => report(st, flushed, expect_poisoned),
            Err(e) => {
                eprintln!("host-node: {e}");
                ExitCode::from(2)
            }
        };
    }
    let sender = match HostSender::new(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("host-node: bad configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let mut node = Node {
        stack: std_embedded_nal::Stack,
        sender,
        start: Instant::now(),
    };
    log::info!(
        "host sensor node: carbon at {}, prefix {}, {} samples, boot time {}",
        args.carbon,
        args.prefix,
        args.intervals,
        epoch
    );

    if args.oversized {
        oversized(epoch, |m, t, v| {
            let _ = node.sender.push(m, t, v);
        });
    }
    for i in 0..args.intervals {
        let due = u64::from(i) * args.pace_ms;
        node.run_until(|_, now| now >= due);
        let stats = node.sender.stats();
        let uptime_ms = node.now_ms() as u32;
        sample(i, epoch, args.interval_s, &stats, uptime_ms, |m, t, v| {
            let _ = node.sender.push(m, t, v);
        });
        let next = due + args.pace_ms;
        node.run_until(|s, now| s.is_flushed() || now >= next);
    }
    let deadline = node.now_ms() + FLUSH_TIMEOUT_MS;
    node.run_until(|s, now| s.is_flushed() || now >= deadline);
    node.sender.close(&mut node.stack);
    report(
        node.sender.stats(),
        node.sender.is_flushed(),
        expect_poisoned,
    )
}

/// `--oversized-frame`'s path: `oversized.` and fifteen 250-byte components, 3,775 bytes (carbon's
/// limits: 255 bytes a component, 4,000 a path).
fn oversized_path() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let component = "x".repeat(250);
        let mut path = String::from("oversized");
        for _ in 0..15 {
            path.push('.');
            path.push_str(&component);
        }
        path
    })
}

/// `--oversized-frame`: the datapoints of one frame over carbon's limit (`OVERSIZED_POINTS` of them, an
/// hour before `epoch`), handed to `push` before the first sample.
fn oversized(epoch: u32, mut push: impl FnMut(&'static str, u32, f64)) {
    for k in 0..OVERSIZED_POINTS {
        push(oversized_path(), epoch - 3_600 + k, f64::from(k));
    }
}

/// Sample `i` (both senders): the readings with the live values (`uptime_ms`, and the queue depth and
/// reconnects from the sender's `stats` before it), stamped `epoch + i * interval_s`, handed to `push` (a full
/// queue drops and counts a datapoint; the report says so), then logged.
fn sample(
    i: u32,
    epoch: u32,
    interval_s: u32,
    stats: &carbon_sender::Stats,
    uptime_ms: u32,
    mut push: impl FnMut(&'static str, u32, f64),
) {
    let live = Live {
        uptime_ms,
        queue_depth: stats.queued as u32,
        reconnects: stats.failures,
    };
    let timestamp = sensor_node::timestamp(epoch, i, interval_s);
    for (metric, value) in readings(i, live) {
        push(metric, timestamp, value);
    }
    log::info!(
        "sample {i}: uptime {} ms, queue depth {}, reconnects {}",
        live.uptime_ms,
        live.queue_depth,
        live.reconnects
    );
}

/// Logs the counters; success only if every datapoint was delivered, but for `expect_poisoned` dropped as
/// poison (`--oversized-frame`).
fn report(st: carbon_sender::Stats, flushed: bool, expect_poisoned: u32) -> ExitCode {
    log::info!(
        "delivered {} of {} datapoints in {} frames ({} bytes); {} connections, {} failures, {} sent again, {} dropped ({} as poison, {} frames)",
        st.delivered,
        st.accepted,
        st.frames,
        st.bytes,
        st.connects,
        st.failures,
        st.resent,
        st.dropped,
        st.poisoned,
        st.poisoned_frames
    );
    if flushed
        && st.dropped == expect_poisoned
        && st.poisoned == expect_poisoned
        && st.rejected == 0
        && st.delivered + st.poisoned == st.accepted
    {
        ExitCode::SUCCESS
    } else {
        log::error!("datapoints missing");
        ExitCode::FAILURE
    }
}
