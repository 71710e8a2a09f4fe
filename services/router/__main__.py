"""``python -m services.router``: the router on its own port."""

from __future__ import annotations

from services.router.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app, lambda settings: settings.router_port)


if __name__ == "__main__":
    main()
