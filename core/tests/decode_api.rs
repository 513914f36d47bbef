//! The decoder's API: round trips with the encoder, frames split across reads, workspace reuse, lazily
//! decoded paths, skipped elements, and the inspector's report.

use carbon_pickle::decode::{
    decode, inspect, inspect_with, split_frame, Decoder, ErrorKind, FrameReader, Point, SkipReason,
    Slot, Text, DEFAULT_SLOTS,
};
use carbon_pickle::{to_vec, Datapoint, Options, PathRules, Protocol};
use proptest::prelude::*;

fn path_strategy() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        "[a-z0-9_-]{1,12}",
        Just("café".to_string()),
        Just("温度".to_string()),
        Just("😀x".to_string()),
        Just("it's".to_string()),
        Just("ÿ".to_string()),
    ];
    prop::collection::vec(part, 1..5).prop_map(|v| v.join("."))
}

fn ts_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..u32::MAX).prop_map(f64::from),
        (0.0f64..4_294_967_295.0),
        Just(0.0),
        Just(2_147_483_648.0),
    ]
}

proptest! {
    /// Whatever the encoder writes, in either protocol and with a prefix, decodes to the same datapoints,
    /// bit for bit, from a stream of frames.
    #[test]
    fn encoder_output_round_trips(
        points in prop::collection::vec((path_strategy(), ts_strategy(), prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL), 0..60),
        v0 in any::<bool>(),
        prefix in prop::option::of(Just("KEY")),
        max_points in 1usize..20,
    ) {
        let dps: Vec<_> = points.iter().map(|(p, t, v)| Datapoint::new(p, *t, *v)).collect();
        let mut opts = Options::new()
            .with_protocol(if v0 { Protocol::V0 } else { Protocol::V2 })
            .with_max_points(max_points)
            .with_path_rules(PathRules::new().with_spaces(true));
        if let Some(p) = prefix {
            opts = opts.with_prefix(p);
        }
        let stream = to_vec(&dps, &opts).unwrap();
        let mut slots = [Slot::EMPTY; 32];
        let mut dec = Decoder::new(&mut slots);
        let mut rest = &stream[..];
        let mut got = Vec::new();
        while let Some((points, next)) = dec.decode_frame(rest).unwrap() {
            prop_assert!(points.points() <= max_points);
            for p in points {
                let p = p.unwrap();
                got.push((p.path.to_string(), p.timestamp.to_bits(), p.value.to_bits()));
            }
            rest = next;
        }
        prop_assert!(rest.is_empty());
        let want: Vec<_> = dps
            .iter()
            .map(|d| (prefix.map_or(d.path.to_string(), |p| format!("{p}.{}", d.path)), d.timestamp.to_bits(), d.value.to_bits()))
            .collect();
        prop_assert_eq!(got, want);
    }

    /// A stream fed to the frame reader in reads of any size gives the same frames as splitting it whole.
    #[test]
    fn frame_reader_any_read_size(sizes in prop::collection::vec(1usize..40, 1..50), n in 1u32..40) {
        let dps: Vec<_> = (0..n).map(|i| Datapoint::new("a.b", i, i)).collect();
        let stream = to_vec(&dps, &Options::new().with_max_points(3)).unwrap();
        let mut whole = Vec::new();
        let mut rest = &stream[..];
        while let Some((p, next)) = split_frame(rest, 1 << 20).unwrap() {
            whole.push(p.to_vec());
            rest = next;
        }
        let mut buf = [0u8; 256];
        let mut reader = FrameReader::new(&mut buf);
        let mut got = Vec::new();
        let mut data = &stream[..];
        let mut k = 0;
        while !data.is_empty() {
            let chunk = &data[..sizes[k % sizes.len()].min(data.len())];
            k += 1;
            let mut c = chunk;
            while !c.is_empty() {
                let used = reader.push(c).unwrap();
                c = &c[used..];
                if let Some(p) = reader.frame() {
                    got.push(p.to_vec());
                    reader.clear();
                }
            }
            data = &data[chunk.len()..];
        }
        prop_assert_eq!(reader.needed(), 4);
        prop_assert_eq!(got, whole);
    }
}

#[test]
fn memo_does_not_leak_between_frames() {
    let mut slots = vec![Slot::EMPTY; 64];
    let mut dec = Decoder::new(&mut slots);
    // Frame 1 memoizes a datapoint at index 3.
    let a = b"\x80\x02]q\x00(X\x03\x00\x00\x00a.bq\x01K\x01G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02\x86q\x03h\x03e.";
    assert_eq!(dec.decode(a).unwrap().points(), 2);
    // Frame 2 reads index 3 without setting it: refused, not the stale value.
    let b = b"\x80\x02]h\x03a.";
    assert_eq!(
        dec.decode(b).unwrap_err().kind,
        ErrorKind::MemoMissing { index: 3 }
    );
    // A refused frame that set memo entries does not leak either.
    let c = b"\x80\x02]q\x00K\x01q\x05\xff";
    assert_eq!(dec.decode(c).unwrap_err().kind, ErrorKind::UnknownOpcode);
    assert_eq!(
        dec.decode(b"\x80\x02]h\x05a.").unwrap_err().kind,
        ErrorKind::MemoMissing { index: 5 }
    );
    // And slots left dirty by a one-off `decode` call are cleared by the next.
    let mut s2 = [Slot::EMPTY; 16];
    decode(a, &mut s2).unwrap().for_each(drop);
    assert_eq!(
        decode(b, &mut s2).unwrap_err().kind,
        ErrorKind::MemoMissing { index: 3 }
    );
}

#[test]
fn escaped_paths_decode_lazily() {
    // CPython protocol 0 writes é as the Latin-1 byte 0xe9 and 温 as \u6e29.
    let payload = b"(lp0\n(Vcaf\xe9.\\u6e29\np1\n(I1\nI2\ntp2\ntp3\na.";
    let mut slots = [Slot::EMPTY; 16];
    let p: Point<'_> = decode(payload, &mut slots)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(p.path.as_str(), None);
    assert!(p.path.is_escaped());
    assert_eq!(p.path, "café.温");
    assert_eq!(p.path.to_string(), "café.温");
    assert_eq!(p.path.len_utf8(), "café.温".len());
    assert_eq!(format!("{:?}", p.path), "\"café.温\"");
    assert_eq!(p.as_datapoint(), None);
    let mut buf = [0u8; 32];
    assert_eq!(
        p.to_datapoint(&mut buf),
        Some(Datapoint::new("café.温", 1, 2))
    );
    let mut tiny = [0u8; 4];
    assert_eq!(p.to_datapoint(&mut tiny), None);
    // A plain path is borrowed from the frame, no copy.
    let plain = b"(l(S'a.b'\n(I1\nI2\ntta.";
    let q = decode(plain, &mut slots).unwrap().next().unwrap().unwrap();
    assert_eq!(q.path.as_str(), Some("a.b"));
    assert_eq!(q.path.raw().as_ptr(), plain[5..].as_ptr());
    assert_eq!(q.as_datapoint(), Some(Datapoint::new("a.b", 1, 2)));
    assert_eq!(Text::from("x"), Text::from("x"));
}

#[test]
fn skipped_elements_say_which_and_where() {
    let payload = b"(l(S'a'\n(NF1\ntta(S'b'\n(I1\nS'x'\ntta(S'c'\nta(S'd'\n(I1\nI2\ntta.";
    let mut slots = [Slot::EMPTY; 16];
    let items: Vec<_> = decode(payload, &mut slots).unwrap().collect();
    assert_eq!(items.len(), 4);
    let s0 = items[0].unwrap_err();
    assert_eq!(
        (s0.reason, s0.index, s0.offset),
        (SkipReason::BadTimestamp, 0, 15)
    );
    assert_eq!(items[1].unwrap_err().reason, SkipReason::BadValue);
    assert_eq!(items[2].unwrap_err().reason, SkipReason::NotADatapoint);
    assert_eq!(items[3].unwrap().path, "d");
    assert!(items[0]
        .unwrap_err()
        .to_string()
        .contains("element 0 skipped: timestamp is not a number"));
}

#[test]
fn default_workspace_fits_a_relay_frame_with_string_values() {
    // CPython memoizes path, value string, inner and outer tuple: 4 entries per point, plus the list.
    let mut payload = b"\x80\x02]q\x00(".to_vec();
    let mut memo = 1u32;
    let mut put = |p: &mut Vec<u8>| {
        p.push(b'r');
        p.extend_from_slice(&memo.to_le_bytes());
        memo += 1;
    };
    for i in 0..500 {
        let path = format!("m.{i}");
        payload.push(b'X');
        payload.extend_from_slice(&(path.len() as u32).to_le_bytes());
        payload.extend_from_slice(path.as_bytes());
        put(&mut payload);
        payload.extend_from_slice(b"J\x00\xf1Se");
        payload.extend_from_slice(b"X\x03\x00\x00\x001.5");
        put(&mut payload);
        payload.push(0x86);
        put(&mut payload);
        payload.push(0x86);
        put(&mut payload);
    }
    payload.extend_from_slice(b"e.");
    let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
    let points = decode(&payload, &mut slots).unwrap();
    assert_eq!((points.points(), points.skipped()), (500, 0));
}

#[test]
fn inspector_reports_refusals_and_bare_pickles() {
    let mut out = String::new();
    let s = inspect(b"\x80\x02]cos\nsystem\n.", &mut out).unwrap();
    assert_eq!((s.frames, s.refused), (1, 1));
    assert!(
        out.starts_with("no length header: one bare pickle payload of 15 bytes\n"),
        "{out}"
    );
    assert!(
        out.contains("    3: c    GLOBAL     'os system'\n"),
        "{out}"
    );
    assert!(out.contains("refused: refused like carbon's safe unpickler: global lookup at byte 3 (opcode 0x63 GLOBAL)"), "{out}");

    // Two frames back to back, the second truncated.
    let stream = to_vec(
        &[Datapoint::new("a", 1, 2), Datapoint::new("b", 3, 4)],
        &Options::new().with_max_points(1),
    )
    .unwrap();
    let mut out = String::new();
    let mut slots = [Slot::EMPTY; 8];
    let s = inspect_with(&stream[..stream.len() - 1], &mut out, &mut slots, 1 << 20).unwrap();
    assert_eq!((s.frames, s.points, s.refused), (2, 1, 1));
    assert!(out.contains("frame 1 at byte 0: 28 payload bytes"), "{out}");
    assert!(out.contains("  'a' 1.0 2.0\n"), "{out}");
    assert!(
        out.contains("frame 2 at byte 32: truncated: header declares 28 payload bytes, 27 present"),
        "{out}"
    );

    // A listing that stops at a bad opcode says where.
    let mut out = String::new();
    inspect(b"\x00\x00\x00\x03\x80\x02\xff", &mut out).unwrap();
    assert!(
        out.contains("    2: error: unknown opcode at byte 2 (opcode 0xff ?)"),
        "{out}"
    );
}
