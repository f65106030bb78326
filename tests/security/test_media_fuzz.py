"""Hostile media against a real `takedown serve` (issue 10 item 11).

Images and videos made by the test, then broken on purpose: truncated, bit-flipped, with a
header claiming a giant picture, chunks repeated, HTML glued on, declared as something else.
Each upload must get a verdict or a 4xx within a time bound, the server's memory must stay under
a bound, and the server must still answer afterwards. Seeded, so a failure replays.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess, cli
from tests.support.synthetic_media import encoded, scene_frames, synthetic_image, video_bytes

pytestmark = pytest.mark.slow

SECONDS_PER_FILE = 30.0
MEMORY_BOUND_KIB = 1_500_000  # the server's resident set, all uploads included


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def giant_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A valid PNG header that claims billions of pixels, with one row of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" + b"\x00" * (width * 3), 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)


def mutations(name: str, data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Broken versions of one file: each a way a parser can be led astray."""
    yield f"{name}:truncated-header", data[:16]
    yield f"{name}:truncated-half", data[: len(data) // 2]
    yield f"{name}:empty", b""
    for n in range(3):
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 40)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        yield f"{name}:bitflip-{n}", bytes(flipped)
    cut = rng.randrange(16, len(data))
    yield f"{name}:chunk-repeated", data[:cut] + data[cut - 16 : cut] * 200 + data[cut:]
    yield f"{name}:html-appended", data + b"<html><script>alert(document.cookie)</script></html>"
    yield f"{name}:html-prepended", b"<!doctype html><script>alert(1)</script>" + data
    yield f"{name}:noise", rng.randbytes(len(data) // 4)


def corpus() -> Iterator[tuple[str, bytes, str]]:
    rng = random.Random(1010)
    image = synthetic_image(77, (160, 120))
    bases = {
        "png": (encoded(image, "PNG"), "image/png"),
        "jpeg": (encoded(image, "JPEG", quality=80), "image/jpeg"),
        "gif": (encoded(image, "GIF"), "image/gif"),
        "webp": (encoded(image, "WEBP"), "image/webp"),
        "mp4": (video_bytes(list(scene_frames(78, 1.0, 8)), 8), "video/mp4"),
    }
    yield "png:giant-dimensions", giant_png(), "image/png"
    yield "png:declared-html", bases["png"][0], "text/html"
    for name, (data, declared) in bases.items():
        for label, broken in mutations(name, data, rng):
            yield label, broken, declared


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {
        "TAKEDOWN_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "TAKEDOWN_DATA_DIR": str(tmp_path / "data"),
        "TAKEDOWN_WORKER_POLL_SECONDS": "0.1",
    }
    proc = ServerProcess(tmp_path, env)
    proc.start()
    yield proc
    proc.stop()


def resident_kib(server: ServerProcess) -> int:
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # the peak resident set so far
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc: this test needs Linux")


def test_hostile_uploads_get_a_verdict_or_a_4xx_and_the_server_stays_up(
    server: ServerProcess,
) -> None:
    out = cli(
        "keys",
        "create",
        "--name",
        "fuzz-platform",
        "--role",
        "platform",
        cwd=server.workdir,
        env=server.environment(),
    )
    platform = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
    wrong: list[str] = []
    answered = 0
    with httpx.Client(base_url=server.url, timeout=SECONDS_PER_FILE) as client:
        for n, (label, data, declared) in enumerate(corpus()):
            try:
                response = client.post(
                    "/v1/content",
                    data={"content_id": f"fuzz-{n}", "account_id": f"acct-{n % 4}"},
                    files={"file": (f"upload-{n}", data, declared)},
                    headers=platform,
                )
            except httpx.TimeoutException:
                wrong.append(f"{label}: no answer within {SECONDS_PER_FILE}s")
                continue
            except httpx.TransportError as exc:
                wrong.append(f"{label}: connection failed ({exc!r}): {server.log_text()[-800:]}")
                break
            answered += 1
            verdict = response.status_code == 200 and response.json().get("verdict") in (
                "allow",
                "block",
                "hold",
            )
            if not verdict and not 400 <= response.status_code < 500:
                wrong.append(f"{label}: {response.status_code} {response.text[:200]}")
        assert server.process is not None and server.process.poll() is None, "the server died"
        assert client.get("/healthz").status_code == 200
    assert wrong == [], "\n".join(wrong)
    assert answered > 50
    assert resident_kib(server) < MEMORY_BOUND_KIB
