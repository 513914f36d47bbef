#!/usr/bin/env bash
# The npm package (wasm/): build it, then its wasm unit tests, and the node:test suite: the API decoded by
# CPython, CarbonClient against the real carbon (100,000 datapoints, crashes, a bounded queue, TLS), the CLI,
# and the packed tarball in Node, Bun, Deno and workerd. Called by scripts/test.sh; runs alone too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh wasm
source scripts/env.sh
cd wasm

echo "--- build (wasm-pack for Node and ESM runtimes, wasm-opt)" >&2
node scripts/build.mjs

# Issue 22's budget: the main module (what every program loads) at most 32,000 bytes after wasm-opt.
MAIN_WASM_MAX=32000
main_wasm="$(stat -c %s pkg/web/carbon_pickle_bg.wasm)"
echo "    pkg/web/carbon_pickle_bg.wasm: $main_wasm bytes (at most $MAIN_WASM_MAX)" >&2
if [ "$main_wasm" -gt "$MAIN_WASM_MAX" ]; then
  echo "the main .wasm is over its size guard: $main_wasm > $MAIN_WASM_MAX bytes" >&2
  exit 1
fi

echo "--- wasm-bindgen-test on Node" >&2
wasm-pack test --node

echo "--- node:test suite" >&2
node --expose-gc --test --test-reporter=spec test/*.test.mjs
