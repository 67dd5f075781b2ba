"""All routes of the service, in one place."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from . import admin, api
from . import web as worker_web

STATIC_DIR = Path(__file__).with_name("static")


def setup_routes(app: web.Application) -> None:
    app.add_routes(api.routes)
    app.add_routes(worker_web.routes)
    app.add_routes(admin.routes)
    app.router.add_static("/static/", STATIC_DIR, name="static")
