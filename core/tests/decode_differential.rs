//! The decoder against CPython and carbon's own SafeUnpickler, on a large random corpus.
//!
//! `decode_corpus.py` (run with the venv's Python when `CARBON_PICKLE_PYTHON` points at it, else `python3`)
//! makes frames with `pickle.dumps` for protocols 0 to 5, as statsd/Dropwizard write protocol 0 by hand, as
//! Python 2's relay writes protocol 2, plus random mutations of those; for each it records what carbon
//! makes of it. Here every frame is decoded and the outcomes must agree: the same datapoints (paths equal,
//! timestamps and values bit for bit) and skipped elements for frames carbon accepts; a refusal for frames
//! carbon refuses or drops the connection on. The only allowed difference is the decoder refusing, with
//! an `Unsupported`/`NotAList` error, a construct it deliberately does not model; those are counted and
//! must stay rare.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use carbon_pickle::decode::{split_frame, Decoder, ErrorKind, Inspector, Slot};

fn python() -> String {
    match std::env::var("CARBON_PICKLE_PYTHON") {
        Ok(p) if std::path::Path::new(&p).exists() => p,
        _ => "python3".into(),
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[derive(Debug)]
enum Expected {
    Ok {
        points: Vec<(Vec<u8>, u64, u64)>,
        skipped: usize,
    },
    Refused(String),
}

fn parse_expected(text: &str) -> Vec<(String, Expected)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let kind = l.strip_prefix("kind ").expect("kind line").to_string();
        let v = lines.next().expect("verdict line");
        let mut f = v.split(' ');
        match f.next().unwrap() {
            "ok" => {
                let n: usize = f.next().unwrap().parse().unwrap();
                let skipped: usize = f.next().unwrap().parse().unwrap();
                let points = (0..n)
                    .map(|_| {
                        let p = lines.next().unwrap();
                        let mut w = p.split(' ');
                        let path = hex_decode(w.next().unwrap());
                        let ts = u64::from_str_radix(w.next().unwrap(), 16).unwrap();
                        let val = u64::from_str_radix(w.next().unwrap(), 16).unwrap();
                        (path, ts, val)
                    })
                    .collect();
                out.push((kind, Expected::Ok { points, skipped }));
            }
            other => out.push((kind, Expected::Refused(other.to_string()))),
        }
    }
    out
}

fn same_float(a: f64, bits: u64) -> bool {
    let b = f64::from_bits(bits);
    a.to_bits() == bits
        || (a.is_nan() && b.is_nan() && a.is_sign_negative() == b.is_sign_negative())
}

#[test]
fn decoder_agrees_with_cpython_and_carbon() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("decode-differential");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/decode_corpus.py");
    let frames: usize = std::env::var("DECODE_CORPUS_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let out = Command::new(python())
        .arg(&script)
        .arg(&dir)
        .args([
            "--frames",
            &frames.to_string(),
            "--mutants",
            &(frames / 2).to_string(),
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .expect("run decode_corpus.py");
    assert!(
        out.status.success(),
        "decode_corpus.py failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    println!("{}", String::from_utf8_lossy(&out.stdout));

    let corpus = std::fs::read(dir.join("corpus.bin")).unwrap();
    let expected = parse_expected(&std::fs::read_to_string(dir.join("expected.txt")).unwrap());

    let mut slots = vec![Slot::EMPTY; 16_384];
    let mut dec = Decoder::new(&mut slots).with_max_payload(u32::MAX as usize);
    let mut rest = &corpus[..];
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut stricter: BTreeMap<String, usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut accepted = 0;
    let mut total_points = 0;
    for (i, (kind, exp)) in expected.iter().enumerate() {
        let (payload, next) = split_frame(rest, u32::MAX as usize)
            .unwrap()
            .expect("whole frame");
        rest = next;
        let got = dec.decode(payload);
        let verdict = match (exp, got) {
            (Expected::Ok { points, skipped }, Ok(it)) => {
                let n_skipped = it.skipped();
                let ours: Vec<_> = it.flatten().collect();
                let same = ours.len() == points.len()
                    && n_skipped == *skipped
                    && ours.iter().zip(points).all(|(p, (path, ts, val))| {
                        let s: String = p.path.chars().collect();
                        s.as_bytes() == &path[..]
                            && same_float(p.timestamp, *ts)
                            && same_float(p.value, *val)
                    });
                if !same {
                    mismatches.push(format!(
                        "frame {i} ({kind}): carbon stored {} points ({skipped} skipped), decoder {} ({n_skipped} skipped): {:?} vs {:?}",
                        points.len(),
                        ours.len(),
                        points.iter().take(3).collect::<Vec<_>>(),
                        ours.iter().take(3).collect::<Vec<_>>()
                    ));
                }
                accepted += 1;
                total_points += points.len();
                "both accept"
            }
            (Expected::Ok { .. }, Err(e)) => match e.kind {
                ErrorKind::Unsupported(u) => {
                    *stricter.entry(format!("{kind}: {u:?}")).or_default() += 1;
                    "decoder stricter"
                }
                ErrorKind::NotAList => {
                    *stricter.entry(format!("{kind}: NotAList")).or_default() += 1;
                    "decoder stricter"
                }
                _ => {
                    mismatches.push(format!(
                        "frame {i} ({kind}): carbon accepts, decoder refuses: {e}"
                    ));
                    "mismatch"
                }
            },
            (Expected::Refused(_), Err(_)) => "both refuse",
            (Expected::Refused(why), Ok(it)) => {
                mismatches.push(format!(
                    "frame {i} ({kind}): carbon {why}, decoder accepts {} points; payload {:02x?}",
                    it.points(),
                    &payload[..payload.len().min(200)]
                ));
                "mismatch"
            }
        };
        *tally.entry(format!("{kind:7} {verdict}")).or_default() += 1;
    }
    assert!(rest.is_empty());
    println!("differential corpus: {} frames, {accepted} accepted by both ({total_points} datapoints compared)", expected.len());
    for (k, v) in &tally {
        println!("  {k:30} {v}");
    }
    for (k, v) in &stricter {
        println!("  stricter: {k:40} {v}");
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    let strict: usize = stricter.values().sum();
    assert!(
        strict * 50 < expected.len(),
        "decoder refused {strict} frames carbon accepts"
    );
    assert!(expected.len() >= frames, "corpus too small");
}

/// The inspector's opcode listing is line for line what `pickletools.dis` prints, on CPython-made frames:
/// all of it for the frames the decoder accepts; up to the opcode it refuses for the others (the inspector
/// lists nothing after a refusal, and says how many bytes it left). The streaming [`Inspector`], fed each
/// frame in pieces, writes the same text.
#[test]
fn inspector_listing_matches_pickletools() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("decode-pickletools");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/decode_corpus.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(&dir)
        .args([
            "--seed",
            "7",
            "--frames",
            "3000",
            "--mutants",
            "0",
            "--dis",
            "3000",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .expect("run decode_corpus.py");
    assert!(out.status.success());
    let corpus = std::fs::read(dir.join("corpus.bin")).unwrap();
    let mut frames = Vec::new();
    let mut rest = &corpus[..];
    while let Some((payload, next)) = split_frame(rest, u32::MAX as usize).unwrap() {
        frames.push(&corpus[corpus.len() - rest.len()..corpus.len() - next.len()]);
        let _ = payload;
        rest = next;
    }
    let dis = std::fs::read_to_string(dir.join("dis.txt")).unwrap();
    let mut compared = 0;
    let mut up_to_refusal = 0;
    let mut lines = dis.lines();
    let mut slots = vec![Slot::EMPTY; 16_384];
    while let Some(head) = lines.next() {
        let i: usize = head.strip_prefix("frame ").unwrap().parse().unwrap();
        let want: Vec<&str> = lines.by_ref().take_while(|l| *l != "end").collect();
        let mut got = String::new();
        carbon_pickle::decode::inspect_with(frames[i], &mut got, &mut slots, u32::MAX as usize)
            .unwrap();
        // The streaming inspector, given the frame 7 bytes at a time, writes the same text.
        let mut streamed = String::new();
        let mut inspector = Inspector::new(vec![0u8; frames[i].len()], &mut slots[..])
            .with_max_payload(u32::MAX as usize);
        for chunk in frames[i].chunks(7) {
            inspector.feed(chunk, &mut streamed).unwrap();
        }
        inspector.finish(&mut streamed).unwrap();
        assert_eq!(streamed, got, "frame {i}, streamed");
        let got: Vec<&str> = got.lines().skip(1).take(want.len()).collect();
        let cut = got
            .iter()
            .position(|l| l.ends_with(" byte(s) after the refusal not listed"));
        match cut {
            Some(k) => {
                assert_eq!(got[..k], want[..k], "frame {i}, up to its refusal");
                assert!(got[k + 1].starts_with("refused: "), "frame {i}: {got:?}");
                up_to_refusal += 1;
            }
            None => assert_eq!(got, want, "frame {i}"),
        }
        compared += 1;
    }
    println!(
        "{compared} listings identical to pickletools.dis ({up_to_refusal} of them up to the opcode refused)"
    );
    assert!(compared > 1000, "only {compared} listings compared");
}
