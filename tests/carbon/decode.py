#!/usr/bin/env python3
"""Decodes carbon pickle frames the way carbon does, and checks them.

Reads concatenated frames (4-byte big-endian payload length + pickle payload) on stdin and, for each frame:
  - checks the payload is at most --max-bytes (default 1,048,576, carbon's PICKLE_RECEIVER_MAX_LENGTH) and that
    the header length is the payload's real length (the pickle's STOP is its last byte, nothing is left over);
  - decodes it with CPython's `pickle.loads` and with carbon's own unpickler (`carbon.util.get_unpickler()`,
    the SafeUnpickler that `MetricPickleReceiver` uses) and checks both give the same objects, types included;
  - checks the shape carbon expects: a list of `(str path, (number ts, number value))`.
Prints JSON [[[path, ts, value], ...], ...], one list per frame (ints stay ints, floats stay floats; a
non-finite number is written as the string "inf", "-inf" or "nan"). Any failure exits 1 naming the frame index.

Run with the venv's python ($CARBON_PICKLE_PYTHON): carbon must be importable.
"""

import argparse
import io
import json
import math
import pickle
import struct
import sys

from carbon.util import get_unpickler

CARBON_MAX_PAYLOAD = 1 << 20


class FrameError(Exception):
    pass


def same(a, b):
    """Equal values of equal types, all the way down (1 == 1.0 and -0.0 == 0.0 are not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    return a == b


def number(x):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise FrameError("expected a number, got %r" % (x,))
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def decode(payload, max_bytes):
    if len(payload) > max_bytes:
        raise FrameError("payload is %d bytes, over the %d-byte limit" % (len(payload), max_bytes))
    stream = io.BytesIO(payload)
    try:
        ours = pickle.Unpickler(stream).load()
    except Exception as e:
        raise FrameError("pickle.loads failed: %s: %s" % (type(e).__name__, e))
    if stream.tell() != len(payload):
        raise FrameError(
            "header says %d bytes but the pickle ends (STOP) after %d" % (len(payload), stream.tell()))
    try:
        carbons = get_unpickler(insecure=False).loads(payload)
    except Exception as e:
        raise FrameError("carbon's SafeUnpickler failed: %s: %s" % (type(e).__name__, e))
    if not same(ours, carbons):
        raise FrameError("pickle.loads and carbon's SafeUnpickler disagree:\n  %r\n  %r" % (ours, carbons))
    if not isinstance(ours, list):
        raise FrameError("payload is a %s, not a list" % type(ours).__name__)
    out = []
    for i, item in enumerate(ours):
        try:
            path, (ts, value) = item
        except (TypeError, ValueError):
            raise FrameError("item %d is not (path, (timestamp, value)): %r" % (i, item))
        if not isinstance(item, tuple) or not isinstance(item[1], tuple):
            raise FrameError("item %d is not made of tuples: %r" % (i, item))
        if not isinstance(path, str):
            raise FrameError("item %d: path is a %s, not str" % (i, type(path).__name__))
        try:
            out.append([path, number(ts), number(value)])
        except FrameError as e:
            raise FrameError("item %d: %s" % (i, e))
    return out


def frames(data):
    pos = 0
    while pos < len(data):
        if len(data) - pos < 4:
            raise FrameError("%d trailing bytes, too short for a header" % (len(data) - pos))
        (n,) = struct.unpack_from("!L", data, pos)
        if len(data) - pos - 4 < n:
            raise FrameError("header says %d bytes but only %d follow" % (n, len(data) - pos - 4))
        yield data[pos + 4:pos + 4 + n]
        pos += 4 + n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-bytes", type=int, default=CARBON_MAX_PAYLOAD, help="largest payload allowed")
    args = ap.parse_args()
    data = sys.stdin.buffer.read()
    out = []
    try:
        for payload in frames(data):
            out.append(decode(payload, args.max_bytes))
    except FrameError as e:
        print("decode.py: frame %d: %s" % (len(out), e), file=sys.stderr)
        return 1
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
