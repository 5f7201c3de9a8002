"""Block Kit blocks (sent through the Slack-compatible API) are stored with a
message, returned with it and in its event, replaced by an edit that gives them,
kept by one that does not, and dropped by a delete."""
from __future__ import annotations

import pytest

from services.common.errors import InvalidInput

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*deploy* done"}}]


def test_blocks_are_stored_and_returned_and_announced(messaging):
    sent = messaging.send("ada", "general", "c-1", "deploy done", blocks=BLOCKS)
    assert sent["blocks"] == BLOCKS
    assert messaging.get("ada", "general", sent["id"])["blocks"] == BLOCKS
    event = messaging.realtime.call_args_list[0].args[1]
    assert event.data["blocks"] == BLOCKS


def test_blocks_alone_make_a_message_and_a_plain_message_has_none(messaging):
    assert messaging.send("ada", "general", "c-1", "", blocks=BLOCKS)["text"] == ""
    assert messaging.send("ada", "general", "c-2", "plain")["blocks"] == []
    with pytest.raises(InvalidInput):
        messaging.send("ada", "general", "c-3", "", blocks=[])


def test_an_edit_replaces_blocks_it_gives_and_keeps_them_otherwise(messaging):
    sent = messaging.send("ada", "general", "c-1", "v1", blocks=BLOCKS)
    kept = messaging.edit("ada", "general", sent["id"], "v2")
    assert (kept["text"], kept["blocks"]) == ("v2", BLOCKS)
    new = [{"type": "divider"}]
    changed = messaging.edit("ada", "general", sent["id"], "v2", blocks=new)
    assert changed["blocks"] == new and changed["edited_at"] is not None
    assert messaging.get("ada", "general", sent["id"])["blocks"] == new


def test_a_delete_drops_the_blocks_and_too_many_blocks_are_refused(messaging):
    sent = messaging.send("ada", "general", "c-1", "x", blocks=BLOCKS)
    assert messaging.delete("ada", "general", sent["id"])["blocks"] == []
    with pytest.raises(InvalidInput, match="blocks"):
        messaging.send("ada", "general", "c-2", "x", blocks=[{"type": "divider"}] * 51)
