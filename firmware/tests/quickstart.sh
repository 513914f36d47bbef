#!/usr/bin/env bash
# The firmware README's quick start, as a test. It takes the README's blocks marked
# `<!-- run: firmware-quickstart -->` (scripts/readme-examples.py extract firmware-quickstart) and runs them in
# order, exactly as written, in one bash started in the repository root, as a reader would: set-up, carbon from
# the test harness, the node under QEMU, the certificates, stunnel, the node over TLS, the footprint report,
# stopping stunnel and carbon. Then it checks that both runs' datapoints are in carbon's whisper files
# (harness.py dump): five readings of five samples each, the simulated series as tests/series.py computes it.
#
# Whatever the blocks leave running (carbon's harness, stunnel) is stopped by PID when they end, pass or fail.
# The blocks write their files in the scratch directory the README makes (`mktemp -d`); it is removed after a
# pass and kept (and named) after a failure.
#
# scripts/test-firmware.sh runs it after the other firmware tests, so that its builds reuse theirs: the plain
# image is the one firmware/target already holds, and the TLS build (target/tls, as in the README) recompiles
# only mps2-node for its new CA. The README's stunnel listens on the fixed port 20040, so one quick start runs
# at a time on a machine (a lock file), and the port must be free.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/env.sh"
STATE="$(mktemp -d)"
trap 'rm -rf "$STATE"' EXIT
t0=$SECONDS

exec 9>"${TMPDIR:-/tmp}/carbon-pickle-quickstart.lock"
flock -w 900 9 || { echo "quickstart: another quick start holds the lock" >&2; exit 1; }
if (exec 3<>/dev/tcp/127.0.0.1/20040) 2>/dev/null; then
  echo "quickstart: something listens on 127.0.0.1:20040, the port the README's stunnel uses" >&2
  exit 1
fi

# The blocks, in the README's order, as one bash script. Before them: stop on the first failing command (a
# reader would see it and stop too), and on the way out record the README's scratch directory and stop, by
# PID, the background jobs still running (the harness stops carbon when it gets SIGTERM), waiting for them.
python3 "$ROOT/scripts/readme-examples.py" extract firmware-quickstart >"$STATE/blocks.json"
python3 - "$STATE/blocks.json" "$STATE/quickstart.bash" <<'EOF'
import json
import shlex
import sys

blocks = json.load(open(sys.argv[1]))
assert blocks, "no firmware-quickstart blocks in the README"
out = [
    "set -euo pipefail",
    "finish() {",
    "  local status=$?",
    '  printf "%s\\n" "${WORK:-}" >"$QUICKSTART_STATE/work"',
    "  local pid",
    "  for pid in $(jobs -p); do kill -TERM \"$pid\" 2>/dev/null || true; done",
    "  wait || true",
    "  exit $status",
    "}",
    "trap finish EXIT",
    "trap 'exit 143' TERM INT",
]
for b in blocks:
    out.append(f"printf '\\n--- quickstart: %s:%s\\n' {shlex.quote(b['file'])} {b['line']} >&2")
    out.append(b["code"].rstrip("\n"))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print(f"quickstart: {len(blocks)} blocks from {blocks[0]['file']}", file=sys.stderr)
EOF

# A reader's shell has none of the node's build settings or the runner's overrides set.
unset NODE_IP NODE_GATEWAY NODE_MAC NODE_CARBON NODE_PREFIX NODE_INTERVAL_S NODE_INTERVALS NODE_TLS_CA \
  NODE_TLS_SERVER_NAME NODE_GUESTFWD NODE_PCAP NODE_RAW_LOG QEMU_ICOUNT CARBON_PICKLE_PORT
status=0
(cd "$ROOT" && QUICKSTART_STATE="$STATE" timeout 900 bash "$STATE/quickstart.bash" 9>&-) || status=$?
WORK="$(cat "$STATE/work" 2>/dev/null || true)"
if [ "$status" -ne 0 ]; then
  echo "quickstart: the README's steps failed (status $status)" >&2
  for f in carbon.log stunnel.log carbon/carbon.out; do
    [ -n "$WORK" ] && [ -f "$WORK/$f" ] && { echo "--- $WORK/$f (tail)" >&2; tail -n 20 "$WORK/$f" >&2; }
  done
  [ -n "$WORK" ] && echo "quickstart: the README's scratch directory is kept: $WORK" >&2
  exit 1
fi
[ -n "$WORK" ] && [ -d "$WORK/carbon" ] || { echo "quickstart: no carbon directory in \$WORK ($WORK)" >&2; exit 1; }

# Both runs' datapoints, read back from whisper.
"$CARBON_PICKLE_PYTHON" "$ROOT/tests/carbon/harness.py" dump "$WORK/carbon" sensors. >"$STATE/dump.json"
python3 - "$STATE/dump.json" "$ROOT/firmware/tests" <<'EOF' || { echo "quickstart: carbon's files are kept: $WORK" >&2; exit 1; }
import json
import sys

sys.path.insert(0, sys.argv[2])
import series  # noqa: E402

dump = json.load(open(sys.argv[1]))
SAMPLES = 5  # the build's defaults: 5 samples, 1 s apart
problems = []
for prefix in ("sensors.mps2-an386", "sensors.mps2-an386-tls"):
    got = {k[len(prefix) + 1 :]: v for k, v in dump.items() if k.startswith(prefix + ".")}
    if set(got) != set(series.METRICS):
        problems.append(f"{prefix}: metrics {sorted(got)}, expected {sorted(series.METRICS)}")
        continue
    times = [t for t, _ in got["temperature"]]
    want = {
        "temperature": [series.temperature(i) for i in range(SAMPLES)],
        "humidity": [series.humidity(i) for i in range(SAMPLES)],
        "queue_depth": [0.0] * SAMPLES,
        "reconnects": [0.0] * SAMPLES,
    }
    for metric, points in got.items():
        if [t for t, _ in points] != list(range(times[0], times[0] + SAMPLES)):
            problems.append(f"{prefix}.{metric}: timestamps {[t for t, _ in points]}, want {SAMPLES} a second apart")
        elif metric in want and [v for _, v in points] != want[metric]:
            problems.append(f"{prefix}.{metric}: {[v for _, v in points]}, expected {want[metric]}")
    uptimes = [v for _, v in got["uptime_ms"]]
    if uptimes != sorted(uptimes):
        problems.append(f"{prefix}.uptime_ms: {uptimes} not increasing")
    if not problems:
        print(f"quickstart: {prefix}: {len(got) * SAMPLES} datapoints in whisper as the node sent them", file=sys.stderr)
for p in problems:
    print(f"quickstart: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
case "$WORK" in
  "${TMPDIR:-/tmp}"/tmp.*) rm -rf "$WORK" ;;   # what the README's `mktemp -d` makes, nothing else
  *) echo "quickstart: left $WORK alone (not a mktemp -d directory)" >&2 ;;
esac
echo "quickstart: the README's quick start passed in $((SECONDS - t0)) s" >&2
