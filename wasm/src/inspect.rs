//! The core's frame inspector for JavaScript: frames in, the `pickletools`-style explanation out.
//!
//! Why it is here: a person looking at captured bytes (the demo page's "paste frames", a CLI reading a
//! capture) wants to know what carbon would make of them, and the answer must come from the same decoder
//! the Rust tests check against CPython and carbon's own unpickler, not from a second reading written in
//! JavaScript. The explanation is plain text (one line per opcode with its payload offset, then the
//! datapoints carbon would store or why it would refuse the frame), with the counts alongside.
//!
//! It streams: JavaScript writes the input a chunk at a time ([`InspectStream::write`]) and reads the
//! listing back a stretch at a time ([`InspectStream::read`]), so that the module holds one frame (up to
//! carbon's 1 MiB cap), one chunk of input and one stretch of text, whatever the input's length: a CLI can
//! wait for stdout to drain between two stretches. Before it, the whole listing was built in one string
//! (about 34 bytes per input byte for zero-length frames: 10 MB of input took 1.6 GB, 100 MB overflowed the
//! module's memory).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use carbon_pickle::decode::{Inspector, Slot, DEFAULT_SLOTS, INSPECTOR_BUF_LEN};
use wasm_bindgen::prelude::*;

/// The inspector over a stream of chunks.
#[wasm_bindgen]
pub struct InspectStream {
    inspector: Inspector<Vec<u8>, Vec<Slot>>,
    /// The chunk being read, from `taken` on.
    input: Vec<u8>,
    taken: usize,
    /// [`end`](Self::end) was called: the inspector is told once the chunk is all taken.
    ending: bool,
}

#[wasm_bindgen]
impl InspectStream {
    /// An inspector with carbon's 1 MiB cap (a 1 MiB frame buffer and an 80 KiB workspace). With the
    /// input's length (`inputLen`), the listing is bounded for all of it from the start, byte for byte what
    /// the core's `inspect` writes; without it, by the bytes read so far (see `Inspector::with_input_len`).
    #[wasm_bindgen(constructor)]
    pub fn new(input_len: Option<f64>) -> InspectStream {
        let inspector = Inspector::new(
            vec![0u8; INSPECTOR_BUF_LEN],
            vec![Slot::EMPTY; DEFAULT_SLOTS],
        );
        let inspector = match input_len {
            // A JavaScript number: the float-to-int cast saturates (and NaN is 0).
            Some(n) => inspector.with_input_len(n as u64),
            None => inspector,
        };
        InspectStream {
            inspector,
            input: Vec::new(),
            taken: 0,
            ending: false,
        }
    }

    /// Takes the next chunk of input; its listing comes out of [`read`](Self::read). A chunk not read to
    /// its end yet is kept, and this one goes after it.
    pub fn write(&mut self, chunk: Vec<u8>) {
        if self.taken == self.input.len() {
            self.input = chunk;
            self.taken = 0;
        } else {
            self.input.extend_from_slice(&chunk);
        }
    }

    /// Says the input has ended: what is left of it (a frame cut short, a bare payload) is listed last.
    pub fn end(&mut self) {
        self.ending = true;
    }

    /// The next stretch of the listing: whole lines, until there are at least `want` bytes of them, or
    /// fewer when the input written so far gives no more; `""` once everything written is listed (and,
    /// after [`end`](Self::end), when the listing is finished). One line can pass `want`: at most about 4
    /// bytes per byte of the largest frame (a 1 MiB path).
    pub fn read(&mut self, want: usize) -> String {
        let mut text = String::new();
        self.read_input(want, &mut text);
        text
    }

    /// Frames looked at so far (a truncated or refused one included).
    #[wasm_bindgen(getter)]
    pub fn frames(&self) -> usize {
        self.inspector.summary().frames
    }

    /// Frames carbon would refuse (or that are cut short).
    #[wasm_bindgen(getter)]
    pub fn refused(&self) -> usize {
        self.inspector.summary().refused
    }

    /// Datapoints in the frames carbon would accept.
    #[wasm_bindgen(getter)]
    pub fn points(&self) -> usize {
        self.inspector.summary().points
    }

    /// Elements of accepted frames that carbon would skip.
    #[wasm_bindgen(getter)]
    pub fn skipped(&self) -> usize {
        self.inspector.summary().skipped
    }
}

impl InspectStream {
    /// Lists what the input written so far completes into `text`, until it holds `want` bytes. At the
    /// end of the input the chunk is dropped (the next one is moved in, not copied).
    fn read_input(&mut self, want: usize, text: &mut String) {
        while text.len() < want {
            // Writing to a String cannot fail.
            if self.inspector.write_line(text).unwrap_or(false) {
                continue;
            }
            let rest = &self.input[self.taken..];
            if rest.is_empty() {
                if !self.ending || self.inspector.is_finished() {
                    break;
                }
                // Lists the last piece, then the note of a cut listing.
                self.inspector.end();
                if !self.inspector.write_line(text).unwrap_or(false) {
                    break;
                }
                continue;
            }
            let n = self.inspector.push(rest);
            if n == 0 {
                // Input written after the end: not read.
                break;
            }
            self.taken += n;
        }
        if self.taken == self.input.len() {
            self.input = Vec::new();
            self.taken = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbon_pickle::decode::inspect;
    use carbon_pickle::{to_vec, Datapoint, Options, CARBON_MAX_PAYLOAD};

    /// The listing of all of `input` (its length given, as JavaScript's `inspect` does) and the counts.
    fn inspected(input: &[u8]) -> (String, (usize, usize, usize, usize)) {
        let mut s = InspectStream::new(Some(input.len() as f64));
        s.write(input.to_vec());
        s.end();
        let text = read_all(&mut s, 65_536);
        (text, (s.frames(), s.refused(), s.points(), s.skipped()))
    }

    /// Everything `s` lists, read `want` bytes at a time; checks each stretch is whole lines.
    fn read_all(s: &mut InspectStream, want: usize) -> String {
        let mut all = String::new();
        loop {
            let t = s.read(want);
            if t.is_empty() {
                return all;
            }
            assert!(t.ends_with('\n'), "{t:?}");
            all.push_str(&t);
        }
    }

    #[test]
    fn explains_a_frame_of_the_core() {
        let frame = to_vec(
            &[Datapoint::new("a.b", 1_700_000_000, 1.5)],
            &Options::new(),
        )
        .unwrap();
        let (text, counts) = inspected(&frame);
        assert_eq!(counts, (1, 0, 1, 0));
        assert!(
            text.contains("    4: X        BINUNICODE 'a.b'\n"),
            "{text}"
        );
        assert!(text.contains("  'a.b' 1700000000.0 1.5\n"), "{text}");
    }

    #[test]
    fn lists_a_mark_flood_up_to_its_refusal() {
        let mut frame = vec![0x00, 0x10, 0x00, 0x00];
        frame.resize(4 + CARBON_MAX_PAYLOAD, b'(');
        let (text, (frames, refused, ..)) = inspected(&frame);
        assert_eq!((frames, refused), (1, 1));
        assert!(text.len() < 10_000, "{} bytes", text.len());
        assert!(
            text.ends_with("1048511 byte(s) after the refusal not listed\nrefused: more than 64 nested marks at byte 64 (opcode 0x28 MARK)\n"),
            "{text}"
        );
    }

    #[test]
    fn reports_a_truncated_frame() {
        let (text, (frames, refused, points, _)) = inspected(&[0, 0, 0, 9, 0x80]);
        assert_eq!((frames, refused, points), (1, 1, 0));
        assert!(text.contains("truncated"), "{text}");
    }

    #[test]
    fn streams_in_stretches_of_whole_lines() {
        // Frames split across chunks anywhere, the listing read 100 bytes at a time: the core's listing.
        let stream = to_vec(
            &(0..50)
                .map(|i| Datapoint::new("a.b", i, 2.5))
                .collect::<Vec<_>>(),
            &Options::new().with_max_points(3),
        )
        .unwrap();
        let input = [&stream[..], &[0, 0, 0, 0, 0, 0, 9, 0x80][..]].concat();
        let mut whole = String::new();
        let sum = inspect(&input, &mut whole).unwrap();
        let mut s = InspectStream::new(None);
        let mut text = String::new();
        for chunk in input.chunks(37) {
            s.write(chunk.to_vec());
            text.push_str(&read_all(&mut s, 100));
        }
        s.end();
        text.push_str(&read_all(&mut s, 100));
        assert_eq!(text, whole);
        assert_eq!(
            (s.frames(), s.refused(), s.points(), s.skipped()),
            (sum.frames, sum.refused, sum.points, sum.skipped)
        );
        assert_eq!((sum.frames, sum.refused, sum.points), (19, 2, 50));
    }

    #[test]
    fn holds_one_stretch_of_text_at_a_time() {
        // 4 MB of zero-length frames in 64 KiB chunks, read 64 KiB at a time: no stretch passes 64 KiB
        // and a line, and the chunk is dropped once listed.
        let chunk = vec![0u8; 65_536];
        let mut s = InspectStream::new(None);
        let mut most = 0;
        let mut total = 0;
        for _ in 0..64 {
            s.write(chunk.clone());
            loop {
                let t = s.read(65_536);
                if t.is_empty() {
                    break;
                }
                most = most.max(t.len());
                total += t.len();
            }
            assert!(s.input.is_empty());
        }
        s.end();
        assert_eq!(s.read(65_536), "");
        assert!(most < 65_536 + 100, "{most}");
        assert_eq!(s.frames(), 1 << 20);
        assert!(total > 30 << 20, "{total}");
    }
}
