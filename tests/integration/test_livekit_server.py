"""Tokens and webhooks against a real LiveKit server on loopback, with the Python SDK as a peer."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from livekit import api, rtc

from distokoloshe import livekit_admin, livekit_tokens, webhooks
from distokoloshe.models import Room, User
from distokoloshe.settings import Settings
from tests.support.livekit_server import LiveKitServer


@pytest.fixture(scope="module")
def livekit(tmp_path_factory):
    server = LiveKitServer(workdir=tmp_path_factory.mktemp("livekit")).start()
    yield server
    server.stop()


@pytest.fixture
def settings(livekit) -> Settings:
    return Settings(_env_file=None, livekit_url=livekit.url, livekit_api_key=livekit.api_key,
                    livekit_api_secret=livekit.api_secret, jwt_secret="x" * 40)


def _user(user_id: int) -> User:
    return User(id=user_id, username=f"u{user_id}", username_key=f"u{user_id}",
                display_name=f"User {user_id}", password_hash="x")


def _room(room_id: int) -> Room:
    return Room(id=room_id, name=f"R{room_id}", name_key=f"r{room_id}", owner_id=1)


async def _connect(url: str, token: str) -> rtc.Room:
    room = rtc.Room()
    await asyncio.wait_for(room.connect(url, token), timeout=15)
    return room


async def test_minted_token_joins_exactly_its_room(livekit, settings):
    peer = await _connect(livekit.url, livekit_tokens.mint_join_token(_user(5), _room(11),
                                                                      settings=settings))
    try:
        assert peer.name == "room-11"
        assert await livekit_admin.list_participant_identities(11, settings=settings) == ["5"]
        assert await livekit_admin.list_participant_identities(12, settings=settings) == []
    finally:
        await peer.disconnect()


async def test_server_refuses_expired_and_tampered_tokens(livekit, settings):
    grants = api.VideoGrants(room_join=True, room="room-1")
    expired = (api.AccessToken(livekit.api_key, livekit.api_secret).with_identity("9")
               .with_grants(grants).with_ttl(timedelta(seconds=-60)).to_jwt())
    with pytest.raises(rtc.ConnectError):
        await _connect(livekit.url, expired)

    good = livekit_tokens.mint_join_token(_user(9), _room(1), settings=settings)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["video"]["room"] = "room-2"  # try to walk into another room
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(rtc.ConnectError):
        await _connect(livekit.url, f"{header}.{forged_payload}.{signature}")

    signed_elsewhere = (api.AccessToken(livekit.api_key, "another secret " * 3)
                        .with_identity("9").with_grants(grants).to_jwt())
    with pytest.raises(rtc.ConnectError):
        await _connect(livekit.url, signed_elsewhere)
    assert await livekit_admin.list_participant_identities(2, settings=settings) == []


async def test_closing_a_room_disconnects_its_participants(livekit, settings):
    peer = await _connect(livekit.url, livekit_tokens.mint_join_token(_user(3), _room(21),
                                                                      settings=settings))
    gone = asyncio.Event()
    peer.on("disconnected", lambda *_: gone.set())
    assert await livekit_admin.close_room(21, settings=settings) is True
    await asyncio.wait_for(gone.wait(), timeout=10)
    assert await livekit_admin.close_room(999, settings=settings) is True  # nobody there


async def test_unreachable_livekit_is_reported_not_raised(settings):
    offline = settings.model_copy(update={"livekit_url": "ws://127.0.0.1:9"})
    assert await livekit_admin.close_room(1, settings=offline) is False


def _signed(body: bytes, key: str, secret: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return api.AccessToken(key, secret).with_sha256(digest).to_jwt()


def test_webhook_verification_accepts_only_livekit_signed_bodies(livekit, settings):
    body = json.dumps({"event": "participant_joined", "room": {"name": "room-4"},
                       "participant": {"identity": "8"}, "id": "EV_1", "createdAt": 1}).encode()
    event = webhooks.verify(body, _signed(body, livekit.api_key, livekit.api_secret),
                            settings=settings)
    assert (event.kind, event.room_name, event.identity) == ("participant_joined", "room-4", "8")

    for authorization in ("", "Bearer nonsense", _signed(body, livekit.api_key, "wrong" * 8),
                          _signed(body + b" ", livekit.api_key, livekit.api_secret)):
        with pytest.raises(webhooks.ForgedWebhook):
            webhooks.verify(body, authorization, settings=settings)
    tampered = body.replace(b"room-4", b"room-5")
    with pytest.raises(webhooks.ForgedWebhook):
        webhooks.verify(tampered, _signed(body, livekit.api_key, livekit.api_secret),
                        settings=settings)


def _listening_addresses(process_group: int) -> set[str]:
    """The local addresses of every TCP socket the processes of a group listen on."""
    inodes = set()
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if os.getpgid(int(proc.name)) != process_group:
                continue
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    host = str(ipaddress.IPv4Address(raw[::-1]))
                else:  # four little-endian 32-bit words
                    host = str(ipaddress.IPv6Address(b"".join(
                        raw[i:i + 4][::-1] for i in range(0, 16, 4))))
                addresses.add(f"{host}:{int(port, 16)}")
    return addresses


def test_the_dev_servers_signalling_is_on_loopback_and_its_ice_tcp_port_is_closed(livekit):
    """The dev server is for this machine only: signalling on loopback, and no ICE/TCP
    listener (LiveKit binds that one to every interface, so dev mode turns it off)."""
    listening = _listening_addresses(livekit.process.pid)
    ports = {int(a.rsplit(":", 1)[1]): a.rsplit(":", 1)[0] for a in listening}
    assert ports.get(livekit.port) == "127.0.0.1", listening
    tcp_port = int(livekit.env["LIVEKIT_RTC_TCP_PORT"])
    assert tcp_port not in ports, listening
