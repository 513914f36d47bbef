//! The bytes of one datapoint, per protocol, and their exact length.
//!
//! Protocol 2 has fixed-size fields around the path, so its length has a closed form and a datapoint is
//! written in place into the sink's memory. Protocol 0 is written piece by piece through an `emit` function,
//! which also counts its length (number text has no closed form) and streams it to a socket. A property test
//! holds both lengths to the real output.
//!
//! The path is written as a `Text`: the prefix, the path, and for a tagged path its canonical order (see
//! [`tags`](crate::tags)), which both lengths count.

use crate::opcode::*;
use crate::tags::Text;
use crate::{Datapoint, Error, Protocol};

/// Bytes of the length header.
pub const HEADER_LEN: usize = 4;
const OPENER_V2: [u8; 4] = [PROTO, 2, EMPTY_LIST, MARK];
const TRAILER_V2: [u8; 2] = [APPENDS, STOP];
const OPENER_V0: [u8; 2] = [MARK, LIST];
const TRAILER_V0: [u8; 1] = [STOP];

/// The payload's first bytes, before any datapoint.
///
/// ```
/// use carbon_pickle::{wire, Protocol};
/// assert_eq!(wire::opener(Protocol::V2), b"\x80\x02](");
/// assert_eq!(wire::opener(Protocol::V0), b"(l");
/// assert_eq!(wire::trailer(Protocol::V2), b"e.");
/// assert_eq!(wire::trailer(Protocol::V0), b".");
/// assert_eq!(wire::empty_frame_len(Protocol::V2), 10);
/// ```
pub const fn opener(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::V2 => &OPENER_V2,
        Protocol::V0 => &OPENER_V0,
    }
}

/// The payload's last bytes, after every datapoint.
pub const fn trailer(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::V2 => &TRAILER_V2,
        Protocol::V0 => &TRAILER_V0,
    }
}

/// Bytes of an empty frame, header included.
pub const fn empty_frame_len(protocol: Protocol) -> usize {
    HEADER_LEN + opener(protocol).len() + trailer(protocol).len()
}

/// Where bytes go when a datapoint is written piece by piece; `Err(())` stops the writer (the caller keeps
/// the real error).
pub(crate) type Emit<'e> = dyn FnMut(&[u8]) -> Result<(), ()> + 'e;

/// One protocol's datapoint writer, chosen once when a frame starts: a plain `match`, which the compiler
/// inlines and, where the protocol is a constant, folds away.
///
/// Protocol 0 exists only with the feature `protocol-0`: without it there is no `V0` variant, so a
/// program never references protocol 0's number formatting (ryu, itoa) and the linker drops it. With the
/// feature, a program whose options are a constant protocol 2 drops it too (the match is decided at compile
/// time); one whose protocol is a runtime value links it. Each protocol-2 routine is linked only where it is
/// called (a byte counter links neither the filler nor the writer). That keeps the encoder in a Cortex-M
/// image small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    V2,
    #[cfg(feature = "protocol-0")]
    V0,
}

impl Codec {
    /// The codec of `protocol`; protocol 0 only with the crate feature `protocol-0`.
    #[inline(always)]
    pub(crate) fn of(protocol: Protocol) -> Result<Codec, Error> {
        match protocol {
            Protocol::V2 => Ok(Codec::V2),
            #[cfg(feature = "protocol-0")]
            Protocol::V0 => Ok(Codec::V0),
            #[cfg(not(feature = "protocol-0"))]
            Protocol::V0 => Err(Error::ProtocolNotEnabled),
        }
    }

    /// Exact bytes `dp` takes in a payload, its path written as `text`. `dp` must be valid.
    #[inline(always)]
    pub(crate) fn len(&self, text: &Text<'_>, dp: &Datapoint<'_>) -> usize {
        match self {
            Codec::V2 => v2_len(text, dp),
            #[cfg(feature = "protocol-0")]
            Codec::V0 => v0_len(text, dp),
        }
    }

    /// Writes `dp` (which must be valid) piece by piece through `emit`.
    pub(crate) fn write(
        &self,
        text: &Text<'_>,
        dp: &Datapoint<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ()> {
        match self {
            Codec::V2 => write_v2(text, dp, emit),
            #[cfg(feature = "protocol-0")]
            Codec::V0 => write_v0(text, dp, emit),
        }
    }
}

#[inline(always)]
fn v2_len(text: &Text<'_>, dp: &Datapoint<'_>) -> usize {
    // X len, prefix and path, then timestamp, G value, TUPLE2 TUPLE2
    5 + text.len() + tail_len(dp)
}

#[cfg(feature = "protocol-0")]
fn v0_len(text: &Text<'_>, dp: &Datapoint<'_>) -> usize {
    let mut n = 0usize;
    let _ = write_v0(text, dp, &mut |b: &[u8]| {
        n += b.len();
        Ok(())
    });
    n
}

/// A protocol-2 datapoint whose path is plain (untagged), measured once: the fast path of a push.
#[derive(Clone, Copy)]
pub(crate) struct PlainV2 {
    /// The timestamp's opcode and its field's 8 bytes as stored: BININT and the `i32` (the last 4 bytes
    /// are overwritten by the value), or BINFLOAT and the big-endian double.
    ts_op: u8,
    ts_word: u64,
    /// Bytes of the text (prefix, dot, path).
    pub(crate) text_len: usize,
    /// Bytes of the whole datapoint.
    pub(crate) len: usize,
}

impl PlainV2 {
    /// `text_len` bytes of prefix and path; `dp` must be valid.
    #[inline(always)]
    pub(crate) fn new(text_len: usize, dp: &Datapoint<'_>) -> Self {
        // The timestamp's form decided once: it sets the tail's length and its first 9 bytes.
        let binint = v2_binint(dp);
        let (ts_op, ts_word) = match binint {
            Some(t) => (BININT, u64::from(t as u32)),
            None => (BINFLOAT, dp.timestamp.to_bits().swap_bytes()),
        };
        PlainV2 {
            ts_op,
            ts_word,
            text_len,
            len: 5 + text_len + tail_len_of(binint),
        }
    }

    /// Fills `slot`, exactly `len` bytes, with fixed-size fields written as plain stores; only the path is
    /// a variable-length copy. The timestamp's field is always stored as 9 bytes and the value's 11 bytes
    /// after it, counted from the slot's end: for a BININT the value overwrites the 4 bytes too many, so
    /// neither form needs a branch.
    #[inline(always)]
    pub(crate) fn fill(&self, prefix: Option<&str>, dp: &Datapoint<'_>, slot: &mut [u8]) {
        // Never fails: `slot` is `len` bytes, at least 5 + path + 16.
        let Some((head, rest)) = slot.split_first_chunk_mut::<5>() else {
            return;
        };
        let Some((text, tail)) = rest.split_at_mut_checked(self.text_len) else {
            return;
        };
        head[0] = BINUNICODE;
        head[1..].copy_from_slice(&(self.text_len as u32).to_le_bytes());
        let path = match prefix {
            Some(p) => {
                let (pre, path) = text.split_at_mut(p.len() + 1);
                pre[..p.len()].copy_from_slice(p.as_bytes());
                pre[p.len()] = b'.';
                path
            }
            None => text,
        };
        // One `memcpy` call on Cortex-M, where the inline copy would cost flash.
        #[cfg(target_arch = "arm")]
        path.copy_from_slice(dp.path.as_bytes());
        #[cfg(not(target_arch = "arm"))]
        copy_path(path, dp.path.as_bytes());
        if let Some(ts) = tail.first_chunk_mut::<9>() {
            ts[0] = self.ts_op;
            ts[1..].copy_from_slice(&self.ts_word.to_le_bytes());
        }
        let Some(value) = tail.last_chunk_mut::<11>() else {
            return;
        };
        value[0] = BINFLOAT;
        value[1..9].copy_from_slice(&dp.value.to_be_bytes());
        value[9] = TUPLE2;
        value[10] = TUPLE2;
    }
}

/// `dst.copy_from_slice(src)` (same lengths) inline, by size class as a `memcpy` does it: up to 128 bytes
/// with 16-byte blocks from the start and from the end, overlapping in the middle, so a path of any length
/// in a class takes the same branches (paths of random lengths made a block loop's exit mispredict); 8 or
/// 4 bytes first and last for short paths; a block loop past 128. A call to `memcpy` costs about as many
/// instructions for a path of 30 bytes, and the registers it clobbers must be saved around it.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn copy_path(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    let Some(dst) = dst.get_mut(..n) else {
        return; // never: the slot was cut to the path's length
    };
    // The `k`-th block of 16 from the start and from the end (they overlap when `n < 32 * (k + 1)`).
    let ends = |dst: &mut [u8], k: usize| {
        dst[16 * k..16 * k + 16].copy_from_slice(&src[16 * k..16 * k + 16]);
        dst[n - 16 * (k + 1)..n - 16 * k].copy_from_slice(&src[n - 16 * (k + 1)..n - 16 * k]);
    };
    if n > 128 {
        let mut at = 0;
        while at + 16 < n {
            dst[at..at + 16].copy_from_slice(&src[at..at + 16]);
            at += 16;
        }
        dst[n - 16..].copy_from_slice(&src[n - 16..]);
    } else if n > 64 {
        ends(dst, 0);
        ends(dst, 1);
        ends(dst, 2);
        ends(dst, 3);
    } else if n > 32 {
        ends(dst, 0);
        ends(dst, 1);
    } else if n >= 16 {
        ends(dst, 0);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else {
        dst.copy_from_slice(src);
    }
}

/// Bytes after the path in protocol 2: timestamp, value, two TUPLE2.
#[inline]
fn tail_len(dp: &Datapoint<'_>) -> usize {
    tail_len_of(v2_binint(dp))
}

#[inline(always)]
fn tail_len_of(binint: Option<i32>) -> usize {
    (if binint.is_some() { 5 } else { 9 }) + 9 + 2
}

/// BININT only for `0 <= ts < 2^31` whole seconds; go-carbon reads BININT as unsigned, CPython as signed.
///
/// `dp` is valid, so its timestamp is finite and in `0..2^32`. Adding 2^52 rounds it to a whole number
/// (the spacing of doubles from 2^52 up is 1) held in the low bits of the sum: the timestamp is whole
/// exactly when taking 2^52 away again gives it back. A handful of instructions, where `as i32` saturates
/// with several compares.
#[inline(always)]
fn v2_binint(dp: &Datapoint<'_>) -> Option<i32> {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let rounded = dp.timestamp + TWO_52;
    let whole = rounded - TWO_52 == dp.timestamp && dp.timestamp < 2_147_483_648.0;
    whole.then_some(rounded.to_bits() as u32 as i32)
}

fn write_v2(text: &Text<'_>, dp: &Datapoint<'_>, emit: &mut Emit<'_>) -> Result<(), ()> {
    let mut head = [0u8; 5];
    head[0] = BINUNICODE;
    head[1..].copy_from_slice(&(text.len() as u32).to_le_bytes());
    emit(&head)?;
    text.pieces(&mut |s: &str| emit(s.as_bytes()))?;
    let mut tail = [0u8; 20];
    let n = match v2_binint(dp) {
        Some(t) => {
            tail[0] = BININT;
            tail[1..5].copy_from_slice(&t.to_le_bytes());
            5
        }
        None => {
            tail[0] = BINFLOAT;
            tail[1..9].copy_from_slice(&dp.timestamp.to_be_bytes());
            9
        }
    };
    tail[n] = BINFLOAT;
    tail[n + 1..n + 9].copy_from_slice(&dp.value.to_be_bytes());
    tail[n + 9] = TUPLE2;
    tail[n + 10] = TUPLE2;
    emit(&tail[..n + 11])
}

#[cfg(feature = "protocol-0")]
fn write_v0(text: &Text<'_>, dp: &Datapoint<'_>, emit: &mut Emit<'_>) -> Result<(), ()> {
    emit(&[MARK])?;
    let mut plain = true;
    let _ = text.pieces(&mut |s: &str| {
        plain &= s.is_ascii() && !s.contains('\'');
        Ok(())
    });
    if plain {
        // STRING as statsd writes it: quoted, no escapes needed (no `\`, `'` or control characters).
        emit(&[STRING, b'\''])?;
        text.pieces(&mut |s: &str| emit(s.as_bytes()))?;
        emit(b"'\n")?;
    } else {
        emit(&[UNICODE])?;
        text.pieces(&mut |s: &str| raw_unicode_escape(s, emit))?;
        emit(b"\n")?;
    }
    emit(&[MARK])?;
    match dp.whole_timestamp() {
        Some(t) => {
            emit(&[LONG])?;
            emit(itoa::Buffer::new().format(t).as_bytes())?;
            emit(b"L\n")?;
        }
        None => float_line(dp.timestamp, emit)?,
    }
    float_line(dp.value, emit)?;
    emit(&[TUPLE, TUPLE, APPEND])
}

#[cfg(feature = "protocol-0")]
fn float_line(v: f64, emit: &mut Emit<'_>) -> Result<(), ()> {
    emit(&[FLOAT])?;
    emit(ryu::Buffer::new().format_finite(v).as_bytes())?;
    emit(b"\n")
}

#[cfg(feature = "protocol-0")]
/// Python's `raw-unicode-escape`: ASCII as is, other characters as `\uXXXX` or `\UXXXXXXXX`.
/// Paths hold no `\` (the path rules refuse it, in tags and values too), so nothing else needs escaping.
fn raw_unicode_escape(s: &str, emit: &mut Emit<'_>) -> Result<(), ()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut run = 0;
    for (i, ch) in s.char_indices() {
        if ch.is_ascii() {
            continue;
        }
        emit(&s.as_bytes()[run..i])?;
        run = i + ch.len_utf8();
        let c = ch as u32;
        let mut esc = [0u8; 10];
        let digits = if c < 0x1_0000 { 4 } else { 8 };
        esc[0] = b'\\';
        esc[1] = if digits == 4 { b'u' } else { b'U' };
        for k in 0..digits {
            esc[2 + k] = HEX[((c >> (4 * (digits - 1 - k))) & 0xf) as usize];
        }
        emit(&esc[..2 + digits])?;
    }
    emit(&s.as_bytes()[run..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: a whole timestamp that fits an `i32`.
    fn binint_reference(dp: &Datapoint<'_>) -> Option<i32> {
        // `as` saturates, but `dp` is valid: its timestamp lies in 0..2^32 (and the test needs no feature).
        (dp.timestamp.fract() == 0.0)
            .then_some(dp.timestamp as u32)
            .and_then(|t| i32::try_from(t).ok())
    }

    #[test]
    fn binint_at_the_edges() {
        for ts in [
            0.0,
            -0.0,
            0.5,
            1.0,
            1_700_000_000.0,
            1_700_000_000.25,
            2_147_483_646.5,
            2_147_483_647.0,
            2_147_483_647.5,
            2_147_483_648.0,
            2_147_483_649.0,
            4_294_967_295.0,
            4_294_967_295.5,
            f64::MIN_POSITIVE,
        ] {
            let dp = Datapoint::new("a", ts, 1.0);
            assert_eq!(v2_binint(&dp), binint_reference(&dp), "{ts}");
        }
    }

    proptest! {
        #[test]
        fn binint_equals_reference(ts in 0.0..crate::TIMESTAMP_END, whole in 0u32..=u32::MAX) {
            for ts in [ts, whole as f64, ts.floor()] {
                let dp = Datapoint::new("a", ts, 1.0);
                prop_assert_eq!(v2_binint(&dp), binint_reference(&dp));
            }
        }
    }
}
