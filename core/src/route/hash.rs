//! The hash functions of the three placements, fed in pieces so that `prefix`, `.` and `path` are hashed
//! as one metric name without being copied together (and a tagged path in canonical order, see
//! [`tags`](crate::tags)).
//!
//! - carbon_ch: the first two bytes of the md5 of the UTF-8 text, big-endian (`int(md5hex[:4], 16)`).
//! - fnv1a_ch: 32-bit FNV-1a of the UTF-8 bytes, folded to 16 bits as `(h >> 16) ^ (h & 0xffff)`.
//! - jump_fnv1a_ch (carbon-c-relay only): 64-bit FNV-1a, then Lamping and Veach's jump consistent hash.
//!   carbon-c-relay's FNV-1a reads the name through a C `char *`, which is signed on x86 and most other
//!   hosts: a byte of `0x80` or more enters the hash sign-extended (`0xffff_ffff_ffff_ff..`). This is
//!   kept, so non-ASCII names land where carbon-c-relay puts them.

use core::fmt;
use core::str::FromStr;

use crate::tags::Text;

use md5::{Digest, Md5};

/// How destinations are placed: carbon's `ROUTER_HASH_TYPE`, or carbon-c-relay's `jump_fnv1a_ch`.
///
/// ```
/// use carbon_pickle::route::HashType;
/// assert_eq!("fnv1a_ch".parse(), Ok(HashType::Fnv1aCh));
/// assert_eq!(HashType::default().as_str(), "carbon_ch");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HashType {
    /// Carbon's default ring: md5 of `str((server, instance))` + `:i`, 100 points per destination.
    #[default]
    CarbonCh,
    /// Carbon's FNV-1a ring: the points of a destination come from its *instance* name alone
    /// (`"%d-%s" % (i, instance)`), so destinations need distinct instance names.
    Fnv1aCh,
    /// carbon-c-relay's jump hash over the destinations sorted by instance name.
    JumpFnv1aCh,
}

impl HashType {
    /// The name in carbon's and carbon-c-relay's configuration files.
    pub const fn as_str(self) -> &'static str {
        match self {
            HashType::CarbonCh => "carbon_ch",
            HashType::Fnv1aCh => "fnv1a_ch",
            HashType::JumpFnv1aCh => "jump_fnv1a_ch",
        }
    }
}

impl fmt::Display for HashType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not `carbon_ch`, `fnv1a_ch` or `jump_fnv1a_ch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UnknownHashType;

impl fmt::Display for UnknownHashType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown hash type (expected carbon_ch, fnv1a_ch or jump_fnv1a_ch)")
    }
}

impl core::error::Error for UnknownHashType {}

impl FromStr for HashType {
    type Err = UnknownHashType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "carbon_ch" => Ok(HashType::CarbonCh),
            "fnv1a_ch" => Ok(HashType::Fnv1aCh),
            "jump_fnv1a_ch" => Ok(HashType::JumpFnv1aCh),
            _ => Err(UnknownHashType),
        }
    }
}

/// md5 fed through `fmt::Write`, so Python-formatted keys are hashed without a buffer.
pub(super) struct Md5Writer(pub(super) Md5);

impl fmt::Write for Md5Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// carbon_ch's position of text written in pieces.
pub(super) fn carbon_pos(md5: Md5) -> u32 {
    let d = md5.finalize();
    u32::from(u16::from_be_bytes([d[0], d[1]]))
}

/// carbon_ch's position of a name given in pieces.
pub(super) fn carbon_pos_of(text: &Text<'_>) -> u32 {
    let mut md5 = Md5::new();
    let _ = text.pieces(&mut |p: &str| {
        md5.update(p.as_bytes());
        Ok(())
    });
    carbon_pos(md5)
}

/// 32-bit FNV-1a, streaming.
#[derive(Clone, Copy)]
pub(super) struct Fnv32(pub(super) u32);

impl Fnv32 {
    pub(super) const fn new() -> Self {
        Fnv32(0x811c_9dc5)
    }
    pub(super) fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ u32::from(x)).wrapping_mul(0x0100_0193);
        }
    }
    /// fnv1a_ch's 16-bit fold.
    pub(super) fn pos(self) -> u32 {
        (self.0 >> 16) ^ (self.0 & 0xffff)
    }
}

impl fmt::Write for Fnv32 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

/// fnv1a_ch's position of a name given in pieces.
pub(super) fn fnv_pos_of(text: &Text<'_>) -> u32 {
    let mut h = Fnv32::new();
    let _ = text.pieces(&mut |p: &str| {
        h.bytes(p.as_bytes());
        Ok(())
    });
    h.pos()
}

/// carbon-c-relay's 64-bit FNV-1a, bytes sign-extended as a signed C `char` does.
pub(super) fn fnv64_signed_of(text: &Text<'_>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let _ = text.pieces(&mut |p: &str| {
        for &b in p.as_bytes() {
            h = (h ^ (b as i8 as i64 as u64)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Ok(())
    });
    h
}

/// Lamping and Veach's jump consistent hash: a bucket in `0..buckets` (`buckets` at least 1), computed
/// with the same integer and floating-point steps as carbon-c-relay.
pub(super) fn jump(mut key: u64, buckets: usize) -> usize {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < buckets as i64 {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as usize
}

/// carbon-c-relay's xorshift step that gives the next replica a new key for [`jump`].
pub(super) fn remix(mut h: u64) -> u64 {
    h ^= h >> 12;
    h ^= h << 25;
    h ^= h >> 27;
    h.wrapping_mul(2_685_821_657_736_338_717)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(path: &str) -> Text<'_> {
        Text::new(None, path, crate::tags::layout_of(path))
    }

    #[test]
    fn known_values() {
        // hashlib.md5(b"foo.bar").hexdigest()[:4] == "04f9" (checked with Python).
        assert_eq!(carbon_pos_of(&t("foo.bar")), 0x04f9);
        let prefixed = Text::new(Some("foo"), "bar", None);
        assert_eq!(carbon_pos_of(&prefixed), 0x04f9);
        // A tagged path is hashed in canonical order.
        assert_eq!(
            carbon_pos_of(&t("a;y=2;x=1")),
            carbon_pos_of(&t("a;x=1;y=2"))
        );
        // FNV-1a 32 of "a" is 0xe40c292c.
        let mut h = Fnv32::new();
        h.bytes(b"a");
        assert_eq!(h.0, 0xe40c_292c);
        assert_eq!(fnv_pos_of(&t("a")), 0xe40c ^ 0x292c);
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; sign extension changes bytes >= 0x80 only: plain
        // FNV-1a 64 of "\u{e9}" (c3 a9) would be 0x0ac21707b7181e01.
        assert_eq!(fnv64_signed_of(&t("a")), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv64_signed_of(&t("\u{e9}")), 0x080d_7307_b4cc_3001);
        assert_eq!(jump(0xdead_beef, 10), 5);
        assert_eq!(jump(fnv64_signed_of(&t("foo.bar")), 3), 1);
        assert_eq!(jump(0, 1), 0);
        for n in 1..50 {
            assert!(jump(0xdead_beef, n) < n);
        }
    }
}
