#!/usr/bin/env bash
# Create (or reuse) the Python virtual environment the Sigma oracle runs in.
#
#   tests/oracle/setup.sh VENV_DIR        e.g. tests/oracle/setup.sh target/oracle-venv
#
# Idempotent: when VENV_DIR already holds exactly the versions pinned in
# requirements.txt it does nothing. Otherwise it creates the venv if needed and
# installs the pins from PyPI. The interpreter is $PYTHON, else python3 (>= 3.11).
# Exit status 0 on success; on failure a line starting "oracle setup failed:"
# says what went wrong.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
requirements="$here/requirements.txt"
venv=${1:-}
python=${PYTHON:-python3}

fail() {
    echo "oracle setup failed: $*" >&2
    exit 1
}

[ -n "$venv" ] || fail "usage: $0 VENV_DIR"
[ -f "$requirements" ] || fail "missing $requirements"

# The oracle's own needs beyond packages: Python >= 3.11, SQLite with JSON >= 3.38.
check_runtime() {
    "$1" - <<'PY' || return 1
import sqlite3, sys

problems = []
if sys.version_info < (3, 11):
    problems.append(f"Python {sys.version.split()[0]} is too old (need >= 3.11)")
if sqlite3.sqlite_version_info < (3, 38, 0):
    problems.append(f"SQLite {sqlite3.sqlite_version} is too old (need >= 3.38)")
if problems:
    print("; ".join(problems), file=sys.stderr)
    sys.exit(1)
PY
}

command -v "$python" >/dev/null 2>&1 || fail "no '$python' on PATH (set PYTHON=/path/to/python3.11+)"
check_runtime "$python" || fail "'$python' cannot run the oracle (see the line above)"
exec "$here/../venv.sh" "$requirements" "$venv" "import sigma.backends.sqlite"
