//! Decoding our frames with CPython and carbon's own unpickler (`tests/carbon/decode.py`, run by the venv
//! Python the set-up made). Shared by the golden and property tests.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One decoded datapoint: the full path, the timestamp (and whether Python saw an int), the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub path: String,
    pub timestamp: f64,
    pub timestamp_is_int: bool,
    pub value: f64,
}

fn python() -> PathBuf {
    let p = std::env::var_os("CARBON_PICKLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/carbon-pickle/venv/bin/python")
        });
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh (it makes the venv with carbon)",
        p.display()
    );
    p
}

/// Decodes concatenated frames; panics with decode.py's message if any frame is refused.
pub fn cpython_decode(frames: &[u8]) -> Vec<Vec<Decoded>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/carbon/decode.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start decode.py");
    let mut stdin = child.stdin.take().unwrap();
    let input = frames.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("run decode.py");
    writer.join().unwrap().expect("write frames to decode.py");
    assert!(
        out.status.success(),
        "decode.py refused our frames: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("decode.py JSON");
    json.as_array()
        .unwrap()
        .iter()
        .map(|frame| {
            frame
                .as_array()
                .unwrap()
                .iter()
                .map(|p| Decoded {
                    path: p[0].as_str().unwrap().to_owned(),
                    timestamp: p[1].as_f64().unwrap(),
                    timestamp_is_int: p[1].is_i64() || p[1].is_u64(),
                    value: p[2].as_f64().unwrap(),
                })
                .collect()
        })
        .collect()
}
