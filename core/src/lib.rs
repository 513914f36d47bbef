//! Graphite carbon "pickle" frames, encoded into buffers you own.
//!
//! Carbon's pickle receiver (TCP port 2004; Hosted Graphite takes the same frames, with an API key prefixed to
//! every path) reads frames made of a 4-byte big-endian payload length and a Python pickle of
//! `[(path, (timestamp, value)), ...]`. This crate writes exactly those bytes, and only the pickle opcodes
//! that every real receiver accepts (carbon on Python 2 and 3, go-carbon, carbon-relay-ng):
//!
//! - `#![no_std]`, no allocation, and no `unsafe` but for one small module (the path check's 16-byte vector
//!   loads on x86_64 and wasm32 simd128, held to the byte loop by its own tests and fuzz target): frames go into a caller's `&mut [u8]`, a `heapless::Vec`, an
//!   `alloc::vec::Vec` (feature `alloc`), a byte [`Counter`], or straight to an `embedded_io::Write`
//!   (feature `embedded-io`, [`write_frame`]) in constant memory.
//! - Limits per frame (payload bytes, datapoints) default to carbon's: a frame carbon would drop is never
//!   built. A refused push returns a typed [`Error`] and leaves the frame exactly as it was.
//! - [`Splitter`] and [`split`] turn any number of datapoints into as many frames as needed, reusing one
//!   buffer. [`frame_len`] and [`Datapoint::encoded_len`] give exact sizes up front.
//! - [`plaintext`] reads carbon's plaintext lines (`path value timestamp`) exactly as carbon's line
//!   receiver does, from a stream of any size into a fixed buffer, for programs that turn lines into
//!   frames.
//! - [`tags`]: Graphite tagged paths (`disk.used;dc=dc1;rack=a1`) are checked by carbon's tag rules and
//!   written in carbon's canonical order, straight into the frame; [`tags::TaggedName`] builds one in a
//!   caller's buffer.
//!
//! ```
//! use carbon_pickle::{Datapoint, FrameEncoder, Options, SliceSink};
//!
//! let mut buf = [0u8; 256];
//! let mut frame = FrameEncoder::new(SliceSink::new(&mut buf), Options::new())?;
//! frame.push(&Datapoint::new("sensors.kitchen.temp", 1_700_000_000, 21.5))?;
//! let bytes = frame.finish().into_written();
//! assert_eq!(&bytes[..4], &[0, 0, 0, 47]); // payload length, big-endian
//! assert_eq!(&bytes[4..8], b"\x80\x02](");  // PROTO 2, EMPTY_LIST, MARK
//! assert_eq!(&bytes[8..13], b"X\x14\x00\x00\x00"); // BINUNICODE, 20 bytes of path
//! # Ok::<(), carbon_pickle::Error>(())
//! ```
//!
//! The wire format, opcode by opcode, is described in `docs/wire-format.md` in the repository.
//!
//! # Features
//! - `protocol-0` (default): pickle protocol 0. Without it, [`Protocol::V0`] is refused with
//!   [`Error::ProtocolNotEnabled`] and its number text (ryu, itoa) is never linked, even where the protocol
//!   is a runtime value (a program with a constant protocol 2 drops it either way).
//! - `alloc`: [`Sink`] for `Vec<u8>` and [`to_vec`].
//! - `std`: `alloc`, plus `std::io` error support in `embedded-io`.
//! - `embedded-io`: [`write_frame`], streaming a frame to an `embedded_io::Write`.
//! - `defmt`: `defmt::Format` for every public type.
//! - `route`: [`route`], placing metrics on a carbon cluster's destinations as carbon-relay does
//!   (carbon_ch, fnv1a_ch, carbon-c-relay's jump_fnv1a_ch, replication), without allocation.
//! - `tags` (default): Graphite tagged paths checked and written canonically ([`tags`]). Without it tagged
//!   paths are refused ([`TagError::NotEnabled`]).
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

use core::borrow::Borrow;

mod datapoint;
pub mod decode;
mod error;
mod frame;
mod measure;
pub mod opcode;
mod options;
mod path;
pub mod plaintext;
mod pyfloat;
#[cfg(fuzzing)]
#[doc(hidden)]
pub use path::fuzz_quick_passes;
#[cfg(feature = "route")]
#[cfg_attr(docsrs, doc(cfg(feature = "route")))]
pub mod route;
mod sink;
mod split;
#[cfg(feature = "embedded-io")]
mod stream;
pub mod tags;
pub mod wire;

pub use datapoint::{Datapoint, UnixSeconds, TIMESTAMP_END};
pub use error::{Error, PathError, Refused, TagError};
pub use frame::FrameEncoder;
pub use measure::{frame_len, FrameSize};
pub use options::{Options, PathRules, Protocol, CARBON_MAX_PAYLOAD, CARBON_MAX_POINTS};
pub use path::{check_path, CheckedPath, MAX_COMPONENT, MAX_LAST_COMPONENT, MAX_PATH_LEN};
pub use sink::{Counter, Sink, SinkFull, SliceSink, Storage};
pub use split::{split, SplitError, SplitStats, Splitter};
#[cfg(feature = "embedded-io")]
pub use stream::{write_frame, StreamError};

// The crate's README (what crates.io shows) is compiled and run with the doctests, so its example stays true.
// It is packaged with the crate (`include` in Cargo.toml), so the packaged crate's doctests run it too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Encodes `points` as one frame into `buf` and returns the frame; fails if they do not all fit.
///
/// ```
/// use carbon_pickle::{to_slice, Datapoint, Options, Protocol};
/// let mut buf = [0u8; 64];
/// let frame = to_slice(&[Datapoint::new("a.b.c", 1234, 5678)], &mut buf, &Options::new().with_protocol(Protocol::V0))?;
/// assert_eq!(&frame[4..], b"(l(S'a.b.c'\n(L1234L\nF5678.0\ntta.");
/// assert_eq!(&frame[..4], &(frame.len() as u32 - 4).to_be_bytes());
/// # Ok::<(), carbon_pickle::Error>(())
/// ```
pub fn to_slice<'b, 'a, I>(
    points: I,
    buf: &'b mut [u8],
    opts: &Options<'_>,
) -> Result<&'b mut [u8], Error>
where
    I: IntoIterator,
    I::Item: Borrow<Datapoint<'a>>,
{
    let mut enc = FrameEncoder::new(SliceSink::new(buf), *opts)?;
    for dp in points {
        enc.push(dp.borrow())?;
    }
    Ok(enc.finish().into_written())
}

/// Encodes `points` into as many frames as the limits need, back to back in one `Vec`, ready for a socket.
///
/// Fails at the first refused datapoint, with its index; use [`Splitter`] to keep going past bad
/// datapoints.
///
/// ```
/// use carbon_pickle::{to_vec, Datapoint, Options};
/// let points: Vec<_> = (0..501u32).map(|i| Datapoint::new("a", i, 0)).collect();
/// let bytes = to_vec(&points, &Options::new())?;
/// assert_eq!(bytes.len(), 2 * 10 + 501 * 22);
/// # Ok::<(), carbon_pickle::SplitError<core::convert::Infallible>>(())
/// ```
#[cfg(feature = "alloc")]
pub fn to_vec<'a, I>(
    points: I,
    opts: &Options<'_>,
) -> Result<alloc::vec::Vec<u8>, SplitError<core::convert::Infallible>>
where
    I: IntoIterator,
    I::Item: Borrow<Datapoint<'a>>,
{
    let mut out = alloc::vec::Vec::new();
    split(points, alloc::vec::Vec::new(), *opts, |frame| {
        out.extend_from_slice(frame);
        Ok(())
    })?;
    Ok(out)
}
