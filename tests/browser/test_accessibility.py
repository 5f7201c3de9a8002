"""The web client's main screens pass axe-core's WCAG 2 A and AA rules: every control
has a name, every form field a label, landmarks and headings make sense, colours
contrast enough, and nothing is focusable that should not be."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.integration

RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page: Page) -> list[str]:
    response = Axe().run(page, options=RULES).response
    assert response["passes"], "axe-core checked nothing"
    found = response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:5])
            for v in found]


def test_the_main_screens_pass_axe(people):
    ada = people("Ada")
    ada.open_app()
    assert violations(ada.page) == [], "sign-in screen"
    ada.sign_up()
    page = ada.page
    page.get_by_role("button", name="Create a channel").click()
    assert violations(page) == [], "create-channel dialog"
    page.get_by_label("Channel name").fill(f"a11y-{ada.name[-6:]}")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/c/\w+"))
    ada.send("hello **world** with a https://example.com link")
    ada.send("second message")
    expect(ada.message("second message")).not_to_have_class(re.compile(r"\bpending\b"))
    assert violations(page) == [], "channel view"

    ada.message("hello").hover()
    ada.message("hello").get_by_role("button", name="Reply in thread").click()
    expect(page.locator("#thread")).to_be_visible()
    assert violations(page) == [], "thread panel"
    page.keyboard.press("Escape")

    page.locator("#me").click()
    assert violations(page) == [], "profile dialog"
    page.keyboard.press("Escape")


def test_a_keyboard_alone_gets_around(people):
    ada = people("Ada").sign_up()
    page = ada.page
    names = [f"kb-{n}-{ada.name[-6:]}" for n in ("one", "two")]
    for name in names:
        page.get_by_role("button", name="Create a channel").click()
        page.get_by_label("Channel name").fill(name)
        page.keyboard.press("Enter")                       # submits the dialog
        expect(page.locator("#channel h1")).to_have_text(f"# {name}")
    ada.send("typed, not clicked")
    expect(ada.message("typed, not clicked")).not_to_have_class(re.compile(r"\bpending\b"))

    page.keyboard.press("Alt+ArrowUp")                     # the conversation above
    expect(page.locator("#channel h1")).to_have_text(f"# {names[0]}")
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#channel h1")).to_have_text(f"# {names[1]}")

    page.keyboard.press("Control+k")                       # search
    expect(page.locator("#search-q")).to_be_focused()
    page.keyboard.type("typed")
    page.keyboard.press("Enter")
    expect(page.locator(".result", has_text="typed, not clicked")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#results")).to_be_hidden()

    box = page.locator("#channel .composer textarea")
    box.focus()
    box.press("ArrowUp")                                   # edits my last message
    edit = page.get_by_role("textbox", name="Edit message")
    expect(edit).to_be_focused()
    edit.press("Escape")
    expect(edit).to_have_count(0)
