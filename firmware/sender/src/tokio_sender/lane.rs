//! One destination: its queue (the shared `state.rs` over a heap store) and the task that delivers it.
//!
//! The task does what the blocking sender's `poll` does, awaiting instead of polling: connect when
//! something is queued (TCP, then TLS), write each frame `State::current_frame` picks, confirm frames once
//! the connection stayed open `confirm_ms` (a read that ends says the receiver closed it), hand a failure
//! to `State::fail` (rewind, poison frames, back-off). The state sits behind a std mutex that is never held
//! across an await: producers push without waiting for the network.

use std::boxed::Box;
use std::string::String;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::vec::Vec;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{sleep_until, timeout, Duration, Instant};
use tokio_rustls::TlsConnector;

use rustls::pki_types::ServerName;

use crate::heap::HeapStore;
use crate::state::{Inflight, State};
use crate::{Failure, PushError, Stats};

/// The queue's state: the blocking sender's, over a heap store (`N` is unused there).
pub(crate) type LaneState = State<'static, Box<str>, 0, HeapStore>;

/// What the producers and the lane's task share.
pub(crate) struct Lane {
    state: Mutex<LaneState>,
    /// Something was queued, or the sender is closing: the task looks again.
    pub(crate) wake: Notify,
    /// Datapoints left the queue (delivered or dropped): room for pushers, progress for `flush`.
    pub(crate) progress: Notify,
    closing: AtomicBool,
    last_error: Mutex<Option<String>>,
}

/// Where a lane connects: the destination's host and port, and TLS if configured.
pub(crate) struct Target {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<(TlsConnector, ServerName<'static>)>,
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

impl Lane {
    pub(crate) fn new(state: LaneState) -> Self {
        Lane {
            state: Mutex::new(state),
            wake: Notify::new(),
            progress: Notify::new(),
            closing: AtomicBool::new(false),
            last_error: Mutex::new(None),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, LaneState> {
        // A panic while the lock was held cannot leave the queue half-changed in a way that matters more
        // than losing the sender: go on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    pub(crate) fn stats(&self) -> Stats {
        self.state().stats()
    }

    /// Queues a datapoint; with `wait`, gives the path back instead when there is no room (nothing counted).
    pub(crate) fn enqueue(
        &self,
        path: Box<str>,
        timestamp: u32,
        value: f64,
        wait: bool,
    ) -> Result<Option<Box<str>>, PushError> {
        let mut state = self.state();
        if wait && !state.queue.store().has_room(path.len()) {
            return Ok(Some(path));
        }
        state.push(path, timestamp, value)?;
        drop(state);
        self.wake.notify_one();
        Ok(None)
    }

    pub(crate) fn queued_bytes(&self) -> usize {
        self.state().queue.store().bytes()
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_error(&self, why: String) {
        warn!("{}", why.as_str());
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
    }

    fn failed(&self, conn: Option<&Inflight>, why: Failure, now: u64) -> u64 {
        let at = self.state().fail(conn, why, now);
        self.progress.notify_waiters();
        at
    }
}

/// The lane's task: runs until the sender is closing and the queue is empty (or the task is aborted).
pub(crate) async fn run(lane: Arc<Lane>, target: Target, connect_timeout: Duration) {
    let start = Instant::now();
    let now = move || start.elapsed().as_millis() as u64;
    let mut retry_at = 0u64;
    loop {
        // Wait for something to send, and for the back-off.
        loop {
            let woken = lane.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let queued = lane.state().queue.len();
            if queued == 0 && lane.closing() {
                return;
            }
            if queued > 0 && now() >= retry_at {
                break;
            }
            if queued > 0 {
                tokio::select! {
                    _ = sleep_until(start + Duration::from_millis(retry_at)) => {}
                    _ = woken => {}
                }
            } else {
                woken.await;
            }
        }
        let mut io = match timeout(connect_timeout, connect(&target)).await {
            Ok(Ok(io)) => io,
            Ok(Err(why)) => {
                lane.set_error(why);
                retry_at = lane.failed(None, Failure::Connect, now());
                continue;
            }
            Err(_) => {
                lane.set_error(std::format!(
                    "{}:{}: connection attempt timed out",
                    target.host,
                    target.port
                ));
                retry_at = lane.failed(None, Failure::ConnectTimeout, now());
                continue;
            }
        };
        lane.state().connected(now());
        let mut inflight = Inflight::new();
        match deliver(&lane, &mut io, &mut inflight, &now, start).await {
            Some(why) => retry_at = lane.failed(Some(&inflight), why, now()),
            None => {
                let _ = io.shutdown().await;
                lane.state().closed();
                return;
            }
        }
    }
}

async fn connect(target: &Target) -> Result<Box<dyn Io>, String> {
    let addr = (target.host.as_str(), target.port);
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| std::format!("{}:{}: {e}", target.host, target.port))?;
    let _ = tcp.set_nodelay(true);
    match &target.tls {
        None => Ok(Box::new(tcp)),
        Some((connector, name)) => {
            let tls = connector
                .connect(name.clone(), tcp)
                .await
                .map_err(|e| std::format!("{}:{}: TLS: {e}", target.host, target.port))?;
            Ok(Box::new(tls))
        }
    }
}

/// Writes frames and confirms them on one connection until it fails (`Some`) or the sender is closing
/// with everything delivered (`None`).
async fn deliver(
    lane: &Lane,
    io: &mut Box<dyn Io>,
    inflight: &mut Inflight,
    now: &impl Fn() -> u64,
    start: Instant,
) -> Option<Failure> {
    let mut frame_bytes: Vec<u8> = Vec::new();
    let mut scratch = [0u8; 64];
    loop {
        let woken = lane.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let (frame, due, queued) = {
            let mut state = lane.state();
            let before = state.queue.len();
            state.confirm(inflight, now());
            if state.queue.len() < before {
                lane.progress.notify_waiters();
            }
            let mut frame = state.current_frame(inflight, now());
            if let Some(f) = frame {
                frame_bytes.clear();
                if f.points == 0 || state.encode(&f, &mut frame_bytes).is_err() {
                    state.refused(inflight, f);
                    lane.progress.notify_waiters();
                    frame = None;
                }
            }
            (frame, state.next_due(inflight, now()), state.queue.len())
        };
        if let Some(frame) = frame {
            inflight.frame = Some(frame);
            let stall = Duration::from_millis(lane.state().config.stall_timeout_ms.into());
            let mut sent = 0;
            while sent < frame_bytes.len() {
                match timeout(stall, io.write(&frame_bytes[sent..])).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return Some(Failure::Send),
                    Ok(Ok(n)) => {
                        sent += n;
                        if let Some(f) = inflight.frame.as_mut() {
                            f.sent = sent;
                        }
                    }
                    Err(_) => return Some(Failure::Stalled),
                }
            }
            match timeout(stall, io.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Some(Failure::Send),
                Err(_) => return Some(Failure::Stalled),
            }
            lane.state().written(inflight, frame, now());
            continue;
        }
        if queued == 0 && lane.closing() {
            return None;
        }
        let due = due.map(|at| start + Duration::from_millis(at));
        tokio::select! {
            _ = woken => {}
            _ = async { match due { Some(at) => sleep_until(at).await, None => core::future::pending().await } } => {}
            read = io.read(&mut scratch) => match read {
                Ok(0) => return Some(Failure::PeerClosed),
                Ok(_) => {}
                Err(_) => return Some(Failure::Receive),
            }
        }
    }
}

impl core::fmt::Debug for Lane {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Lane")
            .field("stats", &self.stats())
            .field("closing", &self.closing())
            .finish()
    }
}
