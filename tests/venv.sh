#!/usr/bin/env bash
# Create (or reuse) a Python virtual environment holding exactly the pins of
# a requirements file: the test tools (the Sigma oracle, moto's S3 server).
#
#   tests/venv.sh REQUIREMENTS VENV_DIR 'python statement that must run'
#
# Idempotent: when VENV_DIR already holds every pin it does nothing. The
# interpreter is $PYTHON, else python3. On failure a line starting
# "venv setup failed:" says what went wrong.
set -euo pipefail

requirements=${1:-}
venv=${2:-}
check=${3:-pass}
python=${PYTHON:-python3}

fail() {
    echo "venv setup failed: $*" >&2
    exit 1
}

[ -n "$requirements" ] && [ -n "$venv" ] || fail "usage: $0 REQUIREMENTS VENV_DIR [CHECK]"
[ -f "$requirements" ] || fail "missing $requirements"

# True when the venv's interpreter has every pin of the requirements, exactly.
pins_satisfied() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$requirements" <<'PY' 2>/dev/null
import sys
from importlib import metadata

for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, version = line.split("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PY
}

if pins_satisfied; then
    exit 0
fi

command -v "$python" >/dev/null 2>&1 || fail "no '$python' on PATH (set PYTHON=/path/to/python3)"
if [ -f "$venv/pyvenv.cfg" ] && ! "$venv/bin/python" -c "" 2>/dev/null; then
    echo "recreating broken venv in $venv" # e.g. its Python was removed
    "$python" -m venv --clear "$venv" || fail "could not recreate the venv in $venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "creating venv in $venv"
    "$python" -m venv "$venv" ||
        fail "'$python -m venv $venv' did not work (on Debian/Ubuntu: apt-get install python3-venv)"
fi

echo "installing $requirements into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet \
    --require-virtualenv -r "$requirements" ||
    fail "pip could not install $requirements into $venv (is PyPI reachable?)"

pins_satisfied || fail "installed packages in $venv still differ from $requirements"
"$venv/bin/python" -c "$check" || fail "'$check' does not run in $venv"
echo "venv ready: $venv"
