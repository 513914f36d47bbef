//! Every input the encoder refuses, with its exact error, and the promise that a refused push changes nothing.

use carbon_pickle::{
    check_path, frame_len, Counter, Datapoint, Error, FrameEncoder, Options, PathError, PathRules,
    Protocol, SliceSink, Storage, MAX_COMPONENT, MAX_LAST_COMPONENT,
};

const TS: u32 = 1_700_000_000;

fn push_err(path: &str, ts: f64, value: f64) -> Error {
    let mut buf = [0u8; 8192];
    let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
    enc.push(&Datapoint {
        path,
        timestamp: ts,
        value,
    })
    .unwrap_err()
}

fn path_err(path: &str) -> Error {
    push_err(path, TS as f64, 1.0)
}

#[test]
fn empty_path() {
    assert_eq!(path_err(""), Error::InvalidPath(PathError::Empty));
}

#[test]
fn whitespace_and_control_characters() {
    for (path, at, ch) in [
        ("a b", 1, ' '),
        ("a\tb", 1, '\t'),
        ("a.b\n", 3, '\n'),
        ("\ra", 0, '\r'),
        ("a\x0bb", 1, '\x0b'),
        ("a\x0cb", 1, '\x0c'),
        ("a\0b", 1, '\0'),
        ("a\x7fb", 1, '\x7f'),
        ("a\u{85}b", 1, '\u{85}'),
        ("a\u{a0}b", 1, '\u{a0}'),
        ("a.b\u{2028}", 3, '\u{2028}'),
    ] {
        assert_eq!(
            path_err(path),
            Error::InvalidPath(PathError::InvalidChar { at, ch }),
            "{path:?}"
        );
    }
}

#[test]
fn slashes_would_create_directories() {
    assert_eq!(
        path_err("a/b"),
        Error::InvalidPath(PathError::InvalidChar { at: 1, ch: '/' })
    );
    assert_eq!(
        path_err("a.b\\c"),
        Error::InvalidPath(PathError::InvalidChar { at: 3, ch: '\\' })
    );
}

#[test]
fn empty_components() {
    for (path, at) in [("a..b", 2), (".a", 0), ("a.", 2), (".", 0), ("a.b..", 4)] {
        assert_eq!(
            path_err(path),
            Error::InvalidPath(PathError::EmptyComponent { at }),
            "{path:?}"
        );
    }
}

#[test]
fn component_length_limits() {
    let dir = "d".repeat(MAX_COMPONENT);
    let leaf = "f".repeat(MAX_LAST_COMPONENT);
    assert_eq!(
        check_path(&format!("{dir}.{leaf}"), PathRules::default()),
        Ok(())
    );
    assert_eq!(
        path_err(&format!("{dir}d.{leaf}")),
        Error::InvalidPath(PathError::ComponentTooLong {
            at: 0,
            len: 256,
            max: 255
        })
    );
    assert_eq!(
        path_err(&format!("{dir}.{leaf}f")),
        Error::InvalidPath(PathError::ComponentTooLong {
            at: 256,
            len: 252,
            max: 251
        })
    );
    // Multi-byte characters count in bytes, as the file system does.
    let wide = "é".repeat(126); // 252 bytes
    assert_eq!(
        path_err(&format!("a.{wide}")),
        Error::InvalidPath(PathError::ComponentTooLong {
            at: 2,
            len: 252,
            max: 251
        })
    );
}

#[test]
fn whole_path_length_limit() {
    let component = "c".repeat(199);
    let path = vec![component.as_str(); 20].join("."); // 20 * 200 - 1 = 3,999 bytes
    assert_eq!(check_path(&path, PathRules::default()), Ok(()));
    assert_eq!(
        path_err(&format!("{path}xy")),
        Error::InvalidPath(PathError::TooLong {
            len: 4000 + 1,
            max: 4000
        })
    );
    // The prefix counts too: "K." + 3,999 bytes is over.
    let mut buf = vec![0u8; 8192];
    let mut enc =
        FrameEncoder::new(SliceSink::new(&mut buf), Options::new().with_prefix("K")).unwrap();
    assert_eq!(
        enc.push(&Datapoint::new(&path, TS, 1)),
        Err(Error::InvalidPath(PathError::TooLong {
            len: 4001,
            max: 4000
        }))
    );
    assert_eq!(enc.points(), 0);
}

#[test]
fn laxer_rules_are_explicit() {
    let lax = PathRules::new().with_spaces(true);
    assert_eq!(check_path("disk.C drive.free", lax), Ok(()));
    assert_eq!(
        check_path("a\tb", lax),
        Err(PathError::InvalidChar { at: 1, ch: '\t' })
    );
    let ascii = PathRules::new().with_ascii_only(true);
    assert_eq!(
        check_path("temp.küche", ascii),
        Err(PathError::NonAscii { at: 6 })
    );
    assert_eq!(check_path("temp.küche", PathRules::default()), Ok(()));
}

#[test]
fn non_finite_values_and_timestamps() {
    assert_eq!(push_err("a", 1.0, f64::NAN), Error::NonFiniteValue);
    assert_eq!(push_err("a", 1.0, f64::INFINITY), Error::NonFiniteValue);
    assert_eq!(push_err("a", 1.0, f64::NEG_INFINITY), Error::NonFiniteValue);
    assert_eq!(push_err("a", f64::NAN, 1.0), Error::NonFiniteTimestamp);
    assert_eq!(push_err("a", f64::INFINITY, 1.0), Error::NonFiniteTimestamp);
}

#[test]
fn timestamps_outside_u32_seconds() {
    assert_eq!(push_err("a", -1.0, 1.0), Error::TimestampOutOfRange);
    assert_eq!(push_err("a", -0.5, 1.0), Error::TimestampOutOfRange);
    assert_eq!(
        push_err("a", 4_294_967_296.0, 1.0),
        Error::TimestampOutOfRange
    );
    assert_eq!(push_err("a", 1e300, 1.0), Error::TimestampOutOfRange);
    // The edges are fine, past 2038 included.
    for ts in [
        0.0,
        2_147_483_647.0,
        2_147_483_648.0,
        4_294_967_295.0,
        4_294_967_295.5,
    ] {
        let mut buf = [0u8; 64];
        let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
        assert_eq!(
            enc.push(&Datapoint {
                path: "a",
                timestamp: ts,
                value: 1.0
            }),
            Ok(()),
            "{ts}"
        );
    }
}

#[test]
fn invalid_prefix() {
    let mut buf = [0u8; 64];
    for (prefix, err) in [
        ("", PathError::Empty),
        ("KEY.", PathError::EmptyComponent { at: 4 }),
        ("K Y", PathError::InvalidChar { at: 1, ch: ' ' }),
    ] {
        assert_eq!(
            FrameEncoder::new(SliceSink::new(&mut buf), Options::new().with_prefix(prefix))
                .unwrap_err(),
            Error::InvalidPrefix(err)
        );
    }
    // A prefix's last component is a directory: 255 bytes are fine there.
    let long = "k".repeat(255);
    assert!(FrameEncoder::new(Counter::default(), Options::new().with_prefix(&long)).is_ok());
}

#[test]
fn unusable_limits_and_buffers() {
    assert_eq!(
        FrameEncoder::new(Counter::default(), Options::new().with_max_points(0)).unwrap_err(),
        Error::InvalidLimits
    );
    assert_eq!(
        FrameEncoder::new(Counter::default(), Options::new().with_max_bytes(5)).unwrap_err(),
        Error::InvalidLimits
    );
    assert_eq!(
        FrameEncoder::new(Counter::default(), Options::new().with_max_bytes(1 << 32)).unwrap_err(),
        Error::InvalidLimits
    );
    let mut small = [0u8; 9];
    assert_eq!(
        FrameEncoder::new(SliceSink::new(&mut small), Options::new()).unwrap_err(),
        Error::BufferTooSmall {
            needed: 10,
            available: 9
        }
    );
    let mut tiny = [0u8; 6];
    let opts = Options::new().with_protocol(Protocol::V0);
    assert_eq!(
        FrameEncoder::new(SliceSink::new(&mut tiny), opts).unwrap_err(),
        Error::BufferTooSmall {
            needed: 7,
            available: 6
        }
    );
    let mut exact = [0u8; 7];
    assert!(FrameEncoder::new(SliceSink::new(&mut exact), opts).is_ok());
}

/// Every refusal in the middle of a frame leaves it byte-identical and finishable.
#[test]
fn refused_push_changes_nothing() {
    let mut buf = [0u8; 100];
    let opts = Options::new().with_max_points(3);
    let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), opts).unwrap();
    enc.push(&Datapoint::new("a.b", TS, 1)).unwrap();
    let before = enc.pending_bytes().to_vec();
    let long = "x".repeat(80);
    for (dp, err) in [
        (
            Datapoint::new("a..b", TS, 1),
            Error::InvalidPath(PathError::EmptyComponent { at: 2 }),
        ),
        (Datapoint::new("a", TS, f64::NAN), Error::NonFiniteValue),
        (
            Datapoint::new(&long, TS, 1),
            Error::DatapointTooLarge { len: 101, max: 90 },
        ),
    ] {
        assert_eq!(enc.push(&dp), Err(err));
        assert_eq!(enc.pending_bytes(), &before[..]);
    }
    let mid = "y".repeat(40);
    enc.push(&Datapoint::new(&mid, TS, 1)).unwrap(); // 8 + 24 + 61 = 93 bytes used
    let before = enc.pending_bytes().to_vec();
    assert_eq!(
        enc.push(&Datapoint::new("c", TS, 1)),
        Err(Error::BufferFull {
            needed: 24,
            available: 7
        })
    );
    assert_eq!(enc.pending_bytes(), &before[..]);
    assert_eq!(enc.points(), 2);
    let frame = enc.finish().into_written();
    assert_eq!(frame.len(), 95);
    assert_eq!(&frame[..4], &91u32.to_be_bytes());
    assert_eq!(&frame[93..], b"e.");
}

#[test]
fn limits_give_typed_errors() {
    let opts = Options::new().with_max_points(2);
    let mut enc = FrameEncoder::new(Counter::default(), opts).unwrap();
    enc.push(&Datapoint::new("a", TS, 1)).unwrap();
    enc.push(&Datapoint::new("a", TS, 2)).unwrap();
    assert_eq!(
        enc.push(&Datapoint::new("a", TS, 3)),
        Err(Error::TooManyPoints { max_points: 2 })
    );
    // 6 bytes of frame plus one 22-byte datapoint fit in 28; the second is refused by the byte limit.
    let opts = Options::new().with_max_bytes(6 + 22 + 21);
    let mut enc = FrameEncoder::new(Counter::default(), opts).unwrap();
    enc.push(&Datapoint::new("a", TS, 1)).unwrap();
    assert_eq!(
        enc.push(&Datapoint::new("a", TS, 2)),
        Err(Error::FrameFull { max_bytes: 49 })
    );
    assert_eq!(
        enc.push(&Datapoint::new(
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
            TS,
            2
        )),
        Err(Error::DatapointTooLarge { len: 73, max: 43 })
    );
    // frame_len reports the same refusals.
    let points = [Datapoint::new("a", TS, 1), Datapoint::new("a", TS, 2)];
    assert_eq!(
        frame_len(&points, &opts),
        Err(Error::FrameFull { max_bytes: 49 })
    );
}

#[test]
fn take_frame_restarts_cleanly() {
    let mut buf = [0u8; 64];
    let mut enc = FrameEncoder::new(SliceSink::new(&mut buf), Options::new()).unwrap();
    enc.push(&Datapoint::new("a", TS, 1)).unwrap();
    let failed: Result<(), &str> = enc.try_take_frame(|_| Err("socket closed"));
    assert_eq!(failed, Err("socket closed"));
    assert_eq!(enc.points(), 1, "a failed hand-off keeps the frame");
    enc.push(&Datapoint::new("b", TS, 2)).unwrap();
    let frame = enc.take_frame(|f| f.to_vec());
    assert_eq!(&frame[..4], &(frame.len() as u32 - 4).to_be_bytes());
    assert_eq!(frame.len(), 10 + 2 * 22);
    assert!(enc.is_empty());
    assert_eq!(enc.pending_bytes(), b"\0\0\0\0\x80\x02](");
}

#[test]
fn heapless_sink() {
    let mut v: heapless::Vec<u8, 40> = heapless::Vec::new();
    let mut enc = FrameEncoder::new(&mut v, Options::new()).unwrap();
    enc.push(&Datapoint::new("a", TS, 1)).unwrap();
    assert_eq!(
        enc.push(&Datapoint::new("b", TS, 1)),
        Err(Error::BufferFull {
            needed: 24,
            available: 10
        })
    );
    enc.finish();
    assert_eq!(Storage::bytes(&v).len(), 32);
}
