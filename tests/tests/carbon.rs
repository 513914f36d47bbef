//! End to end against the real carbon daemon: frames from the encoder go over TCP to carbon-cache 1.1.10,
//! and every datapoint whisper stored is compared exactly (path, second, value bits) with what was sent.
//!
//! Each test starts its own carbon (own directory, own ports), so the tests run in parallel. Timestamps lie
//! in the hour before now: whisper (retention `1s:1d` here) silently drops points older than a day.

use std::io::Write;

use carbon_pickle::{
    write_frame, Datapoint, Error, Options, PathError, Protocol, SliceSink, CARBON_MAX_PAYLOAD,
};
use carbon_pickle_tests::{assert_decoded, assert_stored, decode, expected, now, Carbon};
use embedded_io_adapters::std::FromStd;

/// Values that are easy to get wrong on the way through text, binary and whisper's doubles.
const VALUES: [f64; 16] = [
    0.0,
    -0.0,
    1.5,
    -273.15,
    0.1,
    1.0 / 3.0,
    1e-300,
    5e-324, // the smallest subnormal
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    9_007_199_254_740_993.0, // 2^53 + 1 rounds to 2^53
    -1e15,
    42.0,
    6.022_140_76e23,
    123_456.789,
];

/// `sensors` paths under `root`.
fn paths(root: &str, sensors: usize) -> Vec<String> {
    (0..sensors)
        .map(|i| format!("{root}.sensor{i}.value"))
        .collect()
}

/// `seconds` datapoints per path, one a second from `t0`, interleaved; values cycle through [`VALUES`]
/// scaled per path.
fn grid(paths: &[String], t0: u32, seconds: u32) -> Vec<Datapoint<'_>> {
    let mut out = Vec::new();
    for s in 0..seconds {
        for (k, p) in paths.iter().enumerate() {
            let v = VALUES[(s as usize + k) % VALUES.len()];
            let v = if k % 2 == 1 { v * -0.5 } else { v };
            out.push(Datapoint::new(p, t0 + s, v));
        }
    }
    out
}

/// Sends `points` with `opts` through the splitter, checks the frames with CPython and carbon's unpickler,
/// and returns how many frames were sent.
fn send_checked(carbon: &Carbon, points: &[Datapoint<'_>], opts: Options<'_>) -> usize {
    let (bytes, stats) = carbon.send_split(points, opts);
    assert_eq!(stats.points, points.len());
    assert_eq!(stats.bytes, bytes.len());
    let frames = decode(&bytes);
    assert_eq!(frames.len(), stats.frames);
    assert_decoded(&frames, points, opts.prefix());
    stats.frames
}

fn roundtrip(protocol: Protocol, root: &str) {
    let carbon = Carbon::start();
    let paths = paths(root, 6);
    let points = grid(&paths, now() - 3600, 100);
    let frames = send_checked(&carbon, &points, Options::new().with_protocol(protocol));
    assert_eq!(frames, 2, "600 datapoints at 500 a frame");
    let stored = carbon.wait_dump(points.len());
    assert_stored(&expected(&points, None), &stored);
}

#[test]
fn protocol_2_every_datapoint_stored() {
    roundtrip(Protocol::V2, "e2e.v2");
}

#[test]
fn protocol_0_every_datapoint_stored() {
    roundtrip(Protocol::V0, "e2e.v0");
}

/// Hosted Graphite style: the API key is written before every path, `KEY.` + path, without copying paths.
#[test]
fn prefix_is_prepended_to_every_path() {
    const KEY: &str = "6e1b3f8a-5c2d-4e7f-9a0b-1c2d3e4f5a6b";
    let carbon = Carbon::start();
    let (p2, p0) = (paths("e2e.prefix.v2", 3), paths("e2e.prefix.v0", 3));
    let t0 = now() - 1800;
    let (v2, v0) = (grid(&p2, t0, 50), grid(&p0, t0, 50));
    send_checked(&carbon, &v2, Options::new().with_prefix(KEY));
    send_checked(
        &carbon,
        &v0,
        Options::new().with_prefix(KEY).with_protocol(Protocol::V0),
    );
    let stored = carbon.wait_dump(v2.len() + v0.len());
    let mut want = expected(&v2, Some(KEY));
    want.extend(expected(&v0, Some(KEY)));
    assert!(want.keys().all(|k| k.starts_with(KEY)));
    assert_stored(&want, &stored);
}

/// Non-ASCII UTF-8 paths (2-, 3- and 4-byte characters): BINUNICODE in protocol 2, raw-unicode-escape `V`
/// in protocol 0 (with `\U` escapes for characters beyond the BMP). carbon stores them as UTF-8 file names.
#[test]
fn non_ascii_paths_both_protocols() {
    const NAMES: [&str; 6] = [
        "température.salle_à_manger",
        "温度.传感器",
        "датчик.влажность",
        "emoji.🌡.🔥",
        "mixed.Ωmega-ß_ü",
        "quote.o'clock", // protocol 0 cannot use its quoted STRING form for this one
    ];
    let carbon = Carbon::start();
    let t0 = now() - 600;
    let p2: Vec<String> = NAMES.iter().map(|n| format!("e2e.utf8.v2.{n}")).collect();
    let p0: Vec<String> = NAMES.iter().map(|n| format!("e2e.utf8.v0.{n}")).collect();
    let (v2, v0) = (grid(&p2, t0, 20), grid(&p0, t0, 20));
    send_checked(&carbon, &v2, Options::new());
    send_checked(&carbon, &v0, Options::new().with_protocol(Protocol::V0));
    let stored = carbon.wait_dump(v2.len() + v0.len());
    let mut want = expected(&v2, None);
    want.extend(expected(&v0, None));
    assert_stored(&want, &stored);
}

/// Fractional timestamps, and whole ones at or past 2^31 (2038), travel as BINFLOAT in protocol 2 (`F` in
/// protocol 0); BININT is used only below 2^31. carbon stores each at its whole second, rounded down
/// (whisper's `int(t)`), including points after 2038 and up to 2^32-1 (whisper stores future points; its
/// `fetch` only returns them once their time has come, the harness reads the archive itself).
#[test]
fn fractional_and_binfloat_timestamps() {
    let carbon = Carbon::start();
    let t0 = f64::from(now() - 900);
    let fractions = [0.25, 0.5, 0.75, 0.999_999, 0.001, 1e-6];
    let mut points = Vec::new();
    for (path, offset) in [("e2e.ts.frac.v2", 0.0), ("e2e.ts.frac.v0", 100.0)] {
        for (i, f) in fractions.iter().enumerate() {
            points.push(Datapoint::new(path, t0 + offset + i as f64 + f, i as f64));
        }
    }
    // One path each: a far-future point lands in whisper's ring at (ts mod 86400), which could collide
    // with another point of the same file.
    let far = [
        ("e2e.ts.binint_max", 2_147_483_647.0), // the last BININT
        ("e2e.ts.y2038", 2_147_483_648.0),      // first BINFLOAT whole timestamp
        ("e2e.ts.y2038_frac", 2_147_483_648.5),
        ("e2e.ts.u32_max", 4_294_967_295.0),
        ("e2e.ts.u32_max_frac", 4_294_967_295.75),
    ];
    let mut v2: Vec<Datapoint<'_>> = points[..fractions.len()].to_vec();
    for (i, (path, ts)) in far.iter().enumerate() {
        v2.push(Datapoint::new(path, *ts, -(i as f64) - 0.5));
    }
    let v0: Vec<Datapoint<'_>> = points[fractions.len()..].to_vec();

    let (bytes, _) = carbon.send_split(&v2, Options::new());
    let d2 = decode(&bytes);
    assert_decoded(&d2, &v2, None);
    for d in d2.iter().flatten() {
        let ts = d.ts.as_f64().unwrap();
        let binint = ts.fract() == 0.0 && ts < 2_147_483_648.0;
        assert_eq!(
            d.ts.is_f64(),
            !binint,
            "{}: {ts} is a Python {}",
            d.path,
            if d.ts.is_f64() { "float" } else { "int" }
        );
    }
    let (bytes, _) = carbon.send_split(&v0, Options::new().with_protocol(Protocol::V0));
    let d0 = decode(&bytes);
    assert_decoded(&d0, &v0, None);
    assert!(d0.iter().flatten().all(|d| d.ts.is_f64()));

    let all: Vec<Datapoint<'_>> = v2.iter().chain(&v0).copied().collect();
    let stored = carbon.wait_dump(all.len());
    assert_stored(&expected(&all, None), &stored);
    // Spelled out: carbon rounds down, never to nearest.
    let frac = &stored["e2e.ts.frac.v2"];
    assert_eq!(
        frac[3],
        (t0 as u64 + 3, 3.0),
        "t0 + 3.999999 is stored at t0 + 3"
    );
    assert_eq!(stored["e2e.ts.u32_max_frac"], [(4_294_967_295, -4.5)]);
    assert_eq!(stored["e2e.ts.y2038_frac"], [(2_147_483_648, -2.5)]);
}

/// 20,000 datapoints with long paths, split into frames that fill carbon's 1 MiB limit as tightly as the
/// datapoints allow, and sent with `write_frame` straight to a `TcpStream` (no frame buffer).
#[test]
fn twenty_thousand_datapoints_in_frames_near_the_cap() {
    const N: u32 = 20_000;
    const SERIES: usize = 40;
    let carbon = Carbon::start();
    // Paths of 214..448 bytes (two long components), so datapoints are 235..469 bytes and vary.
    let a = "a".repeat(200);
    let paths: Vec<String> = (0..SERIES)
        .map(|k| format!("e2e.big.{a}.{}.s{k:02}", "b".repeat(1 + 6 * k)))
        .collect();
    let t0 = now() - 3600;
    let points: Vec<Datapoint<'_>> = (0..N)
        .map(|i| {
            let k = i as usize % SERIES;
            let v = f64::from(i) * 0.25 - 1000.0;
            Datapoint::new(&paths[k], t0 + i / SERIES as u32, v)
        })
        .collect();
    // max_points high enough that only the byte cap ends a frame.
    let opts = Options::new().with_max_points(N as usize);

    // Where frames end: the splitter, into one reused buffer exactly as large as a frame may be.
    let mut buf = vec![0u8; 4 + CARBON_MAX_PAYLOAD];
    let mut split_frames: Vec<Vec<u8>> = Vec::new();
    carbon_pickle::split(&points, SliceSink::new(&mut buf), opts, |f| {
        split_frames.push(f.to_vec());
        Ok::<_, ()>(())
    })
    .unwrap();
    let all: Vec<u8> = split_frames.concat();
    let decoded = decode(&all); // also checks header == payload length and payload <= 1 MiB
    assert_eq!(decoded.len(), split_frames.len());
    assert_decoded(&decoded, &points, None);
    assert!(split_frames.len() >= 6, "{} frames", split_frames.len());

    let mut stream = FromStd::new(carbon.connect());
    let mut start = 0;
    let mut largest = 0;
    for (i, (frame, d)) in split_frames.iter().zip(&decoded).enumerate() {
        let group = &points[start..start + d.len()];
        let payload = frame.len() - 4;
        assert_eq!(&frame[..4], &(payload as u32).to_be_bytes());
        assert!(payload <= CARBON_MAX_PAYLOAD, "frame {i}: {payload} bytes");
        largest = largest.max(payload);
        if let Some(next) = points.get(start + d.len()) {
            // The frame ended only because the next datapoint did not fit.
            let next_len = next.encoded_len(&opts).unwrap();
            assert!(
                payload + next_len > CARBON_MAX_PAYLOAD,
                "frame {i} ({payload} bytes) had room for the next {next_len}-byte datapoint"
            );
        }
        // Streamed in constant memory, byte-identical to the splitter's frame.
        let mut copy = Vec::new();
        assert_eq!(write_frame(&mut copy, group, &opts).unwrap(), frame.len());
        assert!(copy == *frame, "frame {i}: write_frame and split differ");
        let written = write_frame(&mut stream, group, &opts).unwrap();
        assert_eq!(written, frame.len());
        start += d.len();
    }
    assert_eq!(start, points.len());
    assert!(
        CARBON_MAX_PAYLOAD - largest < 470,
        "largest payload {largest} is not within a datapoint of the cap"
    );
    eprintln!(
        "big: {} frames, largest payload {largest}, slack {}",
        split_frames.len(),
        CARBON_MAX_PAYLOAD - largest
    );
    drop(stream);

    let stored = carbon.wait_dump(points.len());
    assert_stored(&expected(&points, None), &stored);
}

/// carbon turns each path component into a directory or a `<name>.wsp` file, and Linux file names are at
/// most 255 bytes. The encoder's limits (255 for directories, 251 for the last component) are exactly
/// carbon's: at the limit carbon stores the datapoint; one byte over, the encoder refuses it, and carbon,
/// sent the same line directly, fails with "File name too long" and loses the point.
#[test]
fn component_length_limits_match_carbon() {
    let carbon = Carbon::start();
    let now = now();
    let last_ok = format!("e2e.len.last.{}", "a".repeat(251));
    let last_over = format!("e2e.len.last.{}", "b".repeat(252));
    let dir_ok = format!("e2e.len.dir.{}.leaf", "c".repeat(255));
    let dir_over = format!("e2e.len.dir.{}.leaf", "d".repeat(256));
    // Bytes, not characters: 'é' is 2 bytes.
    let utf8_ok = format!("e2e.len.utf8.{}a", "é".repeat(125));
    let utf8_over = format!("e2e.len.utf8.{}", "ê".repeat(126));
    let prefix_ok = "k".repeat(255);
    let prefix_over = "m".repeat(256);

    let ok = [
        Datapoint::new(&last_ok, now, 1),
        Datapoint::new(&dir_ok, now, 2),
        Datapoint::new(&utf8_ok, now, 3),
    ];
    let opts = Options::new();
    let mut buf = [0u8; 4096];
    let mut enc = carbon_pickle::FrameEncoder::new(SliceSink::new(&mut buf), opts).unwrap();
    for dp in &ok {
        enc.push(dp).unwrap();
    }
    let too_long = |at, len, max| {
        Err(Error::InvalidPath(PathError::ComponentTooLong {
            at,
            len,
            max,
        }))
    };
    assert_eq!(
        enc.push(&Datapoint::new(&last_over, now, 9)),
        too_long(13, 252, 251)
    );
    assert_eq!(
        enc.push(&Datapoint::new(&dir_over, now, 9)),
        too_long(12, 256, 255)
    );
    assert_eq!(
        enc.push(&Datapoint::new(&utf8_over, now, 9)),
        too_long(13, 252, 251)
    );
    assert_eq!(enc.points(), ok.len());
    let frame = enc.finish().into_written().to_vec();

    // A 255-byte prefix is a directory name: fine; 256 is refused before any datapoint.
    let prefixed = [Datapoint::new("e2e.len.prefixed", now, 4)];
    let mut pbuf = [0u8; 1024];
    let pframe = carbon_pickle::to_slice(&prefixed, &mut pbuf, &opts.with_prefix(&prefix_ok))
        .unwrap()
        .to_vec();
    assert_eq!(
        carbon_pickle::FrameEncoder::new(Vec::new(), opts.with_prefix(&prefix_over)).map(|_| ()),
        Err(Error::InvalidPrefix(PathError::ComponentTooLong {
            at: 0,
            len: 256,
            max: 255
        }))
    );

    let mut s = carbon.connect();
    s.write_all(&frame).unwrap();
    s.write_all(&pframe).unwrap();
    drop(s);
    // What the encoder refused, sent to carbon directly as plaintext lines: carbon cannot store it.
    let over = [
        &last_over,
        &dir_over,
        &utf8_over,
        &format!("{prefix_over}.e2e.len.prefixed"),
    ];
    let lines: String = over.iter().map(|p| format!("{p} 9 {now}\n")).collect();
    carbon.send_lines(&lines);

    let mut want = expected(&ok, None);
    want.extend(expected(&prefixed, Some(&prefix_ok)));
    for p in over {
        let needle = format!("Error creating {p}: [Errno 36] File name too long");
        assert!(
            carbon.wait_log(&needle),
            "carbon did not fail on {p}:\n{}",
            carbon.log()
        );
    }
    let stored = carbon.wait_dump(want.values().map(Vec::len).sum());
    assert_stored(&want, &stored);
}
