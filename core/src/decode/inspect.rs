//! A frame explained: every opcode with its offset and argument, the way Python's `pickletools.dis` prints
//! them, then the datapoints carbon would store, or why it would refuse the frame.
//!
//! Written for people (the npm CLI's `carbon-pickle inspect`, the demo page) and to `core::fmt::Write`, so
//! it runs without allocation anywhere the decoder runs. The opcode listing follows `pickletools.dis`'s
//! layout (offset, opcode byte, indentation per open mark, name, argument, `(MARK at n)`) so the two can be
//! compared line by line; arguments are printed as Python's `repr` would (strings with non-ASCII characters
//! approximately: Rust's notion of printable is used).

use core::fmt::{self, Write};

use super::number::{self, Int};
use super::ops::{opcode_name, opcode_protocol, Arg, Op, Ops};
use super::text::Text;
use super::{split_frame, DecodeError, Decoder, Slot, DEFAULT_SLOTS, HEADER_LEN};
use crate::CARBON_MAX_PAYLOAD;

/// What [`inspect`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Frames printed.
    pub frames: usize,
    /// Frames refused.
    pub refused: usize,
    /// Datapoints in the accepted frames.
    pub points: usize,
    /// Elements carbon would skip in the accepted frames.
    pub skipped: usize,
}

/// Prints every frame in `input` (frames back to back, each with its length header; or, when `input` starts
/// like a pickle rather than a header, one bare pickle payload), with carbon's payload cap.
///
/// Uses a [`DEFAULT_SLOTS`] workspace on the stack (80 KiB); [`inspect_with`] takes the caller's.
///
/// ```
/// use carbon_pickle::decode::inspect;
/// let mut out = String::new();
/// let s = inspect(b"\x00\x00\x00\x1e\x80\x02](X\x03\x00\x00\x00a.bJ\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86e.", &mut out).unwrap();
/// assert_eq!(s.points, 1);
/// assert!(out.contains("    0: \\x80 PROTO      2\n"));
/// assert!(out.contains("    4: X        BINUNICODE 'a.b'\n"));
/// assert!(out.contains("   28: e        APPENDS    (MARK at 3)\n"));
/// assert!(out.contains("  'a.b' 1700000000.0 1.5\n"));
/// ```
pub fn inspect(input: &[u8], out: &mut impl Write) -> Result<Summary, fmt::Error> {
    let mut slots = [Slot::EMPTY; DEFAULT_SLOTS];
    inspect_with(input, out, &mut slots, CARBON_MAX_PAYLOAD)
}

/// [`inspect`] with the caller's workspace and payload cap.
pub fn inspect_with(
    input: &[u8],
    out: &mut impl Write,
    slots: &mut [Slot],
    max_payload: usize,
) -> Result<Summary, fmt::Error> {
    let mut dec = Decoder::new(slots).with_max_payload(max_payload);
    let mut sum = Summary::default();
    if matches!(input.first(), Some(0x80 | b'(' | b']' | b'}' | b')')) {
        writeln!(
            out,
            "no length header: one bare pickle payload of {} bytes",
            input.len()
        )?;
        sum.frames = 1;
        payload(input, out, &mut dec, &mut sum)?;
        return Ok(sum);
    }
    let mut rest = input;
    let mut at = 0;
    while !rest.is_empty() {
        sum.frames += 1;
        match split_frame(rest, max_payload) {
            Err(e) => {
                sum.refused += 1;
                writeln!(
                    out,
                    "frame {} at byte {at}: refused: {}",
                    sum.frames, e.kind
                )?;
                break;
            }
            Ok(None) => {
                sum.refused += 1;
                if rest.len() < HEADER_LEN {
                    writeln!(
                        out,
                        "frame {} at byte {at}: truncated: {} byte(s) of a 4-byte header",
                        sum.frames,
                        rest.len()
                    )?;
                } else {
                    let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
                    writeln!(
                        out,
                        "frame {} at byte {at}: truncated: header declares {n} payload bytes, {} present",
                        sum.frames,
                        rest.len() - HEADER_LEN
                    )?;
                    // What there is of it, opcode by opcode, up to where it stops.
                    dis(&rest[HEADER_LEN..], out)?;
                }
                break;
            }
            Ok(Some((p, next))) => {
                writeln!(
                    out,
                    "frame {} at byte {at}: {} payload bytes",
                    sum.frames,
                    p.len()
                )?;
                payload(p, out, &mut dec, &mut sum)?;
                at += HEADER_LEN + p.len();
                rest = next;
            }
        }
    }
    Ok(sum)
}

fn payload(
    p: &[u8],
    out: &mut impl Write,
    dec: &mut Decoder<'_>,
    sum: &mut Summary,
) -> fmt::Result {
    let stopped = dis(p, out)?;
    match dec.decode(p) {
        Err(e) => {
            sum.refused += 1;
            writeln!(out, "refused: {e}")?;
        }
        Ok(points) => {
            let (n, skipped) = (points.points(), points.skipped());
            sum.points += n;
            sum.skipped += skipped;
            writeln!(out, "datapoints: {n}, skipped: {skipped}")?;
            for item in points {
                match item {
                    Ok(pt) => {
                        out.write_str("  ")?;
                        py_str(out, &pt.path)?;
                        writeln!(out, " {} {}", PyFloat(pt.timestamp), PyFloat(pt.value))?;
                    }
                    Err(s) => writeln!(out, "  {s}")?,
                }
            }
            if stopped < p.len() {
                writeln!(
                    out,
                    "{} byte(s) after STOP ignored (as CPython does)",
                    p.len() - stopped
                )?;
            }
        }
    }
    Ok(())
}

/// Prints the opcode listing; returns the offset just after `STOP` (or the payload's length).
fn dis(p: &[u8], out: &mut impl Write) -> Result<usize, fmt::Error> {
    let mut marks = [0usize; 64];
    let mut nmarks = 0usize;
    let mut memo_len = 0usize;
    let mut maxproto = 0u8;
    let mut ops = Ops::new(p);
    let mut end = p.len();
    for r in ops.by_ref() {
        let op = match r {
            Ok(op) => op,
            Err(e) => {
                dis_error(out, &e)?;
                return Ok(end);
            }
        };
        maxproto = maxproto.max(opcode_protocol(op.code));
        write!(out, "{:5}: ", op.offset)?;
        if (0x20..0x7f).contains(&op.code) {
            write!(out, "{:<4} ", op.code as char)?;
        } else {
            write!(out, "\\x{:02x} ", op.code)?;
        }
        for _ in 0..nmarks.min(marks.len()) {
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
            markmsg = Some(if nmarks > 0 {
                nmarks -= 1;
                MarkMsg::At(marks[nmarks.min(marks.len() - 1)])
            } else {
                MarkMsg::Missing
            });
        }
        if op.code == 0x94 {
            markmsg = Some(MarkMsg::As(memo_len));
            memo_len += 1;
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
            if nmarks < marks.len() {
                marks[nmarks] = op.offset;
            }
            nmarks += 1;
        }
        if op.code == b'.' {
            end = op.offset + 1;
            break;
        }
    }
    writeln!(out, "highest protocol among opcodes = {maxproto}")?;
    Ok(end)
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

/// Python's `repr(str)`.
fn py_str(out: &mut impl Write, t: &Text<'_>) -> fmt::Result {
    let (mut single, mut double) = (false, false);
    for c in t.chars() {
        single |= c == '\'';
        double |= c == '"';
    }
    let q = if single && !double { '"' } else { '\'' };
    out.write_char(q)?;
    for c in t.chars() {
        py_char(out, c, q)?;
    }
    out.write_char(q)
}

fn py_char(out: &mut impl Write, c: char, q: char) -> fmt::Result {
    match c {
        '\\' => out.write_str("\\\\"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c if c == q => {
            out.write_char('\\')?;
            out.write_char(c)
        }
        c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(out, "\\x{:02x}", c as u32),
        c if c.is_ascii() => out.write_char(c),
        c if printable(c) => out.write_char(c),
        c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32),
        c => write!(out, "\\U{:08x}", c as u32),
    }
}

/// Close to Python's `str.isprintable` for non-ASCII characters.
fn printable(c: char) -> bool {
    let u = c as u32;
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || u == 0xad
        || (0x200b..=0x200f).contains(&u)
        || (0x202a..=0x202e).contains(&u)
        || (0x2060..=0x206f).contains(&u)
        || u == 0xfeff
        || (0xe000..=0xf8ff).contains(&u)
        || (0xfff9..=0xfffb).contains(&u)
        || u >= 0xf0000)
}

/// Python's `repr(bytes)`.
fn py_bytes(out: &mut impl Write, b: &[u8]) -> fmt::Result {
    let q = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    out.write_char('b')?;
    out.write_char(q)?;
    for &c in b {
        match c {
            b'\\' => out.write_str("\\\\")?,
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            b'\t' => out.write_str("\\t")?,
            c if char::from(c) == q => {
                out.write_char('\\')?;
                out.write_char(q)?;
            }
            0x20..=0x7e => out.write_char(char::from(c))?,
            c => write!(out, "\\x{c:02x}")?,
        }
    }
    out.write_char(q)
}

/// A little-endian two's-complement integer in decimal (beyond 280 bytes: its size only).
fn big_int(out: &mut impl Write, d: &[u8]) -> fmt::Result {
    if let Int::Small(v) = number::long_bytes(d) {
        return write!(out, "{v}");
    }
    if d.len() > 280 {
        return write!(out, "<{}-byte integer>", d.len());
    }
    let neg = d.last().is_some_and(|b| b & 0x80 != 0);
    // Magnitude in 32-bit limbs, least significant first.
    let mut limbs = [0u32; 72];
    let mut carry = 1u32;
    for (i, chunk) in d.chunks(4).enumerate() {
        let mut w = [if neg { 0xff } else { 0 }; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        let mut v = u32::from_le_bytes(w);
        if neg {
            let (s, c) = (!v).overflowing_add(carry);
            v = s;
            carry = u32::from(c);
        }
        limbs[i] = v;
    }
    let mut n = d.len().div_ceil(4);
    // Repeated division by 10^9, collecting 9-digit groups (least significant first).
    let mut groups = [0u32; 80];
    let mut g = 0;
    while n > 0 && g < groups.len() {
        let mut rem = 0u64;
        for i in (0..n).rev() {
            let cur = (rem << 32) | u64::from(limbs[i]);
            limbs[i] = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups[g] = rem as u32;
        g += 1;
        while n > 0 && limbs[n - 1] == 0 {
            n -= 1;
        }
    }
    if neg {
        out.write_char('-')?;
    }
    write!(out, "{}", groups[g.saturating_sub(1)])?;
    for i in (0..g.saturating_sub(1)).rev() {
        write!(out, "{:09}", groups[i])?;
    }
    Ok(())
}

/// A float as Python's `repr` prints it.
struct PyFloat(f64);

impl fmt::Display for PyFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            return f.write_str("nan");
        }
        if v.is_infinite() {
            return f.write_str(if v > 0.0 { "inf" } else { "-inf" });
        }
        let mut buf = ryu::Buffer::new();
        let s = buf.format_finite(v);
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        // Split ryu's output into significant digits and the decimal point position.
        let (mant, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().unwrap_or(0)),
            None => (s, 0),
        };
        let mut digits = [0u8; 40];
        let mut nd = 0;
        let mut point = None;
        for c in mant.bytes() {
            if c == b'.' {
                point = Some(nd);
            } else if nd < digits.len() {
                digits[nd] = c;
                nd += 1;
            }
        }
        let mut decpt = point.unwrap_or(nd) as i32 + exp;
        // Strip leading and trailing zeros.
        let mut lo = 0;
        while lo < nd && digits[lo] == b'0' {
            lo += 1;
            decpt -= 1;
        }
        let mut hi = nd;
        while hi > lo && digits[hi - 1] == b'0' {
            hi -= 1;
        }
        if neg {
            f.write_str("-")?;
        }
        if lo == hi {
            return f.write_str("0.0");
        }
        let ds = core::str::from_utf8(&digits[lo..hi]).unwrap_or("0");
        let n = ds.len() as i32;
        if decpt > 16 || decpt <= -4 {
            let (first, rest) = ds.split_at(1);
            f.write_str(first)?;
            if !rest.is_empty() {
                f.write_str(".")?;
                f.write_str(rest)?;
            }
            let e = decpt - 1;
            write!(f, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
        } else if decpt <= 0 {
            f.write_str("0.")?;
            for _ in 0..-decpt {
                f.write_str("0")?;
            }
            f.write_str(ds)
        } else if decpt >= n {
            f.write_str(ds)?;
            for _ in 0..decpt - n {
                f.write_str("0")?;
            }
            f.write_str(".0")
        } else {
            let (a, b) = ds.split_at(decpt as usize);
            write!(f, "{a}.{b}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;

    fn pf(v: f64) -> String {
        std::format!("{}", PyFloat(v))
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(pf(1.5), "1.5");
        assert_eq!(pf(1e16), "1e+16");
        assert_eq!(pf(1234567890123456.0), "1234567890123456.0");
        assert_eq!(pf(0.0001), "0.0001");
        assert_eq!(pf(0.00001), "1e-05");
        assert_eq!(pf(-0.0), "-0.0");
        assert_eq!(pf(1.7e9), "1700000000.0");
        assert_eq!(pf(1.2345e-300), "1.2345e-300");
        assert_eq!(pf(123.456), "123.456");
        assert_eq!(pf(f64::MAX), "1.7976931348623157e+308");
    }

    #[test]
    fn big_ints() {
        let mut s = String::new();
        let mut b = [0u8; 9];
        b[8] = 1;
        big_int(&mut s, &b).unwrap();
        assert_eq!(s, "18446744073709551616");
        s.clear();
        let mut b = [0u8; 10];
        b[9] = 0xff;
        big_int(&mut s, &b).unwrap();
        assert_eq!(s, "-4722366482869645213696");
    }
}
