//! Explains the frames on stdin (or one bare pickle payload) on stdout, as `carbon-pickle inspect` does:
//! every opcode as `pickletools.dis` prints it, then the datapoints carbon would store or why it would
//! refuse the frame. The counts go to stderr.
//!
//! It lists each frame as soon as all of it has come in, in the same memory whatever the input's length
//! (a frame buffer of 1 MiB + 4 bytes, an 80 KiB workspace, a 64 KiB read buffer and the output's buffer):
//!
//! ```sh
//! cargo run --release -p carbon-pickle --example inspect < capture.bin | less
//! ```

use std::fmt;
use std::io::{self, BufWriter, ErrorKind, Read, Write};

use carbon_pickle::decode::{Inspector, Slot, DEFAULT_SLOTS, INSPECTOR_BUF_LEN};

fn main() -> io::Result<()> {
    let mut inspector = Inspector::new(
        vec![0u8; INSPECTOR_BUF_LEN],
        vec![Slot::EMPTY; DEFAULT_SLOTS],
    );
    let mut out = IoText {
        out: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        error: None,
    };
    let mut stdin = io::stdin().lock();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match stdin.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let r = inspector.feed(&chunk[..n], &mut out);
        out.check(r)?;
    }
    let summary = inspector.finish(&mut out);
    let summary = out.check(summary)?;
    out.out.flush()?;
    eprintln!("{summary:?}");
    Ok(())
}

/// The inspector writes text (`fmt::Write`); this hands it to an `io::Write` and keeps the I/O error a
/// `fmt::Error` stands for.
struct IoText<W> {
    out: W,
    error: Option<io::Error>,
}

impl<W> IoText<W> {
    fn check<T>(&mut self, r: Result<T, fmt::Error>) -> io::Result<T> {
        r.map_err(|_| {
            self.error
                .take()
                .unwrap_or_else(|| io::Error::other("formatting failed"))
        })
    }
}

impl<W: Write> fmt::Write for IoText<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}
