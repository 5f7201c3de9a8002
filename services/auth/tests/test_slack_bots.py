"""Bots and their tokens (services/auth/bots.py): created by owners, admins and
operators, idempotently; tokens stored only as digests, verified with their
scopes, rotated and revoked; every change audited; a bot never signs in."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.auth import opaque
from services.auth.models import ApiToken, AuditEntry
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.common.slack_scopes import BOT_SCOPES


@pytest.fixture
def profiles(users):
    """users.ensure_profile as the users service answers it, recorded."""
    made = []

    def ensure_profile(user_id, email, display_name):
        made.append((user_id, email, display_name))
        return {"user_id": user_id, "email": email, "display_name": display_name}
    users.ensure_profile = ensure_profile
    return made


@pytest.fixture
def admin(users):
    users.set("admin-1", role="admin")
    return "admin-1"


def test_an_admin_creates_a_bot_with_a_bot_token_and_an_app_token(auth, admin, profiles,
                                                                   session):
    bot = auth.create_bot(admin, "deploy-bot", display_name="Deploy Bot",
                          scopes=["chat:write", "channels:read"])
    assert bot["created"] is True
    assert bot["bot_token"].startswith("xoxb-") and bot["app_token"].startswith("xapp-")
    assert bot["scopes"] == ["channels:read", "chat:write"]
    assert profiles == [(bot["user_id"], f"bot-{bot['bot_id']}@bots.parley.invalid",
                         "Deploy Bot")]
    stored = {row.token_hash for row in session.scalars(select(ApiToken))}
    assert stored == {opaque.digest(bot["bot_token"]), opaque.digest(bot["app_token"])}
    assert bot["bot_token"] not in str([r.__dict__ for r in session.scalars(select(ApiToken))])


def test_verifying_a_token_says_who_it_is_and_what_it_may_do(auth, admin, profiles):
    bot = auth.create_bot(admin, "helper", scopes=["chat:write"])
    me = auth.verify_api_token(bot["bot_token"])
    assert (me["kind"], me["bot_id"], me["user_id"], me["name"], me["scopes"]) == \
        ("bot", bot["bot_id"], bot["user_id"], "helper", ["chat:write"])
    app = auth.verify_api_token(bot["app_token"])
    assert (app["kind"], app["scopes"]) == ("app", ["connections:write"])
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.verify_api_token(bot["bot_token"] + "x")


def test_creating_again_with_the_same_key_or_name_answers_the_same_bot_and_tokens(
        auth, admin, profiles):
    first = auth.create_bot(admin, "retry-bot", key="k-1")
    again = auth.create_bot(admin, "retry-bot", key="k-1")
    by_name = auth.create_bot(admin, "retry-bot")
    assert again["created"] is False and by_name["created"] is False
    for answer in (again, by_name):
        assert (answer["bot_id"], answer["bot_token"], answer["app_token"]) == \
            (first["bot_id"], first["bot_token"], first["app_token"])
    assert len(profiles) == 3  # each attempt heals a missing profile
    with pytest.raises(Conflict):
        auth.create_bot(admin, "another-name", key="k-1")


def test_default_scopes_are_every_bot_scope_and_unknown_scopes_are_refused(auth, admin,
                                                                           profiles):
    assert auth.create_bot(admin, "all-bot")["scopes"] == sorted(BOT_SCOPES)
    with pytest.raises(InvalidInput, match="not a bot scope: chat:wirte"):
        auth.create_bot(admin, "typo-bot", scopes=["chat:wirte"])
    with pytest.raises(InvalidInput, match="name"):
        auth.create_bot(admin, "Not A Handle")


def test_members_may_not_manage_bots_but_the_system_may(auth, users, profiles):
    users.set("member-1")
    with pytest.raises(Forbidden):
        auth.create_bot("member-1", "sneaky")
    assert auth.admin_create_bot("ops-bot")["created"] is True
    assert [b["name"] for b in auth.admin_list_bots()] == ["ops-bot"]


def test_rotating_replaces_both_tokens_and_keeps_the_scopes(auth, admin, profiles):
    bot = auth.create_bot(admin, "rotor", scopes=["pins:read"])
    rotated = auth.rotate_bot_tokens(admin, "rotor")
    assert rotated["bot_token"] != bot["bot_token"]
    assert auth.verify_api_token(rotated["bot_token"])["scopes"] == ["pins:read"]
    with pytest.raises(Unauthenticated, match="revoked"):
        auth.verify_api_token(bot["bot_token"])


def test_revoking_stops_every_token_and_is_idempotent(auth, admin, profiles):
    bot = auth.create_bot(admin, "gone")
    auth.revoke_bot(admin, bot["bot_id"])
    assert auth.revoke_bot(admin, "gone")["revoked_at"] is not None
    for token in (bot["bot_token"], bot["app_token"]):
        with pytest.raises(Unauthenticated, match="revoked"):
            auth.verify_api_token(token)
    with pytest.raises(Conflict):
        auth.create_bot(admin, "gone")
    with pytest.raises(NotFound):
        auth.revoke_bot(admin, "never-was")
    assert auth.bot_users()[bot["user_id"]]["revoked"] is True


def test_a_deactivated_bot_account_is_refused(auth, admin, profiles):
    bot = auth.create_bot(admin, "sleepy")
    auth.deactivate(bot["user_id"])
    with pytest.raises(Forbidden, match="deactivated"):
        auth.verify_api_token(bot["bot_token"])


def test_a_bot_never_signs_in_with_a_password(auth, admin, profiles):
    bot = auth.create_bot(admin, "nologin")
    with pytest.raises(Unauthenticated):
        auth.login(f"bot-{bot['bot_id']}@bots.parley.invalid", "!bot: signs in with its tokens only")


def test_every_change_is_audited_without_its_tokens(auth, admin, profiles, session):
    bot = auth.create_bot(admin, "audited", key="a-1")
    auth.create_bot(admin, "audited", key="a-1")  # a repeat records nothing
    auth.rotate_bot_tokens(admin, "audited")
    auth.revoke_bot(admin, "audited")
    rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [r.action for r in rows] == ["auth.bot_created", "auth.bot_tokens_rotated",
                                        "auth.bot_revoked"]
    assert all(r.actor_id == admin and r.target_id == bot["user_id"] for r in rows)
    assert bot["bot_token"] not in str([r.details for r in rows])


def test_an_account_is_found_by_its_email_address(auth):
    account = auth.register("Ada@Example.com", "correct horse battery", "Ada")
    assert auth.user_by_email("ada@example.com") == {"user_id": account["user_id"]}
    with pytest.raises(NotFound):
        auth.user_by_email("nobody@example.com")
    with pytest.raises(InvalidInput):
        auth.user_by_email("not an address")
