#!/usr/bin/env bash
# Serves the browser demo (www/) on http://127.0.0.1:8000/ (loopback only; PORT=N to change, 0 for any).
#
# The page loads the npm package's browser entry (wasm/js/web.mjs) over a wasm module built with the
# package's `inspect` and `lines` features (the frame inspector and the core's plaintext reader, which the
# published main module leaves out for size) into target/www/pkg/web, its glue made a factory as the package's is (wasm/scripts/glue.mjs). That module is
# (re)built here when missing or older than the Rust sources, with the tools scripts/setup.sh installs.
# Ctrl-C stops the server.
#
# Usage: scripts/serve-www.sh [--build-only]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"

PKG="$ROOT/target/www/pkg/web"
wasm="$PKG/carbon_pickle_bg.wasm"
stale=""
if [ ! -f "$wasm" ] || [ ! -f "$PKG/carbon_pickle.mjs" ]; then
  stale="missing"
elif [ -n "$(find "$ROOT/core/src" "$ROOT/core/Cargo.toml" "$ROOT/wasm/src" "$ROOT/wasm/Cargo.toml" "$ROOT/Cargo.lock" \
  "$ROOT/wasm/scripts/glue.mjs" -newer "$wasm" -print -quit)" ]; then
  stale="older than the sources"
fi
if [ -n "$stale" ]; then
  echo "serve-www: the demo's wasm module is $stale: building it into target/www/pkg/web" >&2
  # Built next to the old one and swapped in, so a failed build leaves the last good module in place.
  rm -rf "$PKG.new"
  (cd "$ROOT/wasm" && wasm-pack --quiet build --no-opt --no-pack --profile wasm-release --target web \
    --out-dir "$PKG.new" --out-name carbon_pickle -- --features inspect,lines)
  node "$ROOT/wasm/scripts/glue.mjs" "$PKG.new"
  rm -rf "$PKG" && mv "$PKG.new" "$PKG"
fi
[ "${1:-}" = "--build-only" ] && exit 0
exec node "$ROOT/www/serve.mjs" --port "${PORT:-8000}" --pkg "$PKG"
