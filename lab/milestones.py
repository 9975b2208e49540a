"""Public face of milestone handling: spec loading plus the streaming matcher.

Callers import from here (`from rustux_bootlab.lab.milestones import load_spec, BootMatcher`); the
pieces live in `spec`, `linebuffer`, `cleaning` and `matcher`.
"""
from rustux_bootlab.lab.matcher import BootMatcher, MilestoneHit, SignatureHit
from rustux_bootlab.lab.spec import (
    ANY,
    CHANNELS,
    FatalSignature,
    InfraSignature,
    Milestone,
    MilestoneSpec,
    SpecError,
    load_spec,
)

__all__ = [
    "ANY",
    "CHANNELS",
    "BootMatcher",
    "FatalSignature",
    "InfraSignature",
    "Milestone",
    "MilestoneHit",
    "MilestoneSpec",
    "SignatureHit",
    "SpecError",
    "load_spec",
]
