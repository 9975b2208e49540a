"""lab/contract.py is the one owner of the names the master and the workers share: Buildbot's
own values agree with it, and the steps use its names, not copies."""
import ast
from pathlib import Path

from buildbot.process import results

from rustux_bootlab.lab import contract
from rustux_bootlab.steps import boot, config
from rustux_bootlab.steps.dashboard import facts

STEPS = Path(__file__).resolve().parents[2] / "steps"


def test_result_codes_are_buildbots():
    for i, name in enumerate(contract.RESULT_NAMES):
        assert getattr(results, name.upper()) == getattr(contract, name.upper()) == i
        assert results.Results[i] == name
    assert contract.result_name(None) == "running"


def test_the_boot_step_attaches_every_log_the_runner_writes():
    assert boot.RECORD_LOGS == contract.RECORD_LOGS
    assert "screen.log" in boot.RECORD_LOGS  # the screen reader's text (workers/qemu/screen.py)


def test_builder_names_come_from_the_contract():
    assert config.boot_builder("q35-pflash") == "boot/q35-pflash" == contract.boot_builder("q35-pflash")
    assert contract.subject_of(config.operator_builder("vb-1")) == "vb-1"
    assert contract.role_of(config.golden_builder("pc-bios")) == contract.GOLDEN
    assert contract.role_of(config.bisect_builder("pc-bios")) in contract.QEMU_ROLES
    assert contract.role_of(contract.KERNEL_BUILDER) is None
    assert facts.BOOT_PROPERTIES == contract.BOOT_PROPERTIES


def string_literals_called(path: Path, method: str) -> list[str]:
    """The string literals passed first to `<x>.<method>(...)` in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append(node.args[0].value)
    return found


def test_the_boot_step_sets_properties_by_the_contracts_names():
    assert string_literals_called(STEPS / "boot.py", "setProperty") == []
    for name in contract.BOOT_PROPERTIES:
        assert name in contract.BOOT_PROPERTY_TYPES


def test_the_check_sees_a_bare_property_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("self.setProperty('verdict', 'PASS', 'x')\nself.setProperty(c.VERDICT, 'PASS', 'x')\n")
    assert string_literals_called(sample, "setProperty") == ["verdict"]
