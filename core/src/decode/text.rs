//! Strings as they sit in a pickle, decoded lazily so that nothing is copied or allocated.
//!
//! Binary string opcodes (`X`, `\x8c`, `\x8d`, `T`, `U`) carry UTF-8 as is, and so do protocol-0 strings
//! without a backslash: those are handed out as borrowed `&str`. Two protocol-0 forms need decoding:
//! `S'...'` with backslash escapes (Python's `escape_decode`, then UTF-8, as carbon's unpickler does) and
//! `V...` in `raw-unicode-escape` (bytes are Latin-1 characters, `\uXXXX`/`\UXXXXXXXX` are escapes). For
//! those the decoder validates the text once, when it reads the opcode, and [`Text`] decodes it again on
//! demand ([`Text::chars`], [`Display`](core::fmt::Display), [`Text::decode_into`]) instead of needing a
//! scratch buffer per string: any number of such strings, memoized and reused across datapoints, costs no
//! memory at all.

use core::fmt;

/// How a [`Text`]'s raw bytes encode its characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum TextKind {
    /// The bytes are the UTF-8 text.
    Utf8,
    /// `S` string body with backslash escapes; the unescaped bytes are valid UTF-8.
    Escaped,
    /// `V` body in raw-unicode-escape; validated (escapes well-formed, no surrogates).
    RawUnicode,
}

/// A decoded pickle string: a metric path or a string value, borrowed from the frame.
///
/// ```
/// use carbon_pickle::decode::Text;
/// let t = Text::from("servers.a.cpu");
/// assert_eq!(t.as_str(), Some("servers.a.cpu"));
/// assert_eq!(t, "servers.a.cpu");
/// ```
#[derive(Clone, Copy)]
pub struct Text<'a> {
    raw: &'a [u8],
    kind: TextKind,
    /// The text itself when `kind` is `Utf8` and it was at hand; otherwise checked again on demand (the
    /// decoder hands out paths without re-checking them, so its work per datapoint stays constant).
    utf8: Option<&'a str>,
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text {
            raw: s.as_bytes(),
            kind: TextKind::Utf8,
            utf8: Some(s),
        }
    }
}

/// Why a string opcode's argument is not a valid string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextError {
    /// `\x` not followed by two hex digits, or a `\` at the very end (`S`).
    BadEscape(usize),
    /// The unescaped bytes are not UTF-8 (`S`, `T`, `U`, `X`...).
    InvalidUtf8(usize),
    /// `\u`/`\U` not followed by enough hex digits, or beyond U+10FFFF (`V`).
    BadUnicodeEscape(usize),
    /// A `\uD800`-style surrogate: Python keeps it, a Rust string cannot hold it (`V`).
    Surrogate(usize),
}

impl<'a> Text<'a> {
    pub(crate) fn raw_parts(&self) -> (&'a [u8], TextKind) {
        (self.raw, self.kind)
    }

    pub(crate) fn from_parts(raw: &'a [u8], kind: TextKind) -> Self {
        Text {
            raw,
            kind,
            utf8: None,
        }
    }

    /// UTF-8 bytes (binary string opcodes).
    pub(crate) fn utf8(raw: &'a [u8]) -> Result<Self, TextError> {
        match core::str::from_utf8(raw) {
            Ok(s) => Ok(Text::from(s)),
            Err(e) => Err(TextError::InvalidUtf8(e.valid_up_to())),
        }
    }

    /// The body of `S'...'` (without the quotes).
    pub(crate) fn escaped(body: &'a [u8]) -> Result<Self, TextError> {
        if !body.contains(&b'\\') {
            return Self::utf8(body);
        }
        let mut v = Utf8Check::default();
        let mut it = Unescape {
            raw: body,
            pos: 0,
            pending: None,
        };
        loop {
            let at = it.pos;
            match it.next_byte() {
                None => break,
                Some(Err(at)) => return Err(TextError::BadEscape(at)),
                Some(Ok(b)) => {
                    if !v.push(b) {
                        return Err(TextError::InvalidUtf8(at));
                    }
                }
            }
        }
        if !v.finished() {
            return Err(TextError::InvalidUtf8(body.len()));
        }
        Ok(Text {
            raw: body,
            kind: TextKind::Escaped,
            utf8: None,
        })
    }

    /// The body of `V...` (without the newline).
    pub(crate) fn raw_unicode(body: &'a [u8]) -> Result<Self, TextError> {
        if body.is_ascii() && !body.contains(&b'\\') {
            // ASCII without escapes is its own UTF-8.
            return Self::utf8(body);
        }
        let mut it = RawChars {
            raw: body,
            pos: 0,
            pending: None,
        };
        loop {
            match it.next_checked() {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        Ok(Text {
            raw: body,
            kind: TextKind::RawUnicode,
            utf8: None,
        })
    }

    /// The text as a borrowed `&str`, when the pickle holds it as plain UTF-8 (always for protocols 1-5, and
    /// for protocol-0 strings without escapes or Latin-1 bytes). Costs one UTF-8 check of the bytes.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.kind {
            // Checked when the pickle was read; from_utf8 cannot fail here.
            TextKind::Utf8 => self.utf8.or_else(|| core::str::from_utf8(self.raw).ok()),
            _ => None,
        }
    }

    /// The bytes as they are in the pickle (still escaped for protocol-0 strings).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// True when the text needs decoding (it is not a borrowed `&str`).
    pub fn is_escaped(&self) -> bool {
        self.kind != TextKind::Utf8
    }

    /// The characters, decoded on the fly.
    pub fn chars(&self) -> Chars<'a> {
        Chars(match self.kind {
            TextKind::Utf8 => CharsInner::Utf8(self.as_str().unwrap_or("").chars()),
            TextKind::Escaped => CharsInner::Escaped(
                Unescape {
                    raw: self.raw,
                    pos: 0,
                    pending: None,
                },
                Utf8Decode::default(),
            ),
            TextKind::RawUnicode => CharsInner::Raw(RawChars {
                raw: self.raw,
                pos: 0,
                pending: None,
            }),
        })
    }

    /// Length of the text in UTF-8 bytes (what [`decode_into`](Self::decode_into) needs).
    pub fn len_utf8(&self) -> usize {
        match self.as_str() {
            Some(s) => s.len(),
            None => self.chars().map(char::len_utf8).sum(),
        }
    }

    /// True when the text is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Decodes the text into `buf` and returns it as a `&str` there; `None` when `buf` is shorter than
    /// [`len_utf8`](Self::len_utf8). Borrowed texts are copied too; use [`as_str`](Self::as_str) first to
    /// avoid that.
    ///
    /// ```
    /// use carbon_pickle::decode::Text;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(Text::from("a.b").decode_into(&mut buf), Some("a.b"));
    /// assert_eq!(Text::from("a.b").decode_into(&mut buf[..2]), None);
    /// ```
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let mut n = 0;
        for c in self.chars() {
            let l = c.len_utf8();
            let dst = buf.get_mut(n..n + l)?;
            c.encode_utf8(dst);
            n += l;
        }
        core::str::from_utf8(&buf[..n]).ok()
    }

    /// Number of characters, counting at most `limit`.
    pub(crate) fn count_chars(&self, limit: usize) -> usize {
        self.chars().take(limit).count()
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.as_str() {
            return f.write_str(s);
        }
        let mut buf = [0u8; 4];
        for c in self.chars() {
            f.write_str(c.encode_utf8(&mut buf))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.chars() {
            for e in c.escape_debug() {
                fmt::Write::write_char(f, e)?;
            }
        }
        f.write_str("\"")
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_str(), other.as_str()) {
            (Some(a), Some(b)) => a == b,
            _ => self.chars().eq(other.chars()),
        }
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        match self.as_str() {
            Some(s) => s == other,
            None => self.chars().eq(other.chars()),
        }
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Text<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self.as_str() {
            Some(s) => defmt::write!(f, "{=str}", s),
            None => defmt::write!(f, "<escaped {=[u8]}>", self.raw),
        }
    }
}

/// The characters of a [`Text`].
#[derive(Clone)]
pub struct Chars<'a>(CharsInner<'a>);

#[derive(Clone)]
enum CharsInner<'a> {
    Utf8(core::str::Chars<'a>),
    Escaped(Unescape<'a>, Utf8Decode),
    Raw(RawChars<'a>),
}

impl Iterator for Chars<'_> {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        match &mut self.0 {
            CharsInner::Utf8(c) => c.next(),
            CharsInner::Escaped(u, d) => loop {
                match u.next_byte()? {
                    Ok(b) => {
                        if let Some(c) = d.push(b) {
                            return Some(c);
                        }
                    }
                    Err(_) => return Some(char::REPLACEMENT_CHARACTER),
                }
            },
            CharsInner::Raw(r) => match r.next_checked()? {
                Ok(c) => Some(c),
                Err(_) => Some(char::REPLACEMENT_CHARACTER),
            },
        }
    }
}

/// Python's `codecs.escape_decode`, one output byte at a time; `Err(offset)` for a bad escape.
#[derive(Clone)]
struct Unescape<'a> {
    raw: &'a [u8],
    pos: usize,
    pending: Option<u8>,
}

impl Unescape<'_> {
    fn next_byte(&mut self) -> Option<Result<u8, usize>> {
        if let Some(b) = self.pending.take() {
            return Some(Ok(b));
        }
        let raw = self.raw;
        let b = *raw.get(self.pos)?;
        let start = self.pos;
        self.pos += 1;
        if b != b'\\' {
            return Some(Ok(b));
        }
        let Some(&c) = raw.get(self.pos) else {
            // "Trailing \ in string"
            return Some(Err(start));
        };
        self.pos += 1;
        let out = match c {
            b'\n' => return self.next_byte(),
            b'\\' => b'\\',
            b'\'' => b'\'',
            b'"' => b'"',
            b'b' => 8,
            b'f' => 12,
            b't' => b'\t',
            b'n' => b'\n',
            b'r' => b'\r',
            b'v' => 11,
            b'a' => 7,
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match raw.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                // CPython 3.11 keeps the low byte of `\400`..`\777`.
                (v & 0xff) as u8
            }
            b'x' => {
                let h = |i: usize| raw.get(i).and_then(|&d| (d as char).to_digit(16));
                match (h(self.pos), h(self.pos + 1)) {
                    (Some(a), Some(b)) => {
                        self.pos += 2;
                        (a * 16 + b) as u8
                    }
                    _ => return Some(Err(start)),
                }
            }
            other => {
                // Unknown escapes stay as they are, backslash included.
                self.pending = Some(other);
                b'\\'
            }
        };
        Some(Ok(out))
    }
}

/// Raw-unicode-escape characters, checked.
#[derive(Clone)]
struct RawChars<'a> {
    raw: &'a [u8],
    pos: usize,
    pending: Option<char>,
}

impl RawChars<'_> {
    fn next_checked(&mut self) -> Option<Result<char, TextError>> {
        if let Some(c) = self.pending.take() {
            return Some(Ok(c));
        }
        let raw = self.raw;
        let b = *raw.get(self.pos)?;
        let start = self.pos;
        self.pos += 1;
        if b != b'\\' || self.pos >= raw.len() {
            return Some(Ok(char::from(b)));
        }
        let c = raw[self.pos];
        self.pos += 1;
        let digits = match c {
            b'u' => 4,
            b'U' => 8,
            other => {
                self.pending = Some(char::from(other));
                return Some(Ok('\\'));
            }
        };
        let mut v: u32 = 0;
        for _ in 0..digits {
            let Some(d) = raw.get(self.pos).and_then(|&d| (d as char).to_digit(16)) else {
                return Some(Err(TextError::BadUnicodeEscape(start)));
            };
            v = (v << 4) | d;
            self.pos += 1;
        }
        if v > 0x10_ffff {
            return Some(Err(TextError::BadUnicodeEscape(start)));
        }
        Some(char::from_u32(v).ok_or(TextError::Surrogate(start)))
    }
}

/// A strict UTF-8 checker fed one byte at a time (the same rules as `core::str::from_utf8`).
#[derive(Default, Clone, Copy)]
struct Utf8Check {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8Check {
    /// False when `b` cannot continue valid UTF-8.
    fn push(&mut self, b: u8) -> bool {
        if self.need == 0 {
            let (need, lo, hi) = match b {
                0x00..=0x7f => return true,
                0xc2..=0xdf => (1, 0x80, 0xbf),
                0xe0 => (2, 0xa0, 0xbf),
                0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
                0xed => (2, 0x80, 0x9f),
                0xf0 => (3, 0x90, 0xbf),
                0xf1..=0xf3 => (3, 0x80, 0xbf),
                0xf4 => (3, 0x80, 0x8f),
                _ => return false,
            };
            *self = Utf8Check { need, lo, hi };
            true
        } else {
            if b < self.lo || b > self.hi {
                return false;
            }
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xbf;
            true
        }
    }

    fn finished(&self) -> bool {
        self.need == 0
    }
}

/// UTF-8 to characters, one byte at a time, for already-validated input (never panics: garbage gives
/// U+FFFD).
#[derive(Default, Clone, Copy)]
struct Utf8Decode {
    need: u8,
    acc: u32,
}

impl Utf8Decode {
    fn push(&mut self, b: u8) -> Option<char> {
        if self.need == 0 {
            match b {
                0x00..=0x7f => Some(char::from(b)),
                0xc0..=0xdf => {
                    self.need = 1;
                    self.acc = u32::from(b & 0x1f);
                    None
                }
                0xe0..=0xef => {
                    self.need = 2;
                    self.acc = u32::from(b & 0x0f);
                    None
                }
                0xf0..=0xf7 => {
                    self.need = 3;
                    self.acc = u32::from(b & 0x07);
                    None
                }
                _ => Some(char::REPLACEMENT_CHARACTER),
            }
        } else {
            self.acc = (self.acc << 6) | u32::from(b & 0x3f);
            self.need -= 1;
            if self.need == 0 {
                Some(char::from_u32(self.acc).unwrap_or(char::REPLACEMENT_CHARACTER))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;

    fn s(t: Text<'_>) -> String {
        t.chars().collect()
    }

    #[test]
    fn escaped_forms() {
        assert_eq!(s(Text::escaped(br"a\x41\101\n\q").unwrap()), "aAA\n\\q");
        assert_eq!(s(Text::escaped(br"caf\xc3\xa9").unwrap()), "café");
        assert_eq!(Text::escaped(br"\xc3"), Err(TextError::InvalidUtf8(4)));
        assert_eq!(Text::escaped(br"ab\x4"), Err(TextError::BadEscape(2)));
        assert_eq!(Text::escaped(br"ab\"), Err(TextError::BadEscape(2)));
        assert_eq!(Text::escaped(br"\777"), Err(TextError::InvalidUtf8(0)));
        assert_eq!(s(Text::escaped(br"\303\251").unwrap()), "é");
    }

    #[test]
    fn raw_unicode_forms() {
        assert_eq!(s(Text::raw_unicode(b"caf\xe9").unwrap()), "café");
        assert_eq!(
            s(Text::raw_unicode(br"\u00e9\U0001F600\q\\").unwrap()),
            "é😀\\q\\\\"
        );
        assert_eq!(
            Text::raw_unicode(br"\u00e"),
            Err(TextError::BadUnicodeEscape(0))
        );
        assert_eq!(Text::raw_unicode(br"x\ud800"), Err(TextError::Surrogate(1)));
        assert_eq!(
            Text::raw_unicode(br"\U00110000"),
            Err(TextError::BadUnicodeEscape(0))
        );
        assert_eq!(s(Text::raw_unicode(b"a\\").unwrap()), "a\\");
        assert!(Text::raw_unicode(b"abc").unwrap().as_str().is_some());
    }
}
