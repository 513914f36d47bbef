"""A loopback listener for the firmware tests' relays (run_tests.Relay, tls.RecordCutter): one socket on
127.0.0.1 with a free port, a thread that serves it, one more thread per connection, and all of them stopped
and joined on leaving the `with` block. Subclasses write `_serve` (listen, accept, `spawn` a pump per
connection) and stop when `self.stop` is set.
"""

import socket
import threading


class LoopbackServer:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.threads = []

    def spawn(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def __enter__(self):
        self.spawn(self._serve)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)
        self.sock.close()

    def _serve(self):
        raise NotImplementedError
