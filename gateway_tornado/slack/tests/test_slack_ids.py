"""Slack ids and message timestamps <-> Parley ids and seqs (slack/ids.py)."""
from __future__ import annotations

from decimal import Decimal

from gateway_tornado.slack import ids

CHANNEL = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
USER = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_a_conversation_id_says_its_kind_and_decodes_back_whatever_the_letter():
    assert ids.channel_id({"id": CHANNEL, "kind": "public"}) == "C" + CHANNEL.upper()
    assert ids.channel_id({"id": CHANNEL, "kind": "private"}) == "C" + CHANNEL.upper()
    assert ids.channel_id({"id": CHANNEL, "kind": "dm"}) == "D" + CHANNEL.upper()
    assert ids.channel_id({"id": CHANNEL, "kind": "group_dm"}) == "G" + CHANNEL.upper()
    for letter in "CDG":
        assert ids.parley_channel(letter + CHANNEL.upper()) == CHANNEL


def test_anything_but_a_prefix_and_hex_of_the_right_length_decodes_to_nothing():
    for bad in (None, 42, "", "C", "X" + CHANNEL, "C" + CHANNEL[:-1], "C" + CHANNEL + "0",
                "C" + "Z" * 32, "U" + USER.upper(), "general", "#general"):
        assert ids.parley_channel(bad) is None
    assert ids.parley_user("C" + USER.upper()) is None
    assert ids.parley_file("F" + "A" * 32) is None


def test_users_bots_files_apps_and_the_team():
    assert ids.parley_user(ids.user_id(USER)) == USER
    assert ids.parley_bot(ids.bot_id(USER)) == USER
    assert ids.parley_file(ids.file_id("65a1b2c3d4e5f6a7b8c9d0e1")) == "65a1b2c3d4e5f6a7b8c9d0e1"
    assert ids.app_id(USER) == "A" + USER.upper()
    assert ids.team_id("default") == "TDEFAULT"
    assert ids.team_id("acme-corp") == "TACMECORP"
    assert ids.team_id("--") == "T0"


def test_a_ts_is_the_seconds_of_creation_and_the_seq_as_six_digits():
    message = {"created_at": "2023-11-14T22:13:20.456+00:00", "seq": 100}
    assert ids.message_ts(message) == "1700000000.000100"
    assert ids.seq_of_ts("1700000000.000100") == 100
    assert ids.ts("2023-11-14T22:13:20", 1) == "1700000000.000001"  # no zone: UTC


def test_ts_are_unique_and_increasing_within_a_channel():
    times = ["2023-11-14T22:13:20+00:00"] * 3 + ["2023-11-14T22:13:21+00:00"]
    values = [ids.ts(t, seq) for seq, t in enumerate(times, start=1)]
    assert len(set(values)) == 4
    assert [ids.ts_value(v) for v in values] == sorted(ids.ts_value(v) for v in values)


def test_a_seq_past_a_million_still_round_trips_exactly():
    value = ids.ts("2023-11-14T22:13:20+00:00", 1_234_567)
    assert value == "1700000000.1234567"
    assert ids.seq_of_ts(value) == 1_234_567


def test_what_is_not_a_message_ts_names_no_seq():
    for bad in (None, 1700000000.0001, "", "1700000000", "1700000000.1", "abc.000001",
                "1700000000.000000", "-1.000001", "1700000000.000001x"):
        assert ids.seq_of_ts(bad) is None


def test_time_bounds_are_exact_numbers_whether_a_ts_or_any_time():
    assert ids.ts_value("1700000000.000100") == Decimal("1700000000.000100")
    assert ids.ts_value("1700000000") == Decimal(1700000000)
    assert ids.ts_value("1700000000.5") > ids.ts_value("1700000000.000100")
    assert ids.ts_value(1700000000) == Decimal(1700000000)
    for bad in ("now", "", "1e9", "-5", True, None, "1700000000.0000000000001"):
        assert ids.ts_value(bad) is None
