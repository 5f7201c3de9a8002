"""A small Parley client for tests: HTTP through Traefik and the WebSocket."""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect


@dataclass
class Response:
    status: int
    body: Any
    headers: dict


async def http(method: str, url: str, body: Any = None, token: str | None = None,
               raw: bytes | None = None, headers: dict | None = None,
               timeout: float = 20) -> Response:
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if payload is None and method in ("POST", "PUT"):
        payload = b""
    response = await AsyncHTTPClient().fetch(HTTPRequest(
        url, method=method, body=payload, headers=all_headers, request_timeout=timeout,
        follow_redirects=False), raise_error=False)
    text = response.body or b""
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Response(response.code, parsed, dict(response.headers))


@dataclass
class Person:
    base_url: str
    email: str
    password: str = "correct horse battery"
    display_name: str = ""
    user_id: str = ""
    token: str = ""
    frames: list[dict] = field(default_factory=list)
    ws: Any = None
    _reader: asyncio.Task | None = None

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1"

    async def sign_up(self) -> "Person":
        name = self.display_name or self.email.split("@")[0]
        registered = await http("POST", f"{self.api}/auth/register",
                                {"email": self.email, "password": self.password,
                                 "display_name": name})
        assert registered.status in (200, 201), registered.body
        login = await http("POST", f"{self.api}/auth/login",
                           {"email": self.email, "password": self.password})
        assert login.status == 200, login.body
        self.user_id, self.token = login.body["user_id"], login.body["access_token"]
        return self

    async def call(self, method: str, path: str, body: Any = None, **kwargs) -> Response:
        return await http(method, f"{self.api}{path}", body, token=self.token, **kwargs)

    async def connect(self) -> dict:
        ws_url = self.base_url.replace("http", "ws", 1) + f"/ws?access_token={self.token}"
        self.ws = await websocket_connect(ws_url)
        self._reader = asyncio.create_task(self._read())
        return await self.next_frame(lambda f: f["type"] == "hello")

    async def _read(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                return
            self.frames.append(json.loads(raw))

    async def next_frame(self, match, timeout: float = 10.0) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for frame in self.frames:
                if match(frame):
                    return frame
            await asyncio.sleep(0.02)
        raise AssertionError(f"no matching frame in {timeout}s; got {self.frames[-5:]}")

    async def request(self, frame: dict, timeout: float = 10.0) -> dict:
        req_id = uuid.uuid4().hex
        await self.ws.write_message(json.dumps({**frame, "req_id": req_id}))
        return await self.next_frame(lambda f: f.get("req_id") == req_id, timeout)

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def log_in(self) -> Response:
        """Log in again with the same password; on success the new token is kept."""
        login = await http("POST", f"{self.api}/auth/login",
                           {"email": self.email, "password": self.password})
        if login.status == 200:
            self.user_id, self.token = login.body["user_id"], login.body["access_token"]
        return login

    async def send_until_acknowledged(self, channel_id: str, client_msg_id: str, text: str,
                                      **fields) -> dict:
        """What every Parley client does: resend with the same client id until
        the server answers (a connection lost or a 5xx means: try again)."""
        delay = 0.05
        for _ in range(200):
            try:
                answer = await self.call("POST", f"/channels/{channel_id}/messages",
                                         {"client_msg_id": client_msg_id, "text": text,
                                          **fields}, timeout=15)
            except Exception:  # connection reset or timeout while a process died
                answer = None
            if answer is not None and answer.status in (200, 201):
                return answer.body
            assert answer is None or answer.status >= 500, (answer.status, answer.body)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise AssertionError(f"{client_msg_id} was never acknowledged")

    async def whole_history(self, channel_id: str) -> list[dict]:
        """Every message of the channel, oldest first, page by page."""
        messages, after = [], 0
        while True:
            page = await self.call("GET", f"/channels/{channel_id}/messages?after={after}&limit=200")
            assert page.status == 200, page.body
            if not page.body:
                return messages
            messages += page.body
            after = page.body[-1]["seq"]

    async def search(self, q: str = "", **filters) -> Response:
        """GET /search: ``filters`` are its query arguments (``from_`` for ``from``)."""
        args = {"q": q, **{k.rstrip("_"): v for k, v in filters.items() if v is not None}}
        args = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in args.items()}
        return await self.call("GET", f"/search?{urlencode(args)}")


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"


async def eventually(probe, timeout: float = 15.0, interval: float = 0.1):
    """Poll ``probe`` (async, returns a truthy value when done) until it succeeds."""
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")


async def people_in_a_channel(base_url: str, *names: str) -> tuple[list[Person], str]:
    """People signed up (one per name, unique emails) and a new public channel that the
    first created and the others joined: ``(people, channel_id)``."""
    people = [await Person(base_url, unique_email(name)).sign_up() for name in names]
    created = await people[0].call("POST", "/channels",
                                   {"name": f"{names[0]}-{uuid.uuid4().hex[:8]}"})
    assert created.status == 201, created.body
    for person in people[1:]:
        joined = await person.call("POST", f"/channels/{created.body['id']}/join")
        assert joined.status == 200, joined.body
    return people, created.body["id"]
