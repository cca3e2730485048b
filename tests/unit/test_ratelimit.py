"""Login and registration rate limits per client IP (in-process storage)."""

from __future__ import annotations

import time

import pytest
from limits.storage import MemoryStorage

from distokoloshe import ratelimit
from distokoloshe.ratelimit import Refusal
from distokoloshe.settings import get_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "time", fake)  # the limiter's storage and ratelimit both read it
    return fake


def hit_many(hit, ip: str, count: int) -> list[Refusal | None]:
    return [hit(ip) for _ in range(count)]


def test_default_storage_is_in_process():
    assert isinstance(ratelimit._limiter().storage, MemoryStorage)


def test_twenty_logins_are_allowed_then_the_21st_is_refused(clock):
    assert hit_many(ratelimit.hit_login, "198.51.100.7", 20) == [None] * 20
    refusal = ratelimit.hit_login("198.51.100.7")
    assert isinstance(refusal, Refusal)
    assert 890 <= refusal.retry_after_seconds <= 900
    message = refusal.message("login")
    assert "login" in message and "15 minutes" in message


def test_login_refusal_lasts_fifteen_minutes(clock):
    hit_many(ratelimit.hit_login, "198.51.100.7", 20)
    clock.advance(60)
    assert ratelimit.hit_login("198.51.100.7") is not None
    clock.advance(15 * 60 - 1 - 60)  # 14:59 after the attempts
    refusal = ratelimit.hit_login("198.51.100.7")
    assert refusal is not None and refusal.retry_after_seconds <= 2
    clock.advance(2)  # 15:01
    assert ratelimit.hit_login("198.51.100.7") is None


def test_spread_out_attempts_free_up_one_by_one(clock):
    for _ in range(20):
        assert ratelimit.hit_login("198.51.100.7") is None
        clock.advance(30)  # 20 attempts over 10 minutes
    refusal = ratelimit.hit_login("198.51.100.7")
    assert refusal is not None
    # The oldest attempt leaves the 15-minute window 5 minutes from now.
    assert 5 * 60 - 5 <= refusal.retry_after_seconds <= 5 * 60
    assert "5 minutes" in refusal.message("login")
    clock.advance(5 * 60 + 1)
    assert ratelimit.hit_login("198.51.100.7") is None
    assert ratelimit.hit_login("198.51.100.7") is not None


def test_five_registrations_per_hour(clock):
    assert hit_many(ratelimit.hit_registration, "198.51.100.7", 5) == [None] * 5
    refusal = ratelimit.hit_registration("198.51.100.7")
    assert refusal is not None
    assert 3590 <= refusal.retry_after_seconds <= 3600
    assert "minutes" in refusal.message("registration")
    clock.advance(59 * 60)
    assert ratelimit.hit_registration("198.51.100.7") is not None
    clock.advance(61)
    assert ratelimit.hit_registration("198.51.100.7") is None


def test_separate_ips_are_independent(clock):
    hit_many(ratelimit.hit_login, "198.51.100.7", 21)
    assert ratelimit.hit_login("198.51.100.7") is not None
    assert ratelimit.hit_login("198.51.100.8") is None
    assert ratelimit.hit_login("2001:db8::1") is None
    hit_many(ratelimit.hit_registration, "2001:db8::1", 5)
    assert ratelimit.hit_registration("2001:db8::1") is not None
    assert ratelimit.hit_registration("2001:db8::2") is None


def test_login_and_registration_are_counted_separately(clock):
    hit_many(ratelimit.hit_login, "198.51.100.7", 21)
    assert ratelimit.hit_registration("198.51.100.7") is None
    hit_many(ratelimit.hit_registration, "198.51.100.9", 6)
    assert ratelimit.hit_login("198.51.100.9") is None


def test_a_client_without_an_ip_is_still_limited(clock):
    assert hit_many(ratelimit.hit_login, "", 20) == [None] * 20
    assert ratelimit.hit_login("") is not None


def test_operator_can_change_the_policy(monkeypatch, clock):
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "3/minute")
    get_settings.cache_clear()
    assert hit_many(ratelimit.hit_login, "198.51.100.7", 3) == [None] * 3
    refusal = ratelimit.hit_login("198.51.100.7")
    assert refusal is not None and refusal.retry_after_seconds <= 60


def test_connection_checks_are_limited_per_address(monkeypatch, clock):
    monkeypatch.setenv("CONNECTION_CHECK_RATE_LIMIT", "2/hour")
    get_settings.cache_clear()
    assert hit_many(ratelimit.hit_connection_check, "203.0.113.77", 2) == [None, None]
    refusal = ratelimit.hit_connection_check("203.0.113.77")
    assert refusal is not None and 3590 <= refusal.retry_after_seconds <= 3600
    assert ratelimit.hit_connection_check("203.0.113.78") is None  # another address


@pytest.mark.parametrize(
    "seconds, wait",
    [(900, "15 minutes"), (3600, "60 minutes"), (61, "2 minutes"), (60, "1 minute."),
     (45, "45 seconds")],
)
def test_refusal_message_says_when_to_retry(seconds, wait):
    message = Refusal(seconds).message("login")
    assert message.startswith("Too many login attempts")
    assert f"Try again in {wait}" in message


def test_event_budget_allows_a_burst_then_its_rate_and_counts_what_it_refuses():
    from distokoloshe.ratelimit import EventBudget

    budget = EventBudget(rate=10, burst=5)
    assert all(budget.allow(100.0) for _ in range(5))
    assert not budget.allow(100.0)
    assert budget.dropped == 1
    assert abs(budget.seconds_until_next() - 0.1) < 1e-9
    assert budget.allow(100.11)         # refilled one event's worth
    assert not budget.allow(100.11)
    assert all(budget.allow(200.0) for _ in range(5))   # never more than the burst
    assert not budget.allow(200.0)
    assert budget.dropped == 3


def test_ten_room_creations_a_minute_per_user(clock):
    assert hit_many(ratelimit.hit_room_creation, 7, 10) == [None] * 10
    refusal = ratelimit.hit_room_creation(7)
    assert refusal is not None and 59 <= refusal.retry_after_seconds <= 60
    assert ratelimit.hit_room_creation(8) is None       # per user
    assert ratelimit.hit_login("7") is None             # its own window
    clock.advance(61)
    assert ratelimit.hit_room_creation(7) is None


def test_a_rate_limit_setting_that_does_not_parse_is_refused_at_start(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("ROOM_CREATE_RATE_LIMIT", "lots")
    get_settings.cache_clear()
    with pytest.raises(ValidationError, match=r"ROOM_CREATE_RATE_LIMIT|room_create_rate_limit"):
        get_settings()


def test_chat_allows_five_messages_in_ten_seconds_per_user(clock):
    assert hit_many(ratelimit.hit_chat, 7, 5) == [None] * 5
    refusal = ratelimit.hit_chat(7)
    assert refusal is not None and refusal.retry_after_seconds <= 10
    assert ratelimit.hit_chat(8) is None  # another user is counted apart
    clock.advance(10.5)
    assert ratelimit.hit_chat(7) is None


def test_every_chat_window_must_have_room(monkeypatch, clock):
    monkeypatch.setenv("CHAT_RATE_LIMITS", "2/10 seconds; 3/minute")
    get_settings.cache_clear()
    assert hit_many(ratelimit.hit_chat, 7, 2) == [None] * 2
    assert ratelimit.hit_chat(7) is not None          # the 10-second window
    clock.advance(11)
    assert ratelimit.hit_chat(7) is None
    clock.advance(11)
    refusal = ratelimit.hit_chat(7)                    # the minute's window
    assert refusal is not None and 30 < refusal.retry_after_seconds <= 60
