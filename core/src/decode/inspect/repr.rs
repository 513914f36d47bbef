//! Python's `repr` of what a pickle holds (strings, bytes, integers of any size, floats), so that listings
//! and datapoints read as `pickletools.dis` and carbon's logs print them.

use core::fmt::{self, Write};

use super::super::number::{self, Int};
use super::super::text::Text;

/// Python's `repr(str)`.
pub(super) fn py_str(out: &mut impl Write, t: &Text<'_>) -> fmt::Result {
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

pub(super) fn py_char(out: &mut impl Write, c: char, q: char) -> fmt::Result {
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
pub(super) fn py_bytes(out: &mut impl Write, b: &[u8]) -> fmt::Result {
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
pub(super) fn big_int(out: &mut impl Write, d: &[u8]) -> fmt::Result {
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
pub(super) struct PyFloat(pub(super) f64);

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
