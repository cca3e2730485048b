"""The baseline for bench/presence_fanout.py: presence the obvious way, one `rx.SharedState`
every lobby tab links to on load (adding itself to `online`), changed by a POST.

It is written into a temporary directory as a bare Reflex app, so the product carries no
benchmark code; it does less per join than the real lobby (no sign-in check, no database),
which only flatters the baseline.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

RXCONFIG = """
import os
import reflex as rx

config = rx.Config(app_name="naive", telemetry_enabled=False,
                   cors_allowed_origins=[os.environ["ALLOWED_ORIGIN"]],
                   disable_plugins=[rx.plugins.SitemapPlugin])
"""

APP = '''
import reflex as rx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class Lobby(rx.SharedState):
    rooms: list[dict] = []
    online: list[str] = []

    @rx.event
    async def join(self):
        lobby = await self._link_to("lobby")
        lobby.online = [*lobby.online, self.router.session.client_token]


async def change(request: Request) -> JSONResponse:
    name = (await request.json())["name"]
    async with app.modify_state(rx.BaseStateToken(ident="lobby", cls=Lobby)) as root:
        lobby = await root.get_state(Lobby)
        lobby.rooms = [{"id": 1, "name": "Bench room", "members": [{"name": name}]}]
    return JSONResponse({"ok": True})


def index() -> rx.Component:
    return rx.text(Lobby.online.length())


app = rx.App(api_transformer=Starlette(routes=[Route("/change", change, methods=["POST"])]))
app.add_page(index, route="/", on_load=Lobby.join)
'''


class NaiveApp:
    def __init__(self, workdir: Path) -> None:
        from tests.support.ports import free_port

        self.workdir, self.port = workdir, free_port()
        (workdir / "naive").mkdir(parents=True, exist_ok=True)
        (workdir / "rxconfig.py").write_text(RXCONFIG)
        (workdir / "naive" / "__init__.py").write_text("")
        (workdir / "naive" / "naive.py").write_text(APP)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> NaiveApp:
        import httpx

        from tests.support.app import REFLEX

        env = {**os.environ, "ALLOWED_ORIGIN": f"http://127.0.0.1:{self.port}"}
        env.pop("REFLEX_REDIS_URL", None)
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", str(REFLEX), "run", "--env", "prod", "--backend-only",
             "--backend-host", "127.0.0.1", "--backend-port", str(self.port)],
            cwd=self.workdir, env=env, stdout=(self.workdir / "naive.log").open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"baseline app exited; see {self.workdir / 'naive.log'}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/ping", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("baseline app did not start")

    def stop(self) -> None:
        import signal

        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)


async def run_baseline(args, workdir: Path) -> dict:
    import httpx

    from bench._presence import measure, row, rss_kib, until
    from bench._reflex_client import open_tab

    naive = NaiveApp(workdir).start()
    results = {}
    try:
        idle = rss_kib(naive.process.pid)
        tabs = []
        for size in [int(s) for s in args.baseline_sizes.split(",") if s]:
            started = time.perf_counter()
            tabs += await asyncio.gather(*(open_tab(naive.port, "")
                                           for _ in range(size - len(tabs))))
            linked = await until(lambda tabs=tabs: all(tab.frames for tab in tabs), 300)
            print(f"baseline: {size} tabs linked in {time.perf_counter() - started:.1f} s"
                  + ("" if linked else " (not all)"), flush=True)
            await asyncio.sleep(2)
            results["kib_per_tab"] = (rss_kib(naive.process.pid) - idle) / len(tabs)
            async with httpx.AsyncClient(timeout=60) as client:
                async def change(marker: str) -> None:
                    await client.post(f"http://127.0.0.1:{naive.port}/change",
                                      json={"name": marker})

                results[size] = await measure(tabs, change)
            print(row(f"baseline SharedState, {size} tabs", results[size]), flush=True)
        print(f"baseline memory per idle tab: {results['kib_per_tab']:.0f} KiB", flush=True)
        for tab in tabs:
            tab.close()
    finally:
        naive.stop()
    return results
