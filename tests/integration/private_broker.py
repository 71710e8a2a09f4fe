"""A RabbitMQ node of a test's own, started with a definitions file: users and permissions to test.

The shared broker (``rabbit@localhost`` on 5672) serves everyone on the machine and its users and
permissions must not be changed, so a test of permissions starts a node of its own: its own name,
ports, data, logs and configuration (the Debian package's env and config files for the shared node
are replaced by files in the node's folder), no management plugin, and ``load_definitions`` pointing
at the file under test. Every ``rabbitmqctl`` call names this node; the node is stopped and its
folder removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

NODE_PREFIX = "permissions-"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class NodeError(RuntimeError):
    pass


class PrivateBroker:
    def __init__(self, definitions: Path) -> None:
        server, ctl = shutil.which("rabbitmq-server"), shutil.which("rabbitmqctl")
        if server is None or ctl is None:
            raise NodeError("rabbitmq-server is not installed")
        self._server, self._ctl = server, ctl
        self.name = f"{NODE_PREFIX}{secrets.token_hex(3)}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="permissions-rabbit-"))
        self._process: asyncio.subprocess.Process | None = None
        for sub in ("mnesia", "log", "schema", "etc", "generated"):
            (self.folder / sub).mkdir()
        etc = self.folder / "etc"
        shutil.copy(definitions, etc / "definitions.json")
        (etc / "enabled_plugins").write_text("[].\n")
        (etc / "rabbitmq-env.conf").write_text("ERL_EPMD_ADDRESS=127.0.0.1\n")
        (etc / "rabbitmq.conf").write_text(f"load_definitions = {etc / 'definitions.json'}\n")
        try:
            user = pwd.getpwnam("rabbitmq")
        except KeyError:
            user = None
        if os.geteuid() == 0 and user is not None:
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)

    def url(self, user: str, password: str) -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.port}/"

    def environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "GRIEVANCE_"))}
        etc = self.folder / "etc"
        return {
            **base,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(etc / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(etc / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(etc / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(etc / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.folder / "mnesia" / "plugins-expand"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_LOGS": str(self.folder / "log" / "node.log"),
            "RABBITMQ_SCHEMA_DIR": str(self.folder / "schema"),
            "RABBITMQ_GENERATED_CONFIG_DIR": str(self.folder / "generated"),
            "RABBITMQ_PID_FILE": str(self.folder / "node.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    async def start(self) -> None:
        started = time.monotonic()
        with (self.folder / "log" / "server.out").open("ab") as output:
            self._process = await asyncio.create_subprocess_exec(
                self._server,
                env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        while not (self.folder / "node.pid").exists():
            if self._process.returncode is not None:
                raise NodeError(f"{self.name} exited at start-up: {self.log()}")
            if time.monotonic() - started > START_TIMEOUT:
                raise NodeError(f"{self.name} did not start: {self.log()}")
            await asyncio.sleep(0.1)
        while True:
            try:
                await self.ctl("await_startup", "--timeout", str(int(START_TIMEOUT)))
                return
            except NodeError:
                if self._process.returncode is not None or time.monotonic() - started > START_TIMEOUT:
                    raise
                await asyncio.sleep(0.5)

    def log(self) -> str:
        texts = [
            p.read_text(errors="replace")[-1500:] for p in (self.folder / "log").glob("*") if p.is_file()
        ]
        return "\n".join(texts)

    async def ctl(self, *args: str, seconds: float = 60.0) -> str:
        if not self.name.startswith(NODE_PREFIX):
            raise NodeError("refusing to run rabbitmqctl against a node that is not this test's")
        process = await asyncio.create_subprocess_exec(
            self._ctl,
            "-n",
            self.name,
            *args,
            env=self.environment(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), seconds)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise NodeError(f"rabbitmqctl {args[0]} did not finish") from None
        if process.returncode != 0:
            raise NodeError(f"rabbitmqctl {args[0]} failed: {out.decode(errors='replace')[-400:]}")
        return out.decode(errors="replace")

    async def remove(self) -> None:
        try:
            if self._process is not None and self._process.returncode is None:
                try:
                    await self.ctl("stop", seconds=40)
                    await asyncio.wait_for(self._process.wait(), 30)
                except (NodeError, TimeoutError):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(self._process.pid, signal.SIGKILL)
                    await self._process.wait()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def private_broker(definitions: Path) -> AsyncIterator[PrivateBroker]:
    broker = PrivateBroker(definitions)
    try:
        await broker.start()
        yield broker
    finally:
        await broker.remove()
