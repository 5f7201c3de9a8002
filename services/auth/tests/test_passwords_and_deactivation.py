"""Changing a password, resetting a forgotten one by mail, deactivating and
reactivating an account, and the admin's reset link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.auth import opaque
from services.auth.models import Credential, PasswordReset, Session
from services.common.errors import (Forbidden, InvalidInput, NotFound, RateLimited,
                                    Unauthenticated)
from services.common.revocation import revoked_session_key

PASSWORD = "correct horse battery"
NEW_PASSWORD = "purple otter marmalade"
LINK = re.compile(r"https://chat\.example\.com/reset\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def ada(auth):
    return auth.register("ada@example.com", PASSWORD, "Ada")["user_id"]


def login(auth, password=PASSWORD):
    return auth.login("ada@example.com", password)


def reset_token(outbox, to="ada@example.com") -> str:
    mail = [m for m in outbox if m["to"] == to][-1]
    return LINK.search(mail["text"]).group(1)


# -- change ------------------------------------------------------------------------
def test_changing_the_password_needs_the_current_one(auth, ada):
    current = login(auth)
    with pytest.raises(Forbidden, match="current password"):
        auth.change_password(ada, current["session_id"], "not my password", NEW_PASSWORD)
    with pytest.raises(Unauthenticated):
        login(auth, NEW_PASSWORD)


def test_a_changed_password_is_the_one_that_logs_in(auth, ada):
    current = login(auth)
    result = auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)
    assert result["changed"] is True
    assert login(auth, NEW_PASSWORD)["user_id"] == ada
    with pytest.raises(Unauthenticated):
        login(auth, PASSWORD)


def test_changing_the_password_ends_every_other_session_but_this_one(auth, redis, ada):
    current, other = login(auth), login(auth)
    result = auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)
    assert result["ended_sessions"] == 1
    assert redis.exists(revoked_session_key(other["session_id"]))
    assert not redis.exists(revoked_session_key(current["session_id"]))
    assert auth.verify_token(current["access_token"])["sub"] == ada
    with pytest.raises(Unauthenticated):
        auth.refresh(other["refresh_token"])


def test_the_new_password_must_meet_the_policy(auth, session, ada):
    current = login(auth)
    before = session.get(Credential, ada).password_hash
    with pytest.raises(InvalidInput, match="new_password: this password is too common"):
        auth.change_password(ada, current["session_id"], PASSWORD, "password123")
    assert session.get(Credential, ada).password_hash == before


def test_repeating_a_password_change_that_was_made_changes_nothing_more(auth, ada):
    current = login(auth)
    auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)
    again = auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)
    assert again["changed"] is False
    assert login(auth, NEW_PASSWORD)["user_id"] == ada


def test_guessing_the_current_password_is_throttled_like_logins(auth, ada):
    current = login(auth)
    for _ in range(5):
        with pytest.raises(Forbidden):
            auth.change_password(ada, current["session_id"], "a wrong guess!", NEW_PASSWORD)
    with pytest.raises(RateLimited):
        auth.change_password(ada, current["session_id"], PASSWORD, NEW_PASSWORD)


# -- reset ------------------------------------------------------------------------------
def test_a_reset_request_mails_a_link_whose_token_is_stored_only_as_a_hash(
        auth, session, outbox, ada):
    assert auth.request_password_reset(" Ada@Example.com ") == {"accepted": True}
    (mail,) = outbox
    assert mail["to"] == "ada@example.com"
    assert mail["subject"] == "Reset your Parley password"
    assert "30 minutes" in mail["text"]
    token = reset_token(outbox)
    stored = session.scalars(select(PasswordReset)).one()
    assert stored.token_hash == opaque.digest(token)
    assert stored.user_id == ada
    assert stored.expires_at - stored.created_at == timedelta(minutes=30)


def test_a_reset_request_for_an_unknown_address_answers_the_same_and_mails_nothing(
        auth, session, outbox, ada):
    assert auth.request_password_reset("nobody@example.com") == \
        auth.request_password_reset("ada@example.com")
    assert [m["to"] for m in outbox] == ["ada@example.com"]
    assert len(session.scalars(select(PasswordReset)).all()) == 1


def test_a_reset_sets_the_password_and_ends_every_session(auth, redis, outbox, ada):
    sessions = [login(auth), login(auth)]
    auth.request_password_reset("ada@example.com")
    result = auth.confirm_password_reset(reset_token(outbox), NEW_PASSWORD)
    assert result == {"user_id": ada, "ended_sessions": 2}
    assert all(redis.exists(revoked_session_key(s["session_id"])) for s in sessions)
    assert login(auth, NEW_PASSWORD)["user_id"] == ada


def test_a_reset_token_works_once(auth, outbox, ada):
    auth.request_password_reset("ada@example.com")
    token = reset_token(outbox)
    auth.confirm_password_reset(token, NEW_PASSWORD)
    with pytest.raises(Unauthenticated, match="not valid or has expired"):
        auth.confirm_password_reset(token, "another fine password")
    assert login(auth, NEW_PASSWORD)["user_id"] == ada


def test_using_one_reset_token_uses_up_the_others(auth, outbox, ada):
    auth.request_password_reset("ada@example.com")
    older = reset_token(outbox)
    auth.request_password_reset("ada@example.com")
    auth.confirm_password_reset(reset_token(outbox), NEW_PASSWORD)
    with pytest.raises(Unauthenticated):
        auth.confirm_password_reset(older, "another fine password")


def test_an_expired_reset_token_is_refused(auth, session, outbox, ada):
    auth.request_password_reset("ada@example.com")
    stored = session.scalars(select(PasswordReset)).one()
    stored.expires_at = stored.created_at - timedelta(seconds=1)
    session.commit()
    with pytest.raises(Unauthenticated, match="expired"):
        auth.confirm_password_reset(reset_token(outbox), NEW_PASSWORD)
    assert login(auth)["user_id"] == ada


def test_a_weak_new_password_does_not_use_up_the_token(auth, outbox, ada):
    auth.request_password_reset("ada@example.com")
    token = reset_token(outbox)
    with pytest.raises(InvalidInput, match="new_password"):
        auth.confirm_password_reset(token, "short")
    assert auth.confirm_password_reset(token, NEW_PASSWORD)["user_id"] == ada


def test_a_made_up_reset_token_is_refused(auth, ada):
    with pytest.raises(Unauthenticated):
        auth.confirm_password_reset(opaque.new_token()[0], NEW_PASSWORD)


def test_a_reset_unlocks_a_throttled_account(auth, outbox, ada):
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            login(auth, "a wrong guess!")
    auth.request_password_reset("ada@example.com")
    auth.confirm_password_reset(reset_token(outbox), NEW_PASSWORD)
    assert login(auth, NEW_PASSWORD)["user_id"] == ada


def test_at_most_five_reset_mails_an_hour_go_to_one_address(auth, outbox, ada):
    for _ in range(7):
        assert auth.request_password_reset("ada@example.com") == {"accepted": True}
    assert len(outbox) == 5


def test_a_deactivated_account_gets_no_reset_mail(auth, outbox, ada):
    auth.deactivate(ada)
    auth.request_password_reset("ada@example.com")
    assert outbox == []


# -- deactivation -------------------------------------------------------------------------
def test_deactivation_ends_every_session_and_refuses_login(auth, session, redis, ada):
    pair = login(auth)
    assert auth.deactivate(ada) == {"user_id": ada, "active": False, "ended_sessions": 1}
    assert redis.exists(revoked_session_key(pair["session_id"]))
    assert session.get(Session, pair["session_id"]).revoked_reason == "deactivated"
    with pytest.raises(Forbidden, match="deactivated"):
        login(auth)
    with pytest.raises(Unauthenticated):
        auth.refresh(pair["refresh_token"])


def test_a_deactivated_account_with_a_wrong_password_is_just_a_wrong_login(auth, ada):
    auth.deactivate(ada)
    with pytest.raises(Unauthenticated, match="wrong email or password"):
        login(auth, "a wrong guess!")


def test_deactivating_twice_is_the_same_as_once(auth, ada):
    login(auth)
    auth.deactivate(ada)
    assert auth.deactivate(ada)["active"] is False


def test_reactivation_allows_login_again_but_revives_no_session(auth, ada):
    old = login(auth)
    auth.deactivate(ada)
    assert auth.reactivate(ada) == {"user_id": ada, "active": True, "ended_sessions": 0}
    assert auth.reactivate(ada)["active"] is True
    assert login(auth)["user_id"] == ada
    with pytest.raises(Unauthenticated):
        auth.verify_token(old["access_token"])


def test_deactivating_an_unknown_account_is_not_found(auth):
    with pytest.raises(NotFound):
        auth.deactivate("no-such-user")


def test_login_is_refused_when_the_users_service_says_inactive(auth, users, session, ada):
    users.set(ada, active=False)
    with pytest.raises(Forbidden, match="deactivated"):
        login(auth)
    assert session.scalars(select(Session)).all() == []


# -- admin ------------------------------------------------------------------------------------
def test_the_admin_reset_link_is_returned_and_mailed(auth, outbox, ada):
    issued = auth.admin_issue_password_reset("ADA@example.com")
    assert issued["user_id"] == ada and issued["email"] == "ada@example.com"
    assert LINK.fullmatch(issued["link"])
    assert reset_token(outbox) == LINK.fullmatch(issued["link"]).group(1)
    assert auth.confirm_password_reset(reset_token(outbox), NEW_PASSWORD)["user_id"] == ada


def test_the_admin_reset_link_of_an_unknown_address_is_not_found(auth):
    with pytest.raises(NotFound):
        auth.admin_issue_password_reset("nobody@example.com")
