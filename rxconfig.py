"""Reflex configuration. Every value comes from the environment or `.env`.

REFLEX_* variables override any field here (Reflex reads them itself), e.g.
REFLEX_API_URL for the public origin baked into `reflex export`.
"""

import os
from pathlib import Path

import reflex as rx
from dotenv import load_dotenv
from reflex.utils.prerequisites import get_web_dir
from reflex_base.registry import RegistrationContext

from distokoloshe.backend_worker import WORKER_CLASS

load_dotenv(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".env"))

# Serve the backend with gunicorn + uvicorn rather than granian: measured with
# bench/presence_fanout.py, an idle lobby tab costs the backend far less this way (granian's
# websocket alone took about 155 KiB). Several workers: WEB_CONCURRENCY=N.
os.environ.setdefault("REFLEX_USE_GRANIAN", "false")
# ...with our worker class (distokoloshe/backend_worker.py says why). Reflex puts these
# arguments after its own, so they win; an operator's own --worker-class wins over ours.
_gunicorn_args = os.environ.get("GUNICORN_CMD_ARGS", "")
if "--worker-class" not in _gunicorn_args:
    os.environ["GUNICORN_CMD_ARGS"] = f"--worker-class {WORKER_CLASS} {_gunicorn_args}".strip()

# Behind nginx, TRUSTED_PROXY_HOPS is 1 and the client's address comes from X-Forwarded-For.
# Without a proxy nothing may set it: gunicorn (and uvicorn under it) would otherwise take
# X-Forwarded-For from any loopback peer, so a process on the same host could pick the
# address the rate limits count. (gunicorn reads this when it starts, so it is set here.)
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
if TRUSTED_PROXY_HOPS == 0:
    os.environ["FORWARDED_ALLOW_IPS"] = ""

from distokoloshe import radix_css  # noqa: E402
from distokoloshe.settings import get_settings  # noqa: E402  (after .env is loaded)

settings = get_settings()

# Radix Themes' styles.css carries all 30 colour scales (35 KB of its 86 KB gzipped); load the
# base tokens, the scales the UI uses, and the components and utilities, as Radix Themes'
# own tree-shaking guide does. A colour added to the UI must be added here.
THEME_COLORS = ("iris", "slate", "gray", "amber", "blue", "green", "grass", "red")
# components.css and utilities.css pruned to the components and props the pages use
# (distokoloshe/radix_css.py); written into .web/styles/ at each compile.
LEAN_STYLESHEET = "radix-themes-lean.css"
# With no tooltip on any page, the build gives Radix Themes' <Theme> a tooltip provider that
# does nothing (components_js/build/): Popper and floating-ui leave every page.
VITE_CONFIG = "vite.config.js"
VITE_THEME_PLUGIN = "./public/external/components_js/build/vite_theme_without_tooltips.js"


class LeanRadixThemesPlugin(rx.plugins.RadixThemesPlugin):
    def get_stylesheet_paths(self, **context) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        return ("@radix-ui/themes/tokens/base.css",
                *(f"@radix-ui/themes/tokens/colors/{color}.css" for color in THEME_COLORS),
                f"./{LEAN_STYLESHEET}")

    def enter_component(self, comp, /, *, compile_context, **context) -> None:
        super().enter_component(comp, compile_context=compile_context, **context)
        self._compile_context = compile_context

    def get_static_assets(self, **context) -> list[tuple[Path, str]]:
        # Reflex asks for these after it compiled the pages and the memos they were split
        # into, and installed the npm packages; the files are written after this.
        compiled = getattr(self, "_compile_context", None)
        if not self.enabled or compiled is None:
            return []
        memos = [memo.component for memo in compiled.auto_memo_components.values()]
        imports = [compiled.all_imports, *(memo._get_all_imports() for memo in memos)]
        families = {var.tag for found in imports for library, names in found.items()
                    if library.startswith("@radix-ui/themes") for var in names if var.tag}
        code = [page.output_code or "" for page in compiled.compiled_pages.values()]
        code += [repr(memo.render()) for memo in memos]
        css = radix_css.lean_css(get_web_dir() / "node_modules" / "@radix-ui" / "themes",
                                 families, radix_css.object_keys(code),
                                 radix_css.responsive_props(code))
        self.has_tooltips = "Tooltip" in families
        return [(Path("styles") / LEAN_STYLESHEET, css)]

    def pre_compile(self, **context) -> None:
        # Reflex exposes every bundled library to dynamic (eval'd) components as
        # `window.__reflex`; for Radix Themes that is `import * as` the whole library into the
        # root of every page (Select, Slider, menus, Popper...: 63 KB gzip on the login page).
        # The app has no dynamic components (the CSP forbids eval), so the pages import only
        # the components they use.
        super().pre_compile(**context)
        libraries = RegistrationContext.ensure_context().bundled_libraries
        libraries[:] = [lib for lib in libraries if not lib.startswith("@radix-ui/themes")]
        # Reflex runs this after get_static_assets, which saw whether any page has a tooltip.
        context["add_modify_task"](VITE_CONFIG, self._without_tooltip_provider)

    def _without_tooltip_provider(self, vite_config: str) -> str:
        if getattr(self, "has_tooltips", True) or VITE_THEME_PLUGIN in vite_config:
            return vite_config
        anchor = "alwaysUseReactDomServerNode(),"
        if anchor not in vite_config:  # Reflex's template changed: keep its config as it is
            return vite_config
        return (f'import themeWithoutTooltips from "{VITE_THEME_PLUGIN}";\n'
                + vite_config.replace(anchor, f"{anchor}\n    themeWithoutTooltips(),", 1))


config = rx.Config(
    app_name="distokoloshe",
    app_module_import="distokoloshe.app",
    db_url=settings.effective_database_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="system",
    # Behind nginx this is 1, so rate limits key on the real client IP.
    trusted_proxy_hops=TRUSTED_PROXY_HOPS,
    # The websocket accepts only our own origins (Reflex allows any by default).
    cors_allowed_origins=[
        origin.strip()
        for origin in os.environ.get("ALLOWED_ORIGINS", "http://localhost:3000").split(",")
        if origin.strip()
    ],
    plugins=[
        LeanRadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="iris", radius="medium")
        ),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
