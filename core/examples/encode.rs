//! Carbon plaintext in, pickle frames out.
//!
//! Reads lines `path value timestamp` (carbon's plaintext protocol) on stdin and writes carbon pickle frames
//! (length header + payload) to stdout, split by the limits. A bad line is reported on stderr with its line
//! number and skipped; every good line is encoded; the exit status is 1 if any line was bad.
//!
//! ```text
//! cargo run -p carbon-pickle --features std --example encode -- [--protocol 0|2] [--prefix P]
//!     [--max-bytes N] [--max-points N] < metrics.txt > frames.bin
//! ```

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use carbon_pickle::{Datapoint, Options, Protocol, SplitError, Splitter};

struct Args {
    protocol: Protocol,
    prefix: Option<String>,
    max_bytes: Option<usize>,
    max_points: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        protocol: Protocol::V2,
        prefix: None,
        max_bytes: None,
        max_points: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--protocol" => {
                args.protocol = match value()?.as_str() {
                    "0" => Protocol::V0,
                    "2" => Protocol::V2,
                    p => return Err(format!("--protocol must be 0 or 2, not {p}")),
                }
            }
            "--prefix" => args.prefix = Some(value()?),
            "--max-bytes" => args.max_bytes = Some(number(&flag, &value()?)?),
            "--max-points" => args.max_points = Some(number(&flag, &value()?)?),
            "-h" | "--help" => {
                return Err(
                    "usage: encode [--protocol 0|2] [--prefix P] [--max-bytes N] [--max-points N]"
                        .into(),
                )
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(args)
}

fn number(flag: &str, s: &str) -> Result<usize, String> {
    s.parse()
        .map_err(|_| format!("{flag} needs a whole number, not {s:?}"))
}

/// Splits a plaintext line into a datapoint; the path is borrowed from the line.
fn parse_line(line: &str) -> Result<Datapoint<'_>, String> {
    let mut fields = line.split_ascii_whitespace();
    let (Some(path), Some(value), Some(ts), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err("expected `path value timestamp`".into());
    };
    let value: f64 = value
        .parse()
        .map_err(|_| format!("value {value:?} is not a number"))?;
    let timestamp: f64 = ts
        .parse()
        .map_err(|_| format!("timestamp {ts:?} is not a number"))?;
    Ok(Datapoint {
        path,
        timestamp,
        value,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("encode: {e}");
            return ExitCode::from(2);
        }
    };
    let mut opts = Options::new().with_protocol(args.protocol);
    if let Some(p) = &args.prefix {
        opts = opts.with_prefix(p);
    }
    if let Some(n) = args.max_bytes {
        opts = opts.with_max_bytes(n);
    }
    if let Some(n) = args.max_points {
        opts = opts.with_max_points(n);
    }
    match run(opts) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("encode: {e}");
            ExitCode::from(2)
        }
    }
}

/// Encodes stdin to stdout; returns the number of bad lines.
fn run(opts: Options<'_>) -> Result<usize, String> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut splitter = Splitter::new(Vec::new(), opts).map_err(|e| e.to_string())?;
    let mut write = |frame: &[u8]| out.write_all(frame);
    let mut bad = 0;
    for (n, line) in io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let dp = match parse_line(&line) {
            Ok(dp) => dp,
            Err(e) => {
                eprintln!("line {}: {e}: {line:?}", n + 1);
                bad += 1;
                continue;
            }
        };
        match splitter.push(&dp, &mut write) {
            Ok(()) => {}
            Err(SplitError::Point { error, .. }) => {
                eprintln!("line {}: {error}: {line:?}", n + 1);
                bad += 1;
            }
            Err(SplitError::Sink(e)) => return Err(format!("writing stdout: {e}")),
        }
    }
    let stats = splitter
        .finish(&mut write)
        .map_err(|e| format!("writing stdout: {e}"))?;
    out.flush().map_err(|e| format!("writing stdout: {e}"))?;
    eprintln!(
        "encode: {} datapoints in {} frames ({} bytes), {bad} bad lines",
        stats.points, stats.frames, stats.bytes
    );
    Ok(bad)
}
