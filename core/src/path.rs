//! The path rules: what carbon can store as a directory tree of whisper files.
//!
//! One pass over the bytes with a 256-entry class table, so the common all-ASCII path costs a load and a
//! compare per byte. Non-ASCII bytes fall back to decoding the character (for `ascii_only` and Unicode
//! control characters).

use crate::{PathError, PathRules};

/// Longest directory name carbon can create (NAME_MAX).
pub const MAX_COMPONENT: usize = 255;
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

pub(crate) fn check(path: &str, rules: PathRules, last_is_leaf: bool) -> Result<(), PathError> {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return Err(PathError::Empty);
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
                if let Some(ch) = path[i..].chars().next() {
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
    let max = if last_is_leaf {
        MAX_LAST_COMPONENT
    } else {
        MAX_COMPONENT
    };
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
