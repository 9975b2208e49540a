"""The runner's typing (workers/input/typist.py, workers/input/ports.py): real sockets for COM1; for a
board console that is down, a scripted console (a real SOL that stays down is what
test_board_boot's BMC tests cover; here only the holding and giving up is checked)."""
import io
import socket

from rustux_bootlab.lab.matcher import BootMatcher
from rustux_bootlab.lab.milestones import load_spec
from rustux_bootlab.lab.verdict import Culprit, Verdict
from rustux_bootlab.workers.capture import Capture
from rustux_bootlab.workers.console.base import ConsoleDown
from rustux_bootlab.workers.input.ports import ConsoleSerial, SocketSerial
from rustux_bootlab.workers.progress import MachineProgress
from rustux_bootlab.workers.input.typist import Typist

from captures import FIXTURES



class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class DownConsole:
    name = "serial"

    def write(self, data):
        raise ConsoleDown("SOL to 127.0.0.1:623 is down (deactivated): reconnecting")


def setup(tmp_path, ports, clock):
    m = BootMatcher(load_spec(FIXTURES / "specs" / "one-step.yaml"))
    capture = Capture(tmp_path, ("serial",))
    typist = Typist(ports, capture, MachineProgress(io.StringIO()), clock)
    m.feed("serial", b"ready\n$ ", 0.1)
    return m, capture, typist


def test_com1_gets_the_bytes_and_the_timeline_the_send(tmp_path):
    ours, qemu = socket.socketpair()
    clock = Clock()
    m, capture, typist = setup(tmp_path, {"serial": SocketSerial(lambda: ours)}, clock)
    clock.t = 0.25
    typist.pump(m)
    assert qemu.recv(100) == b"echo hello\r"
    assert m.conversation.records[0].sent == [{"t": 0.25, "input": "serial", "text": "echo hello<enter>"}]
    capture.close(0.3)
    assert "     250 input    serial: echo hello<enter>" in (tmp_path / "timeline.log").read_text()
    ours.close()
    qemu.close()


def test_com1_gone_is_an_error_of_the_lab(tmp_path):
    ours, qemu = socket.socketpair()
    qemu.close()  # QEMU went away
    m, capture, typist = setup(tmp_path, {"serial": SocketSerial(lambda: ours)}, Clock())
    typist.pump(m)
    ours.close()
    assert (m.decided.verdict, m.decided.culprit) == (Verdict.ERROR, Culprit.LAB)
    assert m.decided.reason.startswith("could not send 'echo hello<enter>' for step hello: writing to COM1's socket failed")
    capture.close(0.3)


def test_a_console_that_stays_down_is_an_error_of_the_board(tmp_path, monkeypatch):
    m, capture, typist = setup(tmp_path, {"serial": ConsoleSerial(DownConsole())}, Clock())
    now = [100.0]
    monkeypatch.setattr("rustux_bootlab.workers.input.typist.time.monotonic", lambda: now[0])
    typist.pump(m)
    assert m.decided is None  # held: SOL may come back
    now[0] += 1.9
    typist.pump(m)
    assert m.decided is None
    now[0] += 0.2
    typist.pump(m)
    assert (m.decided.verdict, m.decided.culprit) == (Verdict.ERROR, Culprit.BOARD)
    assert m.decided.reason == ("could not send 'echo hello<enter>' for step hello: SOL to 127.0.0.1:623 is down "
                                "(deactivated): reconnecting; still down after 2s")
    capture.close(0.3)
    assert "input serial down, holding 'echo hello<enter>'" in (tmp_path / "timeline.log").read_text()
