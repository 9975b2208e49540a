"""`screen.png`: the guest's screen when the boot ended, by QMP screendump (an attachment)."""
from __future__ import annotations

from workers.png import PpmError, ppm_to_png
from workers.qemu.attach import Attachment, LiveBoot
from workers.qemu.qmp import QmpError

SCREEN = "screen.png"


class LastScreen(Attachment):
    def stopping(self, live: LiveBoot) -> None:
        if live.qmp is None:
            return
        ppm = live.out / ".screen.ppm"
        try:
            live.qmp.execute("screendump", {"filename": str(ppm)}, timeout=5.0)
            ppm_to_png(ppm, live.out / SCREEN)
        except (QmpError, PpmError, OSError) as exc:
            live.event(f"no screen.png: {exc}")
        finally:
            ppm.unlink(missing_ok=True)
