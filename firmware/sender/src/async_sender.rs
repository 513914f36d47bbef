//! The async sender: the same queue and delivery rules as [`crate::Sender`], driven by awaiting an
//! embedded-nal-async [`TcpConnect`] stack (embassy-net's `TcpClient`, for one) instead of polling.
//!
//! An async application has producers (a sampling task) and the network on different tasks, so the queue is
//! shared: [`AsyncSender`] keeps the shared state (`state.rs`, the very code the blocking sender runs) in a
//! blocking mutex, and [`AsyncSender::push`] takes `&self`, never waits for the network and wakes the
//! sender task through a signal. [`AsyncSender::run`] is the sender task's body: it connects when something
//! is queued, writes frames, confirms them once the connection stayed open `confirm_ms`, and backs off after
//! a failure, sleeping (through a [`Clock`]) whenever there is nothing to do.
//!
//! Frames are still streamed from the queue by the core's `write_frame` without a frame buffer: the task
//! encodes the frame into a small window (`WINDOW` bytes on its stack), skipping the bytes already out, and
//! awaits the connection's `write` for that window. The lock is held only while encoding the window, never
//! across an await.

use core::cell::RefCell;
use core::future::{poll_fn, Future};
use core::net::SocketAddr;
use core::task::Poll;

use carbon_pickle::{Error, StreamError};
use embassy_futures::select::{select, select3, Either, Either3};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::signal::Signal;
use embedded_io_async::{Read, Write};
use embedded_nal_async::TcpConnect;

use crate::sender::{Config, Failure, LinkState, PushError, Stats};
use crate::state::{Inflight, State};
use crate::writer::WindowWriter;

/// Bytes of a frame encoded per `write` call: the window on the sender task's stack.
const WINDOW: usize = 256;

/// Milliseconds and sleeping, for [`AsyncSender::run`]: embassy-time on a firmware, a runtime's timer on a
/// host, a hand-moved clock in tests. The sender needs nothing else of a runtime.
///
/// ```
/// use carbon_sender::Clock;
/// use core::cell::Cell;
/// use core::future::{poll_fn, Future};
/// use core::task::Poll;
///
/// /// A clock moved by hand (the scripted tests' clock; embassy-time's would return `Timer::at(..)`).
/// struct Manual(Cell<u64>);
///
/// impl Clock for Manual {
///     fn now_ms(&self) -> u64 {
///         self.0.get()
///     }
///     fn sleep_until(&self, at_ms: u64) -> impl Future<Output = ()> {
///         poll_fn(move |_| if self.0.get() >= at_ms { Poll::Ready(()) } else { Poll::Pending })
///     }
/// }
///
/// let clock = Manual(Cell::new(0));
/// let mut sleep = core::pin::pin!(clock.sleep_until(5));
/// let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
/// assert!(sleep.as_mut().poll(&mut cx).is_pending());
/// clock.0.set(5);
/// assert!(sleep.as_mut().poll(&mut cx).is_ready());
/// ```
pub trait Clock {
    /// Milliseconds since some fixed start.
    fn now_ms(&self) -> u64;
    /// Completes once [`now_ms`](Self::now_ms) has reached `at_ms`.
    fn sleep_until(&self, at_ms: u64) -> impl Future<Output = ()>;
}

impl<C: Clock> Clock for &C {
    fn now_ms(&self) -> u64 {
        C::now_ms(self)
    }
    fn sleep_until(&self, at_ms: u64) -> impl Future<Output = ()> {
        C::sleep_until(self, at_ms)
    }
}

struct Shared<'p, P, const N: usize> {
    state: State<'p, P, N>,
    link: LinkState,
    stop: bool,
}

/// Sends queued datapoints to a carbon pickle receiver over an embedded-nal-async TCP stack; pushed to from
/// any task.
///
/// `M` is the mutex kind guarding the queue (embassy-sync's `CriticalSectionRawMutex` when producers run in
/// interrupts or on other executors, `NoopRawMutex` when everything runs on one executor); `P` and `N` are as
/// for [`crate::Sender`]. No heap: put it in a `static` (or a `StaticCell`) and share `&'static` references.
///
/// ```
/// use carbon_sender::{AsyncSender, Clock, Config};
/// use core::net::{Ipv4Addr, SocketAddr};
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
///
/// let sender: AsyncSender<'_, NoopRawMutex, &'static str, 32> =
///     AsyncSender::new(Config::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 2004)))).unwrap();
/// sender.push("sensors.kitchen.temperature", 1_700_000_000, 21.5).unwrap(); // from any task
/// assert_eq!(sender.stats().queued, 1);
/// // The sender task: `sender.run(&stack, &clock).await` (returns after `sender.shutdown()`).
/// ```
pub struct AsyncSender<'p, M: RawMutex, P, const N: usize> {
    shared: Mutex<M, RefCell<Shared<'p, P, N>>>,
    wake: Signal<M, ()>,
}

/// How a connection ended.
enum End {
    /// [`AsyncSender::shutdown`] asked for it.
    Stop,
    /// It failed.
    Failed(Failure),
}

impl<'p, M: RawMutex, P: AsRef<str>, const N: usize> AsyncSender<'p, M, P, N> {
    /// A sender for `config`; fails as [`crate::Sender::new`] does.
    pub fn new(config: Config<'p>) -> Result<Self, Error> {
        config.validate()?;
        Ok(AsyncSender {
            shared: Mutex::new(RefCell::new(Shared {
                state: State::new(config),
                link: LinkState::Idle,
                stop: false,
            })),
            wake: Signal::new(),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Shared<'p, P, N>) -> R) -> R {
        self.shared.lock(|s| f(&mut s.borrow_mut()))
    }

    /// The configuration.
    pub fn config(&self) -> Config<'p> {
        self.with(|s| s.state.config)
    }

    /// Queues a datapoint and wakes the sender task; never waits. As [`crate::Sender::push`]: it stays
    /// queued until delivered; when the queue is full it is dropped (and counted), never an older one.
    pub fn push(&self, path: P, timestamp: u32, value: f64) -> Result<(), PushError> {
        let r = self.with(|s| s.state.push(path, timestamp, value));
        if r.is_ok() {
            self.wake.signal(());
        }
        r
    }

    /// True when every datapoint pushed so far has been delivered (or dropped).
    pub fn is_flushed(&self) -> bool {
        self.with(|s| s.state.queue.len() == 0)
    }

    /// Datapoints in the queue.
    pub fn queued(&self) -> usize {
        self.with(|s| s.state.queue.len())
    }

    /// The queue bound.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.with(|s| s.state.stats())
    }

    /// Where the connection is.
    pub fn link_state(&self) -> LinkState {
        self.with(|s| s.link)
    }

    /// Why the last connection failed.
    pub fn last_failure(&self) -> Option<Failure> {
        self.with(|s| s.state.last_failure)
    }

    /// Asks [`run`](Self::run) to close the connection and return. Datapoints not yet confirmed stay queued.
    pub fn shutdown(&self) {
        self.with(|s| s.stop = true);
        self.wake.signal(());
    }

    /// The sender task: connects while something is queued, writes frames, confirms them, backs off after a
    /// failure, and sleeps in between. Returns (the connection closed) once [`shutdown`](Self::shutdown) was
    /// called.
    pub async fn run<T: TcpConnect, C: Clock>(&self, stack: &T, clock: &C) {
        loop {
            // Nothing is opened while nothing is queued.
            loop {
                let (stop, queued) = self.with(|s| {
                    if s.stop || s.state.queue.len() == 0 {
                        s.link = LinkState::Idle;
                    }
                    (s.stop, s.state.queue.len())
                });
                if stop {
                    return;
                }
                if queued > 0 {
                    break;
                }
                self.wake.wait().await;
            }
            let remote: SocketAddr = self.with(|s| {
                s.link = LinkState::Connecting;
                s.state.config.remote
            });
            info!("connecting to {}", remote);
            let now = clock.now_ms();
            let deadline =
                now.saturating_add(self.with(|s| s.state.config.connect_timeout_ms).into());
            let until = match select(stack.connect(remote), clock.sleep_until(deadline)).await {
                Either::First(Ok(conn)) => {
                    let now = clock.now_ms();
                    self.with(|s| {
                        s.link = LinkState::Connected;
                        s.state.connected(now);
                    });
                    // Kept in this future (not moved out of it): the failure below reads it in place.
                    let mut inflight = Inflight::new();
                    match self.drive(conn, &mut inflight, clock).await {
                        End::Stop => {
                            self.with(|s| {
                                s.state.closed();
                                s.link = LinkState::Idle;
                            });
                            return;
                        }
                        End::Failed(why) => self.give_up(Some(&inflight), why, clock.now_ms()),
                    }
                }
                Either::First(Err(_)) => self.give_up(None, Failure::Connect, clock.now_ms()),
                Either::Second(()) => self.give_up(None, Failure::ConnectTimeout, clock.now_ms()),
            };
            // Back off; a push does not shorten it, a shutdown does.
            while clock.now_ms() < until && !self.with(|s| s.stop) {
                select(clock.sleep_until(until), self.wake.wait()).await;
            }
        }
    }

    /// Gives up a connection (`inflight`: its frames, if it was up) or an attempt; returns when the next
    /// attempt may start.
    fn give_up(&self, inflight: Option<&Inflight>, why: Failure, now: u64) -> u64 {
        self.with(|s| {
            let until = s.state.fail(inflight, why, now);
            s.link = LinkState::BackingOff { until_ms: until };
            until
        })
    }

    /// A connection: check it, confirm, write; wait for data, a confirmation due or the peer when there is
    /// nothing to write. The connection is closed when dropped.
    async fn drive<Conn: Read + Write, C: Clock>(
        &self,
        mut conn: Conn,
        inflight: &mut Inflight,
        clock: &C,
    ) -> End {
        let mut window = [0u8; WINDOW];
        let mut scratch = [0u8; 16];
        loop {
            // Is the connection still open? Asked without waiting: the read future polled once.
            match select(conn.read(&mut scratch), core::future::ready(())).await {
                Either::First(Ok(0)) => return End::Failed(Failure::PeerClosed),
                Either::First(Err(e)) => return End::Failed(read_failure(e)),
                // Carbon sends nothing; bytes, should any come, are read and ignored.
                Either::First(Ok(_)) | Either::Second(()) => {}
            }
            let now = clock.now_ms();
            let (frame, due, stop) = self.with(|s| {
                s.state.confirm(inflight, now);
                let mut frame = s.state.current_frame(inflight, now);
                while let Some(f) = frame.filter(|f| f.points == 0) {
                    s.state.refused(inflight, f);
                    frame = s.state.current_frame(inflight, now);
                }
                let due = s.state.next_due(inflight, now);
                (frame, due, s.stop)
            });
            if stop {
                return End::Stop;
            }
            let Some(mut frame) = frame else {
                // Nothing to write: wait for a push, the next confirmation (or the end of a careful
                // connection's wait) or the peer closing.
                let confirm = async {
                    match due {
                        Some(at) => clock.sleep_until(at).await,
                        None => poll_fn(|_| Poll::<()>::Pending).await,
                    }
                };
                match select3(conn.read(&mut scratch), self.wake.wait(), confirm).await {
                    Either3::First(Ok(0)) => return End::Failed(Failure::PeerClosed),
                    Either3::First(Err(e)) => return End::Failed(read_failure(e)),
                    _ => continue,
                }
            };
            // The next window of the frame, encoded from the queue under the lock.
            let encoded = self.with(|s| {
                let mut w = WindowWriter::new(frame.sent, &mut window);
                let r = s.state.encode(&frame, &mut w);
                (r, w.len())
            });
            let n = match encoded {
                // The frame's last bytes fit the window.
                (Ok(()), n) => n,
                // The window is full: more of the frame follows.
                (Err(StreamError::Io { .. }), n) => n,
                (Err(_), _) => {
                    self.with(|s| s.state.refused(inflight, frame));
                    continue;
                }
            };
            let stall_at = frame
                .progress_at
                .saturating_add(self.with(|s| s.state.config.stall_timeout_ms).into());
            match select(conn.write(&window[..n]), clock.sleep_until(stall_at)).await {
                Either::First(Ok(k)) if k > 0 => {
                    let now = clock.now_ms();
                    frame.sent += k;
                    frame.progress_at = now;
                    if frame.sent >= frame.len {
                        self.with(|s| s.state.written(inflight, frame, now));
                    } else {
                        inflight.frame = Some(frame);
                    }
                }
                Either::First(_) => {
                    // Bytes of it may be out: it counts as in flight.
                    inflight.frame = Some(frame).filter(|f| f.sent > 0);
                    return End::Failed(Failure::Send);
                }
                Either::Second(()) => return End::Failed(Failure::Stalled),
            }
        }
    }
}

/// A reset or a closed pipe is the receiver going away; anything else is a failure to read.
fn read_failure<E: embedded_io_async::Error>(e: E) -> Failure {
    use embedded_io_async::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Failure::PeerClosed
        }
        _ => Failure::Receive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embassy_sync::blocking_mutex::raw::NoopRawMutex;

    #[test]
    fn push_wakes_and_counts() {
        let s: AsyncSender<'_, NoopRawMutex, &str, 2> =
            AsyncSender::new(Config::new(SocketAddr::from(([127, 0, 0, 1], 2004)))).unwrap();
        s.push("a", 1, 1.0).unwrap();
        assert!(s.wake.signaled());
        s.push("b", 1, 1.0).unwrap();
        assert_eq!(s.push("c", 1, 1.0), Err(PushError::QueueFull));
        assert_eq!(s.stats().dropped, 1);
        assert_eq!(s.link_state(), LinkState::Idle);
    }
}
