#!/usr/bin/env bash
# The firmware's part of scripts/test.sh (README command 2): lint and host tests of the firmware workspace,
# builds for both boards, then the end-to-end runs against a real carbon-cache (firmware/tests/run_tests.py:
# QEMU mps2-an386 and mps2-an385, the embassy node on mps2-an386, the host node with the blocking and the
# async sender, the fault relay runs, and the boards over TLS 1.3 through stunnel; the QEMU nodes' tagged
# series checked in graphite-web too), the footprint report (mps2-an386 without the tagged series first), and
# firmware/README.md's quick start as written (firmware/tests/quickstart.sh). The embassy node's wall clock comes
# from SNTP: run_tests.py answers it (tests/sntp.py) and has a scenario for a node with no time yet.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh" firmware   # idempotent: QEMU, defmt-print, the targets, carbon's venv
source "$ROOT/scripts/env.sh"
cd "$ROOT/firmware"
step() { printf -- '--- firmware: %s\n' "$*" >&2; }
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

step "fmt, clippy (host crates, both boards, the embassy node, the real boards), docs"
cargo fmt --check   # the firmware workspace only (--all would also check the core, a path dependency)
cargo clippy -q --all-targets -- -D warnings
cargo clippy -q -p mps2-node --release --target thumbv7em-none-eabihf -- -D warnings
cargo clippy -q -p mps2-node --release --target thumbv7m-none-eabi -- -D warnings
cargo clippy -q -p embassy-node --release --target thumbv7em-none-eabihf -- -D warnings
cargo clippy -q -p nucleo-f767zi --release --target thumbv7em-none-eabihf -- -D warnings
# The WiFi board needs credentials at build time (env!): placeholders here, never real ones.
WIFI_SSID=placeholder WIFI_PASSWORD=placeholder \
  cargo clippy -q -p esp32c3-node --release --target riscv32imc-unknown-none-elf -- -D warnings
cargo clippy -q -p mps2-board --target thumbv7m-none-eabi --all-features -- -D warnings
# carbon-sender is a crate of the root workspace (its lock file and target directory): linted from there.
(cd "$ROOT" && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt,async -- -D warnings \
  && cargo clippy -q -p carbon-sender --features log -- -D warnings \
  && cargo clippy -q -p carbon-sender --all-targets --no-default-features -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt,tls -- -D warnings \
  && cargo clippy -q -p carbon-sender --all-targets --features log,tls -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt,tls,async -- -D warnings \
  && cargo clippy -q -p carbon-sender --all-targets --features log,tls,async -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt,embassy -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt,embassy,tls -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features sntp -- -D warnings \
  && cargo clippy -q -p carbon-sender --target thumbv7m-none-eabi --features defmt,sntp,tls -- -D warnings)
# (tls + async: the async TLS TcpConnect, carbon_sender::tls_async; embassy: the board-agnostic glue,
# carbon_sender::embassy; sntp: the wall clock over embassy-net UDP, alone and with tls, its certificate clock.)
# Feature tls: both boards built with a CA (a throwaway one made here; run_tests.py makes its own for the runs).
openssl ecparam -name prime256v1 -genkey -noout -out "$SCRATCH/ca.key"
openssl req -x509 -new -key "$SCRATCH/ca.key" -sha256 -days 1 -subj "/CN=lint CA" -out "$SCRATCH/ca.pem" 2>/dev/null
# The CA as a relative path, which mps2-node/build.rs takes from firmware/ (where cargo runs here), not from
# mps2-node/ where cargo runs the build script.
ca_rel="$(realpath --relative-to="$ROOT/firmware" "$SCRATCH/ca.pem")"
for t in thumbv7em-none-eabihf thumbv7m-none-eabi; do
  NODE_TLS_CA="$ca_rel" NODE_TLS_SERVER_NAME=carbon.test \
    cargo clippy -q -p mps2-node --release --target "$t" --features tls -- -D warnings
done
NODE_TLS_CA="$ca_rel" NODE_TLS_SERVER_NAME=carbon.test \
  cargo clippy -q -p embassy-node --release --target thumbv7em-none-eabihf --features tls -- -D warnings
# The NUCLEO-F767ZI over TLS: its CA as DER, by absolute path (include_bytes!).
openssl x509 -in "$SCRATCH/ca.pem" -outform der -out "$SCRATCH/ca.der"
NODE_TLS_CA_DER="$SCRATCH/ca.der" NODE_TLS_SERVER_NAME=carbon.test \
  cargo clippy -q -p nucleo-f767zi --release --target thumbv7em-none-eabihf --features tls -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p sensor-node
(cd "$ROOT" && RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p carbon-sender --features async,tls \
  && RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p carbon-sender --features tls,embassy,sntp)

step "real boards: build only (not flashed; README in each crate under boards/)"
cargo build -q --release -p nucleo-f767zi --target thumbv7em-none-eabihf
WIFI_SSID=placeholder WIFI_PASSWORD=placeholder \
  cargo build -q --release -p esp32c3-node --target riscv32imc-unknown-none-elf

step "sender and series unit tests, scripted fake stack (blocking and async sender), doctests"
cargo test -q
# carbon-sender's own tests run in the root workspace: tests/scripted.rs runs both senders with `async`.
(cd "$ROOT" && cargo test -q -p carbon-sender --features async,log \
  && cargo test -q -p carbon-sender --no-default-features \
  && cargo test -q -p carbon-sender --features tls,async)

# The tested images carry the node's tagged series (feature `tagged`, on by default: the core's tag rules and
# TaggedName). First mps2-an386 without it: what tags cost, and the core's share of .text as it is without
# them (the figure issue 22 tracks). Built in target/ (it shares every dependency but the core, the sender
# and the node with the tested image: 15-30 s, where a target directory of its own took 75 s cold) and
# measured at once: run_tests.py's build then puts the tested image back in its place.
step "footprint of mps2-an386 without feature tagged"
cargo build-an386 -q --no-default-features
python3 tests/footprint.py --no-tls --board mps2-an386

step "QEMU and host runs against carbon-cache, plain and over TLS (stunnel)"
"$CARBON_PICKLE_PYTHON" tests/run_tests.py --report "$SCRATCH/report.json"

step "no panics in the send path: carbon-sender's and carbon-pickle's functions in the Arm release images"
# (tests/no_panic.py: llvm-objdump; the RISC-V image is left out, its calls carry no symbol in the listing)
python3 tests/no_panic.py target/thumbv7em-none-eabihf/release/mps2-node target/thumbv7m-none-eabi/release/mps2-node \
  target/thumbv7em-none-eabihf/release/embassy-node target/thumbv7em-none-eabihf/release/nucleo-f767zi

step "footprint (reported, not asserted): plain images, then the TLS ones"
python3 tests/footprint.py --stack-report "$SCRATCH/report.json"

step "README quick start, as written (reuses the builds above)"
bash tests/quickstart.sh
