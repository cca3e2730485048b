"""Presence in Redis, for several workers: every worker reads and writes the same data,
and a change published by one reaches the broadcaster of every other.

Keys (one Redis, not a cluster: the scripts touch keys they compute):
- `dtk:presence:conns`      zset, connection id -> expiry (unix time)
- `dtk:presence:conn`       hash, connection id -> "<user id>|<socket id>"
- `dtk:presence:user:<id>`  zset, that user's connection ids -> expiry
- `dtk:presence:rooms`      set of LiveKit room names with someone in them
- `dtk:presence:room:<name>` hash, identity -> member JSON
- `dtk:presence:event:<id>`  a webhook event already taken (SET NX, expires)
- `dtk:presence:ledger:<name>` hash, "p:<identity>" -> newest applied event's time, "" -> the room's
  end, "*" -> newest in the room (expires): replays of older events are dropped
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterable

import redis.asyncio as redis
from redis.exceptions import RedisError, WatchError

from distokoloshe.presence import (
    CONNECTION_TTL_SECONDS,
    ROOM_RECORD,
    SEEN_EVENT_SECONDS,
    TOPICS,
    Connection,
    Member,
    known_topics,
    server_full,
    too_many_tabs,
)

log = logging.getLogger(__name__)
PREFIX = "dtk:presence:"
CONNS, CONN_INFO, ROOMS, CHANNEL = (PREFIX + "conns", PREFIX + "conn", PREFIX + "rooms",
                                    PREFIX + "changes")
# Published after the listener reconnects: Redis may have lost everything, rebuild.
RESYNC = "resync"


def _user_key(user_id: int | str) -> str:
    return f"{PREFIX}user:{user_id}"


def _room_key(room: str) -> str:
    return f"{PREFIX}room:{room}"


# Drops expired connections everywhere they are recorded.
_SWEEP = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, conn in ipairs(expired) do
  local info = redis.call('HGET', KEYS[2], conn)
  if info then
    redis.call('ZREM', ARGV[2] .. string.match(info, '^(%d+)|'), conn)
    redis.call('HDEL', KEYS[2], conn)
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return #expired
"""

# KEYS: conns, conn info, this user's zset. ARGV: conn, user, sid, now, expiry, max total,
# max per user, user key prefix. Returns 'ok', 'user' or 'total'. Atomic, so the caps
# hold however many workers admit connections at once.
_CONNECT = """
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[4])
local current = redis.call('HGET', KEYS[2], ARGV[1])
local current_user = current and string.match(current, '^(%d+)|')
if current_user ~= ARGV[2] then
  local others = redis.call('ZCARD', KEYS[1]) - (current and 1 or 0)
  if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return 'user' end
  if others >= tonumber(ARGV[6]) then return 'total' end
  if current_user then redis.call('ZREM', ARGV[8] .. current_user, ARGV[1]) end
end
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
redis.call('PEXPIRE', KEYS[3], math.ceil((ARGV[5] - ARGV[4]) * 2000))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 'ok'
"""

# KEYS: conns, conn info. ARGV: conn, sid, user key prefix. Only the socket that holds the
# connection may end it.
_DISCONNECT = """
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current then return 0 end
local user, sid = string.match(current, '^(%d+)|(.*)$')
if sid ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', ARGV[3] .. user, ARGV[1])
return 1
"""


# KEYS: the room's ledger. ARGV: identity, created at, "1" for the room's end, ttl (s), the
# room record's field. The same rule as presence.event_admission, atomic across workers.
_ADMIT = """
local created = tonumber(ARGV[2])
local newest = tonumber(redis.call('HGET', KEYS[1], '*') or '0')
if ARGV[3] == '1' then
  if created < newest then return 0 end
  local ended = tonumber(redis.call('HGET', KEYS[1], ARGV[5]) or '0')
  redis.call('HSET', KEYS[1], ARGV[5], math.max(ended, created))
else
  local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
  local ended = tonumber(redis.call('HGET', KEYS[1], ARGV[5]) or '0')
  if created < math.max(last, ended) then return 0 end
  redis.call('HSET', KEYS[1], ARGV[1], math.max(last, created))
end
redis.call('HSET', KEYS[1], '*', math.max(newest, created))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""


class RedisPresenceStore:
    def __init__(self, url: str, *, ttl: float = CONNECTION_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._redis = redis.Redis.from_url(url, decode_responses=True,
                                           health_check_interval=10, socket_timeout=5)
        self._sweep = self._redis.register_script(_SWEEP)
        self._connect = self._redis.register_script(_CONNECT)
        self._disconnect = self._redis.register_script(_DISCONNECT)
        self._admit = self._redis.register_script(_ADMIT)

    async def admit_event(self, event_id: str, room: str, identity: str, created_at: int,
                          *, room_finished: bool) -> bool:
        if event_id and not await self._redis.set(f"{PREFIX}event:{event_id}", "1", nx=True,
                                                  ex=SEEN_EVENT_SECONDS):
            return False
        return bool(await self._admit(
            keys=[f"{PREFIX}ledger:{room}"],
            args=["p:" + identity, int(created_at), "1" if room_finished else "0",
                  SEEN_EVENT_SECONDS, ROOM_RECORD]))

    async def connect(self, conn: Connection, *, max_total: int, max_per_user: int) -> None:
        now = time.time()
        await self._sweep(keys=[CONNS, CONN_INFO], args=[now, PREFIX + "user:"])
        verdict = await self._connect(
            keys=[CONNS, CONN_INFO, _user_key(conn.user_id)],
            args=[conn.conn_id, conn.user_id, conn.sid, now, now + self._ttl,
                  max_total, max_per_user, PREFIX + "user:"],
        )
        if verdict == "user":
            raise too_many_tabs(max_per_user)
        if verdict == "total":
            raise server_full(max_total)

    async def disconnect(self, conn_id: str, sid: str) -> bool:
        return bool(await self._disconnect(keys=[CONNS, CONN_INFO],
                                           args=[conn_id, sid, PREFIX + "user:"]))

    async def refresh(self, conns: Iterable[Connection]) -> None:
        # Writes everything, not just expiries, so data lost in a Redis restart comes back.
        expires = time.time() + self._ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for conn in conns:
                pipe.zadd(CONNS, {conn.conn_id: expires})
                pipe.zadd(_user_key(conn.user_id), {conn.conn_id: expires})
                pipe.pexpire(_user_key(conn.user_id), int(self._ttl * 2000))
                pipe.hset(CONN_INFO, conn.conn_id, f"{conn.user_id}|{conn.sid}")
            await pipe.execute()

    async def online_user_ids(self) -> frozenset[int]:
        await self._sweep(keys=[CONNS, CONN_INFO], args=[time.time(), PREFIX + "user:"])
        return frozenset(int(info.split("|", 1)[0])
                         for info in await self._redis.hvals(CONN_INFO))

    async def change_member(self, room: str, identity: str, change) -> bool:
        key = _room_key(room)
        for _attempt in range(10):  # optimistic: retried only if another worker wrote it
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.hget(key, identity)
                    before = Member.from_dict(json.loads(raw)) if raw else None
                    after = change(before)
                    if after == before:
                        return False
                    pipe.multi()
                    if after is None:
                        pipe.hdel(key, identity)
                    else:
                        pipe.hset(key, identity, json.dumps(after.as_dict()))
                        pipe.sadd(ROOMS, room)
                    await pipe.execute()
                    return True
                except WatchError:
                    continue
        raise RedisError(f"presence of room {room} kept changing under us")

    async def clear_room(self, room: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(_room_key(room))
            pipe.srem(ROOMS, room)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def replace_members(self, rooms: dict[str, list[Member]]) -> None:
        known = await self._redis.smembers(ROOMS)
        async with self._redis.pipeline(transaction=True) as pipe:
            for room in known:
                pipe.delete(_room_key(room))
            pipe.delete(ROOMS)
            for room, members in rooms.items():
                if members:
                    pipe.hset(_room_key(room), mapping={
                        m.identity: json.dumps(m.as_dict()) for m in members})
                    pipe.sadd(ROOMS, room)
            await pipe.execute()

    async def members(self) -> dict[str, list[Member]]:
        names = sorted(await self._redis.smembers(ROOMS))
        async with self._redis.pipeline(transaction=False) as pipe:
            for room in names:
                pipe.hvals(_room_key(room))
            values = await pipe.execute()
        return {room: [Member.from_dict(json.loads(raw)) for raw in raws]
                for room, raws in zip(names, values, strict=True) if raws}

    async def publish(self, topics: Iterable[str]) -> None:
        await self._redis.publish(CHANNEL, ",".join(sorted(known_topics(topics))))

    async def set_live(self, key: str, value_json: str) -> None:
        await self._redis.hset(f"{PREFIX}live", key, value_json)

    async def live_values(self) -> dict[str, str]:
        return await self._redis.hgetall(f"{PREFIX}live")

    async def add_live(self, key: str, delta: int) -> int:
        # an integer's JSON is its decimal string, so Redis can add to it atomically
        return int(await self._redis.hincrby(f"{PREFIX}live", key, delta))

    async def changes(self) -> AsyncIterator[frozenset[str]]:
        """Every worker's change notifications; after a lost connection, a resync."""
        delay = 0.5
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if delay > 0.5:
                        yield frozenset({RESYNC, *TOPICS})
                    delay = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            yield known_topics(str(message["data"]).split(","))
            except (RedisError, OSError) as error:
                log.warning("presence: lost Redis (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        await self._redis.aclose()
