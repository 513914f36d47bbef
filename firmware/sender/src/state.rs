//! What the blocking and the async sender share: the queue, the counters, the back-off, and the rules that
//! turn "bytes went out" and "the connection is still open" into "delivered".
//!
//! The two senders differ only in how they drive I/O: [`crate::Sender`] polls an embedded-nal stack that
//! says "would block", [`crate::AsyncSender`] awaits an embedded-nal-async connection. Everything that
//! decides *what* goes out and *when* a datapoint leaves the queue lives here, once, so the two cannot
//! drift apart: sizing a frame from the queue, streaming it with the core's `write_frame` (resumed after
//! the bytes already out), recording a written frame, confirming frames once the connection stayed open
//! `confirm_ms`, and giving up a connection (every unconfirmed datapoint rewound, counted, back-off).
//!
//! # Poison frames
//! A receiver refuses a frame only by closing the connection (carbon does on a payload over its
//! `PICKLE_RECEIVER_MAX_LENGTH`), and a frame that was not confirmed goes out again on the next connection,
//! so such a frame would be sent for ever, with everything behind it stuck. The rule, in a few bytes of
//! state and no allocation:
//! - A connection is *troubled* when the receiver ends it (closed, reset; not our stall timeout) with a frame
//!   of it written or under way and not confirmed. A confirmation on a connection in normal mode clears the
//!   count.
//! - After two troubled connections in a row, the next connection is *careful*. It first writes nothing for
//!   `confirm_ms`: a receiver that closes it then (or at any moment no frame of it is in flight) closes
//!   connections by itself (an idle timeout, a proxy whose backend is down, a relay that accepts and cuts),
//!   not because of a frame, and the count starts over. Then it writes one frame at a time, each only once
//!   the one before was confirmed. It stays careful until the datapoints queued when it opened are
//!   delivered; then the count starts over. (The careful state is the sender's, not the connection's: there
//!   is one connection at a time.)
//! - A careful connection that dies with its one frame in flight gives that frame a *strike*: the frame
//!   starting at the front of the queue, with that many datapoints, remembered with how long the connection
//!   lived. The next careful connection writes nothing for that long plus `confirm_ms` (a receiver that
//!   closes connections after a fixed time does it during that wait, which clears the strike), then the same
//!   frame, no larger. If it dies with that frame in flight again, the frame is poison: its datapoints are
//!   dropped and counted (`Stats::poisoned`, `poisoned_frames`, `dropped`), an error is logged, and the
//!   rest goes on (the next connection is careful again, for what follows).
//!
//! A receiver that is down refuses connections (nothing counts), and one that restarts closes at most a
//! connection or two before it takes frames again.

use core::num::NonZeroU32;

use carbon_pickle::{
    frame_len, write_frame, Counter, FrameEncoder, Options, Protocol, StreamError,
};
use heapless::Deque;

use crate::backoff::Backoff;
use crate::config::{Config, Failure, PushError, Stats};
use crate::queue::{Queue, Sample, Store};

/// The frame being written: its size, and how much of it is out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) points: usize,
    pub(crate) len: usize,
    pub(crate) sent: usize,
    pub(crate) progress_at: u64,
}

/// One connection's frames: the one being written, and those written and not yet confirmed as
/// (datapoints, when written), oldest first. When more frames are in flight than there are slots, the
/// newest slot takes the next frame too (and its later time), which only delays confirmation.
pub(crate) struct Inflight {
    pub(crate) frame: Option<Frame>,
    unconfirmed: Deque<(usize, u64), 8>,
}

/// A careful connection: opened at `opened`, nothing written for `wait_ms`, then one frame at a time
/// until `left` more datapoints are delivered; `frame_len`: the bytes of the frame last written.
#[derive(Clone, Copy)]
struct Careful {
    opened: u64,
    wait_ms: u32,
    left: NonZeroU32,
    frame_len: u32,
}

impl Careful {
    fn write_after(&self) -> u64 {
        self.opened.saturating_add(self.wait_ms.into())
    }
}

/// A frame that a careful connection died right after, once: the one at the front of the queue (its
/// number), with `points` datapoints; the connection lived `lived_ms`.
#[derive(Clone, Copy)]
struct Suspect {
    front: u32,
    points: usize,
    lived_ms: u32,
}

impl Inflight {
    pub(crate) const fn new() -> Self {
        Inflight {
            frame: None,
            unconfirmed: Deque::new(),
        }
    }

    /// A frame under way that has bytes out, if any.
    fn partial(&self) -> Option<Frame> {
        self.frame.filter(|f| f.sent > 0)
    }
}

/// The sender's state apart from the connection itself; `S`: where the queue keeps its samples (a heapless
/// ring of `N` unless told, see `queue::Store`).
pub(crate) struct State<'p, P, const N: usize, S = Deque<Sample<P>, N>> {
    pub(crate) config: Config<'p>,
    backoff: Backoff,
    pub(crate) queue: Queue<P, N, S>,
    pub(crate) stats: Stats,
    pub(crate) last_failure: Option<Failure>,
    /// Troubled connections in a row (0..=2; poison frames).
    troubled: u8,
    /// A frame with one strike.
    suspect: Option<Suspect>,
    /// The connection (there is one at a time) is careful.
    careful: Option<Careful>,
}

impl<'p, P: AsRef<str>, const N: usize> State<'p, P, N> {
    /// The state for `config`, whose frame options the caller has validated. Infallible on purpose: the
    /// senders build it in place (a `Result<State>` would be one more copy of the queue on the stack).
    pub(crate) fn new(config: Config<'p>) -> Self {
        Self::with_queue(config, Queue::new())
    }
}

impl<'p, P: AsRef<str>, const N: usize, S: Store<Sample<P>>> State<'p, P, N, S> {
    /// The state for `config` over `queue` (empty).
    pub(crate) fn with_queue(config: Config<'p>, queue: Queue<P, N, S>) -> Self {
        State {
            config,
            backoff: config.backoff,
            queue,
            stats: Stats::default(),
            last_failure: None,
            troubled: 0,
            suspect: None,
            careful: None,
        }
    }

    /// The frame options, always protocol 2. Setting the protocol here, where the compiler sees it, is what
    /// lets it drop protocol 0's number formatting from the program.
    #[inline(always)]
    pub(crate) fn options(&self) -> Options<'p> {
        self.config.options.with_protocol(Protocol::V2)
    }

    /// Checks and queues a datapoint (see `Sender::push`).
    pub(crate) fn push(&mut self, path: P, timestamp: u32, value: f64) -> Result<(), PushError> {
        let sample = Sample {
            path,
            timestamp,
            value,
        };
        if let Err(e) = frame_len(core::iter::once(sample.datapoint()), &self.options()) {
            self.stats.rejected = self.stats.rejected.wrapping_add(1);
            warn!("datapoint rejected: {:?}", e);
            return Err(PushError::Invalid(e));
        }
        match self.queue.push(sample) {
            Ok(()) => {
                self.stats.accepted = self.stats.accepted.wrapping_add(1);
                Ok(())
            }
            Err(_) => {
                self.stats.dropped = self.stats.dropped.wrapping_add(1);
                warn!(
                    "queue full ({} datapoints): datapoint dropped, {} so far",
                    self.queue.len(),
                    self.stats.dropped
                );
                Err(PushError::QueueFull)
            }
        }
    }

    /// The counters, with the queue's figures.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            queued: self.queue.len(),
            unconfirmed: self.queue.written(),
            ..self.stats
        }
    }

    /// A connection is up; careful after two troubled connections.
    pub(crate) fn connected(&mut self, now: u64) {
        self.stats.connects = self.stats.connects.wrapping_add(1);
        info!("connected");
        let front = self.queue.front_seq();
        self.suspect = self.suspect.filter(|s| s.front == front);
        self.careful = None;
        if self.troubled < 2 {
            return;
        }
        let lived = self.suspect.map_or(0, |s| s.lived_ms);
        let wait = lived.saturating_add(self.config.confirm_ms);
        info!(
            "careful connection: receiver closed the last ones right after frames; nothing for {} ms, then one frame at a time",
            wait
        );
        self.careful = Some(Careful {
            opened: now,
            wait_ms: wait,
            left: NonZeroU32::new(self.queue.len() as u32).unwrap_or(NonZeroU32::MIN),
            frame_len: 0,
        });
    }

    /// When something is due on an idle connection: the oldest unconfirmed frame's confirmation, or the
    /// end of a careful connection's wait (if still ahead of `now`).
    #[cfg(any(feature = "async", feature = "tokio"))]
    pub(crate) fn next_due(&self, inflight: &Inflight, now: u64) -> Option<u64> {
        let confirm = inflight
            .unconfirmed
            .front()
            .map(|&(_, at)| at.saturating_add(self.config.confirm_ms.into()));
        let wait = self.careful.map(|c| c.write_after()).filter(|&at| at > now);
        match (confirm, wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// We close the connection: datapoints not yet confirmed stay queued for the next one.
    pub(crate) fn closed(&mut self) {
        self.queue.rewind();
        self.careful = None;
        info!("connection closed");
    }

    /// Gives up a connection (`conn`, if it was up) or an attempt: every unconfirmed datapoint goes out
    /// again, after a back-off, unless its frame turned out poison. Returns when the next attempt may start.
    pub(crate) fn fail(&mut self, conn: Option<&Inflight>, why: Failure, now: u64) -> u64 {
        let mut again = self.queue.rewind();
        if let Some(conn) = conn.filter(|_| why != Failure::Stalled) {
            again -= self.ended(conn, now).min(again);
        }
        self.careful = None;
        self.stats.resent = self.stats.resent.wrapping_add(again as u32);
        self.stats.failures = self.stats.failures.wrapping_add(1);
        self.last_failure = Some(why);
        let delay = self.backoff.next_delay();
        warn!(
            "connection failed: {:?}; {} datapoints to send again, {} queued, retry in {} ms",
            why,
            again,
            self.queue.len(),
            delay
        );
        now.saturating_add(delay.into())
    }

    /// The receiver ended a connection (poison frames, see the module documentation); returns how many
    /// written datapoints were dropped as poison. The queue is rewound: its front is where `conn` began.
    fn ended(&mut self, conn: &Inflight, now: u64) -> usize {
        // A careful connection has one frame in flight at most, and it starts at the queue's front: the one
        // under way, or the one written last.
        let in_flight = match (conn.partial(), self.careful) {
            (Some(f), _) => Some((f.points, f.len)),
            (None, c) => conn
                .unconfirmed
                .front()
                .map(|&(points, _)| (points, c.map_or(0, |c| c.frame_len as usize))),
        };
        let Some(careful) = self.careful else {
            if in_flight.is_some() {
                self.troubled = (self.troubled + 1).min(2);
            }
            return 0;
        };
        let Some((points, len)) = in_flight else {
            // Closed with no frame in flight: the receiver closes connections by itself.
            info!(
                "receiver closed a careful connection with no frame in flight: not a frame's doing"
            );
            self.troubled = 0;
            self.suspect = None;
            return 0;
        };
        let front = self.queue.front_seq();
        if self
            .suspect
            .is_some_and(|s| s.front == front && s.points == points)
        {
            let dropped = self.queue.remove_front(points);
            self.suspect = None;
            self.stats.poisoned = self.stats.poisoned.wrapping_add(dropped as u32);
            self.stats.poisoned_frames = self.stats.poisoned_frames.wrapping_add(1);
            self.stats.dropped = self.stats.dropped.wrapping_add(dropped as u32);
            error!(
                "receiver closed the connection twice right after the same frame ({} datapoints, {} bytes): dropped as poison; is its frame limit (carbon: PICKLE_RECEIVER_MAX_LENGTH) below max_bytes ({})?",
                dropped,
                len,
                self.config.options.max_bytes()
            );
            return dropped;
        }
        let lived_ms = now.saturating_sub(careful.opened).min(u32::MAX.into()) as u32;
        warn!(
            "receiver closed a careful connection right after a frame of {} datapoints: one strike",
            points
        );
        self.suspect = Some(Suspect {
            front,
            points,
            lived_ms,
        });
        0
    }

    /// Releases the frames that have been out `confirm_ms` on a connection seen open now.
    pub(crate) fn confirm(&mut self, inflight: &mut Inflight, now: u64) {
        let confirm_ms = u64::from(self.config.confirm_ms);
        let mut confirmed = 0;
        while let Some(&(points, at)) = inflight.unconfirmed.front() {
            if now < at.saturating_add(confirm_ms) {
                break;
            }
            inflight.unconfirmed.pop_front();
            confirmed += self.queue.release_written(points);
        }
        if confirmed > 0 {
            self.stats.delivered = self.stats.delivered.wrapping_add(confirmed as u32);
            self.backoff.reset();
            debug!("{} datapoints delivered", confirmed);
            // The receiver took frames: the count starts over, once a careful connection is through.
            self.suspect = None;
            match self.careful.as_mut() {
                Some(c) => match NonZeroU32::new(c.left.get().saturating_sub(confirmed as u32)) {
                    Some(left) => c.left = left,
                    None => {
                        self.careful = None;
                        self.troubled = 0;
                        info!("careful connection went through: frames go out freely again");
                    }
                },
                None => self.troubled = 0,
            }
        }
    }

    /// The frame to write next: the one under way, else a new one sized from the unwritten datapoints
    /// (as many as the frame limits allow; a frame with a strike as it was). None when everything queued is
    /// written, or while a careful connection waits.
    pub(crate) fn current_frame(&self, inflight: &Inflight, now: u64) -> Option<Frame> {
        if let Some(frame) = inflight.frame {
            return Some(frame);
        }
        if self.queue.unwritten() == 0 {
            return None;
        }
        if let Some(c) = self.careful {
            if now < c.write_after() || !inflight.unconfirmed.is_empty() {
                return None;
            }
        }
        let cap = match self.suspect {
            Some(s) if s.front == self.queue.front_seq() && self.queue.written() == 0 => s.points,
            _ => usize::MAX,
        };
        let mut points = 0;
        let mut len = 0;
        if let Ok(mut enc) = FrameEncoder::new(Counter::default(), self.options()) {
            for dp in self.queue.unwritten_points(0, cap) {
                if enc.push(&dp).is_err() {
                    break;
                }
            }
            points = enc.points();
            len = enc.frame_len();
        }
        Some(Frame {
            points,
            len,
            sent: 0,
            progress_at: now,
        })
    }

    /// Streams `frame` into `writer`, which is expected to skip the `frame.sent` bytes already out (the
    /// datapoints do not change while their frame is in flight, so the encoding is the same byte for byte).
    pub(crate) fn encode<W: embedded_io::Write>(
        &self,
        frame: &Frame,
        writer: &mut W,
    ) -> Result<(), StreamError<W::Error>> {
        let points = self.queue.unwritten_points(0, frame.points);
        write_frame(writer, points, &self.options()).map(|_| ())
    }

    /// `frame` is completely written.
    pub(crate) fn written(&mut self, inflight: &mut Inflight, frame: Frame, now: u64) {
        self.queue.mark_written(frame.points);
        self.stats.frames = self.stats.frames.wrapping_add(1);
        self.stats.bytes = self.stats.bytes.wrapping_add(frame.len as u32);
        if let Err(late) = inflight.unconfirmed.push_back((frame.points, now)) {
            if let Some(last) = inflight.unconfirmed.back_mut() {
                *last = (last.0 + late.0, now);
            }
        }
        inflight.frame = None;
        if let Some(c) = self.careful.as_mut() {
            c.frame_len = frame.len as u32;
        }
        debug!(
            "frame written: {} datapoints, {} bytes",
            frame.points, frame.len
        );
    }

    /// The encoder refused `frame`. Cannot happen: datapoints are checked when pushed. Never loop on them
    /// either way.
    pub(crate) fn refused(&mut self, inflight: &mut Inflight, frame: Frame) {
        self.queue.discard_unwritten(frame.points.max(1));
        self.stats.rejected = self.stats.rejected.wrapping_add(frame.points.max(1) as u32);
        error!(
            "frame refused by the encoder; {} datapoints discarded",
            frame.points.max(1)
        );
        inflight.frame = None;
    }

    /// Has `frame` made no progress for `stall_timeout_ms`?
    pub(crate) fn stalled(&self, frame: &Frame, now: u64) -> bool {
        now.saturating_sub(frame.progress_at) >= self.config.stall_timeout_ms.into()
    }
}
