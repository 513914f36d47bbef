//! The decoder, the frame reader and the inspector (whole and streamed) on arbitrary bytes: no panic, no
//! hang, and the invariants between them hold.
#![no_main]

use carbon_pickle::decode::{
    decode, inspect_with, listing_limit, split_frame, Decoder, FrameReader, Inspector, Slot,
};
use libfuzzer_sys::fuzz_target;

/// Counts what the inspector writes without storing it.
struct Sink(usize);

impl core::fmt::Write for Sink {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    // The bytes as one bare pickle, with a small and a larger workspace.
    let mut small = [Slot::EMPTY; 16];
    let mut big = vec![Slot::EMPTY; 600];
    let a = decode(data, &mut small).map(|p| (p.points(), p.skipped(), p.count()));
    let b = decode(data, &mut big).map(|p| (p.points(), p.skipped(), p.count()));
    if let Ok((points, skipped, items)) = b {
        assert_eq!(
            points + skipped,
            items,
            "first pass and second pass disagree"
        );
    }
    if let Ok(r) = a {
        // What fits in 16 slots decodes the same in 600.
        assert_eq!(Ok(r), b.map_err(|_| ()));
    }

    // The bytes as a stream of frames: one reused decoder, and a reader fed in uneven chunks, must agree
    // with splitting the whole buffer at once.
    let mut dec = Decoder::new(&mut big).with_max_payload(4096);
    let mut buf = [0u8; 4100];
    let mut reader = FrameReader::new(&mut buf).with_max_payload(4096);
    let mut rest = data;
    let mut fed = data;
    let step = usize::from(data.first().copied().unwrap_or(1) % 7) + 1;
    loop {
        let whole = split_frame(rest, 4096);
        // Feed the reader until it has a frame or fails.
        let mut got = None;
        while got.is_none() && !fed.is_empty() {
            let chunk = &fed[..step.min(fed.len())];
            match reader.push(chunk) {
                Ok(n) => {
                    fed = &fed[n..];
                    if let Some(p) = reader.frame() {
                        got = Some(Ok(p.to_vec()));
                    }
                }
                Err(e) => got = Some(Err(e)),
            }
        }
        match whole {
            Ok(Some((payload, next))) => {
                assert_eq!(got, Some(Ok(payload.to_vec())));
                reader.clear();
                if let Ok(points) = dec.decode(payload) {
                    let n = points.points();
                    assert_eq!(points.flatten().count(), n);
                }
                rest = next;
            }
            Ok(None) => {
                assert!(got.is_none());
                break;
            }
            Err(e) => {
                assert_eq!(got, Some(Err(e)));
                break;
            }
        }
    }

    // The inspector's text stays within its bound (50 bytes per input byte, 4 KiB at least), whatever the bytes.
    let mut out = Sink(0);
    let mut slots = [Slot::EMPTY; 64];
    let _ = inspect_with(data, &mut out, &mut slots, 1 << 20);
    assert!(
        out.0 <= listing_limit(data.len()),
        "{} bytes of listing for {} bytes of input",
        out.0,
        data.len()
    );

    // The streaming inspector, given the bytes in uneven pieces (a 4 KiB cap, as above): told the input's
    // length (even lengths), it writes inspect's text byte for byte; not told, its bound is for the bytes
    // read so far, so it writes the same text or a cut-short start of it. The counts are the same.
    let mut whole = String::new();
    let want = inspect_with(data, &mut whole, &mut slots, 4096).unwrap();
    let sized = data.len() % 2 == 0;
    let mut inspector = Inspector::new([0u8; 4100], [Slot::EMPTY; 64]).with_max_payload(4096);
    if sized {
        inspector = inspector.with_input_len(data.len() as u64);
    }
    let mut text = String::new();
    for chunk in data.chunks(step * 3) {
        inspector.feed(chunk, &mut text).unwrap();
    }
    assert_eq!(inspector.finish(&mut text).unwrap(), want);
    match text.rfind("listing cut: ") {
        Some(note) if !sized => {
            let listed = &text[..note.saturating_sub(1)];
            assert!(whole.starts_with(listed), "streamed, cut: {text:?}");
        }
        _ => assert_eq!(text, whole, "streamed (length given: {sized})"),
    }
    assert!(text.len() <= listing_limit(data.len()));
});
