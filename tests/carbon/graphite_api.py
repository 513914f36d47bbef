"""A client of graphite-web's HTTP API, for the tests and scripts that check what carbon stored through the
graphite-web that `harness.py serve <dir> --graphite` starts (tests/carbon/graphite.py).

Carbon registers a new tagged series in graphite-web's tag database from its writer loop, some time after
the datapoint arrived, and writes whisper in the same loop: the waiting calls here poll until graphite-web
answers what is expected (or the time is up, and then return what it answered last, for the caller's
assertion to show).

    series_by_tag_target(path)        seriesByTag('name=...','tag=value',...) for a canonical tagged path
    find_series(url, path)            /tags/findSeries with every tag of the path: the series graphite-web knows
    wait_series(url, path)            find_series until it is [path]
    render_points(url, target, a, b)  /render?format=json: [(target, [(ts, value), ...]), ...], nulls left out
    wait_points(url, target, a, b, n) render_points until one series with n datapoints
    render_png(url, targets, a, b)    /render?format=png: the PNG's bytes, drawn by graphite-web (cairo)
"""

import json
import time
import urllib.parse
import urllib.request

POLL_S = 0.2


def _get(url, path, params):
    query = urllib.parse.urlencode(params, doseq=True, quote_via=urllib.parse.quote)
    with urllib.request.urlopen("%s%s?%s" % (url, path, query), timeout=30) as r:
        return r.read()


def _exprs(path):
    name, *tags = path.split(";")
    return ["name=" + name, *tags]


def series_by_tag_target(path):
    """The seriesByTag() target that matches exactly the series `path` (name and every tag)."""
    return "seriesByTag(%s)" % ",".join("'%s'" % e for e in _exprs(path))


def find_series(url, path):
    """The series graphite-web's tag database holds with the name and every tag of `path`."""
    return json.loads(_get(url, "/tags/findSeries", [("expr", e) for e in _exprs(path)]))


def wait_series(url, path, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        found = find_series(url, path)
        if found == [path] or time.monotonic() > deadline:
            return found
        time.sleep(POLL_S)


def render_points(url, target, since, until):
    """Every series `target` draws from `since` to `until` (epoch s), with its non-null datapoints."""
    answer = json.loads(_get(url, "/render", {"target": target, "format": "json", "from": since, "until": until}))
    return [(s["target"], [(ts, v) for v, ts in s["datapoints"] if v is not None]) for s in answer]


def wait_points(url, target, since, until, count, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        got = render_points(url, target, since, until)
        if (len(got) == 1 and len(got[0][1]) >= count) or time.monotonic() > deadline:
            return got
        time.sleep(POLL_S)


def render_png(url, targets, since, until, width=800, height=400, title=None):
    """graphite-web's own picture of `targets` (a list) from `since` to `until`: the PNG's bytes."""
    params = [("target", t) for t in targets]
    params += [("format", "png"), ("from", since), ("until", until), ("width", width), ("height", height)]
    if title:
        params.append(("title", title))
    return _get(url, "/render", params)
