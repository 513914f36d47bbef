//! Graphite tags: tagged paths `name;tag=value;...` checked by carbon 1.1.10's rules and written in carbon's
//! canonical order, without allocating.
//!
//! Carbon 1.1 stores a *tagged series* when a path has a `;` (or is in the OpenMetrics form
//! `name{tag="value",...}`). carbon-cache renames every incoming path to `TaggedSeries.parse(path).path`
//! before storing it (`carbon/util.py`), and graphite-web finds the series by its tags (`seriesByTag`). So
//! the same series can be spelt many ways on the wire, but carbon stores one:
//!
//! ```
//! use carbon_pickle::{tags, PathRules};
//! let mut buf = [0u8; 64];
//! let canonical = tags::canonical("~disk.used;rack=a1;dc=dc1;rack=a2", PathRules::default(), &mut buf)?;
//! assert_eq!(canonical, "disk.used;dc=dc1;rack=a2");
//! # Ok::<(), carbon_pickle::tags::BuildError>(())
//! ```
//!
//! # Carbon's rules, and ours
//! Carbon 1.1.10's `TaggedSeries.parse`, which this module follows (a differential test holds it to
//! carbon's own code on thousands of paths, `core/tests/tags_differential.rs`):
//! - the path splits on `;`; the first part is the name, and must not be empty ([`TagError::NoName`](crate::TagError::NoName));
//! - every other part is `tag=value`, split on its first `=` (so a value may hold `=`): no `=` is
//!   [`TagError::NoEquals`](crate::TagError::NoEquals), an empty tag [`TagError::EmptyTag`](crate::TagError::EmptyTag), an empty value [`TagError::EmptyValue`](crate::TagError::EmptyValue);
//! - a tag may not hold `;`, `!`, `^` or `=` ([`TagError::InvalidTagChar`](crate::TagError::InvalidTagChar)); a value may not hold `;`
//!   ([`TagError::InvalidValueChar`](crate::TagError::InvalidValueChar)) nor start with `~` ([`TagError::ValueStartsWithTilde`](crate::TagError::ValueStartsWithTilde); carbon keeps
//!   `~` for `tag=~regex` queries);
//! - the name loses its leading `~` (`lstrip('~')`) and must not become empty ([`TagError::NameOnlyTildes`](crate::TagError::NameOnlyTildes));
//! - **duplicate tags: the last one wins**, as in carbon (a Python dict). We follow carbon rather than
//!   refuse: `a;k=1;k=2` is stored by carbon as `a;k=2`, and is written so here;
//! - **a `name` tag is checked, then dropped**: carbon sets the tag `name` to the name before the first `;`,
//!   so `a;name=b` is the series `a` (written `a`, untagged, as carbon stores it);
//! - the canonical form is the name, then `;tag=value` for every other tag, sorted as strings (as Python
//!   sorts them: by code point, which is UTF-8 byte order; `;a.b=1` sorts before `;a=1` because `.` comes
//!   before `=`).
//!
//! The **OpenMetrics form** `name{tag="value",...}` is accepted too, as carbon accepts it (carbon takes a
//! path as OpenMetrics exactly when it ends with `"}` and has a `{`): values are quoted, `\"` and `\\`
//! inside them are escapes, segments are separated by `,` (carbon's pattern also takes `:,` and a trailing
//! `,`). Such a path is written in the canonical `;` form, as carbon stores it:
//! `cpu{dc="dc1",host="a"}` becomes `cpu;dc=dc1;host=a`. What carbon's parser stops on is
//! [`TagError::OpenMetrics`](crate::TagError::OpenMetrics).
//!
//! Beyond carbon, these rules, the same for every API (the core, the npm package, the CLI):
//! - the name keeps the [path rules](crate::PathRules), after its leading `~` are stripped: no empty or
//!   over-long component, no whitespace, control characters, `/` or `\`; and no `;` (which only the
//!   OpenMetrics form lets through to a name);
//! - tags and values refuse whitespace (the space is allowed with
//!   [`PathRules::allow_spaces`](crate::PathRules::allow_spaces)), control characters and `\` (protocol 0
//!   writes non-ASCII paths as Python's `raw-unicode-escape`, where `\u` would be read as an escape; an
//!   OpenMetrics value's `\\` is therefore refused too), and non-ASCII characters under
//!   [`PathRules::ascii_only`](crate::PathRules::ascii_only);
//! - **`.`, `/` and non-ASCII characters are allowed in tags and values.** Tags and values are never file
//!   or directory names: carbon stores a tagged series under `_tagged/<sha256[0:3]>/<sha256[3:6]>/`, in a
//!   file named by the hash of the canonical path (`TAG_HASH_FILENAMES`, on by default; with it off the file
//!   is named by the path with `.` written `_DOT_`, and a `/` in a value would then make a directory);
//!   graphite-web's tag database holds the rest. So `mount=/var/log`, `version=1.2.3` and `city=Zürich` are
//!   fine;
//! - the whole path, written canonically and prefix included, keeps the 4,000-byte limit, and so does the
//!   path as given (checking a tagged path compares every pair of tags, so its size is bounded).
//!
//! # Writing
//! The encoder writes every tagged path in canonical order straight into the frame (no copy, no heap: the
//! writer picks the segments in sorted order from the path as given, and the exact-length pre-pass counts
//! the same bytes), so `a;b=2;a=1` and `a;a=1;b=2` make the same bytes. A prefix goes before the name, and
//! carbon's `lstrip('~')` then applies to the prefix. [`TaggedName`] writes a name and tags given one by one
//! into a caller's buffer in canonical order, and [`canonical`] writes the canonical form of any path.
//!
//! # Routing
//! [`Router`](crate::route::Router) hashes the canonical name, so one series lands on one carbon-cache
//! whatever order its tags were given in. carbon-relay hashes the name as it receives it unless
//! `TAG_RELAY_NORMALIZED = True` (False by default), so a sender that wrote tags in varying orders would
//! split a series across caches behind a relay; frames from this crate carry the canonical name, so the
//! relay's hash, normalised or not, is the router's.
//!
//! # Feature
//! The tag rules are the crate feature `tags` (on by default). Without it a tagged path is refused
//! ([`TagError::NotEnabled`](crate::TagError::NotEnabled)) instead of being sent as given (which carbon would store under another name):
//! a Cortex-M image that sends no tags saves about 3.9 KB of flash.

#[cfg(not(feature = "tags"))]
use crate::{PathError, PathRules, TagError};

#[cfg(feature = "tags")]
mod build;
#[cfg(feature = "tags")]
mod parse;

#[cfg(feature = "tags")]
#[cfg_attr(docsrs, doc(cfg(feature = "tags")))]
pub use build::{canonical, canonical_len, BuildError, TaggedName};
#[cfg(feature = "tags")]
pub(crate) use parse::{check, Layout};

/// Without the feature `tags` no path has a tag layout: tagged paths are refused.
#[cfg(not(feature = "tags"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {}

#[cfg(all(not(feature = "tags"), feature = "defmt"))]
impl defmt::Format for Layout {
    fn format(&self, _: defmt::Formatter<'_>) {
        match *self {}
    }
}

#[cfg(not(feature = "tags"))]
impl Layout {
    pub(crate) const fn pack(self) -> (bool, [u16; 3]) {
        match self {}
    }
    pub(crate) const fn unpack(_: bool, _: [u16; 3]) -> Option<Self> {
        None
    }
    pub(crate) fn canonical_len(&self, _: Option<&str>) -> usize {
        match *self {}
    }
    pub(crate) fn write(&self, _: Option<&str>, _: &str, _: &mut Pieces<'_>) -> Result<(), ()> {
        match *self {}
    }
}

/// Without the feature `tags`: a tagged path is refused, a plain one is left to the path rules.
#[cfg(not(feature = "tags"))]
pub(crate) fn check(path: &str, _rules: Option<PathRules>) -> Result<Option<Layout>, PathError> {
    if is_tagged(path) {
        Err(TagError::NotEnabled.into())
    } else {
        Ok(None)
    }
}

/// A path as it will be written: an optional prefix, the path, and the path's tag layout if it is tagged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a> {
    prefix: Option<&'a str>,
    path: &'a str,
    tags: Option<Layout>,
    /// Bytes written, computed once (the push asks for it several times).
    len: usize,
}

/// Where text goes piece by piece; `Err(())` stops the writer.
pub(crate) type Pieces<'e> = dyn FnMut(&str) -> Result<(), ()> + 'e;

impl<'a> Text<'a> {
    /// `prefix.path` (or `path`), written canonically if `tags` is the path's layout.
    #[inline(always)]
    pub(crate) fn new(prefix: Option<&'a str>, path: &'a str, tags: Option<Layout>) -> Self {
        let len = match tags {
            None => prefix.map_or(0, |p| p.len() + 1) + path.len(),
            Some(layout) => layout.canonical_len(prefix),
        };
        Text {
            prefix,
            path,
            tags,
            len,
        }
    }

    /// Bytes written.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Writes the text piece by piece (the pieces are whole characters).
    pub(crate) fn pieces(&self, emit: &mut Pieces<'_>) -> Result<(), ()> {
        let Some(layout) = self.tags else {
            if let Some(p) = self.prefix {
                emit(p)?;
                emit(".")?;
            }
            return emit(self.path);
        };
        layout.write(self.prefix, self.path, emit)
    }
}

/// True when carbon reads `path` as tagged: it has a `;`, or is in the OpenMetrics form (ends with `"}` and
/// has a `{`).
///
/// ```
/// use carbon_pickle::tags::is_tagged;
/// assert!(is_tagged("cpu;dc=dc1"));
/// assert!(is_tagged("cpu{dc=\"dc1\"}"));
/// assert!(!is_tagged("servers.web01.cpu"));
/// ```
pub fn is_tagged(path: &str) -> bool {
    // A plain loop, not `contains` (memchr), which would add 150 bytes to a Cortex-M image.
    is_open_metrics(path) || path.bytes().any(|c| c == b';')
}

/// The layout of a tagged path by carbon's rules alone, `None` for a plain path or one carbon cannot parse
/// (for paths checked before, and for routing, which hashes what carbon would store).
#[cfg(all(feature = "tags", any(feature = "route", feature = "embedded-io")))]
pub(crate) fn layout_of(path: &str) -> Option<Layout> {
    if is_tagged(path) {
        check(path, None).ok().flatten()
    } else {
        None
    }
}

/// Without the feature `tags` no path has a layout (a tagged one is refused): no scan for a `;`.
#[cfg(all(not(feature = "tags"), any(feature = "route", feature = "embedded-io")))]
#[inline(always)]
pub(crate) fn layout_of(_: &str) -> Option<Layout> {
    None
}

/// Carbon's test: `path[-2:] == '"}' and '{' in path`.
pub(crate) fn is_open_metrics(path: &str) -> bool {
    path.ends_with("\"}") && path.bytes().any(|c| c == b'{')
}
