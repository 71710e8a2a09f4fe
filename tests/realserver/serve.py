"""Serve SecantusDB as a single-node replica set named ``rs0`` until told to stop.

Runs inside the lane's own virtual environment (``.venv-secantus``), never the project's: it imports
nothing of the project. It prints ``ready PORT`` once clients may connect, and stops on SIGTERM,
SIGINT or when its standard input closes, so a parent that dies never leaves a server behind.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from secantus import SecantusDBServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    args = parser.parse_args()
    server = SecantusDBServer("127.0.0.1", args.port, args.path, replica_set_name="rs0")
    server.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def watch_stdin() -> None:
        sys.stdin.read()  # returns at end of file: the parent closed the pipe or died
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"ready {server.port}", flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
