"""DESIGN rule: `steps -> lab <- workers`; lab imports neither Buildbot, Twisted nor the edges."""
import ast
import subprocess
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "lab"
FORBIDDEN = ("buildbot", "twisted", "workers", "steps")


def imported_roots(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_lab_imports_only_itself_and_plain_libraries():
    files = sorted(LAB.glob("*.py"))
    assert len(files) > 5
    for path in files:
        bad = set(imported_roots(path)) & set(FORBIDDEN)
        assert not bad, f"{path.name} imports {bad}"


def test_bootlab_cli_imports_no_board_drivers():
    # A QEMU boot must not pay for pyghmi and paramiko (~150 ms of the boot-latency budget).
    code = "import sys, workers.bootlab; print(sorted({m.split('.')[0] for m in sys.modules} & {'pyghmi', 'paramiko', 'buildbot'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=LAB.parent).stdout.strip()
    assert out == "[]"
