"""The arm64 target booted for real: virt + AAVMF under TCG (qemu-system-aarch64), the
kernel's arm64 spec with its shell conversation on the PL011, cold and warm.

Lean on purpose (a cold boot spends 6-9 s in AAVMF under TCG, a warm one ~0.4 s): one
`bootlab warm check` boots the kernel cold, makes the module's snapshot and boots it warm,
and its two records serve the cold tests, the warm tests and the agreement (one check, three
proofs); a second check, on a spec pinned to the warm boot's free memory, disagrees and turns
the lane off. The known-bad variants restore the snapshot, but for the silent kernel, kept
cold (its canary is AAVMF's own UART output). A stale and a corrupt snapshot each fall back
to a cold boot that must agree with the warm one; between them the screen, which a restore
loses on virt unless the loader restores it, is proven by a step answered there, warm and
then cold. An image of the other architecture is refused before QEMU starts. Boots: 6 cold
(1 cut short), 11 warm, 2 restores that fail, 2 snapshots made.

Needs `make kernel ARCH=aarch64`, `make variants ARCH=aarch64` (build/aarch64/), `make loader`
(build/loader/aarch64/) and the kernel's arm64 spec, kernel/milestones-aarch64.yaml."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bootlab_support import BOOTLAB, REPO, Boot, kernel_esp, process_alive, run_boot
from rustux_bootlab.lab.arch import AARCH64
from rustux_bootlab.lab.warmlane import compare

pytestmark = pytest.mark.qemu
TARGET = "virt-aavmf"
BUILD = REPO / "build" / "aarch64"
SPEC = REPO / "kernel" / AARCH64.spec
MILESTONES, STEPS = 22, 9


def arm64_esp(variant: str | None = None) -> Path:
    esp = BUILD / "esp" if variant is None else BUILD / "variants" / variant / "esp"
    if not (esp / AARCH64.boot_file).is_file():
        how = "make kernel ARCH=aarch64" if variant is None else "make variants ARCH=aarch64"
        pytest.fail(f"{esp} has no {AARCH64.boot_file}: run {how}")
    if not SPEC.is_file():
        pytest.fail(f"{SPEC} is missing: the kernel's arm64 spec comes with its arm64 port")
    return esp


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict:
    """`bootlab warm check` of the kernel, with a keyboard step added to its spec: the cold
    record, the warm one (which made the module's snapshot) and the check's summary."""
    tmp = tmp_path_factory.mktemp("check")
    spec = yaml.safe_load(SPEC.read_text()) if SPEC.is_file() else {}
    spec.setdefault("conversation", {"steps": []})["steps"].insert(
        1, {"name": "typed-on-keyboard", "input": "keyboard", "send": "echo hi<enter>", "expect": "^hi$"})
    (tmp / "spec.yaml").write_text(yaml.safe_dump(spec))
    proc = subprocess.run([str(BOOTLAB), "warm", "check", "--target", TARGET, "--image", str(arm64_esp()),
                           "--milestones", str(tmp / "spec.yaml"), "--out", str(tmp / "check"), "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    summary = json.loads(proc.stdout) if proc.stdout.strip() else {}
    boots = {leg: Boot(proc.returncode, json.loads((tmp / "check" / leg / "result.json").read_text()), proc.stderr,
                       tmp / "check" / leg, 0.0) for leg in ("cold", "warm") if (tmp / "check" / leg / "result.json").exists()}
    return {"rc": proc.returncode, "stderr": proc.stderr, "summary": summary, **boots}


def snapshot_dir(boot: Boot) -> Path:
    return Path(boot.result["warm"]["snapshot"]["path"])


def assert_all_reached(boot: Boot) -> None:
    """The PASS reason names every milestone and step and the last one's time (the record keeps
    it to the millisecond, the reason to the hundredth: 6.295 may read 6.29 or 6.30)."""
    said = re.fullmatch(rf"all {MILESTONES} milestones and {STEPS} steps reached in ([\d.]+)s", boot.result["reason"])
    assert said, boot.result["reason"]
    assert abs(float(said[1]) - boot.result["milestones"][-1]["t"]) <= 0.01, boot.result["reason"]


def assert_agree(cold: Boot, warm: Boot) -> None:
    assert cold.result["boot_path"] == "cold" and warm.result["boot_path"] == "warm", warm.result.get("warm")
    assert cold.verdict == warm.verdict == ("PASS", None), (cold.result["reason"], warm.result["reason"])
    assert compare(cold.result, warm.result).agree, compare(cold.result, warm.result).summary()


def test_the_full_spec_and_conversation_pass_cold_on_the_uart_alone(checked):
    boot = checked["cold"]
    assert boot.verdict == ("PASS", None), (boot.result.get("reason"), checked["stderr"][-2000:])
    assert_all_reached(boot)
    assert {m["channel"] for m in boot.result["milestones"]} == {"serial"}
    argv = boot.result["qemu"]["command"]
    assert Path(argv[0]).name == "qemu-system-aarch64" and argv[argv.index("-machine") + 1] == "virt"
    assert "ramfb" in argv and not any("isa-" in a for a in argv)
    # virt has no debug console and no OVMF log port: only the PL011 carried the boot.
    seen = boot.result["bytes_seen"]
    assert seen["debugcon"] == 0 and seen["firmware"] == 0 and seen["serial"] > 0
    assert boot.result["firmware"]["code"]["size"] == 64 << 20
    assert (boot.out / "screen.png").stat().st_size > 1000  # ramfb's GOP, read by screendump
    assert "skipped on virt (no such channel or input there): typed-on-keyboard" in boot.result["warnings"]


def test_a_warm_boot_passes_the_full_spec_and_agrees_with_cold(checked):
    boot, summary = checked["warm"], checked["summary"]
    assert checked["rc"] == 0 and summary["agree"] is True, (summary, checked["stderr"][-2000:])
    assert boot.verdict == ("PASS", None) and boot.result["boot_path"] == "warm", boot.result.get("warm")
    assert_all_reached(boot)
    assert len(boot.result["conversation"]) == STEPS
    assert "skipped on virt (no such channel or input there): typed-on-keyboard" in boot.result["warnings"]
    warm = boot.result["warm"]
    assert warm["made_snapshot"] is True and warm["started_s"] is not None and warm["warnings"] == []
    argv = boot.result["qemu"]["command"]
    assert "-incoming" in argv and any(a.endswith("aarch64/rustux-loader.efi") for a in argv), argv
    # The kernel read its initrd from the FAT volume it was loaded from, as cold: here the RAM disk.
    initrd = [m["line"] for b in (checked["cold"], boot) for m in b.result["milestones"] if m["name"] == "initrd"]
    assert len(initrd) == 2 and initrd[0] == initrd[1], initrd
    assert_agree(checked["cold"], boot)
    assert summary["lane"]["enabled"] is True and summary["lane"]["last_check_result"] == "cold and warm agree"
    assert not process_alive(boot.result["qemu"]["pid"])


def test_a_disagreement_turns_the_lane_of_virt_off_and_warm_boots_run_cold(checked, tmp_path):
    # A spec pinned to the free memory the *warm* firmware leaves (the loader and its RAM disk
    # take pages): the warm boot PASSes, the cold one FAILs, the case the lane exists for.
    line = next(m["line"] for m in checked["warm"].result["milestones"] if m["name"] == "memory-map")
    warm_pages = re.search(r"(\d+) conventional pages", line).group(1)
    spec = yaml.safe_load(SPEC.read_text())
    pinned = [dict(m, regex=m["regex"].replace(r"(?P<conventional_pages>\d+)", warm_pages)) if m["name"] == "memory-map" else m
              for m in spec["milestones"]]
    assert pinned != spec["milestones"], "the spec's memory-map regex changed: pin it again"
    (tmp_path / "pinned.yaml").write_text(yaml.safe_dump(dict(spec, milestones=pinned, default_timeout=3)))
    check = warm_cli("check", "--target", TARGET, "--image", arm64_esp(), "--milestones", tmp_path / "pinned.yaml",
                     "--out", tmp_path / "check", "--json")
    assert check.returncode == 1, check.stderr[-2000:]
    summary = json.loads(check.stdout)
    assert summary["agree"] is False and summary["cold"]["verdict"] == "FAIL" and summary["warm"]["verdict"] == "PASS"
    assert summary["lane"]["enabled"] is False and summary["lane"]["evidence"] == summary["records"]
    # While the lane is off a warm boot runs cold (cut short here: only its path matters).
    refused = run_boot(tmp_path / "refused", "--target", TARGET, "--image", arm64_esp(), "--warm", "--timeout", "2")
    assert refused.result["boot_path"] == "cold" and refused.result["warm"]["snapshot"] is None
    assert f"warm lane off for {TARGET}" in refused.result["warm"]["warnings"][0]
    released = warm_cli("release", TARGET, "--reason", "pinned spec was the test's")
    assert released.returncode == 0 and "warm lane on" in released.stdout, released.stderr


def warm_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BOOTLAB), "warm", *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=300)


COLD_VARIANTS = ("silent",)  # its canary is AAVMF's own UART output; the rest restore the check's snapshot


@pytest.mark.parametrize("variant, words, args", [
    ("el1-fault", ("undefined instruction (EC 0x0)", "at EL1 after cpu-tables"), ()),
    ("hang-after-heap", ("hung after heap: no exit-boot-services within 6s",), ("--short-spec",)),
    ("init-crash", ("init (pid 1) died: data abort (EC 0x24)", "after init-started"), ()),
    ("lost-input", ("no answer to echo within 8s",), ("--short-spec",)),
    ("missing-initrd", ("no initrd", "missing from the artifact too: the build did not make it"), ()),
    ("no-preempt", ("hung after user-exit: no self-test within 6s",), ("--short-spec",)),
    ("shared-user-tables", ("init (pid 1) died: instruction abort (EC 0x20)", "after elf-loaded"), ()),
    ("stack-overflow", ("kernel stack overflow (guard page hit at", "after kernel-stack"), ()),
    # The canary is the firmware's own UART output: no debug console on virt. The boot timeout,
    # not the entry milestone's 90 s (AAVMF's cold start under a loaded host), ends it.
    ("silent", ("no entry milestone: the firmware ran (serial", "printed nothing within the boot timeout"),
     ("--timeout", "25")),
])
def test_each_arm64_known_bad_variant_gets_its_verdict(checked, tmp_path, variant, words, args):
    esp = arm64_esp(variant)
    if args == ("--short-spec",):  # a hang costs its whole timeout: 6 s, as the x86 warm tests use
        spec = yaml.safe_load(SPEC.read_text())
        spec["conversation"]["timeout"] = 8
        (tmp_path / "short.yaml").write_text(yaml.safe_dump(dict(spec, default_timeout=6)))
        args = ("--milestones", str(tmp_path / "short.yaml"))
    path = "cold" if variant in COLD_VARIANTS else "warm"
    boot = run_boot(tmp_path / "out", "--target", TARGET, "--image", esp, f"--{'no-' if path == 'cold' else ''}warm", *args)
    assert boot.verdict == ("FAIL", "code"), (boot.result.get("reason"), boot.stderr)
    assert all(w in boot.result["reason"] for w in words), boot.result["reason"]
    assert boot.result["boot_path"] == path, boot.result.get("warm")


def test_an_image_of_the_other_architecture_is_refused_before_qemu_starts(tmp_path):
    x86_on_arm = run_boot(tmp_path / "x86", "--target", TARGET, "--image", kernel_esp(), "--no-warm")
    assert x86_on_arm.verdict == ("ERROR", "lab")
    assert "holds EFI/BOOT/BOOTX64.EFI (an x86_64 image) but the target is aarch64" in x86_on_arm.result["reason"]
    assert x86_on_arm.result["qemu"]["command"] is None
    arm_on_x86 = run_boot(tmp_path / "arm", "--target", "q35-pflash", "--image", arm64_esp(), "--no-warm")
    assert arm_on_x86.verdict == ("ERROR", "lab")
    assert "an aarch64 image) but the target is x86_64" in arm_on_x86.result["reason"]
    assert arm_on_x86.result["qemu"]["command"] is None


def test_a_stale_snapshot_fails_to_restore_and_the_boot_runs_cold(checked, tmp_path):
    # A real stream of another machine (QEMU's `none`) filed under virt-aavmf's key with a
    # manifest that claims it fits, as a key that missed a difference would: QEMU refuses it.
    snap = snapshot_dir(checked["warm"])
    foreign = tmp_path / "none.mig"
    subprocess.run([AARCH64.qemu, "-machine", "none", "-nodefaults", "-display", "none", "-S", "-monitor", "stdio"],
                   input=f'migrate "exec:cat > {foreign}"\nquit\n', capture_output=True, text=True, timeout=60, check=True)
    (snap / "snapshot.mig").write_bytes(foreign.read_bytes())
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest.update(sha256=hashlib.sha256(foreign.read_bytes()).hexdigest(), size=foreign.stat().st_size)
    (snap / "manifest.json").write_text(json.dumps(manifest))
    cold = run_boot(tmp_path / "out", "--target", TARGET, "--image", arm64_esp(), "--warm")
    assert cold.rc == 0 and cold.result["boot_path"] == "cold", cold.result.get("warm")
    warning = cold.result["warm"]["warnings"][0]
    assert "warm start failed: restore failed" in warning and "dropped" in warning, warning
    assert not snap.exists()
    assert (tmp_path / "out" / "warm-attempt" / "timeline.log").exists(), "the failed attempt's record is kept"
    assert_agree(cold, checked["warm"])


@pytest.fixture(scope="module")
def screen_spec(tmp_path_factory) -> Path:
    """The kernel's spec with one more step, answered on the screen (ramfb's GOP, read by the lab)."""
    spec = yaml.safe_load(SPEC.read_text())
    spec["conversation"]["steps"].insert(
        1, {"name": "echo-on-screen", "send": "echo on the screen<enter>", "expect": "^on the screen$", "channel": "screen",
            "prompt": False})  # the screen lags the UART: an older prompt there would end the step
    path = tmp_path_factory.mktemp("screen") / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture(scope="module")
def screen_warm(screen_spec, tmp_path_factory) -> Boot:
    return run_boot(tmp_path_factory.mktemp("screen-warm") / "out", "--target", TARGET, "--image", arm64_esp(), "--warm",
                    "--milestones", screen_spec)


def test_a_restored_virt_has_its_screen_the_loader_points_ramfb_at_the_gop_again(screen_warm):
    # QEMU 7.2 does not migrate ramfb's state: without the loader's rewrite of etc/ramfb the
    # restored machine shows "Guest has not initialized the display" and this step times out.
    boot = screen_warm
    assert boot.verdict == ("PASS", None) and boot.result["boot_path"] == "warm", (boot.result["reason"], boot.result.get("warm"))
    assert boot.result["warm"]["made_snapshot"] is True, "the stale test dropped the snapshot: it is made again"
    on_screen = [m for m in boot.result["milestones"] if m["name"] == "echo-on-screen"]
    assert len(on_screen) == 1 and on_screen[0]["channel"] == "screen", on_screen
    assert (boot.out / "screen-echo-on-screen.png").is_file()


def test_a_corrupt_snapshot_is_dropped_and_the_boot_runs_cold(screen_warm, screen_spec, tmp_path):
    snap = snapshot_dir(screen_warm)
    stream = snap / "snapshot.mig"
    # Same size, other bytes inside a page of AAVMF's flash (its firmware volume header, `_FVH`,
    # starts one): QEMU would load it, only the content hash can tell. (The stream is mostly
    # device state: bytes changed at random there make QEMU refuse it, a restore failure.)
    data = stream.read_bytes()
    with stream.open("r+b") as f:
        f.seek(data.index(b"_FVH") + 0x100)
        f.write(b"\xde\xad\xbe\xef" * 16)
    cold = run_boot(tmp_path / "out", "--target", TARGET, "--image", arm64_esp(), "--warm", "--milestones", screen_spec)
    assert cold.rc == 0 and cold.result["boot_path"] == "cold", cold.result.get("warm")
    warning = cold.result["warm"]["warnings"][0]
    assert "warm start failed: corrupt: snapshot content sha256" in warning and "dropped" in warning, warning
    assert not snap.exists()
    assert_agree(cold, screen_warm)  # the screen step too: answered on the screen cold as warm
