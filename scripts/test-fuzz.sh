#!/usr/bin/env bash
# Fuzzing in CI: each cargo-fuzz target (fuzz/fuzz_targets) for a bounded time from the committed seeds
# (fuzz/seeds/<target>), in a scratch corpus so the checkout stays clean. Fails on any crash, panic, leak or
# timeout. FUZZ_SECONDS (default 40) sets the time per target.
# Targets: decode (arbitrary bytes through decoder, frame reader, inspector), roundtrip (encode -> decode
# -> identical), split (the splitter never exceeds its limits), path (the path check's SWAR and vector passes
# equal the byte loop; under AddressSanitizer, as the vector pass is the crate's one unsafe module).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
cd "$ROOT/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-40}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Safe Rust apart from the vector path check (the crate denies unsafe code elsewhere), so no sanitizer but
# for the target that drives that module: several times more executions per second.
cargo +nightly fuzz build -s none -O >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
# The sanitized build in a target directory of its own, so neither build undoes the other.
flags() { if [ "$1" = path ]; then echo "-s address --target-dir target/asan"; else echo "-s none"; fi; }
# shellcheck disable=SC2046
cargo +nightly fuzz build $(flags path) -O path >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }

passed=0
failed=0
for target in decode roundtrip split path; do
  mkdir -p "$WORK/$target"
  log="$WORK/$target.log"
  # shellcheck disable=SC2046
  if cargo +nightly fuzz run $(flags "$target") -O "$target" "$WORK/$target" "seeds/$target" -- \
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
