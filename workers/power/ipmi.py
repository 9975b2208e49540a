"""Board power over IPMI 2.0 lanplus (pyghmi): status, on, off, cycle, reset, one-time boot override.

Every change is read back (the state the BMC reports must follow within `bmc.timeout_s`),
commands are spaced by `bmc.min_interval_s` (BMCs drop UDP or crash when rushed), and a BMC
that does not answer is retried `bmc.retries` times with a fresh session. pyghmi gives up
on an unanswered login after about 5 s, so an unreachable BMC is reported after about
5 s x (retries + 1); a refused password at once, never retried (BMCs lock users out).

```yaml
bmc: {host: 10.0.0.9, port: 623, user: admin, password_secret: nuc-1-bmc, min_interval_s: 0.5, timeout_s: 5, retries: 2}
```
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pyghmi import exceptions as pyghmi_exc
from pyghmi.ipmi import command as pyghmi_command

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.board.error import BoardError, board_secret
from rustux_bootlab.workers.ipmisession import end_session, refused
from rustux_bootlab.workers.power.base import BootDevice, PowerState

T = TypeVar("T")
Log = Callable[[str], None]
# Our names -> pyghmi's. `disk` is IPMI "force boot from default hard drive"; `usb` is the
# removable-media code (0x3c), which many UEFI BMCs map to USB.
_PYGHMI_BOOTDEV = {"network": "network", "disk": "hd", "usb": "usb", "cd": "optical"}  # IPMI has no UEFI HTTP boot
# Worth a fresh login and another try; any other answer (an IPMI completion code) is final.
_TRANSIENT = ("no answer", "timeout", "session no longer connected", "session disconnected",
              "session failed to initialize", "busy")
_POLL_S = 0.2


def _code(bootdev: object) -> object:
    return pyghmi_command.boot_devices.get(bootdev, bootdev) if isinstance(bootdev, str) else bootdev


class IpmiPower:
    def __init__(self, board: Board, password: str, *, log: Log | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.board = board.name
        self.bmc = board.bmc
        self.where = board.bmc.address
        self._password = password
        self._log = log or (lambda _line: None)
        self._clock = clock
        self._sleep = sleep
        self._cmd: Any = None
        self._last_command = float("-inf")
        self.round_trips: list[tuple[str, float]] = []  # (what, seconds): measured BMC replies

    @classmethod
    def for_board(cls, board: Board, *, log: Log | None = None) -> IpmiPower:
        """The driver with the password resolved from the board's secret (a missing secret is ERROR/lab)."""
        return cls(board, board_secret(board.name, board.bmc.address, board.bmc.credentials.password_secret), log=log)

    def status(self) -> PowerState:
        state = self._call("get power", lambda c: c.get_power()["powerstate"])
        if state not in ("on", "off"):
            raise BoardError(self.board, self.where, f"the BMC reports power state {state!r}, expected on or off")
        return state

    def on(self) -> None:
        self._change("on", "on")

    def off(self) -> None:
        self._change("off", "off")

    def cycle(self) -> None:
        """Off, then on, each read back (a BMC's own power cycle gives no read-back in between)."""
        self.off()
        self.on()

    def reset(self) -> None:
        self._change("reset", "on")

    def set_boot(self, device: BootDevice) -> None:
        """A one-time UEFI boot override for the next power-on; read back where the BMC reports it."""
        if device not in _PYGHMI_BOOTDEV:
            raise BoardError(self.board, self.where, f"boot device {device!r} is not one IPMI can set; use one of "
                             f"{', '.join(_PYGHMI_BOOTDEV)}", Culprit.LAB)
        wanted = _PYGHMI_BOOTDEV[device]
        self._call(f"set boot {device}", lambda c: c.set_bootdev(wanted, persist=False, uefiboot=True))
        got = self._call("get boot", lambda c: c.get_bootdev().get("bootdev"))
        # compare IPMI codes: pyghmi reads 0x3c back as 'floppy', which is what 'usb' sends
        if got != "default" and _code(got) == _code(wanted):
            self._log(f"ipmi: boot override {device} confirmed by the BMC")
        elif got == "default":
            # ipmi_sim (and some real BMCs) never report the boot-flags valid bit.
            self._log(f"ipmi: boot override {device} set; the BMC does not report it back (says 'default')")
        else:
            raise BoardError(self.board, self.where, f"asked for a {device} boot override, the BMC reports {got!r}")

    def close(self) -> None:
        self._drop_session(logout=True)

    def _drop_session(self, logout: bool = False) -> None:
        """Forget our session, so the next command logs in afresh (workers/ipmisession.py)."""
        session = self._cmd.ipmi_session if logout and self._cmd is not None else None
        self._cmd = None
        b = self.bmc
        end_session(session, b.host, b.credentials.user, self._password, b.port)

    def _change(self, request: str, want: PowerState) -> None:
        self._log(f"ipmi: power {request} requested")
        self._call(f"power {request}", lambda c: c.set_power(request, wait=False))
        deadline = self._clock() + self.bmc.timeout_s
        start = self._clock()
        while True:
            state = self.status()
            if state == want:
                self._log(f"ipmi: power is {state} (read back after {self._clock() - start:.2f}s)")
                return
            if self._clock() >= deadline:
                raise BoardError(
                    self.board, self.where,
                    f"power {request}: the BMC still reports {state} after {self.bmc.timeout_s:g}s (expected {want})",
                )
            self._sleep(_POLL_S)

    def _call(self, what: str, fn: Callable[[Any], T]) -> T:
        """One BMC exchange (logging in first if needed), paced and retried; failures become `BoardError`."""
        attempts = self.bmc.retries + 1
        for attempt in range(1, attempts + 1):
            wait = self._last_command + self.bmc.min_interval_s - self._clock()
            if wait > 0:
                self._sleep(wait)
            start = self._clock()
            try:
                if self._cmd is None:
                    b = self.bmc
                    self._cmd = pyghmi_command.Command(bmc=b.host, userid=b.credentials.user, password=self._password,
                                                       port=b.port, keepalive=False)
                result = fn(self._cmd)
            except socket.gaierror as e:
                raise BoardError(self.board, self.where, f"{what}: cannot resolve the BMC host ({e.strerror}): fix bmc.host", Culprit.LAB) from None
            except (pyghmi_exc.IpmiException, OSError) as e:
                elapsed = self._clock() - start
                message = str(e) if str(e) not in ("", "None") else "no answer"
                transient = isinstance(e, OSError) or any(t in message.lower() for t in _TRANSIENT)
                if refused(message):
                    # never retried: BMCs lock a user out after a few bad logins
                    raise BoardError(
                        self.board, self.where,
                        f"{what}: the BMC refused user {self.bmc.credentials.user!r} ({message}): "
                        f"check the secret {self.bmc.credentials.password_secret!r}",
                        Culprit.LAB,
                    ) from None
                self._drop_session()  # a BMC that lost our session needs a new login
                if not transient:
                    raise BoardError(self.board, self.where, f"{what}: the BMC answered: {message}") from None
                if attempt == attempts:
                    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
                    raise BoardError(self.board, self.where, f"{what}: {message} ({tries}, the last {elapsed:.1f}s)") from None
                self._log(f"ipmi: {what}: {message} after {elapsed:.1f}s; retrying ({attempt}/{attempts})")
                continue
            finally:
                self._last_command = self._clock()
            self.round_trips.append((what, self._clock() - start))
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")
