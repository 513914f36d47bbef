#!/usr/bin/env python3
"""Whisper trees of several carbon-caches, read through a time window, for the cluster tests (wasm/test/
cluster-relays.test.mjs). Run with the venv's python ($CARBON_PICKLE_PYTHON).

A harness cache keeps 1 s for 1 d: a whisper file is 1 MiB and `harness.py dump` reads all of it. With thousands
of files per cache that is gigabytes, so this reads only the slots of [from, until] with whisper.fetch (a few
hundred bytes a file). Tests send only timestamps inside the window; points outside it are not seen.

  trees.py dump <from> <until> <prefix> <workdir>...
      Prints JSON, one object per workdir: {"metric.path": {"header": [aggregation, xff, [[spp, points], ...]],
      "points": [[ts, value], ...]}, ...} for the metrics whose path starts with prefix.
  trees.py wait <from> <until> <prefix> <expected_total> <timeout_s> [--settle=S] <workdir>...
      Polls until the points under prefix in all workdirs together reach expected_total and then stay unchanged
      for S seconds (default 2, so extra points would be seen too; 0 while a stream still runs). Prints
      {"counts": [n, ...], "files": [n, ...], "waited": s}; exit 1 (same JSON) on timeout.
"""

import json
import math
import os
import sys
import time

import whisper


def files(workdir, prefix):
    root = os.fsencode(os.path.join(os.path.abspath(workdir), "storage", "whisper"))
    for dirpath, _, names in os.walk(root):
        for name in names:
            if name.endswith(b".wsp"):
                full = os.path.join(dirpath, name)
                metric = os.path.relpath(full, root)[: -len(b".wsp")].replace(os.sep.encode(), b".")
                metric = metric.decode("utf-8", "replace")
                if metric.startswith(prefix):
                    yield metric, full


def points(path, start, until):
    (t0, _, step), values = whisper.fetch(path, start - 1, until)
    return [[t0 + i * step, v] for i, v in enumerate(values) if v is not None]


def json_value(v):
    return v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))


def dump(start, until, prefix, dirs):
    out = []
    for d in dirs:
        tree = {}
        for metric, f in sorted(files(d, prefix)):
            info = whisper.info(f)
            tree[metric] = {
                "header": [info["aggregationMethod"], info["xFilesFactor"],
                           [[a["secondsPerPoint"], a["points"]] for a in info["archives"]]],
                "points": [[ts, json_value(v)] for ts, v in points(f, start, until)],
            }
        out.append(tree)
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


def count(d, prefix, start, until):
    n = k = 0
    for _, f in files(d, prefix):
        try:
            n += len(points(f, start, until))
            k += 1
        except (OSError, whisper.CorruptWhisperFile, ValueError, IndexError):
            pass  # being created right now: the next round counts it
    return n, k


def wait(start, until, prefix, expected, timeout, dirs, settle=2.0):
    began = time.monotonic()
    deadline = began + timeout
    last, since = None, None
    while True:
        res = [count(d, prefix, start, until) for d in dirs]
        total = sum(n for n, _ in res)
        now = time.monotonic()
        if res != last:
            last, since = res, now
        report = {"counts": [n for n, _ in res], "files": [k for _, k in res], "waited": round(now - began, 2)}
        if total >= expected and now - since >= settle:
            print(json.dumps(report))
            return 0
        if now > deadline:
            print(json.dumps(report))
            return 1
        time.sleep(0.25)


def main(argv):
    if len(argv) >= 6 and argv[1] == "dump":
        return dump(int(argv[2]), int(argv[3]), argv[4], argv[5:])
    if len(argv) >= 8 and argv[1] == "wait":
        settle, dirs = 2.0, argv[7:]
        if dirs[0].startswith("--settle="):
            settle, dirs = float(dirs[0][len("--settle="):]), dirs[1:]
        return wait(int(argv[2]), int(argv[3]), argv[4], int(argv[5]), float(argv[6]), dirs, settle)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
