#!/usr/bin/env bash
# record-goldens.sh - record tests/golden/results.json on the reference runtime.
#
#   plugins/record-goldens.sh            re-record every case in tests/golden/cases.json
#   plugins/record-goldens.sh --check    re-record and compare, write nothing (exit 1 on a difference)
#   plugins/record-goldens.sh --only kitchen.   only cases whose name starts with the prefix
#
# Creates a virtualenv (default /tmp/extism-goldens-venv; override with
# GOLDENS_VENV, e.g. GOLDENS_VENV=.venv-goldens, which .gitignore covers) and
# installs PyPI extism==1.1.1 (it brings extism-sys 1.41.0 = libextism 1.41.0).
# No wasm toolchain needed: the cases use the committed plugins/wasm/*.wasm.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${GOLDENS_VENV:-/tmp/extism-goldens-venv}
extism_version=1.1.1

if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating $venv"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('extism') != '$extism_version')" 2>/dev/null; then
  echo "==> pip install extism==$extism_version"
  "$venv/bin/pip" install -q "extism==$extism_version"
fi
exec "$venv/bin/python" "$here/record_goldens.py" "$@"
