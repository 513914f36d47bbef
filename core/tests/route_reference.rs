//! The router against carbon 1.1.10's own `ConsistentHashingRouter`, on a million metric names.
//!
//! `route_reference.py` (run with the venv's Python: `CARBON_PICKLE_PYTHON`, set by `scripts/env.sh`)
//! builds carbon's router for random clusters of 1 to 20 destinations (IPv4, IPv6, host names, with and
//! without instance names, several destinations per host), carbon_ch and fnv1a_ch, replication 1 to 3,
//! diverse replicas on and off, and sends each configuration and its names (non-ASCII ones and prefixed
//! ones included) down a pipe to this test, which answers with the Rust router's routes. The script
//! compares and exits non-zero on any difference. It also compares Python's `str((host, instance))` for
//! every code point, and carbon's destination parser. `CARBON_PICKLE_ROUTE_NAMES` changes the number of
//! names (default 1,000,000).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use carbon_pickle::route::{Destination, HashType, Router};

fn python() -> String {
    match std::env::var("CARBON_PICKLE_PYTHON") {
        Ok(p) if std::path::Path::new(&p).exists() => p,
        _ => "python3".into(),
    }
}

fn unhex(s: &str) -> String {
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn leak(s: &str) -> &'static str {
    Box::leak(unhex(s).into_boxed_str())
}

#[test]
fn placement_matches_carbon() {
    let names = std::env::var("CARBON_PICKLE_ROUTE_NAMES").unwrap_or_else(|_| "1000000".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/route_reference.py");
    let mut child = Command::new(python())
        .args([script, &names, "11"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference script (run scripts/setup.sh: it makes the venv with carbon)");
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let requests = BufReader::new(child.stdout.take().unwrap());
    let mut answers = std::io::BufWriter::new(child.stdin.take().unwrap());
    let mut router: Router<'static, 32> = Router::new(HashType::CarbonCh);
    let mut routed = 0usize;
    for line in requests.lines() {
        let line = line.unwrap();
        let f: Vec<&str> = line.split('\t').collect();
        let route = |r: Box<dyn Iterator<Item = usize> + '_>| {
            r.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        };
        match f[0] {
            "C" => {
                let hash: HashType = f[1].parse().unwrap();
                let built = Router::new(hash)
                    .with_replication(f[2].parse().unwrap())
                    .map(|r| r.with_diverse_replicas(f[3] == "1"))
                    .and_then(|mut r| {
                        for d in &f[4..] {
                            r.add_str(leak(d))?;
                        }
                        Ok(r)
                    });
                match built {
                    Ok(r) => {
                        router = r;
                        writeln!(answers, "ok").unwrap();
                    }
                    Err(e) => writeln!(answers, "err {e:?}").unwrap(),
                }
            }
            "M" => {
                routed += 1;
                let name = unhex(f[1]);
                writeln!(answers, "{}", route(Box::new(router.route(&name)))).unwrap();
            }
            "P" => {
                routed += 1;
                let (prefix, path) = (unhex(f[1]), unhex(f[2]));
                let r = router.route_prefixed(Some(&prefix), &path);
                writeln!(answers, "{}", route(Box::new(r))).unwrap();
            }
            "K" => {
                let host = unhex(f[1]);
                let instance = (f[2] != "-").then(|| unhex(f[2]));
                let d = Destination::new(&host, 2004, instance.as_deref());
                writeln!(answers, "{}", d.node_key()).unwrap();
            }
            "D" => {
                let text = unhex(f[1]);
                match Destination::parse(&text) {
                    Ok(d) => writeln!(
                        answers,
                        "{} {} {}",
                        hex(d.host),
                        d.port,
                        d.instance.map_or("-".into(), hex)
                    )
                    .unwrap(),
                    Err(e) => writeln!(answers, "err {e:?}").unwrap(),
                }
            }
            "F" => answers.flush().unwrap(),
            "Q" => break,
            other => panic!("unknown request {other:?}"),
        }
    }
    drop(answers);
    let status = child.wait().unwrap();
    let report = stderr.join().unwrap();
    eprintln!("{report}");
    assert!(status.success(), "differences from carbon:\n{report}");
    let last = report.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("names {routed} differences 0 ")),
        "{last}"
    );
    assert!(routed >= names.parse::<usize>().unwrap());
}
