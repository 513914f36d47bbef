#!/usr/bin/env python3
"""The firmware's end-to-end tests: the sensor node under QEMU and on the host, against a real carbon-cache.

Run with the venv's python ($CARBON_PICKLE_PYTHON; scripts/test-firmware.sh does):

    run_tests.py [--bless] [--only NAME ...] [--keep]

Scenarios (each against its own carbon-cache from tests/carbon/harness.py):
  boards      mps2-an386 and mps2-an385 under QEMU (user networking, restrict=on, a guestfwd to carbon), then
              the host node (std-embedded-nal) into the same carbon. Each run's defmt log, timestamps filtered,
              must equal tests/expected/<board>.log (--bless rewrites them); every datapoint must be in whisper
              exactly as expected: temperature and humidity recomputed here (series.py), uptime as logged,
              queue depth 0 and reconnects 0.
  fault-qemu  mps2-an386 behind a loopback relay that refuses connections for a while, then cuts the first
              connection it accepts mid-stream, then forwards to carbon. Every datapoint must land exactly; the
              relay decodes what passed through it (tests/carbon/decode.py) and checks that datapoints arrived
              more than once only after a connection was cut (the documented duplicates).
  fault-host  the host node behind the same kind of relay (a real refused connect on the host).
  tls         both boards built with feature tls (a test CA from the openssl CLI compiled in) through stunnel,
              TLS 1.3 only, in front of carbon: log as expected (tests/expected/<board>-tls.log), every datapoint
              in whisper exactly; the handshake time from the defmt timestamps, at host speed and again with
              QEMU's -icount shift=5 (about 31 M instructions/s, near the boards' 25 MHz).
  tls-refusals  a certificate from another CA, a wrong server name, a server offering only TLS 1.2: each refused,
              the log says why, nothing leaves the queue, nothing reaches carbon.
  tls-keyupdate  openssl s_server sends a TLS 1.3 KeyUpdate: the node logs embedded-tls's Unimplemented, ends that
              connection and connects again, without a panic (mps2-an386 and embassy-node).
  sntp        embassy-node whose SNTP server is silent at first: samples without a wall clock queue nothing and say
              so, the rest carry the server's time (tests/sntp.py; every embassy run gets its time from it).
  tls-fault   a relay between QEMU and stunnel resets the first connection in the middle of a record, then
              stunnel is killed and restarted mid-stream; every datapoint lands, duplicates only of frames
              written on a connection that then broke (a plaintext relay between stunnel and carbon records them).
  embassy     embassy-node (embassy-executor, embassy-net, the async sender) on mps2-an386 into carbon: its
              defmt log must equal tests/expected/embassy-an386.log, every datapoint must be in whisper.
  fault-embassy  embassy-node behind the fault relay (refuses, then cuts a connection mid-frame): every
              datapoint lands, duplicates only after the cut.
  host-async  the host node with the async sender (--async, a tokio runtime) into carbon, then behind the
              fault-host relay: every datapoint lands, duplicates only after the cut.
  poison      the host node, blocking then async, with --oversized-frame: 300 datapoints queued first in one
              frame of 1.15 MB, over carbon's PICKLE_RECEIVER_MAX_LENGTH (the node claims a 2 MiB receiver).
              Carbon closes the connection on it each time; the sender must drop exactly those 300 as poison
              (one frame, logged, counted in the drops), within a few connections, and every reading behind
              them must be in whisper exactly; none of the 300 may be.
For both embassy runs the sampler must keep its period (each sample after the first within 20 ms of i s, the first within 200 ms of boot; also while carbon is
unreachable) and the firmware must not spin: the node counts its executor polls, the milliseconds in which it
polled and its sleeps in wfi; at most MAX_POLLS_PER_S polls and MAX_WAKEUPS_PER_S wake-ups a second, busy in
at most MAX_BUSY_SHARE of the milliseconds.
For every run the queue depth and reconnect count of each sample are also checked against the log's own
record of deliveries and failures before that sample.
The QEMU images (feature `tagged`, on by default) push a sixth reading a sample, the temperature under one
Graphite tagged series built with the core's TaggedName (tests/tagged.py): in every QEMU run its name must be
carbon's canonical form (carbon's own TaggedSeries.parse) and its datapoints exactly in whisper under
_tagged/; in boards, embassy and tls, carbon runs with graphite-web beside it (harness.py --graphite), whose
/tags/findSeries must find exactly that series and /render?target=seriesByTag(...)&format=json draw exactly
its datapoints.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import series  # noqa: E402
import sntp  # noqa: E402
import tagged  # noqa: E402
import tls  # noqa: E402
from loopback import LoopbackServer  # noqa: E402

FIRMWARE = Path(__file__).resolve().parent.parent
REPO = FIRMWARE.parent
HARNESS = REPO / "tests" / "carbon" / "harness.py"
DECODE = REPO / "tests" / "carbon" / "decode.py"
EXPECTED = FIRMWARE / "tests" / "expected"
PY = sys.executable
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or FIRMWARE / "target")
BOARDS = {"mps2-an386": "thumbv7em-none-eabihf", "mps2-an385": "thumbv7m-none-eabi"}
EMBASSY = "embassy-an386"  # the async image: embassy-node on mps2-an386
EMBASSY_PREFIX = "sensors.mps2-an386-embassy"
MAX_POLLS_PER_S = 100
MAX_WAKEUPS_PER_S = 50
MAX_BUSY_SHARE = 0.05
PERIOD_SLACK_MS = 20
INTERVALS = 5  # the build's defaults (mps2-node/build.rs): 5 samples, 1 s apart
INTERVAL_S = 1
READINGS = len(series.METRICS)


def log(msg):
    print(f"[firmware] {msg}", file=sys.stderr, flush=True)


def elf(board):
    if board == EMBASSY:
        return TARGET / BOARDS["mps2-an386"] / "release" / "embassy-node"
    return TARGET / BOARDS[board] / "release" / "mps2-node"


def machine(board):
    return "mps2-an386" if board == EMBASSY else board


def prefix(board):
    return EMBASSY_PREFIX if board == EMBASSY else f"sensors.{board}"


def host_bin(name):
    return TARGET / "release" / name


def build():
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
    for alias in ("build-an386", "build-an385", "build-embassy-an386"):
        subprocess.run(["cargo", alias, "-q"], cwd=FIRMWARE, env=env, check=True)
    subprocess.run(
        ["cargo", "build", "-q", "--release", "-p", "host-node", "-p", "guestfwd-connector"],
        cwd=FIRMWARE,
        env=env,
        check=True,
    )


# ---------------------------------------------------------------------------------------------------------
# carbon and the relay


class Carbon:
    """A carbon-cache from the e2e harness, in a temporary directory."""

    def __init__(self, name, keep, graphite=False):
        self.dir = Path(tempfile.mkdtemp(prefix=f"fw-{name}-"))
        self.keep = keep
        self.graphite = graphite

    def __enter__(self):
        self.out = open(self.dir / "harness.out", "wb")
        extra = ["--graphite"] if self.graphite else []
        self.proc = subprocess.Popen([PY, HARNESS, "serve", self.dir, *extra], stdout=self.out, stderr=subprocess.STDOUT)
        ports = self.dir / "ports.json"
        deadline = time.monotonic() + 90
        while not ports.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"carbon did not start: see {self.dir}/harness.out")
            time.sleep(0.1)
        self.ports = json.loads(ports.read_text())
        self.pickle = self.ports["pickle"]
        self.graphite_url = self.graphite and f"http://127.0.0.1:{self.ports['graphite']}"
        return self

    def __exit__(self, *exc):
        os.kill(self.ports.get("harness_pid", self.proc.pid), signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        if not self.keep and exc[0] is None:
            subprocess.run(["rm", "-rf", str(self.dir)], check=False)
        elif exc[0] is not None:
            log(f"carbon's directory kept: {self.dir}")

    def wait(self, count, timeout=60):
        r = subprocess.run([PY, HARNESS, "wait", self.dir, str(count), str(timeout)], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"carbon stored fewer than {count} datapoints: {r.stdout}{r.stderr}")

    def dump(self):
        r = subprocess.run([PY, HARNESS, "dump", self.dir], capture_output=True, text=True, check=True)
        return json.loads(r.stdout)


class Relay(LoopbackServer):
    """A loopback relay in front of carbon.

    For `refuse_s` after start it refuses connections (its port is bound but not listening, so a connect gets
    a reset). Then it accepts; the first connection it accepts is cut (both sides reset) once `cut_after`
    bytes have passed; later ones are forwarded until the client closes. Everything forwarded is recorded per
    connection.
    """

    def __init__(self, upstream, refuse_s, cut_after):
        super().__init__()
        self.upstream = upstream
        self.refuse_s = refuse_s
        self.cut_after = cut_after
        self.conns = []  # {"bytes": bytearray, "cut": bool}

    def _serve(self):
        if self.stop.wait(self.refuse_s):
            return
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except socket.timeout:
                continue
            rec = {"bytes": bytearray(), "cut": False}
            cut = self.cut_after if not self.conns else None
            self.conns.append(rec)
            self.spawn(self._pump, client, rec, cut)

    def _pump(self, client, rec, cut):
        up = socket.create_connection(("127.0.0.1", self.upstream))
        client.settimeout(0.1)
        try:
            while not self.stop.is_set():
                try:
                    data = client.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not data:
                    break
                if cut is not None and len(rec["bytes"]) + len(data) >= cut:
                    data = data[: cut - len(rec["bytes"])]
                    up.sendall(data)
                    rec["bytes"] += data
                    rec["cut"] = True
                    for s in (client, up):  # abortive close: RST, like a crashing relay
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                    break
                up.sendall(data)
                rec["bytes"] += data
        finally:
            client.close()
            up.close()

    def frames(self):
        """Per connection: (cut, decoded complete frames). A trailing partial frame is left out: carbon drops
        it with the connection."""
        out = []
        for rec in self.conns:
            b = bytes(rec["bytes"])
            end = 0
            while end + 4 <= len(b) and end + 4 + int.from_bytes(b[end : end + 4], "big") <= len(b):
                end += 4 + int.from_bytes(b[end : end + 4], "big")
            r = subprocess.run([PY, DECODE], input=b[:end], capture_output=True, check=True)
            out.append((rec["cut"], json.loads(r.stdout)))
        return out


# ---------------------------------------------------------------------------------------------------------
# logs

SAMPLE = re.compile(
    r"sample (\d+): (?:temperature (\S+) C, humidity (\S+) %, )?uptime (\d+) ms, queue depth (\d+), reconnects (\d+)"
)
STATS = re.compile(
    r"delivered (\d+) of (\d+) datapoints in (\d+) frames \((\d+) bytes\); (\d+) connections, (\d+) failures, "
    r"(\d+) sent again, (\d+) dropped"
)


def parse(text):
    """Samples, deliveries and failures in log order, and the final counters."""
    samples, delivered_before, failed_before = [], 0, 0
    for line in text.splitlines():
        if m := SAMPLE.search(line):
            i = int(m[1])
            samples.append(
                {
                    "i": i,
                    "temperature": m[2] and float(m[2]),
                    "humidity": m[3] and float(m[3]),
                    "uptime": int(m[4]),
                    "depth": int(m[5]),
                    "reconnects": int(m[6]),
                    "delivered_before": delivered_before,
                    "failed_before": failed_before,
                }
            )
        elif m := re.search(r"(\d+) datapoints delivered", line):
            delivered_before += int(m[1])
        elif "connection failed" in line:
            failed_before += 1
    m = STATS.search(text)
    assert m, "no final counters in the log"
    keys = ("delivered", "accepted", "frames", "bytes", "connects", "failures", "resent", "dropped")
    stats = dict(zip(keys, map(int, m.groups())))
    epoch = re.search(r"boot time (\d+)", text)
    return samples, stats, epoch and int(epoch[1])


def check_samples(samples, stats, intervals, pace_ms, readings=READINGS):
    """What the log says about each sample must add up exactly (`readings` pushed per sample)."""
    assert [s["i"] for s in samples] == list(range(intervals)), samples
    for s in samples:
        i = s["i"]
        if s["temperature"] is not None:
            assert s["temperature"] == series.temperature(i), (i, s["temperature"])
            assert s["humidity"] == series.humidity(i), (i, s["humidity"])
        # Queue depth: every reading pushed so far, minus the ones confirmed before this sample.
        assert s["depth"] == readings * i - s["delivered_before"], s
        assert s["reconnects"] == s["failed_before"], s
        assert s["uptime"] >= i * pace_ms, s
    assert all(a["uptime"] < b["uptime"] for a, b in zip(samples, samples[1:]))
    assert stats["accepted"] == stats["delivered"] == readings * intervals, stats
    assert stats["dropped"] == 0, stats


def normalize(text):
    """The log without what varies from run to run: timestamps, boot time, uptimes, stack figures."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\S+ ", "", line, count=1)  # the defmt timestamp (uptime in s)
        line = re.sub(r"boot time \d+", "boot time <epoch>", line)
        line = re.sub(r": \d+ Unix seconds \(round trip \d+ us\)", ": <n> Unix seconds (round trip <n> us)", line)
        line = re.sub(r"uptime \d+ ms", "uptime <ms> ms", line)
        line = re.sub(r"sender \d+ bytes, network \d+ bytes, whole program \d+ bytes", "sender <n> bytes, network <n> bytes, whole program <n> bytes", line)
        line = re.sub(r"TLS task: stack high-water \d+ bytes", "TLS task: stack high-water <n> bytes", line)
        line = re.sub(r"CA compiled in \(\d+ bytes DER\)", "CA compiled in (<n> bytes DER)", line)
        line = re.sub(r"idle: .*", "idle: <figures>", line)
        out.append(line)
    return "\n".join(out) + "\n"


def check_log(board, text, bless):
    path = EXPECTED / f"{board}.log"
    got = normalize(text)
    if bless:
        path.write_text(got)
        log(f"wrote {path.relative_to(FIRMWARE)}")
        return
    want = path.read_text()
    if got != want:
        import difflib

        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path), "this run"))
        raise AssertionError(f"{board}: defmt log differs from the expected log:\n{diff}")


IDLE = re.compile(r"idle: executor polled (\d+) times in (\d+) ms, busy in (\d+) of \d+ ms, the CPU slept (\d+) times")


def check_idle(text):
    """The firmware does not spin: the executor polls only when woken, in few of the milliseconds, and the CPU
    (tickless time driver) leaves wfi only for events: a few dozen times a second at most."""
    m = IDLE.search(text)
    assert m, "no idle figures in the log"
    polls, ms, busy, sleeps = map(int, m.groups())
    per_s = polls * 1000 / ms
    wakeups_per_s = sleeps * 1000 / ms
    share = busy / ms
    assert per_s <= MAX_POLLS_PER_S, f"executor polled {per_s:.1f} times a second (bound {MAX_POLLS_PER_S})"
    assert wakeups_per_s <= MAX_WAKEUPS_PER_S, f"CPU woke {wakeups_per_s:.1f} times a second (bound {MAX_WAKEUPS_PER_S})"
    assert share <= MAX_BUSY_SHARE, f"executor busy in {share:.1%} of the milliseconds (bound {MAX_BUSY_SHARE:.0%})"
    return {
        "polls": polls, "ms": ms, "busy_ms": busy, "sleeps": sleeps, "polls_per_s": round(per_s, 1),
        "wakeups_per_s": round(wakeups_per_s, 1), "idle_share": round(1 - share, 4),
    }


def check_period(samples, pace_ms):
    """The sampler task keeps its period whatever the network does. The embassy node's period starts when its
    wall clock is set (SNTP; it waits up to 1.5 s for it), so sample i is due i periods after sample 0."""
    start = min(s["uptime"] - s["i"] * pace_ms for s in samples)
    assert 0 <= start <= 1_500 + PERIOD_SLACK_MS, f"the sampler started at {start} ms"
    for s in samples:
        late = s["uptime"] - start - s["i"] * pace_ms
        assert 0 <= late <= PERIOD_SLACK_MS, f"sample {s['i']} at {s['uptime']} ms, {late} ms off its period"


def stack_figures(text):
    m = re.search(r"stack high-water: sender (\d+) bytes, network (\d+) bytes, whole program (\d+) bytes", text)
    return m and {"sender_stack": int(m[1]), "network_stack": int(m[2]), "program_stack": int(m[3])}


# ---------------------------------------------------------------------------------------------------------
# runs


# The embassy node's wall clock: tests/sntp.py answers its SNTP requests (carbon's address, port 123), its time
# the host's shifted by SNTP_OFFSET_S, so the datapoints show whose time they carry (the host's, through
# semihosting, is what the node used before SNTP).
# The TLS runs get a responder with the host's own time (offset 0): the test certificates are valid from the
# moment they were made, which the shifted time is before.
SNTP_OFFSET_S = -7321
_SNTP = {}


def sntp_env(board, offset=SNTP_OFFSET_S):
    """What QEMU needs for the node's SNTP requests to reach the run's responder (embassy-node only)."""
    if board != EMBASSY:
        return {}
    if offset not in _SNTP:
        _SNTP[offset] = sntp.Responder(offset_s=offset).__enter__()
    return _SNTP[offset].qemu_env()


def check_sntp_epoch(epoch, started, offset=SNTP_OFFSET_S):
    """The node's boot time came from the responder: the host's time at QEMU's start plus the offset."""
    want = started + offset
    assert abs(epoch - want) <= 3, f"boot time {epoch}, the responder's time at boot was {want:.0f}"


def run_qemu(board, env_extra, timeout=90, image=None):
    env = dict(os.environ, QEMU_TIMEOUT=str(timeout), **{**sntp_env(board), **env_extra})
    t0 = time.monotonic()
    r = subprocess.run(
        [FIRMWARE / "tools" / "qemu-run", machine(board), image or elf(board)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout + 30,
    )
    log(f"{board}: QEMU exited {r.returncode} after {time.monotonic() - t0:.1f} s")
    if r.returncode != 0:
        raise AssertionError(f"{board} failed (status {r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def run_host(carbon_port, prefix, intervals, pace_ms, epoch, asynchronous=False, extra=()):
    r = subprocess.run(
        [
            host_bin("host-node"),
            *(["--async"] if asynchronous else []),
            *extra,
            "--carbon",
            f"127.0.0.1:{carbon_port}",
            "--prefix",
            prefix,
            "--intervals",
            str(intervals),
            "--pace-ms",
            str(pace_ms),
            "--epoch",
            str(epoch),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if r.returncode != 0:
        raise AssertionError(f"host-node failed (status {r.returncode}):\n{r.stderr}")
    return r.stderr


def check_stored(dump, prefix, expected):
    got = {k: v for k, v in dump.items() if k.startswith(prefix + ".")}
    if got != expected:
        lines = [f"{prefix}: whisper differs from what was sent"]
        for k in sorted(set(got) | set(expected)):
            if got.get(k) != expected.get(k):
                lines.append(f"  {k}: stored {got.get(k)} expected {expected.get(k)}")
        raise AssertionError("\n".join(lines))


def check_relay(relay, expected):
    """Every expected datapoint passed the relay in a complete frame; copies beyond the first only after a
    connection was cut before the node could confirm them."""
    want = {(path, ts, v) for path, pts in expected.items() for ts, v in pts}
    seen = {}
    cut_connections = 0
    for cut, frames in relay.frames():
        for frame in frames:
            for path, ts, v in frame:
                seen.setdefault((path, ts, float(v)), []).append(cut)
        cut_connections += cut
    assert set(seen) == want, f"relay saw {len(seen)} distinct datapoints, expected {len(want)}"
    dups = {k: c for k, c in seen.items() if len(c) > 1}
    for k, copies in dups.items():
        assert all(copies[:-1]), f"{k} arrived again although its earlier connection was not cut: {copies}"
        assert len(copies) <= 1 + cut_connections, (k, copies)
    return len(dups), cut_connections, len(relay.conns)


def image_of(board):
    return "embassy-node" if board == EMBASSY else "mps2-node"


def qemu_expected(text, board, prefix, transport, epoch, samples):
    """What a QEMU run must have stored: (plain readings, the tagged series), each {path: [[ts, v], ...]}."""
    plain = series.expected_points(prefix, epoch, INTERVAL_S, samples)
    tags = tagged.expected_points(text, prefix, machine(board), image_of(board), transport, epoch, INTERVAL_S, samples)
    return plain, tags


def check_qemu_stored(carbon, prefix, plain, tags):
    """Every plain reading under the prefix and the tagged series in its _tagged/ file, exactly as sent;
    with graphite-web beside carbon, the tagged series found by its tags and rendered exactly."""
    dump = carbon.dump()
    check_stored(dump, prefix, plain)
    tagged.check_whisper(dump, tags)
    if carbon.graphite:
        tagged.check_graphite(carbon.graphite_url, tags)


def straight_run(
    args, carbon, board, env, log_name, prefix, stored_before=0, image=None, sntp_offset=SNTP_OFFSET_S, transport="tcp"
):
    """One run with nothing in the way: the log as expected (tests/expected/<log_name>.log; with log_name None,
    no log to compare and samples may find frames not yet confirmed), one connection and no failure, every
    datapoint in whisper as sent (the tagged series too, and in graphite-web if it runs). Returns the log, the
    samples and the final counters."""
    started = time.time()
    text = run_qemu(board, env, image=image)
    if log_name is not None:
        check_log(log_name, text, args.bless)
    samples, stats, epoch = parse(text)
    readings = tagged.readings(text)
    check_samples(samples, stats, INTERVALS, INTERVAL_S * 1000, readings)
    assert all(s["reconnects"] == 0 for s in samples), samples
    if log_name is not None:
        assert all(s["depth"] == 0 for s in samples), samples
    assert (stats["connects"], stats["failures"], stats["resent"]) == (1, 0, 0), stats
    if board == EMBASSY:
        check_sntp_epoch(epoch, started, sntp_offset)
    carbon.wait(stored_before + readings * INTERVALS)
    check_qemu_stored(carbon, prefix, *qemu_expected(text, board, prefix, transport, epoch, samples))
    return text, samples, stats


def scenario_boards(args, report):
    with Carbon("boards", args.keep, graphite=True) as carbon:
        total = 0
        for board in BOARDS:
            env = {"CARBON_PICKLE_PORT": str(carbon.pickle)}
            text, _, stats = straight_run(args, carbon, board, env, board, f"sensors.{board}", total)
            total += stats["delivered"]
            report[board] = {**(stack_figures(text) or {}), "frames": stats["frames"], "bytes": stats["bytes"]}
            log(
                f"{board}: {stats['delivered']} datapoints in whisper as sent, the tagged series "
                f"{tagged.logged_name(text)} found and rendered by graphite-web; defmt log as expected"
            )
        epoch = int(time.time()) - 600
        text = run_host(carbon.pickle, "sensors.host", INTERVALS, 200, epoch)
        samples, stats, _ = parse(text)
        check_samples(samples, stats, INTERVALS, 200)
        carbon.wait(total + READINGS * INTERVALS)
        check_stored(carbon.dump(), "sensors.host", series.expected_points("sensors.host", epoch, INTERVAL_S, samples))
        log(f"host-node: {stats['delivered']} datapoints in whisper as sent")


def fault_qemu(args, name, board, prefix, extra_checks=None):
    """A QEMU image behind the relay (refuses 2.5 s, cuts the first connection after 600 bytes): every
    datapoint in whisper exactly, duplicates only from the cut connection. Returns the log, counters, relay
    figures."""
    with Carbon(name, args.keep) as carbon, Relay(carbon.pickle, refuse_s=2.5, cut_after=600) as relay:
        connector = host_bin("guestfwd-connector")
        text = run_qemu(board, {"NODE_GUESTFWD": f"cmd:{connector} {relay.port}"})
        if args.verbose:
            print(text, file=sys.stderr)
        samples, stats, epoch = parse(text)
        readings = tagged.readings(text)
        check_samples(samples, stats, INTERVALS, INTERVAL_S * 1000, readings)
        assert stats["failures"] >= 1 and samples[-1]["reconnects"] >= 1, stats
        assert any(s["depth"] > 0 for s in samples), samples
        if extra_checks:
            extra_checks(text, samples)
        plain, tags = qemu_expected(text, board, prefix, "tcp", epoch, samples)
        carbon.wait(readings * INTERVALS)
        check_qemu_stored(carbon, prefix, plain, tags)
        dups, cuts, conns = check_relay(relay, {**plain, **tags})
        assert cuts == 1, cuts
        figures = {"connections": conns, "failures": stats["failures"], "resent": stats["resent"], "duplicates": dups}
        log(
            f"{name}: {stats['failures']} failed connections, {conns} reached the relay (1 cut), "
            f"{stats['resent']} datapoints sent again, {dups} arrived twice (documented), all {stats['delivered']} in whisper"
        )
        return text, figures


def fault_host(args, name, prefix, asynchronous):
    """The host node behind the relay (refuses 0.7 s, a real refused connect; then cuts after 600 bytes)."""
    with Carbon(name, args.keep) as carbon, Relay(carbon.pickle, refuse_s=0.7, cut_after=600) as relay:
        epoch = int(time.time()) - 600
        intervals = 8
        text = run_host(relay.port, prefix, intervals, 200, epoch, asynchronous=asynchronous)
        if args.verbose:
            print(text, file=sys.stderr)
        samples, stats, _ = parse(text)
        check_samples(samples, stats, intervals, 200)
        assert stats["failures"] >= 1, stats
        expected = series.expected_points(prefix, epoch, INTERVAL_S, samples)
        carbon.wait(READINGS * intervals)
        check_stored(carbon.dump(), prefix, expected)
        dups, cuts, conns = check_relay(relay, expected)
        assert cuts == 1, cuts
        log(
            f"{name}: {stats['failures']} failed connections, {conns} reached the relay (1 cut), "
            f"{stats['resent']} sent again, {dups} arrived twice (documented), all {stats['delivered']} in whisper"
        )


def scenario_fault_qemu(args, report):
    board = "mps2-an386"
    _, report["fault-qemu"] = fault_qemu(args, "fault-qemu", board, f"sensors.{board}")


def scenario_fault_host(args, report):
    fault_host(args, "fault-host", "sensors.host", asynchronous=False)


def scenario_embassy(args, report):
    with Carbon("embassy", args.keep, graphite=True) as carbon:
        env = {"CARBON_PICKLE_PORT": str(carbon.pickle)}
        text, samples, stats = straight_run(args, carbon, EMBASSY, env, EMBASSY, EMBASSY_PREFIX)
        check_period(samples, INTERVAL_S * 1000)
        idle = check_idle(text)
        report[EMBASSY] = {**(stack_figures(text) or {}), "frames": stats["frames"], "bytes": stats["bytes"], "idle": idle}
        log(
            f"{EMBASSY}: {stats['delivered']} datapoints in whisper as sent, the tagged series in graphite-web; "
            "defmt log as expected; executor polled "
            f"{idle['polls_per_s']}/s, CPU woken {idle['wakeups_per_s']}/s, idle in {idle['idle_share']:.2%} of the ms"
        )


def scenario_fault_embassy(args, report):
    idle = {}

    def checks(text, samples):
        # The network is down for the first 2.5 s: the samples in that time keep their period all the same.
        check_period(samples, INTERVAL_S * 1000)
        idle.update(check_idle(text))

    text, figures = fault_qemu(args, "fault-embassy", EMBASSY, EMBASSY_PREFIX, checks)
    report["fault-embassy"] = {**figures, "sender_stack": (stack_figures(text) or {}).get("sender_stack"), "idle": idle}
    log(
        f"fault-embassy: samples on their period; executor polled {idle['polls_per_s']}/s, CPU woken "
        f"{idle['wakeups_per_s']}/s, idle in {idle['idle_share']:.2%} of the ms"
    )


def scenario_host_async(args, report):
    """The async sender on a std executor (tokio) against carbon: straight, then behind the fault relay."""
    with Carbon("host-async", args.keep) as carbon:
        epoch = int(time.time()) - 600
        text = run_host(carbon.pickle, "sensors.host-async", INTERVALS, 200, epoch, asynchronous=True)
        samples, stats, _ = parse(text)
        check_samples(samples, stats, INTERVALS, 200)
        assert (stats["connects"], stats["failures"], stats["resent"]) == (1, 0, 0), stats
        carbon.wait(READINGS * INTERVALS)
        check_stored(carbon.dump(), "sensors.host-async", series.expected_points("sensors.host-async", epoch, INTERVAL_S, samples))
        log(f"host-async: {stats['delivered']} datapoints in whisper as sent")
    fault_host(args, "fault-host-async", "sensors.host-async", asynchronous=True)



POISONED = re.compile(r"right after the same frame \((\d+) datapoints, \d+ bytes\): dropped as poison")
OVERSIZED_POINTS = 300  # host-node's --oversized-frame


def scenario_poison(args, report):
    """A frame over carbon's 1 MiB limit first in the queue: dropped as poison, the rest delivered."""
    intervals = 8
    with Carbon("poison", args.keep) as carbon:
        stored = 0
        for asynchronous in (False, True):
            prefix = "sensors.host-poison" + ("-async" if asynchronous else "")
            epoch = int(time.time()) - 600
            t0 = time.monotonic()
            text = run_host(carbon.pickle, prefix, intervals, 200, epoch, asynchronous, ["--oversized-frame"])
            took = time.monotonic() - t0
            if args.verbose:
                print(text, file=sys.stderr)
            samples, stats, _ = parse(text)
            drops = [int(m[1]) for m in POISONED.finditer(text)]
            assert drops == [OVERSIZED_POINTS], drops
            assert stats["dropped"] == OVERSIZED_POINTS, stats
            assert stats["accepted"] == READINGS * intervals + OVERSIZED_POINTS, stats
            assert stats["delivered"] == READINGS * intervals, stats
            # The oversized frame went out on two connections, then on two careful ones (a strike, then
            # poison); at most a few more to get the rest through.
            assert 4 <= stats["connects"] <= 8, stats
            # Each sample's queue depth: readings so far and the oversized frame, minus what left the queue.
            poisoned_before = 0
            for line in text.splitlines():
                if m := POISONED.search(line):
                    poisoned_before += int(m[1])
                elif m := SAMPLE.search(line):
                    s = next(s for s in samples if s["i"] == int(m[1]))
                    want = READINGS * s["i"] + OVERSIZED_POINTS - s["delivered_before"] - poisoned_before
                    assert s["depth"] == want, (s, poisoned_before)
                    assert s["reconnects"] == s["failed_before"], s
            stored += READINGS * intervals
            carbon.wait(stored)
            # Every reading exactly as sent, and nothing else under the prefix (none of the oversized 300).
            check_stored(carbon.dump(), prefix, series.expected_points(prefix, epoch, INTERVAL_S, samples))
            name = "host-async" if asynchronous else "host"
            report[f"poison-{name}"] = {"connects": stats["connects"], "failures": stats["failures"], "seconds": round(took, 1)}
            log(
                f"poison ({name}): the {OVERSIZED_POINTS}-datapoint frame over carbon's limit dropped as poison after "
                f"{stats['failures']} failed connections ({stats['connects']} in all), all {stats['delivered']} "
                f"readings in whisper, none of the oversized ones; {took:.1f} s"
            )


# ---------------------------------------------------------------------------------------------------------
# TLS (tests/tls.py: the PKI, stunnel, the record cutter)

_PKI = []


def pki():
    """The test PKI, made once per run, and the TLS images built with its CA."""
    if not _PKI:
        _PKI.append(tls.Pki())
        log(f"test CA and certificates in {_PKI[0].dir}; building the tls images")
        tls.build(_PKI[0])
    return _PKI[0]


def tls_stats(text):
    m = re.search(r"TLS task: stack high-water (\d+) bytes", text)
    return {"tls_task_stack": int(m[1])} if m else {}


def scenario_tls(args, report):
    p = pki()
    connector = host_bin("guestfwd-connector")
    with Carbon("tls", args.keep, graphite=True) as carbon, tls.Stunnel(carbon.pickle, p.dir / "server.pem", p.dir / "server.key") as st:
        total = 0
        for board in (*BOARDS, EMBASSY):
            env = {**sntp_env(board, 0), "NODE_GUESTFWD": f"cmd:{connector} {st.port}"}
            # The embassy node's first frame waits for the handshake, which takes the sampler's CPU for its
            # length (one executor) and may end near the 1 s period on a loaded host: its samples are checked
            # (each depth adding up), its log not compared line by line.
            log_name = None if board == EMBASSY else f"{board}-tls"
            text, _, stats = straight_run(
                args, carbon, board, env, log_name, prefix(board), total, tls.elf(board), 0, transport="tls"
            )
            assert "TLS 1.3 session up" in text and "TLS handshake failed" not in text, text
            total += tagged.readings(text) * INTERVALS
            (tcp, hs), = tls.connect_ms(text)
            report[f"{board}-tls"] = {**(stack_figures(text) or {}), **tls_stats(text), "handshake_ms": hs}
            log(
                f"{board} over TLS 1.3 (stunnel): {stats['delivered']} datapoints in whisper as sent, the tagged series "
                f"in graphite-web; handshake {hs} ms (TCP connect {tcp} ms)"
            )
    # QEMU runs the code as fast as the host can; at a fixed instruction rate near the boards' 25 MHz
    # (-icount shift=5: one instruction per 32 ns) the handshake time says what a real board would take.
    for board in ("mps2-an386", EMBASSY):
        with Carbon("tls-icount", args.keep) as carbon, tls.Stunnel(carbon.pickle, p.dir / "server.pem", p.dir / "server.key") as st:
            env = {**sntp_env(board, 0), "NODE_GUESTFWD": f"cmd:{connector} {st.port}", "QEMU_ICOUNT": "5"}
            text = run_qemu(board, env, image=tls.elf(board))
            samples, stats, epoch = parse(text)
            readings = tagged.readings(text)
            check_samples(samples, stats, INTERVALS, INTERVAL_S * 1000, readings)
            carbon.wait(readings * INTERVALS)
            check_qemu_stored(carbon, prefix(board), *qemu_expected(text, board, prefix(board), "tls", epoch, samples))
            (tcp, hs), = tls.connect_ms(text)
            report[f"{board}-tls"]["handshake_ms_icount5"] = hs
            log(f"{board} over TLS 1.3 at about 31 M instructions/s (QEMU -icount shift=5): handshake {hs} ms (the TCP connect before it: {tcp} ms)")


SAMPLE_DEPTH = re.compile(r"sample (\d+): .*queue depth (\d+)")


def scenario_tls_refusals(args, report):
    for board in ("mps2-an386", EMBASSY):
        tls_refusals(args, board)


def tls_refusals(args, board):
    p = pki()
    connector = host_bin("guestfwd-connector")
    d = p.dir
    cases = [
        # name, certificate, key, TLS versions, what the refusal lines must say, what the log must not say
        ("certificate from another CA", "rogue", ("TLSv1.3", "TLSv1.3"), ["InvalidCertificate"], ["does not match"]),
        ("wrong server name", "wrong-name", ("TLSv1.3", "TLSv1.3"), ["InvalidCertificate"], []),
        ("server offering only TLS 1.2", "server", ("TLSv1.2", "TLSv1.2"), ["ProtocolVersion", "refused TLS 1.3"], []),
    ]
    extra = {"wrong server name": "does not match certificate names"}
    with Carbon("tls-refusals", args.keep) as carbon:
        for name, leaf, versions, want, unwanted in cases:
            with tls.Stunnel(carbon.pickle, d / f"{leaf}.pem", d / f"{leaf}.key", versions) as st:
                q = tls.StreamedQemu(machine(board), tls.elf(board), {**sntp_env(board, 0), "NODE_GUESTFWD": f"cmd:{connector} {st.port}"})
                try:
                    seen = q.wait_for(
                        lambda lines: sum("TLS handshake failed" in line for line in lines) >= 2
                        and any("sample 2:" in line for line in lines),
                        40,
                    )
                finally:
                    q.stop()
                text = q.text()
                if args.verbose:
                    print(text, file=sys.stderr)
                assert seen, f"{name}: no two refusals and three samples:\n{text}"
                refusals = [line for line in text.splitlines() if "TLS handshake failed" in line]
                for line in refusals:
                    assert all(w in line for w in want), f"{name}: refusal does not say {want}: {line}"
                for u in unwanted:
                    assert u not in text, f"{name}: log says {u!r}:\n{text}"
                if name in extra:
                    assert extra[name] in text, f"{name}: log does not say {extra[name]!r}:\n{text}"
                assert "session up" not in text and "datapoints delivered" not in text and "frame written" not in text, text
                depths = [(int(m[1]), int(m[2])) for m in SAMPLE_DEPTH.finditer(text)]
                # Stopped before the end of the run, where the node logs its tagged series: the images are
                # built with feature `tagged` (both nodes' default), six readings a sample.
                readings = READINGS + 1
                assert depths and all(depth == readings * i for i, depth in depths), depths
                log(f"tls-refusals: {board}: {name}: refused {len(refusals)} times ({refusals[0].split('failed: ', 1)[1]}), queue {depths[-1][1]} deep")
        time.sleep(1)  # anything that got through would be in carbon's cache by now
        leaked = [k for k in carbon.dump() if k.startswith("sensors.")]
        assert not leaked, f"refused connections reached carbon: {leaked}"


def scenario_tls_fault(args, report):
    for board in ("mps2-an386", EMBASSY):
        tls_fault(args, report, board)


def tls_fault(args, report, board):
    p = pki()
    connector = host_bin("guestfwd-connector")
    with (
        Carbon("tls-fault", args.keep) as carbon,
        Relay(carbon.pickle, refuse_s=0, cut_after=None) as plain,
        tls.Stunnel(plain.port, p.dir / "server.pem", p.dir / "server.key") as st,
        tls.RecordCutter(st.port) as cutter,
    ):
        q = tls.StreamedQemu(machine(board), tls.elf(board), {**sntp_env(board, 0), "NODE_GUESTFWD": f"cmd:{connector} {cutter.port}"})
        try:
            assert q.wait_for(lambda lines: any("sample 3:" in line for line in lines), 60), q.text()
            st.kill()
            log("tls-fault: stunnel killed at sample 3; restarting it in 1.5 s")
            time.sleep(1.5)
            st.start()
            status, text = q.finish(120)
        finally:
            q.stop()
        if args.verbose:
            print(text, file=sys.stderr)
        assert status == 0, f"{board} over TLS failed (status {status}):\n{text}"
        samples, stats, epoch = parse(text)
        readings = tagged.readings(text)
        check_samples(samples, stats, INTERVALS, INTERVAL_S * 1000, readings)
        assert cutter.cut_at is not None, "the relay never cut a record"
        total, record, sent, length = cutter.cut_at
        assert 0 < sent < length, cutter.cut_at
        assert stats["failures"] >= 2, stats
        points, tags = qemu_expected(text, board, prefix(board), "tls", epoch, samples)
        carbon.wait(readings * INTERVALS)
        check_qemu_stored(carbon, prefix(board), points, tags)
        # Every connection but the last ended in a fault (the cut, the kill): only those may carry duplicates.
        for rec in plain.conns[:-1]:
            rec["cut"] = True
        dups, broken, conns = check_relay(plain, {**points, **tags})
        assert conns >= 3 and broken == conns - 1, (conns, broken)
        report[f"tls-fault-{board}"] = {"connections": conns, "failures": stats["failures"], "resent": stats["resent"], "duplicates": dups}
        log(
            f"tls-fault: {board}: cut {sent} of {length} bytes into client record {record} ({total} bytes in), stunnel killed "
            f"and restarted; {stats['failures']} failures, {cutter.refused} refused while down, {conns} connections "
            f"reached carbon, {stats['resent']} sent again, {dups} arrived twice (documented), all {stats['delivered']} "
            "in whisper"
        )


def scenario_tls_keyupdate(args, report):
    """A server that sends a TLS 1.3 KeyUpdate on an open connection (openssl s_server's `k` command):
    embedded-tls 0.19 does not implement it and reports `Unimplemented`. The node must log it, end that
    connection and connect again (a new handshake), not panic; for mps2-an386 and embassy-node."""
    p = pki()
    connector = host_bin("guestfwd-connector")
    for board in ("mps2-an386", EMBASSY):
        port = tls.free_port()
        server = subprocess.Popen(
            ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(p.dir / "server.pem"),
             "-key", str(p.dir / "server.key"), "-tls1_3"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )
        try:
            tls.wait_port(port, proc=server)
            q = tls.StreamedQemu(machine(board), tls.elf(board), {**sntp_env(board, 0), "NODE_GUESTFWD": f"cmd:{connector} {port}"})
            try:
                assert q.wait_for(lambda lines: any("frame written" in line for line in lines), 30), q.text()
                server.stdin.write("k\n")
                server.stdin.flush()
                renewed = q.wait_for(
                    lambda lines: sum("TLS handshake started" in line for line in lines) >= 2, 30
                )
                alive = q.proc.poll() is None
            finally:
                q.stop()
            text = q.text()
            if args.verbose:
                print(text, file=sys.stderr)
            assert renewed and alive, f"{board}: no new connection after the KeyUpdate (QEMU alive: {alive}):\n{text}"
            assert "Unimplemented" in text and "does not implement" in text, text
            assert "panicked" not in text and "ERROR panic" not in text, text
            failed = [line for line in text.splitlines() if "Unimplemented" in line]
            log(f"tls-keyupdate: {board}: KeyUpdate -> {failed[0].split(' ', 2)[-1]}; connected again, no panic")
        finally:
            server.kill()
            server.wait()


def scenario_sntp(args, report):
    """embassy-node whose SNTP server is silent for its first 2.5 s: the samples before the first answer queue
    nothing and say so (never epoch 0), the later ones carry the server's time, every one of them in whisper."""
    with Carbon("sntp", args.keep) as carbon, sntp.Responder(offset_s=SNTP_OFFSET_S, silent_s=2.5) as r:
        r.arm()
        started = time.time()
        text = run_qemu(EMBASSY, {"CARBON_PICKLE_PORT": str(carbon.pickle), **r.qemu_env()})
        if args.verbose:
            print(text, file=sys.stderr)
        skipped = [int(m[1]) for m in re.finditer(r"sample (\d+): no wall-clock time yet \(no SNTP answer\): nothing queued", text)]
        assert skipped == list(range(len(skipped))) and 1 <= len(skipped) < INTERVALS, text
        assert text.index("SNTP: no answer from") < text.index("SNTP: wall clock set"), text
        samples, stats, epoch = parse(text)
        assert [s["i"] for s in samples] == list(range(len(skipped), INTERVALS)), samples
        check_sntp_epoch(epoch, started)
        readings = tagged.readings(text)
        pushed = readings * len(samples)
        assert stats["accepted"] == stats["delivered"] == pushed and stats["dropped"] == 0, stats
        for k, s in enumerate(samples):
            assert s["depth"] == readings * k - s["delivered_before"], s
        assert r.dropped >= 1 and r.answers, (r.requests, r.dropped, r.answers)
        carbon.wait(pushed)
        check_qemu_stored(carbon, EMBASSY_PREFIX, *qemu_expected(text, EMBASSY, EMBASSY_PREFIX, "tcp", epoch, samples))
        dump = carbon.dump()
        stamps = {ts for path, pts in dump.items() if path.startswith(EMBASSY_PREFIX) for ts, _ in pts}
        assert all(abs(ts - (started + SNTP_OFFSET_S)) < 60 for ts in stamps), sorted(stamps)
        report["sntp"] = {"skipped_samples": len(skipped), "requests": r.requests, "unanswered": r.dropped}
        log(
            f"sntp: {len(skipped)} samples before the first SNTP answer queued nothing; {len(samples)} stamped with the "
            f"responder's time (boot time {epoch}, host time {SNTP_OFFSET_S:+d} s), all {pushed} in whisper; "
            f"{r.requests} requests, {r.dropped} left unanswered"
        )


SCENARIOS = {
    "boards": scenario_boards,
    "fault-qemu": scenario_fault_qemu,
    "fault-host": scenario_fault_host,
    "embassy": scenario_embassy,
    "fault-embassy": scenario_fault_embassy,
    "sntp": scenario_sntp,
    "host-async": scenario_host_async,
    "poison": scenario_poison,
    "tls": scenario_tls,
    "tls-refusals": scenario_tls_refusals,
    "tls-fault": scenario_tls_fault,
    "tls-keyupdate": scenario_tls_keyupdate,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bless", action="store_true", help="rewrite tests/expected/*.log from this run")
    ap.add_argument("--only", action="append", choices=SCENARIOS, help="run only these scenarios")
    ap.add_argument("--keep", action="store_true", help="keep carbon's directories")
    ap.add_argument("--no-build", action="store_true", help="use what is built")
    ap.add_argument("--verbose", action="store_true", help="print the fault runs' logs")
    ap.add_argument("--report", type=Path, help="write the measured figures as JSON here")
    args = ap.parse_args()
    if not args.no_build:
        build()
    report = {}
    try:
        for name in args.only or SCENARIOS:
            t0 = time.monotonic()
            SCENARIOS[name](args, report)
            log(f"{name}: passed in {time.monotonic() - t0:.1f} s")
    finally:
        for p in _PKI:
            p.cleanup()
        for r in _SNTP.values():
            r.__exit__(None, None, None)
    for board in (*BOARDS, EMBASSY):
        if "sender_stack" in report.get(board, {}):
            r = report[board]
            log(
                f"{board}: stack high-water {r['sender_stack']} B in Sender::poll, {r['network_stack']} B in the "
                f"network poll, {r['program_stack']} B for the whole program; {r['frames']} frames, {r['bytes']} bytes"
            )
        if "sender_stack" in report.get(f"{board}-tls", {}):
            r = report[f"{board}-tls"]
            log(
                f"{board} tls: stack high-water {r['sender_stack']} B in Sender::poll (TLS handshake included), "
                f"{r.get('tls_task_stack')} B in the TLS task's poll, {r['network_stack']} B in the network poll, "
                f"{r['program_stack']} B for the whole program; handshake {r['handshake_ms']} ms (QEMU at host speed), "
                f"{r.get('handshake_ms_icount5', '-')} ms at about 31 M instructions/s (-icount shift=5)"
            )
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
