#!/usr/bin/env bash
# Benchmarks (not tests): the core encoder against serde-pickle and memcpy in the same criterion run, printed
# as ratios, then the encoder's footprint on Cortex-M (scripts/size.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
cargo bench -q -p carbon-pickle --bench encode -- --warm-up-time 2 --measurement-time 5 "$@" >&2
dir="${CARGO_TARGET_DIR:-$ROOT/target}/criterion/encode_1m"
python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
mean = {}
for name in os.listdir(d):
    f = os.path.join(d, name, "new", "estimates.json")
    if os.path.exists(f):
        mean[name] = json.load(open(f))["mean"]["point_estimate"]  # ns per 1,000,000 datapoints
ours = mean["carbon_pickle_v2"]
print("1,000,000 datapoints, frames of 500, one reused buffer (same run):")
for name in sorted(mean):
    print("  %-32s %9.2f ms  %7.1f M datapoints/s   carbon_pickle_v2 runs at %.2fx its speed"
          % (name, mean[name] / 1e6, 1e3 / mean[name] * 1e6, mean[name] / ours))
PY
bash scripts/size.sh
