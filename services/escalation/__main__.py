"""``python -m services.escalation``: the escalation service on its own port.

The same as ``grievance serve escalation``, with its checks: a lone service needs RabbitMQ and MongoDB
(not ``memory://``) and its keys, and says so clearly instead of starting half-working.
"""

from __future__ import annotations

from services.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve", "escalation"]))
