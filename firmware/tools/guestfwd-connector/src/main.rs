//! Joins stdin/stdout to a TCP port on 127.0.0.1. QEMU runs it once per guest connection
//! (`guestfwd=tcp:10.0.2.100:2004-cmd:guestfwd-connector <port>`), which gives the guest one host connection
//! per guest connection (a `tcp:` guestfwd shares one host connection between all of them).
//!
//! If the port refuses, the connector exits at once and QEMU closes the guest's connection: what a node
//! behind a refusing relay should see. Otherwise bytes are copied both ways; the guest closing its side is
//! passed on, and the connection ending on the host side (close or reset) ends the guest's connection.
//! Native code so that a refusal reaches the guest within milliseconds (a Python connector takes ~100 ms to
//! start).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::thread;

fn main() -> ExitCode {
    let Some(port) = std::env::args().nth(1).and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: guestfwd-connector <port>");
        return ExitCode::from(2);
    };
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return ExitCode::from(1);
    };
    let Ok(mut up) = stream.try_clone() else {
        return ExitCode::from(1);
    };
    thread::spawn(move || {
        let _ = io::copy(&mut io::stdin().lock(), &mut up);
        let _ = up.shutdown(Shutdown::Write);
    });
    // Host to guest chunk by chunk, each flushed: stdout is line-buffered, and binary data (a TLS server's
    // handshake) may hold no newline at all, so `io::copy` would keep it back until the connection ends.
    let mut down = stream;
    let mut out = io::stdout().lock();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match down.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if out.write_all(&buf[..n]).and_then(|()| out.flush()).is_err() {
                    break;
                }
            }
        }
    }
    ExitCode::SUCCESS
}
