//! Python 3's `repr()` of a `str` and `str()` of a `(server, instance)` tuple, written to a formatter.
//!
//! carbon_ch places each destination on the ring by hashing `"%s:%d" % ((server, instance), i)`, that is
//! Python's `str()` of the tuple: each string is shown with `repr()`, so a host or an instance with a
//! quote, a backslash, a control character or a non-printable character is hashed in its quoted, escaped
//! form. Getting one byte of that wrong moves all of a destination's 100 points on the ring, so the rules
//! here follow CPython's `unicode_repr` exactly:
//!
//! - quotes: `'...'`, unless the text holds a `'` and no `"`, then `"..."`;
//! - `\\`, the chosen quote (only `'` ever needs it), `\t`, `\n` and `\r` get a backslash;
//! - other ASCII controls and DEL become `\xhh`;
//! - non-ASCII characters stay as they are when printable, else become `\xhh`, `\uhhhh` or `\Uhhhhhhhh`
//!   (printable as Python 3.11 and Unicode 14.0 define it, see [`printable`](super::printable)).
//!
//! Nothing is allocated: the text goes straight into any [`fmt::Write`], such as the md5 hasher.

use core::fmt::{self, Write};

use super::printable::{ASTRAL, BMP};

/// Python's `str.isprintable()` for one character.
pub(crate) fn is_printable(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x80 {
        return (0x20..0x7f).contains(&cp);
    }
    let escaped = if cp <= 0xffff {
        let cp = cp as u16;
        BMP.binary_search_by(|&(lo, hi)| order(lo, hi, cp)).is_ok()
    } else {
        ASTRAL
            .binary_search_by(|&(lo, hi)| order(lo, hi, cp))
            .is_ok()
    };
    !escaped
}

/// Where the range `lo..=hi` lies relative to `x`, for a binary search over disjoint sorted ranges.
fn order<T: Ord>(lo: T, hi: T, x: T) -> core::cmp::Ordering {
    if hi < x {
        core::cmp::Ordering::Less
    } else if lo > x {
        core::cmp::Ordering::Greater
    } else {
        core::cmp::Ordering::Equal
    }
}

/// Python's `repr()` of a `str`: `PyRepr("it's")` shows as `"it's"`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyRepr<'a>(pub(crate) &'a str);

impl fmt::Display for PyRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let quote = if s.contains('\'') && !s.contains('"') {
            '"'
        } else {
            '\''
        };
        f.write_char(quote)?;
        // Runs of characters shown as they are go out as one slice.
        let mut plain = 0;
        for (at, c) in s.char_indices() {
            let escape_ascii = match c {
                '\\' => Some("\\\\"),
                '\t' => Some("\\t"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\'' if quote == '\'' => Some("\\'"),
                _ => None,
            };
            if escape_ascii.is_none() && is_printable(c) {
                continue;
            }
            f.write_str(&s[plain..at])?;
            plain = at + c.len_utf8();
            match (escape_ascii, c as u32) {
                (Some(e), _) => f.write_str(e)?,
                (None, cp @ 0..=0xff) => write!(f, "\\x{cp:02x}")?,
                (None, cp @ 0x100..=0xffff) => write!(f, "\\u{cp:04x}")?,
                (None, cp) => write!(f, "\\U{cp:08x}")?,
            }
        }
        f.write_str(&s[plain..])?;
        f.write_char(quote)
    }
}

/// Python's `str()` of the tuple `(server, instance)`, `None` for a missing instance: `('10.0.0.1', 'a')`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyTuple<'a>(pub(crate) &'a str, pub(crate) Option<&'a str>);

impl fmt::Display for PyTuple<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, ", PyRepr(self.0))?;
        match self.1 {
            Some(i) => write!(f, "{})", PyRepr(i)),
            None => f.write_str("None)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;

    #[test]
    fn quotes_and_escapes_like_python() {
        let cases = [
            ("", "''"),
            ("10.0.0.1", "'10.0.0.1'"),
            ("it's", "\"it's\""),
            ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", "'both \\' and \"'"),
            ("a\\b", "'a\\\\b'"),
            ("t\tn\nr\r", "'t\\tn\\nr\\r'"),
            ("\0\x1f\x7f", "'\\x00\\x1f\\x7f'"),
            ("caf\u{e9}", "'caf\u{e9}'"),
            ("\u{a0}\u{ad}\u{85}", "'\\xa0\\xad\\x85'"),
            ("\u{200b}\u{2028}\u{feff}", "'\\u200b\\u2028\\ufeff'"),
            ("\u{e000}", "'\\ue000'"),
            ("\u{1f600}", "'\u{1f600}'"),
            ("\u{e0001}\u{10ffff}", "'\\U000e0001\\U0010ffff'"),
            ("日本", "'日本'"),
        ];
        for (text, repr) in cases {
            assert_eq!(format!("{}", PyRepr(text)), repr, "repr of {text:?}");
        }
    }

    #[test]
    fn tuple_like_python() {
        assert_eq!(
            format!("{}", PyTuple("10.0.0.1", Some("a"))),
            "('10.0.0.1', 'a')"
        );
        assert_eq!(format!("{}", PyTuple("::1", None)), "('::1', None)");
    }

    #[test]
    fn printable_edges() {
        assert!(is_printable(' '));
        assert!(!is_printable('\x7f'));
        assert!(!is_printable('\u{a0}'));
        assert!(is_printable('\u{a1}'));
        assert!(!is_printable('\u{378}'));
        assert!(is_printable('\u{1f600}'));
        assert!(!is_printable('\u{10ffff}'));
    }
}
