//! The example sensor node on a host: the firmware's sender and readings, over OS sockets
//! (std-embedded-nal), so the same no_std code runs against a real carbon without an emulator.
//!
//! ```text
//! host-node --carbon 127.0.0.1:2004 [--prefix sensors.host] [--intervals 5] [--interval-s 1] [--pace-ms 1000]
//!           [--epoch SECONDS] [--async]
//! ```
//!
//! `--async` runs the async sender (`AsyncSender`) on a tokio runtime instead of polling the blocking one
//! (`async_node.rs`): the same readings, log lines and exit status.
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

const QUEUE: usize = 64;
const FLUSH_TIMEOUT_MS: u64 = 30_000;

type HostSender<'p> = Sender<'p, std_embedded_nal::Stack, &'static str, QUEUE>;

pub(crate) struct Args {
    carbon: SocketAddr,
    prefix: String,
    intervals: u32,
    interval_s: u32,
    pace_ms: u64,
    epoch: Option<u32>,
    asynchronous: bool,
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
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--async" {
            args.asynchronous = true;
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
    let config = Config::new(args.carbon)
        .with_options(Options::new().with_prefix(&args.prefix).with_max_points(10))
        .with_connect_timeout_ms(3_000)
        .with_confirm_ms(300)
        .with_backoff(Backoff::new(100, 1_000));
    if args.asynchronous {
        log::info!(
            "host sensor node (async): carbon at {}, prefix {}, {} samples, boot time {}",
            args.carbon,
            args.prefix,
            args.intervals,
            epoch
        );
        return match async_node::run(&args, config, epoch) {
            Ok((st, flushed)) => report(st, flushed),
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
    report(node.sender.stats(), node.sender.is_flushed())
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

/// Logs the counters; success only if every datapoint was delivered.
fn report(st: carbon_sender::Stats, flushed: bool) -> ExitCode {
    log::info!(
        "delivered {} of {} datapoints in {} frames ({} bytes); {} connections, {} failures, {} sent again, {} dropped",
        st.delivered,
        st.accepted,
        st.frames,
        st.bytes,
        st.connects,
        st.failures,
        st.resent,
        st.dropped
    );
    if flushed && st.dropped == 0 && st.rejected == 0 && st.delivered == st.accepted {
        ExitCode::SUCCESS
    } else {
        log::error!("datapoints missing");
        ExitCode::FAILURE
    }
}
