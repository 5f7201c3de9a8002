"""Incoming webhooks (services/auth/webhooks.py): made by owners, admins and
operators, idempotently by key; the secret stored only as a digest and verified;
revoked for good; every change audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.auth import opaque
from services.auth.models import AuditEntry, Webhook
from services.common.errors import Conflict, Forbidden, InvalidInput, Unauthenticated

CHANNEL = "c" * 32


@pytest.fixture
def bot(auth, users):
    users.ensure_profile = lambda user_id, email, name: {"user_id": user_id}
    return auth.admin_create_bot("hook-bot")


@pytest.fixture
def admin(users):
    users.set("admin-1", role="admin")
    return "admin-1"


def test_an_admin_makes_a_webhook_whose_secret_is_stored_only_as_a_digest(
        auth, bot, admin, session):
    hook = auth.create_webhook(admin, "hook-bot", CHANNEL, key="k1")
    assert hook["created"] is True and hook["channel_id"] == CHANNEL
    assert hook["user_id"] == bot["user_id"] and len(hook["secret"]) == 32
    [row] = session.scalars(select(Webhook))
    assert row.secret_hash == opaque.digest(hook["secret"])
    assert hook["secret"] not in str(row.__dict__)
    actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert "auth.webhook_created" in actions


def test_a_repeat_with_the_same_key_answers_the_same_webhook_and_secret(auth, bot, admin):
    first = auth.create_webhook(admin, "hook-bot", CHANNEL, key="k2")
    again = auth.create_webhook(admin, "hook-bot", CHANNEL, key="k2")
    assert again == {**first, "created": False}
    with pytest.raises(Conflict):
        auth.create_webhook(admin, "hook-bot", "d" * 32, key="k2")


def test_verifying_answers_the_bot_and_channel_and_refuses_a_wrong_secret(auth, bot):
    hook = auth.admin_create_webhook("hook-bot", CHANNEL)
    found = auth.verify_webhook(hook["webhook_id"], hook["secret"])
    assert (found["user_id"], found["channel_id"]) == (bot["user_id"], CHANNEL)
    with pytest.raises(Unauthenticated):
        auth.verify_webhook(hook["webhook_id"], "0" * 32)


def test_a_revoked_webhook_stops_working_and_the_revocation_is_audited(auth, bot, session):
    hook = auth.admin_create_webhook("hook-bot", CHANNEL)
    auth.admin_revoke_webhook(hook["webhook_id"])
    auth.admin_revoke_webhook(hook["webhook_id"])   # idempotent
    with pytest.raises(Unauthenticated):
        auth.verify_webhook(hook["webhook_id"], hook["secret"])
    actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert actions.count("auth.webhook_revoked") == 1
    assert [h["webhook_id"] for h in auth.admin_list_webhooks()] == [hook["webhook_id"]]


def test_only_owners_and_admins_make_webhooks_and_bad_input_is_refused(auth, bot, users):
    users.set("member-1", role="member")
    with pytest.raises(Forbidden):
        auth.create_webhook("member-1", "hook-bot", CHANNEL)
    with pytest.raises(InvalidInput):
        auth.admin_create_webhook("hook-bot", "not-a-channel")
