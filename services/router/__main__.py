"""``python -m services.router``: the router on its own port."""

from __future__ import annotations

from aiohttp import web

from services.router.app import create_app
from shared.log import configure_logging
from shared.settings import Settings
from shared.web import AccessLogger


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.router_port,
        access_log_class=AccessLogger,
        print=None,
    )


if __name__ == "__main__":
    main()
