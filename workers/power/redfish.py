"""Board power over Redfish (HTTPS, OpenStack's `sushy`): status, on, off, one-time boot override, virtual media.

Why sushy and not DMTF's `redfish` library: sushy is what Ironic drives whole fleets of
iDRAC, iLO and OpenBMC servers with, and it carries their quirks as code: PATCH with the
resource's ETag in `If-Match` (and the weak-ETag retry), InsertMedia by action or by PATCH
with the payload variants BMCs disagree on, retries of 5xx answers. The DMTF library is a
thin HTTP client that would leave all of that to us.

What the lab adds on top (each a quirk seen in other labs' trackers):
- every change is read back, and a power state passing through `PoweringOn`/`PoweringOff`
  is waited out (`bmc.timeout_s`), never taken for the answer;
- a one-time override the BMC stores as `Continuous` is logged and cleared after the boot
  (`clear_boot`), so the next boot does not silently boot the old media;
- a BMC that answers 404 for a resource path without its trailing slash (or with one) is
  asked again the other way (`_SlashConnector`);
- verification is always on, against `bmc.ca` when the inventory names one.

The password comes from the secret named in the inventory at the moment of use and goes
only into the HTTP session; no error or log line carries it.

```yaml
bmc: {protocol: redfish, host: 10.0.0.10, port: 443, user: lab, password_secret: rf-1-bmc, ca: certs/bmc-ca.pem}
```
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import sushy
from sushy import exceptions as sushy_exc
from sushy.connector import Connector

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers import secrets
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.power.base import BOOT_DEVICES, BootDevice, PowerState

T = TypeVar("T")
Log = Callable[[str], None]
_TARGETS = {"network": sushy.BootSource.PXE, "disk": sushy.BootSource.HDD, "usb": sushy.BootSource.USB,
            "cd": sushy.BootSource.CD, "http": sushy.BootSource.UEFI_HTTP}
_POLL_S = 0.2
CONNECT_TIMEOUT_S = 3.0


class _SlashConnector(Connector):
    """sushy's connector, asking once more with the trailing slash toggled after a 404 on GET."""

    def _op(self, method: str, path: str = "", *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._op(method, path, *args, **kwargs)
        except sushy_exc.ResourceNotFoundError:
            if method != "GET" or not path:
                raise
            other = path[:-1] if path.endswith("/") else path + "/"
            return super()._op(method, other, *args, **kwargs)


class RedfishPower:
    protocol = "redfish"

    def __init__(self, board: Board, password: str, *, log: Log | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.board = board.name
        self.bmc = board.bmc
        self.where = f"https://{board.bmc.address}"
        self._password = password
        self._log = log or (lambda _line: None)
        self._clock = clock
        self._sleep = sleep
        self._root: Any = None
        self._system: Any = None
        self.override_to_clear = False
        self.round_trips: list[tuple[str, float]] = []

    @classmethod
    def for_board(cls, board: Board, *, log: Log | None = None) -> RedfishPower:
        try:
            password = secrets.resolve(board.bmc.credentials.password_secret)
        except secrets.SecretError as e:
            raise BoardError(board.name, f"https://{board.bmc.address}", str(e), culprit=Culprit.LAB) from None
        return cls(board, password, log=log)

    # -- power ----------------------------------------------------------------------------
    def status(self) -> PowerState:
        """On or off; a transient state (PoweringOn, PoweringOff) is waited out up to `bmc.timeout_s`."""
        deadline = self._clock() + self.bmc.timeout_s
        while True:
            state = self._call("get power", lambda s: (s.refresh(), s.power_state)[1])
            if state == sushy.PowerState.ON:
                return "on"
            if state == sushy.PowerState.OFF:
                return "off"
            if self._clock() >= deadline:
                raise BoardError(self.board, self.where, f"the BMC reports power state {_value(state)!r} for "
                                 f"{self.bmc.timeout_s:g}s, expected On or Off")
            self._sleep(_POLL_S)

    def on(self) -> None:
        self._change(sushy.ResetType.ON, "on")

    def off(self) -> None:
        self._change(sushy.ResetType.FORCE_OFF, "off")

    def cycle(self) -> None:
        self.off()
        self.on()

    def reset(self) -> None:
        self._change(sushy.ResetType.FORCE_RESTART, "on")

    def _change(self, reset: Any, want: PowerState) -> None:
        if reset != sushy.ResetType.FORCE_RESTART and self.status() == want:
            self._log(f"redfish: power is {want} already")
            return
        self._log(f"redfish: power {want if reset != sushy.ResetType.FORCE_RESTART else 'reset'} requested")
        self._call(f"reset {reset.value}", lambda s: s.reset_system(reset))
        start = self._clock()
        deadline = start + self.bmc.timeout_s
        while True:
            state = self.status()
            if state == want:
                self._log(f"redfish: power is {state} (read back after {self._clock() - start:.2f}s)")
                return
            if self._clock() >= deadline:
                raise BoardError(self.board, self.where, f"{reset.value}: the BMC still reports {state} after "
                                 f"{self.bmc.timeout_s:g}s (expected {want})")
            self._sleep(_POLL_S)

    # -- boot override ----------------------------------------------------------------------
    def set_boot(self, device: BootDevice) -> None:
        """A one-time boot override for the next power-on, read back; made permanent by the BMC: cleared later."""
        if device not in BOOT_DEVICES:
            raise BoardError(self.board, self.where, f"unknown boot device {device!r}; use one of {', '.join(BOOT_DEVICES)}", Culprit.LAB)
        target = _TARGETS[device]
        self._call(f"set boot {target.value}", lambda s: s.set_system_boot_options(
            target=target, enabled=sushy.BootSourceOverrideEnabled.ONCE))
        self.override_to_clear = True
        system = self._call("get boot", lambda s: (s.refresh(), s)[1])
        got, enabled = system.boot.target, system.boot.enabled
        if got != target:
            raise BoardError(self.board, self.where, f"asked for a one-time {target.value} boot override, the BMC "
                             f"reports target {_value(got)!r}")
        if enabled == sushy.BootSourceOverrideEnabled.ONCE:
            self._log(f"redfish: boot override {target.value} once, confirmed by the BMC")
        else:
            self._log(f"redfish: boot override {target.value}: the BMC keeps it {_value(enabled)!r}, not once; "
                      "the lab clears it after the boot")

    def clear_boot(self) -> None:
        """Back to the board's own boot order (after the boot: some BMCs keep a one-time override)."""
        if not self.override_to_clear:
            return
        try:
            self._call("clear boot override", lambda s: s.set_system_boot_options(
                enabled=sushy.BootSourceOverrideEnabled.DISABLED))
            want, how = (None, sushy.BootSourceOverrideEnabled.DISABLED), "cleared"
        except BoardError as e:
            if "HTTP 400" not in e.message:
                raise
            # sushy-emulator (and BMCs like it) refuse Disabled: point the override back at the disk
            self._call("boot override back to Hdd", lambda s: s.set_system_boot_options(
                target=sushy.BootSource.HDD, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS))
            want, how = (sushy.BootSource.HDD, None), "set back to Hdd (the BMC refuses Disabled)"
        self.override_to_clear = False
        boot = self._call("get boot", lambda s: (s.refresh(), s.boot)[1])
        if (want[0] is not None and boot.target != want[0]) or (want[1] is not None and boot.enabled != want[1]):
            raise BoardError(self.board, self.where, f"boot override {how}, the BMC still reports target "
                             f"{_value(boot.target)!r} {_value(boot.enabled)!r}: the next boot may boot the old media")
        self._log(f"redfish: boot override {how}")

    # -- virtual media ----------------------------------------------------------------------
    def insert_media(self, url: str) -> None:
        """The CD slot of the system's manager, loaded with `url`; read back."""
        slot = self._cd_slot()
        self._log(f"redfish: inserting virtual media {url}")
        self._call("InsertMedia", lambda _s: slot.insert_media(url, inserted=True, write_protected=True))
        self._call("get virtual media", lambda _s: slot.refresh())
        if not slot.inserted or slot.image != url:
            raise BoardError(self.board, self.where, f"InsertMedia of {url}: the BMC reports inserted={slot.inserted}, "
                             f"image {slot.image!r}")
        self._log(f"redfish: virtual media inserted ({slot.path})")

    def eject_media(self) -> None:
        slot = self._cd_slot()
        self._call("get virtual media", lambda _s: slot.refresh())
        if slot.inserted or slot.image:
            self._call("EjectMedia", lambda _s: slot.eject_media())
            self._log("redfish: virtual media ejected")

    def _cd_slot(self) -> Any:
        def find(system: Any) -> Any:
            for manager in system.managers:
                for slot in manager.virtual_media.get_members():
                    if {sushy.VirtualMediaType.CD, sushy.VirtualMediaType.DVD} & set(slot.media_types or ()):
                        return slot
            return None
        slot = self._call("find virtual media", find)
        if slot is None:
            raise BoardError(self.board, self.where, "the BMC's managers offer no CD/DVD virtual media: "
                             "deploy.method virtual-media needs a BMC with virtual media (licence, feature set)")
        return slot

    def close(self) -> None:
        self._root = self._system = None  # sushy's session ends with the connection

    # -- the one place that talks to the BMC -------------------------------------------------
    def _connect(self) -> Any:
        if self._system is not None:
            return self._system
        b = self.bmc
        verify: str | bool = str(b.ca) if b.ca is not None else True
        retries = max(b.retries, 1)
        connector = _SlashConnector(self.where, verify=verify, server_side_retries=retries,
                                    server_side_retries_delay=0.5, default_request_timeout=b.timeout_s,
                                    connect_timeout=CONNECT_TIMEOUT_S)
        self._root = sushy.Sushy(self.where, verify=verify,
                                 auth=sushy.auth.BasicAuth(username=b.credentials.user, password=self._password),
                                 connector=connector, server_side_retries=retries, server_side_retries_delay=0.5,
                                 read_timeout=b.timeout_s, connect_timeout=CONNECT_TIMEOUT_S)
        if b.system is not None:
            self._system = self._root.get_system(b.system)
        else:
            members = self._root.get_system_collection().members_identities
            if len(members) != 1:
                raise BoardError(self.board, self.where, f"the BMC lists {len(members)} systems "
                                 f"({', '.join(members) or 'none'}): name the board's one as bmc.system", Culprit.LAB)
            self._system = self._root.get_system(members[0])
        return self._system

    def _call(self, what: str, fn: Callable[[Any], T]) -> T:
        start = self._clock()
        try:
            result = fn(self._connect())
        except sushy_exc.ConnectionError as e:
            self._root = self._system = None
            cause = str(getattr(e, "kwargs", {}).get("error", e))
            if "CERTIFICATE_VERIFY_FAILED" in cause or "SSLError" in cause:
                raise BoardError(self.board, self.where, f"{what}: the BMC's certificate does not verify against "
                                 f"{self.bmc.ca or 'the system CAs'}: check bmc.ca ({_short(cause)})", Culprit.LAB) from None
            raise BoardError(self.board, self.where, f"{what}: the BMC does not answer ({_short(cause)}): check that it "
                             "is powered and reachable from the board's worker") from None
        except sushy_exc.AccessError as e:
            raise BoardError(self.board, self.where, f"{what}: the BMC refused user {self.bmc.credentials.user!r} "
                             f"(HTTP {e.status_code}): check the secret {self.bmc.credentials.password_secret!r}",
                             Culprit.LAB) from None
        except sushy_exc.HTTPError as e:
            raise BoardError(self.board, self.where, f"{what}: the BMC answered HTTP {e.status_code} "
                             f"{_short(e.detail or '')}".rstrip()) from None
        except sushy_exc.SushyError as e:
            raise BoardError(self.board, self.where, f"{what}: {_short(str(e))}") from None
        self.round_trips.append((what, self._clock() - start))
        return result


def _value(x: Any) -> Any:
    return getattr(x, "value", x)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."
