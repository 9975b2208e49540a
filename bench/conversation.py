"""Conversation overhead: what the lab adds between typing a command and matching its answer.

On one host, against OVMF's UEFI shell (tests/fixtures/shell-launcher) on q35 + pflash, TCG:
  - the guest's own round trip: a bare client on COM1's socket (no lab) types `echo hello`
    and times the answer line, --rounds times;
  - the lab's round trip: `bootlab boot` with a spec of --rounds `echo hello` steps; each
    step's answer time minus its send time (result.json `conversation`), and the gap from a
    step being done (its prompt back) to the next step's keys being written;
  - the matcher's own cost per step (CPU, no guest): a scripted shell exchange with OVMF's
    escapes, fed through BootMatcher;
  - the same exchange against a peer thread that answers at once, bare and through the
    runner's own pieces (Typist, COM1 port, Streams, matcher): the lab's machinery alone.
The guest round trips come from two boots one after the other: on a busy machine their
difference is noise; the instant peer is the lab's overhead without a guest.

Usage: .venv/bin/python bench/conversation.py [--rounds 10]
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

from rustux_bootlab.lab.keys import serial_bytes  # noqa: E402
from rustux_bootlab.lab.milestones import BootMatcher, load_spec  # noqa: E402
from shell_support import shell_esp  # noqa: E402

BOOTLAB = Path(sys.executable).parent / "bootlab"
CODE, VARS = Path("/usr/share/OVMF/OVMF_CODE_4M.fd"), Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
ANSWER = b"\r\nhello\r\n"
PEER_ROUNDS = 300  # no guest: cheap, and the median of many settles on a busy machine  # the echo holds `echo hello` between cursor moves: only the answer has this


def bare_round_trips(esp: Path, rounds: int, work: Path) -> list[float]:
    sock_path = work / "com1.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    server.listen(1)
    shutil.copyfile(VARS, work / "vars.fd")
    qemu = subprocess.Popen(["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "256", "-display", "none",
                             "-no-reboot", "-nodefaults", "-nic", "none",
                             "-drive", f"if=pflash,format=raw,readonly=on,file={CODE}",
                             "-drive", f"if=pflash,format=raw,file={work / 'vars.fd'}",
                             "-drive", f"format=raw,file=fat:rw:{esp}",
                             "-chardev", f"socket,id=s,path={sock_path}", "-serial", "chardev:s"])
    try:
        conn, _ = server.accept()
        com1 = Reader(conn)
        com1.wait_for(b"UEFI Interactive Shell", 180)
        conn.sendall(b"\x1b")
        com1.wait_for(b"Shell> ", 60)
        times = []
        for _ in range(rounds):
            sent = time.monotonic()
            conn.sendall(b"echo hello\r")
            com1.wait_for(ANSWER, 30)
            times.append(time.monotonic() - sent)
            com1.wait_for(b"Shell> ", 30)
        return times
    finally:
        qemu.kill()
        qemu.wait()
        server.close()


class Reader:
    """COM1's bytes, kept past each wait: the prompt often comes in the answer's chunk."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.data = b""
        conn.settimeout(0.5)

    def wait_for(self, want: bytes, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while want not in self.data:
            if time.monotonic() > deadline:
                raise SystemExit(f"no {want!r} within {seconds}s from the shell")
            try:
                self.data += self.conn.recv(65536)
            except socket.timeout:
                pass
        self.data = self.data[self.data.index(want) + len(want):]


def echo_spec(path: Path, rounds: int) -> Path:
    steps = "\n".join(f"    - {{name: hello-{i}, send: 'echo hello<enter>', expect: '^hello$'}}" for i in range(rounds))
    path.write_text(f"""name: bench
milestones:
  - {{name: shell, channel: serial, regex: 'UEFI Interactive Shell', timeout: 180}}
conversation:
  after: shell
  prompt: 'Shell> '
  timeout: 30
  steps:
    - {{name: skip-startup, send: '<esc>', prompt: false, expect: '^Shell> '}}
{steps}
""")
    return path


def lab_round_trips(esp: Path, rounds: int, work: Path) -> tuple[list[float], list[float], dict]:
    spec = echo_spec(work / "echo.yaml", rounds)
    proc = subprocess.run([str(BOOTLAB), "boot", "--json", "--target", "q35-pflash", "--accel", "tcg", "--image", str(esp),
                           "--milestones", str(spec), "--out", str(work / "record")], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    result = json.loads(proc.stdout)
    if result["verdict"] != "PASS":
        raise SystemExit(f"the lab's boot did not pass: {result['reason']}")
    records = [r for r in result["conversation"] if r["name"].startswith("hello-")]
    answers = [r["answered"] - r["sent"][0]["t"] for r in records]
    gaps = [b["sent"][0]["t"] - a["done"] for a, b in zip(records, records[1:])]
    return answers, gaps, result


def matcher_cost(spec_path: Path, rounds: int) -> float:
    """Seconds of matcher CPU per step for an OVMF-shaped exchange (escapes, char-by-char echo)."""
    spec = load_spec(spec_path)
    prompt = b"\x1b[11;01H\x1b[1m\x1b[33m\x1b[40mShell> \x1b[0m\x1b[37m\x1b[40m"
    echo = b"".join(b"\x1b[11;%02dH%c\x1b[11;%02dH" % (8 + i, c, 9 + i) for i, c in enumerate(b"echo hello"))
    start = time.process_time()
    m = BootMatcher(spec)
    t = 0.0
    m.feed("serial", b"UEFI Interactive Shell v2.2\r\n", t)
    m.feed("serial", prompt, t)
    while m.decided is None:
        for send in m.take_sends():
            m.sent(send, t)
            if serial_bytes(send.keys) == b"\x1b":
                continue
            for i in range(0, len(echo), 16):  # OVMF echoes a key at a time
                m.feed("serial", echo[i:i + 16], t)
            m.feed("serial", b"\r\nhello\r\n", t)
        t += 0.001
        m.feed("serial", prompt, t)
    assert m.decided.verdict.value == "PASS", m.decided
    return (time.process_time() - start) / (rounds + 1)


def instant_peer(spec_path: Path, rounds: int) -> tuple[float, float]:
    """Median seconds from typing to the answer's match, through the runner's own pieces
    (Typist, COM1 port, Streams, BootMatcher) and, bare, through a socket alone, against a
    peer thread that answers at once: the lab's machinery without a guest's noise."""
    import threading

    from rustux_bootlab.workers.capture import Capture, Streams
    from rustux_bootlab.workers.input.ports import SocketSerial
    from rustux_bootlab.workers.progress import MachineProgress
    from rustux_bootlab.workers.input.typist import Typist

    def peer(conn: socket.socket) -> None:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            if data != b"\x1b":
                conn.sendall(data.replace(b"\r", b"\r\n") + b"hello\r\n")
            conn.sendall(b"Shell> ")

    ours, theirs = socket.socketpair()
    threading.Thread(target=peer, args=(theirs,), daemon=True).start()
    bare = []
    for _ in range(rounds):
        sent = time.perf_counter()
        ours.sendall(b"echo hello\r")
        data = b""
        while b"Shell> " not in data:
            data += ours.recv(4096)
        bare.append(time.perf_counter() - sent)
    with tempfile.TemporaryDirectory(prefix="bench-conv-peer-") as tmp:
        streams = Streams()
        ours.setblocking(False)
        streams.add("serial", ours)
        streams.connections["serial"] = ours
        capture = Capture(Path(tmp), ("serial",))
        start = time.perf_counter()
        clock = lambda: time.perf_counter() - start  # noqa: E731
        m = BootMatcher(load_spec(spec_path))
        sent_at: dict[str, float] = {}  # the record rounds to ms: keep the exact times
        matched_at: dict[str, float] = {}
        record_send = m.sent
        m.sent = lambda send, t: (sent_at.setdefault(send.step, t), record_send(send, t))  # type: ignore[method-assign]
        typist = Typist({"serial": SocketSerial(lambda: ours)}, capture, MachineProgress(open("/dev/null", "w")), clock)
        m.feed("serial", b"UEFI Interactive Shell v2.2\r\nShell> ", clock())
        typist.pump(m)
        while m.decided is None:
            for channel, data in streams.wait(1.0):
                t = clock()
                capture.data(channel, data, t)
                for hit in m.feed(channel, data, t):
                    matched_at[hit.name] = clock()  # when the runner knows, not when the bytes came
                typist.pump(m)
        lab = [matched_at[name] - sent_at[name] for name in matched_at if name.startswith("hello-")]
        capture.close(clock())
        streams.close()
    theirs.close()
    return statistics.median(bare), statistics.median(lab)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-conv-") as tmp:
        work = Path(tmp)
        esp = shell_esp(work / "esp")
        bare = bare_round_trips(esp, args.rounds, work)
        lab, gaps, _ = lab_round_trips(esp, args.rounds, work)
        per_step = matcher_cost(work / "echo.yaml", args.rounds)
        peer_bare, peer_lab = instant_peer(echo_spec(work / "peer.yaml", PEER_ROUNDS), PEER_ROUNDS)
    med_bare, med_lab = statistics.median(bare), statistics.median(lab)
    print(f"guest round trip, bare COM1 client:   median {med_bare * 1000:7.1f} ms  (min {min(bare) * 1000:.1f}, "
          f"max {max(bare) * 1000:.1f}, {len(bare)} rounds)")
    print(f"round trip through bootlab:           median {med_lab * 1000:7.1f} ms  (min {min(lab) * 1000:.1f}, "
          f"max {max(lab) * 1000:.1f}, {len(lab)} steps)")
    print(f"lab overhead, sending to matching:    {(med_lab - med_bare) * 1000:+7.1f} ms  "
          f"(ratio {med_lab / med_bare:.3f})")
    print(f"prompt back to the next keys written: median {statistics.median(gaps) * 1000:7.1f} ms")
    print(f"matcher CPU per step (no guest):      {per_step * 1e6:7.0f} us")
    print(f"instant peer ({PEER_ROUNDS} rounds), bare socket / through the runner's pieces (type, read, match the "
          f"answer and the prompt): median {peer_bare * 1e6:.0f} us / {peer_lab * 1e6:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
