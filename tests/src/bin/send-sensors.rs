//! Sends a few minutes of sample sensor readings to a carbon pickle receiver (README command 1,
//! `scripts/run.sh`).
//!
//! ```text
//! send-sensors --to HOST:PORT [--prefix KEY] [--protocol 0|2] [--minutes N] [--count-file FILE]
//! ```
//!
//! Two ways to use the encoder, one connection:
//! 1. the readings (six sensors, one sample every 2 s for the last `--minutes`, default 5) go through a
//!    [`Splitter`] into one reused 32 KiB stack buffer; each full frame (at most 500 datapoints, carbon's
//!    relay limit) is written to the socket as soon as it is finished;
//! 2. a device-status frame is streamed with [`write_frame`] straight to the socket, no frame buffer at all,
//!    with a Hosted Graphite style prefix: `--prefix KEY` if given (then every frame carries it), otherwise
//!    `demo-key`;
//! 3. Graphite tagged series: the two temperature sensors again, as one name with a `room` tag each
//!    (`sensors.temperature;room=kitchen;site=home`), names built with [`TaggedName`] (tags given in any
//!    order, written in carbon's canonical order), through a second `Splitter`. `scripts/run.sh` draws them
//!    with graphite-web's render API.
//!
//! `--count-file` receives the number of datapoints sent, for the caller to wait for.

use std::f64::consts::TAU;
use std::io::Write;
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use carbon_pickle::tags::TaggedName;
use carbon_pickle::{write_frame, Datapoint, Options, PathRules, Protocol, SliceSink, Splitter};
use embedded_io_adapters::std::FromStd;

/// Sensors: path, baseline, swing, period in seconds, decimals.
const SENSORS: [(&str, f64, f64, f64, i32); 6] = [
    ("sensors.kitchen.temperature", 21.5, 1.5, 240.0, 2),
    ("sensors.kitchen.humidity", 45.0, 6.0, 420.0, 1),
    ("sensors.garage.temperature", 11.0, 3.0, 600.0, 2),
    ("sensors.office.co2_ppm", 650.0, 180.0, 300.0, 0),
    ("sensors.office.pressure_hpa", 1013.25, 0.8, 900.0, 2),
    ("sensors.outdoor.wind_speed", 4.0, 3.5, 97.0, 1),
];
const DEVICES: [&str; 3] = ["node-a", "node-b", "node-c"];
/// Tagged series: the name, and (sensor, room) for each series under it.
const TAGGED_NAME: &str = "sensors.temperature";
const TAGGED: [(usize, &str); 2] = [(0, "kitchen"), (2, "garage")];
const STEP: u32 = 2;

struct Args {
    to: String,
    prefix: Option<String>,
    protocol: Protocol,
    minutes: u32,
    count_file: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        to: String::new(),
        prefix: None,
        protocol: Protocol::V2,
        minutes: 5,
        count_file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--to" => args.to = value()?,
            "--prefix" => args.prefix = Some(value()?),
            "--protocol" => {
                args.protocol = match value()?.as_str() {
                    "0" => Protocol::V0,
                    "2" => Protocol::V2,
                    p => return Err(format!("--protocol must be 0 or 2, not {p}")),
                }
            }
            "--minutes" => {
                args.minutes = value()?
                    .parse()
                    .ok()
                    .filter(|m| (1..=600).contains(m))
                    .ok_or("--minutes must be 1..600")?
            }
            "--count-file" => args.count_file = Some(value()?),
            "-h" | "--help" => return Err(String::new()),
            f => return Err(format!("unknown argument {f}")),
        }
    }
    if args.to.is_empty() {
        return Err("--to HOST:PORT is required".into());
    }
    Ok(args)
}

/// A smooth, repeatable reading for `sensor` at time `t`.
fn reading(sensor: usize, t: u32) -> f64 {
    let (_, base, swing, period, decimals) = SENSORS[sensor];
    let phase = f64::from(t) / period * TAU + sensor as f64;
    let v = base + swing * phase.sin() + 0.1 * swing * (3.7 * phase).cos();
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

fn run(args: &Args) -> Result<usize, Box<dyn std::error::Error>> {
    let now = u32::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    let mut opts = Options::new().with_protocol(args.protocol);
    if let Some(p) = &args.prefix {
        opts = opts.with_prefix(p);
    }
    let mut stream = TcpStream::connect(&args.to)
        .map_err(|e| format!("cannot connect to the pickle receiver at {}: {e}", args.to))?;
    let mut sent = 0;

    // 1. Readings, as a device would produce them: time by time, every sensor, through a Splitter.
    let mut buf = [0u8; 32 * 1024];
    let mut splitter = Splitter::new(SliceSink::new(&mut buf), opts)?;
    let mut frame_no = 0;
    let mut on_frame = |frame: &[u8]| -> std::io::Result<()> {
        frame_no += 1;
        println!("  frame {frame_no}: {} bytes", frame.len());
        stream.write_all(frame)
    };
    let start = now - args.minutes * 60;
    for t in (start..now).step_by(STEP as usize) {
        for (k, sensor) in SENSORS.iter().enumerate() {
            splitter.push(&Datapoint::new(sensor.0, t, reading(k, t)), &mut on_frame)?;
        }
    }
    let stats = splitter.finish(&mut on_frame)?;
    println!(
        "readings: {} datapoints of {} sensors in {} frames ({} bytes) via Splitter{}",
        stats.points,
        SENSORS.len(),
        stats.frames,
        stats.bytes,
        args.prefix
            .as_ref()
            .map(|p| format!(", prefix {p}"))
            .unwrap_or_default()
    );
    sent += stats.points;

    // 2. Device status, streamed: no frame buffer, the length is measured first.
    let status_prefix = args.prefix.as_deref().unwrap_or("demo-key");
    let paths: Vec<[String; 3]> = DEVICES
        .iter()
        .map(|d| ["uptime_s", "battery_v", "rssi_dbm"].map(|m| format!("devices.{d}.{m}")))
        .collect();
    let status: Vec<Datapoint<'_>> = paths
        .iter()
        .enumerate()
        .flat_map(|(i, [up, bat, rssi])| {
            let i = i as f64;
            [
                Datapoint::new(up, now, 86_400.0 * (i + 1.0) + 17.0),
                Datapoint::new(bat, now, 3.3 - 0.15 * i),
                Datapoint::new(rssi, now, -48.0 - 9.0 * i),
            ]
        })
        .collect();
    let n = write_frame(
        &mut FromStd::new(&mut stream),
        &status,
        &opts.with_prefix(status_prefix),
    )?;
    println!(
        "status: {} datapoints in 1 frame ({n} bytes) via write_frame, prefix {status_prefix}",
        status.len()
    );
    sent += status.len();

    // 3. Tagged series: one name, a series per room.
    let mut names = Vec::new();
    for (sensor, room) in TAGGED {
        let mut name_buf = [0u8; 96];
        let mut name = TaggedName::new(&mut name_buf, TAGGED_NAME, PathRules::default())?;
        name.tag("site", "home")?.tag("room", room)?;
        names.push((sensor, name.as_str().to_owned()));
    }
    let mut splitter = Splitter::new(SliceSink::new(&mut buf), opts)?;
    let mut on_frame = |frame: &[u8]| stream.write_all(frame);
    for t in (start..now).step_by(STEP as usize) {
        for (sensor, name) in &names {
            splitter.push(&Datapoint::new(name, t, reading(*sensor, t)), &mut on_frame)?;
        }
    }
    let stats = splitter.finish(&mut on_frame)?;
    println!(
        "tagged: {} datapoints of {} series in {} frames ({} bytes): {}",
        stats.points,
        names.len(),
        stats.frames,
        stats.bytes,
        names
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    sent += stats.points;
    Ok(sent)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("send-sensors: {e}");
            }
            eprintln!(
                "usage: send-sensors --to HOST:PORT [--prefix KEY] [--protocol 0|2] [--minutes N] [--count-file FILE]"
            );
            return ExitCode::from(2);
        }
    };
    println!(
        "sending sample sensor metrics to {} (pickle protocol {})",
        args.to,
        if args.protocol == Protocol::V0 { 0 } else { 2 }
    );
    match run(&args) {
        Ok(sent) => {
            println!("sent {sent} datapoints");
            if let Some(f) = &args.count_file {
                if let Err(e) = std::fs::write(f, format!("{sent}\n")) {
                    eprintln!("send-sensors: cannot write {f}: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("send-sensors: {e}");
            ExitCode::FAILURE
        }
    }
}
