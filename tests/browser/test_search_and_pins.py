"""The pinned list and search filters in the browser, two people live against the
real stack: a pin shows in the other's pinned list at once, unpinning takes it out,
a link jumps to the message; search from a person and with a file finds exactly
those messages."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot

pytestmark = pytest.mark.integration


@pytest.fixture
def room(people):
    """Ada creates a channel and invites Bob, through the UI; both have it open."""
    ada = people("Ada").sign_up()
    bob = people("Bob").sign_up()
    channel_id = ada.create_channel(f"pins-{ada.name[-6:]}")
    ada.invite(bob, channel_id)
    bob.open_channel(channel_id)
    return ada, bob, channel_id


def pin(person, text):
    message = person.message(text)
    message.hover()
    message.get_by_role("button", name="Pin message", exact=True).click()
    expect(person.message(text)).to_have_class(re.compile(r"\bpinned\b"))


def test_a_pin_shows_in_the_pinned_list_live_and_unpinning_takes_it_out(room):
    ada, bob, channel_id = room
    for text in ("the launch checklist", "lunch is at noon", "the release notes"):
        ada.send(text)
        expect(bob.message(text)).to_be_visible()
    pin(ada, "the launch checklist")

    bob.page.get_by_role("button", name="Pinned messages", exact=True).click()
    panel = bob.page.get_by_role("list", name=re.compile("^Pinned messages in #pins-"))
    pins = panel.locator(".pin")
    expect(pins).to_have_count(1)
    expect(pins.first).to_contain_text("the launch checklist")
    expect(pins.first).to_contain_text(f"Pinned by {ada.name}")

    # pinned while the list is open: on top (the newest pin first), live
    pin(ada, "the release notes")
    expect(pins).to_have_count(2)
    expect(pins.first).to_contain_text("the release notes")
    expect(pins.nth(1)).to_contain_text("the launch checklist")
    expect(pins.filter(has_text="lunch is at noon")).to_have_count(0)
    shot(bob.page, "pins")

    # unpinned by Ada: gone from Bob's list, live
    checklist = ada.message("the launch checklist")
    checklist.hover()
    checklist.get_by_role("button", name="Unpin message").click()
    expect(pins).to_have_count(1)
    expect(pins.filter(has_text="the launch checklist")).to_have_count(0)

    # the link jumps to the message
    pins.first.get_by_role("link", name=f"Jump to the message from {ada.name}").click()
    expect(bob.message("the release notes")).to_be_focused()
    expect(bob.message("the release notes")).to_be_in_viewport()

    # unpinned from the list itself: gone there, and in the channel for both
    pins.first.get_by_role("button", name=f"Unpin the message from {ada.name}").click()
    expect(pins).to_have_count(0)
    expect(panel).to_contain_text("Nothing is pinned here yet")
    for person in (ada, bob):
        expect(person.message("the release notes")).not_to_have_class(re.compile(r"\bpinned\b"))

    # Esc closes the panel; opening it again asks the server: still empty
    bob.page.keyboard.press("Escape")
    expect(bob.page.locator("#results")).to_be_hidden()
    bob.page.get_by_role("button", name="Pinned messages", exact=True).click()
    expect(panel).to_contain_text("Nothing is pinned here yet")


def test_search_by_person_and_with_a_file_finds_only_those_messages(room, tmp_path):
    ada, bob, channel_id = room
    ada.send("zeppelin budget first draft")
    expect(bob.message("zeppelin budget first draft")).to_be_visible()
    bob.send("zeppelin budget comments")
    expect(ada.message("zeppelin budget comments")).to_be_visible()
    sheet = tmp_path / "budget.txt"
    sheet.write_text("the numbers")
    ada.page.locator("#channel .composer input[type=file]").set_input_files(str(sheet))
    expect(ada.page.locator(".upload.done")).to_be_visible()
    ada.send("zeppelin budget with the sheet")
    expect(bob.message("zeppelin budget with the sheet")).to_be_visible()

    page = bob.page
    results = page.get_by_role("list", name="Search results")
    hits = results.locator(".result")
    page.locator("#search-q").fill("zeppelin")
    page.locator("#search-q").press("Enter")
    search = page.get_by_role("search", name="Search messages with filters")
    for _ in range(30):  # the index follows Kafka: a moment after the sends
        expect(results.locator(".result, .empty").first).to_be_visible()
        if hits.count() == 3:
            break
        page.wait_for_timeout(500)
        search.get_by_role("button", name="Search", exact=True).click()
    expect(hits).to_have_count(3)

    # from a person: pick Ada in the people box
    person = search.get_by_role("combobox", name="From")
    person.press_sequentially(ada.name[:6], delay=20)
    page.get_by_role("option", name=ada.name).click()
    expect(search.get_by_role("button", name=f"Remove filter: from {ada.name}")).to_be_visible()
    expect(hits).to_have_count(2)
    expect(hits.filter(has_text="comments")).to_have_count(0)
    expect(hits.first.locator("mark").first).to_have_text("zeppelin")

    # and with a file: only the message with the sheet
    search.get_by_label("Has a file").check()
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("with the sheet")
    shot(page, "search-filters")

    # new words from the top bar keep the filters
    for words in ("budget sheet", "zeppelin"):
        page.locator("#search-q").fill(words)
        page.locator("#search-q").press("Enter")
        expect(search.get_by_label("Search for")).to_have_value(words)
        expect(hits).to_have_count(1)
    expect(search.get_by_label("Has a file")).to_be_checked()

    # without the person, Bob's message has no file either: still just the one
    search.get_by_role("button", name=f"Remove filter: from {ada.name}").click()
    expect(hits).to_have_count(1)
    search.get_by_label("Has a file").uncheck()
    expect(hits).to_have_count(3)

    # in this conversation (any of Bob's), newest first
    search.get_by_label("In", exact=True).select_option(label=f"# pins-{ada.name[-6:]}")
    expect(hits).to_have_count(3)
    search.get_by_label("Sort").select_option("newest")
    expect(hits.first).to_contain_text("with the sheet")
    # a range that ends before today finds nothing
    search.get_by_label("On or before").fill("2020-01-01")
    expect(results.locator(".empty")).to_have_text("Nothing found.")
    search.get_by_role("button", name="Clear filters").click()
    expect(hits).to_have_count(3)
    hits.filter(has_text="comments").click()
    expect(bob.message("zeppelin budget comments")).to_be_focused()


def test_more_results_pages_by_cursor_and_newest_first_keeps_the_order(people):
    ada = people("Ada").sign_up()
    page = ada.page
    channel_id = ada.create_channel(f"kites-{ada.name[-6:]}")
    word = f"kite{ada.name[-6:]}"  # a word only this test's messages have
    ada.post_messages(channel_id, [f"{word} {i}" for i in range(1, 26)], "kite")
    page.evaluate("""async (word) => {   // the index follows Kafka: until it has all 25
      const { get } = await import('/app/api.js');
      for (let i = 0; i < 60; i += 1) {
        if ((await get(`/search?q=${word}&limit=100`)).results.length === 25) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    }""", word)
    page.locator("#search-q").fill(word)
    page.locator("#search-q").press("Enter")
    search = page.get_by_role("search", name="Search messages with filters")
    search.get_by_label("Sort").select_option("newest")
    results = page.get_by_role("list", name="Search results")
    hits = results.locator(".result")
    expect(hits).to_have_count(20)  # a page
    results.get_by_role("button", name="More results").click()
    expect(hits).to_have_count(25)
    expect(results.get_by_role("button", name="More results")).to_have_count(0)
    seqs = hits.evaluate_all("els => els.map((e) => Number(e.dataset.seq))")
    assert seqs == list(range(25, 0, -1))  # newest first, each once across the pages
    expect(search.get_by_role("status")).to_have_text("25 results")
