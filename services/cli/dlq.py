"""``grievance dlq list|show|replay|discard``: dead letters explained, replayed after a fix, or let go.

A dead letter is an event a consumer rejected (``invalid``: it does not parse; ``rejected``: the
handler refused it) or gave up on (``delivery_limit``). Listing shows why, with the parse or
handler error, and an id that the ``event_rejected`` log line carries too. Showing one describes
its body without its values where they could hold a worker's text, contact or a key
(:func:`shared.deadletters.describe`). Replaying puts dead letters back on their own queue only,
so a fixed consumer gets a second chance without other queues seeing the event twice, and refuses
(unless ``--force``) those that would only come back. Discarding asks first (``--yes`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

from services.cli.admin import Admin, add_target_options
from services.cli.errors import FAILED, OK, USAGE, CliError
from services.cli.text import table
from shared.deadletters import Inspection
from shared.invocation import grievance
from shared.messaging import DEAD_SUFFIX, QUEUES

ALL_AT_ONCE = 10_000  # the most dead letters one listing (and so one confirmation) covers


def add_parser(commands: Any) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="list, show, replay or discard dead-lettered events",
        description="Dead letters of one queue (" + ", ".join(QUEUES) + "). Acts on the RabbitMQ of "
        "GRIEVANCE_AMQP_URL (and GRIEVANCE_AMQP_NAMESPACE if the system uses one), or with --tokens "
        "FILE (or --admin-url) on a running system through its admin API, the embedded run included.",
    )
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show dead letters: ids, types, sizes, why (never bodies)")
    _queue_argument(listing)
    listing.add_argument("--limit", type=int, default=100, help="show at most N (default 100)")
    add_target_options(listing)
    show = actions.add_parser("show", help="describe one dead letter, its body redacted")
    _queue_argument(show)
    show.add_argument("id", metavar="ID", help="the dead letter's id, as `dlq list` shows it")
    add_target_options(show)
    replay = actions.add_parser("replay", help="move dead letters back onto their queue")
    _queue_argument(replay)
    replay.add_argument("--limit", type=int, default=None, help="move at most N (default: all)")
    replay.add_argument(
        "--force", action="store_true", help="also replay those the queue's consumer would reject again"
    )
    add_target_options(replay)
    discard = actions.add_parser("discard", help="remove dead letters for good, after a confirmation")
    _queue_argument(discard)
    discard.add_argument("ids", metavar="ID", nargs="*", help="the dead letters to remove")
    discard.add_argument("--all", action="store_true", help="remove every dead letter of the queue")
    discard.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    add_target_options(discard)


def _queue_argument(parser: Any) -> None:
    parser.add_argument("queue", metavar="QUEUE", help="queue name, with or without the .dead suffix")


def queue_name(raw: str) -> str:
    name = raw.removesuffix(DEAD_SUFFIX)
    if name not in QUEUES:
        raise CliError(f"unknown queue {raw!r}; choose one of: {', '.join(QUEUES)}", USAGE)
    return name


async def run(admin: Admin, args: argparse.Namespace, out: TextIO) -> int:
    queue = queue_name(args.queue)
    limit = getattr(args, "limit", None)
    if limit is not None and limit < 1:
        raise CliError("--limit must be at least 1", USAGE)
    if args.action == "list":
        return await _list(admin, queue, args.limit, out)
    if args.action == "show":
        return await _show(admin, queue, args.id, out)
    if args.action == "replay":
        return await _replay(admin, queue, limit, args.force, out)
    return await _discard(admin, queue, args, out)


async def _list(admin: Admin, queue: str, limit: int, out: TextIO) -> int:
    letters = await admin.dead_letters(queue, limit=limit)
    if not letters:
        print(f"no dead letters in {queue}{DEAD_SUFFIX}", file=out)
        return OK
    rows = [
        [d.id, d.message_id or "-", d.type or "-", str(d.size), d.reason or "-", _short(d.error)]
        for d in letters
    ]
    print(table(["ID", "MESSAGE ID", "TYPE", "BYTES", "REASON", "ERROR"], rows), file=out)
    print(
        f"{len(letters)} dead letter(s) in {queue}{DEAD_SUFFIX}; `{grievance(f'dlq show {queue} ID')}` "
        "describes one",
        file=out,
    )
    return OK


async def _show(admin: Admin, queue: str, letter_id: str, out: TextIO) -> int:
    seen = await admin.dead_letter(queue, letter_id)
    if seen is None:
        raise CliError(
            f"no dead letter {letter_id!r} in {queue}{DEAD_SUFFIX} (see `{grievance(f'dlq list {queue}')}`)"
        )
    print(render(queue, seen), file=out)
    return OK


def render(queue: str, seen: Inspection) -> str:
    """One dead letter as text: who, why, whether a replay would take it, and its redacted body."""
    letter = seen.letter
    replay = "would be accepted" if seen.refusal is None else f"would be refused: {seen.refusal}"
    fields = [
        ("dead letter", letter.id),
        ("queue", queue + DEAD_SUFFIX),
        ("message id", letter.message_id or "-"),
        ("type", letter.type or "-"),
        ("correlation", letter.correlation_id or "-"),
        ("reason", letter.reason or "-"),
        ("error", letter.error or "-"),
        ("dead-lettered", letter.dead_lettered_at or "-"),
        ("size", f"{letter.size} bytes"),
        ("replay", replay),
    ]
    width = max(len(name) for name, _ in fields)
    lines = [f"{name.ljust(width)}  {value}" for name, value in fields]
    lines.append("body (texts, contacts, keys and tokens redacted):")
    lines.append(json.dumps(seen.body, ensure_ascii=False, indent=2))
    return "\n".join(lines)


async def _replay(admin: Admin, queue: str, limit: int | None, force: bool, out: TextIO) -> int:
    done = await admin.replay(queue, limit, force)
    print(f"replayed {done.replayed} dead letter(s) from {queue}{DEAD_SUFFIX} onto {queue}", file=out)
    if done.refused:
        print(
            f"refused {len(done.refused)}, which {queue} would only reject again (they stay; "
            "fix the cause, or discard them, or replay with --force):",
            file=out,
        )
        for refusal in done.refused:
            print(f"  {refusal.id}: {refusal.reason}", file=out)
    return OK


async def _discard(admin: Admin, queue: str, args: argparse.Namespace, out: TextIO) -> int:
    if bool(args.ids) == args.all:
        raise CliError("name the dead letters to discard (ID ...) or pass --all, not both", USAGE)
    dead = queue + DEAD_SUFFIX
    if args.all:
        count = len(await admin.dead_letters(queue, limit=ALL_AT_ONCE))
        if count == 0:
            print(f"no dead letters in {dead}", file=out)
            return OK
        question = f"discard all {count} dead letter(s) of {dead} for good?"
    else:
        for letter_id in args.ids:
            if await admin.dead_letter(queue, letter_id) is None:
                raise CliError(
                    f"no dead letter {letter_id!r} in {dead} (see `{grievance(f'dlq list {queue}')}`)", FAILED
                )
        question = f"discard {len(args.ids)} dead letter(s) of {dead} for good?"
    if not args.yes and not await _confirmed(question, out):
        print("nothing discarded", file=out)
        return OK
    gone = await admin.discard(queue, None if args.all else args.ids)
    print(f"discarded {gone} dead letter(s) from {dead}", file=out)
    return OK


async def _confirmed(question: str, out: TextIO) -> bool:
    """Ask on the terminal; anything but yes (an empty line, no input at all) is no."""
    print(f"{question} [y/N] ", end="", file=out, flush=True)
    answer = await asyncio.to_thread(sys.stdin.readline)
    if not answer.endswith("\n"):
        print(file=out)
    return answer.strip().lower() in ("y", "yes")


def _short(error: str | None, width: int = 60) -> str:
    if not error:
        return "-"
    return error if len(error) <= width else error[: width - 1] + "…"
