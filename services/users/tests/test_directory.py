"""The directory: people by name prefix, a page at a time, in a stable order."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput


@pytest.fixture
def crowd(people):
    """The five of `people` plus eight more, some with full names."""
    for user_id, display, full in (("p1", "alice", "Alice Liddell"), ("p2", "Alan", ""),
                                   ("p3", "bea", "Beatrix Potter"), ("p4", "Zed", "Alvin Zed"),
                                   ("p5", "al_bundy", ""), ("p6", "Al%", ""),
                                   ("p7", "alice", "Alice Two"), ("p8", "Carl", "")):
        people.ensure_profile(user_id, f"{user_id}@example.com", display)
        if full:
            people.update_profile(user_id, {"full_name": full})
    return people


def names(page):
    return [person["display_name"] for person in page["users"]]


def everyone(users, actor="mo", **query):
    """Walk every page; returns (names, number of pages)."""
    seen, cursor, pages = [], None, 0
    while True:
        page = users.directory(actor, cursor=cursor, **query)
        seen += names(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


def test_the_directory_lists_everyone_by_name_case_insensitively(crowd):
    page = crowd.directory("mo")
    assert names(page) == ["Ada", "Al%", "al_bundy", "Alan", "alice", "alice", "bea",
                           "Carl", "Gus", "Max", "Mo", "Olive", "Zed"]
    assert page["next_cursor"] is None


def test_a_prefix_matches_display_or_full_name_ignoring_case(crowd):
    assert names(crowd.directory("mo", prefix="AL")) == ["Al%", "al_bundy", "Alan", "alice",
                                                          "alice", "Zed"]  # Zed: Alvin Zed
    assert names(crowd.directory("mo", prefix="beatrix")) == ["bea"]
    assert names(crowd.directory("mo", prefix="nobody")) == []


def test_like_wildcards_in_a_prefix_are_plain_characters(crowd):
    assert names(crowd.directory("mo", prefix="al%")) == ["Al%"]
    assert names(crowd.directory("mo", prefix="al_")) == ["al_bundy"]


def test_paging_visits_everyone_once_in_order(crowd):
    whole = names(crowd.directory("mo", limit=200))
    seen, pages = everyone(crowd, limit=3)
    assert seen == whole and pages == 5


def test_two_people_with_the_same_name_are_both_paged_through(crowd):
    first = crowd.directory("mo", prefix="alice", limit=1)
    second = crowd.directory("mo", prefix="alice", limit=1, cursor=first["next_cursor"])
    assert {first["users"][0]["user_id"], second["users"][0]["user_id"]} == {"p1", "p7"}


def test_a_page_stays_stable_when_someone_joins_before_it(crowd):
    first = crowd.directory("mo", limit=4)
    crowd.ensure_profile("p9", "p9@example.com", "Aaron")  # sorts before the cursor
    second = crowd.directory("mo", limit=4, cursor=first["next_cursor"])
    assert names(second) == ["alice", "alice", "bea", "Carl"]


def test_deactivated_people_are_left_out(crowd):
    crowd.deactivate("olive", "p8")
    assert "Carl" not in everyone(crowd)[0]


@pytest.mark.parametrize("actor", ["olive", "ada"])
def test_owners_and_admins_may_ask_for_deactivated_people_too(crowd, actor):
    crowd.deactivate("olive", "p8")
    page = crowd.directory(actor, prefix="carl", include_deactivated=True)
    assert [(p["display_name"], p["active"]) for p in page["users"]] == [("Carl", False)]


def test_a_member_may_not_ask_for_deactivated_people(crowd):
    with pytest.raises(Forbidden):
        crowd.directory("mo", include_deactivated=True)


def test_a_guest_may_not_browse_the_directory(crowd):
    with pytest.raises(Forbidden):
        crowd.directory("gus")


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 201}, {"limit": "ten"},
                                   {"cursor": "garbage"}, {"cursor": "WyJhIl0"},
                                   {"prefix": "x" * 81}])
def test_a_bad_query_is_invalid_input(crowd, query):
    with pytest.raises(InvalidInput):
        crowd.directory("mo", **query)
