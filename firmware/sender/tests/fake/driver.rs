//! The two senders behind one harness, so that each scripted case (`scripted.rs`) is written once and run
//! against both: the blocking `Sender`, polled once per fake millisecond (`BlockingDriver`, here), and the
//! async `AsyncSender`, whose `run` future is polled once per fake millisecond (`AsyncDriver`, in
//! `nal_async.rs`). Both meet the same script, byte limits and timing.
//!
//! A case is generic over a [`Flavor`] (which sender) and picks the queue's capacity itself
//! (`F::new::<16>(script)`); where the two senders are documented to differ, the flavour says how.

use std::ops::{Deref, DerefMut};

use carbon_sender::{Failure, LinkState, PushError, Sender, Stats};

use super::{config, FakeStack, Plan, T0};

/// A sender with room for `N` datapoints (any flavour), the scripted fake stack it talks to and the time.
pub trait Driver: Sized {
    fn new(script: impl IntoIterator<Item = Plan>) -> Self;
    fn push(&mut self, path: &'static str, timestamp: u32, value: f64) -> Result<(), PushError>;
    /// Lets the sender work every millisecond from `from` to `to` (exclusive), moving the stack's time (and
    /// the clock's) first; returns the time reached.
    fn run(&mut self, from: u64, to: u64) -> u64;
    fn stats(&self) -> Stats;
    fn link_state(&self) -> LinkState;
    fn last_failure(&self) -> Option<Failure>;
    fn is_flushed(&self) -> bool;
    /// What the stack has seen (connections, bytes); not to be held across [`run`](Self::run).
    fn stack(&self) -> impl Deref<Target = FakeStack> + '_;
    fn stack_mut(&mut self) -> impl DerefMut<Target = FakeStack> + '_;

    /// Pushes datapoints `from..from + n`: path "t", timestamp `T0 + i`, value `i + 0.5`.
    fn push_n(&mut self, from: u32, n: u32) {
        for i in from..from + n {
            self.push("t", T0 + i, f64::from(i) + 0.5).unwrap();
        }
    }
}

/// Which sender a case runs against, and what the case should expect where the two differ.
pub trait Flavor {
    type Driver<const N: usize>: Driver;

    /// Milliseconds between the write after which the peer closes and the sender seeing the close: the
    /// blocking sender reads on its next poll (1), the async one reads right after writing (0).
    const CLOSE_SEEN_AFTER_MS: u64;
    /// What a reset met part-way through a frame counts as: the blocking sender's next write fails
    /// (`Send`); the async sender's read right after the partial write sees it first (`PeerClosed`).
    const RESET_MID_FRAME: Failure;

    fn new<const N: usize>(script: impl IntoIterator<Item = Plan>) -> Self::Driver<N> {
        Self::Driver::<N>::new(script)
    }
}

// ---------------------------------------------------------------------------------------------------------
// The blocking sender: `poll` once per millisecond.

pub enum Blocking {}

impl Flavor for Blocking {
    type Driver<const N: usize> = BlockingDriver<N>;
    const CLOSE_SEEN_AFTER_MS: u64 = 1;
    const RESET_MID_FRAME: Failure = Failure::Send;
}

pub struct BlockingDriver<const N: usize> {
    sender: Sender<'static, FakeStack, &'static str, N>,
    stack: FakeStack,
}

impl<const N: usize> Driver for BlockingDriver<N> {
    fn new(script: impl IntoIterator<Item = Plan>) -> Self {
        BlockingDriver {
            sender: Sender::new(config()).unwrap(),
            stack: FakeStack::new(script),
        }
    }

    fn push(&mut self, path: &'static str, timestamp: u32, value: f64) -> Result<(), PushError> {
        self.sender.push(path, timestamp, value)
    }

    fn run(&mut self, from: u64, to: u64) -> u64 {
        for now in from..to {
            self.stack.tick(now);
            self.sender.poll(&mut self.stack, now);
        }
        to
    }

    fn stats(&self) -> Stats {
        self.sender.stats()
    }

    fn link_state(&self) -> LinkState {
        self.sender.link_state()
    }

    fn last_failure(&self) -> Option<Failure> {
        self.sender.last_failure()
    }

    fn is_flushed(&self) -> bool {
        self.sender.is_flushed()
    }

    fn stack(&self) -> impl Deref<Target = FakeStack> + '_ {
        &self.stack
    }

    fn stack_mut(&mut self) -> impl DerefMut<Target = FakeStack> + '_ {
        &mut self.stack
    }
}
