#!/usr/bin/env python3
"""Makes core/tests/golden/vectors.json: datapoint sets and the exact protocol-2 frame for each.

The expected bytes are built here independently of the Rust encoder, opcode by opcode with `struct`, from the
safe subset in shared/RECEIVERS.md, and every frame is checked with CPython's `pickle.loads` (and carbon's
SafeUnpickler when carbon is importable) to decode to exactly the datapoint set. The Rust test
`core/tests/golden.rs` then requires our encoder to produce the same bytes, and our protocol-0 frames to
decode to the same values.

A tagged path (`name;tag=value;...`, or the OpenMetrics form) is written as carbon stores it, carbon 1.1.10's
own `TaggedSeries.parse(path).path`, so this script needs carbon importable (the venv's python) for those.

Run: python3 core/tests/golden/make_golden.py  (rewrites vectors.json; commit the result)
"""

import json
import math
import os
import pickle
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def stored(text):
    """The path as carbon stores it: tagged paths in carbon's canonical form."""
    if ";" in text or (text.endswith('"}') and "{" in text):
        from carbon.util import TaggedSeries
        return TaggedSeries.parse(text).path
    return text


def v2_point(prefix, path, ts, value):
    text = stored(((prefix + ".") if prefix else "") + path)
    raw = text.encode("utf-8")
    out = b"X" + struct.pack("<I", len(raw)) + raw
    if float(ts).is_integer() and 0 <= ts < 2**31:
        out += b"J" + struct.pack("<i", int(ts))
    else:
        out += b"G" + struct.pack(">d", float(ts))
    out += b"G" + struct.pack(">d", float(value))
    return out + b"\x86\x86"


def v2_frame(prefix, points):
    payload = b"\x80\x02](" + b"".join(v2_point(prefix, *p) for p in points) + b"e."
    return struct.pack("!L", len(payload)) + payload


def expected(prefix, points):
    out = []
    for path, ts, value in points:
        full = stored(((prefix + ".") if prefix else "") + path)
        t = int(ts) if float(ts).is_integer() and 0 <= ts < 2**31 else float(ts)
        out.append((full, (t, float(value))))
    return out


def check(prefix, points, frame):
    payload = frame[4:]
    assert struct.unpack("!L", frame[:4])[0] == len(payload)
    got = pickle.loads(payload)
    want = expected(prefix, points)
    assert got == want and all(
        type(a[1][0]) is type(b[1][0]) and math.copysign(1, a[1][1]) == math.copysign(1, b[1][1])
        for a, b in zip(got, want)
    ), (got, want)
    try:
        from carbon.util import get_unpickler
    except ImportError:
        return
    assert get_unpickler(insecure=False).loads(payload) == want


NOW = 1_700_000_000
CASES = [
    ("basic", None, [("servers.web01.cpu.user", NOW, 12.5), ("servers.web01.cpu.system", NOW + 1, 3)]),
    ("statsd_example", None, [("a.b.c", 1234, 5678), ("d.e.f.g", 1234, 9012)]),
    ("timestamp_edges", None, [
        ("t.zero", 0, 1), ("t.one", 1, 1), ("t.binint_max", 2**31 - 1, 1), ("t.past_2038", 2**31, 1),
        ("t.u32_max", 2**32 - 1, 1), ("t.fraction", NOW + 0.5, 1), ("t.tiny", 5e-324, 1),
        ("t.u32_max_fraction", 4294967295.75, 1),
    ]),
    ("value_extremes", None, [
        ("v.zero", NOW, 0.0), ("v.negzero", NOW, -0.0), ("v.min_sub", NOW, 5e-324), ("v.neg_min_sub", NOW, -5e-324),
        ("v.max", NOW, 1.7976931348623157e308), ("v.neg_max", NOW, -1.7976931348623157e308),
        ("v.min_normal", NOW, 2.2250738585072014e-308), ("v.tenth", NOW, 0.1), ("v.third", NOW, 1 / 3),
        ("v.negative_int", NOW, -15), ("v.big_int", NOW, 2**53 + 2), ("v.e16", NOW, 1e16), ("v.small", NOW, 1e-5),
    ]),
    ("unicode_paths", None, [
        ("sensors.küche.temp", NOW, 21.5), ("sensors.温度.value", NOW, 1), ("emoji.📈.rate", NOW, 2),
        ("tagged.cpu;host=web01;dc=ams", NOW, 3), ("quote.it's", NOW, 4),
    ]),
    ("tags", None, [
        ("disk.used;rack=a1;dc=dc1", NOW, 1), ("disk.used;dc=dc1;rack=a1;rack=a2", NOW, 2),
        ("~cpu;name=other;host=web01", NOW, 3), ('cpu{host="web01",dc="d\\"1"}', NOW, 4),
        ("mount;path=/var/log;v=1.2.3;city=Zürich;a.b=1;a=2", NOW, 5), ("only;name=only", NOW, 6),
    ]),
    ("tags_prefixed", "0123abcd-api-key", [("disk.used;rack=a1;dc=dc1", NOW, 1)]),
    ("hosted_graphite_prefix", "0123abcd-api-key", [("my.metric.name", NOW, 1), ("my.other", NOW + 60, 2.25)]),
    ("long_components", None, [("d" * 255 + "." + "f" * 251, NOW, 1)]),
    ("empty", None, []),
]


def main():
    vectors = []
    for name, prefix, points in CASES:
        frame = v2_frame(prefix, points)
        check(prefix, points, frame)
        vectors.append({
            "name": name,
            "prefix": prefix,
            "points": [[p, float(t), float(v)] for p, t, v in points],
            "stored": [full for full, _ in expected(prefix, points)],
            "v2_frame_hex": frame.hex(),
        })
    with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d golden vectors" % len(vectors))


if __name__ == "__main__":
    main()
