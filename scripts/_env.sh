# Sourced by scripts/*: picks the Python (and so the Home Assistant line), then makes sure the
# line's virtual environment exists and matches its lock file.
#   PYTHON=/path/to/python  picks the interpreter; otherwise the newest suitable one on PATH or
#   in pyenv wins. Python >= 3.14.2 tests the current HA line, 3.13.x the HA 2025.4 line.

_pp_version() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }

# Prints the requirements line for a Python version, or nothing if it suits neither line.
_pp_line_for() {
  local major minor micro
  IFS=. read -r major minor micro <<<"$1"
  if [ "$major" -eq 3 ] && { [ "$minor" -gt 14 ] || { [ "$minor" -eq 14 ] && [ "$micro" -ge 2 ]; }; }; then
    echo "ha-2026.10"
  elif [ "$major" -eq 3 ] && [ "$minor" -eq 13 ]; then
    echo "ha-2025.4"
  fi
}

_pp_pick_python() {
  local best="" best_key=0 candidate version key
  local -a candidates=()
  for name in python3.15 python3.14 python3.13 python3; do
    command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
  done
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in "$pyenv_root"/versions/3.*/bin/python3; do
    [ -x "$candidate" ] && candidates+=("$candidate")
  done
  for candidate in "${candidates[@]}"; do
    version=$(_pp_version "$candidate") || continue
    [ -n "$(_pp_line_for "$version")" ] || continue
    IFS=. read -r major minor micro <<<"$version"
    key=$((major * 10000 + minor * 100 + micro))
    if [ "$key" -gt "$best_key" ]; then best=$candidate; best_key=$key; fi
  done
  echo "$best"
}

PP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PP_PYTHON=${PYTHON:-$(_pp_pick_python)}
if [ -z "$PP_PYTHON" ]; then
  echo "No suitable Python found: need 3.13.x (HA 2025.4) or >= 3.14.2 (current HA)." >&2
  exit 1
fi
PP_PY_VERSION=$(_pp_version "$PP_PYTHON") || { echo "Cannot run $PP_PYTHON" >&2; exit 1; }
PP_LINE=$(_pp_line_for "$PP_PY_VERSION")
if [ -z "$PP_LINE" ]; then
  echo "Python $PP_PY_VERSION ($PP_PYTHON) suits no supported HA line." >&2
  exit 1
fi
PP_LOCK="$PP_ROOT/scripts/requirements/$PP_LINE.txt"
PP_VENV="$PP_ROOT/.venv/$PP_LINE"
PP_STAMP="$PP_VENV/.prepaid_power-lock"
# The interpreter by its real path: python, python3 and python3.13 of one install are one.
pp_real_python=$("$PP_PYTHON" -c 'import os, sys; print(os.path.realpath(sys.executable))')
pp_wanted_stamp=$( { sha256sum "$PP_LOCK" | cut -d' ' -f1; echo "$pp_real_python $PP_PY_VERSION"; } )

if [ ! -f "$PP_STAMP" ] || [ "$(cat "$PP_STAMP")" != "$pp_wanted_stamp" ]; then
  echo "==> Creating $PP_VENV (Python $PP_PY_VERSION, $PP_LINE)" >&2
  rm -rf "$PP_VENV"
  "$PP_PYTHON" -m venv "$PP_VENV"
  "$PP_VENV/bin/python" -m pip install --quiet --upgrade pip
  "$PP_VENV/bin/python" -m pip install --quiet -r "$PP_LOCK" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$PP_VENV/bin/python" -m pip check >/dev/null 2>&1 || true
  "$PP_VENV/bin/python" -c "import homeassistant, pytest_homeassistant_custom_component, pymodbus" \
    || { echo "Installing $PP_LOCK failed" >&2; exit 1; }
  echo "$pp_wanted_stamp" > "$PP_STAMP"
fi
PP_BIN="$PP_VENV/bin"
echo "==> Python $PP_PY_VERSION, $PP_LINE ($PP_VENV)" >&2
