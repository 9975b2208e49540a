"""The virtual board's always-on process: the serial relay and the VM's power.

`python -m rustux_bootlab.workers.vboard.supervisor STATE_DIR SERIAL_PORT` serves three sockets:
- `STATE_DIR/control.sock`: one request line per connection from `chassis.py` (ipmi_sim's
  chassis_control): `set power 0|1`, `set reset 1`, `set shutdown 1`, `set boot DEV`,
  `get power|boot`; the answer comes back at once (QEMU starts in the background).
- `STATE_DIR/serial.sock`: QEMU's COM1 connects here at every power-on.
- `127.0.0.1:SERIAL_PORT`: ipmi_sim's SOL connects here once and stays. The relay is the
  board's permanent UART: what the VM prints while no SOL client is connected is kept (the
  last 64 KiB) instead of stalling the VM or losing it (docs/virtual-boards.md).
The boot override applies to the next power-on or reset only, then reverts to `default`,
as on real BMCs. QEMU is the supervisor's child (reaped, never a zombie) and dies with it.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from rustux_bootlab.workers.qemu.process import QemuProcess, QemuStartError
from rustux_bootlab.workers.vboard.machine import Machine, qemu_argv

BACKLOG_BYTES = 64 * 1024
BOOT_DEVICES = ("none", "pxe", "default", "cdrom", "bios", "disk", "hd")


class Supervisor:
    def __init__(self, state: Path, serial_port: int) -> None:
        self.state = state
        self.serial_port = serial_port
        self.machine = Machine.load(state / "machine.json")
        self.boot = "default"
        self.qemu: QemuProcess | None = None
        self._qemu_log = open(state / "qemu.log", "ab", buffering=0)
        self._log = open(state / "supervisor.log", "a", buffering=1, encoding="utf-8")
        self._vm: asyncio.StreamWriter | None = None
        self._sol: asyncio.StreamWriter | None = None
        self._backlog = bytearray()
        self._stop = asyncio.Event()

    def log(self, line: str) -> None:
        self._log.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        for sock in ("control.sock", "serial.sock"):
            (self.state / sock).unlink(missing_ok=True)
        servers = [
            await asyncio.start_unix_server(self._on_control, path=str(self.state / "control.sock")),
            await asyncio.start_unix_server(self._on_vm, path=str(self.state / "serial.sock")),
            await asyncio.start_server(self._on_sol, "127.0.0.1", self.serial_port),
        ]
        self.log(f"ready: relay on 127.0.0.1:{self.serial_port}")
        watcher = asyncio.create_task(self._watch_qemu())
        await self._stop.wait()
        self.log("stopping")
        watcher.cancel()
        self._power_off("supervisor stopping")
        for server in servers:
            server.close()
        for sock in ("control.sock", "serial.sock"):
            (self.state / sock).unlink(missing_ok=True)

    async def _on_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await asyncio.wait_for(reader.readline(), 1.0)).decode(errors="replace").split()
            if not request:
                return  # a readiness probe
            answer = self.handle(request)
            writer.write(answer.encode() + b"\n")
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    def handle(self, request: list[str]) -> str:
        self.log("chassis: " + " ".join(request))
        match request:
            case ["get", "power"]:
                return f"power:{1 if self.powered() else 0}"
            case ["get", "boot"]:
                return f"boot:{self.boot}"
            case ["set", "boot", device] if device in BOOT_DEVICES:
                self.boot = device
                return "ok"
            case ["set", "power", "1"]:
                return self._power_on()
            case ["set", "power", "0"]:
                self._power_off("power off")
                return "ok"
            case ["set", "reset", "1"]:
                self._power_off("reset")
                return self._power_on()
            case ["set", "shutdown", "1"]:
                # ACPI power button: OVMF and the kernel ignore it, as on the real board.
                return "ok"
        return f"error: unknown request {' '.join(request)!r}"

    def powered(self) -> bool:
        return self.qemu is not None and self.qemu.running()

    def _power_on(self) -> str:
        if self.powered():
            return "ok"
        vars_copy = self.state / "vars.fd"
        shutil.copyfile(self.machine.vars_template, vars_copy)
        argv = qemu_argv(self.machine, self.boot, vars_copy)
        self.log(f"power on, boot {self.boot}: {' '.join(argv)}")
        self.boot = "default"  # a one-time override
        self._qemu_log.write(f"--- {time.strftime('%H:%M:%S')} power on\n".encode())
        qemu = QemuProcess(argv)
        try:
            qemu.start()
        except QemuStartError as e:
            self.log(str(e))
            return f"error: {e}"
        self.qemu = qemu
        asyncio.get_running_loop().add_reader(qemu.output.fileno(), self._drain_qemu, qemu)
        return "ok"

    def _power_off(self, why: str) -> None:
        qemu, self.qemu = self.qemu, None
        if qemu is None:
            return
        self._drain_qemu(qemu)
        asyncio.get_running_loop().remove_reader(qemu.output.fileno())
        status = qemu.stop(grace=0)  # pulling the plug: nothing to shut down cleanly
        self.log(f"{why}: QEMU stopped ({status})")

    def _drain_qemu(self, qemu: QemuProcess) -> None:
        try:
            data = qemu.output.read()
        except (OSError, ValueError):
            data = None
        if data:
            self._qemu_log.write(data)

    async def _watch_qemu(self) -> None:
        """A VM that exits by itself (QEMU error, guest power-off) is a board that powered off."""
        while True:
            await asyncio.sleep(0.2)
            if self.qemu is not None and not self.qemu.running():
                self._power_off(f"QEMU exited by itself with status {self.qemu.poll()}")

    async def _on_vm(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._vm is not None:
            self._vm.close()
        self._vm = writer
        try:
            while data := await reader.read(4096):
                self._to_sol(data)
        except ConnectionError:
            pass
        finally:
            if self._vm is writer:
                self._vm = None
            writer.close()

    def _to_sol(self, data: bytes) -> None:
        if self._sol is not None and not self._sol.is_closing():
            self._sol.write(data)
            return
        self._backlog += data
        del self._backlog[:-BACKLOG_BYTES]

    async def _on_sol(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._sol is not None:
            self._sol.close()
        self._sol = writer
        self.log("SOL side connected")
        if self._backlog:
            writer.write(bytes(self._backlog))
            self._backlog.clear()
        try:
            while data := await reader.read(4096):
                if self._vm is not None and not self._vm.is_closing():
                    self._vm.write(data)
        except ConnectionError:
            pass
        finally:
            if self._sol is writer:
                self._sol = None
            self.log("SOL side disconnected")
            writer.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m rustux_bootlab.workers.vboard.supervisor STATE_DIR SERIAL_PORT", file=sys.stderr)
        return 2
    state = Path(argv[0])
    try:
        supervisor = Supervisor(state, int(argv[1]))
    except (OSError, ValueError, TypeError) as e:
        print(f"vboard supervisor: cannot start in {state}: {e}", file=sys.stderr)
        return 2
    os.chdir(state)
    asyncio.run(supervisor.run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
