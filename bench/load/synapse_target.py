"""Matrix Synapse as a load target: its client-server API, as a Matrix client uses it.

Synapse is the issue-9 peer (bench/synapse/: install, config, its own PostgreSQL;
README.md there says how it is configured and why that is fair). This module drives it
through the same Target/Session interface as Parley (bench/load/target.py):

- ``start`` installs Synapse if needed, starts its PostgreSQL with an empty database,
  starts one Synapse process and waits for ``/health``; ``stop`` stops both.
- People are registered in bulk with the shared-secret admin API
  (``/_synapse/admin/v1/register``: a nonce, then an HMAC of it), which answers with an
  access token: each person is then logged in with one device, as after a /login.
- A room is ``createRoom`` with the ``public_chat`` preset, which every member then
  joins (two people: ``trusted_private_chat`` with the other invited and ``is_direct``,
  what Matrix clients make for a DM). Public, because an invite is one more state
  event per member: with invites, joining 1,000 people to 100 rooms (one of 500
  members) took Synapse over 6 minutes. Messages are sent and delivered alike.
- A session is a ``/sync`` long-poll loop (timeout 30 s, ``since`` chained, a stored
  filter keeping only ``m.room.message`` timeline events). A timeline that comes back
  ``limited`` (more events than the filter's limit since the last sync) is completed
  from ``/messages`` back to the previous ``since``, so nothing is lost on the client
  side. Events are deduped by event id, as a Matrix client does, and the repeats are
  counted in ``events["repeats_dropped"]``, like Parley's session does with message ids.
- ``send`` is ``PUT /rooms/{room}/send/m.room.message/{txn_id}``: idempotent per access
  token and txn id, so a retry after a lost answer makes no second message.

HTTP goes through Tornado's AsyncHTTPClient (the project's HTTP client). Its simple
client opens one connection per request (no keep-alive), which costs Synapse a TCP
accept per request on loopback: small beside what a send or a sync costs it, and said
in bench/synapse/README.md.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from bench.synapse.server import SERVER_NAME, Synapse

from .parley_target import bounded   # the one helper both targets' set-up shares
from .procstat import cpu_seconds, descendants
from .target import OnMessage

PASSWORD = "bench load passphrase 9"
RETRYABLE = (429, 502, 503, 504)
SETUP_CONCURRENCY = 8           # registrations and joins in flight
SYNC_TIMEOUT_MS = 30000
TIMELINE_LIMIT = 1000           # events per room per sync before it comes back `limited`
SEND_TIMEOUT = 60.0             # seconds an unanswered send waits (capacity runs overload)
SEND_ATTEMPTS = 5               # tries of one send (same txn id) on a lost or 5xx answer

# Only what the workload measures: message events in rooms' timelines. Presence is off
# in the server; account data, receipts, typing and room state are filtered out.
SYNC_FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"types": ["m.room.message"], "limit": TIMELINE_LIMIT},
        "state": {"not_types": ["*"]},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}
# The first sync of a connection only fetches a `since` to start from: what was said
# before the connection is not a delivery to it.
FIRST_SYNC_FILTER = {**SYNC_FILTER, "room": {**SYNC_FILTER["room"],
                                             "timeline": {"types": ["m.room.message"],
                                                          "limit": 1}}}


class MatrixError(Exception):
    """An HTTP error answer: ``code`` is the Matrix errcode (or HTTP_<status>)."""

    def __init__(self, status: int, code: str, message: str = ""):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


def localpart(user_id: str) -> str:
    return user_id[1:].split(":", 1)[0]


class SynapseTarget:
    name = "synapse"

    def __init__(self, state_dir: Path | None = None, port: int = 8448, pg_port: int = 5442):
        kwargs = {"state": Path(state_dir) / "synapse"} if state_dir else {}
        self.server = Synapse(port=port, pg_port=pg_port, **kwargs)
        self.base_url = self.server.base_url
        self.http: AsyncHTTPClient | None = None
        self.tokens: dict[str, str] = {}           # handle (localpart) → access token
        self.frames: Counter = Counter()           # answers received, by kind
        self.events: Counter = Counter()           # retries, gaps filled, repeats dropped…
        self._next_person = 0
        self._orphans: set[asyncio.Future] = set()   # long polls of closed sessions

    # -- the server --------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.server.start)
        # One connection per request in flight: every session holds a long poll.
        self.http = AsyncHTTPClient(force_instance=True, max_clients=50000)

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.server.stop)
        if self._orphans:   # Synapse is gone: its open long polls end now
            await asyncio.wait(self._orphans, timeout=5)
        if self.http is not None:
            self.http.close()
            self.http = None

    def orphan(self, request: asyncio.Future) -> None:
        """Keep a closed session's pending long poll until it ends, its outcome read."""
        self._orphans.add(request)
        request.add_done_callback(self._orphans.discard)
        request.add_done_callback(lambda f: f.cancelled() or f.exception())

    def process_ids(self) -> list[int]:
        """The roots of Synapse's processes: Synapse itself and its PostgreSQL's
        postmaster (whose backends are its children). scenarios.probe_for measures
        these trees, so a Synapse run is charged for its own CPU, not Parley's."""
        found = []
        if self.server.process is not None and self.server.process.poll() is None:
            found.append(self.server.process.pid)
        pidfile = self.server.postgres.data / "postmaster.pid"
        try:
            return found + [int(pidfile.read_text().split()[0])]
        except (OSError, ValueError, IndexError):
            return found

    def cpu_seconds(self) -> float:
        """CPU time used so far by Synapse and its PostgreSQL (every backend too)."""
        return sum(cpu_seconds(pid) for root in self.process_ids()
                   for pid in [root, *descendants(root)])

    # -- HTTP --------------------------------------------------------------------------
    async def call(self, method: str, path: str, body: Any = None, token: str | None = None,
                   query: dict | None = None, timeout: float = 60.0) -> dict:
        """One client-server API request; the JSON answer, or MatrixError."""
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = HTTPRequest(url, method=method, headers=headers,
                              body=None if body is None else json.dumps(body),
                              request_timeout=timeout, connect_timeout=timeout,
                              decompress_response=False)
        try:
            answer = await self.http.fetch(request)
        except HTTPClientError as error:
            if error.response is None:
                raise
            try:
                data = json.loads(error.response.body or b"{}")
            except ValueError:
                data = {}
            raise MatrixError(error.code, data.get("errcode", f"HTTP_{error.code}"),
                              data.get("error", "")) from None
        return json.loads(answer.body or b"{}")

    async def patient(self, method: str, path: str, body: Any = None,
                      token: str | None = None, attempts: int = 30,
                      query: dict | None = None) -> dict:
        """A set-up request, waiting out 429 and 5xx answers (retry_after_ms, else a
        growing pause). Set-up is not measured; it only has to succeed."""
        delay = 0.2
        for attempt in range(attempts):
            try:
                return await self.call(method, path, body, token, query)
            except MatrixError as error:
                if error.status not in RETRYABLE or attempt == attempts - 1:
                    raise
            except (OSError, asyncio.TimeoutError, HTTPClientError):
                if attempt == attempts - 1:
                    raise
            self.events["setup_retries"] += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    # -- people and rooms --------------------------------------------------------------
    async def create_people(self, count: int) -> list[str]:
        first = self._next_person
        self._next_person += count
        handles = [f"u{n}" for n in range(first, first + count)]
        await bounded(SETUP_CONCURRENCY, [self._register(h) for h in handles])
        return handles

    async def _register(self, handle: str) -> None:
        """Shared-secret registration: the nonce is single-use, so one per person."""
        path = "/_synapse/admin/v1/register"
        nonce = (await self.patient("GET", path))["nonce"]
        secret = self.server.registration_secret.encode()
        mac = hmac.new(secret, digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), handle.encode(), PASSWORD.encode(),
                                 b"notadmin"]))
        answer = await self.patient("POST", path, {
            "nonce": nonce, "username": handle, "password": PASSWORD, "admin": False,
            "mac": mac.hexdigest()})
        self.tokens[handle] = answer["access_token"]

    def user_id(self, handle: str) -> str:
        return f"@{handle}:{SERVER_NAME}"

    async def create_room(self, owner: str, members: list[str]) -> str:
        invitees = [m for m in dict.fromkeys(members) if m != owner]
        direct = len(invitees) == 1
        room = await self.patient("POST", "/_matrix/client/v3/createRoom", {
            "preset": "trusted_private_chat" if direct else "public_chat",
            "is_direct": direct,
            "invite": [self.user_id(m) for m in invitees] if direct else [],
        }, token=self.tokens[owner])
        room_id = room["room_id"]
        path = f"/_matrix/client/v3/join/{quote(room_id, safe='')}"
        await bounded(SETUP_CONCURRENCY,
                      [self.patient("POST", path, {}, token=self.tokens[m]) for m in invitees])
        return room_id

    async def connect(self, handle: str, on_message: OnMessage) -> "SynapseSession":
        session = SynapseSession(self, handle, on_message)
        await session.open()
        return session


class SynapseSession:
    """One person's /sync long-poll loop, and their sends."""

    def __init__(self, target: SynapseTarget, handle: str, on_message: OnMessage):
        self.target = target
        self.handle = handle
        self.user_id = target.user_id(handle)
        self.token = target.tokens[handle]
        self.on_message = on_message
        self.since: str | None = None
        self.filter_id: str | None = None
        self.rooms: set[str] = set()        # rooms whose timeline this session follows
        self.seen: set[str] = set()         # event ids delivered (a client's dedupe)
        self.connected = asyncio.Event()
        self._loop: asyncio.Task | None = None
        self._closing = False
        self._closed: asyncio.Future | None = None

    async def open(self) -> None:
        """Store the filter, take a starting `since` (nothing before it is a delivery),
        then poll in the background."""
        t = self.target
        stored = await t.patient("POST", f"/_matrix/client/v3/user/{quote(self.user_id)}/filter",
                                 SYNC_FILTER, token=self.token)
        self.filter_id = stored["filter_id"]
        first = await t.call("GET", "/_matrix/client/v3/sync", token=self.token,
                             query={"timeout": 0, "filter": json.dumps(FIRST_SYNC_FILTER)})
        self.rooms.update(first.get("rooms", {}).get("join", {}))
        self.since = first["next_batch"]
        t.frames["sync"] += 1
        self.connected.set()
        self._closed = asyncio.get_running_loop().create_future()
        self._loop = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        t = self.target
        pause = 0.1
        while not self._closing:
            poll = asyncio.ensure_future(t.call(
                "GET", "/_matrix/client/v3/sync", token=self.token,
                query={"timeout": SYNC_TIMEOUT_MS, "since": self.since,
                       "filter": self.filter_id},
                timeout=SYNC_TIMEOUT_MS / 1000 + 60))
            await asyncio.wait([poll, self._closed], return_when=asyncio.FIRST_COMPLETED)
            if not poll.done():
                # Closing mid-poll: the request is left to end with the connection
                # (Synapse answers or stops) rather than cancelled under Tornado's feet.
                t.orphan(poll)
                return
            try:
                answer = poll.result()
            except Exception:   # counted and retried from the same `since`: nothing lost
                if self._closing:
                    return
                t.events["sync_errors"] += 1
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            received_at = time.monotonic()
            pause = 0.1
            t.frames["sync"] += 1
            await self._deliver(answer, received_at)
            self.since = answer["next_batch"]

    async def _deliver(self, answer: dict, received_at: float) -> None:
        for room_id, room in answer.get("rooms", {}).get("join", {}).items():
            timeline = room.get("timeline", {})
            events = timeline.get("events", [])
            if timeline.get("limited") and room_id in self.rooms and timeline.get("prev_batch"):
                # More happened since `since` than the filter's limit: fetch the rest.
                t = self.target
                t.events["gaps_filled"] += 1
                events = await self._gap(room_id, timeline["prev_batch"]) + events
            self.rooms.add(room_id)
            for event in events:
                if event.get("type") != "m.room.message" or event.get("sender") == self.user_id:
                    continue
                event_id = event.get("event_id")
                if event_id in self.seen:
                    self.target.events["repeats_dropped"] += 1
                    continue
                self.seen.add(event_id)
                self.target.frames["m.room.message"] += 1
                body = (event.get("content") or {}).get("body", "")
                self.on_message(room_id, localpart(event["sender"]), body, received_at)

    async def _gap(self, room_id: str, prev_batch: str) -> list[dict]:
        """The timeline between the previous `since` and `prev_batch`, oldest first."""
        path = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/messages"
        found: list[dict] = []
        start = prev_batch
        while True:
            page = await self.target.call("GET", path, token=self.token, query={
                "dir": "b", "from": start, "to": self.since, "limit": TIMELINE_LIMIT,
                "filter": json.dumps({"types": ["m.room.message"]})})
            chunk = page.get("chunk", [])
            found.extend(chunk)
            if not chunk or not page.get("end"):
                return list(reversed(found))
            start = page["end"]

    async def readable(self, room_id: str, newest: int) -> list[str]:
        """The newest ``newest`` message texts of the room, from ``/messages`` backwards
        from now (not from this session's /sync)."""
        path = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/messages"
        texts: list[str] = []
        start = None
        while len(texts) < newest:
            query = {"dir": "b", "limit": TIMELINE_LIMIT,
                     "filter": json.dumps({"types": ["m.room.message"]})}
            if start:
                query["from"] = start
            page = await self.target.patient("GET", path, token=self.token, query=query)
            chunk = page.get("chunk", [])
            texts.extend(event.get("content", {}).get("body", "") for event in chunk)
            if not chunk or not page.get("end"):
                break
            start = page["end"]
        return texts

    async def send(self, room_id: str, text: str, txn_id: str) -> None:
        """PUT the message with this txn id; a lost answer, a 429 or a 5xx is retried
        with the same txn id (Synapse answers a repeat with the first event id)."""
        t = self.target
        path = (f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
                f"{quote(txn_id, safe='')}")
        body = {"msgtype": "m.text", "body": text}
        for attempt in range(SEND_ATTEMPTS):
            try:
                answer = await t.call("PUT", path, body, token=self.token, timeout=SEND_TIMEOUT)
                if "event_id" not in answer:
                    raise MatrixError(200, "NO_EVENT_ID", json.dumps(answer)[:200])
                return
            except MatrixError as error:
                if error.status not in RETRYABLE or attempt == SEND_ATTEMPTS - 1:
                    raise
            except (OSError, HTTPClientError):
                if attempt == SEND_ATTEMPTS - 1:
                    raise
            t.events["send_retries"] += 1
            await asyncio.sleep(0.2 * 2 ** attempt)

    async def close(self) -> None:
        self._closing = True
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        if self._loop is not None:
            try:
                await self._loop
            except Exception:
                pass
            self._loop = None


def make_target(state_dir: Path) -> SynapseTarget:
    """What bench/load/scenarios.py calls for ``--target synapse``: Synapse's files go
    under ``state_dir``/synapse (var/bench/synapse)."""
    return SynapseTarget(state_dir)
