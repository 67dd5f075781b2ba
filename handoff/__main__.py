"""Command line: python -m handoff {migrate,seed-demo,serve,token,retention}."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .settings import Settings

log = logging.getLogger("handoff")


def _migrate(settings: Settings) -> None:
    from .db import migrate

    migrate(settings.database_url)
    print("handoff database migrated to head")


async def _seed(settings: Settings) -> None:
    from .db import create_engine, create_sessionmaker
    from .seed import seed_demo

    engine = create_engine(settings.database_url)
    try:
        emails = await seed_demo(create_sessionmaker(engine), settings.demo_worker_password)
    finally:
        await engine.dispose()
    print("demo workers (password from DEMO_WORKER_PASSWORD):")
    for email in emails:
        print(f"  {email}")


async def _serve(settings: Settings) -> None:
    from aiohttp import web

    from .app import create_app

    runner = web.AppRunner(create_app(settings, run_jobs=True), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    host, port = runner.addresses[0][:2]
    log.info("handoff service ready on http://%s:%s", host, port)
    try:
        await stop.wait()
    finally:
        log.info("handoff service stopping")
        await runner.cleanup()


async def _retention(settings: Settings, days: int, dry_run: bool) -> None:
    from .db import create_engine, create_sessionmaker
    from .retention import apply_retention

    engine = create_engine(settings.database_url)
    try:
        report = await apply_retention(create_sessionmaker(engine), days, dry_run=dry_run)
    finally:
        await engine.dispose()
    verb = "would be deleted (dry run)" if dry_run else "deleted"
    print(f"retention: records older than {days} days {verb}:")
    for line in report.lines():  # counts only, never personal data
        print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff", description=__doc__)
    parser.add_argument("command", choices=["migrate", "seed-demo", "serve", "token", "retention"])
    parser.add_argument("--days", type=int, default=None, help="retention: keep this many days (default RETENTION_DAYS)")
    parser.add_argument("--dry-run", action="store_true", help="retention: count what would be deleted, delete nothing")
    args = parser.parse_args(argv)
    if args.days is not None and args.days < 1:
        parser.error("--days must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    settings = Settings.from_env()
    if args.command == "migrate":
        _migrate(settings)
    elif args.command == "seed-demo":
        asyncio.run(_seed(settings))
    elif args.command == "serve":
        asyncio.run(_serve(settings))
    elif args.command == "token":
        print(settings.api_token)
    elif args.command == "retention":
        asyncio.run(_retention(settings, args.days or settings.retention_days, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
