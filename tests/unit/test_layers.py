"""The package's layers, read from the source with `ast` (nothing here imports the modules).

    domain (distokoloshe/*.py but app.py and api.py, and migrations/)
        knows nothing of Reflex, the states, the components, the pages, the adapters, the API;
    adapters (distokoloshe/realtime/) and the HTTP API (distokoloshe/api.py)
        never reach up into the states or the UI;
    states (distokoloshe/state/) never import the UI, and import each other without a cycle;
    components never import pages.

Every import of a distokoloshe module sits at the top of its module: an import inside a
function hides a dependency (often a cycle) from anyone reading the imports.
"""

from __future__ import annotations

import ast
import dataclasses
import textwrap
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "distokoloshe"


@dataclasses.dataclass(frozen=True)
class Import:
    source: str     # the importing module, dotted
    target: str     # the imported module, dotted (a submodule where `from X import sub` names one)
    path: Path
    line: int
    in_function: bool

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` (a folder below `root`), by dotted name."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports_in(module: str, path: Path, known: Iterable[str]) -> list[Import]:
    known = set(known)
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend(Import(module, alias.name, path, child.lineno, in_function)
                             for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, path, child)
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    found.append(Import(module, sub if sub in known else base, path,
                                        child.lineno, in_function))
            visit(child, nested)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return found


def import_graph(root: Path, package: str) -> list[Import]:
    known = modules(root, package)
    return [found for name, path in known.items() for found in imports_in(name, path, known)]


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _is_forbidden(target: str, forbidden: str) -> bool:
    # Reflex 0.10 ships as several distributions too: reflex_base, reflex_components_*, ...
    return _is_within(target, forbidden) or (forbidden == "reflex"
                                             and target.startswith("reflex_"))


def forbidden_imports(graph: list[Import], sources: Iterable[str],
                      forbidden: Iterable[str]) -> list[Import]:
    """The imports made by the modules named in `sources` (exactly) of anything inside
    `forbidden`."""
    sources, forbidden = set(sources), list(forbidden)
    return [found for found in graph if found.source in sources
            and any(_is_forbidden(found.target, f) for f in forbidden)]


def modules_within(root: Path, package: str, prefix: str) -> list[str]:
    return [name for name in modules(root, package) if _is_within(name, prefix)]


def domain_modules(root: Path, package: str) -> list[str]:
    """The package itself, its top-level modules but app.py and api.py, and migrations/."""
    top = [name for name, path in modules(root, package).items()
           if path.parent == root / package and path.name not in ("app.py", "api.py")]
    return sorted(top) + modules_within(root, package, f"{package}.migrations")


@dataclasses.dataclass
class Cycle:
    modules: list[str]      # a group of modules that all reach each other through imports
    shortest: list[Import]  # one shortest cycle through the first of them, as its imports


def cycles(graph: list[Import], within: str) -> list[Cycle]:
    """Every group of modules inside `within` that import each other round in a circle
    (strongly connected), with one cycle through it; empty when there is none."""
    edges: dict[str, dict[str, Import]] = {}
    for found in graph:
        if (_is_within(found.source, within) and _is_within(found.target, within)
                and found.source != found.target):
            edges.setdefault(found.source, {}).setdefault(found.target, found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            connect(node)

    found_cycles = []
    for group in groups:
        members, start = set(group), group[0]
        paths: dict[str, list[Import]] = {start: []}  # shortest import chains from `start`
        queue = [start]
        for node in queue:
            for nxt, edge in sorted(edges.get(node, {}).items()):
                if nxt in members and nxt not in paths:
                    paths[nxt] = [*paths[node], edge]
                    queue.append(nxt)
        last = min((n for n in paths if start in edges.get(n, {})), key=lambda n: len(paths[n]))
        found_cycles.append(Cycle(group, [*paths[last], edges[last][start]]))
    return found_cycles


def describe_cycle(cycle: Cycle, root: Path) -> str:
    chain = " -> ".join([cycle.shortest[0].source, *(edge.target for edge in cycle.shortest)])
    links = "\n".join(f"    {edge.source} imports {edge.target} at {edge.where(root)}"
                      + (" (inside a function)" if edge.in_function else "")
                      for edge in cycle.shortest)
    return (f"{len(cycle.modules)} modules import each other in a circle: "
            f"{', '.join(cycle.modules)}\n  for one: {chain}\n{links}")


def function_level_imports(graph: list[Import], package: str) -> list[Import]:
    return [found for found in graph if found.in_function and _is_within(found.target, package)]


def _report(found: list[Import], root: Path) -> str:
    return "\n".join(f"  {f.where(root)}: {f.source} imports {f.target}" for f in found)


# -- the rules -------------------------------------------------------------------------------

P = PACKAGE
RULES = {
    "domain": (domain_modules(ROOT, P),
               ["reflex", f"{P}.state", f"{P}.components", f"{P}.pages", f"{P}.realtime",
                f"{P}.api", f"{P}.app"]),
    "realtime": (modules_within(ROOT, P, f"{P}.realtime"),
                 [f"{P}.state", f"{P}.components", f"{P}.pages", f"{P}.app"]),
    "api": ([f"{P}.api"], [f"{P}.state"]),
    "state": (modules_within(ROOT, P, f"{P}.state"), [f"{P}.components", f"{P}.pages"]),
    "components": (modules_within(ROOT, P, f"{P}.components"), [f"{P}.pages"]),
    # the extension API: what extensions import; it reaches down, never up into pages
    "extend": (modules_within(ROOT, P, f"{P}.extend"), [f"{P}.pages", f"{P}.app"]),
}


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return import_graph(ROOT, PACKAGE)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_only_what_it_may(graph, layer):
    sources, forbidden = RULES[layer]
    if not sources:  # distokoloshe/realtime/ is where the presence hub and middleware go
        pytest.skip(f"no {layer} modules yet")
    found = forbidden_imports(graph, sources, forbidden)
    if found:
        pytest.fail(f"the {layer} layer may not import {', '.join(forbidden)}, but:\n"
                    + _report(found, ROOT), pytrace=False)


def extension_imports_beyond_the_api(graph: list[Import], package: str) -> list[Import]:
    """Imports by a built-in extension of anything of the core but `<package>.extend`, and
    imports by the core of any built-in extension (they load by name, when listed)."""
    builtins, api = f"{package}.extensions", f"{package}.extend"
    found = []
    for edge in graph:
        if not _is_within(edge.target, package) or edge.target == builtins:
            continue
        if _is_within(edge.source, builtins):
            own = ".".join(edge.source.split(".")[:3])   # <package>.extensions.<name>
            if not (_is_within(edge.target, api) or _is_within(edge.target, own)):
                found.append(edge)
        elif _is_within(edge.target, builtins):
            found.append(edge)
    return found


def test_extensions_use_only_the_extension_api(graph):
    examples = ROOT / "docs" / "examples"
    graph = graph + [edge for path in sorted(examples.glob("*.py"))
                     for edge in imports_in(f"{PACKAGE}.extensions.{path.stem}", path, ())]
    found = extension_imports_beyond_the_api(graph, PACKAGE)
    if found:
        pytest.fail(f"an extension may import only {PACKAGE}.extend of the core, and the core "
                    "no extension:\n" + _report(found, ROOT), pytrace=False)


def test_states_import_each_other_without_a_cycle(graph):
    found = cycles(graph, f"{PACKAGE}.state")
    if found:
        pytest.fail("import cycles among the states:\n"
                    + "\n".join(describe_cycle(cycle, ROOT) for cycle in found), pytrace=False)


def test_distokoloshe_modules_are_imported_at_the_top_of_modules(graph):
    found = function_level_imports(graph, PACKAGE)
    if found:
        pytest.fail("imports of distokoloshe modules inside functions (move them to the top "
                    "of the module; a cycle they hide is a design problem):\n"
                    + _report(found, ROOT), pytrace=False)


# -- the checks above can fail -----------------------------------------------------------------

def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_the_checks_find_a_cycle_a_late_import_and_a_forbidden_one(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/rooms.py": "import reflex as rx\nfrom reflex_base import x\n",
        "pkg/app.py": "import reflex as rx\n",  # the app may
        "pkg/migrations/env.py": "from pkg import state\n",
        "pkg/realtime/__init__.py": "",
        "pkg/realtime/hub.py": "from pkg.state.a import Thing\n",
        "pkg/state/__init__.py": "",
        "pkg/state/a.py": "from pkg.state import b\n",
        "pkg/state/b.py": "from . import c\n",
        "pkg/state/c.py": """
            import pkg.rooms

            def later():
                from pkg.state.a import Thing
                return Thing
            """,
        "pkg/state/d.py": "from pkg.state.a import Thing\n",  # depends on the cycle, not in it
    })
    graph = import_graph(tmp_path, "pkg")

    found = cycles(graph, "pkg.state")
    assert len(found) == 1
    assert found[0].modules == ["pkg.state.a", "pkg.state.b", "pkg.state.c"]
    shortest = found[0].shortest
    assert [edge.source for edge in shortest] == ["pkg.state.a", "pkg.state.b", "pkg.state.c"]
    assert shortest[-1].target == "pkg.state.a" and shortest[-1].in_function
    assert "pkg.state.a -> pkg.state.b -> pkg.state.c -> pkg.state.a" in describe_cycle(
        found[0], tmp_path)

    late = function_level_imports(graph, "pkg")
    assert extension_imports_beyond_the_api(graph, "pkg") == []
    assert [(f.where(tmp_path), f.target) for f in late] == [("pkg/state/c.py:5", "pkg.state.a")]

    assert domain_modules(tmp_path, "pkg") == ["pkg", "pkg.rooms", "pkg.migrations.env"]
    bad = forbidden_imports(graph, domain_modules(tmp_path, "pkg"), ["reflex"])
    assert [(f.where(tmp_path), f.target) for f in bad] == [("pkg/rooms.py:1", "reflex"),
                                                            ("pkg/rooms.py:2", "reflex_base")]
    bad = forbidden_imports(graph, domain_modules(tmp_path, "pkg"), ["pkg.state"])
    assert [(f.where(tmp_path), f.target) for f in bad] == [("pkg/migrations/env.py:1",
                                                             "pkg.state")]
    adapters = modules_within(tmp_path, "pkg", "pkg.realtime")
    assert adapters == ["pkg.realtime", "pkg.realtime.hub"]
    bad = forbidden_imports(graph, adapters, ["pkg.state"])
    assert [(f.where(tmp_path), f.target) for f in bad] == [("pkg/realtime/hub.py:1",
                                                             "pkg.state.a")]
    assert not forbidden_imports(graph, ["pkg.state"], ["reflex"])


def test_a_clean_package_passes(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/state/__init__.py": "",
        "pkg/state/a.py": "from pkg.state import b\n",
        "pkg/state/b.py": "import os\n\ndef f():\n    import json\n",
    })
    graph = import_graph(tmp_path, "pkg")
    assert cycles(graph, "pkg.state") == []
    assert function_level_imports(graph, "pkg") == []


def test_the_extension_check_finds_an_extension_reaching_into_the_core(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/rooms.py": "from pkg.extensions.board import extension\n",  # the core may not
        "pkg/extend/__init__.py": "",
        "pkg/extensions/__init__.py": "",
        "pkg/extensions/board/__init__.py": "from pkg.extend import Extension\n"
                                            "from pkg.extensions.board import clips\n",
        "pkg/extensions/board/clips.py": "from pkg.state.session import SignedIn\n",
    })
    found = extension_imports_beyond_the_api(import_graph(tmp_path, "pkg"), "pkg")
    assert [(edge.source, edge.target) for edge in found] == [
        ("pkg.extensions.board.clips", "pkg.state.session"),
        ("pkg.rooms", "pkg.extensions.board"),
    ]
