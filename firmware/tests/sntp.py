"""An SNTP responder for the embassy node under QEMU (run_tests.py), on 127.0.0.1.

Why not a plain UDP server on the host: QEMU's user networking with restrict=on (the only networking the tests
give the guest) drops every UDP datagram from the guest but DHCP and TFTP (libslirp's udp_input checks
`restricted` before it looks for a socket), and its guestfwd forwards TCP only. So tools/qemu-run, given
NODE_SEGMENT_UDP, puts the guest's NIC on a QEMU hub with both the restricted user network and a `socket`
netdev that carries the guest's Ethernet frames, one per datagram, between 127.0.0.1 ports. This responder reads
those frames and answers the SNTP requests addressed to carbon's address (10.0.2.100, port 123: the machine
that runs carbon serves the time too; the guestfwd makes QEMU answer ARP for that address, and one address for
both keeps the node from resolving a second neighbour, which smoltcp would delay by a second) as a server there
would: an SNTPv4 answer (mode 4, stratum 1) in a UDP/IPv4 frame from the MAC address the request went to.
Every other frame is left to QEMU's user network.

Its time is the host's plus `offset_s` (a whole number of seconds, so the node's datapoints show whose time they
carry), and it can stay silent for the first `silent_s` seconds (a node with no time yet).
"""

import os
import socket
import struct
import threading
import time

NTP_UNIX_DELTA = 2_208_988_800  # seconds from 1900 (NTP's era 0) to 1970
SERVER = bytes([10, 0, 2, 100])
NTP_PORT = 123


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ntp_timestamp(unix):
    seconds = int(unix)
    return struct.pack("!II", seconds + NTP_UNIX_DELTA, int((unix - seconds) * 2**32) & 0xFFFF_FFFF)


class Responder:
    """The responder thread. `qemu_env()` is what tools/qemu-run needs to put the guest on its segment."""

    def __init__(self, offset_s=0, silent_s=0.0):
        self.offset_s = offset_s
        self.silent_s = silent_s
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.dropped = 0
        self.answers = []  # Unix seconds (float) of each answer's transmit timestamp
        self.armed_at = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def now(self):
        return time.time() + self.offset_s

    def arm(self):
        """Starts the silent period now (call it right before QEMU starts)."""
        self.armed_at = time.monotonic()

    def qemu_env(self):
        return {"NODE_SEGMENT_UDP": f"{free_udp_port()}:{self.port}"}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def _serve(self):
        while not self.stop.is_set():
            try:
                frame, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            reply = self._answer(frame)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _answer(self, frame):
        """The reply frame to an SNTP request to the host alias, else None."""
        if len(frame) < 14 + 20 + 8 + 48 or frame[12:14] != b"\x08\x00":
            return None
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or ip[16:20] != SERVER:
            return None
        udp = ip[ihl:]
        sport, dport = struct.unpack("!HH", udp[:4])
        payload = udp[8:]
        if dport != NTP_PORT or len(payload) < 48 or payload[0] & 0x07 != 3:  # mode 3: client
            return None
        self.requests += 1
        if time.monotonic() - self.armed_at < self.silent_s:
            self.dropped += 1
            return None
        now = self.now()
        self.answers.append(now)
        ntp = (
            bytes([(0 << 6) | (4 << 3) | 4, 1, payload[2], 0xEC])  # LI 0, v4, server; stratum 1; poll; 2^-20 s
            + struct.pack("!II", 0, 0x10)  # root delay, root dispersion
            + b"TEST"  # reference id (stratum 1: a source name)
            + ntp_timestamp(now - 1)  # reference: set a second ago
            + payload[40:48]  # originate: the request's transmit timestamp
            + ntp_timestamp(now)  # receive
            + ntp_timestamp(now)  # transmit
        )
        src_ip, guest_ip = SERVER, ip[12:16]
        udp_len = 8 + len(ntp)
        pseudo = src_ip + guest_ip + struct.pack("!BBH", 0, 17, udp_len)
        udp_hdr = struct.pack("!HHHH", NTP_PORT, sport, udp_len, 0)
        udp_sum = checksum(pseudo + udp_hdr + ntp) or 0xFFFF
        udp_hdr = struct.pack("!HHHH", NTP_PORT, sport, udp_len, udp_sum)
        ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, src_ip, guest_ip)
        ip_hdr = ip_hdr[:10] + struct.pack("!H", checksum(ip_hdr)) + ip_hdr[12:]
        # From the MAC the guest sent to (QEMU's user network answers ARP for it), to the guest's.
        eth = frame[6:12] + frame[0:6] + b"\x08\x00"
        return eth + ip_hdr + udp_hdr + ntp


if __name__ == "__main__":
    # scripts/run.sh: `sntp.py FILE` answers with the host's time until stopped (SIGTERM), after writing the
    # NODE_SEGMENT_UDP value for tools/qemu-run to FILE.
    import signal
    import sys

    with Responder() as responder:
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(responder.qemu_env()["NODE_SEGMENT_UDP"])
        os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        stopped.wait()
