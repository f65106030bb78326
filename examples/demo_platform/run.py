"""Run the demo microblog on its own, against a Takedown that is already running.

    takedown serve &                                   # Takedown on :8000
    takedown keys create --name microblog --role platform   # prints KEY
    python examples/demo_platform/run.py --api-key KEY

The microblog lives in `takedown.demo.platform` (so that `takedown demo` can start both apps
in one command); this file is the entry point a real platform's integration would resemble:
it registers its webhook endpoint once and then only speaks the public HTTP API.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

import httpx
import uvicorn

from takedown.demo.platform import Platform, PlatformConfig, TakedownClient, create_platform_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-key", required=True, help="a Takedown key with role platform")
    parser.add_argument("--takedown-url", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--database", type=Path, default=Path("demo-platform.db"))
    args = parser.parse_args()

    public_url = f"http://{args.host}:{args.port}"
    secret = "whsec-" + secrets.token_urlsafe(24)
    takedown = TakedownClient(httpx.Client(base_url=args.takedown_url, timeout=60), args.api_key)
    platform = Platform(
        config=PlatformConfig(
            database_url=f"sqlite:///{args.database.resolve()}",
            public_url=public_url,
            takedown_public_url=args.takedown_url,
            webhook_secret=secret,
        ),
        takedown=takedown,
    )
    # A fresh secret each start, registered as a new endpoint: simple for a demo; a real
    # platform keeps one endpoint and rotates its secret deliberately.
    takedown.register_webhook(f"{public_url}/hooks/takedown", secret)
    uvicorn.run(create_platform_app(platform), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
