"""Input validation shared by every service: pydantic errors become InvalidInput."""
from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# C0 control characters but tab, line feed and carriage return
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def validated(model: type[M], **values) -> M:
    """Build ``model`` from ``values`` or raise InvalidInput naming the bad fields."""
    return validated_object(model, values)


def validated_object(model: type[M], data: object) -> M:
    """Validate a whole object (an event, a JSON body) as ``model``, or raise
    InvalidInput naming the bad fields: callers skip it instead of retrying it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}"
            for err in exc.errors())
        raise InvalidInput(problems) from None


def normalise_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not an email address")
    return value


def plain_text(value: str) -> str:
    """Text people write: no control characters but tab and line breaks. (NUL is
    not only meaningless: PostgreSQL text cannot hold it, so readers that index the
    text, like search, would fail on it.)"""
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"control character U+{ord(found.group()):04X} is not allowed "
                         "(only tab and line breaks are)")
    return value
