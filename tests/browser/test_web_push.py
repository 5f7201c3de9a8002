"""Web push reaches the browser and becomes a notification: Ada writes to Bob while he
is away; the notifications service pushes to his subscription (at a push service on
loopback that checks the VAPID signature, tests/support/push.py); the bytes, decrypted
with the subscription's keys as Chromium would, are delivered to Bob's service worker
through the DevTools protocol, and his browser shows the notification.

Headless Chromium cannot subscribe itself (it has no push service to register with:
`pushManager.subscribe` fails), so the subscription is registered with the keys a
browser would make, and the DevTools protocol stands in for the push service's last
hop only."""
from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import pytest
from playwright.sync_api import expect

from tests.support.push import Browser, PushService

pytestmark = pytest.mark.integration


@pytest.fixture
def push_service():
    """The loopback push service, on an event loop of its own thread (sync Playwright
    holds this thread's)."""
    started = threading.Event()
    box = {}

    def serve():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        box["loop"] = loop
        box["service"] = PushService()
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10)
    yield box["service"]
    box["loop"].call_soon_threadsafe(box["service"].stop)
    box["loop"].call_soon_threadsafe(box["loop"].stop)
    thread.join(10)


def test_a_dm_to_someone_away_shows_as_a_notification_from_the_service_worker(people, push_service):
    ada = people("Ada").sign_up()
    bob = people("Bob", service_workers="allow")
    bob.context.grant_permissions(["notifications"])
    bob.sign_up()
    page = bob.page
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    # Bob's device subscribes (the keys as PushManager.subscribe makes them)
    keys = Browser()
    page.evaluate("""async ([endpoint, keys]) => {
      const { post } = await import('/app/api.js');
      await post('/push/subscriptions', { endpoint, keys, user_agent: navigator.userAgent });
    }""", [push_service.endpoint("bob-chromium"), keys.keys()])

    # Bob steps away
    page.locator("#me").click()
    page.get_by_label("Set yourself away").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#dialog")).not_to_be_visible()

    # Ada opens a DM with Bob and writes
    ada.page.get_by_role("button", name="Start a direct message").click()
    ada.page.get_by_label("Find people").fill(bob.name)
    ada.page.get_by_role("button", name=f"Message {bob.name}").click()
    expect(ada.page).to_have_url(re.compile(r"#/c/\w+"))
    dm_id = re.search(r"#/c/(\w+)", ada.page.url).group(1)
    ada.send("lunch at noon?")

    deadline = time.monotonic() + 20
    while not push_service.to("bob-chromium") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    pushes = push_service.to("bob-chromium")
    assert len(pushes) == 1, push_service.refused
    payload = keys.decrypt(pushes[0])
    assert payload["channel_id"] == dm_id and ada.name in payload["title"]

    # the push service's last hop: the decrypted payload to Bob's service worker
    cdp = bob.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(r for r in event["registrations"] if not r["isDeleted"]))
    cdp.send("ServiceWorker.enable")
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": page.evaluate("location.origin"),
        "registrationId": registrations[0]["registrationId"],
        "data": json.dumps(payload)})

    page.wait_for_function("""async (dm) => {
      const shown = await (await navigator.serviceWorker.ready).getNotifications();
      return shown.some((n) => n.body.includes('lunch at noon?') && n.data.channel_id === dm);
    }""", arg=dm_id, polling=100, timeout=10_000)
    shown = page.evaluate("""async () => (await (await navigator.serviceWorker.ready).getNotifications())
      .map((n) => ({ title: n.title, body: n.body, tag: n.tag }))""")
    assert shown == [{"title": payload["title"], "body": payload["body"], "tag": payload["tag"]}]
