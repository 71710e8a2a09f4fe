"""``python -m services.escalation``: the escalation service on its own port."""

from __future__ import annotations

from services.escalation.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app, lambda settings: settings.escalation_port)


if __name__ == "__main__":
    main()
