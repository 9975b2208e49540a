"""The layering rule (docs/design.md): steps never drive QEMU or a BMC themselves: they import neither `workers` nor QEMU code,
nor the demo and test harness (`harness/`: a master never runs it)."""
import ast
from pathlib import Path

STEPS = Path(__file__).resolve().parents[2] / "steps"


def test_steps_do_not_import_the_worker_side():
    files = sorted(STEPS.rglob("*.py"))
    assert any(p.parent != STEPS for p in files), "the subpackages (steps/dashboard) are checked too"
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            layers = {n.split(".")[1] if n.startswith("rustux_bootlab.") else n.split(".")[0] for n in names}
            assert not {"workers", "harness"} & layers, f"{path.relative_to(STEPS.parent)} imports {names}"
