#!/usr/bin/env bash
# The release path, as a maintainer cutting a release would walk it (called by scripts/test.sh, runs alone):
#   crates   `cargo package` (which builds the packaged sources) and `cargo publish --dry-run` of carbon-pickle;
#            the packaged carbon-pickle built on its declared rust-version, its dependencies resolved as that
#            toolchain's user would get them; carbon-sender (same workspace) packaged and verified against
#            the packaged core by `cargo package -p carbon-pickle -p carbon-sender`, checked on the MSRV;
#   npm      a clean clone of the committed tree: `npm pack` builds pkg/ through prepack, the tarball holds
#            only what `files` lists, installs, and works; without the build tools prepack refuses and no
#            tarball is made.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh wasm >/dev/null
source scripts/env.sh
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
say() { printf -- '--- %s\n' "$*" >&2; }

MSRV="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' core/Cargo.toml | head -1)"

say "cargo package / publish --dry-run: carbon-pickle $VERSION"
cargo package -q -p carbon-pickle --allow-dirty 2>&1 | grep -v '^warning: ignoring' >&2 || true
test -f "target/package/carbon-pickle-$VERSION.crate"
cargo publish -q --dry-run -p carbon-pickle --allow-dirty 2>&1 | grep -v '^warning: ignoring' >&2 || true
tar tzf "target/package/carbon-pickle-$VERSION.crate" | sed 's/^/    /' >&2
if tar tzf "target/package/carbon-pickle-$VERSION.crate" | grep -Eq '/(tests|benches|examples|fuzz)/|\.py$'; then
  echo "carbon-pickle's package ships tests, benches, examples or scripts" >&2
  exit 1
fi

say "carbon-pickle on its rust-version $MSRV (MSRV-aware dependency resolution, as its users get)"
tar xzf "target/package/carbon-pickle-$VERSION.crate" -C "$TMP"
CORE="$TMP/carbon-pickle-$VERSION"
rm -f "$CORE/Cargo.lock"
(cd "$CORE" && CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback CARGO_TARGET_DIR="$TMP/target-msrv" \
  cargo "+$MSRV" build -q --all-features && CARGO_TARGET_DIR="$TMP/target-msrv" cargo "+$MSRV" build -q --no-default-features)

say "carbon-sender: packaged and verified against the packaged core (one workspace, no patch); $MSRV with tls,async,tokio"
# cargo packages both crates of the workspace in order and builds carbon-sender's package against carbon-pickle's
# (a local registry overlay), as crates.io will once the core is published first.
cargo package -q -p carbon-pickle -p carbon-sender -p metrics-exporter-carbon --allow-dirty 2>&1 | grep -v '^warning: ignoring' >&2 || true
cargo publish -q --dry-run -p carbon-pickle -p carbon-sender -p metrics-exporter-carbon --allow-dirty 2>&1 | grep -v '^warning: ignoring' >&2 || true
SENDER_CRATE="target/package/carbon-sender-$VERSION.crate"
tar tzf "$SENDER_CRATE" | sed 's/^/    /' >&2
tar xzf "$SENDER_CRATE" -C "$TMP"
SENDER="$TMP/carbon-sender-$VERSION"
if tar tzf "$SENDER_CRATE" | grep -Eq '/(tests|benches|examples)/|\.py$'; then
  echo "carbon-sender's package ships tests, benches, examples or scripts" >&2
  exit 1
fi
# The MSRV build resolves afresh (the workspace's lock file holds versions newer than $MSRV takes), from the
# packaged sender with the packaged core standing in for crates.io's (only this check needs the patch).
rm -f "$SENDER/Cargo.lock"
printf '\n[patch.crates-io]\ncarbon-pickle = { path = "%s" }\n' "$CORE" >>"$SENDER/Cargo.toml"
(cd "$SENDER" && CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback CARGO_TARGET_DIR="$TMP/target-sender-msrv" \
  cargo "+$MSRV" build -q --features tls,async,tokio)

say "npm: pack from a clean clone (prepack builds pkg/), install, use"
git clone -q "$ROOT" "$TMP/clone"
(cd "$TMP/clone/wasm" && if npm pack --silent --pack-destination "$TMP" >"$TMP/refused.out" 2>"$TMP/refused.err"; then
  echo "npm pack succeeded without the build tools" >&2; exit 1; fi)
grep -q 'cannot be built here' "$TMP/refused.err" || { cat "$TMP/refused.err" >&2; exit 1; }
if ls "$TMP"/carbon-pickle-*.tgz >/dev/null 2>&1; then echo "a tarball was made without pkg/" >&2; exit 1; fi
echo "    refused without the tools: $(grep -m1 'cannot be built here' "$TMP/refused.err")" >&2
ln -s "$ROOT/wasm/node_modules" "$TMP/clone/wasm/node_modules"
export CARGO_TARGET_DIR="$ROOT/target" # the clone builds with the dependencies already compiled here
(cd "$TMP/clone/wasm" && npm publish --dry-run --silent >/dev/null 2>"$TMP/publish.err") || { cat "$TMP/publish.err" >&2; exit 1; }
TARBALL="$(cd "$TMP/clone/wasm" && npm pack --silent --pack-destination "$TMP" 2>/dev/null | tail -1)"
tar tzf "$TMP/$TARBALL" | sed 's/^package\///' | sort >"$TMP/files"
sed 's/^/    /' "$TMP/files" >&2
# The size budget (npm's kB, 1000 bytes): every wasm module ships once, in the one form all runtimes load.
PACKED="$(stat -c %s "$TMP/$TARBALL")"
UNPACKED="$(tar tzvf "$TMP/$TARBALL" | awk '{ s += $3 } END { print s }')"
# Issue 18's budget: at most 200000 bytes packed and 600000 unpacked (177.8 kB and 487.7 kB when the optional
# parts went into one module, pkg/full-web; four modules of their own were 218.3 kB).
echo "    $TARBALL: $PACKED bytes packed (at most 200000), $UNPACKED unpacked (at most 600000), $(wc -l <"$TMP/files") files" >&2
if [ "$PACKED" -gt 200000 ] || [ "$UNPACKED" -gt 600000 ]; then
  echo "the tarball is over its size guard" >&2
  exit 1
fi
mkdir "$TMP/app" && cd "$TMP/app"
echo '{"name":"app","private":true,"version":"0.0.0"}' >package.json
npm install -q --no-audit --no-fund --offline "$TMP/$TARBALL" >/dev/null
node -e "
const { encodeFrames } = require('carbon-pickle');
const { CarbonClient, send } = require('carbon-pickle/client');
const f = encodeFrames([{ path: 'a.b', value: 1, timestamp: 1700000000 }]);
if (f.length !== 1 || f[0].points !== 1 || typeof CarbonClient !== 'function' || typeof send !== 'function') process.exit(1);
const p0 = encodeFrames([{ path: 'a.b', value: 1, timestamp: 1700000000 }], { protocol: 0 }); // its own module
if (p0.length !== 1 || p0[0][4] !== 0x28 || p0[0][5] !== 0x6c) process.exit(1);
console.error('    require(\"carbon-pickle\") (protocol 2 and 0) and carbon-pickle/client work from the installed tarball');
"
say "package checks passed"
