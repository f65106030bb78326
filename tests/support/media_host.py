"""A platform's media host on 127.0.0.1: serves registered urls so evidence can be fetched."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


@dataclass
class MediaHost:
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0

    def __post_init__(self) -> None:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.fetches.append(self.path)
                if host.fail_first > 0:
                    host.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path in host.redirects:
                    self.send_response(302)
                    self.send_header("Location", host.redirects[self.path])
                    self.end_headers()
                    return
                found = host.files.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data, media_type = found
                self.send_response(200)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, path: str, data: bytes, media_type: str = "image/png") -> str:
        self.files[path] = (data, media_type)
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
