#!/usr/bin/env bash
# Installs the MLflow registry server the integration tests start, in a
# virtualenv outside the checkout so reruns are quick:
#   ~/.cache/vigil/mlflow-<version>/bin/mlflow
# The lean set (mlflow-skinny and the server's own imports) serves the whole
# registry REST API in ~24 s and ~350 MB instead of ~52 s and ~850 MB.
#
#   scripts/install-mlflow.sh        # prints the venv's bin directory
set -euo pipefail

version="3.17.2"
venv="${VIGIL_CACHE_DIR:-$HOME/.cache/vigil}/mlflow-$version"

if [ -x "$venv/bin/mlflow" ] && [ -f "$venv/.complete" ]; then
    echo "$venv/bin"
    exit 0
fi

# Debian ships the venv module without ensurepip (that is python3-venv):
# `python3 -m venv --help` works there, making a virtualenv does not.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "scripts/install-mlflow.sh: python3 with venv and ensurepip is needed; as root run: apt-get install -y python3-venv" >&2
    exit 1
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "mlflow-skinny==$version" flask flask-cors sqlalchemy alembic uvicorn aiohttp pandas >&2
# Marks a finished install: an interrupted one is redone, never half-used.
touch "$venv/.complete"
echo "$venv/bin"
