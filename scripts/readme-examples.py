#!/usr/bin/env python3
"""Every code block of the project's READMEs is either run by a test or plainly marked as not run.

A newcomer copies the README. An example no test runs is a bug waiting, so each fenced block carries a marker
on the line right above its opening fence:

    <!-- run: node-esm, deno -->       run by the named runners (below), exactly as shown
    *Not run: <the reason>.*           visible to the reader: not runnable here, and why

`check` fails on a block without a marker, with an unknown runner, or on a `rustdoc` block whose README no
crate includes as its documentation. `extract KIND` prints, as JSON, the blocks a runner must run
(`[{"file", "line", "lang", "code"}]`); the runners take their work from it, so a block marked for them
cannot be skipped. `list` prints every block and its marker.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = [
    "README.md",
    "core/README.md",
    "wasm/README.md",
    "firmware/README.md",
    "firmware/sender/README.md",
    "metrics-exporter-carbon/README.md",
]

# Runner kind -> where it runs. The runner itself calls `extract KIND`.
RUNNERS = {
    "rustdoc": "cargo test --doc: the README is the crate's documentation (include_str!)",
    "node-esm": "wasm/test/readme.test.mjs: an .mjs file in a scratch project with the packed tarball, Node",
    "node-cjs": "wasm/test/readme.test.mjs: a .cjs file in the same project, Node",
    "deno": "wasm/test/readme.test.mjs: the same .mjs file under deno run with the permissions the README names",
    "bun": "wasm/test/readme.test.mjs: the same .mjs file under bun",
    "types": "wasm/test/readme.test.mjs: a .ts file compiled with tsc --strict against the packed tarball",
    "cli": "wasm/test/readme.test.mjs: shell lines run with the installed package's bin on PATH",
    "transcript": "wasm/test/readme.test.mjs: `$ ` lines run, their output compared with the block's",
    "sh": "scripts/readme-sh.sh: shell blocks run from the repository root, as a user would",
    "firmware-quickstart": "firmware/tests/quickstart.sh: the firmware README's steps, in order, as a script",
}

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
RUN = re.compile(r"^<!--\s*run:\s*([\w\-, ]+?)\s*-->\s*$")
NOT_RUN = re.compile(r"^\*Not run[^*]*:\s*\S.*\*\s*$")


def blocks(rel):
    """Yields (line, lang, code, marker) for every fenced block of one README; marker is
    ('run', [kinds]), ('not-run', reason) or None."""
    lines = (ROOT / rel).read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.groups()
        start = i
        body = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence) and lines[i].strip() == lines[i].strip()[0] * len(lines[i].strip()) and len(lines[i].strip()) >= len(fence)):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line)
            i += 1
        i += 1  # the closing fence
        above = lines[start - 1].strip() if start > 0 else ""
        marker = None
        r = RUN.match(above)
        if r:
            marker = ("run", [k.strip() for k in r.group(1).split(",") if k.strip()])
        elif NOT_RUN.match(above):
            marker = ("not-run", above.strip("*"))
        yield start + 1, info.strip().split(" ")[0], "\n".join(body) + "\n", marker


def included_as_docs(rel):
    """Whether some crate's Rust source includes this README as documentation, so that rustdoc runs it."""
    readme = (ROOT / rel).resolve()
    for rs in ROOT.glob("**/src/**/*.rs"):
        if "target" in rs.parts or "node_modules" in rs.parts:
            continue
        text = rs.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r'doc\s*=\s*include_str!\(\s*"([^"]+)"\s*\)', text):
            if (rs.parent / m.group(1)).resolve() == readme:
                return True
    return False


def check():
    problems = []
    counts = {}
    for rel in READMES:
        doc_included = None
        for line, lang, _code, marker in blocks(rel):
            where = f"{rel}:{line}"
            if marker is None:
                problems.append(f"{where}: a ```{lang} block with neither `<!-- run: KIND -->` nor `*Not run: reason*` right above it")
                continue
            if marker[0] == "not-run":
                counts["not run"] = counts.get("not run", 0) + 1
                continue
            for kind in marker[1]:
                if kind not in RUNNERS:
                    problems.append(f"{where}: unknown runner {kind!r} (known: {', '.join(RUNNERS)})")
                    continue
                counts[kind] = counts.get(kind, 0) + 1
                if kind == "rustdoc":
                    if doc_included is None:
                        doc_included = included_as_docs(rel)
                    if not doc_included:
                        problems.append(f"{where}: marked rustdoc, but no crate has #![doc = include_str!(...{rel})]")
                    attrs = lang.split(",")
                    if attrs[0] not in ("rust", "") or "ignore" in attrs:
                        problems.append(f"{where}: marked rustdoc, but rustdoc does not run a ```{lang} block")
    for p in problems:
        print(p, file=sys.stderr)
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"README blocks: {summary}", file=sys.stderr)
    return 1 if problems else 0


def extract(kind):
    out = []
    for rel in READMES:
        for line, lang, code, marker in blocks(rel):
            if marker and marker[0] == "run" and kind in marker[1]:
                out.append({"file": rel, "line": line, "lang": lang, "code": code})
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


def listing():
    for rel in READMES:
        for line, lang, _code, marker in blocks(rel):
            what = "UNMARKED" if marker is None else (f"run: {', '.join(marker[1])}" if marker[0] == "run" else marker[1])
            print(f"{rel}:{line}\t```{lang}\t{what}")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    if cmd == "check":
        sys.exit(check())
    if cmd == "extract" and len(sys.argv) == 3:
        sys.exit(extract(sys.argv[2]))
    if cmd == "list":
        sys.exit(listing())
    print("usage: readme-examples.py check | list | extract KIND", file=sys.stderr)
    sys.exit(2)
