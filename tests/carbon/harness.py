#!/usr/bin/env python3
"""A real carbon-cache (PyPI carbon 1.1.10 + whisper) in a throw-away directory, for end-to-end tests.

Run it with the venv's python ($CARBON_PICKLE_PYTHON, made by scripts/setup.sh):

  harness.py serve <workdir> [interface]
      Writes <workdir>/conf/carbon.conf and storage-schemas.conf (every directory inside <workdir>), picks free
      127.0.0.1 ports for the line, pickle and cache-query receivers (UDP off), starts
      `carbon-cache.py --nodaemon start` as a child, and once the pickle and line ports accept connections writes
      <workdir>/ports.json = {"pickle": P, "line": L, "query": Q, "pid": CARBON_PID, "harness_pid": PID}
      (atomically: a reader never sees half a file). Then runs until SIGTERM/SIGINT (or until its parent dies),
      stops carbon and exits 0. Killing carbon's pid also ends the harness, and carbon gets SIGTERM if the
      harness dies. In the foreground carbon logs to stdout: everything (console, creates, listener, errors
      such as "File name too long") is in <workdir>/carbon.out.
      With `interface` (another loopback address such as 127.0.0.2), carbon listens there instead of on
      127.0.0.1 and ports.json also holds {"interface": ...}: tests of carbon clusters use it to give caches
      distinct server strings (carbon's DIVERSE_REPLICAS compares them).
  harness.py serve <workdir> --graphite
      The same, with graphite-web 1.1.10 beside carbon (tests/carbon/graphite.py), started first on a free
      127.0.0.1 port: carbon runs with ENABLE_TAGS = True and GRAPHITE_URL pointing at it, so every new tagged
      series is registered in graphite-web's tag database as in production, and graphite-web reads carbon's
      whisper files. ports.json also holds {"graphite": PORT, "graphite_pid": PID}; graphite-web logs to
      <workdir>/graphite.out and stops with carbon.
  harness.py serve <workdir> ... --detach
      Does not stop when its parent dies (scripts/run.sh --serve leaves carbon and graphite-web running for
      a person to browse): only SIGTERM/SIGINT to harness_pid, or carbon exiting, stop it.
  harness.py again <workdir>
      After carbon was killed (a crash test): starts it again with the same configuration and ports, prints
      its pid once it accepts connections, and stops it when killed or when its own parent dies, as serve
      does (so a test process that crashes leaves no carbon behind). First it removes any whisper file whose
      header is incomplete, and says so in carbon.out: a kill that lands while whisper.create is writing a
      new file leaves it empty (create opens it with 'wb' and writes the header through a buffer), and
      carbon 1.1.10 never repairs such a file: it sees that the file exists, fails every later write to it
      ("Error writing to ...: Unable to read header") and drops all of that metric's points from then on.
      Removing it loses nothing stored (carbon writes points only after create returns) and is what an
      operator does after such a crash; the points carbon held in memory are the sender's to send again.
  harness.py dump <workdir> [metric_prefix]
      Prints JSON {"metric.path": [[ts, value], ...], ...}: every point stored in every whisper file (of the
      metrics whose path starts with metric_prefix, if given: a 1 s/1 d file is 1 MiB to read), from the
      finest archive (1 s), sorted by time. ts is the integer whisper stored; a non-finite value is written as
      the string "inf", "-inf" or "nan" (JSON has no such numbers).
  harness.py wait <workdir> <expected_count> [timeout_s] [metric_prefix]
      Polls until at least <expected_count> points are stored in total (default timeout 60 s), counting only
      metrics whose path starts with metric_prefix if given: a test that shares a carbon with earlier tests
      must not be satisfied by their points. Exit 0 and the count on stdout, or exit 1 with the count, the
      files whose header cannot be read, and carbon's log tail on stderr.
  harness.py table <workdir>
      A readable table of what is stored: path, count, first and last (ts, value).

Carbon settings chosen for tests, and why:
  - retention `1s:1d` for every metric: each second is its own point, so every datapoint sent can be compared
    exactly. Whisper silently drops points older than the retention (now - 86400 s), so tests use recent
    timestamps (e.g. now-3600 .. now). Whisper does *store* future points (update_many only checks the lower
    bound) but `whisper.fetch` does not return them until their time has come; `dump` reads the archive itself
    and shows them.
  - carbon floors timestamps to whole seconds (`whisper.update_many` does `int(t)`), so fractional timestamps
    arrive as their integer part.
  - WHISPER_AUTOFLUSH (fsync after every write, so `dump` sees what carbon wrote), WHISPER_SPARSE_CREATE (a 1 s/1 d
    file is 1 MiB; sparse keeps hundreds of them cheap), CACHE_WRITE_STRATEGY = sorted, MAX_CACHE_SIZE,
    MAX_CREATES_PER_MINUTE and MAX_UPDATES_PER_SECOND = inf (no rate limits that would make tests wait),
    CARBON_METRIC_INTERVAL = 0 (no carbon.agents.* self-metrics in the dump), ENABLE_TAGS = False (no HTTP
    calls to a graphite-web tag database) unless graphite-web runs beside it (--graphite). Tagged series are
    stored as carbon stores them by default, under _tagged/<sha256[0:3]>/<sha256[3:6]>/<sha256>.wsp
    (TAG_HASH_FILENAMES): `dump` shows them by those names.
"""

import json
import math
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import whisper

ATTEMPTS = 5  # a port picked free can be taken by someone else before carbon binds it: pick again
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

CARBON_CONF = """\
[cache]
STORAGE_DIR = {storage}
LOCAL_DATA_DIR = {storage}/whisper
WHITELISTS_DIR = {storage}/lists
CONF_DIR = {conf}
LOG_DIR = {storage}/log
PID_DIR = {storage}
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = True
WHISPER_SPARSE_CREATE = True
WHISPER_LOCK_WRITES = False
LINE_RECEIVER_INTERFACE = {iface}
LINE_RECEIVER_PORT = {line}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = {iface}
PICKLE_RECEIVER_PORT = {pickle}
CACHE_QUERY_INTERFACE = {iface}
CACHE_QUERY_PORT = {query}
USE_INSECURE_UNPICKLER = False
USE_FLOW_CONTROL = True
CARBON_METRIC_INTERVAL = 0
{tags}
ENABLE_MANHOLE = False
ENABLE_AMQP = False
LOG_LISTENER_CONN_SUCCESS = True
LOG_UPDATES = False
LOG_CACHE_HITS = False
LOG_CACHE_QUEUE_SORTS = False
LOG_CREATES = True
"""

STORAGE_SCHEMAS = """\
[everything_1s_for_1d]
pattern = .*
retentions = 1s:1d
"""

STORAGE_AGGREGATION = """\
[default]
pattern = .*
xFilesFactor = 0
aggregationMethod = average
"""


def die(msg):
    print("harness: " + msg, file=sys.stderr)
    sys.exit(1)


def paths(workdir):
    workdir = os.path.abspath(workdir)
    return {
        "workdir": workdir,
        "conf": os.path.join(workdir, "conf"),
        "storage": os.path.join(workdir, "storage"),
        "whisper": os.path.join(workdir, "storage", "whisper"),
        "log": os.path.join(workdir, "storage", "log"),
        "out": os.path.join(workdir, "carbon.out"),
        "ports": os.path.join(workdir, "ports.json"),
    }


def free_ports(n, iface="127.0.0.1"):
    """n distinct ports that were free on iface a moment ago (all bound at once, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((iface, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def accepts(port, iface="127.0.0.1"):
    try:
        with socket.create_connection((iface, port), timeout=0.5):
            return True
    except OSError:
        return False


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def die_with_parent():
    """In the child: get SIGTERM when the harness dies, however it dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:  # not Linux: the harness's own parent watch still stops carbon
        pass


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no %s)\n" % path


def read_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def log_tail(p):
    return "--- %s\n%s" % (p["out"], tail(p["out"]))


def spawn_carbon(p):
    """Starts carbon-cache on the configuration in place, stopped by the kernel if this process dies; returns
    the process and where its part of the log starts."""
    pidfile = os.path.join(p["storage"], "carbon-cache-a.pid")
    if os.path.exists(pidfile):
        os.remove(pidfile)
    out = open(p["out"], "ab")
    since = out.tell()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(sys.executable), "carbon-cache.py"),
         "--config=" + os.path.join(p["conf"], "carbon.conf"), "--nodaemon", "start"],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=p["workdir"],
        preexec_fn=die_with_parent,
        env=dict(os.environ, PYTHONUTF8="1"),  # UTF-8 metric names become UTF-8 file names
    )
    out.close()
    return proc, since


def start_carbon(p, iface="127.0.0.1", graphite_url=None):
    """Configures and starts carbon; returns (process, ports) once both TCP receivers accept connections.
    With `graphite_url`, carbon registers tagged series there (ENABLE_TAGS)."""
    if graphite_url:
        tags = "ENABLE_TAGS = True\nGRAPHITE_URL = %s" % graphite_url
    else:
        tags = "ENABLE_TAGS = False"
    for attempt in range(ATTEMPTS):
        line, pickle, query = free_ports(3, iface)
        # A fixed pickle port (2004, the clients' default) for tests that run examples exactly as written,
        # inside a network namespace of their own (wasm/test/support/readme-sandbox.mjs).
        if os.environ.get("CARBON_PICKLE_HARNESS_PICKLE_PORT"):
            pickle = int(os.environ["CARBON_PICKLE_HARNESS_PICKLE_PORT"])
        write_atomic(
            os.path.join(p["conf"], "carbon.conf"),
            CARBON_CONF.format(storage=p["storage"], conf=p["conf"], line=line, pickle=pickle, query=query,
                               iface=iface, tags=tags),
        )
        proc, since = spawn_carbon(p)
        deadline = time.monotonic() + START_TIMEOUT
        taken = False
        while time.monotonic() < deadline:
            exited = proc.poll() is not None
            log = read_from(p["out"], since)
            # carbon keeps running when one receiver cannot bind, and whoever holds that port may accept
            # connections: only carbon's own "starting on PORT" line shows the port is carbon's.
            if "Address already in use" in log or "Couldn't listen" in log:
                taken = True
                break
            if exited:
                break
            if all(re.search(r"starting on %d\b" % port, log) for port in (pickle, line, query)) \
                    and accepts(pickle, iface) and accepts(line, iface):
                return proc, {"pickle": pickle, "line": line, "query": query}
            time.sleep(0.05)
        if not taken and proc.poll() is None:
            stop(proc)
            die("carbon did not listen on %s:%d within %ds\n%s" % (iface, pickle, START_TIMEOUT, log_tail(p)))
        if not taken:
            die("carbon exited with status %s\n%s" % (proc.returncode, log_tail(p)))
        stop(proc)
        with open(p["out"], "a") as out:
            out.write("harness: a port was taken, starting again with other ports\n")
        print("harness: a port was taken (attempt %d), picking others" % (attempt + 1), file=sys.stderr)
    die("could not find free ports in %d attempts" % ATTEMPTS)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(workdir, iface="127.0.0.1", graphite=False, detach=False):
    p = paths(workdir)
    for d in (p["conf"], p["whisper"], p["log"], os.path.join(p["storage"], "lists")):
        os.makedirs(d, exist_ok=True)
    write_atomic(os.path.join(p["conf"], "storage-schemas.conf"), STORAGE_SCHEMAS)
    write_atomic(os.path.join(p["conf"], "storage-aggregation.conf"), STORAGE_AGGREGATION)
    if os.path.exists(p["ports"]):
        os.remove(p["ports"])

    stopping = stop_on_signals()
    parent = None if detach else os.getppid()

    web = None
    if graphite:
        import graphite as graphite_web  # tests/carbon/graphite.py

        try:
            web, web_port, web_url = graphite_web.start(p["workdir"], p["storage"], p["whisper"], die_with_parent)
        except RuntimeError as e:
            die(str(e))
    try:
        proc, ports = start_carbon(p, iface, web_url if web else None)
        ports.update(pid=proc.pid, harness_pid=os.getpid())
        if web:
            ports.update(graphite=web_port, graphite_pid=web.pid)
        if iface != "127.0.0.1":
            ports.update(interface=iface)
        write_atomic(p["ports"], json.dumps(ports) + "\n")
        supervise(proc, stopping, parent)
    finally:
        if web:
            stop(web)
    return 0


def stop_on_signals():
    """A list that SIGTERM or SIGINT make non-empty: the harness's cue to stop carbon and exit."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    return stopping


def supervise(proc, stopping, parent):
    """Waits until told to stop, carbon exits, or the harness's parent dies (unless `parent` is None); then
    stops carbon."""
    try:
        while not stopping and proc.poll() is None and (parent is None or os.getppid() == parent):
            time.sleep(0.2)
    finally:
        stop(proc)


def remove_cut_creates(p):
    """Removes the whisper files a kill left with an incomplete header (see `again`), saying so in carbon.out."""
    for _, f in unreadable_files(p["whisper"]):
        size = os.path.getsize(f)
        os.remove(f)
        with open(p["out"], "a") as out:
            out.write("harness: removed %s (%d bytes, header incomplete): carbon was killed while creating it\n"
                      % (f.decode("utf-8", "replace"), size))


def again(workdir):
    p = paths(workdir)
    ports = json.load(open(p["ports"]))
    remove_cut_creates(p)
    iface = ports.get("interface", "127.0.0.1")
    stopping = stop_on_signals()
    parent = os.getppid()
    proc, _ = spawn_carbon(p)
    deadline = time.monotonic() + START_TIMEOUT
    while not accepts(ports["pickle"], iface):
        if proc.poll() is not None or time.monotonic() > deadline or stopping:
            stop(proc)
            die("carbon did not listen again on %s:%d\n%s" % (iface, ports["pickle"], log_tail(p)))
        time.sleep(0.05)
    print(proc.pid, flush=True)
    supervise(proc, stopping, parent)
    return 0


# ---- reading whisper ----


def whisper_files(root):
    """(metric path, file) for every whisper file. Names are read as bytes and decoded as UTF-8 (carbon runs
    with PYTHONUTF8=1), whatever this process's locale."""
    root = os.fsencode(root)
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(b".wsp"):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)[: -len(b".wsp")]
                yield rel.replace(os.sep.encode(), b".").decode("utf-8", "replace"), full


def read_points(path):
    """Every stored (ts, value) of the finest archive, by time. Slots never written hold interval 0."""
    archive = whisper.info(path)["archives"][0]
    with open(path, "rb") as fh:
        fh.seek(archive["offset"])
        raw = fh.read(archive["size"])
    points = [(ts, v) for ts, v in struct.iter_unpack(whisper.pointFormat, raw) if ts != 0]
    points.sort()
    return points


def read_points_settled(path, timeout=5.0):
    """read_points, waiting (up to `timeout` s) for a file carbon is creating right now: whisper writes the
    header and then the archives, so a reader can meet a header or an archive that is not all there yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return read_points(path)
        except (whisper.CorruptWhisperFile, struct.error):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def unreadable_files(root, prefix=""):
    """(metric, file) of every whisper file (under prefix) whose header cannot be read."""
    for metric, f in whisper_files(root):
        if metric.startswith(prefix):
            try:
                whisper.info(f)
            except (whisper.CorruptWhisperFile, struct.error):
                yield metric, f


def json_value(v):
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def dump(workdir, prefix=""):
    root = paths(workdir)["whisper"]
    files = sorted((m, f) for m, f in whisper_files(root) if m.startswith(prefix))
    out = {metric: [[ts, json_value(v)] for ts, v in read_points_settled(f)] for metric, f in files}
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


def count(root, cache, prefix=""):
    """Points stored in total (of the metrics whose path starts with prefix). A file is read again unless it is unchanged since a read made well after its
    last change (mtime moves in coarse ticks: a write in the same tick as a read would go unseen)."""
    total = 0
    for metric, f in whisper_files(root):
        if not metric.startswith(prefix):
            continue
        try:
            st = os.stat(f)
            key = (st.st_mtime_ns, st.st_size)
            if cache.get(f, (None,))[0] != key:
                read_at = time.time_ns()
                n = len(read_points(f))
                cache[f] = (key if read_at - st.st_mtime_ns > 1_000_000_000 else None, n)
            total += cache[f][1]
        except (OSError, struct.error, whisper.CorruptWhisperFile, KeyError, IndexError):
            pass  # a file being created right now: count it on the next round
    return total


def wait(workdir, expected, timeout, prefix=""):
    p = paths(workdir)
    cache = {}
    deadline = time.monotonic() + timeout
    while True:
        n = count(p["whisper"], cache, prefix)
        if n >= expected:
            print(n)
            return 0
        if time.monotonic() > deadline:
            bad = sorted(m for m, _ in unreadable_files(p["whisper"], prefix))
            print("harness: %d of %d points%s stored after %ss\n%s%s"
                  % (n, expected, " under %r" % prefix if prefix else "", timeout,
                     "files whose header cannot be read: %s\n" % ", ".join(bad) if bad else "", log_tail(p)),
                  file=sys.stderr)
            return 1
        time.sleep(0.1)


def table(workdir):
    sys.stdout.reconfigure(encoding="utf-8", errors="replace")
    rows = [(m, read_points_settled(f)) for m, f in sorted(whisper_files(paths(workdir)["whisper"]))]
    width = max([len(m) for m, _ in rows] + [4])
    print("%-*s %6s  %-26s %-26s" % (width, "path", "count", "first (time, value)", "last (time, value)"))
    total = 0
    for metric, pts in rows:
        total += len(pts)
        first = "%s  %g" % (time.strftime("%H:%M:%S", time.localtime(pts[0][0])), pts[0][1]) if pts else "-"
        last = "%s  %g" % (time.strftime("%H:%M:%S", time.localtime(pts[-1][0])), pts[-1][1]) if pts else "-"
        print("%-*s %6d  %-26s %-26s" % (width, metric, len(pts), first, last))
    print("%d metrics, %d datapoints" % (len(rows), total))
    return 0


def main(argv):
    usage = ("usage: harness.py serve <workdir> [interface] [--graphite] [--detach] | again <workdir> | table <workdir>"
             " | dump <workdir> [metric_prefix]"
             " | wait <workdir> <expected_count> [timeout_s] [metric_prefix]")
    if len(argv) < 3:
        die(usage)
    cmd, workdir = argv[1], argv[2]
    flags = {"--graphite", "--detach"}
    if cmd == "serve" and flags & set(argv[3:]):
        rest = [a for a in argv[3:] if a not in flags]
        if len(rest) <= 1:
            return serve(workdir, rest[0] if rest else "127.0.0.1", graphite="--graphite" in argv[3:],
                         detach="--detach" in argv[3:])
    if cmd == "serve" and len(argv) in (3, 4):
        return serve(workdir, argv[3] if len(argv) == 4 else "127.0.0.1")
    if cmd == "again" and len(argv) == 3:
        return again(workdir)
    if cmd == "dump" and len(argv) in (3, 4):
        return dump(workdir, argv[3] if len(argv) == 4 else "")
    if cmd == "table" and len(argv) == 3:
        return table(workdir)
    if cmd == "wait" and len(argv) in (4, 5, 6):
        return wait(workdir, int(argv[3]), float(argv[4]) if len(argv) >= 5 else 60.0,
                    argv[5] if len(argv) == 6 else "")
    die(usage)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
