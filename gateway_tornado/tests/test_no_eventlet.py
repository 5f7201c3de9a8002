"""The gateway is asyncio only: importing it must not import eventlet (Nameko's
entrypoints and dependency providers do; its exceptions module, shared for the wire
format of errors, does not). Eventlet's deprecation warning on stderr has no place in
a Tornado process whose log is JSON lines only."""
from __future__ import annotations

import subprocess
import sys


def test_importing_the_gateway_loads_no_eventlet():
    probe = ("import sys, warnings; warnings.simplefilter('error');"
             "import gateway_tornado.__main__, gateway_tornado.app;"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'eventlet'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert result.stderr == ""
