"""The layering rule (docs/design.md): steps never drive QEMU or a BMC themselves: they import neither `workers` nor QEMU code."""
import ast
from pathlib import Path

STEPS = Path(__file__).resolve().parents[2] / "steps"


def test_steps_do_not_import_the_worker_side():
    files = sorted(STEPS.rglob("*.py"))
    assert any(p.parent != STEPS for p in files), "the subpackages (steps/dashboard, harness/cluster) are checked too"
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            assert not any(n.split(".")[0] == "workers" for n in names), f"{path.relative_to(STEPS.parent)} imports {names}"
