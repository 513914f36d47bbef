"""TLS parts of the firmware's end-to-end tests (run_tests.py): a test PKI made with the openssl CLI, stunnel
as the TLS 1.3 terminator in front of carbon (the Hosted Graphite guide's "Carbon Relay Secured With Stunnel"
set-up, server side), a relay that cuts a TLS connection in the middle of a record, and the TLS builds of
mps2-node.

Everything listens on 127.0.0.1 only; every process started here is stopped here, by its PID.
"""

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from loopback import LoopbackServer

FIRMWARE = Path(__file__).resolve().parent.parent
SERVER_NAME = "carbon.test"
# The TLS builds get a target directory of their own, so they do not replace the plain images that the other
# scenarios and the footprint report use.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or FIRMWARE / "target") / "tls"
BOARDS = {"mps2-an386": "thumbv7em-none-eabihf", "mps2-an385": "thumbv7m-none-eabi"}
EMBASSY = "embassy-an386"  # embassy-node on mps2-an386, the async sender over carbon_sender::tls_async
ALIASES = {"mps2-an386": "build-an386", "mps2-an385": "build-an385", EMBASSY: "build-embassy-an386"}


def elf(board):
    if board == EMBASSY:
        return TARGET / BOARDS["mps2-an386"] / "release" / "embassy-node"
    return TARGET / BOARDS[board] / "release" / "mps2-node"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class Pki:
    """A test CA and ECDSA P-256 server certificates, in a temporary directory:
      ca.pem                     the CA the firmware is built with
      server.{pem,key}           carbon.test, issued by it (the good one)
      wrong-name.{pem,key}       other.test, issued by the same CA
      other-ca.pem, rogue.{pem,key}  carbon.test, issued by another CA
    """

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="fw-tls-pki-"))
        d = self.dir
        for ca in ("ca", "other-ca"):
            openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{ca}.key", cwd=d)
            openssl("req", "-x509", "-new", "-key", f"{ca}.key", "-sha256", "-days", "3", "-subj",
                    f"/CN=carbon-pickle test {ca}", "-out", f"{ca}.pem", cwd=d)
        self._leaf("server", SERVER_NAME, "ca")
        self._leaf("wrong-name", "other.test", "ca")
        self._leaf("rogue", SERVER_NAME, "other-ca")

    def _leaf(self, name, dns, ca):
        d = self.dir
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=d)
        openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={dns}", "-out", f"{name}.csr", cwd=d)
        (d / f"{name}.ext").write_text(
            f"subjectAltName=DNS:{dns}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
        )
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
                "-days", "2", "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)

    def cleanup(self):
        subprocess.run(["rm", "-rf", str(self.dir)], check=False)


def build(pki, boards=ALIASES):
    """The TLS images (both mps2-node boards and embassy-node), built with the test CA and server name."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET), NODE_TLS_CA=str(pki.dir / "ca.pem"),
               NODE_TLS_SERVER_NAME=SERVER_NAME)
    for board in boards:
        subprocess.run(["cargo", ALIASES[board], "-q", "--features", "tls"], cwd=FIRMWARE, env=env, check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Stunnel:
    """stunnel4 in server mode on 127.0.0.1: TLS (1.3 only unless told) in front of `upstream`, plaintext to it."""

    def __init__(self, upstream, cert, key, versions=("TLSv1.3", "TLSv1.3"), port=None):
        self.dir = Path(tempfile.mkdtemp(prefix="fw-stunnel-"))
        self.port = port or free_port()
        self.conf = self.dir / "stunnel.conf"
        self.conf.write_text(
            "foreground = yes\npid =\ndebug = 5\n"
            "[carbon-tls]\n"
            f"accept = 127.0.0.1:{self.port}\nconnect = 127.0.0.1:{upstream}\n"
            f"cert = {cert}\nkey = {key}\n"
            f"sslVersionMin = {versions[0]}\nsslVersionMax = {versions[1]}\n"
        )
        self.proc = None

    def start(self):
        self.out = open(self.dir / "stunnel.log", "ab")
        self.proc = subprocess.Popen(["stunnel4", str(self.conf)], stdout=self.out, stderr=subprocess.STDOUT)
        wait_port(self.port, proc=self.proc)
        return self

    def kill(self):
        """SIGKILL: every connection it holds dies with it (reset), as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.out.close()

    def log(self):
        return (self.dir / "stunnel.log").read_text(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not self.out.closed:
            self.out.close()
        if exc[0] is None:
            subprocess.run(["rm", "-rf", str(self.dir)], check=False)


class RecordCutter(LoopbackServer):
    """A loopback relay between QEMU and stunnel that follows the TLS records the client sends and resets the
    first connection in the middle of one: once `cut_record`'s record of type 23 (the first one is the client's
    encrypted Finished, so 3 is the second application-data record) is half through. Later connections are
    forwarded whole. An upstream that refuses (stunnel down) makes it reset the client's connection."""

    def __init__(self, upstream, cut_record=3):
        super().__init__()
        self.upstream = upstream
        self.cut_record = cut_record
        self.connections = 0
        self.refused = 0
        self.cut_at = None  # (bytes forwarded, record number, bytes of it forwarded, its length)
        self.sock.listen(8)
        self.sock.settimeout(0.1)

    def _serve(self):
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            self.spawn(self._pump, client, self.connections == 1)

    @staticmethod
    def _reset(s):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        s.close()

    def _pump(self, client, cut):
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream), timeout=2)
        except OSError:
            self.refused += 1
            self._reset(client)
            return
        done = threading.Event()

        def down():  # server -> client, as it comes
            try:
                while not done.is_set():
                    data = up.recv(65536)
                    if not data:
                        break
                    client.sendall(data)
            except OSError:
                pass
            done.set()

        t = threading.Thread(target=down, daemon=True)
        t.start()
        client.settimeout(0.1)
        # Framing of the client's records: bytes of the current header, its type and body left.
        header, body_left, rtype, app_records, total = b"", 0, None, 0, 0
        try:
            while not done.is_set() and not self.stop.is_set():
                try:
                    data = client.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                out = bytearray()
                for b in data:
                    out.append(b)
                    total += 1
                    if body_left == 0:
                        header += bytes([b])
                        if len(header) == 5:
                            rtype, body_left = header[0], int.from_bytes(header[3:5], "big")
                            app_records += rtype == 23
                            length, header = body_left, b""
                        continue
                    body_left -= 1
                    if cut and rtype == 23 and app_records == self.cut_record and body_left == length // 2:
                        up.sendall(bytes(out))
                        self.cut_at = (total, app_records, length - body_left, length)
                        raise ConnectionAbortedError
                up.sendall(bytes(out))
        except ConnectionAbortedError:
            self._reset(client)
            self._reset(up)
            done.set()
            return
        except OSError:
            pass
        done.set()
        client.close()
        up.close()


class StreamedQemu:
    """QEMU running the node, its decoded log read as it comes, so a test can act on what the node says (kill
    stunnel at a sample, stop a run that can never deliver). QEMU and its pipeline run in a process group of
    their own, which is what `stop` ends."""

    def __init__(self, board, image, env_extra, timeout=90):
        env = dict(os.environ, QEMU_TIMEOUT=str(timeout), **env_extra)
        self.proc = subprocess.Popen([FIRMWARE / "tools" / "qemu-run", board, image], env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until predicate(lines) is true; False if QEMU ended or the time ran out first."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return predicate(self.lines)
                self.cond.wait(min(left, 0.2))
            return True

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.reader.join(timeout=10)

    def finish(self, timeout):
        """Waits for QEMU's own exit; returns (status, log)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        self.reader.join(timeout=10)
        return self.proc.returncode, "\n".join(self.lines) + "\n"

    def text(self):
        with self.cond:
            return "\n".join(self.lines) + "\n"


def handshake_ms(text):
    """Milliseconds from 'TLS handshake started' to 'TLS 1.3 session up', per handshake, by defmt timestamp."""
    return [hs for _, hs in connect_ms(text)]


def connect_ms(text):
    """Per successful connection, by defmt timestamp: (TCP connect: 'connecting to' to 'TLS handshake started',
    TLS handshake: from there to 'TLS 1.3 session up'), in ms. The TCP connect is one round trip through QEMU's
    user networking, for scale: the handshake's own round trips are in its figure too."""
    out, connecting, start = [], None, None
    for line in text.splitlines():
        parts = line.split(" ", 1)
        try:
            t = float(parts[0])
        except ValueError:
            continue
        if "connecting to" in line:
            connecting = t
        elif "TLS handshake started" in line:
            start = t
        elif "TLS 1.3 session up" in line and start is not None and connecting is not None:
            out.append((round((start - connecting) * 1000), round((t - start) * 1000)))
            start = connecting = None
    return out
