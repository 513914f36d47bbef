//! Writing tagged paths into a caller's buffer: a path's canonical form, and a name built tag by tag.

use super::parse::{check_segment, shift, sub, tildes, Segment};
use super::Text;
use crate::{path, PathError, PathRules, TagError};

/// Why [`canonical`] or a [`TaggedName`] could not write a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BuildError {
    /// The path (name or tags) breaks the rules.
    Invalid(PathError),
    /// The buffer is too small.
    BufferFull {
        /// Bytes the path needs.
        needed: usize,
        /// Bytes of the buffer.
        available: usize,
    },
}

impl core::fmt::Display for BuildError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            BuildError::Invalid(e) => write!(f, "invalid path: {e}"),
            BuildError::BufferFull { needed, available } => write!(
                f,
                "buffer too small for the path: {needed} bytes needed, {available} available"
            ),
        }
    }
}

impl core::error::Error for BuildError {}

impl From<PathError> for BuildError {
    fn from(e: PathError) -> Self {
        BuildError::Invalid(e)
    }
}

impl From<TagError> for BuildError {
    fn from(e: TagError) -> Self {
        BuildError::Invalid(PathError::Tag(e))
    }
}

/// Checks `path` (tagged or not) under `rules` and writes the form carbon stores into `buf`: a tagged path
/// in canonical order, a plain path as it is.
///
/// ```
/// use carbon_pickle::{tags, PathError, PathRules, TagError};
/// let rules = PathRules::default();
/// let mut buf = [0u8; 64];
/// assert_eq!(tags::canonical("cpu;host=a;dc=dc1", rules, &mut buf)?, "cpu;dc=dc1;host=a");
/// assert_eq!(tags::canonical("cpu{host=\"a\",dc=\"d\\\"1\"}", rules, &mut buf)?, "cpu;dc=d\"1;host=a");
/// assert_eq!(tags::canonical("cpu;name=x;k=v", rules, &mut buf)?, "cpu;k=v");
/// assert_eq!(tags::canonical("servers.cpu", rules, &mut buf)?, "servers.cpu");
/// assert_eq!(
///     tags::canonical("cpu;k=~v", rules, &mut buf),
///     Err(tags::BuildError::Invalid(PathError::Tag(TagError::ValueStartsWithTilde { segment: 1, at: 4 })))
/// );
/// # Ok::<(), tags::BuildError>(())
/// ```
pub fn canonical<'b>(
    path: &str,
    rules: PathRules,
    buf: &'b mut [u8],
) -> Result<&'b str, BuildError> {
    let text = Text::new(None, path, path::check(path, rules, true)?);
    let len = text.len();
    let available = buf.len();
    let Some(slot) = buf.get_mut(..len) else {
        return Err(BuildError::BufferFull {
            needed: len,
            available,
        });
    };
    let mut at = 0;
    let _ = text.pieces(&mut |s: &str| {
        if let Some(dst) = slot.get_mut(at..at + s.len()) {
            dst.copy_from_slice(s.as_bytes());
        }
        at += s.len();
        Ok(())
    });
    // The pieces are whole characters of `path`.
    Ok(core::str::from_utf8(slot).unwrap_or_default())
}

/// Checks `path` (tagged or not) under `rules` and returns the length of the form carbon stores.
///
/// ```
/// use carbon_pickle::{tags, PathRules};
/// assert_eq!(tags::canonical_len("~cpu;k=1;k=22", PathRules::default()), Ok("cpu;k=22".len()));
/// ```
pub fn canonical_len(path: &str, rules: PathRules) -> Result<usize, PathError> {
    Ok(Text::new(None, path, path::check(path, rules, true)?).len())
}

/// A tagged path written into a caller's buffer in canonical order, tag by tag: nothing is sorted on the
/// heap.
///
/// Each [`tag`](Self::tag) goes into its sorted place; a tag given again replaces the earlier value (the
/// last wins, as in carbon); a `name` tag is checked and dropped (carbon's name is the name). The rules are
/// those of a tagged path (see the [module](crate::tags)); errors name the tag by the order of the calls, with
/// byte offsets into `name;tag=value;...` spelt in that order.
///
/// ```
/// use carbon_pickle::{tags::TaggedName, Datapoint, FrameEncoder, Options, PathRules, SliceSink};
/// let mut name_buf = [0u8; 64];
/// let mut name = TaggedName::new(&mut name_buf, "disk.used", PathRules::default())?;
/// name.tag("rack", "a1")?.tag("dc", "dc1")?.tag("board", "mps2-an386")?;
/// assert_eq!(name.as_str(), "disk.used;board=mps2-an386;dc=dc1;rack=a1");
///
/// let mut buf = [0u8; 128];
/// let mut frame = FrameEncoder::new(SliceSink::new(&mut buf), Options::new())?;
/// frame.push(&Datapoint::new(name.as_str(), 1_700_000_000, 42))?;
/// assert_eq!(&frame.pending_bytes()[8..13], b"X\x29\0\0\0");
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TaggedName<'b> {
    buf: &'b mut [u8],
    len: usize,
    name_len: usize,
    rules: PathRules,
    /// Tags given so far, and the bytes of `name;tag=value;...` as given (for error offsets).
    given: usize,
    given_len: usize,
}

impl<'b> TaggedName<'b> {
    /// Starts with `name`, checked by the path rules (its leading `~` stripped, as carbon does).
    pub fn new(buf: &'b mut [u8], name: &str, rules: PathRules) -> Result<Self, BuildError> {
        if name.is_empty() {
            return Err(TagError::NoName.into());
        }
        let stripped = sub(name, tildes(name), name.len());
        if stripped.is_empty() {
            return Err(TagError::NameOnlyTildes.into());
        }
        let tildes = name.len() - stripped.len();
        path::check_name(stripped, rules).map_err(|e| shift(e, tildes))?;
        let available = buf.len();
        let Some(dst) = buf.get_mut(..stripped.len()) else {
            return Err(BuildError::BufferFull {
                needed: stripped.len(),
                available,
            });
        };
        dst.copy_from_slice(stripped.as_bytes());
        Ok(TaggedName {
            len: stripped.len(),
            name_len: stripped.len(),
            buf,
            rules,
            given: 0,
            given_len: name.len(),
        })
    }

    /// Adds `tag=value` in its sorted place (replacing an earlier value of the same tag); on error nothing
    /// changes.
    pub fn tag(&mut self, tag: &str, value: &str) -> Result<&mut Self, BuildError> {
        let segment = self.given + 1;
        let at = self.given_len + 1;
        if tag.is_empty() {
            return Err(TagError::EmptyTag { segment, at }.into());
        }
        let s = Segment { tag, value, at };
        check_segment(&s, false, segment, Some(self.rules))?;
        if tag == "name" {
            self.count(tag, value);
            return Ok(self);
        }
        // Where it goes: before the first segment with a greater tag, or over the one with this tag. Slices
        // are taken with `get`, never indexed: no bounds-check panic in an image (firmware/tests/no_panic.py).
        let (mut pos, mut old) = (self.len, 0);
        let mut i = self.name_len;
        while i < self.len {
            // `;tag=value` up to the next `;` (or the end).
            let body = self.buf.get(i + 1..self.len).unwrap_or_default();
            let body_len = body.iter().position(|&c| c == b';').unwrap_or(body.len());
            let seg_tag = body.get(..body_len).unwrap_or_default();
            let seg_tag = seg_tag
                .get(..seg_tag.iter().position(|&c| c == b'=').unwrap_or(0))
                .unwrap_or_default();
            let seg_len = 1 + body_len;
            match seg_tag
                .iter()
                .copied()
                .chain([b'='])
                .cmp(tag.bytes().chain([b'=']))
            {
                core::cmp::Ordering::Less => i += seg_len,
                core::cmp::Ordering::Equal => {
                    (pos, old) = (i, seg_len);
                    break;
                }
                core::cmp::Ordering::Greater => {
                    pos = i;
                    break;
                }
            }
        }
        let new = 1 + tag.len() + 1 + value.len();
        let needed = self.len - old + new;
        let full = BuildError::BufferFull {
            needed,
            available: self.buf.len(),
        };
        // The segments after `pos` move to their place after the new one, then the new one is written.
        let Some(region) = self.buf.get_mut(pos..needed.max(self.len)) else {
            return Err(full);
        };
        // Byte by byte with `get`, not `copy_within`: its bounds assertion stays in a Cortex-M image even
        // behind an explicit bounds test (tests/no_panic.py found it), and this runs once per tag at boot.
        let tail = self.len - pos - old;
        if new > old {
            for k in (0..tail).rev() {
                if let Some(&c) = region.get(old + k) {
                    if let Some(d) = region.get_mut(new + k) {
                        *d = c;
                    }
                }
            }
        } else {
            for k in 0..tail {
                if let Some(&c) = region.get(old + k) {
                    if let Some(d) = region.get_mut(new + k) {
                        *d = c;
                    }
                }
            }
        }
        let written = [b";".as_slice(), tag.as_bytes(), b"=", value.as_bytes()];
        let mut at = 0;
        for piece in written {
            if let Some(dst) = region.get_mut(at..at + piece.len()) {
                dst.copy_from_slice(piece);
            }
            at += piece.len();
        }
        self.len = needed;
        self.count(tag, value);
        Ok(self)
    }

    fn count(&mut self, tag: &str, value: &str) {
        self.given += 1;
        self.given_len += 1 + tag.len() + 1 + value.len();
    }

    /// The path so far, in canonical order.
    pub fn as_str(&self) -> &str {
        // Only whole `str`s were copied in.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }

    /// Bytes of the path so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a name is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(path: &str) -> Result<String, BuildError> {
        let mut buf = [0u8; 8192];
        canonical(path, PathRules::default(), &mut buf).map(str::to_owned)
    }

    #[test]
    fn carbon_examples() {
        assert_eq!(canon("a;b=1;a=2").unwrap(), "a;a=2;b=1");
        assert_eq!(canon("a;k=1;k=2").unwrap(), "a;k=2");
        assert_eq!(canon("a;k=1;j=3;k=2").unwrap(), "a;j=3;k=2");
        assert_eq!(canon("a;a=1;a.b=2").unwrap(), "a;a.b=2;a=1");
        assert_eq!(canon("a;q=x=y").unwrap(), "a;q=x=y");
        assert_eq!(canon("~~a;k=v").unwrap(), "a;k=v");
        assert_eq!(canon("a;name=b").unwrap(), "a");
        // Not the OpenMetrics form (it does not end with `"}`): a plain path.
        assert_eq!(canon("a{k=\"v\",j=\"w\",}").unwrap(), "a{k=\"v\",j=\"w\",}");
        assert_eq!(canon("a{k=\"v\":,j=\"w\"}").unwrap(), "a;j=w;k=v");
        assert_eq!(canon("a{k=\"\\\"v\\\"\"}").unwrap(), "a;k=\"v\"");
        assert_eq!(canon("a{k=\"1.2/3\"}").unwrap(), "a;k=1.2/3");
        assert_eq!(canon("a;k=Zürich").unwrap(), "a;k=Zürich");
        for bad in [
            ";k=v",
            "a;k",
            "a;k=",
            "a;=v",
            "a;k!x=v",
            "a;k^=v",
            "a;k=~v",
            "~;k=v",
            "a;",
            "a;;k=v",
            "a{k=\"v\"}{\"}",
            "a{k=v\"}",
            "a{k=\"\"}",
            "a{k=\"v\" j=\"w\"}",
            "{k=\"v\"}",
            "a{k=\"a\\\\b\"}",
            "a;k=a b",
            "a;k=a\\b",
            "a..b;k=v",
            "a/b;k=v",
            "a;k=a\tb",
            "a{k=\"a;b\"}",
            "a;b{k=\"v\"}",
        ] {
            assert!(canon(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_say_where() {
        let r = PathRules::default();
        let e = |p| path::check(p, r, true).unwrap_err();
        assert_eq!(e(";k=v"), PathError::Tag(TagError::NoName));
        assert_eq!(e("~~;k=v"), PathError::Tag(TagError::NameOnlyTildes));
        assert_eq!(
            e("a;k=v;j"),
            TagError::NoEquals { segment: 2, at: 6 }.into()
        );
        assert_eq!(e("a;=v"), TagError::EmptyTag { segment: 1, at: 2 }.into());
        assert_eq!(
            e("a;k=~v"),
            TagError::ValueStartsWithTilde { segment: 1, at: 2 }.into()
        );
        assert_eq!(
            e("a;k=v w"),
            TagError::InvalidValueChar {
                segment: 1,
                at: 2,
                char_at: 5,
                ch: ' '
            }
            .into()
        );
        assert_eq!(e("~a..b;k=v"), PathError::EmptyComponent { at: 3 });
        assert_eq!(e("a;b{k=\"v\"}"), PathError::InvalidChar { at: 1, ch: ';' });
        assert_eq!(
            e("a{k=\"\\\\\"}"),
            TagError::InvalidValueChar {
                segment: 1,
                at: 2,
                char_at: 5,
                ch: '\\'
            }
            .into()
        );
        assert_eq!(
            e("a{k=\"v\"x\"}"),
            TagError::OpenMetrics { segment: 1, at: 7 }.into()
        );
        assert!(path::check("a;k=é", r, true).is_ok());
    }

    #[test]
    fn ascii_only() {
        let r = PathRules {
            ascii_only: true,
            ..PathRules::default()
        };
        assert_eq!(
            path::check("a;k=é", r, true),
            Err(TagError::NonAscii {
                segment: 1,
                at: 2,
                char_at: 4
            }
            .into())
        );
    }

    fn tag_part() -> impl Strategy<Value = String> {
        "[a-c.=~ é!;]{0,4}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]
        /// The builder writes what `canonical` writes for the same tags spelt as a path, and refuses what it
        /// refuses, with the same error.
        #[test]
        fn builder_equals_canonical(name in "~?[a-c.]{1,4}", tags in proptest::collection::vec((tag_part(), tag_part()), 0..6)) {
            let mut spelt = name.clone();
            for (t, v) in &tags {
                spelt.push(';');
                spelt.push_str(t);
                spelt.push('=');
                spelt.push_str(v);
            }
            let mut buf = [0u8; 256];
            let built = (|| {
                let mut b = TaggedName::new(&mut buf, &name, PathRules::default())?;
                for (t, v) in &tags {
                    b.tag(t, v)?;
                }
                Ok::<_, BuildError>(b.as_str().to_owned())
            })();
            // A `=` in a tag splits differently when spelt: only compare where the spelling is faithful. A
            // plain path keeps its `~` (carbon strips them, but untagged paths are written as given).
            if tags.is_empty() && name.starts_with('~') {
                return Ok(());
            }
            if tags.iter().all(|(t, _)| !t.contains('=') && !t.contains(';')) && tags.iter().all(|(_, v)| !v.contains(';')) {
                prop_assert_eq!(built, canon(&spelt));
            } else {
                prop_assert!(built.is_err());
            }
        }

        /// The canonical form is a fixed point, and its length is `canonical_len`.
        #[test]
        fn canonical_is_stable(path in "~?[a-c]{1,3}(;[a-c.=~ é!]{0,3}){0,5}") {
            if let Ok(c) = canon(&path) {
                prop_assert_eq!(canon(&c).unwrap(), c.clone());
                prop_assert_eq!(canonical_len(&path, PathRules::default()), Ok(c.len()));
            }
        }
    }
}
