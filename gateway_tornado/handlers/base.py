"""The base of every HTTP handler: request ids, JSON, auth, errors, metrics."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

import tornado.web

from services.common.errors import InvalidInput, ParleyError, RateLimited, Unauthenticated
from services.common.logging import bind_request_id, get_logger
from services.common.metrics import HTTP_DURATION, HTTP_REQUESTS

from ..context import Gateway

log = get_logger(__name__)
NO_TOKEN = "send an access token: Authorization: Bearer <token>"


def new_request_id(offered: str | None) -> str:
    if offered and len(offered) <= 64 and offered.replace("-", "").isalnum():
        return offered
    return uuid.uuid4().hex


class BaseHandler(tornado.web.RequestHandler):
    route = "unknown"  # bounded label for metrics: the route's pattern name
    rate_limited = True  # each request takes a token (ratelimit.py); not ops endpoints
    logged = True  # one `request_handled` line per request; not probes and scrapes

    def initialize(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.user_id: str | None = None
        self.claims: dict[str, Any] | None = None   # of a valid token of a live session
        self._auth_problem: ParleyError = Unauthenticated(NO_TOKEN)
        self._started = time.perf_counter()
        self.set_default_headers()

    def set_default_headers(self) -> None:
        """CORS: a browser page from an origin listed in ``gateway.cors_origins``
        (or any, with ``*``) may call the API; tokens travel in the Authorization
        header, never in cookies, so no credentials are allowed. Called again
        after initialize() and whenever an error clears the headers."""
        if not hasattr(self, "gateway"):
            return  # Tornado's first call, before initialize()
        origin = self.request.headers.get("Origin")
        allowed = self.gateway.cfg["gateway.cors_origins"] or []
        if origin and (origin in allowed or "*" in allowed):
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
        self.add_header("Vary", "Origin")

    def options(self, *args: Any) -> None:
        """A CORS preflight: which methods and headers the route takes."""
        if "Access-Control-Allow-Origin" in self._headers:
            self.set_header("Access-Control-Allow-Methods", ", ".join(self.methods()))
            self.set_header("Access-Control-Allow-Headers",
                            "Authorization, Content-Type, X-Request-Id")
            self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    def methods(self) -> list[str]:
        """The HTTP methods this route answers (besides OPTIONS)."""
        return [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
                if getattr(type(self), m.lower()) is not
                getattr(tornado.web.RequestHandler, m.lower())]

    async def prepare(self) -> None:
        self.request_id = new_request_id(self.request.headers.get("X-Request-Id"))
        bind_request_id(self.request_id)
        self.set_header("X-Request-Id", self.request_id)
        await self._check_bearer()
        if self.rate_limited:
            await self._check_rate()

    async def _check_bearer(self) -> None:
        """Verify the bearer token once per request, before the handler runs: the
        signature and expiry locally, then whether its session was ended (one Redis
        EXISTS). The outcome waits for :meth:`authenticate`; routes that need no
        token ignore it."""
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return
        try:
            claims = self.gateway.tokens.verify(token.strip())
            await self.gateway.sessions.ensure_live(claims["sid"])
        except ParleyError as exc:
            self._auth_problem = exc
            return
        self.claims = claims

    async def _check_rate(self) -> None:
        """One token from the person's bucket when the request carries a valid
        token, else from the client address's (gateway_tornado/ratelimit.py).
        Signed-in people behind one office address do not share a limit."""
        if self.claims is not None:
            await self.gateway.limiter.check("user", self.claims["sub"])
        else:
            await self.gateway.limiter.check("ip", self.client_ip())

    # -- helpers ----------------------------------------------------------
    def authenticate(self) -> str:
        """The signed-in user's id, or the reason there is none (401, or 503 when
        sessions cannot be checked)."""
        if self.claims is None:
            raise self._auth_problem
        self.user_id = self.claims["sub"]
        return self.user_id

    def client_ip(self) -> str:
        """The client's address: Tornado's ``xheaders`` take it from Traefik's
        X-Real-Ip / X-Forwarded-For, which Traefik sets itself (it drops the ones a
        client sends, since no forwarded-headers source is trusted)."""
        return self.request.remote_ip or ""

    def body_json(self, required: bool = False) -> dict[str, Any]:
        """The body's JSON object; no body is ``{}`` unless the route requires one."""
        if not self.request.body:
            if required:
                raise InvalidInput("the body must be a JSON object")
            return {}
        try:
            body = json.loads(self.request.body.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInput("the body is not valid UTF-8") from None
        except ValueError:
            raise InvalidInput("the body is not valid JSON") from None
        except RecursionError:
            raise InvalidInput("the body is nested too deeply") from None
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        return body

    async def rpc(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a service with the request id and the client's address as context
        (``nameko.request_id``, ``nameko.client_ip``): services log the one and
        write both into audit rows."""
        return await self.gateway.rpc.call(
            service, method, *args,
            _context={"request_id": self.request_id, "client_ip": self.client_ip()}, **kwargs)

    def send_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    # -- errors and metrics -----------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ParleyError):
            self.set_status(exc.status)
            body = exc.to_dict()
            if isinstance(exc, RateLimited):
                self.set_header("Retry-After", str(exc.retry_after))
        elif isinstance(exc, tornado.web.HTTPError) and exc.status_code == 400:
            # Tornado's own bad input, e.g. a path segment that is not UTF-8
            body = {"code": InvalidInput.code, "message": exc.log_message or self._reason}
        elif isinstance(exc, tornado.web.HTTPError):
            body = {"code": "http_error", "message": exc.log_message or self._reason}
            if status_code == 405:  # RFC 9110: say which methods the route has
                self.set_header("Allow", ", ".join(self.methods() + ["OPTIONS"]))
        else:
            body = {"code": "internal_error", "message": "something went wrong"}
        self.set_header("Content-Type", "application/json")
        if hasattr(self, "request_id"):  # send_error cleared the headers prepare() set
            self.set_header("X-Request-Id", self.request_id)
        self.finish(json.dumps({"error": body}))

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, ParleyError) and value.status < 500:
            return  # the client's mistake, answered with its code
        log.error("request_failed", path=self.request.path, exc_info=(typ, value, tb))

    def on_finish(self) -> None:
        if self.logged:
            log.info("request_handled", method=self.request.method, route=self.route,
                     status=self.get_status(),
                     ms=round((time.perf_counter() - self._started) * 1000, 1),
                     request_id=getattr(self, "request_id", None))
        HTTP_REQUESTS.labels(self.route, self.request.method, str(self.get_status())).inc()
        HTTP_DURATION.labels(self.route).observe(time.perf_counter() - self._started)
