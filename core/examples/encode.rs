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
//! Tagged paths (`disk.used;rack=a1;dc=dc1`, or `disk.used{dc="dc1"}`) are checked by carbon's tag rules and
//! written in carbon's canonical order; `--tag k=v` (repeatable) adds a tag to every line's path (it wins
//! over a tag of the same name in the line, as the last of repeated tags does in carbon).
//!
//! ```text
//! cargo run -p carbon-pickle --features std --example encode -- [--protocol 0|2] [--prefix P]
//!     [--max-bytes N] [--max-points N] [--tag K=V ...] < metrics.txt > frames.bin
//! ```

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use carbon_pickle::plaintext::{LineReader, Point, Refused, CARBON_MAX_LINE};
use carbon_pickle::{tags, Datapoint, Options, Protocol, SplitError, Splitter};

struct Args {
    protocol: Protocol,
    prefix: Option<String>,
    max_bytes: Option<usize>,
    max_points: Option<usize>,
    /// `;k=v` for every `--tag k=v`, in order.
    tags: String,
    /// The same as OpenMetrics segments, `,k="v"`, for a line in that form.
    om_tags: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        protocol: Protocol::V2,
        prefix: None,
        max_bytes: None,
        max_points: None,
        tags: String::new(),
        om_tags: String::new(),
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
            "--tag" => {
                let v = value()?;
                let Some((k, val)) = v.split_once('=') else {
                    return Err(format!("--tag needs K=V, not {v:?}"));
                };
                // A `;` or `=` in the tag, or a `;` in the value, would split into other segments.
                if k.contains([';', '=']) || val.contains(';') {
                    return Err(format!(
                        "--tag {v:?}: no ';' or '=' in a tag, no ';' in a value"
                    ));
                }
                args.tags.push(';');
                args.tags.push_str(&v);
                let escaped = val.replace('\\', "\\\\").replace('"', "\\\"");
                args.om_tags.push_str(&format!(",{k}=\"{escaped}\""));
            }
            "-h" | "--help" => {
                return Err(
                    "usage: encode [--protocol 0|2] [--prefix P] [--max-bytes N] \
                            [--max-points N] [--tag K=V ...]"
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
    if !args.tags.is_empty() {
        // The tags checked once, by carbon's rules, on a name of their own.
        let mut buf = vec![0u8; 8 + args.tags.len()];
        if let Err(e) = tags::canonical(&format!("tag{}", args.tags), opts.path_rules(), &mut buf) {
            eprintln!("encode: --tag: {e}");
            return ExitCode::from(2);
        }
    }
    match run(opts, &args.tags, &args.om_tags) {
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

/// Encodes stdin to stdout, `tags` (`;k=v...`) added to every path (`om_tags`, `,k="v"...`, inside the
/// braces of a path in the OpenMetrics form); returns the number of bad lines.
fn run(opts: Options<'_>, tags: &str, om_tags: &str) -> Result<u64, String> {
    let mut tagged = String::new();
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
                Ok(p) => {
                    let mut dp = p.datapoint(now);
                    if !tags.is_empty() {
                        tagged.clear();
                        if dp.path.ends_with("\"}") && dp.path.contains('{') {
                            tagged.push_str(&dp.path[..dp.path.len() - 1]);
                            tagged.push_str(om_tags);
                            tagged.push('}');
                        } else {
                            tagged.push_str(dp.path);
                            tagged.push_str(tags);
                        }
                        dp = Datapoint {
                            path: &tagged,
                            ..dp
                        };
                    }
                    match splitter.push(&dp, |f: &[u8]| out.write_all(f)) {
                        Ok(()) => return,
                        Err(SplitError::Point { error, .. }) => p.refuse(error),
                        Err(SplitError::Sink(e)) => {
                            return failed = Some(format!("writing stdout: {e}"))
                        }
                        Err(e) => return failed = Some(format!("splitting: {e}")),
                    }
                }
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
