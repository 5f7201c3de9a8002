"""The WebSocket protocol as Tornado speaks it, except for two error paths.

A text frame must be UTF-8 (RFC 6455 section 5.6). Tornado drops the TCP
connection without a word when one is not, so the client sees 1006 as if the
gateway had died. Here it is closed properly instead, with code 1007 (invalid
frame payload data) and a reason, as section 7.4.1 of the RFC asks.

A frame over the size limit: Tornado sends close 1009 and at once closes the TCP
connection with the rest of the frame unread, so the kernel answers with a reset,
and a proxy in between (Traefik) may drop the close frame it had not passed on yet:
the client sees 1006. Here the rest of what the client sends is read and thrown
away (for at most DRAIN_FOR seconds) until it closes, so the 1009 gets through.

Every way a socket ends passes through ``close`` (the gateway's own closes,
Tornado's ping timeout and size limit, the echo of a client's close) or through
``_abort`` (the connection dropped): the first close is remembered in ``ended``, from
which :func:`ended_by` names the disconnect reason that
``parley_ws_disconnects_total`` counts.

Writing: an event goes to every socket listening to its channel, so its frame is
built once (:func:`text_frame`: header and UTF-8 payload, as a server sends it,
unmasked and uncompressed) and each socket writes those bytes as they are
(``StrictTextProtocol.write_frame``). Tornado's ``write_message`` would, per socket,
encode the text again, copy it behind a new header and wrap the write in a task of
its own; for an event into a 500-member channel that is 500 tasks (bench.socket_writes
measures the difference).
"""
from __future__ import annotations

import asyncio
import struct

from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketProtocol13

CLOSE_INVALID_PAYLOAD = 1007
CLOSE_TOO_BIG = 1009
DRAIN_FOR = 5.0   # seconds; Tornado too gives a closing client 5 s
TEXT = 0x1
FIN = 0x80
PING_TIMED_OUT = "ping timed out"   # the reason Tornado closes with when no pong came


class StrictTextProtocol(WebSocketProtocol13):
    _drain: asyncio.Future | None = None   # reading what follows a frame too big
    # who closed first ("server" or "client"), with which code and reason; None: nobody
    # did, the connection dropped
    ended: tuple[str, int | None, str | None] | None = None

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self.ended is None and not self.server_terminated:
            self.ended = ("client" if self.client_terminated else "server", code, reason)
        if code == CLOSE_TOO_BIG and not self.server_terminated and self._drain is None:
            self._drain = asyncio.get_running_loop().create_future()   # abort: drain first
        super().close(code, reason)

    def _abort(self) -> None:
        if self._drain is None or self._drain.done():
            super()._abort()
        elif not self.client_terminated:   # the abort right after close(1009)
            self.client_terminated = True   # ends Tornado's frame loop
            asyncio.ensure_future(self._discard_the_rest())
        # else: aborts while draining wait for it

    async def _discard_the_rest(self) -> None:
        try:
            await asyncio.wait_for(self._read_until_closed(), DRAIN_FOR)
        except (asyncio.TimeoutError, StreamClosedError):
            pass
        finally:
            self._drain.set_result(None)
            super()._abort()

    async def _read_until_closed(self) -> None:
        while True:
            await self.stream.read_bytes(65536, partial=True)

    def write_frame(self, frame: bytes) -> asyncio.Future:
        """Write ``frame``, built by :func:`text_frame`, as it is; the future is done
        when it is flushed (it fails with StreamClosedError if the socket closes
        first). The gateway offers no compression (``get_compression_options`` is
        Tornado's None), so nothing is negotiated that would change the frame."""
        if self._compressor is not None:
            raise RuntimeError("write_frame cannot write to a compressed socket")
        self._wire_bytes_out += len(frame)
        return self.stream.write(frame)

    def _handle_message(self, opcode: int, data: bytes):
        if opcode == TEXT and not self._frame_compressed and not self.client_terminated:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                self.close(CLOSE_INVALID_PAYLOAD, "a text frame must be valid UTF-8")
                return None
        return super()._handle_message(opcode, data)


def text_frame(text: str) -> bytes:
    """``text`` as one whole text frame on the wire (RFC 6455 section 5.2) from the
    server: FIN and the text opcode, the payload's length in 7, 16 or 64 bits, no
    mask, then the UTF-8 payload."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", FIN | TEXT, size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", FIN | TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", FIN | TEXT, 127, size)
    return header + payload


def ended_by(protocol, server_reasons: dict[int, str]) -> str:
    """Why the socket ended, as a bounded label: ``client_closed``, ``connection_lost``
    (no close frame either way), ``ping_timeout``, or ``server_reasons[code]`` for a
    close the gateway started (``server_closed`` for a code not listed)."""
    ended = getattr(protocol, "ended", None)
    if ended is None:
        return "connection_lost"
    who, code, reason = ended
    if who == "client":
        return "client_closed"
    if reason == PING_TIMED_OUT:
        return "ping_timeout"
    return server_reasons.get(code, "server_closed")


def strict_text(protocol):
    """``protocol`` (what Tornado chose for the handshake), checking text frames."""
    if type(protocol) is WebSocketProtocol13:
        return StrictTextProtocol(protocol.handler, protocol.mask_outgoing, protocol.params)
    return protocol
