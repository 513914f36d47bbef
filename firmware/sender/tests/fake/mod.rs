//! The scripted fake TCP stack and the decoding of what it received, shared by the blocking sender (through
//! embedded-nal) and the async sender (through the embedded-nal-async adapter in `fake/nal_async.rs`): one
//! script, one fake, two drivers (`fake/driver.rs`), so that `scripted.rs` writes each case once.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};

use carbon_pickle::Options;
use carbon_sender::{Backoff, Config};
use embedded_nal::{nb, TcpClientStack, TcpError, TcpErrorKind};

pub mod driver;
#[cfg(feature = "async")]
pub mod nal_async;

pub use driver::{Blocking, Driver, Flavor};
#[cfg(feature = "async")]
pub use nal_async::Async;

// ---------------------------------------------------------------------------------------------------------
// The fake stack

/// What the next connection attempt does.
#[derive(Debug, Clone, Copy)]
pub enum Plan {
    /// `connect` fails.
    Refuse,
    /// `connect` never completes.
    Hang,
    /// The connection opens after `delay_polls` calls to `connect`.
    Accept(Conn),
}

#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub delay_polls: u32,
    /// At most this many bytes per `send` call.
    pub chunk: usize,
    /// `send` takes this many bytes per poll of the fake clock, then says WouldBlock (None: unlimited).
    pub per_tick: Option<usize>,
    /// After this many bytes the peer resets: the next `send` fails, `receive` fails.
    pub reset_after: Option<usize>,
    /// After this many bytes the peer closes its side: `receive` returns Ok(0); sends still "work".
    pub fin_after: Option<usize>,
    /// The receiver's largest payload (carbon's PICKLE_RECEIVER_MAX_LENGTH): on a frame header announcing more
    /// it stops reading and resets the connection (carbon closes with the rest unread); what it read ends
    /// with that header. The next `send` fails, `receive` fails.
    pub max_payload: Option<usize>,
    /// The receiver closes a connection on which no bytes arrived for `.0` ms (from its opening, or the
    /// last bytes): what was sent from then on is lost, and the sender sees the close (`receive` Ok(0))
    /// `.1` ms later.
    pub idle_close: Option<(u64, u64)>,
    /// A relay whose backend is down: it accepts, stores nothing, and closes this many ms after accepting.
    pub dead_backend: Option<u64>,
}

pub const OPEN: Conn = Conn {
    delay_polls: 0,
    chunk: usize::MAX,
    per_tick: None,
    reset_after: None,
    fin_after: None,
    max_payload: None,
    idle_close: None,
    dead_backend: None,
};

#[derive(Debug)]
pub struct FakeError(pub TcpErrorKind);

impl TcpError for FakeError {
    fn kind(&self) -> TcpErrorKind {
        self.0
    }
}

#[derive(Debug, Default)]
pub struct Record {
    pub bytes: Vec<u8>,
    pub closed_by_us: bool,
    /// The receiver stopped reading after this many bytes (an oversized header, a close of its own):
    /// the rest never reached it.
    pub end: Option<usize>,
    /// The receiver refused a frame (`max_payload`) and reset the connection.
    pub refused_frame: bool,
    /// When the receiver closed the connection by itself (`idle_close`, `dead_backend`).
    pub closed_at: Option<u64>,
    opened: u64,
    last_bytes: u64,
    scanned: usize,
}

impl Record {
    /// What reached the receiver.
    pub fn received(&self) -> &[u8] {
        &self.bytes[..self.end.unwrap_or(self.bytes.len())]
    }

    /// Lets the receiver's own timers run up to `now`.
    fn update(&mut self, plan: &Conn, now: u64) {
        if self.closed_at.is_some() || self.refused_frame {
            return;
        }
        let at = match (plan.dead_backend, plan.idle_close) {
            (Some(after), _) => self.opened + after,
            (None, Some((idle, _))) => self.last_bytes + idle,
            (None, None) => return,
        };
        if now >= at {
            self.closed_at = Some(at);
            self.end.get_or_insert(self.bytes.len());
        }
    }

    /// The receiver reads frame headers as bytes arrive: an oversized one ends the connection.
    fn scan(&mut self, max_payload: usize) {
        while self.scanned + 4 <= self.bytes.len() {
            let at = self.scanned;
            let len = u32::from_be_bytes(self.bytes[at..at + 4].try_into().unwrap()) as usize;
            if len > max_payload {
                self.refused_frame = true;
                self.end.get_or_insert(at + 4);
                return;
            }
            if at + 4 + len > self.bytes.len() {
                return;
            }
            self.scanned = at + 4 + len;
        }
    }
}

struct SocketState {
    plan: Option<Plan>,
    connect_calls: u32,
    conn: Option<usize>, // index into `records` once established
    sent_this_tick: usize,
}

#[derive(Default)]
pub struct FakeStack {
    pub script: VecDeque<Plan>,
    sockets: Vec<SocketState>,
    pub records: Vec<Record>,
    pub connect_attempts: Vec<u64>,
    pub now: u64,
    pub open_sockets: usize,
}

impl FakeStack {
    pub fn new(script: impl IntoIterator<Item = Plan>) -> Self {
        FakeStack {
            script: script.into_iter().collect(),
            ..Default::default()
        }
    }

    pub fn tick(&mut self, now: u64) {
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
                    let dead = matches!(s.plan, Some(Plan::Accept(c)) if c.dead_backend.is_some());
                    self.records.push(Record {
                        opened: now,
                        last_bytes: now,
                        end: dead.then_some(0),
                        ..Record::default()
                    });
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
        rec.update(&plan, self.now);
        if plan.reset_after.is_some_and(|n| rec.bytes.len() >= n) || rec.refused_frame {
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
        rec.last_bytes = self.now;
        if let Some(max) = plan.max_payload {
            rec.scan(max);
        }
        s.sent_this_tick += n;
        Ok(n)
    }

    fn receive(&mut self, socket: &mut usize, _buffer: &mut [u8]) -> nb::Result<usize, FakeError> {
        let plan = self.plan_of(*socket);
        let rec = &mut self.records[self.sockets[*socket].conn.unwrap()];
        rec.update(&plan, self.now);
        if plan.reset_after.is_some_and(|n| rec.bytes.len() >= n) || rec.refused_frame {
            return Err(nb::Error::Other(FakeError(TcpErrorKind::PipeClosed)));
        }
        if plan.fin_after.is_some_and(|n| rec.bytes.len() >= n) {
            return Ok(0);
        }
        let seen_after = plan.idle_close.map_or(0, |(_, after)| after);
        if rec.closed_at.is_some_and(|at| self.now >= at + seen_after) {
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

pub type Point = (String, f64, f64);

/// Splits a connection's bytes into complete frames (decoded) and the length of a trailing partial frame.
pub fn frames(bytes: &[u8]) -> (Vec<Vec<Point>>, usize) {
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

pub const REMOTE: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(10, 0, 2, 100)), 2004);
pub const T0: u32 = 1_700_000_000;

pub fn config() -> Config<'static> {
    Config::new(REMOTE)
        .with_options(Options::new().with_prefix("node").with_max_points(4))
        .with_confirm_ms(100)
        .with_connect_timeout_ms(1_000)
        .with_stall_timeout_ms(2_000)
        .with_backoff(Backoff::new(50, 400))
}

pub fn expected(range: std::ops::Range<u32>) -> Vec<Point> {
    range
        .map(|i| ("node.t".to_string(), f64::from(T0 + i), f64::from(i) + 0.5))
        .collect()
}

/// Every point the receiver stored: complete frames only (carbon drops a frame cut by a closed connection),
/// of what reached it.
pub fn stored(stack: &FakeStack) -> Vec<Point> {
    stack
        .records
        .iter()
        .flat_map(|r| frames(r.received()).0.into_iter().flatten())
        .collect()
}
