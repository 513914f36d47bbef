//! Arbitrary datapoints through the encoder, then the decoder: every datapoint the encoder accepts comes
//! back identical (path with its prefix, timestamp and value bit for bit), every one it refuses has a typed
//! error, and no frame is refused by the decoder.
#![no_main]

use arbitrary::Arbitrary;
use carbon_pickle::decode::{Decoder, Slot};
use carbon_pickle::{Datapoint, Error, Options, PathRules, Protocol, SplitError, Splitter};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    v0: bool,
    prefix: Option<u8>,
    allow_spaces: bool,
    ascii_only: bool,
    max_points: u8,
    max_bytes: u16,
    points: Vec<(Path, Ts, f64)>,
}

/// Mostly valid paths (components from a table), sometimes anything.
#[derive(Arbitrary, Debug)]
enum Path {
    Parts(Vec<u8>),
    Raw(String),
}

const PARTS: [&str; 10] = [
    "servers", "web01", "cpu", "café", "温度", "😀", "a-b", "x_1", "sp ace", "it's",
];
const PREFIXES: [&str; 4] = ["KEY", "abc123.def", "é", "bad..prefix"];

impl Path {
    fn text(&self) -> String {
        match self {
            Path::Parts(p) if !p.is_empty() => p
                .iter()
                .map(|&i| PARTS[usize::from(i) % PARTS.len()])
                .collect::<Vec<_>>()
                .join("."),
            Path::Parts(_) => String::new(),
            Path::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Ts {
    Whole(u32),
    Float(f64),
}

fuzz_target!(|input: Input| {
    let mut opts = Options::new()
        .with_protocol(if input.v0 { Protocol::V0 } else { Protocol::V2 })
        .with_max_points(usize::from(input.max_points).max(1))
        .with_max_bytes(usize::from(input.max_bytes) + 64)
        .with_path_rules(
            PathRules::new()
                .with_spaces(input.allow_spaces)
                .with_ascii_only(input.ascii_only),
        );
    let prefix = input
        .prefix
        .map(|i| PREFIXES[usize::from(i) % PREFIXES.len()]);
    if let Some(p) = prefix {
        opts = opts.with_prefix(p);
    }
    let mut splitter = match Splitter::new(Vec::new(), opts) {
        Ok(s) => s,
        Err(e) => {
            assert!(matches!(e, Error::InvalidPrefix(_) | Error::InvalidLimits));
            return;
        }
    };
    let mut slots = vec![Slot::EMPTY; 1024];
    let mut dec = Decoder::new(&mut slots);
    let mut expected: Vec<(String, f64, f64)> = Vec::new();
    let mut decoded: Vec<(String, f64, f64)> = Vec::new();
    let mut on_frame = |frame: &[u8]| -> Result<(), ()> {
        let (points, rest) = dec
            .decode_frame(frame)
            .expect("decoder refused an encoded frame")
            .expect("whole frame");
        assert!(rest.is_empty());
        assert_eq!(points.skipped(), 0);
        for p in points {
            let p = p.expect("skipped element in an encoded frame");
            decoded.push((p.path.chars().collect(), p.timestamp, p.value));
        }
        Ok(())
    };
    let paths: Vec<String> = input.points.iter().map(|(p, _, _)| p.text()).collect();
    for ((_, ts, value), path) in input.points.iter().zip(&paths) {
        let ts = match *ts {
            Ts::Whole(t) => f64::from(t),
            Ts::Float(f) => f,
        };
        let dp = Datapoint::new(path, ts, *value);
        match splitter.push(&dp, &mut on_frame) {
            Ok(()) => {
                let full = match prefix {
                    Some(p) => format!("{p}.{path}"),
                    None => path.clone(),
                };
                // A tagged path goes out in the form carbon stores (tags sorted, the last of a repeated tag).
                let mut buf = vec![0u8; full.len() + 16];
                let stored = carbon_pickle::tags::canonical(&full, opts.path_rules(), &mut buf)
                    .map(str::to_owned)
                    .unwrap_or(full);
                expected.push((stored, ts, *value));
            }
            Err(SplitError::Point { error, .. }) => {
                assert!(
                    !error.is_frame_full(),
                    "frame-full error escaped the splitter: {error:?}"
                );
                assert!(
                    dp.validate(opts.path_rules()).is_err()
                        || matches!(error, Error::DatapointTooLarge { .. })
                );
            }
            Err(e) => unreachable!("{e:?}"), // the sink never fails
        }
    }
    splitter.finish(&mut on_frame).unwrap();
    assert_eq!(decoded.len(), expected.len());
    for (d, e) in decoded.iter().zip(&expected) {
        assert_eq!(d.0, e.0);
        // Timestamps compare as numbers: a whole -0.0 goes out as the integer 0 (carbon reads both as 0).
        assert_eq!(d.1, e.1, "timestamp of {}", e.0);
        assert_eq!(d.2.to_bits(), e.2.to_bits(), "value of {}", e.0);
    }
});
