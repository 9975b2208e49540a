"""A stand-in for real BMCs' quirks, in front of the real sushy-emulator: an HTTPS proxy (certificate
from the test's lab CA) that forwards every request and, when switched on, behaves as BMCs in other
labs' trackers do. sushy-emulator has none of these behaviours, and no real BMC runs here, so this
one layer is a fake; the Redfish service behind it, the domain and its power are real.

- `slash_404`: 404 for any path without a trailing slash (the emulator is then asked without it);
- `transient`: after a Reset action, the next `transient` reads of the system say PoweringOn/Off;
- `etag`: the system carries an ETag; a PATCH without the matching If-Match gets 412;
- `busy`: the next `busy` requests get 503;
- `refuse_insert`: InsertMedia gets 400 with a Redfish error message;
- `unreachable_media`: InsertMedia's image URL is pointed at a closed port before the emulator
  fetches it, as when the BMC's network cannot reach the controller (the fetch fails for real).
"""
from __future__ import annotations

import http.server
import json
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

import requests

from rustux_bootlab.workers.vboard import labca


@dataclass
class Quirks:
    slash_404: bool = False
    transient: int = 0
    etag: bool = False
    busy: int = 0
    refuse_insert: bool = False
    unreachable_media: str | None = None  # a URL nothing answers at
    seen: list[str] = field(default_factory=list)  # "METHOD path -> status"
    transient_served: int = 0  # reads answered with a transient power state
    _pending_transient: int = 0
    _etag: int = 1
    _transient_state: str = "PoweringOn"


class QuirkyBmc:
    def __init__(self, upstream: str, ca: Path, workdir: Path, quirks: Quirks) -> None:
        self.quirks = quirks
        labca.issue(ca, "127.0.0.1", workdir / "quirky.crt", workdir / "quirky.key")
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, str(ca), quirks))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(workdir / "quirky.crt", workdir / "quirky.key")
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(upstream: str, ca: str, q: Quirks) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._forward("GET")

        def do_POST(self) -> None:
            self._forward("POST")

        def do_PATCH(self) -> None:
            self._forward("PATCH")

        def do_DELETE(self) -> None:
            self._forward("DELETE")

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            q.seen.append(f"{self.command} {self.path} -> {status}")
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path
            if q.busy > 0:
                q.busy -= 1
                return self._answer(503)
            if q.slash_404 and method == "GET" and not path.endswith("/"):
                return self._answer(404, b'{"error": {"message": "not found"}}', {"Content-Type": "application/json"})
            if path != "/redfish/v1/":
                path = path.rstrip("/")  # the emulator's routes have no trailing slash
            is_system = path.count("/") == 4 and path.startswith("/redfish/v1/Systems/")
            if method == "PATCH" and q.etag and is_system and self.headers.get("If-Match") != f'"{q._etag}"':
                return self._answer(412, b'{"error": {"message": "If-Match required"}}', {"Content-Type": "application/json"})
            if method == "POST" and q.refuse_insert and path.endswith("VirtualMedia.InsertMedia"):
                return self._answer(400, json.dumps({"error": {"code": "Base.1.0.GeneralError", "message":
                                    "InsertMedia refused: the BMC's media slot is locked"}}).encode(),
                                    {"Content-Type": "application/json"})
            if method == "POST" and q.unreachable_media and path.endswith("VirtualMedia.InsertMedia"):
                body = json.dumps({**json.loads(body), "Image": q.unreachable_media}).encode()
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "if-match")}
            r = requests.request(method, upstream + path, data=body or None, headers=headers, verify=ca, timeout=30)
            out = r.content
            extra = {"Content-Type": r.headers.get("Content-Type", "application/json")}
            if method == "POST" and path.endswith("ComputerSystem.Reset") and r.ok and q.transient:
                q._pending_transient = q.transient
                q._transient_state = "PoweringOff" if b"Off" in body else "PoweringOn"
            if method == "PATCH" and is_system and r.ok:
                q._etag += 1
            if method == "GET" and is_system and r.ok:
                doc = r.json()
                if q._pending_transient > 0:
                    q._pending_transient -= 1
                    q.transient_served += 1
                    doc["PowerState"] = q._transient_state
                out = json.dumps(doc).encode()
                if q.etag:
                    extra["ETag"] = f'"{q._etag}"'
            self._answer(r.status_code, out, extra)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
