//! Carbon's tag parser, `TaggedSeries.parse`, without allocating: the check, the segments of a checked path,
//! and its canonical order.

use super::{is_open_metrics, Pieces};
use crate::{path, PathError, PathRules, TagError, MAX_PATH_LEN};

/// `s[a..b]`, or nothing where that is not a slice of `s` (never, at the places this is used: each bound is
/// next to an ASCII byte). Slicing a `str` with `[]` would link its panic message, which formats the string
/// with `core::fmt` and its Unicode tables: 15 KB more wasm in the npm package.
#[inline]
pub(super) fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or_default()
}

/// The leading `~` of `s` (a byte loop: `trim_start_matches` links a character searcher, 1 KB of wasm).
pub(super) fn tildes(s: &str) -> usize {
    s.bytes().take_while(|&c| c == b'~').count()
}

/// Where a tagged path's parts are, found once by the check and used to write the path canonically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Layout {
    /// The OpenMetrics form `name{tag="value",...}`.
    open_metrics: bool,
    /// Bytes of the name as given (up to the first `;`, or the `{`). Tagged paths are at most
    /// `MAX_PATH_LEN` bytes, so these fit 16 bits, and the layout travels in one register.
    name_end: u16,
    /// The name's leading `~`, which carbon strips.
    tildes: u16,
    /// Bytes of the canonical tag segments (`;tag=value` each; duplicates and `name` left out).
    tags_len: u16,
}

impl Layout {
    /// The layout as a flag and three 16-bit numbers, for [`CheckedPath`](crate::CheckedPath) to hold in
    /// 8 bytes beside its rules.
    #[inline]
    pub(crate) const fn pack(self) -> (bool, [u16; 3]) {
        (
            self.open_metrics,
            [self.name_end, self.tildes, self.tags_len],
        )
    }

    /// The layout [`pack`](Self::pack) made.
    #[inline]
    pub(crate) const fn unpack(
        open_metrics: bool,
        [name_end, tildes, tags_len]: [u16; 3],
    ) -> Option<Self> {
        Some(Layout {
            open_metrics,
            name_end,
            tildes,
            tags_len,
        })
    }

    /// Bytes of `prefix.path` (or `path`) written canonically.
    #[inline]
    pub(crate) fn canonical_len(&self, prefix: Option<&str>) -> usize {
        match prefix {
            None => usize::from(self.name_end - self.tildes + self.tags_len),
            Some(p) => {
                p.len() - tildes(p) + 1 + usize::from(self.name_end) + usize::from(self.tags_len)
            }
        }
    }

    /// Writes `prefix.path` (or `path`) canonically: the name (carbon's `lstrip('~')` applied to the whole
    /// name, so to the prefix when there is one), then the tags.
    pub(crate) fn write(
        &self,
        prefix: Option<&str>,
        path: &str,
        emit: &mut Pieces<'_>,
    ) -> Result<(), ()> {
        match prefix {
            Some(p) => {
                emit(sub(p, tildes(p), p.len()))?;
                emit(".")?;
                emit(sub(path, 0, usize::from(self.name_end)))?;
            }
            None => emit(sub(
                path,
                usize::from(self.tildes),
                usize::from(self.name_end),
            ))?,
        }
        write_tags(path, self, emit)
    }
}

#[derive(Clone, Copy)]
pub(super) struct Segment<'a> {
    pub(super) tag: &'a str,
    pub(super) value: &'a str,
    pub(super) at: usize,
}

/// The next segment at `at` (the `;` before it in the carbon form, its first byte in the OpenMetrics form)
/// and where the one after it starts; `None` at the end. Errors are carbon's parsing errors (not the
/// character rules).
fn next_segment(
    path: &str,
    at: usize,
    end: usize,
    open_metrics: bool,
    segment: usize,
) -> Option<Result<(Segment<'_>, usize), TagError>> {
    if at >= end {
        return None;
    }
    let b = path.as_bytes();
    if !open_metrics {
        let start = at + 1;
        let stop = b
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .position(|&c| c == b';')
            .map_or(end, |i| start + i);
        let seg = sub(path, start, stop);
        let Some(eq) = seg.bytes().position(|c| c == b'=') else {
            return Some(Err(TagError::NoEquals { segment, at: start }));
        };
        if eq == 0 {
            return Some(Err(TagError::EmptyTag { segment, at: start }));
        }
        let s = Segment {
            tag: sub(seg, 0, eq),
            value: sub(seg, eq + 1, seg.len()),
            at: start,
        };
        return Some(Ok((s, stop)));
    }
    // carbon: re.match(r'([^=]+)="((?:[\\]["\\]|[^"\\])+)"(:?,|$)', rawtags)
    let fail = |stop: usize| Some(Err(TagError::OpenMetrics { segment, at: stop }));
    let rest = |from: usize| b.get(from..end).unwrap_or_default();
    let Some(eq) = rest(at).iter().position(|&c| c == b'=').map(|i| at + i) else {
        return fail(at);
    };
    if eq == at || b.get(eq + 1) != Some(&b'"') || eq + 1 >= end {
        return fail(eq);
    }
    let v = eq + 2;
    let mut i = v;
    loop {
        let Some(&c) = rest(i).first() else {
            return fail(i);
        };
        match c {
            b'"' => break,
            b'\\' => {
                if matches!(rest(i + 1).first(), Some(b'"' | b'\\')) {
                    i += 2;
                } else {
                    return fail(i);
                }
            }
            _ => i += 1,
        }
    }
    if i == v {
        return fail(i);
    }
    let s = Segment {
        tag: sub(path, at, eq),
        value: sub(path, v, i),
        at,
    };
    let next = i + 1;
    let next = if rest(next).starts_with(b",") {
        next + 1
    } else if rest(next).starts_with(b":,") {
        next + 2
    } else if next == end {
        next
    } else {
        return fail(next);
    };
    Some(Ok((s, next)))
}

/// The segments of a checked path, in the order written.
struct Segments<'a> {
    path: &'a str,
    at: usize,
    end: usize,
    open_metrics: bool,
}

impl<'a> Segments<'a> {
    fn of(path: &'a str, layout: &Layout) -> Self {
        let (at, end) = if layout.open_metrics {
            (usize::from(layout.name_end) + 1, path.len() - 1)
        } else {
            (usize::from(layout.name_end), path.len())
        };
        Segments {
            path,
            at,
            end,
            open_metrics: layout.open_metrics,
        }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;
    fn next(&mut self) -> Option<Segment<'a>> {
        match next_segment(self.path, self.at, self.end, self.open_metrics, 0)? {
            Ok((s, next)) => {
                self.at = next;
                Some(s)
            }
            // Not on a checked path.
            Err(_) => None,
        }
    }
}

/// Orders tags as carbon's `sorted()` orders their `;tag=value` strings: a tag's bytes then `=` (no tag
/// holds `=`, so the values never decide between two different tags).
fn tag_cmp(a: &str, b: &str) -> core::cmp::Ordering {
    a.bytes().chain([b'=']).cmp(b.bytes().chain([b'=']))
}

/// Writes the tag segments of a checked path in canonical order: the smallest tag after the previous one,
/// the last of equal tags (carbon's dict keeps the last), `name` left out.
fn write_tags(path: &str, layout: &Layout, emit: &mut Pieces<'_>) -> Result<(), ()> {
    use core::cmp::Ordering::Greater;
    let mut prev: Option<&str> = None;
    loop {
        let mut best: Option<Segment<'_>> = None;
        for s in Segments::of(path, layout) {
            if s.tag == "name" || prev.is_some_and(|p| tag_cmp(s.tag, p) != Greater) {
                continue;
            }
            if best.is_none_or(|b| tag_cmp(s.tag, b.tag) != Greater) {
                best = Some(s);
            }
        }
        let Some(s) = best else {
            return Ok(());
        };
        emit(";")?;
        emit(s.tag)?;
        emit("=")?;
        if layout.open_metrics {
            unescape(s.value, emit)?;
        } else {
            emit(s.value)?;
        }
        prev = Some(s.tag);
    }
}

/// An OpenMetrics value without its escapes (`\"` and `\\`, the only ones carbon's pattern lets through).
fn unescape(raw: &str, emit: &mut Pieces<'_>) -> Result<(), ()> {
    let mut run = 0;
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            emit(sub(raw, run, i))?;
            run = i + 1; // the escaped character starts the next run
            i += 2;
        } else {
            i += 1;
        }
    }
    emit(sub(raw, run, raw.len()))
}

/// What the character rules say about one character of a tag or value: `Some(true)` refused,
/// `Some(false)` refused as non-ASCII, `None` fine.
fn refused(c: char, rules: PathRules) -> Option<bool> {
    if c == '\\' || c.is_control() || (c.is_whitespace() && !(c == ' ' && rules.allow_spaces)) {
        Some(true)
    } else if !c.is_ascii() && rules.ascii_only {
        Some(false)
    } else {
        None
    }
}

/// Checks a path by carbon's tag rules and, with `rules`, ours. `Ok(None)`: not tagged (a plain path, to be
/// checked by the path rules). `rules: None` checks carbon's rules only (for routing, which hashes what
/// carbon would store whatever our rules say).
pub(crate) fn check(path: &str, rules: Option<PathRules>) -> Result<Option<Layout>, PathError> {
    let open_metrics = is_open_metrics(path);
    let b = path.as_bytes();
    let (name_end, start, end) = if open_metrics {
        // carbon: path[0:-1].split('{', 2) must give two parts.
        let brace = b.iter().position(|&c| c == b'{').unwrap_or(0);
        if let Some(second) = b[brace + 1..].iter().position(|&c| c == b'{') {
            return Err(TagError::OpenMetrics {
                segment: 1,
                at: brace + 1 + second,
            }
            .into());
        }
        (brace, brace + 1, path.len() - 1)
    } else {
        match b.iter().position(|&c| c == b';') {
            Some(semi) => (semi, semi, path.len()),
            None => return Ok(None),
        }
    };
    if path.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            len: path.len(),
            max: MAX_PATH_LEN,
        });
    }
    if name_end == 0 {
        return Err(TagError::NoName.into());
    }
    let name = sub(path, 0, name_end);
    let tildes = tildes(name);
    if tildes == name.len() {
        return Err(TagError::NameOnlyTildes.into());
    }
    if let Some(rules) = rules {
        path::check_name(sub(name, tildes, name.len()), rules).map_err(|e| shift(e, tildes))?;
    }
    let mut at = start;
    let mut segment = 1;
    while let Some(next) = next_segment(path, at, end, open_metrics, segment) {
        let (s, next) = next?;
        check_segment(&s, open_metrics, segment, rules)?;
        at = next;
        segment += 1;
    }
    let mut layout = Layout {
        open_metrics,
        // At most MAX_PATH_LEN (checked above).
        name_end: name_end as u16,
        tildes: tildes as u16,
        tags_len: 0,
    };
    let mut n = 0;
    let _ = write_tags(path, &layout, &mut |s: &str| {
        n += s.len();
        Ok(())
    });
    // The canonical tags are never longer than the path as given.
    layout.tags_len = n as u16;
    Ok(Some(layout))
}

/// Carbon's `validateTagAndValue` on one segment, then our character rules (with `rules`).
pub(super) fn check_segment(
    s: &Segment<'_>,
    open_metrics: bool,
    segment: usize,
    rules: Option<PathRules>,
) -> Result<(), TagError> {
    let at = s.at;
    check_chars(s.tag, at, false, segment, at, rules)?;
    if s.value.is_empty() {
        return Err(TagError::EmptyValue { segment, at });
    }
    // An escape starts with `\`, so the value's first character is `~` exactly when its first byte is.
    if s.value.as_bytes()[0] == b'~' {
        return Err(TagError::ValueStartsWithTilde { segment, at });
    }
    let value_at = at + s.tag.len() + if open_metrics { 2 } else { 1 };
    check_chars(s.value, value_at, true, segment, at, rules).or_else(|e| match e {
        // In the OpenMetrics form `\"` is `"` and `\\` is `\`: the escape's backslash is not a character.
        TagError::InvalidValueChar {
            char_at, ch: '\\', ..
        } if open_metrics => check_unescaped(s.value, value_at, segment, at, rules, char_at),
        e => Err(e),
    })
}

/// The characters of a tag (`value` false) or of a value as written, from byte `from` of the path: carbon's
/// refusals (`;!^=` in a tag, `;` in a value), then ours.
fn check_chars(
    text: &str,
    from: usize,
    value: bool,
    segment: usize,
    at: usize,
    rules: Option<PathRules>,
) -> Result<(), TagError> {
    for (i, ch) in text.char_indices() {
        let carbon = if value {
            ch == ';'
        } else {
            matches!(ch, ';' | '!' | '^' | '=')
        };
        let ours = rules.and_then(|r| refused(ch, r));
        let char_at = from + i;
        if carbon || ours == Some(true) {
            return Err(if value {
                TagError::InvalidValueChar {
                    segment,
                    at,
                    char_at,
                    ch,
                }
            } else {
                TagError::InvalidTagChar {
                    segment,
                    at,
                    char_at,
                    ch,
                }
            });
        }
        if ours == Some(false) {
            return Err(TagError::NonAscii {
                segment,
                at,
                char_at,
            });
        }
    }
    Ok(())
}

/// An OpenMetrics value whose first backslash (at byte `first` of the path) may be an escape: checks it
/// without its escapes. Escapes are `\"` and `\\` only (carbon's pattern lets no other through).
#[cold]
fn check_unescaped(
    raw: &str,
    from: usize,
    segment: usize,
    at: usize,
    rules: Option<PathRules>,
    first: usize,
) -> Result<(), TagError> {
    let b = raw.as_bytes();
    let mut run = first - from;
    let mut i = run;
    // The part before the first backslash was checked.
    while i < b.len() {
        if b[i] == b'\\' {
            check_chars(sub(raw, run, i), from + run, true, segment, at, rules)?;
            // The escaped character, at the escape's place.
            let ch = char::from(b.get(i + 1).copied().unwrap_or(b'"'));
            check_chars(
                if ch == '"' { "\"" } else { "\\" },
                from + i,
                true,
                segment,
                at,
                rules,
            )?;
            i += 2;
            run = i;
        } else {
            i += 1;
        }
    }
    check_chars(
        sub(raw, run, raw.len()),
        from + run,
        true,
        segment,
        at,
        rules,
    )
}

/// A path error found in a part of the path that starts `by` bytes in.
pub(super) fn shift(e: PathError, by: usize) -> PathError {
    match e {
        PathError::InvalidChar { at, ch } => PathError::InvalidChar { at: at + by, ch },
        PathError::NonAscii { at } => PathError::NonAscii { at: at + by },
        PathError::EmptyComponent { at } => PathError::EmptyComponent { at: at + by },
        PathError::ComponentTooLong { at, len, max } => PathError::ComponentTooLong {
            at: at + by,
            len,
            max,
        },
        e => e,
    }
}
