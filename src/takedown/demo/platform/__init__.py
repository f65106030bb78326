"""The demo microblog. It reaches Takedown only over HTTP; see `app` for what it promises."""

from takedown.demo.platform.app import Platform, PlatformConfig, create_platform_app
from takedown.demo.platform.takedown_client import TakedownClient, TakedownUnavailable

__all__ = [
    "Platform",
    "PlatformConfig",
    "TakedownClient",
    "TakedownUnavailable",
    "create_platform_app",
]
