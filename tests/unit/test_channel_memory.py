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


def test_forgetting_every_channel_asks_again_about_each_and_keeps_nothing_in_flight():
    """After a reconnection notices may have been missed: every answer is asked again,
    and one asked before and received after is used once but not kept."""
    memory = PerChannel(seconds=600)
    general, random = [], []
    memory.get("general", asking(general))
    memory.get("random", asking(random))

    def forgotten_meanwhile():
        general.append("asked")
        if len(general) == 2:
            memory.forget_all()        # the connection came back while this was asked
        return len(general)
    assert memory.get("general", forgotten_meanwhile) == 1      # still kept: no question
    memory.forget_all()
    assert memory.get("general", forgotten_meanwhile) == 2      # asked, not kept
    assert memory.get("general", forgotten_meanwhile) == 3      # asked again, kept
    assert memory.get("general", forgotten_meanwhile) == 3
    assert memory.get("random", asking(random)) == 2


class _Container:
    """What ChannelNotices needs of a Nameko container: spawn_worker, recorded."""

    def __init__(self):
        self.spawned: list = []
        self.shared_extensions: dict = {}

    def spawn_worker(self, entrypoint, args, kwargs, **_):
        self.spawned.append((entrypoint.method_name, args, kwargs))


def _notices_on(consumer) -> tuple[channel_memory.ChannelNotices, _Container]:
    container = _Container()
    notices = channel_memory.ChannelNotices().bind(container, "forget_channel")
    consumer.register_provider(notices)
    return notices, container


def test_the_notices_handler_is_handed_forget_everything_after_a_reconnection_only():
    """kombu calls on_consume_ready after the first connection and after each
    reconnection of the queue consumer; only a reconnection means that notices
    dispatched meanwhile found no queue (the broadcast queue lives with the
    connection), so only then is the handler handed ``{"channel_id": None}``."""
    consumer = channel_memory._QueueConsumerTellingReconnections()
    _, container = _notices_on(consumer)
    consumer.on_consume_ready(connection=None, channel=None, consumers=[])   # first
    assert container.spawned == []
    consumer.on_consume_ready(connection=None, channel=None, consumers=[])   # again
    assert container.spawned == [("forget_channel", ({"channel_id": None},), {})]


def test_notices_are_broadcast_to_every_instance_and_not_kept_while_away():
    notices = channel_memory.ChannelNotices()
    assert (notices.source_service, notices.event_type) == ("channels", "audience_changed")
    assert notices.handler_type == channel_memory.BROADCAST
    assert notices.reliable_delivery is False
    assert isinstance(channel_memory.ChannelNotices.queue_consumer,
                      channel_memory._QueueConsumerTellingReconnections)


def test_a_reconnection_while_the_service_stops_spawns_nothing_and_raises_nothing():
    """The hand-off runs in the queue consumer's own thread: an error there would end
    the container, so one that is already stopping is simply left alone."""
    from nameko.containers import ContainerBeingKilled
    consumer = channel_memory._QueueConsumerTellingReconnections()
    _, container = _notices_on(consumer)

    tried = []

    def stopping(entrypoint, args, kwargs, **_):
        tried.append(args)
        raise ContainerBeingKilled()
    container.spawn_worker = stopping
    consumer.on_consume_ready(connection=None, channel=None, consumers=[])
    consumer.on_consume_ready(connection=None, channel=None, consumers=[])   # no raise
    assert tried == [({"channel_id": None},)] and consumer._consumers_ready.ready()
