"""`bootlab`: boot an EFI image on a lab target, list targets, inspect firmware.

Exit status: 0 PASS, 1 FAIL, 2 usage or config error, 3 ERROR, 4 MISS
(`inspect-firmware`: 0 all good, 3 problems found).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from lab.firmware import inspect_firmware
from lab.inventory import Inventory, InventoryError, load_inventory
from lab.milestones import SpecError, load_spec
from lab.verdict import EXIT_ERROR, EXIT_PASS, EXIT_USAGE, Culprit, Outcome, Verdict
from workers import bisectcli, boardcli, healthcli, kcidbcli
from workers.board import command as board_command
from workers.boot import BootRequest, with_overrides
from workers.interrupt import interruptible
from workers.progress import MachineProgress, TerminalProgress
from workers.record import BootRecord, write_result
from workers.triage import boot_with_triage

DEFAULT_INVENTORY = Path("lab-inventory.yaml")

BOOT_EXAMPLES = """\
examples:
  bootlab boot --target q35-pflash --image build/esp
  bootlab boot --target pc-bios --image build/esp/EFI/BOOT/BOOTX64.EFI --timeout 30
  bootlab boot --target q35-pflash --image build/variants/silent/esp --baseline build/esp --json
  bootlab boot --target q35-pflash --image build/esp --firmware-code ~/OVMF_CODE.fd --firmware-vars ~/OVMF_VARS.fd

boot record (--out): result.json, timeline.log (all channels on one clock, ms since
QEMU start), debugcon.log, serial.log, firmware.log, qemu.log, screen.png (when QEMU
was still running at the end), baseline/ (when --baseline was booted).

exit status: 0 PASS, 1 FAIL (the kernel is at fault), 2 usage/config error,
             3 ERROR (firmware/host/lab at fault), 4 MISS (target disabled, board held, or quarantined)
An image without EFI/BOOT/BOOTX64.EFI is ERROR (lab): the artifact is broken, it was
never booted, so its code cannot have failed.
"""


class UsageError(Exception):
    """A command-line or configuration problem: one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, InventoryError, SpecError) as exc:
        print(f"bootlab: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # a crash must never exit 1, which means FAIL: the kernel's fault
        traceback.print_exc()
        print("bootlab: internal error (traceback above): a lab bug, not a kernel failure", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bootlab",
        description="Boot EFI images on the Rustux Boot Lab's targets and say whose fault a failure is.",
        epilog="examples:\n  bootlab targets\n  bootlab boot --target q35-pflash --image build/esp\n"
        "  bootlab inspect-firmware /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd\n\n"
        "`bootlab COMMAND --help` shows each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    boot = sub.add_parser(
        "boot",
        help="boot an image on a target and write a boot record",
        description="Boot an EFI image on a QEMU target: check the firmware, capture every channel,\n"
        "match the milestones, stop as soon as the verdict is known, write the boot record.",
        epilog=BOOT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = boot.add_mutually_exclusive_group(required=True)
    where.add_argument("--target", metavar="NAME", help="target name from the inventory (see `bootlab targets`)")
    where.add_argument("--board", metavar="NAME", help="board name from the inventory (see `bootlab boards`)")
    boot.add_argument("--image", required=True, type=Path, metavar="PATH", help="ESP directory, .efi file, or FAT image")
    _inventory_option(boot)
    boot.add_argument("--milestones", type=Path, metavar="FILE", help="milestone spec (default: the target's, kernel/milestones.yaml)")
    boot.add_argument("--out", type=Path, metavar="DIR", help="boot record directory (default: build/boots/<target>-<timestamp>)")
    boot.add_argument("--baseline", type=Path, metavar="PATH", help="last known-good image: booted on the same target if --image FAILs")
    boot.add_argument("--firmware-code", type=Path, metavar="FILE", help="pflash CODE image instead of the target's")
    boot.add_argument("--firmware-vars", type=Path, metavar="FILE", help="pflash VARS template (copied fresh per boot)")
    boot.add_argument("--firmware-bios", type=Path, metavar="FILE", help="boot with -bios FILE instead of pflash")
    boot.add_argument("--machine", choices=("pc", "q35"), help="QEMU machine type instead of the target's")
    boot.add_argument("--accel", choices=("auto", "kvm", "tcg"), help="accelerator instead of the target's")
    boot.add_argument("--timeout", type=float, metavar="SECONDS", help="global boot timeout (default: the target's)")
    boot.add_argument("--json", action="store_true", help="print result.json on stdout; progress as machine lines on stderr")
    boot.set_defaults(func=lambda a: healthcli.guarded_boot(a, _cmd_boot))

    targets = sub.add_parser(
        "targets",
        help="list the inventory's targets",
        description="List the QEMU targets of the inventory.",
        epilog="examples:\n  bootlab targets\n  bootlab targets --inventory other-lab.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _inventory_option(targets)
    targets.set_defaults(func=_cmd_targets)

    inspect = sub.add_parser(
        "inspect-firmware",
        help="check firmware images (OVMF) the way every boot does",
        description="Check firmware images: exists, plausible size, not zero-filled, firmware-volume\n"
        "header, CODE/VARS pairing; print identity (size, sha256). Exit 0 if all good, 3 if not.",
        epilog="examples:\n  bootlab inspect-firmware /usr/share/ovmf/OVMF.fd\n"
        "  bootlab inspect-firmware /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd\n\n"
        "Roles come from the file names: *CODE* is code, *VARS* is vars, anything else is a -bios image.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inspect.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="firmware image (OVMF_CODE*, OVMF_VARS*, OVMF.fd, ...)")
    inspect.set_defaults(func=_cmd_inspect)
    boardcli.add_commands(sub, _inventory_option, _load_inventory)
    healthcli.add_commands(sub, _inventory_option, _load_inventory)
    board_command.add_commands(sub, _inventory_option, _load_inventory)
    bisectcli.add_commands(sub, _inventory_option, _load_inventory)
    kcidbcli.add_commands(sub, _inventory_option, _load_inventory)
    return parser


def _inventory_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inventory", type=Path, default=DEFAULT_INVENTORY, metavar="FILE",
                        help="lab inventory (default: ./lab-inventory.yaml)")


def _cmd_targets(args: argparse.Namespace) -> int:
    inventory = _load_inventory(args.inventory, check_files=False)
    rows = [("TARGET", "MACHINE", "FIRMWARE", "MEMORY", "ACCEL", "TIMEOUT", "WORKER", "ENABLED")]
    for t in inventory.targets.values():
        fw = f"{t.firmware.set_name or 'custom'}/{t.firmware.mode}"
        rows.append((t.name, t.machine, fw, f"{t.memory_mb} MiB", t.accel, f"{t.boot_timeout_s:g}s", t.worker,
                     "yes" if t.enabled else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return EXIT_PASS


def _cmd_inspect(args: argparse.Namespace) -> int:
    worst = EXIT_PASS
    for group in _firmware_groups(args.paths):
        report = inspect_firmware(**group)
        print(report.render())
        worst = worst if report.ok else EXIT_ERROR
    return worst


def _firmware_groups(paths: list[Path]) -> list[dict[str, Path]]:
    """One CODE with one VARS is checked as a pair; each other file on its own."""
    codes = [p for p in paths if "CODE" in p.name.upper()]
    varss = [p for p in paths if "VARS" in p.name.upper()]
    groups: list[dict[str, Path]] = []
    if len(codes) == 1 and len(varss) == 1:
        groups.append({"code": codes[0], "vars": varss[0]})
    else:
        groups += [{"code": p} for p in codes] + [{"vars": p} for p in varss]
    groups += [{"bios": p} for p in paths if p not in codes and p not in varss]
    return groups


def _cmd_boot(args: argparse.Namespace) -> int:
    # Firmware files are checked by inspection, so a missing one is ERROR/firmware, not a config error.
    inventory = _load_inventory(args.inventory, check_files=False)
    if args.board:
        return board_command.board_boot(args, inventory)
    target = inventory.target(args.target)
    target = with_overrides(target, code=args.firmware_code, vars=args.firmware_vars, bios=args.firmware_bios,
                            machine=args.machine, accel=args.accel)
    spec_path = args.milestones or target.milestones
    if not spec_path.exists():
        raise UsageError(f"milestone spec {spec_path} does not exist: pass --milestones FILE or fix the target's milestones")
    spec = load_spec(spec_path)
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g}: must be a positive number of seconds")
    if not args.image.exists():
        raise UsageError(f"--image {args.image} does not exist: build it first (make kernel) or fix the path")
    if args.baseline is not None and not args.baseline.exists():
        raise UsageError(f"--baseline {args.baseline} does not exist: pass a known-good image")
    out = args.out or Path("build/boots") / f"{target.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() and not args.json else MachineProgress(sys.stderr)
    request = BootRequest(target=target, image=args.image, spec=spec, out=out,
                          timeout_s=args.timeout or target.boot_timeout_s)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory: pass a directory for the boot record")
    if not target.enabled:
        outcome = Outcome(Verdict.MISS, Culprit.LAB, f"target {target.name} is disabled in the inventory", None)
        return _without_boot(request, outcome, progress, args.json)
    with interruptible() as interrupt:
        try:
            result = boot_with_triage(request, args.baseline, progress, interrupt)
        except Exception as exc:  # a runner bug: the record must say ERROR/lab, never FAIL
            traceback.print_exc()
            reason = f"bootlab crashed ({type(exc).__name__}: {exc}): a lab bug, traceback on stderr"
            return _without_boot(request, Outcome(Verdict.ERROR, Culprit.LAB, reason, None), progress, args.json)
    progress.verdict(result.outcome)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        progress.event(f"boot record: {result.out}")
    return result.outcome.exit_code


def _without_boot(request: BootRequest, outcome: Outcome, progress: MachineProgress, as_json: bool) -> int:
    """A record for a boot that was not attempted (MISS) or that the runner could not finish."""
    record = BootRecord(outcome, request.target.name, {"path": str(request.image), "sha256": None}, {}, {},
                        milestones_total=len(request.spec.milestones))
    request.out.mkdir(parents=True, exist_ok=True)
    write_result(request.out, record.to_dict())
    progress.verdict(outcome)
    if as_json:
        print(json.dumps(record.to_dict(), indent=2))
    return outcome.exit_code


def _load_inventory(path: Path, check_files: bool = True) -> Inventory:
    if not path.exists():
        raise UsageError(f"inventory {path} does not exist: run from the repository root or pass --inventory FILE")
    return load_inventory(path, check_files=check_files)
