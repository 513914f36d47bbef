#![doc = include_str!("../README.md")]
//!
//! # Delivery
//! At least once, with duplicates bounded: a datapoint leaves the queue ([`Sender::push`]) only once the
//! frame carrying it was completely written *and* the connection stayed open for [`Config::confirm_ms`]
//! afterwards. A frame cut mid-way is never stored by carbon (its length header promises more bytes), so only
//! *complete* frames written within `confirm_ms` before a connection broke can arrive twice. Carbon keeps one
//! value per path and timestamp, so a duplicate rewrites the same value. Datapoints are lost only past the
//! queue bound (counted in [`Stats::dropped`]), when a connection dies silently (no close, no reset) more
//! than `confirm_ms` after their frame was written, or when their frame is poison (below). Reconnects follow
//! [`Backoff`].
//!
//! # Poison frames
//! A receiver refuses a frame only by closing the connection (carbon, on a payload over its
//! `PICKLE_RECEIVER_MAX_LENGTH`), and an unconfirmed frame is sent again on the next connection, so a frame
//! the receiver refuses would be sent for ever and hold up everything behind it. After two connections in a
//! row that the receiver ended with a frame in flight, the next one is *careful*: it writes nothing for
//! `confirm_ms` (a receiver that closes it then closes connections by itself: the count starts over), then
//! one frame at a time, each after the one before was confirmed, until what was queued when it opened is
//! delivered. A careful connection that dies with its frame in flight gives that frame a strike; the next
//! careful connection waits longer than that one lived (so a receiver that closes connections at a fixed age
//! does it while nothing is in flight, which clears the strike), then writes the same frame again. If the
//! receiver closes it right after that frame again, the frame's datapoints are dropped, logged as an error
//! and counted ([`Stats::poisoned`], [`Stats::poisoned_frames`], and in [`Stats::dropped`]); the rest goes
//! on. A receiver that is down refuses connections, which counts for nothing; one that restarts, or closes
//! idle connections, loses nothing to the rule. The state is a few bytes in the sender and its connection,
//! no allocation. With `confirm_ms` 0 a frame counts as delivered once written, so only a frame the
//! receiver cuts while it is being written can be found poison. [`Config::receiver_max_bytes`] (carbon's
//! 1,048,576 unless stated) caps `max_bytes`, so a frame over carbon's limit takes an explicit statement.
//!
//! # Async
//! With the feature `async`, `AsyncSender` does the same over an embedded-nal-async `TcpConnect` (embassy-net's
//! `TcpClient`, for one): the queue, the framing and the delivery rules are the very code the blocking
//! [`Sender`] runs (the crate's `state` module); only the driving of the I/O differs. Producers push through
//! `&self` from any task without waiting for the network; one task awaits `AsyncSender::run`.
//!
//! # Stack contract
//! `receive` must follow embedded-nal's documentation: `WouldBlock` when no data is there, `Ok(0)` only at
//! the end of the stream (as `std-embedded-nal` does). smoltcp-nal 0.7 returns `Ok(0)` for "no data"; wrap it
//! as the `mps2-node` firmware does.
#![cfg_attr(not(any(test, feature = "tokio")), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod fmt;

#[cfg(feature = "async")]
mod async_sender;
mod backoff;
mod config;
mod debug;
#[cfg(feature = "embassy")]
#[cfg_attr(docsrs, doc(cfg(feature = "embassy")))]
pub mod embassy;
#[cfg(feature = "tokio")]
mod heap;
mod queue;
mod sender;
#[cfg(feature = "sntp")]
#[cfg_attr(docsrs, doc(cfg(feature = "sntp")))]
pub mod sntp;
mod state;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;
#[cfg(all(feature = "tls", feature = "async"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "tls", feature = "async"))))]
pub mod tls_async;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio_sender;
mod writer;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_sender::{AsyncSender, Clock};
pub use backoff::Backoff;
pub use carbon_pickle::{Datapoint, Options};
pub use config::{Config, Failure, LinkState, PushError, Stats};
pub use queue::Sample;
pub use sender::Sender;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use tokio_sender::TokioSender;
