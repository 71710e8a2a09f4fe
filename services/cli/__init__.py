"""The ``grievance`` command: run the services, administer a deployment, and demonstrate it.

``main()`` is the console script. :func:`run` is the same with its inputs explicit: tests hand it
settings and, for the admin commands, a runtime built on the test store or broker, the way
``create_app(settings, runtime)`` takes them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import aiohttp

from services.cli import broker, demo, dlq, keys, registry, serve, tokens
from services.cli.admin import Admin, RemoteAdmin, StoreAdmin, remote_target
from services.cli.connect import bus_runtime, store_runtime
from services.cli.errors import CONFIG, USAGE, CliError, require_shared_bus, require_shared_store
from shared.bootstrap import load_settings, mode_of
from shared.log import configure_logging
from shared.runtime import Runtime
from shared.settings import ConfigurationError, Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grievance",
        description="Worker grievance backend: run the services, load the registry, manage API "
        "tokens and dead letters, and run the demo. Configuration comes from GRIEVANCE_* "
        "environment variables (see .env.example and docs/cli.md).",
        epilog="exit codes: 0 ok, 1 failed, 2 usage, 3 configuration, 4 a dependency is unreachable",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_parser(commands)
    registry.add_parser(commands)
    tokens.add_parser(commands)
    dlq.add_parser(commands)
    keys.add_parser(commands)
    broker.add_parser(commands)
    demo.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grievance`` console script."""
    return run(argv)


def run(
    argv: Sequence[str] | None,
    *,
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Parse ``argv`` and run the command; return the exit code (messages go to ``err``)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = _parse(argv)
    if isinstance(args, int):
        return args
    try:
        return _dispatch(args, settings, runtime, out)
    except CliError as exc:
        print(f"grievance: error: {exc.message}", file=err)
        return exc.code
    except KeyboardInterrupt:
        return 130


async def run_admin(
    argv: Sequence[str],
    *,
    settings: Settings,
    runtime: Runtime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The admin commands (registry, token, dlq, keys rotate) from inside a running event loop.

    Code that already holds a runtime (tests, an operator's script) runs them on it this way.
    """
    out, err = out or sys.stdout, err or sys.stderr
    args = _parse(argv)
    if isinstance(args, int):
        return args
    try:
        if args.command == "keys" and args.action == "rotate":
            return await keys.rotate(settings, out, runtime)
        if args.command not in ADMIN_COMMANDS:
            raise CliError(f"`{args.command}` is not an admin command", USAGE)
        _check_admin(args, settings, runtime)
        return await _admin(args, settings, runtime, out)
    except CliError as exc:
        print(f"grievance: error: {exc.message}", file=err)
        return exc.code


ADMIN_COMMANDS = ("registry", "token", "dlq")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace | int:
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return int(exc.code or 0)


def _settings(given: Settings | None) -> Settings:
    if given is not None:
        return given
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise CliError(str(exc), CONFIG) from None


def _dispatch(args: argparse.Namespace, given: Settings | None, runtime: Runtime | None, out: TextIO) -> int:
    if args.command == "keys" and args.action is None:
        return keys.run(out, stack=args.stack)
    if args.command == "demo":
        return demo.run(args, out)
    settings = _settings(given)
    if args.command == "keys":
        configure_logging("ERROR", settings.log_format)
        return asyncio.run(keys.rotate(settings, out, runtime))
    if args.command == "serve":
        return _serve(args, settings, out)
    if args.command == "broker-definitions":
        return broker.run(settings, args.out, out)
    configure_logging("ERROR", settings.log_format)
    _check_admin(args, settings, runtime)
    return asyncio.run(_admin(args, settings, runtime, out))


def _check_admin(args: argparse.Namespace, settings: Settings, runtime: Runtime | None) -> None:
    """Everything that can be said about an admin command before the store or bus is opened."""
    if runtime is None and remote_target(args.tokens, args.admin_url) is None:
        command = f"{args.command} {args.action}"
        if args.command == "dlq":
            require_shared_bus(settings, command)
        else:
            require_shared_store(settings, command)
    if args.command == "token" and args.action == "issue":
        tokens.check_issue_args(args)
    if args.command == "registry":
        registry.check_file(args.file)


def _serve(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.service != "all":
        if args.registry or args.tokens_out or args.demo_sla or args.full_log:
            raise CliError("--registry, --tokens-out, --demo-sla and --full-log belong to `serve all`", USAGE)
        return serve.serve_one(settings, args.service)
    from services.cli.embedded import serve_all

    if args.registry:
        registry.check_file(Path(args.registry))
    mode = mode_of(settings)  # once: the log view and the run follow the same choice
    configure_logging(
        settings.log_level, settings.log_format, view=serve.log_view(settings, mode, args.full_log)
    )
    return asyncio.run(
        serve_all(
            settings,
            mode,
            registry=Path(args.registry) if args.registry else None,
            tokens_out=Path(args.tokens_out) if args.tokens_out else None,
            demo_sla=args.demo_sla,
            out=out,
        )
    )


async def _admin(args: argparse.Namespace, settings: Settings, runtime: Runtime | None, out: TextIO) -> int:
    command = f"{args.command} {args.action}"
    if runtime is not None:
        return await _admin_with(args, StoreAdmin(runtime), out)
    target = remote_target(args.tokens, args.admin_url)
    if target is not None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            return await _admin_with(args, RemoteAdmin(*target, session), out)
    opener = bus_runtime if args.command == "dlq" else store_runtime
    async with opener(settings, command) as opened:
        return await _admin_with(args, StoreAdmin(opened), out)


async def _admin_with(args: argparse.Namespace, admin: Admin, out: TextIO) -> int:
    if args.command == "registry":
        return await registry.run(admin, args, out)
    if args.command == "token":
        return await tokens.run(admin, args, out)
    return await dlq.run(admin, args, out)
