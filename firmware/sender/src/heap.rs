//! The tokio sender's queue storage: a heap ring bounded in datapoints *and* bytes.
//!
//! A service's queue must survive a receiver that is down for minutes without taking the process's memory
//! with it, and paths differ in length by a factor of ten or more, so a bound in datapoints alone says little
//! about memory. A datapoint costs its `Sample` (path pointer, timestamp, value) plus its path's bytes.
//! The queue's rules (what is written, confirmed, resent) are `queue.rs`'s, over this store.

use std::boxed::Box;
use std::collections::VecDeque;

use crate::queue::{Sample, Store};

/// The samples of one destination, on the heap.
#[derive(Debug)]
pub(crate) struct HeapStore {
    items: VecDeque<Sample<Box<str>>>,
    max_points: usize,
    max_bytes: usize,
    bytes: usize,
}

/// What one sample costs in the byte bound.
pub(crate) fn cost(path_len: usize) -> usize {
    core::mem::size_of::<Sample<Box<str>>>() + path_len
}

impl HeapStore {
    pub(crate) fn new(max_points: usize, max_bytes: usize) -> Self {
        HeapStore {
            items: VecDeque::new(),
            max_points,
            max_bytes,
            bytes: 0,
        }
    }

    /// Would a sample with a path of `path_len` bytes fit now?
    pub(crate) fn has_room(&self, path_len: usize) -> bool {
        self.items.len() < self.max_points && self.bytes + cost(path_len) <= self.max_bytes
    }

    /// Bytes held (by the byte bound's measure).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Store<Sample<Box<str>>> for HeapStore {
    fn len(&self) -> usize {
        self.items.len()
    }
    fn push_back(&mut self, item: Sample<Box<str>>) -> Result<(), Sample<Box<str>>> {
        if !self.has_room(item.path.len()) {
            return Err(item);
        }
        self.bytes += cost(item.path.len());
        self.items.push_back(item);
        Ok(())
    }
    fn pop_front(&mut self) -> Option<Sample<Box<str>>> {
        let item = self.items.pop_front()?;
        self.bytes -= cost(item.path.len());
        Some(item)
    }
    fn as_slices(&self) -> (&[Sample<Box<str>>], &[Sample<Box<str>>]) {
        self.items.as_slices()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(path: &str) -> Sample<Box<str>> {
        Sample {
            path: path.into(),
            timestamp: 1,
            value: 1.0,
        }
    }

    #[test]
    fn bounded_in_points_and_bytes() {
        let mut by_points = HeapStore::new(2, usize::MAX);
        assert!(by_points.push_back(sample("a")).is_ok());
        assert!(by_points.push_back(sample("b")).is_ok());
        assert!(by_points.push_back(sample("c")).is_err());
        let mut by_bytes = HeapStore::new(100, cost(10) + cost(5));
        assert!(by_bytes.push_back(sample("0123456789")).is_ok());
        assert!(
            by_bytes.push_back(sample("012345")).is_err(),
            "one byte over"
        );
        assert!(by_bytes.push_back(sample("01234")).is_ok());
        assert_eq!(by_bytes.bytes(), cost(10) + cost(5));
        by_bytes.pop_front();
        assert_eq!(by_bytes.bytes(), cost(5));
    }
}
