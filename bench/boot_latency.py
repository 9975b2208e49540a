"""Boot latency: how much wall time `bootlab boot` adds to the boot itself, next to the
fixed-timeout script the original project used (`timeout 30 qemu ...` with file capture).

It prints, on the same target and image:
  - QEMU start to the final milestone (from result.json: the boot itself, ended by the
    deciding line), the `bootlab boot` wall time, their ratio and the difference (Python
    start, inventory and spec, firmware check, ESP image, teardown): a first boot, then
    --repeat more (the ESP image cached by content, and QEMU started early from the first
    boot's plan before the lab is imported: workers/qemu/earlystart.py; as for every boot
    of an image after its first on a worker); the goal (at most 1.03) is for the median of
    the repeats,
  - the fixed-timeout script's wall time and its ratio,
and the same for a kernel that hangs (build/variants/hang-after-heap, when built), where
the script waits out its whole timeout and bootlab stops at the milestone's deadline (learned
from the target's passing boots once there are enough: bench/deadlines.py).
Boots use a private state directory: the hanging kernel's deadlines are learned from the
passing boots just measured. The script boots q35 + OVMF pflash like the original did, so the target is fixed to the
inventory's q35-pflash. The script's ratio divides by the bootlab run's boot time
(two runs of the same boot: expect a few per cent of noise).

Bytecode is compiled first (`compileall`): this environment may set PYTHONDONTWRITEBYTECODE,
and a worker that boots all day has its bytecode.

Usage: .venv/bin/python bench/boot_latency.py [--image build/esp] [--repeat 3] [--hang VARIANT | --no-hang]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOOTLAB = Path(sys.executable).parent / "bootlab"
GOAL = 1.03
TARGET = "q35-pflash"  # what FIXED_TIMEOUT_SCRIPT boots
SCRIPT_TIMEOUT_S = 30
FINAL_LINE = b"[sh] ready"

# The original project's runner: a fixed timeout, captures to files, grep afterwards.
FIXED_TIMEOUT_SCRIPT = """\
cp /usr/share/OVMF/OVMF_VARS_4M.fd vars.fd
timeout {timeout} qemu-system-x86_64 -machine q35 -accel tcg -m 256 -nographic -no-reboot \\
  -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \\
  -drive if=pflash,format=raw,file=vars.fd -drive format=raw,file=fat:rw:{esp} \\
  -debugcon file:debugcon.log -device isa-debug-exit,iobase=0xf4,iosize=0x04 \\
  -serial file:serial.log -monitor none
grep -q '{final}' debugcon.log
"""


def bootlab_boot(target: str, image: Path, out: Path, state: Path) -> tuple[float, dict]:
    start = time.monotonic()
    proc = subprocess.run([str(BOOTLAB), "boot", "--target", target, "--image", str(image), "--out", str(out), "--json"],
                          cwd=REPO, capture_output=True, text=True, env=dict(os.environ, BOOTLAB_STATE=str(state)))
    wall = time.monotonic() - start
    if not proc.stdout.strip():
        sys.exit(f"bootlab boot produced no result (exit {proc.returncode}): {proc.stderr.strip()}")
    return wall, json.loads(proc.stdout)


def fixed_timeout_script(esp: Path, work: Path) -> tuple[float, bool]:
    copy = work / "esp"
    shutil.copytree(esp, copy)  # fat:rw writes to the directory: never the build output
    script = FIXED_TIMEOUT_SCRIPT.format(timeout=SCRIPT_TIMEOUT_S, esp=copy, final=FINAL_LINE.decode().replace("[", "\\["))
    start = time.monotonic()
    proc = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True)
    return time.monotonic() - start, proc.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="example:\n  .venv/bin/python bench/boot_latency.py --no-hang")
    parser.add_argument("--image", type=Path, default=REPO / "build" / "esp")
    parser.add_argument("--hang", metavar="VARIANT", default="hang-after-heap",
                        help="hanging variant from build/variants/ (default: hang-after-heap)")
    parser.add_argument("--no-hang", dest="hang", action="store_const", const=None, help="skip the hanging kernel")
    parser.add_argument("--repeat", type=int, default=3, help="boots after the first (default: 3)")
    args = parser.parse_args()
    args.target = TARGET
    if not (args.image / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        sys.exit(f"{args.image} has no EFI/BOOT/BOOTX64.EFI: run make kernel")

    subprocess.run([sys.executable, "-m", "compileall", "-q", "lab", "workers"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="bench-boot-") as tmp:
        work = Path(tmp)
        runs = []
        for i in range(1 + args.repeat):
            wall, result = bootlab_boot(args.target, args.image, work / f"record-{i}", work / "state")
            if result["verdict"] != "PASS":
                sys.exit(f"the kernel did not PASS on {args.target}: {result['verdict']} {result['reason']}")
            runs.append((wall, result["milestones"][-1]["t"], result["image"]["esp"].get("cached"),
                         result["qemu"].get("early_start")))
        print(f"boot latency on {args.target} ({result['qemu']['accel']}), {args.image}")
        print("                   QEMU start -> final milestone   bootlab wall time   ratio   overhead")
        for i, (wall, boot, cached, early) in enumerate(runs):
            what = "first boot" if i == 0 else f"repeat {i}"
            print(f"  {what:12} {'(ESP cached)' if cached else '(ESP built) '}   {boot:7.2f} s {wall:15.2f} s {wall / boot:11.3f} "
                  f"{wall - boot:7.2f} s{'  QEMU started early' if early else ''}")
        repeats = sorted(runs[1:] or runs, key=lambda r: r[0] / r[1])
        wall, boot, _, _ = repeats[len(repeats) // 2]
        ratio = wall / boot
        print(f"  median ratio of {len(repeats)} boot(s)              {ratio:.3f}  (goal <= {GOAL:.2f}: {'met' if ratio <= GOAL else 'NOT met'})")
        (work / "script").mkdir()
        script_wall, script_ok = fixed_timeout_script(args.image, work / "script")
        print(f"  fixed-timeout script wall time       {script_wall:7.2f} s   ratio {script_wall / boot:.3f}  "
              f"(timeout {SCRIPT_TIMEOUT_S} qemu ...; final line {'found' if script_ok else 'NOT found'})")

        esp = REPO / "build" / "variants" / str(args.hang) / "esp"
        if args.hang and not esp.is_dir():
            print(f"hanging kernel: {esp} not built (make variants): skipped")
        elif args.hang:
            hang_wall, hang = bootlab_boot(args.target, esp, work / "hang", work / "state")
            (work / "hang-script").mkdir()
            hang_script_wall, _ = fixed_timeout_script(esp, work / "hang-script")
            known = hang["milestones"][-1]["t"] if hang["milestones"] else 0.0
            print(f"hanging kernel ({args.hang}): {hang['verdict']} ({hang['culprit']}): {hang['reason']}")
            print(f"  last milestone at                    {known:7.2f} s")
            print(f"  bootlab boot wall time               {hang_wall:7.2f} s   (stops at the milestone's deadline)")
            print(f"  fixed-timeout script wall time       {hang_script_wall:7.2f} s   (waits out timeout {SCRIPT_TIMEOUT_S})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
