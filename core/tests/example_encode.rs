//! `examples/encode.rs` (plaintext lines in, frames out) on the inputs that used to stop it: a bad line of
//! any kind is reported with its number and skipped, the run goes on, the exit status is 1; a 100 MB line
//! among good ones is skipped in bounded memory. The example is the binary `cargo test` builds next to the
//! tests (with `--features std`; run the whole suite, or add `--example encode` to `--test example_encode`).
#![cfg(feature = "std")]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use carbon_pickle::decode::{split_frame, Decoder, Slot};

fn example() -> PathBuf {
    // target/<profile>/deps/example_encode-<hash> -> target/<profile>/examples/encode
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("encode");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test -p carbon-pickle --features std` (it builds the examples)",
        bin.display()
    );
    bin
}

/// Peak resident memory of a running process in KiB (Linux), or None.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn bad_lines_are_skipped_and_a_100_mb_line_goes_by_in_bounded_memory() {
    let t = 1_700_000_000u32;
    let mut child = Command::new(example())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        stdout.read_to_end(&mut v).map(|_| v)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut head = Vec::new();
    head.extend_from_slice(b"\xef\xbb\xbf"); // a byte order mark: dropped
    for i in 0..10 {
        head.extend_from_slice(format!("good.m{i} {i} {t}\n").as_bytes());
    }
    head.extend_from_slice(format!("bad.hex 0x10 {t}\n").as_bytes()); // 11
    head.extend_from_slice(b"bad.utf8\xff"); // 12: invalid UTF-8
    head.extend_from_slice(format!(" 1 {t}\n").as_bytes());
    head.extend_from_slice(format!("bad.cr 1 {t}\rbad.cr2 2 {t}\n").as_bytes()); // 13: a lone CR
    head.extend_from_slice(format!("bad.u2028\u{2028}inside 1 {t}\n").as_bytes()); // 14
    head.extend_from_slice(format!("good.u2028\u{2028}10\u{2028}{t}\n").as_bytes()); // 15
    head.extend_from_slice(b"good.now 11\n"); // 16: no timestamp: now
    head.extend_from_slice(b"good.minus.one 12 -1\n"); // 17: carbon's -1: now
    stdin.write_all(&head).unwrap();
    let mib = vec![b'z'; 1 << 20];
    for _ in 0..100 {
        stdin.write_all(&mib).unwrap(); // 18: 100 MiB and then some
    }
    stdin.write_all(format!(" 1 {t}\n").as_bytes()).unwrap();
    for i in 0..10 {
        stdin
            .write_all(format!("good.after{i} {i} {t}\n").as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let peak = peak_rss_kib(child.id());
    drop(stdin);
    let status = child.wait().unwrap();
    let frames = out.join().unwrap().unwrap();
    let said = err.join().unwrap().unwrap();

    assert_eq!(status.code(), Some(1), "{said}");
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(
        lines,
        [
            r#"line 11: value "0x10" is not a number"#.to_string(),
            format!(r#"line 12: invalid UTF-8 at byte 8: "bad.utf8\xff 1 {t}""#),
            format!(
                r#"line 13: expected "path value [timestamp]", got 6 fields: "bad.cr 1 {t}\rbad.cr2 2 {t}""#
            ),
            format!(
                r#"line 14: expected "path value [timestamp]", got 4 fields: "bad.u2028\u{{2028}}inside 1 {t}""#
            ),
            format!(
                r#"line 18: longer than 16384 bytes, skipped: "{}"... ({} bytes)"#,
                "z".repeat(200),
                100 * (1 << 20) + 13
            ),
            "encode: 23 datapoints in 1 frames (705 bytes), 5 bad lines".to_string(),
        ]
    );
    let mut slots = [Slot::EMPTY; 64];
    let mut dec = Decoder::new(&mut slots);
    let (payload, rest) = split_frame(&frames, 1 << 20).unwrap().unwrap();
    assert!(rest.is_empty());
    let points: Vec<(String, f64, f64)> = dec
        .decode(payload)
        .unwrap()
        .flatten()
        .map(|p| (p.path.to_string(), p.timestamp, p.value))
        .collect();
    assert_eq!(points.len(), 23);
    assert_eq!(points[0], ("good.m0".to_string(), t as f64, 0.0));
    assert_eq!(points[10], ("good.u2028".to_string(), t as f64, 10.0));
    assert_eq!((points[11].0.as_str(), points[11].2), ("good.now", 11.0));
    assert_eq!(
        (points[12].0.as_str(), points[12].2),
        ("good.minus.one", 12.0)
    );
    assert!(points[11].1 > t as f64 && points[12].1 > t as f64, "now");
    assert_eq!(points[22], ("good.after9".to_string(), t as f64, 9.0));
    if let Some(kib) = peak {
        // The 100 MB line was never held (the example used to hold all of it, and print it).
        assert!(kib < 32 * 1024, "peak RSS {kib} KiB");
        eprintln!("peak RSS with a 100 MB line: {kib} KiB");
    }
}

/// Tagged lines are written in carbon's canonical order; `--tag k=v` adds tags to every line's path (inside
/// the braces of the OpenMetrics form), winning over a tag of the same name in the line; a bad tagged line is
/// named by its number like any other; a bad `--tag` stops the run before it starts.
#[test]
fn tagged_lines_and_tag_options() {
    let t = 1_700_000_000u32;
    let input = format!(
        "disk.used;rack=a1;dc=dc1 1 {t}\nplain 2 {t}\nbad;k 3 {t}\ncpu{{host=\"a\"}} 4 {t}\nx;env=dev 5 {t}\n"
    );
    let run = |args: &[&str]| {
        let mut child = Command::new(example())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example");
        // The example may stop reading early (a bad --tag exits before the input): its stdin then closes.
        if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        let out = child.wait_with_output().unwrap();
        let mut slots = [Slot::EMPTY; 64];
        let mut dec = Decoder::new(&mut slots);
        let paths: Vec<String> = match split_frame(&out.stdout, 1 << 20).unwrap() {
            Some((payload, _)) => dec
                .decode(payload)
                .unwrap()
                .flatten()
                .map(|p| p.path.to_string())
                .collect(),
            None => Vec::new(),
        };
        (
            out.status.code(),
            paths,
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, paths, said) = run(&[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        paths,
        [
            "disk.used;dc=dc1;rack=a1",
            "plain",
            "cpu;host=a",
            "x;env=dev"
        ]
    );
    assert!(
        said.starts_with("line 3: path \"bad;k\": invalid path: tag segment 1 at byte 4: no '='"),
        "{said}"
    );
    let (code, paths, _) = run(&["--tag", "env=prod", "--tag", "z=1"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        paths,
        [
            "disk.used;dc=dc1;env=prod;rack=a1;z=1",
            "plain;env=prod;z=1",
            "cpu;env=prod;host=a;z=1",
            "x;env=prod;z=1"
        ]
    );
    for bad in ["k", "k=~v", "k;j=v", "=v"] {
        let (code, paths, said) = run(&["--tag", bad]);
        assert_eq!((code, paths.len()), (Some(2), 0), "--tag {bad}: {said}");
        assert!(said.starts_with("encode: --tag"), "{said}");
    }
}
