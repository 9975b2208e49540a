"""QEMU's keyboard as a step's input: keys typed through QMP `input-send-event`.

Each chord (`lab.keymap`: shift+a for `A`, ctrl+c) is pressed and released in one
command, `KEY_GAP_S` apart, so a guest that polls its PS/2 controller (16-byte queue in
some emulations, QEMU's holds 256) sees every key. A QMP error means the keys did not
reach the guest: `InputError` with the lab as culprit, never a FAIL of the kernel.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from rustux_bootlab.lab.keymap import chords
from rustux_bootlab.lab.keys import Keys
from rustux_bootlab.lab.verdict import Culprit
from rustux_bootlab.workers.input.ports import InputError
from rustux_bootlab.workers.qemu.qmp import QmpClient, QmpError

KEY_GAP_S = 0.02
KEY_TIMEOUT_S = 5.0


class QmpKeyboard:
    name = "keyboard"

    def __init__(self, qmp: Callable[[], QmpClient | None]) -> None:
        self.qmp = qmp  # QMP connects while QEMU starts: looked up when typing

    def send(self, keys: Keys) -> None:
        client = self.qmp()
        if client is None or client.closed:
            raise InputError(Culprit.LAB, "no QMP connection to QEMU: cannot type on its keyboard")
        for chord in chords(keys):
            events = [_key(code, True) for code in chord] + [_key(code, False) for code in reversed(chord)]
            try:
                client.execute("input-send-event", {"events": events}, timeout=KEY_TIMEOUT_S)
            except QmpError as exc:
                raise InputError(Culprit.LAB, f"QEMU's keyboard took no key ({'+'.join(chord)}): {exc}") from None
            time.sleep(KEY_GAP_S)


def _key(qcode: str, down: bool) -> dict[str, object]:
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}
