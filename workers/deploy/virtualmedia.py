"""Deploy by virtual media: the ESP as a UEFI-bootable ISO, served over HTTP, inserted through the BMC.

The ISO is El Torito with one no-emulation EFI boot image (platform 0xEF): the lab's FAT
ESP image itself (`xorriso -as mkisofs -e esp.img -no-emul-boot`), which UEFI firmware
mounts as the CD's ESP and boots `EFI/BOOT/BOOTX64.EFI` from. The board's controller serves
it from a small HTTP server bound to `deploy.serve` for the length of the boot; the BMC
fetches it when the media is inserted (and some BMCs again while the board reads it), so the
server runs until the media is ejected. What the BMC fetched (requests, bytes) goes into the
record: a BMC that never fetched the image is the first thing to check.

```yaml
deploy: {method: virtual-media, serve: 10.0.0.5}   # an address of the controller the BMC can reach
```
"""
from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rustux_bootlab.lab.esp import EspError, sha256_file
from rustux_bootlab.workers.board.error import BoardError

ISO_NAME = "esp.iso"


@runtime_checkable
class MediaSlot(Protocol):
    """What the BMC offers (workers/power/redfish.py): insert a URL, eject."""

    def insert_media(self, url: str) -> None: ...

    def eject_media(self) -> None: ...


def pack_iso(fat_image: Path, out: Path) -> Path:
    """`out` (an ISO) booting `fat_image` by El Torito, no emulation; raises `EspError`."""
    if shutil.which("xorriso") is None:
        raise EspError("xorriso not found: install the xorriso package (scripts/install-deps.sh)")
    root = out.parent / (out.name + ".root")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    try:
        shutil.copyfile(fat_image, root / "esp.img")
        tmp = out.with_name(out.name + ".tmp")
        proc = subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", "RUSTUX_ESP", "-e", "esp.img",
                               "-no-emul-boot", "-o", str(tmp), str(root)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise EspError(f"xorriso could not pack {fat_image} as an ISO: {proc.stderr.strip()[-400:]}")
        os.replace(tmp, out)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


@dataclass
class Fetches:
    requests: int = 0
    bytes: int = 0
    clients: set[str] = field(default_factory=set)


class MediaServer:
    """One file over HTTP (GET and HEAD, with byte ranges for BMCs that read it in pieces)."""

    def __init__(self, iso: Path, address: str) -> None:
        self.iso = iso
        self.fetches = Fetches()
        handler = _handler(iso, self.fetches)
        self._server = http.server.ThreadingHTTPServer((address, 0), handler)
        self._server.daemon_threads = True
        host, port = str(self._server.server_address[0]), int(self._server.server_address[1])
        self.url = f"http://{host}:{port}/{iso.name}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="media-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(iso: Path, fetches: Fetches) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            fetches.requests += 1
            fetches.clients.add(self.client_address[0])
            if self.path.split("?")[0] != f"/{iso.name}":
                self.send_error(404)
                return
            size = iso.stat().st_size
            start, end = 0, size - 1
            rng = self.headers.get("Range", "")
            if rng.startswith("bytes=") and "," not in rng:
                a, _, b = rng[6:].partition("-")
                start, end = (int(a), int(b) if b else size - 1) if a else (size - int(b), size - 1)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Content-Type", "application/x-iso9660-image")
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if body:
                with open(iso, "rb") as f:
                    f.seek(start)
                    left = end - start + 1
                    while left > 0:
                        chunk = f.read(min(left, 1 << 16))
                        self.wfile.write(chunk)
                        left -= len(chunk)
                        fetches.bytes += len(chunk)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the record counts the fetches

    return Handler


@dataclass
class VirtualMediaDeploy:
    """The ISO served and inserted; `finish` ejects it and stops the server (safe to call twice)."""

    slot: MediaSlot
    server: MediaServer
    sha256: str
    inserted: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"method": "virtual-media", "url": self.server.url, "iso_sha256": self.sha256,
                "iso_bytes": self.server.iso.stat().st_size, "fetched_requests": self.server.fetches.requests,
                "fetched_bytes": self.server.fetches.bytes}

    def finish(self) -> None:
        try:
            if self.inserted:
                self.slot.eject_media()
                self.inserted = False
        finally:
            self.server.stop()


def deploy_virtual_media(fat_image: Path, media_dir: Path, serve: str, slot: MediaSlot) -> VirtualMediaDeploy:
    """Pack, serve and insert; the caller calls `finish()` after the boot (also after a failure here)."""
    media_dir.mkdir(parents=True, exist_ok=True)
    iso = pack_iso(fat_image, media_dir / ISO_NAME)
    deploy = VirtualMediaDeploy(slot, MediaServer(iso, serve), sha256_file(iso))
    deploy.inserted = True  # from the first try: a half-done InsertMedia is ejected too
    try:
        slot.insert_media(deploy.server.url)
    except BoardError as e:
        with contextlib.suppress(Exception):  # the insert's own error is the one to report
            deploy.finish()
        if deploy.server.fetches.requests == 0:
            raise BoardError(e.board, e.where, f"{e.message}; the BMC never fetched {deploy.server.url}: check that "
                             f"it reaches deploy.serve {serve} (routes, firewall)", e.culprit) from None
        raise
    except BaseException:
        with contextlib.suppress(Exception):
            deploy.finish()
        raise
    return deploy
