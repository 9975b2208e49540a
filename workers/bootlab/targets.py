"""`bootlab targets`: the inventory's QEMU targets."""
from __future__ import annotations

import argparse

from rustux_bootlab.lab.verdict import EXIT_PASS
from rustux_bootlab.workers.bootlab.common import add_command, load, print_table


def register(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "targets", _cmd_targets, help="list the inventory's targets",
                description="List the QEMU targets of the inventory.",
                examples=["bootlab targets", "bootlab targets --inventory other-lab.yaml"])


def _cmd_targets(args: argparse.Namespace) -> int:
    inventory = load(args.inventory, check_files=False)
    rows = [("TARGET", "MACHINE", "FIRMWARE", "ENVIRONMENT", "MEMORY", "ACCEL", "TIMEOUT", "WORKER", "ENABLED")]
    for t in inventory.targets.values():
        fw = f"{t.firmware.set_name or 'custom'}/{t.firmware.mode}{'+secure-boot' if t.secure_boot else ''}"
        rows.append((t.name, t.machine, fw, t.environment.name, f"{t.memory_mb} MiB", t.accel, f"{t.boot_timeout_s:g}s", ",".join(t.boot_workers),
                     "yes" if t.enabled else "no"))
    print_table(rows)
    return EXIT_PASS
