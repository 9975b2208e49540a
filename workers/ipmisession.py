"""What pyghmi needs done around an IPMI session, in one place for the power driver
(workers/power/ipmi.py) and the SOL console (workers/console/sol.py).

- A refused login is our configuration (a wrong secret, a user without the privilege):
  ERROR/lab, never retried (BMCs lock a user out after a few bad logins). `refused` tells it
  from pyghmi's message.
- pyghmi 1.6 keeps a login in `Session.initting_sessions`, keyed by the str user and password,
  and removes it by their encoded bytes: the entry outlives the login, and every later session
  with the same credentials is handed the dead one and never logs in. `end_session` logs out
  (a dead BMC is not an error there: BMCs have few session slots, it expires by itself) and
  drops the entry, so the next login is a fresh one.
"""
from __future__ import annotations

from typing import Any

from pyghmi import exceptions as pyghmi_exc
from pyghmi.ipmi.private import session as pyghmi_session

REFUSED = ("incorrect password", "unauthorized name", "insufficient privilege", "password is too long")


def refused(message: str) -> bool:
    """pyghmi's error says the BMC refused the login itself (not a lost or busy BMC)."""
    return any(r in message.lower() for r in REFUSED)


def end_session(session: Any, host: str, user: str, password: str, port: int) -> None:
    """Log `session` out if there is one, and make pyghmi forget the login (see above)."""
    if session is not None:
        try:
            session.logout(sessionok=False)
        except (pyghmi_exc.IpmiException, OSError):
            pass
    pyghmi_session.Session.initting_sessions.pop((host, user, password, port, None), None)
