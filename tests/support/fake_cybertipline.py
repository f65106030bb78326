"""The fake CyberTipline the filing tests use: the sandbox in `takedown.cybertipline`, and the
settings that point a test's Takedown at it."""

from dataclasses import replace

from takedown.config import Settings
from takedown.cybertipline.sandbox import FakeCyberTipline, FakeFile, FakeReport

__all__ = ["FakeCyberTipline", "FakeFile", "FakeReport", "filing_to"]


def filing_to(settings: Settings, ncmec: FakeCyberTipline) -> Settings:
    """`settings` with filings going to `ncmec`, a reporter to name, and strikes at two."""
    return replace(
        settings,
        ncmec_url=ncmec.url,
        ncmec_username=ncmec.username,
        ncmec_password=ncmec.password,
        ncmec_reporter_name="Safety Team",
        ncmec_reporter_email="safety@platform.example",
        strike_threshold=2,
    )
