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
        """Cheap liveness probe used by `make status` and the tests."""
        return {"service": self.name, "host": socket.gethostname(), "pid": os.getpid()}
