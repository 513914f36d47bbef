//! Python's `float()` of a string, which is how carbon reads every number it receives: each field of a
//! plaintext line (`float(value)`, `float(timestamp)` in its line receiver) and each string value in a
//! pickle (Dropwizard and statsd send values as text).
//!
//! One implementation for both readers ([`crate::plaintext`] and the decoder), so that the two can never
//! read a number differently. The grammar is checked here (sign, digits with single underscores between
//! them, a decimal point, an exponent, `inf`/`infinity`/`nan` in any case, surrounding whitespace; no
//! hexadecimal, octal or binary); the conversion is core's correctly rounded `str::parse::<f64>`, given only
//! text that passed the check (it accepts a superset), so results are bit-identical to CPython's.
//!
//! CPython first maps non-ASCII decimal digits (Arabic-Indic `١٢٣`, fullwidth `１２`...) to ASCII and
//! whitespace to spaces, then drops the underscores: that needs a copy, made into a 256-byte stack buffer.
//! Longer such text (over 256 characters with underscores or non-ASCII digits: nothing a program writes)
//! comes back [`PyFloat::Unsupported`], never as a different number.

/// The outcome of Python's `float(text)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PyFloat {
    /// The float (NaN and infinities included: `float("nan")`, `float("1e999")`).
    Num(f64),
    /// `ValueError`: not a number in `float()`'s grammar.
    Invalid,
    /// A number `float()` reads that is not evaluated here (see the module documentation).
    Unsupported,
}

/// Python's `str.isspace`: what `str.split()` splits on and `float()` strips. Unicode's White_Space plus
/// the four ASCII separators U+001C..U+001F.
#[inline]
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// [`is_space`] for an ASCII byte.
#[inline]
pub(crate) const fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | 0x1c..=b' ')
}

/// The first code point of each run of ten non-ASCII decimal digits (Unicode 14, as in Python 3.11):
/// `float()` reads these as 0-9.
const DECIMAL_ZEROS: [u32; 65] = [
    0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6,
    0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50,
    0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a non-ASCII decimal digit (`unicodedata.decimal`).
fn unicode_decimal(c: char) -> Option<u8> {
    let u = c as u32;
    let i = DECIMAL_ZEROS.partition_point(|&z| z <= u).checked_sub(1)?;
    let d = u - DECIMAL_ZEROS[i];
    (d < 10).then_some(d as u8)
}

/// Length of the longest prefix of `s` that CPython's `PyOS_string_to_double` parses (0 if none), and
/// whether it is an `inf`/`nan` literal.
pub(crate) fn float_prefix(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |mut j: usize| {
        while s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let int_end = digits(i);
    let mut end = int_end;
    let mut ndigits = int_end - i;
    if s.get(end) == Some(&b'.') {
        let frac_end = digits(end + 1);
        ndigits += frac_end - end - 1;
        end = frac_end;
    }
    if ndigits == 0 {
        let rest = &s[i..];
        let starts = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
        if starts(b"infinity") {
            return (i + 8, true);
        }
        if starts(b"inf") || starts(b"nan") {
            return (i + 3, true);
        }
        return (0, false);
    }
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_end = digits(j);
        if exp_end > j {
            end = exp_end;
        }
    }
    (end, false)
}

/// Parses an ASCII float literal that [`float_prefix`] fully accepted (core's parser accepts a superset
/// of that grammar, and rounds correctly).
pub(crate) fn parse_f64(s: &[u8]) -> Option<f64> {
    core::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

/// `float(s)`.
#[inline]
pub(crate) fn float_of_str(s: &str) -> PyFloat {
    if s.is_ascii() && !s.contains('_') {
        float_of_ascii(s.as_bytes())
    } else {
        float_of_chars(s.chars())
    }
}

/// `float()` of the text these characters make.
pub(crate) fn float_of_chars(chars: impl Iterator<Item = char>) -> PyFloat {
    // Map like CPython's _PyUnicode_TransformDecimalAndSpaceToASCII into a small buffer.
    let mut buf = [0u8; 256];
    let mut n = 0;
    for c in chars {
        let b = if is_space(c) {
            b' '
        } else if c.is_ascii() {
            c as u8
        } else if let Some(d) = unicode_decimal(c) {
            b'0' + d
        } else {
            return PyFloat::Invalid;
        };
        if !(b.is_ascii_alphanumeric()
            || matches!(
                b,
                b' ' | b'+' | b'-' | b'.' | b'_' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'
            ))
        {
            return PyFloat::Invalid;
        }
        if n == buf.len() {
            return PyFloat::Unsupported;
        }
        buf[n] = b;
        n += 1;
    }
    let s = &buf[..n];
    if !s.contains(&b'_') {
        return float_of_ascii(s);
    }
    // _Py_string_to_number_with_underscores: only between digits.
    let mut out = [0u8; 256];
    let mut m = 0;
    let mut prev = 0u8;
    for &c in s {
        if c == b'_' {
            if !prev.is_ascii_digit() {
                return PyFloat::Invalid;
            }
        } else {
            if prev == b'_' && !c.is_ascii_digit() {
                return PyFloat::Invalid;
            }
            out[m] = c;
            m += 1;
        }
        prev = c;
    }
    if prev == b'_' {
        return PyFloat::Invalid;
    }
    float_of_ascii(&out[..m])
}

/// `float()` of an ASCII string without underscores.
fn float_of_ascii(s: &[u8]) -> PyFloat {
    let ws = |b: &u8| is_ascii_space(*b);
    let start = s.iter().position(|b| !ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    let s = &s[start..end];
    let (n, _) = float_prefix(s);
    if n == 0 || n != s.len() {
        return PyFloat::Invalid;
    }
    match parse_f64(s) {
        Some(v) => PyFloat::Num(v),
        None => PyFloat::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_pythons() {
        for c in [
            '\t', '\n', '\x0b', '\x0c', '\r', '\x1c', '\x1f', ' ', '\u{85}', '\u{a0}', '\u{1680}',
            '\u{2000}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
        ] {
            assert!(is_space(c), "{c:?}");
        }
        for c in [
            '\0', '\x08', '\x0e', '\x1b', '\x7f', '\u{feff}', '\u{200b}', '\u{180e}',
        ] {
            assert!(!is_space(c), "{c:?}");
        }
        for b in 0..0x80u8 {
            assert_eq!(is_ascii_space(b), is_space(b as char), "{b:#x}");
        }
    }

    #[test]
    fn floats() {
        assert_eq!(float_of_str("1.5"), PyFloat::Num(1.5));
        assert_eq!(float_of_str("1_000.5"), PyFloat::Num(1000.5));
        assert_eq!(float_of_str("0x10"), PyFloat::Invalid);
        assert_eq!(float_of_str("1__0"), PyFloat::Invalid);
        assert_eq!(float_of_str("\u{661}\u{660}"), PyFloat::Num(10.0));
        assert_eq!(float_of_str("1e999"), PyFloat::Num(f64::INFINITY));
        let long = "1_0".repeat(100);
        assert_eq!(float_of_str(&long), PyFloat::Unsupported);
    }
}
