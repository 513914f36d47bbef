//! The streaming inspector (`decode::Inspector`): the listing `inspect` writes, for input split anywhere,
//! in memory fixed when it is made, one line per call.
//!
//! Before it, the npm CLI and the example held the whole listing (about 34 bytes per input byte for
//! zero-length frames): 10 MB of input took 1.6 GB in the CLI and 345 MB in Rust, 100 MB crashed the CLI.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::{self, Write};

use carbon_pickle::decode::{
    inspect, listing_limit, Inspector, Slot, Summary, DEFAULT_SLOTS, INSPECTOR_BUF_LEN,
};
use carbon_pickle::{to_vec, Datapoint, Options, Protocol, CARBON_MAX_PAYLOAD};

/// Counts this thread's allocations (the tests run on threads of their own).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(|n| n.get())
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

/// One `path_len`-byte path memoized once and appended by 3-byte `BINGET`+`APPEND` until the payload is
/// `len` bytes: a line of the path per 3 bytes, cut at 50 bytes per input byte (1 MiB of it would list
/// 64 GB).
fn memo_amplification(path_len: usize, len: usize) -> Vec<u8> {
    let path = "p".repeat(path_len);
    let mut payload = b"\x80\x02]X".to_vec();
    payload.extend_from_slice(&(path.len() as u32).to_le_bytes());
    payload.extend_from_slice(path.as_bytes());
    payload.extend_from_slice(b"K\x01K\x02\x86\x86q\x01a");
    while payload.len() + 4 < len {
        payload.extend_from_slice(b"h\x01a");
    }
    payload.push(b'.');
    framed(&payload)
}

/// The largest: a 256 KiB path, a 1 MiB frame.
fn heavy() -> Vec<u8> {
    memo_amplification(256 * 1024, CARBON_MAX_PAYLOAD)
}

/// Frames of every kind the inspector tells apart, and inputs that stop its listing early.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let points: Vec<Datapoint<'_>> = (0..40)
        .map(|i| {
            Datapoint::new(
                if i % 3 == 0 {
                    "a.b"
                } else {
                    "sensors.kitchen.temp"
                },
                1_700_000_000 + i,
                i as f64 / 4.0,
            )
        })
        .collect();
    let v2 = to_vec(&points, &Options::new().with_max_points(7)).unwrap();
    let v0 = to_vec(
        &points,
        &Options::new()
            .with_max_points(5)
            .with_protocol(Protocol::V0),
    )
    .unwrap();
    let mut frames = v2.clone();
    frames.extend_from_slice(&v0);
    // statsd's protocol 0 with a string value, a skipped element, bytes after STOP, a refused GLOBAL.
    frames.extend(framed(b"(l(S'a.b.c'\n(L1234L\nS' 56.5'\ntta."));
    frames.extend(framed(b"\x80\x02](K\x01K\x02\x86e.junk"));
    frames.extend(framed(b"\x80\x02]cos\nsystem\n."));
    let mut mark_flood = framed(&vec![b'('; CARBON_MAX_PAYLOAD]);
    mark_flood.extend_from_slice(&v2);
    let mut over_cap = v2.clone();
    over_cap.extend_from_slice(b"\x00\x10\x00\x01");
    over_cap.extend_from_slice(&[b'x'; 5000]);
    let mut amplified_then_more = memo_amplification(4096, 65_536);
    amplified_then_more.extend_from_slice(&v2);
    vec![
        ("empty", Vec::new()),
        ("frames", frames.clone()),
        (
            "cut short in a payload",
            frames[..frames.len() - 3].to_vec(),
        ),
        ("cut short in a header", [&frames[..], b"\x00\x00"].concat()),
        ("header over the cap", over_cap),
        ("zero-length frames", vec![0; 4000]),
        ("mark flood, then frames", mark_flood),
        ("memo amplification", memo_amplification(4096, 65_536)),
        ("memo amplification, then frames", amplified_then_more),
        (
            "bare pickle",
            b"\x80\x02](X\x03\x00\x00\x00a.bK\x01K\x02\x86\x86e.".to_vec(),
        ),
        (
            "bare pickle over the cap",
            [&b"\x80\x02]"[..], &vec![b'N'; CARBON_MAX_PAYLOAD]].concat(),
        ),
        ("one byte", vec![1]),
    ]
}

fn streamed(inspector: &mut Inspector<Vec<u8>, Vec<Slot>>, input: &[u8], chunk: usize) -> String {
    let mut out = String::new();
    for piece in input.chunks(chunk) {
        inspector.feed(piece, &mut out).unwrap();
    }
    let sum = inspector.finish(&mut out).unwrap();
    assert_eq!(sum, inspector.summary());
    assert!(inspector.is_finished());
    out
}

fn new_inspector() -> Inspector<Vec<u8>, Vec<Slot>> {
    Inspector::new(vec![0; INSPECTOR_BUF_LEN], vec![Slot::EMPTY; DEFAULT_SLOTS])
}

#[test]
fn streamed_listing_is_what_inspect_writes() {
    for (name, input) in inputs() {
        let mut whole = String::new();
        let summary = inspect(&input, &mut whole).unwrap();
        let sizes: &[usize] = if input.len() < 100_000 {
            &[1, 2, 3, 4, 5, 7, 13, 4096, usize::MAX]
        } else {
            &[7, 65_536]
        };
        for &chunk in sizes {
            let chunk = chunk.min(input.len().max(1));
            // Given the input's length, the stream's listing is byte for byte inspect's, even where cut.
            let mut sized = new_inspector().with_input_len(input.len() as u64);
            assert_eq!(
                streamed(&mut sized, &input, chunk),
                whole,
                "{name}, chunks of {chunk}"
            );
            assert_eq!(sized.summary(), summary, "{name}");
            // Without it, the bound is for the bytes read so far: the same text, or a start of it cut
            // shorter; the same counts.
            let mut open = new_inspector();
            let text = streamed(&mut open, &input, chunk);
            assert_eq!(open.summary(), summary, "{name}");
            assert!(text.len() <= listing_limit(input.len()), "{name}");
            match text.rfind("listing cut: ") {
                Some(note) => assert!(whole.starts_with(&text[..note.saturating_sub(1)]), "{name}"),
                None => assert_eq!(text, whole, "{name}, chunks of {chunk}, length not given"),
            }
        }
    }
}

#[test]
fn without_its_length_a_stream_is_bounded_by_what_it_has_read() {
    // A frame whose listing would pass 50 bytes per byte, then more frames: the stream lists the heavy
    // frame up to 50 bytes per byte read so far (its own), where inspect, knowing the whole length, lists
    // more of it; both count every frame.
    let heavy = memo_amplification(4096, 65_536);
    let mut input = heavy.clone();
    let more = to_vec(
        &[Datapoint::new("a.b", 1, 2.0)],
        &Options::new().with_max_points(1),
    )
    .unwrap();
    for _ in 0..1000 {
        input.extend_from_slice(&more);
    }
    let text = streamed(&mut new_inspector(), &input, 65_536);
    let note = format!(
        "\nlisting cut: the rest would pass {} bytes (50 per input byte, 4096 at least)\n",
        listing_limit(heavy.len())
    );
    assert!(text.ends_with(&note), "{}", &text[text.len() - 200..]);
    let mut whole = String::new();
    let summary = inspect(&input, &mut whole).unwrap();
    let heavy_points = inspect(&heavy, &mut String::new()).unwrap().points;
    assert_eq!(
        (summary.frames, summary.points),
        (1001, heavy_points + 1000)
    );
    assert!(whole.len() > text.len());
}

/// Counts what it is given, and the most it was given between two checks.
#[derive(Default)]
struct Meter {
    bytes: usize,
    lines: usize,
    since: usize,
    most: usize,
}

impl Meter {
    fn check(&mut self) {
        self.most = self.most.max(self.since);
        self.since = 0;
    }
}

impl Write for Meter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes += s.len();
        self.since += s.len();
        self.lines += s.bytes().filter(|&b| b == b'\n').count();
        Ok(())
    }
}

#[test]
fn streaming_takes_no_memory_beyond_its_buffers() {
    // 2 MiB of zero-length frames (half a million of them, 34 bytes of listing per input byte), then a
    // frame of carbon's largest size (one datapoint, its path all of it), streamed in 64 KiB reads: once
    // the inspector is made, nothing is allocated, whatever the length.
    let mut buf = vec![0u8; INSPECTOR_BUF_LEN];
    let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
    let zeros = vec![0u8; 65_536];
    let (head, tail) = (&b"\x80\x02](X"[..], &b"K\x01K\x02\x86\x86e."[..]);
    let path_len = CARBON_MAX_PAYLOAD - head.len() - 4 - tail.len();
    let largest = framed(
        &[
            head,
            &(path_len as u32).to_le_bytes(),
            &vec![b'p'; path_len],
            tail,
        ]
        .concat(),
    );
    assert_eq!(largest.len(), INSPECTOR_BUF_LEN);
    let per_frame = "frame 1 at byte 0: 0 payload bytes\nhighest protocol among opcodes = 0\nrefused: truncated: the input ends too early at byte 0\n".len();
    let frames = 2 << 20 >> 2;
    let digits: usize = (1..=frames)
        .map(|n: usize| n.to_string().len() + (4 * (n - 1)).to_string().len() - 2)
        .sum();
    let mut out = Meter::default();
    let before = allocations();
    let mut inspector = Inspector::new(&mut buf[..], &mut slots[..]);
    for _ in 0..32 {
        inspector.feed(&zeros, &mut out).unwrap();
    }
    assert_eq!(out.bytes, frames * per_frame + digits);
    assert_eq!(out.lines, 3 * frames);
    for piece in largest.chunks(65_536) {
        inspector.feed(piece, &mut out).unwrap();
    }
    let summary = inspector.finish(&mut out).unwrap();
    assert_eq!(allocations(), before, "allocations while streaming");
    assert_eq!(
        summary,
        Summary {
            frames: frames + 1,
            refused: frames,
            points: 1,
            skipped: 0
        }
    );
}

#[test]
fn one_call_writes_one_line() {
    // The memo amplification frame: every datapoint line is 256 KiB of path; a caller that writes one
    // line at a time holds one line at a time, whatever the frame's listing weighs.
    let input = heavy();
    let mut inspector = new_inspector();
    let mut out = Meter::default();
    let mut data = &input[..];
    let mut calls = 0;
    loop {
        while inspector.write_line(&mut out).unwrap() {
            calls += 1;
            out.check();
        }
        if data.is_empty() {
            break;
        }
        let n = inspector.push(data);
        data = &data[n..];
    }
    inspector.end();
    while inspector.write_line(&mut out).unwrap() {
        calls += 1;
        out.check();
    }
    assert_eq!(inspector.push(b"\x00"), 0, "nothing is taken after the end");
    // One line per call; the call cut by the bound writes part of one, and the note ends it.
    assert!(
        calls - 1 <= out.lines && out.lines <= calls,
        "{} lines in {calls} calls",
        out.lines
    );
    assert!(
        out.most < 256 * 1024 + 100,
        "{} bytes in one call",
        out.most
    );
    assert!(out.bytes <= listing_limit(input.len()));
}
