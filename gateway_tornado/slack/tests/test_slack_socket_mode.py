"""Socket Mode's events_api envelopes (slack/socket_mode.py)."""
from __future__ import annotations

from gateway_tornado.slack.socket_mode import envelope

CHANNEL = "a" * 32


def wrap(event: dict, kind: str = "public") -> dict:
    return envelope(event, {"event_id": "e" * 32}, "TDEFAULT", "A1", "U2", {CHANNEL: kind})


def test_an_event_is_wrapped_as_slack_sends_it_over_socket_mode():
    message = {"type": "message", "channel": "C" + CHANNEL.upper(), "user": "U3", "text": "hi",
               "ts": "1700000000.000042"}
    out = wrap(message)
    assert out["type"] == "events_api" and out["envelope_id"]
    assert out["accepts_response_payload"] is False
    assert (out["retry_attempt"], out["retry_reason"]) == (0, "")
    payload = out["payload"]
    assert payload["type"] == "event_callback" and payload["api_app_id"] == "A1"
    assert payload["team_id"] == "TDEFAULT" and payload["event_id"] == "Ev" + "E" * 32
    assert payload["event_time"] == 1700000000
    assert payload["authorizations"][0]["user_id"] == "U2"
    assert payload["event"] == {**message, "channel_type": "channel",
                                "event_ts": "1700000000.000042"}
    assert wrap(message)["envelope_id"] != out["envelope_id"]


def test_message_events_say_their_channel_type():
    def kind_of(slack_channel: str, kind: str) -> str:
        return wrap({"type": "message", "channel": slack_channel, "ts": "1.000001"},
                    kind)["payload"]["event"]["channel_type"]
    assert kind_of("C" + CHANNEL.upper(), "private") == "group"
    assert kind_of("D" + CHANNEL.upper(), "dm") == "im"
    assert kind_of("G" + CHANNEL.upper(), "group_dm") == "mpim"
