"""`bootlab NAME` imports only NAME's module, so COMMANDS must name every command of each
module, and only those."""
import argparse
import importlib

from rustux_bootlab.workers.bootlab import COMMANDS, parser


def registered(module: str) -> set[str]:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(f"rustux_bootlab.workers.bootlab.{module}").register(sub)
    return set(sub.choices)


def test_commands_name_what_each_module_registers():
    for module in set(COMMANDS.values()):
        assert registered(module) == {name for name, m in COMMANDS.items() if m == module}, module


def test_a_command_parses_with_its_module_alone_and_help_lists_all():
    boot = parser(["boot"])
    assert set(boot._subparsers._group_actions[0].choices) == {"boot"}
    assert set(parser([])._subparsers._group_actions[0].choices) == set(COMMANDS)
    assert set(parser(["no-such-command"])._subparsers._group_actions[0].choices) == set(COMMANDS)
