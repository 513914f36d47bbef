#!/usr/bin/env bash
# Brings a fresh machine of the project's kind (Debian 12, rustup stable, Python 3.11, Node 20; see
# ../shared/TOOLCHAIN.md) to a working state. Idempotent: every step checks first and is skipped when its
# result is already there, so a second run takes seconds. Downloads only through the package registries
# (Debian, crates.io, PyPI, npm).
#
# Usage: scripts/setup.sh [all|core|wasm|firmware|browser]   (default: all)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools live outside the checkout so that fresh clones (CI) reuse them.
TOOLS="${CARBON_PICKLE_TOOLS:-$HOME/.cache/carbon-pickle}"
VENV="$TOOLS/venv"
WASM_BINDGEN_VERSION="0.2.130"
WASM_PACK_VERSION="0.15.1"
mkdir -p "$TOOLS"

log() { printf '[setup] %s\n' "$*" >&2; }

have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_install() {
  local missing=()
  for p in "$@"; do have_deb "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  local stamp="$TOOLS/apt-updated"
  if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && touch "$stamp"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian's rustc-web ships std sources, which we need for the no_std targets (rustup cannot download them here).
debian_rust() {
  if rustup target list --installed 2>/dev/null | grep -q thumbv7em-none-eabihf \
     && rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
    return 0
  fi
  if rustup target add wasm32-unknown-unknown thumbv7em-none-eabihf thumbv7m-none-eabi >/dev/null 2>&1; then
    return 0
  fi
  apt_install rustc-web cargo-web rust-web-src lld-22
  if ! rustup toolchain list | grep -q '^debian-web'; then
    rustup toolchain link debian-web /usr
  fi
}

python_env() {
  local req="$ROOT/tests/requirements.txt"
  local want
  want="$(sha256sum "$req" | cut -c1-16)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.req" 2>/dev/null)" = "$want" ]; then return 0; fi
  # Other checkouts' tests may be running carbon from this venv: add what the requirements ask for in
  # place (pip leaves what is already there), and make a new venv only when that fails.
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/pip" install -q -r "$req"; then
    log "python venv in $VENV brought up to tests/requirements.txt"
    echo "$want" >"$VENV/.req"
    return 0
  fi
  log "python venv with carbon in $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$req"
  echo "$want" >"$VENV/.req"
}

cargo_tool() { # cargo_tool <binary> <version> <crate> [extra cargo install args]
  local bin="$1" ver="$2" crate="$3"; shift 3
  if command -v "$bin" >/dev/null && "$bin" --version 2>/dev/null | grep -q "$ver"; then return 0; fi
  log "cargo install $crate $ver"
  cargo +stable install -q "$crate" --version "$ver" "$@"
}

# ---- core: the reference relay for the router's jump_fnv1a_ch (core/tests/route_c_relay.rs) ----
setup_core() {
  # Debian's carbon-c-relay 3.7: the test runs `carbon-c-relay -t`, which prints placements and sends
  # nothing. (Its service is not started in this image: policy-rc.d denies it.)
  apt_install carbon-c-relay
}

# ---- wasm / npm package (issue: npm package) ----
setup_wasm() {
  # wasm-pack uses the wasm-bindgen on PATH only when its version equals the crate's exact pin
  # (wasm/Cargo.toml), else it tries to download one. wasm-bindgen-cli installs only without --locked here.
  cargo_tool wasm-pack "$WASM_PACK_VERSION" wasm-pack --locked
  cargo_tool wasm-bindgen "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown || {
      log "cannot add the wasm32-unknown-unknown target with rustup: see shared/TOOLCHAIN.md (Debian's rustc-web"
      log "with a std built for wasm32) for machines whose rustup cannot download targets"
      return 1
    }
  fi
  apt_install openssl   # the TLS test makes its CA with the openssl CLI
  # The crates' declared rust-version, which scripts/test-package.sh builds the packaged crates with.
  local msrv
  msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml")"
  if ! rustup toolchain list | grep -q "^$msrv-"; then
    log "rustup toolchain install $msrv (the crates' rust-version)"
    rustup toolchain install "$msrv" --profile minimal >/dev/null
  fi
  # The package's dev tools from npm: binaryen's wasm-opt (Debian's binaryen 108 breaks wasm-bindgen output),
  # deno, bun and workerd for the runtime tests, typescript and @types/node for the declarations.
  local want
  want="$(sha256sum "$ROOT/wasm/package-lock.json" | cut -c1-16)"
  if [ "$(cat "$ROOT/wasm/node_modules/.setup-lock" 2>/dev/null)" != "$want" ]; then
    log "npm ci in wasm/ (binaryen, deno, bun, workerd, typescript)"
    (cd "$ROOT/wasm" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$ROOT/wasm/node_modules/.setup-lock"
  fi
}

# ---- firmware under QEMU ----
DEFMT_PRINT_VERSION="1.2.0"
setup_firmware() {
  # The image's qemu-utils comes from a newer release and Breaks Debian 12's qemu-system-common: installing
  # qemu-system-arm alone would remove it, so both are installed together at the same (Debian 12) version.
  if ! have_deb qemu-system-arm || ! have_deb qemu-utils; then
    local stamp="$TOOLS/apt-updated" ver
    if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && touch "$stamp"
    fi
    ver="$(apt-cache policy qemu-system-arm | awk '/Candidate:/ {print $2}')"
    log "apt-get install qemu-system-arm qemu-utils=$ver"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades \
      qemu-system-arm "qemu-utils=$ver" >/dev/null
  fi
  cargo_tool defmt-print "$DEFMT_PRINT_VERSION" defmt-print --locked
  # The TLS tests: stunnel terminates TLS 1.3 in front of carbon; the openssl CLI makes their CA.
  apt_install stunnel4 openssl
  # firmware/tests/no_panic.py disassembles the release images (llvm-objdump).
  apt_install llvm
  # Both QEMU boards' targets for the stable toolchain (the firmware does not build its own core), and the
  # ESP32-C3's (firmware/boards/esp32c3-node; the NUCLEO-F767ZI uses thumbv7em-none-eabihf).
  local t
  for t in thumbv7em-none-eabihf thumbv7m-none-eabi riscv32imc-unknown-none-elf; do
    rustup target list --installed 2>/dev/null | grep -qx "$t" || rustup target add "$t"
  done
}

# ---- fuzzing ----
CARGO_FUZZ_VERSION="0.13.2"
setup_fuzz() {
  # cargo-fuzz drives libFuzzer; the targets build with the nightly toolchain the machine image carries.
  cargo_tool cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz --locked
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "no nightly toolchain: scripts/test-fuzz.sh needs one (rustup toolchain install nightly)"
    return 1
  fi
}

# ---- browser demo ----
# Debian's Chromium (the tests drive it; playwright's own browser downloads do not work here) and
# playwright-core, pinned by www/package-lock.json. The demo's wasm module is built by scripts/serve-www.sh
# with the wasm tools of setup_wasm.
setup_browser() {
  apt_install chromium chromium-driver
  local want have
  want="$(node -p "require('$ROOT/www/package-lock.json').packages['node_modules/playwright-core'].version")"
  have="$(node -p "require('$ROOT/www/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
  if [ "$have" != "$want" ]; then
    log "npm ci in www/ (playwright-core $want)"
    (cd "$ROOT/www" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

step="${1:-all}"
case "$step" in
  all|core|wasm|firmware|fuzz|browser) ;;
  *) echo "unknown step $step (all|core|wasm|firmware|browser)" >&2; exit 2 ;;
esac
want() { [ "$step" = all ] || [ "$step" = "$1" ]; }
debian_rust
python_env
want core && setup_core
want wasm && setup_wasm
want firmware && setup_firmware
want fuzz && setup_fuzz
want browser && setup_browser
log "ok ($step)"
