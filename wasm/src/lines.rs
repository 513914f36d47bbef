//! The CLI's plaintext reader: the core's `plaintext::LineReader`, fed stdin's chunks by JavaScript.
//!
//! Why the core's reader and not JavaScript's own: one reader for every front end, reading lines as
//! carbon's line receiver does (see the core's `plaintext` module). The CLI's JavaScript reader took
//! `0x10` for 16, split lines on a lone `\r` (and on U+2028 under Bun and Deno), turned invalid UTF-8
//! into U+FFFD and overflowed the stack on a 10 MB line.
//!
//! Why a module of its own (cargo feature `lines`, pkg/lines-web, loaded only by the CLI's `send` and
//! `encode`): Python's `float()` needs core's decimal parser and its tables, and the refusals are worded
//! with `core::fmt` (the same words the Rust example prints), which the main module leaves out for size.
//!
//! Each [`LineParser::feed`] reads one chunk and leaves the datapoints it completed in columns for
//! JavaScript to read through views on the module's memory (paths as UTF-8 back to back with their
//! lengths in UTF-16 units, values, timestamps, line numbers) and the refused lines as text, one message
//! a line. Every datapoint is also put through the encoder's own checks under the CLI's options (a
//! `FrameEncoder` counting bytes): a line whose path, timestamp or size the encoder would refuse is
//! reported here with its line number, like any other bad line, so the JavaScript never takes a batch
//! apart around a refused datapoint (which cost 16 s for 100,000 bad paths).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;

use carbon_pickle::plaintext::{LineReader, Point, Refused, CARBON_MAX_LINE};
use carbon_pickle::{Counter, Datapoint, Error, FrameEncoder, Options};
use wasm_bindgen::prelude::*;

use crate::failure::{record_result, Failure};
use crate::options;

/// The encoder's checks of a datapoint, without encoding it.
#[derive(Debug)]
struct Check {
    opts: Options<'static>,
    frame: FrameEncoder<'static, Counter>,
}

impl Check {
    fn new(opts: Options<'static>) -> Result<Self, Error> {
        Ok(Check {
            opts,
            frame: FrameEncoder::new(Counter(0), opts)?,
        })
    }

    /// What a push of `dp` into a frame would say (a full frame is not a refusal: the next one takes it).
    fn check(&mut self, dp: &Datapoint<'_>) -> Result<(), Error> {
        match self.frame.push(dp) {
            Err(e) if e.is_frame_full() => {
                self.frame = FrameEncoder::new(Counter(0), self.opts)?;
                self.frame.push(dp)
            }
            r => r,
        }
    }
}

/// The datapoints and refusals of one chunk.
#[derive(Debug, Default)]
struct Columns {
    text: Vec<u8>,
    lens: Vec<u32>,
    values: Vec<f64>,
    timestamps: Vec<f64>,
    lines: Vec<f64>,
    refusals: String,
    refused: u32,
}

impl Columns {
    fn clear(&mut self) {
        self.text.clear();
        self.lens.clear();
        self.values.clear();
        self.timestamps.clear();
        self.lines.clear();
        self.refusals.clear();
        self.refused = 0;
    }

    fn point(&mut self, p: &Point<'_>, dp: &Datapoint<'_>) {
        let path = dp.path;
        self.text.extend_from_slice(path.as_bytes());
        let units = if path.is_ascii() {
            path.len()
        } else {
            path.encode_utf16().count()
        };
        self.lens.push(units as u32);
        self.values.push(dp.value);
        self.timestamps.push(dp.timestamp);
        self.lines.push(p.line as f64);
    }

    fn refuse(&mut self, r: &Refused<'_>) {
        self.refused += 1;
        // Writing into a String cannot fail.
        let _ = writeln!(self.refusals, "{r}");
    }
}

/// Plaintext lines in, datapoints (checked by the encoder's rules) and refusals out.
#[wasm_bindgen]
#[derive(Debug)]
pub struct LineParser {
    reader: LineReader<Box<[u8]>>,
    check: Check,
    /// The chunk JavaScript writes before calling `feed`.
    input: Vec<u8>,
    out: Columns,
}

#[wasm_bindgen]
impl LineParser {
    /// A parser checking datapoints under these encoder options (as `Encoder.create` takes them), or
    /// `undefined` with the reason in the last failure.
    pub fn create(
        protocol: u8,
        prefix: Option<String>,
        max_bytes: u32,
        max_points: u32,
        allow_spaces: bool,
        ascii_only: bool,
    ) -> Option<LineParser> {
        // A module without protocol 0 (this one, as the package builds it) checks a protocol-0 datapoint
        // as protocol 2: the same path, number and prefix rules; only a datapoint within a few bytes of
        // `max_bytes` can pass here and be refused by the encoder (the CLI reports that too).
        let protocol = if protocol == 0 && !options::has_protocol0() {
            2
        } else {
            protocol
        };
        let opts = options::build(
            protocol,
            prefix.as_deref(),
            max_bytes,
            max_points,
            allow_spaces,
            ascii_only,
        );
        record_result(opts.and_then(|o| {
            let check = Check::new(o).map_err(Failure::options)?;
            Ok(LineParser {
                reader: LineReader::new(vec![0u8; CARBON_MAX_LINE].into_boxed_slice()),
                check,
                input: Vec::new(),
                out: Columns::default(),
            })
        }))
    }

    /// Where JavaScript writes the next chunk (`len` bytes of room; valid until the next call).
    pub fn input(&mut self, len: usize) -> *mut u8 {
        if self.input.len() < len {
            self.input.resize(len, 0);
        }
        self.input.as_mut_ptr()
    }

    /// Reads the first `len` bytes of the input, then, with `end`, the last line if it has no `\n`.
    /// `now`: the timestamp of lines that ask for the current time. Returns the datapoints read; the
    /// columns and refusals of earlier calls are replaced.
    pub fn feed(&mut self, len: usize, now: f64, end: bool) -> usize {
        let LineParser {
            reader,
            check,
            input,
            out,
        } = self;
        out.clear();
        let mut each = |line: Result<Point<'_>, Refused<'_>>| match line {
            Ok(p) => {
                let dp = p.datapoint(now);
                match check.check(&dp) {
                    Ok(()) => out.point(&p, &dp),
                    Err(e) => out.refuse(&p.refuse(e)),
                }
            }
            Err(r) => out.refuse(&r),
        };
        reader.feed(input.get(..len).unwrap_or_default(), &mut each);
        if end {
            reader.finish_with(&mut each);
        }
        out.lens.len()
    }

    /// Where the last feed's paths start (UTF-8, back to back).
    #[wasm_bindgen(js_name = textPtr)]
    pub fn text_ptr(&self) -> *const u8 {
        self.out.text.as_ptr()
    }

    /// Bytes of the last feed's paths.
    #[wasm_bindgen(getter, js_name = textLen)]
    pub fn text_len(&self) -> usize {
        self.out.text.len()
    }

    /// Each path's length in UTF-16 code units.
    #[wasm_bindgen(js_name = lensPtr)]
    pub fn lens_ptr(&self) -> *const u32 {
        self.out.lens.as_ptr()
    }

    /// Each datapoint's value.
    #[wasm_bindgen(js_name = valuesPtr)]
    pub fn values_ptr(&self) -> *const f64 {
        self.out.values.as_ptr()
    }

    /// Each datapoint's timestamp (`now` where the line asked for it).
    #[wasm_bindgen(js_name = timestampsPtr)]
    pub fn timestamps_ptr(&self) -> *const f64 {
        self.out.timestamps.as_ptr()
    }

    /// Each datapoint's line number.
    #[wasm_bindgen(js_name = linesPtr)]
    pub fn lines_ptr(&self) -> *const f64 {
        self.out.lines.as_ptr()
    }

    /// The last feed's refused lines, one message a line (`line N: ...`), or an empty string.
    pub fn refusals(&self) -> String {
        self.out.refusals.clone()
    }

    /// How many lines the last feed refused.
    #[wasm_bindgen(getter)]
    pub fn refused(&self) -> u32 {
        self.out.refused
    }

    /// Lines read so far, blank and refused ones included.
    #[wasm_bindgen(getter)]
    pub fn lines(&self) -> f64 {
        self.reader.lines() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(p: &mut LineParser, text: &[u8], end: bool) -> usize {
        // As JavaScript does: room for the chunk, the chunk written there, then feed.
        p.input(text.len());
        p.input[..text.len()].copy_from_slice(text);
        p.feed(text.len(), 1_800_000_000.0, end)
    }

    #[test]
    fn columns_and_refusals() {
        let mut p = LineParser::create(2, Some("KEY".into()), 1 << 20, 500, false, false).unwrap();
        let n = feed(
            &mut p,
            "a.b 1 1700000000\nk\u{fc}che.t 2\na..c 3 1700000000\na.d 0x10 1\n𝄞.e 4 17".as_bytes(),
            false,
        );
        assert_eq!(n, 2);
        assert_eq!(p.out.text, "a.bküche.t".as_bytes());
        assert_eq!(p.out.lens, [3, 7]);
        assert_eq!(p.out.values, [1.0, 2.0]);
        assert_eq!(p.out.timestamps, [1_700_000_000.0, 1_800_000_000.0]);
        assert_eq!(p.out.lines, [1.0, 2.0]);
        assert_eq!(
            p.refusals(),
            "line 3: path \"a..c\": invalid path: empty path component at byte 2\nline 4: value \"0x10\" is not a number\n"
        );
        assert_eq!(p.refused(), 2);
        // The last line, without its newline, comes with the end of the input.
        assert_eq!(feed(&mut p, b"00000000", false), 0);
        assert_eq!(feed(&mut p, b"", true), 1);
        assert_eq!(p.out.lens, [4]); // U+1D11E is two UTF-16 units
        assert_eq!(p.out.lines, [5.0]);
        assert_eq!(p.lines(), 5.0);
        assert_eq!(p.refusals(), "");
    }
}
