//! A non-blocking, resumable `embedded_io::Write` over one TCP socket.
//!
//! [`carbon_pickle::write_frame`] streams a frame in constant memory, but it wants a writer that either takes
//! bytes or fails. A non-blocking socket may take part of a frame and then say "would block". Rather than
//! buffering the rest, the sender runs `write_frame` again on the next poll with a writer that skips the bytes
//! already sent: the frame's datapoints do not change while it is being written, so the encoding is the same
//! byte for byte. Re-encoding a few hundred bytes is cheaper than keeping a frame buffer in RAM.

use embedded_nal::{nb, TcpClientStack};

/// Why the writer stopped.
#[derive(Debug)]
pub(crate) enum WriteError<E> {
    /// The socket takes no more bytes right now.
    WouldBlock,
    /// The stack reported an error: the connection is unusable.
    Stack(E),
}

impl<E> core::fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            WriteError::WouldBlock => "the socket takes no more bytes now",
            WriteError::Stack(_) => "the TCP stack failed",
        })
    }
}

impl<E: core::fmt::Debug> core::error::Error for WriteError<E> {}

impl<E: core::fmt::Debug> embedded_io::Error for WriteError<E> {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            WriteError::WouldBlock => embedded_io::ErrorKind::Other,
            WriteError::Stack(_) => embedded_io::ErrorKind::BrokenPipe,
        }
    }
}

/// Writes to `socket`, first skipping `skip` bytes (sent on an earlier poll). `position` counts the bytes of
/// the frame that are out: skipped plus newly sent.
pub(crate) struct SocketWriter<'s, S: TcpClientStack> {
    pub(crate) stack: &'s mut S,
    pub(crate) socket: &'s mut S::TcpSocket,
    pub(crate) skip: usize,
    pub(crate) position: usize,
}

impl<S: TcpClientStack> embedded_io::ErrorType for SocketWriter<'_, S> {
    type Error = WriteError<S::Error>;
}

impl<S: TcpClientStack> embedded_io::Write for SocketWriter<'_, S> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.skip > 0 {
            let n = self.skip.min(buf.len());
            self.skip -= n;
            self.position += n;
            return Ok(n);
        }
        match self.stack.send(self.socket, buf) {
            // Some stacks (smoltcp) report a full send buffer as `Ok(0)`.
            Ok(0) | Err(nb::Error::WouldBlock) => Err(WriteError::WouldBlock),
            Ok(n) => {
                self.position += n;
                Ok(n)
            }
            Err(nb::Error::Other(e)) => Err(WriteError::Stack(e)),
        }
    }

    /// embedded-io's default, without its panics (`Ok(0)` and a count past the buffer): the send path has no
    /// panic (`firmware/tests/no_panic.py` checks the release images).
    fn write_all(&mut self, mut buf: &[u8]) -> Result<(), Self::Error> {
        while !buf.is_empty() {
            match self.write(buf)? {
                0 => return Err(WriteError::WouldBlock),
                n => buf = buf.get(n..).unwrap_or_default(),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The window is full: the rest of the frame goes in a later window.
#[cfg(feature = "async")]
#[derive(Debug)]
pub(crate) struct WindowFull;

#[cfg(feature = "async")]
impl core::fmt::Display for WindowFull {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the window is full")
    }
}

#[cfg(feature = "async")]
impl core::error::Error for WindowFull {}

#[cfg(feature = "async")]
impl embedded_io::Error for WindowFull {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::OutOfMemory
    }
}

/// Collects the bytes of a frame from `skip` on into `window`, then says [`WindowFull`]: the async sender's
/// counterpart of [`SocketWriter`], which it fills under the queue's lock and then awaits the socket with.
#[cfg(feature = "async")]
pub(crate) struct WindowWriter<'w> {
    skip: usize,
    window: &'w mut [u8],
    len: usize,
}

#[cfg(feature = "async")]
impl<'w> WindowWriter<'w> {
    pub(crate) fn new(skip: usize, window: &'w mut [u8]) -> Self {
        WindowWriter {
            skip,
            window,
            len: 0,
        }
    }

    /// Bytes collected.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(feature = "async")]
impl embedded_io::ErrorType for WindowWriter<'_> {
    type Error = WindowFull;
}

#[cfg(feature = "async")]
impl embedded_io::Write for WindowWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, WindowFull> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.skip > 0 {
            let n = self.skip.min(buf.len());
            self.skip -= n;
            return Ok(n);
        }
        let free = self.window.get_mut(self.len..).unwrap_or_default();
        let n = free.len().min(buf.len());
        match (free.get_mut(..n), buf.get(..n)) {
            (Some(to), Some(from)) if n > 0 => {
                to.copy_from_slice(from);
                self.len += n;
                Ok(n)
            }
            _ => Err(WindowFull),
        }
    }

    /// embedded-io's default, without its panics (see `SocketWriter::write_all`).
    fn write_all(&mut self, mut buf: &[u8]) -> Result<(), WindowFull> {
        while !buf.is_empty() {
            match self.write(buf)? {
                0 => return Err(WindowFull),
                n => buf = buf.get(n..).unwrap_or_default(),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WindowFull> {
        Ok(())
    }
}
