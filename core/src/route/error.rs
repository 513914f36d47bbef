//! Why a destination or a router configuration is refused.
//!
//! Carbon refuses some configurations only when the relay starts (a duplicate destination raises in
//! `ConsistentHashingRouter.addDestination`), and accepts others that can never work (a port of `0` or
//! `99999` fails at connect time). Here each is refused up front, with what was wrong.

use core::fmt;

/// What is wrong with a `HOST:PORT[:INSTANCE]` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SyntaxError {
    /// Nothing but whitespace.
    Empty,
    /// No `:` before a port.
    MissingPort,
    /// Nothing before the `:` (or between `[` and `]`).
    EmptyHost,
    /// A `[` with no `]:` after it (IPv6 is written `[::1]:2004`).
    UnclosedBracket,
}

/// A refused destination or router configuration.
///
/// ```
/// use carbon_pickle::route::{Destination, HashType, RouteError, Router, SyntaxError};
/// assert_eq!(Destination::parse("10.0.0.1"), Err(RouteError::Syntax(SyntaxError::MissingPort)));
/// assert_eq!(Destination::parse("10.0.0.1:http"), Err(RouteError::BadPort));
/// let mut router: Router<'_, 4> = Router::new(HashType::CarbonCh);
/// router.add_str("10.0.0.1:2004:a")?;
/// // Carbon keys destinations by (server, instance): another port is still the same destination.
/// assert_eq!(router.add_str("10.0.0.1:2104:a"), Err(RouteError::Duplicate { index: 1, first: 0 }));
/// # Ok::<(), RouteError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RouteError {
    /// The destination string is not `HOST:PORT[:INSTANCE]`.
    Syntax(SyntaxError),
    /// The port is not a number in `1..=65535` (ASCII digits only).
    BadPort,
    /// Destination `index` has the same server and instance as destination `first` (carbon's relay refuses
    /// to start: "destination instance (server, instance) already configured"). With `jump_fnv1a_ch`,
    /// the same host and port.
    Duplicate {
        /// The refused destination's position in the configuration.
        index: usize,
        /// The destination it repeats.
        first: usize,
    },
    /// More destinations than the router has room for.
    TooManyDestinations {
        /// The router's capacity.
        max: usize,
    },
    /// A replication factor of 0.
    BadReplication,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyntaxError::Empty => "empty destination",
            SyntaxError::MissingPort => "no port (expected HOST:PORT[:INSTANCE])",
            SyntaxError::EmptyHost => "empty host",
            SyntaxError::UnclosedBracket => "'[' without ']:' (IPv6 is written [::1]:2004)",
        })
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::Syntax(e) => write!(f, "bad destination: {e}"),
            RouteError::BadPort => f.write_str("bad port: expected a number in 1..=65535"),
            RouteError::Duplicate { index, first } => write!(
                f,
                "destination {index} repeats destination {first} (same server and instance)"
            ),
            RouteError::TooManyDestinations { max } => {
                write!(f, "too many destinations: at most {max}")
            }
            RouteError::BadReplication => f.write_str("replication factor must be at least 1"),
        }
    }
}

impl core::error::Error for SyntaxError {}
impl core::error::Error for RouteError {}
