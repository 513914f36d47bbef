//! Cluster placement for the package's `CarbonRouter` and `CarbonClient({ destinations })`: which
//! carbon-caches take each metric, exactly as carbon-relay (or carbon-c-relay's `jump_fnv1a_ch`) places it.
//!
//! The ring is the core's (`carbon_pickle::route`); this only keeps it alive across calls (it borrows the
//! destination text, which the router owns) and routes a batch of paths in one call: JavaScript writes the
//! paths into the batch buffers as for encoding, and reads back `replication` destination indices per path
//! (255 where a path has fewer destinations than the factor).

use alloc::string::String;
use alloc::vec::Vec;

use carbon_pickle::route::{HashType, RouteError, Router, SyntaxError};
use self_cell::self_cell;
use wasm_bindgen::prelude::*;

use crate::batch;
use crate::failure::{record, record_result, Failure, FailureCode, RouteFault};

/// Most destinations a ring holds (carbon-relay clusters are far smaller).
const MAX_DESTINATIONS: usize = 32;
/// The index written for "no further destination".
const NONE: u8 = 255;

type Ring<'a> = Router<'a, MAX_DESTINATIONS>;

self_cell!(
    struct OwnedRing {
        owner: String,
        #[covariant]
        dependent: Ring,
    }
);

/// A consistent-hash ring over the cluster's destinations.
#[wasm_bindgen]
pub struct ClusterRouter {
    ring: OwnedRing,
    out: Vec<u8>,
}

fn refused(index: usize, fault: RouteFault, a: usize) -> Failure {
    Failure {
        code: FailureCode::InvalidDestination,
        index: index as i32,
        detail: [fault as u32, a as u32, 0, 0],
    }
}

fn route_failure(index: usize, e: RouteError) -> Failure {
    match e {
        RouteError::Syntax(SyntaxError::Empty) => refused(index, RouteFault::Empty, 0),
        RouteError::Syntax(SyntaxError::MissingPort) => refused(index, RouteFault::MissingPort, 0),
        RouteError::Syntax(SyntaxError::EmptyHost) => refused(index, RouteFault::EmptyHost, 0),
        RouteError::Syntax(_) => refused(index, RouteFault::UnclosedBracket, 0),
        RouteError::BadPort => refused(index, RouteFault::BadPort, 0),
        RouteError::Duplicate { index, first } => refused(index, RouteFault::Duplicate, first),
        RouteError::TooManyDestinations { max } => refused(index, RouteFault::TooMany, max),
        RouteError::BadReplication => refused(0, RouteFault::BadReplication, 0),
        // RouteError is non_exhaustive: a kind the core adds later reads as a malformed destination until
        // the package gives it a fault of its own.
        _ => refused(index, RouteFault::UnclosedBracket, 0),
    }
}

#[wasm_bindgen]
impl ClusterRouter {
    /// A ring over `destinations` (`HOST:PORT[:INSTANCE]`, one per line) with `hash` (0: carbon_ch,
    /// 1: fnv1a_ch, 2: jump_fnv1a_ch), or `undefined` with the reason in the last failure.
    pub fn create(
        destinations: String,
        hash: u8,
        replication: usize,
        diverse: bool,
    ) -> Option<ClusterRouter> {
        let hash = match hash {
            0 => HashType::CarbonCh,
            1 => HashType::Fnv1aCh,
            2 => HashType::JumpFnv1aCh,
            _ => return record_result(Err(refused(0, RouteFault::UnknownHash, 0))),
        };
        let ring = OwnedRing::try_new(destinations, |text| {
            let mut ring = Ring::new(hash)
                .with_replication(replication)
                .map_err(|e| route_failure(0, e))?
                .with_diverse_replicas(diverse);
            for (i, line) in text.split('\n').enumerate() {
                ring.add_str(line).map_err(|e| route_failure(i, e))?;
            }
            Ok::<_, Failure>(ring)
        });
        record_result(ring.map(|ring| ClusterRouter {
            ring,
            out: Vec::new(),
        }))
    }

    /// Destinations in the ring.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.ring.borrow_dependent().destinations().len()
    }

    /// Destinations per metric (the replication factor).
    #[wasm_bindgen(getter)]
    pub fn replication(&self) -> usize {
        self.ring.borrow_dependent().replication()
    }

    /// With fnv1a_ch, two destinations whose ring points coincide (the same instance name, or none):
    /// `(first + 1) * 256 + second + 1`, or 0 when there is no such pair.
    #[wasm_bindgen(js_name = fnv1aClash)]
    pub fn fnv1a_clash(&self) -> u32 {
        self.ring
            .borrow_dependent()
            .fnv1a_clash()
            .map_or(0, |(a, b)| (a as u32 + 1) * 256 + b as u32 + 1)
    }

    /// Routes the first `points` paths of the batch buffers (`text_len` bytes), each as `prefix.path`
    /// when a prefix is given. Returns where `points * replication` indices start in wasm memory (valid
    /// until the next call), or 0 with the reason in the last failure.
    pub fn route(&mut self, points: usize, text_len: usize, prefix: Option<String>) -> *const u8 {
        let b = batch::take();
        let ring = self.ring.borrow_dependent();
        let per = ring.replication();
        let out = &mut self.out;
        out.clear();
        out.resize(points * per, NONE);
        let r = b.paths(points, text_len).and_then(|paths| {
            for (slot, path) in out.chunks_exact_mut(per).zip(paths.iter()) {
                for (s, i) in slot
                    .iter_mut()
                    .zip(ring.route_prefixed(prefix.as_deref(), path?))
                {
                    *s = i as u8;
                }
            }
            Ok(())
        });
        batch::give_back(b);
        let ok = r.is_ok();
        record(r.err());
        if ok {
            self.out.as_ptr()
        } else {
            core::ptr::null()
        }
    }
}
