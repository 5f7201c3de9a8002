"""services/auth/sessions.py through the service: refresh tokens rotate on every
use, a reused one ends its whole session, logout and log-out-everywhere end
sessions, and every ended session is announced in Redis (for the gateways) and on
the real-time bus (for open sockets)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.auth import opaque
from services.auth.models import RefreshToken, Session
from services.common.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from services.common.revocation import revoked_session_key

PASSWORD = "correct horse battery"


@pytest.fixture
def ada(auth):
    account = auth.register("ada@example.com", PASSWORD, "Ada")
    return account["user_id"]


def login(auth):
    return auth.login("ada@example.com", PASSWORD)


def revoked(redis, session_id) -> bool:
    return bool(redis.exists(revoked_session_key(session_id)))


# -- refresh tokens ------------------------------------------------------------------
def test_login_hands_out_a_refresh_token_stored_only_as_its_sha256(auth, session, ada):
    pair = login(auth)
    assert pair["refresh_expires_in"] == 30 * 24 * 3600
    stored = session.scalars(select(RefreshToken)).one()
    assert stored.token_hash == opaque.digest(pair["refresh_token"])
    assert pair["refresh_token"] not in stored.token_hash
    assert stored.session_id == pair["session_id"]
    assert stored.used_at is None


def test_refreshing_returns_a_new_pair_for_the_same_session(auth, codec, ada):
    first = login(auth)
    second = auth.refresh(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["session_id"] == first["session_id"]
    claims = codec.verify(second["access_token"])
    assert (claims["sub"], claims["sid"]) == (ada, first["session_id"])


def test_a_refresh_picks_up_a_role_changed_since_login(auth, users, codec, ada):
    pair = login(auth)
    users.set(ada, role="admin")
    assert codec.verify(auth.refresh(pair["refresh_token"])["access_token"])["role"] == "admin"


def test_the_rotated_token_keeps_rotating(auth, ada):
    token = login(auth)["refresh_token"]
    for _ in range(3):
        token = auth.refresh(token)["refresh_token"]
    assert auth.refresh(token)["user_id"] == ada


def test_reusing_a_spent_refresh_token_ends_the_whole_session(auth, session, redis, ada):
    first = login(auth)
    second = auth.refresh(first["refresh_token"])
    with pytest.raises(Unauthenticated, match="already used"):
        auth.refresh(first["refresh_token"])
    ended = session.get(Session, first["session_id"])
    assert ended.revoked_at is not None and ended.revoked_reason == "refresh_reuse"
    # the legitimate successor is part of the same family: it stops working too
    with pytest.raises(Unauthenticated, match="session has ended"):
        auth.refresh(second["refresh_token"])
    with pytest.raises(Unauthenticated):
        auth.verify_token(second["access_token"])
    assert revoked(redis, first["session_id"])


def test_reuse_ends_only_that_session(auth, ada):
    stolen = login(auth)
    other = login(auth)
    auth.refresh(stolen["refresh_token"])
    with pytest.raises(Unauthenticated):
        auth.refresh(stolen["refresh_token"])
    assert auth.refresh(other["refresh_token"])["session_id"] == other["session_id"]


def test_an_expired_refresh_token_is_refused(auth, session, ada):
    pair = login(auth)
    stored = session.get(RefreshToken, opaque.digest(pair["refresh_token"]))
    stored.expires_at = stored.created_at - timedelta(seconds=1)
    session.commit()
    with pytest.raises(Unauthenticated, match="expired"):
        auth.refresh(pair["refresh_token"])


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43])
def test_an_unknown_refresh_token_is_refused(auth, ada, token):
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.refresh(token)


def test_an_empty_refresh_token_is_invalid_input(auth):
    with pytest.raises(InvalidInput, match="refresh_token"):
        auth.refresh("")


def test_a_refresh_refused_by_the_users_service_spends_nothing(auth, users, session, ada):
    pair = login(auth)
    users.set(ada, active=False)
    with pytest.raises(Forbidden):
        auth.refresh(pair["refresh_token"])
    assert session.get(RefreshToken, opaque.digest(pair["refresh_token"])).used_at is None


# -- logout -----------------------------------------------------------------------------
def test_logout_ends_the_session_in_the_database_and_in_redis(auth, session, redis, ada):
    pair = login(auth)
    assert auth.logout(ada, pair["session_id"]) == {"session_id": pair["session_id"],
                                                    "ended": True}
    assert session.get(Session, pair["session_id"]).revoked_reason == "logout"
    assert revoked(redis, pair["session_id"])
    with pytest.raises(Unauthenticated):
        auth.verify_token(pair["access_token"])
    with pytest.raises(Unauthenticated):
        auth.refresh(pair["refresh_token"])


def test_the_revocation_is_remembered_for_the_access_ttl_plus_the_margin(auth, redis, ada):
    pair = login(auth)
    auth.logout(ada, pair["session_id"])
    ttl = redis.ttl(revoked_session_key(pair["session_id"]))
    assert 900 < ttl <= 900 + 60


def test_logout_is_idempotent_and_announces_again(auth, redis, ada):
    pair = login(auth)
    auth.logout(ada, pair["session_id"])
    redis.flushall()  # as if the first announcement had been lost
    assert auth.logout(ada, pair["session_id"])["ended"] is True
    assert revoked(redis, pair["session_id"])


def test_logout_leaves_the_users_other_sessions_alone(auth, redis, ada):
    phone, laptop = login(auth), login(auth)
    auth.logout(ada, phone["session_id"])
    assert auth.verify_token(laptop["access_token"])["sid"] == laptop["session_id"]
    assert not revoked(redis, laptop["session_id"])


def test_nobody_can_log_out_someone_elses_session(auth, ada):
    pair = login(auth)
    with pytest.raises(NotFound):
        auth.logout("someone-else", pair["session_id"])
    assert auth.verify_token(pair["access_token"])["sub"] == ada


def test_logout_all_ends_every_session_of_the_user_only(auth, session, redis, ada):
    sessions = [login(auth)["session_id"] for _ in range(3)]
    auth.register("bob@example.com", PASSWORD, "Bob")
    bobs = auth.login("bob@example.com", PASSWORD)
    assert auth.logout_all(ada) == {"user_id": ada, "ended_sessions": 3}
    assert all(revoked(redis, sid) for sid in sessions)
    assert {s.revoked_reason for s in session.scalars(
        select(Session).where(Session.user_id == ada))} == {"logout_all"}
    assert auth.verify_token(bobs["access_token"])["sub"] == bobs["user_id"]


def test_logout_all_repeated_announces_the_recently_ended_sessions_again(auth, redis, ada):
    sid = login(auth)["session_id"]
    auth.logout_all(ada)
    redis.flushall()
    assert auth.logout_all(ada)["ended_sessions"] == 1
    assert revoked(redis, sid)


def test_ending_sessions_tells_the_users_sockets_on_the_real_time_bus(auth, events, ada):
    first, second = login(auth), login(auth)
    auth.logout_all(ada)
    (key, event), = events
    assert key == f"user.{ada}"
    assert event["type"] == "session.revoked"
    assert event["data"] == {"user_id": ada, "session_ids": [first["session_id"],
                                                            second["session_id"]]}


def test_a_bus_failure_does_not_undo_a_logout(auth, redis, ada, monkeypatch):
    pair = login(auth)

    def broken(key, event):
        raise ConnectionError("rabbitmq is away")
    monkeypatch.setattr(auth, "bus", broken)
    auth.logout(ada, pair["session_id"])
    assert revoked(redis, pair["session_id"])


# -- verify_token ----------------------------------------------------------------------
def test_verify_token_accepts_a_live_sessions_token_and_refuses_a_forged_one(auth, ada):
    pair = login(auth)
    assert auth.verify_token(pair["access_token"])["sub"] == ada
    header, payload, signature = pair["access_token"].split(".")
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.verify_token(".".join([header, payload, signature[::-1]]))
