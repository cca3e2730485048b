"""LiveKit on two nodes: two server processes on loopback (their own ports and UDP ranges)
share one Redis, which places each room on one node and routes signalling to it from either.

The app reaches LiveKit through a loopback load balancer (tests/support/tcp_proxy.py: the
first node, the second when the first refuses), as an operator would put one in front of
two hosts; both nodes send their webhooks to the app. Python peers join with the app's own
join tokens, and a raw lobby client watches presence as a tab would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import time
from collections.abc import Iterator

import pytest
from livekit import rtc
from sqlmodel import select

from distokoloshe import livekit_admin, livekit_tokens
from distokoloshe.models import Room, User
from distokoloshe.state.presence import PresenceState
from distokoloshe.state.rooms import RoomsState
from tests.faults.conftest import Stack, start_stack, stop_stack
from tests.support.livekit_server import LiveKitServer
from tests.support.peer import TonePeer
from tests.support.ports import free_port
from tests.support.reflex_client import ReflexClient
from tests.support.servers import redis_server
from tests.support.tcp_proxy import CuttableProxy

ROOMS, PRESENCE = RoomsState.get_full_name(), PresenceState.get_full_name()
PLACEMENT_TRIES = 16  # rooms land on a random node: both are used with p = 1 - 2^-15
RECOVERY_SECONDS = 60


class Cluster:
    def __init__(self, stack: Stack, balancer: CuttableProxy, redis_address: str,
                 workdir) -> None:
        self.stack, self.balancer = stack, balancer
        self.redis_address, self.workdir = redis_address, workdir
        self.nodes: list[LiveKitServer] = []

    def start_nodes(self) -> list[LiveKitServer]:
        key = self.stack.settings.livekit_api_key.get_secret_value()
        secret = self.stack.settings.livekit_api_secret.get_secret_value()
        tag = secrets.token_hex(2)
        self.nodes = []
        for name in ("a", "b"):
            workdir = self.workdir / f"{name}-{tag}"
            workdir.mkdir()
            self.nodes.append(LiveKitServer(
                workdir=workdir, api_key=key, api_secret=secret,
                webhook_url=f"http://127.0.0.1:{self.stack.port}/api/livekit/webhook",
                extra_env={"LIVEKIT_REDIS_ADDRESS": self.redis_address}).start())
        self.balancer.upstream_port = self.nodes[0].port
        self.balancer.fallback_ports = (self.nodes[1].port,)
        return self.nodes

    def stop_nodes(self) -> None:
        for node in self.nodes:
            node.stop()

    @property
    def url(self) -> str:
        """The balancer's address: what the app hands out."""
        return f"ws://127.0.0.1:{self.balancer.port}"

    def host_of(self, room: Room) -> LiveKitServer | None:
        """The node whose log shows the room's participants (a room lives on one node)."""
        return next((node for node in self.nodes if hosted(node, room)), None)


def hosted(node: LiveKitServer, room: Room) -> bool:
    """The node's log names the room: its participants' sessions ran there."""
    marker = f'"room": "{livekit_tokens.livekit_room_name(room.id)}"'
    return marker in node.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("livekit-nodes")
    balancer = CuttableProxy(upstream_port=free_port()).start()
    with redis_server() as redis_url:
        stack = start_stack(workdir, with_livekit=False, port=free_port(),
                            LIVEKIT_URL=f"ws://127.0.0.1:{balancer.port}",
                            LIVEKIT_API_KEY="APInodes" + secrets.token_hex(4),
                            LIVEKIT_API_SECRET=secrets.token_urlsafe(36),
                            ROOM_CREATE_RATE_LIMIT="100/minute")
        try:
            yield Cluster(stack, balancer, redis_url.split("//")[1].rsplit("/", 1)[0],
                          workdir)
        finally:
            stop_stack(stack)
            balancer.stop()


@pytest.fixture
def nodes(cluster) -> Iterator[list[LiveKitServer]]:
    try:
        yield cluster.start_nodes()
    finally:
        cluster.stop_nodes()


async def _new_room(cluster: Cluster, watcher: ReflexClient) -> Room:
    name = f"Node {secrets.token_hex(3)}"
    await watcher.send(f"{ROOMS}.create_room", {"form_data": {"room_name": name}})
    await watcher.wait_for(lambda: any(r["name"] == name
                                       for r in watcher.value(PRESENCE, "rooms") or []), 10)
    with cluster.stack.db() as session:
        return session.exec(select(Room).where(Room.name == name)).one()


async def _join(cluster: Cluster, url: str, user: User, room: Room, frequency: float
                ) -> TonePeer:
    token = livekit_tokens.mint_join_token(user, room, settings=cluster.stack.settings)
    peer = await TonePeer().connect(url, token)
    await peer.publish_tone(frequency)
    return peer


async def _hears(peer: TonePeer, user: User, frequency: float, *, since: float,
                 timeout: float) -> bool:
    """`peer` heard at least half a second of `user`'s tone at `frequency` after `since`."""
    identity = livekit_tokens.participant_identity(user.id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if peer.tone_frames(identity, since, frequency) >= 50:
            return True
        await asyncio.sleep(0.1)
    return False


def _in_call(watcher: ReflexClient, room: Room) -> list[str]:
    return sorted(member["name"] for member in watcher.call_of(PRESENCE, room.id))


async def _wait_disconnected(peer: TonePeer, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while peer.room.connection_state != rtc.ConnectionState.CONN_DISCONNECTED:
        assert time.monotonic() < deadline, "the participant is still connected"
        await asyncio.sleep(0.1)


async def test_rooms_on_both_nodes_share_calls_presence_and_admin(cluster, nodes):
    stack = cluster.stack
    first, second = nodes
    watcher = await stack.signed_in(stack.user("Watcher"))
    ada, bo = stack.user("Ada"), stack.user("Bo")
    placed: dict[int, tuple[Room, TonePeer]] = {}  # node port -> a room there, Ada in it
    peers: list[TonePeer] = []
    try:
        # Ada joins new rooms through the first node's own URL until each node hosts one.
        for _ in range(PLACEMENT_TRIES):
            room = await _new_room(cluster, watcher)
            ada_peer = await _join(cluster, first.url, ada, room, 440)
            peers.append(ada_peer)
            deadline = time.monotonic() + 10
            while (host := cluster.host_of(room)) is None:
                assert time.monotonic() < deadline, "no node logged the room"
                await asyncio.sleep(0.1)
            placed.setdefault(host.port, (room, ada_peer))
            if len(placed) == 2:
                break
        assert len(placed) == 2, f"all {PLACEMENT_TRIES} rooms landed on one node"

        # Bo joins each through the second node's URL: one call either way, sound both ways.
        calls = []
        for room, ada_peer in placed.values():
            since = time.monotonic()
            bo_peer = await _join(cluster, second.url, bo, room, 660)
            peers.append(bo_peer)
            assert await _hears(bo_peer, ada, 440, since=since, timeout=15), \
                f"Bo did not hear Ada in a room on port {cluster.host_of(room).port}"
            assert await _hears(ada_peer, bo, 660, since=since, timeout=15), \
                "Ada did not hear Bo"
            calls.append((room, ada_peer, bo_peer))
        # Webhooks from both nodes: the lobby shows both calls.
        for room, _ada_peer, _bo_peer in calls:
            await watcher.wait_for(lambda room=room: _in_call(watcher, room) == ["Ada", "Bo"],
                                   15)

        # The app talks to one address; removing someone and closing a room reach the node
        # that hosts it, whichever that is.
        for room, ada_peer, bo_peer in calls:
            await livekit_admin.remove_participant_and_announce_key(
                room.id, livekit_tokens.participant_identity(bo.id), room.key_epoch + 1,
                settings=stack.settings)
            await _wait_disconnected(bo_peer)
            await watcher.wait_for(lambda room=room: _in_call(watcher, room) == ["Ada"], 15)
            assert await livekit_admin.close_room(room.id, settings=stack.settings)
            await _wait_disconnected(ada_peer)
            await watcher.wait_for(lambda room=room: _in_call(watcher, room) == [], 15)
        print(f"\ntwo LiveKit nodes: rooms on ports {sorted(placed)}, calls through either "
              "URL, presence and admin right on both")
    finally:
        for peer in peers:
            await peer.close()
        await watcher.close()


def _stop_node(node: LiveKitServer, grace: float = 10.0) -> None:
    """SIGTERM starts a drain; as Docker does after a stop's grace period, what is still
    running then is stopped at once (a second SIGTERM: see livekit/entrypoint.sh)."""
    os.killpg(node.process.pid, signal.SIGTERM)
    with contextlib.suppress(Exception):
        node.process.wait(timeout=grace)
        return
    os.killpg(node.process.pid, signal.SIGTERM)
    node.process.wait(timeout=15)


# Drops after which the app's call does not rejoin (components_js/livekit/participants.js).
FINAL = {rtc.DisconnectReason.CLIENT_INITIATED, rtc.DisconnectReason.DUPLICATE_IDENTITY,
         rtc.DisconnectReason.PARTICIPANT_REMOVED, rtc.DisconnectReason.ROOM_DELETED}


async def _stay_in_call(cluster: Cluster, peer: TonePeer, user: User, room: Room) -> None:
    """What the app's call does when it drops for a reason that is not final: rejoin, with a
    fresh token, through the address the app hands out. Runs until cancelled."""
    while True:
        await asyncio.sleep(0.2)
        if peer.room.connection_state != rtc.ConnectionState.CONN_DISCONNECTED:
            continue
        assert not FINAL.intersection(peer.disconnect_reasons), peer.disconnect_reasons
        token = livekit_tokens.mint_join_token(user, room, settings=cluster.stack.settings)
        with contextlib.suppress(TimeoutError, rtc.ConnectError):
            await peer.rejoin(cluster.url, token)


async def test_a_stopped_node_s_call_comes_back_on_the_other(cluster, nodes):
    stack = cluster.stack
    watcher = await stack.signed_in(stack.user("Watcher"))
    ada, bo = stack.user("Ada"), stack.user("Bo")
    room = await _new_room(cluster, watcher)
    peers, keepers = [], []
    try:
        ada_peer = await _join(cluster, cluster.url, ada, room, 440)
        bo_peer = await _join(cluster, cluster.url, bo, room, 660)
        peers = [ada_peer, bo_peer]
        keepers = [asyncio.ensure_future(_stay_in_call(cluster, peer, user, room))
                   for peer, user in ((ada_peer, ada), (bo_peer, bo))]
        assert await _hears(bo_peer, ada, 440, since=0, timeout=15)
        await watcher.wait_for(lambda: _in_call(watcher, room) == ["Ada", "Bo"], 15)
        host = cluster.host_of(room)
        other = next(node for node in nodes if node is not host)

        await asyncio.to_thread(_stop_node, host)
        stopped = time.monotonic()
        # New tones, so only audio made after the stop counts.
        ada_peer.tone_frequency, bo_peer.tone_frequency = 880.0, 1320.0
        assert await _hears(bo_peer, ada, 880, since=stopped, timeout=RECOVERY_SECONDS), \
            "Bo did not hear Ada again"
        assert await _hears(ada_peer, bo, 1320, since=stopped, timeout=RECOVERY_SECONDS), \
            "Ada did not hear Bo again"
        took = time.monotonic() - stopped
        assert host.process.poll() is not None and hosted(other, room)
        # Presence is right afterwards: both in the call, in the lobby and in LiveKit.
        await watcher.wait_for(lambda: _in_call(watcher, room) == ["Ada", "Bo"], 30)
        identities = await livekit_admin.list_participant_identities(
            room.id, settings=stack.settings)
        assert sorted(identities) == sorted(
            livekit_tokens.participant_identity(user.id) for user in (ada, bo))
        print(f"\nnode stop: the call was back on the other node ({other.port}) {took:.1f} s "
              f"after the stop; drops: {[peer.disconnect_reasons for peer in peers]}")
    finally:
        for keeper in keepers:
            keeper.cancel()
        for peer in peers:
            await peer.close()
        await watcher.close()
