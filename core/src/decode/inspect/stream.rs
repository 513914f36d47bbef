//! The inspector over a stream: bytes pushed in as they arrive, the listing pulled out a line at a time,
//! in memory fixed when it is made (a frame buffer and a workspace), however long the stream.

use core::fmt::{self, Write};

use super::super::{payload_too_large, DecodeError, Slot, HEADER_LEN};
use super::budget::{listing_limit_u64, Budget};
use super::explain::{Listing, Work};
use super::pieces::{starts_bare, Piece};
use super::Summary;
use crate::CARBON_MAX_PAYLOAD;

/// The frame buffer an [`Inspector`] needs to read frames up to carbon's 1 MiB cap: the 4-byte header and
/// the payload.
pub const INSPECTOR_BUF_LEN: usize = HEADER_LEN + CARBON_MAX_PAYLOAD;

/// [`inspect`](super::inspect) for input that arrives in pieces (a socket, stdin, a capture too large to
/// hold): the same listing, written frame by frame and line by line as the bytes come in, in the memory
/// given to [`new`](Self::new) whatever the input's length.
///
/// Memory: a frame buffer of [`INSPECTOR_BUF_LEN`] bytes (1 MiB + 4) and a workspace of
/// [`DEFAULT_SLOTS`](super::super::DEFAULT_SLOTS) slots (80 KiB), given as any `AsMut` storage
/// (`&mut [u8]`, an array, a `Vec`), plus about 1 KiB of state. A frame is held whole before any of it is
/// listed: carbon drops a frame on any error, so nothing is said of a frame before the decoder has checked
/// all of it, and a datapoint's path may be a memo entry from anywhere before it. A smaller buffer lowers
/// the cap (frames over it are refused as carbon refuses frames over its own).
///
/// Use: [`push`](Self::push) bytes until it takes none, then [`write_line`](Self::write_line) until it
/// writes none, and again; [`end`](Self::end) when the input ends, and write the last lines. Between two
/// lines the caller may stop for as long as it likes (a slow writer, a return to JavaScript): one call
/// writes one line, so what the caller must hold at a time is one line, at most about 4 bytes per byte of
/// the largest frame. [`feed`](Self::feed) and [`finish`](Self::finish) do all of that for a writer that
/// takes everything at once.
///
/// The listing is the one [`inspect`](super::inspect) writes for the same bytes, split anywhere. Its
/// bound, 50 bytes per input byte ([`listing_limit`](super::listing_limit)), is for the bytes read so far
/// (each frame is listed once all of it is in, so its own bytes count); when the input's length is known
/// up front, [`with_input_len`](Self::with_input_len) gives the bound for all of it, as `inspect` has it.
/// The two differ only for a listing cut short: a frame listing more than 50 bytes per byte read so far,
/// with more input after it.
///
/// ```
/// use carbon_pickle::decode::{inspect, Inspector, Slot, DEFAULT_SLOTS, INSPECTOR_BUF_LEN};
/// use carbon_pickle::{to_vec, Datapoint, Options};
///
/// let stream = to_vec(&[Datapoint::new("a.b", 1, 2), Datapoint::new("a.c", 3, 4)], &Options::new().with_max_points(1))?;
/// let mut buf = vec![0u8; INSPECTOR_BUF_LEN];
/// let mut slots = vec![Slot::EMPTY; DEFAULT_SLOTS];
/// let mut inspector = Inspector::new(&mut buf[..], &mut slots[..]);
/// let mut out = String::new();
/// for chunk in stream.chunks(5) {                  // reads of 5 bytes
///     let mut data = chunk;
///     loop {
///         while inspector.write_line(&mut out)? {} // every line the bytes so far complete
///         if data.is_empty() {
///             break;
///         }
///         let n = inspector.push(data);
///         data = &data[n..];
///     }
/// }
/// inspector.end();
/// while inspector.write_line(&mut out)? {}
/// assert_eq!((inspector.summary().frames, inspector.summary().points), (2, 2));
///
/// let mut whole = String::new();
/// inspect(&stream, &mut whole)?;
/// assert_eq!(out, whole);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Inspector<B, S> {
    buf: B,
    work: Work<S>,
    /// Bytes of the current piece in `buf`.
    held: usize,
    /// Where the current piece starts in the input.
    at: u64,
    /// Bytes taken so far.
    read: u64,
    mode: Mode,
    /// The piece being listed.
    current: Option<(Held, Listing)>,
    budget: Budget,
    sum: Summary,
    ended: bool,
    /// The closing note of a cut listing is written.
    noted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No byte yet.
    Start,
    Frames,
    /// All of the input is one pickle payload without a length header.
    Bare,
    /// After a header over the cap: nothing more can be read as frames (carbon closes the connection).
    Skipping,
    /// The input has ended and its last piece is taken.
    Over,
}

/// What the current piece is, its bytes being in the buffer.
#[derive(Debug, Clone, Copy)]
enum Held {
    Whole,
    TooLarge(DecodeError),
    ShortHeader,
    ShortPayload(u32),
    Bare,
}

impl<B: AsMut<[u8]>, S: AsMut<[Slot]>> Inspector<B, S> {
    /// An inspector reading frames into `buf` (at least [`INSPECTOR_BUF_LEN`] bytes to read them up to
    /// carbon's cap; shorter, the cap is what it holds after the header), with `slots` as the decoder's
    /// workspace ([`DEFAULT_SLOTS`](super::super::DEFAULT_SLOTS) reads a carbon relay's frames).
    pub fn new(mut buf: B, slots: S) -> Self {
        let room = buf.as_mut().len().saturating_sub(HEADER_LEN);
        Inspector {
            buf,
            work: Work::new(slots, CARBON_MAX_PAYLOAD.min(room)),
            held: 0,
            at: 0,
            read: 0,
            mode: Mode::Start,
            current: None,
            budget: Budget::new(listing_limit_u64(0)),
            sum: Summary::default(),
            ended: false,
            noted: false,
        }
    }

    /// Sets the payload cap (at most what the buffer holds after the header). Before the first push.
    pub fn with_max_payload(mut self, max: usize) -> Self {
        let room = self.buf.as_mut().len().saturating_sub(HEADER_LEN);
        self.work = Work::new(self.work.slots, max.min(room));
        self
    }

    /// Bounds the listing as for an input of `len` bytes in all (50 bytes per byte) from the start, or
    /// for the bytes read so far once they are more: with the input's real length, the listing is byte
    /// for byte what [`inspect`](super::inspect) writes, even where it is cut. Before the first push.
    pub fn with_input_len(mut self, len: u64) -> Self {
        self.budget = Budget::new(listing_limit_u64(len));
        self
    }

    /// The payload cap.
    pub fn max_payload(&self) -> usize {
        self.work.max_payload
    }

    /// What was found so far: every piece whose bytes are all in is counted, listed or not.
    pub fn summary(&self) -> Summary {
        self.sum
    }

    /// Bytes taken so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// Whether the input has ended and all of the listing is written.
    pub fn is_finished(&self) -> bool {
        self.ended && self.current.is_none() && self.noted
    }

    /// Takes bytes from `data`, up to the end of the next frame, and returns how many. It takes none while
    /// a frame's listing is waiting to be written ([`write_line`](Self::write_line) until it returns
    /// `false`), and none after [`end`](Self::end).
    pub fn push(&mut self, data: &[u8]) -> usize {
        if self.current.is_some() || self.ended || data.is_empty() {
            return 0;
        }
        let taken = self.take(data);
        self.read += taken as u64;
        self.budget.raise(listing_limit_u64(self.read));
        if let Some(held) = self.complete() {
            self.begin(held);
        }
        taken
    }

    /// Says the input has ended: what is left of it (a frame cut short, a bare payload) is the last piece.
    pub fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.current.is_none() {
            self.begin_last();
        }
    }

    /// Writes the next line of the listing to `out`; `Ok(false)` when there is none to write until more
    /// bytes are pushed, or, after [`end`](Self::end), when the listing is finished.
    ///
    /// An error is `out`'s own (what the listing's bound cuts is not an error); the listing is not
    /// written further after one.
    pub fn write_line(&mut self, out: &mut impl Write) -> Result<bool, fmt::Error> {
        loop {
            let Some((held, listing)) = &mut self.current else {
                if self.ended && !self.noted {
                    self.noted = true;
                    if self.budget.is_cut() {
                        self.budget.finish(out)?;
                        return Ok(true);
                    }
                }
                return Ok(false);
            };
            let piece = piece(*held, &self.buf.as_mut()[..self.held], self.at, self.read);
            let mut metered = self.budget.on(out);
            match listing.line(piece, &mut self.work, &mut metered) {
                Ok(true) => return Ok(true),
                Ok(false) => self.next_piece(),
                Err(_) if metered.is_cut() => {
                    // Once cut, the pieces left are only counted; the note comes at the end.
                    self.next_piece();
                    return Ok(true);
                }
                Err(e) => {
                    self.current = None;
                    self.ended = true;
                    self.noted = true;
                    self.mode = Mode::Over;
                    return Err(e);
                }
            }
        }
    }

    /// Pushes all of `data`, writing every line it completes to `out` (for a writer that takes what it is
    /// given at once: a `String`, a buffered file).
    pub fn feed(&mut self, mut data: &[u8], out: &mut impl Write) -> fmt::Result {
        loop {
            while self.write_line(out)? {}
            let n = self.push(data);
            if n == 0 {
                return Ok(());
            }
            data = &data[n..];
        }
    }

    /// Ends the input, writes the rest of the listing to `out` and returns what was found.
    pub fn finish(&mut self, out: &mut impl Write) -> Result<Summary, fmt::Error> {
        self.end();
        while self.write_line(out)? {}
        Ok(self.sum)
    }

    /// Copies bytes of the current piece into the buffer; how many it took.
    fn take(&mut self, data: &[u8]) -> usize {
        if self.mode == Mode::Start {
            self.mode = if starts_bare(data[0]) {
                Mode::Bare
            } else {
                Mode::Frames
            };
        }
        let cap = self.work.max_payload;
        let buf = self.buf.as_mut();
        let want = match self.mode {
            Mode::Frames => match declared(&buf[..self.held]) {
                None => HEADER_LEN - self.held,
                Some(n) => HEADER_LEN + n as usize - self.held,
            },
            // What is over the cap is only counted: the payload is refused whole.
            Mode::Bare => cap.saturating_sub(self.held),
            Mode::Start | Mode::Skipping | Mode::Over => 0,
        };
        let n = want.min(data.len());
        buf[self.held..self.held + n].copy_from_slice(&data[..n]);
        self.held += n;
        match self.mode {
            Mode::Frames => n,
            _ => data.len(),
        }
    }

    /// The piece the buffer completes, if it does (a frame, or a header over the cap).
    fn complete(&mut self) -> Option<Held> {
        if self.mode != Mode::Frames {
            return None;
        }
        let n = declared(&self.buf.as_mut()[..self.held])?;
        let cap = self.work.max_payload;
        if n as usize > cap {
            self.mode = Mode::Skipping;
            return Some(Held::TooLarge(payload_too_large(u64::from(n), cap)));
        }
        (self.held == HEADER_LEN + n as usize).then_some(Held::Whole)
    }

    /// After the input's end: what is left in the buffer, as the last piece.
    fn begin_last(&mut self) {
        let held = match self.mode {
            Mode::Frames if self.held == 0 => None,
            Mode::Frames => Some(match declared(&self.buf.as_mut()[..self.held]) {
                None => Held::ShortHeader,
                Some(n) => Held::ShortPayload(n),
            }),
            Mode::Bare => Some(Held::Bare),
            Mode::Start | Mode::Skipping | Mode::Over => None,
        };
        self.mode = Mode::Over;
        if let Some(held) = held {
            self.begin(held);
        }
    }

    /// Judges the piece in the buffer, counts it, and lists it unless the listing is cut.
    fn begin(&mut self, held: Held) {
        let p = piece(held, &self.buf.as_mut()[..self.held], self.at, self.read);
        let verdict = self.work.verdict(p);
        verdict.count(&mut self.sum);
        self.current = Some((held, Listing::new(self.sum.frames, verdict)));
        if self.budget.is_cut() {
            self.next_piece();
        }
    }

    /// Drops the piece listed (or not listed) to read the next.
    fn next_piece(&mut self) {
        self.current = None;
        self.at += self.held as u64;
        self.held = 0;
        if self.ended && self.mode != Mode::Over {
            self.begin_last();
        }
    }
}

/// The payload length a buffer's header declares, once the header is in.
fn declared(held: &[u8]) -> Option<u32> {
    let h = held.get(..HEADER_LEN)?;
    Some(u32::from_be_bytes([h[0], h[1], h[2], h[3]]))
}

/// The piece `held` describes, over the bytes of it in the buffer.
fn piece(held: Held, bytes: &[u8], at: u64, read: u64) -> Piece<'_> {
    match held {
        Held::Whole => Piece::Whole {
            at,
            payload: &bytes[HEADER_LEN..],
        },
        Held::TooLarge(error) => Piece::TooLarge { at, error },
        Held::ShortHeader => Piece::ShortHeader {
            at,
            len: bytes.len(),
        },
        Held::ShortPayload(declared) => Piece::ShortPayload {
            at,
            declared,
            present: &bytes[HEADER_LEN..],
        },
        Held::Bare => Piece::Bare {
            len: read,
            payload: bytes,
        },
    }
}

impl<B, S> fmt::Debug for Inspector<B, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inspector")
            .field("read", &self.read)
            .field("held", &self.held)
            .field("summary", &self.sum)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
