"""Run a command against a real MongoDB wire-protocol server: ``python -m tests.realserver.lane -- CMD``.

mongomock answers every call without yielding and accepts updates that MongoDB refuses, so the store
code is also tested against a server that speaks the wire protocol over a real storage engine. No
``mongod`` can be installed from the registries these machines reach; SecantusDB (WiredTiger inside,
reports itself as a replica set) installs from PyPI. It is GPL-2.0 and serves the tests only: it
lives in a virtual environment of its own, ``.venv-secantus``, made here from ``requirements.txt``
with exact versions, and the project never imports it.

The server gets a free port and a fresh data folder, the command runs with
``GRIEVANCE_TEST_MONGO_URL`` pointing at it, and the server stops when the command ends. When
``GRIEVANCE_TEST_MONGO_URL`` is already set (a real MongoDB, see the README), no server is started
and the command runs against that one.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = ROOT / ".venv-secantus"
REQUIREMENTS = HERE / "requirements.txt"
STAMP = VENV / "requirements.sha256"
READY_TIMEOUT = 60.0


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The lane's interpreter; (re)built when missing or when requirements.txt changed."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if _venv_python().exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return _venv_python()
    print("real-server lane: installing SecantusDB into .venv-secantus", file=sys.stderr, flush=True)
    shutil.rmtree(VENV, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    pip = [str(_venv_python()), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--no-deps", "-r", str(REQUIREMENTS)], check=True)
    STAMP.write_text(wanted + "\n")
    return _venv_python()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def url_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?replicaSet=rs0"


@contextmanager
def server() -> Iterator[str]:
    """A running SecantusDB replica set ``rs0`` on a free port with a fresh data folder; its URL."""
    python = ensure_venv()
    data = Path(tempfile.mkdtemp(prefix="secantus-"))
    port = free_port()
    process = subprocess.Popen(
        [str(python), str(HERE / "serve.py"), "--port", str(port), "--path", str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _await_ready(process, port)
        yield url_for(port)
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the server stops when its input closes
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(data, ignore_errors=True)


def _await_ready(process: subprocess.Popen[str], port: int) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    line = process.stdout.readline()
    if not line.startswith("ready"):
        raise RuntimeError(f"SecantusDB did not start (exit code {process.poll()})")
    while time.monotonic() < deadline:  # the listening socket is open before "ready"; check anyway
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("SecantusDB does not accept connections")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.realserver.lane", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    if os.environ.get("GRIEVANCE_TEST_MONGO_URL"):
        print("real-server lane: using GRIEVANCE_TEST_MONGO_URL", file=sys.stderr, flush=True)
        return subprocess.call(command)
    with server() as url:
        print(f"real-server lane: SecantusDB at {url}", file=sys.stderr, flush=True)
        return subprocess.call(command, env={**os.environ, "GRIEVANCE_TEST_MONGO_URL": url})


if __name__ == "__main__":
    raise SystemExit(main())
