"""``python -m services.intake``: run the intake service alone."""

from __future__ import annotations

from services.intake.app import create_app
from shared.runtime import run_service


def main() -> None:
    run_service(create_app, lambda settings: settings.intake_port)


if __name__ == "__main__":
    main()
