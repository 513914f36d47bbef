//! The same fake stack behind embedded-nal-async: each call asks the scripted stack, and where the stack
//! says "would block" the future is pending (the driver polls it again on the next millisecond). So the async
//! sender meets exactly the script, the byte limits and the timing the blocking sender meets; `AsyncDriver`
//! is its [`Driver`], polling the sender's `run` future once per fake millisecond.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use carbon_sender::{AsyncSender, Clock, Failure, LinkState, PushError, Stats};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_nal::{nb, TcpClientStack};

use super::driver::{Driver, Flavor};
use super::{config, FakeError, FakeStack, Plan};

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

// ---------------------------------------------------------------------------------------------------------
// The async sender as a `Driver`: its `run` future polled once per millisecond.

pub enum Async {}

impl Flavor for Async {
    type Driver<const N: usize> = AsyncDriver<N>;
    const CLOSE_SEEN_AFTER_MS: u64 = 0;
    const RESET_MID_FRAME: Failure = Failure::PeerClosed;
}

/// What `run` borrows: the sender, the stack behind embedded-nal-async, the clock.
pub struct Rig<const N: usize> {
    pub sender: AsyncSender<'static, NoopRawMutex, &'static str, N>,
    pub stack: AsyncFake,
    pub clock: FakeClock,
}

/// The rig and the sender's `run` future over it, kept across [`run`](Driver::run) calls as the task on the
/// firmware lives across wake-ups (dropping it would close the connection). The future borrows the rig, so
/// the rig is leaked to `'static`: a few kilobytes per test, in a test process.
pub struct AsyncDriver<const N: usize> {
    pub rig: &'static Rig<N>,
    /// `None` once `run` has returned (after a shutdown).
    fut: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

impl<const N: usize> Driver for AsyncDriver<N> {
    fn new(script: impl IntoIterator<Item = Plan>) -> Self {
        let rig: &'static Rig<N> = Box::leak(Box::new(Rig {
            sender: AsyncSender::new(config()).unwrap(),
            stack: AsyncFake(FakeStack::new(script).into()),
            clock: FakeClock::default(),
        }));
        AsyncDriver {
            rig,
            fut: Some(Box::pin(rig.sender.run(&rig.stack, &rig.clock))),
        }
    }

    fn push(&mut self, path: &'static str, timestamp: u32, value: f64) -> Result<(), PushError> {
        self.rig.sender.push(path, timestamp, value)
    }

    /// Polls the future once per millisecond, as the blocking sender is polled; stops early, returning the
    /// next millisecond, when `run` returns.
    fn run(&mut self, from: u64, to: u64) -> u64 {
        let fut = self.fut.as_mut().expect("the sender's run has returned");
        let mut cx = Context::from_waker(Waker::noop());
        for now in from..to {
            self.rig.stack.0.borrow_mut().tick(now);
            self.rig.clock.0.set(now);
            if fut.as_mut().poll(&mut cx).is_ready() {
                self.fut = None;
                return now + 1;
            }
        }
        to
    }

    fn stats(&self) -> Stats {
        self.rig.sender.stats()
    }

    fn link_state(&self) -> LinkState {
        self.rig.sender.link_state()
    }

    fn last_failure(&self) -> Option<Failure> {
        self.rig.sender.last_failure()
    }

    fn is_flushed(&self) -> bool {
        self.rig.sender.is_flushed()
    }

    fn stack(&self) -> impl Deref<Target = FakeStack> + '_ {
        self.rig.stack.0.borrow()
    }

    fn stack_mut(&mut self) -> impl DerefMut<Target = FakeStack> + '_ {
        self.rig.stack.0.borrow_mut()
    }
}
