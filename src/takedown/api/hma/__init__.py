"""The HMA-compatible API (API.md, "HMA-compatible API"), mounted at `/hma`.

A FastAPI application of its own, so that its errors have HMA's shape (`{"message": ...}`,
with Takedown's `error` object beside it) and its OpenAPI document sits where HMA's does
(`/hma/openapi/openapi.json`), without touching the v1 API's.
"""

from takedown.api.hma.app import create_hma_app

__all__ = ["create_hma_app"]
