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


def test_a_profile_picture_shows_on_messages_in_a_group_conversation(people, tmp_path):
    from .test_two_people import png

    gus = people("Gus").sign_up()
    hal = people("Hal").sign_up()
    ivy = people("Ivy").sign_up()
    page = gus.page
    picture = tmp_path / "me.png"
    picture.write_bytes(png(300, 200))
    page.get_by_role("button", name="Your profile and status").click()
    page.get_by_role("textbox", name="Status").fill("in the lab")
    page.locator("#f-avatar").set_input_files(str(picture))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#dialog")).to_be_hidden()

    page.get_by_role("button", name="Start a direct message").click()
    for other in (hal, ivy):
        page.get_by_label("Find people").fill(other.name)
        page.get_by_role("button", name=f"Add {other.name} to a group").click()
    expect(page.locator("#dialog")).to_contain_text(f"Group: {hal.name}, {ivy.name}")
    page.get_by_role("button", name="Open group conversation").click()
    expect(page.locator("#channel h1")).to_contain_text(hal.name)
    gus.send("hello both")
    for person in (hal, ivy):
        item = person.page.locator("#sidebar .side-item", has_text=gus.name)
        expect(item.locator(".badge")).to_have_text("1")
        item.click()
        message = person.message("hello both")
        expect(message.locator("img.avatar")).to_be_visible()
        assert message.locator("img.avatar").evaluate("img => img.naturalWidth") > 0


def test_browse_join_and_mute_a_public_channel(people):
    jo = people("Jo").sign_up()
    kim = people("Kim").sign_up()
    name = f"open-{jo.name[-6:]}"
    jo.create_channel(name)
    jo.send("welcome, anyone")

    page = kim.page
    page.get_by_role("button", name="Browse channels").click()
    page.get_by_label("Find a channel").fill(name)
    page.locator("#dialog li", has_text=name).get_by_role("button", name="Join").click()
    expect(page.locator("#channel h1")).to_have_text(f"# {name}")
    expect(kim.message("welcome, anyone")).to_be_visible()

    page.get_by_role("button", name="Channel members").click()
    expect(page.locator("#dialog li", has_text=jo.name)).to_be_visible()
    page.get_by_label("Mute this channel").check()
    page.get_by_label("Notify me about").select_option("mentions")
    page.keyboard.press("Escape")
    expect(page.locator("#sidebar .side-item", has_text=name)).to_have_class(re.compile(r"\bmuted\b"))
    page.reload()  # the server kept it
    expect(page.locator("#sidebar .side-item", has_text=name)).to_have_class(re.compile(r"\bmuted\b"))
