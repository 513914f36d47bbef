#!/usr/bin/env bash
# README command 1, the main job: start a real carbon-cache and graphite-web 1.1.10 on 127.0.0.1, encode
# sample sensor metrics (Graphite tagged series among them) with the core encoder, deliver them over TCP to
# carbon's pickle receiver, print what carbon stored, and draw the tagged series with graphite-web's own
# render API into a PNG whose path it prints; then stop carbon and graphite-web.
#
# Usage: scripts/run.sh [--to HOST:PORT] [--prefix KEY] [--protocol 0|2] [--keep] [--serve] [--png FILE]
#   --to HOST:PORT   send to that pickle receiver instead (no local carbon, so nothing is read back or drawn)
#   --prefix KEY     put KEY. before every path (Hosted Graphite style API key)
#   --protocol 0|2   pickle protocol (default 2)
#   --keep           keep the local carbon's directory (config, whisper files, logs) and print where it is
#   --serve          leave carbon and graphite-web running (implies --keep): prints the URL and their PIDs
#   --png FILE       where the picture goes (default target/run/tagged-series.png)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALLER_DIR="$PWD"
cd "$ROOT"
bash scripts/setup.sh core
source scripts/env.sh
export PYTHONUTF8=1

usage() { sed -n '7,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
TO="" PREFIX="" PROTOCOL=2 KEEP=0 SERVE=0 PNG="$ROOT/target/run/tagged-series.png"
while [ $# -gt 0 ]; do
  case "$1" in
    --to) [ $# -ge 2 ] || usage; TO="$2"; shift 2 ;;
    --prefix) [ $# -ge 2 ] || usage; PREFIX="$2"; shift 2 ;;
    --protocol) [ $# -ge 2 ] || usage; PROTOCOL="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --serve) SERVE=1; KEEP=1; shift ;;
    --png) [ $# -ge 2 ] || usage; PNG="$(cd "$CALLER_DIR" && realpath -m "$2")"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/carbon-pickle-run.XXXXXX")"
HARNESS_PID=""
STUNNEL_PID=""
cleanup() {
  if [ -n "$STUNNEL_PID" ] && kill -0 "$STUNNEL_PID" 2>/dev/null; then
    kill -TERM "$STUNNEL_PID"
    wait "$STUNNEL_PID" 2>/dev/null || true
  fi
  if [ "$SERVE" = 0 ] && [ -n "$HARNESS_PID" ] && kill -0 "$HARNESS_PID" 2>/dev/null; then
    kill -TERM "$HARNESS_PID"   # the harness stops carbon and graphite-web and waits for them
    wait "$HARNESS_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
section() { printf '\n=== %s ===\n' "$*"; }

# ---- local carbon and graphite-web (skipped with --to) ----
# tests/carbon/harness.py: carbon with ENABLE_TAGS, registering every new tagged series in graphite-web's tag
# database (GRAPHITE_URL), as in production; graphite-web reads carbon's whisper files. With --serve the
# harness does not stop with this script (--detach), only when its PID gets SIGTERM.
start_carbon() {
  section "starting carbon-cache 1.1.10 and graphite-web 1.1.10 on 127.0.0.1"
  local detach=()
  [ "$SERVE" = 1 ] && detach=(--detach)
  "$CARBON_PICKLE_PYTHON" tests/carbon/harness.py serve "$WORK/carbon" --graphite "${detach[@]}" \
    >"$WORK/harness.log" 2>&1 </dev/null &
  HARNESS_PID=$!
  local i
  for i in $(seq 600); do
    [ -f "$WORK/carbon/ports.json" ] && break
    if ! kill -0 "$HARNESS_PID" 2>/dev/null; then
      cat "$WORK/harness.log" >&2; echo "run.sh: carbon did not start" >&2; exit 1
    fi
    sleep 0.1
  done
  [ -f "$WORK/carbon/ports.json" ] || { echo "run.sh: carbon did not start in 60 s" >&2; exit 1; }
  port() { "$CARBON_PICKLE_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$WORK/carbon/ports.json" "$1"; }
  TO="127.0.0.1:$(port pickle)"
  GRAPHITE_URL="http://127.0.0.1:$(port graphite)"
  echo "pickle receiver 127.0.0.1:$(port pickle), line receiver 127.0.0.1:$(port line), pid $(port pid)"
  echo "graphite-web $GRAPHITE_URL, pid $(port graphite_pid)"
}

LOCAL=0
if [ -z "$TO" ]; then LOCAL=1; start_carbon; fi
# What the sender sections below get: where to send, the prefix, the protocol.
export CARBON_PICKLE_TARGET="$TO" CARBON_PICKLE_PREFIX="$PREFIX" CARBON_PICKLE_PROTOCOL="$PROTOCOL"
EXPECTED=0
add_expected() { EXPECTED=$((EXPECTED + $1)); }   # each sender adds the datapoints it sent

# ---- Rust sender: the core encoder (tests/src/bin/send-sensors.rs) ----
run_rust() {
  section "Rust: core encoder -> $TO"
  local args=(--to "$TO" --protocol "$PROTOCOL" --count-file "$WORK/rust.count")
  [ -n "$PREFIX" ] && args+=(--prefix "$PREFIX")
  cargo run -q -p carbon-pickle-tests --bin send-sensors -- "${args[@]}"
  add_expected "$(cat "$WORK/rust.count")"
}

# ---- Node sender: the npm package (wasm/) ----
# Builds the package (wasm-pack + wasm-opt, seconds when built), then wasm/examples/send-sensors.mjs sends a
# greenhouse's sensors with CarbonClient to $TO and calls add_expected <datapoints sent>.
run_node() {
  section "Node: the npm package's CarbonClient (wasm core) -> $TO"
  bash scripts/setup.sh wasm
  (cd wasm && node scripts/build.mjs)
  local args=(--to "$TO" --protocol "$PROTOCOL" --count-file "$WORK/node.count")
  [ -n "$PREFIX" ] && args+=(--prefix "$PREFIX")
  node wasm/examples/send-sensors.mjs "${args[@]}"
  add_expected "$(cat "$WORK/node.count")"
}

# ---- Firmware sender under QEMU (firmware/) ----
# The mps2-an386 sensor node (Cortex-M4F, smoltcp over the emulated LAN9118) under QEMU, whose user
# networking (restrict=on) reaches only $CARBON_PICKLE_TARGET through a guestfwd. It samples 5 times a second
# apart, sends 6 readings each (five plain, and the temperature as the tagged series
# temperature;board=mps2-an386;node=mps2-node;transport=tcp), flushes, and exits 0 only if all were delivered. The firmware's sender
# always writes protocol 2; the prefix goes in front of its own "sensors.mps2-an386".
run_firmware() {
  section "Firmware: mps2-an386 under QEMU, smoltcp + carbon-sender -> $TO"
  bash scripts/setup.sh firmware
  local prefix="sensors.mps2-an386" target="${CARGO_TARGET_DIR:-$ROOT/firmware/target}"
  [ -n "$PREFIX" ] && prefix="$PREFIX.$prefix"
  [ "$PROTOCOL" = 2 ] || echo "(the firmware sends protocol 2 whatever --protocol says)"
  (cd firmware && NODE_PREFIX="$prefix" cargo build-an386 -q)
  NODE_GUESTFWD="tcp:$TO" firmware/tools/qemu-run mps2-an386 "$target/thumbv7em-none-eabihf/release/mps2-node"
  add_expected 30   # 5 samples of 6 readings (the tagged one included)
}

# ---- The same node as an async application (embassy-node) ----
# embassy-executor tasks (a sampler, the async carbon-sender, embassy-net's runner) over the same LAN9118, in the
# same QEMU user networking; it writes "sensors.mps2-an386-embassy".
run_firmware_embassy() {
  section "Firmware: mps2-an386 under QEMU, embassy-net + the async carbon-sender -> $TO"
  local prefix="sensors.mps2-an386-embassy" target="${CARGO_TARGET_DIR:-$ROOT/firmware/target}"
  [ -n "$PREFIX" ] && prefix="$PREFIX.$prefix"
  (cd firmware && NODE_PREFIX="$prefix" cargo build-embassy-an386 -q)
  # Its wall clock is SNTP: firmware/tests/sntp.py answers it with the host's time on a QEMU segment of its own
  # (restricted user networking carries no UDP from the guest; firmware/README.md, "The embassy firmware").
  local segment="$WORK/sntp-segment"
  python3 firmware/tests/sntp.py "$segment" &
  local sntp_pid=$!
  until [ -f "$segment" ]; do kill -0 "$sntp_pid" || break; sleep 0.1; done
  NODE_SEGMENT_UDP="$(cat "$segment")" NODE_GUESTFWD="tcp:$TO" \
    firmware/tools/qemu-run mps2-an386 "$target/thumbv7em-none-eabihf/release/embassy-node"
  kill "$sntp_pid" 2>/dev/null || true; wait "$sntp_pid" || true
  add_expected 30   # 5 samples of 6 readings (the tagged one included)
}

# ---- Firmware over TLS 1.3 (feature tls), through stunnel ----
# The same node built with feature tls (embedded-tls: TLS 1.3, TLS_AES_128_GCM_SHA256, P-256, the server's
# certificate checked against a CA compiled in and the name carbon.test). stunnel (Debian's stunnel4) terminates
# TLS 1.3 on 127.0.0.1 in front of the local carbon, as the Hosted Graphite guide's stunnel set-up does, here on
# the server's side. The CA and the server's ECDSA P-256 certificate are made with the openssl CLI in $WORK.
# Skipped with --to: a local stunnel would carry the datapoints on to a remote receiver in plaintext.
run_firmware_tls() {
  if [ "$LOCAL" != 1 ]; then
    section "Firmware over TLS: skipped with --to (the local terminator would forward in plaintext)"
    return 0
  fi
  section "Firmware over TLS 1.3: mps2-an386, embedded-tls -> stunnel on 127.0.0.1 -> $TO"
  bash scripts/setup.sh firmware
  local tls="$WORK/tls" prefix="sensors.mps2-an386-tls" target="${CARGO_TARGET_DIR:-$ROOT/firmware/target}/tls" port i
  [ -n "$PREFIX" ] && prefix="$PREFIX.$prefix"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 1 -subj "/CN=carbon-pickle run.sh CA" -out ca.pem 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out server.key
    openssl req -new -key server.key -subj "/CN=carbon.test" -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:carbon.test\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -sha256 \
      -extfile server.ext -out server.pem 2>/dev/null
  )
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  printf '%s\n' "foreground = yes" "pid =" "[carbon-tls]" "accept = 127.0.0.1:$port" "connect = $TO" \
    "cert = $tls/server.pem" "key = $tls/server.key" "sslVersionMin = TLSv1.3" "sslVersionMax = TLSv1.3" \
    >"$tls/stunnel.conf"
  stunnel4 "$tls/stunnel.conf" >"$tls/stunnel.log" 2>&1 &
  STUNNEL_PID=$!
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  echo "stunnel 127.0.0.1:$port (TLS 1.3 only, certificate for carbon.test) -> $TO, pid $STUNNEL_PID"
  (cd firmware && NODE_PREFIX="$prefix" NODE_TLS_CA="$tls/ca.pem" NODE_TLS_SERVER_NAME=carbon.test \
    CARGO_TARGET_DIR="$target" cargo build-an386 -q --features tls)
  NODE_GUESTFWD="tcp:127.0.0.1:$port" firmware/tools/qemu-run mps2-an386 "$target/thumbv7em-none-eabihf/release/mps2-node"
  add_expected 30   # 5 samples of 6 readings (the tagged one included)
  kill -TERM "$STUNNEL_PID"
  wait "$STUNNEL_PID" 2>/dev/null || true
  STUNNEL_PID=""
}

RUN_START="$(date +%s)"   # the Rust sender's readings cover the 5 minutes before it
run_rust
run_node
run_firmware
run_firmware_embassy
run_firmware_tls

if [ "$LOCAL" = 1 ]; then
  section "what carbon stored (whisper, 1 s resolution; tagged series under _tagged/, named by their hash)"
  "$CARBON_PICKLE_PYTHON" tests/carbon/harness.py wait "$WORK/carbon" "$EXPECTED" 60 >/dev/null
  "$CARBON_PICKLE_PYTHON" tests/carbon/harness.py table "$WORK/carbon"
  echo "(the senders sent $EXPECTED datapoints)"
  # The Rust sender's tagged series (tests/src/bin/send-sensors.rs): one name, a series per room, drawn over
  # its 5 minutes; every tagged series listed over the last hour (the Node sender's covers 30 minutes).
  tagged_name="sensors.temperature"
  [ -n "$PREFIX" ] && tagged_name="$PREFIX.$tagged_name"
  section "graphite-web: the tagged series it knows, and its picture of $tagged_name by room"
  "$CARBON_PICKLE_PYTHON" tests/carbon/picture.py "$WORK/carbon" "$PNG" "name=$tagged_name" --group-by room \
    --since $((RUN_START - 320)) --list-since $((RUN_START - 3600))
  if [ "$SERVE" = 1 ]; then
    section "carbon-cache and graphite-web keep running"
    echo "browse $GRAPHITE_URL/ (graphite-web), or the composer's URL above"
    echo "pickle receiver $TO; files in $WORK"
    echo "stop both: kill $(port harness_pid)   (the harness; carbon pid $(port pid), graphite-web pid $(port graphite_pid))"
  fi
else
  section "sent $EXPECTED datapoints to $TO (no local carbon: nothing to read back)"
fi
