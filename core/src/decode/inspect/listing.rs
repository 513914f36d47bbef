//! The opcode listing, line for line as `pickletools.dis` prints it: offset, opcode byte, one indentation
//! step per open mark, name, argument, `(MARK at n)` / `(as n)`.

use core::fmt::{self, Write};

use super::super::number::{self, Int};
use super::super::ops::{opcode_name, opcode_protocol, Arg, Op, Ops};
use super::super::text::Text;
use super::super::{DecodeError, MAX_MARKS};
use super::repr::{big_int, py_bytes, py_char, py_str, PyFloat};

/// Where the opcode listing of one payload has got to: it is written a line at a time, and keeps no
/// borrow of the payload between lines (the caller lends it again for each).
///
/// The listing goes up to `STOP`, or up to the opcode the decoder refused, whichever comes first; then
/// `highest protocol among opcodes = n` after `STOP` or at the end of the payload, or one line counting the
/// bytes after the refusal, or the error that stopped the walk.
///
/// Why stop at the refusal: carbon and the decoder never run the opcodes after it, so their lines would
/// explain nothing, and they can be made to cost far more than their bytes (every `MARK` after the 64th
/// would be one more indentation step on every line). One line says how many bytes were left unlisted.
pub(super) struct Dis {
    refusal: Option<DecodeError>,
    pos: usize,
    marks: Marks,
    memo_len: usize,
    maxproto: u8,
    /// `STOP` listed: the protocol line comes next, and the listing ends after this offset.
    stopped: Option<usize>,
}

/// What [`Dis::line`] did.
pub(super) enum DisLine {
    /// Wrote a line; more follow.
    More,
    /// Wrote the last line. The payload's bytes up to this offset are what the unpickler reads (after
    /// `STOP`, or all of them).
    Last(usize),
}

impl Dis {
    /// The listing of a payload the decoder refused with `refusal` (`None`: accepted, or cut short with
    /// no refusal before its end).
    pub(super) fn new(refusal: Option<DecodeError>) -> Self {
        Dis {
            refusal,
            pos: 0,
            marks: Marks::new(),
            memo_len: 0,
            maxproto: 0,
            stopped: None,
        }
    }

    /// Writes the next line of the listing of `p`, which is `len` bytes long (more than `p.len()` only
    /// for a stream's bare payload over the cap: refused at byte 0, so nothing of it is listed).
    pub(super) fn line(
        &mut self,
        p: &[u8],
        len: u64,
        out: &mut impl Write,
    ) -> Result<DisLine, fmt::Error> {
        if let Some(end) = self.stopped {
            writeln!(out, "highest protocol among opcodes = {}", self.maxproto)?;
            return Ok(DisLine::Last(end));
        }
        let at = self.pos;
        if self.refusal.is_some_and(|e| past_refusal(&e, at)) && (at as u64) < len {
            writeln!(
                out,
                "{} byte(s) after the refusal not listed",
                len - at as u64
            )?;
            return Ok(DisLine::Last(p.len()));
        }
        let mut ops = Ops::resume(p, at, false);
        let op = match ops.next() {
            None => {
                writeln!(out, "highest protocol among opcodes = {}", self.maxproto)?;
                return Ok(DisLine::Last(p.len()));
            }
            Some(Ok(op)) => op,
            Some(Err(e)) => {
                dis_error(out, &e)?;
                return Ok(DisLine::Last(p.len()));
            }
        };
        self.pos = ops.position();
        self.maxproto = self.maxproto.max(opcode_protocol(op.code));
        write!(out, "{:5}: ", op.offset)?;
        if (0x20..0x7f).contains(&op.code) {
            write!(out, "{:<4} ", op.code as char)?;
        } else {
            write!(out, "\\x{:02x} ", op.code)?;
        }
        for _ in 0..self.marks.indent() {
            out.write_str("    ")?;
        }
        let name = opcode_name(op.code);
        out.write_str(name)?;
        let takes_mark = matches!(
            op.code,
            b'e' | b'l' | b't' | b'd' | b'u' | b'1' | b'i' | b'o' | 0x90 | 0x91
        );
        let mut markmsg: Option<MarkMsg> = None;
        if takes_mark {
            markmsg = Some(match self.marks.pop() {
                Some(at) => MarkMsg::At(at),
                None => MarkMsg::Missing,
            });
        }
        if op.code == 0x94 {
            markmsg = Some(MarkMsg::As(self.memo_len));
            self.memo_len += 1;
        }
        if !matches!(op.arg, Arg::None) || markmsg.is_some() {
            for _ in name.len()..10 {
                out.write_char(' ')?;
            }
            if !matches!(op.arg, Arg::None) {
                out.write_char(' ')?;
                arg(out, &op)?;
            }
            match markmsg {
                Some(MarkMsg::At(n)) => write!(out, " (MARK at {n})")?,
                Some(MarkMsg::As(n)) => write!(out, " (as {n})")?,
                Some(MarkMsg::Missing) => out.write_str(" (no MARK exists on stack)")?,
                None => {}
            }
        }
        out.write_char('\n')?;
        if op.code == b'(' {
            self.marks.push(op.offset);
        }
        if op.code == b'.' {
            self.stopped = Some(op.offset + 1);
        }
        Ok(DisLine::More)
    }
}

/// Whether the opcode at `at` comes after the refused one (or is where a refusal that names no opcode,
/// such as a payload over the cap, stops everything).
fn past_refusal(e: &DecodeError, at: usize) -> bool {
    at > e.offset || (at == e.offset && e.opcode.is_none())
}

/// The marks `pickletools.dis` counts for indentation and `(MARK at n)`.
///
/// Its count can outgrow the decoder's (`POP` right after a `MARK` drops the mark when run, but not in
/// `pickletools`' count), so only the innermost [`MAX_MARKS`] offsets are kept and the indentation stops
/// there: past that depth the decoder refuses a frame anyway, and no line is indented by more than 256
/// columns.
struct Marks {
    at: [usize; MAX_MARKS],
    open: usize,
}

impl Marks {
    fn new() -> Self {
        Marks {
            at: [0; MAX_MARKS],
            open: 0,
        }
    }

    fn push(&mut self, offset: usize) {
        if self.open < MAX_MARKS {
            self.at[self.open] = offset;
        }
        self.open += 1;
    }

    fn pop(&mut self) -> Option<usize> {
        self.open = self.open.checked_sub(1)?;
        Some(self.at[self.open.min(MAX_MARKS - 1)])
    }

    /// Indentation steps for the next line.
    fn indent(&self) -> usize {
        self.open.min(MAX_MARKS)
    }
}

enum MarkMsg {
    At(usize),
    As(usize),
    Missing,
}

fn dis_error(out: &mut impl Write, e: &DecodeError) -> fmt::Result {
    writeln!(out, "{:5}: error: {e}", e.offset)
}

fn arg(out: &mut impl Write, op: &Op<'_>) -> fmt::Result {
    let line_body = |l: &'_ [u8]| -> usize { l.len().saturating_sub(1) };
    match (op.code, op.arg) {
        (_, Arg::U8(v)) => write!(out, "{v}"),
        (_, Arg::U16(v)) => write!(out, "{v}"),
        (_, Arg::I32(v)) => write!(out, "{v}"),
        (_, Arg::U32(v)) => write!(out, "{v}"),
        (_, Arg::U64(v)) => write!(out, "{v}"),
        (_, Arg::F64(v)) => write!(out, "{}", PyFloat(v)),
        (b'F', Arg::Line(l)) => match number::float_line(&l[..line_body(l)]) {
            Ok(f) => write!(out, "{}", PyFloat(f)),
            Err(_) => py_bytes(out, &l[..line_body(l)]),
        },
        (b'I', Arg::Line(l)) if l == b"00\n" => out.write_str("False"),
        (b'I', Arg::Line(l)) if l == b"01\n" => out.write_str("True"),
        (b'I' | b'L' | b'p' | b'g', Arg::Line(l)) => {
            let parsed = match op.code {
                b'I' => number::int_line(l),
                b'L' => number::long_line(l),
                _ => number::index_line(l),
            };
            match parsed {
                Ok(Int::Small(v)) => write!(out, "{v}"),
                _ => {
                    let body = &l[..line_body(l)];
                    let body = body.strip_suffix(b"L").unwrap_or(body);
                    match core::str::from_utf8(body) {
                        Ok(s) => out.write_str(s.trim()),
                        Err(_) => py_bytes(out, body),
                    }
                }
            }
        }
        (b'S', Arg::Line(l)) => {
            let body = &l[..line_body(l)];
            let n = body.len();
            if n >= 2 && body[0] == body[n - 1] && matches!(body[0], b'\'' | b'"') {
                match Text::escaped(&body[1..n - 1]) {
                    Ok(t) => py_str(out, &t),
                    Err(_) => py_bytes(out, body),
                }
            } else {
                py_bytes(out, body)
            }
        }
        (b'V', Arg::Line(l)) => match Text::raw_unicode(&l[..line_body(l)]) {
            Ok(t) => py_str(out, &t),
            Err(_) => py_bytes(out, &l[..line_body(l)]),
        },
        (b'P', Arg::Line(l)) => match Text::utf8(&l[..line_body(l)]) {
            Ok(t) => py_str(out, &t),
            Err(_) => py_bytes(out, &l[..line_body(l)]),
        },
        (_, Arg::Lines(a, b)) => {
            out.write_char('\'')?;
            for part in [&a[..line_body(a)], &b[..line_body(b)]].iter().enumerate() {
                if part.0 == 1 {
                    out.write_char(' ')?;
                }
                for &c in *part.1 {
                    py_char(out, char::from(c), '\'')?;
                }
            }
            out.write_char('\'')
        }
        (0x8a | 0x8b, Arg::Data(d)) => big_int(out, d),
        (b'T' | b'U' | b'X' | 0x8c | 0x8d, Arg::Data(d)) => match Text::utf8(d) {
            Ok(t) => py_str(out, &t),
            Err(_) => py_bytes(out, d),
        },
        (_, Arg::Data(d)) => py_bytes(out, d),
        (_, Arg::Line(l)) => py_bytes(out, l),
        (_, Arg::None) => Ok(()),
    }
}
