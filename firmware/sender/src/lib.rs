#![doc = include_str!("../README.md")]
//!
//! # Delivery
//! At least once, with duplicates bounded: a datapoint leaves the queue ([`Sender::push`]) only once the
//! frame carrying it was completely written *and* the connection stayed open for [`Config::confirm_ms`]
//! afterwards. A frame cut mid-way is never stored by carbon (its length header promises more bytes), so only
//! *complete* frames written within `confirm_ms` before a connection broke can arrive twice. Carbon keeps one
//! value per path and timestamp, so a duplicate rewrites the same value. Datapoints are lost only past the
//! queue bound (counted in [`Stats::dropped`]), or when a connection dies silently (no close, no reset) more
//! than `confirm_ms` after their frame was written. Reconnects follow [`Backoff`].
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
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod fmt;

#[cfg(feature = "async")]
mod async_sender;
mod backoff;
mod queue;
mod sender;
mod state;
#[cfg(feature = "tls")]
pub mod tls;
mod writer;

#[cfg(feature = "async")]
pub use async_sender::{AsyncSender, Clock};
pub use backoff::Backoff;
pub use queue::Sample;
pub use sender::{Config, Failure, LinkState, PushError, Sender, Stats};
