//! The wrapper on wasm (`wasm-pack test --node`): it adds no byte of its own to what the core writes, and it
//! records refusals with the right datapoint and detail.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::{to_vec, Datapoint, Options, Protocol};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::failure::{InputFault, PathFault};
use crate::{
    batch_reserve, frame_counts, global, last_failure_code, last_failure_detail,
    last_failure_index, Codec, FailureCode, MetricSet, Stream,
};

/// Lays out a batch as the JavaScript side does; returns (points, text bytes).
fn write_batch(points: &[(&str, f64, f64)]) -> (usize, usize) {
    let text: String = points.iter().map(|p| p.0).collect();
    batch_reserve(points.len(), text.len());
    global::with(|s| {
        let b = &mut s.batch;
        b.text[..text.len()].copy_from_slice(text.as_bytes());
        for (i, &(path, ts, value)) in points.iter().enumerate() {
            b.lens[i] = path.encode_utf16().count() as u32;
            b.timestamps[i] = ts;
            b.values[i] = value;
        }
    });
    (points.len(), text.len())
}

const POINTS: [(&str, f64, f64); 5] = [
    ("servers.web01.cpu", 1_700_000_000.0, 1.5),
    ("sensors.küche.temp", 1_700_000_001.25, -3.0),
    ("emoji.🚀", 3_000_000_000.0, 0.0),
    ("a", 0.0, 1e300),
    ("tags;host=x", 1.0, 2.0),
];

fn core_bytes(points: &[(&str, f64, f64)], opts: &Options<'_>) -> Vec<u8> {
    let dps: Vec<_> = points
        .iter()
        .map(|&(p, t, v)| Datapoint::new(p, t, v))
        .collect();
    to_vec(&dps, opts).unwrap()
}

#[wasm_bindgen_test]
fn codec_writes_exactly_the_cores_frames() {
    for (protocol, p) in [(2u8, Protocol::V2), (0, Protocol::V0)] {
        let codec = Codec::create(protocol, Some("KEY".into()), 1 << 20, 2, false, false).unwrap();
        let (n, text) = write_batch(&POINTS);
        let bytes = codec.encode(n, text);
        assert_eq!(last_failure_code(), FailureCode::None);
        let opts = Options::new()
            .with_protocol(p)
            .with_prefix("KEY")
            .with_max_points(2);
        assert_eq!(bytes, core_bytes(&POINTS, &opts));
        assert_eq!(frame_counts(), [2, 2, 1]);
    }
}

#[wasm_bindgen_test]
fn a_refusal_keeps_the_frames_before_it() {
    let codec = Codec::create(2, None, 1 << 20, 500, false, false).unwrap();
    let points = [POINTS[0], POINTS[1], ("bad..path", 5.0, 1.0), POINTS[3]];
    let (n, text) = write_batch(&points);
    let bytes = codec.encode(n, text);
    assert_eq!(last_failure_code(), FailureCode::InvalidPath);
    assert_eq!(last_failure_index(), 2.0);
    assert_eq!(
        last_failure_detail(),
        [PathFault::EmptyComponent as u8 as f64, 4.0, 0.0, 0.0]
    );
    assert_eq!(bytes, core_bytes(&points[..2], &Options::new()));

    let (n, text) = write_batch(&[("ok", f64::NAN, 1.0)]);
    assert!(codec.encode(n, text).is_empty());
    assert_eq!(last_failure_code(), FailureCode::NonFiniteTimestamp);
    assert_eq!(last_failure_index(), 0.0);
}

#[wasm_bindgen_test]
fn lengths_are_utf16_units_and_may_not_split_a_character() {
    let codec = Codec::create(2, None, 1 << 20, 500, false, false).unwrap();
    let points = [("a🚀", 1.0, 1.0), ("b", 1.0, 2.0)];
    let (n, text) = write_batch(&points);
    assert_eq!(codec.encode(n, text), core_bytes(&points, &Options::new()));
    // "a🚀" is 3 UTF-16 units: a length of 2 ends inside the rocket (the total still matches).
    global::with(|s| s.batch.lens[..2].copy_from_slice(&[2, 2]));
    assert!(codec.encode(n, text).is_empty());
    assert_eq!(last_failure_code(), FailureCode::BadInput);
    assert_eq!(last_failure_index(), 0.0);
    assert_eq!(
        last_failure_detail()[0],
        InputFault::SplitCharacter as u8 as f64
    );
    // Lengths that do not add up to the text are refused before anything is encoded.
    global::with(|s| s.batch.lens[..2].copy_from_slice(&[3, 2]));
    assert!(codec.encode(n, text).is_empty());
    assert_eq!(
        last_failure_detail()[0],
        InputFault::LengthsMismatch as u8 as f64
    );
}

#[wasm_bindgen_test]
fn options_are_checked() {
    assert!(Codec::create(1, None, 1 << 20, 500, false, false).is_none());
    assert_eq!(last_failure_code(), FailureCode::InvalidOptions);
    assert!(Codec::create(2, Some("a..b".into()), 1 << 20, 500, false, false).is_none());
    assert_eq!(last_failure_code(), FailureCode::InvalidPrefix);
    assert!(Stream::create(2, None, 1 << 20, 0, false, false).is_none());
    assert_eq!(last_failure_code(), FailureCode::InvalidOptions);
}

#[wasm_bindgen_test]
fn a_stream_hands_out_full_frames_and_keeps_the_open_one() {
    let mut stream = Stream::create(2, None, 1 << 20, 2, false, false).unwrap();
    for &(p, t, v) in &POINTS[..3] {
        assert!(stream.push(p, t, v));
    }
    assert!(!stream.push("a b", 1.0, 1.0));
    assert_eq!(last_failure_code(), FailureCode::InvalidPath);
    assert_eq!(stream.open_points(), 1);
    let first = stream.take();
    assert_eq!(frame_counts(), [2]);
    let (n, text) = write_batch(&POINTS[3..]);
    assert!(stream.push_many(n, text));
    let rest = stream.flush();
    assert_eq!(frame_counts(), [2, 1]);
    assert_eq!(
        [first, rest].concat(),
        core_bytes(&POINTS, &Options::new().with_max_points(2))
    );
}

#[wasm_bindgen_test]
fn a_metric_set_checks_paths_once_and_encodes_numbers() {
    let names: String = ["a.x", "b.y", "c.z"].concat();
    let set = MetricSet::create(&names, &[3, 3, 3], 2, None, 1 << 20, 500, false, false).unwrap();
    assert_eq!(set.size(), 3);
    let bytes = set.encode(&[10.0], &[1.0, 2.0, 3.0], None);
    let want = [("a.x", 10.0, 1.0), ("b.y", 10.0, 2.0), ("c.z", 10.0, 3.0)];
    assert_eq!(bytes, core_bytes(&want, &Options::new()));
    let bytes = set.encode(&[5.0, 6.0], &[7.0, 8.0], Some([2, 0].into()));
    assert_eq!(
        bytes,
        core_bytes(&[("c.z", 5.0, 7.0), ("a.x", 6.0, 8.0)], &Options::new())
    );
    assert!(set.encode(&[5.0], &[7.0], Some([3].into())).is_empty());
    assert_eq!(last_failure_code(), FailureCode::BadInput);

    assert!(
        MetricSet::create("okbad path", &[2, 8], 2, None, 1 << 20, 500, false, false).is_none()
    );
    assert_eq!(last_failure_code(), FailureCode::InvalidPath);
    assert_eq!(last_failure_index(), 1.0);
}
