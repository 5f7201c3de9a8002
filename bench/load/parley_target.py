"""Parley as a load target: the real HTTP API and WebSocket through Traefik, as a
client would use them (docs/api/websocket.md, docs/api/openapi.yaml).

Setup without bypassing any limit:

- People are created with the admin job ``users.admin_create_user`` (docs/admin.md:
  what `nameko shell` calls), over the project's asyncio RPC client, so that a thousand
  sign-ups are not refused by the per-address request buckets. It is idempotent for
  the same email and password.
- Each person then signs in over HTTP like any client; a 429 is waited out for its
  ``Retry-After`` (docs/api/limits.md), as are Traefik's outer-guard 429s on the
  WebSocket upgrade.
- Password hashing (argon2) makes the first setup of a thousand people take minutes,
  so their refresh tokens are kept in ``var/bench/load-parley-people.json``: the next
  run refreshes each session (no hashing) and falls back to signing in.
- Rooms are channels named after their members (``bench-<hash>``), which channel
  creation and invitations make idempotent; two people make a DM (POST /dms, also
  idempotent). Runs with the same workload reuse the same rooms.

The session does what the protocol asks of a client (docs/api/websocket.md), as the
web client does (web/app/socket.js, store.js, sync.js): it waits for ``hello``, dedupes
``message.created`` by message id (counting the repeats it dropped), keeps per channel
the highest ``seq`` with nothing missing below it, reconnects with ``resume=1`` +
``resume`` from that seq (again and again, with a growing pause, while the server is
away), fetches over REST what a resume did not replay (a channel's ``error`` or
``complete: false``) and a gap in the seqs that stays open (``after=<seq>``), and
resends a message whose ack was lost to a dropped socket with the same
``client_msg_id``. With ``resend_for`` (seconds) it also resends, with the same
``client_msg_id``, a send refused for a passing reason (``service_unavailable``,
``timeout``, ``internal_error``, ``rate_limited``) or left unanswered, until
acknowledged or that long has passed; ``resends`` counts them per txn id.
Messages a channel got over REST first are counted as ``caught_up_rest``, and those
whose live event came after all as ``caught_up_then_live``.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.websocket import WebSocketClosedError, websocket_connect

from services.common.errors import RpcTimeout, ServiceUnavailable
from services.common.rpc_client import AsyncRpcClient
from tests.support.client import Response, http

from .report import progress
from .target import OnMessage

PASSWORD = "bench load passphrase 9"
RETRYABLE = (429, 502, 503, 504)
RESEND_CODES = ("service_unavailable", "timeout", "internal_error", "rate_limited")
GAP_WAIT = 2.0                # seconds a gap in the seqs may stay open before a fetch
CATCH_UP_FOR = 120.0          # seconds a REST catch-up keeps trying
RECOVER_FOR = 300.0           # seconds a socket the server closed keeps reconnecting
PAGE = 200                    # GET …/messages?after= page (its maximum)
INVITE_BATCH = 100            # services/channels/schemas.py MAX_INVITES
SETUP_CONCURRENCY = 4         # argon2 hashes in flight: users→auth calls time out at 10 s
HTTP_CONNECTIONS = 64         # Tornado's client queues beyond its max_clients (10 by default)


class ParleyError(Exception):
    """An error frame or an HTTP error answer: ``code`` is Parley's error code."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class Account:
    email: str
    user_id: str = ""
    token: str = ""
    refresh_token: str = ""
    token_at: float = 0.0     # time.time() the access token was issued


async def patient(request, attempts: int = 30) -> Response:
    """Run an HTTP request, waiting out 429/5xx answers (their Retry-After, else a
    growing pause) the way docs/api/limits.md asks of clients."""
    delay = 0.2
    for _ in range(attempts):
        answer = await request()
        if answer.status not in RETRYABLE:
            return answer
        retry_after = answer.headers.get("Retry-After")
        await asyncio.sleep(float(retry_after) if retry_after else delay)
        delay = min(delay * 2, 5.0)
    return answer


async def bounded(limit: int, jobs) -> list:
    """Await the coroutines of ``jobs`` with at most ``limit`` running at once."""
    gate = asyncio.Semaphore(limit)

    async def one(job):
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))


class ParleyTarget:
    name = "parley"

    def __init__(self, base_url: str, amqp_uri: str, state_dir: Path,
                 ws_url: str | None = None, people_prefix: str = "bench-load",
                 resend_for: float = 0.0):
        self.base_url = base_url
        self.api = f"{base_url}/api/v1"
        self.ws_url = ws_url or base_url.replace("http", "ws", 1) + "/ws"
        self.amqp_uri = amqp_uri
        self.people_prefix = people_prefix
        self.people_file = state_dir / "load-parley-people.json"
        self.accounts: dict[str, Account] = {}          # handle (user id) -> account
        self.rooms_of: dict[str, list[str]] = {}         # handle -> channel ids
        self.room_floor: dict[str, int] = {}             # channel id -> seq at setup
        self.messages: dict[str, tuple[str, int, str]] = {}  # txn -> (id, seq, thread root)
        self.frames: Counter = Counter()                  # frames received, by type
        self.events: Counter = Counter()                  # reconnects, repeats dropped…
        self.resend_for = resend_for                      # 0: resend after a drop only
        self.resends: Counter = Counter()                 # txn -> times sent again
        self.rpc: AsyncRpcClient | None = None

    # -- Target -------------------------------------------------------------------------
    async def start(self) -> None:
        AsyncHTTPClient.configure(None, max_clients=HTTP_CONNECTIONS)
        ready = await http("GET", f"{self.base_url}/readyz")
        if ready.status != 200:
            raise RuntimeError(f"Parley is not ready at {self.base_url}: {ready.status} "
                               f"{ready.body}")
        self.rpc = await AsyncRpcClient(self.amqp_uri, timeout=30, name="bench-load").connect()

    async def stop(self) -> None:
        if self.rpc is not None:
            await self.rpc.close()
            self.rpc = None

    async def create_people(self, count: int) -> list[str]:
        saved = self._load_people()
        emails = [f"{self.people_prefix}-{count}-{i}@example.test" for i in range(count)]
        done = 0

        async def sign_in(email: str) -> Account:
            nonlocal done
            account = await self._sign_in(email, saved.get(email))
            self.accounts[account.user_id] = account
            done += 1
            if done % 100 == 0:         # kept as it goes: a crash does not cost the hashing
                self._save_people()
                progress(f"{done}/{count} people signed in")
            return account

        accounts = await bounded(SETUP_CONCURRENCY, (sign_in(e) for e in emails))
        self._save_people()
        return [account.user_id for account in accounts]

    async def create_room(self, owner: str, members: list[str]) -> str:
        people = sorted(set(members) | {owner})
        account = self.accounts[owner]
        if len(people) == 2:
            other = [p for p in people if p != owner]
            answer = await patient(lambda: http("POST", f"{self.api}/dms",
                                                {"user_ids": other}, token=account.token))
            room = self._ok(answer, "open a DM")
        else:
            name = "bench-" + hashlib.sha1(" ".join([owner] + people).encode()).hexdigest()[:20]
            answer = await patient(lambda: http("POST", f"{self.api}/channels",
                                                {"name": name}, token=account.token))
            room = self._ok(answer, "create a channel")
            others = [p for p in people if p != owner]
            for start in range(0, len(others), INVITE_BATCH):
                batch = others[start:start + INVITE_BATCH]
                self._ok(await patient(lambda: http(
                    "POST", f"{self.api}/channels/{room['id']}/members",
                    {"user_ids": batch}, token=account.token)), "invite")
        self.room_floor[room["id"]] = int(room.get("last_message_seq") or 0)
        for person in people:
            self.rooms_of.setdefault(person, []).append(room["id"])
        return room["id"]

    async def connect(self, handle: str, on_message: OnMessage) -> "ParleySession":
        session = ParleySession(self, self.accounts[handle], on_message)
        await session.open()
        return session

    # -- setup helpers -----------------------------------------------------------------
    async def _sign_in(self, email: str, saved: dict | None) -> Account:
        account = Account(email)
        if saved:
            refreshed = await patient(lambda: http("POST", f"{self.api}/auth/refresh",
                                                   {"refresh_token": saved["refresh_token"]}))
            if refreshed.status == 200:
                return self._keep_tokens(account, refreshed.body)
        assert self.rpc is not None, "start() first"
        for attempt in range(5):      # idempotent: a timed-out try is simply asked again
            try:
                created = await self.rpc.call("users", "admin_create_user", email, PASSWORD,
                                              email.split("@")[0])
                break
            except (RpcTimeout, ServiceUnavailable):
                if attempt == 4:
                    raise
                await asyncio.sleep(1 + attempt)
        account.user_id = created["user_id"]
        login = await patient(lambda: http("POST", f"{self.api}/auth/login",
                                           {"email": email, "password": PASSWORD}))
        return self._keep_tokens(account, self._ok(login, "sign in"))

    @staticmethod
    def _keep_tokens(account: Account, pair: dict) -> Account:
        account.user_id = pair["user_id"]
        account.token, account.refresh_token = pair["access_token"], pair["refresh_token"]
        account.token_at = time.time()
        return account

    async def fresh_token(self, account: Account) -> str:
        """The access token, refreshed first when it is older than 10 of its 15 minutes
        (an open socket outlives its token; a reconnect does not)."""
        if time.time() - account.token_at > 600:
            pair = self._ok(await patient(lambda: http(
                "POST", f"{self.api}/auth/refresh", {"refresh_token": account.refresh_token})),
                "refresh")
            self._keep_tokens(account, pair)
            self._save_people()
        return account.token

    def _load_people(self) -> dict[str, dict]:
        try:
            return json.loads(self.people_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save_people(self) -> None:
        saved = self._load_people()
        saved.update({a.email: {"user_id": a.user_id, "refresh_token": a.refresh_token}
                      for a in self.accounts.values()})
        self.people_file.parent.mkdir(parents=True, exist_ok=True)
        self.people_file.write_text(json.dumps(saved))

    @staticmethod
    def _ok(answer: Response, what: str) -> Any:
        if answer.status not in (200, 201):
            body = answer.body if isinstance(answer.body, dict) else {}
            raise ParleyError(str(body.get("code", answer.status)),
                              f"{what}: {body.get('message', answer.body)}")
        return answer.body


class ParleySession:
    """One person's WebSocket through Traefik (or straight to one gateway)."""

    def __init__(self, target: ParleyTarget, account: Account, on_message: OnMessage):
        self.target = target
        self.account = account
        self.handle = account.user_id
        self.on_message = on_message
        self.seqs: dict[str, int] = {}          # channel id -> highest seq, none missing below
        self.ahead: dict[str, set[int]] = {}    # channel id -> seqs seen above that
        self._catch_ups: dict[str, asyncio.Task] = {}
        self.seen: set[str] = set()             # message ids delivered (dedupe)
        self.fetched: set[str] = set()          # of those, had over REST, not (yet) live
        self.ws = None
        self.connected = asyncio.Event()
        self.closed_with: list[tuple[int | None, str | None]] = []
        self._pending: dict[str, tuple[asyncio.Future, Any]] = {}   # req_id -> (reply, socket)
        self._reader: asyncio.Task | None = None
        self._closing = False
        self._dropped = False
        self._recovery: asyncio.Task | None = None
        self._req = 0

    # -- connection --------------------------------------------------------------------
    async def open(self, resume: bool = False, attempts: int = 40) -> None:
        points = self._resume_points() if resume else {}
        resume = bool(points)     # someone in no channel has nothing to resume (1+ needed)
        token = await self.target.fresh_token(self.account)
        url = f"{self.target.ws_url}?access_token={token}" + ("&resume=1" if resume else "")
        delay = 0.1
        for attempt in range(attempts):
            try:
                ws = await websocket_connect(url, max_message_size=64 * 1024 * 1024)
                hello = json.loads(await ws.read_message() or "{}")
                if hello.get("type") == "hello":
                    break
                ws.close()              # closed before hello (e.g. 1013, or open failed)
                if attempt == attempts - 1:
                    raise ParleyError("no_hello", f"{hello} (close {ws.close_code})")
                self.target.events[f"connect_no_hello_{ws.close_code}"] += 1
            except HTTPClientError as refused:      # Traefik's rate limit, a 502 in a restart
                if refused.code not in RETRYABLE or attempt == attempts - 1:
                    raise
                self.target.events[f"connect_{refused.code}"] += 1
            except (OSError, WebSocketClosedError):
                if attempt == attempts - 1:
                    raise
                self.target.events["connect_error"] += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        self.ws = ws
        self._reader = asyncio.create_task(self._read(ws))
        if resume:
            resumed = await self.request({"type": "resume", "channels": points},
                                         timeout=120, wait_connected=False)
            for channel, outcome in (resumed.get("channels") or {}).items():
                if outcome.get("error") or outcome.get("complete") is False:
                    self.target.events["resume_incomplete"] += 1
                    self.catch_up_soon(channel, wait=0)
        self.connected.set()

    def _resume_points(self) -> dict[str, int]:
        rooms = self.target.rooms_of.get(self.handle, [])
        return {room: self._held(room) for room in rooms[:1000]}

    def _held(self, channel: str) -> int:
        """The highest seq of the channel with nothing missing below it."""
        return max(self.seqs.get(channel, 0), self.target.room_floor.get(channel, 0))

    def drop(self) -> None:
        """Cut the TCP connection without a close frame, as a lost network does; the
        caller reconnects (reconnect())."""
        self._dropped = True
        self.connected.clear()
        if self.ws is not None and self.ws.protocol is not None:
            self.ws.protocol.stream.close()

    async def reconnect(self) -> None:
        """Open a new socket and resume every channel from the last seq seen."""
        self.target.events["reconnects"] += 1
        await self.open(resume=True)
        self._dropped = False

    async def _recover(self) -> None:
        """After the server closed the socket: reconnect and resume, as the protocol
        asks of clients (docs/api/websocket.md, "Close codes"), with a growing pause
        (0.5 s doubling to 5 s), for up to RECOVER_FOR seconds (a restarting broker)."""
        deadline, pause = time.monotonic() + RECOVER_FOR, 0.5
        while not self._closing:
            try:
                await self.reconnect()
                self.target.events["recovered"] += 1
                return
            except Exception:   # counted; the next attempt waits a little longer
                self.target.events["recover_failed"] += 1
                if time.monotonic() > deadline:
                    self.target.events["recover_gave_up"] += 1
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def close(self) -> None:
        self._closing = True
        self.connected.clear()
        if self.ws is not None:
            self.ws.close()
        for task in [self._reader, self._recovery, *self._catch_ups.values()]:
            if task is not None:
                task.cancel()

    async def _read(self, ws) -> None:
        counts = self.target.frames
        while (raw := await ws.read_message()) is not None:
            if isinstance(raw, bytes):
                raw = raw.decode()
            kind = raw[10:raw.find('"', 10)] if raw.startswith('{"type": "') else "?"
            counts[kind] += 1
            if kind == "message.created":
                self._message(json.loads(raw)["data"])
            elif kind in ("ack", "error", "resumed", "pong"):
                self._reply(json.loads(raw))
        if ws is self.ws and not self._closing:
            self.closed_with.append((ws.close_code, ws.close_reason))
            self.target.events[f"closed_{ws.close_code}"] += 1
            self.connected.clear()
            recovering = self._recovery is not None and not self._recovery.done()
            if not self._dropped and not recovering:   # the server closed it: come back
                self._recovery = asyncio.create_task(self._recover())
        for future, written_on in list(self._pending.values()):
            if written_on is ws and not future.done():
                future.set_exception(ConnectionError("socket closed before the reply"))

    def _message(self, data: dict, channel: str | None = None, via: str = "socket") -> None:
        channel, seq = channel or data["channel_id"], data["seq"]
        self._note_seq(channel, seq)
        if data["id"] in self.seen:
            if via == "socket":
                self.target.events["repeats_dropped"] += 1
                if data["id"] in self.fetched:      # late, not lost: the live event came
                    self.fetched.discard(data["id"])
                    self.target.events["caught_up_then_live"] += 1
            return
        self.seen.add(data["id"])
        if data["sender_id"] != self.handle:
            if via != "socket":
                self.target.events[f"caught_up_{via}"] += 1
                self.fetched.add(data["id"])
            self.on_message(channel, data["sender_id"], data.get("text", ""), time.monotonic())

    def _note_seq(self, channel: str, seq: int) -> None:
        """Move the channel's gapless seq; a gap that stays open GAP_WAIT seconds (two
        messaging instances may announce out of order) is fetched over REST."""
        held = self._held(channel)
        if seq <= held:
            return
        ahead = self.ahead.setdefault(channel, set())
        ahead.add(seq)
        while held + 1 in ahead:
            held += 1
            ahead.discard(held)
        self.seqs[channel] = held
        if ahead:
            self.catch_up_soon(channel, wait=GAP_WAIT)

    def catch_up_soon(self, channel: str, wait: float) -> None:
        if channel not in self._catch_ups and not self._closing:
            self._catch_ups[channel] = asyncio.create_task(self._catch_up(channel, wait))

    async def _catch_up(self, channel: str, wait: float) -> None:
        """What the web client's catchUp does: ``GET …/messages?after=<seq>`` page by
        page until a short page, retried (1 s apart) for up to CATCH_UP_FOR seconds."""
        try:
            await asyncio.sleep(wait)
            if wait and not self.ahead.get(channel):
                return                  # the gap closed by itself: a reordering
            self.target.events["catch_ups"] += 1
            deadline = time.monotonic() + CATCH_UP_FOR
            while time.monotonic() < deadline and not self._closing:
                try:
                    token = await self.target.fresh_token(self.account)
                    while True:
                        page = ParleyTarget._ok(await patient(lambda: http(
                            "GET", f"{self.target.api}/channels/{channel}/messages"
                                   f"?after={self._held(channel)}&limit={PAGE}",
                            token=token)), "catch up")
                        for message in page:
                            self._message(message, channel, via="rest")
                        if len(page) < PAGE:
                            return
                except Exception:   # counted; tried again while the server is away
                    self.target.events["catch_up_failed"] += 1
                    await asyncio.sleep(1.0)
        finally:
            self._catch_ups.pop(channel, None)

    def _reply(self, frame: dict) -> None:
        future, _ = self._pending.pop(str(frame.get("req_id")), (None, None))
        if future is None or future.done():
            if frame.get("type") == "error":
                self.target.events[f"error_{frame.get('code')}"] += 1
            return
        if frame["type"] == "error":
            future.set_exception(ParleyError(frame.get("code", "?"), frame.get("message", "")))
        else:
            future.set_result(frame)

    # -- frames ------------------------------------------------------------------------
    async def request(self, frame: dict, timeout: float = 30,
                      wait_connected: bool = True, req_id: str | None = None) -> dict:
        """Write a frame and wait for its reply (``ack``, ``resumed``…)."""
        if wait_connected:
            await asyncio.wait_for(self.connected.wait(), timeout)
        self._req += 1
        req_id = req_id or f"{self.handle[:6]}-{self._req}"
        future = asyncio.get_running_loop().create_future()
        ws = self.ws
        self._pending[req_id] = (future, ws)
        try:
            await ws.write_message(json.dumps({**frame, "req_id": req_id}))
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(req_id, None)

    async def send(self, room_id: str, text: str, txn_id: str, **fields: Any) -> None:
        """Send until acknowledged: a socket lost before the ack means waiting for the
        reconnect and sending again with the same ``client_msg_id`` (idempotent), at
        most twice; with the target's ``resend_for``, also after a passing refusal or
        no answer, with a growing pause (0.2 s doubling to 2 s), for that long."""
        resend_for = self.target.resend_for
        deadline, pause, resends = time.monotonic() + resend_for, 0.2, 0
        while True:
            try:
                ack = await self.request({"type": "send", "channel_id": room_id,
                                          "client_msg_id": txn_id, "text": text, **fields},
                                         req_id=txn_id)
                break
            except (ConnectionError, WebSocketClosedError):
                if resends == 2 and not resend_for:
                    raise
                why = "drop"
            except (ParleyError, asyncio.TimeoutError) as refused:
                why = getattr(refused, "code", "no_answer")
                if not resend_for or why not in RESEND_CODES + ("no_answer",):
                    raise
            if resend_for and time.monotonic() > deadline:
                raise ParleyError("gave_up", f"not acknowledged in {resend_for:g} s")
            resends += 1
            self.target.resends[txn_id] += 1
            self.target.events[f"resent_after_{why}"] += 1
            if why != "drop":
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
        message = ack["message"]
        self._note_seq(room_id, message["seq"])    # the ack says it is stored: no gap
        root = fields.get("thread_parent_id") or message["id"]
        self.target.messages[txn_id] = (message["id"], message["seq"], root)

    # -- the rest of the mix (Parley only; the runner counts them apart) ----------------
    async def reply(self, room_id: str, parent_txn: str, text: str, txn_id: str) -> None:
        _, _, root = self.target.messages[parent_txn]
        await self.send(room_id, text, txn_id, thread_parent_id=root)

    async def react(self, room_id: str, txn_id: str, emoji: str) -> None:
        message_id = self.target.messages[txn_id][0]
        await self.request({"type": "react", "channel_id": room_id,
                            "message_id": message_id, "emoji": emoji})

    async def typing(self, room_id: str) -> None:
        await asyncio.wait_for(self.connected.wait(), 30)
        await self.ws.write_message(json.dumps({"type": "typing", "channel_id": room_id}))

    async def read(self, room_id: str) -> None:
        seq = self.seqs.get(room_id) or self.target.room_floor.get(room_id, 0)
        await self.request({"type": "read", "channel_id": room_id, "seq": seq})

    async def readable(self, room_id: str, newest: int) -> list[str]:
        """The newest ``newest`` texts of the channel's history, read over REST as this
        person (``order=newest``, page by page with ``before``)."""
        token = await self.target.fresh_token(self.account)
        texts: list[str] = []
        before = ""
        while len(texts) < newest:
            page = ParleyTarget._ok(await patient(lambda: http(
                "GET", f"{self.target.api}/channels/{room_id}/messages"
                       f"?order=newest&limit={PAGE}{before}", token=token)), "history")
            texts.extend(message.get("text", "") for message in page)
            if len(page) < PAGE:
                break
            before = f"&before={page[-1]['seq']}"
        return texts

    async def switch(self, room_id: str) -> None:
        """Open another conversation: tell presence, then load its latest page."""
        await self.request({"type": "view", "channel_id": room_id})
        token = await self.target.fresh_token(self.account)
        page = await patient(lambda: http(
            "GET", f"{self.target.api}/channels/{room_id}/messages?limit=50",
            token=token))
        ParleyTarget._ok(page, "history")
