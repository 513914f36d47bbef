//! The sender's queue, framing and reconnect rules against a scripted fake TCP stack, for both senders.
//!
//! These complement the real runs (QEMU + smoltcp and std-embedded-nal against carbon): here every failure
//! is placed exactly, at a byte or a millisecond, and what reached the "receiver" is decoded and compared.
//!
//! Each case is written once, generic over a [`Flavor`] (`fake/driver.rs`), and run against the blocking
//! `Sender` (module `blocking`, polled once per fake millisecond) and, with the `async` feature, the async
//! `AsyncSender` (module `async_sender`, its `run` future polled once per fake millisecond, the fake reached
//! through embedded-nal-async). The two share one state machine, so they must agree; where the figures
//! differ it is because the async sender looks at the connection again right after writing, not on the next
//! poll: a close right after a frame is seen in the same millisecond, and a reset seen by the read reports
//! `PeerClosed` rather than `Send` (`Flavor::CLOSE_SEEN_AFTER_MS`, `Flavor::RESET_MID_FRAME`).

mod fake;

use carbon_sender::{Failure, LinkState, PushError};
use fake::*;

/// Emits `#[test] fn case()` running `case::<Blocking>()` in module `blocking` and `case::<Async>()` in
/// module `async_sender` (with the `async` feature), for every case named.
macro_rules! for_both_senders {
    ($($case:ident),* $(,)?) => {
        mod blocking {
            $(#[test]
            fn $case() {
                super::$case::<crate::fake::Blocking>();
            })*
        }

        #[cfg(feature = "async")]
        mod async_sender {
            $(#[test]
            fn $case() {
                super::$case::<crate::fake::Async>();
            })*
        }
    };
}

for_both_senders!(
    frames_are_exactly_the_core_encoding_and_split_by_max_points,
    a_socket_taking_a_few_bytes_at_a_time_gets_the_same_bytes,
    refused_connections_back_off_exponentially_then_deliver_everything_once,
    nothing_queued_means_no_connection,
    connect_timeout_counts_as_a_failure,
    a_frame_cut_mid_way_is_sent_again_whole_and_nothing_is_lost,
    peer_close_before_confirmation_resends_after_confirmation_does_not,
    queue_bound_drops_new_points_and_counts_them,
    invalid_points_are_rejected_up_front,
    a_stalled_connection_is_abandoned_and_the_frame_resent,
    backoff_starts_over_after_a_delivery,
    frames_are_confirmed_one_by_one_under_a_steady_stream,
    a_frame_the_receiver_refuses_every_time_is_dropped_and_counted_and_the_rest_delivered,
    a_refused_frame_cut_mid_write_every_time_is_dropped_too,
    a_receiver_closing_idle_connections_loses_nothing,
    a_receiver_that_is_down_or_restarting_loses_nothing,
    a_careful_connection_closed_at_a_fixed_age_is_not_mistaken_for_poison,
);

// ---------------------------------------------------------------------------------------------------------
// The cases

fn frames_are_exactly_the_core_encoding_and_split_by_max_points<F: Flavor>() {
    let mut s = F::new::<16>([Plan::Accept(OPEN)]);
    s.push_n(0, 10);
    s.run(0, 1);
    let (got, partial) = frames(&s.stack().records[0].bytes);
    assert_eq!(partial, 0);
    assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    // Byte for byte what carbon_pickle::to_vec makes of the same datapoints.
    let dps: Vec<_> = (0..10u32)
        .map(|i| carbon_pickle::Datapoint::new("t", T0 + i, f64::from(i) + 0.5))
        .collect();
    let want = carbon_pickle::to_vec(&dps, &config().options).unwrap();
    assert_eq!(s.stack().records[0].bytes, want);
    // Written, not yet confirmed.
    assert_eq!(s.stats().unconfirmed, 10);
    assert_eq!(s.stats().delivered, 0);
    s.run(1, 101);
    let st = s.stats();
    assert_eq!(
        (st.queued, st.delivered, st.frames, st.bytes),
        (0, 10, 3, want.len() as u32)
    );
    assert!(s.is_flushed());
}

fn a_socket_taking_a_few_bytes_at_a_time_gets_the_same_bytes<F: Flavor>() {
    let slow = Conn {
        chunk: 3,
        per_tick: Some(7),
        ..OPEN
    };
    let mut s = F::new::<16>([Plan::Accept(slow)]);
    s.push_n(0, 6);
    let mut now = 0;
    while !s.is_flushed() {
        now = s.run(now, now + 1);
        assert!(now < 1_000);
    }
    assert_eq!(stored(&s.stack()), expected(0..6));
    assert_eq!(s.stack().records.len(), 1);
    assert_eq!(s.stats().failures, 0);
}

fn refused_connections_back_off_exponentially_then_deliver_everything_once<F: Flavor>() {
    let mut s = F::new::<16>([
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Refuse,
        Plan::Accept(OPEN),
    ]);
    s.push_n(0, 3);
    s.run(0, 2_000);
    // 50, 100, 200, 400, then capped at 400.
    assert_eq!(s.stack().connect_attempts, [0, 50, 150, 350, 750, 1_150]);
    assert_eq!(stored(&s.stack()), expected(0..3));
    let st = s.stats();
    assert_eq!(
        (st.failures, st.connects, st.delivered, st.resent),
        (5, 1, 3, 0)
    );
    assert_eq!(s.last_failure(), Some(Failure::Connect));
}

fn nothing_queued_means_no_connection<F: Flavor>() {
    let mut s = F::new::<4>([Plan::Accept(OPEN)]);
    s.run(0, 500);
    assert!(s.stack().connect_attempts.is_empty());
    assert_eq!(s.link_state(), LinkState::Idle);
}

fn connect_timeout_counts_as_a_failure<F: Flavor>() {
    let mut s = F::new::<4>([
        Plan::Hang,
        Plan::Accept(Conn {
            delay_polls: 3,
            ..OPEN
        }),
    ]);
    s.push_n(0, 1);
    s.run(0, 999);
    assert_eq!(s.link_state(), LinkState::Connecting);
    s.run(999, 1_001);
    assert_eq!(s.last_failure(), Some(Failure::ConnectTimeout));
    assert_eq!(s.link_state(), LinkState::BackingOff { until_ms: 1_050 });
    s.run(1_001, 1_200);
    assert_eq!(s.stack().connect_attempts, [0, 1_050]);
    assert!(s.is_flushed());
    assert_eq!(stored(&s.stack()), expected(0..1));
}

fn a_frame_cut_mid_way_is_sent_again_whole_and_nothing_is_lost<F: Flavor>() {
    // Frames of 4 points: 10 + 4 * 27 = 118 bytes (27 per "node.t" datapoint). The first connection resets
    // 40 bytes into the second frame; the second connection takes everything.
    let mut s = F::new::<16>([
        Plan::Accept(Conn {
            reset_after: Some(118 + 40),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    s.push_n(0, 8);
    s.run(0, 1_000);
    let (first, partial) = frames(&s.stack().records[0].bytes);
    assert_eq!((first.len(), partial), (1, 40));
    assert_eq!(first[0], expected(0..4));
    let (second, partial) = frames(&s.stack().records[1].bytes);
    assert_eq!(partial, 0);
    // Everything from the first connection went out again, whole: the complete first frame is the only
    // duplicate, as documented (written less than confirm_ms before the connection broke).
    assert_eq!(second.concat(), expected(0..8));
    // `Send` for the blocking sender; the async one's read right after the partial write sees the reset.
    assert_eq!(s.last_failure(), Some(F::RESET_MID_FRAME));
    let st = s.stats();
    assert_eq!(
        (st.delivered, st.resent, st.failures, st.queued),
        (8, 4, 1, 0)
    );
}

fn peer_close_before_confirmation_resends_after_confirmation_does_not<F: Flavor>() {
    // Connection 1: the peer closes right after the first frame (3 points: 10 + 3 * 27 = 91 bytes).
    // Connection 2: stays open; its frame is confirmed; later pushes go out on it.
    let mut s = F::new::<16>([
        Plan::Accept(Conn {
            fin_after: Some(91),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    s.push_n(0, 3);
    s.run(0, 10);
    assert_eq!(s.last_failure(), Some(Failure::PeerClosed));
    assert!(s.stack().records[0].closed_by_us);
    assert_eq!(s.stats().resent, 3);
    s.run(10, 300);
    assert_eq!(s.stats().delivered, 3);
    s.push_n(3, 2);
    s.run(300, 500);
    assert_eq!(
        frames(&s.stack().records[0].bytes).0.concat(),
        expected(0..3)
    );
    assert_eq!(
        frames(&s.stack().records[1].bytes).0.concat(),
        expected(0..5)
    );
    assert_eq!(s.stack().records.len(), 2);
    assert_eq!(s.stats().resent, 3);
}

fn queue_bound_drops_new_points_and_counts_them<F: Flavor>() {
    let mut s = F::new::<4>([Plan::Refuse; 8]);
    s.push_n(0, 4);
    assert_eq!(s.push("t", T0 + 4, 4.5), Err(PushError::QueueFull));
    assert_eq!(s.push("t", T0 + 5, 5.5), Err(PushError::QueueFull));
    s.run(0, 300);
    let st = s.stats();
    assert_eq!((st.accepted, st.dropped, st.queued), (4, 2, 4));
    // The receiver comes back: the four oldest arrive, the dropped ones never do.
    {
        let mut stack = s.stack_mut();
        stack.script.push_back(Plan::Accept(OPEN));
        stack.script.retain(|p| matches!(p, Plan::Accept(_)));
    }
    s.run(300, 2_000);
    assert_eq!(stored(&s.stack()), expected(0..4));
    assert!(s.is_flushed());
}

fn invalid_points_are_rejected_up_front<F: Flavor>() {
    let mut s = F::new::<4>([]);
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

fn a_stalled_connection_is_abandoned_and_the_frame_resent<F: Flavor>() {
    let stuck = Conn {
        per_tick: Some(0),
        ..OPEN
    };
    let mut s = F::new::<8>([Plan::Accept(stuck), Plan::Accept(OPEN)]);
    s.push_n(0, 2);
    s.run(0, 2_000);
    assert_eq!(s.link_state(), LinkState::Connected);
    s.run(2_000, 2_001);
    assert_eq!(s.link_state(), LinkState::BackingOff { until_ms: 2_050 });
    assert_eq!(s.last_failure(), Some(Failure::Stalled));
    s.run(2_001, 2_300);
    assert_eq!(stored(&s.stack()), expected(0..2));
}

fn backoff_starts_over_after_a_delivery<F: Flavor>() {
    let fin = |n| {
        Plan::Accept(Conn {
            fin_after: Some(n),
            ..OPEN
        })
    };
    // Two closes right after the first frame (not confirmed: delay grows), then a good connection that
    // confirms and later dies: the next delay is the initial one again.
    // One datapoint per frame: 10 + 27 = 37 bytes.
    let mut s = F::new::<8>([
        fin(37),
        fin(37),
        Plan::Accept(Conn {
            fin_after: Some(37 * 2),
            ..OPEN
        }),
        Plan::Accept(OPEN),
    ]);
    s.push_n(0, 1);
    s.run(0, 400);
    // Back-off 50 ms, then 100 ms, each counted from the close being seen: on the poll after the write
    // (blocking: [0, 51, 152]) or right after the write, in the same millisecond (async: [0, 50, 150]).
    let seen = F::CLOSE_SEEN_AFTER_MS;
    assert_eq!(s.stack().connect_attempts, [0, 50 + seen, 150 + 2 * seen]);
    assert_eq!(s.stats().delivered, 1);
    s.push_n(1, 1);
    s.run(400, 402);
    assert_eq!(s.last_failure(), Some(Failure::PeerClosed));
    s.run(402, 800);
    // Reset to the initial 50 ms after the delivery (blocking: 451, async: 450).
    assert_eq!(
        s.stack().connect_attempts,
        [0, 50 + seen, 150 + 2 * seen, 450 + seen]
    );
    // Datapoint 0 went out on three connections, datapoint 1 on two: every copy a complete frame.
    assert_eq!(
        stored(&s.stack()),
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

fn frames_are_confirmed_one_by_one_under_a_steady_stream<F: Flavor>() {
    // A datapoint every 30 ms, confirmation after 100 ms, room for 8: the queue only stays small if each
    // frame is confirmed on its own, not after a quiet moment that never comes.
    let mut s = F::new::<8>([Plan::Accept(OPEN)]);
    let mut max_queued = 0;
    for i in 0..40u32 {
        s.push_n(i, 1);
        s.run(u64::from(i) * 30, u64::from(i + 1) * 30);
        max_queued = max_queued.max(s.stats().queued);
    }
    s.run(1_200, 1_400);
    let st = s.stats();
    assert_eq!(
        (st.dropped, st.delivered, st.frames, st.queued),
        (0, 40, 40, 0)
    );
    assert!(max_queued <= 5, "{max_queued}");
    assert_eq!(stored(&s.stack()), expected(0..40));
}

// ---------------------------------------------------------------------------------------------------------
// Poison frames: a receiver that closes the connection right after a frame it refuses

/// A path of 210 bytes: its frame is over the fake receiver's 200-byte limit, the others are not.
fn long_path() -> &'static str {
    Box::leak(format!("long{}", "x".repeat(200)).into_boxed_str())
}

/// Frames A = [0, 1, 2, 3], B = [long, 4, 5, 6] (317-byte payload), C = [7, 8, 9, 10] against a receiver
/// that takes payloads of at most 200 bytes and resets the connection on a larger header (as carbon does
/// over PICKLE_RECEIVER_MAX_LENGTH), on every connection: B is dropped and counted, A and C delivered.
fn poison_case<F: Flavor>(conn: Conn) {
    let refusing = Conn {
        max_payload: Some(200),
        ..conn
    };
    let mut s = F::new::<16>([Plan::Accept(refusing); 12]);
    let long = long_path();
    s.push_n(0, 4);
    s.push(long, T0 + 100, 1.0).unwrap();
    s.push_n(4, 7);
    let mut now = 0;
    while !s.is_flushed() {
        now = s.run(now, now + 1);
        assert!(now < 3_000, "not flushed: {:?}", s.stats());
    }
    let st = s.stats();
    assert_eq!(
        (st.poisoned, st.poisoned_frames, st.dropped, st.delivered),
        (4, 1, 4, 8),
        "{st:?}"
    );
    assert_eq!((st.accepted, st.queued, st.rejected), (12, 0, 0));
    // Two troubled connections, a careful one that delivers A and gives B a strike, a careful one that
    // waits longer than that one lived and sees B refused again (dropped), a careful one that delivers C.
    assert_eq!(s.stack().connect_attempts.len(), 5);
    assert_eq!(
        s.stack().records.iter().filter(|r| r.refused_frame).count(),
        4
    );
    let got = stored(&s.stack());
    let mut distinct: Vec<Point> = Vec::new();
    for p in got {
        if !distinct.contains(&p) {
            distinct.push(p);
        }
    }
    assert_eq!(distinct, [expected(0..4), expected(7..11)].concat());
    // The connection that delivered C is in normal mode again: later datapoints go out on it.
    s.push_n(11, 2);
    s.run(now, now + 200);
    assert_eq!(s.stats().delivered, 10);
    assert_eq!(s.stack().connect_attempts.len(), 5);
    assert_eq!(s.link_state(), LinkState::Connected);
}

fn a_frame_the_receiver_refuses_every_time_is_dropped_and_counted_and_the_rest_delivered<
    F: Flavor,
>() {
    poison_case::<F>(OPEN);
}

fn a_refused_frame_cut_mid_write_every_time_is_dropped_too<F: Flavor>() {
    // 40 bytes a millisecond: the receiver resets while B is still being written, every time.
    poison_case::<F>(Conn {
        per_tick: Some(40),
        ..OPEN
    });
}

fn a_receiver_closing_idle_connections_loses_nothing<F: Flavor>() {
    let idle_closer = |idle| {
        [Plan::Accept(Conn {
            idle_close: Some((idle, 5)),
            ..OPEN
        }); 300]
    };
    // Idle timeouts at and above confirm_ms (100), each close seen 5 ms late; a datapoint pushed every
    // `period` ms, some of them landing on a connection the receiver has just closed: each is sent again and
    // confirmed on the next connection, so two troubled connections never come in a row.
    for idle in [100, 130, 250] {
        for period in [idle + 2, idle - 3, 37] {
            let mut s = F::new::<64>(idle_closer(idle));
            let mut now = 0;
            for i in 0..30u32 {
                s.push_n(i, 1);
                now = s.run(now, now + period);
            }
            while !s.is_flushed() {
                now = s.run(now, now + 1);
                assert!(
                    now < 60_000,
                    "idle {idle}, period {period}: {:?}",
                    s.stats()
                );
            }
            let st = s.stats();
            assert_eq!(
                (st.poisoned, st.dropped, st.delivered),
                (0, 0, 30),
                "idle {idle}, period {period}"
            );
            let got = stored(&s.stack());
            for p in expected(0..30) {
                assert!(
                    got.contains(&p),
                    "idle {idle}, period {period}: {p:?} not stored"
                );
            }
        }
    }
    // An idle timeout shorter than confirm_ms: every connection dies before its frame is confirmed, so every
    // other one is careful, and the receiver closes each careful one while it waits (no frame in flight):
    // never a strike. (Nothing is confirmed either: confirm_ms must be below the receiver's idle timeout.)
    let mut s = F::new::<64>(idle_closer(60));
    s.push_n(0, 6);
    s.run(0, 8_000);
    let st = s.stats();
    assert_eq!((st.poisoned, st.dropped, st.queued), (0, 0, 6), "{st:?}");
    assert!(st.connects > 10, "{st:?}");
    let got = stored(&s.stack());
    for p in expected(0..6) {
        assert!(got.contains(&p), "{p:?} not stored");
    }
}

fn a_receiver_that_is_down_or_restarting_loses_nothing<F: Flavor>() {
    let dead = |after| {
        Plan::Accept(Conn {
            dead_backend: Some(after),
            ..OPEN
        })
    };
    // Carbon stops (closes right after a frame), refuses while down, and a relay in front of it accepts and
    // closes at once while its backend is down (what a guestfwd connector does under QEMU), many times in a
    // row (each close 2, 40 or 90 ms after accepting, before confirm_ms), then carbon is back.
    let mut script = vec![
        Plan::Accept(Conn {
            fin_after: Some(91),
            ..OPEN
        }),
        Plan::Refuse,
        Plan::Refuse,
    ];
    for after in [2, 40, 90, 2, 2, 40, 40, 90, 90, 2] {
        script.push(dead(after));
    }
    script.push(Plan::Accept(OPEN));
    let mut s = F::new::<64>(script);
    let mut now = 0;
    for i in 0..20u32 {
        s.push_n(i * 3, 3);
        now = s.run(now, now + 150);
    }
    while !s.is_flushed() {
        now = s.run(now, now + 1);
        assert!(now < 30_000, "{:?}", s.stats());
    }
    let st = s.stats();
    assert_eq!((st.poisoned, st.dropped, st.delivered), (0, 0, 60));
    assert_eq!(s.stack().connect_attempts.len(), 14);
    let got = stored(&s.stack());
    for p in expected(0..60) {
        assert!(got.contains(&p), "{p:?} not stored");
    }
}

fn a_careful_connection_closed_at_a_fixed_age_is_not_mistaken_for_poison<F: Flavor>() {
    // Two connections closed right after the first frame make the next one careful; it waits confirm_ms
    // (100), writes the frame, and is closed 150 ms after it opened (a relay closing at a fixed age, storing
    // nothing): a strike. The next careful connection waits 150 + 100 ms before writing, the relay closes it
    // at 150 ms with nothing in flight: not the frame's doing, the strike is cleared. Then carbon is back.
    let fin = Plan::Accept(Conn {
        fin_after: Some(91),
        ..OPEN
    });
    let relay = Plan::Accept(Conn {
        dead_backend: Some(150),
        ..OPEN
    });
    let mut s = F::new::<16>([fin, fin, relay, relay, Plan::Accept(OPEN)]);
    s.push_n(0, 3);
    let mut now = 0;
    while !s.is_flushed() {
        now = s.run(now, now + 1);
        assert!(now < 5_000, "{:?}", s.stats());
    }
    let st = s.stats();
    assert_eq!((st.poisoned, st.dropped, st.delivered), (0, 0, 3));
    let records = s.stack();
    assert_eq!(records.records.len(), 5);
    // The first relay connection got the frame (a strike), the second none (the wait outlasted it).
    assert_eq!(frames(&records.records[2].bytes).0, [expected(0..3)]);
    assert!(records.records[3].bytes.is_empty());
    assert_eq!(frames(records.records[4].received()).0, [expected(0..3)]);
}

// ---------------------------------------------------------------------------------------------------------
// The async sender alone

/// `shutdown` has no blocking counterpart (the blocking sender's `close` is a plain call).
#[cfg(feature = "async")]
#[test]
fn async_sender_shutdown_closes_the_connection_and_keeps_unconfirmed_points() {
    let mut s = Async::new::<8>([Plan::Accept(OPEN)]);
    s.push_n(0, 2);
    s.run(0, 10);
    assert_eq!(s.stats().unconfirmed, 2);
    s.rig.sender.shutdown();
    // `run` returns on the next poll.
    assert_eq!(s.run(10, 20), 11);
    assert!(s.stack().records[0].closed_by_us);
    let st = s.stats();
    assert_eq!((st.queued, st.unconfirmed, st.delivered), (2, 0, 0));
    assert_eq!(s.link_state(), LinkState::Idle);
}
