"""services/auth/throttle.py: failed logins back off exponentially per account and
per client IP; a locked login is refused without checking the password; success
forgets the account's failures."""
from __future__ import annotations

import pytest

from services.auth.settings import AuthSettings, ThrottleSettings
from services.auth.throttle import account_id, lock_seconds
from services.common.errors import RateLimited, Unauthenticated

PASSWORD = "correct horse battery"
LIMITS = ThrottleSettings(account_failures=5, ip_failures=100, base_delay=1, max_delay=900)


@pytest.fixture
def ada(auth):
    return auth.register("ada@example.com", PASSWORD, "Ada")["user_id"]


def fail(auth, times, email="ada@example.com", ip="198.51.100.7"):
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            auth.login(email, "wrong password!", ip)


def unlock(redis, kind="account", ident=None):
    """Let the lock's time pass (the counter stays)."""
    redis.delete(f"parley:auth:login-locked:{kind}:{ident or account_id('ada@example.com')}")


def test_the_lock_doubles_with_each_failure_past_the_limit_up_to_the_maximum():
    assert [lock_seconds(n, 5, LIMITS) for n in range(1, 11)] == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32]
    assert lock_seconds(15, 5, LIMITS) == 900
    assert lock_seconds(10_000, 5, LIMITS) == 900


def test_four_failures_are_free(auth, ada):
    fail(auth, 4)
    assert auth.login("ada@example.com", PASSWORD, "198.51.100.7")["user_id"] == ada


def test_after_five_failures_even_the_right_password_is_rate_limited(auth, ada):
    fail(auth, 5)
    with pytest.raises(RateLimited) as caught:
        auth.login("ada@example.com", PASSWORD, "198.51.100.7")
    assert caught.value.code == "rate_limited" and caught.value.status == 429
    assert caught.value.retry_after == 1


def test_each_further_failure_locks_for_longer(auth, redis, ada):
    fail(auth, 5)
    unlock(redis)
    fail(auth, 1)
    with pytest.raises(RateLimited) as caught:
        auth.login("ada@example.com", PASSWORD)
    assert caught.value.retry_after == 2
    unlock(redis)
    fail(auth, 1)
    with pytest.raises(RateLimited) as caught:
        auth.login("ada@example.com", PASSWORD)
    assert caught.value.retry_after == 4


def test_a_locked_login_does_not_count_as_another_failure(auth, redis, ada):
    fail(auth, 5)
    for _ in range(3):
        with pytest.raises(RateLimited):
            auth.login("ada@example.com", "wrong password!")
    assert int(redis.get(f"parley:auth:login-failures:account:{account_id('ada@example.com')}")) == 5


def test_success_after_the_lock_forgets_the_accounts_failures(auth, redis, ada):
    fail(auth, 5)
    unlock(redis)
    auth.login("ada@example.com", PASSWORD)
    fail(auth, 4)  # four free failures again, no lock
    assert auth.login("ada@example.com", PASSWORD)["user_id"] == ada


def test_an_unknown_address_is_throttled_like_a_registered_one(auth):
    fail(auth, 5, email="nobody@example.com")
    with pytest.raises(RateLimited):
        auth.login("nobody@example.com", PASSWORD)


def test_the_account_lock_holds_whatever_ip_the_guesses_come_from(auth, ada):
    for n in range(5):
        fail(auth, 1, ip=f"203.0.113.{n}")
    with pytest.raises(RateLimited):
        auth.login("ada@example.com", PASSWORD, "192.0.2.200")


def test_many_failures_from_one_ip_lock_that_ip_for_every_account(auth, ada):
    for n in range(100):
        fail(auth, 1, email=f"target{n}@example.com", ip="203.0.113.66")
    with pytest.raises(RateLimited):
        auth.login("ada@example.com", PASSWORD, "203.0.113.66")
    assert auth.login("ada@example.com", PASSWORD, "192.0.2.1")["user_id"] == ada


def test_success_does_not_forget_the_ips_failures(auth, redis, ada):
    fail(auth, 3, ip="203.0.113.9")
    auth.login("ada@example.com", PASSWORD, "203.0.113.9")
    assert int(redis.get("parley:auth:login-failures:ip:203.0.113.9")) == 3


def test_failure_counters_expire_after_the_window(auth, redis, ada):
    fail(auth, 2)
    key = f"parley:auth:login-failures:account:{account_id('ada@example.com')}"
    assert 0 < redis.ttl(key) <= 900
    assert redis.ttl("parley:auth:login-failures:ip:198.51.100.7") > 0


def test_the_account_counter_is_keyed_by_a_digest_not_the_address(auth, redis, ada):
    fail(auth, 1)
    assert not any("ada@example.com" in key for key in redis.keys("*"))


def test_limits_come_from_the_settings(auth, redis, ada, monkeypatch):
    monkeypatch.setattr(auth, "settings", AuthSettings(throttle=ThrottleSettings(
        account_failures=2, base_delay=30)))
    fail(auth, 2)
    with pytest.raises(RateLimited) as caught:
        auth.login("ada@example.com", PASSWORD)
    assert 29 <= caught.value.retry_after <= 30
