#!/usr/bin/env bash
# Footprint of the protocol-2 encoder in a Cortex-M4F image (thumbv7em-none-eabihf, opt-level "s", LTO):
# builds size-probe/ (one exported function that validates, pushes and finishes a frame into a slice) and
# sums the .text and .rodata sections of the probe's own object (compiler_builtins excluded), i.e. the
# carbon-pickle code the linker would keep. Prints the largest functions too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}/size-probe"
cargo build -q --release --manifest-path "$ROOT/size-probe/Cargo.toml" --target thumbv7em-none-eabihf \
  --target-dir "$target_dir"
bin="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
# rustup's llvm-tools component, else the LLVM tools on PATH (Debian's llvm package).
tool() {
  if [ -x "$bin/$1" ]; then echo "$bin/$1"; return; fi
  command -v "$1" || { echo "no $1: rustup component add llvm-tools, or apt-get install llvm" >&2; exit 1; }
}
llvm_ar="$(tool llvm-ar)" llvm_size="$(tool llvm-size)" llvm_nm="$(tool llvm-nm)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$llvm_ar" x "$target_dir/thumbv7em-none-eabihf/release/libcarbon_pickle_size_probe.a")
obj="$(ls "$work"/carbon_pickle_size_probe-*.o)"
"$llvm_size" -A "$obj" | awk '
  $1 ~ /^\.text/ { text += $2 } $1 ~ /^\.rodata/ { rodata += $2 }
  END { printf "protocol-2 encoder on thumbv7em-none-eabihf: .text %d bytes, .rodata %d bytes\n", text, rodata }'
echo "largest functions:"
"$llvm_nm" --size-sort -S --radix=d --demangle "$obj" | awk '$3 ~ /^[tT]$/ { printf "  %6d  %s\n", $2, substr($0, index($0,$4)) }' | tail -6
