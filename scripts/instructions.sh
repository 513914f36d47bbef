#!/usr/bin/env bash
# Instructions per datapoint (a benchmark, not a test): valgrind's callgrind counts the instructions of each
# loop the encoder bench times (core/benches/common: validated push, push_checked, extend_checked, serde-pickle's to_writer
# into a reused Vec) on both data sets, 1,000,000 datapoints in frames of 500. Counts are repeatable on the
# same binary and machine whatever else it is doing, where criterion's times drift with the load.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
cargo build -q --release -p carbon-pickle --example instructions
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/instructions"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
count() { # mode set function -> instructions inside the function
  valgrind --tool=callgrind --callgrind-out-file="$work/out" --toggle-collect="*$3*" "$bin" "$1" "$2" >/dev/null 2>"$work/log" \
    || { cat "$work/log" >&2; exit 1; }
  grep -o 'Collected : [0-9]*' "$work/log" | grep -o '[0-9]*$' || grep '^summary:' "$work/out" | grep -o '[0-9]*'
}
printf '%-14s %12s %12s\n' "instructions" "set 1" "set 2"
# check (check_path alone) and validate (path, timestamp and value) split a validated push into its parts:
# path check = check; number checks = validate - check; writer and room checks = push - validate.
for row in "push push_all" "push_checked push_checked_all" "extend_checked extend_checked_all" "check check_all" "validate validate_all" "serde serde_all"; do
  set -- $row
  a="$(count "$1" 1 "$2")"
  b="$(count "$1" 2 "$2")"
  printf '%-14s %12.1f %12.1f   per datapoint\n' "$1" "$(echo "$a / 1000000" | bc -l)" "$(echo "$b / 1000000" | bc -l)"
done
