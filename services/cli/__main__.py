"""``python -m services.cli``: the same as the ``grievance`` console script."""

from services.cli import main

raise SystemExit(main())
