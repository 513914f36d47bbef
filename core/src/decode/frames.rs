//! Finding frames in a byte stream: the 4-byte big-endian length header, the cap, and reassembly of
//! frames that arrive split across reads.
//!
//! The cap is checked on the header alone, before any payload byte is stored, as carbon's
//! `Int32StringReceiver` does (a payload of exactly the cap is accepted, one byte more is not). After an
//! oversized header a stream cannot be resynchronised (carbon closes the connection), so [`FrameReader`]
//! keeps refusing until [`FrameReader::reset`].

use super::{DecodeError, ErrorKind};

/// Bytes of the length header.
pub const HEADER_LEN: usize = 4;

fn too_large(len: u32, max: usize) -> DecodeError {
    DecodeError::new(ErrorKind::FrameTooLarge { len, max }, 0, None)
}

/// Splits the first frame off `input`: `Ok(Some((payload, rest)))`, or `Ok(None)` when `input` does not
/// hold all of it yet, or an error when its header declares more than `max_payload` bytes.
///
/// ```
/// use carbon_pickle::decode::split_frame;
/// let stream = b"\x00\x00\x00\x02ab\x00\x00\x00";
/// let (payload, rest) = split_frame(stream, 1 << 20)?.unwrap();
/// assert_eq!((payload, rest), (&b"ab"[..], &b"\x00\x00\x00"[..]));
/// assert_eq!(split_frame(rest, 1 << 20)?, None);
/// assert!(split_frame(b"\x00\x10\x00\x01", 1 << 20).is_err()); // 1 MiB + 1
/// # Ok::<(), carbon_pickle::decode::DecodeError>(())
/// ```
#[allow(clippy::type_complexity)] // (payload, rest) reads best as a plain tuple
pub fn split_frame(
    input: &[u8],
    max_payload: usize,
) -> Result<Option<(&[u8], &[u8])>, DecodeError> {
    let Some(header) = input.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if len as usize > max_payload {
        return Err(too_large(len, max_payload));
    }
    // On 32-bit targets a declared length near u32::MAX plus the header overflows usize.
    let Some(end) = HEADER_LEN.checked_add(len as usize) else {
        return Err(too_large(len, max_payload));
    };
    Ok(input
        .get(HEADER_LEN..end)
        .map(|payload| (payload, &input[end..])))
}

/// Reassembles frames from reads of any size into a caller's buffer.
///
/// [`push`](Self::push) takes bytes up to the end of the current frame and says how many it took; once
/// [`frame`](Self::frame) returns the payload, decode it, then [`clear`](Self::clear) to start the next
/// frame. Each byte is copied once; nothing is ever moved.
///
/// ```
/// use carbon_pickle::decode::{Decoder, FrameReader, Slot};
/// use carbon_pickle::{to_vec, Datapoint, Options};
///
/// let stream = to_vec(&[Datapoint::new("a.b", 1, 2), Datapoint::new("a.c", 3, 4)], &Options::new().with_max_points(1))?;
/// let mut buf = [0u8; 256];
/// let mut reader = FrameReader::new(&mut buf);
/// let mut slots = [Slot::EMPTY; 8];
/// let mut dec = Decoder::new(&mut slots);
/// let mut seen = Vec::new();
/// for chunk in stream.chunks(5) {            // reads of 5 bytes
///     let mut data = chunk;
///     while !data.is_empty() {
///         let n = reader.push(data)?;
///         data = &data[n..];
///         if let Some(payload) = reader.frame() {
///             for p in dec.decode(payload)?.flatten() {
///                 seen.push((p.path.to_string(), p.value));
///             }
///             reader.clear();
///         }
///     }
/// }
/// assert_eq!(seen, [("a.b".to_string(), 2.0), ("a.c".to_string(), 4.0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FrameReader<'b> {
    buf: &'b mut [u8],
    len: usize,
    max_payload: usize,
    failed: Option<DecodeError>,
}

impl<'b> FrameReader<'b> {
    /// A reader over `buf`, with a payload cap of carbon's 1 MiB or what `buf` can hold after the header,
    /// whichever is smaller.
    pub fn new(buf: &'b mut [u8]) -> Self {
        let max_payload = buf
            .len()
            .saturating_sub(HEADER_LEN)
            .min(crate::CARBON_MAX_PAYLOAD);
        FrameReader {
            buf,
            len: 0,
            max_payload,
            failed: None,
        }
    }

    /// Sets the payload cap (never more than the buffer holds after the header).
    pub fn with_max_payload(mut self, max: usize) -> Self {
        self.max_payload = max.min(self.buf.len().saturating_sub(HEADER_LEN));
        self
    }

    /// The payload cap.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    fn declared(&self) -> Option<usize> {
        let h = self
            .buf
            .get(..HEADER_LEN)
            .filter(|_| self.len >= HEADER_LEN)?;
        Some(u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize)
    }

    /// Bytes still needed to complete the current frame (header first).
    pub fn needed(&self) -> usize {
        match self.declared() {
            None => HEADER_LEN - self.len,
            Some(n) => HEADER_LEN.saturating_add(n).saturating_sub(self.len),
        }
    }

    /// Takes bytes from `data` up to the end of the current frame and returns how many; fails once a
    /// header declares more than the cap.
    pub fn push(&mut self, data: &[u8]) -> Result<usize, DecodeError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut taken = 0;
        if self.len < HEADER_LEN {
            let n = (HEADER_LEN - self.len).min(data.len());
            self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
            self.len += n;
            taken = n;
            if let Some(declared) = self.declared() {
                if declared > self.max_payload {
                    let e = too_large(declared as u32, self.max_payload);
                    self.failed = Some(e);
                    return Err(e);
                }
            }
        }
        let n = self.needed().min(data.len() - taken);
        if n > 0 {
            self.buf[self.len..self.len + n].copy_from_slice(&data[taken..taken + n]);
            self.len += n;
            taken += n;
        }
        Ok(taken)
    }

    /// The payload of the current frame, once it is complete.
    pub fn frame(&self) -> Option<&[u8]> {
        let n = self.declared()?;
        (self.len == HEADER_LEN.saturating_add(n)).then(|| &self.buf[HEADER_LEN..self.len])
    }

    /// The whole current frame, header included, once it is complete.
    pub fn frame_with_header(&self) -> Option<&[u8]> {
        self.frame().map(|_| &self.buf[..self.len])
    }

    /// Drops the current frame (complete or not) to start reading the next.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Clears the frame and a previous cap error.
    pub fn reset(&mut self) {
        self.len = 0;
        self.failed = None;
    }
}
