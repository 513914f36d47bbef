//! Golden vectors made by CPython (`tests/golden/make_golden.py`): our protocol-2 frames must equal the
//! expected bytes exactly, and our frames in both protocols must decode, with CPython's `pickle.loads` and
//! carbon's SafeUnpickler, to exactly the datapoints given, their paths as carbon stores them (tagged paths
//! in carbon's canonical order, `stored`).

mod support;

use carbon_pickle::{to_slice, Datapoint, Options, Protocol};
use serde_json::Value;

struct Vector {
    name: String,
    prefix: Option<String>,
    points: Vec<(String, f64, f64)>,
    /// Each point's path, prefix included, as carbon stores it.
    stored: Vec<String>,
    v2_frame: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("golden/vectors.json");
    let json: Value = serde_json::from_str(text).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().into(),
            prefix: v["prefix"].as_str().map(Into::into),
            points: v["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().into(),
                        p[1].as_f64().unwrap(),
                        p[2].as_f64().unwrap(),
                    )
                })
                .collect(),
            stored: v["stored"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().into())
                .collect(),
            v2_frame: hex(v["v2_frame_hex"].as_str().unwrap()),
        })
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn encode(v: &Vector, protocol: Protocol) -> Vec<u8> {
    let points: Vec<_> = v
        .points
        .iter()
        .map(|(p, t, x)| Datapoint::new(p, *t, *x))
        .collect();
    let mut opts = Options::new().with_protocol(protocol);
    if let Some(p) = &v.prefix {
        opts = opts.with_prefix(p);
    }
    let mut buf = vec![0u8; 4096];
    to_slice(&points, &mut buf, &opts).unwrap().to_vec()
}

#[test]
fn protocol_2_frames_equal_the_golden_bytes() {
    for v in vectors() {
        assert_eq!(encode(&v, Protocol::V2), v.v2_frame, "vector {}", v.name);
    }
}

#[test]
fn both_protocols_decode_to_the_golden_datapoints() {
    let vectors = vectors();
    let mut frames = Vec::new();
    for protocol in [Protocol::V2, Protocol::V0] {
        for v in &vectors {
            frames.extend(encode(v, protocol));
        }
    }
    let decoded = support::cpython_decode(&frames);
    assert_eq!(decoded.len(), 2 * vectors.len());
    for (i, frame) in decoded.iter().enumerate() {
        let (v, protocol) = (&vectors[i % vectors.len()], ["2", "0"][i / vectors.len()]);
        assert_eq!(
            frame.len(),
            v.points.len(),
            "vector {} protocol {protocol}",
            v.name
        );
        for ((got, (path, ts, value)), full) in frame.iter().zip(&v.points).zip(&v.stored) {
            assert_eq!(&got.path, full, "vector {}", v.name);
            assert_eq!(
                got.timestamp.to_bits(),
                ts.to_bits(),
                "vector {} {path}",
                v.name
            );
            assert_eq!(
                got.value.to_bits(),
                value.to_bits(),
                "vector {} {path}",
                v.name
            );
            // Whole timestamps arrive as Python ints: below 2^31 in protocol 2 (BININT), always in protocol 0.
            let whole = ts.fract() == 0.0;
            let int = if protocol == "2" {
                whole && *ts < 2_147_483_648.0
            } else {
                whole
            };
            assert_eq!(
                got.timestamp_is_int, int,
                "vector {} {path} protocol {protocol}",
                v.name
            );
        }
    }
}
