//! Numbers the way CPython reads them: the text opcodes (`I`, `L`, `F`, memo indexes), binary big integers
//! (`LONG1`, `LONG4`), and `float()` applied to whatever the pickle held, which is how carbon turns every
//! timestamp and value into a float (string values included, as Dropwizard and statsd send them).
//!
//! Every conversion is correctly rounded (core's decimal parser, and a sticky-bit rounding of big binary
//! integers), so the results are bit-identical to CPython's. `float()` of a string is the crate's one
//! implementation, shared with the plaintext line reader (`crate::pyfloat`). The few forms CPython accepts
//! and this module does not evaluate (over 256 characters of text with underscores or non-ASCII digits,
//! huge hexadecimal integers) come back as `Unsupported`, never as a different number.

use super::text::Text;
use crate::pyfloat::{self, float_prefix, parse_f64, PyFloat};

/// The outcome of Python's `float(x)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Conv {
    /// The float.
    Num(f64),
    /// `ValueError`: a string that is not a number (carbon skips the datapoint).
    ValueError,
    /// `TypeError`: not a number or string (`None`, a tuple...; carbon skips the datapoint).
    TypeError,
    /// `OverflowError`: an integer beyond the float range (carbon drops the connection).
    Overflow,
    /// A form this decoder does not evaluate.
    Unsupported,
}

/// An integer from the pickle, as far as `float()` is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Int {
    /// Fits 64 bits.
    Small(i64),
    /// Larger, with its correctly rounded float value (`None`: beyond the float range).
    Big(Option<f64>),
}

impl Int {
    pub(crate) fn conv(self) -> Conv {
        match self {
            Int::Small(v) => Conv::Num(v as f64),
            Int::Big(Some(f)) => Conv::Num(f),
            Int::Big(None) => Conv::Overflow,
        }
    }
}

/// C's `isspace` / CPython's `Py_ISSPACE` (ASCII only).
fn c_isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The `F` opcode's line (without the newline): CPython's `load_float`.
pub(crate) fn float_line(line: &[u8]) -> Result<f64, NumError> {
    let (n, literal) = float_prefix(line);
    if n == 0 {
        return Err(NumError::Invalid);
    }
    match line.get(n) {
        None | Some(0) => {}
        Some(_) => return Err(NumError::Invalid),
    }
    let v = parse_f64(&line[..n]).ok_or(NumError::Invalid)?;
    if v.is_infinite() && !literal {
        return Err(NumError::Overflow);
    }
    Ok(v)
}

/// Why a number in the pickle text is refused (CPython raises the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Not a number in the opcode's syntax (`ValueError`).
    Invalid,
    /// `F` literal beyond the float range (`OverflowError`).
    Overflow,
    /// More than 4,300 decimal digits (Python's `int_max_str_digits`).
    TooManyDigits,
    /// Valid for CPython, not evaluated here (a hexadecimal/octal/binary integer over 64 bits).
    Unsupported,
}

/// `float()` of a string value, as carbon applies it.
pub(crate) fn float_of_text(t: &Text<'_>) -> Conv {
    // Most strings are paths: a leading letter that cannot start "inf" or "nan" settles it at once.
    if let Some(&b) = t.raw().first() {
        if b.is_ascii_alphabetic() && !matches!(b | 0x20, b'i' | b'n') {
            return Conv::ValueError;
        }
    }
    let f = match t.as_str() {
        Some(s) => pyfloat::float_of_str(s),
        None => pyfloat::float_of_chars(t.chars()),
    };
    match f {
        PyFloat::Num(v) => Conv::Num(v),
        PyFloat::Invalid => Conv::ValueError,
        PyFloat::Unsupported => Conv::Unsupported,
    }
}

/// The `I` opcode's line, newline included: CPython's `load_int` (C `strtol` with base 0, then
/// `int(line, 0)` when that does not consume the line).
pub(crate) fn int_line(line: &[u8]) -> Result<Int, NumError> {
    if let Some(v) = strtol(line) {
        return Ok(Int::Small(v));
    }
    py_int(c_string(line), 0)
}

/// The `L` opcode's line, newline included: an optional trailing `L` is dropped, then `int(text, 0)`.
pub(crate) fn long_line(line: &[u8]) -> Result<Int, NumError> {
    let n = line.len();
    let text = if n >= 2 && line[n - 2] == b'L' {
        &line[..n - 2]
    } else {
        line
    };
    py_int(c_string(text), 0)
}

/// A memo index line (`p`, `g`), newline included: `int(text, 10)`.
pub(crate) fn index_line(line: &[u8]) -> Result<Int, NumError> {
    py_int(c_string(line), 10)
}

/// What C sees of a line: up to the first NUL.
fn c_string(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// Skips C white space and one optional sign: where the digits start, and whether the sign was `-`.
fn space_and_sign(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    while s.get(i).copied().is_some_and(c_isspace) {
        i += 1;
    }
    match s.get(i) {
        Some(b'-') => (i + 1, true),
        Some(b'+') => (i + 1, false),
        _ => (i, false),
    }
}

/// glibc `strtol(s, &end, 0)`, accepted only when it succeeds and stops at `\n` or NUL.
fn strtol(line: &[u8]) -> Option<i64> {
    let (mut i, neg) = space_and_sign(line);
    let hex_digit = |j: usize| line.get(j).is_some_and(u8::is_ascii_hexdigit);
    let base: u32 = if line.get(i) == Some(&b'0')
        && matches!(line.get(i + 1), Some(b'x' | b'X'))
        && hex_digit(i + 2)
    {
        i += 2;
        16
    } else if line.get(i) == Some(&b'0') {
        8
    } else {
        10
    };
    let start = i;
    let mut mag: u64 = 0;
    let mut overflow = false;
    while let Some(d) = line.get(i).and_then(|&b| (b as char).to_digit(base)) {
        match mag
            .checked_mul(u64::from(base))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) => mag = m,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start || overflow {
        return None;
    }
    match line.get(i) {
        Some(b'\n' | 0) => {}
        _ => return None,
    }
    if neg {
        if mag <= 1u64 << 63 {
            Some((mag as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// CPython's `PyLong_FromString(s, NULL, base)` for base 0 or 10, on a NUL-free string.
fn py_int(s: &[u8], base: u32) -> Result<Int, NumError> {
    let (mut i, neg) = space_and_sign(s);
    let mut base = base;
    let mut zeros_only = false;
    if base == 0 {
        if s.get(i) != Some(&b'0') {
            base = 10;
        } else {
            base = match s.get(i + 1) {
                Some(b'x' | b'X') => 16,
                Some(b'o' | b'O') => 8,
                Some(b'b' | b'B') => 2,
                _ => {
                    zeros_only = true;
                    10
                }
            };
            if base != 10 {
                i += 2;
                if s.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
        }
    }
    if s.get(i) == Some(&b'_') {
        return Err(NumError::Invalid);
    }
    let start = i;
    let mut prev = 0u8;
    let mut digits = 0usize;
    let mut nonzero = false;
    let mut mag: u64 = 0;
    let mut fits = true;
    while let Some(&b) = s.get(i) {
        if b == b'_' {
            if prev == b'_' {
                return Err(NumError::Invalid);
            }
        } else if let Some(d) = (b as char).to_digit(base) {
            digits += 1;
            nonzero |= d != 0;
            match mag
                .checked_mul(u64::from(base))
                .and_then(|m| m.checked_add(u64::from(d)))
            {
                Some(m) => mag = m,
                None => fits = false,
            }
        } else {
            break;
        }
        prev = b;
        i += 1;
    }
    let end = i;
    if prev == b'_' || digits == 0 {
        return Err(NumError::Invalid);
    }
    if zeros_only && nonzero {
        return Err(NumError::Invalid);
    }
    while s.get(i).copied().is_some_and(c_isspace) {
        i += 1;
    }
    if i != s.len() {
        return Err(NumError::Invalid);
    }
    if base == 10 && digits > 4300 {
        return Err(NumError::TooManyDigits);
    }
    if fits {
        if !neg && mag <= i64::MAX as u64 {
            return Ok(Int::Small(mag as i64));
        }
        if neg && mag <= 1u64 << 63 {
            return Ok(Int::Small((mag as i64).wrapping_neg()));
        }
        let f = mag as f64;
        return Ok(Int::Big(Some(if neg { -f } else { f })));
    }
    if base != 10 {
        return Err(NumError::Unsupported);
    }
    // Decimal beyond 64 bits: without leading zeros, more than 309 digits is beyond the float range.
    if digits > 309 {
        return Ok(Int::Big(None));
    }
    let mut buf = [0u8; 312];
    let mut n = 0;
    if neg {
        buf[0] = b'-';
        n = 1;
    }
    for &b in &s[start..end] {
        if b != b'_' {
            buf[n] = b;
            n += 1;
        }
    }
    let f = parse_f64(&buf[..n]).ok_or(NumError::Invalid)?;
    Ok(Int::Big(f.is_finite().then_some(f)))
}

/// A little-endian two's-complement integer (`LONG1`, `LONG4`), correctly rounded to a float.
pub(crate) fn long_bytes(b: &[u8]) -> Int {
    let n = b.len();
    if n == 0 {
        return Int::Small(0);
    }
    if n <= 8 {
        let mut buf = if b[n - 1] & 0x80 != 0 {
            [0xff; 8]
        } else {
            [0; 8]
        };
        buf[..n].copy_from_slice(b);
        return Int::Small(i64::from_le_bytes(buf));
    }
    let neg = b[n - 1] & 0x80 != 0;
    // Magnitude byte i: for negatives, !x + 1, where the +1 carries through the low zero bytes.
    let first_nonzero = b.iter().position(|&x| x != 0).unwrap_or(n);
    let mag = |i: usize| -> u8 {
        if !neg {
            b[i]
        } else if i < first_nonzero {
            0
        } else if i == first_nonzero {
            b[i].wrapping_neg()
        } else {
            !b[i]
        }
    };
    let Some(top) = (0..n).rev().find(|&i| mag(i) != 0) else {
        return Int::Small(0);
    };
    if top < 8 {
        let mut m: u64 = 0;
        for i in (0..=top).rev() {
            m = (m << 8) | u64::from(mag(i));
        }
        return match (neg, i64::try_from(m)) {
            (false, Ok(v)) => Int::Small(v),
            (true, _) if m <= 1 << 63 => Int::Small((m as i64).wrapping_neg()),
            (false, _) => Int::Big(Some(m as f64)),
            (true, _) => Int::Big(Some(-(m as f64))),
        };
    }
    if top >= 129 {
        // At least 2^1032: beyond the float range.
        return Int::Big(None);
    }
    let mut acc: u128 = 0;
    let mut taken = 0;
    let mut i = top as isize;
    while i >= 0 && taken < 16 {
        acc = (acc << 8) | u128::from(mag(i as usize));
        taken += 1;
        i -= 1;
    }
    let mut sticky = (0..=i).any(|j| j >= 0 && mag(j as usize) != 0);
    let mut exp = 8 * (i + 1) as i32;
    let bits = 128 - acc.leading_zeros() as i32;
    let mut m = acc;
    if bits > 64 {
        let shift = bits - 64;
        sticky |= acc & ((1u128 << shift) - 1) != 0;
        m = acc >> shift;
        exp += shift;
    }
    let m = (m as u64) | u64::from(sticky);
    let f = m as f64 * f64::from_bits(((exp + 1023) as u64) << 52);
    if f.is_infinite() {
        return Int::Big(None);
    }
    Int::Big(Some(if neg { -f } else { f }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_lines() {
        assert_eq!(float_line(b"1.5"), Ok(1.5));
        assert_eq!(float_line(b"1.5\0junk"), Ok(1.5));
        assert_eq!(float_line(b"-inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(float_line(b"1e999"), Err(NumError::Overflow));
        assert_eq!(float_line(b" 1.5"), Err(NumError::Invalid));
        assert_eq!(float_line(b"1e"), Err(NumError::Invalid));
        assert_eq!(float_line(b"5."), Ok(5.0));
        assert!(float_line(b"nan").unwrap().is_nan());
        assert_eq!(float_line(b"infinit"), Err(NumError::Invalid));
    }

    #[test]
    fn float_of_strings() {
        let f = |s: &str| float_of_text(&Text::from(s));
        assert_eq!(f(" 1.5\n"), Conv::Num(1.5));
        assert_eq!(f("1_000.5"), Conv::Num(1000.5));
        assert_eq!(f("1__0"), Conv::ValueError);
        assert_eq!(f("_1"), Conv::ValueError);
        assert_eq!(f("1e999"), Conv::Num(f64::INFINITY));
        assert_eq!(f("Infinity"), Conv::Num(f64::INFINITY));
        assert_eq!(f("\u{a0}2\u{3000}"), Conv::Num(2.0));
        assert_eq!(f("\u{661}\u{660}.5"), Conv::Num(10.5));
        assert_eq!(f("\u{1d7d9}"), Conv::Num(1.0));
        assert_eq!(f("\u{2160}"), Conv::ValueError);
        assert_eq!(f("a.b"), Conv::ValueError);
        assert_eq!(f(""), Conv::ValueError);
        assert_eq!(f("\x1c3"), Conv::Num(3.0));
    }

    #[test]
    fn ints() {
        assert_eq!(int_line(b"1234\n"), Ok(Int::Small(1234)));
        assert_eq!(int_line(b"010\n"), Ok(Int::Small(8)));
        assert_eq!(int_line(b"0x1f\n"), Ok(Int::Small(31)));
        assert_eq!(int_line(b"1_000\n"), Ok(Int::Small(1000)));
        assert_eq!(int_line(b"09\n"), Err(NumError::Invalid));
        assert_eq!(
            int_line(b"-9223372036854775808\n"),
            Ok(Int::Small(i64::MIN))
        );
        assert_eq!(
            int_line(b"18446744073709551616\n"),
            Ok(Int::Big(Some(18446744073709551616.0)))
        );
        assert_eq!(long_line(b"1234L\n"), Ok(Int::Small(1234)));
        assert_eq!(long_line(b"1234\n"), Ok(Int::Small(1234)));
        assert_eq!(long_line(b"0123L\n"), Err(NumError::Invalid));
        assert_eq!(long_line(b"000L\n"), Ok(Int::Small(0)));
        assert_eq!(index_line(b"12\n"), Ok(Int::Small(12)));
        assert_eq!(index_line(b"0x12\n"), Err(NumError::Invalid));
        let big = [b'9'; 400];
        let mut line = [b'\n'; 401];
        line[..400].copy_from_slice(&big);
        assert_eq!(long_line(&line), Ok(Int::Big(None)));
    }

    #[test]
    fn long_bytes_round_correctly() {
        assert_eq!(long_bytes(&[]), Int::Small(0));
        assert_eq!(long_bytes(&[0xff]), Int::Small(-1));
        assert_eq!(long_bytes(&[0x00, 0x80]), Int::Small(-32768));
        // 2^64 + 1 rounds to 2^64.
        let mut b = [0u8; 9];
        b[0] = 1;
        b[8] = 1;
        assert_eq!(long_bytes(&b), Int::Big(Some(18446744073709551616.0)));
        // -2^72
        let mut b = [0u8; 10];
        b[9] = 0xff;
        assert_eq!(long_bytes(&b), Int::Big(Some(-(2f64.powi(72)))));
        // 2^53 + 1 (with 2^80 set to force the slow path) stays exact where representable.
        let mut b = [0u8; 12];
        b[10] = 1; // 2^80
        b[0] = 1;
        assert_eq!(long_bytes(&b), Int::Big(Some(2f64.powi(80))));
        assert_eq!(long_bytes(&[0xff; 200]), Int::Small(-1));
        assert_eq!(long_bytes(&[0xff; 129]), Int::Small(-1));
        let mut b = [0u8; 140];
        b[135] = 1;
        assert_eq!(long_bytes(&b), Int::Big(None));
    }
}
