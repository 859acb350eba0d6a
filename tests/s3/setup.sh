#!/usr/bin/env bash
# Create (or reuse) the virtual environment with moto's S3 server for the
# bucket tests (tests/s3.rs):
#
#   tests/s3/setup.sh VENV_DIR        e.g. tests/s3/setup.sh target/s3-venv
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../venv.sh" "$here/requirements.txt" "${1:-}" "import moto.server, boto3"
