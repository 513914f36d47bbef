//! The path rules: what carbon can store as a directory tree of whisper files.
//!
//! Checking is on every push, so it has a fast path: one branch-free pass over the bytes that only collects
//! flags (a bad or non-ASCII byte seen, an empty or over-long component seen). Branching on each `.` costs a
//! mispredicted branch per component, which measured slower than the rest of the encoder together. Only when
//! a flag is set does a second, exact pass find what is wrong and where (and decode non-ASCII characters for
//! `ascii_only` and Unicode control characters).
//!
//! A tagged path (`name;tag=value;...`, see [`tags`](crate::tags)) never passes the fast path: a `;`, or a
//! `}` at the end (the OpenMetrics form `name{tag="value"}`), sends it to the exact pass, which hands it to
//! the tag rules. For a plain path and a prefix, `;` is an invalid character.

use crate::tags::{self, Layout};
use crate::{PathError, PathRules};

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod simd;

/// Longest directory name carbon can create (NAME_MAX).
pub const MAX_COMPONENT: usize = 255;
/// Longest whole path, prefix included. Carbon stores a metric at `<storage dir>/a/b/c.wsp`, and Linux
/// refuses file names over 4,096 bytes (PATH_MAX, with the terminating NUL); 4,000 leaves 91 bytes for the
/// storage directory (carbon's default, `/opt/graphite/storage/whisper/`, takes 30).
pub const MAX_PATH_LEN: usize = 4000;
/// Longest last component: it becomes `<name>.wsp`, which must fit NAME_MAX too.
pub const MAX_LAST_COMPONENT: usize = MAX_COMPONENT - ".wsp".len();

const OK: u8 = 0;
const DOT: u8 = 1;
const BAD: u8 = 2;
const SPACE: u8 = 3;
const HIGH: u8 = 4;

const CLASS: [u8; 256] = {
    let mut t = [OK; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i < 0x20
            || i == 0x7f
            || i == b'/' as usize
            || i == b'\\' as usize
            || i == b';' as usize
        {
            BAD
        } else if i == b' ' as usize {
            SPACE
        } else if i == b'.' as usize {
            DOT
        } else if i >= 0x80 {
            HIGH
        } else {
            OK
        };
        i += 1;
    }
    t
};

/// Checks `path` against the rules. `last_is_leaf` is false for a prefix (its last component is a directory).
///
/// ```
/// use carbon_pickle::{check_path, PathError, PathRules};
/// let rules = PathRules::default();
/// assert_eq!(check_path("servers.web01.cpu", rules), Ok(()));
/// assert_eq!(check_path("a..b", rules), Err(PathError::EmptyComponent { at: 2 }));
/// assert_eq!(check_path("a b", rules), Err(PathError::InvalidChar { at: 1, ch: ' ' }));
/// assert_eq!(check_path("a b", rules.with_spaces(true)), Ok(()));
/// // Tagged paths follow carbon's tag rules (see the `tags` module).
/// assert_eq!(check_path("disk.used;dc=dc1;rack=a1", rules), Ok(()));
/// ```
pub fn check_path(path: &str, rules: PathRules) -> Result<(), PathError> {
    check(path, rules, true).map(|_| ())
}

/// A path that passed [`check_path`], for pushing again and again without checking it each time.
///
/// Programs that report the same metrics at every interval (a sensor board, a process's gauges, the npm
/// package's interned paths) check each path once and push it with
/// [`FrameEncoder::push_checked`](crate::FrameEncoder::push_checked), which then checks only the timestamp
/// and the value. The rules the path was checked under travel with it: under other rules it is checked
/// again.
///
/// ```
/// use carbon_pickle::{CheckedPath, PathError, PathRules};
/// let rules = PathRules::default();
/// let cpu = CheckedPath::new("servers.web01.cpu", rules)?;
/// assert_eq!(cpu.as_str(), "servers.web01.cpu");
/// assert_eq!(CheckedPath::new("a..b", rules), Err(PathError::EmptyComponent { at: 2 }));
/// # Ok::<(), PathError>(())
/// ```
// 24 bytes on 64-bit targets (a slice and 8 bytes): a metric set of checked paths is read on every push,
// so its size is memory traffic (issue 22).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CheckedPath<'a> {
    path: &'a str,
    /// The rules' key ([`PathRules::key`]), plus [`PathRules::KEY_TAGGED`] for a tagged path (and
    /// [`PathRules::KEY_OPEN_METRICS`] for one in the OpenMetrics form): the push's one test.
    key: u16,
    /// A tagged path's layout ([`Layout::pack`]); zeros for a plain path.
    layout: [u16; 3],
}

impl<'a> CheckedPath<'a> {
    /// Checks `path` under `rules`.
    pub fn new(path: &'a str, rules: PathRules) -> Result<Self, PathError> {
        let (key, layout) = match check(path, rules, true)? {
            None => (rules.key(), [0; 3]),
            Some(tags) => {
                let (open_metrics, layout) = tags.pack();
                let form = if open_metrics {
                    PathRules::KEY_OPEN_METRICS
                } else {
                    0
                };
                (rules.key() | PathRules::KEY_TAGGED | form, layout)
            }
        };
        Ok(CheckedPath { path, key, layout })
    }

    /// The path, as given (a tagged path is written in canonical order: see [`tags`](crate::tags)).
    pub const fn as_str(&self) -> &'a str {
        self.path
    }

    /// True for a tagged path.
    ///
    /// ```
    /// use carbon_pickle::{CheckedPath, PathRules};
    /// let path = CheckedPath::new("cpu;host=a;dc=dc1", PathRules::default())?;
    /// assert!(path.is_tagged());
    /// assert_eq!(path.canonical_len(), "cpu;dc=dc1;host=a".len());
    /// # Ok::<(), carbon_pickle::PathError>(())
    /// ```
    pub const fn is_tagged(&self) -> bool {
        self.key & PathRules::KEY_TAGGED != 0
    }

    /// Bytes of the path as written (a tagged path in canonical order, without duplicates), no prefix.
    pub fn canonical_len(&self) -> usize {
        tags::Text::new(None, self.path, self.tags()).len()
    }

    pub(crate) const fn tags(&self) -> Option<Layout> {
        if self.key & PathRules::KEY_TAGGED == 0 {
            return None;
        }
        Layout::unpack(self.key & PathRules::KEY_OPEN_METRICS != 0, self.layout)
    }

    /// The rules it was checked under.
    pub const fn rules(&self) -> PathRules {
        PathRules::from_key(self.key)
    }

    /// Its rules' key, and whether it is tagged, in one number.
    #[inline(always)]
    pub(crate) const fn key(&self) -> u16 {
        self.key
    }
}

impl core::fmt::Debug for CheckedPath<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CheckedPath")
            .field("path", &self.path)
            .field("rules", &self.rules())
            .field("tags", &self.tags())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for CheckedPath<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "CheckedPath {{ path: {=str}, rules: {}, tagged: {=bool} }}",
            self.path,
            self.rules(),
            self.is_tagged()
        )
    }
}

/// Checks a path (`last_is_leaf`) or a prefix; a path may be tagged, and its tag layout is returned.
///
/// Inlined where the quick pass then tells the caller at compile time that a path it passes has no tags
/// (about 15 instructions less per push on x86_64); not on Cortex-M, where that would cost flash.
#[cfg_attr(not(target_arch = "arm"), inline)]
pub(crate) fn check(
    path: &str,
    rules: PathRules,
    last_is_leaf: bool,
) -> Result<Option<Layout>, PathError> {
    let max_last = if last_is_leaf {
        MAX_LAST_COMPONENT
    } else {
        MAX_COMPONENT
    };
    if quick_ok(path.as_bytes(), rules, max_last) {
        Ok(None)
    } else {
        check_slow(path, rules, last_is_leaf, max_last)
    }
}

/// True when `path` is certainly a valid plain (untagged) path under `rules`: the quick pass alone, for the
/// push's inlined fast path (false means "check it in full").
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
pub(crate) fn quick_plain(path: &str, rules: PathRules) -> bool {
    quick_ok(path.as_bytes(), rules, MAX_LAST_COMPONENT)
}

#[cfg_attr(not(target_arch = "arm"), cold, inline(never))]
fn check_slow(
    path: &str,
    rules: PathRules,
    last_is_leaf: bool,
    max_last: usize,
) -> Result<Option<Layout>, PathError> {
    if last_is_leaf {
        if let Some(layout) = tags::check(path, Some(rules))? {
            return Ok(Some(layout));
        }
    }
    exact(path, rules, max_last).map(|()| None)
}

/// Checks the name of a tagged path (its leading `~` already stripped) as a plain path.
#[cfg(feature = "tags")]
/// The exact pass only: tagged paths are the slow path anyway, and a second copy of the quick pass would
/// cost more code than it saves time.
pub(crate) fn check_name(name: &str, rules: PathRules) -> Result<(), PathError> {
    exact(name, rules, MAX_LAST_COMPONENT)
}

/// Checks a prefix: the path rules, no `;` and no `{` (which would make carbon read a path after it as
/// tagged, or as OpenMetrics).
pub(crate) fn check_prefix(prefix: &str, rules: PathRules) -> Result<(), PathError> {
    check(prefix, rules, false)?;
    // A plain loop, not `find` (memchr), which costs a Cortex-M image about 100 bytes.
    match prefix.bytes().position(|c| c == b'{') {
        Some(at) => Err(PathError::InvalidChar { at, ch: '{' }),
        None => Ok(()),
    }
}

/// True when `bytes` is certainly a valid ASCII path; false means "look closer".
///
/// On x86_64, and on wasm32 built with simd128, paths of 17 bytes and more are classified 16 at a time in
/// vector registers ([`simd`]); on targets with cheap 64-bit arithmetic (x86_64, aarch64, wasm32) the rest
/// 8 at a time ([`quick_ok_wide`]); Cortex-M keeps the small byte loop ([`quick_ok_bytes`]), which costs
/// less flash. All give the same answer for every input (property tests, every-byte-in-every-position
/// tests and the `path` fuzz target hold them to the byte loop).
#[inline]
fn quick_ok(bytes: &[u8], rules: PathRules, max_last: usize) -> bool {
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    if bytes.len() >= simd::MIN_LEN {
        return simd::quick_ok(bytes, rules.allow_spaces, max_last);
    }
    // Not on wasm32 with simd128, where the byte loop below is vectorised anyway: the SWAR pass would add
    // 0.9 KB to the npm package's module for paths of 8 to 16 bytes only.
    #[cfg(not(any(
        target_arch = "arm",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    if bytes.len() >= 8 {
        return quick_ok_wide(bytes, rules, max_last);
    }
    quick_ok_bytes(bytes, rules, max_last)
}

/// Every byte of a word set to `b`.
#[cfg(any(
    test,
    not(any(
        target_arch = "arm",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))
))]
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The 8 bytes at `at` as one little-endian word (byte `k` in bits `8k..8k+8`).
#[cfg(any(
    test,
    not(any(
        target_arch = "arm",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))
))]
#[inline(always)]
fn word(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(w)
}

/// [`quick_ok_bytes`] 8 bytes at a time (SWAR), for `bytes.len() >= 8`.
///
/// Per word, with `H` the top bit of every byte and `L` the low bit:
/// - a byte below `limit` (controls, and the space unless allowed): `(w - limit*L) & !w & H` is non-zero
///   exactly when some byte is (a borrow only ever starts at such a byte);
/// - a byte `>= 0x7f` (DEL, non-ASCII): `((w & !H) + L | w) & H`, exact per byte (no carry crosses bytes);
/// - `/`, `\` and `;`: the same zero-byte test on `w ^ c*L`;
/// - dots: an exact per-byte mask (`!(((t & !H) + !H) | t) & H` on `t = w ^ '.'*L`), and two dots in a
///   row are that mask ANDed with itself moved up one byte, the previous word's last byte carried in.
///
/// The words are at 0, 8, 16, ... and one last word ending at the last byte, overlapping the one before it:
/// every byte and every pair of neighbours lies in some word, so no byte is checked one at a time.
#[cfg(any(
    test,
    not(any(
        target_arch = "arm",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))
))]
#[inline]
fn quick_ok_wide(bytes: &[u8], rules: PathRules, max_last: usize) -> bool {
    const L: u64 = splat(0x01);
    const H: u64 = splat(0x80);
    const LOW7: u64 = splat(0x7f);
    let n = bytes.len();
    debug_assert!(n >= 8);
    if n > max_last || bytes[0] == b'.' || bytes[n - 1] == b'.' || bytes[n - 1] == b'}' {
        return false;
    }
    let limit = if rules.allow_spaces {
        splat(0x20)
    } else {
        splat(0x21)
    };
    let classify = |w: u64, carry: u64| -> (u64, u64) {
        let below = w.wrapping_sub(limit) & !w;
        let high = ((w & LOW7) + L) | w;
        let s = w ^ splat(b'/');
        let slash = s.wrapping_sub(L) & !s;
        let b = w ^ splat(b'\\');
        let backslash = b.wrapping_sub(L) & !b;
        let c = w ^ splat(b';');
        let semicolon = c.wrapping_sub(L) & !c;
        let d = w ^ splat(b'.');
        let dots = !(((d & LOW7) + LOW7) | d) & H;
        let pairs = dots & ((dots << 8) | carry);
        (
            below | high | slash | backslash | semicolon | pairs,
            dots >> 56,
        )
    };
    let mut bad = 0u64;
    let mut carry = 0u64;
    let mut at = 0;
    while at + 8 <= n {
        let (b, c) = classify(word(bytes, at), carry);
        bad |= b;
        carry = c;
        at += 8;
    }
    if at < n {
        // Overlaps the word before, so the pair across the boundary is inside this word: no carry.
        bad |= classify(word(bytes, n - 8), 0).0;
    }
    bad & H == 0
}

/// For the `path` fuzz target only (built with `--cfg fuzzing`): the byte loop's answer, the 8-byte SWAR
/// pass's and the vector pass's (`None` where the bytes are too short for it or the target lacks it), and
/// whether the whole check agrees with the exact pass.
#[cfg(fuzzing)]
pub fn fuzz_quick_passes(
    bytes: &[u8],
    rules: PathRules,
    leaf: bool,
) -> (bool, Option<bool>, Option<bool>, bool) {
    let max = if leaf {
        MAX_LAST_COMPONENT
    } else {
        MAX_COMPONENT
    };
    let wide = (bytes.len() >= 8).then(|| quick_ok_wide(bytes, rules, max));
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    let vector =
        (bytes.len() >= simd::MIN_LEN).then(|| simd::quick_ok(bytes, rules.allow_spaces, max));
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    let vector = None;
    let agrees = match core::str::from_utf8(bytes) {
        // A tagged path is the tag rules' to judge (their own tests and differential test).
        Ok(path) if leaf && tags::is_tagged(path) => true,
        Ok(path) => check(path, rules, leaf).map(|_| ()) == exact(path, rules, max),
        Err(_) => true,
    };
    (quick_ok_bytes(bytes, rules, max), wide, vector, agrees)
}

/// The reference quick pass, one byte at a time.
///
/// Written as straight loops of byte comparisons folded into one flag, which the compiler turns into SIMD
/// code (16 or 32 bytes a step), with no branch on the data. A path no longer than the shortest component
/// limit cannot hold an over-long component, so only empty components need looking for: a leading or
/// trailing dot, or two dots in a row. Longer paths, and any path with a byte this pass does not like, go to
/// the exact pass, which decides. So do a `;` (a tagged path) and a last `}` (perhaps the OpenMetrics form).
#[inline]
fn quick_ok_bytes(bytes: &[u8], rules: PathRules, max_last: usize) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if bytes.len() > max_last || first == b'.' || last == b'.' || last == b'}' {
        return false;
    }
    let space = if rules.allow_spaces { 0 } else { b' ' };
    let mut bad = 0u8;
    for &b in bytes {
        bad |= u8::from(b < 0x20)
            | u8::from(b >= 0x7f)
            | u8::from(b == b'/')
            | u8::from(b == b'\\')
            | u8::from(b == b';')
            | u8::from(b == space);
    }
    for (&a, &b) in bytes.iter().zip(&bytes[1..]) {
        bad |= u8::from(a == b'.') & u8::from(b == b'.');
    }
    bad == 0
}

// Out of line and cold where the wide quick pass runs: it decides nearly every path, and without this one
// the check is a small function that saves few registers (about 9 instructions per push on x86_64). Not on
// Cortex-M, where it would cost 70 bytes of flash.
#[cfg_attr(not(target_arch = "arm"), cold, inline(never))]
fn exact(path: &str, rules: PathRules, max: usize) -> Result<(), PathError> {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return Err(PathError::Empty);
    }
    if bytes.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            len: bytes.len(),
            max: MAX_PATH_LEN,
        });
    }
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match CLASS[bytes[i] as usize] {
            OK => {}
            DOT => {
                component(start, i, MAX_COMPONENT)?;
                start = i + 1;
            }
            SPACE if rules.allow_spaces => {}
            SPACE | BAD => {
                return Err(PathError::InvalidChar {
                    at: i,
                    ch: bytes[i] as char,
                })
            }
            _ => {
                if rules.ascii_only {
                    return Err(PathError::NonAscii { at: i });
                }
                // `path` is a `str`, so a non-ASCII byte here starts a whole character.
                if let Some(ch) = path.get(i..).and_then(|rest| rest.chars().next()) {
                    if ch.is_control() || ch.is_whitespace() {
                        return Err(PathError::InvalidChar { at: i, ch });
                    }
                    i += ch.len_utf8();
                    continue;
                }
            }
        }
        i += 1;
    }
    component(start, bytes.len(), max)
}

fn component(start: usize, end: usize, max: usize) -> Result<(), PathError> {
    let len = end - start;
    if len == 0 {
        Err(PathError::EmptyComponent { at: start })
    } else if len > max {
        Err(PathError::ComponentTooLong {
            at: start,
            len,
            max,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> impl Strategy<Value = PathRules> {
        (any::<bool>(), any::<bool>()).prop_map(|(allow_spaces, ascii_only)| PathRules {
            allow_spaces,
            ascii_only,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The fast pass never accepts what the exact pass refuses.
        #[test]
        fn quick_pass_agrees_with_exact(
            path in "[a.b/ \\\\\\x00\\x7f\\u{e9}\\u{85}]{0,40}|([a-z]{0,9}\\.){0,5}[a-z]{0,9}|[a-z]{240,260}(\\.[a-z]{245,260})?",
            rules in rules(),
            leaf in any::<bool>(),
        ) {
            let max = if leaf { MAX_LAST_COMPONENT } else { MAX_COMPONENT };
            if quick_ok(path.as_bytes(), rules, max) {
                prop_assert_eq!(exact(&path, rules, max), Ok(()));
            }
            prop_assert_eq!(check(&path, rules, leaf).map(|_| ()), exact(&path, rules, max));
        }
    }

    /// Mostly path-like bytes (letters, dots), with every byte value in every position possible: `short`
    /// lengths, lengths around the component limits, and `random` lengths of any bytes.
    pub(crate) fn bytes_like_paths(
        short: core::ops::Range<usize>,
        random: core::ops::Range<usize>,
    ) -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            6 => proptest::sample::select(b"abcxyz019_-:;}".to_vec()),
            3 => Just(b'.'),
            1 => Just(b' '),
            2 => any::<u8>(),
        ];
        prop_oneof![
            proptest::collection::vec(byte.clone(), short),
            proptest::collection::vec(byte, 240..264),
            proptest::collection::vec(any::<u8>(), random),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8_000))]
        /// The wide (SWAR) quick pass answers exactly as the byte loop, on any bytes.
        #[test]
        fn wide_quick_pass_equals_byte_loop(
            bytes in bytes_like_paths(0..80, 0..64),
            rules in rules(),
            leaf in any::<bool>(),
        ) {
            let max = if leaf { MAX_LAST_COMPONENT } else { MAX_COMPONENT };
            if bytes.len() >= 8 {
                prop_assert_eq!(quick_ok_wide(&bytes, rules, max), quick_ok_bytes(&bytes, rules, max));
            }
            prop_assert_eq!(quick_ok(&bytes, rules, max), quick_ok_bytes(&bytes, rules, max));
        }

        /// Any string, Unicode whitespace and controls included: the checker's answer is the exact pass's.
        #[test]
        fn check_equals_exact_on_any_string(
            path in prop_oneof![
                any::<String>(),
                "[a-z.\u{85}\u{a0}\u{1680}\u{2000}-\u{200b}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}\u{e9}]{0,60}",
            ],
            rules in rules(),
            leaf in any::<bool>(),
        ) {
            let max = if leaf { MAX_LAST_COMPONENT } else { MAX_COMPONENT };
            if !(leaf && tags::is_tagged(&path)) {
                prop_assert_eq!(check(&path, rules, leaf).map(|_| ()), exact(&path, rules, max));
            }
            if path.len() >= 8 {
                prop_assert_eq!(quick_ok_wide(path.as_bytes(), rules, max), quick_ok_bytes(path.as_bytes(), rules, max));
            }
        }
    }

    /// Test inputs for the fast passes: paths of each length in `short` (cut from ordinary path-like bytes)
    /// and around the component limits (a 262-byte path with one dot), each with every byte value in every
    /// position (only near the ends and the dot for the long ones, `edge` bytes from each end), followed by
    /// nothing, a dot or a space.
    pub(crate) fn every_byte_every_position(
        short: core::ops::RangeInclusive<usize>,
        edge: usize,
        mut f: impl FnMut(&[u8]),
    ) {
        let bases: [&[u8]; 2] = [
            b"abcdefghijklmnopqrstuvwxyz0123456789ABCDabcdefghijklmnopqrstuvwxyz0123456789",
            b"a.bc.def.ghij.klmno.pqrstu.vwxyz01.23456abcdefghijklmnopqrstuvwxyz0123456789",
        ];
        let mut long = [b'q'; 262];
        long[100] = b'.';
        for len in short.chain([245, 250, 251, 252, 255, 256, 262]) {
            let base_list: &[&[u8]] = if len <= bases[0].len() {
                &bases
            } else {
                &[&long]
            };
            for base in base_list {
                let base = &base[..len];
                for i in 0..len {
                    if len > 100 && !(i < edge || i + edge > len || (95..106).contains(&i)) {
                        continue;
                    }
                    for v in 0..=255u8 {
                        for next in [None, Some(b'.'), Some(b' ')] {
                            let mut b = base.to_vec();
                            b[i] = v;
                            if let (Some(n), Some(slot)) = (next, b.get_mut(i + 1)) {
                                *slot = n;
                            }
                            f(&b);
                        }
                    }
                }
            }
        }
    }

    /// Asserts that a fast pass answers as the byte loop on `bytes`, with and without spaces allowed, for a
    /// leaf and for a prefix.
    pub(crate) fn agrees_with_byte_loop(
        bytes: &[u8],
        pass: impl Fn(&[u8], PathRules, usize) -> bool,
    ) {
        for allow_spaces in [false, true] {
            let rules = PathRules {
                allow_spaces,
                ascii_only: false,
            };
            for max in [MAX_LAST_COMPONENT, MAX_COMPONENT] {
                assert_eq!(
                    pass(bytes, rules, max),
                    quick_ok_bytes(bytes, rules, max),
                    "{bytes:?} {rules:?} {max}"
                );
            }
        }
    }

    /// The wide pass agrees with the byte loop on paths of 8 to 40 bytes and around the component limits.
    #[test]
    fn wide_quick_pass_every_byte_every_position() {
        every_byte_every_position(8..=40, 10, |b| agrees_with_byte_loop(b, quick_ok_wide));
    }

    #[test]
    fn quick_pass_takes_ordinary_paths() {
        for p in [
            "servers.host042.cpu.core3.user",
            "a",
            "a.b",
            "abcdefgh.ijklmnop",
            "x.abcdefgh",
        ] {
            assert!(
                quick_ok(p.as_bytes(), PathRules::default(), MAX_LAST_COMPONENT),
                "{p}"
            );
        }
        for p in [
            "",
            ".",
            "a.",
            ".a",
            "abcdefg..x",
            "abcdefgh.",
            "abcdefg.",
            "a b",
        ] {
            assert!(
                !quick_ok(p.as_bytes(), PathRules::default(), MAX_LAST_COMPONENT),
                "{p}"
            );
        }
    }
}
