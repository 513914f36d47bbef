//! The splitter never exceeds its limits: every frame it hands out fits `max_bytes` and `max_points` and the
//! buffer, carries a correct length header, decodes to exactly the datapoints counted, and the totals add
//! up; every datapoint is either in a frame or refused with a typed error.
#![no_main]

use arbitrary::Arbitrary;
use carbon_pickle::decode::{Decoder, Slot};
use carbon_pickle::{Datapoint, Options, Protocol, SliceSink, SplitError, Splitter};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    v0: bool,
    buf_len: u16,
    max_points: u16,
    max_bytes: u16,
    fail_every: u8,
    points: Vec<(u8, u32, f64)>,
}

const PATHS: [&str; 6] = [
    "a",
    "servers.web01.cpu",
    "x.y",
    "café.temp",
    "a.b.c.d.e.f.g.h",
    "m",
];

fuzz_target!(|input: Input| {
    let max_points = usize::from(input.max_points % 600).max(1);
    let max_bytes = usize::from(input.max_bytes);
    let opts = Options::new()
        .with_protocol(if input.v0 { Protocol::V0 } else { Protocol::V2 })
        .with_max_points(max_points)
        .with_max_bytes(max_bytes);
    let mut buf = vec![0u8; usize::from(input.buf_len % 4096)];
    let buf_len = buf.len();
    let Ok(mut splitter) = Splitter::new(SliceSink::new(&mut buf), opts) else {
        return;
    };
    let mut slots = vec![Slot::EMPTY; 1024];
    let mut dec = Decoder::new(&mut slots).with_max_payload(max_bytes);
    let (mut frames, mut points_out, mut bytes_out, mut calls) = (0usize, 0usize, 0usize, 0usize);
    let fail_every = usize::from(input.fail_every);
    let mut on_frame = |frame: &[u8]| -> Result<(), ()> {
        calls += 1;
        if fail_every > 1 && calls % fail_every == 0 {
            return Err(()); // the handler fails: the frame must be kept and handed again
        }
        assert!(frame.len() <= buf_len, "frame larger than the buffer");
        assert!(frame.len() - 4 <= max_bytes, "payload over max_bytes");
        let declared = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(declared, frame.len() - 4, "wrong length header");
        let (points, _) = dec.decode_frame(frame).expect("decodes").expect("whole");
        assert!(
            points.points() >= 1 && points.points() <= max_points,
            "{} points",
            points.points()
        );
        assert_eq!(points.skipped(), 0);
        frames += 1;
        points_out += points.points();
        bytes_out += frame.len();
        Ok(())
    };
    let mut accepted = 0usize;
    for (p, ts, v) in &input.points {
        let dp = Datapoint::new(PATHS[usize::from(*p) % PATHS.len()], *ts, *v);
        loop {
            match splitter.push(&dp, &mut on_frame) {
                Ok(()) => {
                    accepted += 1;
                    break;
                }
                Err(SplitError::Sink(())) => continue, // retry hands the same frame again
                Err(SplitError::Point { error, .. }) => {
                    assert!(!error.is_frame_full());
                    break;
                }
                Err(e) => unreachable!("{e:?}"), // SplitError is non_exhaustive; nothing else exists
            }
        }
    }
    let stats = loop {
        match splitter.flush(&mut on_frame) {
            Ok(()) => break splitter.stats(),
            Err(()) => continue,
        }
    };
    assert_eq!(stats.points, accepted);
    assert_eq!(
        (stats.frames, stats.points, stats.bytes),
        (frames, points_out, bytes_out)
    );
});
