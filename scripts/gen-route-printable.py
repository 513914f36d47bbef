#!/usr/bin/env python3
"""Writes core/src/route/printable.rs: the code points above ASCII that Python's repr() escapes.

carbon_ch hashes Python's str() of a (server, instance) tuple, so the router must quote host and instance
text exactly as repr() does, and repr() escapes every non-ASCII character that str.isprintable() calls
non-printable. Run with the Python whose repr() carbon uses (the tests' venv: Python 3.11, Unicode 14.0.0):
    $CARBON_PICKLE_PYTHON scripts/gen-route-printable.py > core/src/route/printable.rs
"""
import sys
import unicodedata

ranges = []
start = None
for cp in range(0x80, 0x110000):
    escaped = not chr(cp).isprintable()
    if escaped and start is None:
        start = cp
    elif not escaped and start is not None:
        ranges.append((start, cp - 1))
        start = None
if start is not None:
    ranges.append((start, 0x10FFFF))
bmp = [r for r in ranges if r[1] <= 0xFFFF]
astral = [r for r in ranges if r[1] > 0xFFFF]
assert len(bmp) + len(astral) == len(ranges) and all(r[0] > 0xFFFF for r in astral)

out = sys.stdout
out.write("//! Which non-ASCII characters Python's `repr()` keeps as they are (generated: do not edit).\n//!\n")
out.write("//! Made by `scripts/gen-route-printable.py` from Python %s's `str.isprintable()` (Unicode %s):\n"
          % (sys.version.split()[0], unicodedata.unidata_version))
out.write("//! `repr()` escapes a non-ASCII character exactly when it is not printable. The tables list the\n")
out.write("//! escaped ranges, inclusive and sorted, for binary search.\n\n")
out.write("/// Non-printable ranges within the Basic Multilingual Plane (above ASCII).\n")
out.write("#[rustfmt::skip]\n")
out.write("pub(super) static BMP: [(u16, u16); %d] = [\n" % len(bmp))
for a, b in bmp:
    out.write("    (0x%04x, 0x%04x),\n" % (a, b))
out.write("];\n\n/// Non-printable ranges above the Basic Multilingual Plane.\n")
out.write("#[rustfmt::skip]\n")
out.write("pub(super) static ASTRAL: [(u32, u32); %d] = [\n" % len(astral))
for a, b in astral:
    out.write("    (0x%06x, 0x%06x),\n" % (a, b))
out.write("];\n")
