"""End-to-end encryption: on by default, interoperable with the Python SDK, failing closed.

The right-key case in both directions (browser <-> Python peer with the app-derived key)
is test_calls.py's first test, since every call is encrypted by default.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from livekit import rtc
from playwright.async_api import expect

from tests.e2e.test_calls import _heard, _join_new_room, _join_room, _lookup, _python_peer, _tile
from tests.support.held_passes import BROWSER_TONE_HZ
from tests.support.live_fixtures import log_in

pytestmark = pytest.mark.e2e

# Test instrumentation: make this page look like a browser without encoded transforms,
# which livekit-client's isE2EESupported() then reports as unsupported.
NO_ENCODED_TRANSFORMS = """
(() => {
  for (const proto of [RTCRtpSender.prototype, RTCRtpReceiver.prototype]) {
    delete proto.transform;
    delete proto.createEncodedStreams;
  }
  delete window.RTCRtpScriptTransform;
})();
"""
UNSUPPORTED = "This room requires end-to-end encryption, which this browser does not support."


async def test_calls_are_end_to_end_encrypted_by_default(new_page, seed_user):
    alice, bob = await new_page(), await new_page()
    _, room_name = await _join_new_room(alice, seed_user, "Enc Alice")
    await _join_room(bob, seed_user, "Enc Bob", room_name)
    for page in (alice, bob):
        await expect(page.get_by_test_id("encryption-status")).to_have_text(
            "End-to-end encrypted", timeout=20_000)


async def test_a_wrong_key_cannot_decode_either_way(new_page, app, livekit, seed_user):
    page = await new_page()
    username, room_name = await _join_new_room(page, seed_user, "Keyholder")
    browser_user, _ = _lookup(app, username, room_name)
    intruder, _ = await _python_peer(app, livekit, seed_user, room_name,
                                     key=secrets.token_urlsafe(32), name="Intruder")
    control, _ = await _python_peer(app, livekit, seed_user, room_name)  # the real key
    try:
        await intruder.publish_tone()
        assert await control.wait_for_sound(str(browser_user.id)) > 0.02  # media does flow

        since = time.monotonic()
        await asyncio.sleep(5)
        browser_id = str(browser_user.id)
        assert control.tone_frames(browser_id, since, BROWSER_TONE_HZ) > 100
        assert intruder.tone_frames(browser_id, since, BROWSER_TONE_HZ) == 0
        assert intruder.loudest(browser_id, since) < 0.005, "wrong key decoded audio"
        assert (browser_id, rtc.EncryptionState.DECRYPTION_FAILED) in intruder.e2ee_states
        # Whatever the wrong-key peer sends never plays as sound in the browser.
        await expect(_tile(page, "Intruder")).to_be_visible()
        played = await _heard(page, "Intruder", seconds=3)
        assert played < 0.002, f"browser played undecryptable media ({played:.4f})"
    finally:
        await intruder.close()
        await control.close()


async def test_wrong_key_participant_is_flagged(new_page, app, livekit, seed_user):
    page = await new_page()
    _, room_name = await _join_new_room(page, seed_user, "Watcher")
    intruder, _ = await _python_peer(app, livekit, seed_user, room_name,
                                     key=secrets.token_urlsafe(32))
    try:
        await intruder.publish_tone()
        await expect(_tile(page, "Python peer")).to_have_attribute(
            "data-undecryptable", "true", timeout=20_000)
    finally:
        await intruder.close()


async def test_a_peer_without_e2ee_cannot_decode_the_media(new_page, app, livekit, seed_user):
    page = await new_page()
    username, room_name = await _join_new_room(page, seed_user, "Sealed")
    browser_user, _ = _lookup(app, username, room_name)
    plain, _ = await _python_peer(app, livekit, seed_user, room_name, key=None, name="Plain")
    control, _ = await _python_peer(app, livekit, seed_user, room_name)
    try:
        assert await control.wait_for_sound(str(browser_user.id)) > 0.02
        since = time.monotonic()
        await asyncio.sleep(5)
        browser_id = str(browser_user.id)

        def tonal_share(peer) -> float:
            heard = peer.tone_frames(browser_id, since, BROWSER_TONE_HZ)
            return heard / max(peer.frames(browser_id, since), 1)

        # Decoding ciphertext as Opus yields noise that only now and then lands near 440 Hz.
        assert tonal_share(control) > 0.9
        assert tonal_share(plain) < 0.05, f"{tonal_share(plain):.0%} of frames decoded"
    finally:
        await plain.close()
        await control.close()


async def test_the_key_reaches_only_its_room_members_and_never_the_log(new_page, app, livekit,
                                                                       seed_user):
    from distokoloshe import e2ee
    from tests.e2e.test_calls import _settings

    outsider = await new_page()
    received: list[str] = []
    outsider.on("websocket", lambda ws: ws.on(
        "framereceived", lambda frame: received.append(str(frame))))
    await _join_new_room(outsider, seed_user, "Outsider")  # in a room of their own

    member = await new_page()
    username, room_name = await _join_new_room(member, seed_user, "Member")
    _, room = _lookup(app, username, room_name)
    key = e2ee.current_room_key(room, settings=_settings(livekit, app))
    await outsider.reload()  # the outsider's page now lists the member's room, too
    await expect(outsider.get_by_role("button", name=room_name, exact=True)).to_be_visible()
    await asyncio.sleep(1)

    assert received, "captured no websocket traffic"
    assert not any(key in frame for frame in received), "another user's browser got the key"
    assert key not in app.log_path.read_text(errors="replace")
    assert key not in livekit.log_path.read_text(errors="replace")


async def test_unencrypted_peer_makes_the_room_not_fully_encrypted(new_page, app, livekit,
                                                                   seed_user):
    page = await new_page()
    _, room_name = await _join_new_room(page, seed_user, "Observer")
    await expect(page.get_by_test_id("encryption-status")).to_have_text(
        "End-to-end encrypted", timeout=20_000)
    plain, _ = await _python_peer(app, livekit, seed_user, room_name, key=None)
    try:
        # Present but sending nothing (a listener with no microphone): nothing unencrypted
        # flows, so the call is still fully encrypted.
        await expect(page.get_by_test_id("participant-tile")).to_have_count(2, timeout=20_000)
        await asyncio.sleep(2)
        await expect(page.get_by_test_id("encryption-status")).to_have_text(
            "End-to-end encrypted")
        await plain.publish_tone()
        await expect(page.get_by_test_id("encryption-status")).to_have_text(
            "Not fully encrypted", timeout=20_000)
    finally:
        await plain.close()


async def test_browser_without_e2ee_cannot_join_a_room_that_requires_it(new_page, seed_user):
    owner = await new_page()
    _, room_name = await _join_new_room(owner, seed_user, "Strict owner")
    old = await new_page()
    await old.context.add_init_script(NO_ENCODED_TRANSFORMS)
    await _join_room(old, seed_user, "Old browser", room_name)
    await expect(old.get_by_test_id("media-error")).to_contain_text(UNSUPPORTED)
    await expect(old.get_by_role("button", name="Join call")).to_be_visible()
    await asyncio.sleep(2)
    await expect(owner.get_by_test_id("participant-tile")).to_have_count(1)


async def test_room_that_allows_it_admits_a_browser_without_e2ee_and_says_so(new_page,
                                                                             seed_user):
    owner = await new_page()
    await log_in(owner, seed_user(display_name="Lenient owner"))
    room_name = "Open " + secrets.token_hex(3)
    await owner.get_by_label("New room").fill(room_name)
    await owner.get_by_label("Let browsers without end-to-end encryption join").check()
    await owner.get_by_role("button", name="Create room").click()
    await expect(owner.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)

    old = await new_page()
    await old.context.add_init_script(NO_ENCODED_TRANSFORMS)
    await _join_room(old, seed_user, "Old browser", room_name)
    await expect(old.get_by_test_id("encryption-status")).to_have_text(
        "Not encrypted in this browser", timeout=20_000)
    await expect(owner.get_by_test_id("encryption-status")).to_have_text(
        "Not fully encrypted", timeout=20_000)


async def test_removal_rotates_the_key_and_keeps_the_others_talking(new_page, app, livekit,
                                                                    seed_user):
    from distokoloshe import e2ee
    from tests.e2e.test_calls import _settings

    owner, member = await new_page(), await new_page()
    owner_name, room_name = await _join_new_room(owner, seed_user, "Rotating owner")
    owner_user, room = _lookup(app, owner_name, room_name)
    await _join_room(member, seed_user, "Staying member", room_name)
    removed, _ = await _python_peer(app, livekit, seed_user, room_name, name="Removed")
    # Stands for the removed person's old key in the hands of anyone who still gets media.
    eavesdropper, _ = await _python_peer(app, livekit, seed_user, room_name, name="Old key")
    try:
        assert await eavesdropper.wait_for_sound(str(owner_user.id)) > 0.02  # key works now
        gone = asyncio.Event()
        removed.room.on("disconnected", lambda *_: gone.set())

        await owner.get_by_role("button", name="Remove Removed from the call").click()
        await asyncio.wait_for(gone.wait(), timeout=15)
        await expect(_tile(owner, "Removed")).to_have_count(0, timeout=15_000)

        _, room = _lookup(app, owner_name, room_name)
        assert room.key_epoch == 1
        settings = _settings(livekit, app)
        follower, _ = await _python_peer(app, livekit, seed_user, room_name, name="New key")
        try:
            assert await follower.wait_for_sound(str(owner_user.id)) > 0.02
        finally:
            await follower.close()
        await asyncio.sleep(1)
        since = time.monotonic()
        await asyncio.sleep(4)
        assert eavesdropper.loudest(str(owner_user.id), since) < 0.005, "old key still decodes"
        # The member switched keys without leaving the call and still hears the owner.
        await expect(member.get_by_text("Connected", exact=True)).to_be_visible()
        assert await _heard(member, "Rotating owner", seconds=3) > 0.02
        assert e2ee.current_room_key(room, settings=settings) != e2ee.room_key(
            room.id, 0, salt=room.key_salt, settings=settings)
    finally:
        await removed.close()
        await eavesdropper.close()


async def test_a_removed_user_cannot_rejoin(new_page, seed_user):
    owner, guest = await new_page(), await new_page()
    _, room_name = await _join_new_room(owner, seed_user, "Door owner")
    await _join_room(guest, seed_user, "Ejected", room_name)
    await expect(_tile(owner, "Ejected")).to_be_visible(timeout=20_000)

    await owner.get_by_role("button", name="Remove Ejected from the call").click()
    await expect(_tile(owner, "Ejected")).to_have_count(0, timeout=15_000)
    await expect(guest.get_by_test_id("participant-tile")).to_have_count(0, timeout=15_000)

    await guest.reload()
    await expect(guest.get_by_test_id("media-error")).to_have_text(
        "The owner removed you from this room's call.", timeout=15_000)
    await asyncio.sleep(2)
    await expect(owner.get_by_test_id("participant-tile")).to_have_count(1)
