//! Fields as Python's `str.split()` (no arguments) finds them: the runs of characters between whitespace,
//! where whitespace is `str.isspace`.
//!
//! Carbon splits each line with `line.strip().split()`. Python's whitespace is Unicode's White_Space plus
//! U+001C..U+001F: ASCII 9-13 and 28-32, and U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
//! U+202F, U+205F, U+3000. Rust's `split_ascii_whitespace` misses the non-ASCII ones and U+001C..U+001F,
//! `split_whitespace` misses U+001C..U+001F, so this is its own scan. It looks at one byte at a time
//! through a table, and only after one of the four lead bytes that begin a non-ASCII space (0xC2, 0xE1,
//! 0xE2, 0xE3) at the bytes after it; it matches exact byte sequences, so it is right on any bytes, UTF-8
//! or not (which the blank-line test relies on).

use crate::pyfloat::is_ascii_space;

/// 0: part of a field; 1: an ASCII space; 2: may begin a non-ASCII space.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if is_ascii_space(i as u8) {
            1
        } else if matches!(i, 0xc2 | 0xe1 | 0xe2 | 0xe3) {
            2
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Length in bytes of the whitespace character at `s[i]` (which must exist), or 0 if it is none.
#[inline]
pub(crate) fn space_at(s: &[u8], i: usize) -> usize {
    match CLASS[s[i] as usize] {
        0 => 0,
        1 => 1,
        _ => non_ascii_space_at(s, i),
    }
}

#[cold]
fn non_ascii_space_at(s: &[u8], i: usize) -> usize {
    let next = |k: usize| s.get(i + k).copied().unwrap_or(0);
    let space = match (s[i], next(1), next(2)) {
        (0xc2, 0x85 | 0xa0, _) => return 2, // U+0085, U+00A0
        (0xe1, 0x9a, 0x80) => true,         // U+1680
        (0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf) => true, // U+2000..U+200A, U+2028, U+2029, U+202F
        (0xe2, 0x81, 0x9f) => true,                             // U+205F
        (0xe3, 0x80, 0x80) => true,                             // U+3000
        _ => false,
    };
    if space {
        3
    } else {
        0
    }
}

/// True when `s` holds only whitespace (or nothing).
pub(crate) fn is_blank(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        match space_at(s, i) {
            0 => return false,
            n => i += n,
        }
    }
    true
}

/// The fields of a line with their byte offsets, as `str.split()` returns them.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Fields { s, pos: 0 }
    }
}

impl<'a> Iterator for Fields<'a> {
    /// (byte offset, field)
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.s.as_bytes();
        let mut i = self.pos;
        while i < b.len() {
            match space_at(b, i) {
                0 => break,
                n => i += n,
            }
        }
        if i == b.len() {
            self.pos = i;
            return None;
        }
        let start = i;
        // A byte of a field is never the lead byte of a space; continuation bytes never are either.
        while i < b.len() && (CLASS[b[i] as usize] == 0 || space_at(b, i) == 0) {
            i += 1;
        }
        self.pos = i;
        // `start` follows a whole space character or the start, `i` is a space's first byte or the end:
        // both are character boundaries.
        self.s.get(start..i).map(|f| (start, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyfloat::is_space;

    #[test]
    fn space_at_is_python_isspace_for_every_character() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let s = c.encode_utf8(&mut buf).as_bytes();
            let want = if is_space(c) { s.len() } else { 0 };
            assert_eq!(space_at(s, 0), want, "{c:?}");
        }
    }

    #[test]
    fn fields_as_str_split() {
        fn f(s: &str) -> Vec<(usize, &str)> {
            Fields::new(s).collect()
        }
        assert_eq!(f("a.b 1 2"), [(0, "a.b"), (4, "1"), (6, "2")]);
        assert_eq!(f("  a\t\r1\x1c2 \r"), [(2, "a"), (5, "1"), (7, "2")]);
        assert_eq!(f("a\u{2028}1\u{3000}2"), [(0, "a"), (4, "1"), (8, "2")]);
        assert_eq!(f("\u{feff}a\u{a0}é"), [(0, "\u{feff}a"), (6, "é")]);
        assert_eq!(f(""), []);
        assert_eq!(f(" \u{85} "), []);
        assert!(is_blank(b" \t\r\xe3\x80\x80"));
        assert!(!is_blank(b" \xe3\x80"));
        assert!(!is_blank(b"\xff"));
    }
}
