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

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
