//! The wrapper on wasm (`wasm-pack test --node`): it adds no byte of its own to what the core writes, and it
//! records refusals with the right datapoint and detail.

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::{to_vec, Datapoint, Options, Protocol};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::failure::{InputFault, PathFault};
use crate::{
    batch_reserve, last_failure_code, last_failure_detail, last_failure_index, Encoder, FailureCode,
};

/// Lays out a batch as the JavaScript side does; returns (points, text bytes).
fn write_batch(points: &[(&str, f64, f64)]) -> (usize, usize) {
    let text: String = points.iter().map(|p| p.0).collect();
    batch_reserve(points.len().max(1), text.len());
    crate::batch::with_batch(|b| {
        b.text[..text.len()].copy_from_slice(text.as_bytes());
        for (i, &(path, ts, value)) in points.iter().enumerate() {
            b.lens[i] = path.encode_utf16().count() as u32;
            b.timestamps[i] = ts;
            b.values[i] = value;
        }
    });
    (points.len(), text.len())
}

/// The output of the last call (`len` bytes) and its frame counts.
fn output(len: usize) -> (Vec<u8>, Vec<u32>) {
    crate::output::with_output(|s| {
        assert_eq!(s.out.len(), len);
        (s.out.clone(), s.counts.clone())
    })
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

fn batch_encoder(max_points: u32) -> Encoder {
    Encoder::create(2, -1, 1 << 20, max_points, false, false, false).unwrap()
}

/// An encoder whose prefix is `prefix`, written into the batch text as the JavaScript side does.
fn create(protocol: u8, prefix: &str, max_points: u32, stream: bool) -> Option<Encoder> {
    let (_, len) = write_batch(&[(prefix, 0.0, 0.0)]);
    Encoder::create(
        protocol,
        len as i32,
        1 << 20,
        max_points,
        false,
        false,
        stream,
    )
}

/// Pushes one datapoint as `FrameEncoder.push` does: a batch of one.
fn push_one(enc: &mut Encoder, path: &str, timestamp: f64, value: f64) -> bool {
    let (n, text) = write_batch(&[(path, timestamp, value)]);
    enc.push_rows(n, text, n)
}

#[wasm_bindgen_test]
fn a_batch_is_exactly_the_cores_frames() {
    for (protocol, p) in [(2u8, Protocol::V2), (0, Protocol::V0)] {
        let mut enc = create(protocol, "KEY", 2, false).unwrap();
        let (n, text) = write_batch(&POINTS);
        assert!(enc.push_rows(n, text, n));
        assert_eq!(last_failure_code(), FailureCode::None);
        let (bytes, counts) = output(enc.flush());
        let opts = Options::new()
            .with_protocol(p)
            .with_prefix("KEY")
            .with_max_points(2);
        assert_eq!(bytes, core_bytes(&POINTS, &opts));
        assert_eq!(counts, [2, 2, 1]);
        // The encoder is ready for the next batch, one timestamp for all this time.
        let (n, text) = write_batch(&POINTS[..1]);
        assert!(enc.push_rows(n, text, 1));
        assert_eq!(output(enc.flush()).0, core_bytes(&POINTS[..1], &opts));
    }
}

#[wasm_bindgen_test]
fn a_refusal_keeps_the_frames_before_it() {
    let mut enc = batch_encoder(500);
    let points = [POINTS[0], POINTS[1], ("bad..path", 5.0, 1.0), POINTS[3]];
    let (n, text) = write_batch(&points);
    assert!(!enc.push_rows(n, text, n));
    assert_eq!(last_failure_code(), FailureCode::InvalidPath);
    assert_eq!(last_failure_index(), 2.0);
    let detail: Vec<f64> = (0..4).map(last_failure_detail).collect();
    assert_eq!(
        detail,
        [PathFault::EmptyComponent as u8 as f64, 4.0, 0.0, 0.0]
    );
    assert_eq!(
        output(enc.flush()).0,
        core_bytes(&points[..2], &Options::new())
    );

    let (n, text) = write_batch(&[("ok", f64::NAN, 1.0)]);
    assert!(!enc.push_rows(n, text, n));
    assert_eq!(last_failure_code(), FailureCode::NonFiniteTimestamp);
    assert_eq!(last_failure_index(), 0.0);
    assert_eq!(enc.flush(), 0);
}

#[wasm_bindgen_test]
fn lengths_are_utf16_units_and_may_not_split_a_character() {
    let mut enc = batch_encoder(500);
    let points = [("a🚀", 1.0, 1.0), ("b", 1.0, 2.0)];
    let (n, text) = write_batch(&points);
    assert!(enc.push_rows(n, text, n));
    assert_eq!(output(enc.flush()).0, core_bytes(&points, &Options::new()));
    // "a🚀" is 3 UTF-16 units: a length of 2 ends inside the rocket (the total still matches).
    crate::batch::with_batch(|b| b.lens[..2].copy_from_slice(&[2, 2]));
    assert!(!enc.push_rows(n, text, n));
    assert_eq!(last_failure_code(), FailureCode::BadInput);
    assert_eq!(last_failure_index(), 0.0);
    assert_eq!(
        last_failure_detail(0),
        InputFault::SplitCharacter as u8 as f64
    );
    assert_eq!(enc.flush(), 0);
    // Lengths that run past the text refuse the datapoint whose path does, keeping those before it.
    crate::batch::with_batch(|b| b.lens[..2].copy_from_slice(&[3, 2]));
    assert!(!enc.push_rows(n, text, n));
    assert_eq!(
        last_failure_detail(0),
        InputFault::LengthsMismatch as u8 as f64
    );
    assert_eq!(last_failure_index(), 1.0);
    assert_eq!(
        output(enc.flush()).0,
        core_bytes(&points[..1], &Options::new())
    );
}

#[wasm_bindgen_test]
fn options_are_checked() {
    assert!(Encoder::create(1, -1, 1 << 20, 500, false, false, false).is_none());
    assert_eq!(last_failure_code(), FailureCode::InvalidOptions);
    assert!(create(2, "a..b", 500, true).is_none());
    assert_eq!(last_failure_code(), FailureCode::InvalidPrefix);
    assert!(Encoder::create(2, -1, 1 << 20, 0, false, false, true).is_none());
    assert_eq!(last_failure_code(), FailureCode::InvalidOptions);
}

#[wasm_bindgen_test]
fn a_stream_hands_out_full_frames_and_keeps_the_open_one() {
    let mut stream = Encoder::create(2, -1, 1 << 20, 2, false, false, true).unwrap();
    for &(p, t, v) in &POINTS[..3] {
        assert!(push_one(&mut stream, p, t, v));
    }
    assert!(!push_one(&mut stream, "a b", 1.0, 1.0));
    assert_eq!(last_failure_code(), FailureCode::InvalidPath);
    assert_eq!(stream.control(crate::Control::OpenPoints as u32), 1);
    let (first, counts) = output(stream.take());
    assert_eq!(counts, [2]);
    let (n, text) = write_batch(&POINTS[3..]);
    assert!(stream.push_rows(n, text, n));
    let (rest, counts) = output(stream.flush());
    assert_eq!(counts, [2, 1]);
    assert_eq!(
        [first, rest].concat(),
        core_bytes(&POINTS, &Options::new().with_max_points(2))
    );
}

/// `MetricSet.encode`: values for registered paths `paths` (named `RECENT | k` in the lengths), then the
/// frames.
fn encode(set: &mut Encoder, values: &[f64], ts: &[f64], paths: &[u32]) -> Option<usize> {
    batch_reserve(values.len().max(1), 0);
    crate::batch::with_batch(|b| {
        b.values[..values.len()].copy_from_slice(values);
        b.timestamps[..ts.len()].copy_from_slice(ts);
        for (entry, &k) in b.lens.iter_mut().zip(paths) {
            *entry = crate::recent::RECENT | k;
        }
    });
    let ok = set.push_rows(values.len(), 0, ts.len());
    let len = set.flush();
    ok.then_some(len)
}

#[wasm_bindgen_test]
fn a_metric_set_checks_paths_once_and_encodes_numbers() {
    let (n, text) = write_batch(&[
        ("a.x", 0.0, 0.0),
        ("b.y", 0.0, 0.0),
        ("c.z;b=1;a=2", 0.0, 0.0),
    ]);
    let mut set = batch_encoder(500);
    assert!(set.register(n, text));
    assert_eq!(set.paths_held(), 3);
    let want = [
        ("a.x", 10.0, 1.0),
        ("b.y", 10.0, 2.0),
        ("c.z;b=1;a=2", 10.0, 3.0),
    ];
    assert_eq!(
        output(encode(&mut set, &[1.0, 2.0, 3.0], &[10.0], &[0, 1, 2]).unwrap()).0,
        core_bytes(&want, &Options::new())
    );
    assert_eq!(
        output(encode(&mut set, &[7.0, 8.0], &[5.0, 6.0], &[2, 0]).unwrap()).0,
        core_bytes(
            &[("c.z;b=1;a=2", 5.0, 7.0), ("a.x", 6.0, 8.0)],
            &Options::new()
        )
    );
    assert_eq!(encode(&mut set, &[7.0, 1.0], &[5.0], &[0, 3]), None);
    assert_eq!(last_failure_code(), FailureCode::BadInput);
    assert_eq!(last_failure_index(), 1.0);
    assert_eq!(
        last_failure_detail(0),
        InputFault::UnknownIndex as u8 as f64
    );
    assert_eq!(set.paths_held(), 3, "a refusal keeps the registered paths");
    assert_eq!(encode(&mut set, &[f64::NAN], &[5.0], &[1]), None);
    assert_eq!(last_failure_code(), FailureCode::NonFiniteValue);
    assert_eq!(set.paths_held(), 3, "a refusal keeps the registered paths");

    let (n, text) = write_batch(&[("ok", 0.0, 0.0), ("bad path", 0.0, 0.0)]);
    assert!(!batch_encoder(500).register(n, text));
    assert_eq!(last_failure_code(), FailureCode::InvalidPath);
    assert_eq!(last_failure_index(), 1.0);
}

/// Lays out a batch whose entries name remembered paths (`Some(k)`) or carry their text, remembered or not.
fn write_recent_batch(points: &[(Option<u32>, &str, bool, f64, f64)]) -> (usize, usize) {
    use crate::recent::{RECENT, REMEMBER};
    let text: String = points
        .iter()
        .filter(|p| p.0.is_none())
        .map(|p| p.1)
        .collect();
    batch_reserve(points.len().max(1), text.len());
    crate::batch::with_batch(|b| {
        b.text[..text.len()].copy_from_slice(text.as_bytes());
        for (i, &(id, path, remember, ts, value)) in points.iter().enumerate() {
            let units = path.encode_utf16().count() as u32;
            b.lens[i] = match id {
                Some(k) => RECENT | k,
                None if remember => REMEMBER | units,
                None => units,
            };
            b.timestamps[i] = ts;
            b.values[i] = value;
        }
    });
    (points.len(), text.len())
}

/// Remembered paths give exactly the frames of the same paths as text; an unknown number is refused with
/// its datapoint, and a refused batch forgets every path.
#[wasm_bindgen_test]
fn recent_paths_are_the_same_frames() {
    let mut enc = batch_encoder(3);
    let first = [
        (None, "a.b", true, 1.0, 1.0),
        (None, "sensors.küche.temp", true, 2.0, 2.0),
        (Some(0), "a.b", false, 3.0, 3.0),
        (None, "once", false, 4.0, 4.0),
    ];
    let (n, text) = write_recent_batch(&first);
    assert!(enc.push_rows(n, text, n));
    assert_eq!(enc.paths_held(), 2);
    let plain: Vec<_> = first.iter().map(|p| (p.1, p.3, p.4)).collect();
    let opts = Options::new().with_max_points(3);
    assert_eq!(output(enc.flush()).0, core_bytes(&plain, &opts));

    let second = [
        (Some(1), "sensors.küche.temp", false, 5.0, 5.0),
        (Some(0), "a.b", false, 6.0, 6.0),
    ];
    let (n, text) = write_recent_batch(&second);
    assert!(enc.push_rows(n, text, n));
    let plain: Vec<_> = second.iter().map(|p| (p.1, p.3, p.4)).collect();
    assert_eq!(output(enc.flush()).0, core_bytes(&plain, &opts));

    let unknown = [
        (Some(0), "a.b", false, 7.0, 7.0),
        (Some(2), "?", false, 8.0, 8.0),
    ];
    let (n, text) = write_recent_batch(&unknown);
    assert!(!enc.push_rows(n, text, n));
    assert_eq!(last_failure_code(), FailureCode::BadInput);
    assert_eq!(last_failure_index(), 1.0);
    assert_eq!(
        last_failure_detail(0),
        InputFault::UnknownIndex as u8 as f64
    );
    assert_eq!(enc.paths_held(), 0, "a refused batch forgets");
    assert_eq!(
        output(enc.flush()).0,
        core_bytes(&[("a.b", 7.0, 7.0)], &opts)
    );
}

/// The failure the last call recorded: code, index and detail.
fn last_failure() -> (FailureCode, f64, Vec<f64>) {
    (
        last_failure_code(),
        last_failure_index(),
        (0..4).map(last_failure_detail).collect(),
    )
}

/// A path checked once when remembered is refused exactly as a one-off path is (same failure, same
/// frames before it), and a refused path is never remembered: the batch forgets every path.
#[wasm_bindgen_test]
fn a_refused_path_is_never_remembered() {
    let opts = Options::new().with_max_points(3);
    for bad in ["bad..path", "a b", "tags;=x", "x;a=~b"] {
        let mut plain = batch_encoder(3);
        let (n, text) = write_batch(&[("a.b", 1.0, 1.0), (bad, 2.0, 2.0), ("c.d", 3.0, 3.0)]);
        assert!(!plain.push_rows(n, text, n));
        let want = last_failure();
        assert_eq!(want.0, FailureCode::InvalidPath, "{bad}");
        assert_eq!(want.1, 1.0);
        let want_frames = output(plain.flush()).0;
        assert_eq!(want_frames, core_bytes(&[("a.b", 1.0, 1.0)], &opts));

        let mut enc = batch_encoder(3);
        let (n, text) = write_recent_batch(&[
            (None, "a.b", true, 1.0, 1.0),
            (None, bad, true, 2.0, 2.0),
            (None, "c.d", true, 3.0, 3.0),
        ]);
        assert!(!enc.push_rows(n, text, n));
        assert_eq!(last_failure(), want, "{bad} remembered");
        assert_eq!(enc.paths_held(), 0, "{bad}: nothing remembered");
        assert_eq!(output(enc.flush()).0, want_frames);

        // Numbered as if it had been remembered: it was not, so the number is unknown.
        let (n, text) = write_recent_batch(&[(Some(1), bad, false, 4.0, 4.0)]);
        assert!(!enc.push_rows(n, text, n));
        assert_eq!(last_failure_code(), FailureCode::BadInput);
        assert_eq!(
            last_failure_detail(0),
            InputFault::UnknownIndex as u8 as f64
        );
        assert_eq!(enc.flush(), 0);
    }
}

/// A remembered path whose datapoint is refused for its value is forgotten with the rest; the paths that
/// were remembered before a good batch are pushed again by number, without their text.
#[wasm_bindgen_test]
fn remembered_paths_are_pushed_by_number_until_a_refusal() {
    let mut enc = batch_encoder(500);
    let (n, text) = write_recent_batch(&[
        (None, "a.b", true, 1.0, 1.0),
        (None, "disk;rack=a1;dc=x", true, 2.0, 2.0),
    ]);
    assert!(enc.push_rows(n, text, n));
    assert_eq!(enc.paths_held(), 2);
    enc.flush();
    let (n, text) = write_recent_batch(&[
        (Some(1), "disk;rack=a1;dc=x", false, 3.0, 3.0),
        (Some(0), "a.b", false, 4.0, 4.0),
    ]);
    assert_eq!(text, 0);
    assert!(enc.push_rows(n, text, n));
    assert_eq!(
        output(enc.flush()).0,
        core_bytes(
            &[("disk;rack=a1;dc=x", 3.0, 3.0), ("a.b", 4.0, 4.0)],
            &Options::new()
        )
    );
    let (n, text) = write_recent_batch(&[
        (Some(0), "a.b", false, 5.0, 5.0),
        (None, "new.one", true, 6.0, f64::NAN),
    ]);
    assert!(!enc.push_rows(n, text, n));
    assert_eq!(last_failure_code(), FailureCode::NonFiniteValue);
    assert_eq!(last_failure_index(), 1.0);
    assert_eq!(enc.paths_held(), 0);
}

/// What a remembered or registered path costs besides its text, as `recent`'s cap and the README say: at
/// most 20 bytes for its check and 8 for its number (once a table has two blocks).
#[wasm_bindgen_test]
fn a_kept_path_costs_at_most_28_bytes_besides_its_text() {
    assert!(core::mem::size_of::<carbon_pickle::CheckedPath<'static>>() <= 20);
    assert_eq!(core::mem::size_of::<(u32, u32)>(), 8);
}
