//! One carbon-cache: `HOST:PORT[:INSTANCE]`, split the way carbon's `util.parseDestination` splits it.
//!
//! The host text is hashed exactly as written (carbon never resolves it), so `localhost` and `127.0.0.1`
//! are different destinations on the ring; and an IPv6 host is hashed without its brackets. The parser
//! follows carbon's: whitespace around the string is dropped (Python's `str.strip()`), a host starting
//! with `[` ends at the last `]:`, any other host at the first `:`, and everything after the port's `:`
//! is the instance, colons included. It is stricter where carbon would start and then fail: the port must
//! be ASCII digits in `1..=65535` (Python's `int()` also takes `+2004`, ` 2004` or `2_004`), and the host
//! cannot be empty.

use core::fmt;

use super::pyrepr::PyTuple;
use super::{RouteError, SyntaxError};

/// A carbon-cache to send to: host, port and optional instance name.
///
/// ```
/// use carbon_pickle::route::Destination;
/// let d = Destination::parse("[::1]:2004:a")?;
/// assert_eq!((d.host, d.port, d.instance), ("::1", 2004, Some("a")));
/// assert_eq!(d.to_string(), "[::1]:2004:a");
/// // What carbon_ch hashes (with ":0" to ":99" after it): Python's str() of (server, instance).
/// assert_eq!(d.node_key().to_string(), "('::1', 'a')");
/// assert_eq!(Destination::parse(" cache-2:2104 ")?.node_key().to_string(), "('cache-2', None)");
/// # Ok::<(), carbon_pickle::route::RouteError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Destination<'a> {
    /// The host exactly as configured (an IPv6 address without its brackets).
    pub host: &'a str,
    /// The TCP port of the cache's pickle receiver.
    pub port: u16,
    /// The instance name (carbon's `DESTINATIONS = 10.0.0.1:2004:a`), if any.
    pub instance: Option<&'a str>,
}

/// Python's `str.isspace()`: Rust's whitespace plus the ASCII separators `\x1c` to `\x1f`.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn parse_port(s: &str) -> Result<u16, RouteError> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RouteError::BadPort);
    }
    match s.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')) {
        p @ 1..=65535 => Ok(p as u16),
        _ => Err(RouteError::BadPort),
    }
}

impl<'a> Destination<'a> {
    /// A destination from its parts.
    pub const fn new(host: &'a str, port: u16, instance: Option<&'a str>) -> Self {
        Destination {
            host,
            port,
            instance,
        }
    }

    /// Parses `HOST:PORT[:INSTANCE]`, `[IPV6]:PORT[:INSTANCE]` as carbon's `DESTINATIONS` setting does.
    ///
    /// ```
    /// use carbon_pickle::route::{Destination, RouteError, SyntaxError};
    /// assert_eq!(Destination::parse("cache:2004:a:b")?.instance, Some("a:b"));
    /// assert_eq!(Destination::parse("cache:2004:")?.instance, Some(""));
    /// assert_eq!(Destination::parse(":2004"), Err(RouteError::Syntax(SyntaxError::EmptyHost)));
    /// assert_eq!(Destination::parse("[::1:2004"), Err(RouteError::Syntax(SyntaxError::UnclosedBracket)));
    /// assert_eq!(Destination::parse("cache:0"), Err(RouteError::BadPort));
    /// # Ok::<(), RouteError>(())
    /// ```
    pub fn parse(s: &'a str) -> Result<Self, RouteError> {
        let s = s.trim_matches(py_space);
        if s.is_empty() {
            return Err(RouteError::Syntax(SyntaxError::Empty));
        }
        let (host, rest) = if let Some(inner) = s.strip_prefix('[') {
            let end = inner
                .rfind("]:")
                .ok_or(RouteError::Syntax(SyntaxError::UnclosedBracket))?;
            (&inner[..end], &inner[end + 2..])
        } else {
            s.split_once(':')
                .ok_or(RouteError::Syntax(SyntaxError::MissingPort))?
        };
        if host.is_empty() {
            return Err(RouteError::Syntax(SyntaxError::EmptyHost));
        }
        let (port, instance) = match rest.split_once(':') {
            Some((port, instance)) => (port, Some(instance)),
            None => (rest, None),
        };
        Ok(Destination {
            host,
            port: parse_port(port)?,
            instance,
        })
    }

    /// Python's `str((server, instance))`, the text carbon_ch hashes for this destination's ring
    /// positions (followed by `:0` to `:99`). It is also how graphite-web's `CARBONLINK_HOSTS` entries
    /// must be written to find the same caches.
    ///
    /// ```
    /// use carbon_pickle::route::Destination;
    /// let odd = Destination::new("it's", 2004, Some("caf\u{e9}\t1"));
    /// assert_eq!(odd.node_key().to_string(), "(\"it's\", 'caf\u{e9}\\t1')");
    /// ```
    pub fn node_key(&self) -> impl fmt::Display + 'a {
        PyTuple(self.host, self.instance)
    }
}

impl fmt::Display for Destination<'_> {
    /// `HOST:PORT[:INSTANCE]`, with the host in brackets when it holds a `:` (as [`parse`](Self::parse)
    /// reads it back).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        match self.instance {
            Some(i) => write!(f, ":{i}"),
            None => Ok(()),
        }
    }
}
