"""`bootlab inspect-firmware PATH...`: check firmware images the way every boot does.

Exit status 0 all good, 3 problems found.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from rustux_bootlab.lab.aavmf import inspect_aavmf
from rustux_bootlab.lab.firmware import inspect_firmware
from rustux_bootlab.lab.verdict import EXIT_ERROR, EXIT_PASS
from rustux_bootlab.workers.bootlab.common import add_command


def register(sub: argparse._SubParsersAction) -> None:
    inspect = add_command(
        sub, "inspect-firmware", _cmd_inspect, inventory=False,
        help="check firmware images (OVMF) the way every boot does",
        description="Check firmware images: exists, plausible size, not zero-filled, firmware-volume\n"
        "header, CODE/VARS pairing; print identity (size, sha256). Exit 0 if all good, 3 if not.",
        examples=["bootlab inspect-firmware /usr/share/ovmf/OVMF.fd",
                  "bootlab inspect-firmware /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd",
                  "bootlab inspect-firmware /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/AAVMF/AAVMF_VARS.fd"],
        notes="Roles come from the file names: *CODE* is code, *VARS* is vars, anything else is a -bios image;\n"
        "an AAVMF_CODE* + *VARS* pair is checked as arm64 virt's firmware (lab/aavmf.py).")
    inspect.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="firmware image (OVMF_CODE*, OVMF_VARS*, OVMF.fd, ...)")


def _cmd_inspect(args: argparse.Namespace) -> int:
    worst = EXIT_PASS
    for group in _firmware_groups(args.paths):
        aavmf = "code" in group and "vars" in group and "AAVMF" in group["code"].name.upper()
        report = (inspect_aavmf(group["code"], group["vars"]) if aavmf
                  else inspect_firmware(code=group.get("code"), vars=group.get("vars"), bios=group.get("bios")))
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
