//! Sends Graphite carbon pickle frames from a microcontroller, over any [`embedded_nal::TcpClientStack`].
//!
//! A sensor node measures faster than a network is reliable. This crate sits between the two:
//!
//! - a bounded, heapless queue of datapoints ([`Sender::push`]); when it is full the new datapoint is
//!   dropped and counted ([`Stats::dropped`]), never silently and never an older one;
//! - frames encoded by [`carbon_pickle`] straight from the queue and streamed to the socket in constant
//!   memory ([`carbon_pickle::write_frame`]), resumed where the socket stopped taking bytes;
//! - datapoints kept until delivered: a datapoint leaves the queue only once the frame carrying it was
//!   completely written *and* the connection stayed open for [`Config::confirm_ms`] afterwards (carbon never
//!   acknowledges; closing is its only signal). A broken connection sends them again on the next one;
//! - reconnects with exponential [`Backoff`];
//! - logging through `defmt` (feature `defmt`) or `log` (feature `log`);
//! - TLS 1.3 beneath it (feature `tls`, module `tls`): a `TcpClientStack` over another one, so the same
//!   sender, queue and delivery rules run over TLS.
//!
//! # Delivery
//! At least once, with duplicates bounded: a frame cut mid-way is never stored by carbon (its length header
//! promises more bytes), so only *complete* frames written within `confirm_ms` before a connection broke can
//! arrive twice. Carbon keeps one value per path and timestamp, so a duplicate rewrites the same value.
//! Datapoints are lost only past the queue bound (counted), or when a connection dies silently (no close,
//! no reset) more than `confirm_ms` after their frame was written.
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
//!
//! ```
//! use carbon_pickle::Options;
//! use carbon_sender::{Config, Sender};
//! use core::net::{Ipv4Addr, SocketAddr};
//!
//! let config = Config::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 2004)))
//!     .with_options(Options::new().with_prefix("sensors.node1").with_max_points(16));
//! let mut sender: Sender<'_, std_embedded_nal::Stack, &'static str, 64> = Sender::new(config).unwrap();
//! sender.push("temperature", 1_700_000_000, 21.5).unwrap();
//! assert_eq!(sender.stats().queued, 1);
//! // loop { sender.poll(&mut stack, now_ms); }
//! ```
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
