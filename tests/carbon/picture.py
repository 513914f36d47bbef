#!/usr/bin/env python3
"""What graphite-web shows of the tagged series carbon stored: a table of every tagged series and a PNG drawn by
graphite-web's own render API, for `scripts/run.sh` (README command 1).

    picture.py <workdir> <png> <expr> [<expr> ...] [--group-by TAG] [--since EPOCH_S] [--list-since EPOCH_S]

<workdir> is a `harness.py serve <workdir> --graphite` directory (its ports.json names graphite-web's port).
Prints every tagged series graphite-web's tag database holds (`/tags/findSeries?expr=name=~.+`), each with
its datapoint count and first and last (time, value) as `/render?format=json` gives them from --list-since
(default: --since) to now; then asks `/render?format=png` for `seriesByTag(<expr>, ...)` over the same time
(aliased by the tag TAG, lines connected over the empty seconds between readings), writes the PNG to <png>
and prints its path, size and dimensions. Exit 1 if graphite-web knows no series for the expressions or
draws no datapoint.
"""

import argparse
import json
import os
import struct
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import graphite_api  # noqa: E402


def png_size(data):
    """(width, height) of a PNG, or None if `data` is not one (signature and IHDR chunk)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir")
    ap.add_argument("png")
    ap.add_argument("expr", nargs="+", help="seriesByTag expressions, e.g. name=sensors.temperature")
    ap.add_argument("--group-by", default=None, help="tag to name each line by (aliasByTags)")
    ap.add_argument("--since", type=int, default=None, help="start of the time drawn (epoch s)")
    ap.add_argument("--list-since", type=int, default=None, help="start of the time listed (epoch s)")
    args = ap.parse_args()

    ports = json.load(open(os.path.join(args.workdir, "ports.json")))
    url = "http://127.0.0.1:%d" % ports["graphite"]
    until = int(time.time()) + 1
    since = args.since if args.since is not None else until - 600
    list_since = args.list_since if args.list_since is not None else since

    every = json.loads(graphite_api._get(url, "/tags/findSeries", [("expr", "name=~.+")]))
    width = max([len(s) for s in every] + [6])
    print("%-*s %6s  %-26s %-26s" % (width, "series", "count", "first (time, value)", "last (time, value)"))
    for series in every:
        drawn = graphite_api.render_points(url, graphite_api.series_by_tag_target(series), list_since, until)
        pts = drawn[0][1] if drawn else []
        at = lambda p: "%s  %g" % (time.strftime("%H:%M:%S", time.localtime(p[0])), p[1])  # noqa: E731
        print("%-*s %6d  %-26s %-26s" % (width, series, len(pts), at(pts[0]) if pts else "-", at(pts[-1]) if pts else "-"))
    print("%d tagged series in graphite-web's tag database" % len(every))

    target = "seriesByTag(%s)" % ",".join("'%s'" % e for e in args.expr)
    if args.group_by:
        target = "aliasByTags(%s,'%s')" % (target, args.group_by)
    drawn = graphite_api.render_points(url, target, since, until)
    if not drawn or not any(pts for _, pts in drawn):
        print("picture.py: graphite-web draws no datapoint for %s" % target, file=sys.stderr)
        return 1
    png = graphite_api._get(url, "/render", [
        ("target", target), ("format", "png"), ("from", since), ("until", until), ("width", 900), ("height", 420),
        ("lineMode", "connected"), ("lineWidth", 2), ("bgcolor", "white"), ("fgcolor", "black"),
        ("majorGridLineColor", "#c8c8c8"), ("minorGridLineColor", "#eeeeee"), ("fontSize", 11),
        ("title", "graphite-web: %s" % target),
    ])
    size = png_size(png)
    if size is None:
        print("picture.py: graphite-web answered %d bytes that are not a PNG" % len(png), file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.png)), exist_ok=True)
    with open(args.png, "wb") as f:
        f.write(png)
    print("%s: %d series, %d datapoints" % (target, len(drawn), sum(len(p) for _, p in drawn)))
    print("PNG drawn by graphite-web's render API (%d x %d, %d bytes): %s" % (size[0], size[1], len(png), args.png))
    minutes = (until - since + 59) // 60 + 1  # the composer takes a relative time
    live = {"target": target, "from": "-%dmin" % minutes, "lineMode": "connected"}
    print("the same graph in graphite-web's composer: %s/?%s" % (url, urllib.parse.urlencode(live)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
