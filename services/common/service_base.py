"""What every Parley Nameko service has: instrumentation and a health RPC."""
from __future__ import annotations

import os
import socket

from nameko.rpc import rpc

from .dependencies import Instrumentation


class ParleyService:
    name = "parley"
    instrumentation = Instrumentation()

    @rpc
    def health(self):
        """Liveness over the bus: in `nameko shell`, `n.rpc.<service>.health()` says
        which instance (host, pid) answered."""
        return {"service": self.name, "host": socket.gethostname(), "pid": os.getpid()}
