"""A channel with a long history: the page holds a bounded window of it, scrolling up
walks back to the very first message, the way back down shrinks the window again, and
a redraw keeps every message element that did not change."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.integration

HISTORY = 200
WINDOW = 150   # web/app/views/channel.js


def test_scrolling_walks_the_whole_history_while_the_page_keeps_a_bounded_window(people):
    ada = people("Ada").sign_up()
    page = ada.page
    channel_id = ada.create_channel(f"history-{ada.name[-6:]}")
    ada.post_messages(channel_id, [f"m {i}" for i in range(1, HISTORY + 1)], "seed")
    page.reload()
    expect(ada.message(f"m {HISTORY}")).to_be_visible()
    assert ada.messages().count() <= WINDOW

    # a reaction to a message older than those loaded does not drop it in out of place
    page.evaluate("""async (channelId) => {
      const { api, get } = await import('/app/api.js');
      const [first] = await get(`/channels/${channelId}/messages?after=0&limit=1`);
      await api('PUT', `/channels/${channelId}/messages/${first.id}/reactions/tada`);
    }""", channel_id)
    loaded = ada.messages().count()
    ada.send("after the reaction")
    ada.acknowledged("after the reaction")
    expect(ada.messages()).to_have_count(loaded + 1)
    expect(ada.messages().first.locator(".body")).not_to_have_text("m 1")

    # scroll up until the first message is there (older pages load on the way)
    first = ada.messages().locator(".body", has_text=re.compile(r"^m 1$"))
    for _ in range(30):
        if first.count():
            break
        page.locator("#channel .messages").evaluate("list => { list.scrollTop = 0; }")
        page.wait_for_timeout(150)
    expect(first).to_have_count(1)
    assert ada.messages().count() == HISTORY + 1
    texts = ada.messages().locator(".body").all_inner_texts()
    assert texts == [f"m {i}" for i in range(1, HISTORY + 1)] + ["after the reaction"]
    expect(first.locator("xpath=..").locator(".reaction")).to_contain_text("1")

    # back at the bottom the window shrinks again
    page.get_by_role("button", name="Jump to latest ↓").click()
    expect(ada.messages()).to_have_count(WINDOW)
    expect(ada.message("after the reaction")).to_be_in_viewport()

    # a new message adds one element and leaves the others in place
    latest = ada.message("after the reaction").element_handle()
    ada.send("one more")
    ada.acknowledged("one more")
    assert latest.evaluate("el => el.isConnected")
    expect(ada.messages().last).to_contain_text("one more")
