"""services/common/event_batches.py: a consuming service applies a batch of one topic's
events, each as the method its topic routes to would, and tells which it refused."""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from services.channels.service import Service as Channels
from services.common.errors import InvalidInput, NotFound, ServiceUnavailable
from services.search.service import Service as Search


def scripted(*outcomes):
    """Stands in for a routed method: records each event, answers the next outcome."""
    calls = []

    def handle(event):
        calls.append(event)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    handle.calls = calls
    return handle


def test_each_event_goes_to_the_routed_method_in_order_and_each_answer_comes_back():
    service = worker_factory(Channels)
    service.on_message_created = scripted({"counted": True}, {"counted": False})
    events = [{"event_id": "e1"}, {"event_id": "e2"}]
    assert service.apply_events("message.created", events) == [
        {"answer": {"counted": True}}, {"answer": {"counted": False}}]
    assert service.on_message_created.calls == events


def test_each_topic_goes_to_its_own_method():
    service = worker_factory(Search)
    service.on_message_deleted = scripted({"changed": True})
    assert service.apply_events("message.deleted", [{"event_id": "e1"}]) == [
        {"answer": {"changed": True}}]


def test_an_event_refused_for_good_is_answered_as_refused_and_the_batch_goes_on():
    service = worker_factory(Channels)
    service.on_message_created = scripted(NotFound("no such channel"), {"counted": True})
    outcomes = service.apply_events("message.created", [{"event_id": "e1"}, {"event_id": "e2"}])
    assert outcomes == [{"refused": {"code": "not_found", "message": "no such channel"}},
                        {"answer": {"counted": True}}]
    service.db.session.rollback.assert_called_once()   # nothing of e1 reaches e2's commit


def test_an_error_retrying_can_help_fails_the_call_so_the_consumer_sends_it_again():
    service = worker_factory(Channels)
    service.on_message_created = scripted({"counted": True}, ServiceUnavailable("users away"))
    with pytest.raises(ServiceUnavailable):
        service.apply_events("message.created", [{"event_id": "e1"}, {"event_id": "e2"}])
    service.db.session.rollback.assert_called_once()


@pytest.mark.parametrize("topic, events", [("user.updated", []), ("message.created", {"a": 1})])
def test_a_topic_the_service_does_not_follow_or_a_batch_that_is_no_list_is_invalid(topic, events):
    with pytest.raises(InvalidInput):
        worker_factory(Channels).apply_events(topic, events)


# -- one transaction per batch --------------------------------------------------------------
def telling(service):
    """The service, recording when ``after_batch`` runs and what was kept for it."""
    service.after_batches = []
    service.after_batch = lambda: service.after_batches.append(service.kept_for_batch_end())
    return service


def test_a_batch_commits_once_at_its_end_and_then_says_what_its_events_kept():
    service = telling(worker_factory(Channels))

    def handle(event):
        service.commit_event()
        service.keep_for_batch_end(event["channel"])
        return {"counted": True}
    service.on_message_created = handle
    service.apply_events("message.created", [{"channel": "c1"}, {"channel": "c2"},
                                             {"channel": "c1"}])
    service.db.session.commit.assert_called_once()
    assert service.after_batches == [["c1", "c2"]]   # each once, in order


def test_an_event_applied_on_its_own_commits_at_once_and_keeps_nothing():
    service = worker_factory(Channels)
    assert service.keep_for_batch_end("c1") is False
    service.commit_event()
    service.db.session.commit.assert_called_once()


def test_a_refusal_applies_the_events_before_it_again_without_it():
    service = telling(worker_factory(Channels))
    service.on_message_created = scripted({"counted": True}, NotFound("no such channel"),
                                          {"counted": True}, {"counted": True})
    outcomes = service.apply_events("message.created", [{"event_id": "e1"}, {"event_id": "e2"},
                                                        {"event_id": "e3"}])
    assert outcomes == [{"answer": {"counted": True}},
                        {"refused": {"code": "not_found", "message": "no such channel"}},
                        {"answer": {"counted": True}}]
    assert [e["event_id"] for e in service.on_message_created.calls] == ["e1", "e2", "e1", "e3"]
    service.db.session.rollback.assert_called_once()
    service.db.session.commit.assert_called_once()


def test_a_batch_that_fails_commits_nothing_and_says_nothing():
    service = telling(worker_factory(Channels))
    service.on_message_created = scripted({"counted": True}, ServiceUnavailable("users away"))
    with pytest.raises(ServiceUnavailable):
        service.apply_events("message.created", [{"event_id": "e1"}, {"event_id": "e2"}])
    assert service.after_batches == []
    service.db.session.commit.assert_not_called()


def test_a_read_is_made_once_per_batch_and_key_and_every_time_outside_a_batch():
    service = worker_factory(Channels)
    reads = []

    def handle(event):
        return service.once_per_batch(("members", event["channel"]),
                                      lambda: reads.append(event["channel"]) or len(reads))
    service.on_message_created = handle
    outcomes = service.apply_events("message.created", [
        {"channel": "c1"}, {"channel": "c2"}, {"channel": "c1"}])
    assert ([o["answer"] for o in outcomes], reads) == ([1, 2, 1], ["c1", "c2"])
    assert [handle({"channel": "c1"}), handle({"channel": "c1"})] == [3, 4]
