"""Parley's error types, shared by services, gateway and clients.

Each error has a stable machine-readable ``code`` and the HTTP ``status`` the
gateway answers with. Services raise them; Nameko serialises them as
``exc_type``/``exc_path``/``exc_args``; :func:`from_remote` turns that back into
the same class on the calling side (gateway or another service).
"""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class ParleyError(Exception):
    code = "internal_error"
    status = 500

    def __init__(self, message: str = ""):
        super().__init__(message or self.code.replace("_", " "))

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.code

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def permanent(error: ParleyError) -> bool:
    """A refusal that retrying cannot change: bad input, an unknown channel, …
    (4xx, except being rate limited)."""
    return 400 <= error.status < 500 and not isinstance(error, RateLimited)


_REGISTRY: dict[str, type[ParleyError]] = {}


def _register(cls: type[ParleyError]) -> type[ParleyError]:
    _REGISTRY[cls.__name__] = cls
    return deserialize_to_instance(cls)


@_register
class InvalidInput(ParleyError):
    code, status = "invalid_input", 400


@_register
class Unauthenticated(ParleyError):
    code, status = "unauthenticated", 401


@_register
class Forbidden(ParleyError):
    code, status = "forbidden", 403


@_register
class NotFound(ParleyError):
    code, status = "not_found", 404


@_register
class Conflict(ParleyError):
    code, status = "conflict", 409


@_register
class LengthRequired(ParleyError):
    code, status = "length_required", 411


@_register
class TooLarge(ParleyError):
    code, status = "too_large", 413


@_register
class RateLimited(ParleyError):
    """Too many attempts: try again in ``retry_after`` seconds (the gateway also
    sends it as the ``Retry-After`` header)."""

    code, status = "rate_limited", 429

    def __init__(self, message: str = "", retry_after: int = 1):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.args = (self.message, self.retry_after)  # both travel in Nameko's exc_args

    def to_dict(self) -> dict:
        return {**super().to_dict(), "retry_after": self.retry_after}


@_register
class ServiceUnavailable(ParleyError):
    code, status = "service_unavailable", 503


@_register
class RpcTimeout(ParleyError):
    code, status = "timeout", 504


class RemoteError(ParleyError):
    """A remote failure that is not one of Parley's typed errors (a bug)."""

    code, status = "internal_error", 500

    def __init__(self, exc_type: str = "", message: str = ""):
        super().__init__(f"{exc_type}: {message}" if exc_type else message)
        self.exc_type = exc_type

    def to_dict(self) -> dict:
        # The detail (exception type and text, maybe SQL) is for the logs only.
        return {"code": self.code, "message": "something went wrong"}


# A store away for a moment (restarting, failing over) is no bug: the caller may retry.
STORE_AWAY = frozenset({
    "sqlalchemy.exc.OperationalError", "pymongo.errors.AutoReconnect",
    "pymongo.errors.NetworkTimeout", "pymongo.errors.NotPrimaryError",
    "pymongo.errors.ServerSelectionTimeoutError", "pymongo.errors.ConnectionFailure",
    "redis.exceptions.ConnectionError", "redis.exceptions.TimeoutError",
    "kombu.exceptions.OperationalError", "botocore.exceptions.EndpointConnectionError"})


def from_remote(error: dict) -> ParleyError:
    """Rebuild an error from a Nameko reply's ``error`` object. A store that could
    not be reached is ``service_unavailable`` (503, try again), not a bug."""
    if error.get("exc_path") in STORE_AWAY:
        return ServiceUnavailable("a data store is not reachable right now; try again")
    cls = _REGISTRY.get(error.get("exc_type", ""))
    if cls is not None and str(error.get("exc_path", "")).startswith("services.common.errors"):
        args = error.get("exc_args") or []
        return cls(*args[:2]) if cls is RateLimited else cls(*args[:1])
    return RemoteError(error.get("exc_type", ""), error.get("value", ""))
