"""services/common/validation.py: bad input becomes InvalidInput naming the fields."""
from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, field_validator

from services.common.errors import InvalidInput
from services.common.validation import normalise_email, plain_text, validated


class Signup(BaseModel):
    email: str
    age: int = Field(ge=0)
    nickname: str = Field(default="", max_length=5)

    _email = field_validator("email")(normalise_email)


def test_valid_input_builds_the_model():
    signup = validated(Signup, email="ada@example.com", age=36)
    assert isinstance(signup, Signup)
    assert (signup.email, signup.age, signup.nickname) == ("ada@example.com", 36, "")


def test_bad_input_is_invalid_input_with_the_stable_code_and_status_400():
    with pytest.raises(InvalidInput) as caught:
        validated(Signup, email="ada@example.com", age=-1)
    assert caught.value.code == "invalid_input"
    assert caught.value.status == 400


def test_the_message_names_the_bad_field_and_what_is_wrong():
    with pytest.raises(InvalidInput) as caught:
        validated(Signup, email="ada@example.com", age=30, nickname="much too long")
    assert caught.value.message.startswith("nickname: ")
    assert "5 characters" in caught.value.message


def test_every_bad_field_is_named_once():
    with pytest.raises(InvalidInput) as caught:
        validated(Signup, email="not an email", age="old")
    problems = caught.value.message.split("; ")
    assert sorted(p.split(":")[0] for p in problems) == ["age", "email"]


def test_a_missing_field_is_named():
    with pytest.raises(InvalidInput, match=r"^age: Field required$"):
        validated(Signup, email="ada@example.com")


def test_the_validation_error_itself_is_not_chained_onto_the_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        validated(Signup, email="ada@example.com", age=-1)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_an_email_is_trimmed_and_lower_cased():
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


@pytest.mark.parametrize("bad", ["", "ada", "ada@", "@example.com", "ada@example",
                                 "ada lovelace@example.com", "a@b@example.com"])
def test_something_that_is_not_an_email_is_refused(bad):
    with pytest.raises(ValueError):
        normalise_email(bad)


@pytest.mark.parametrize("text", ["", "hello", "tab\there", "two\nlines\r\n", "\u00e9 \u2713 \U0001f389"])
def test_plain_text_keeps_what_people_write(text):
    assert plain_text(text) == text


@pytest.mark.parametrize("text, shown", [("a\x00b", "U+0000"), ("\x1b[31mred", "U+001B"),
                                         ("bell\x07", "U+0007")])
def test_plain_text_refuses_control_characters_naming_the_first(text, shown):
    with pytest.raises(ValueError) as refused:
        plain_text(text)
    assert shown in str(refused.value)
