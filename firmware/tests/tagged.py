"""The QEMU nodes' Graphite tagged series (mps2-node and embassy-node, feature `tagged`, on by default).

Each image sends, beside its five plain readings, the temperature again under one tagged series that it
builds at boot with the core's `TaggedName`, tags given out of order:
`<prefix>.temperature;board=<machine>;node=<mps2-node|embassy-node>;transport=<tcp|tls>`, and logs the name
("tagged series: ..."). The checks here:
  - the name the node logged, prefix in front, is what carbon 1.1.10's own `TaggedSeries.parse` makes of the
    tags in any order (so the node wrote carbon's canonical form), with the board, image and transport of the
    run;
  - whisper holds exactly the datapoints sent, in the file carbon names by the hash of that name
    (`_tagged/<sha256[0:3]>/<sha256[3:6]>/<sha256>.wsp`);
  - with graphite-web beside carbon: `/tags/findSeries` finds exactly that series by its tags, and
    `/render?target=seriesByTag(...)&format=json` draws exactly those datapoints.
Run with the venv's python (carbon's own module is imported).
"""

import re
import sys
from pathlib import Path

from carbon.util import TaggedSeries  # the venv's carbon 1.1.10: the reference for the canonical form

import series

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "carbon"))
import graphite_api  # noqa: E402

LOGGED = re.compile(r"tagged series: (\S+)")


def logged_name(text):
    """The tagged series' name (without the prefix) as the node logged it, or None (built without `tagged`)."""
    m = LOGGED.search(text)
    return m and m[1]


def expected_path(prefix, machine, image, transport):
    """The series as carbon stores it, from tags spelt in another order than the canonical one."""
    return TaggedSeries.parse(
        f"{prefix}.temperature;transport={transport};node={image};board={machine}"
    ).path


def readings(text):
    """Datapoints the node pushes per sample: five plain readings, and the tagged one if it sends it."""
    return len(series.METRICS) + (1 if logged_name(text) else 0)


def expected_points(text, prefix, machine, image, transport, epoch, interval_s, samples):
    """{canonical path: [[ts, temperature], ...]} for the logged samples; checks the logged name first."""
    name = logged_name(text)
    assert name, "the node logged no tagged series (built without feature `tagged`?)"
    path = f"{prefix}.{name}"
    want = expected_path(prefix, machine, image, transport)
    assert path == want, f"the node's tagged series is {path!r}, carbon stores {want!r}"
    return {path: [[epoch + s["i"] * interval_s, series.temperature(s["i"])] for s in samples]}


def whisper_key(path):
    """The tagged series' name in harness.py dump: its whisper file under _tagged/, dots for slashes."""
    return TaggedSeries.encode(path, ".", hash_only=True)


def check_whisper(dump, points):
    for path, want in points.items():
        got = dump.get(whisper_key(path))
        assert got == want, f"{path} in whisper ({whisper_key(path)}): stored {got}, expected {want}"


def check_graphite(url, points):
    """graphite-web finds each series by its tags and draws exactly its datapoints."""
    for path, want in points.items():
        found = graphite_api.wait_series(url, path)
        assert found == [path], f"graphite-web /tags/findSeries for {path}: {found}"
        target = graphite_api.series_by_tag_target(path)
        since, until = want[0][0] - 1, want[-1][0] + 1
        got = graphite_api.wait_points(url, target, since, until, len(want))
        assert got == [(path, [tuple(p) for p in want])], f"graphite-web renders {target}: {got}, expected {want}"
