//! Sending to a carbon cluster: which carbon-cache gets each metric, as carbon-relay decides it
//! (feature `route`).
//!
//! When one carbon-cache is not enough, Graphite runs several behind carbon-relay, which places each
//! metric with a consistent hash; graphite-web's carbonlink uses the same ring to find points still in a
//! cache's memory. A sender that routes datapoints itself must therefore put every metric exactly where
//! carbon would, or queries miss recent data (and a relay run later in front of the same caches would
//! write the same metric to two places). This module does that placement without allocating:
//!
//! - [`Router`]: `carbon_ch` and `fnv1a_ch` as carbon (1.0 and later, checked against carbon 1.1.10's
//!   `ConsistentHashingRouter` on a million names), `jump_fnv1a_ch` as carbon-c-relay 3.7; with
//!   `REPLICATION_FACTOR` and `DIVERSE_REPLICAS`. The ring lives in the router, sized by a const generic.
//! - [`Destination`]: `HOST:PORT[:INSTANCE]` parsed as carbon's `DESTINATIONS` setting, hashed as Python's
//!   `str((server, instance))`, quoting and escapes included.
//! - [`RoutedSplitter`] and [`route_split`]: datapoints into per-destination frames in caller buffers.
//!
//! What is hashed is the whole metric name the relay receives, so a prefix is part of it.
//!
//! ```
//! use carbon_pickle::route::{HashType, Router};
//! let router: Router<'_, 4> =
//!     Router::from_strs(HashType::CarbonCh, ["10.0.0.1:2004:a", "10.0.0.2:2004:b", "[::1]:2004"])?;
//! assert_eq!(router.route("servers.web01.cpu").next(), Some(0));
//! assert_eq!(router.destinations()[2].to_string(), "[::1]:2004");
//! # Ok::<(), carbon_pickle::route::RouteError>(())
//! ```
//!
//! # Differences from other relays
//! - Carbon before 1.0 and carbon-c-relay's `carbon_ch` do not move colliding ring points: where two
//!   points share a position, both keep it and the first in their sort order (host, then instance) owns
//!   it. Carbon 1.0 and later, and this router, move the later point to the next free position. Rings
//!   without collisions agree; collisions are likely past a few destinations (300 points collide with
//!   odds of about one in two, 2,000 points about 30 times), and each changes where the metrics of one or
//!   two of the 65,536 positions go (and so their replicas).
//! - carbon-c-relay builds carbon_ch's key as `('%s', '%s')` with no Python quoting: hosts or instances
//!   with a quote, a backslash or a non-printable character hash differently there.
//! - carbon-c-relay's `fnv1a_ch` hashes `i-host:port` for a member without an instance (carbon: `i-None`),
//!   and reads bytes as signed C chars, so non-ASCII names differ; it has no diverse replicas.
//! - `jump_fnv1a_ch` exists only in carbon-c-relay, and is matched byte for byte, signed chars included.

mod batch;
mod destination;
mod error;
mod hash;
mod jump;
mod printable;
mod pyrepr;
mod ring;
mod router;

pub use batch::{route_split, RoutedSplitError, RoutedSplitter};
pub use destination::Destination;
pub use error::{RouteError, SyntaxError};
pub use hash::{HashType, UnknownHashType};
pub use ring::REPLICAS;
pub use router::{Route, Router};
