"""The HTTP API (docs/api.md) on aiohttp: `create_app(services, settings)` builds it."""

from bot.http.app import create_app

__all__ = ["create_app"]
