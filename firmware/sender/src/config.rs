//! What the senders share and a user configures or reads: the configuration ([`Config`]), the counters
//! ([`Stats`]), and why a datapoint or a connection was refused ([`PushError`], [`Failure`]).
//!
//! Kept apart from `sender.rs` (the blocking sender's I/O) so that `state.rs`, which the blocking, the async
//! and the tokio sender all run, depends on these types only and not on one sender.

use core::fmt;
use core::net::SocketAddr;

use carbon_pickle::{Error, Options, CARBON_MAX_PAYLOAD};

use crate::backoff::Backoff;
#[cfg(doc)]
use crate::Sender;

/// How the sender talks to the receiver. Made with [`Config::new`] and the `with_*` methods (it will
/// grow: fields are read-only outside the crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config<'p> {
    /// The receiver's pickle port (carbon: 2004).
    pub remote: SocketAddr,
    /// Frame options: prefix, path rules, and the limits that decide how many datapoints go in one frame.
    /// The sender always writes protocol 2 (compact, and what carbon's own relay sends); the protocol set
    /// here is ignored, so protocol 0's number formatting never ends up in the program.
    pub options: Options<'p>,
    /// Give up on a connection attempt after this long.
    pub connect_timeout_ms: u32,
    /// A connection must stay open this long after a frame was written for its datapoints to count as
    /// delivered. 0 releases them as soon as the frame is written.
    pub confirm_ms: u32,
    /// Give up on a connection when a frame makes no progress for this long.
    pub stall_timeout_ms: u32,
    /// Delays between connection attempts.
    pub backoff: Backoff,
    /// The largest payload the receiver takes, in bytes: carbon's `PICKLE_RECEIVER_MAX_LENGTH`, 1,048,576
    /// unless its `carbon.conf` says otherwise (go-carbon takes 64 MiB, carbon-relay-ng 500 MiB). The
    /// sender refuses an `options.max_bytes` above it: a receiver closes the connection on a frame over its
    /// limit, so such frames would only be dropped as poison.
    pub receiver_max_bytes: usize,
}

impl<'p> Config<'p> {
    /// Defaults: protocol 2 with carbon's limits, connect timeout 5 s, confirmation after 500 ms, stall
    /// timeout 10 s, back-off from 250 ms doubling to 8 s, a receiver that takes carbon's 1,048,576 bytes.
    ///
    /// ```
    /// use carbon_sender::{Backoff, Config};
    /// use core::net::{Ipv4Addr, SocketAddr};
    /// let config = Config::new(SocketAddr::from((Ipv4Addr::new(10, 0, 2, 100), 2004)))
    ///     .with_confirm_ms(200)
    ///     .with_backoff(Backoff::new(100, 2_000));
    /// assert_eq!(config.connect_timeout_ms, 5_000);
    /// assert_eq!(config.backoff.max_ms(), 2_000);
    /// ```
    pub const fn new(remote: SocketAddr) -> Self {
        Config {
            remote,
            options: Options::new(),
            connect_timeout_ms: 5_000,
            confirm_ms: 500,
            stall_timeout_ms: 10_000,
            backoff: Backoff::new(250, 8_000),
            receiver_max_bytes: CARBON_MAX_PAYLOAD,
        }
    }
    /// Sets the frame options.
    pub const fn with_options(mut self, options: Options<'p>) -> Self {
        self.options = options;
        self
    }
    /// Sets the connect timeout.
    pub const fn with_connect_timeout_ms(mut self, ms: u32) -> Self {
        self.connect_timeout_ms = ms;
        self
    }
    /// Sets how long a connection must stay open after a frame for its datapoints to count as delivered.
    pub const fn with_confirm_ms(mut self, ms: u32) -> Self {
        self.confirm_ms = ms;
        self
    }
    /// Sets the stall timeout.
    pub const fn with_stall_timeout_ms(mut self, ms: u32) -> Self {
        self.stall_timeout_ms = ms;
        self
    }
    /// Sets the reconnect back-off.
    pub const fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
    /// States that the receiver takes payloads of up to `bytes` (see [`receiver_max_bytes`]), which lets
    /// `options.max_bytes` go above carbon's 1,048,576.
    ///
    /// ```
    /// use carbon_pickle::{Error, Options};
    /// use carbon_sender::{Config, Sender};
    /// use core::net::{Ipv4Addr, SocketAddr};
    /// type S = Sender<'static, std_embedded_nal::Stack, &'static str, 8>;
    /// let go_carbon = SocketAddr::from((Ipv4Addr::new(10, 0, 2, 100), 2004));
    /// let big = Config::new(go_carbon).with_options(Options::new().with_max_bytes(4 << 20));
    /// assert_eq!(S::new(big).err(), Some(Error::InvalidLimits)); // carbon would close on such a frame
    /// assert!(S::new(big.with_receiver_max_bytes(64 << 20)).is_ok()); // go-carbon takes 64 MiB
    /// ```
    ///
    /// [`receiver_max_bytes`]: Config::receiver_max_bytes
    pub const fn with_receiver_max_bytes(mut self, bytes: usize) -> Self {
        self.receiver_max_bytes = bytes;
        self
    }

    /// The frame options are usable, and their frames fit the receiver.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        self.options.validate()?;
        if self.options.max_bytes() > self.receiver_max_bytes {
            error!(
                "max_bytes {} is more than the receiver takes ({}; carbon closes the connection on a payload over 1,048,576 bytes): state a larger receiver_max_bytes if yours takes more",
                self.options.max_bytes(),
                self.receiver_max_bytes
            );
            return Err(Error::InvalidLimits);
        }
        Ok(())
    }
}

/// Why [`Sender::push`] did not take a datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PushError {
    /// The queue is full; the datapoint was dropped and counted in [`Stats::dropped`].
    QueueFull,
    /// The datapoint can never be sent (bad path, non-finite value, too large for a frame); counted in
    /// [`Stats::rejected`].
    Invalid(Error),
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::QueueFull => f.write_str("queue full, datapoint dropped"),
            PushError::Invalid(e) => write!(f, "invalid datapoint: {e}"),
        }
    }
}

impl core::error::Error for PushError {}

/// Why a connection (or an attempt) was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Failure {
    /// The stack had no socket to give.
    Socket,
    /// The connection attempt failed (refused, unreachable).
    Connect,
    /// The connection attempt took longer than `connect_timeout_ms`.
    ConnectTimeout,
    /// The receiver closed the connection.
    PeerClosed,
    /// Reading the connection failed for another reason.
    Receive,
    /// Writing failed.
    Send,
    /// A frame made no progress for `stall_timeout_ms`.
    Stalled,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Failure::Socket => "the stack had no socket to give",
            Failure::Connect => "the connection attempt failed",
            Failure::ConnectTimeout => "the connection attempt timed out",
            Failure::PeerClosed => "the receiver closed the connection",
            Failure::Receive => "reading the connection failed",
            Failure::Send => "writing failed",
            Failure::Stalled => "a frame made no progress for stall_timeout_ms",
        })
    }
}

impl core::error::Error for Failure {}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LinkState {
    /// No connection and nothing to send.
    Idle,
    /// Waiting after a failure; the next attempt is at `until_ms`.
    BackingOff {
        /// When the next attempt may start.
        until_ms: u64,
    },
    /// A connection attempt is under way.
    Connecting,
    /// Connected.
    Connected,
}

/// Counters since the sender was made (they wrap at `u32::MAX`). More counters may come: read fields by
/// name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Stats {
    /// Datapoints in the queue now (unconfirmed ones included).
    pub queued: usize,
    /// Datapoints written on the current connection, waiting for confirmation.
    pub unconfirmed: usize,
    /// Datapoints taken by [`Sender::push`].
    pub accepted: u32,
    /// Datapoints confirmed delivered (they left the queue).
    pub delivered: u32,
    /// Frames completely written.
    pub frames: u32,
    /// Bytes of completely written frames, headers included.
    pub bytes: u32,
    /// Datapoints written on a connection that broke before confirming them: they are sent again.
    pub resent: u32,
    /// Datapoints lost: refused because the queue was full, or dropped as poison (`poisoned`).
    pub dropped: u32,
    /// Datapoints dropped because the receiver closed the connection twice right after their frame, in
    /// careful mode (a poison frame: carbon refuses a payload over its limit that way); also in `dropped`.
    pub poisoned: u32,
    /// Frames dropped as poison.
    pub poisoned_frames: u32,
    /// Datapoints refused because they can never be sent.
    pub rejected: u32,
    /// Connections established.
    pub connects: u32,
    /// Connection attempts and connections that failed.
    pub failures: u32,
}
