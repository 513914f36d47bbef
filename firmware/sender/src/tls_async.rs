//! TLS 1.3 beneath the async sender (features `tls` and `async`): [`TlsConnect`] is an embedded-nal-async
//! [`TcpConnect`] over another one (embassy-net's `TcpClient`, for one), so
//! [`AsyncSender`](crate::AsyncSender) sends over TLS unchanged: one queue, one set of delivery rules.
//!
//! - `connect` = the inner TCP connect, then the TLS 1.3 handshake with embedded-tls's async API: the same
//!   offer and the same checks as the blocking [`TlsStack`](crate::tls::TlsStack) (`TLS_AES_128_GCM_SHA256`,
//!   key exchange on P-256, the server's ECDSA P-256 certificate checked against the CA compiled in, the
//!   server name, and its validity dates against the clock `C`). A refusal is logged with its reason and
//!   fails the connect, which the sender counts and backs off from, as any refused connect.
//! - `write` = encrypt: each `write` call goes out as one record (the async sender writes a frame in windows
//!   of 256 bytes), into the TCP socket's buffer without waiting for the peer's acknowledgement.
//! - `read` = decrypt. A `close_notify` or the end of the stream reads as `Ok(0)`; a session ticket is read
//!   and dropped; any other TLS error (a KeyUpdate, which embedded-tls 0.19 does not implement and reports
//!   as `Unimplemented`, included) fails the connection, logged, and the sender sends its unconfirmed
//!   frames again on the next one.
//! - There is no way to turn verification off.
//!
//! # Reads the sender may drop
//! The async sender asks "is the connection still open?" by polling a read once and dropping it, and waits
//! for a push, a confirmation or the peer with the read in a `select`. embedded-tls's record reader is not
//! cancel-safe: it keeps a record's header in a local while it waits for the body. So after the handshake
//! the transport beneath it gathers each record whole (up to 512 bytes: carbon sends no data, a server's
//! session tickets and alerts are smaller) in a buffer of its own before it hands embedded-tls a byte; a
//! read then waits only at a record boundary, where dropping it loses nothing. A larger record (never sent by
//! carbon) is passed through as it comes.
//!
//! # The record buffers
//! embedded-tls borrows its record buffers for a whole connection, and `TcpConnect::connect` takes `&self`,
//! so the buffers are lent to one connection at a time through a flag, as embassy-net's own `TcpClient`
//! lends its socket buffers: the crate's one `unsafe` block, in `TlsConnect::lend`. A second connection
//! while one is open is refused (`AddrInUse`); the async sender never asks for one.

use core::cell::{Cell, UnsafeCell};
use core::marker::PhantomData;
use core::net::SocketAddr;

use embedded_io_async::{Error as _, ErrorKind, ErrorType, Read, Write};
use embedded_nal_async::TcpConnect;
use embedded_tls::pki::CertVerifier;
use embedded_tls::{Aes128GcmSha256, Certificate, FlushPolicy, TlsConfig, TlsContext};
use rand_core::{CryptoRng, RngCore};

use crate::tls::{explain, Provider, Settings, TlsClock, TlsError, CERT_SIZE};

/// The largest record gathered whole after the handshake (see the module docs).
const HOLD: usize = 512;
/// A TLS record header: type, version, length.
const HEADER: usize = 5;

/// An embedded-nal-async [`TcpConnect`] that speaks TLS 1.3 over the inner one; see the module docs.
///
/// `T` is the TCP stack (`&TcpClient` on embassy-net), `R` the CSPRNG for the handshakes (seeded from a
/// hardware RNG), `C` the wall clock for the certificate's validity dates ([`NoClock`](crate::tls::NoClock):
/// not checked).
///
/// ```ignore
/// static READ: ConstStaticCell<[u8; tls::READ_RECORD]> = ConstStaticCell::new([0; tls::READ_RECORD]);
/// static WRITE: ConstStaticCell<[u8; 1024]> = ConstStaticCell::new([0; 1024]);
/// let tls = TlsConnect::<_, _, WallClock>::new(&tcp_client, settings, rng, READ.take(), WRITE.take());
/// sender.run(&tls, &clock).await;
/// ```
pub struct TlsConnect<'b, T, R, C> {
    tcp: T,
    settings: Settings<'b>,
    parts: UnsafeCell<Parts<'b, R>>,
    /// The record buffers are lent to a connection.
    lent: Cell<bool>,
    /// The current connection's handshake is done: its transport gathers records whole.
    open: Cell<bool>,
    clock: PhantomData<C>,
}

/// What a connection borrows for its life: the record buffers and the random generator.
struct Parts<'b, R> {
    read: &'b mut [u8],
    write: &'b mut [u8],
    rng: R,
}

/// Gives the record buffers back when the connection holding them is dropped.
struct Lease<'a>(&'a Cell<bool>);

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl<'b, T, R, C> TlsConnect<'b, T, R, C> {
    /// TLS over `tcp`, checked against `settings`. `read_buf` must hold the largest record the server sends
    /// ([`READ_RECORD`](crate::tls::READ_RECORD) always does); `write_buf` holds one outgoing record:
    /// [`WRITE_OVERHEAD`](crate::tls::WRITE_OVERHEAD) bytes plus the plaintext of one `write` (256 bytes
    /// from the async sender; 1,024 in all leaves room).
    pub fn new(
        tcp: T,
        settings: Settings<'b>,
        rng: R,
        read_buf: &'b mut [u8],
        write_buf: &'b mut [u8],
    ) -> Self {
        TlsConnect {
            tcp,
            settings,
            parts: UnsafeCell::new(Parts {
                read: read_buf,
                write: write_buf,
                rng,
            }),
            lent: Cell::new(false),
            open: Cell::new(false),
            clock: PhantomData,
        }
    }

    /// The record buffers and the generator for one connection, with the lease that gives them back;
    /// `None` while lent.
    #[allow(unsafe_code, clippy::mut_from_ref)]
    fn lend(&self) -> Option<(Lease<'_>, &mut Parts<'b, R>)> {
        if self.lent.replace(true) {
            return None;
        }
        // SAFETY: `lent` was false, so no reference into the buffers is alive: the only ones ever made are
        // handed out here, together with the lease, and both live in one `TlsConnection` and go when it is
        // dropped (the lease clears `lent`). Until then this returns `None`. `UnsafeCell` makes the type
        // `!Sync`, so no other thread can get here meanwhile.
        let parts = unsafe { &mut *self.parts.get() };
        Some((Lease(&self.lent), parts))
    }
}

impl<T, R, C> TcpConnect for TlsConnect<'_, T, R, C>
where
    T: TcpConnect,
    R: RngCore + CryptoRng,
    C: TlsClock,
{
    type Error = ErrorKind;
    type Connection<'a>
        = TlsConnection<'a, T::Connection<'a>>
    where
        Self: 'a;

    async fn connect<'a>(&'a self, remote: SocketAddr) -> Result<Self::Connection<'a>, ErrorKind> {
        let Some((lease, parts)) = self.lend() else {
            return Err(ErrorKind::AddrInUse);
        };
        let tcp = self.tcp.connect(remote).await.map_err(|e| e.kind())?;
        debug!("TLS handshake started");
        self.open.set(false);
        let transport = Transport::new(tcp, &self.open);
        let mut tls = embedded_tls::TlsConnection::new(transport, parts.read, parts.write);
        // Records go into the socket's buffer; waiting for the peer's acknowledgement of each is not needed.
        tls.set_flush_policy(FlushPolicy::Relaxed);
        let config = TlsConfig::new().with_server_name(self.settings.server_name);
        let verifier = CertVerifier::<Aes128GcmSha256, C, CERT_SIZE>::new(Certificate::X509(
            self.settings.ca_der,
        ));
        let mut provider = Provider {
            rng: &mut parts.rng,
            verifier,
        };
        if let Err(e) = tls.open(TlsContext::new(&config, &mut provider)).await {
            error!("TLS handshake failed: {:?}: {}", e, explain(&e));
            return Err(match e {
                TlsError::Io(kind) => kind,
                _ => ErrorKind::PermissionDenied,
            });
        }
        self.open.set(true);
        info!("TLS 1.3 session up: TLS_AES_128_GCM_SHA256, P-256, server certificate verified");
        Ok(TlsConnection { tls, _lease: lease })
    }
}

/// An open TLS connection of a [`TlsConnect`]: embedded-io-async `Read + Write` of plaintext.
pub struct TlsConnection<'a, S: Read + Write + 'a> {
    tls: embedded_tls::TlsConnection<'a, Transport<'a, S>, Aes128GcmSha256>,
    _lease: Lease<'a>,
}

/// A TLS error on an open connection: logged, and reported as the transport's kind or `Other`.
fn record_error(e: TlsError) -> ErrorKind {
    match e {
        TlsError::Io(kind) => kind,
        e => {
            warn!("TLS record failed: {:?}: {}", e, explain(&e));
            ErrorKind::Other
        }
    }
}

impl<S: Read + Write> ErrorType for TlsConnection<'_, S> {
    type Error = ErrorKind;
}

impl<S: Read + Write> Read for TlsConnection<'_, S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        match self.tls.read(buf).await {
            Ok(n) => Ok(n),
            // close_notify, or the end of the stream at a record boundary.
            Err(TlsError::ConnectionClosed | TlsError::IoError) => Ok(0),
            Err(e) => Err(record_error(e)),
        }
    }
}

impl<S: Read + Write> Write for TlsConnection<'_, S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let n = self.tls.write(buf).await.map_err(record_error)?;
        self.tls.flush().await.map_err(record_error)?;
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        self.tls.flush().await.map_err(record_error)
    }
}

/// The TCP connection beneath embedded-tls: bytes as they come during the handshake, whole records after it
/// (see the module docs, "Reads the sender may drop").
struct Transport<'a, S> {
    tcp: S,
    open: &'a Cell<bool>,
    hold: [u8; HOLD],
    /// Bytes of the record being gathered or served.
    held: usize,
    /// Bytes of it handed to embedded-tls.
    served: usize,
    /// `hold` has a whole record (or the header of a larger one) to serve.
    ready: bool,
    /// Bytes of a larger record's body still to pass straight through.
    direct: usize,
}

impl<'a, S> Transport<'a, S> {
    /// A fresh connection: nothing held, the handshake's bytes passed as they come.
    fn new(tcp: S, open: &'a Cell<bool>) -> Self {
        Transport {
            tcp,
            open,
            hold: [0; HOLD],
            held: 0,
            served: 0,
            ready: false,
            direct: 0,
        }
    }
}

impl<S: Read + Write> Transport<'_, S> {
    /// Reads until `hold` has a whole record or a larger record's header; `false` at the end of the stream
    /// between records. Each read's bytes are kept in `self`, so the future may be dropped at any await.
    async fn gather(&mut self) -> Result<bool, ErrorKind> {
        loop {
            let want = match self.hold.get(3..HEADER) {
                Some(&[high, low]) if self.held >= HEADER => {
                    HEADER + usize::from(u16::from_be_bytes([high, low]))
                }
                _ => HEADER,
            };
            if want > HOLD {
                self.direct = want - HEADER;
                self.ready = true;
                return Ok(true);
            }
            let Some(rest) = self.hold.get_mut(self.held..want) else {
                self.ready = true;
                return Ok(true);
            };
            if rest.is_empty() {
                self.ready = true;
                return Ok(true);
            }
            match self.tcp.read(rest).await.map_err(|e| e.kind())? {
                0 if self.held == 0 => return Ok(false),
                0 => return Err(ErrorKind::BrokenPipe),
                n => self.held += n,
            }
        }
    }
}

impl<S: Read + Write> ErrorType for Transport<'_, S> {
    type Error = ErrorKind;
}

impl<S: Read + Write> Read for Transport<'_, S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        if !self.open.get() {
            return self.tcp.read(buf).await.map_err(|e| e.kind());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.ready {
            if self.direct > 0 {
                let n = buf.len().min(self.direct);
                let k = self.tcp.read(&mut buf[..n]).await.map_err(|e| e.kind())?;
                self.direct -= k.min(self.direct);
                return Ok(k);
            }
            if !self.gather().await? {
                return Ok(0);
            }
        }
        let pending = self.hold.get(self.served..self.held).unwrap_or(&[]);
        let n = pending.len().min(buf.len());
        buf[..n].copy_from_slice(&pending[..n]);
        self.served += n;
        if self.served >= self.held {
            self.ready = false;
            self.held = 0;
            self.served = 0;
        }
        Ok(n)
    }
}

impl<S: Read + Write> Write for Transport<'_, S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.tcp.write(buf).await.map_err(|e| e.kind())
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        self.tcp.flush().await.map_err(|e| e.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::future::{poll_fn, Future};
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::vec::Vec;

    /// A socket whose bytes arrive when the test says; a read with nothing there waits.
    struct Trickle<'q>(&'q RefCell<VecDeque<u8>>);

    impl ErrorType for Trickle<'_> {
        type Error = ErrorKind;
    }

    impl Read for Trickle<'_> {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
            poll_fn(|_| {
                let mut q = self.0.borrow_mut();
                if q.is_empty() {
                    return Poll::Pending;
                }
                let n = buf.len().min(q.len());
                for b in &mut buf[..n] {
                    *b = q.pop_front().unwrap_or_default();
                }
                Poll::Ready(Ok(n))
            })
            .await
        }
    }

    impl Write for Trickle<'_> {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
            Ok(buf.len())
        }

        async fn flush(&mut self) -> Result<(), ErrorKind> {
            Ok(())
        }
    }

    /// Polls `fut` once: `Some` if it completed.
    fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
        let mut fut = pin!(fut);
        match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        }
    }

    fn record(body: &[u8]) -> Vec<u8> {
        let mut r = vec![23, 3, 3];
        r.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn a_dropped_read_loses_no_byte_of_a_record() {
        let queue = RefCell::new(VecDeque::new());
        let open = Cell::new(true);
        let mut t = Transport::new(Trickle(&queue), &open);
        let first = record(&[7; 40]);
        let second = record(&[9; 3]);
        // Half a header, then half a body: each read waits and is dropped, as the sender's probe does.
        queue.borrow_mut().extend(&first[..3]);
        assert_eq!(poll_once(t.read(&mut [0; 5])), None);
        queue.borrow_mut().extend(&first[3..20]);
        assert_eq!(poll_once(t.read(&mut [0; 5])), None);
        queue.borrow_mut().extend(&first[20..]);
        queue.borrow_mut().extend(&second);
        // Now embedded-tls's reads (header, then body) complete without waiting, record by record.
        let mut got = Vec::new();
        for want in [5, 40, 5, 3] {
            let mut buf = vec![0; want];
            assert_eq!(poll_once(t.read(&mut buf)), Some(Ok(want)));
            got.extend(buf);
        }
        assert_eq!(got, [first, second].concat());
        assert_eq!(poll_once(t.read(&mut [0; 5])), None);
    }

    #[test]
    fn a_record_larger_than_the_hold_passes_through() {
        let queue = RefCell::new(VecDeque::new());
        let open = Cell::new(true);
        let mut t = Transport::new(Trickle(&queue), &open);
        let big = record(&[1; HOLD + 100]);
        queue.borrow_mut().extend(&big);
        let mut got = vec![0; big.len()];
        assert_eq!(poll_once(t.read(&mut got[..5])), Some(Ok(5)));
        let mut at = 5;
        while at < big.len() {
            at += poll_once(t.read(&mut got[at..])).unwrap().unwrap();
        }
        assert_eq!(got, big);
        assert_eq!(t.direct, 0);
    }
}
