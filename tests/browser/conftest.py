"""Browser tests: the web client (web/) in Debian's headless Chromium, driven by
Playwright, against the real stack through Traefik. Each person is a browser
context of their own (separate storage, so separate sessions and sockets)."""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "screenshots"
CHROMIUM = os.environ.get("PARLEY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery"

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser(stack) -> Browser:
    """One Chromium per module: sync Playwright keeps an event loop running while it is
    open, and the async tests of other modules (pytest-asyncio) need it closed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: ops/bootstrap.sh installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


def shot(page: Page, name: str) -> None:
    """A screenshot of the main screens, kept by CI under var/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


class Person:
    """One person in a browser context of their own."""

    def __init__(self, browser: Browser, base_url: str, name: str, **context):
        tag = uuid.uuid4().hex[:6]
        self.name = f"{name} {tag}"  # the directory finds people by name prefix
        self.email = f"{name.lower()}-{tag}@example.test"
        # service workers blocked unless a test allows them (each would cache the shell)
        self.context = browser.new_context(base_url=base_url, **{"service_workers": "block", **context})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_up(self) -> "Person":
        page = self.page
        self.open_app()
        page.get_by_role("button", name="Create an account").click()
        page.get_by_label("Your name").fill(self.name)
        page.get_by_label("Email").fill(self.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#me")).to_have_text(self.name)
        expect(page.locator("#banner")).to_be_hidden()  # the socket said hello
        return self

    def open_app(self) -> None:
        """Loads the app; again if a module load failed (others restart the shared
        stack's gateways while tests run: a 502 for one module leaves a blank page)."""
        for attempt in range(3):
            self.page.goto("/")
            try:
                expect(self.page.locator("#auth form, #app:not([hidden])").first).to_be_visible(timeout=5000)
                return
            except AssertionError:
                if attempt == 2:
                    raise

    @property
    def user_id(self) -> str:
        return self.page.evaluate("window.parley.store.me.user_id")

    def open_channel(self, channel_id: str) -> None:
        self.page.locator(f'#sidebar [data-channel="{channel_id}"]').click()
        expect(self.page.locator("#channel h1")).to_be_visible()

    def send(self, text: str) -> None:
        box = self.page.locator("#channel .composer textarea")
        box.fill(text)
        box.press("Enter")

    def create_channel(self, name: str, topic: str = "") -> str:
        """A public channel made through the UI, then open; returns its id."""
        page = self.page
        page.get_by_role("button", name="Create a channel").click()
        page.get_by_label("Channel name").fill(name)
        if topic:
            page.get_by_label("Topic (optional)").fill(topic)
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.locator("#channel h1")).to_have_text(f"# {name}")
        return re.search(r"#/c/(\w+)", page.url).group(1)

    def invite(self, other: "Person", channel_id: str) -> None:
        """Invites `other` to the open channel through the UI; their sidebar shows it."""
        page = self.page
        page.get_by_role("button", name="Invite").click()
        page.get_by_label("Find people").fill(other.name)
        page.get_by_role("button", name=f"Invite {other.name}").click()
        expect(page.get_by_role("button", name=f"Invited {other.name}")).to_be_visible()
        page.keyboard.press("Escape")
        # their socket hears member.joined: the channel appears in their sidebar
        expect(other.page.locator(f'#sidebar [data-channel="{channel_id}"]')).to_be_visible()

    def post_messages(self, channel_id: str, texts: list[str], tag: str) -> None:
        """Many messages at once through the API (history to scroll or search), each
        with client id `<tag>-<n>`: a retry after a failure (a gateway restarting)
        is the same message, never a second one."""
        self.page.evaluate("""async ([channelId, texts, tag]) => {
          const { post } = await import('/app/api.js');
          for (const [i, text] of texts.entries()) {
            for (let attempt = 1; ; attempt += 1) {
              try {
                await post(`/channels/${channelId}/messages`, { text, client_msg_id: `${tag}-${i}` });
                break;
              } catch (err) {
                if (attempt === 5) throw err;
                await new Promise((r) => setTimeout(r, 500 * attempt));
              }
            }
          }
        }""", [channel_id, texts, tag])

    def acknowledged(self, text: str):
        """The message once the server stored it (a pending draft is redrawn on its ack)."""
        message = self.message(text)
        expect(message).not_to_have_class(re.compile(r"\bpending\b"))
        return message

    def messages(self):
        return self.page.locator("#channel .messages .msg")

    def message(self, text: str):
        return self.page.locator("#channel .messages .msg", has_text=text)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, base_url):
    made: list[Person] = []

    def make(name: str, **context) -> Person:
        person = Person(browser, base_url, name, **context)
        made.append(person)
        return person

    yield make
    for person in made:
        assert person.errors == [], f"{person.name}'s page threw: {person.errors}"
        person.close()
