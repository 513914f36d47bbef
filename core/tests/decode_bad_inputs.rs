//! One test per row of the README's "Bad inputs" table: every bad input tried, with what the encoder and the decoder do.
//!
//! The CPython bytes below were made with `pickle.dumps` (Python 3.11); what carbon does with each is in the
//! table and, for the unpickling part, checked on a large corpus by decode_differential.rs.

use carbon_pickle::decode::{
    decode, inspect, split_frame, DecodeError, Decoder, ErrorKind, FrameReader, Refusal,
    SkipReason, Slot, Summary, Unsupported, DEFAULT_SLOTS, MAX_LISTING_PER_INPUT_BYTE, MAX_MARKS,
};
use carbon_pickle::{to_slice, Datapoint, Error, Options, PathError, Protocol, CARBON_MAX_PAYLOAD};

type Points = Vec<(String, f64, f64)>;

/// Decodes a bare payload: the datapoints, or the refusal.
fn dec(payload: &[u8]) -> Result<Points, DecodeError> {
    let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
    let points = decode(payload, &mut slots)?;
    Ok(points
        .flatten()
        .map(|p| (p.path.to_string(), p.timestamp, p.value))
        .collect())
}

/// The refusal of a payload: kind, offset, opcode.
fn refusal(payload: &[u8]) -> (ErrorKind, usize, Option<u8>) {
    let e = dec(payload).expect_err("must be refused");
    (e.kind, e.offset, e.opcode)
}

/// The skip reasons of a payload's elements.
fn skips(payload: &[u8]) -> Vec<SkipReason> {
    let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
    decode(payload, &mut slots)
        .unwrap()
        .filter_map(|r| r.err().map(|s| s.reason))
        .collect()
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

fn encode(dp: Datapoint<'_>) -> Result<Vec<u8>, Error> {
    let mut buf = [0u8; 4096];
    to_slice(&[dp], &mut buf, &Options::new()).map(|f| f.to_vec())
}

fn p(path: &str, ts: f64, v: f64) -> (String, f64, f64) {
    (path.to_string(), ts, v)
}

// ---- Rows from RECEIVERS.md: what must never be emitted ----

#[test]
fn negative_binint_timestamp() {
    // serde-pickle and CPython write -15 as BININT; go-carbon reads it as 4294967281.
    assert_eq!(
        dec(b"\x80\x02]q\x00(X\x01\x00\x00\x00aJ\xf1\xff\xff\xffG?\xf0\x00\x00\x00\x00\x00\x00\x86\x86e.").unwrap(),
        [p("a", -15.0, 1.0)]
    );
    assert_eq!(
        encode(Datapoint::new("a", -15, 1)),
        Err(Error::TimestampOutOfRange)
    );
}

#[test]
fn long4_integer() {
    // LONG4 holding 1234 (4 bytes), as a value.
    assert_eq!(
        dec(b"\x80\x02](X\x01\x00\x00\x00aK\x01\x8b\x04\x00\x00\x00\xd2\x04\x00\x00\x86\x86e.")
            .unwrap(),
        [p("a", 1.0, 1234.0)]
    );
    // The encoder writes every value as BINFLOAT, never LONG4.
    assert!(!encode(Datapoint::new("a", 1, 1234))
        .unwrap()
        .contains(&0x8b));
}

#[test]
fn bytes_path_refused() {
    // pickle.dumps([(b'a.b', (1, 2.0))], protocol=3): SHORT_BINBYTES.
    assert_eq!(
        refusal(
            b"\x80\x03]q\x00C\x03a.bq\x01K\x01G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02\x86q\x03a."
        ),
        (ErrorKind::Refused(Refusal::Bytes), 5, Some(b'C'))
    );
    for op in [b'B', 0x8e, 0x96] {
        let mut p = b"\x80\x03]".to_vec();
        p.push(op);
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(b"a.");
        assert_eq!(
            refusal(&p).0,
            ErrorKind::Refused(Refusal::Bytes),
            "opcode {op:#x}"
        );
    }
}

#[test]
fn global_and_reduce_refused() {
    // pickle.dumps(os.system) style payload: GLOBAL 'os system', then REDUCE.
    assert_eq!(
        refusal(b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."),
        (ErrorKind::Refused(Refusal::Global), 2, Some(b'c'))
    );
    assert_eq!(
        refusal(b"\x80\x04\x8c\x02os\x8c\x06system\x93.").0,
        ErrorKind::Refused(Refusal::Global)
    );
    assert_eq!(refusal(b"]N)R.").0, ErrorKind::Refused(Refusal::Object));
    assert_eq!(
        refusal(b"](ios\nsystem\n.").0,
        ErrorKind::Refused(Refusal::Global)
    );
    assert_eq!(
        refusal(b"]}b.").0,
        ErrorKind::Unsupported(Unsupported::DictOrSet)
    );
    assert_eq!(refusal(b"]N)\x81.").0, ErrorKind::Refused(Refusal::Object));
}

#[test]
fn persistent_id_refused() {
    assert_eq!(
        refusal(b"(lPfoo\na."),
        (ErrorKind::Refused(Refusal::PersistentId), 2, Some(b'P'))
    );
    assert_eq!(
        refusal(b"]N\x51a.").0,
        ErrorKind::Refused(Refusal::PersistentId)
    );
}

#[test]
fn extension_refused() {
    assert_eq!(
        refusal(b"\x80\x02]\x82\x01a."),
        (ErrorKind::Refused(Refusal::Extension), 3, Some(0x82))
    );
    assert_eq!(
        refusal(b"\x80\x02]\x83\x01\x00a.").0,
        ErrorKind::Refused(Refusal::Extension)
    );
    assert_eq!(
        refusal(b"\x80\x02]\x84\x01\x00\x00\x00a.").0,
        ErrorKind::Refused(Refusal::Extension)
    );
}

#[test]
fn out_of_band_buffer_refused() {
    assert_eq!(
        refusal(b"\x80\x05]\x97a.").0,
        ErrorKind::Refused(Refusal::OutOfBand)
    );
    assert_eq!(
        refusal(b"\x80\x05]\x98a.").0,
        ErrorKind::Refused(Refusal::OutOfBand)
    );
}

#[test]
fn cpython_protocols_0_to_5() {
    // pickle.dumps([('a.b', (1700000000, 1.5)), ('c', (1, 2))], protocol=N)
    let frames: [&[u8]; 6] = [
        b"(lp0\n(Va.b\np1\n(I1700000000\nF1.5\ntp2\ntp3\na(Vc\np4\n(I1\nI2\ntp5\ntp6\na.",
        b"]q\x00((X\x03\x00\x00\x00a.bq\x01(J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00tq\x02tq\x03(X\x01\x00\x00\x00cq\x04(K\x01K\x02tq\x05tq\x06e.",
        b"\x80\x02]q\x00(X\x03\x00\x00\x00a.bq\x01J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86q\x02\x86q\x03X\x01\x00\x00\x00cq\x04K\x01K\x02\x86q\x05\x86q\x06e.",
        b"\x80\x03]q\x00(X\x03\x00\x00\x00a.bq\x01J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86q\x02\x86q\x03X\x01\x00\x00\x00cq\x04K\x01K\x02\x86q\x05\x86q\x06e.",
        b"\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x03a.b\x94J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x94\x86\x94\x8c\x01c\x94K\x01K\x02\x86\x94\x86\x94e.",
        b"\x80\x05\x95)\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x03a.b\x94J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x94\x86\x94\x8c\x01c\x94K\x01K\x02\x86\x94\x86\x94e.",
    ];
    for (proto, f) in frames.iter().enumerate() {
        assert_eq!(
            dec(f).unwrap(),
            [p("a.b", 1.7e9, 1.5), p("c", 1.0, 2.0)],
            "protocol {proto}"
        );
    }
    // The encoder only ever writes protocol 2 (or 0), starting PROTO 2, EMPTY_LIST as carbon-relay-ng wants.
    assert_eq!(
        &encode(Datapoint::new("a", 1, 2)).unwrap()[4..7],
        b"\x80\x02]"
    );
}

#[test]
fn protocol_over_5_refused() {
    assert_eq!(
        refusal(b"\x80\x06]."),
        (ErrorKind::UnsupportedProtocol(6), 0, Some(0x80))
    );
}

#[test]
fn two_pairs_per_path_skipped() {
    // (path, (ts, v), (ts, v)): carbon cannot unpack it and skips it.
    let payload = b"\x80\x02](X\x01\x00\x00\x00aK\x01K\x02\x86K\x03K\x04\x86\x87X\x01\x00\x00\x00bK\x01K\x02\x86\x86e.";
    assert_eq!(skips(payload), [SkipReason::NotADatapoint]);
    assert_eq!(dec(payload).unwrap(), [p("b", 1.0, 2.0)]);
}

#[test]
fn nan_and_infinite_values() {
    let nan = dec(b"\x80\x02](X\x01\x00\x00\x00aK\x01G\x7f\xf8\x00\x00\x00\x00\x00\x00\x86\x86e.")
        .unwrap();
    assert!(nan[0].2.is_nan());
    let inf = dec(b"(l(S'a'\n(L1L\nS'-inf'\ntta.").unwrap();
    assert_eq!(inf[0].2, f64::NEG_INFINITY);
    assert_eq!(
        encode(Datapoint::new("a", 1, f64::NAN)),
        Err(Error::NonFiniteValue)
    );
    assert_eq!(
        encode(Datapoint::new("a", 1, f64::INFINITY)),
        Err(Error::NonFiniteValue)
    );
}

#[test]
fn nan_or_infinite_timestamp() {
    let got = dec(b"(l(S'a'\n(Finf\nF1.0\ntta.").unwrap();
    assert_eq!(got[0].1, f64::INFINITY);
    // The decoder reports what float() gives; Datapoint::validate says carbon would drop the connection.
    let dp = Datapoint::new("a", got[0].1, got[0].2);
    assert_eq!(
        dp.validate(Default::default()),
        Err(Error::NonFiniteTimestamp)
    );
    assert_eq!(
        encode(Datapoint::new("a", f64::NAN, 1)),
        Err(Error::NonFiniteTimestamp)
    );
}

#[test]
fn integer_too_large_for_float() {
    // pickle.dumps([('a', (1, 2**1100))], protocol=2): carbon's float() raises OverflowError and the
    // connection is dropped; the decoder refuses the frame, at the appending opcode.
    let mut payload = b"\x80\x02]X\x01\x00\x00\x00aK\x01\x8a\x8a".to_vec();
    payload.extend_from_slice(&[0u8; 137]);
    payload.push(0x10);
    payload.extend_from_slice(b"\x86\x86a.");
    let (kind, offset, op) = refusal(&payload);
    assert_eq!((kind, op), (ErrorKind::IntOverflow, Some(b'a')));
    assert_eq!(offset, payload.len() - 2);
    // Just below: 2**1000 decodes exactly.
    let mut ok = b"\x80\x02]X\x01\x00\x00\x00aK\x01\x8a\x7e".to_vec();
    ok.extend_from_slice(&[0u8; 125]);
    ok.push(0x01);
    ok.extend_from_slice(b"\x86\x86a.");
    assert_eq!(dec(&ok).unwrap(), [p("a", 1.0, 2f64.powi(1000))]);
}

#[test]
fn timestamp_minus_one_and_out_of_range() {
    assert_eq!(
        dec(b"(l(S'a'\n(I-1\nF2\ntta.").unwrap(),
        [p("a", -1.0, 2.0)]
    );
    assert_eq!(
        dec(b"(l(S'a'\n(L4294967296L\nF2\ntta.").unwrap(),
        [p("a", 4294967296.0, 2.0)]
    );
    assert_eq!(
        encode(Datapoint::new("a", -1, 2)),
        Err(Error::TimestampOutOfRange)
    );
    assert_eq!(
        encode(Datapoint::new("a", 4294967296.0, 2)),
        Err(Error::TimestampOutOfRange)
    );
}

#[test]
fn fractional_timestamp() {
    assert_eq!(
        dec(b"(l(S'a'\n(F1.5\nF2\ntta.").unwrap(),
        [p("a", 1.5, 2.0)]
    );
    let frame = encode(Datapoint::new("a", 1.5, 2)).unwrap();
    assert_eq!(dec(&frame[4..]).unwrap(), [p("a", 1.5, 2.0)]);
}

#[test]
fn string_values_as_dropwizard_sends_them() {
    // Dropwizard PickledGraphite: protocol 0, value as a quoted string; carbon applies float().
    let payload = b"(l(S'a.b'\n(L1700000000L\nS'1.5'\ntta(S'a.c'\n(L1L\nS' 1_000 '\ntta(S'a.d'\n(L1L\nS'n/a'\ntta.";
    assert_eq!(
        dec(payload).unwrap(),
        [p("a.b", 1.7e9, 1.5), p("a.c", 1.0, 1000.0)]
    );
    assert_eq!(skips(payload), [SkipReason::BadValue]);
}

#[test]
fn component_over_255_bytes() {
    let long = "x".repeat(300);
    let payload = format!("(l(V{long}\n(I1\nI2\ntta.");
    assert_eq!(dec(payload.as_bytes()).unwrap(), [p(&long, 1.0, 2.0)]);
    assert!(matches!(
        encode(Datapoint::new(&long, 1, 2)),
        Err(Error::InvalidPath(PathError::ComponentTooLong {
            at: 0,
            len: 300,
            ..
        }))
    ));
}

#[test]
fn slash_space_and_empty_components() {
    let payload =
        b"(l(S'a/b'\n(I1\nI2\ntta(S'a b'\n(I1\nI2\ntta(S'a..b'\n(I1\nI2\ntta(S''\n(I1\nI2\ntta.";
    let got: Vec<String> = dec(payload).unwrap().into_iter().map(|p| p.0).collect();
    assert_eq!(got, ["a/b", "a b", "a..b", ""]);
    assert_eq!(
        encode(Datapoint::new("a/b", 1, 2)),
        Err(Error::InvalidPath(PathError::InvalidChar {
            at: 1,
            ch: '/'
        }))
    );
    assert_eq!(
        encode(Datapoint::new("a b", 1, 2)),
        Err(Error::InvalidPath(PathError::InvalidChar {
            at: 1,
            ch: ' '
        }))
    );
    assert_eq!(
        encode(Datapoint::new("a..b", 1, 2)),
        Err(Error::InvalidPath(PathError::EmptyComponent { at: 2 }))
    );
    assert_eq!(
        encode(Datapoint::new("", 1, 2)),
        Err(Error::InvalidPath(PathError::Empty))
    );
}

#[test]
fn non_ascii_paths_every_form() {
    // BINUNICODE (UTF-8), V with a Latin-1 byte and \u escapes (CPython protocol 0), S with \x escapes
    // (Python 2 senders), SHORT_BINSTRING (Python 2 relay) all give the same path.
    let forms: [&[u8]; 4] = [
        b"\x80\x02]X\x09\x00\x00\x00caf\xc3\xa9.\xe6\xb8\xa9K\x01K\x02\x86\x86a.",
        b"(l(Vcaf\xe9.\\u6e29\n(I1\nI2\ntta.",
        b"(l(S'caf\\xc3\\xa9.\\xe6\\xb8\\xa9'\n(I1\nI2\ntta.",
        b"\x80\x02]U\x09caf\xc3\xa9.\xe6\xb8\xa9K\x01K\x02\x86\x86a.",
    ];
    for f in forms {
        assert_eq!(dec(f).unwrap(), [p("café.温", 1.0, 2.0)], "{f:?}");
    }
    assert!(encode(Datapoint::new("café.温", 1, 2)).is_ok());
}

#[test]
fn invalid_utf8_string() {
    assert_eq!(
        refusal(b"\x80\x02]X\x02\x00\x00\x00\xff\xfeK\x01K\x02\x86\x86a."),
        (ErrorKind::InvalidUtf8, 3, Some(b'X'))
    );
    assert_eq!(
        refusal(b"(l(S'\\xff'\n(I1\nI2\ntta.").0,
        ErrorKind::InvalidUtf8
    );
}

#[test]
fn lone_surrogate() {
    // CPython keeps '\ud800' in a str; a Rust str cannot hold it.
    assert_eq!(
        refusal(b"(l(V\\ud800\n(I1\nI2\ntta."),
        (
            ErrorKind::Unsupported(Unsupported::Surrogate),
            3,
            Some(b'V')
        )
    );
    assert_eq!(
        refusal(b"\x80\x02]X\x03\x00\x00\x00\xed\xa0\x80K\x01K\x02\x86\x86a.").0,
        ErrorKind::Unsupported(Unsupported::Surrogate)
    );
}

#[test]
fn bad_string_literals() {
    assert_eq!(
        refusal(b"(l(Sabc\n(I1\nI2\ntta."),
        (ErrorKind::BadString, 3, Some(b'S'))
    );
    assert_eq!(
        refusal(b"(l(S'a\\x4'\n(I1\nI2\ntta.").0,
        ErrorKind::BadString
    );
    assert_eq!(
        refusal(b"(l(V\\u12\n(I1\nI2\ntta.").0,
        ErrorKind::BadUnicodeEscape
    );
    assert_eq!(
        refusal(b"\x80\x02]T\xff\xff\xff\xff.").0,
        ErrorKind::NegativeLength
    );
}

#[test]
fn statsd_wrong_header_for_non_ascii() {
    // statsd counts characters, not bytes, in its length header: a path with one 2-byte character makes the
    // header one byte short, so the frame ends before its STOP.
    let payload = "(l(S'caf\u{e9}'\n(L1L\nS'2'\ntta.".as_bytes().to_vec();
    let chars = String::from_utf8(payload.clone()).unwrap().chars().count();
    let mut stream = (chars as u32).to_be_bytes().to_vec();
    stream.extend_from_slice(&payload);
    let mut slots = vec![Slot::EMPTY; 64];
    let mut dec = Decoder::new(&mut slots);
    let e = dec.decode_frame(&stream).expect_err("short frame");
    assert_eq!(e.kind, ErrorKind::Truncated);
    // The byte left over is then read as the start of the next frame's header.
    let (_, rest) = split_frame(&stream, CARBON_MAX_PAYLOAD).unwrap().unwrap();
    assert_eq!(rest, b".");
}

// ---- Framing ----

#[test]
fn payload_exactly_at_the_cap() {
    let mut buf = vec![0u8; CARBON_MAX_PAYLOAD + 4];
    let mut r = FrameReader::new(&mut buf);
    assert_eq!(r.push(&(CARBON_MAX_PAYLOAD as u32).to_be_bytes()), Ok(4));
    let mut r2buf = [0u8; 8];
    let mut r2 = FrameReader::new(&mut r2buf).with_max_payload(CARBON_MAX_PAYLOAD);
    assert_eq!(r2.max_payload(), 4, "the cap never exceeds the buffer");
    let _ = &mut r2;
    let over = ((CARBON_MAX_PAYLOAD + 1) as u32).to_be_bytes();
    let e = split_frame(&over, CARBON_MAX_PAYLOAD).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::FrameTooLarge {
            len: CARBON_MAX_PAYLOAD as u32 + 1,
            max: CARBON_MAX_PAYLOAD
        }
    );
    // The encoder never builds a payload over its max_bytes (carbon's cap by default).
    let big = "x".repeat(200);
    let pts: Vec<_> = (0..6000).map(|i| Datapoint::new(&big, i, 1)).collect();
    let mut out = vec![0u8; 2 * CARBON_MAX_PAYLOAD];
    let e = to_slice(&pts, &mut out, &Options::new().with_max_points(100_000)).unwrap_err();
    assert_eq!(
        e,
        Error::FrameFull {
            max_bytes: CARBON_MAX_PAYLOAD
        }
    );
}

#[test]
fn oversized_declared_length() {
    let mut buf = [0u8; 64];
    let mut r = FrameReader::new(&mut buf);
    let e = r.push(b"\xff\xff\xff\xff\x80\x02").unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::FrameTooLarge {
            len: u32::MAX,
            max: 60
        }
    );
    assert_eq!(
        r.push(b"more"),
        Err(e),
        "no resynchronisation after an oversized header"
    );
    r.reset();
    assert_eq!(r.push(b"\x00\x00\x00\x01."), Ok(5));
    assert_eq!(r.frame(), Some(&b"."[..]));
}

#[test]
fn malformed_header() {
    // Fewer than 4 bytes: not a frame yet.
    assert_eq!(split_frame(b"\x00\x00\x01", CARBON_MAX_PAYLOAD), Ok(None));
    let mut out = String::new();
    carbon_pickle::decode::inspect(b"\x00\x00\x01", &mut out).unwrap();
    assert!(
        out.contains("truncated: 3 byte(s) of a 4-byte header"),
        "{out}"
    );
    // A little-endian length (a common mistake) declares a huge payload.
    let e = split_frame(b"\x1e\x00\x00\x00\x80\x02", CARBON_MAX_PAYLOAD).unwrap_err();
    assert!(matches!(
        e.kind,
        ErrorKind::FrameTooLarge { len: 503316480, .. }
    ));
}

#[test]
fn truncated_frame() {
    let frame = encode(Datapoint::new("a.b", 1, 2)).unwrap();
    for cut in 0..frame.len() {
        assert_eq!(
            split_frame(&frame[..cut], CARBON_MAX_PAYLOAD),
            Ok(None),
            "cut at {cut}"
        );
    }
    // A payload cut short (its header rewritten to match) has no STOP: refused, at its end.
    for cut in 0..frame.len() - 4 {
        let e = dec(&frame[4..4 + cut]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Truncated, "cut at {cut}");
    }
    let mut out = String::new();
    carbon_pickle::decode::inspect(&frame[..frame.len() - 3], &mut out).unwrap();
    assert!(out.contains("truncated: header declares"), "{out}");
}

#[test]
fn missing_stop_and_empty_payload() {
    assert_eq!(refusal(b""), (ErrorKind::Truncated, 0, None));
    assert_eq!(refusal(b"\x80\x02](e"), (ErrorKind::Truncated, 5, None));
}

#[test]
fn bytes_after_stop_ignored() {
    assert_eq!(
        dec(b"(l(S'a'\n(I1\nI2\ntta.garbage").unwrap(),
        [p("a", 1.0, 2.0)]
    );
}

#[test]
fn frame_boundaries() {
    // FRAME declaring more than there is.
    assert_eq!(
        refusal(b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00]."),
        (ErrorKind::Truncated, 2, Some(0x95))
    );
    // An opcode crossing the end of its FRAME: CPython's file reader (carbon's) would skip bytes.
    assert_eq!(
        refusal(b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00](\x8c\x01aK\x01K\x02\x86\x86e.").0,
        ErrorKind::Unsupported(Unsupported::SplitFrame)
    );
}

// ---- Structure ----

#[test]
fn deep_nesting() {
    let mut marks = b"]".to_vec();
    marks.extend(std::iter::repeat_n(b'(', MAX_MARKS + 1));
    assert_eq!(
        refusal(&marks),
        (
            ErrorKind::TooDeep { max: MAX_MARKS },
            1 + MAX_MARKS,
            Some(b'(')
        )
    );
    // 100,000 nested 1-tuples take constant memory: each tuple is summarised, not stored.
    let mut nested = b"\x80\x02](X\x01\x00\x00\x00aK\x01".to_vec();
    nested.extend(std::iter::repeat_n(0x85, 100_000));
    nested.extend_from_slice(b"K\x02\x86\x86X\x01\x00\x00\x00bK\x01K\x02\x86\x86e.");
    let mut slots = [Slot::EMPTY; 8];
    let items: Vec<_> = decode(&nested, &mut slots).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].as_ref().unwrap_err().reason,
        SkipReason::BadTimestamp
    );
}

#[test]
fn huge_memo_index() {
    // LONG_BINPUT 0xffffffff: CPython would size its memo for 2^33 entries (MemoryError in carbon).
    let e = dec(b"\x80\x02]r\xff\xff\xff\xff.").unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::WorkspaceFull {
            memo: 1 << 32,
            stack: 1,
            slots: DEFAULT_SLOTS
        }
    );
    assert_eq!((e.offset, e.opcode), (3, Some(b'r')));
    assert_eq!(
        refusal(b"(lp99999999999999999999999\n.").0,
        ErrorKind::WorkspaceFull {
            memo: usize::MAX,
            stack: 1,
            slots: DEFAULT_SLOTS
        }
    );
    assert_eq!(refusal(b"(lp-1\n.").0, ErrorKind::NegativeMemoIndex);
}

#[test]
fn missing_memo_entry() {
    assert_eq!(
        refusal(b"\x80\x02]h\x05a."),
        (ErrorKind::MemoMissing { index: 5 }, 3, Some(b'h'))
    );
    assert_eq!(refusal(b"(lg0\n.").0, ErrorKind::MemoMissing { index: 0 });
}

#[test]
fn memo_reuse_of_a_datapoint() {
    // dp = ('a.b', (1, 2.0)); pickle.dumps([dp, dp], protocol=2): the second is a BINGET.
    let payload = b"\x80\x02]q\x00(X\x03\x00\x00\x00a.bq\x01K\x01G@\x00\x00\x00\x00\x00\x00\x00\x86q\x02\x86q\x03h\x03e.";
    assert_eq!(
        dec(payload).unwrap(),
        [p("a.b", 1.0, 2.0), p("a.b", 1.0, 2.0)]
    );
}

#[test]
fn workspace_too_small_for_a_relay_frame() {
    // carbon relay: pickle.dumps(500 points, protocol=2) memoizes 1,501 objects; 500 items wait on the stack.
    let mut payload = b"\x80\x02]q\x00(".to_vec();
    let mut memo = 1u32;
    for i in 0..500u32 {
        let path = format!("servers.host{i}.cpu");
        payload.push(b'X');
        payload.extend_from_slice(&(path.len() as u32).to_le_bytes());
        payload.extend_from_slice(path.as_bytes());
        for _ in 0..1 {
            payload.push(b'r');
            payload.extend_from_slice(&memo.to_le_bytes());
            memo += 1;
        }
        payload.push(b'J');
        payload.extend_from_slice(&(1_700_000_000 + i as i32).to_le_bytes());
        payload.push(b'G');
        payload.extend_from_slice(&1.5f64.to_be_bytes());
        for _ in 0..2 {
            payload.push(0x86);
            payload.push(b'r');
            payload.extend_from_slice(&memo.to_le_bytes());
            memo += 1;
        }
    }
    payload.extend_from_slice(b"e.");
    assert_eq!(dec(&payload).unwrap().len(), 500);
    let mut small = vec![Slot::EMPTY; 1000];
    let e = decode(&payload, &mut small).unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::WorkspaceFull { slots: 1000, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("1000 workspace slots"), "{e}");
}

#[test]
fn stack_underflow_and_no_mark() {
    assert_eq!(
        refusal(b"\x80\x02](K\x01\x86e."),
        (ErrorKind::StackUnderflow, 6, Some(0x86))
    );
    assert_eq!(refusal(b"]e.").0, ErrorKind::NoMark);
    // POP takes the item, then STOP finds only the mark's fence above the list (CPython: stack underflow).
    assert_eq!(refusal(b"](K\x010.").0, ErrorKind::StackUnderflow);
    // POP right after a MARK pops the mark instead.
    assert_eq!(dec(b"](0.").unwrap(), []);
}

#[test]
fn unknown_opcode() {
    assert_eq!(
        refusal(b"\x80\x02]\xffa."),
        (ErrorKind::UnknownOpcode, 3, Some(0xff))
    );
}

#[test]
fn not_a_list() {
    assert_eq!(refusal(b"N."), (ErrorKind::NotAList, 1, Some(b'.')));
    assert_eq!(
        refusal(b"\x80\x02X\x01\x00\x00\x00aK\x01K\x02\x86\x86\x85.").0,
        ErrorKind::NotAList
    );
    assert_eq!(
        refusal(b"(dp0\n.").0,
        ErrorKind::Unsupported(Unsupported::DictOrSet)
    );
    assert_eq!(
        refusal(b"]]a.").0,
        ErrorKind::Unsupported(Unsupported::NestedList)
    );
}

#[test]
fn append_to_non_list() {
    assert_eq!(
        refusal(b"]N)N\x85a."),
        (ErrorKind::NotAppendable, 5, Some(b'a'))
    );
}

#[test]
fn non_string_path() {
    // (5, (1, 2.0)): carbon calls 5.encode() and drops the connection.
    assert_eq!(
        refusal(b"\x80\x02]K\x05K\x01G@\x00\x00\x00\x00\x00\x00\x00\x86\x86a."),
        (ErrorKind::PathNotText, 18, Some(b'a'))
    );
    // But a bad number is checked first, as carbon does: skipped, not refused.
    assert_eq!(
        skips(b"\x80\x02]K\x05NK\x02\x86\x86a."),
        [SkipReason::BadTimestamp]
    );
}

#[test]
fn string_as_pair() {
    // ('a', '12'): carbon unpacks the string's characters as (timestamp, value).
    assert_eq!(
        refusal(b"(l(S'a'\nS'12'\nta.").0,
        ErrorKind::Unsupported(Unsupported::StringAsPair)
    );
}

#[test]
fn text_number_forms() {
    assert_eq!(
        refusal(b"(l(S'a'\n(F1e999\nF1\ntta."),
        (ErrorKind::FloatOverflow, 9, Some(b'F'))
    );
    let digits = format!("(l(S'a'\n(L{}L\nF1\ntta.", "1".repeat(4301));
    assert_eq!(refusal(digits.as_bytes()).0, ErrorKind::TooManyDigits);
    assert_eq!(refusal(b"(l(S'a'\n(Ixyz\nF1\ntta.").0, ErrorKind::BadNumber);
    // What CPython's C unpickler accepts: octal and hex INT, underscores, bools.
    assert_eq!(
        dec(b"(l(S'a'\n(I010\nI0x1f\ntta(S'b'\n(I1_000\nI01\ntta.").unwrap(),
        [p("a", 8.0, 31.0), p("b", 1000.0, 1.0)]
    );
}

#[test]
fn every_refusal_names_its_place() {
    let e = dec(b"\x80\x02]cos\nsystem\n.").unwrap_err();
    assert_eq!(
        e.to_string(),
        "refused like carbon's safe unpickler: global lookup at byte 3 (opcode 0x63 GLOBAL)"
    );
    let f = framed(b"\x80\x02]cos\nsystem\n.");
    let mut slots = [Slot::EMPTY; 4];
    assert_eq!(Decoder::new(&mut slots).decode_frame(&f).unwrap_err(), e);
    // The encoder's protocol 0 output is accepted too.
    let mut buf = [0u8; 64];
    let v0 = to_slice(
        &[Datapoint::new("a.b", 1, 2.5)],
        &mut buf,
        &Options::new().with_protocol(Protocol::V0),
    )
    .unwrap();
    assert_eq!(dec(&v0[4..]).unwrap(), [p("a.b", 1.0, 2.5)]);
}

#[test]
fn memo_amplification() {
    // One 256 KiB path in a datapoint memoized once, then appended 250,000 times by a 3-byte BINGET+APPEND:
    // the decoder's work per appended datapoint is constant (the path is checked once, when read), so this
    // decodes as fast as any 1 MiB frame. Reading each path back is the caller's choice.
    let path = "p".repeat(256 * 1024);
    let mut payload = b"\x80\x02]X".to_vec();
    payload.extend_from_slice(&(path.len() as u32).to_le_bytes());
    payload.extend_from_slice(path.as_bytes());
    payload.extend_from_slice(b"K\x01K\x02\x86\x86q\x01a");
    for _ in 0..250_000 {
        payload.extend_from_slice(b"h\x01a");
    }
    payload.push(b'.');
    assert!(payload.len() <= CARBON_MAX_PAYLOAD);
    let mut slots = [Slot::EMPTY; 8];
    let points = decode(&payload, &mut slots).unwrap();
    assert_eq!(points.points(), 250_001);
    let mut n = 0;
    for p in points.flatten() {
        assert_eq!(p.path.raw().len(), path.len());
        n += 1;
    }
    assert_eq!(n, 250_001);
    // The inspector would print the path on every datapoint line (64 GB): its text is cut at 50 bytes per
    // input byte, and its counts still cover every datapoint.
    let (text, summary) = inspected(&framed(&payload));
    assert_eq!(summary.points, 250_001);
    assert!(text.ends_with(" bytes (50 per input byte, 4096 at least)\n"));
}

// ---- The inspector on floods: the listing stays proportionate to the frame ----

/// The inspector's text for `frame` and its counts, checked against the bound every listing keeps:
/// at most 50 bytes of text per byte of frame.
fn inspected(frame: &[u8]) -> (String, Summary) {
    let mut text = String::new();
    let summary = inspect(frame, &mut text).unwrap();
    assert_eq!(MAX_LISTING_PER_INPUT_BYTE, 50);
    assert!(
        text.len() <= 50 * frame.len(),
        "{} bytes of listing for a {}-byte frame",
        text.len(),
        frame.len()
    );
    (text, summary)
}

#[test]
fn inspector_mark_flood() {
    // 1 MiB of MARK in a valid header: the decoder refuses the 65th; the listing stops there, with one
    // line for the 1,048,511 bytes after it (listing them took 287 MB, every line indented 256 columns).
    let payload = vec![b'('; CARBON_MAX_PAYLOAD];
    assert_eq!(
        refusal(&payload),
        (ErrorKind::TooDeep { max: MAX_MARKS }, MAX_MARKS, Some(b'('))
    );
    let frame = framed(&payload);
    let (text, summary) = inspected(&frame);
    assert_eq!((summary.frames, summary.refused), (1, 1));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 65 + 2, "{text}");
    assert_eq!(lines[65], format!("   64: (    {}MARK", " ".repeat(256)));
    assert_eq!(lines[66], "1048511 byte(s) after the refusal not listed");
    assert_eq!(
        lines[67],
        "refused: more than 64 nested marks at byte 64 (opcode 0x28 MARK)"
    );
    assert!(text.len() < 10_000, "{} bytes", text.len());
    // The same flood cut short, and bare: the listing stops at the same opcode.
    let (cut, _) = inspected(&frame[..frame.len() / 2]);
    assert!(cut.contains("truncated: header declares 1048576 payload bytes, 524286 present\n"));
    assert!(cut.contains("\n524221 byte(s) after the refusal not listed\nrefused: more than 64"));
    let (bare, _) = inspected(&payload);
    assert!(bare.ends_with("1048511 byte(s) after the refusal not listed\nrefused: more than 64 nested marks at byte 64 (opcode 0x28 MARK)\n"));
    // A MARK that POP takes back right away: the decoder accepts it, pickletools counts it as still open.
    // Indentation stops at 64 steps, and the text is cut at 50 bytes per input byte with a note.
    let mut popped = b"]".to_vec();
    while popped.len() < CARBON_MAX_PAYLOAD - 2 {
        popped.extend_from_slice(b"(0");
    }
    popped.push(b'.');
    assert_eq!(dec(&popped).unwrap(), []);
    let frame = framed(&popped);
    let (text, summary) = inspected(&frame);
    assert_eq!((summary.refused, summary.points), (0, 0));
    assert!(
        text.lines().all(|l| l.len() < 12 + 256 + 30),
        "indentation capped"
    );
    let note = format!(
        "\nlisting cut: the rest would pass {} bytes (50 per input byte, 4096 at least)\n",
        50 * frame.len()
    );
    assert!(text.ends_with(&note), "{}", &text[text.len() - 200..]);
}

#[test]
fn inspector_memo_flood() {
    // EMPTY_LIST memoized a million times: the memo outgrows the 2,560-slot workspace; the listing stops
    // at the MEMOIZE refused.
    let mut payload = b"\x80\x04]".to_vec();
    payload.resize(CARBON_MAX_PAYLOAD - 1, 0x94);
    payload.push(b'.');
    let full = ErrorKind::WorkspaceFull {
        memo: DEFAULT_SLOTS,
        stack: 1,
        slots: DEFAULT_SLOTS,
    };
    assert_eq!(refusal(&payload), (full, 3 + DEFAULT_SLOTS - 1, Some(0x94)));
    let frame = framed(&payload);
    let (text, summary) = inspected(&frame);
    assert_eq!((summary.frames, summary.refused), (1, 1));
    assert!(text.contains(" 2562: \\x94 MEMOIZE    (as 2559)\n1046013 byte(s) after the refusal not listed\nrefused: frame needs more than the 2560 workspace slots given (2560 memo + 1 stack) at byte 2562 (opcode 0x94 MEMOIZE)\n"), "{}", &text[text.len() - 300..]);
    assert!(text.len() < 100_000, "{} bytes", text.len());
    // PUT of distinct indices, 0, 1, 2... (protocol 0, up to 9 bytes each): refused at the first index
    // past the workspace.
    let mut payload = b"(l".to_vec();
    for i in 0.. {
        let put = format!("p{i}\n");
        if payload.len() + put.len() >= CARBON_MAX_PAYLOAD {
            break;
        }
        payload.extend_from_slice(put.as_bytes());
    }
    payload.push(b'.');
    let refused_at = 2 + 10 * 3 + 90 * 4 + 900 * 5 + 1559 * 6;
    let full = ErrorKind::WorkspaceFull {
        memo: DEFAULT_SLOTS,
        stack: 1,
        slots: DEFAULT_SLOTS,
    };
    assert_eq!(refusal(&payload), (full, refused_at, Some(b'p')));
    let (text, _) = inspected(&framed(&payload));
    let tail = format!(
        "{refused_at}: p    PUT        2559\n{} byte(s) after the refusal not listed\nrefused: frame needs more than the 2560 workspace slots given (2560 memo + 1 stack) at byte {refused_at} (opcode 0x70 PUT)\n",
        payload.len() - refused_at - 6
    );
    assert!(text.ends_with(&tail), "{}", &text[text.len() - 300..]);
}

#[test]
fn inspector_deep_tuples() {
    // A datapoint inside 100,000 nested 1-tuples: carbon skips the element; every opcode is listed (as
    // pickletools does, about 23 bytes a line) and the listing holds nothing else to cut.
    let mut payload = b"\x80\x02](X\x03\x00\x00\x00a.bK\x01K\x02\x86\x86".to_vec();
    payload.extend(std::iter::repeat_n(0x85, 100_000));
    payload.extend_from_slice(b"e.");
    assert_eq!(skips(&payload), [SkipReason::NotADatapoint]);
    let frame = framed(&payload);
    let (text, summary) = inspected(&frame);
    assert_eq!(
        (summary.refused, summary.points, summary.skipped),
        (0, 0, 1)
    );
    assert_eq!(text.matches(" TUPLE1\n").count(), 100_000);
    assert!(text.ends_with("100019: .    STOP\nhighest protocol among opcodes = 2\ndatapoints: 0, skipped: 1\n  element 0 skipped: not a (path, (timestamp, value)) tuple (appended at byte 100018)\n"), "{}", &text[text.len() - 300..]);
}
