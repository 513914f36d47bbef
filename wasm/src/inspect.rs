//! The core's frame inspector for JavaScript: frames in, the `pickletools`-style explanation out.
//!
//! Why it is here: a person looking at captured bytes (the demo page's "paste frames", a CLI reading a
//! capture) wants to know what carbon would make of them, and the answer must come from the same decoder
//! the Rust tests check against CPython and carbon's own unpickler, not from a second reading written in
//! JavaScript. The explanation is plain text (one line per opcode with its payload offset, then the
//! datapoints carbon would store or why it would refuse the frame), with the counts alongside.

use alloc::string::String;
use alloc::vec;

use carbon_pickle::decode::{inspect_with, Slot, DEFAULT_SLOTS};
use carbon_pickle::CARBON_MAX_PAYLOAD;
use wasm_bindgen::prelude::*;

/// What the inspector printed and counted.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Inspection {
    text: String,
    frames: usize,
    refused: usize,
    points: usize,
    skipped: usize,
}

#[wasm_bindgen]
impl Inspection {
    /// The listing: per frame, its offset and size, every opcode (`pickletools.dis` layout) up to `STOP` or
    /// up to the one the decoder refuses, then the datapoints or the reason carbon would refuse it. At most
    /// 50 bytes per input byte (then a last line starting `listing cut:`): a page or a CLI can always hold it.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.text.clone()
    }

    /// Frames looked at (a truncated or refused one included).
    #[wasm_bindgen(getter)]
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Frames carbon would refuse (or that are cut short).
    #[wasm_bindgen(getter)]
    pub fn refused(&self) -> usize {
        self.refused
    }

    /// Datapoints in the frames carbon would accept.
    #[wasm_bindgen(getter)]
    pub fn points(&self) -> usize {
        self.points
    }

    /// Elements of accepted frames that carbon would skip.
    #[wasm_bindgen(getter)]
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}

/// Explains `input`: frames back to back (each with its 4-byte length header), or one bare pickle
/// payload; payloads over carbon's 1 MiB cap are refused as carbon refuses them.
#[wasm_bindgen(js_name = inspectFrames)]
pub fn inspect_frames(input: &[u8]) -> Inspection {
    let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
    let mut text = String::new();
    // Writing to a String cannot fail, so the error case leaves the text as far as it got.
    let summary =
        inspect_with(input, &mut text, &mut slots, CARBON_MAX_PAYLOAD).unwrap_or_default();
    Inspection {
        text,
        frames: summary.frames,
        refused: summary.refused,
        points: summary.points,
        skipped: summary.skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbon_pickle::{to_vec, Datapoint, Options};

    #[test]
    fn explains_a_frame_of_the_core() {
        let frame = to_vec(
            &[Datapoint::new("a.b", 1_700_000_000, 1.5)],
            &Options::new(),
        )
        .unwrap();
        let r = inspect_frames(&frame);
        assert_eq!((r.frames, r.refused, r.points, r.skipped), (1, 0, 1, 0));
        assert!(
            r.text.contains("    4: X        BINUNICODE 'a.b'\n"),
            "{}",
            r.text
        );
        assert!(r.text.contains("  'a.b' 1700000000.0 1.5\n"), "{}", r.text);
    }

    #[test]
    fn lists_a_mark_flood_up_to_its_refusal() {
        let mut frame = vec![0x00, 0x10, 0x00, 0x00];
        frame.resize(4 + CARBON_MAX_PAYLOAD, b'(');
        let r = inspect_frames(&frame);
        assert_eq!((r.frames, r.refused), (1, 1));
        assert!(r.text.len() < 10_000, "{} bytes", r.text.len());
        assert!(
            r.text
                .ends_with("1048511 byte(s) after the refusal not listed\nrefused: more than 64 nested marks at byte 64 (opcode 0x28 MARK)\n"),
            "{}",
            r.text
        );
    }

    #[test]
    fn reports_a_truncated_frame() {
        let r = inspect_frames(&[0, 0, 0, 9, 0x80]);
        assert_eq!((r.frames, r.refused, r.points), (1, 1, 0));
        assert!(r.text.contains("truncated"), "{}", r.text);
    }
}
