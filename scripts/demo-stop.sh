#!/usr/bin/env bash
# Stops the demo's master, workers and virtual boards, and the lab across hosts of
# `make demo-hosts` (its namespaces and bridge too); safe to run when they are not running.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -e .demo/env ]; then
    .venv/bin/python -m rustux_bootlab.harness.local_lab stop .demo
fi
if [ -e .demo-hosts/plan.json ]; then
    .venv/bin/python -m rustux_bootlab.harness.host_lab down .demo-hosts
fi
