"""`bootlab pxe-server`: the lab controller's dnsmasq for the inventory's PXE boards.

Serves every board with `deploy: {method: pxe, interface: IFACE}` on that interface (a
virtual board with an interface is a tap on that bridge; without one it uses QEMU's own
TFTP): each board's MAC gets DHCP/PXE answers and its own staged TFTP root (what
`bootlab boot --board` stages). Runs in the foreground until
SIGTERM/SIGINT; SIGHUP re-reads the inventory and reloads dnsmasq (boards added, removed).
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable

from rustux_bootlab.lab.board import Board, pxe_boards
from rustux_bootlab.lab.inventory import Inventory
from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_PASS
from rustux_bootlab.workers.state import state_root, tftp_root
from rustux_bootlab.workers.bootlab.common import UsageError, add_command, load
from rustux_bootlab.workers.deploy.pxe import Dnsmasq, LabNetwork


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "pxe-server", lambda a: serve(a, lambda: load(a.inventory)),
        help="run dnsmasq (DHCP/proxy-DHCP + TFTP) for the inventory's PXE boards",
        description="Run the lab's dnsmasq on INTERFACE for every physical board whose deploy is pxe on that\n"
        "interface: full DHCP (--pool) or proxy-DHCP (the boards' `dhcp:` setting), UEFI x86-64 only,\n"
        "each board served its own staged TFTP root. SIGHUP re-reads the inventory; SIGTERM stops.",
        examples=["bootlab pxe-server --interface lab0 --subnet 10.77.0.0/24",
                  "bootlab pxe-server --interface lab0 --subnet 10.77.0.0/24 --pool 10.77.0.100-10.77.0.199"],
        notes="Files: $BOOTLAB_STATE/pxe-<interface>/ (dnsmasq.conf, boards, dnsmasq.log, leases).")
    p.add_argument("--interface", required=True, help="the lab network's interface (deploy.interface of the boards)")
    p.add_argument("--subnet", required=True, help="the lab network, e.g. 10.77.0.0/24")
    p.add_argument("--pool", metavar="FIRST-LAST", help="addresses to hand out (full DHCP); without it: proxy-DHCP")
    p.add_argument("--user", help="user dnsmasq runs as (default: dnsmasq's own, nobody)")


def serve(args: argparse.Namespace, read_inventory: Callable[[], Inventory]) -> int:
    pool: tuple[str, str] | None = None
    if args.pool:
        first, _, last = args.pool.partition("-")
        if not first or not last:
            raise UsageError(f"--pool {args.pool}: expected FIRST-LAST, e.g. 10.77.0.100-10.77.0.199")
        pool = (first, last)
    boards = pxe_boards(read_inventory().boards.values(), args.interface)
    modes = {b.deploy.dhcp for b in boards}
    if pool is None and "full" in modes:
        raise UsageError(f"boards on {args.interface} want full DHCP: pass --pool FIRST-LAST")
    net = LabNetwork(args.interface, args.subnet, "full" if pool else "proxy", pool, args.user)
    dnsmasq = Dnsmasq(net, state_root() / f"pxe-{args.interface}")
    events: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _frame: events.append(signum))
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        try:
            dnsmasq.start()
        except RuntimeError as e:
            print(f"bootlab: {e}", file=sys.stderr)
            return EXIT_ERROR
        _sync(dnsmasq, boards)
        print(f"bootlab: pxe-server on {args.interface} ({net.dhcp} DHCP): {len(boards)} board(s): "
              f"{', '.join(b.name for b in boards) or 'none yet'}", file=sys.stderr, flush=True)
        while True:
            if events and events[-1] != signal.SIGHUP:
                return EXIT_PASS
            status = dnsmasq.proc.poll() if dnsmasq.proc is not None else None
            if status is not None:
                print(f"bootlab: dnsmasq exited with status {status}: see {dnsmasq.dir / 'dnsmasq.log'}", file=sys.stderr)
                return EXIT_ERROR
            if signal.SIGHUP in events:
                events.remove(signal.SIGHUP)
                boards = pxe_boards(read_inventory().boards.values(), args.interface)
                _sync(dnsmasq, boards)
                names = ", ".join(b.name for b in boards) or "no boards"
                print(f"bootlab: pxe-server reloaded: {names}", file=sys.stderr, flush=True)
            time.sleep(0.2)
    finally:
        dnsmasq.stop()
        for s, h in previous.items():
            signal.signal(s, h)


def _sync(dnsmasq: Dnsmasq, boards: list[Board]) -> None:
    wanted = {b.mac: tftp_root(b) for b in boards if b.mac}
    for root in wanted.values():
        root.mkdir(parents=True, exist_ok=True)  # a board not booted yet: an empty root, nothing to fetch
    dnsmasq.serve_only(wanted)
