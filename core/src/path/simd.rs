//! The path check's quick pass 16 bytes at a time, in the target's vector registers: SSE2 on x86_64 (every
//! x86_64 has it), simd128 on wasm32 when the module is built with it (`-C target-feature=+simd128`).
//!
//! Why it exists: the quick pass runs on every byte of every pushed path, and it was most of a validated
//! push (about 180 of 370 instructions for a 30-byte path with the 8-byte SWAR words). Here a 16-byte block
//! costs a handful of compares.
//!
//! Why `unsafe`: loading 16 bytes into a vector register takes a raw pointer. That is the only unsafe
//! operation, in [`load`]; it reads a `&[u8; 16]` that safe code has already cut out of the path, so it
//! reads nothing else. The answer is held to the byte loop ([`super::quick_ok_bytes`]) by this module's
//! tests (every byte value in every position, and a property test) and by the `path` fuzz target.
//!
//! The pass, per block `a` of 16 bytes:
//! - a byte below the limit (controls, and the space unless allowed), DEL or from 0x80 up: a *signed* byte
//!   compare `a + 1 < limit + 1` (wrapping: DEL and bytes from 0x80 are then negative, 0xff is 0);
//! - `/`, `\` and `;`: equality with each;
//! - two dots in a row: the lanes equal to `.` as a 16-bit mask (`movemask`), ANDed with itself moved up
//!   one lane, the previous block's last lane carried in.
//!
//! Blocks start at 0, 16, 32, ... while a whole block fits, then one last block ends at the path's end,
//! overlapping the one before (so the pair across that boundary is inside it). So every byte and every pair
//! of neighbours is checked, none one at a time, with one load per block (issue 22: the earlier pass loaded
//! each block twice, the second one byte further on, to compare neighbours in vector lanes).
#![allow(unsafe_code)]

/// Shortest path this pass takes: one block.
pub(super) const MIN_LEN: usize = 16;

#[cfg(target_arch = "x86_64")]
mod arch {
    use core::arch::x86_64::*;

    pub type V = __m128i;

    #[inline(always)]
    pub fn load(block: &[u8; 16]) -> V {
        // SAFETY: `block` is 16 readable bytes and `loadu` has no alignment requirement.
        unsafe { _mm_loadu_si128(block.as_ptr().cast()) }
    }
    #[inline(always)]
    pub fn splat(b: u8) -> V {
        // SAFETY (for toolchains where SSE2 intrinsics are not yet safe functions): every x86_64 has SSE2.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_set1_epi8(b as i8)
        }
    }
    #[inline(always)]
    pub fn eq(a: V, b: V) -> V {
        // SAFETY: as in `splat`.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_cmpeq_epi8(a, b)
        }
    }
    /// Lanes where `a < b` as signed bytes.
    #[inline(always)]
    pub fn lt_signed(a: V, b: V) -> V {
        // SAFETY: as in `splat`.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_cmplt_epi8(a, b)
        }
    }
    #[inline(always)]
    pub fn or(a: V, b: V) -> V {
        // SAFETY: as in `splat`.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_or_si128(a, b)
        }
    }
    #[inline(always)]
    pub fn add(a: V, b: V) -> V {
        // SAFETY: as in `splat`.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_add_epi8(a, b)
        }
    }
    /// The top bit of each lane, lane `k` in bit `k`.
    #[inline(always)]
    pub fn mask(a: V) -> u32 {
        // SAFETY: as in `splat`.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_movemask_epi8(a) as u32
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod arch {
    use core::arch::wasm32::*;

    pub type V = v128;

    #[inline(always)]
    pub fn load(block: &[u8; 16]) -> V {
        // SAFETY: `block` is 16 readable bytes; wasm loads have no alignment requirement.
        unsafe { v128_load(block.as_ptr().cast()) }
    }
    #[inline(always)]
    pub fn splat(b: u8) -> V {
        u8x16_splat(b)
    }
    #[inline(always)]
    pub fn eq(a: V, b: V) -> V {
        i8x16_eq(a, b)
    }
    /// Lanes where `a < b` as signed bytes.
    #[inline(always)]
    pub fn lt_signed(a: V, b: V) -> V {
        i8x16_lt(a, b)
    }
    #[inline(always)]
    pub fn or(a: V, b: V) -> V {
        v128_or(a, b)
    }
    #[inline(always)]
    pub fn add(a: V, b: V) -> V {
        i8x16_add(a, b)
    }
    /// The top bit of each lane, lane `k` in bit `k`.
    #[inline(always)]
    pub fn mask(a: V) -> u32 {
        u32::from(i8x16_bitmask(a))
    }
}

use arch::V;

/// The 16 bytes at `at` (cut out by safe slicing, which would panic out of range, and never is). The
/// conversion of a 16-byte slice to an array cannot fail; if it did, zero bytes would read as controls and
/// send the path to the exact pass, which decides correctly.
#[inline(always)]
fn block(bytes: &[u8], at: usize) -> V {
    let block: &[u8; 16] = bytes[at..at + 16].try_into().unwrap_or(&[0; 16]);
    arch::load(block)
}

/// [`super::quick_ok_bytes`] 16 bytes at a time, for `bytes.len() >= MIN_LEN`.
#[inline(always)]
pub(super) fn quick_ok(bytes: &[u8], allow_spaces: bool, max_last: usize) -> bool {
    let n = bytes.len();
    debug_assert!(n >= MIN_LEN);
    if n > max_last || bytes[0] == b'.' || bytes[n - 1] == b'.' || bytes[n - 1] == b'}' {
        return false;
    }
    // 32 bytes a step where the program is built for AVX2 (`-C target-cpu=native` on a machine that has
    // it, or `-C target-feature=+avx2`); the default x86_64 build keeps SSE2.
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    if n >= 32 {
        return avx2::blocks_ok(bytes, allow_spaces);
    }
    // `a + 1` (wrapping) moves DEL to 0x80 with the non-ASCII bytes, so one signed compare finds them all,
    // the controls and the space (unless allowed) too.
    let (one, limit) = (
        arch::splat(1),
        arch::splat(if allow_spaces { 0x21 } else { 0x22 }),
    );
    let (slash, backslash, semicolon, dot) = (
        arch::splat(b'/'),
        arch::splat(b'\\'),
        arch::splat(b';'),
        arch::splat(b'.'),
    );
    let classes = |a: V| {
        arch::or(
            arch::or(
                arch::lt_signed(arch::add(a, one), limit),
                arch::eq(a, slash),
            ),
            arch::or(arch::eq(a, backslash), arch::eq(a, semicolon)),
        )
    };
    let mut bad = arch::splat(0);
    let mut pairs = 0u32;
    let mut carry = 0u32;
    let mut at = 0;
    while at + 16 <= n {
        let a = block(bytes, at);
        bad = arch::or(bad, classes(a));
        let dots = arch::mask(arch::eq(a, dot));
        pairs |= dots & ((dots << 1) | carry);
        carry = dots >> 15;
        at += 16;
    }
    if at < n {
        // The last block ends at the last byte and overlaps the one before, so the pair across the
        // boundary is inside it: no carry.
        let a = block(bytes, n - 16);
        bad = arch::or(bad, classes(a));
        let dots = arch::mask(arch::eq(a, dot));
        pairs |= dots & (dots << 1);
    }
    pairs == 0 && arch::mask(bad) == 0
}

/// The same pass 32 bytes at a time (AVX2), for paths of 32 bytes and more whose ends were checked.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
mod avx2 {
    use core::arch::x86_64::*;

    type W = __m256i;

    /// The 32 bytes at `at`, cut out by safe slicing (as [`super::block`] does).
    #[inline(always)]
    fn block(bytes: &[u8], at: usize) -> W {
        let block: &[u8; 32] = bytes[at..at + 32].try_into().unwrap_or(&[0; 32]);
        // SAFETY: `block` is 32 readable bytes and `loadu` has no alignment requirement.
        unsafe { _mm256_loadu_si256(block.as_ptr().cast()) }
    }

    /// The classes and dot pairs of every block, as [`super::quick_ok`] does with 16 bytes.
    #[inline(always)]
    pub(super) fn blocks_ok(bytes: &[u8], allow_spaces: bool) -> bool {
        let n = bytes.len();
        // SAFETY: this module is compiled only where AVX2 is enabled for the whole program.
        #[allow(unused_unsafe)]
        unsafe {
            let splat = |b: u8| _mm256_set1_epi8(b as i8);
            let (one, limit) = (splat(1), splat(if allow_spaces { 0x21 } else { 0x22 }));
            let (slash, backslash, semicolon, dot) =
                (splat(b'/'), splat(b'\\'), splat(b';'), splat(b'.'));
            let classes = |a: W| {
                _mm256_or_si256(
                    _mm256_or_si256(
                        _mm256_cmpgt_epi8(limit, _mm256_add_epi8(a, one)),
                        _mm256_cmpeq_epi8(a, slash),
                    ),
                    _mm256_or_si256(
                        _mm256_cmpeq_epi8(a, backslash),
                        _mm256_cmpeq_epi8(a, semicolon),
                    ),
                )
            };
            let dots = |a: W| _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, dot)) as u32;
            let mut bad = _mm256_setzero_si256();
            let (mut pairs, mut carry, mut at) = (0u32, 0u32, 0);
            while at + 32 <= n {
                let a = block(bytes, at);
                bad = _mm256_or_si256(bad, classes(a));
                let d = dots(a);
                pairs |= d & ((d << 1) | carry);
                carry = d >> 31;
                at += 32;
            }
            if at < n {
                // The last block ends at the last byte, overlapping the one before: no carry.
                let a = block(bytes, n - 32);
                bad = _mm256_or_si256(bad, classes(a));
                let d = dots(a);
                pairs |= d & (d << 1);
            }
            pairs == 0 && _mm256_movemask_epi8(bad) == 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn agree(bytes: &[u8]) {
        crate::path::tests::agrees_with_byte_loop(bytes, |b, rules, max| {
            quick_ok(b, rules.allow_spaces, max)
        });
    }

    /// Every byte value in every position of paths of 17 to 70 bytes and around the component limits.
    #[test]
    fn every_byte_every_position() {
        crate::path::tests::every_byte_every_position(MIN_LEN..=70, 18, agree);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]
        /// On any bytes, the vector pass answers exactly as the byte loop.
        #[test]
        fn equals_byte_loop(bytes in crate::path::tests::bytes_like_paths(MIN_LEN..120, MIN_LEN..100)) {
            agree(&bytes);
        }
    }
}
