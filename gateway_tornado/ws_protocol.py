"""The WebSocket protocol as Tornado speaks it, except for one error path.

A text frame must be UTF-8 (RFC 6455 section 5.6). Tornado drops the TCP
connection without a word when one is not, so the client sees 1006 as if the
gateway had died. Here it is closed properly instead, with code 1007 (invalid
frame payload data) and a reason, as section 7.4.1 of the RFC asks.
"""
from __future__ import annotations

from tornado.websocket import WebSocketProtocol13

CLOSE_INVALID_PAYLOAD = 1007
TEXT = 0x1


class StrictTextProtocol(WebSocketProtocol13):
    def _handle_message(self, opcode: int, data: bytes):
        if opcode == TEXT and not self._frame_compressed and not self.client_terminated:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                self.close(CLOSE_INVALID_PAYLOAD, "a text frame must be valid UTF-8")
                return None
        return super()._handle_message(opcode, data)


def strict_text(protocol):
    """``protocol`` (what Tornado chose for the handshake), checking text frames."""
    if type(protocol) is WebSocketProtocol13:
        return StrictTextProtocol(protocol.handler, protocol.mask_outgoing, protocol.params)
    return protocol
