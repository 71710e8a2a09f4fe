"""``grievance token issue|revoke|list``: bearer tokens for committees, NGOs and administrators.

A token is printed once, at issue, and stored only as a hash (``shared.auth``); listing shows ids,
roles and scopes, never tokens.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from pydantic import TypeAdapter, ValidationError

from services.cli.admin import Admin, add_target_options
from services.cli.errors import FAILED, OK, CliError
from services.cli.text import table
from shared import durations
from shared.auth import LIFETIME
from shared.invocation import grievance


def add_parser(commands: Any) -> None:
    token = commands.add_parser(
        "token",
        help="issue, revoke and list API tokens",
        description="Bearer tokens for the committee API (router), the NGO API (escalation) and "
        "administrators. Acts on the MongoDB of GRIEVANCE_MONGO_URL, or with --tokens FILE (or "
        "--admin-url) on a running system through its admin API, the embedded run included.",
    )
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = actions.add_parser(
        "issue",
        help="issue a new token (shown once)",
        description="Issue a token. A committee token reads only that committee's cases; an NGO "
        "token sees escalations of the listed factories (all factories without --factory). The "
        "committee and the factories must be in the registry.",
        epilog=f"examples: {grievance('token issue --role committee --committee gz-001-spt')}\n"
        f"          {grievance('token issue --role ngo --factory GZ-001 --factory SZ-003')}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    issue.add_argument("--role", required=True, choices=["committee", "ngo", "admin"])
    issue.add_argument("--committee", metavar="ID", help="committee id (required for --role committee)")
    issue.add_argument(
        "--factory",
        metavar="CODE",
        action="append",
        help="limit an NGO token to this factory (repeat for several; default: all factories); with "
        "--role committee, the committee's factory, checked before the token is issued",
    )
    issue.add_argument("--label", help="a note for `token list` (who holds the token)")
    issue.add_argument(
        "--lifetime",
        metavar="DURATION",
        type=_lifetime,
        default=LIFETIME,
        help="how long the token works (default 180 days; e.g. 90 days, 12 h, P30D)",
    )
    issue.add_argument("--json", action="store_true", help="print the result as JSON")
    add_target_options(issue)
    revoke = actions.add_parser("revoke", help="revoke a token by its id", description="Revoke a token.")
    revoke.add_argument("token_id", metavar="ID", help="the token id shown by `issue` and `list`")
    add_target_options(revoke)
    listing = actions.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--json", action="store_true", help="print the records as JSON")
    add_target_options(listing)


def check_issue_args(args: argparse.Namespace) -> None:
    """Scopes that make no sense are usage errors, caught before anything is opened."""
    if args.role == "committee" and not args.committee:
        raise CliError("--role committee needs --committee ID", 2)
    if args.role != "committee" and args.committee:
        raise CliError("--committee is only for --role committee", 2)
    if args.role == "admin" and args.factory:
        raise CliError("--factory is only for --role ngo (or committee, to check its factory)", 2)


async def run(admin: Admin, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "issue":
        return await _issue(admin, args, out)
    if args.action == "revoke":
        if not await admin.revoke_token(args.token_id):
            raise CliError(
                f"no active token with id {args.token_id!r} (see `{grievance('token list')}`)", FAILED
            )
        print(f"revoked {args.token_id}", file=out)
        return OK
    records = await admin.list_tokens()
    if args.json:
        print(json.dumps(records, default=str, indent=2), file=out)
    else:
        print(render_tokens(records), file=out)
    return OK


async def _issue(admin: Admin, args: argparse.Namespace, out: TextIO) -> int:
    check_issue_args(args)
    token, record = await admin.issue_token(
        args.role, args.committee, args.factory, args.label, args.lifetime
    )
    if args.json:
        print(json.dumps({"token_id": record["token_id"], "role": args.role, "token": token}), file=out)
    else:
        print(
            f"token id: {record['token_id']}  role: {args.role}  scope: {scope_of(record)}  "
            f"expires: {_when(record.get('expires_at'))}",
            file=out,
        )
        print(token, file=out)
        print("Keep it now: only its hash is stored, it cannot be shown again.", file=out)
    return OK


def scope_of(record: dict[str, Any]) -> str:
    if record.get("role") == "committee":
        return f"committee {record.get('committee_id')}"
    if record.get("role") == "ngo":
        factories = record.get("factories")
        return "all factories" if factories is None else "factories " + ", ".join(factories)
    return "administration"


def render_tokens(records: list[dict[str, Any]]) -> str:
    if not records:
        return "no tokens"
    now = datetime.now(UTC)
    rows = [
        [
            str(r.get("token_id")),
            str(r.get("role")),
            scope_of(r),
            str(r.get("label") or ""),
            _when(r.get("created_at")),
            _when(r.get("expires_at")),
            _state(r, now),
        ]
        for r in records
    ]
    return table(["ID", "ROLE", "SCOPE", "LABEL", "CREATED", "EXPIRES", "STATE"], rows)


def _state(record: dict[str, Any], now: datetime) -> str:
    if record.get("revoked_at"):
        return "revoked " + _when(record["revoked_at"])
    expires = record.get("expires_at")
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    return "expired" if isinstance(expires, datetime) and expires <= now else "active"


def _lifetime(value: str) -> timedelta:
    parsed = durations.parse(value)
    if not isinstance(parsed, timedelta):
        try:
            parsed = TypeAdapter(timedelta).validate_python(value)
        except ValidationError:
            raise argparse.ArgumentTypeError("a duration such as 90 days, 12 h or P30D") from None
    if parsed <= timedelta(0):
        raise argparse.ArgumentTypeError("a lifetime must be longer than nothing")
    return parsed


def _when(value: Any) -> str:
    if isinstance(value, str) and "T" in value:  # an ISO time from the admin API
        return value[:16].replace("T", " ")
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")
