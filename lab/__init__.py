"""Domain core of the Rustux Boot Lab: plain typed Python, no Buildbot, no Twisted.

Modules, one concern each: `verdict` (outcomes and exit codes), `spec` (milestone
spec loading), `linebuffer` (bounded line assembly), `matcher` (streaming milestone
state machine), `milestones` (the public face of the two), `judge` (matcher + runner
facts -> outcome), `inventory` (lab-inventory.yaml), `firmware` (OVMF image checks),
`esp` (FAT ESP images).
"""
