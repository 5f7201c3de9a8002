"""The query language, cursors and snippets (query.py), and the SQL a search sends
(storage.build_search): pure functions, no database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.common.errors import InvalidInput
from services.search import query as q
from services.search.storage import Filters, build_search

T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)


# -- parsing -----------------------------------------------------------------------------
def test_words_are_lower_cased_deduplicated_and_split_on_punctuation():
    assert q.parse("Deploy, deploy! the-API_key") == q.Terms(("deploy", "the", "api", "key"))


def test_quoted_phrases_are_kept_together():
    terms = q.parse('"Billing  Service" down "billing service"')
    assert terms == q.Terms(("down",), ("billing service",))


def test_a_one_word_phrase_is_a_word_and_an_unclosed_quote_is_ignored():
    assert q.parse('"deploy" "later') == q.Terms(("deploy", "later"))


def test_nothing_to_search_for_is_empty():
    assert not q.parse(" ,.; \"\" ")


def test_too_many_terms_are_refused():
    with pytest.raises(InvalidInput):
        q.parse(" ".join(f"w{i}" for i in range(q.MAX_TERMS + 1)))


def test_like_patterns_escape_wildcards():
    assert q.like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_indexed_text_cannot_carry_highlight_markers():
    assert q.clean_text(f"a{q.START}b{q.STOP}c") == "abc"


def test_indexed_text_drops_nul_which_postgresql_text_cannot_hold():
    assert q.clean_text("a\x00b\x00") == "ab"


# -- cursors -----------------------------------------------------------------------------
@pytest.mark.parametrize("position", [
    q.Position(q.NEWEST, T0, "m1"),
    q.Position(q.RELEVANCE, T0, "m2", rank="0.123456"),
])
def test_cursors_round_trip(position):
    assert q.decode_cursor(q.encode_cursor(position), position.sort) == position


def test_a_cursor_of_another_sort_order_is_refused():
    cursor = q.encode_cursor(q.Position(q.NEWEST, T0, "m1"))
    with pytest.raises(InvalidInput):
        q.decode_cursor(cursor, q.RELEVANCE)


@pytest.mark.parametrize("cursor", ["not a cursor", "e30", "eyJzIjoibmV3ZXN0In0"])
def test_a_forged_cursor_is_invalid_input(cursor):
    with pytest.raises(InvalidInput):
        q.decode_cursor(cursor, q.NEWEST)


# -- snippets ----------------------------------------------------------------------------
def mark(text: str) -> str:
    return f"{q.START}{text}{q.STOP}"


def test_snippets_turn_markers_into_mark_and_escape_everything_else():
    headline = f'a <b> & "c" {mark("deploy")}ment'
    assert q.snippet_html(headline, q.Terms(("deploy",))) == (
        'a &lt;b&gt; &amp; &quot;c&quot; <mark>deploy</mark>ment')


def test_partial_words_and_phrases_postgres_did_not_mark_are_marked():
    terms = q.Terms(("bernet",), ("billing service",))
    assert q.snippet_html("Kubernetes and the Billing  Service", terms) == (
        "Ku<mark>bernet</mark>es and the <mark>Billing  Service</mark>")


def test_words_inside_an_existing_mark_are_not_marked_twice():
    terms = q.Terms(("deployment",))
    assert q.snippet_html(mark("deployment"), terms) == "<mark>deployment</mark>"


def test_short_words_are_not_marked_as_partial_words():
    assert q.snippet_html("an ant", q.Terms(("an",))) == "an ant"


def test_an_unbalanced_marker_never_leaves_a_tag_open():
    assert q.snippet_html(f"{q.START}cut", q.Terms()) == "<mark>cut</mark>"
    assert q.snippet_html(f"cut{q.STOP} off", q.Terms()) == "cut off"


# -- the SQL of a search ----------------------------------------------------------------------
def test_each_word_is_a_stem_or_prefix_or_for_long_words_a_substring():
    sql, params = build_search(q.Terms(("deploy", "go")), Filters(("c1",)), q.NEWEST, None, 21)
    assert params["w0"] == "deploy:*" and params["wl0"] == "%deploy%"
    assert params["w1"] == "go:*" and "wl1" not in params
    assert "to_tsquery('english', :w0) || to_tsquery('simple', :w0)" in sql
    assert "m.text ILIKE :wl0" in sql and "ILIKE :wl1" not in sql
    assert params["channels"] == ["c1"] and params["limit"] == 21


def test_phrases_use_phrase_queries():
    sql, params = build_search(q.Terms((), ("billing service",)), Filters(("c1",)),
                               q.RELEVANCE, None, 5)
    assert "phraseto_tsquery('english', :p0)" in sql and params["p0"] == "billing service"
    assert "ts_rank_cd" in sql and "ts_headline" in sql


def test_filters_become_conditions():
    filters = Filters(("c1", "c2"), from_user="u1", after=T0, before=T0, has_file=True)
    sql, params = build_search(q.Terms(("x",)), filters, q.NEWEST, None, 5)
    for condition in ("m.sender_id = :from_user", "m.created_at > :after",
                      "m.created_at < :before", "m.has_file = :has_file", "NOT m.deleted"):
        assert condition in sql
    assert (params["from_user"], params["after"], params["has_file"]) == ("u1", T0, True)


def test_without_words_a_search_lists_the_beginning_of_messages():
    sql, _ = build_search(q.Terms(), Filters(("c1",)), q.NEWEST, None, 5)
    assert "left(text, :snippet_chars)" in sql and "ts_headline" not in sql


def test_pages_continue_after_the_cursor_by_sort_key():
    after = q.Position(q.RELEVANCE, T0, "m1", rank="0.5")
    sql, params = build_search(q.Terms(("x",)), Filters(("c1",)), q.RELEVANCE, after, 5)
    assert "(rank, created_at, id) < (CAST(:k_rank AS numeric), :k_created, :k_id)" in sql
    assert "ORDER BY rank DESC, created_at DESC, id DESC" in sql
    assert (params["k_rank"], params["k_created"], params["k_id"]) == ("0.5", T0, "m1")
    after = q.Position(q.NEWEST, T0, "m1")
    sql, _ = build_search(q.Terms(("x",)), Filters(("c1",)), q.NEWEST, after, 5)
    assert "(created_at, id) < (:k_created, :k_id)" in sql
