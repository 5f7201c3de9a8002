"""services/auth/passwords.py: what a new password must be, at registration and
wherever a password is set; a refused password creates nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.auth.models import Credential
from services.auth.passwords import common_passwords, policy_problem
from services.auth.settings import AuthSettings
from services.common.errors import InvalidInput

POLICY = AuthSettings()


def test_the_built_in_list_of_common_passwords_is_loaded():
    listed = common_passwords()
    assert len(listed) > 200
    assert {"password123", "qwertyuiop", "1234567890", "iloveyou123"} <= listed
    assert not any(entry.startswith("#") for entry in listed)


@pytest.mark.parametrize("password", ["Password123", "QWERTYUIOP", "1234567890",
                                      "correct horse battery staple",
                                      "CorrectHorse BatteryStaple"])
def test_a_common_password_is_refused_whatever_its_case_and_spacing(password):
    assert policy_problem(password, POLICY) == "this password is too common; choose another"


def test_the_length_must_be_between_the_configured_bounds():
    assert policy_problem("x" * 9 + "!", POLICY) is None
    assert policy_problem("nine-char", POLICY) == "use at least 10 characters"
    assert policy_problem("y" * 256, POLICY) is None
    assert policy_problem("y" * 257, POLICY) == "use at most 256 characters"


def test_bounds_come_from_the_settings():
    strict = AuthSettings(password_min_length=16, password_max_length=20)
    assert policy_problem("fifteen-chars-x", strict) == "use at least 16 characters"
    assert policy_problem("twenty-one-characters", strict) == "use at most 20 characters"


def test_the_email_address_or_its_local_part_is_not_a_password():
    assert policy_problem("Ada.Lovelace@Example.com", POLICY, "ada.lovelace@example.com")
    assert policy_problem("ada.lovelace", POLICY, "ada.lovelace@example.com")
    assert policy_problem("ada.lovelace-1843", POLICY, "ada.lovelace@example.com") is None


@pytest.mark.parametrize("password, problem", [
    ("short", "use at least 10 characters"),
    ("qwerty12345", "this password is too common"),
    ("z" * 300, "use at most 256 characters"),
])
def test_registering_with_a_weak_password_is_invalid_input_and_creates_nothing(
        auth, session, password, problem):
    with pytest.raises(InvalidInput) as caught:
        auth.register("ada@example.com", password, "Ada")
    assert caught.value.message.startswith(f"password: {problem}")
    assert session.scalars(select(Credential)).all() == []


def test_a_password_longer_than_the_hard_cap_is_refused_before_hashing(auth, session):
    with pytest.raises(InvalidInput, match="password"):
        auth.register("ada@example.com", "z" * 5000, "Ada")
    assert session.scalars(select(Credential)).all() == []
