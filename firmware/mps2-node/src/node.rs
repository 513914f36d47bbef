//! What both images of the sensor node share: mps2-node's super-loop and embassy-node's tasks (which
//! includes this file) set up the sender the same way and write the same log lines, which the end-to-end
//! tests parse and compare. Only how the network is driven differs between them.
//!
//! Uses the including crate's `config` module (the build-time settings of the shared build.rs).

use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use carbon_pickle::Options;
use carbon_sender::{Backoff, Config, Stats};
use sensor_node::{readings, Live};

use crate::config;

/// Datapoints the node can hold while carbon is unreachable: a dozen intervals of five readings.
pub const QUEUE: usize = 64;
/// At most two intervals per frame, so a backlog goes out as several frames.
pub const MAX_POINTS: usize = 10;
/// How long the node keeps trying to deliver after its last sample.
pub const FLUSH_TIMEOUT_MS: u32 = 30_000;

/// The sender's settings: carbon's address and the prefix from the build, short timeouts for QEMU's network.
pub fn sender_config() -> Config<'static> {
    let [a, b, c, d] = config::CARBON_IP;
    let remote = SocketAddr::V4(SocketAddrV4::new(
        Ipv4Addr::new(a, b, c, d),
        config::CARBON_PORT,
    ));
    Config::new(remote)
        .with_options(
            Options::new()
                .with_prefix(config::PREFIX)
                .with_max_points(MAX_POINTS),
        )
        .with_connect_timeout_ms(3_000)
        .with_confirm_ms(500)
        .with_backoff(Backoff::new(250, 2_000))
}

/// The first log line; `kind` names the image ("" or " embassy").
pub fn log_banner(kind: &str) {
    let [a, b, c, d] = config::IP;
    let [g1, g2, g3, g4] = config::GATEWAY;
    defmt::info!(
        "{}{=str} sensor node: {}.{}.{}.{}/{} via {}.{}.{}.{}, carbon at {}, {} samples every {} s",
        config::BOARD,
        kind,
        a,
        b,
        c,
        d,
        config::PREFIX_LEN,
        g1,
        g2,
        g3,
        g4,
        sender_config().remote,
        config::INTERVALS,
        config::INTERVAL_S
    );
}

/// Room for the tagged series' name: `temperature;board=mps2-an386;node=embassy-node;transport=tcp` is 61
/// bytes.
#[cfg(feature = "tagged")]
const TAGGED_CAPACITY: usize = 96;

/// The node's one Graphite tagged series (feature `tagged`): the temperature again, as
/// `temperature;board=<board>;node=<image>;transport=<tcp|tls>` (the sender's prefix goes before the name).
///
/// Built once with the core's [`TaggedName`](carbon_pickle::tags::TaggedName) into a static buffer, tags given
/// out of order: the builder puts them in carbon's canonical order in place, so nothing is sorted at run time
/// and the queue holds a `&'static str` like the plain names. Call it once (the buffer is taken). `None`
/// (logged) if the name breaks the tag rules, or always without the feature: the node then sends only its
/// plain readings. [`log_tagged`] logs it, at the end of the run (a log line at boot, through semihosting,
/// takes milliseconds of host time that the embassy node's first sample would wait for).
pub fn tagged_series(image: &str, transport: &str) -> Option<&'static str> {
    #[cfg(feature = "tagged")]
    {
        use carbon_pickle::{tags::TaggedName, PathRules};
        static BUF: static_cell::ConstStaticCell<[u8; TAGGED_CAPACITY]> =
            static_cell::ConstStaticCell::new([0; TAGGED_CAPACITY]);
        let buf = BUF.take();
        let built = TaggedName::new(&mut buf[..], sensor_node::METRICS[0], PathRules::default())
            .and_then(|mut name| {
                name.tag("transport", transport)?
                    .tag("board", config::BOARD)?
                    .tag("node", image)?;
                Ok(name.len())
            });
        match built {
            Ok(len) => {
                let buf: &'static [u8; TAGGED_CAPACITY] = buf;
                // TaggedName wrote whole `str`s; the check costs less than `unsafe` would save.
                core::str::from_utf8(&buf[..len]).ok()
            }
            Err(e) => {
                defmt::error!("tagged series refused: {}", e);
                None
            }
        }
    }
    #[cfg(not(feature = "tagged"))]
    {
        let _ = (image, transport);
        None
    }
}

/// Sample `i`: the readings (with the live values: `uptime_ms`, and the queue depth and reconnects from the
/// sender's `stats` before it), then the temperature under the `tagged` series if there is one, stamped
/// `epoch + i * interval`, handed to `push` (a full queue drops and counts a datapoint; the exit status
/// reports it), then logged.
pub fn sample(
    i: u32,
    epoch: u32,
    stats: &Stats,
    uptime_ms: u32,
    tagged: Option<&'static str>,
    mut push: impl FnMut(&'static str, u32, f64),
) {
    let live = Live {
        uptime_ms,
        queue_depth: stats.queued as u32,
        reconnects: stats.failures,
    };
    let timestamp = sensor_node::timestamp(epoch, i, config::INTERVAL_S);
    let r = readings(i, live);
    for (metric, value) in r {
        push(metric, timestamp, value);
    }
    if let Some(series) = tagged {
        push(series, timestamp, r[0].1);
    }
    defmt::info!(
        "sample {}: temperature {} C, humidity {} %, uptime {} ms, queue depth {}, reconnects {}",
        i,
        r[0].1,
        r[1].1,
        live.uptime_ms,
        live.queue_depth,
        live.reconnects
    );
}

/// The tagged series' name (without the prefix), which the tests read from the log.
pub fn log_tagged(tagged: Option<&str>) {
    if let Some(name) = tagged {
        defmt::info!("tagged series: {=str}", name);
    }
}

/// The counters at the end.
pub fn log_counters(stats: &Stats) {
    defmt::info!(
        "delivered {} of {} datapoints in {} frames ({} bytes); {} connections, {} failures, {} sent again, {} dropped",
        stats.delivered,
        stats.accepted,
        stats.frames,
        stats.bytes,
        stats.connects,
        stats.failures,
        stats.resent,
        stats.dropped
    );
}

/// The stack high-water marks (painting).
pub fn log_stack(sender: usize, network: usize, program: usize) {
    defmt::info!(
        "stack high-water: sender {} bytes, network {} bytes, whole program {} bytes",
        sender,
        network,
        program
    );
}

/// Was every datapoint delivered? Logs the verdict; the exit status follows it.
pub fn verdict(stats: &Stats, flushed: bool) -> bool {
    let ok =
        flushed && stats.dropped == 0 && stats.rejected == 0 && stats.delivered == stats.accepted;
    if ok {
        defmt::info!("all datapoints delivered");
    } else {
        defmt::error!("datapoints missing");
    }
    ok
}
