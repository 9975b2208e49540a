"""Board power from a PDU outlet, through pdudaemon's HTTP API (LAVA's and many labs' PDU front end).

`GET /power/control/{on,off,reboot}?hostname=<pdu>&port=<outlet>`: pdudaemon answers at once
("OK - accepted request") and switches the outlet from its queue, with its own retries. It
has no read-back, and most PDUs have none worth the name, so `status()` is what the lab last
asked for (kept in the board's state dir, so a later `bootlab power status` knows it), and
the real read-back is the console: the board session expects the firmware's first bytes
within `bmc.readback_s` of power-on and says "the PDU did not power the board" otherwise.
There is no boot override without a BMC: `set_boot` records that the board boots its own
order (a USB-muxed stick, an SD card) and changes nothing.

```yaml
bmc: {protocol: pdu, host: 10.0.0.5, port: 16421, pdu: rack-pdu-1, outlet: 3, readback_s: 20}
```
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from rustux_bootlab.lab.board import Board
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.board.error import BoardError
from rustux_bootlab.workers.power.base import BootDevice, PowerState
from rustux_bootlab.workers.state import state_dir

Log = Callable[[str], None]
OUTLET_FILE = "outlet.json"


class PduPower:
    protocol = "pdu"

    def __init__(self, board: Board, *, log: Log | None = None) -> None:
        assert board.bmc.pdu is not None and board.bmc.outlet is not None
        self.board = board.name
        self.bmc = board.bmc
        self.where = f"pdudaemon http://{board.bmc.address} (PDU {board.bmc.pdu} outlet {board.bmc.outlet})"
        self._log = log or (lambda _line: None)
        self._file = state_dir(board.name) / OUTLET_FILE
        self.round_trips: list[tuple[str, float]] = []

    @classmethod
    def for_board(cls, board: Board, *, log: Log | None = None) -> PduPower:
        return cls(board, log=log)

    def status(self) -> PowerState:
        """What the lab last asked the outlet for (no PDU read-back); `off` if never switched."""
        try:
            state = json.loads(self._file.read_text()).get("power")
        except (OSError, ValueError):
            return "off"
        return "on" if state == "on" else "off"

    def on(self) -> None:
        self._switch("on")

    def off(self) -> None:
        self._switch("off")

    def cycle(self) -> None:
        self.off()
        self.on()

    def reset(self) -> None:
        self._switch("reboot")

    def set_boot(self, device: BootDevice) -> None:
        self._log(f"pdu: no boot override without a BMC: the board boots its own order ({device} expected)")

    def close(self) -> None:
        pass

    def _switch(self, request: str) -> None:
        query = urllib.parse.urlencode({"hostname": self.bmc.pdu, "port": self.bmc.outlet})
        url = f"http://{self.bmc.address}/power/control/{request}?{query}"
        self._log(f"pdu: outlet {request} requested")
        start = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=self.bmc.timeout_s) as reply:
                answer = reply.read().decode(errors="replace").strip()
        except urllib.error.HTTPError as e:
            # pdudaemon says 500 "Invalid request" for a PDU name it does not know: our inventory
            raise BoardError(self.board, self.where, f"outlet {request}: pdudaemon answered HTTP {e.code}: check that "
                             f"its configuration has PDU {self.bmc.pdu!r}", Culprit.LAB) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise BoardError(self.board, self.where, f"outlet {request}: pdudaemon does not answer ({reason}): check "
                             "that it runs and listens there") from None
        self.round_trips.append((f"outlet {request}", time.monotonic() - start))
        self._file.parent.mkdir(parents=True, exist_ok=True)
        self._file.write_text(json.dumps({"power": "on" if request in ("on", "reboot") else "off"}) + "\n")
        self._log(f"pdu: outlet {request} accepted ({answer}); no read-back: the console tells")
