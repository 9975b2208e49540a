"""Virtual boards: IPMI round trips, and power-on to the kernel's final milestone over SOL
via PXE and via USB, next to the same kernel on a plain QEMU target (`bootlab boot`).

Starts throw-away virtual boards on free loopback ports (own state and secrets dirs under a
temp dir), stages the ESP into the PXE root / writes it as the USB stick image, and per run:
boot override, power on (read back), wait for `[sh] ready` on the SOL stream
(the lab's SolConsole, its own IPMI user), power off (read back).

Usage: .venv/bin/python bench/vboard.py [--image build/esp] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rustux_bootlab.workers.artifacts.esp import build_esp_image  # noqa: E402
from rustux_bootlab.lab.inventory import load_inventory  # noqa: E402
from rustux_bootlab.workers import secrets  # noqa: E402
from rustux_bootlab.harness.local_lab import free_port  # noqa: E402
from rustux_bootlab.workers.state import tftp_root  # noqa: E402
from rustux_bootlab.workers.console.sol import SolConsole  # noqa: E402
from rustux_bootlab.workers.power.ipmi import IpmiPower  # noqa: E402
from rustux_bootlab.workers.vboard import manager  # noqa: E402

BOOTLAB = Path(sys.executable).parent / "bootlab"
FIRST_LINE = b"[rustux] Rustux"
FINAL_LINE = b"[sh] ready"

INVENTORY = """\
lab: {{name: vboard-bench}}
workers: {{local-qemu: {{kind: qemu}}}}
firmware: {{ovmf-4m: {{code: /usr/share/OVMF/OVMF_CODE_4M.fd, vars: /usr/share/OVMF/OVMF_VARS_4M.fd}}}}
targets:
boards:
  bench-pxe:
    worker: local-qemu
    mac: "52:54:00:b0:07:51"
    bmc: {{host: 127.0.0.1, port: {p1}, user: admin, password_secret: bench-pxe-bmc, min_interval_s: 0.1}}
    console: {{kind: sol, user: sol, password_secret: bench-pxe-sol}}
    deploy: {{method: pxe}}
    virtual: {{serial_port: {s1}}}
  bench-usb:
    worker: local-qemu
    mac: "52:54:00:b0:07:52"
    bmc: {{host: 127.0.0.1, port: {p2}, user: admin, password_secret: bench-usb-bmc, min_interval_s: 0.1}}
    console: {{kind: sol, user: sol, password_secret: bench-usb-sol}}
    deploy: {{method: usb, device: {usb}, mux: {{kind: virtual}}}}
    virtual: {{serial_port: {s2}}}
"""


def sol_boot(board, boot: str) -> tuple[float, float]:
    """Power on with `boot` override; seconds from the power-on request to the first and final kernel line."""
    creds = board.console.credentials
    sol = SolConsole(board.name, board.bmc.host, board.bmc.port, creds.user, secrets.resolve(creds.password_secret),
                     clock=time.monotonic)
    sol.open()
    power = IpmiPower.for_board(board)
    seen = b""
    try:
        power.set_boot(boot)
        start = time.monotonic()
        power.on()
        first = None
        while FINAL_LINE not in seen:
            if time.monotonic() - start > 120:
                raise SystemExit(f"{board.name}: no '{FINAL_LINE.decode()}' over SOL within 120 s")
            seen += b"".join(c for c in sol.read(0.05) if isinstance(c, bytes))
            if first is None and FIRST_LINE in seen:
                first = time.monotonic() - start
        final = time.monotonic() - start
        power.off()
        return first or final, final
    finally:
        sol.close()
        power.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", type=Path, default=REPO / "build" / "esp")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vboard-bench-"))
    os.environ["BOOTLAB_STATE"] = str(tmp / "state")
    os.environ["BOOTLAB_SECRETS"] = str(tmp / "secrets")
    inv_path = tmp / "lab-inventory.yaml"
    inv_path.write_text(INVENTORY.format(p1=free_port(socket.SOCK_DGRAM), s1=free_port(socket.SOCK_STREAM),
                                         p2=free_port(socket.SOCK_DGRAM), s2=free_port(socket.SOCK_STREAM),
                                         usb=tmp / "usb.img"))
    inventory = load_inventory(inv_path)
    pxe, usb = inventory.board("bench-pxe"), inventory.board("bench-usb")
    root = tftp_root(pxe)
    root.mkdir(parents=True)
    shutil.copyfile(args.image / "EFI" / "BOOT" / "BOOTX64.EFI", root / "bootx64.efi")
    build_esp_image(args.image, tmp / "usb.img")
    results: dict[str, list[tuple[float, float]]] = {"pxe": [], "usb": []}
    rtts: dict[str, list[float]] = {}
    try:
        for board in (pxe, usb):
            manager.start(board, inventory)
        for _ in range(args.runs):
            results["pxe"].append(sol_boot(pxe, "network"))
            results["usb"].append(sol_boot(usb, "disk"))
        power = IpmiPower.for_board(pxe)
        for _ in range(20):
            power.status()
        power.set_boot("network")
        power.on()
        power.off()
        for what, t in power.round_trips:
            rtts.setdefault(what, []).append(t)
        power.close()
    finally:
        for board in (pxe, usb):
            manager.stop(board)
    qemu = []
    for _ in range(args.runs):
        out = subprocess.run([str(BOOTLAB), "boot", "--target", "q35-pflash", "--image", str(args.image), "--json",
                              "--out", str(tmp / "qemu-boot")], cwd=REPO, capture_output=True, text=True, timeout=180)
        result = json.loads(out.stdout)
        qemu.append(result["milestones"][-1]["t"])
    shutil.rmtree(tmp, ignore_errors=True)

    def med(xs: list[float]) -> str:
        return f"{statistics.median(xs):.2f} s (min {min(xs):.2f}, max {max(xs):.2f}, n={len(xs)})"

    for way, runs in results.items():
        print(f"vboard {way}: power-on request to first kernel line {med([r[0] for r in runs])}; "
              f"to final milestone {med([r[1] for r in runs])}")
    print(f"plain QEMU target q35-pflash: QEMU start to final milestone {med(qemu)}")
    for what, ts in rtts.items():
        print(f"ipmi {what}: {statistics.median(ts) * 1000:.1f} ms median (max {max(ts) * 1000:.1f} ms, n={len(ts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
