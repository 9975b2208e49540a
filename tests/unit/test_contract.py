"""lab/contract.py's helpers: builder names and the walk over a build's triggered builds."""
from rustux_bootlab.lab.contract import KERNEL_BUILDER, boot_builder, role_of, subject_of, triggered_builds

# A kernel build (id 1) that triggered two buildsets: one boot retried once (builds 10, 11), one not (12).
API = {
    "buildsets?parent_buildid=1": {"buildsets": [{"bsid": 5}, {"bsid": 6}]},
    "buildrequests?buildsetid=5": {"buildrequests": [{"buildrequestid": 50}]},
    "buildrequests?buildsetid=6": {"buildrequests": [{"buildrequestid": 60}, {"buildrequestid": 61}]},
    "buildrequests/50/builds": {"builds": [{"buildid": 10, "number": 1}, {"buildid": 11, "number": 2}]},
    "buildrequests/60/builds": {"builds": [{"buildid": 12, "number": 1}]},
    "buildrequests/61/builds": {"builds": []},  # not started yet
}


def test_the_last_attempt_of_each_triggered_request():
    assert [b["buildid"] for b in triggered_builds(API.__getitem__, 1)] == [11, 12]


def test_every_attempt_in_order():
    assert [b["buildid"] for b in triggered_builds(API.__getitem__, 1, every_attempt=True)] == [10, 11, 12]


def test_builder_names():
    assert boot_builder("vb-1") == "boot/vb-1"
    assert (role_of("boot/vb-1"), subject_of("boot/vb-1")) == ("boot", "vb-1")
    assert (role_of(KERNEL_BUILDER), subject_of(KERNEL_BUILDER)) == (None, KERNEL_BUILDER)
