#!/usr/bin/env bash
# make demo: a Buildbot master, a QEMU worker and a worker per virtual board under .demo/
# (git-ignored), the inventory's virtual boards (ipmi_sim + QEMU, state in .demo/state), the
# committed HEAD of this checkout's `main` built once and booted on every enabled QEMU target
# and board, a table of verdicts, the master's golden builders booting it on every compatibility
# lane (Debian 13, U-Boot, Secure Boot) and their table, then the web UI until Ctrl-C.
# scripts/demo-stop.sh stops it all from elsewhere.
# Credentials are generated into .demo/secrets on the first run and printed that once.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DEMO=.demo
WEB_PORT=${BOOTLAB_WEB_PORT:-8010}

if [ ! -x "$PY" ]; then
    scripts/install-deps.sh
fi
if [ -e "$DEMO/master/twistd.pid" ]; then
    echo "demo: already running (web UI http://localhost:$WEB_PORT/); scripts/demo-stop.sh stops it" >&2
    exit 1
fi
if [ ! -e "$DEMO/env" ]; then
    # GitPoller every 60 s: a new commit on main builds and boots by itself
    "$PY" -m rustux_bootlab.harness.local_lab create "$DEMO" --web-port "$WEB_PORT" --poll 60
    echo "demo: these passwords are printed only now; they stay in $DEMO/secrets/users"
else
    echo "demo: reusing $DEMO (web users and passwords: $DEMO/secrets/users)"
fi

trap 'echo; echo "demo: stopping"; scripts/demo-stop.sh' EXIT
trap 'exit 130' INT TERM
"$PY" -m rustux_bootlab.harness.local_lab start "$DEMO"
echo "demo: building $(git rev-parse --short main) (main) for x86_64 and aarch64 and booting it on every QEMU target (virt-aavmf: arm64) and board..."
"$PY" -m rustux_bootlab.harness.local_lab boot "$DEMO" || echo "demo: not every boot passed: see the web UI for the boot records"
echo "demo: the kernel that passed on q35, booted by the master's golden builders on the other environment (Debian 13's QEMU and EDK2), U-Boot and the Secure Boot lanes..."
"$PY" -m rustux_bootlab.harness.local_lab lanes "$DEMO" || echo "demo: not every lane passed: see the golden/ builders in the web UI"
echo "demo: running until Ctrl-C; web UI http://localhost:$WEB_PORT/ (log in to force builds); lab dashboard: \"Boot lab\" in its menu, http://localhost:$WEB_PORT/#/bootlab"
# Until Ctrl-C, or until `make demo-stop` elsewhere removes the master's pid file. `wait`
# (unlike a foreground sleep) returns at once when a signal arrives, so the traps run.
while [ -e "$DEMO/master/twistd.pid" ]; do sleep 2 & wait $!; done
echo "demo: the master has stopped"

