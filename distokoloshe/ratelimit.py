"""Rate limits for login, registration and the connection check, per client IP, and for
creating rooms and sending chat messages, per user, through the `limits` library.

Memory storage in the single-process default; Redis storage when REFLEX_REDIS_URL is
set, so every worker counts against the same window.

Also the event budget of one websocket (see realtime/flood_guard.py): a socket lives in one
worker, so that one is a plain token bucket in that worker's memory.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from distokoloshe.settings import get_settings


@dataclasses.dataclass(frozen=True)
class Refusal:
    retry_after_seconds: int

    @property
    def wait(self) -> str:
        """How long until the next attempt is allowed, for people: "45 seconds", "2 minutes"."""
        minutes = math.ceil(self.retry_after_seconds / 60)
        seconds = self.retry_after_seconds
        return (f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 60
                else f"{minutes} minute{'s' if minutes != 1 else ''}")

    def message(self, action: str) -> str:
        return f"Too many {action} attempts from your network. Try again in {self.wait}."


@functools.cache
def _limiter() -> MovingWindowRateLimiter:
    redis_url = get_settings().reflex_redis_url
    storage = storage_from_string(redis_url if redis_url else "memory://")
    return MovingWindowRateLimiter(storage)


def _hit(policy: str, scope: str, client_ip: str) -> Refusal | None:
    limit = parse(policy)
    limiter = _limiter()
    if limiter.hit(limit, scope, client_ip or "unknown"):
        return None
    reset_at, _remaining = limiter.get_window_stats(limit, scope, client_ip or "unknown")
    return Refusal(max(1, math.ceil(reset_at - time.time())))


def hit_login(client_ip: str) -> Refusal | None:
    return _hit(get_settings().login_rate_limit, "login", client_ip)


def hit_registration(client_ip: str) -> Refusal | None:
    return _hit(get_settings().register_rate_limit, "register", client_ip)


def hit_connection_check(client_ip: str) -> Refusal | None:
    return _hit(get_settings().connection_check_rate_limit, "connection-check", client_ip)


def hit_room_creation(user_id: int) -> Refusal | None:
    """One room created by this user (per account, whichever address or tab it comes from)."""
    return _hit(get_settings().room_create_rate_limit, "room-create", str(user_id))


def hit_chat(user_id: int) -> Refusal | None:
    """One chat message by this user: every CHAT_RATE_LIMITS window must have room."""
    for policy in get_settings().chat_rate_limits.split(";"):
        refusal = _hit(policy.strip(), "chat", str(user_id))
        if refusal is not None:
            return refusal
    return None


def hit_extension(extension: str, policy: str, key: str) -> Refusal | None:
    """One action of an extension's own (`policy` in `limits` notation, per `key`)."""
    return _hit(policy, f"extension:{extension}", key)


@dataclasses.dataclass
class EventBudget:
    """How many events one websocket may still send: `burst` at once, refilled at `rate` a
    second. `dropped` counts the events it refused."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = 0.0
    dropped: int = 0

    def allow(self, now: float) -> bool:
        if self.tokens < 0:  # the first event
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.dropped += 1
        return False

    def seconds_until_next(self) -> float:
        return max(0.0, (1 - self.tokens) / self.rate)


@dataclasses.dataclass
class ReportBudget:
    """How many reports (log entries a client asks for) one worker writes a window: so many
    per reporter and so many in all. `suppressed` counts the window's refusals."""

    per_reporter: int
    in_all: int
    window_seconds: float = 60.0
    started: float = -math.inf
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    total: int = 0
    suppressed: int = 0

    def allow(self, reporter: str, now: float) -> bool:
        if now - self.started >= self.window_seconds:  # a new window; forget the old one
            self.started, self.counts, self.total, self.suppressed = now, {}, 0, 0
        count = self.counts.get(reporter, 0)
        if self.total >= self.in_all or count >= self.per_reporter:
            self.suppressed += 1
            return False
        self.counts[reporter] = count + 1
        self.total += 1
        return True
