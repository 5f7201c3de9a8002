"""Reading what the local stack mailed: the mail-sink program (ops/mailsink.py)
stores every mail it receives as a file under var/mail/."""
from __future__ import annotations

import asyncio
import email
import email.policy
import re
from email.message import EmailMessage

from ops.mailsink import mail_dir

RESET_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")


def mails_to(address: str) -> list[EmailMessage]:
    """Every stored mail addressed to ``address``, oldest first. Only a mail that
    names the address anywhere is parsed: a stack that has run the benchmarks holds
    thousands of mails, and parsing them all took longer than a test waits."""
    found, wanted = [], address.lower().encode()
    for path in sorted(mail_dir().glob("*.eml")):
        raw = path.read_bytes()
        if wanted not in raw.lower():
            continue
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if address.lower() in str(message["To"]).lower():
            found.append(message)
    return found


async def next_mail_to(address: str, already: int = 0, timeout: float = 10.0) -> EmailMessage:
    """Wait for mail number ``already + 1`` to ``address``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        mails = mails_to(address)
        if len(mails) > already:
            return mails[already]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail #{already + 1} to {address} in {timeout}s")


def reset_token(message: EmailMessage) -> str:
    """The token of the password-reset link in a mail."""
    match = RESET_TOKEN.search(message.get_content())
    assert match, f"no reset link in: {message.get_content()!r}"
    return match.group(1)
