"""Slack identifiers <-> Parley identifiers.

Slack names things with an upper-case letter saying what they are and upper-case
alphanumerics; Parley names them with lower-case hex. The mapping is pure
string work, without a lookup, and reversible:

=========================  ==========================  ============================
Parley                     Slack                       example
=========================  ==========================  ============================
public/private channel     ``C`` + upper hex (32)      ``C0A1B…``
DM                         ``D`` + upper hex (32)      ``D0A1B…``
group DM                   ``G`` + upper hex (32)      ``G0A1B…``
user (bots' users too)     ``U`` + upper hex (32)      ``U9F3C…``
bot                        ``B`` + upper hex (32)      ``B77AA…``
file (24-hex ObjectId)     ``F`` + upper hex (24)      ``F65A1…``
app                        ``A`` + upper hex (32)      ``A1234…``
the workspace (any text)   ``T`` + its id, upper,      ``TDEFAULT``
                           letters and digits only
=========================  ==========================  ============================

Decoding is lenient about the letter of a conversation (``C``, ``D`` and ``G``
all decode to the same Parley channel id: the kind is the channel's, not the
id's) and strict about everything else: anything that is not a prefix letter
followed by hex of the right length is ``None``, which callers answer with
Slack's ``channel_not_found``, ``user_not_found``… and never pass to a service.

Message timestamps (``ts``)
---------------------------
A Slack message is named by its channel and its ``ts``, a string like
``"1700000000.000100"``: unique and increasing within a channel. Parley's
messages carry a per-channel ``seq`` (gapless, from 1) and messaging stores each
in the slot ``_id = "<channel>:<seq>"``, the one lookup FerretDB serves from an
index. So::

    ts = f"{int(created_at_epoch)}.{seq:06d}"

- The fraction *is* the seq: a ``ts`` resolves to its message with the seq
  alone (``messaging.history(after=seq-1, limit=1)``, a slot read); the seconds
  are for people and for clients that sort or filter by time.
- Unique per channel (the seq is) and increasing as long as ``created_at``
  does not go back between two consecutive messages by more than it takes to
  cross a second boundary (both messaging instances read the same clock here;
  across hosts, NTP skew of a few ms could reorder two messages sent in the
  same millisecond around a second boundary; the seq order is the true one).
- ``seq`` up to 999,999 gives the 6-digit fraction Slack clients expect. From
  1,000,000 on the fraction has 7+ digits: still unique and still parsed back
  exactly (we never treat the fraction as a float), but a client comparing ts
  values as floats would misorder a 7-digit ts against a 6-digit one within the
  same second.
- A ``ts`` whose fraction names a seq of another message (someone rounded the
  seconds, or sent a time of their own) does not match: :func:`seq_of_ts`
  gives the seq, and callers check that the message found has exactly this
  ``ts`` before acting on it (``message_not_found`` otherwise).
- ``oldest``/``latest`` bounds of ``conversations.history`` may be any time, not
  a message's ts (``time.time()``): :func:`ts_value` reads either exactly. The
  ts of a message of the channel bounds exactly; any other time counts in whole
  seconds, its own second inside, since a ts's fraction is a seq and not a
  fraction of a second (conversations.Bound).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

CHANNEL, DM, GROUP_DM, USER, BOT, FILE, APP, TEAM = "C", "D", "G", "U", "B", "F", "A", "T"
CONVERSATION_PREFIXES = (CHANNEL, DM, GROUP_DM)
_KIND_PREFIX = {"public": CHANNEL, "private": CHANNEL, "dm": DM, "group_dm": GROUP_DM}
_HEX_LENGTH = {CHANNEL: 32, DM: 32, GROUP_DM: 32, USER: 32, BOT: 32, APP: 32, FILE: 24}
_TS = re.compile(r"^(\d{1,12})\.(\d{6,12})$")


def _encode(prefix: str, parley_id: str) -> str:
    return prefix + str(parley_id).upper()


def _decode(slack_id: object, prefixes: tuple[str, ...]) -> str | None:
    if not isinstance(slack_id, str) or len(slack_id) < 2 or slack_id[0] not in prefixes:
        return None
    body = slack_id[1:]
    if len(body) != _HEX_LENGTH[slack_id[0]] or not re.fullmatch(r"[0-9A-Fa-f]+", body):
        return None
    return body.lower()


# -- conversations ------------------------------------------------------------------
def channel_id(channel: dict) -> str:
    """A Parley channel (as the channels service returns it) as a Slack conversation id."""
    return _encode(_KIND_PREFIX.get(channel.get("kind", "public"), CHANNEL), channel["id"])


def channel_id_of(parley_id: str, kind: str = "public") -> str:
    return _encode(_KIND_PREFIX.get(kind, CHANNEL), parley_id)


def parley_channel(slack_id: object) -> str | None:
    """The Parley channel id of ``C…``, ``D…`` or ``G…``; None if it is not one."""
    return _decode(slack_id, CONVERSATION_PREFIXES)


# -- people, bots, files, the team ---------------------------------------------------
def user_id(parley_id: str) -> str:
    return _encode(USER, parley_id)


def parley_user(slack_id: object) -> str | None:
    return _decode(slack_id, (USER,))


def bot_id(parley_bot_id: str) -> str:
    return _encode(BOT, parley_bot_id)


def parley_bot(slack_id: object) -> str | None:
    return _decode(slack_id, (BOT,))


def app_id(parley_app_id: str) -> str:
    return _encode(APP, parley_app_id)


def file_id(parley_id: str) -> str:
    return _encode(FILE, parley_id)


def parley_file(slack_id: object) -> str | None:
    return _decode(slack_id, (FILE,))


def team_id(workspace_id: str) -> str:
    """``T`` + the workspace's id in upper-case letters and digits (``default`` →
    ``TDEFAULT``); a workspace id with no such character is ``T0``."""
    return TEAM + (re.sub(r"[^A-Za-z0-9]", "", str(workspace_id)).upper() or "0")


# -- message timestamps --------------------------------------------------------------
def epoch(value: str | datetime) -> float:
    """Seconds since the epoch of an ISO time (one without a zone is UTC)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def ts(created_at: str | datetime, seq: int) -> str:
    """A message's Slack ``ts`` from its ``created_at`` and per-channel ``seq``."""
    return f"{int(epoch(created_at))}.{int(seq):06d}"


def message_ts(message: dict) -> str:
    """The ``ts`` of a Parley message (as messaging returns it)."""
    return ts(message["created_at"], message["seq"])


def seq_of_ts(value: object) -> int | None:
    """The seq a ``ts`` names (its fraction), or None if it is not a message ts."""
    match = _TS.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    seq = int(match.group(2))
    return seq if seq >= 1 else None


def ts_value(value: object) -> Decimal | None:
    """A ts or a time bound (``"1700000000"``, ``"1700000000.5"``,
    ``"1700000000.000100"``) as an exact number, or None if it is not one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,12}(\.\d{1,12})?", value.strip()):
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None
