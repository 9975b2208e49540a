"""The IPMI driver's policy with a scripted BMC in place of pyghmi's `Command`: commands spaced
by min_interval_s, a lost answer retried with a fresh login up to `retries`, a BMC's refusal
(completion code) and a wrong password never retried, a state that does not follow as ERROR.
ipmi_sim cannot be made to drop packets or answer 0xC0 on demand; test_board_power.py covers
the real BMC."""
from __future__ import annotations

import pytest
from pyghmi import exceptions as pyghmi_exc

from board_support import board_of, vboard_inventory
from rustux_bootlab.workers.power import ipmi
from rustux_bootlab.workers.board.error import BoardError


class Clock:
    def __init__(self) -> None:
        self.t = 100.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(round(s, 3))
        self.t += s


class ScriptedBmc:
    """Each call takes `latency` seconds of the fake clock and pops the next scripted outcome."""

    def __init__(self, clock: Clock, script: list[object], latency: float = 0.02) -> None:
        self.clock = clock
        self.script = script
        self.latency = latency
        self.logins = 0
        self.calls: list[tuple[str, float]] = []

    def command(self, **_login):
        self.logins += 1
        return self

    def _next(self, name: str):
        self.calls.append((name, self.clock.t))
        self.clock.t += self.latency
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def get_power(self):
        return {"powerstate": self._next("get_power")}

    def set_power(self, state, wait=False):
        return self._next(f"set_power {state}")

    def set_bootdev(self, bootdev, persist=False, uefiboot=False):
        return self._next(f"set_bootdev {bootdev}")

    def get_bootdev(self):
        return {"bootdev": self._next("get_bootdev")}


@pytest.fixture
def board(tmp_path):
    return board_of(vboard_inventory(tmp_path, retries=2))[1]  # min_interval_s 0.1, timeout_s 5


def driver(monkeypatch, board, script):
    clock = Clock()
    bmc = ScriptedBmc(clock, script)
    monkeypatch.setattr(ipmi.pyghmi_command, "Command", bmc.command)
    return ipmi.IpmiPower(board, "pw", clock=clock.now, sleep=clock.sleep), bmc, clock


def test_commands_are_spaced_by_the_minimum_interval(monkeypatch, board):
    power, bmc, _ = driver(monkeypatch, board, ["off", "off", "off"])
    for _ in range(3):
        assert power.status() == "off"
    starts = [t for _, t in bmc.calls]
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(starts, starts[1:])), starts
    assert bmc.logins == 1


def test_a_lost_answer_is_retried_with_a_fresh_login(monkeypatch, board):
    lost = pyghmi_exc.IpmiException("timeout")
    power, bmc, _ = driver(monkeypatch, board, [lost, pyghmi_exc.IpmiException("Session no longer connected"), "on"])
    events: list[str] = []
    power._log = events.append
    assert power.status() == "on"
    assert bmc.logins == 3 and len(events) == 2 and "retrying (1/3)" in events[0]


def test_retries_are_bounded(monkeypatch, board):
    power, bmc, _ = driver(monkeypatch, board, [OSError("host unreachable")] * 5)
    with pytest.raises(BoardError, match=r"get power: host unreachable \(3 attempts") as e:
        power.status()
    assert len(bmc.calls) == 3 and e.value.culprit == "board" and board.bmc.address in str(e.value)


def test_a_completion_code_is_final(monkeypatch, board):
    power, bmc, _ = driver(monkeypatch, board, [pyghmi_exc.IpmiException("Invalid data field in request")])
    with pytest.raises(BoardError, match="power on: the BMC answered: Invalid data field in request"):
        power.on()
    assert len(bmc.calls) == 1


def test_a_wrong_password_is_never_retried(monkeypatch, board):
    power, bmc, _ = driver(monkeypatch, board, [pyghmi_exc.IpmiException("Incorrect password provided")])
    with pytest.raises(BoardError) as e:
        power.status()
    assert bmc.logins == 1 and e.value.culprit == "lab"


def test_a_state_that_does_not_follow_is_an_error(monkeypatch, board):
    power, _, clock = driver(monkeypatch, board, [{"pendingpowerstate": "on"}] + ["off"] * 100)
    with pytest.raises(BoardError, match=r"power on: the BMC still reports off after 5s \(expected on\)"):
        power.on()
    assert 5 <= clock.t - 100 < 7


@pytest.mark.parametrize("device, read_back, ok", [
    ("usb", "floppy", True),  # pyghmi's name for the removable-media code usb sends
    ("network", "network", True),
    ("disk", "default", True),  # BMCs that never report the valid bit (ipmi_sim)
    ("network", "hd", False),
])
def test_the_boot_override_is_read_back(monkeypatch, board, device, read_back, ok):
    power, bmc, _ = driver(monkeypatch, board, [{"bootdev": device}, read_back])
    events: list[str] = []
    power._log = events.append
    if ok:
        power.set_boot(device)
        assert ("confirmed" in events[0]) == (read_back != "default"), events
    else:
        with pytest.raises(BoardError, match=f"asked for a {device} boot override, the BMC reports 'hd'"):
            power.set_boot(device)
    assert [name for name, _ in bmc.calls][0].startswith("set_bootdev")
