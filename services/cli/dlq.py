"""``grievance dlq list|replay``: inspect dead letters and move them back after a fix.

A dead letter is an event a consumer rejected (invalid) or gave up on (delivery limit). Listing
shows ids, types, sizes and reasons, never bodies, which may hold a worker's text. Replaying puts
them back on their own queue only, so a fixed consumer gets a second chance without other queues
seeing the event twice.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from services.cli.admin import Admin, add_target_options
from services.cli.errors import OK, USAGE, CliError
from services.cli.text import table
from shared.messaging import DEAD_SUFFIX, QUEUES


def add_parser(commands: Any) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="list or replay dead-lettered events",
        description="Dead letters of one queue (" + ", ".join(QUEUES) + "). Acts on the RabbitMQ of "
        "GRIEVANCE_AMQP_URL (and GRIEVANCE_AMQP_NAMESPACE if the system uses one), or with --tokens "
        "FILE (or --admin-url) on a running system through its admin API, the embedded run included.",
    )
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show dead letters (ids, types, reasons; never bodies)")
    listing.add_argument("queue", metavar="QUEUE", help="queue name, with or without the .dead suffix")
    listing.add_argument("--limit", type=int, default=100, help="show at most N (default 100)")
    add_target_options(listing)
    replay = actions.add_parser("replay", help="move dead letters back onto their queue")
    replay.add_argument("queue", metavar="QUEUE", help="queue name, with or without the .dead suffix")
    replay.add_argument("--limit", type=int, default=None, help="move at most N (default: all)")
    add_target_options(replay)


def queue_name(raw: str) -> str:
    name = raw.removesuffix(DEAD_SUFFIX)
    if name not in QUEUES:
        raise CliError(f"unknown queue {raw!r}; choose one of: {', '.join(QUEUES)}", USAGE)
    return name


async def run(admin: Admin, args: argparse.Namespace, out: TextIO) -> int:
    queue = queue_name(args.queue)
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1", USAGE)
    if args.action == "list":
        letters = await admin.dead_letters(queue, limit=args.limit)
        if not letters:
            print(f"no dead letters in {queue}{DEAD_SUFFIX}", file=out)
            return OK
        rows = [[d.message_id or "-", d.type or "-", str(d.size), d.reason or "-"] for d in letters]
        print(table(["MESSAGE ID", "TYPE", "BYTES", "REASON"], rows), file=out)
        print(f"{len(letters)} dead letter(s) in {queue}{DEAD_SUFFIX}", file=out)
        return OK
    moved = await admin.replay(queue, limit=args.limit)
    print(f"replayed {moved} dead letter(s) from {queue}{DEAD_SUFFIX} onto {queue}", file=out)
    return OK
