#!/usr/bin/env bash
# make demo-hosts: the lab across hosts on this machine. Network namespaces stand in for hosts
# (harness/host_lab.py): PostgreSQL, crossbar and the engine and ui masters (harness.cluster), the
# board controller (virtual boards) and QEMU_HOSTS QEMU worker hosts, each with its own address
# on a bridge; qemu-2 is a Debian 13 host (its worker runs Debian 13's QEMU and EDK2), so the
# boots cross environments. Boots the kernel on every target and board, then leaves it all running for the
# web UIs: `make demo-stop` stops it. Needs root (ip netns).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.demo-hosts
if [ "$(id -u)" != 0 ]; then
    echo "make demo-hosts: network namespaces need root: run it as root or with sudo" >&2
    exit 2
fi
OTHER=()
[ "${QEMU_HOSTS:-2}" -ge 2 ] && OTHER=(--host-environment qemu-2=debian13)
.venv/bin/python -m rustux_bootlab.harness.host_lab up "$DIR" --cluster --qemu-hosts "${QEMU_HOSTS:-2}" "${OTHER[@]}"
echo
echo "web users (also in $DIR/cluster/secrets/users):"
grep -v '^#' "$DIR/cluster/secrets/users" | awk '{printf "  %-10s %-10s %s\n", $1, $2, $3}'
echo
.venv/bin/python -m rustux_bootlab.harness.host_lab boot "$DIR"
echo
echo "the lab stays up (the same builds on both masters' web UIs); make demo-stop stops it"
