"""``python -m services.intake``: the intake service alone, as its container runs it.

The bootstrap reads the settings, refuses what cannot work (``memory://`` for a lone service, missing,
placeholder or short secrets: exit code 3 with the reason) and serves until SIGINT/SIGTERM. The same
as ``grievance serve intake``, without the command-line package.
"""

from __future__ import annotations

from shared.bootstrap import main

if __name__ == "__main__":
    raise SystemExit(main("intake"))
