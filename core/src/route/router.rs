//! The router: destinations in configuration order, their ring, and the walk that yields a metric's
//! destinations.
//!
//! The walk is carbon's `ConsistentHashRing.get_nodes` and `ConsistentHashingRouter.getDestinations`:
//! from the first point at or after the metric's position, forward and wrapping, each destination the
//! first time it is met, at most `len - 1` points; until `REPLICATION_FACTOR` destinations are found, or,
//! with `DIVERSE_REPLICAS` (carbon's default), `REPLICATION_FACTOR` distinct *hosts*: a destination whose
//! host string was already used is skipped. With a single destination carbon's generator yields it twice
//! when replicating without diverse replicas; its relay sends once (it keeps a set), and so the route here
//! yields it once.

use core::fmt;

use md5::{Digest, Md5};

use super::hash::{self, Fnv32, Md5Writer};
use super::pyrepr::PyTuple;
use super::ring::{Ring, REPLICAS};
use super::{jump, Destination, HashType, RouteError};
use crate::tags::{self, Text};

/// Routes metric names to destinations as carbon-relay (carbon_ch, fnv1a_ch) or carbon-c-relay
/// (jump_fnv1a_ch) does, in fixed memory for up to `N` destinations (at most 64; 32 by default, which
/// takes about 14 KiB).
///
/// The name hashed is the whole metric name the relay receives: with a prefix, `prefix.path`
/// ([`route_prefixed`](Self::route_prefixed)).
///
/// ```
/// use carbon_pickle::route::{HashType, Router};
/// let mut router: Router<'_, 8> = Router::new(HashType::CarbonCh).with_replication(2)?;
/// for d in ["10.0.0.1:2004:a", "10.0.0.2:2004:b", "10.0.0.3:2004:c"] {
///     router.add_str(d)?;
/// }
/// let mut to = [0usize; 2];
/// let n = router.route("servers.web01.cpu").fill(&mut to);
/// assert_eq!(&to[..n], [0, 1]); // 10.0.0.1 first, its replica on 10.0.0.2 (as carbon 1.1.10)
/// assert!(router.route_prefixed(Some("servers"), "web01.cpu").eq(router.route("servers.web01.cpu")));
/// # Ok::<(), carbon_pickle::route::RouteError>(())
/// ```
#[derive(Clone)]
pub struct Router<'a, const N: usize = 32> {
    hash: HashType,
    replication: usize,
    diverse: bool,
    dests: [Destination<'a>; N],
    count: usize,
    /// For each destination, the first destination with the same host (diverse replicas).
    server: [u8; N],
    ring: Ring<N>,
    /// jump_fnv1a_ch: destination indices in carbon-c-relay's member order.
    order: [u8; N],
}

impl<'a, const N: usize> Router<'a, N> {
    /// An empty router: replication factor 1, diverse replicas on (carbon's defaults).
    pub const fn new(hash: HashType) -> Self {
        const { assert!(N >= 1 && N <= 64, "a router holds 1 to 64 destinations") };
        Router {
            hash,
            replication: 1,
            diverse: true,
            dests: [Destination::new("", 0, None); N],
            count: 0,
            server: [0; N],
            ring: Ring::new(),
            order: [0; N],
        }
    }

    /// Sets carbon's `REPLICATION_FACTOR` (at least 1): how many destinations get each metric.
    pub const fn with_replication(mut self, factor: usize) -> Result<Self, RouteError> {
        if factor == 0 {
            return Err(RouteError::BadReplication);
        }
        self.replication = factor;
        Ok(self)
    }

    /// Sets carbon's `DIVERSE_REPLICAS` (default on): replicas go to distinct hosts, skipping destinations
    /// whose host string is already used. carbon-c-relay has no such setting, so jump_fnv1a_ch ignores it.
    ///
    /// ```
    /// use carbon_pickle::route::{HashType, Router};
    /// let mut router: Router<'_, 4> = Router::new(HashType::CarbonCh).with_replication(2)?;
    /// router.add_str("10.0.0.1:2004:a")?;
    /// router.add_str("10.0.0.1:2104:b")?;
    /// assert_eq!(router.route("m").count(), 1, "both on host 10.0.0.1: one copy");
    /// let router = router.with_diverse_replicas(false);
    /// assert_eq!(router.route("m").count(), 2);
    /// # Ok::<(), carbon_pickle::route::RouteError>(())
    /// ```
    pub const fn with_diverse_replicas(mut self, diverse: bool) -> Self {
        self.diverse = diverse;
        self
    }

    /// Adds a destination after the others (order matters: it is carbon's `DESTINATIONS` order) and
    /// returns its index.
    ///
    /// Refuses one that repeats the server and instance of an earlier one (carbon refuses to start), for
    /// jump_fnv1a_ch one with the same host and port, and one past `N`.
    pub fn add(&mut self, dest: Destination<'a>) -> Result<usize, RouteError> {
        let index = self.count;
        if index == N {
            return Err(RouteError::TooManyDestinations { max: N });
        }
        let same = |d: &Destination<'_>| match self.hash {
            HashType::JumpFnv1aCh => d.host == dest.host && d.port == dest.port,
            _ => d.host == dest.host && d.instance == dest.instance,
        };
        if let Some(first) = self.destinations().iter().position(same) {
            return Err(RouteError::Duplicate { index, first });
        }
        let server = self
            .destinations()
            .iter()
            .position(|d| d.host == dest.host)
            .unwrap_or(index);
        self.dests[index] = dest;
        self.server[index] = server as u8;
        self.count += 1;
        match self.hash {
            HashType::CarbonCh => {
                for i in 0..REPLICAS {
                    let mut w = Md5Writer(Md5::new());
                    // Writing to the hasher cannot fail.
                    let _ = fmt::write(
                        &mut w,
                        format_args!("{}:{}", PyTuple(dest.host, dest.instance), i),
                    );
                    self.ring.insert(hash::carbon_pos(w.0), index as u8);
                }
            }
            HashType::Fnv1aCh => {
                for i in 0..REPLICAS {
                    let mut h = Fnv32::new();
                    let instance = dest.instance.unwrap_or("None");
                    let _ = fmt::write(&mut h, format_args!("{i}-{instance}"));
                    self.ring.insert(h.pos(), index as u8);
                }
            }
            HashType::JumpFnv1aCh => {
                // Insertion after every member that does not sort after it: a stable sort, so equal
                // instances (and members without one) keep configuration order.
                let dests = &self.dests;
                let at = self.order[..index]
                    .iter()
                    .position(|&m| jump::compare(dests[m as usize].instance, dest.instance).is_gt())
                    .unwrap_or(index);
                self.order.copy_within(at..index, at + 1);
                self.order[at] = index as u8;
            }
        }
        Ok(index)
    }

    /// Parses `HOST:PORT[:INSTANCE]` and [`add`](Self::add)s it.
    pub fn add_str(&mut self, dest: &'a str) -> Result<usize, RouteError> {
        self.add(Destination::parse(dest)?)
    }

    /// A router with these destinations, in this order.
    ///
    /// ```
    /// use carbon_pickle::route::{HashType, Router, RouteError};
    /// let router = Router::<'_, 4>::from_strs(HashType::JumpFnv1aCh, ["c1:2003=b", "c2:2003=a"]);
    /// assert_eq!(router.unwrap_err(), RouteError::BadPort, "carbon-c-relay's = is not our syntax");
    /// let router: Router<'_, 4> = Router::from_strs(HashType::JumpFnv1aCh, ["c1:2003:b", "c2:2003:a"])?;
    /// assert_eq!(router.route("foo.bar").next(), Some(0)); // carbon-c-relay: c1 (second in instance order)
    /// # Ok::<(), RouteError>(())
    /// ```
    pub fn from_strs<I>(hash: HashType, dests: I) -> Result<Self, RouteError>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut router = Self::new(hash);
        for d in dests {
            router.add_str(d)?;
        }
        Ok(router)
    }

    /// The destinations, in configuration order: a route's indices point here.
    pub fn destinations(&self) -> &[Destination<'a>] {
        &self.dests[..self.count]
    }

    /// The placement.
    pub const fn hash_type(&self) -> HashType {
        self.hash
    }

    /// The replication factor.
    pub const fn replication(&self) -> usize {
        self.replication
    }

    /// Whether replicas go to distinct hosts.
    pub const fn diverse_replicas(&self) -> bool {
        self.diverse
    }

    /// For fnv1a_ch: the first two destinations whose ring points coincide because their instance names
    /// are equal, or both missing (carbon hashes `"%d-%s" % (i, instance)`, the instance alone).
    ///
    /// Carbon moves the later one's points one position up, so it gets almost no metrics: without instance
    /// names, nearly everything lands on the first destination. Callers should warn. `None` for other hash
    /// types.
    ///
    /// ```
    /// use carbon_pickle::route::{HashType, Router};
    /// let router: Router<'_, 4> = Router::from_strs(HashType::Fnv1aCh, ["10.0.0.1:2004", "10.0.0.2:2004"])?;
    /// assert_eq!(router.fnv1a_clash(), Some((0, 1)));
    /// let on_first = (0..1000).filter(|i| router.route(&format!("m.{i}")).next() == Some(0)).count();
    /// assert_eq!(on_first, 997); // as carbon 1.1.10
    /// # Ok::<(), carbon_pickle::route::RouteError>(())
    /// ```
    pub fn fnv1a_clash(&self) -> Option<(usize, usize)> {
        if self.hash != HashType::Fnv1aCh {
            return None;
        }
        let d = self.destinations();
        (0..d.len()).find_map(|j| {
            (0..j)
                .find(|&i| d[i].instance.unwrap_or("None") == d[j].instance.unwrap_or("None"))
                .map(|i| (i, j))
        })
    }

    /// The destinations of `metric`, as indices into [`destinations`](Self::destinations): the first is
    /// where carbon-relay sends it, then its replicas. Nothing when there is no destination.
    ///
    /// A tagged name is hashed in carbon's canonical order (see [`tags`](crate::tags)), as the encoder
    /// writes it, so one series goes to one place whatever order its tags come in (a name carbon cannot
    /// parse is hashed as it is, as carbon-relay does).
    ///
    /// ```
    /// use carbon_pickle::route::{HashType, Router};
    /// let router: Router<'_, 4> = Router::from_strs(HashType::CarbonCh, ["a:2004", "b:2004", "c:2004"])?;
    /// for name in ["disk.used;rack=a1;dc=dc1", "~disk.used;dc=dc1;rack=a2;rack=a1", "disk.used{rack=\"a1\",dc=\"dc1\"}"] {
    ///     assert!(router.route(name).eq(router.route("disk.used;dc=dc1;rack=a1")));
    /// }
    /// # Ok::<(), carbon_pickle::route::RouteError>(())
    /// ```
    pub fn route(&self, metric: &str) -> Route<'_, 'a, N> {
        self.route_prefixed(None, metric)
    }

    /// Like [`route`](Self::route) for the name `prefix.path` (or `path`), without building it.
    pub fn route_prefixed(&self, prefix: Option<&str>, path: &str) -> Route<'_, 'a, N> {
        self.route_text(&Text::new(prefix, path, tags::layout_of(path)))
    }

    pub(crate) fn route_text(&self, text: &Text<'_>) -> Route<'_, 'a, N> {
        let walk = match self.hash {
            _ if self.count == 0 => Walk::Done,
            HashType::JumpFnv1aCh => Walk::Jump {
                key: hash::fnv64_signed_of(text),
                left: self.count,
                members: self.order,
            },
            _ if self.count == 1 => Walk::Single,
            h => {
                let pos = if h == HashType::CarbonCh {
                    hash::carbon_pos_of(text)
                } else {
                    hash::fnv_pos_of(text)
                };
                Walk::Ring {
                    next: self.ring.start(pos),
                    points_left: self.ring.len() - 1,
                    seen: 0,
                    hosts: 0,
                }
            }
        };
        Route {
            router: self,
            walk,
            yielded: 0,
        }
    }
}

impl<const N: usize> fmt::Debug for Router<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("hash", &self.hash)
            .field("replication", &self.replication)
            .field("diverse", &self.diverse)
            .field("destinations", &self.destinations())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for Router<'_, N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Router {{ hash: {}, replication: {}, diverse: {}, destinations: {} }}",
            self.hash,
            self.replication,
            self.diverse,
            self.destinations()
        )
    }
}

#[derive(Clone, Debug)]
enum Walk<const N: usize> {
    Done,
    Single,
    Ring {
        next: usize,
        points_left: usize,
        /// Destinations met (bit per index).
        seen: u64,
        /// Hosts used (bit per first destination of the host).
        hosts: u64,
    },
    Jump {
        key: u64,
        left: usize,
        members: [u8; N],
    },
}

/// The destinations of one metric, as indices into [`Router::destinations`]; see [`Router::route`].
#[derive(Clone, Debug)]
pub struct Route<'r, 'a, const N: usize> {
    router: &'r Router<'a, N>,
    walk: Walk<N>,
    yielded: usize,
}

impl<const N: usize> Route<'_, '_, N> {
    /// Writes the indices into `out` (up to its length) and returns how many were written.
    pub fn fill(self, out: &mut [usize]) -> usize {
        let mut n = 0;
        for (slot, i) in out.iter_mut().zip(self) {
            *slot = i;
            n += 1;
        }
        n
    }
}

impl<const N: usize> Iterator for Route<'_, '_, N> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let r = self.router;
        if self.yielded == r.replication {
            return None;
        }
        let found = match &mut self.walk {
            Walk::Done => None,
            Walk::Single => {
                self.walk = Walk::Done;
                Some(0)
            }
            Walk::Ring {
                next,
                points_left,
                seen,
                hosts,
            } => loop {
                if *points_left == 0 {
                    break None;
                }
                let node = r.ring.node(*next);
                *next = (*next + 1) % r.ring.len();
                *points_left -= 1;
                if *seen & 1 << node != 0 {
                    continue;
                }
                *seen |= 1 << node;
                if *seen == u64::MAX >> (64 - r.count) {
                    // Every destination met: none is left to yield after this one.
                    *points_left = 0;
                }
                let host = 1 << r.server[node];
                if r.diverse {
                    if *hosts & host != 0 {
                        continue;
                    }
                    *hosts |= host;
                }
                break Some(node);
            },
            Walk::Jump { key, left, members } => {
                if *left == 0 {
                    None
                } else {
                    let j = hash::jump(*key, *left);
                    let node = members[j] as usize;
                    *key = hash::remix(*key);
                    *left -= 1;
                    members[j] = members[*left];
                    Some(node)
                }
            }
        };
        if found.is_some() {
            self.yielded += 1;
        } else {
            self.walk = Walk::Done;
        }
        found
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let most =
            self.router.replication.min(self.router.count) - self.yielded.min(self.router.count);
        (0, Some(most))
    }
}

impl<const N: usize> core::iter::FusedIterator for Route<'_, '_, N> {}
