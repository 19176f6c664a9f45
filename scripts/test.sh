#!/usr/bin/env bash
# Runs every check and test vigil has, on a fresh Debian machine or a
# developer's: formatting, lints, unit, property, snapshot, CLI,
# pseudo-terminal, real-Prometheus and real-MLflow tests. Installs what it
# needs first.
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
    echo "scripts/test.sh: cargo is not installed. Install Rust: curl https://sh.rustup.rs -sSf | sh" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        say "installing the $component component"
        rustup component add "$component"
    fi
done

# The integration tests start their own Prometheus and Alertmanager on free
# loopback ports (Debian packages; the binaries, not the system services),
# and an MLflow server from a virtualenv, which Debian's python3 can make
# only with python3-venv (it holds ensurepip).
missing=()
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || [ -x /usr/bin/prometheus-alertmanager ] || missing+=(prometheus-alertmanager)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} (Debian packages)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "scripts/test.sh: needs ${missing[*]}; as root run: apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "MLflow server (a virtualenv under ~/.cache/vigil, made once)"
mlflow_bin_dir="$(scripts/install-mlflow.sh)"
# tests/mlflow_live.rs runs exactly this one.
export VIGIL_MLFLOW_BIN="$mlflow_bin_dir/mlflow"

say "formatting"
cargo fmt --all -- --check

say "lints"
cargo clippy --locked --all-targets -- -D warnings

say "tests"
# INSTA_UPDATE=no: a snapshot that differs fails instead of writing a .snap.new.
INSTA_UPDATE=no cargo test --locked --all-targets

say "documentation tests"
cargo test --locked --doc
