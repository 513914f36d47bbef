//! TLS 1.3 beneath the sender (feature `tls`): [`TlsStack`] is an embedded-nal [`TcpClientStack`] over
//! another one, so [`Sender`](crate::Sender) runs over TLS unchanged: one queue, one set of delivery
//! rules (`confirm_ms`, frames resent after a break), whatever the transport.
//!
//! - `connect` = the inner TCP connect, then the TLS 1.3 handshake (embedded-tls 0.19:
//!   `TLS_AES_128_GCM_SHA256`, key exchange on P-256, the server's ECDSA P-256 certificate checked against
//!   one CA and the server name). It says `WouldBlock` until the handshake is done, so the sender's connect
//!   timeout bounds TCP and TLS together, and the super-loop keeps running during the handshake.
//! - `send` = encrypt: bytes go into the TLS write record; a record goes out when it is full or at the
//!   next `receive`/[`TlsStack::poll`] (the sender calls `receive` at the start of every poll), so a frame
//!   leaves within one poll of being written, as one record rather than one record per `write` call.
//! - `receive` = decrypt. A closed connection, a `close_notify`, or any TLS error ends the connection as the
//!   sender expects (`Ok(0)` or an error); a session ticket or other non-data record is read and dropped.
//! - There is no way to turn verification off.
//!
//! # Why a task
//! embedded-tls borrows its record buffers for the life of a connection (`TlsConnection<'a>` takes
//! `&'a mut [u8]`) and hands them back only by being dropped. A stack that keeps a connection between
//! calls and makes a new one after every break would have to hold both the buffers and the connection
//! borrowing them: a self-referential struct, which safe Rust cannot build. An `async fn` can: its
//! future keeps the buffers and reborrows them for one connection after another. So the connection lives
//! in [`run`], a future the caller pins (on its stack, no allocator), and [`TlsStack`] polls it with a
//! no-op waker on every call: a one-task executor, with the calls and the task talking through [`Link`].
//! No `unsafe` anywhere.
//!
//! # embedded-io 0.6 and 0.7
//! The sender and the core write frames through embedded-io 0.6; embedded-tls reads and writes through
//! embedded-io(-async) 0.7. Neither is bridged nor moved: the seam is the `TcpClientStack` trait. The
//! sender's writer (0.6) talks to `TlsStack::send`; the task talks 0.7 to embedded-tls through a small
//! transport over the inner stack.
//!
//! # Receiving without blocking
//! embedded-io 0.7 has no "would block"; embedded-tls reads a record, and after a non-data record (a
//! session ticket) it waits for the next one. Carbon never sends application data, so that wait would
//! never end. The transport follows the record framing of the bytes it passes: at a record boundary with
//! nothing to read it fails the read (nothing consumed, so embedded-tls's state is intact) and the task
//! takes that as "nothing to read now"; inside a record it waits (the rest is on its way).

use core::cell::RefCell;
use core::convert::Infallible;
use core::future::{poll_fn, Future};
use core::net::SocketAddr;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use embedded_nal::{nb, TcpClientStack, TcpError, TcpErrorKind};
use embedded_tls::pki::CertVerifier;
use embedded_tls::{
    Aes128GcmSha256, Certificate, CryptoProvider, TlsConfig, TlsConnection, TlsContext, TlsVerifier,
};
use heapless::Vec;
use rand_core::{CryptoRng, RngCore};

pub use embedded_tls::{NoClock, TlsClock, TlsError};

/// Plaintext taken by [`TlsStack::send`] before the task moves it into the TLS record: small, as it only
/// hands bytes over between two polls.
const STAGE: usize = 128;
/// The server's certificate chain kept between the Certificate and CertificateVerify messages. An ECDSA
/// P-256 leaf is about 500 bytes; 2 KiB leaves room for a longer name list or one intermediate.
pub const CERT_SIZE: usize = 2048;
/// Size of the read record buffer that always works: the largest TLS record (16 KiB of plaintext plus 256).
pub const READ_RECORD: usize = 16_640;
/// embedded-tls keeps this many bytes of a write record buffer for the record's header, tag and padding.
pub const WRITE_OVERHEAD: usize = embedded_tls::TLS_RECORD_OVERHEAD;

/// Why a TLS connection failed.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The TCP stack beneath failed.
    Tcp(#[cfg_attr(feature = "defmt", defmt(Debug2Format))] TcpErrorKind),
    /// The handshake or a record failed (refused certificate, alert from the server, bad record...).
    Tls(TlsError),
    /// The server closed the connection (end of stream or `close_notify`).
    Closed,
    /// A connection is already open: `TlsStack` has one.
    Busy,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Tcp(kind) => write!(f, "TCP failed beneath TLS: {kind:?}"),
            Error::Tls(e) => write!(f, "TLS failed: {e:?} ({})", explain(e)),
            Error::Closed => f.write_str("the server closed the TLS connection"),
            Error::Busy => f.write_str("a TLS connection is already open"),
        }
    }
}

impl core::error::Error for Error {}

impl TcpError for Error {
    fn kind(&self) -> TcpErrorKind {
        match self {
            Error::Tcp(kind) => *kind,
            Error::Closed => TcpErrorKind::PipeClosed,
            _ => TcpErrorKind::Other,
        }
    }
}

/// What a refusal means, for the log.
pub(crate) fn explain(e: &TlsError) -> &'static str {
    use embedded_tls::alert::AlertDescription as A;
    match e {
        TlsError::InvalidCertificate => {
            "server certificate refused: not issued by the compiled-in CA, not for the server name, or expired"
        }
        TlsError::InvalidSignature => "server's CertificateVerify signature is wrong",
        TlsError::InvalidSignatureScheme => {
            "server signs with a scheme not built in (RSA needs embedded-tls's rsa feature)"
        }
        TlsError::HandshakeAborted(_, A::ProtocolVersion) => {
            "server refused TLS 1.3 (protocol_version alert): it offers an older TLS only"
        }
        TlsError::HandshakeAborted(_, A::HandshakeFailure) => {
            "server has no common cipher suite or group (TLS_AES_128_GCM_SHA256, P-256)"
        }
        TlsError::HandshakeAborted(..) => "server aborted the handshake with an alert",
        TlsError::Unimplemented => {
            "server sent what embedded-tls 0.19 does not implement (a KeyUpdate, for one): connection ended"
        }
        TlsError::Io(_) | TlsError::IoError => "connection broke",
        _ => "TLS error",
    }
}

/// Where the current connection is, as the task reports it.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No connection, or TCP still connecting.
    Idle,
    /// The TLS handshake is running.
    Handshake,
    /// Application data flows.
    Open,
    /// The connection is over; the stack reports this.
    Failed(Error),
}

/// Follows the TLS record framing of the bytes read, to know when the reader is between records.
#[derive(Debug, Clone, Copy, Default)]
struct Framing {
    header: u8,
    length_high: u8,
    body_left: usize,
}

impl Framing {
    fn at_boundary(&self) -> bool {
        self.header == 0 && self.body_left == 0
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        while let Some((&b, rest)) = bytes.split_first() {
            if self.body_left > 0 {
                let n = self.body_left.min(bytes.len());
                self.body_left -= n;
                bytes = &bytes[n..];
                continue;
            }
            self.header += 1;
            match self.header {
                4 => self.length_high = b,
                5 => {
                    self.body_left = usize::from(u16::from_be_bytes([self.length_high, b]));
                    self.header = 0;
                }
                _ => {}
            }
            bytes = rest;
        }
    }
}

/// State shared by [`TlsStack`] and the task ([`run`]): the inner stack and its socket, the requests
/// and the connection's phase. Make one with [`Link::new`] in a `RefCell`, give it to both.
pub struct Link<S: TcpClientStack> {
    inner: S,
    tcp: Option<S::TcpSocket>,
    /// Number of the current TCP connection; the task's transport checks it on every call.
    generation: u32,
    /// A connection waiting for its handshake (its generation).
    open: Option<u32>,
    /// The stack wants the current connection closed (`close_notify`).
    close: bool,
    /// The stack wants the open record sent.
    flush: bool,
    phase: Phase,
    staged: Vec<u8, STAGE>,
    incoming: Vec<u8, 16>,
    peek: Option<u8>,
    eof: bool,
    starved: bool,
    serving: bool,
    framing: Framing,
}

impl<S: TcpClientStack> Link<S> {
    /// A link over the TCP stack `inner`.
    pub fn new(inner: S) -> Self {
        Link {
            inner,
            tcp: None,
            generation: 0,
            open: None,
            close: false,
            flush: false,
            phase: Phase::Idle,
            staged: Vec::new(),
            incoming: Vec::new(),
            peek: None,
            eof: false,
            starved: false,
            serving: false,
            framing: Framing::default(),
        }
    }

    fn current(&self, generation: u32) -> bool {
        self.generation == generation && self.tcp.is_some()
    }

    /// Sets the phase of connection `generation`, if it is still the current one.
    fn report(&mut self, generation: u32, phase: Phase) {
        if self.generation == generation {
            self.phase = phase;
        }
    }

    /// Is there something to read (bytes, the end of the stream, an error)? Reads one byte ahead.
    fn readable(&mut self, generation: u32) -> bool {
        if !self.current(generation) {
            return true;
        }
        if self.peek.is_some() || self.eof {
            return true;
        }
        let Some(tcp) = self.tcp.as_mut() else {
            return true;
        };
        let mut one = [0u8; 1];
        match self.inner.receive(tcp, &mut one) {
            Ok(0) => {
                self.eof = true;
                true
            }
            Ok(_) => {
                self.peek = Some(one[0]);
                true
            }
            Err(nb::Error::WouldBlock) => false,
            Err(nb::Error::Other(_)) => true,
        }
    }

    fn poll_read(&mut self, generation: u32, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        if !self.current(generation) {
            return Poll::Ready(Err(ErrorKind::NotConnected));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if let Some(b) = self.peek.take() {
            buf[0] = b;
            self.framing.feed(&buf[..1]);
            return Poll::Ready(Ok(1));
        }
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        let Some(tcp) = self.tcp.as_mut() else {
            return Poll::Ready(Err(ErrorKind::NotConnected));
        };
        match self.inner.receive(tcp, buf) {
            Ok(0) => {
                self.eof = true;
                Poll::Ready(Ok(0))
            }
            Ok(n) => {
                self.framing.feed(&buf[..n]);
                Poll::Ready(Ok(n))
            }
            Err(nb::Error::WouldBlock) if self.serving && self.framing.at_boundary() => {
                self.starved = true;
                Poll::Ready(Err(ErrorKind::Other))
            }
            Err(nb::Error::WouldBlock) => Poll::Pending,
            Err(nb::Error::Other(e)) => Poll::Ready(Err(io_kind(e.kind()))),
        }
    }

    fn poll_write(&mut self, generation: u32, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        if !self.current(generation) {
            return Poll::Ready(Err(ErrorKind::NotConnected));
        }
        let Some(tcp) = self.tcp.as_mut() else {
            return Poll::Ready(Err(ErrorKind::NotConnected));
        };
        match self.inner.send(tcp, buf) {
            // smoltcp reports a full send buffer as Ok(0).
            Ok(0) if !buf.is_empty() => Poll::Pending,
            Ok(n) => Poll::Ready(Ok(n)),
            Err(nb::Error::WouldBlock) => Poll::Pending,
            Err(nb::Error::Other(e)) => Poll::Ready(Err(io_kind(e.kind()))),
        }
    }
}

fn io_kind(kind: TcpErrorKind) -> ErrorKind {
    match kind {
        TcpErrorKind::PipeClosed => ErrorKind::BrokenPipe,
        _ => ErrorKind::Other,
    }
}

/// The transport's error: just a kind (embedded-tls keeps only the kind).
type IoError = ErrorKind;

/// embedded-io-async 0.7 over the inner stack, for one connection (its generation).
struct Io<'l, S: TcpClientStack> {
    link: &'l RefCell<Link<S>>,
    generation: u32,
}

impl<S: TcpClientStack> ErrorType for Io<'_, S> {
    type Error = IoError;
}

impl<S: TcpClientStack> Read for Io<'_, S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        poll_fn(|_| self.link.borrow_mut().poll_read(self.generation, buf)).await
    }
}

impl<S: TcpClientStack> Write for Io<'_, S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        poll_fn(|_| self.link.borrow_mut().poll_write(self.generation, buf)).await
    }

    async fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

/// The crypto embedded-tls asks for: the random generator and the certificate verifier.
pub(crate) struct Provider<'r, R, V> {
    pub(crate) rng: &'r mut R,
    pub(crate) verifier: V,
}

impl<R: RngCore + CryptoRng, V: TlsVerifier<Aes128GcmSha256>> CryptoProvider
    for Provider<'_, R, V>
{
    type CipherSuite = Aes128GcmSha256;
    type Signature = &'static [u8];

    fn rng(&mut self) -> impl embedded_tls::CryptoRngCore {
        &mut *self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<Aes128GcmSha256>, TlsError> {
        Ok(&mut self.verifier)
    }
}

/// Returns `Pending` once, so the executor (`TlsStack`) gets control back.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|_| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            Poll::Pending
        }
    })
    .await
}

/// What a TLS connection is checked against.
///
/// Made with [`Settings::new`]: more checks may come, so outside this crate it is not built field by
/// field.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Settings<'a> {
    /// The server name: sent as SNI and matched against the certificate's names.
    pub server_name: &'a str,
    /// The CA that must have issued the server's certificate, DER.
    pub ca_der: &'a [u8],
}

impl<'a> Settings<'a> {
    /// The server's name (SNI, and the name its certificate must hold) and the CA that must have issued
    /// its certificate (DER).
    pub const fn new(server_name: &'a str, ca_der: &'a [u8]) -> Self {
        Settings {
            server_name,
            ca_der,
        }
    }
}

/// The TLS connection task: one connection after another, each over the same record buffers. Pin it
/// (`core::pin::pin!`) and hand it to [`TlsStack::new`] with the same `link`; it runs only when the stack
/// polls it. `C` is the clock for the certificate's validity ([`NoClock`]: not checked).
///
/// `read_buf` must hold the largest record the server sends ([`READ_RECORD`] always does); `write_buf`
/// holds one outgoing record: [`WRITE_OVERHEAD`] bytes plus the plaintext a record carries.
pub async fn run<'a, S, R, C>(
    link: &'a RefCell<Link<S>>,
    read_buf: &'a mut [u8],
    write_buf: &'a mut [u8],
    settings: Settings<'a>,
    rng: &'a mut R,
) -> Infallible
where
    S: TcpClientStack,
    R: RngCore + CryptoRng,
    C: TlsClock,
{
    let config = TlsConfig::new().with_server_name(settings.server_name);
    loop {
        // Wait for a connection whose TCP part is up.
        let generation = poll_fn(|_| {
            let mut l = link.borrow_mut();
            match l.open.take() {
                Some(g) if l.current(g) => Poll::Ready(g),
                _ => Poll::Pending,
            }
        })
        .await;
        debug!("TLS handshake started");
        let mut conn: TlsConnection<'_, Io<'_, S>, Aes128GcmSha256> =
            TlsConnection::new(Io { link, generation }, &mut *read_buf, &mut *write_buf);
        let verifier =
            CertVerifier::<Aes128GcmSha256, C, CERT_SIZE>::new(Certificate::X509(settings.ca_der));
        let mut provider = Provider {
            rng: &mut *rng,
            verifier,
        };
        if let Err(e) = conn.open(TlsContext::new(&config, &mut provider)).await {
            let mut l = link.borrow_mut();
            if l.current(generation) {
                error!("TLS handshake failed: {:?}: {}", e, explain(&e));
            }
            l.report(generation, Phase::Failed(Error::Tls(e)));
            continue;
        }
        {
            let mut l = link.borrow_mut();
            l.serving = true;
            l.report(generation, Phase::Open);
        }
        info!("TLS 1.3 session up: TLS_AES_128_GCM_SHA256, P-256, server certificate verified");
        let failure = serve(link, &mut conn, generation).await;
        match failure {
            Some(why) => {
                link.borrow_mut().report(generation, Phase::Failed(why));
            }
            None => {
                // Asked to close: send close_notify if the socket takes it now, then leave.
                let _ = conn.close().await;
            }
        }
    }
}

/// Application data on an open connection: staged plaintext into records, records out, records in.
/// Returns why the connection failed, or `None` when asked to close it.
async fn serve<S: TcpClientStack>(
    link: &RefCell<Link<S>>,
    conn: &mut TlsConnection<'_, Io<'_, S>, Aes128GcmSha256>,
    generation: u32,
) -> Option<Error> {
    loop {
        yield_now().await;
        let (staged, flush, close) = {
            let mut l = link.borrow_mut();
            if !l.current(generation) {
                return None;
            }
            let flush = core::mem::take(&mut l.flush);
            (core::mem::take(&mut l.staged), flush, l.close)
        };
        let mut rest = &staged[..];
        while !rest.is_empty() {
            match conn.write(rest).await {
                Ok(n) => rest = &rest[n..],
                Err(e) => return Some(Error::Tls(e)),
            }
        }
        if flush || close {
            if let Err(e) = conn.flush().await {
                return Some(Error::Tls(e));
            }
        }
        if close {
            return None;
        }
        if !link.borrow_mut().readable(generation) {
            continue;
        }
        let mut data = [0u8; 16];
        let result = conn.read(&mut data).await;
        let mut l = link.borrow_mut();
        match result {
            Ok(n) => {
                let room = l.incoming.capacity() - l.incoming.len();
                let _ = l.incoming.extend_from_slice(&data[..n.min(room)]);
            }
            Err(_) if l.starved => l.starved = false,
            Err(_) if l.eof => return Some(Error::Closed),
            Err(TlsError::ConnectionClosed) => return Some(Error::Closed),
            Err(e) => {
                warn!("TLS record failed: {:?}: {}", e, explain(&e));
                return Some(Error::Tls(e));
            }
        }
    }
}

/// The socket handle of a [`TlsStack`]: it has one connection at a time.
#[derive(Debug)]
pub struct TlsSocket {
    generation: u32,
}

/// A `TcpClientStack` that speaks TLS 1.3 over the inner stack held by `link`; see the module docs.
///
/// ```ignore
/// let link = RefCell::new(tls::Link::new(tcp_stack));
/// let task = core::pin::pin!(tls::run::<_, _, tls::NoClock>(&link, &mut rx, &mut tx, settings, &mut rng));
/// let mut stack = tls::TlsStack::new(&link, task);
/// loop { stack.with_inner(|s| s.poll()); stack.poll(); sender.poll(&mut stack, now_ms); }
/// ```
pub struct TlsStack<'a, S: TcpClientStack> {
    link: &'a RefCell<Link<S>>,
    task: Pin<&'a mut (dyn Future<Output = Infallible> + 'a)>,
}

impl<'a, S: TcpClientStack> TlsStack<'a, S> {
    /// The stack over `link`, driving `task` (made by [`run`] with the same `link`).
    pub fn new(
        link: &'a RefCell<Link<S>>,
        task: Pin<&'a mut (dyn Future<Output = Infallible> + 'a)>,
    ) -> Self {
        TlsStack { link, task }
    }

    /// The inner stack, e.g. to let it move packets.
    pub fn with_inner<T>(&mut self, f: impl FnOnce(&mut S) -> T) -> T {
        f(&mut self.link.borrow_mut().inner)
    }

    /// Lets the TLS task work: the handshake, records in, and the open record out. Call it next to the
    /// inner stack's own poll.
    pub fn poll(&mut self) {
        self.link.borrow_mut().flush = true;
        self.run_task();
    }

    /// One poll of the task.
    fn run_task(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        let _ = self.task.as_mut().poll(&mut cx);
    }

    fn phase(&self, socket: &TlsSocket) -> Phase {
        let l = self.link.borrow();
        if l.generation == socket.generation {
            l.phase
        } else {
            Phase::Failed(Error::Closed)
        }
    }
}

impl<S: TcpClientStack> TcpClientStack for TlsStack<'_, S> {
    type TcpSocket = TlsSocket;
    type Error = Error;

    fn socket(&mut self) -> Result<TlsSocket, Error> {
        let mut l = self.link.borrow_mut();
        if l.tcp.is_some() {
            return Err(Error::Busy);
        }
        let tcp = l.inner.socket().map_err(|e| Error::Tcp(e.kind()))?;
        l.tcp = Some(tcp);
        l.generation = l.generation.wrapping_add(1);
        l.open = None;
        l.close = false;
        l.phase = Phase::Idle;
        l.staged.clear();
        l.incoming.clear();
        l.peek = None;
        l.eof = false;
        l.starved = false;
        l.serving = false;
        l.framing = Framing::default();
        Ok(TlsSocket {
            generation: l.generation,
        })
    }

    fn connect(&mut self, socket: &mut TlsSocket, remote: SocketAddr) -> nb::Result<(), Error> {
        if let Phase::Idle = self.phase(socket) {
            let mut l = self.link.borrow_mut();
            let l = &mut *l;
            let Some(tcp) = l.tcp.as_mut() else {
                return Err(nb::Error::Other(Error::Closed));
            };
            match l.inner.connect(tcp, remote) {
                Ok(()) => {
                    l.open = Some(socket.generation);
                    l.phase = Phase::Handshake;
                }
                Err(nb::Error::WouldBlock) => return Err(nb::Error::WouldBlock),
                Err(nb::Error::Other(e)) => return Err(nb::Error::Other(Error::Tcp(e.kind()))),
            }
        }
        self.run_task();
        match self.phase(socket) {
            Phase::Open => Ok(()),
            Phase::Idle | Phase::Handshake => Err(nb::Error::WouldBlock),
            Phase::Failed(e) => Err(nb::Error::Other(e)),
        }
    }

    fn send(&mut self, socket: &mut TlsSocket, buffer: &[u8]) -> nb::Result<usize, Error> {
        for _ in 0..2 {
            match self.phase(socket) {
                Phase::Open => {}
                Phase::Failed(e) => return Err(nb::Error::Other(e)),
                Phase::Idle | Phase::Handshake => return Err(nb::Error::WouldBlock),
            }
            let n = {
                let mut l = self.link.borrow_mut();
                let n = buffer.len().min(STAGE - l.staged.len());
                let _ = l.staged.extend_from_slice(&buffer[..n]);
                n
            };
            if n > 0 || buffer.is_empty() {
                return Ok(n);
            }
            // The stage is full: let the task move it into the record, then try once more.
            self.run_task();
        }
        Err(nb::Error::WouldBlock)
    }

    fn receive(&mut self, socket: &mut TlsSocket, buffer: &mut [u8]) -> nb::Result<usize, Error> {
        // The sender asks at the start of every poll: the frames it wrote in the last one go out now.
        self.poll();
        match self.phase(socket) {
            Phase::Open => {}
            Phase::Failed(Error::Closed) => return Ok(0),
            Phase::Failed(e) => return Err(nb::Error::Other(e)),
            Phase::Idle | Phase::Handshake => return Err(nb::Error::WouldBlock),
        }
        let mut l = self.link.borrow_mut();
        if l.incoming.is_empty() {
            return Err(nb::Error::WouldBlock);
        }
        let n = buffer.len().min(l.incoming.len());
        buffer[..n].copy_from_slice(&l.incoming[..n]);
        let rest = l.incoming.len() - n;
        l.incoming.copy_within(n.., 0);
        l.incoming.truncate(rest);
        Ok(n)
    }

    fn close(&mut self, socket: TlsSocket) -> Result<(), Error> {
        let open = matches!(self.phase(&socket), Phase::Open);
        if open {
            // close_notify, if the socket takes it right away.
            self.link.borrow_mut().close = true;
            self.run_task();
            self.run_task();
        }
        let mut l = self.link.borrow_mut();
        if l.generation != socket.generation {
            return Ok(());
        }
        l.phase = Phase::Idle;
        l.open = None;
        match l.tcp.take() {
            Some(tcp) => l.inner.close(tcp).map_err(|e| Error::Tcp(e.kind())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Framing;

    #[test]
    fn framing_follows_records() {
        let mut f = Framing::default();
        assert!(f.at_boundary());
        f.feed(&[23, 3, 3]);
        assert!(!f.at_boundary());
        f.feed(&[0, 2, 0xaa]);
        assert!(!f.at_boundary());
        f.feed(&[0xbb, 22, 3, 3, 0, 1, 9]);
        assert!(f.at_boundary());
        f.feed(&[21, 3, 3, 1, 0]);
        assert_eq!(f.body_left, 256);
    }
}
