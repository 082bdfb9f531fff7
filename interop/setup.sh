#!/usr/bin/env bash
# Installs the reference Chia node (chia-blockchain + chia_rs) into a private venv for interop runs.
# Idempotent: reuses the venv when it already holds the wanted chia-blockchain version.
# Env: CHIA_VERSION (default 2.7.5, the newest 2.7.x on PyPI when this was written), PYTHON (default python3),
#      INTEROP_DIR (default <repo>/.interop).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
CHIA_VERSION="${CHIA_VERSION:-2.7.5}"
PYTHON="${PYTHON:-python3}"
INTEROP_DIR="${INTEROP_DIR:-$repo/.interop}"
VENV="$INTEROP_DIR/venv"

# Run a command; on failure print the exact command and its exit code, then stop.
run() {
  echo "+ $*"
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "setup.sh: FAILED (exit $rc): $*" >&2
    exit "$rc"
  fi
}

installed_version() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - <<'PY' 2>/dev/null
from importlib.metadata import version
print(version("chia-blockchain"))
PY
}

start=$(date +%s)
have="$(installed_version || true)"
if [ "$have" = "$CHIA_VERSION" ]; then
  echo "setup.sh: reusing $VENV (chia-blockchain $have already installed)"
else
  if [ -x "$VENV/bin/python" ]; then
    echo "setup.sh: venv $VENV present with chia-blockchain '${have:-none}', want $CHIA_VERSION: installing into it"
  else
    echo "setup.sh: creating venv $VENV with $($PYTHON --version 2>&1)"
    run mkdir -p "$INTEROP_DIR"
    run "$PYTHON" -m venv "$VENV"
  fi
  run "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
  run "$VENV/bin/python" -m pip install --disable-pip-version-check -q "chia-blockchain==$CHIA_VERSION"
fi

# Sanity: the packages import and the entry points exist.
run "$VENV/bin/python" -c "import chia, chia_rs; from importlib.metadata import version as v; \
print('chia-blockchain', v('chia-blockchain'), '| chia_rs', v('chia_rs'))"
for exe in chia chia_full_node; do
  [ -x "$VENV/bin/$exe" ] || { echo "setup.sh: FAILED: missing entry point $VENV/bin/$exe" >&2; exit 1; }
done
echo "setup.sh: done in $(( $(date +%s) - start )) s; venv: $VENV"
