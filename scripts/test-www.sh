#!/usr/bin/env bash
# The browser demo (www/) in Debian's Chromium driven by playwright-core, served from 127.0.0.1: the page's
# frames against the Rust core's example for the same plaintext, inline errors, the inspector on a
# CPython-made frame, the live stream; saves a screenshot in target/www/ (with --screenshot, also as
# docs/www-screenshot.png, the one the README shows). About half a minute once built.
#
# Usage: scripts/test-www.sh [--screenshot]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
cd "$ROOT"

# Run alone on a fresh machine: the set-up steps this needs (test.sh has run all of them already).
command -v wasm-pack >/dev/null || bash scripts/setup.sh wasm
if [ ! -x /usr/bin/chromium ] || [ ! -d www/node_modules/playwright-core ]; then
  bash scripts/setup.sh browser
fi
# The demo's wasm module (the package with its inspector) and the reference encoder.
bash scripts/serve-www.sh --build-only
cargo build -q -p carbon-pickle --features std --example encode
export ENCODE_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/encode"
export WWW_PKG="$ROOT/target/www/pkg/web"
if [ "${1:-}" = "--screenshot" ]; then export WWW_SCREENSHOT="$ROOT/docs/www-screenshot.png"; fi

cd www
node --test --test-reporter=spec test/
