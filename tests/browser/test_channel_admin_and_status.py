"""The emoji picker, a channel's manager at work (topic, rename, remove someone,
archive) and a status with an emoji and an expiry, each seen live by the other person
where the API announces it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from .conftest import shot
from .test_two_people import room  # noqa: F401  (the fixture: Ada's channel, Bob invited)

pytestmark = pytest.mark.integration


def channel_dialog(person):
    person.page.get_by_role("button", name="Channel members").click()
    return person.page.locator("#dialog")


def test_a_reaction_is_picked_by_searching_its_name(room):
    ada, bob, channel_id = room
    bob.open_channel(channel_id)
    ada.send("ship it on Monday")
    message = bob.acknowledged("ship it on Monday")

    message.hover()
    message.get_by_role("button", name="Add reaction").click()
    search = bob.page.get_by_role("combobox", name="Search emoji")
    expect(search).to_be_focused()
    search.fill("tad")
    options = bob.page.get_by_role("listbox", name="Emoji").get_by_role("option")
    expect(options.first).to_have_accessible_name("tada")
    expect(options.first).to_have_attribute("aria-selected", "true")
    search.press("ArrowRight")   # the arrows move the active emoji, Enter picks it
    search.press("ArrowLeft")
    expect(options.first).to_have_attribute("aria-selected", "true")
    shot(bob.page, "emoji-picker")
    search.press("Enter")
    expect(bob.page.locator(".emoji-picker")).to_have_count(0)
    expect(ada.acknowledged("ship it on Monday").locator(".reaction")).to_have_text("🎉 1")
    expect(message.locator(".reaction")).to_have_attribute("aria-pressed", "true")

    # the composer's picker: recently used first, Esc closes, a pick goes in at the caret
    box = bob.page.locator("#channel .composer textarea")
    box.fill("on it ")
    bob.page.get_by_role("button", name="Insert emoji").click()
    expect(options.first).to_have_accessible_name("tada")
    bob.page.keyboard.press("Escape")
    expect(bob.page.locator(".emoji-picker")).to_have_count(0)
    expect(bob.page.locator("#channel h1")).to_be_visible()   # Esc closed the picker only
    bob.page.get_by_role("button", name="Insert emoji").click()
    search.fill("rocket")
    search.press("Enter")
    expect(box).to_have_value("on it 🚀")
    box.press("Enter")
    expect(ada.acknowledged("on it 🚀")).to_be_visible()


def test_the_channel_manager_sets_topic_renames_removes_and_archives(room):
    ada, bob, channel_id = room
    bob.open_channel(channel_id)
    new_name = f"liftoff-{ada.name[-6:]}"

    # Bob, a member who did not create it: the topic only, no manager's controls
    dialog = channel_dialog(bob)
    expect(dialog.get_by_role("textbox", name="Topic")).to_be_editable()
    expect(dialog.get_by_role("textbox", name="Name")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Archive channel")).to_have_count(0)
    expect(dialog.get_by_role("button", name=re.compile("^Remove "))).to_have_count(0)
    bob.page.keyboard.press("Escape")

    dialog = channel_dialog(ada)
    dialog.get_by_role("textbox", name="Topic").fill("launch moved to Monday")
    dialog.get_by_role("textbox", name="Name").fill(new_name)
    dialog.get_by_role("textbox", name="Purpose").fill("everything about the launch")
    shot(ada.page, "channel-settings")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    for person in (ada, bob):   # Bob through channel.updated
        expect(person.page.locator("#channel h1")).to_have_text(f"# {new_name}")
        expect(person.page.locator("#channel .chan-head .topic")).to_have_text("launch moved to Monday")
        expect(person.page.locator(f'#sidebar [data-channel="{channel_id}"] .label')).to_have_text(new_name)
    expect(bob.page.locator("#channel .composer textarea")).to_have_attribute("placeholder", f"Message #{new_name}")

    dialog = channel_dialog(ada)
    dialog.get_by_role("button", name=f"Remove {bob.name}").click()
    expect(dialog.locator("li", has_text=bob.name)).to_have_count(0)
    ada.page.keyboard.press("Escape")
    expect(bob.page.locator(f'#sidebar [data-channel="{channel_id}"]')).to_have_count(0)
    expect(bob.page.locator("#channel h2")).to_have_text("Welcome to Parley")

    ada.send("wrapping up")
    last = ada.acknowledged("wrapping up")
    dialog = channel_dialog(ada)
    dialog.get_by_role("button", name="Archive channel").click()
    expect(dialog).to_be_hidden()
    banner = ada.page.locator("#channel .archived-banner")
    expect(banner).to_contain_text("archived")
    expect(ada.page.locator("#channel .composer")).to_have_count(0)
    shot(ada.page, "channel-archived")
    last.hover()   # nor in its threads
    last.get_by_role("button", name="Reply in thread").click()
    expect(ada.page.locator("#thread .archived-banner")).to_be_visible()
    expect(ada.page.locator("#thread textarea")).to_have_count(0)
    ada.page.keyboard.press("Escape")
    dialog = channel_dialog(ada)   # read-only: nothing to save, nobody to remove
    expect(dialog.get_by_role("textbox", name="Topic")).to_be_disabled()
    expect(dialog.get_by_role("button", name="Save")).to_have_count(0)
    ada.page.keyboard.press("Escape")

    banner.get_by_role("button", name="Unarchive").click()
    expect(ada.page.locator("#channel .composer textarea")).to_be_visible()
    expect(banner).to_have_count(0)


def test_a_status_with_emoji_and_expiry_shows_beside_the_name(room):
    ada, bob, channel_id = room
    page = ada.page
    page.get_by_role("button", name="Your profile and status").click()
    page.get_by_role("button", name="Choose a status emoji").click()
    page.get_by_role("combobox", name="Search emoji").fill("palm")
    page.get_by_role("option", name="palm_tree").click()
    emoji_button = page.get_by_role("button", name="Status emoji :palm_tree:, change it")
    expect(emoji_button).to_have_text("🌴")
    expect(emoji_button).to_be_focused()
    page.get_by_role("textbox", name="Status").fill("on holiday")
    page.get_by_label("Clear status after").select_option(label="1 hour")
    shot(page, "status")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#dialog")).to_be_hidden()
    expect(page.locator("#me .status-emoji")).to_have_text("🌴")   # in the top bar at once
    expires = datetime.fromisoformat(page.evaluate("window.parley.store.me.status.expires_at"))
    assert timedelta(minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(minutes=60)

    ada.send("back in a week")
    # a 1:1 DM, so that Bob's sidebar has Ada's name in it
    page.get_by_role("button", name="Start a direct message").click()
    page.get_by_label("Find people").fill(bob.name)
    page.get_by_role("button", name=f"Message {bob.name}").click()
    expect(page.locator("#channel h1")).to_have_text(bob.name)

    # Bob heard the new status live (user.updated), without reloading
    status = f'.status-emoji[title="on holiday"]'
    expect(bob.page.locator("#sidebar .side-item", has_text=ada.name).locator(status)).to_have_text("🌴")
    bob.open_channel(channel_id)
    author = bob.acknowledged("back in a week").locator(".meta")
    expect(author.locator(status)).to_have_text("🌴")
    dialog = channel_dialog(bob)
    expect(dialog.locator("li", has_text=ada.name).locator(status)).to_be_visible()
    bob.page.keyboard.press("Escape")
    shot(bob.page, "status-beside-names")

    # once it expires it is not shown (the expiry brought forward in Bob's copy)
    ada_id = ada.user_id
    bob.page.evaluate("""id => {
        const { store } = window.parley;
        const user = store.users.get(id);
        store.users.set(id, { ...user, status: { ...user.status, expires_at: new Date(Date.now() + 1000).toISOString() } });
        store.emit('users');
    }""", ada_id)
    expect(author.locator(".status-emoji")).to_have_count(0)
    expect(bob.page.locator("#sidebar .side-item", has_text=ada.name).locator(".status-emoji")).to_have_count(0)
