"""services/common/tokens.py: access tokens issued by auth, verified by gateways."""
from __future__ import annotations

import time

import jwt
import pytest

from services.common import tokens as tokens_module
from services.common.errors import Unauthenticated
from services.common.tokens import KEY_ID, TokenCodec

SECRET = "unit-test-secret-of-a-reasonable-length"


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(SECRET, access_ttl=900)


def issued_at(monkeypatch, codec: TokenCodec, when: float, **kwargs) -> str:
    """A token issued by ``codec`` as if the clock had said ``when``."""
    with monkeypatch.context() as patched:
        patched.setattr(tokens_module.time, "time", lambda: when)
        return codec.issue("user-1", "session-1", **kwargs)


def test_a_token_verifies_back_to_its_claims(codec):
    claims = codec.verify(codec.issue("user-1", "session-1", role="admin", workspace="acme"))
    assert (claims["sub"], claims["sid"], claims["role"], claims["workspace"]) == (
        "user-1", "session-1", "admin", "acme")


def test_a_token_is_valid_for_the_access_ttl(codec):
    claims = codec.verify(codec.issue("user-1", "session-1"))
    assert claims["exp"] - claims["iat"] == codec.access_ttl
    assert abs(claims["iat"] - time.time()) < 5


def test_a_new_member_token_defaults_to_the_member_role_in_the_default_workspace(codec):
    claims = codec.verify(codec.issue("user-1", "session-1"))
    assert (claims["role"], claims["workspace"]) == ("member", "default")


def test_every_token_has_its_own_id(codec):
    first = codec.verify(codec.issue("user-1", "session-1"))
    second = codec.verify(codec.issue("user-1", "session-1"))
    assert first["jti"] != second["jti"]


def test_the_header_names_the_signing_key_and_algorithm(codec):
    header = jwt.get_unverified_header(codec.issue("user-1", "session-1"))
    assert header["kid"] == KEY_ID
    assert header["alg"] == "HS256"


def test_an_expired_token_is_rejected_as_expired(codec, monkeypatch):
    token = issued_at(monkeypatch, codec, time.time() - codec.access_ttl - 5)
    with pytest.raises(Unauthenticated, match="expired"):
        codec.verify(token)


def test_a_token_just_inside_its_lifetime_is_accepted(codec, monkeypatch):
    token = issued_at(monkeypatch, codec, time.time() - codec.access_ttl + 60)
    assert codec.verify(token)["sub"] == "user-1"


def test_a_token_signed_with_another_secret_is_rejected(codec):
    forged = TokenCodec("some-other-secret-of-a-reasonable-len").issue("user-1", "session-1")
    with pytest.raises(Unauthenticated, match="not valid") as caught:
        codec.verify(forged)
    assert caught.value.status == 401


def test_a_tampered_payload_is_rejected(codec):
    header, payload, signature = codec.issue("user-1", "session-1").split(".")
    other_payload = codec.issue("user-2", "session-1").split(".")[1]
    with pytest.raises(Unauthenticated):
        codec.verify(".".join([header, other_payload, signature]))


def test_an_unsigned_token_is_rejected(codec):
    claims = jwt.decode(codec.issue("user-1", "session-1"), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthenticated):
        codec.verify(unsigned)


def test_a_token_without_a_session_is_rejected(codec):
    now = int(time.time())
    token = jwt.encode({"sub": "user-1", "iat": now, "exp": now + 60}, SECRET,
                       algorithm="HS256")
    with pytest.raises(Unauthenticated):
        codec.verify(token)


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c"])
def test_garbage_is_rejected_as_unauthenticated(codec, garbage):
    with pytest.raises(Unauthenticated):
        codec.verify(garbage)


# -- key rotation: several keys, named by kid -----------------------------------------
OLD_SECRET = "the-previous-signing-secret-0123456789"


def test_a_token_signed_with_a_previous_key_still_verifies_while_that_key_is_listed():
    old = TokenCodec(OLD_SECRET, key_id="k0").issue("user-1", "session-1")
    rotated = TokenCodec(SECRET, key_id="k1", previous_keys={"k0": OLD_SECRET})
    assert rotated.verify(old)["sub"] == "user-1"
    assert jwt.get_unverified_header(rotated.issue("user-1", "s"))["kid"] == "k1"


def test_once_the_previous_key_is_dropped_its_tokens_are_refused():
    old = TokenCodec(OLD_SECRET, key_id="k0").issue("user-1", "session-1")
    with pytest.raises(Unauthenticated, match="not valid"):
        TokenCodec(SECRET, key_id="k1").verify(old)


def test_a_token_naming_an_unknown_key_is_refused_even_if_its_signature_matches(codec):
    claims = jwt.decode(codec.issue("user-1", "session-1"), options={"verify_signature": False})
    forged = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k9"})
    with pytest.raises(Unauthenticated, match="not valid"):
        codec.verify(forged)


def test_a_token_claiming_a_listed_kid_but_signed_with_another_key_is_refused():
    codec = TokenCodec(SECRET, key_id="k1", previous_keys={"k0": OLD_SECRET})
    claims = jwt.decode(codec.issue("user-1", "s"), options={"verify_signature": False})
    forged = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k0"})
    with pytest.raises(Unauthenticated):
        codec.verify(forged)


def test_the_codec_is_built_from_config(make_config):
    cfg = make_config(PARLEY_JWT_KEY_ID="k2", PARLEY_JWT_ACCESS_TTL="300",
                      PARLEY_JWT_PREVIOUS_KEYS="{k1: %s}" % OLD_SECRET,
                      PARLEY_WORKSPACE_ID="acme")
    codec = TokenCodec.from_config(cfg)
    claims = codec.verify(codec.issue("user-1", "s"))
    assert (claims["workspace"], claims["exp"] - claims["iat"]) == ("acme", 300)
    assert codec.verify(TokenCodec(OLD_SECRET, key_id="k1").issue("user-1", "s"))["sub"] == "user-1"
