"""The audit log on the real stack (docs/audit.md): PostgreSQL refuses to change or
remove a row of any service's ``audit_log``, even for the service's own database
user; an admin pages through the records of auth, users and channels merged over
the real gateway (Traefik in front); anyone else gets 403 ``forbidden``."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest
from sqlalchemy.orm import Session

from services.common.audit import AuditWriter
from services.common.migrations import database_name
from tests.support.client import Person, http, unique_email
from tests.support.postgres import scratch_database

AUDITED = ("auth", "users", "channels")


def models(service: str):
    module = __import__(f"services.{service}.models", fromlist=["AuditEntry"])
    return module.AuditEntry


# -- append-only, as each service's migration makes it ------------------------------
@pytest.mark.parametrize("service", AUDITED)
def test_rows_can_be_added_but_never_changed_or_removed(stack, service):
    with scratch_database(stack, service, pool_size=2) as (engine, _):
        with Session(engine) as session:
            AuditWriter(models(service), request_id="r-1").record(
                session, f"{service}.tested", actor_id="someone", target_type="thing",
                target_id="t-1", details={"n": 1})
            session.commit()
        refused = []
        for statement in ("UPDATE audit_log SET action = 'rewritten'",
                          "UPDATE audit_log SET details = '{}'::jsonb WHERE id = 1",
                          "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with engine.connect() as connection:
                with pytest.raises(Exception) as caught:
                    connection.exec_driver_sql(statement)
                    connection.commit()
                refused.append(str(caught.value))
        assert all("audit_log is append-only" in reason for reason in refused), refused
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT action, details->>'n' FROM audit_log").all() == [(f"{service}.tested", "1")]


@pytest.mark.parametrize("service", AUDITED)
def test_the_running_databases_refuse_it_to_the_services_own_user(stack, service):
    """The services connect as ``postgres.user``; the trigger holds for it too."""
    connection = psycopg2.connect(host=stack["postgres.host"], port=stack["postgres.port"],
                                  user=stack["postgres.user"],
                                  password=stack.secret("postgres.password"),
                                  dbname=database_name(service))
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_log (at, action, target_type, details) "
                           "VALUES (now(), 'tests.probe', 'test', '{}') RETURNING id")
            (probe,) = cursor.fetchone()
            for statement in ("UPDATE audit_log SET action = 'x' WHERE id = %s",
                              "DELETE FROM audit_log WHERE id = %s"):
                cursor.execute("SAVEPOINT attempt")
                with pytest.raises(psycopg2.errors.InsufficientPrivilege,
                                   match="append-only"):
                    cursor.execute(statement, (probe,))
                cursor.execute("ROLLBACK TO SAVEPOINT attempt")
    finally:
        connection.rollback()  # the probe row is not kept
        connection.close()


# -- reading it through the gateway -------------------------------------------------
@pytest.fixture
async def admin(base_url, system):
    email = unique_email("audit-admin")
    await system.call("users", "admin_create_user", email, "correct horse battery",
                      "Audit Admin", "admin")
    person = Person(base_url, email)
    assert (await person.log_in()).status == 200
    return person


async def read_all(admin: Person, query: str, limit: int) -> list[list[dict]]:
    pages, cursor = [], ""
    for _ in range(500):
        answer = await admin.call("GET", f"/admin/audit?limit={limit}&{query}"
                                         + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status == 200, answer.body
        pages.append(answer.body["entries"])
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the audit log did not end in 500 pages")


async def test_an_admin_pages_through_the_merged_log_of_auth_users_and_channels(
        base_url, admin):
    since = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    mo = await Person(base_url, unique_email("audit-mo")).sign_up()       # login_succeeded
    wrong = await http("POST", f"{mo.api}/auth/login",
                       {"email": mo.email, "password": "not the password"})
    assert wrong.status == 401                                              # login_failed
    request_id = f"audit-{uuid.uuid4().hex[:12]}"
    changed = await admin.call("PUT", f"/users/{mo.user_id}/role", {"role": "guest"},
                               headers={"X-Request-Id": request_id})     # role_changed
    assert changed.status == 200, changed.body
    channel = await admin.call("POST", "/channels", {"name": f"audit-{uuid.uuid4().hex[:8]}"})
    assert (await admin.call("POST", f"/channels/{channel.body['id']}/members",
                             {"user_ids": [mo.user_id]})).status == 200
    removed = await admin.call("DELETE", f"/channels/{channel.body['id']}/members/{mo.user_id}")
    assert removed.status == 200 and removed.body["removed"] is True     # member_removed

    query = f"since={since.replace('+', '%2B')}"
    pages = await read_all(admin, query, limit=2)
    entries = [entry for page in pages for entry in page]
    assert all(len(page) <= 2 for page in pages)
    keys = [(e["source"], e["id"]) for e in entries]
    assert len(keys) == len(set(keys)), "an entry was shown twice"
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times, reverse=True)

    about_mo = [e for e in entries if mo.user_id in (e["target_id"], e["details"].get("user_id"))]
    actions = [e["action"] for e in reversed(about_mo)]  # oldest first
    assert actions == ["auth.login_succeeded", "auth.login_failed", "users.role_changed",
                       "channels.member_removed"], actions
    role_change = next(e for e in about_mo if e["action"] == "users.role_changed")
    assert (role_change["actor_id"], role_change["details"]) == (
        admin.user_id, {"from": "member", "to": "guest"})
    assert role_change["request_id"] == request_id
    assert role_change["ip"]  # the client's address, as Traefik passed it on
    failed = next(e for e in about_mo if e["action"] == "auth.login_failed")
    assert "not the password" not in str(failed)

    only_failures = await read_all(admin, f"{query}&action=auth.login_failed", limit=50)
    assert {e["action"] for page in only_failures for e in page} == {"auth.login_failed"}


async def test_someone_who_is_not_an_admin_gets_403_forbidden(base_url):
    member = await Person(base_url, unique_email("audit-member")).sign_up()
    answer = await member.call("GET", "/admin/audit")
    assert answer.status == 403
    assert answer.body["error"]["code"] == "forbidden"
    assert answer.headers.get("X-Request-Id")


async def test_bad_filters_are_400_invalid_input(admin):
    for query in ("limit=0", "since=yesterday", "cursor=abc"):
        answer = await admin.call("GET", f"/admin/audit?{query}")
        assert answer.status == 400, (query, answer.body)
        assert answer.body["error"]["code"] == "invalid_input"
