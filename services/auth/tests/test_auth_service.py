"""services/auth/service.py: registering, logging in and verifying tokens."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from services.auth import store
from services.auth.models import Credential, Session
from services.common.errors import Conflict, InvalidInput, Unauthenticated

PASSWORD = "correct horse battery"


def register(auth, email="ada@example.com", password=PASSWORD, name="Ada"):
    return auth.register(email, password, name)


# -- register ----------------------------------------------------------------
def test_registering_creates_an_account(auth, session):
    account = register(auth)
    assert account["created"] is True
    assert account["email"] == "ada@example.com"
    stored = session.get(Credential, account["user_id"])
    assert stored.email == "ada@example.com"
    assert stored.active is True


def test_the_password_is_stored_only_as_an_argon2_hash(auth, session, hasher):
    account = register(auth)
    stored = session.get(Credential, account["user_id"]).password_hash
    assert PASSWORD not in stored
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, PASSWORD)


def test_the_email_address_is_stored_trimmed_and_lower_cased(auth):
    assert register(auth, email="  Ada@Example.COM ")["email"] == "ada@example.com"


def test_registering_again_with_the_same_password_returns_the_same_account(auth, session):
    first = register(auth)
    again = register(auth, email="ADA@example.com")
    assert again == {**first, "created": False}
    assert len(session.scalars(select(Credential)).all()) == 1


def test_registering_a_taken_address_with_another_password_conflicts(auth, session):
    register(auth)
    with pytest.raises(Conflict) as caught:
        register(auth, password="another password")
    assert caught.value.code == "conflict"
    assert len(session.scalars(select(Credential)).all()) == 1


def test_losing_a_registration_race_is_a_conflict_and_leaves_the_session_usable(
        auth, session, monkeypatch):
    register(auth)
    # the look-up ran before the concurrent registration committed
    monkeypatch.setattr(store, "credential_by_email", lambda db, email: None)
    with pytest.raises(Conflict):
        register(auth, password="another password")
    assert len(session.scalars(select(Credential)).all()) == 1


@pytest.mark.parametrize("email, password, name, field", [
    ("not-an-email", PASSWORD, "Ada", "email"),
    ("ada@example.com", "short", "Ada", "password"),
    ("ada@example.com", PASSWORD, "   ", "display_name"),
    ("ada@example.com", PASSWORD, "x" * 81, "display_name"),
])
def test_invalid_registration_input_is_refused_naming_the_field(
        auth, session, email, password, name, field):
    with pytest.raises(InvalidInput) as caught:
        auth.register(email, password, name)
    assert caught.value.code == "invalid_input"
    assert caught.value.message.startswith(f"{field}: ")
    assert session.scalars(select(Credential)).all() == []


# -- login ---------------------------------------------------------------------
def test_logging_in_returns_an_access_token_for_the_account_and_a_new_session(
        auth, session, codec):
    account = register(auth)
    login = auth.login("Ada@Example.com", PASSWORD)
    claims = codec.verify(login["access_token"])
    assert login["user_id"] == claims["sub"] == account["user_id"]
    assert login["session_id"] == claims["sid"]
    assert login["expires_in"] == codec.access_ttl == 900
    assert login["token_type"] == "Bearer"
    assert session.get(Session, claims["sid"]).user_id == account["user_id"]


def test_the_access_token_names_workspace_role_and_its_own_id(auth, codec):
    register(auth)
    claims = codec.verify(auth.login("ada@example.com", PASSWORD)["access_token"])
    assert claims["workspace"] == "default"
    assert claims["role"] == "member"
    assert set(claims) == {"sub", "sid", "role", "workspace", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] == 900


def test_every_login_opens_its_own_session(auth, session, codec):
    register(auth)
    first = codec.verify(auth.login("ada@example.com", PASSWORD)["access_token"])
    second = codec.verify(auth.login("ada@example.com", PASSWORD)["access_token"])
    assert first["sid"] != second["sid"]
    assert len(session.scalars(select(Session)).all()) == 2


def test_the_token_carries_the_role_the_users_service_gives(auth, users, codec):
    account = register(auth)
    users.set(account["user_id"], role="admin")
    assert codec.verify(auth.login("ada@example.com", PASSWORD)["access_token"])["role"] == "admin"


def test_a_wrong_password_and_an_unknown_address_are_refused_alike(auth, session):
    register(auth)
    with pytest.raises(Unauthenticated) as wrong_password:
        auth.login("ada@example.com", "not the password")
    with pytest.raises(Unauthenticated) as unknown:
        auth.login("nobody@example.com", PASSWORD)
    assert wrong_password.value.message == unknown.value.message
    assert session.scalars(select(Session)).all() == []


def test_logging_in_with_a_malformed_address_is_invalid_input(auth):
    with pytest.raises(InvalidInput):
        auth.login("ada", PASSWORD)


def test_a_hash_with_outdated_parameters_is_upgraded_at_login(auth, session, hasher):
    account = register(auth)
    credential = session.get(Credential, account["user_id"])
    credential.password_hash = PasswordHasher(time_cost=2, memory_cost=32,
                                              parallelism=1).hash(PASSWORD)
    session.commit()
    auth.login("ada@example.com", PASSWORD)
    upgraded = session.get(Credential, account["user_id"]).password_hash
    assert not hasher.check_needs_rehash(upgraded)
    assert hasher.verify(upgraded, PASSWORD)


def test_a_corrupt_stored_hash_refuses_the_login_instead_of_failing(auth, session):
    account = register(auth)
    session.get(Credential, account["user_id"]).password_hash = "not-a-hash"
    session.commit()
    with pytest.raises(Unauthenticated):
        auth.login("ada@example.com", PASSWORD)


# -- verify_token -----------------------------------------------------------------
def test_a_token_of_a_live_session_verifies_to_its_claims(auth):
    register(auth)
    login = auth.login("ada@example.com", PASSWORD)
    assert auth.verify_token(login["access_token"])["sub"] == login["user_id"]


def test_a_token_of_a_revoked_session_is_refused(auth, session, codec):
    register(auth)
    token = auth.login("ada@example.com", PASSWORD)["access_token"]
    stored = session.get(Session, codec.verify(token)["sid"])
    stored.revoked_at = stored.created_at
    session.commit()
    with pytest.raises(Unauthenticated, match="session has ended"):
        auth.verify_token(token)


def test_a_well_signed_token_naming_no_known_session_is_refused(auth, codec):
    with pytest.raises(Unauthenticated):
        auth.verify_token(codec.issue("user-1", "no-such-session"))
