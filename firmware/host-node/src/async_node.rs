//! The same node with the async sender (`--async`): carbon-sender's `AsyncSender` on a tokio current-thread
//! runtime, over OS sockets through a small embedded-nal-async adapter. The sampler and the sender are two
//! futures on one thread; the sampler only pushes, the sender task does all the waiting.

use std::net::SocketAddr;
use std::time::Duration;

use carbon_sender::{AsyncSender, Clock, Config, Stats};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::{Args, FLUSH_TIMEOUT_MS, QUEUE};

/// A std I/O error as embedded-io-async's error.
#[derive(Debug)]
pub struct IoError(std::io::Error);

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoError {}

impl embedded_io_async::Error for IoError {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        use embedded_io_async::ErrorKind as K;
        use std::io::ErrorKind as S;
        match self.0.kind() {
            S::ConnectionReset => K::ConnectionReset,
            S::ConnectionAborted => K::ConnectionAborted,
            S::BrokenPipe => K::BrokenPipe,
            S::ConnectionRefused => K::ConnectionRefused,
            S::TimedOut => K::TimedOut,
            _ => K::Other,
        }
    }
}

/// OS sockets as an embedded-nal-async stack.
pub struct TokioStack;

/// One connection; dropping it closes the socket.
pub struct TokioConn(TcpStream);

impl embedded_nal_async::TcpConnect for TokioStack {
    type Error = IoError;
    type Connection<'a> = TokioConn;

    async fn connect(&self, remote: SocketAddr) -> Result<TokioConn, IoError> {
        let stream = TcpStream::connect(remote).await.map_err(IoError)?;
        stream.set_nodelay(true).map_err(IoError)?;
        Ok(TokioConn(stream))
    }
}

impl embedded_io_async::ErrorType for TokioConn {
    type Error = IoError;
}

impl embedded_io_async::Read for TokioConn {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        self.0.read(buf).await.map_err(IoError)
    }
}

impl embedded_io_async::Write for TokioConn {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        self.0.write(buf).await.map_err(IoError)
    }
    async fn flush(&mut self) -> Result<(), IoError> {
        self.0.flush().await.map_err(IoError)
    }
}

/// tokio's clock, in milliseconds since the node started.
pub struct TokioClock(Instant);

impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }
    fn sleep_until(&self, at_ms: u64) -> impl std::future::Future<Output = ()> {
        tokio::time::sleep_until(self.0 + Duration::from_millis(at_ms))
    }
}

type HostAsyncSender<'p> = AsyncSender<'p, NoopRawMutex, &'static str, QUEUE>;

/// Runs the node; the counters at the end.
pub fn run(args: &Args, config: Config<'_>, epoch: u32) -> Result<(Stats, bool), String> {
    let sender: HostAsyncSender<'_> =
        AsyncSender::new(config).map_err(|e| format!("bad configuration: {e}"))?;
    let clock = TokioClock(Instant::now());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let sampler = async {
            if args.oversized {
                crate::oversized(epoch, |m, t, v| {
                    let _ = sender.push(m, t, v);
                });
            }
            for i in 0..args.intervals {
                tokio::time::sleep_until(
                    clock.0 + Duration::from_millis(u64::from(i) * args.pace_ms),
                )
                .await;
                let stats = sender.stats();
                let uptime_ms = clock.now_ms() as u32;
                crate::sample(i, epoch, args.interval_s, &stats, uptime_ms, |m, t, v| {
                    let _ = sender.push(m, t, v);
                });
            }
            let deadline = clock.now_ms() + FLUSH_TIMEOUT_MS;
            while !sender.is_flushed() && clock.now_ms() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            sender.shutdown();
        };
        embassy_futures::join::join(sampler, sender.run(&TokioStack, &clock)).await;
    });
    Ok((sender.stats(), sender.is_flushed()))
}
