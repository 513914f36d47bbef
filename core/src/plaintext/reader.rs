//! Lines from a byte stream, in a fixed buffer, whatever the stream holds.
//!
//! Bytes go in as they arrive ([`LineReader::push`]), one copy into the caller's buffer; complete lines
//! come out ([`LineReader::next_line`]), read where they lie. A line longer than the buffer is not held:
//! its first bytes are kept for the report, the rest is counted and dropped as it streams by, and it comes
//! out as one [`LineError::TooLong`] with its true length once its `\n` arrives. Memory is the buffer,
//! whether the stream has a 100 MB line or a billion short ones; and what comes out does not depend on how
//! the stream was cut into pieces.

use core::ops::Range;

use super::error::{LineError, Refused};
use super::fields::is_blank;
use super::line::{parse_line, Point};
use super::QUOTE_MAX;

/// Bytes kept of an over-long line: the quote's [`QUOTE_MAX`] and a character's worth more, so that the
/// quote can end on a character boundary.
const KEEP: usize = QUOTE_MAX + 4;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Where the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Lines are read into the buffer.
    Reading,
    /// The line at `start..end` fills the whole buffer and its `\n` came: it is the next line.
    Whole,
    /// A line longer than the buffer is streaming by: `len` bytes so far, its first `kept` at the
    /// buffer's start.
    Skipping { len: u64, kept: usize },
    /// That line ended: it is the next line, refused.
    Skipped { len: u64, kept: usize },
}

/// Carbon plaintext lines from a byte stream, read into a buffer the caller gives.
///
/// A line (without its `\n`) of up to `buf.len()` bytes is read; a longer one is refused as
/// [`LineError::TooLong`] without ever being held. A buffer of [`CARBON_MAX_LINE`](super::CARBON_MAX_LINE)
/// bytes reads every line carbon would read.
///
/// - Lines end at `\n` only. A `\r` (before the `\n` or anywhere) is whitespace between fields, as in
///   carbon's `str.split()`: `a.b 1 2\r\n` is read, a lone `\r` separates fields.
/// - Blank lines (whitespace only) are skipped; they still count for line numbers.
/// - A UTF-8 byte order mark at the very start of the stream is dropped (carbon would make it part of the
///   first path: `\u{feff}a.b` is a different metric, whose name shows as `a.b`). Elsewhere U+FEFF is a
///   character like any other.
/// - The last line is read without a `\n` after [`finish`](Self::finish) (carbon drops a last line without
///   its `\n` when the connection closes).
///
/// `buf` is any byte storage: `&mut [u8]`, an array, a `Box<[u8]>`.
///
/// ```
/// use carbon_pickle::plaintext::{LineError, LineReader};
/// let mut reader = LineReader::new([0u8; 64]);
/// let mut seen = Vec::new();
/// let input = b"\xef\xbb\xbfa.b 1 1700000000\r\n\nbad\n".iter().chain([b'x'; 100].iter()).chain(b"\na.c 2");
/// for chunk in input.copied().collect::<Vec<u8>>().chunks(7) {   // reads of 7 bytes
///     reader.feed(chunk, |line| seen.push(line.map(|p| (p.line, p.path.to_string())).map_err(|e| (e.line, e.error))));
/// }
/// reader.finish_with(|line| seen.push(line.map(|p| (p.line, p.path.to_string())).map_err(|e| (e.line, e.error))));
/// assert_eq!(seen, [
///     Ok((1, "a.b".to_string())),
///     Err((3, LineError::FieldCount { found: 1 })),
///     Err((4, LineError::TooLong { len: 100, max: 64 })),
///     Ok((5, "a.c".to_string())),
/// ]);
/// ```
#[derive(Debug)]
pub struct LineReader<B> {
    buf: B,
    /// Where the next line starts in `buf`.
    start: usize,
    /// Where the bytes in `buf` end.
    end: usize,
    /// `buf[start..scanned]` has no `\n`.
    scanned: usize,
    /// Lines handed out (the number of the last one).
    line: u64,
    state: State,
    /// `finish` was called: the bytes after the last `\n` are a line.
    finished: bool,
}

impl<B: AsMut<[u8]>> LineReader<B> {
    /// A reader over `buf`.
    pub fn new(buf: B) -> Self {
        LineReader {
            buf,
            start: 0,
            end: 0,
            scanned: 0,
            line: 0,
            state: State::Reading,
            finished: false,
        }
    }

    /// The longest line read (the buffer's length); longer ones are refused as [`LineError::TooLong`].
    pub fn max_line(&mut self) -> usize {
        self.buf.as_mut().len()
    }

    /// Lines handed out so far, blank ones included: the number of the last line read.
    pub fn lines(&self) -> u64 {
        self.line
    }

    /// Takes bytes from `data` and returns how many: fewer than all of them (perhaps none) when the buffer
    /// is full of complete lines. Take the lines with [`next_line`](Self::next_line) until it says `None`,
    /// then push the rest ([`feed`](Self::feed) does both).
    pub fn push(&mut self, data: &[u8]) -> usize {
        let Some(&first) = data.first() else {
            return 0;
        };
        match self.state {
            State::Whole | State::Skipped { .. } => return 0,
            State::Skipping { len, kept } => return self.skip(data, len, kept),
            State::Reading if self.finished => return 0,
            State::Reading => {}
        }
        let buf = self.buf.as_mut();
        let cap = buf.len();
        if self.start == self.end {
            (self.start, self.end, self.scanned) = (0, 0, 0);
        }
        if self.end == cap {
            if self.start > 0 {
                buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.scanned -= self.start;
                self.start = 0;
            } else if find_newline(&buf[self.scanned..self.end]).is_some() {
                return 0; // whole lines wait for next_line
            } else {
                // One unterminated line fills the buffer.
                self.scanned = self.end;
                if first == b'\n' {
                    self.state = State::Whole;
                    return 1;
                }
                let kept = cap.min(KEEP);
                (self.end, self.scanned) = (0, 0);
                return self.skip(data, cap as u64, kept);
            }
        }
        let n = data.len().min(cap - self.end);
        buf[self.end..self.end + n].copy_from_slice(&data[..n]);
        self.end += n;
        n
    }

    /// Drops an over-long line's bytes up to its `\n`.
    fn skip(&mut self, data: &[u8], len: u64, kept: usize) -> usize {
        match find_newline(data) {
            Some(i) => {
                self.state = State::Skipped {
                    len: len + i as u64,
                    kept,
                };
                i + 1
            }
            None => {
                self.state = State::Skipping {
                    len: len + data.len() as u64,
                    kept,
                };
                data.len()
            }
        }
    }

    /// Marks the end of the input: the bytes after the last `\n`, if any, are the last line. Bytes pushed
    /// afterwards start a new line.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next complete line: a datapoint, or why the line is refused; `None` when more bytes are needed.
    pub fn next_line(&mut self) -> Option<Result<Point<'_>, Refused<'_>>> {
        let range = loop {
            match self.state {
                State::Skipped { len, kept } => {
                    self.state = State::Reading;
                    self.line += 1;
                    let buf = self.buf.as_mut();
                    let max = buf.len();
                    let error = LineError::TooLong { len, max };
                    return Some(Err(Refused::new(self.line, error, &buf[..kept])));
                }
                State::Skipping { len, kept } if self.finished => {
                    self.finished = false;
                    self.state = State::Skipped { len, kept };
                    continue;
                }
                State::Skipping { .. } => return None,
                State::Whole => {
                    self.state = State::Reading;
                    let r = self.start..self.end;
                    (self.start, self.scanned) = (self.end, self.end);
                    match self.take(r) {
                        Some(r) => break r,
                        None => continue,
                    }
                }
                State::Reading => {}
            }
            let found = find_newline(&self.buf.as_mut()[self.scanned..self.end]);
            let r = match found {
                Some(i) => {
                    let nl = self.scanned + i;
                    let r = self.start..nl;
                    (self.start, self.scanned) = (nl + 1, nl + 1);
                    r
                }
                None if self.finished => {
                    self.finished = false;
                    if self.start == self.end {
                        return None;
                    }
                    let r = self.start..self.end;
                    (self.start, self.scanned) = (self.end, self.end);
                    r
                }
                None => {
                    self.scanned = self.end;
                    return None;
                }
            };
            if let Some(r) = self.take(r) {
                break r;
            }
        };
        let line = self.line;
        Some(parse_line(&self.buf.as_mut()[range], line))
    }

    /// Counts the line at `r` and returns where its text is (after a byte order mark starting the stream),
    /// or `None` when it is blank.
    fn take(&mut self, mut r: Range<usize>) -> Option<Range<usize>> {
        self.line += 1;
        let buf = self.buf.as_mut();
        if self.line == 1 && buf[r.clone()].starts_with(BOM) {
            r.start += BOM.len();
        }
        (!is_blank(&buf[r.clone()])).then_some(r)
    }

    /// Pushes `data` and hands every line it completes to `f`.
    pub fn feed(&mut self, mut data: &[u8], mut f: impl FnMut(Result<Point<'_>, Refused<'_>>)) {
        while !data.is_empty() {
            let n = self.push(data);
            data = &data[n..];
            while let Some(line) = self.next_line() {
                f(line);
            }
        }
    }

    /// [`finish`](Self::finish)es the input and hands the lines left to `f`.
    pub fn finish_with(&mut self, mut f: impl FnMut(Result<Point<'_>, Refused<'_>>)) {
        self.finish();
        while let Some(line) = self.next_line() {
            f(line);
        }
    }
}

/// The first `\n` in `s`, eight bytes at a time.
#[inline]
fn find_newline(s: &[u8]) -> Option<usize> {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    const NL: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let x = u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ NL;
        if x.wrapping_sub(LO) & !x & HI != 0 {
            break;
        }
        at += 8;
    }
    s[at..].iter().position(|&b| b == b'\n').map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_search() {
        let mut s = [b'a'; 40];
        assert_eq!(find_newline(&s), None);
        for i in 0..40 {
            s = [b'a'; 40];
            s[i] = b'\n';
            assert_eq!(find_newline(&s), Some(i));
            s[39] = b'\n';
            assert_eq!(find_newline(&s), Some(i));
        }
        assert_eq!(find_newline(b"\x8a\x0a"), Some(1));
    }

    #[test]
    fn a_line_exactly_the_buffer_is_read() {
        let mut r = LineReader::new([0u8; 8]);
        let mut out = Vec::new();
        r.feed(b"a.b 1 2\n", |l| {
            out.push(l.map(|p| p.path.len()).map_err(|e| e.error))
        });
        r.feed(b"a.bc 1 2\na", |l| {
            out.push(l.map(|p| p.path.len()).map_err(|e| e.error))
        });
        r.feed(b".bcd 1 2\n", |l| {
            out.push(l.map(|p| p.path.len()).map_err(|e| e.error))
        });
        assert_eq!(
            out,
            [Ok(3), Ok(4), Err(LineError::TooLong { len: 9, max: 8 })]
        );
    }
}
