#!/usr/bin/env bash
# Benchmarks (not tests): the core encoder against serde-pickle and memcpy in the same criterion run, printed
# as ratios, the same loops interleaved (benches/interleaved.rs), then the encoder's footprint on Cortex-M
# (scripts/size.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
cargo bench -q -p carbon-pickle --bench encode -- --warm-up-time 2 --measurement-time 5 "$@" >&2
dir="${CARGO_TARGET_DIR:-$ROOT/target}/criterion"
python3 - "$dir" <<'PY'
import json, os, sys
root = sys.argv[1]
def means(group):
    d = os.path.join(root, group)
    mean = {}
    for name in (os.listdir(d) if os.path.isdir(d) else []):
        f = os.path.join(d, name, "new", "estimates.json")
        if os.path.exists(f):
            mean[name] = json.load(open(f))["mean"]["point_estimate"]  # ns per 1,000,000 datapoints
    return mean
mean = means("encode_1m")
if mean:
    ours = mean["carbon_pickle_v2"]
    print("1,000,000 datapoints, frames of 500, one reused buffer (same run):")
    for name in sorted(mean):
        print("  %-32s %9.2f ms  %7.1f M datapoints/s   carbon_pickle_v2 runs at %.2fx its speed"
              % (name, mean[name] / 1e6, 1e3 / mean[name] * 1e6, mean[name] / ours))
print("against serde-pickle (to_writer into a reused Vec), speed ratios from the same run:")
for group, label in [("encode_1m", "set 1 (paths 30-32 bytes, whole timestamps)"),
                     ("encode_1m_set2", "set 2 (paths 10-120 bytes, 1% non-ASCII, fractional timestamps)")]:
    m = means(group)
    if "serde_pickle_v2" not in m:
        continue
    serde = m["serde_pickle_v2"]
    print("  %s:" % label)
    for name, target in [("carbon_pickle_v2", 1.0), ("carbon_pickle_v2_checked_paths", 1.6),
                         ("carbon_pickle_v2_extend_checked", 1.6)]:  # issue 22
        if name in m:
            print("    %-32s %6.2f ns/datapoint  %5.2fx serde-pickle (target %.1fx)"
                  % (name, m[name] / 1e6, serde / m[name], target))
    print("    %-32s %6.2f ns/datapoint" % ("serde_pickle_v2", serde / 1e6))
    # The floor: reading the input alone. No encoder of push_checked's input can beat serde-pickle by more
    # than serde / floor (issue 22's measured breakdown).
    for name in ["floor_v2_checked_input", "floor_v2_serde_input"]:
        if name in m:
            print("    %-32s %6.2f ns/datapoint  (serde-pickle / this: %.2fx)" % (name, m[name] / 1e6, serde / m[name]))
PY
# The same loops interleaved, each its fastest round: steadier ratios on a machine whose speed drifts.
cargo bench -q -p carbon-pickle --bench interleaved 2>/dev/null
bash scripts/size.sh
