"""A phone-sized screen (the sidebar is a drawer, a thread takes the whole screen),
and the installable app: manifest, icons, and a service worker caching the shell."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import REPO, shot

pytestmark = pytest.mark.integration

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def test_on_a_phone_the_sidebar_is_a_drawer_and_a_thread_is_full_screen(people):
    cleo = people("Cleo", **PHONE).sign_up()
    page = cleo.page
    shot(page, "phone-empty")
    sidebar = page.locator("#sidebar")
    assert sidebar.bounding_box()["x"] + sidebar.bounding_box()["width"] <= 0  # off screen

    page.get_by_role("button", name="Open channel list").click()
    expect(page.get_by_role("button", name="Open channel list")).to_have_attribute("aria-expanded", "true")
    page.wait_for_timeout(300)  # the slide-in transition
    assert sidebar.bounding_box()["x"] == 0
    shot(page, "phone-drawer")
    page.get_by_role("button", name="Create a channel").click()
    page.get_by_label("Channel name").fill(f"phone-{cleo.name[-6:]}")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#channel h1")).to_have_text(f"# phone-{cleo.name[-6:]}")
    expect(page.get_by_role("button", name="Open channel list")).to_have_attribute("aria-expanded", "false")

    cleo.send("first line from a phone")
    message = cleo.message("first line from a phone")
    expect(message).to_be_visible()
    # acknowledged, so the list will not be redrawn under the taps below
    expect(message).not_to_have_class(re.compile(r"\bpending\b"))
    box = page.locator("#channel .composer").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "phone-channel")

    message.tap()
    message.get_by_role("button", name="Reply in thread").tap()
    thread = page.locator("#thread")
    expect(thread).to_be_visible()
    assert thread.bounding_box()["width"] == 390
    page.keyboard.press("Escape")
    expect(thread).to_be_hidden()


def test_the_service_worker_caches_every_file_of_the_shell():
    listed = set(re.findall(r"'(/[^']*)'", (REPO / "web" / "sw.js").read_text().split("];")[0]))
    web = REPO / "web"
    files = {"/" + str(p.relative_to(web)) for p in (web / "app").rglob("*") if p.suffix in (".js", ".css")}
    assert files - listed == set(), "add them to FILES in web/sw.js"


def test_the_app_is_installable_and_its_shell_is_cached(browser, base_url):
    context = browser.new_context(base_url=base_url)  # service workers allowed here
    page = context.new_page()
    try:
        page.goto("/")
        manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
        assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
        for icon in manifest["icons"]:
            assert page.request.get(icon["src"]).headers["content-type"] == "image/png"
        cached = page.evaluate("""async () => {
            await navigator.serviceWorker.ready;
            const cache = await caches.open('parley-shell-v1');
            return (await cache.keys()).map(r => new URL(r.url).pathname);
        }""")
        assert {"/", "/app/main.js", "/app/style.css"} <= set(cached)
        index = page.request.get("/")
        assert index.headers["cache-control"] == "no-cache"
        assert page.request.get("/icons/icon-192.png").headers["cache-control"].startswith("public, max-age=")
    finally:
        context.close()
