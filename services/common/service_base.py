"""What every Parley Nameko service has: instrumentation, a log line per call and a
health RPC."""
from __future__ import annotations

import os
import socket

from .dependencies import Instrumentation
from .request_log import RequestLog
from .rpc_entrypoint import rpc


class ParleyService:
    name = "parley"
    instrumentation = Instrumentation()
    request_log = RequestLog()

    @rpc
    def health(self):
        """Liveness over the bus: in `nameko shell`, `n.rpc.<service>.health()` says
        which instance (host, pid) answered."""
        return {"service": self.name, "host": socket.gethostname(), "pid": os.getpid()}
