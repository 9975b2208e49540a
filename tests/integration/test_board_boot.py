"""Full kernel boots on a virtual board through the real `bootlab boot --board`: ipmi_sim as
the BMC, SOL as the only console, the ESP deployed by PXE (QEMU's TFTP serving the staged
root) or written to a USB stick file. After every outcome the board is off and released;
the BMC passwords never show up in `ps` during a boot or in any file the boot wrote."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from board_support import BOOTLAB, REPO, board_of, password, running_vboard, vboard_inventory, wait_for_text

from rustux_bootlab.lab.spec import load_spec
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.board.lock import BoardLock
from rustux_bootlab.workers.state import state_dir, tftp_root
from rustux_bootlab.workers.power.ipmi import IpmiPower
from rustux_bootlab.workers.vboard import manager

ESP = REPO / "build" / "esp"


@pytest.fixture(autouse=True)
def kernel_built():
    if not (ESP / "EFI" / "BOOT" / "BOOTX64.EFI").is_file():
        pytest.fail(f"{ESP} has no kernel: run make kernel")


def boot_argv(inventory: Path, board: str, out: Path, *extra: str) -> list[str]:
    return [str(BOOTLAB), "boot", "--board", board, "--image", str(ESP), "--inventory", str(inventory),
            "--out", str(out), "--json", *extra]


def run_boot(inventory: Path, board: str, out: Path, timeout: float = 120) -> tuple[int, dict, str]:
    proc = subprocess.run(boot_argv(inventory, board, out), cwd=REPO, capture_output=True, text=True, timeout=timeout)
    result = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, result, proc.stderr


def assert_off_and_released(board) -> None:
    power = IpmiPower.for_board(board)
    try:
        assert power.status() == "off", "the board was left powered on"
    finally:
        power.close()
    lock = BoardLock(board)
    lock.acquire("test: is it free?")  # raises BoardBusy if a session still held it
    lock.release()
    assert (state_dir(board.name) / "lock").read_text() == ""


def assert_full_pass(rc: int, result: dict, stderr: str) -> None:
    assert rc == 0, stderr[-2000:]
    assert result["verdict"] == "PASS", result["reason"]
    spec = load_spec(REPO / "kernel" / "milestones.yaml")
    on_sol = len(spec.milestones) - 1 + (len(spec.conversation.steps) if spec.conversation else 0)
    assert result["milestones_total"] == len(result["milestones"]) == on_sol  # all but `entry`, steps included
    assert {m["channel"] for m in result["milestones"]} == {"serial"}, "every milestone comes from SOL"
    assert result["board"]["skipped_milestones"] == ["entry"]  # debugcon only: no such channel on a board
    assert result["board"]["power_off"] == "off"
    events = [p["event"] for p in result["board"]["power"]]
    assert any(e.startswith("power is on (read back") for e in events)
    assert any(e.startswith("power is off (read back") for e in events)


@pytest.mark.qemu
@pytest.mark.parametrize("deploy", ["pxe", "usb"])
def test_kernel_boots_on_the_virtual_board(tmp_path: Path, deploy: str) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy=deploy))
    out = tmp_path / "record"
    with running_vboard(inventory, board):
        start = time.monotonic()
        rc, result, stderr = run_boot(inventory.path, board.name, out)
        wall = time.monotonic() - start
        assert_full_pass(rc, result, stderr)
        assert_off_and_released(board)
    if deploy == "pxe":
        assert result["board"]["deploy"]["boot_file"] == "bootx64.efi" and result["board"]["boot_device"] == "network"
    else:
        d = result["board"]["deploy"]
        assert d["sha256"] == d["readback_sha256"] and result["board"]["boot_device"] == "disk"
    timeline = (out / "timeline.log").read_text()
    assert "serial   [sh] ready: " in timeline and "ipmi: power on requested" in timeline
    assert (out / "serial.log").stat().st_size > 0
    print(f"{deploy}: power-on to final milestone {result['milestones'][-1]['t']:.2f}s, bootlab wall {wall:.1f}s")


@pytest.mark.qemu
@pytest.mark.parametrize(("variant", "reason"), [
    ("shared-user-tables", r"page fault"),  # a [PANIC] line on the console
    ("triple-fault", r"reset"),  # no -no-reboot on a board: the firmware boots again
    ("hang-after-heap", r"hung after heap"),  # the next milestone's timeout, counted on the board
])
def test_a_broken_kernel_fails_on_the_virtual_board(tmp_path: Path, variant: str, reason: str) -> None:
    image = REPO / "build" / "variants" / variant / "esp"
    if not image.is_dir():
        pytest.fail(f"{image} missing: run make variants")
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="usb"))
    out = tmp_path / "record"
    with running_vboard(inventory, board):
        argv = boot_argv(inventory.path, board.name, out)
        argv[argv.index(str(ESP))] = str(image)
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
        result = json.loads(proc.stdout)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert (result["verdict"], result["culprit"]) == ("FAIL", "code")
        assert re.search(reason, result["reason"], re.IGNORECASE), result["reason"]
        assert_off_and_released(board)
    print(f"{variant}: {result['reason']}")


@pytest.mark.qemu
def test_a_usb_stick_the_board_does_not_see_is_an_error_not_a_kernel_failure(tmp_path: Path) -> None:
    """The session writes one stick, the board has another (a wrong device path, a mux on the
    wrong side): the firmware falls back to a network boot, which is ERROR/board, never FAIL."""
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="usb"))
    elsewhere = tmp_path / "other-lab-inventory.yaml"
    elsewhere.write_text(inventory.path.read_text().replace(str(tmp_path / "usb.img"), str(tmp_path / "other-stick.img")))
    with running_vboard(inventory, board):
        start = time.monotonic()
        rc, result, stderr = run_boot(elsewhere, board.name, tmp_path / "record")
        took = time.monotonic() - start
        assert rc == 3, stderr[-2000:]
        assert (result["verdict"], result["culprit"]) == ("ERROR", "board"), result["reason"]
        assert "network boot, not the USB stick" in result["reason"] and took < 30
        assert_off_and_released(board)


@pytest.mark.qemu
def test_a_pxe_boot_the_firmware_cannot_load_is_an_error_of_the_lab(tmp_path: Path, monkeypatch) -> None:
    """The image is staged where the board's TFTP does not look (an empty root): OVMF's PXE
    option fails at once, and that is the lab's PXE service, not the kernel."""
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    tftp_root(board).mkdir(parents=True)
    with running_vboard(inventory, board):
        monkeypatch.setenv("BOOTLAB_STATE", str(tmp_path / "another-state"))
        start = time.monotonic()
        rc, result, stderr = run_boot(inventory.path, board.name, tmp_path / "record")
        took = time.monotonic() - start
        monkeypatch.setenv("BOOTLAB_STATE", str(tmp_path / "state"))
        assert rc == 3, stderr[-2000:]
        assert (result["verdict"], result["culprit"]) == ("ERROR", "lab"), result["reason"]
        assert "network boot failed" in result["reason"] and took < 30
        assert_off_and_released(board)


@pytest.mark.qemu
def test_a_pxe_deploy_that_loses_the_initrd_is_the_labs_fault(tmp_path: Path) -> None:
    """build/esp has the initrd; the real PXE staging runs, then the staged root loses the
    file, as a broken deploy would: the kernel says the archive is missing, and the artifact
    the lab was handed says the deploy lost it (ERROR/lab), never the kernel's FAIL."""
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    initrd = "EFI/rustux/initrd.cpio"
    assert (ESP / initrd).is_file()
    code = f"""
import sys
import rustux_bootlab.workers.deploy.pxe, rustux_bootlab.workers.bootlab
real = rustux_bootlab.workers.deploy.pxe.stage_esp  # the board's PXE deploy (workers/board/parts.py) stages with it
def lossy_stage(image, root):
    staged = real(image, root)
    (root / {initrd!r}).unlink()
    return staged
rustux_bootlab.workers.deploy.pxe.stage_esp = lossy_stage
sys.exit(rustux_bootlab.workers.bootlab.main(sys.argv[1:]))
"""
    out = tmp_path / "record"
    with running_vboard(inventory, board):
        argv = [str(BOOTLAB.parent / "python"), "-c", code, *boot_argv(inventory.path, board.name, out)[1:]]
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
        result = json.loads(proc.stdout) if proc.stdout.strip() else {}
        assert proc.returncode == 3, proc.stderr[-2000:]
        assert (result["verdict"], result["culprit"]) == ("ERROR", "lab"), result["reason"]
        assert "no initrd" in result["reason"] and "the deploy lost it" in result["reason"], result["reason"]
        assert_off_and_released(board)


@pytest.mark.qemu
def test_sol_killed_mid_boot_leaves_a_gap_and_the_boot_still_passes(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    out = tmp_path / "record"
    with running_vboard(inventory, board):
        proc = subprocess.Popen(boot_argv(inventory.path, board.name, out), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            wait_for_text(out / "timeline.log", "power is on", 30)
            # Another client takes SOL away while the firmware runs (password through the environment: -E).
            env = dict(os.environ, IPMI_PASSWORD=password(board))
            kill = subprocess.run(["ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", str(board.bmc.port),
                                   "-U", board.bmc.credentials.user, "-E", "sol", "deactivate"],
                                  env=env, capture_output=True, text=True, timeout=20)
            assert kill.returncode == 0, kill.stderr
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            proc.kill()
            proc.wait()
        result = json.loads(stdout)
        assert_full_pass(proc.returncode, result, stderr)
        assert_off_and_released(board)
    gaps = result["board"]["console_gaps"]
    assert len(gaps) == 1 and gaps[0]["end"] > gaps[0]["start"] and "deactivated" in gaps[0]["reason"], gaps
    assert "console gap " in (out / "timeline.log").read_text()
    print(f"SOL gap {gaps[0]}")


@pytest.mark.qemu
def test_sigterm_mid_boot_powers_the_board_off_and_releases_it(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    out = tmp_path / "record"
    with running_vboard(inventory, board):
        proc = subprocess.Popen(boot_argv(inventory.path, board.name, out), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            wait_for_text(out / "timeline.log", "power is on", 30)
            proc.send_signal(signal.SIGTERM)  # what a Buildbot stop sends
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            proc.kill()
            proc.wait()
        result = json.loads(stdout)
        assert proc.returncode == 3, stderr[-2000:]
        assert (result["verdict"], result["culprit"]) == ("ERROR", "lab")
        assert "interrupted by SIGTERM" in result["reason"]
        assert result["board"]["power_off"] == "off"
        assert_off_and_released(board)
        assert manager.status(board).power == "off", "the VM still runs"


def test_a_held_board_is_a_miss(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    lock = BoardLock(board)
    lock.acquire("another session")
    try:
        rc, result, stderr = run_boot(inventory.path, board.name, tmp_path / "record", timeout=30)
    finally:
        lock.release()
    assert rc == 4, stderr
    assert result["verdict"] == "MISS" and f"board {board.name} is held by another session" in result["reason"]


def test_an_unreachable_bmc_is_an_error_naming_board_and_bmc_in_bounded_time(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))  # never started: nothing answers
    secrets.ensure(board.console.credentials.password_secret)
    start = time.monotonic()
    rc, result, stderr = run_boot(inventory.path, board.name, tmp_path / "record", timeout=60)
    took = time.monotonic() - start
    assert rc == 3, stderr
    assert (result["verdict"], result["culprit"]) == ("ERROR", "board")
    assert f"board {board.name}" in result["reason"] and board.bmc.address in result["reason"]
    assert took < 20, f"took {took:.1f}s"
    assert (state_dir(board.name) / "lock").read_text() == ""


def test_a_wrong_sol_password_is_an_error_of_the_lab_naming_the_board(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="pxe"))
    with running_vboard(inventory, board):
        secrets.secret_path(board.console.credentials.password_secret).write_text("not-the-password\n")
        start = time.monotonic()
        rc, result, stderr = run_boot(inventory.path, board.name, tmp_path / "record", timeout=60)
        took = time.monotonic() - start
        assert rc == 3, stderr
        assert (result["verdict"], result["culprit"]) == ("ERROR", "lab")
        assert f"board {board.name}: console at {board.bmc.address} (SOL user sol)" in result["reason"]
        assert "check the SOL user's secret" in result["reason"] and took < 15
        assert_off_and_released(board)


@pytest.mark.qemu
def test_no_bmc_password_in_ps_or_in_any_file_the_boot_wrote(tmp_path: Path) -> None:
    inventory, board = board_of(vboard_inventory(tmp_path, deploy="usb"))
    out = tmp_path / "record"
    with running_vboard(inventory, board) as status:
        words = {password(board), secrets.resolve(board.console.credentials.password_secret)}
        proc = subprocess.Popen(boot_argv(inventory.path, board.name, out), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        seen_ps = []
        while proc.poll() is None:
            ps = subprocess.run(["ps", "-eo", "pid,args", "-ww"], capture_output=True, text=True).stdout
            seen_ps.append(ps)
            time.sleep(0.2)
        stdout, stderr = proc.communicate()
        assert json.loads(stdout)["verdict"] == "PASS", stderr[-2000:]
        assert len(seen_ps) > 10 and any("bootlab boot --board" in ps for ps in seen_ps)
        assert any("ipmi_sim" in ps for ps in seen_ps) and any("qemu-system-x86_64" in ps for ps in seen_ps)
        files = [p for p in out.rglob("*") if p.is_file()]
        files += [p for p in status.state.rglob("*") if p.is_file() and p.suffix in (".log", ".out", ".json")]
        assert any(p.name == "result.json" for p in files) and any(p.name == "timeline.log" for p in files)
        for word in words:
            assert len(word) >= 12
            assert not any(word in ps for ps in seen_ps), "a BMC password appeared in ps"
            assert word not in stdout and word not in stderr
            for p in files:
                assert word.encode() not in p.read_bytes(), f"a BMC password in {p}"
