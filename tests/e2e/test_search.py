"""Search on the real stack, through Traefik: messages go from the messaging service
through Kafka (`parley-consumer search`) into the search index on PostgreSQL, and
come back by words, stems and prefixes, partial words, phrases and filters, newest
or most relevant first, a page at a time, with escaped, highlighted snippets; only
from channels the searcher may read; a replayed event changes nothing."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from aiokafka import AIOKafkaProducer

from services.common.events import MESSAGE_CREATED, Message, MessageCreated
from tests.support.client import Person, eventually, unique_email


def tag() -> str:
    """A word nobody else's message contains, to tell this test's messages apart."""
    return "zq" + uuid.uuid4().hex[:10]


async def person(base_url, prefix: str) -> Person:
    return await Person(base_url, unique_email(prefix)).sign_up()


async def new_channel(owner: Person, private: bool = False) -> str:
    created = await owner.call("POST", "/channels", {"name": f"search-{uuid.uuid4().hex[:10]}",
                                                     "is_private": private})
    assert created.status == 201, created.body
    return created.body["id"]


async def send(sender: Person, channel_id: str, text: str, attachments=None) -> dict:
    sent = await sender.call("POST", f"/channels/{channel_id}/messages",
                             {"client_msg_id": uuid.uuid4().hex, "text": text,
                              "attachments": attachments or []})
    assert sent.status == 201, sent.body
    return sent.body


async def found(searcher: Person, q: str, count: int, **filters) -> list[dict]:
    """The results once the index holds ``count`` of them (it follows Kafka)."""
    async def probe():
        answer = await searcher.search(q, **filters)
        assert answer.status == 200, answer.body
        results = answer.body["results"]
        return (results,) if len(results) == count else None
    [results] = await eventually(probe, timeout=20)
    return results


async def ids(searcher: Person, q: str, **filters) -> list[str]:
    answer = await searcher.search(q, **filters)
    assert answer.status == 200, answer.body
    return [r["id"] for r in answer.body["results"]]


async def test_deploy_finds_deployment_and_other_forms_of_the_word(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    deployment = await send(ann, channel, f"{t} the deployment of billing finished")
    deploying = await send(ann, channel, f"{t} we are deploying now")
    await send(ann, channel, f"{t} lunch anyone?")
    results = await found(ann, f"deploy {t}", 2)
    assert {r["id"] for r in results} == {deployment["id"], deploying["id"]}
    assert {r["id"] for r in await found(ann, f"deployments {t}", 2)} == {
        deployment["id"], deploying["id"]}
    snippets = {r["id"]: r["snippet"] for r in results}
    assert "<mark>deployment</mark>" in snippets[deployment["id"]]
    assert "<mark>deploying</mark>" in snippets[deploying["id"]]


async def test_a_partial_word_is_found_inside_a_longer_one(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    message = await send(ann, channel, f"{t} Kubernetes upgrade tomorrow")
    [result] = await found(ann, f"bernet {t}", 1)
    assert result["id"] == message["id"]
    assert "Ku<mark>bernet</mark>es" in result["snippet"]


async def test_a_quoted_phrase_matches_its_words_in_order(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    phrase = await send(ann, channel, f"{t} the billing service is down")
    await send(ann, channel, f"{t} the service for billing is fine")
    await found(ann, f"billing service {t}", 2)      # words: both
    [result] = await found(ann, f'"billing service" {t}', 1)
    assert result["id"] == phrase["id"]
    assert "<mark>" in result["snippet"]


async def test_filters_channel_person_dates_and_files(base_url):
    ann, bob = await person(base_url, "ann"), await person(base_url, "bob")
    first, second = await new_channel(ann), await new_channel(ann)
    for channel in (first, second):
        joined = await bob.call("POST", f"/channels/{channel}/join")
        assert joined.status == 200, joined.body
    t = tag()
    in_first = await send(ann, first, f"{t} release notes")
    in_second = await send(ann, second, f"{t} release party")
    by_bob = await send(bob, second, f"{t} release checklist")
    uploaded = await ann.call("POST", "/files?filename=notes.txt", raw=b"notes\n" * 10,
                              headers={"Content-Type": "text/plain"})
    assert uploaded.status == 201, uploaded.body
    with_file = await send(ann, first, f"{t} release file", [uploaded.body["id"]])
    await found(ann, t, 4)

    assert set(await ids(ann, t, channel_id=first)) == {in_first["id"], with_file["id"]}
    assert await ids(ann, t, from_=bob.user_id) == [by_bob["id"]]
    assert await ids(ann, t, has_file=True) == [with_file["id"]]
    assert set(await ids(ann, t, has_file=False)) == {in_first["id"], in_second["id"],
                                                      by_bob["id"]}
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    earlier = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    assert await ids(ann, t, after=later) == []
    assert len(await ids(ann, t, after=earlier, before=later)) == 4
    assert await ids(ann, t, before=earlier) == []
    bad = await ann.search(t, after=later, before=earlier)
    assert bad.status == 400 and bad.body["error"]["code"] == "invalid_input"


async def test_newest_first_and_pages_by_cursor(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    sent = [await send(ann, channel, f"{t} update number {i}") for i in range(5)]
    await found(ann, t, 5)
    newest = await ids(ann, t, sort="newest")
    assert newest == [m["id"] for m in reversed(sent)]

    for sort in ("newest", "relevance"):
        seen, cursor = [], None
        while True:
            page = await ann.search(t, sort=sort, limit=2, cursor=cursor)
            assert page.status == 200, page.body
            seen += [r["id"] for r in page.body["results"]]
            cursor = page.body["next_cursor"]
            assert page.headers.get("X-Next-Cursor") == cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(m["id"] for m in sent), sort

    wrong = await ann.search(t, sort="relevance", cursor=(await ann.search(
        t, sort="newest", limit=1)).body["next_cursor"])
    assert wrong.status == 400


async def test_the_most_relevant_message_comes_first(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    dense = await send(ann, channel, f"{t} outage outage: the outage report")
    await send(ann, channel, f"{t} a long message that mentions an outage only once, "
                             "among many other words about lunch and the weather")
    results = await found(ann, f"outage {t}", 2, sort="relevance")
    assert results[0]["id"] == dense["id"]


async def test_snippets_escape_the_message_and_mark_only_matches(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    await send(ann, channel, f'{t} <script>alert("x")</script> <mark>fake</mark> deploy')
    [result] = await found(ann, f"deploy {t}", 1)
    snippet = result["snippet"]
    # PostgreSQL's parser leaves what looks like an HTML tag out of snippets; what
    # remains is escaped, and the only markup is the highlighting of matches
    assert "<mark>deploy</mark>" in snippet and "&quot;x&quot;" in snippet
    assert "<mark>fake" not in snippet
    unmarked = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and ">" not in unmarked


async def test_a_private_channel_is_searched_only_by_its_members(base_url):
    ann, eve = await person(base_url, "ann"), await person(base_url, "eve")
    private = await new_channel(ann, private=True)
    public = await new_channel(ann)
    t = tag()
    secret = await send(ann, private, f"{t} secret roadmap")
    await send(ann, public, f"{t} public roadmap")
    await found(ann, f"roadmap {t}", 2)                       # ann: in both
    assert await ids(ann, f"roadmap {t}", channel_id=private) == [secret["id"]]
    assert await ids(eve, f"roadmap {t}") == []              # in neither channel
    denied = await eve.search(f"roadmap {t}", channel_id=private)
    assert denied.status == 404 and denied.body["error"]["code"] == "not_found"
    # a public channel they are not in may be searched by naming it
    assert len(await ids(eve, f"roadmap {t}", channel_id=public)) == 1


async def test_searching_needs_a_session_and_valid_arguments(base_url):
    ann = await person(base_url, "ann")
    anonymous = Person(base_url, "nobody@example.test")
    assert (await anonymous.search("x")).status == 401
    for bad in ({"sort": "oldest"}, {"limit": "0"}, {"limit": "abc"}, {"has_file": "maybe"},
                {"after": "yesterday"}, {"cursor": "not-a-cursor"}):
        answer = await ann.search("x", **bad)
        assert answer.status == 400, (bad, answer.body)


async def test_a_replayed_event_changes_nothing(base_url, stack):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    message = await send(ann, channel, f"{t} original words")
    [before] = await found(ann, t, 1)

    original = Message.model_validate(message)
    replay = MessageCreated.of(original)
    forged = MessageCreated.of(original.model_copy(update={"text": f"{t} forged words"}))
    marker = tag()
    sentinel = MessageCreated.of(original.model_copy(update={
        "id": uuid.uuid4().hex[:24], "seq": original.seq + 1000,
        "client_msg_id": uuid.uuid4().hex, "text": f"{marker} sentinel"}))
    producer = AIOKafkaProducer(bootstrap_servers=stack["kafka.bootstrap"])
    await producer.start()
    try:
        for event in (replay, forged, replay, sentinel):
            await producer.send_and_wait(MESSAGE_CREATED, json.dumps(
                event.model_dump(mode="json")).encode(), key=event.key)
    finally:
        await producer.stop()
    # same key, same partition: once the sentinel is indexed, the replays were applied
    await found(ann, marker, 1)
    [after] = await found(ann, t, 1)
    assert after == before
    assert await ids(ann, f"forged {t}") == []


async def test_edits_and_deletions_reach_the_index(base_url):
    ann = await person(base_url, "ann")
    channel = await new_channel(ann)
    t = tag()
    message = await send(ann, channel, f"{t} original wording")
    await found(ann, f"original {t}", 1)

    edited = await ann.call("PATCH", f"/channels/{channel}/messages/{message['id']}",
                            {"text": f"{t} corrected wording"})
    assert edited.status == 200, edited.body
    [result] = await found(ann, f"corrected {t}", 1)
    assert result["id"] == message["id"] and result["edited_at"]
    assert await ids(ann, f"original {t}") == []

    deleted = await ann.call("DELETE", f"/channels/{channel}/messages/{message['id']}")
    assert deleted.status == 200, deleted.body
    await found(ann, t, 0)
