//! The sender's queue, framing and reconnect rules against a scripted fake TCP stack.
//!
//! These complement the real runs (QEMU + smoltcp and std-embedded-nal against carbon): here every failure
//! is placed exactly, at a byte or a millisecond, and what reached the "receiver" is decoded and compared.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};

use carbon_pickle::Options;
use carbon_sender::{Backoff, Config, Failure, LinkState, PushError, Sender};
use embedded_nal::{nb, TcpClientStack, TcpError, TcpErrorKind};

// ---------------------------------------------------------------------------------------------------------
// The fake stack

/// What the next connection attempt does.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// `connect` fails.
    Refuse,
    /// `connect` never completes.
    Hang,
    /// The connection opens after `delay_polls` calls to `connect`.
    Accept(Conn),
}

#[derive(Debug, Clone, Copy)]
struct Conn {
    delay_polls: u32,
    /// At most this many bytes per `send` call.
    chunk: usize,
    /// `send` takes this many bytes per poll of the fake clock, then says WouldBlock (None: unlimited).
    per_tick: Option<usize>,
    /// After this many bytes the peer resets: the next `send` fails, `receive` fails.
    reset_after: Option<usize>,
    /// After this many bytes the peer closes its side: `receive` returns Ok(0); sends still "work".
    fin_after: Option<usize>,
}

const OPEN: Conn = Conn {
    delay_polls: 0,
    chunk: usize::MAX,
    per_tick: None,
    reset_after: None,
    fin_after: None,
};

#[derive(Debug)]
struct FakeError(TcpErrorKind);

impl TcpError for FakeError {
    fn kind(&self) -> TcpErrorKind {
        self.0
    }
}

#[derive(Debug, Default)]
struct Record {
    bytes: Vec<u8>,
    closed_by_us: bool,
}

struct SocketState {
    plan: Option<Plan>,
    connect_calls: u32,
    conn: Option<usize>, // index into `records` once established
    sent_this_tick: usize,
}

#[derive(Default)]
struct FakeStack {
    script: VecDeque<Plan>,
    sockets: Vec<SocketState>,
    records: Vec<Record>,
    connect_attempts: Vec<u64>,
    now: u64,
    open_sockets: usize,
}

impl FakeStack {
    fn new(script: impl IntoIterator<Item = Plan>) -> Self {
        FakeStack {
            script: script.into_iter().collect(),
            ..Default::default()
        }
    }

    fn tick(&mut self, now: u64) {
        self.now = now;
        for s in &mut self.sockets {
            s.sent_this_tick = 0;
        }
    }

    fn plan_of(&self, id: usize) -> Conn {
        match self.sockets[id].plan {
            Some(Plan::Accept(c)) => c,
            _ => unreachable!(),
        }
    }
}

impl TcpClientStack for FakeStack {
    type TcpSocket = usize;
    type Error = FakeError;

    fn socket(&mut self) -> Result<usize, FakeError> {
        if self.open_sockets >= 1 {
            return Err(FakeError(TcpErrorKind::Other)); // one socket, like the firmware's
        }
        self.open_sockets += 1;
        self.sockets.push(SocketState {
            plan: None,
            connect_calls: 0,
            conn: None,
            sent_this_tick: 0,
        });
        Ok(self.sockets.len() - 1)
    }

    fn connect(&mut self, socket: &mut usize, remote: SocketAddr) -> nb::Result<(), FakeError> {
        assert_eq!(remote, REMOTE);
        let now = self.now;
        let s = &mut self.sockets[*socket];
        if s.plan.is_none() {
            s.plan = Some(self.script.pop_front().unwrap_or(Plan::Refuse));
            self.connect_attempts.push(now);
        }
        s.connect_calls += 1;
        match s.plan.unwrap() {
            Plan::Refuse => Err(nb::Error::Other(FakeError(TcpErrorKind::Other))),
            Plan::Hang => Err(nb::Error::WouldBlock),
            Plan::Accept(c) if s.connect_calls <= c.delay_polls => Err(nb::Error::WouldBlock),
            Plan::Accept(_) => {
                if s.conn.is_none() {
                    self.records.push(Record::default());
                    s.conn = Some(self.records.len() - 1);
                }
                Ok(())
            }
        }
    }

    fn send(&mut self, socket: &mut usize, buffer: &[u8]) -> nb::Result<usize, FakeError> {
        let plan = self.plan_of(*socket);
        let s = &mut self.sockets[*socket];
        let rec = &mut self.records[s.conn.expect("send before connect")];
        if plan.reset_after.is_some_and(|n| rec.bytes.len() >= n) {
            return Err(nb::Error::Other(FakeError(TcpErrorKind::PipeClosed)));
        }
        let mut n = buffer.len().min(plan.chunk);
        if let Some(per_tick) = plan.per_tick {
            n = n.min(per_tick - s.sent_this_tick);
        }
        if let Some(limit) = plan.reset_after {
            n = n.min(limit - rec.bytes.len());
        }
        if n == 0 {
            return Err(nb::Error::WouldBlock);
        }
        rec.bytes.extend_from_slice(&buffer[..n]);
        s.sent_this_tick += n;
        Ok(n)
    }

    fn receive(&mut self, socket: &mut usize, _buffer: &mut [u8]) -> nb::Result<usize, FakeError> {
        let plan = self.plan_of(*socket);
        let rec = &self.records[self.sockets[*socket].conn.unwrap()];
        if plan.reset_after.is_some_and(|n| rec.bytes.len() >= n) {
            return Err(nb::Error::Other(FakeError(TcpErrorKind::PipeClosed)));
        }
        if plan.fin_after.is_some_and(|n| rec.bytes.len() >= n) {
            return Ok(0);
        }
        Err(nb::Error::WouldBlock)
    }

    fn close(&mut self, socket: usize) -> Result<(), FakeError> {
        if let Some(c) = self.sockets[socket].conn {
            self.records[c].closed_by_us = true;
        }
        self.open_sockets -= 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding what the receiver got (the safe protocol-2 subset the core writes)

type Point = (String, f64, f64);

/// Splits a connection's bytes into complete frames (decoded) and the length of a trailing partial frame.
fn frames(bytes: &[u8]) -> (Vec<Vec<Point>>, usize) {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        if rest.len() < 4 + len {
            break;
        }
        out.push(decode_payload(&rest[4..4 + len]));
        rest = &rest[4 + len..];
    }
    (out, rest.len())
}

fn decode_payload(p: &[u8]) -> Vec<Point> {
    assert_eq!(&p[..4], b"\x80\x02](", "opener");
    assert_eq!(&p[p.len() - 2..], b"e.", "trailer");
    let mut i = 4;
    let mut points = Vec::new();
    let end = p.len() - 2;
    while i < end {
        assert_eq!(p[i], b'X');
        let n = u32::from_le_bytes(p[i + 1..i + 5].try_into().unwrap()) as usize;
        let path = std::str::from_utf8(&p[i + 5..i + 5 + n])
            .unwrap()
            .to_string();
        i += 5 + n;
        let ts = match p[i] {
            b'J' => {
                let v = i32::from_le_bytes(p[i + 1..i + 5].try_into().unwrap()) as f64;
                i += 5;
                v
            }
            b'G' => {
                let v = f64::from_be_bytes(p[i + 1..i + 9].try_into().unwrap());
                i += 9;
                v
            }
            op => panic!("timestamp opcode {op}"),
        };
        assert_eq!(p[i], b'G');
        let value = f64::from_be_bytes(p[i + 1..i + 9].try_into().unwrap());
        i += 9;
        assert_eq!(&p[i..i + 2], b"\x86\x86");
        i += 2;
        points.push((path, ts, value));
    }
    points
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const REMOTE: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(10, 0, 2, 100)), 2004);
const T0: u32 = 1_700_000_000;

fn config() -> Config<'static> {
    Config::new(REMOTE)
        .with_options(Options::new().with_prefix("node").with_max_points(4))
        .with_confirm_ms(100)
        .with_connect_timeout_ms(1_000)
        .with_stall_timeout_ms(2_000)
        .with_backoff(Backoff::new(50, 400))
}

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

fn expected(range: std::ops::Range<u32>) -> Vec<Point> {
    range
        .map(|i| ("node.t".to_string(), f64::from(T0 + i), f64::from(i) + 0.5))
        .collect()
}

/// Every point the receiver stored: complete frames only (carbon drops a frame cut by a closed connection).
fn stored(stack: &FakeStack) -> Vec<Point> {
    stack
        .records
        .iter()
        .flat_map(|r| frames(&r.bytes).0.into_iter().flatten())
        .collect()
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
