//! The sender: a queue, one TCP connection, and the rules for when a datapoint counts as delivered.
//!
//! Carbon never answers on a pickle connection; the only signal it gives is closing the connection. So the
//! sender keeps every datapoint in its queue until the connection it was written on has stayed open for
//! `confirm_ms` after the frame was completely written. A connection found closed before that sends the
//! datapoints again on the next connection. A frame cut in the middle is never stored by carbon (the length
//! header promises more bytes), so re-sending it whole duplicates nothing; complete frames written less
//! than `confirm_ms` before the connection broke may arrive twice. Carbon stores a datapoint by path and
//! timestamp, so such a duplicate rewrites the same value in the same slot. A frame after which the receiver
//! keeps closing the connection (a poison frame: carbon refuses a payload over its limit that way) is
//! found, dropped and counted instead of being resent for ever (the rule: `state.rs`).
//!
//! Everything is non-blocking: [`Sender::poll`] does what can be done now and returns, so it fits a
//! super-loop next to the network stack's own poll.

use carbon_pickle::{Error, StreamError};
use embedded_nal::{nb, TcpClientStack, TcpError, TcpErrorKind};

// The shared types live in `config` (state.rs needs them too; importing them from here made a circle).
// Re-exported here for the async sender's imports.
pub(crate) use crate::config::{Config, Failure, LinkState, PushError, Stats};
use crate::state::{Frame, Inflight, State};
use crate::writer::{SocketWriter, WriteError};

struct Conn<T> {
    socket: T,
    inflight: Inflight,
}

enum Link<T> {
    Idle,
    Waiting { until: u64 },
    Connecting { socket: T, deadline: u64 },
    Up(Conn<T>),
}

enum Step {
    Done,
    Blocked { moved: bool },
    Broken,
    Refused,
}

/// Sends queued datapoints to a carbon pickle receiver over any embedded-nal TCP stack.
///
/// `P` is the path type stored in the queue (`&'static str`, `heapless::String<N>`, ...); `N` is the queue
/// bound. No heap: everything lives inside the sender.
///
/// ```
/// use carbon_sender::{Config, Sender};
/// use core::net::{Ipv4Addr, SocketAddr};
/// # fn demo<S: embedded_nal::TcpClientStack>(stack: &mut S, now_ms: u64) {
/// let mut sender: Sender<'_, S, &'static str, 32> =
///     Sender::new(Config::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 2004)))).unwrap();
/// sender.push("sensors.kitchen.temperature", 1_700_000_000, 21.5).unwrap();
/// sender.poll(stack, now_ms); // call again and again, next to the stack's own poll
/// # }
/// ```
pub struct Sender<'p, S: TcpClientStack, P, const N: usize> {
    state: State<'p, P, N>,
    link: Link<S::TcpSocket>,
}

impl<'p, S: TcpClientStack, P: AsRef<str>, const N: usize> Sender<'p, S, P, N> {
    /// A sender for `config`; fails if the frame options are unusable, or if `max_bytes` is above
    /// [`Config::receiver_max_bytes`] (`Error::InvalidLimits`).
    pub fn new(config: Config<'p>) -> Result<Self, Error> {
        config.validate()?;
        Ok(Sender {
            state: State::new(config),
            link: Link::Idle,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config<'p> {
        &self.state.config
    }

    /// Queues a datapoint. It stays queued until it is delivered; when the queue is full it is dropped (and
    /// counted), never an older one.
    pub fn push(&mut self, path: P, timestamp: u32, value: f64) -> Result<(), PushError> {
        self.state.push(path, timestamp, value)
    }

    /// Does what can be done now: connect, check the connection, confirm, write frames. Never blocks.
    pub fn poll(&mut self, stack: &mut S, now_ms: u64) {
        // A connection attempt that finishes at once goes on to writing in the same call.
        for _ in 0..3 {
            let link = core::mem::replace(&mut self.link, Link::Idle);
            let (next, again) = self.step(stack, link, now_ms);
            self.link = next;
            if !again {
                break;
            }
        }
    }

    /// Closes the connection, if any. Datapoints not yet confirmed stay queued. Call it once
    /// [`is_flushed`](Self::is_flushed) to end cleanly.
    pub fn close(&mut self, stack: &mut S) {
        match core::mem::replace(&mut self.link, Link::Idle) {
            Link::Connecting { socket, .. } | Link::Up(Conn { socket, .. }) => {
                let _ = stack.close(socket);
                self.state.closed();
            }
            Link::Idle | Link::Waiting { .. } => {}
        }
    }

    /// True when every datapoint pushed so far has been delivered (or dropped).
    pub fn is_flushed(&self) -> bool {
        self.state.queue.len() == 0
    }

    /// Datapoints in the queue.
    pub fn queued(&self) -> usize {
        self.state.queue.len()
    }

    /// The queue bound.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Where the connection is.
    pub fn link_state(&self) -> LinkState {
        match self.link {
            Link::Idle => LinkState::Idle,
            Link::Waiting { until } => LinkState::BackingOff { until_ms: until },
            Link::Connecting { .. } => LinkState::Connecting,
            Link::Up(_) => LinkState::Connected,
        }
    }

    /// Why the last connection failed.
    pub fn last_failure(&self) -> Option<Failure> {
        self.state.last_failure
    }

    /// One transition; the flag asks for another step in the same poll.
    fn step(
        &mut self,
        stack: &mut S,
        link: Link<S::TcpSocket>,
        now: u64,
    ) -> (Link<S::TcpSocket>, bool) {
        let queued = self.state.queue.len();
        match link {
            Link::Idle if queued == 0 => (Link::Idle, false),
            Link::Waiting { until } if now < until => (Link::Waiting { until }, false),
            Link::Waiting { .. } if queued == 0 => (Link::Idle, false),
            Link::Idle | Link::Waiting { .. } => match stack.socket() {
                Ok(socket) => {
                    info!("connecting to {}", self.state.config.remote);
                    let deadline = now.saturating_add(self.state.config.connect_timeout_ms.into());
                    (Link::Connecting { socket, deadline }, true)
                }
                Err(_) => (self.fail(stack, None, None, Failure::Socket, now), false),
            },
            Link::Connecting {
                mut socket,
                deadline,
            } => match stack.connect(&mut socket, self.state.config.remote) {
                Ok(()) => {
                    self.state.connected(now);
                    let conn = Conn {
                        socket,
                        inflight: Inflight::new(),
                    };
                    (Link::Up(conn), true)
                }
                Err(nb::Error::WouldBlock) if now < deadline => {
                    (Link::Connecting { socket, deadline }, false)
                }
                Err(nb::Error::WouldBlock) => (
                    self.fail(stack, Some(socket), None, Failure::ConnectTimeout, now),
                    false,
                ),
                Err(nb::Error::Other(_)) => (
                    self.fail(stack, Some(socket), None, Failure::Connect, now),
                    false,
                ),
            },
            Link::Up(conn) => (self.drive(stack, conn, now), false),
        }
    }

    /// Gives up a connection (its frames, if it was up): every unconfirmed datapoint goes out again (unless
    /// its frame turned out poison), after a back-off.
    fn fail(
        &mut self,
        stack: &mut S,
        socket: Option<S::TcpSocket>,
        inflight: Option<&Inflight>,
        why: Failure,
        now: u64,
    ) -> Link<S::TcpSocket> {
        if let Some(socket) = socket {
            let _ = stack.close(socket);
        }
        Link::Waiting {
            until: self.state.fail(inflight, why, now),
        }
    }

    /// A connected poll: check the peer, confirm, then write frames while the socket takes them.
    fn drive(
        &mut self,
        stack: &mut S,
        mut conn: Conn<S::TcpSocket>,
        now: u64,
    ) -> Link<S::TcpSocket> {
        if let Err(why) = check_open(stack, &mut conn.socket) {
            return self.fail(stack, Some(conn.socket), Some(&conn.inflight), why, now);
        }
        self.state.confirm(&mut conn.inflight, now);
        while let Some(mut frame) = self.state.current_frame(&conn.inflight, now) {
            match self.write_some(stack, &mut conn.socket, &mut frame) {
                Step::Done => self.state.written(&mut conn.inflight, frame, now),
                Step::Blocked { moved } => {
                    if moved {
                        frame.progress_at = now;
                    } else if self.state.stalled(&frame, now) {
                        return self.fail(stack, Some(conn.socket), None, Failure::Stalled, now);
                    }
                    conn.inflight.frame = Some(frame);
                    break;
                }
                Step::Broken => {
                    // Bytes of it may be out: it counts as in flight.
                    conn.inflight.frame = Some(frame).filter(|f| f.sent > 0);
                    return self.fail(
                        stack,
                        Some(conn.socket),
                        Some(&conn.inflight),
                        Failure::Send,
                        now,
                    );
                }
                Step::Refused => self.state.refused(&mut conn.inflight, frame),
            }
        }
        Link::Up(conn)
    }

    /// Streams (the rest of) `frame` to the socket.
    fn write_some(&self, stack: &mut S, socket: &mut S::TcpSocket, frame: &mut Frame) -> Step {
        if frame.points == 0 {
            return Step::Refused;
        }
        let mut writer = SocketWriter {
            stack,
            socket,
            skip: frame.sent,
            position: 0,
        };
        let result = self.state.encode(frame, &mut writer);
        let moved = writer.position > frame.sent;
        frame.sent = frame.sent.max(writer.position);
        match result {
            Ok(()) => Step::Done,
            Err(StreamError::Io {
                error: WriteError::WouldBlock,
                ..
            }) => Step::Blocked { moved },
            Err(StreamError::Io {
                error: WriteError::Stack(_),
                ..
            }) => Step::Broken,
            Err(_) => Step::Refused, // StreamError::Encode (the enum is non_exhaustive)
        }
    }
}

/// Is the connection still open? Carbon never sends anything, so the end of the stream (or an error) means
/// the receiver is gone; bytes, should any come, are read and ignored.
fn check_open<S: TcpClientStack>(stack: &mut S, socket: &mut S::TcpSocket) -> Result<(), Failure> {
    let mut scratch = [0u8; 16];
    for _ in 0..4 {
        match stack.receive(socket, &mut scratch) {
            Ok(0) => return Err(Failure::PeerClosed),
            Ok(_) => continue,
            Err(nb::Error::WouldBlock) => return Ok(()),
            Err(nb::Error::Other(e)) => {
                return Err(match e.kind() {
                    TcpErrorKind::PipeClosed => Failure::PeerClosed,
                    _ => Failure::Receive,
                })
            }
        }
    }
    Ok(())
}
