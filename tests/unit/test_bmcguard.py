"""The BMC guard's rule table (workers/vboard/bmcguard.py), one test per row, on Open Session
Requests built the way ipmitool and pyghmi build them (IPMI 2.0 table 13-9)."""
from __future__ import annotations

from rustux_bootlab.workers.vboard.bmcguard import NO_CIPHER_SUITE_MATCHES, OPEN_SESSION_RESPONSE, refusal


def open_session(auth: int | None, integrity: int | None, confidentiality: int | None, tag: int = 7) -> bytes:
    def proposal(kind: int, algorithm: int | None) -> bytes:  # length 0: left to the BMC
        return bytes([kind, 0, 0, 0 if algorithm is None else 8, algorithm or 0, 0, 0, 0])
    payload = bytes([tag, 0, 0, 0]) + (0x1234).to_bytes(4, "little") + proposal(0, auth) + proposal(1, integrity) \
        + proposal(2, confidentiality)
    header = b"\x06\x00\xff\x07" + bytes([0x06, 0x10]) + bytes(8) + len(payload).to_bytes(2, "little")
    return header + payload


def test_row_1_no_authentication_is_answered_no_cipher_suite_matches():
    for asked in (open_session(0, 0, 0, tag=9), open_session(None, 1, 1, tag=9)):  # cipher suite 0; left to the BMC
        answer, why = refusal(asked)
        assert answer[4:6] == bytes([0x06, OPEN_SESSION_RESPONSE]) and answer[-2:] == bytes([9, NO_CIPHER_SUITE_MATCHES])
        assert "no authentication" in why


def test_row_2_no_integrity_is_answered_the_same():
    for suite in ((1, 0, 0), (2, 0, 0)):  # cipher suites 1 and 6
        answer, why = refusal(open_session(*suite))
        assert answer[-1] == NO_CIPHER_SUITE_MATCHES and "no integrity" in why


def test_row_3_everything_else_is_relayed():
    assert refusal(open_session(1, 1, 1)) is None  # cipher suite 3, the lab's
    assert refusal(open_session(3, 4, 1)) is None  # 17 (SHA-256), which pyghmi tries first
    assert refusal(b"\x06\x00\xff\x06\x00\x00\x11\xbe\x80\x00\x00\x00") is None  # an RMCP presence ping
    assert refusal(b"\x06\x00\xff\x07\x00" + bytes(20)) is None  # IPMI 1.5: ipmi_sim's own configuration decides
