"""The seller's dashboard as a Telegram Mini App (SPEC §15, R-app1…R-app3; docs/dashboard.md).

A third adapter beside the bot and the API: aiohttp routes under `/app/` on the service's
HTTP server, authenticated by Telegram's signed `initData`, rendering the core's views as
HTML fragments in the person's language. `register(app)` mounts it (bot/http/app.py)."""

from __future__ import annotations

from aiohttp import web


def register(app: web.Application) -> None:
    """Adds the Mini App's routes to the service's aiohttp application."""
    from bot.webapp.routes import routes

    app.router.add_routes(routes())
