"""Page weight: the login page must not pay for the call.

Builds the static site as deployed (`reflex export --frontend-only --no-zip`), serves a copy
from a loopback static server that behaves like the nginx config (`try_files $uri $uri/
$uri.html /__spa-fallback.html`, pre-gzipped `.gz` siblings), and loads it in headless
Chromium with an empty cache. Every JS and CSS response is mapped to its file in the export
and summed raw and gzipped (the `.gz` sibling, or gzip -9 when there is none).

The real backend and a LiveKit server run too (the export's baked-in API URL points at the
backend), so the pages behave as in production: the login page opens its websocket, the
lobby is reached by really logging in, and clicking a room really joins its call. Their
extra JS/CSS is reported separately. Load time is navigation start to the end of the load
event, median of 10 fresh-context loads.

The in-run baseline is a bare HTML page on the same server with one 1 KB script.

    .venv/bin/python -m bench.page_weight [--loads 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench._support import (
    ROOT,
    StaticServer,
    begin_benchmark,
    gzip9,
    livekit_and_app,
    ratio,
    save_results,
)

KB = 1000  # as browser dev tools count
LIVEKIT_CLIENT_MARKER = b"livekit.SignalRequest"  # a protobuf type name only livekit-client has
REFERENCES = [  # gzip KB of JS+CSS, measured elsewhere
    ("original disTokoloshe login page (one bundle, all of livekit-client)", 246),
    ("LiveKit Meet landing page", 115),
    ("bare Reflex 0.10.1 page with Radix Themes and livekit-client", 459),
]
TARGET_GZIP_KB = 200
ROOM_NAME = "Weight room"



def _bare_js(size: int = 1024) -> str:
    """A script of exactly `size` bytes: a few statements, padded with a comment."""
    lines, i = ["// bench baseline: one 1 KB script"], 0
    while len("\n".join(lines)) < size - 80:
        lines.append(f"window.__bare{i} = {i * 7919 % 10007};")
        i += 1
    text = "\n".join(lines) + "\n"
    return text + "//" + "-" * (size - len(text) - 3) + "\n"


BARE_JS = _bare_js()
BARE_HTML = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>bare</title></head><body><p>bare page</p>"
             "<script src=\"/__bench_bare/bare.js\"></script></body></html>")

NAVIGATION_MS = """
() => {
  const [nav] = performance.getEntriesByType('navigation');
  return nav && nav.loadEventEnd > 0 ? nav.loadEventEnd - nav.startTime : null;
}
"""


@dataclasses.dataclass
class Asset:
    url: str
    file: str         # relative to the export, or "(in memory)"
    raw: int
    gzip: int
    names_livekit: bool
    is_livekit_client: bool


def asset_for(server: StaticServer, url: str) -> Asset | None:
    parts = urlsplit(url)
    if parts.port != server.port:
        return None
    path = parts.path
    if not (path.endswith((".js", ".mjs", ".css"))):
        return None
    if path in server.routes:
        body = server.routes[path][1]
        return Asset(url, "(in memory)", len(body), gzip9(body), b"livekit" in body.lower(),
                     LIVEKIT_CLIENT_MARKER in body)
    file = server.file_for(path)
    if file is None or file.suffix not in (".js", ".mjs", ".css"):
        return None
    body = file.read_bytes()
    sibling = file.with_name(file.name + ".gz")
    gz = sibling.stat().st_size if sibling.is_file() else gzip9(body)
    return Asset(url, str(file.relative_to(server.root)), len(body), gz,
                 b"livekit" in body.lower(), LIVEKIT_CLIENT_MARKER in body)


def totals(assets: list[Asset]) -> dict:
    return {"files": len(assets), "raw": sum(a.raw for a in assets),
            "gzip": sum(a.gzip for a in assets),
            "names_livekit": [a.file for a in assets if a.names_livekit],
            "livekit_client": any(a.is_livekit_client for a in assets)}


def export_site(env: dict[str, str], target: Path, log: Path) -> float:
    reflex = Path(sys.executable).with_name("reflex")
    started = time.monotonic()
    with log.open("ab") as out:
        done = subprocess.run([str(reflex), "export", "--frontend-only", "--no-zip"], cwd=ROOT,
                              env=env, stdout=out, stderr=subprocess.STDOUT, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"reflex export failed ({done.returncode}); see {log}")
    elapsed = time.monotonic() - started
    shutil.copytree(ROOT / ".web" / "build" / "client", target)
    return elapsed


def seed(database_url: str) -> str:
    from sqlmodel import Session

    from distokoloshe import accounts, rooms
    from distokoloshe.db import make_engine
    from tests.support.identities import PASSWORD

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            user = accounts.register(session=session, username="weight" + secrets.token_hex(3),
                                     password=PASSWORD, display_name="Weight")
            rooms.create_room(session=session, user=user, name=ROOM_NAME)
            session.commit()
            return user.username
    finally:
        engine.dispose()


async def measure(site: StaticServer, username: str, *, loads: int) -> dict:
    from playwright.async_api import async_playwright, expect

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
    from tests.support.identities import PASSWORD

    async def settle(responses: list, *, quiet: float = 1.0, timeout: float = 15.0) -> None:
        """Waits until no response arrived for `quiet` seconds (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        seen, last_change = len(responses), time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if len(responses) != seen:
                seen, last_change = len(responses), time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                return

    def assets(urls: list[str], exclude: set[str] = frozenset()) -> list[Asset]:
        found, seen = [], set(exclude)
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            asset = asset_for(site, url)
            if asset is not None:
                found.append(asset)
        return found

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Weight: login page, then the lobby after logging in, then joining a call.
            context = await browser.new_context(base_url=site.url)
            page = await context.new_page()
            urls: list[str] = []
            page.on("response", lambda response: urls.append(response.url))
            await page.goto("/login", wait_until="load")
            await settle(urls)
            login = assets(urls)
            mark = len(urls)
            await page.get_by_label("Username").fill(username)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
            await settle(urls)
            lobby = assets(urls[mark:], exclude=set(urls[:mark]))
            mark2 = len(urls)
            await page.get_by_role("button", name=ROOM_NAME, exact=True).click()
            await expect(page.get_by_text("Connected", exact=True)).to_be_visible(timeout=20_000)
            await settle(urls)
            call = assets(urls[mark2:], exclude=set(urls[:mark2]))
            await context.close()

            context = await browser.new_context(base_url=site.url)
            page = await context.new_page()
            bare_urls: list[str] = []
            page.on("response", lambda response: bare_urls.append(response.url))
            await page.goto("/__bench_bare/", wait_until="load")
            await settle(bare_urls, quiet=0.5)
            bare = assets(bare_urls)
            await context.close()

            # Load time: fresh context (empty cache) each time, login and bare alternated.
            times: dict[str, list[float]] = {"login": [], "bare": []}
            for index in range(loads):
                order = [("login", "/login"), ("bare", "/__bench_bare/")]
                for name, path in (order if index % 2 == 0 else order[::-1]):
                    context = await browser.new_context(base_url=site.url)
                    page = await context.new_page()
                    await page.goto(path, wait_until="load", timeout=30_000)
                    await page.wait_for_function(f"() => ({NAVIGATION_MS.strip()})() !== null",
                                                 timeout=10_000)
                    times[name].append(await page.evaluate(NAVIGATION_MS))
                    await context.close()
        finally:
            await browser.close()
    return {"login": login, "lobby": lobby, "call": call, "bare": bare, "times": times}


def kb(n: int) -> str:
    return f"{n / KB:.1f}"


def report(data: dict, *, export_s: float, elapsed: float, loads: int) -> str:
    login, lobby, call, bare = (totals(data[k]) for k in ("login", "lobby", "call", "bare"))
    t_login = statistics.median(data["times"]["login"])
    t_bare = statistics.median(data["times"]["bare"])
    yes_no = {True: "YES", False: "no"}

    def row(label: str, t: dict) -> str:
        return (f"{label:34}{t['files']:>6}{kb(t['raw']):>10}{kb(t['gzip']):>10}"
                f"{yes_no[t['livekit_client']]:>16}")

    lines = [
        "Page weight: JS + CSS loaded by each page "
        "(KB = 1000 bytes; gzip = the export's .gz files)",
        "",
        f"{'':34}{'files':>6}{'raw KB':>10}{'gzip KB':>10}{'livekit-client':>16}",
        row("login page (/login)", login),
        row("+ lobby after logging in", lobby),
        row("+ joining a call", call),
        row("bare page (1 KB script)", bare),
        "",
        f"login page files that contain the string 'livekit': "
        f"{', '.join(login['names_livekit']) or 'none'}  "
        f"-> {'FAIL' if login['names_livekit'] else 'ok'}",
        f"lobby files that contain it: {', '.join(lobby['names_livekit']) or 'none'}",
        f"call files that contain it:  {', '.join(call['names_livekit']) or 'none'}",
        "",
        "login page files (gzip KB, raw KB):",
    ]
    for asset in sorted(data["login"], key=lambda a: -a.gzip):
        lines.append(f"  {kb(asset.gzip):>8} {kb(asset.raw):>9}  {asset.file}")
    lines += [
        "",
        f"load time, navigation start -> load event end, median of {loads} fresh loads:",
        f"  login page {t_login:7.1f} ms   bare page {t_bare:7.1f} ms   "
        f"ratio login / bare {ratio(t_login, t_bare):.2f}x",
        f"weight ratio login / bare: {ratio(login['gzip'], bare['gzip']):.0f}x gzip, "
        f"{ratio(login['raw'], bare['raw']):.0f}x raw",
        "",
        "login page gzip against reference figures (measured elsewhere):",
        f"  {'this build, login page':70}{kb(login['gzip']):>7} KB",
        f"  {'this build, login + lobby':70}{kb(login['gzip'] + lobby['gzip']):>7} KB",
        f"  {'this build, login + lobby + call':70}"
        f"{kb(login['gzip'] + lobby['gzip'] + call['gzip']):>7} KB",
    ]
    for label, value in REFERENCES:
        lines.append(f"  {label:70}{value:>7} KB   this/ref "
                     f"{ratio(login['gzip'] / KB, value):.2f}x")
    verdict = "met" if login["gzip"] / KB <= TARGET_GZIP_KB else "MISSED"
    lines += [
        f"  {'target':70}{'<= ' + str(TARGET_GZIP_KB):>7} KB   {verdict}",
        "",
        f"reflex export took {export_s:.1f} s; wall time {elapsed:.0f} s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=10, help="loads of each page (default 10)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir with the logs")
    args = parser.parse_args(argv)
    if not 1 <= args.loads <= 200:
        parser.error("--loads must be 1..200")

    started = begin_benchmark()
    routes = {"/__bench_bare/": ("text/html; charset=utf-8", BARE_HTML.encode()),
              "/__bench_bare/bare.js": ("text/javascript", BARE_JS.encode())}
    with livekit_and_app("bench-weight-", keep=args.keep) as (workdir, _livekit, app):
        site = StaticServer(workdir / "site", routes=routes)
        try:
            # The export bakes in http://localhost:PORT, where the backend then runs; the
            # browser loads the pages from the static server's origin, which the backend
            # must allow.
            app.env["ALLOWED_ORIGINS"] = f"{app.public_url},{site.url}"
            print(f"exporting the static site with REFLEX_API_URL={app.public_url}...",
                  file=sys.stderr, flush=True)
            export_s = export_site(app.env, workdir / "site", workdir / "export.log")
            print("starting the backend...", file=sys.stderr, flush=True)
            app.migrate()
            username = seed(app.database_url)
            app.start()
            site.start()
            print("measuring", file=sys.stderr, flush=True)
            data = asyncio.run(measure(site, username, loads=args.loads))
        finally:
            site.stop()

    elapsed = time.monotonic() - started
    print(report(data, export_s=export_s, elapsed=elapsed, loads=args.loads))
    serializable = {k: [dataclasses.asdict(a) for a in v] for k, v in data.items()
                    if k != "times"}
    save_results("page_weight", {"export_s": export_s, "elapsed_s": elapsed,
                                 "times": data["times"], **serializable})
    login = totals(data["login"])
    over = login["gzip"] / KB > TARGET_GZIP_KB
    if over:
        print(f"FAIL: the login page is {kb(login['gzip'])} KB gzip, over {TARGET_GZIP_KB} KB",
              file=sys.stderr)
    return 1 if login["names_livekit"] or login["livekit_client"] or over else 0


if __name__ == "__main__":
    sys.exit(main())
