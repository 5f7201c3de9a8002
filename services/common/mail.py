"""Outgoing email over SMTP (config section ``smtp``), for every service.

Locally the stack runs ``mail-sink`` (ops/mailsink.py) on ``smtp.port``, a real SMTP
server that stores each mail as a file under ``var/mail/``; in a deployment
``smtp.*`` points at the organisation's relay. Plain smtplib, so it is cooperative
under eventlet's monkey patching in the Nameko services.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .config import get_config


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0

    @classmethod
    def from_config(cls, cfg=None) -> "SmtpSettings":
        smtp = (cfg or get_config()).section("smtp")
        return cls(host=str(smtp["host"]), port=int(smtp["port"]), sender=str(smtp["sender"]),
                   starttls=bool(smtp["starttls"]), username=str(smtp.get("username") or ""),
                   password=str(smtp.get("password") or ""),
                   timeout=float(smtp.get("timeout") or 10))


def compose(settings: SmtpSettings, to: str, subject: str, text: str,
            html: str | None = None, headers: dict[str, str] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="parley.localhost")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(to: str, subject: str, text: str, settings: SmtpSettings | None = None,
              html: str | None = None, headers: dict[str, str] | None = None) -> str:
    """Send one mail (plain text, with an HTML alternative when ``html`` is given);
    returns its Message-ID. Raises smtplib/OSError errors."""
    settings = settings or SmtpSettings.from_config()
    message = compose(settings, to, subject, text, html, headers)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)
    return message["Message-ID"]
