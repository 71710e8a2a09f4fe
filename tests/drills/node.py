"""A RabbitMQ node of the drill's own: its own name, ports, data and logs, stopped and removed after.

The shared broker (``rabbit@localhost`` on 5672) serves every engineer on the machine and must never
be stopped, killed or alarmed, so a drill that breaks a broker breaks one it started itself. How
the Debian package starts a node decides how this is done:

- ``/usr/sbin/rabbitmq-server`` and ``rabbitmqctl`` are wrappers: run by root they switch to the
  ``rabbitmq`` user (``su`` keeps the environment), whose home holds the Erlang cookie that the
  CLI and the node then share. So the node's folder is handed to that user.
- ``/usr/lib/rabbitmq/bin/rabbitmq-env`` sources ``RABBITMQ_CONF_ENV_FILE`` (default
  ``/etc/rabbitmq/rabbitmq-env.conf``, which names the shared node ``rabbit@localhost``), and
  ``/etc/rabbitmq/rabbitmq.conf`` puts a listener on 5672. The node gets an env file and a config
  file of its own instead, so nothing of the shared node's configuration applies to it.
- ``RABBITMQ_NODE_PORT`` and ``RABBITMQ_DIST_PORT`` are free ports; the distribution listener is
  bound to loopback as the shared node's is; the enabled-plugins file is an empty list, so no
  management listener (15672) is started to clash with anyone's.
- Every data and log location (``RABBITMQ_MNESIA_BASE``, ``RABBITMQ_LOG_BASE``,
  ``RABBITMQ_SCHEMA_DIR``, the pid file, the generated config, the plugin expansion folder) is
  under the drill's temporary folder, so a restart after a stop or a ``kill -9`` finds the node's
  own queues and messages again.

Every ``rabbitmqctl`` call names the node with ``-n`` and carries ``RABBITMQ_NODENAME`` as well,
and :meth:`RabbitNode.ctl` refuses a node whose name is not a drill's: no call can reach the
shared broker by a slip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

NODE_PREFIX = "drill-"
START_TIMEOUT = 60.0
CTL_TIMEOUT = 60.0
ERL_FLAGS = "-kernel inet_dist_use_interface {127,0,0,1}"


class NodeError(RuntimeError):
    """The private node did not do what it was told (start, stop, a rabbitmqctl command)."""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _broker_user() -> pwd.struct_passwd | None:
    """The ``rabbitmq`` user the Debian wrappers switch to when run by root."""
    try:
        return pwd.getpwnam("rabbitmq")
    except KeyError:
        return None


class RabbitNode:
    """One private node. ``start``, ``stop``, ``kill``, ``ctl`` and ``remove``; all of them bounded."""

    def __init__(self, label: str) -> None:
        server, ctl = shutil.which("rabbitmq-server"), shutil.which("rabbitmqctl")
        if server is None or ctl is None:
            raise NodeError("rabbitmq-server is not installed; the drills need a RabbitMQ of their own")
        self._server, self._ctl = server, ctl
        self.name = f"{NODE_PREFIX}{label}-{secrets.token_hex(3)}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix=f"drill-rabbit-{label}-"))
        self.log_file = self.folder / "log" / f"{self.name}.log"
        self.pid_file = self.folder / "node.pid"
        self._process: asyncio.subprocess.Process | None = None
        self._prepare()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _prepare(self) -> None:
        for sub in ("mnesia", "log", "schema", "etc", "generated"):
            (self.folder / sub).mkdir()
        (self.folder / "etc" / "enabled_plugins").write_text("[].\n")
        # The loopback interface for the port mapper, as the shared node's env file has it.
        (self.folder / "etc" / "rabbitmq-env.conf").write_text("ERL_EPMD_ADDRESS=127.0.0.1\n")
        # Listeners come from RABBITMQ_NODE_IP_ADDRESS/PORT; the rest of the defaults stand.
        (self.folder / "etc" / "rabbitmq.conf").write_text("loopback_users.guest = true\n")
        user = _broker_user()
        if os.geteuid() == 0 and user is not None:
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)

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
            "RABBITMQ_LOGS": str(self.log_file),
            "RABBITMQ_SCHEMA_DIR": str(self.folder / "schema"),
            "RABBITMQ_GENERATED_CONFIG_DIR": str(self.folder / "generated"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": ERL_FLAGS,
        }

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> float:
        """Start the node (a child process of its own session) and wait until it serves; seconds taken."""
        if self.running:
            raise NodeError("the node is already running")
        started = time.monotonic()
        self.pid_file.unlink(missing_ok=True)
        with (self.folder / "log" / "server.out").open("ab") as output:
            self._process = await asyncio.create_subprocess_exec(
                self._server,
                env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: torn down by its id alone
            )
        # await_startup needs the node registered with the port mapper, which happens a few seconds
        # into the boot: wait for the pid file first (cheap), then let rabbitmqctl wait for the rest.
        deadline = started + START_TIMEOUT
        while not self.pid_file.exists():
            if not self.running:
                raise NodeError(f"{self.name} exited at start-up; see {self.folder / 'log'}")
            if time.monotonic() > deadline:
                raise NodeError(f"{self.name} did not start in {START_TIMEOUT:.0f} s")
            await asyncio.sleep(0.1)
        while True:
            try:
                await self.ctl("await_startup", "--timeout", str(int(START_TIMEOUT)))
                break
            except NodeError:
                if not self.running or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        return time.monotonic() - started

    def beam_pid(self) -> int:
        """The Erlang VM's pid, as the node wrote it to its pid file."""
        return int(self.pid_file.read_text().strip())

    async def stop(self) -> None:
        """Stop the node the orderly way (``rabbitmqctl stop``) and wait for its processes to end."""
        if not self.running:
            return
        await self.ctl("stop")
        await self._reap(30.0)

    async def kill(self) -> None:
        """``kill -9`` the Erlang VM, as a crash or the OOM killer would, and reap the wrapper."""
        if not self.running:
            return
        os.kill(self.beam_pid(), signal.SIGKILL)
        await self._reap(15.0)

    async def _reap(self, seconds: float) -> None:
        assert self._process is not None
        try:
            await asyncio.wait_for(self._process.wait(), seconds)
        except TimeoutError:
            self._kill_group()
            await self._process.wait()

    def _kill_group(self) -> None:
        """Kill what is left of the node's own process group (the wrapper and the VM), by its id."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, ValueError, OSError):
            os.kill(self.beam_pid(), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)

    async def remove(self, keep_logs_in: Path | None = None) -> None:
        """Stop the node however it can be stopped and delete its folder (its logs copied first)."""
        try:
            if self.running:
                try:
                    await asyncio.wait_for(self.stop(), timeout=40)
                except (NodeError, TimeoutError):
                    self._kill_group()
                    if self._process is not None:
                        await self._process.wait()
        finally:
            if keep_logs_in is not None:
                shutil.copytree(self.folder / "log", keep_logs_in, dirs_exist_ok=True)
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- rabbitmqctl ---------------------------------------------------------------------------------

    async def ctl(self, *args: str, seconds: float = CTL_TIMEOUT) -> str:
        """Run ``rabbitmqctl -n <this node> ARGS``; its output, or :class:`NodeError`."""
        if not self.name.startswith(NODE_PREFIX):
            raise NodeError("refusing to run rabbitmqctl against a node that is not a drill's")
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
            raise NodeError(f"rabbitmqctl {args[0]} did not finish in {seconds:.0f} s") from None
        text = out.decode(errors="replace")
        if process.returncode != 0:
            raise NodeError(f"rabbitmqctl {args[0]} failed ({process.returncode}): {text.strip()[-400:]}")
        return text

    async def close_all_connections(self) -> None:
        await self.ctl("close_all_connections", "drill: every connection is closed by the broker")

    async def memory_alarm(self, on: bool) -> None:
        """Raise the memory alarm (a high watermark far below what the node uses) or clear it."""
        await self.ctl("set_vm_memory_high_watermark", "0.0000001" if on else "0.4")

    async def disk_alarm(self, on: bool) -> None:
        """Raise the disk alarm (a free-space limit no disk has) or put the default limit back."""
        await self.ctl("set_disk_free_limit", "1000000GB" if on else "50MB")

    async def alarms(self) -> str:
        return await self.ctl("eval", "rabbit_alarm:get_alarms().")

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        """Ready and unacknowledged messages per queue."""
        out = await self.ctl(
            "list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged"
        )
        depths = {}
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[1].strip().isdigit():
                depths[parts[0].strip()] = (int(parts[1]), int(parts[2]))
        return depths
