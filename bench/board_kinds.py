"""Each board kind's boot split into power, deploy and boot, and the cost of a console reconnect.

Kinds: IPMI (ipmi_sim, ESP on a USB stick, SOL), Redfish (sushy-emulator + libvirt, ESP as
virtual media, RFC 2217 console behind ser2net), PDU (pdudaemon outlet, USB stick, raw TCP
console behind ser2net). Per run, a whole `bootlab boot --board`; from its record:
deploy = the deploy stage, power = every power action before power-on (off, override) plus
the power-on up to its read-back (a PDU has none: the request), boot = power-on to the final
milestone. The reconnect: ser2net kicks the console (another client with kickolduser), the
console reconnects; the gap it reports is the cost.

Usage: .venv/bin/python bench/board_kinds.py [--image build/esp] [--runs 1]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.lab.inventory import load_inventory  # noqa: E402
from rustux_bootlab.harness.local_lab import free_port  # noqa: E402
from rustux_bootlab.workers.console.base import ConsoleGap  # noqa: E402
from rustux_bootlab.workers.console.netconsole import NetConsole  # noqa: E402
from rustux_bootlab.workers.vboard import kinds  # noqa: E402

BOOTLAB = Path(sys.executable).parent / "bootlab"

INVENTORY = """\
lab: {{name: board-kinds-bench}}
workers: {{local-qemu: {{kind: qemu}}}}
firmware: {{ovmf-4m: {{code: /usr/share/OVMF/OVMF_CODE_4M.fd, vars: /usr/share/OVMF/OVMF_VARS_4M.fd}}}}
targets:
boards:
  bench-ipmi:
    worker: local-qemu
    milestones: {milestones}
    bmc: {{host: 127.0.0.1, port: {ipmi}, user: admin, password_secret: bench-ipmi-bmc, min_interval_s: 0.1}}
    console: {{kind: sol, user: sol, password_secret: bench-ipmi-sol}}
    deploy: {{method: usb, device: {tmp}/ipmi-usb.img, mux: {{kind: virtual}}}}
    virtual: {{serial_port: {ipmi_serial}}}
  bench-redfish:
    worker: local-qemu
    milestones: {milestones}
    bmc: {{protocol: redfish, host: 127.0.0.1, port: {redfish}, user: admin, password_secret: bench-redfish-bmc,
          ca: {tmp}/ca.pem, timeout_s: 10}}
    console: {{kind: rfc2217, host: 127.0.0.1, port: {redfish_console}}}
    deploy: {{method: virtual-media, serve: 127.0.0.1}}
    virtual: {{}}
  bench-pdu:
    worker: local-qemu
    milestones: {milestones}
    bmc: {{protocol: pdu, host: 127.0.0.1, port: {pdu}, pdu: vpdu, outlet: 1}}
    console: {{kind: tcp, host: 127.0.0.1, port: {pdu_console}}}
    deploy: {{method: usb, device: {tmp}/pdu-usb.img, mux: {{kind: virtual}}}}
    virtual: {{}}
"""
ON = ("power is on (read back", "outlet on accepted")


def split(record: dict, timeline: str) -> dict[str, float]:
    info = record["board"]
    deployed = re.search(r"deployed by \S+ in ([\d.]+)s", timeline)
    events = info["power"]
    first = events[0]["t"] if events else 0.0
    on = next(e["t"] for e in events if e["event"].startswith(ON))
    deploy = float(deployed.group(1)) if deployed else 0.0
    return {"power": on - first - deploy, "deploy": deploy, "boot": record["milestones"][-1]["t"],
            "total": record["duration_s"]}


def reconnect_cost(board, runs: int) -> list[float]:
    gaps = []
    start = time.monotonic()
    console = NetConsole(board.name, board.console.kind, board.console.host, board.console.port, board.console.baud,
                         lambda: time.monotonic() - start, retry_s=0.05)
    console.open()
    try:
        for _ in range(runs):
            with socket.create_connection((board.console.host, board.console.port)):
                while console.down_since is None:
                    console.read(0.02)
            got: list[ConsoleGap] = []
            while not got:
                got = [c for c in console.read(0.02) if isinstance(c, ConsoleGap)]
            gaps.append(got[0].end - got[0].start)
    finally:
        console.close()
    return gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=REPO / "build" / "esp")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="board-kinds-") as tmp_dir:
        tmp = Path(tmp_dir)
        os.environ.update(BOOTLAB_STATE=str(tmp / "state"), BOOTLAB_SECRETS=str(tmp / "secrets"))
        path = tmp / "inventory.yaml"
        path.write_text(INVENTORY.format(tmp=tmp, milestones=REPO / "kernel" / "milestones.yaml", ipmi=free_port(socket.SOCK_DGRAM), ipmi_serial=free_port(),
                                         redfish=free_port(), redfish_console=free_port(), pdu=free_port(),
                                         pdu_console=free_port()))
        inventory = load_inventory(path)
        print(f"{'board kind':<34} {'power s':>8} {'deploy s':>9} {'boot s':>7} {'total s':>8}")
        for board in inventory.boards.values():
            kind = kinds.for_board(board)
            kind.start(board, inventory)
            try:
                rows = []
                for run in range(args.runs):
                    out = tmp / f"{board.name}-{run}"
                    proc = subprocess.run([str(BOOTLAB), "boot", "--board", board.name, "--image", str(args.image),
                                           "--inventory", str(path), "--out", str(out), "--json"],
                                          capture_output=True, text=True, cwd=REPO)
                    if not proc.stdout.strip():
                        print(f"{board.name}: bootlab boot said nothing: {proc.stderr.strip()[-800:]}", file=sys.stderr)
                        return 1
                    record = json.loads(proc.stdout)
                    if record["verdict"] != "PASS":
                        print(f"{board.name}: {record['verdict']} {record['reason']}", file=sys.stderr)
                        return 1
                    rows.append(split(record, (out / "timeline.log").read_text()))
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                label = f"{board.bmc.protocol} / {board.deploy.method} / {board.console.kind}"
                print(f"{label:<34} {med['power']:>8.2f} {med['deploy']:>9.2f} {med['boot']:>7.2f} {med['total']:>8.2f}")
                if board.console.kind in ("rfc2217", "tcp"):
                    gaps = reconnect_cost(board, 5)
                    print(f"  {board.console.kind} console reconnect after a ser2net drop: median "
                          f"{statistics.median(gaps) * 1000:.0f} ms (max {max(gaps) * 1000:.0f}, n={len(gaps)})")
            finally:
                kind.stop(board)
    return 0


if __name__ == "__main__":
    sys.exit(main())
