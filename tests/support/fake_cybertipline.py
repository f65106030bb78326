"""The fake CyberTipline the filing tests use: the sandbox in `takedown.cybertipline`."""

from takedown.cybertipline.sandbox import FakeCyberTipline, FakeFile, FakeReport

__all__ = ["FakeCyberTipline", "FakeFile", "FakeReport"]
