"""Every event handler of every Reflex state says so with `@rx.event`, read with `ast`.

Reflex turns every public method of a state into an event handler that any client can call
with any payload. Marking each with `@rx.event` (optionally `@rx.event(background=True)`)
makes that a decision the reader can see; computed vars (`@rx.var`), properties, static and
class methods are not handlers. A state is a class whose base is `rx.State`,
`rx.SharedState` or `rx.ComponentState` (mixins `rx.State, mixin=True` included), or another
state class of distokoloshe/state/.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFLEX_STATES = {"State", "SharedState", "ComponentState"}
NOT_HANDLERS = {"var", "computed_var", "property", "staticmethod", "classmethod",
                "cached_property"}


def _name(node: ast.expr) -> str:
    """`rx.event(background=True)` -> "rx.event", `State` -> "State"."""
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _classes(paths: list[Path]) -> list[tuple[Path, ast.ClassDef]]:
    return [(path, node) for path in paths
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
            if isinstance(node, ast.ClassDef)]


def state_classes(paths: list[Path]) -> list[tuple[Path, ast.ClassDef]]:
    """The classes that derive from a Reflex state, directly or through each other."""
    classes = _classes(paths)
    states: set[str] = set()
    while True:  # until no class joins: a state may derive from one defined later or elsewhere
        before = len(states)
        for _, cls in classes:
            for base in cls.bases:
                parts = _name(base).split(".")
                from_reflex = len(parts) == 1 or parts[0] in ("rx", "reflex")
                if parts[-1] in states or (parts[-1] in REFLEX_STATES and from_reflex):
                    states.add(cls.name)
        if len(states) == before:
            break
    return [(path, cls) for path, cls in classes if cls.name in states]


def undecorated_handlers(paths: list[Path], root: Path) -> list[str]:
    found = []
    for path, cls in state_classes(paths):
        for node in cls.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith("_"):
                continue
            decorators = {_name(d) for d in node.decorator_list}
            if {d.split(".")[-1] for d in decorators} & NOT_HANDLERS:
                continue
            if not decorators & {"rx.event", "reflex.event", "event"}:
                found.append(f"{path.relative_to(root)}:{node.lineno}: "
                             f"{cls.name}.{node.name}")
    return found


def test_every_state_handler_is_marked_as_an_event():
    found = undecorated_handlers(sorted((ROOT / "distokoloshe" / "state").glob("*.py")), ROOT)
    if found:
        pytest.fail(f"{len(found)} public state methods without @rx.event (mark them, or make "
                    "them private with a leading underscore):\n  " + "\n  ".join(found),
                    pytrace=False)


def test_the_check_finds_unmarked_handlers(tmp_path):
    (tmp_path / "a.py").write_text(textwrap.dedent("""
        import reflex as rx

        class Base(rx.State, mixin=True):
            def unmarked(self): ...

        class Child(Base):
            @rx.event
            def marked(self): ...

            @rx.event(background=True)
            async def in_background(self): ...

            @rx.var
            def computed(self) -> int: ...

            def _private(self): ...

            async def also_unmarked(self): ...

        class Plain:
            def not_a_state(self): ...
    """))
    (tmp_path / "b.py").write_text("from a import Child\n\n\nclass Grandchild(Child):\n"
                                   "    def deep(self): ...\n")
    found = undecorated_handlers([tmp_path / "a.py", tmp_path / "b.py"], tmp_path)
    assert found == ["a.py:5: Base.unmarked", "a.py:19: Child.also_unmarked",
                     "b.py:5: Grandchild.deep"]
