"""Drive `nameko shell` the way an admin does, but non-interactively.

The script runs in the shell's namespace (``n.rpc.<service>.<method>()``); each
``emit(value)`` prints one JSON line that the test reads back."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARK = "PARLEY-SHELL-RESULT "


def nameko_shell(script: str, timeout: float = 60) -> list:
    """Run ``script`` in `nameko shell --config config/nameko.yaml` (where ``n`` is
    in scope); return what it emitted. Any exception fails the call."""
    program = ("import json\n"
               f"def emit(value): print({MARK!r} + json.dumps(value, default=str))\n"
               + textwrap.dedent(script).strip() + "\n")
    # One line for the interactive console, whatever blocks the script has.
    body = f"exec(compile({program!r}, '<admin script>', 'exec'))\n"
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "nameko"), "shell", "--config", "config/nameko.yaml"],
        input=body, capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    results = [json.loads(line.split(MARK, 1)[1])
               for line in done.stdout.splitlines() if MARK in line]
    errors = [line for line in (done.stdout + done.stderr).splitlines()
              if "Traceback" in line or "Error" in line]
    assert not errors, f"nameko shell failed:\n{done.stdout}\n{done.stderr}"
    return results
