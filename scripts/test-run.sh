#!/usr/bin/env bash
# README command 1 as a test: `bash scripts/run.sh`, exactly as the README gives it (real carbon and
# graphite-web on 127.0.0.1, the Rust, Node, QEMU firmware and TLS firmware senders), then checks what it
# printed and left behind:
#   - it exits 0, and carbon's table holds exactly the datapoints the senders say they sent (no more: a
#     duplicate or a stray series would show);
#   - every plain series of the firmware nodes and the Rust sender is in the table;
#   - graphite-web knows exactly the tagged series sent (the Rust sender's two rooms, 150 datapoints each,
#     the Node sender's greenhouse humidity, 180, and the three QEMU nodes' 5 each), by their canonical
#     names;
#   - the PNG whose path it prints is a PNG (signature, IHDR) of 900 x 420 pixels, of a plausible size for a
#     drawn graph (graphite-web's render API: 5 KB to 1 MB; its empty "No Data" image of that size is 3 KB);
#   - carbon and graphite-web are stopped afterwards (their PIDs gone);
#   - what `run.sh --serve` relies on: a harness started with --detach outlives its parent, stops on SIGTERM.
# It reuses what the earlier parts built (the wasm package, the firmware images; the TLS image and the
# NODE_PREFIX builds relink): 66-74 s here with the builds warm.
#
# Usage: scripts/test-run.sh [--screenshot]
#   --screenshot  afterwards, refresh the README's pictures: run.sh --serve --png docs/run-tagged-series.png,
#                 docs/graphite-web.png (graphite-web's composer in headless Chromium), then stop both by PID
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
fail() { echo "test-run: $*" >&2; echo "--- run.sh's output: $OUT/run.log" >&2; trap - EXIT; exit 1; }

t0=$SECONDS
bash scripts/run.sh >"$OUT/run.log" 2>&1 || { tail -40 "$OUT/run.log" >&2; fail "run.sh failed"; }

python3 - "$OUT/run.log" <<'EOF' || fail "run.sh's output is not what it should be"
import re, struct, sys

log = open(sys.argv[1], encoding="utf-8").read()
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

sent = re.search(r"\(the senders sent (\d+) datapoints\)", log)
table = re.search(r"^(\d+) metrics, (\d+) datapoints$", log, re.M)
need(sent and table, "no table or no total sent")
if sent and table:
    need(int(table[2]) == int(sent[1]), f"carbon stores {table[2]} datapoints, the senders sent {sent[1]}")

rows = {m[1]: int(m[2]) for m in re.finditer(r"^(\S+) +(\d+)  ", log, re.M)}
for node in ("sensors.mps2-an386", "sensors.mps2-an386-embassy", "sensors.mps2-an386-tls"):
    for metric in ("temperature", "humidity", "uptime_ms", "queue_depth", "reconnects"):
        need(rows.get(f"{node}.{metric}") == 5, f"{node}.{metric}: {rows.get(f'{node}.{metric}')} datapoints in the table, expected 5")
need(rows.get("sensors.kitchen.temperature") == 150, "sensors.kitchen.temperature: not 150 datapoints")
need(sum(1 for r in rows if r.startswith("_tagged.")) == 6, "not 6 tagged series in whisper")

tagged = {
    "sensors.humidity;room=greenhouse;site=home": 180,  # the Node sender's (wasm/examples/send-sensors.mjs)
    "sensors.temperature;room=garage;site=home": 150,
    "sensors.temperature;room=kitchen;site=home": 150,
    "sensors.mps2-an386.temperature;board=mps2-an386;node=mps2-node;transport=tcp": 5,
    "sensors.mps2-an386-embassy.temperature;board=mps2-an386;node=embassy-node;transport=tcp": 5,
    "sensors.mps2-an386-tls.temperature;board=mps2-an386;node=mps2-node;transport=tls": 5,
}
known = re.search(r"^(\d+) tagged series in graphite-web's tag database$", log, re.M)
need(known and int(known[1]) == len(tagged), f"graphite-web knows {known and known[1]} tagged series, expected {len(tagged)}")
for name, count in tagged.items():
    need(rows.get(name) == count, f"graphite-web: {name}: {rows.get(name)} datapoints, expected {count}")
need(re.search(r"^aliasByTags\(seriesByTag\('name=sensors\.temperature'\),'room'\): 2 series, 300 datapoints$", log, re.M),
     "graphite-web does not draw the two rooms' 300 datapoints")

png = re.search(r"^PNG drawn by graphite-web's render API \((\d+) x (\d+), (\d+) bytes\): (.+)$", log, re.M)
need(png, "no PNG path printed")
if png:
    data = open(png[4], "rb").read()
    need(data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{png[4]} is not a PNG")
    need(struct.unpack(">II", data[16:24]) == (900, 420), f"{png[4]}: {struct.unpack('>II', data[16:24])} pixels, expected 900 x 420")
    need(len(data) == int(png[3]) and 5_000 <= len(data) <= 1_000_000, f"{png[4]}: {len(data)} bytes")
    print(f"test-run: {png[4]}: a {png[1]} x {png[2]} PNG of {len(data):,} bytes")

for p in problems:
    print("test-run:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# Nothing left running: carbon and graphite-web stopped with the script.
for pid in $(sed -n 's/^pickle receiver .*, pid \([0-9]*\)$/\1/p; s/^graphite-web .*, pid \([0-9]*\)$/\1/p' "$OUT/run.log"); do
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then fail "pid $pid (carbon or graphite-web) still runs after run.sh"; fi
done
echo "test-run: README command 1 passed in $((SECONDS - t0)) s" >&2

# What --serve relies on: a harness started with --detach outlives the shell that started it, and SIGTERM to
# its PID stops it and carbon; the same harness without --detach stops with that shell. Each shell waits
# until its carbon is up, then exits (as run.sh does after its senders). Without graphite-web: a few seconds.
started_by_a_shell() {   # <dir> [--detach]: starts a harness from a shell that exits once carbon is up
  bash -c '"$1" tests/carbon/harness.py serve "$2" ${3:-} >"$2.log" 2>&1 </dev/null & echo $! >"$2.pid"
    for _ in $(seq 300); do [ -f "$2/ports.json" ] && break; sleep 0.1; done' _ "$CARBON_PICKLE_PYTHON" "$@"
  [ -f "$1/ports.json" ] || fail "harness did not start: $(cat "$1.log")"
  sleep 1   # the harness looks at its parent every 0.2 s
}
gone() { for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
carbon_pid() { "$CARBON_PICKLE_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$1/ports.json"; }
started_by_a_shell "$OUT/attached"
gone "$(carbon_pid "$OUT/attached")" || fail "a harness without --detach outlived its parent"
started_by_a_shell "$OUT/detached" --detach
harness="$(cat "$OUT/detached.pid")" carbon="$(carbon_pid "$OUT/detached")"
kill -0 "$harness" 2>/dev/null && kill -0 "$carbon" 2>/dev/null || fail "harness --detach stopped with its parent"
kill -TERM "$harness"
gone "$carbon" || fail "carbon (pid $carbon) still runs after SIGTERM to the detached harness"
echo "test-run: a detached harness outlives its parent and stops on SIGTERM (run.sh --serve); without --detach it stops with it" >&2

if [ "${1:-}" = "--screenshot" ]; then
  bash scripts/run.sh --serve --png docs/run-tagged-series.png >"$OUT/serve.log" 2>&1 || { tail -40 "$OUT/serve.log" >&2; fail "run.sh --serve failed"; }
  harness="$(sed -n 's/^stop both: kill \([0-9]*\) .*/\1/p' "$OUT/serve.log")"
  composer="$(sed -n "s/^the same graph in graphite-web's composer: //p" "$OUT/serve.log")"
  [ -n "$harness" ] && [ -n "$composer" ] || fail "run.sh --serve printed no PID or no URL"
  shot=0
  node scripts/graphite-screenshot.mjs "$composer&title=sensors.temperature%20by%20room" docs/graphite-web.png || shot=$?
  kill -TERM "$harness"   # carbon and graphite-web stop with it
  for _ in $(seq 100); do kill -0 "$harness" 2>/dev/null || break; sleep 0.1; done
  kept="$(sed -n 's/^kept //p' "$OUT/serve.log")"
  case "$kept" in "${TMPDIR:-/tmp}"/carbon-pickle-run.*) rm -rf "$kept" ;; esac
  [ "$shot" = 0 ] || fail "no screenshot of graphite-web"
  echo "test-run: docs/run-tagged-series.png and docs/graphite-web.png refreshed" >&2
fi
