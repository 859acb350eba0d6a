#!/usr/bin/env bash
# Create (or reuse) the virtual environment with moto's S3 server for the
# bucket tests (tests/s3.rs).
#
#   tests/s3/setup.sh VENV_DIR        e.g. tests/s3/setup.sh target/s3-venv
#
# Idempotent: when VENV_DIR already holds exactly the pins of
# requirements.txt it does nothing. The interpreter is $PYTHON, else python3.
# On failure a line starting "s3 setup failed:" says what went wrong.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements="$here/requirements.txt"
venv=${1:-}
python=${PYTHON:-python3}

fail() {
    echo "s3 setup failed: $*" >&2
    exit 1
}

[ -n "$venv" ] || fail "usage: $0 VENV_DIR"

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
command -v "$python" >/dev/null 2>&1 || fail "no '$python' on PATH"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" || fail "'$python -m venv $venv' did not work (on Debian/Ubuntu: apt-get install python3-venv)"
fi
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet --require-virtualenv -r "$requirements" ||
    fail "pip could not install $requirements into $venv (is PyPI reachable?)"
pins_satisfied || fail "installed packages in $venv still differ from $requirements"
"$venv/bin/python" -c "import moto.server, boto3" || fail "moto's server does not import in $venv"
echo "s3 venv ready: $venv"
