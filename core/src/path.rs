//! The path rules: what carbon can store as a directory tree of whisper files.
//!
//! Checking is on every push, so it has a fast path: one branch-free pass over the bytes that only collects
//! flags (a bad or non-ASCII byte seen, an empty or over-long component seen). Branching on each `.` costs a
//! mispredicted branch per component, which measured slower than the rest of the encoder together. Only when
//! a flag is set does a second, exact pass find what is wrong and where (and decode non-ASCII characters for
//! `ascii_only` and Unicode control characters).

use crate::{PathError, PathRules};

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
        t[i] = if i < 0x20 || i == 0x7f || i == b'/' as usize || i == b'\\' as usize {
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
/// assert_eq!(check_path("a b", PathRules { allow_spaces: true, ..rules }), Ok(()));
/// ```
pub fn check_path(path: &str, rules: PathRules) -> Result<(), PathError> {
    check(path, rules, true)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CheckedPath<'a> {
    path: &'a str,
    rules: PathRules,
}

impl<'a> CheckedPath<'a> {
    /// Checks `path` under `rules`.
    pub fn new(path: &'a str, rules: PathRules) -> Result<Self, PathError> {
        check_path(path, rules)?;
        Ok(CheckedPath { path, rules })
    }

    /// The path.
    pub const fn as_str(&self) -> &'a str {
        self.path
    }

    /// The rules it was checked under.
    pub const fn rules(&self) -> PathRules {
        self.rules
    }
}

pub(crate) fn check(path: &str, rules: PathRules, last_is_leaf: bool) -> Result<(), PathError> {
    let max_last = if last_is_leaf {
        MAX_LAST_COMPONENT
    } else {
        MAX_COMPONENT
    };
    if quick_ok(path.as_bytes(), rules, max_last) {
        Ok(())
    } else {
        exact(path, rules, max_last)
    }
}

/// True when `bytes` is certainly a valid ASCII path; false means "look closer".
///
/// Written as straight loops of byte comparisons folded into one flag, which the compiler turns into SIMD
/// code (16 or 32 bytes a step), with no branch on the data. A path no longer than the shortest component
/// limit cannot hold an over-long component, so only empty components need looking for: a leading or
/// trailing dot, or two dots in a row. Longer paths, and any path with a byte this pass does not like, go to
/// the exact pass, which decides.
#[inline]
fn quick_ok(bytes: &[u8], rules: PathRules, max_last: usize) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if bytes.len() > max_last || first == b'.' || last == b'.' {
        return false;
    }
    let space = if rules.allow_spaces { 0 } else { b' ' };
    let mut bad = 0u8;
    for &b in bytes {
        bad |= u8::from(b < 0x20)
            | u8::from(b >= 0x7f)
            | u8::from(b == b'/')
            | u8::from(b == b'\\')
            | u8::from(b == space);
    }
    for (&a, &b) in bytes.iter().zip(&bytes[1..]) {
        bad |= u8::from(a == b'.') & u8::from(b == b'.');
    }
    bad == 0
}

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
            prop_assert_eq!(check(&path, rules, leaf), exact(&path, rules, max));
        }
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
