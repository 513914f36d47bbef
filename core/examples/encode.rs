//! Carbon plaintext in, pickle frames out.
//!
//! Reads lines `path value timestamp` (carbon's plaintext protocol; `path value` or a timestamp of -1 mean
//! now) on stdin and writes carbon pickle frames (length header + payload) to stdout, split by the limits.
//! Lines are read by the core's [`carbon_pickle::plaintext`] reader, exactly as carbon's line receiver
//! reads them (and as the npm CLI does, through wasm): a bad line is reported on stderr with its line
//! number and at most 200 bytes of it quoted, and skipped; every good line is encoded; the exit status is
//! 1 if any line was bad. Memory stays bounded whatever the input: a line longer than 16,384 bytes is
//! skipped as it streams by.
//!
//! ```text
//! cargo run -p carbon-pickle --features std --example encode -- [--protocol 0|2] [--prefix P]
//!     [--max-bytes N] [--max-points N] < metrics.txt > frames.bin
//! ```

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use carbon_pickle::plaintext::{LineReader, Point, Refused, CARBON_MAX_LINE};
use carbon_pickle::{Options, Protocol, SplitError, Splitter};

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

/// Bytes read from stdin at a time.
const READ: usize = 1 << 16;

/// Encodes stdin to stdout; returns the number of bad lines.
fn run(opts: Options<'_>) -> Result<u64, String> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut errs = BufWriter::new(io::stderr().lock());
    let mut splitter = Splitter::new(Vec::new(), opts).map_err(|e| e.to_string())?;
    let mut reader = LineReader::new(vec![0u8; CARBON_MAX_LINE]);
    let mut chunk = vec![0u8; READ];
    let mut stdin = io::stdin().lock();
    let mut bad = 0u64;
    // The first failure to write stdout or stderr: the reader's callback cannot return it.
    let mut failed: Option<String> = None;
    loop {
        let n = match stdin.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading stdin: {e}")),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs() as f64);
        let mut each = |line: Result<Point<'_>, Refused<'_>>| {
            if failed.is_some() {
                return;
            }
            let refused = match line {
                Ok(p) => match splitter.push(&p.datapoint(now), |f: &[u8]| out.write_all(f)) {
                    Ok(()) => return,
                    Err(SplitError::Point { error, .. }) => p.refuse(error),
                    Err(SplitError::Sink(e)) => {
                        return failed = Some(format!("writing stdout: {e}"))
                    }
                },
                Err(r) => r,
            };
            bad += 1;
            if let Err(e) = writeln!(errs, "{refused}") {
                failed = Some(format!("writing stderr: {e}"));
            }
        };
        if n == 0 {
            reader.finish_with(&mut each);
            break;
        }
        reader.feed(&chunk[..n], &mut each);
        if let Some(e) = failed.take() {
            return Err(e);
        }
        errs.flush().map_err(|e| format!("writing stderr: {e}"))?;
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let stats = splitter
        .finish(|f: &[u8]| out.write_all(f))
        .map_err(|e| format!("writing stdout: {e}"))?;
    out.flush().map_err(|e| format!("writing stdout: {e}"))?;
    writeln!(
        errs,
        "encode: {} datapoints in {} frames ({} bytes), {bad} bad lines",
        stats.points, stats.frames, stats.bytes
    )
    .and_then(|()| errs.flush())
    .map_err(|e| format!("writing stderr: {e}"))?;
    Ok(bad)
}
