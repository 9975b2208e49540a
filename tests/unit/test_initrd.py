"""scripts/mkinitrd.py: the initrd the kernel's kcore::cpio reads (newc), read back here by
an independent parser of the format; bad arguments name the fix."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MKINITRD = ROOT / "scripts" / "mkinitrd.py"


def mkinitrd(out: Path, *specs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(MKINITRD), str(out), *specs], capture_output=True, text=True)


def members(data: bytes) -> list[tuple[str, int, bytes]]:
    """(name, mode, data) per record, checking magic, alignment and the trailer."""
    out, offset = [], 0
    while True:
        header = data[offset:offset + 110]
        assert header[:6] == b"070701", f"bad magic at {offset}"
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, name_size = fields[1], fields[6], fields[11]
        name_at = offset + 110
        name = data[name_at:name_at + name_size - 1].decode()
        assert data[name_at + name_size - 1] == 0
        data_at = (name_at + name_size + 3) & ~3
        if name == "TRAILER!!!":
            assert len(data) % 512 == 0 and not data[data_at:].strip(b"\0")
            return out
        assert fields[5] == 0, "time stamps are 0 (reproducible)"
        out.append((name, mode, data[data_at:data_at + size]))
        offset = (data_at + size + 3) & ~3


def test_archive_holds_files_with_directory_entries_first(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "rc").write_text("echo hi\n")
    (tmp_path / "etc" / "motd").write_text("welcome\n")
    sh = tmp_path / "sh"
    sh.write_bytes(b"\x7fELF" + bytes(range(200)))
    sh.chmod(0o755)
    out = tmp_path / "initrd.cpio"
    done = mkinitrd(out, f"bin/sh={sh}", f"etc={tmp_path / 'etc'}")
    assert done.returncode == 0, done.stderr
    got = members(out.read_bytes())
    assert [(name, oct(mode)) for name, mode, _ in got] == [
        ("bin", "0o40755"), ("bin/sh", "0o100755"), ("etc", "0o40755"), ("etc/motd", "0o100644"), ("etc/rc", "0o100644")]
    assert dict((n, d) for n, _, d in got)["bin/sh"] == sh.read_bytes()
    again = tmp_path / "again.cpio"
    mkinitrd(again, f"etc={tmp_path / 'etc'}", f"bin/sh={sh}")
    assert again.read_bytes() == out.read_bytes(), "same inputs, same bytes"


def test_bad_arguments_name_the_fix(tmp_path):
    for spec, words in [("bin/sh", "want DEST=SOURCE"), ("../x=/etc/hostname", "relative path"),
                        (f"bin/nope={tmp_path / 'nope'}", "does not exist: build it first")]:
        done = mkinitrd(tmp_path / "out.cpio", spec)
        assert done.returncode != 0 and words in done.stderr, (spec, done.stderr)
        assert not (tmp_path / "out.cpio").exists()
