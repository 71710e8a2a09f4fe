"""Which local process serves a port, and how much CPU it has used (Linux ``/proc``; else ``None``).

The benchmarks report the CPU of the store's server beside their own, to say where the time goes;
the server runs in a process of its own (the real-server lane's SecantusDB, or a local mongod).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from bench.intake import cpu_seconds

__all__ = ["cpu_seconds", "listening_pid", "server_pid"]


def listening_pid(port: int) -> int | None:
    """The process with a socket listening on ``port`` on this machine, if it can be seen."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def server_pid(url: str) -> int | None:
    """The local process behind a ``mongodb://host:port`` URL (the first host), if any."""
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    return listening_pid(parsed.port or 27017)
