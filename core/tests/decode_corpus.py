#!/usr/bin/env python3
"""Random carbon pickle frames made by CPython, and what carbon makes of each.

Used by core/tests/decode_differential.rs: the Rust decoder must agree with this on every frame.

Usage: decode_corpus.py OUTDIR [--seed N] [--frames N] [--mutants N]

Writes OUTDIR/corpus.bin (frames back to back: 4-byte big-endian length + payload) and OUTDIR/expected.txt,
one block per frame:
    ok <points> <skipped>            then one line per datapoint: <path utf-8 hex> <ts f64 bits hex> <value bits hex>
    refused                          the unpickler raised (carbon logs and drops the frame)
    fatal                            carbon raised outside the unpickler (it drops the connection)
    notlist                          unpickled fine but is not a list (the decoder refuses these)
    kind <name>                      precedes each block: gen (a pickle.dumps or hand-written sender frame) or mut

The verdict comes from carbon's own SafeUnpickler (carbon.util, from the venv) when importable, and carbon's
receive loop (MetricPickleReceiver.stringReceived) re-stated below.
"""
import argparse
import io
import math
import os
import pickle
import pickletools
import random
import struct
import sys

try:
    from carbon.util import SafeUnpickler  # the real one, from the venv

    def unpickle(data):
        return SafeUnpickler.loads(data)

    SOURCE = "carbon.util.SafeUnpickler"
except Exception:  # pragma: no cover - only without the venv

    class _Safe(pickle.Unpickler):
        def find_class(self, module, name):
            raise pickle.UnpicklingError("Attempting to unpickle unsafe module %s" % module)

    def unpickle(data):
        return _Safe(io.BytesIO(data), encoding="utf-8").load()

    SOURCE = "inline copy of SafeUnpickler"


def carbon_verdict(payload):
    """What carbon 1.1.10's MetricPickleReceiver.stringReceived does with one payload."""
    try:
        datapoints = unpickle(payload)
    except (pickle.UnpicklingError, ValueError, IndexError, ImportError, KeyError, EOFError):
        return ("refused",)
    except Exception:
        return ("fatal",)
    if not isinstance(datapoints, list):
        return ("notlist",)
    out = []
    skipped = 0
    try:
        for raw in datapoints:
            try:
                (metric, (value, timestamp)) = raw
            except Exception:
                skipped += 1
                continue
            try:
                datapoint = (float(value), float(timestamp))
            except (ValueError, TypeError):
                skipped += 1
                continue
            if not isinstance(metric, str):
                metric = metric.encode("utf-8")
            out.append((metric, datapoint))
    except Exception:
        return ("fatal",)
    return ("ok", out, skipped)


WORDS = ["servers", "web01", "cpu", "user", "load", "sensors", "kitchen", "temp", "a", "b", "x1", "disk-io", "mem_free"]
ODD = ["café", "温度", "😀", "it's", 'say "hi"', "back\\slash", "sp ace", "tab\tx", "nl\nx", "ÿ", "\x7f", "Ω", "\u00a0nb"]


def rand_path(r):
    parts = [r.choice(WORDS) for _ in range(r.randint(1, 5))]
    if r.random() < 0.25:
        parts[r.randrange(len(parts))] = r.choice(ODD)
    if r.random() < 0.03:
        return ""
    if r.random() < 0.02:
        return "x" * r.randint(200, 400)
    return ".".join(parts)


def rand_ts(r):
    c = r.random()
    if c < 0.45:
        return r.randint(1_600_000_000, 1_800_000_000)
    if c < 0.55:
        return r.randint(0, 255)
    if c < 0.6:
        return r.randint(2**31, 2**32 - 1)
    if c < 0.65:
        return -r.randint(1, 2**40)
    if c < 0.75:
        return r.uniform(0, 2**32)
    if c < 0.78:
        return 2 ** r.randint(63, 1023) + r.randint(0, 10)
    if c < 0.8:
        return -(2 ** r.randint(63, 1000)) if r.random() < 0.98 else 2**1100
    if c < 0.83:
        return r.choice([True, False, None])
    if c < 0.9:
        return str(r.randint(0, 2**32))
    return r.choice([0, 1, 2**53 + 1, 2**64, -(2**63), 10**18])


def rand_num_str(r):
    return r.choice(
        [
            "1.5", " 2 ", "-3e5", "1_000", "1__0", "nan", "-inf", "Infinity", "abc", "", "0x10", "1e999",
            "\u00a04\u3000", ".5", "5.", "+7", "1e", "١", "12", "  -0.0\n", "inf ", "1,5",
        ]
    )


def rand_value(r):
    c = r.random()
    if c < 0.5:
        return r.uniform(-1e6, 1e6)
    if c < 0.6:
        return r.randint(-(2**31), 2**31)
    if c < 0.65:
        return r.choice([math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308])
    if c < 0.8:
        return rand_num_str(r)
    if c < 0.85:
        return r.choice([None, True, False])
    if c < 0.9:
        return 2 ** r.randint(40, 1023 if r.random() < 0.99 else 1100) * r.choice([1, -1]) + r.randint(0, 3)
    return struct.unpack(">d", r.getrandbits(64).to_bytes(8, "big"))[0]


def rand_element(r, paths, pairs):
    c = r.random()
    if c < 0.02:
        return (rand_path(r), rand_ts(r), rand_value(r))
    if c < 0.04 and r.random() < 0.05:
        return r.choice(["str", 5, None, (), (rand_path(r),), (rand_path(r), (1,)), (rand_path(r), (1, 2, 3))])
    if 0.04 <= c < 0.0405:
        return (r.choice([5, None, 2**2000, (1, 2)]), (rand_ts(r), rand_value(r)))
    path = r.choice(paths) if paths and r.random() < 0.3 else rand_path(r)
    paths.append(path)
    if pairs and r.random() < 0.15:
        pair = r.choice(pairs)
    else:
        pair = (rand_ts(r), rand_value(r))
        pairs.append(pair)
    return (path, pair)


def rand_points(r):
    n = r.choice([0, 1, 2, 3, 5, 10, 30, 100]) if r.random() < 0.97 else r.choice([300, 500, 1001])
    paths, pairs = [], []
    el = [rand_element(r, paths, pairs) for _ in range(n)]
    if el and r.random() < 0.05:
        el.append(el[0])  # the same tuple twice: a memo GET of a datapoint
    return el


# Hand-written senders (protocol 0 as statsd and Dropwizard write it, Python 2 str as SHORT_BINSTRING).
def py_str_literal(s):
    """Python 2 repr-style quoting, as a sender writing S'...' would (escapes where needed)."""
    b = s.encode("utf-8")
    out = []
    for ch in b:
        c = chr(ch)
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c == "\n":
            out.append("\\n")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    return ("'" + "".join(out) + "'").encode("ascii")


def statsd_frame(r, points):
    body = [b"(l"]
    for path, (ts, val) in points:
        sp = path.encode("utf-8") if r.random() < 0.7 and "'" not in path and "\n" not in path and "\\" not in path else None
        body.append(b"(S" + (b"'" + sp + b"'" if sp is not None else py_str_literal(path)) + b"\n")
        t = ts if isinstance(ts, int) and not isinstance(ts, bool) else int(ts) if isinstance(ts, float) else 0
        body.append(b"(L%dL\n" % t)
        if r.random() < 0.5:
            v = val if isinstance(val, str) else repr(val)
            if "'" in v or "\\" in v or "\n" in v:
                v = "1"
            body.append(b"S'" + v.encode("utf-8") + b"'\n")
        else:
            fv = val if isinstance(val, float) else 1.25
            body.append(b"F" + repr(fv).encode() + b"\n")
        body.append(b"tta")
    body.append(b".")
    return b"".join(body)


def binstring_frame(r, points):
    """Protocol 2 as Python 2's relay writes it: str paths as SHORT_BINSTRING/BINSTRING, memoized."""
    out = [b"\x80\x02]q\x00(" if len(points) != 1 else b"\x80\x02]q\x00"]
    memo = 1
    for path, (ts, val) in points:
        p = path.encode("utf-8")
        if len(p) < 256:
            out.append(b"U" + bytes([len(p)]) + p)
        else:
            out.append(b"T" + struct.pack("<i", len(p)) + p)
        out.append(b"q" + bytes([memo % 256]))
        memo += 1
        t = int(ts) if isinstance(ts, int) and not isinstance(ts, bool) and 0 <= ts < 2**31 else 1234
        out.append(b"J" + struct.pack("<i", t))
        v = val if isinstance(val, float) else 2.5
        out.append(b"G" + struct.pack(">d", v) + b"\x86\x86")
    out.append(b"e." if len(points) != 1 else b"a.")
    return b"".join(out)


def mutate(r, data):
    b = bytearray(data)
    for _ in range(r.randint(1, 3)):
        c = r.random()
        if not b:
            b.append(r.randrange(256))
        elif c < 0.3:
            b[r.randrange(len(b))] = r.randrange(256)
        elif c < 0.45:
            b.insert(r.randrange(len(b) + 1), r.choice(b"()]lta e.0120pqrghjJKMNGFISVXU\x80\x85\x86\x87\x88\x89\x8a\x8c\x94\x95cRPQBCd}"))
        elif c < 0.6:
            del b[r.randrange(len(b))]
        elif c < 0.75:
            del b[r.randrange(len(b)) :]
        elif c < 0.85:
            i = r.randrange(len(b))
            j = min(len(b), i + r.randint(1, 20))
            b[i:i] = b[i:j]
        else:
            i = r.randrange(len(b))
            b[i] ^= 1 << r.randrange(8)
    return bytes(b)


def safe_for_cpython(data):
    """Skip mutants whose memo indexes would make CPython allocate gigabytes (it resizes the memo to 2 * index)."""
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET") and isinstance(arg, int):
                if arg > 1_000_000:
                    return False
    except Exception:
        pass
    return True


def write_case(frames, expected, kind, payload):
    verdict = carbon_verdict(payload)
    frames.write(struct.pack(">I", len(payload)) + payload)
    expected.write("kind %s\n" % kind)
    if verdict[0] != "ok":
        expected.write(verdict[0] + "\n")
        return verdict[0]
    _, points, skipped = verdict
    expected.write("ok %d %d\n" % (len(points), skipped))
    for path, (ts, val) in points:
        expected.write(
            "%s %016x %016x\n"
            % (
                path.encode("utf-8", "surrogatepass").hex() or "-",
                struct.unpack(">Q", struct.pack(">d", ts))[0],
                struct.unpack(">Q", struct.pack(">d", val))[0],
            )
        )
    return "ok"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--frames", type=int, default=20000)
    ap.add_argument("--mutants", type=int, default=10000)
    ap.add_argument("--dis", type=int, default=2000, help="pickletools.dis listings for this many frames")
    a = ap.parse_args()
    r = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    counts = {}
    valid = []
    dis_out = open(os.path.join(a.outdir, "dis.txt"), "w")
    with open(os.path.join(a.outdir, "corpus.bin"), "wb") as frames, open(
        os.path.join(a.outdir, "expected.txt"), "w"
    ) as expected:
        for i in range(a.frames):
            pts = rand_points(r)
            c = r.random()
            if c < 0.85:
                proto = i % 6
                payload = pickle.dumps(pts, protocol=proto)
                kind = "p%d" % proto
            elif c < 0.95:
                good = [p for p in pts if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], tuple) and len(p[1]) == 2]
                payload = statsd_frame(r, good)
                kind = "statsd"
            else:
                good = [p for p in pts if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], tuple) and len(p[1]) == 2]
                payload = binstring_frame(r, good)
                kind = "py2"
            v = write_case(frames, expected, kind, payload)
            counts[(kind, v)] = counts.get((kind, v), 0) + 1
            if i < a.dis:
                listing = io.StringIO()
                try:
                    pickletools.dis(payload, out=listing)
                    text = listing.getvalue()
                    if text.isascii():
                        dis_out.write("frame %d\n%send\n" % (i, text))
                except Exception:
                    pass
            if len(payload) < 4000:
                valid.append(payload)
        done = 0
        while done < a.mutants and valid:
            m = mutate(r, r.choice(valid))
            if not safe_for_cpython(m):
                continue
            v = write_case(frames, expected, "mut", m)
            counts[("mut", v)] = counts.get(("mut", v), 0) + 1
            done += 1
    dis_out.close()
    total = sum(counts.values())
    print("corpus: %d frames (verdicts from %s, Python %s)" % (total, SOURCE, sys.version.split()[0]))
    for k in sorted(counts):
        print("  %-7s %-8s %d" % (k[0], k[1], counts[k]))


if __name__ == "__main__":
    main()
