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
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$bin/llvm-ar" x "$target_dir/thumbv7em-none-eabihf/release/libcarbon_pickle_size_probe.a")
obj="$(ls "$work"/carbon_pickle_size_probe-*.o)"
"$bin/llvm-size" -A "$obj" | awk '
  $1 ~ /^\.text/ { text += $2 } $1 ~ /^\.rodata/ { rodata += $2 }
  END { printf "protocol-2 encoder on thumbv7em-none-eabihf: .text %d bytes, .rodata %d bytes\n", text, rodata }'
echo "largest functions:"
"$bin/llvm-nm" --size-sort -S --radix=d --demangle "$obj" | awk '$3 ~ /^[tT]$/ { printf "  %6d  %s\n", $2, substr($0, index($0,$4)) }' | tail -6
