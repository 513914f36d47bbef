#!/usr/bin/env bash
# The READMEs' shell blocks marked `<!-- run: sh -->`, run exactly as shown (called by scripts/test.sh, part docs).
#
# The blocks come from `python3 scripts/readme-examples.py extract sh`, so a block marked for this runner cannot
# be skipped. Each runs with `bash -euo pipefail -c` from the root of a scratch copy of the working tree (what a
# clone holds, plus uncommitted changes; node_modules linked, cargo's target directory shared), so files a block
# writes (`> frames.bin`) never land in the checkout. A block passes when it exits 0; the files it made are
# listed, and a `*.bin` one must be frames the core's inspector reads (the README hands frames.bin to
# `--example inspect`). The copy is removed at the end.
#
# Usage: scripts/readme-sh.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
command -v cargo >/dev/null || bash scripts/setup.sh core
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/carbon-pickle-readme-sh.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
say() { printf -- '--- %s\n' "$*" >&2; }

# The blocks, one file each (NUL-free text), with their place: $TMP/blocks/N.sh and N.where.
mkdir "$TMP/blocks"
python3 scripts/readme-examples.py extract sh | python3 -c '
import json, sys
for n, b in enumerate(json.load(sys.stdin)):
    open(f"{sys.argv[1]}/{n}.sh", "w").write(b["code"])
    open(f"{sys.argv[1]}/{n}.where", "w").write("%s:%d" % (b["file"], b["line"]))
' "$TMP/blocks"
count="$(find "$TMP/blocks" -name '*.sh' | wc -l)"
if [ "$count" -eq 0 ]; then
  echo "readme-sh: no README block is marked <!-- run: sh -->" >&2
  exit 1
fi

# The scratch copy: tracked and untracked files that are not ignored (and still exist).
COPY="$TMP/repo"
mkdir "$COPY"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$COPY"
for d in "$ROOT"/*/node_modules; do
  [ -d "$d" ] && ln -s "$d" "$COPY/${d#"$ROOT"/}"
done
listing() { (cd "$COPY" && find . -path ./.git -prune -o -type f -print | sort); }
INSPECT=""

failed=0
for ((n = 0; n < count; n++)); do
  where="$(cat "$TMP/blocks/$n.where")"
  say "$where"
  sed 's/^/    $ /' "$TMP/blocks/$n.sh" >&2
  listing >"$TMP/before"
  if ! (cd "$COPY" && bash -euo pipefail -c "$(cat "$TMP/blocks/$n.sh")"); then
    echo "readme-sh: $where failed" >&2
    failed=1
    continue
  fi
  listing >"$TMP/after"
  while IFS= read -r f; do
    echo "    wrote ${f#./} ($(stat -c %s "$COPY/$f") bytes)" >&2
    case "$f" in
      *.bin)
        if [ -z "$INSPECT" ]; then
          cargo build -q -p carbon-pickle --example inspect
          INSPECT="$CARGO_TARGET_DIR/debug/examples/inspect"
        fi
        if [ ! -s "$COPY/$f" ] || ! "$INSPECT" <"$COPY/$f" >"$TMP/inspect.out" 2>&1 \
          || ! grep -Eq '^Summary \{ frames: [1-9][0-9]*, refused: 0,' "$TMP/inspect.out"; then
          cat "$TMP/inspect.out" >&2
          echo "readme-sh: $where wrote ${f#./}, which the inspector does not read as frames" >&2
          failed=1
        else
          sed 's/^/      /' "$TMP/inspect.out" >&2
        fi
        ;;
    esac
  done < <(comm -13 "$TMP/before" "$TMP/after")
done
[ "$failed" = 0 ] || exit 1
say "$count README shell block(s) ran as shown"
