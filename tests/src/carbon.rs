//! One carbon-cache daemon in its own temporary directory, stopped when dropped; optionally with graphite-web
//! beside it ([`Carbon::start_with_graphite`]).

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use carbon_pickle::{split, Datapoint, Options, SplitStats};

use crate::{python, script, Stored};

const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long [`Carbon::wait`] waits for carbon to store what was sent.
pub const WAIT_SECS: u32 = 60;

/// A running carbon-cache (through `harness.py serve`), listening on 127.0.0.1.
///
/// Dropping it sends SIGTERM to the harness (which stops carbon and waits for it), then removes the
/// directory. Set `CARBON_PICKLE_KEEP=1` to keep the directory for a look at carbon's files and log.
#[derive(Debug)]
pub struct Carbon {
    harness: Child,
    /// `harness.py again`, once carbon was restarted after a kill.
    again: Option<Child>,
    dir: Option<tempfile::TempDir>,
    workdir: PathBuf,
    /// carbon's pickle receiver port.
    pub pickle: u16,
    /// carbon's plaintext line receiver port.
    pub line: u16,
    /// carbon-cache's process id.
    pub pid: u32,
    /// graphite-web's port on 127.0.0.1, when it runs beside carbon.
    pub graphite: Option<u16>,
    /// The loopback address carbon listens on (127.0.0.1 unless [`start_on`](Self::start_on) said).
    pub interface: Ipv4Addr,
}

impl Carbon {
    /// Starts carbon and returns once its pickle and line receivers accept connections.
    ///
    /// Panics with the harness's error output if carbon does not come up.
    pub fn start() -> Carbon {
        Self::start_serving(false, None)
    }

    /// Starts carbon listening on another loopback address (`127.0.0.2`, ...), as a member of a cluster
    /// (`harness.py serve DIR INTERFACE`): distinct addresses give the caches distinct server strings.
    pub fn start_on(interface: &str) -> Carbon {
        Self::start_serving(false, Some(interface))
    }

    /// Starts graphite-web 1.1.10, then carbon with `ENABLE_TAGS` and `GRAPHITE_URL` pointing at it
    /// (`harness.py serve --graphite`): carbon registers every new tagged series in graphite-web's tag
    /// database, as in production, and [`graphite_get`](Self::graphite_get) asks graphite-web.
    pub fn start_with_graphite() -> Carbon {
        Self::start_serving(true, None)
    }

    fn start_serving(graphite: bool, interface: Option<&str>) -> Carbon {
        let dir = tempfile::Builder::new()
            .prefix("carbon-e2e-")
            .tempdir()
            .expect("temporary directory");
        let workdir = dir.path().to_path_buf();
        let err = fs::File::create(workdir.join("harness.err")).expect("harness.err");
        let python = python();
        let mut harness = Command::new(&python)
            .arg(script("harness.py"))
            .arg("serve")
            .arg(&workdir)
            .args(graphite.then_some("--graphite"))
            .args(interface)
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} (run scripts/setup.sh first): {e}",
                    python.display()
                )
            });
        let ports = workdir.join("ports.json");
        let started = Instant::now();
        while !ports.exists() {
            if let Ok(Some(status)) = harness.try_wait() {
                panic!(
                    "harness.py serve exited with {status}:\n{}",
                    read_lossy(&workdir.join("harness.err"))
                );
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = harness.kill();
                let _ = harness.wait();
                panic!(
                    "carbon did not start within {START_TIMEOUT:?}:\n{}",
                    read_lossy(&workdir.join("harness.err"))
                );
            }
            sleep(Duration::from_millis(20));
        }
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&ports).expect("ports.json"))
                .expect("ports.json is JSON");
        let port = |k: &str| {
            json[k]
                .as_u64()
                .unwrap_or_else(|| panic!("ports.json has no {k}"))
        };
        Carbon {
            pickle: port("pickle") as u16,
            line: port("line") as u16,
            pid: port("pid") as u32,
            graphite: json["graphite"].as_u64().map(|p| p as u16),
            interface: json["interface"]
                .as_str()
                .and_then(|i| i.parse().ok())
                .unwrap_or(Ipv4Addr::LOCALHOST),
            harness,
            again: None,
            dir: Some(dir),
            workdir,
        }
    }

    /// Kills carbon-cache with SIGKILL (a crash: its connections die with it; the harness ends too) and
    /// returns once its pickle port refuses connections.
    pub fn kill_carbon(&mut self) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is carbon's, started by our harness.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
        }
        let started = Instant::now();
        while TcpStream::connect(self.pickle_addr()).is_ok() && started.elapsed() < STOP_TIMEOUT {
            sleep(Duration::from_millis(20));
        }
        if let Some(mut again) = self.again.take() {
            let _ = again.wait();
        } else {
            let _ = self.harness.wait();
        }
    }

    /// Starts carbon again after [`kill_carbon`](Self::kill_carbon), with the same configuration and ports
    /// (`harness.py again`); returns once it accepts connections.
    pub fn restart_carbon(&mut self) {
        use std::io::BufRead;
        let mut child = Command::new(python())
            .arg(script("harness.py"))
            .arg("again")
            .arg(&self.workdir)
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run harness.py again");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("harness.py again prints carbon's pid");
        self.pid = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("harness.py again printed {line:?}:\n{}", self.log()));
        self.again = Some(child);
    }

    /// The directory carbon works in (`conf/`, `storage/whisper/`, `carbon.out`).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The pickle receiver's address.
    pub fn pickle_addr(&self) -> SocketAddr {
        (self.interface, self.pickle).into()
    }

    /// A new connection to the pickle receiver.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.pickle_addr()).expect("connect to carbon's pickle port");
        s.set_nodelay(true).expect("TCP_NODELAY");
        s
    }

    /// Sends `bytes` (whole frames) on one new connection and closes it.
    pub fn send(&self, bytes: &[u8]) {
        let mut s = self.connect();
        s.write_all(bytes).expect("send frames to carbon");
    }

    /// Encodes `points` with [`split`] into as many frames as `opts` allow and writes each frame to one
    /// connection as soon as it is finished. Returns every byte sent and the splitter's totals.
    pub fn send_split(&self, points: &[Datapoint<'_>], opts: Options<'_>) -> (Vec<u8>, SplitStats) {
        let mut stream = self.connect();
        let mut sent = Vec::new();
        let stats = split(points, Vec::new(), opts, |frame| {
            stream.write_all(frame)?;
            sent.extend_from_slice(frame);
            Ok::<_, std::io::Error>(())
        })
        .unwrap_or_else(|e| panic!("encoding or sending failed: {e}"));
        (sent, stats)
    }

    /// Sends plaintext lines (`path value timestamp\n`) to the line receiver, bypassing our encoder.
    pub fn send_lines(&self, text: &str) {
        let mut s = TcpStream::connect((self.interface, self.line)).expect("connect to line port");
        s.write_all(text.as_bytes()).expect("send lines to carbon");
    }

    /// Waits until whisper holds at least `count` datapoints in total; panics with carbon's log if it
    /// does not within [`WAIT_SECS`].
    pub fn wait(&self, count: usize) {
        let out = self.harness_cmd("wait", &[count.to_string(), WAIT_SECS.to_string()]);
        assert!(
            out.status.success(),
            "carbon did not store {count} datapoints:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Everything whisper stored: `{path: [(ts, value), ...]}`, by time.
    pub fn dump(&self) -> Stored {
        let out = self.harness_cmd("dump", &[]);
        assert!(
            out.status.success(),
            "harness.py dump failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        crate::stored::parse(&out.stdout)
    }

    /// Waits for `count` datapoints, then returns everything stored.
    pub fn wait_dump(&self, count: usize) -> Stored {
        self.wait(count);
        self.dump()
    }

    /// carbon's own output (its console, creates and listener logs).
    pub fn log(&self) -> String {
        read_lossy(&self.workdir.join("carbon.out"))
    }

    /// Waits (up to [`WAIT_SECS`]) until carbon's log contains `needle`; false if it never does.
    pub fn wait_log(&self, needle: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(WAIT_SECS.into()) {
            if self.log().contains(needle) {
                return true;
            }
            sleep(Duration::from_millis(50));
        }
        false
    }

    /// GETs `path` (with its query, encoded by [`query`]) from graphite-web and returns the JSON it answers;
    /// panics on anything but 200.
    pub fn graphite_get(&self, path: &str) -> serde_json::Value {
        let port = self
            .graphite
            .expect("graphite-web runs (Carbon::start_with_graphite)");
        let mut s =
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect to graphite-web");
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("send the request");
        let mut response = Vec::new();
        s.read_to_end(&mut response)
            .expect("read graphite-web's answer");
        let text = String::from_utf8_lossy(&response);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        assert!(
            head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
            "graphite-web answered GET {path} with:\n{text}\n--- graphite.out:\n{}",
            read_lossy(&self.workdir.join("graphite.out"))
        );
        serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
    }

    fn harness_cmd(&self, cmd: &str, args: &[String]) -> std::process::Output {
        Command::new(python())
            .arg(script("harness.py"))
            .arg(cmd)
            .arg(&self.workdir)
            .args(args)
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run harness.py")
    }
}

impl Drop for Carbon {
    fn drop(&mut self) {
        if let Some(mut again) = self.again.take() {
            if let Ok(None) = again.try_wait() {
                sigterm(again.id() as libc::pid_t);
                let _ = again.wait();
            }
        }
        let pid = self.harness.id() as libc::pid_t;
        if let Ok(None) = self.harness.try_wait() {
            sigterm(pid);
            let started = Instant::now();
            while let Ok(None) = self.harness.try_wait() {
                if started.elapsed() > STOP_TIMEOUT {
                    let _ = self.harness.kill();
                    let _ = self.harness.wait();
                    break;
                }
                sleep(Duration::from_millis(20));
            }
        }
        if std::env::var_os("CARBON_PICKLE_KEEP").is_some() {
            if let Some(dir) = self.dir.take() {
                eprintln!("keeping carbon's directory {}", dir.keep().display());
            }
        }
    }
}

/// Sends SIGTERM to `pid`: our own child, still unreaped (`try_wait` said so), so the pid is not reused.
fn sigterm(pid: libc::pid_t) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}

/// `text` percent-encoded for a URL's query (everything but letters, digits and `-._~`).
pub fn query(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("({}: {e})", path.display()))
}
