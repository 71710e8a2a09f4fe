"""How a message names the ``grievance`` command so that it works when pasted as printed.

``make run`` installs the console script in the checkout's virtual environment, which is not on
PATH: a message that says "run `grievance token list`" sends a newcomer to "command not found". So
every message that tells someone to run a command names the program as :func:`grievance_command`
gives it: the console script beside the running interpreter, by its absolute path (in a container,
where the script is on PATH, that is the same program), else the interpreter with ``-m services.cli``.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path


def grievance_command() -> str:
    """``grievance`` as a shell word that works from any folder: the console script beside this
    interpreter (the virtual environment's), else this interpreter running ``-m services.cli``."""
    python = Path(os.path.abspath(sys.executable))  # not resolved: a venv's python is a symlink
    script = python.with_name("grievance")
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(str(python))} -m services.cli"


def grievance(arguments: str) -> str:
    """A whole ``grievance`` command line, ``arguments`` as given (``token list --tokens FILE``)."""
    return f"{grievance_command()} {arguments}"
