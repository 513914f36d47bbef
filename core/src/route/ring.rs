//! The sorted ring of carbon_ch and fnv1a_ch, in fixed storage: 100 points per destination.
//!
//! Carbon (since 1.0) adds destinations in configuration order and, for each, its points `i = 0..100` in
//! order; a point whose position is taken moves to the next free position, `+1` at a time, past 65535 if
//! need be (Python integers do not wrap). So the ring depends on the order of the configuration, and the
//! same insertion order is kept here. Each point is one `u32`: position (at most 65535 + 3200 after
//! bumps) in the upper 24 bits, destination index in the lower 8, which sorts like carbon's
//! `(position, node)` tuples because positions are unique. 32 destinations take 12.5 KiB.

/// Points per destination, fixed in carbon (`ConsistentHashRing(replica_count=100)`).
pub const REPLICAS: usize = 100;

#[derive(Debug, Clone)]
pub(super) struct Ring<const N: usize> {
    points: [[u32; REPLICAS]; N],
    len: usize,
}

impl<const N: usize> Ring<N> {
    pub(super) const fn new() -> Self {
        Ring {
            points: [[0; REPLICAS]; N],
            len: 0,
        }
    }

    fn points(&self) -> &[u32] {
        &self.points.as_flattened()[..self.len]
    }

    /// Adds a point of destination `node` at `pos`, or at the first free position after it. The caller
    /// adds at most `REPLICAS` points per destination and at most `N` destinations.
    pub(super) fn insert(&mut self, mut pos: u32, node: u8) {
        let len = self.len;
        let all = self.points.as_flattened_mut();
        let at = loop {
            match all[..len].binary_search_by_key(&pos, |p| p >> 8) {
                Ok(_) => pos += 1,
                Err(at) => break at,
            }
        };
        all.copy_within(at..len, at + 1);
        all[at] = pos << 8 | u32::from(node);
        self.len += 1;
    }

    /// Number of points.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Python's `bisect_left(ring, (pos, ()))`, wrapped to the ring's length: the first point at or after
    /// `pos`. The ring must not be empty.
    pub(super) fn start(&self, pos: u32) -> usize {
        self.points().partition_point(|p| p >> 8 < pos) % self.len
    }

    /// The destination of the point at `index`.
    pub(super) fn node(&self, index: usize) -> usize {
        (self.points()[index] & 0xff) as usize
    }

    /// The position of the point at `index` (bumps included).
    #[cfg(test)]
    pub(super) fn pos(&self, index: usize) -> u32 {
        self.points()[index] >> 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_move_up_past_65535() {
        let mut ring: Ring<2> = Ring::new();
        ring.insert(65535, 0);
        ring.insert(65535, 1);
        ring.insert(65535, 1);
        ring.insert(3, 0);
        assert_eq!(ring.len(), 4);
        let got: [(u32, usize); 4] = core::array::from_fn(|i| (ring.pos(i), ring.node(i)));
        assert_eq!(got, [(3, 0), (65535, 0), (65536, 1), (65537, 1)]);
        assert_eq!(ring.start(0), 0);
        assert_eq!(ring.start(4), 1);
        assert_eq!(ring.start(65535), 1);
        // Past every point: wraps to the first (metric positions are at most 65535, but still).
        assert_eq!(ring.start(70000), 0);
    }
}
