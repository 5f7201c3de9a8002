"""`python -m ops.mailsink`: the local stack's SMTP server (program `mail-sink`).

A real SMTP server (aiosmtpd) on ``smtp.host``:``smtp.port`` that delivers nothing:
it stores every mail it accepts, as received, in ``var/mail/<time>-<id>.eml``
(written to a temporary name, then renamed, so a reader never sees half a mail).
Tests read password-reset links from there; people can open the files too.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from pathlib import Path

from aiosmtpd.smtp import SMTP

from services.common.config import get_config
from services.common.logging import configure_logging, get_logger
from services.common.process import run_until_signalled

log = get_logger(__name__)


def mail_dir(cfg=None) -> Path:
    return (cfg or get_config()).var_dir / "mail"


class StoreToFiles:
    """aiosmtpd handler: one ``.eml`` file per accepted mail."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def store(self, content: bytes) -> Path:
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(content)
        os.replace(tmp, self.directory / name)
        return self.directory / name

    async def handle_DATA(self, server, session, envelope) -> str:
        path = self.store(envelope.original_content or envelope.content)
        log.info("mail_stored", file=path.name, mail_from=envelope.mail_from,
                 rcpt_tos=envelope.rcpt_tos)
        return "250 Message accepted for delivery"


async def serve(stop: asyncio.Event) -> None:
    cfg = get_config()
    handler = StoreToFiles(mail_dir(cfg))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="parley-mail-sink"),
                                      host=cfg["smtp.host"], port=int(cfg["smtp.port"]))
    log.info("mail_sink_listening", port=cfg["smtp.port"], directory=str(handler.directory))
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    configure_logging("mail-sink")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    run_until_signalled(serve)


if __name__ == "__main__":
    main()
