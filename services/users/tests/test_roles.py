"""Workspace membership: the first account is the owner, later ones members, and
other services read a person's role and active flag through ``access``."""
from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput, NotFound


def test_the_first_account_of_the_workspace_is_its_owner(users):
    assert users.ensure_profile("u1", "ada@example.com", "Ada")["role"] == "owner"


def test_every_later_account_is_a_member(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    assert users.ensure_profile("u2", "bob@example.com", "Bob")["role"] == "member"
    assert users.ensure_profile("u3", "cy@example.com", "Cy")["role"] == "member"


def test_ensuring_the_owners_profile_again_keeps_them_owner(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    users.ensure_profile("u2", "bob@example.com", "Bob")
    assert users.ensure_profile("u1", "ada@example.com", "Ada")["role"] == "owner"
    assert users.access("u2")["role"] == "member"


def test_access_tells_role_and_active_flag(users):
    users.ensure_profile("u1", "ada@example.com", "Ada")
    assert users.access("u1") == {"user_id": "u1", "role": "owner", "active": True}


def test_access_of_an_unknown_person_is_not_found(users):
    with pytest.raises(NotFound):
        users.access("nobody")


# -- changing roles (docs/permissions.md, "People") ---------------------------------------
def role_of(users, user_id):
    return users.access(user_id)["role"]


@pytest.mark.parametrize("actor", ["olive", "ada"])
@pytest.mark.parametrize("role", ["guest", "member"])
def test_owners_and_admins_set_a_member_to_member_or_guest(people, actor, role):
    assert people.set_role(actor, "mo", role)["role"] == role
    assert role_of(people, "mo") == role


@pytest.mark.parametrize("actor", ["mo", "gus"])
def test_members_and_guests_change_nobodys_role(people, actor):
    with pytest.raises(Forbidden):
        people.set_role(actor, "max", "guest")
    assert role_of(people, "max") == "member"


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_an_admin_cannot_make_someone_admin_or_owner(people, role):
    with pytest.raises(Forbidden):
        people.set_role("ada", "mo", role)
    assert role_of(people, "mo") == "member"


def test_an_admin_cannot_demote_another_admin_or_an_owner(people):
    people.set_role("olive", "max", "admin")
    for target in ("max", "olive"):
        with pytest.raises(Forbidden):
            people.set_role("ada", target, "member")
    assert (role_of(people, "max"), role_of(people, "olive")) == ("admin", "owner")


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_an_owner_makes_someone_admin_or_owner(people, role):
    assert people.set_role("olive", "mo", role)["role"] == role


def test_setting_the_role_someone_already_has_changes_nothing_and_succeeds(people):
    assert people.set_role("ada", "mo", "member")["role"] == "member"


def test_an_unknown_role_is_invalid_input_and_changes_nothing(people):
    with pytest.raises(InvalidInput):
        people.set_role("olive", "mo", "superuser")
    assert role_of(people, "mo") == "member"


def test_setting_the_role_of_an_unknown_person_is_not_found(people):
    with pytest.raises(NotFound):
        people.set_role("olive", "nobody", "guest")


def test_the_last_active_owner_cannot_step_down(people):
    with pytest.raises(Forbidden):
        people.set_role("olive", "olive", "admin")
    assert role_of(people, "olive") == "owner"


def test_an_owner_steps_down_once_another_owner_exists(people):
    people.set_role("olive", "ada", "owner")
    assert people.set_role("olive", "olive", "member")["role"] == "member"
    assert role_of(people, "ada") == "owner"


def test_even_the_system_keeps_an_active_owner(people):
    with pytest.raises(Forbidden):
        people.admin_set_role("olive", "member")
    assert role_of(people, "olive") == "owner"


# -- deactivation ---------------------------------------------------------------------------
def active(users, user_id):
    return users.access(user_id)["active"]


@pytest.mark.parametrize("actor", ["olive", "ada"])
@pytest.mark.parametrize("target", ["mo", "gus"])
def test_owners_and_admins_deactivate_members_and_guests(people, auth, actor, target):
    assert people.deactivate(actor, target)["active"] is False
    assert active(people, target) is False
    assert auth.told == [("deactivate", target)]


def test_deactivation_ends_sessions_through_auth_even_when_repeated(people, auth):
    people.deactivate("ada", "mo")
    people.deactivate("ada", "mo")
    assert auth.told == [("deactivate", "mo"), ("deactivate", "mo")]
    assert active(people, "mo") is False


@pytest.mark.parametrize("actor", ["mo", "gus"])
def test_members_and_guests_deactivate_nobody(people, auth, actor):
    with pytest.raises(Forbidden):
        people.deactivate(actor, "max")
    assert active(people, "max") is True and auth.told == []


def test_an_admin_cannot_deactivate_an_owner_or_another_admin(people, auth):
    people.set_role("olive", "max", "admin")
    for target in ("olive", "max"):
        with pytest.raises(Forbidden):
            people.deactivate("ada", target)
    assert active(people, "olive") and active(people, "max") and auth.told == []


def test_an_owner_deactivates_an_admin(people):
    assert people.deactivate("olive", "ada")["active"] is False


def test_the_last_active_owner_cannot_be_deactivated(people, auth):
    with pytest.raises(Forbidden):
        people.deactivate("olive", "olive")
    with pytest.raises(Forbidden):
        people.admin_deactivate("olive")
    assert active(people, "olive") is True and auth.told == []


def test_an_owner_is_deactivated_while_another_active_owner_remains(people):
    people.set_role("olive", "ada", "owner")
    assert people.deactivate("ada", "olive")["active"] is False
    with pytest.raises(Forbidden):  # now ada is the last active owner
        people.admin_deactivate("ada")


def test_a_deactivated_owner_does_not_count_as_the_active_owner(people):
    people.set_role("olive", "ada", "owner")
    people.deactivate("olive", "ada")
    with pytest.raises(Forbidden):
        people.set_role("olive", "olive", "member")


def test_reactivation_lets_someone_back_and_tells_auth(people, auth):
    people.deactivate("ada", "mo")
    assert people.reactivate("ada", "mo")["active"] is True
    assert auth.told == [("deactivate", "mo"), ("reactivate", "mo")]


def test_a_member_cannot_reactivate_anyone(people):
    people.deactivate("ada", "max")
    with pytest.raises(Forbidden):
        people.reactivate("mo", "max")
    assert active(people, "max") is False


def test_a_deactivated_person_can_act_on_nothing(people):
    people.set_role("olive", "max", "admin")
    people.deactivate("olive", "max")
    with pytest.raises(Forbidden):
        people.set_role("max", "mo", "guest")
    with pytest.raises(Forbidden):
        people.deactivate("max", "mo")
    with pytest.raises(Forbidden):
        people.update_profile("max", {"title": "still here"})
    with pytest.raises(Forbidden):
        people.directory("max")
    assert role_of(people, "mo") == "member"
