"""Two people in two browser contexts, live against the real stack: a channel is
created and shared, and everything one does shows up for the other."""
from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from .conftest import shot

pytestmark = pytest.mark.integration


def png(width: int, height: int) -> bytes:
    """A small solid PNG, made without Pillow so the test has no image dependency."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes((30, 120, 200)) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def room(people):
    """Ada creates a channel and invites Bob, both through the UI."""
    ada = people("Ada").sign_up()
    bob = people("Bob").sign_up()
    channel_id = ada.create_channel(f"launch-{ada.name[-6:]}", topic="shipping on Friday")
    ada.invite(bob, channel_id)
    return ada, bob, channel_id


def test_messages_reactions_threads_edits_and_deletes_reach_the_other_live(room):
    ada, bob, channel_id = room
    bob.open_channel(channel_id)

    # typing shows, then the message arrives live, formatted safely
    ada.page.locator("#channel .composer textarea").press_sequentially("he", delay=30)
    expect(bob.page.locator("#channel .typing")).to_have_text(f"{ada.name} is typing…")
    ada.page.locator("#channel .composer textarea").fill("")
    ada.send("hello **team** <img src=x onerror=alert(1)> see https://example.com/x")
    msg = bob.message("hello")
    expect(msg.locator("strong")).to_have_text("team")
    expect(msg.locator("a")).to_have_attribute("href", "https://example.com/x")
    expect(msg.locator(".body")).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    expect(msg.locator("img")).to_have_count(0)
    expect(bob.page.locator("#channel .typing")).to_have_text("")

    bob.send("hi Ada, `code` and _style_")
    expect(ada.message("hi Ada").locator("code")).to_have_text("code")
    expect(ada.message("hi Ada").locator("em")).to_have_text("style")

    # a reaction with its count
    msg.hover()
    msg.get_by_role("button", name="Add reaction").click()
    bob.page.get_by_role("option", name="tada", exact=True).click()
    expect(ada.message("hello").locator(".reaction")).to_have_text("🎉 1")
    mine = ada.message("hello")
    mine.hover()
    mine.get_by_role("button", name="Add reaction").click()
    ada.page.get_by_label("Search emoji").fill("🎈")   # a character is taken as it is
    ada.page.get_by_label("Search emoji").press("Enter")
    expect(msg.locator(".reaction")).to_have_text(["🎉 1", "🎈 1"])

    # a pin shows for both
    msg.hover()   # the picker was a popover above the list: the pointer left the message
    msg.get_by_role("button", name="Pin message").click()
    expect(ada.message("hello")).to_have_class(re.compile(r"\bpinned\b"))
    expect(ada.message("hello").locator(".meta")).to_contain_text("pinned")

    # a thread reply: the parent shows the count, the panel shows the reply
    msg.hover()
    msg.get_by_role("button", name="Reply in thread").click()
    thread = bob.page.locator("#thread")
    thread.get_by_label("Reply in thread").fill("on it")
    thread.get_by_label("Reply in thread").press("Enter")
    expect(ada.message("hello").locator(".replies")).to_have_text("1 reply")
    expect(ada.messages().filter(has_text="on it")).to_have_count(0)  # replies stay in the thread
    ada.message("hello").locator(".replies").click()
    expect(ada.page.locator("#thread .msg", has_text="on it")).to_be_visible()
    shot(ada.page, "thread")
    ada.page.keyboard.press("Escape")
    expect(ada.page.locator("#thread")).to_be_hidden()

    # up-arrow edits my last message; the edit and then the delete reach Ada
    box = bob.page.locator("#channel .composer textarea")
    box.click()
    box.press("ArrowUp")
    edit = bob.page.locator("#channel").get_by_role("textbox", name="Edit message")
    edit.fill("hi Ada, edited")
    edit.press("Enter")
    expect(ada.message("hi Ada, edited").locator(".edited")).to_have_text("(edited)")
    shot(ada.page, "channel")
    target = bob.message("hi Ada, edited")
    target.hover()
    bob.page.once("dialog", lambda d: d.accept())
    target.get_by_role("button", name="Delete message").click()
    expect(ada.message("This message was deleted.")).to_be_visible()
    expect(ada.messages().filter(has_text="hi Ada")).to_have_count(0)


def test_image_upload_shows_a_thumbnail_to_both(room, tmp_path):
    ada, bob, channel_id = room
    bob.open_channel(channel_id)
    image = tmp_path / "chart.png"
    image.write_bytes(png(480, 320))
    ada.page.locator("#channel .composer input[type=file]").set_input_files(str(image))
    expect(ada.page.locator(".upload.done")).to_be_visible()
    # a file dropped on the composer: not an image, so a download link
    ada.page.locator("#channel .composer").evaluate("""box => {
        const data = new DataTransfer();
        data.items.add(new File(['plain notes'], 'notes.txt', { type: 'text/plain' }));
        box.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }""")
    expect(ada.page.locator(".upload.done")).to_have_count(2)
    ada.send("the chart")
    link = bob.message("the chart").locator("a.file", has_text="notes.txt")
    expect(link).to_have_attribute("href", re.compile(r"^https?://"))
    for person in (ada, bob):
        thumb = person.message("the chart").locator("img.thumb")
        expect(thumb).to_be_visible()
        expect(thumb).to_have_attribute("alt", "chart.png")
        assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0
    shot(bob.page, "files")


def test_unread_badge_appears_and_clears_and_presence_shows(room):
    ada, bob, channel_id = room
    # Bob is looking elsewhere (no channel open): Ada's mention makes a badge
    item = bob.page.locator(f'#sidebar [data-channel="{channel_id}"]')
    ada.page.locator("#channel .composer textarea").fill("@Bo")
    ada.page.get_by_role("option", name=bob.name).click()
    ada.page.locator("#channel .composer textarea").press("End")
    ada.page.locator("#channel .composer textarea").type("please review")
    ada.page.locator("#channel .composer textarea").press("Enter")
    expect(ada.message("please review").locator(".mention")).to_have_text(f"@{bob.name}")
    expect(item).to_have_class(re.compile(r"\bunread\b"))
    expect(item.locator(".badge")).to_have_text("1")
    shot(bob.page, "unread")
    # counted by Bob's client as it arrived; after a reload, by the server: the same
    bob.page.reload()
    expect(item.locator(".badge")).to_have_text("1")
    bob.open_channel(channel_id)
    expect(bob.message("please review")).to_be_visible()
    expect(item.locator(".badge")).to_have_count(0)
    expect(item).not_to_have_class(re.compile(r"\bunread\b"))
    # the server agrees after a reload (the read cursor was set)
    bob.page.reload()
    expect(bob.page.locator(f'#sidebar [data-channel="{channel_id}"]')).not_to_have_class(re.compile(r"\bunread\b"))

    # presence: a DM shows Ada online to Bob, and offline once she has gone
    bob.page.get_by_role("button", name="Start a direct message").click()
    bob.page.get_by_label("Find people").fill(ada.name)
    bob.page.get_by_role("button", name=f"Message {ada.name}").click()
    expect(bob.page.locator("#channel h1")).to_have_text(ada.name)
    dot = bob.page.locator("#sidebar .side-item", has_text=ada.name).locator(".dot")
    expect(dot).to_have_class(re.compile(r"\bonline\b"))
    # in a DM, a message Ada reads shows "Seen" to Bob (the receipt event)
    bob.send("are you there?")
    dm = ada.page.locator("#sidebar .side-item", has_text=bob.name)
    expect(dm.locator(".badge")).to_have_text("1")
    dm.click()
    expect(ada.message("are you there?")).to_be_visible()
    expect(bob.page.locator("#channel .seen")).to_have_text("Seen")
    bob.page.reload()  # and from the receipts API after a reload
    expect(bob.page.locator("#channel .seen")).to_have_text("Seen")
    ada.page.close()  # offline after the closed session's grace (10 s) and a sweep (5 s)
    expect(dot).to_have_class(re.compile(r"\boffline\b"), timeout=25_000)


def test_search_finds_a_message_with_the_match_highlighted(room):
    ada, bob, channel_id = room
    ada.send("the deployment pipeline is green")
    expect(ada.message("deployment pipeline")).to_be_visible()
    results = bob.page.locator("#results")
    for _ in range(20):  # the index follows Kafka: a moment after the send
        bob.page.locator("#search-q").fill("deploy")
        bob.page.locator("#search-q").press("Enter")
        expect(results.locator(".result, .empty").first).to_be_visible()
        if results.locator(".result").count():
            break
        bob.page.wait_for_timeout(500)
    hit = results.locator(".result", has_text="pipeline")
    expect(hit.locator("mark")).to_have_text("deployment")
    shot(bob.page, "search")
    hit.click()
    expect(bob.page.locator("#channel h1")).to_contain_text("launch-")
    expect(bob.message("deployment pipeline")).to_be_focused()
    expect(bob.message("deployment pipeline")).to_be_in_viewport()


def test_after_a_network_cut_everything_arrives_once_in_order(room):
    ada, bob, channel_id = room
    bob.open_channel(channel_id)
    ada.send("before the cut")
    expect(bob.message("before the cut")).to_be_visible()

    bob.context.set_offline(True)
    expect(bob.page.locator("#banner")).to_contain_text("offline")
    shot(bob.page, "offline")
    for i in range(1, 6):
        ada.send(f"while away {i}")
    bob.send("written offline")  # kept, sent on reconnect with the same client_msg_id
    expect(bob.message("written offline")).to_have_class(re.compile(r"\bpending\b"))
    expect(ada.message("while away 5")).to_be_visible()

    bob.context.set_offline(False)
    expect(bob.page.locator("#banner")).to_be_hidden(timeout=15_000)
    expect(ada.message("written offline")).to_be_visible()
    expect(bob.message("while away 5")).to_be_visible()
    expect(bob.message("written offline")).not_to_have_class(re.compile(r"\bpending\b"))
    # the socket resumed: the server replayed what Bob missed (no REST catch-up needed)
    resumed = bob.page.evaluate("window.parley.lastResume")["channels"][channel_id]
    assert resumed["replayed"] >= 1 and resumed["complete"] is True
    for person in (ada, bob):
        texts = [t.strip() for t in person.messages().locator(".body").all_inner_texts()]
        assert [t for t in texts if "while away" in t] == [f"while away {i}" for i in range(1, 6)]
        assert texts.count("written offline") == 1
        seqs = [int(s) for s in person.messages().evaluate_all("els => els.map(e => e.dataset.seq)")]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
