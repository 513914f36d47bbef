#!/usr/bin/env bash
# Fuzzing in CI: each cargo-fuzz target (fuzz/fuzz_targets) for a bounded time from the committed seeds
# (fuzz/seeds/<target>), in a scratch corpus so the checkout stays clean. Fails on any crash, panic, leak or
# timeout. FUZZ_SECONDS (default 40) sets the time per target.
# Targets: decode (arbitrary bytes through decoder, frame reader, inspector), roundtrip (encode -> decode
# -> identical), split (the splitter never exceeds its limits).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
cd "$ROOT/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-40}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Safe Rust only (the crate denies unsafe code), so no sanitizer: several times more executions per second.
cargo +nightly fuzz build -s none -O >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }

passed=0
failed=0
for target in decode roundtrip split; do
  mkdir -p "$WORK/$target"
  log="$WORK/$target.log"
  if cargo +nightly fuzz run -s none -O "$target" "$WORK/$target" "seeds/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    echo "fuzz $target: ok, $runs executions in ${SECONDS_PER_TARGET}s"
    passed=$((passed + 1))
  else
    echo "fuzz $target: FAILED" >&2
    tail -40 "$log" >&2
    ls "$ROOT/fuzz/artifacts/$target" 2>/dev/null >&2 || true
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
