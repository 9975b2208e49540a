#!/usr/bin/env bash
# Stops the demo's master, workers and virtual boards (safe to run when they are not running).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -e .demo/env ]; then
    .venv/bin/python -m steps.local_lab stop .demo
fi
