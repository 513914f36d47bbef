//! carbon-c-relay's member order for `jump_fnv1a_ch`, and its way of picking replicas.
//!
//! A jump hash maps a key to a bucket number, so the members must be in an agreed order. carbon-c-relay
//! (3.x) sorts them: members with an instance first, by instance, compared as numbers when both instance
//! names are whole base-10 numbers in C's `strtol` sense (leading whitespace and a sign allowed; an empty
//! name counts as 0), else byte by byte; members without an instance after them, in configuration order.
//! Numbers are compared the way carbon-c-relay does, as the difference truncated to a C `int`.
//!
//! For replicas it picks the bucket, removes that member by moving the last remaining one into its place,
//! scrambles the key with an xorshift step and picks again among the remaining members.

use core::cmp::Ordering;

/// C's `strtol(s, &end, 10)` with `*end == '\0'`: `Some(value)` (saturated like `strtol`) when the
/// whole text is one number.
fn whole_number(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        // No conversion: strtol leaves `end` at the start, which is the end only for "".
        return s.is_empty().then_some(0);
    }
    if i + digits != b.len() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in &b[i..] {
        let d = i64::from(c - b'0');
        v = if negative {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    Some(v)
}

/// carbon-c-relay's comparison of two members' instances (`None`: no instance). Members without an
/// instance compare equal among themselves and stay in configuration order (a stable sort).
pub(super) fn compare(l: Option<&str>, r: Option<&str>) -> Ordering {
    match (l, r) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(l), Some(r)) => match (whole_number(l), whole_number(r)) {
            (Some(a), Some(b)) => (a.wrapping_sub(b) as i32).cmp(&0),
            _ => l.as_bytes().cmp(r.as_bytes()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_like_strtol() {
        assert_eq!(whole_number("12"), Some(12));
        assert_eq!(whole_number(" -3"), Some(-3));
        assert_eq!(whole_number("+7"), Some(7));
        assert_eq!(whole_number(""), Some(0));
        assert_eq!(whole_number("7 "), None);
        assert_eq!(whole_number("a"), None);
        assert_eq!(whole_number("-"), None);
        assert_eq!(whole_number("0x10"), None);
        assert_eq!(whole_number("99999999999999999999"), Some(i64::MAX));
    }

    #[test]
    fn order() {
        assert_eq!(compare(Some("9"), Some("10")), Ordering::Less);
        assert_eq!(compare(Some("a"), Some("b")), Ordering::Less);
        assert_eq!(compare(Some("10"), Some("9a")), Ordering::Less);
        assert_eq!(compare(Some("z"), None), Ordering::Less);
        assert_eq!(compare(None, None), Ordering::Equal);
        // The difference is truncated to 32 bits, as carbon-c-relay's `(int)(val_l - val_r)`.
        assert_eq!(compare(Some("4294967296"), Some("0")), Ordering::Equal);
    }
}
