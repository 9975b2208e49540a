"""KernelBuild against Buildbot's fake worker, with rustc's real diagnostic layout."""
from __future__ import annotations

from twisted.trial import unittest

from buildbot.process.results import FAILURE, SUCCESS
from buildbot.test.reactor import TestReactorMixin
from buildbot.test.steps import ExpectShell, TestBuildStepMixin
from rustux_bootlab.steps.kernel import KernelBuild, diagnostics

RUSTC_ERROR = """\
   Compiling rustux-kernel v0.1.0 (/w/kernel)
error[E0425]: cannot find value `hello` in this scope
  --> src/user.rs:12:9
   |
12 |         hello
   |         ^^^^^ not found in this scope

warning: unused variable: `x`
 --> src/main.rs:3:9
  |
error: could not compile `rustux-kernel` (bin "rustux-kernel") due to 1 previous error; 1 warning emitted
"""


def test_diagnostics_pair_headers_with_locations_and_skip_cargo_totals():
    assert diagnostics(RUSTC_ERROR.splitlines()) == [
        ("error", "src/user.rs:12:9: cannot find value `hello` in this scope"),
        ("warning", "src/main.rs:3:9: unused variable: `x`"),
    ]


class KernelBuildTest(TestBuildStepMixin, TestReactorMixin, unittest.TestCase):
    def setUp(self):
        self.setup_test_reactor()
        return self.setup_test_build_step()

    def test_success_reports_build_time(self):
        self.setup_step(KernelBuild())
        self.expect_commands(
            ExpectShell(workdir="wkdir", command=["scripts/build-kernel.sh"]).stdout("build-kernel: ok\n").exit(0)
        )
        self.expect_outcome(result=SUCCESS, state_string="kernel built in 0.0 s")
        self.expect_property("kernel_build_s", 0.0)
        self.expect_property("kernel_built_at", round(self.reactor.seconds(), 3))  # to the millisecond
        return self.run_step()

    def test_compiler_errors_become_a_warnings_log(self):
        self.setup_step(KernelBuild(variant="silent"))
        self.expect_commands(
            ExpectShell(workdir="wkdir", command=["scripts/build-kernel.sh", "silent"]).stderr(RUSTC_ERROR).exit(101)
        )
        self.expect_outcome(result=FAILURE, state_string="kernel build failed in 0.0 s: 1 error, 1 warning")
        self.expect_log_file("warnings", "error: src/user.rs:12:9: cannot find value `hello` in this scope\n"
                                         "warning: src/main.rs:3:9: unused variable: `x`\n")
        return self.run_step()
