// For the README's examples, run as the crate's doc tests (`cargo test --doc`): a hidden line includes this
// file into a module. Host stand-ins for what a board has: a receiver in place of carbon on 127.0.0.1, and
// (feature `async`) an embedded-nal-async `TcpConnect` over std sockets and a `Clock` over std's. Not part of
// the crate.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

/// A stand-in for carbon's pickle receiver on 127.0.0.1: it accepts one connection and returns the bytes it
/// read once the sender closed it.
pub fn fake_carbon() -> (SocketAddr, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut bytes = Vec::new();
        conn.read_to_end(&mut bytes).unwrap();
        bytes
    });
    (addr, reader)
}

/// A stand-in for a carbon whose `PICKLE_RECEIVER_MAX_LENGTH` is `max_payload`: on a frame header announcing
/// more, it closes the connection at once (with the rest unread: a reset), as carbon does. It serves
/// connection after connection and returns the complete frames it took once a connection ends cleanly (the
/// sender's `close`).
pub fn strict_carbon(max_payload: usize) -> (SocketAddr, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let mut taken = Vec::new();
        loop {
            let (mut conn, _) = listener.accept().unwrap();
            loop {
                let mut header = [0u8; 4];
                if conn.read_exact(&mut header).is_err() {
                    return taken; // the sender closed the connection
                }
                let len = u32::from_be_bytes(header) as usize;
                if len > max_payload {
                    break; // dropped with the frame unread: a reset, as carbon's
                }
                let mut payload = vec![0u8; len];
                if conn.read_exact(&mut payload).is_err() {
                    break;
                }
                taken.extend_from_slice(&header);
                taken.extend_from_slice(&payload);
            }
        }
    });
    (addr, reader)
}

/// An address on 127.0.0.1 where nothing listens (a port bound, then released): connecting is refused.
pub fn refused() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Whether `bytes` contain `text`.
pub fn contains(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

/// What smoltcp's interface wants on a board, next to the sender's poll; std's sockets move by themselves.
pub trait Poll {
    fn poll(&mut self) {}
}

impl Poll for std_embedded_nal::Stack {}

#[cfg(feature = "async")]
pub use nal_async::{StdClock, StdTcp};

#[cfg(feature = "async")]
mod nal_async {
    use core::future::{poll_fn, Future};
    use core::task::Poll;
    use embedded_io_async::ErrorKind;
    use std::io::{Read as _, Write as _};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Instant;

    /// embedded-nal-async over std's sockets (non-blocking; "would block" is a pending future that asks to
    /// be polled again), in place of embassy-net's `TcpClient`.
    pub struct StdTcp;

    /// One connection of [`StdTcp`].
    pub struct StdConn(TcpStream);

    fn kind(e: std::io::Error) -> ErrorKind {
        match e.kind() {
            std::io::ErrorKind::ConnectionRefused => ErrorKind::ConnectionRefused,
            std::io::ErrorKind::ConnectionReset => ErrorKind::ConnectionReset,
            _ => ErrorKind::Other,
        }
    }

    /// Polls `f` until it does not say "would block".
    async fn retry<T>(mut f: impl FnMut() -> std::io::Result<T>) -> Result<T, ErrorKind> {
        poll_fn(|cx| match f() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            r => Poll::Ready(r.map_err(kind)),
        })
        .await
    }

    impl embedded_nal_async::TcpConnect for StdTcp {
        type Error = ErrorKind;
        type Connection<'a> = StdConn;

        async fn connect<'a>(&'a self, remote: SocketAddr) -> Result<StdConn, ErrorKind> {
            let stream = TcpStream::connect(remote).map_err(kind)?;
            stream.set_nonblocking(true).map_err(kind)?;
            Ok(StdConn(stream))
        }
    }

    impl embedded_io_async::ErrorType for StdConn {
        type Error = ErrorKind;
    }

    impl embedded_io_async::Read for StdConn {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
            retry(|| self.0.read(buf)).await
        }
    }

    impl embedded_io_async::Write for StdConn {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
            retry(|| self.0.write(buf)).await
        }

        async fn flush(&mut self) -> Result<(), ErrorKind> {
            retry(|| self.0.flush()).await
        }
    }

    /// Milliseconds since it was made, in place of embassy-time.
    pub struct StdClock(Instant);

    impl StdClock {
        pub fn new() -> Self {
            StdClock(Instant::now())
        }
    }

    impl carbon_sender::Clock for StdClock {
        fn now_ms(&self) -> u64 {
            self.0.elapsed().as_millis() as u64
        }

        fn sleep_until(&self, at_ms: u64) -> impl Future<Output = ()> {
            poll_fn(move |cx| {
                if self.now_ms() >= at_ms {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
        }
    }
}
