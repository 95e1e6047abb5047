#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv with Python >= 3.12.
# Looks for an interpreter on PATH, then in pyenv; says exactly what is missing if none fits.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${GOVSIM_VENV:-.venv}
EXTRAS=${1:-dev}

fits() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  local c
  for c in "${GOVSIM_PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && fits "$(command -v "$c")"; then command -v "$c"; return 0; fi
  done
  local root
  root=$( (command -v pyenv >/dev/null 2>&1 && pyenv root) || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for c in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do
    if fits "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

stamp="$VENV/.installed-$EXTRAS"
if [ -x "$VENV/bin/python" ] && fits "$VENV/bin/python" && [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
  exit 0
fi

if ! PY=$(find_python); then
  cat >&2 <<MSG
error: no Python >= 3.12 found.
  Looked for: \$GOVSIM_PYTHON, python3.13, python3.12, python3 on PATH, and pyenv versions 3.12+.
  Mesa 3.5 needs Python >= 3.12. Install one (e.g. 'pyenv install 3.12') or set GOVSIM_PYTHON=/path/to/python3.12.
MSG
  exit 1
fi
echo "bootstrap: using $PY ($("$PY" -V 2>&1))" >&2
if [ ! -x "$VENV/bin/python" ] || ! fits "$VENV/bin/python"; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[$EXTRAS]"
touch "$stamp"
