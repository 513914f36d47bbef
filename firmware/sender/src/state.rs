//! What the blocking and the async sender share: the queue, the counters, the back-off, and the rules that
//! turn "bytes went out" and "the connection is still open" into "delivered".
//!
//! The two senders differ only in how they drive I/O: [`crate::Sender`] polls an embedded-nal stack that
//! says "would block", [`crate::AsyncSender`] awaits an embedded-nal-async connection. Everything that
//! decides *what* goes out and *when* a datapoint leaves the queue lives here, once, so the two cannot
//! drift apart: sizing a frame from the queue, streaming it with the core's `write_frame` (resumed after
//! the bytes already out), recording a written frame, confirming frames once the connection stayed open
//! `confirm_ms`, and giving up a connection (every unconfirmed datapoint rewound, counted, back-off).

use carbon_pickle::{
    frame_len, write_frame, Counter, FrameEncoder, Options, Protocol, StreamError,
};
use heapless::Deque;

use crate::backoff::Backoff;
use crate::queue::{Queue, Sample};
use crate::sender::{Config, Failure, PushError, Stats};

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
#[derive(Default)]
pub(crate) struct Inflight {
    pub(crate) frame: Option<Frame>,
    unconfirmed: Deque<(usize, u64), 8>,
}

impl Inflight {
    pub(crate) const fn new() -> Self {
        Inflight {
            frame: None,
            unconfirmed: Deque::new(),
        }
    }

    /// When the oldest unconfirmed frame will be confirmed (if the connection stays open until then).
    #[cfg(feature = "async")]
    pub(crate) fn next_confirmation(&self, confirm_ms: u32) -> Option<u64> {
        self.unconfirmed
            .front()
            .map(|&(_, at)| at.saturating_add(confirm_ms.into()))
    }
}

/// The sender's state apart from the connection itself.
pub(crate) struct State<'p, P, const N: usize> {
    pub(crate) config: Config<'p>,
    backoff: Backoff,
    pub(crate) queue: Queue<P, N>,
    pub(crate) stats: Stats,
    pub(crate) last_failure: Option<Failure>,
}

impl<'p, P: AsRef<str>, const N: usize> State<'p, P, N> {
    /// The state for `config`, whose frame options the caller has validated. Infallible on purpose: the
    /// senders build it in place (a `Result<State>` would be one more copy of the queue on the stack).
    pub(crate) fn new(config: Config<'p>) -> Self {
        State {
            config,
            backoff: config.backoff,
            queue: Queue::new(),
            stats: Stats::default(),
            last_failure: None,
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
                    N, self.stats.dropped
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

    /// A connection is up.
    pub(crate) fn connected(&mut self) {
        self.stats.connects = self.stats.connects.wrapping_add(1);
        info!("connected");
    }

    /// We close the connection: datapoints not yet confirmed stay queued for the next one.
    pub(crate) fn closed(&mut self) {
        self.queue.rewind();
        info!("connection closed");
    }

    /// Gives up a connection (or an attempt): every unconfirmed datapoint goes out again, after a back-off.
    /// Returns when the next attempt may start.
    pub(crate) fn fail(&mut self, why: Failure, now: u64) -> u64 {
        let again = self.queue.rewind();
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
        }
    }

    /// The frame to write next: the one under way, else a new one sized from the unwritten datapoints
    /// (as many as the frame limits allow). None when everything queued is written.
    pub(crate) fn current_frame(&self, inflight: &Inflight, now: u64) -> Option<Frame> {
        if let Some(frame) = inflight.frame {
            return Some(frame);
        }
        if self.queue.unwritten() == 0 {
            return None;
        }
        let mut points = 0;
        let mut len = 0;
        if let Ok(mut enc) = FrameEncoder::new(Counter::default(), self.options()) {
            for dp in self.queue.unwritten_points(0, usize::MAX) {
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
