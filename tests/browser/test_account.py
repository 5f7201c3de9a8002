"""Signing out, and the forgotten-password path through the mailed link to the web
client's reset form (auth's `reset_url`, /reset-password?token=…)."""
from __future__ import annotations

import email
import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import REPO

pytestmark = pytest.mark.integration
NEW_PASSWORD = "a brand new passphrase"


def reset_link(address: str) -> str:
    for _ in range(50):
        for path in sorted((REPO / "var" / "mail").glob("*.eml"), reverse=True)[:20]:
            mail = email.message_from_bytes(path.read_bytes())
            if mail["To"] == address:
                body = mail.get_payload(decode=True) if not mail.is_multipart() else \
                    mail.get_payload(0).get_payload(decode=True)
                return re.search(r"https?://\S+/reset-password\?token=[\w-]+", body.decode()).group(0)
        time.sleep(0.2)
    raise AssertionError(f"no reset mail to {address}")


def test_sign_out_then_reset_the_password_from_the_mailed_link(people):
    dana = people("Dana").sign_up()
    page = dana.page
    page.get_by_role("button", name="Your profile and status").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Parley")).to_be_visible()

    page.get_by_role("button", name="Forgot password?").click()
    page.get_by_label("Email").fill(dana.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("alert")).to_contain_text("a link is on its way")

    page.goto(reset_link(dana.email))
    page.get_by_role("textbox", name="New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Sign in to Parley")).to_be_visible()
    page.get_by_label("Email").fill(dana.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me")).to_have_text(dana.name)
