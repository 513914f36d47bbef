//! The async sender against the same scripted fake stack as the blocking sender (`scripted.rs`): the same
//! twelve cases, the fake reached through embedded-nal-async (`fake/nal_async.rs`), the sender's future
//! polled once per fake millisecond.
//!
//! Where the figures differ from the blocking sender's, it is because the async sender looks at the
//! connection again right after writing, not on the next poll: a close right after a frame is seen in the
//! same millisecond, and a reset seen by the read reports `PeerClosed` rather than `Send`.

mod fake;

use std::pin::{pin, Pin};

use carbon_sender::{AsyncSender, Failure, LinkState, PushError};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use fake::nal_async::{run_ms, AsyncFake, FakeClock};
use fake::*;

type TestSender<const N: usize> = AsyncSender<'static, NoopRawMutex, &'static str, N>;

/// A sender, the fake stack behind embedded-nal-async, and the fake clock.
struct Rig<const N: usize> {
    sender: TestSender<N>,
    stack: AsyncFake,
    clock: FakeClock,
}

impl<const N: usize> Rig<N> {
    fn new(script: impl IntoIterator<Item = Plan>) -> Self {
        Rig {
            sender: AsyncSender::new(config()).unwrap(),
            stack: AsyncFake(FakeStack::new(script).into()),
            clock: FakeClock::default(),
        }
    }

    fn push_n(&self, from: u32, n: u32) {
        for i in from..from + n {
            self.sender.push("t", T0 + i, f64::from(i) + 0.5).unwrap();
        }
    }

    fn run<F: std::future::Future<Output = ()>>(
        &self,
        fut: &mut Pin<&mut F>,
        from: u64,
        to: u64,
    ) -> u64 {
        run_ms(fut, &self.stack, &self.clock, from, to)
    }

    fn stack(&self) -> std::cell::Ref<'_, FakeStack> {
        self.stack.0.borrow()
    }
}

#[test]
fn frames_are_exactly_the_core_encoding_and_split_by_max_points() {
    let rig = Rig::<16>::new([Plan::Accept(OPEN)]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 10);
    rig.run(&mut fut, 0, 1);
    let (got, partial) = frames(&rig.stack().records[0].bytes);
    assert_eq!(partial, 0);
    assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    let dps: Vec<_> = (0..10u32)
        .map(|i| carbon_pickle::Datapoint::new("t", T0 + i, f64::from(i) + 0.5))
        .collect();
    let want = carbon_pickle::to_vec(&dps, &config().options).unwrap();
    assert_eq!(rig.stack().records[0].bytes, want);
    assert_eq!(rig.sender.stats().unconfirmed, 10);
    assert_eq!(rig.sender.stats().delivered, 0);
    rig.run(&mut fut, 1, 101);
    let st = rig.sender.stats();
    assert_eq!(
        (st.queued, st.delivered, st.frames, st.bytes),
        (0, 10, 3, want.len() as u32)
    );
    assert!(rig.sender.is_flushed());
}

#[test]
fn a_socket_taking_a_few_bytes_at_a_time_gets_the_same_bytes() {
    let slow = Conn {
        chunk: 3,
        per_tick: Some(7),
        ..OPEN
    };
    let rig = Rig::<16>::new([Plan::Accept(slow)]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 6);
    let mut now = 0;
    while !rig.sender.is_flushed() {
        now = rig.run(&mut fut, now, now + 1);
        assert!(now < 1_000);
    }
    assert_eq!(stored(&rig.stack()), expected(0..6));
    assert_eq!(rig.stack().records.len(), 1);
    assert_eq!(rig.sender.stats().failures, 0);
}

#[test]
fn refused_connections_back_off_exponentially_then_deliver_everything_once() {
    let rig = Rig::<16>::new([
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Accept(OPEN),
    ]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 3);
    rig.run(&mut fut, 0, 2_000);
    assert_eq!(rig.stack().connect_attempts, [0, 50, 150, 350, 750, 1_150]);
    assert_eq!(stored(&rig.stack()), expected(0..3));
    let st = rig.sender.stats();
    assert_eq!(
        (st.failures, st.connects, st.delivered, st.resent),
        (5, 1, 3, 0)
    );
    assert_eq!(rig.sender.last_failure(), Some(Failure::Connect));
}

#[test]
fn nothing_queued_means_no_connection() {
    let rig = Rig::<4>::new([Plan::Accept(OPEN)]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.run(&mut fut, 0, 500);
    assert!(rig.stack().connect_attempts.is_empty());
    assert_eq!(rig.sender.link_state(), LinkState::Idle);
}

#[test]
fn connect_timeout_counts_as_a_failure() {
    let rig = Rig::<4>::new([
        Plan::Hang,
        Plan::Accept(Conn {
            delay_polls: 3,
            ..OPEN
        }),
    ]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 1);
    rig.run(&mut fut, 0, 999);
    assert_eq!(rig.sender.link_state(), LinkState::Connecting);
    rig.run(&mut fut, 999, 1_001);
    assert_eq!(rig.sender.last_failure(), Some(Failure::ConnectTimeout));
    assert_eq!(
        rig.sender.link_state(),
        LinkState::BackingOff { until_ms: 1_050 }
    );
    rig.run(&mut fut, 1_001, 1_200);
    assert_eq!(rig.stack().connect_attempts, [0, 1_050]);
    assert!(rig.sender.is_flushed());
    assert_eq!(stored(&rig.stack()), expected(0..1));
}

#[test]
fn a_frame_cut_mid_way_is_sent_again_whole_and_nothing_is_lost() {
    // Frames of 4 points, 118 bytes; the first connection resets 40 bytes into the second frame.
    let rig = Rig::<16>::new([
        Plan::Accept(Conn {
            reset_after: Some(118 + 40),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 8);
    rig.run(&mut fut, 0, 1_000);
    let (first, partial) = frames(&rig.stack().records[0].bytes);
    assert_eq!((first.len(), partial), (1, 40));
    assert_eq!(first[0], expected(0..4));
    let (second, partial) = frames(&rig.stack().records[1].bytes);
    assert_eq!(partial, 0);
    assert_eq!(second.concat(), expected(0..8));
    // The read right after the partial write sees the reset.
    assert_eq!(rig.sender.last_failure(), Some(Failure::PeerClosed));
    let st = rig.sender.stats();
    assert_eq!(
        (st.delivered, st.resent, st.failures, st.queued),
        (8, 4, 1, 0)
    );
}

#[test]
fn peer_close_before_confirmation_resends_after_confirmation_does_not() {
    let rig = Rig::<16>::new([
        Plan::Accept(Conn {
            fin_after: Some(91),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 3);
    rig.run(&mut fut, 0, 10);
    assert_eq!(rig.sender.last_failure(), Some(Failure::PeerClosed));
    assert!(rig.stack().records[0].closed_by_us);
    assert_eq!(rig.sender.stats().resent, 3);
    rig.run(&mut fut, 10, 300);
    assert_eq!(rig.sender.stats().delivered, 3);
    rig.push_n(3, 2);
    rig.run(&mut fut, 300, 500);
    assert_eq!(
        frames(&rig.stack().records[0].bytes).0.concat(),
        expected(0..3)
    );
    assert_eq!(
        frames(&rig.stack().records[1].bytes).0.concat(),
        expected(0..5)
    );
    assert_eq!(rig.stack().records.len(), 2);
    assert_eq!(rig.sender.stats().resent, 3);
}

#[test]
fn queue_bound_drops_new_points_and_counts_them() {
    let rig = Rig::<4>::new([Plan::Refuse; 8]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 4);
    assert_eq!(rig.sender.push("t", T0 + 4, 4.5), Err(PushError::QueueFull));
    assert_eq!(rig.sender.push("t", T0 + 5, 5.5), Err(PushError::QueueFull));
    rig.run(&mut fut, 0, 300);
    let st = rig.sender.stats();
    assert_eq!((st.accepted, st.dropped, st.queued), (4, 2, 4));
    {
        let mut stack = rig.stack.0.borrow_mut();
        stack.script.push_back(Plan::Accept(OPEN));
        stack.script.retain(|p| matches!(p, Plan::Accept(_)));
    }
    rig.run(&mut fut, 300, 2_000);
    assert_eq!(stored(&rig.stack()), expected(0..4));
    assert!(rig.sender.is_flushed());
}

#[test]
fn invalid_points_are_rejected_up_front() {
    let rig = Rig::<4>::new([]);
    let s = &rig.sender;
    assert!(matches!(
        s.push("t", T0, f64::NAN),
        Err(PushError::Invalid(_))
    ));
    assert!(matches!(
        s.push("a..b", T0, 1.0),
        Err(PushError::Invalid(_))
    ));
    assert!(matches!(
        s.push("has space", T0, 1.0),
        Err(PushError::Invalid(_))
    ));
    assert_eq!(s.stats().rejected, 3);
    assert_eq!(s.stats().queued, 0);
}

#[test]
fn a_stalled_connection_is_abandoned_and_the_frame_resent() {
    let stuck = Conn {
        per_tick: Some(0),
        ..OPEN
    };
    let rig = Rig::<8>::new([Plan::Accept(stuck), Plan::Accept(OPEN)]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 2);
    rig.run(&mut fut, 0, 2_000);
    assert_eq!(rig.sender.link_state(), LinkState::Connected);
    rig.run(&mut fut, 2_000, 2_001);
    assert_eq!(
        rig.sender.link_state(),
        LinkState::BackingOff { until_ms: 2_050 }
    );
    assert_eq!(rig.sender.last_failure(), Some(Failure::Stalled));
    rig.run(&mut fut, 2_001, 2_300);
    assert_eq!(stored(&rig.stack()), expected(0..2));
}

#[test]
fn backoff_starts_over_after_a_delivery() {
    let fin = |n| {
        Plan::Accept(Conn {
            fin_after: Some(n),
            ..OPEN
        })
    };
    let rig = Rig::<8>::new([
        fin(37),
        fin(37),
        Plan::Accept(Conn {
            fin_after: Some(37 * 2),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 1);
    rig.run(&mut fut, 0, 400);
    // A close is seen right after the write, in the same millisecond.
    assert_eq!(rig.stack().connect_attempts, [0, 50, 150]);
    assert_eq!(rig.sender.stats().delivered, 1);
    rig.push_n(1, 1);
    rig.run(&mut fut, 400, 402);
    assert_eq!(rig.sender.last_failure(), Some(Failure::PeerClosed));
    rig.run(&mut fut, 402, 800);
    // Reset to the initial 50 ms after the delivery.
    assert_eq!(rig.stack().connect_attempts, [0, 50, 150, 450]);
    assert_eq!(
        stored(&rig.stack()),
        [
            expected(0..1),
            expected(0..1),
            expected(0..2),
            expected(1..2)
        ]
        .concat()
    );
    assert!(rig.sender.is_flushed());
}

#[test]
fn frames_are_confirmed_one_by_one_under_a_steady_stream() {
    let rig = Rig::<8>::new([Plan::Accept(OPEN)]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    let mut max_queued = 0;
    for i in 0..40u32 {
        rig.push_n(i, 1);
        rig.run(&mut fut, u64::from(i) * 30, u64::from(i + 1) * 30);
        max_queued = max_queued.max(rig.sender.stats().queued);
    }
    rig.run(&mut fut, 1_200, 1_400);
    let st = rig.sender.stats();
    assert_eq!(
        (st.dropped, st.delivered, st.frames, st.queued),
        (0, 40, 40, 0)
    );
    assert!(max_queued <= 5, "{max_queued}");
    assert_eq!(stored(&rig.stack()), expected(0..40));
}

#[test]
fn shutdown_closes_the_connection_and_keeps_unconfirmed_points() {
    let rig = Rig::<8>::new([Plan::Accept(OPEN)]);
    let mut fut = pin!(rig.sender.run(&rig.stack, &rig.clock));
    rig.push_n(0, 2);
    rig.run(&mut fut, 0, 10);
    assert_eq!(rig.sender.stats().unconfirmed, 2);
    rig.sender.shutdown();
    // `run` returns on the next poll.
    assert_eq!(rig.run(&mut fut, 10, 20), 11);
    assert!(rig.stack().records[0].closed_by_us);
    let st = rig.sender.stats();
    assert_eq!((st.queued, st.unconfirmed, st.delivered), (2, 0, 0));
    assert_eq!(rig.sender.link_state(), LinkState::Idle);
}
