#!/usr/bin/env bash
# Create (or reuse) the virtual environment with sqlglot and DuckDB for the
# Athena SQL tests (tests/athena.rs):
#
#   tests/athena/setup.sh VENV_DIR        e.g. tests/athena/setup.sh target/athena-venv
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../venv.sh" "$here/requirements.txt" "${1:-}" "import duckdb, sqlglot"
