"""Rate limits with REFLEX_REDIS_URL set: every worker counts against the same window (logins,
registrations, and room creations per user)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap

import pytest
from limits.storage import MemoryStorage, RedisStorage
from sqlmodel import Session

from distokoloshe import db, ratelimit, rooms
from distokoloshe.models import User
from tests.support.appenv import reset_caches

IP = "198.51.100.7"


def new_worker():
    """A fresh limiter, as a newly started worker process builds one."""
    ratelimit._limiter.cache_clear()
    return ratelimit._limiter()


def test_limiter_uses_redis_when_reflex_redis_url_is_set(redis_url, redis_client):
    assert isinstance(new_worker().storage, RedisStorage)
    assert ratelimit.hit_login(IP) is None
    assert redis_client.keys("*login*"), "the attempt was not counted in Redis"


def test_two_workers_share_the_login_window(redis_url):
    first = new_worker()
    for _ in range(10):
        assert ratelimit.hit_login(IP) is None
    second = new_worker()
    assert second is not first
    for _ in range(10):
        assert ratelimit.hit_login(IP) is None
    third = new_worker()
    refusal = ratelimit.hit_login(IP)
    assert refusal is not None, "the 21st attempt, made on a third worker, was allowed"
    assert third is not second
    assert 880 <= refusal.retry_after_seconds <= 900
    message = refusal.message("login")
    assert "Try again in 15 minutes" in message


def test_requests_alternating_between_two_workers_share_the_window(redis_url, monkeypatch):
    workers = [new_worker(), new_worker()]
    assert workers[0] is not workers[1]
    turns = itertools.cycle(workers)
    monkeypatch.setattr(ratelimit, "_limiter", lambda: next(turns))
    results = [ratelimit.hit_login(IP) for _ in range(21)]
    assert results[:20] == [None] * 20
    assert results[20] is not None
    # Both workers refuse from now on.
    assert ratelimit.hit_login(IP) is not None
    assert ratelimit.hit_login(IP) is not None


def test_registration_window_is_shared_and_says_when_to_retry(redis_url):
    for _ in range(3):
        new_worker()
        assert ratelimit.hit_registration(IP) is None
    new_worker()
    assert ratelimit.hit_registration(IP) is None
    assert ratelimit.hit_registration(IP) is None
    new_worker()
    refusal = ratelimit.hit_registration(IP)
    assert refusal is not None
    assert 3580 <= refusal.retry_after_seconds <= 3600
    assert "minutes" in refusal.message("registration")


def test_ips_are_independent_across_workers(redis_url):
    for _ in range(21):
        ratelimit.hit_login(IP)
    new_worker()
    assert ratelimit.hit_login(IP) is not None
    assert ratelimit.hit_login("198.51.100.8") is None


def test_a_separate_worker_process_counts_in_the_same_window(redis_url):
    """A real second Python process (a second worker) spends 15 attempts; we get 5 more."""
    script = textwrap.dedent("""
        import json
        from distokoloshe.settings import Settings
        Settings.model_config["env_file"] = None
        from distokoloshe import ratelimit
        print(json.dumps([ratelimit.hit_login("%s") is None for _ in range(15)]))
    """ % IP)
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=env, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True] * 15
    reset_caches()
    assert [ratelimit.hit_login(IP) for _ in range(5)] == [None] * 5
    refusal = ratelimit.hit_login(IP)
    assert refusal is not None and "minutes" in refusal.message("login")


def test_without_redis_each_worker_counts_alone(monkeypatch):
    """The contrast: in-process storage does not share (one worker is all it supports)."""
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    assert isinstance(new_worker().storage, MemoryStorage)
    for _ in range(20):
        ratelimit.hit_login(IP)
    assert ratelimit.hit_login(IP) is not None
    new_worker()
    assert ratelimit.hit_login(IP) is None


@pytest.mark.parametrize("key_part", ["login", "register"])
def test_limits_expire_by_themselves_in_redis(redis_url, redis_client, key_part):
    hit = ratelimit.hit_login if key_part == "login" else ratelimit.hit_registration
    assert hit(IP) is None
    [key] = redis_client.keys(f"*{key_part}*")
    ttl = redis_client.ttl(key)
    limit = 15 * 60 if key_part == "login" else 3600
    assert 0 < ttl <= limit, "rate-limit keys must not live forever in Redis"


def test_room_creation_window_is_shared_by_the_workers(redis_url, redis_client):
    """ROOM_CREATE_RATE_LIMIT per user: creations through different workers add up."""
    for _ in range(5):
        new_worker()
        assert ratelimit.hit_room_creation(42) is None
        assert ratelimit.hit_room_creation(42) is None
    new_worker()
    refusal = ratelimit.hit_room_creation(42)
    assert refusal is not None and refusal.retry_after_seconds <= 60
    assert ratelimit.hit_room_creation(43) is None
    [key] = redis_client.keys("*room-create*42*")
    assert 0 < redis_client.ttl(key) <= 60


def test_room_creation_limit_holds_across_worker_processes(redis_url, tmp_path):
    """Two real worker processes create rooms for one user in one database at once: together
    they get exactly the ten a minute allows."""
    db_url = f"sqlite:///{tmp_path / 'rooms.db'}"
    db.migrate(db_url)
    engine = db.make_engine(db_url)
    with Session(engine) as session:
        user = User(username="maker", username_key="maker", display_name="Maker",
                    password_hash="unused")
        session.add(user)
        session.commit()
        user_id = user.id
    engine.dispose()
    script = textwrap.dedent("""
        import json, sys
        from distokoloshe.settings import Settings
        Settings.model_config["env_file"] = None
        from distokoloshe import calls, db
        from distokoloshe.models import User
        made = 0
        for n in range(10):
            try:
                with db.session_scope() as session:
                    calls.create_and_enter(session=session, user=session.get(User, %d),
                                           name=f"{sys.argv[1]} {n}")
                made += 1
            except calls.CreatingTooFast:
                pass
        print(json.dumps(made))
    """ % user_id)
    env = {**os.environ, "DATABASE_URL": db_url}
    workers = [subprocess.Popen([sys.executable, "-c", script, name], stdout=subprocess.PIPE,
                                text=True, env=env) for name in ("East", "West")]
    made = [json.loads(worker.communicate(timeout=120)[0].strip().splitlines()[-1])
            for worker in workers]
    assert sum(made) == 10, made
    engine = db.make_engine(db_url)
    with Session(engine) as session:
        assert rooms.rooms_owned(session=session, user=session.get(User, user_id)) == 10
    engine.dispose()
