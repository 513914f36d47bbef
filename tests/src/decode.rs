//! Frames decoded by CPython and by carbon's own unpickler (`carbon/decode.py`).

use std::io::Write;
use std::process::{Command, Stdio};

use carbon_pickle::Datapoint;

use crate::{python, script};

/// One datapoint as Python unpickled it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The path string.
    pub path: String,
    /// The timestamp, as the Python `int` or `float` the pickle held.
    pub ts: serde_json::Number,
    /// The value.
    pub value: f64,
}

/// Decodes concatenated frames with `decode.py`, which checks that CPython's `pickle.loads` and carbon's
/// SafeUnpickler agree, that each header gives the payload's real length and that no payload exceeds
/// 1,048,576 bytes. Returns one list per frame; panics with decode.py's message (naming the frame) on any
/// failure.
pub fn decode(frames: &[u8]) -> Vec<Vec<Decoded>> {
    let mut child = Command::new(python())
        .arg(script("decode.py"))
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run decode.py");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = frames.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("decode.py output");
    writer
        .join()
        .expect("writer thread")
        .expect("write frames to decode.py");
    assert!(
        out.status.success(),
        "decode.py refused the frames: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("decode.py prints JSON");
    v.as_array()
        .expect("a list of frames")
        .iter()
        .map(|frame| {
            frame
                .as_array()
                .expect("a frame is a list")
                .iter()
                .map(|p| Decoded {
                    path: p[0].as_str().expect("path").to_owned(),
                    ts: match &p[1] {
                        serde_json::Value::Number(n) => n.clone(),
                        other => panic!("timestamp {other} is not a finite number"),
                    },
                    value: p[2].as_f64().expect("finite value"),
                })
                .collect()
        })
        .collect()
}

/// Asserts that `decoded` (all frames, in order) is exactly `points` with `prefix`: same paths, the same
/// timestamps and bit-identical values.
pub fn assert_decoded(decoded: &[Vec<Decoded>], points: &[Datapoint<'_>], prefix: Option<&str>) {
    let flat: Vec<&Decoded> = decoded.iter().flatten().collect();
    assert_eq!(flat.len(), points.len(), "datapoints decoded vs sent");
    for (i, (d, dp)) in flat.iter().zip(points).enumerate() {
        let path = match prefix {
            Some(p) => format!("{p}.{}", dp.path),
            None => dp.path.to_owned(),
        };
        assert_eq!(d.path, path, "path of datapoint {i}");
        assert_eq!(
            d.ts.as_f64(),
            Some(dp.timestamp),
            "timestamp of datapoint {i}"
        );
        assert_eq!(
            d.value.to_bits(),
            dp.value.to_bits(),
            "value of datapoint {i}: {} vs {}",
            d.value,
            dp.value
        );
    }
}
