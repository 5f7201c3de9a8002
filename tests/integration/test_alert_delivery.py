"""Alerts reach someone: Prometheus sends its alerts to the stack's Alertmanager, and
Alertmanager mails a page to the on-call address through the real SMTP mail-sink
(which stores it under var/mail/ and delivers nothing)."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from tests.support.client import eventually, http
from tests.support.mail import mails_to


async def test_prometheus_sends_alerts_to_the_stacks_alertmanager(stack):
    prometheus = f"http://{stack['stack.host']}:{stack['prometheus.port']}"
    answer = await http("GET", f"{prometheus}/api/v1/alertmanagers")
    assert answer.status == 200, answer.body
    urls = [a["url"] for a in answer.body["data"]["activeAlertmanagers"]]
    assert urls == [f"http://{stack['stack.host']}:{stack['alertmanager.port']}/api/v2/alerts"]


async def test_a_page_is_mailed_to_the_on_call_address(stack):
    alertmanager = f"http://{stack['stack.host']}:{stack['alertmanager.port']}"
    name = f"ParleyDeliveryCheck{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)
    alert = {"labels": {"alertname": name, "severity": "page", "job": "tests"},
             "annotations": {"summary": "an alert posted by the delivery test",
                             "runbook_url": "docs/runbooks/instance-down.md"},
             # It resolves by itself shortly: nothing stays firing after the test.
             "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=2)).isoformat()}
    posted = await http("POST", f"{alertmanager}/api/v2/alerts", [alert],
                        headers={"Content-Type": "application/json"})
    assert posted.status == 200, posted.body

    async def mailed():
        await asyncio.sleep(0.5)
        return [m for m in mails_to(stack["alertmanager.page_to"]) if name in str(m["Subject"])]

    # The page route waits 10 s (group_wait) to gather an alert's siblings.
    [mail] = await eventually(mailed, timeout=60)
    assert str(mail["Subject"]).startswith(f"[PAGE] FIRING {name}")
    body = mail.get_body(("html", "plain")).get_content()
    assert "an alert posted by the delivery test" in body
