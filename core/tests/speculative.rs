//! In-place sinks (`&mut [u8]`, `heapless::Vec`, `Vec`) write a tagged path or protocol 0 speculatively,
//! piece by piece, and truncate back when a piece would pass the frame's end (issue 22). These tests hold
//! them to a sink that keeps its bytes but is not in place, for which the encoder measures the exact length
//! first and writes nothing unless it fits: every push must give the same result (the same error, in the
//! same order of checks) and leave the same bytes, for every buffer size and limit.

use carbon_pickle::{
    CheckedPath, Datapoint, Error, FrameEncoder, Options, Protocol, Refused, Sink, SinkFull,
    SliceSink, Storage,
};
use proptest::prelude::*;

/// Keeps bytes in a `Vec` up to `cap`, written piece by piece (`IN_PLACE` is false): the reference.
struct Measured {
    bytes: Vec<u8>,
    cap: usize,
}

impl Sink for Measured {
    fn len(&self) -> usize {
        self.bytes.len()
    }
    fn remaining(&self) -> usize {
        self.cap - self.bytes.len()
    }
    fn try_extend(&mut self, bytes: &[u8]) -> Result<(), SinkFull> {
        if bytes.len() > self.remaining() {
            return Err(SinkFull);
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.bytes[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
    }
}

impl Storage for Measured {
    fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn point() -> impl Strategy<Value = (String, f64, f64)> {
    let path = prop_oneof![
        3 => "[a-z]{1,12}(\\.[a-z0-9]{1,30}){0,4}",
        2 => "[a-z]{1,8};[a-c]{1,2}=[a-z0-9é]{1,12}(;[a-c]{1,2}=[a-z0-9]{1,20}){0,3}",
        1 => "[a-zé]{1,6}(\\.[a-zß]{1,40}){0,3}",
        1 => prop_oneof![Just("a..b".to_owned()), Just("a;k".to_owned()), Just("x".repeat(300))],
    ];
    let timestamp = prop_oneof![
        (0u32..=u32::MAX).prop_map(f64::from),
        0.0..4_294_967_296.0f64,
        Just(f64::NAN),
    ];
    let value = prop_oneof![any::<f64>(), (-1000i32..1000).prop_map(f64::from)];
    (path, timestamp, value)
}

/// Pushes `points` into `enc` and into the reference `reference`; every result and the bytes after every
/// push must agree. Returns how many were refused.
fn same_as_measured<S: Storage>(
    enc: &mut FrameEncoder<'_, S>,
    reference: &mut FrameEncoder<'_, Measured>,
    points: &[(String, f64, f64)],
) -> Result<usize, TestCaseError> {
    let mut refused = 0;
    for (path, ts, value) in points {
        let dp = Datapoint::new(path, *ts, *value);
        let before = enc.pending_bytes().to_vec();
        let got: Result<(), Error> = enc.push(&dp);
        let want = reference.push(&dp);
        prop_assert_eq!(got, want, "push of {:?}", dp);
        prop_assert_eq!(enc.pending_bytes(), reference.pending_bytes());
        if got.is_err() {
            refused += 1;
            prop_assert_eq!(
                enc.pending_bytes(),
                &before[..],
                "a refusal changed the frame"
            );
        }
    }
    Ok(refused)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The buffer binds: a `&mut [u8]` of `buf_len` bytes against the reference with the same room.
    #[test]
    fn slice_sink_equals_measured(
        points in proptest::collection::vec(point(), 1..40),
        v0 in any::<bool>(),
        prefix in proptest::option::of("[a-z]{1,10}"),
        buf_len in 10usize..1_500,
    ) {
        let mut opts = Options::new().with_protocol(if v0 { Protocol::V0 } else { Protocol::V2 });
        if let Some(p) = &prefix {
            opts = opts.with_prefix(p);
        }
        let mut buf = vec![0u8; buf_len];
        let mine = FrameEncoder::new(SliceSink::new(&mut buf), opts);
        let theirs = FrameEncoder::new(Measured { bytes: Vec::new(), cap: buf_len }, opts);
        let (Ok(mut mine), Ok(mut theirs)) = (mine, theirs) else {
            return Ok(());
        };
        same_as_measured(&mut mine, &mut theirs, &points)?;
        let reference = theirs.finish();
        prop_assert_eq!(mine.finish().into_written(), reference.bytes());
    }

    /// The frame's limits bind (payload bytes, datapoints): `heapless::Vec` and `Vec`, which are in place
    /// too, against the reference.
    #[test]
    fn heapless_and_vec_equal_measured(
        points in proptest::collection::vec(point(), 1..40),
        v0 in any::<bool>(),
        max_bytes in 20usize..1_500,
        max_points in 1usize..30,
    ) {
        let opts = Options::new()
            .with_protocol(if v0 { Protocol::V0 } else { Protocol::V2 })
            .with_max_bytes(max_bytes)
            .with_max_points(max_points);
        let reference = || FrameEncoder::new(Measured { bytes: Vec::new(), cap: 1 << 20 }, opts).unwrap();
        let mut theirs = reference();
        let mut heapless = FrameEncoder::new(heapless::Vec::<u8, 2048>::new(), opts).unwrap();
        same_as_measured(&mut heapless, &mut theirs, &points)?;
        let mut theirs = reference();
        let mut vec = FrameEncoder::new(Vec::new(), opts).unwrap();
        same_as_measured(&mut vec, &mut theirs, &points)?;
        prop_assert_eq!(vec.finish(), theirs.finish().bytes);
    }
}

/// A tagged path and protocol 0 refused for room mid-frame, in each in-place sink: the same error as the
/// reference and the frame unchanged (written speculatively, then truncated back).
#[test]
fn speculative_refusals_leave_the_frame() {
    for protocol in [Protocol::V2, Protocol::V0] {
        let opts = Options::new().with_protocol(protocol);
        let first = Datapoint::new("a.b", 1_700_000_000, 1.5);
        let big = format!("cpu;host={};dc=d1", "h".repeat(60));
        let second = Datapoint::new(&big, 1_700_000_000.25, 2.0);
        for room in 40..140 {
            let mut buf = vec![0u8; room];
            let Ok(mut mine) = FrameEncoder::new(SliceSink::new(&mut buf), opts) else {
                continue;
            };
            let mut theirs = FrameEncoder::new(
                Measured {
                    bytes: Vec::new(),
                    cap: room,
                },
                opts,
            )
            .unwrap();
            for dp in [&first, &second] {
                let before = mine.pending_bytes().to_vec();
                let got = mine.push(dp);
                assert_eq!(got, theirs.push(dp), "{protocol:?}, {room} bytes");
                assert_eq!(mine.pending_bytes(), theirs.pending_bytes());
                if got.is_err() {
                    assert_eq!(mine.pending_bytes(), &before[..]);
                }
            }
        }
    }
}

/// `extend_checked` writes a run into the sink's spare room and takes it in at the end: it must give the
/// same bytes as `push_checked` one by one, and stop where that refuses with the same error and the
/// datapoints before it kept, for every sink, buffer size, limit, prefix and protocol.
fn run_equals_one_by_one<S: Storage, T: Storage>(
    mut run: FrameEncoder<'_, S>,
    mut one_by_one: FrameEncoder<'_, T>,
    points: &[(String, f64, f64)],
) -> Result<(), TestCaseError> {
    let rules = run.options().path_rules();
    let checked: Vec<_> = points
        .iter()
        .filter_map(|(p, t, v)| CheckedPath::new(p, rules).ok().map(|c| (c, *t, *v)))
        .collect();
    let mut want = Ok(checked.len());
    for (i, &(path, t, v)) in checked.iter().enumerate() {
        if let Err(error) = one_by_one.push_checked(path, t, v) {
            want = Err(Refused { pushed: i, error });
            break;
        }
    }
    prop_assert_eq!(run.extend_checked(checked.iter().copied()), want);
    prop_assert_eq!(run.points(), one_by_one.points());
    prop_assert_eq!(run.pending_bytes(), one_by_one.pending_bytes());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn extend_checked_equals_push_checked(
        points in proptest::collection::vec(point(), 1..60),
        v0 in any::<bool>(),
        prefix in proptest::option::of("[a-z]{1,10}"),
        buf_len in 10usize..2_500,
        max_bytes in 20usize..2_500,
        max_points in 1usize..70,
    ) {
        let mut opts = Options::new()
            .with_protocol(if v0 { Protocol::V0 } else { Protocol::V2 })
            .with_max_bytes(max_bytes)
            .with_max_points(max_points);
        if let Some(p) = &prefix {
            opts = opts.with_prefix(p);
        }
        let reference = || FrameEncoder::new(Measured { bytes: Vec::new(), cap: buf_len }, opts);
        let (mut a, mut b) = (vec![0u8; buf_len], vec![0u8; buf_len]);
        if let (Ok(run), Ok(one)) = (
            FrameEncoder::new(SliceSink::new(&mut a), opts),
            FrameEncoder::new(SliceSink::new(&mut b), opts),
        ) {
            run_equals_one_by_one(run, one, &points)?;
            let Ok(theirs) = reference() else { return Ok(()) };
            run_equals_one_by_one(FrameEncoder::new(SliceSink::new(&mut a[..]), opts).unwrap(), theirs, &points)?;
        }
        let heapless = FrameEncoder::new(heapless::Vec::<u8, 2048>::new(), opts);
        let vec = FrameEncoder::new(Vec::new(), opts).unwrap();
        if let Ok(heapless) = heapless {
            run_equals_one_by_one(heapless, FrameEncoder::new(Vec::new(), opts).unwrap(), &points)?;
        }
        run_equals_one_by_one(vec, FrameEncoder::new(Measured { bytes: Vec::new(), cap: 1 << 20 }, opts).unwrap(), &points)?;
    }
}

/// A run in a slice whose room ends mid-run: the run stops exactly where `push_checked` would, at every
/// room, and a second run after `take_frame` goes on from the refused datapoint: the frames are those of
/// `push_checked` one by one, taking a frame whenever it is full.
#[test]
fn extend_checked_resumes_after_a_full_frame() {
    let opts = Options::new();
    let names: Vec<String> = (0..40).map(|i| format!("servers.host{i:02}.cpu")).collect();
    let points: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let path = CheckedPath::new(n, opts.path_rules()).unwrap();
            (path, 1_700_000_000.0 + i as f64 * 0.5, 0.5)
        })
        .collect();
    for room in 56..400 {
        let (mut a, mut b) = (vec![0u8; room], vec![0u8; room]);
        let mut run = FrameEncoder::new(SliceSink::new(&mut a), opts).unwrap();
        let (mut at, mut got) = (0, Vec::new());
        while at < points.len() {
            match run.extend_checked(points[at..].iter().copied()) {
                Ok(n) => at += n,
                Err(r) => {
                    assert!(r.error.is_frame_full(), "{room}: {r}");
                    assert!(r.pushed > 0 || !run.is_empty(), "{room}: fits no frame");
                    at += r.pushed;
                }
            }
            got.push(run.take_frame(|f| f.to_vec()));
        }
        let mut one = FrameEncoder::new(SliceSink::new(&mut b), opts).unwrap();
        let mut want = Vec::new();
        for &(path, t, v) in &points {
            if let Err(e) = one.push_checked(path, t, v) {
                assert!(e.is_frame_full());
                want.push(one.take_frame(|f| f.to_vec()));
                one.push_checked(path, t, v).unwrap();
            }
        }
        want.push(one.take_frame(|f| f.to_vec()));
        assert_eq!(got, want, "{room} bytes");
    }
}
