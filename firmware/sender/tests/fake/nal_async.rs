//! The same fake stack behind embedded-nal-async: each call asks the scripted stack, and where the stack
//! says "would block" the future is pending (the test polls it again on the next millisecond). So the async
//! sender meets exactly the script, the byte limits and the timing the blocking sender's tests place.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use carbon_sender::Clock;
use embedded_nal::{nb, TcpClientStack};

use super::{FakeError, FakeStack};

impl std::fmt::Display for FakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fake stack: {:?}", self.0)
    }
}

impl std::error::Error for FakeError {}

impl embedded_io_async::Error for FakeError {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        embedded_io_async::ErrorKind::ConnectionReset
    }
}

/// The scripted stack as an embedded-nal-async `TcpConnect`.
pub struct AsyncFake(pub RefCell<FakeStack>);

/// One connection (or attempt); closes its socket when dropped, as `TcpConnect` asks.
pub struct FakeConn<'a> {
    stack: &'a RefCell<FakeStack>,
    socket: usize,
}

impl Drop for FakeConn<'_> {
    fn drop(&mut self) {
        let _ = self.stack.borrow_mut().close(self.socket);
    }
}

fn ready<T>(r: nb::Result<T, FakeError>) -> Poll<Result<T, FakeError>> {
    match r {
        Ok(v) => Poll::Ready(Ok(v)),
        Err(nb::Error::WouldBlock) => Poll::Pending,
        Err(nb::Error::Other(e)) => Poll::Ready(Err(e)),
    }
}

impl embedded_nal_async::TcpConnect for AsyncFake {
    type Error = FakeError;
    type Connection<'a> = FakeConn<'a>;

    async fn connect<'a>(&'a self, remote: SocketAddr) -> Result<FakeConn<'a>, FakeError> {
        let socket = self.0.borrow_mut().socket()?;
        let mut conn = FakeConn {
            stack: &self.0,
            socket,
        };
        poll_fn(|_| ready(self.0.borrow_mut().connect(&mut conn.socket, remote))).await?;
        Ok(conn)
    }
}

impl embedded_io_async::ErrorType for FakeConn<'_> {
    type Error = FakeError;
}

impl embedded_io_async::Read for FakeConn<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, FakeError> {
        poll_fn(|_| ready(self.stack.borrow_mut().receive(&mut self.socket, buf))).await
    }
}

impl embedded_io_async::Write for FakeConn<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, FakeError> {
        poll_fn(|_| ready(self.stack.borrow_mut().send(&mut self.socket, buf))).await
    }

    async fn flush(&mut self) -> Result<(), FakeError> {
        Ok(())
    }
}

/// A clock the test moves by hand.
#[derive(Default)]
pub struct FakeClock(pub Cell<u64>);

impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        self.0.get()
    }
    fn sleep_until(&self, at_ms: u64) -> impl Future<Output = ()> {
        poll_fn(move |_| {
            if self.0.get() >= at_ms {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// Polls `fut` once per millisecond from `from` to `to` (exclusive), moving the stack's and the clock's time
/// first, as the blocking tests call `poll`; returns the time reached.
pub fn run_ms<F: Future<Output = ()>>(
    fut: &mut Pin<&mut F>,
    stack: &AsyncFake,
    clock: &FakeClock,
    from: u64,
    to: u64,
) -> u64 {
    let mut cx = Context::from_waker(Waker::noop());
    for now in from..to {
        stack.0.borrow_mut().tick(now);
        clock.0.set(now);
        if fut.as_mut().poll(&mut cx).is_ready() {
            return now + 1;
        }
    }
    to
}
