//! The bounded queue of datapoints waiting to be delivered.
//!
//! Datapoints stay in the queue until they are delivered, not merely handed to the socket: the front of the
//! queue holds the datapoints already written on the current connection (`written`), the rest waits for a
//! frame. A broken connection rewinds `written` to zero, so those datapoints go out again on the next
//! connection. Frames are encoded straight from the queue's storage, so a datapoint is stored exactly once.

use core::marker::PhantomData;

use carbon_pickle::Datapoint;
use heapless::Deque;

/// One queued datapoint: a path, whole seconds since the Unix epoch, and a value.
///
/// `P` is anything that gives a `&str`: `&'static str` for a fixed set of metrics (8 bytes on a 32-bit
/// MCU) or a `heapless::String<N>` for paths built at run time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<P> {
    /// The metric path (the sender's prefix, if any, is put in front of it on the wire).
    pub path: P,
    /// Seconds since the Unix epoch.
    pub timestamp: u32,
    /// The value.
    pub value: f64,
}

impl<P: AsRef<str>> Sample<P> {
    /// The sample as the encoder's datapoint.
    pub fn datapoint(&self) -> Datapoint<'_> {
        Datapoint::new(self.path.as_ref(), self.timestamp, self.value)
    }
}

/// Where a [`Queue`] keeps its samples, oldest first: a heapless ring of `N` (the blocking and the async
/// sender, no heap) or a heap ring bounded in samples and bytes (the tokio sender, `heap.rs`). The queue's
/// rules are written once over this.
pub(crate) trait Store<T> {
    /// Samples held.
    fn len(&self) -> usize;
    /// Appends `item`, or gives it back when the store is full.
    fn push_back(&mut self, item: T) -> Result<(), T>;
    /// Removes the oldest sample.
    fn pop_front(&mut self) -> Option<T>;
    /// The samples, oldest first, in (at most) two runs.
    fn as_slices(&self) -> (&[T], &[T]);
}

impl<T, const N: usize> Store<T> for Deque<T, N> {
    fn len(&self) -> usize {
        Deque::len(self)
    }
    fn push_back(&mut self, item: T) -> Result<(), T> {
        Deque::push_back(self, item)
    }
    fn pop_front(&mut self) -> Option<T> {
        Deque::pop_front(self)
    }
    fn as_slices(&self) -> (&[T], &[T]) {
        Deque::as_slices(self)
    }
}

/// A queue of samples with a written-but-unconfirmed prefix, over a [`Store`] (by default a heapless ring
/// of `N`).
pub(crate) struct Queue<P, const N: usize, S = Deque<Sample<P>, N>> {
    items: S,
    path: PhantomData<P>,
    written: usize,
    /// Samples that ever left the queue (wrapping): the number of the one at the front, which names it for
    /// as long as it stays there (the poison-frame rule remembers a frame by it).
    removed: u32,
}

impl<P: AsRef<str>, const N: usize> Queue<P, N> {
    pub(crate) const fn new() -> Self {
        Queue {
            items: Deque::new(),
            written: 0,
            removed: 0,
            path: PhantomData,
        }
    }
}

impl<P: AsRef<str>, const N: usize, S: Store<Sample<P>>> Queue<P, N, S> {
    /// A queue over `store` (empty).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn with_store(store: S) -> Self {
        Queue {
            items: store,
            written: 0,
            removed: 0,
            path: PhantomData,
        }
    }

    /// The store.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn store(&self) -> &S {
        &self.items
    }

    /// The number of the sample at the front: it changes only when samples leave the queue.
    pub(crate) fn front_seq(&self) -> u32 {
        self.removed
    }

    /// Everything queued, written or not.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Samples written on the current connection and not yet confirmed.
    pub(crate) fn written(&self) -> usize {
        self.written
    }

    /// Samples not yet written on the current connection.
    pub(crate) fn unwritten(&self) -> usize {
        self.items.len() - self.written
    }

    /// Appends a sample; gives it back when the queue is full.
    pub(crate) fn push(&mut self, sample: Sample<P>) -> Result<(), Sample<P>> {
        self.items.push_back(sample)
    }

    /// `count` samples starting `skip` samples after the written ones, as datapoints. The iterator is cheap
    /// to clone (two slice iterators), which [`carbon_pickle::write_frame`] needs for its measuring pass.
    pub(crate) fn unwritten_points(
        &self,
        skip: usize,
        count: usize,
    ) -> impl Iterator<Item = Datapoint<'_>> + Clone {
        let start = (self.written + skip).min(self.items.len());
        let end = start.saturating_add(count).min(self.items.len());
        let (a, b) = self.items.as_slices();
        let a_range = start.min(a.len())..end.min(a.len());
        let b_range = start.saturating_sub(a.len())..end.saturating_sub(a.len());
        // `get`, not indexing: the ranges are in bounds by construction, and no panic path is linked.
        let a = a.get(a_range).unwrap_or_default();
        let b = b.get(b_range).unwrap_or_default();
        a.iter().chain(b.iter()).map(Sample::datapoint)
    }

    /// Marks the next `count` unwritten samples as written.
    pub(crate) fn mark_written(&mut self, count: usize) {
        self.written = (self.written + count).min(self.items.len());
    }

    /// Removes the oldest `count` written samples (they were delivered); returns how many.
    pub(crate) fn release_written(&mut self, count: usize) -> usize {
        self.remove_front(count.min(self.written))
    }

    /// Removes the oldest `count` samples, written or not (a poison frame, after a rewind); returns how many.
    pub(crate) fn remove_front(&mut self, count: usize) -> usize {
        let n = count.min(self.items.len());
        for _ in 0..n {
            self.items.pop_front();
        }
        self.written = self.written.saturating_sub(n);
        self.removed = self.removed.wrapping_add(n as u32);
        n
    }

    /// Forgets that samples were written (the connection broke); returns how many will go out again.
    pub(crate) fn rewind(&mut self) -> usize {
        core::mem::take(&mut self.written)
    }

    /// Removes `count` unwritten samples right after the written ones (a frame the encoder refused).
    pub(crate) fn discard_unwritten(&mut self, count: usize) {
        // Rare path: rotate the written samples out of the way.
        let count = count.min(self.unwritten());
        for _ in 0..self.written {
            if let Some(s) = self.items.pop_front() {
                let _ = self.items.push_back(s);
            }
        }
        for _ in 0..count {
            self.items.pop_front();
        }
        self.removed = self.removed.wrapping_add(count as u32);
        let keep = self.items.len() - self.written;
        for _ in 0..keep {
            if let Some(s) = self.items.pop_front() {
                let _ = self.items.push_back(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(i: u32) -> Sample<&'static str> {
        Sample {
            path: "a.b",
            timestamp: i,
            value: i as f64,
        }
    }

    fn ts<'a>(it: impl Iterator<Item = Datapoint<'a>>) -> Vec<f64> {
        it.map(|d| d.timestamp).collect()
    }

    #[test]
    fn ranges_span_the_ring_wrap() {
        let mut q: Queue<&str, 4> = Queue::new();
        for i in 0..4 {
            q.push(s(i)).unwrap();
        }
        assert!(q.push(s(9)).is_err());
        q.mark_written(2);
        assert_eq!(q.release_written(5), 2);
        q.push(s(4)).unwrap();
        q.push(s(5)).unwrap(); // storage now wraps around
        assert_eq!(ts(q.unwritten_points(0, 10)), [2.0, 3.0, 4.0, 5.0]);
        assert_eq!(ts(q.unwritten_points(1, 2)), [3.0, 4.0]);
        q.mark_written(3);
        assert_eq!(ts(q.unwritten_points(0, 10)), [5.0]);
        assert_eq!(q.rewind(), 3);
        assert_eq!(q.unwritten(), 4);
    }

    #[test]
    fn discard_keeps_written_and_order() {
        let mut q: Queue<&str, 8> = Queue::new();
        for i in 0..6 {
            q.push(s(i)).unwrap();
        }
        q.mark_written(2);
        q.discard_unwritten(2);
        assert_eq!(q.written(), 2);
        assert_eq!(q.len(), 4);
        q.rewind();
        assert_eq!(ts(q.unwritten_points(0, 10)), [0.0, 1.0, 4.0, 5.0]);
    }
}
