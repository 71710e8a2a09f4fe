"""What ``grievance serve all`` prints once it listens: where each part is and how to try it.

Every command it prints works when pasted as printed in the folder the run was started in.
``grievance`` lives inside the virtual environment, not on PATH, so a command names it by its
absolute path (:func:`shared.invocation.grievance_command`); and a command passes the files this
run was given (its tokens file, its registry) instead of trusting the defaults of the command to
match them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from services.cli import seed
from services.cli.errors import where
from shared.bootstrap import SERVICES
from shared.invocation import grievance_command
from shared.settings import Settings


def _local(host: str) -> str:
    """Where a client on this machine reaches a listener bound to ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compares, binds nothing


def urls(settings: Settings) -> dict[str, str]:
    host = _local(settings.host)
    return {service: f"http://{host}:{getattr(settings, f'{service}_port')}" for service in SERVICES}


def ops_url(settings: Settings) -> str:
    return f"http://{_local(settings.ops_host)}:{settings.ops_port}"


def admin_url(settings: Settings) -> str:
    return f"http://{_local(settings.admin_host)}:{settings.admin_port}"


def _demo_defaults() -> tuple[Path, Path]:
    """The tokens file and registry ``grievance demo`` reads when given neither."""
    from services.cli import build_parser  # the parser imports every command, this module among them

    args = build_parser().parse_args(["demo"])
    return Path(args.tokens), Path(args.registry)


def _make_demo_here() -> bool:
    """Whether this folder's Makefile has the ``demo`` target (that of ``make run``'s checkout)."""
    makefile = Path("Makefile")
    if not makefile.is_file():
        return False
    return re.search(r"^demo:", makefile.read_text(encoding="utf-8"), re.MULTILINE) is not None


def demo_command(tokens_out: Path, registry: Path) -> str:
    """The demo against this run: ``make demo`` where that is the same command (beside the Makefile,
    with the files ``make run`` gives), else ``grievance demo`` with this run's files."""
    if (tokens_out, registry) == _demo_defaults() and _make_demo_here():
        return "make demo"
    files = f"--tokens {shlex.quote(str(tokens_out))} --registry {shlex.quote(str(registry))}"
    return f"{grievance_command()} demo {files}"


def admin_command(settings: Settings, tokens_out: Path | None, tokens: dict[str, Any], arguments: str) -> str:
    """An admin command (``token list``): through this run's admin API when the tokens file holds the
    admin token (the only way into an embedded run's store), else on the store of the environment."""
    through = tokens_out is not None and "admin" in tokens and settings.admin_port is not None
    remote = f" --tokens {shlex.quote(str(tokens_out))}" if through else ""
    return f"{grievance_command()} {arguments}{remote}"


def _issue_arguments(name: str) -> str:
    """``token issue`` arguments for a token named as :class:`seed.Prepared` names them."""
    role, _, committee = name.partition(" ")
    return f"token issue --role {role}" + (f" --committee {shlex.quote(committee)}" if committee else "")


def banner(
    settings: Settings,
    registry: Path | None,
    tokens_out: Path | None,
    tokens: dict[str, Any],
    demo_sla: bool,
    twilio_in_tokens: bool = True,
    *,
    embedded: bool,
    elsewhere: Sequence[str] = (),
) -> str:
    """What a newcomer needs to see after `make run`: where each part is and how to try it.

    ``embedded``: bus and store live in this process (the bootstrap's :class:`~shared.bootstrap.Mode`),
    so every token is new and nothing outlives the run.
    """
    at = urls(settings)
    admin = partial(admin_command, settings, tokens_out, tokens)
    mode = (
        "embedded: in-memory bus and store, everything is lost when this process ends"
        if embedded
        else f"bus {where(settings.amqp_url)}, store {where(settings.mongo_url)}"
    )
    committees: dict[str, str] = tokens.get("committees", {})
    lines = [
        f"grievance is running ({mode})",
        f"  intake      {at['intake']}  SMS webhook /webhooks/twilio/sms, web form /api/v1/grievances",
        f"  router      {at['router']}  committee API /api/v1/cases, public status POST /api/v1/status/REF",
        f"  console     {at['router']}/console/  committees in the browser (sign in with the committee's token)",
        f"  web form    {at['intake']}/  workers file a grievance in the browser (Chinese or English)",
        f"  case page   {at['router']}/case/  workers follow their case (reference or code, PIN or a sign-in code)",
        f"  escalation  {at['escalation']}  NGO API /api/v1/escalations, /api/v1/stats",
        f"  ngo console {at['escalation']}/console/  the NGO in the browser (sign in with the NGO token)",
    ]
    if settings.admin_port is not None:
        lines.append(
            f"  admin API   {admin_url(settings)}  where the admin commands (registry, token, dlq) "
            "reach this run, with the admin token"
        )
    if settings.ops_port is not None:
        lines.append(f"  operations  {ops_url(settings)}  /readyz, /metrics (never on the public ports)")
    if registry is not None:
        lines.append(f"  registry    {registry} ({len(committees)} committee(s))")
    if tokens_out is not None and embedded:
        lines.append(f"  tokens      {tokens_out} (one per committee, 'ngo', 'admin'; readable by you only)")
    elif tokens_out is not None:
        lines.append(
            f"  tokens      {tokens_out} (those issued now, and those of an earlier start that still "
            "work; readable by you only)"
        )
    else:
        lines.append("  tokens      none written (pass --tokens-out FILE to get API tokens)")
    if elsewhere:
        issue = [admin(_issue_arguments(name)) for name in elsewhere]
        lines += [
            f"              not issued again, an earlier start's still work: {', '.join(elsewhere)}",
            f"              (stored as hashes only) list them: {admin('token list')}",
            f"              make new ones: {issue[0]}",
            *(f"                             {command}" for command in issue[1:]),
        ]
    elif tokens_out is None and not embedded:
        lines.append(
            f"              make them: {admin('token issue --role admin')}"
            "   # also --role ngo, --role committee --committee ID"
        )
    if demo_sla:
        lines.append("  deadlines   demo: acknowledge within 10 s, resolve within 2 min, sweep every 1 s")
    lines += ["", "Try it:", f"  {seed.web_form_curl(at['intake'], registry)}"]
    if tokens_out is not None and committees:
        committee = next(iter(committees))
        lines.append(
            f'  curl -s {at["router"]}/api/v1/cases -H "Authorization: Bearer $(python3 -c '
            f'\'import json; print(json.load(open("{tokens_out}"))["committees"]["{committee}"])\')"'
        )
    if tokens_out is not None and committees:
        committee = next(iter(committees))
        lines += [
            f"  Committee console: open {at['router']}/console/ and paste a committee's token, e.g. {committee}'s:",
            f'    python3 -c \'import json; print(json.load(open("{tokens_out}"))["committees"]["{committee}"])\'',
        ]
    if tokens_out is not None and "ngo" in tokens:
        lines += [
            f"  NGO console: open {at['escalation']}/console/ and paste the NGO token:",
            f'    python3 -c \'import json; print(json.load(open("{tokens_out}"))["ngo"])\'',
        ]
    elif tokens_out is not None:
        # An embedded start issues the NGO's token each time; only a deployment may need one made.
        lines.append(f"  NGO console: open {at['escalation']}/console/ and paste an NGO token")
        if not embedded:
            lines.append(f"    {admin('token issue --role ngo')}   # makes one")
    if tokens_out is not None and "admin" in tokens and settings.admin_port is not None:
        lines.append(f"  {admin('token list')}   # through the admin API: this run's tokens")
    if tokens_out is not None and registry is not None and demo_sla:
        needs = "" if twilio_in_tokens else "   # with GRIEVANCE_TWILIO_AUTH_TOKEN set, to sign its SMS"
        lines.append(f"  {demo_command(tokens_out, registry)}{needs}")
    lines.append("Stop with Ctrl-C.")
    return "\n".join(lines)
