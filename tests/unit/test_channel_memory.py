"""services/common/channel_memory.py: an answer about a channel is kept for its
seconds, forgotten when told, and not kept when a notice came while it was asked."""
from __future__ import annotations

from services.common import channel_memory
from services.common.channel_memory import PerChannel


def asking(answers: list):
    def ask():
        answers.append("asked")
        return len(answers)
    return ask


def test_an_answer_is_kept_for_its_seconds_only():
    now = [100.0]
    memory = PerChannel(seconds=60, clock=lambda: now[0])
    answers: list = []
    assert [memory.get("general", asking(answers)) for _ in range(2)] == [1, 1]
    now[0] += 61
    assert memory.get("general", asking(answers)) == 2


def test_each_channel_is_asked_about_on_its_own_and_forgotten_on_its_own():
    memory = PerChannel(seconds=60)
    general, random = [], []
    memory.get("general", asking(general))
    memory.get("random", asking(random))
    memory.forget("general")
    memory.get("general", asking(general))
    memory.get("random", asking(random))
    assert (len(general), len(random)) == (2, 1)


def test_an_answer_asked_before_a_notice_and_received_after_it_is_used_but_not_kept():
    memory = PerChannel(seconds=60)
    answers: list = []

    def changed_meanwhile():
        answers.append("asked")
        if len(answers) == 1:
            memory.forget("general")   # channels committed a change, then answered
        return len(answers)
    assert memory.get("general", changed_meanwhile) == 1
    assert memory.get("general", changed_meanwhile) == 2
    assert memory.get("general", changed_meanwhile) == 2


def test_an_empty_answer_is_kept_like_any_other():
    memory = PerChannel(seconds=60)
    answers: list = []
    for _ in range(2):
        assert memory.get("archived", lambda: answers.append(1) or set()) == set()
    assert len(answers) == 1


def test_with_zero_seconds_every_question_is_asked():
    memory = PerChannel(seconds=0)
    answers: list = []
    for _ in range(3):
        memory.get("general", asking(answers))
    assert len(answers) == 3


def test_past_the_most_channels_everything_is_forgotten_at_once(monkeypatch):
    monkeypatch.setattr(channel_memory, "MOST_CHANNELS", 2)
    memory = PerChannel(seconds=60)
    asked: list = []
    for channel_id in ("a", "b", "c", "a"):   # c found two kept: all forgotten first
        memory.get(channel_id, lambda: asked.append(channel_id))
    assert asked == ["a", "b", "c", "a"]
