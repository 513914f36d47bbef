#!/usr/bin/env bash
# README command 2: every test. Set-up first (idempotent, seconds when nothing is missing), then each part.
# Usage: scripts/test.sh [part...]   parts: lint core docs e2e wasm package firmware fuzz www run (default: all)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
source scripts/env.sh

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(lint core docs e2e wasm package firmware fuzz www run)
section() { printf '\n=== %s ===\n' "$*" >&2; }

for part in "${parts[@]}"; do
  case "$part" in
    lint)
      section "fmt, clippy, docs, README blocks"
      # Every code block of the READMEs is run by a named test or visibly marked as not run (and why).
      python3 scripts/readme-examples.py check
      cargo fmt --all --check
      cargo clippy --workspace --all-targets --all-features -- -D warnings
      RUSTDOCFLAGS="-D warnings" cargo doc -p carbon-pickle --all-features --no-deps -q
      ;;
    core)
      section "core: no_std builds for Cortex-M and wasm32, unit, property and golden tests"
      cargo build -q -p carbon-pickle --no-default-features --target thumbv7em-none-eabihf
      cargo build -q -p carbon-pickle --no-default-features --target wasm32-unknown-unknown
      cargo build -q -p carbon-pickle --no-default-features --features defmt,embedded-io --target thumbv7em-none-eabihf
      cargo build -q -p carbon-pickle --no-default-features --features route --target thumbv7em-none-eabihf
      cargo test -q -p carbon-pickle --all-features
      # The path check's AVX2 pass exists only in builds for AVX2 (-C target-cpu=native on such a machine):
      # its tests in such a build, in a target directory of its own, where the machine has AVX2.
      if grep -qw avx2 /proc/cpuinfo; then
        CARGO_TARGET_DIR="$ROOT/target/avx2" RUSTFLAGS="-C target-feature=+avx2" \
          cargo test -q -p carbon-pickle --all-features --lib path::
      fi
      ;;
    docs)
      # core/README.md runs with carbon-pickle's doctests (part core), the root README's Rust with the tests
      # crate's; every README block marked `<!-- run: sh -->` as shown (scripts/readme-examples.py lists them).
      section "README examples: the root README's Rust as doctests, shell blocks as shown"
      cargo test -q -p carbon-pickle-tests --doc
      # metrics-exporter-carbon's README is its crate documentation (a doctest through a loopback socket), with
      # its unit tests; carbon-sender's tokio sender: its doctests and the heap queue's unit tests.
      cargo test -q -p metrics-exporter-carbon
      cargo test -q -p carbon-sender --features tokio --lib && cargo test -q -p carbon-sender --features tokio --doc
      bash scripts/readme-sh.sh
      ;;
    e2e)
      # tests/tests/*.rs: the encoder, graphite-web, carbon-sender's tokio sender (plain, TLS through stunnel,
      # a carbon crash, a receiver down) and metrics-exporter-carbon (the metrics macros into whisper).
      section "end to end against the real carbon daemon"
      cargo test -q -p carbon-pickle-tests
      ;;
    # run: README command 1 (scripts/run.sh) as written, last: it reuses the builds of the parts before it.
    wasm|package|firmware|fuzz|www|run)
      if [ -f "scripts/test-$part.sh" ]; then
        section "$part"
        bash "scripts/test-$part.sh"
      fi
      ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
section "all tests passed"
