//! The sender's queue, framing and reconnect rules against a scripted fake TCP stack.
//!
//! These complement the real runs (QEMU + smoltcp and std-embedded-nal against carbon): here every failure
//! is placed exactly, at a byte or a millisecond, and what reached the "receiver" is decoded and compared.

mod fake;

use carbon_sender::{Failure, LinkState, PushError, Sender};
use fake::*;

type TestSender<const N: usize> = Sender<'static, FakeStack, &'static str, N>;

fn sender<const N: usize>() -> TestSender<N> {
    Sender::new(config()).unwrap()
}

fn push_n<const N: usize>(s: &mut TestSender<N>, from: u32, n: u32) {
    for i in from..from + n {
        s.push("t", T0 + i, f64::from(i) + 0.5).unwrap();
    }
}

/// Polls every millisecond from `from` to `to` (exclusive); returns the time reached.
fn run<const N: usize>(s: &mut TestSender<N>, stack: &mut FakeStack, from: u64, to: u64) -> u64 {
    for now in from..to {
        stack.tick(now);
        s.poll(stack, now);
    }
    to
}

// ---------------------------------------------------------------------------------------------------------
// Tests

#[test]
fn frames_are_exactly_the_core_encoding_and_split_by_max_points() {
    let mut stack = FakeStack::new([Plan::Accept(OPEN)]);
    let mut s = sender::<16>();
    push_n(&mut s, 0, 10);
    run(&mut s, &mut stack, 0, 1);
    let (got, partial) = frames(&stack.records[0].bytes);
    assert_eq!(partial, 0);
    assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    // Byte for byte what carbon_pickle::to_vec makes of the same datapoints.
    let dps: Vec<_> = (0..10u32)
        .map(|i| carbon_pickle::Datapoint::new("t", T0 + i, f64::from(i) + 0.5))
        .collect();
    let want = carbon_pickle::to_vec(&dps, &config().options).unwrap();
    assert_eq!(stack.records[0].bytes, want);
    // Written, not yet confirmed.
    assert_eq!(s.stats().unconfirmed, 10);
    assert_eq!(s.stats().delivered, 0);
    run(&mut s, &mut stack, 1, 101);
    let st = s.stats();
    assert_eq!(
        (st.queued, st.delivered, st.frames, st.bytes),
        (0, 10, 3, want.len() as u32)
    );
    assert!(s.is_flushed());
}

#[test]
fn a_socket_taking_a_few_bytes_at_a_time_gets_the_same_bytes() {
    let slow = Conn {
        chunk: 3,
        per_tick: Some(7),
        ..OPEN
    };
    let mut stack = FakeStack::new([Plan::Accept(slow)]);
    let mut s = sender::<16>();
    push_n(&mut s, 0, 6);
    let mut now = 0;
    while !s.is_flushed() {
        now = run(&mut s, &mut stack, now, now + 1);
        assert!(now < 1_000);
    }
    assert_eq!(stored(&stack), expected(0..6));
    assert_eq!(stack.records.len(), 1);
    assert_eq!(s.stats().failures, 0);
}

#[test]
fn refused_connections_back_off_exponentially_then_deliver_everything_once() {
    let mut stack = FakeStack::new([
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Accept(OPEN),
    ]);
    let mut s = sender::<16>();
    push_n(&mut s, 0, 3);
    run(&mut s, &mut stack, 0, 2_000);
    // 50, 100, 200, 400, then capped at 400.
    assert_eq!(stack.connect_attempts, [0, 50, 150, 350, 750, 1_150]);
    assert_eq!(stored(&stack), expected(0..3));
    let st = s.stats();
    assert_eq!(
        (st.failures, st.connects, st.delivered, st.resent),
        (5, 1, 3, 0)
    );
    assert_eq!(s.last_failure(), Some(Failure::Connect));
}

#[test]
fn nothing_queued_means_no_connection() {
    let mut stack = FakeStack::new([Plan::Accept(OPEN)]);
    let mut s = sender::<4>();
    run(&mut s, &mut stack, 0, 500);
    assert!(stack.connect_attempts.is_empty());
    assert_eq!(s.link_state(), LinkState::Idle);
}

#[test]
fn connect_timeout_counts_as_a_failure() {
    let mut stack = FakeStack::new([
        Plan::Hang,
        Plan::Accept(Conn {
            delay_polls: 3,
            ..OPEN
        }),
    ]);
    let mut s = sender::<4>();
    push_n(&mut s, 0, 1);
    run(&mut s, &mut stack, 0, 999);
    assert_eq!(s.link_state(), LinkState::Connecting);
    run(&mut s, &mut stack, 999, 1_001);
    assert_eq!(s.last_failure(), Some(Failure::ConnectTimeout));
    assert_eq!(s.link_state(), LinkState::BackingOff { until_ms: 1_050 });
    run(&mut s, &mut stack, 1_001, 1_200);
    assert_eq!(stack.connect_attempts, [0, 1_050]);
    assert!(s.is_flushed());
    assert_eq!(stored(&stack), expected(0..1));
}

#[test]
fn a_frame_cut_mid_way_is_sent_again_whole_and_nothing_is_lost() {
    // Frames of 4 points: 10 + 4 * 27 = 118 bytes (27 per "node.t" datapoint). The first connection resets
    // 40 bytes into the second frame; the second connection takes everything.
    let mut stack = FakeStack::new([
        Plan::Accept(Conn {
            reset_after: Some(118 + 40),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    let mut s = sender::<16>();
    push_n(&mut s, 0, 8);
    run(&mut s, &mut stack, 0, 1_000);
    let (first, partial) = frames(&stack.records[0].bytes);
    assert_eq!((first.len(), partial), (1, 40));
    assert_eq!(first[0], expected(0..4));
    let (second, partial) = frames(&stack.records[1].bytes);
    assert_eq!(partial, 0);
    // Everything from the first connection went out again, whole: the complete first frame is the only
    // duplicate, as documented (written less than confirm_ms before the connection broke).
    assert_eq!(second.concat(), expected(0..8));
    assert_eq!(s.last_failure(), Some(Failure::Send));
    let st = s.stats();
    assert_eq!(
        (st.delivered, st.resent, st.failures, st.queued),
        (8, 4, 1, 0)
    );
}

#[test]
fn peer_close_before_confirmation_resends_after_confirmation_does_not() {
    // Connection 1: the peer closes right after the first frame (3 points: 10 + 3 * 27 = 91 bytes).
    // Connection 2: stays open; its frame is confirmed; later pushes go out on it.
    let mut stack = FakeStack::new([
        Plan::Accept(Conn {
            fin_after: Some(91),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    let mut s = sender::<16>();
    push_n(&mut s, 0, 3);
    run(&mut s, &mut stack, 0, 10);
    assert_eq!(s.last_failure(), Some(Failure::PeerClosed));
    assert!(stack.records[0].closed_by_us);
    assert_eq!(s.stats().resent, 3);
    run(&mut s, &mut stack, 10, 300);
    assert_eq!(s.stats().delivered, 3);
    push_n(&mut s, 3, 2);
    run(&mut s, &mut stack, 300, 500);
    assert_eq!(frames(&stack.records[0].bytes).0.concat(), expected(0..3));
    assert_eq!(frames(&stack.records[1].bytes).0.concat(), expected(0..5));
    assert_eq!(stack.records.len(), 2);
    assert_eq!(s.stats().resent, 3);
}

#[test]
fn queue_bound_drops_new_points_and_counts_them() {
    let mut stack = FakeStack::new([Plan::Refuse; 8]);
    let mut s = sender::<4>();
    push_n(&mut s, 0, 4);
    assert_eq!(s.push("t", T0 + 4, 4.5), Err(PushError::QueueFull));
    assert_eq!(s.push("t", T0 + 5, 5.5), Err(PushError::QueueFull));
    run(&mut s, &mut stack, 0, 300);
    let st = s.stats();
    assert_eq!((st.accepted, st.dropped, st.queued), (4, 2, 4));
    // The receiver comes back: the four oldest arrive, the dropped ones never do.
    stack.script.push_back(Plan::Accept(OPEN));
    stack.script.retain(|p| matches!(p, Plan::Accept(_)));
    run(&mut s, &mut stack, 300, 2_000);
    assert_eq!(stored(&stack), expected(0..4));
    assert!(s.is_flushed());
}

#[test]
fn invalid_points_are_rejected_up_front() {
    let mut s = sender::<4>();
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
    let mut stack = FakeStack::new([Plan::Accept(stuck), Plan::Accept(OPEN)]);
    let mut s = sender::<8>();
    push_n(&mut s, 0, 2);
    run(&mut s, &mut stack, 0, 2_000);
    assert_eq!(s.link_state(), LinkState::Connected);
    run(&mut s, &mut stack, 2_000, 2_001);
    assert_eq!(s.link_state(), LinkState::BackingOff { until_ms: 2_050 });
    assert_eq!(s.last_failure(), Some(Failure::Stalled));
    run(&mut s, &mut stack, 2_001, 2_300);
    assert_eq!(stored(&stack), expected(0..2));
}

#[test]
fn backoff_starts_over_after_a_delivery() {
    let fin = |n| {
        Plan::Accept(Conn {
            fin_after: Some(n),
            ..OPEN
        })
    };
    // Two closes right after the first frame (not confirmed: delay grows), then a good connection that
    // confirms and later dies: the next delay is the initial one again.
    // One datapoint per frame: 10 + 27 = 37 bytes.
    let mut stack = FakeStack::new([
        fin(37),
        fin(37),
        Plan::Accept(Conn {
            fin_after: Some(37 * 2),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    let mut s = sender::<8>();
    push_n(&mut s, 0, 1);
    run(&mut s, &mut stack, 0, 400);
    // A close is seen on the poll after the write.
    assert_eq!(stack.connect_attempts, [0, 51, 152]);
    assert_eq!(s.stats().delivered, 1);
    push_n(&mut s, 1, 1);
    run(&mut s, &mut stack, 400, 402);
    assert_eq!(s.last_failure(), Some(Failure::PeerClosed));
    run(&mut s, &mut stack, 402, 800);
    assert_eq!(stack.connect_attempts, [0, 51, 152, 451]);
    // Datapoint 0 went out on three connections, datapoint 1 on two: every copy a complete frame.
    assert_eq!(
        stored(&stack),
        [
            expected(0..1),
            expected(0..1),
            expected(0..2),
            expected(1..2)
        ]
        .concat()
    );
    assert!(s.is_flushed());
}

#[test]
fn frames_are_confirmed_one_by_one_under_a_steady_stream() {
    // A datapoint every 30 ms, confirmation after 100 ms, room for 8: the queue only stays small if each
    // frame is confirmed on its own, not after a quiet moment that never comes.
    let mut stack = FakeStack::new([Plan::Accept(OPEN)]);
    let mut s = sender::<8>();
    let mut max_queued = 0;
    for i in 0..40u32 {
        push_n(&mut s, i, 1);
        run(&mut s, &mut stack, u64::from(i) * 30, u64::from(i + 1) * 30);
        max_queued = max_queued.max(s.stats().queued);
    }
    run(&mut s, &mut stack, 1_200, 1_400);
    let st = s.stats();
    assert_eq!(
        (st.dropped, st.delivered, st.frames, st.queued),
        (0, 40, 40, 0)
    );
    assert!(max_queued <= 5, "{max_queued}");
    assert_eq!(stored(&stack), expected(0..40));
}
