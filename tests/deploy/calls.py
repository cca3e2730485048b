"""A call through the deployed stack, as a person makes one: register, create a room (which
joins its call), hear someone, turn the camera on and share the screen; with every CSP
violation and policy complaint recorded."""

from __future__ import annotations

import re
import secrets

from playwright.async_api import expect
from sqlmodel import Session

from distokoloshe import accounts
from distokoloshe.db import make_engine
from tests.e2e.test_calls import _python_peer, _tile, _wait_until_heard
from tests.support.identities import PASSWORD
from tests.support.live_fixtures import create_room

# Every CSP violation the document sees.
RECORD_CSP_VIOLATIONS = """
(() => {
  const seen = [];
  Object.defineProperty(window, '__cspViolations', { value: seen });
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push(`${e.effectiveDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
  });
})();
"""
# How Chromium's console reports a blocked resource or a bad policy header.
POLICY_COMPLAINT = re.compile(r"Content.Security.Policy|Permissions.Policy|Refused to", re.I)


def _seed_user(database_url: str):
    """Creates accounts straight in the app's database (for the Python peer)."""
    def create(display_name: str = "") -> str:
        username = "u" + secrets.token_hex(5)
        engine = make_engine(database_url)
        with Session(engine) as session:
            accounts.register(session=session, username=username, password=PASSWORD,
                              display_name=display_name)
            session.commit()
        engine.dispose()
        return username
    return create


async def register_join_and_hear_a_peer(browser, stack) -> None:
    nginx, backend, livekit = stack
    context = await browser.new_context(base_url=nginx.origin, ignore_https_errors=True)
    await context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = await context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    wasm: list[tuple[str, int]] = []  # RNNoise's WebAssembly, from our own build
    page.on("response", lambda response: response.url.endswith(".wasm")
            and wasm.append((response.url, response.status)))
    try:
        await page.goto("/register")
        await page.get_by_label("Username").fill("nginx_" + secrets.token_hex(3))
        await page.get_by_label("Display name (optional)").fill("Behind nginx")
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_label("Confirm password").fill(PASSWORD)
        await page.get_by_role("button", name="Create account").click()
        await expect(page.get_by_role("heading", name="Rooms")).to_be_visible(timeout=20_000)

        room_name = "Deploy " + secrets.token_hex(3)
        await create_room(page, room_name)
        await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=30_000)
        peer, _ = await _python_peer(backend, livekit, _seed_user(backend.database_url),
                                     room_name)
        try:
            await peer.publish_tone()
            await expect(_tile(page, "Python peer")).to_be_visible(timeout=15_000)
            # The peer encrypts, so hearing it also proves the E2EE worker ran under the CSP.
            assert await _wait_until_heard(page, "Python peer") > 0.02, "nothing heard"
            # RNNoise (the default) compiled and runs under the policy: no fallback note
            await expect(page.get_by_test_id("noise-fallback")).to_have_count(0)
            # Camera and screen share too, so video elements run under the policies.
            await page.get_by_role("button", name="Start camera").click()
            # Publishing the camera waits on the encoder; on a loaded machine that took
            # longer than the default 10 s once.
            await expect(page.get_by_role("button", name="Stop camera")).to_be_visible(
                timeout=30_000)
            await page.get_by_role("button", name="Share screen").click()
            await expect(page.get_by_role("button", name="Stop sharing")).to_be_visible(
                timeout=15_000)
            await expect(page.get_by_test_id("screen-view")).to_be_visible(timeout=15_000)
        finally:
            await peer.close()
        violations = await page.evaluate("window.__cspViolations")
    finally:
        await context.close()

    wss = nginx.livekit_url
    assert any(url.startswith(f"{wss}/_event") for url in sockets), sockets
    assert any(url.startswith(f"{wss}/rtc") for url in sockets), (
        f"LiveKit's signalling did not go through nginx: {sockets}")
    print("\n".join(console))  # shown when a test fails
    assert violations == []
    assert [status for url, status in wasm if url.startswith(nginx.origin)] == [200], wasm
    assert [line for line in console if POLICY_COMPLAINT.search(line)] == []
    # livekit-client's E2EE worker loaded from our origin under worker-src 'self'.
    assert any("e2ee worker initialized" in line for line in console)
